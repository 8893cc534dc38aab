"""`geofm bench run SUITE...`, `geofm bench qa [...]` and `geofm bench compare A.json B.json`."""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from agent.config import AgentConfig, add_model_options, model_config_from
from benchmarks.qa import add_options, run_args
from benchmarks.report import compare as side_by_side
from benchmarks.report import provenance, table, write_outputs
from benchmarks.runner import case_mode, run_cases, summarize
from benchmarks.suite import load_suite
from common.errors import BadInputError
from corpus import default_index

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from agent.loop import GeoAgent
    from corpus import Index

__all__ = ["add_parser"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="scripted question-answer benchmarks")
    bsub = p.add_subparsers(dest="bench_command", metavar="ACTION", required=True)
    r = bsub.add_parser(
        "run",
        help="run suites and print accuracy with 95%% CIs",
        description="Suites are JSONL (benchmarks/README.md) or FormationEval-style JSON.",
    )
    r.add_argument("suites", nargs="+", help="suite files")
    r.add_argument(
        "--mode",
        choices=["auto", "loglik", "generate", "agent"],
        default="auto",
        help="auto (default): multiple choice by log-likelihood, short answers by "
        "generation, cases with a tool, check or files through the agent",
    )
    r.add_argument(
        "--mc-format",
        choices=["harness", "rag", "chat", "evidence"],
        default="harness",
        help="how multiple choice is scored: harness (default; lm-evaluation-"
        "harness zero-shot, 'Question: ...\\nAnswer:' and ' ' + each choice, "
        "no retrieval), rag (the same after the retrieved passages), chat "
        "(chat template, retrieved passages, lettered choices) or evidence "
        "(no language model: the choice the literature supports best)",
    )
    r.add_argument("--no-retrieval", action="store_true", help="answer without the literature")
    r.add_argument("--k", type=int, default=4, help="passages retrieved per question")
    r.add_argument("--limit", type=int, default=None, help="first N cases of each suite")
    r.add_argument("--tag", action="append", default=[], help="only cases with this tag")
    r.add_argument("--out", default="results/bench.json", help="results JSON (+ .md, .png)")
    r.add_argument("--label", default=None, help="name of this run in reports")
    add_model_options(r)
    r.set_defaults(func=run)
    q = bsub.add_parser("qa", help="literature QA with rubric scoring (benchmarks/qa.py)")
    add_options(q)
    q.set_defaults(func=qa)
    c = bsub.add_parser("compare", help="side-by-side table of result files")
    c.add_argument("results", nargs="+", help="JSON files written by `bench run`")
    c.set_defaults(func=compare)


def run(args: argparse.Namespace) -> int:
    cases, problems = [], []
    for s in args.suites:
        got, bad = load_suite(s)
        cases += got[: args.limit] if args.limit else got
        problems += bad
    if args.tag:
        cases = [c for c in cases if set(args.tag) & set(c.tags)]
    if not cases:
        raise BadInputError("no cases to run (check the suite files, --tag and --limit)")
    for p in problems:
        print(f"skipped {p}")
    only_choice = all(case_mode(c) == "loglik" for c in cases)
    if args.mode in ("loglik", "auto") and args.mc_format == "harness" and only_choice:
        args.no_retrieval = True  # the harness framing has no passages: skip the index
    started = provenance()  # the revision that runs, even if the tree changes meanwhile
    chat_model, index, agent = _load(args, only_choice)
    results = run_cases(
        cases,
        args.mode,
        chat_model=chat_model,
        index=index,
        k=args.k,
        agent=agent,
        mc_format=args.mc_format,
    )
    summary = summarize(results)
    mc = f" ({args.mc_format})" if any(case_mode(c) == "loglik" for c in cases) else ""
    label = (
        args.label
        or f"{args.model}{' + ' + args.adapter if args.adapter != 'none' else ''} "
        f"{args.mode}{mc}{'' if args.no_retrieval else ' +RAG'}"
    )
    if chat_model is None:
        label = args.label or "literature evidence (no language model)"
        args.model = args.adapter = None
    run_record = {
        **started,
        "command": "geofm " + shlex.join(args.argv),
        "label": label,
        "mode": args.mode,
        "mc_format": args.mc_format,
        "suites": args.suites,
        "model": args.model,
        "adapter": args.adapter,
        "retrieval": not args.no_retrieval,
        "k": args.k,
        "skipped": problems,
        "summary": summary,
        "cases": [r.to_dict() for r in results],
    }
    paths = write_outputs(Path(args.out), run_record)
    print(table(summary, label))
    print("wrote " + ", ".join(map(str, paths)))
    return 0


def qa(args: argparse.Namespace) -> int:
    return run_args(args)


def _load(
    args: argparse.Namespace, only_choice: bool
) -> tuple[BaseChatModel | None, Index | None, GeoAgent | None]:
    from agent.chat_model import make_chat_model
    from agent.loop import GeoAgent

    if args.mode in ("loglik", "auto") and args.mc_format == "evidence" and only_choice:
        chat_model = None  # the evidence scorer reads the literature, not a language model
    else:
        chat_model = make_chat_model(model_config_from(args))
    index = None if args.no_retrieval else default_index()
    agent = None
    if args.mode in ("agent", "auto") and chat_model is not None:
        agent = GeoAgent(
            chat_model, index=index, config=AgentConfig(retrieval=not args.no_retrieval, k=args.k)
        )
    return chat_model, index, agent


def compare(args: argparse.Namespace) -> int:
    runs = []
    for f in args.results:
        try:
            runs.append(json.loads(Path(f).read_text()))
        except (OSError, json.JSONDecodeError) as e:
            raise BadInputError(f"cannot read results {f}: {e}") from None
    print(side_by_side(runs))
    return 0
