"""Literature QA with rubric scoring: does the answer hold what it must, cited to the right
page, and does it say so when the literature does not cover the question?

Usage::

    .venv/bin/geofm bench qa                                   # the frozen set, embedded default
    .venv/bin/geofm bench qa --adapter none                    # the base model deciding
    .venv/bin/geofm bench qa --backend llamacpp                # the llama.cpp backend
    .venv/bin/geofm bench qa --data benchmarks/data/qa_literature_dev.jsonl   # the tuning set
    .venv/bin/geofm bench qa --limit 10 --out results/qa_quick.json

Every question goes through the whole agent (``GeoAgent.ask``: retrieval, the model's
routing decision, the answer), one at a time. Each covered question lists the page(s)
that answer it and 2-3 required concepts (regular expressions, written before any answer
was seen); uncovered ones have none. Reported, with Wilson 95 % intervals:

- rubric accuracy: covered questions whose answer matches every required concept;
- concept coverage: the share of required concepts matched, over all covered questions;
- citation precision: the share of cited pages that hold the answer (answers that
  refuse are left out; an answer that cites nothing counts as one wrong citation);
- abstention: uncovered questions answered "does not cover"; wrongly refused: covered
  questions answered so;
- retrieval: recall of an answer page among the first 1 and all k retrieved passages;
- routed to a tool: questions on which the model called a tool instead of answering;
- latency p50/p95 of a whole question, on this machine, one question at a time.

The report (JSON, with date, machine, command and revision) goes to ``--out``; each
question's answer, citations and verdict are in it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

from agent.config import AgentConfig, add_model_options, model_config_from
from agent.steps import Retrieved, ToolCall
from benchmarks.report import provenance
from benchmarks.scoring import wilson_interval

__all__ = ["load_questions", "score_answer", "summarize", "add_options", "run_args", "main", "DATA"]

DATA = Path(__file__).resolve().parent / "data" / "qa_literature.jsonl"
NOT_COVERED = re.compile(r"does not cover this question", re.I)


def load_questions(path: str | Path = DATA) -> list[dict[str, Any]]:
    """The questions of a QA file; a malformed line stops with ``file:line: problem``."""
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        q = json.loads(line)
        if not q.get("question") or "covered" not in q:
            raise SystemExit(f"{path}:{n}: a question needs 'question' and 'covered'")
        if q["covered"] and (not q.get("pages") or not q.get("concepts")):
            raise SystemExit(f"{path}:{n}: a covered question needs 'pages' and 'concepts'")
        out.append(q)
    return out


def page_of(source: str) -> str:
    """'…/corpus/default/seismology/x.md' → 'seismology/x.md' (as the QA files name pages)."""
    parts = source.replace("\\", "/").split("/")
    return "/".join(parts[-2:])


def score_answer(q: dict[str, Any], answer: str, cited_sources: list[str]) -> dict[str, Any]:
    """The verdict on one answer: refused, concepts matched, cited pages right/wrong."""
    refused = bool(NOT_COVERED.search(answer))
    concepts = [any(re.search(r, answer, re.I) for r in alts) for alts in q.get("concepts", [])]
    cited = sorted({page_of(s) for s in cited_sources})
    right = [p for p in cited if p in q.get("pages", [])]
    return {
        "refused": refused,
        "concepts": concepts,
        "rubric": bool(concepts) and all(concepts) and not refused,
        "cited_pages": cited,
        "cited_right": len(right),
        "cited_total": max(len(cited), 1),
    }


def _rate(k: int, n: int) -> dict[str, Any]:
    lo, hi = wilson_interval(k, n) if n else (0.0, 0.0)
    return {
        "k": k,
        "n": n,
        "rate": round(k / n, 4) if n else None,
        "ci95": [round(lo, 4), round(hi, 4)],
    }


def _pct(xs: list[float], q: float) -> float | None:
    if not xs:
        return None
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(q * len(xs)))], 3)


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    cov = [r for r in rows if r["covered"]]
    unc = [r for r in rows if not r["covered"]]
    answered = [r for r in cov if not r["refused"]]
    n_concepts = sum(len(r["concepts"]) for r in cov)
    return {
        "rubric_accuracy": _rate(sum(r["rubric"] for r in cov), len(cov)),
        "concept_coverage": _rate(sum(sum(r["concepts"]) for r in cov), n_concepts),
        "citation_precision": _rate(
            sum(r["cited_right"] for r in answered), sum(r["cited_total"] for r in answered)
        ),
        "abstention_uncovered": _rate(sum(r["refused"] for r in unc), len(unc)),
        "wrongly_refused_covered": _rate(sum(r["refused"] for r in cov), len(cov)),
        "retrieval_recall_at_1": _rate(sum(r["recall_at_1"] for r in cov), len(cov)),
        "retrieval_recall_at_k": _rate(sum(r["recall_at_k"] for r in cov), len(cov)),
        "routed_to_tool": _rate(sum(r["tool_calls"] > 0 for r in rows), len(rows)),
        "errors": sum(bool(r["error"]) for r in rows),
        "latency_s": {
            "p50": _pct([r["seconds"] for r in rows], 0.5),
            "p95": _pct([r["seconds"] for r in rows], 0.95),
        },
        "by_topic": {
            t: _rate(
                sum(r["rubric"] for r in cov if r["topic"] == t), sum(r["topic"] == t for r in cov)
            )
            for t in sorted({r["topic"] for r in cov})
        },
    }


def run(agent, questions: list[dict[str, Any]], progress: bool = True) -> list[dict[str, Any]]:
    rows = []
    for i, q in enumerate(questions, 1):
        t0 = time.perf_counter()
        result = agent.ask(q["question"])
        seconds = time.perf_counter() - t0
        retrieved = next((s for s in result.steps if isinstance(s, Retrieved)), None)
        pages = [page_of(p.source) for p in (retrieved.passages if retrieved else ())]
        row = {
            "id": q["id"],
            "question": q["question"],
            "covered": q["covered"],
            "topic": q.get("topic", ""),
            "answer": result.answer,
            "error": "" if result.ok else result.answer,
            "tool_calls": sum(isinstance(s, ToolCall) for s in result.steps),
            "retrieved_pages": pages,
            "recall_at_1": bool(pages) and pages[0] in q.get("pages", []),
            "recall_at_k": any(p in q.get("pages", []) for p in pages),
            "seconds": round(seconds, 3),
            **score_answer(q, result.answer, [c.source for c in result.citations]),
        }
        rows.append(row)
        if progress:  # no verdicts: a frozen set's errors are read only in its report
            print(f"\r  {i}/{len(questions)} ({seconds:.2f} s)", end="", file=sys.stderr)
    if progress:
        print(file=sys.stderr)
    return rows


def report_table(summary: dict[str, Any], label: str) -> str:
    keys = [
        "rubric_accuracy",
        "concept_coverage",
        "citation_precision",
        "abstention_uncovered",
        "wrongly_refused_covered",
        "retrieval_recall_at_1",
        "retrieval_recall_at_k",
        "routed_to_tool",
    ]
    lines = [f"QA benchmark: {label}", "| measure | value | 95 % CI | k/n |", "|---|---|---|---|"]
    for k in keys:
        r = summary[k]
        lines.append(
            f"| {k.replace('_', ' ')} | {r['rate']} | {r['ci95'][0]}-{r['ci95'][1]} "
            f"| {r['k']}/{r['n']} |"
        )
    lat = summary["latency_s"]
    lines.append(f"| latency p50 / p95 (s) | {lat['p50']} / {lat['p95']} | | |")
    lines.append(f"errors: {summary['errors']}")
    return "\n".join(lines)


def add_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", default=str(DATA), help="QA file (JSONL)")
    p.add_argument("--limit", type=int, default=None, help="first N questions only")
    p.add_argument("--k", type=int, default=4, help="passages retrieved per question")
    p.add_argument("--out", default="results/qa.json", help="report JSON")
    p.add_argument("--label", default=None, help="name of this run in the report")
    add_model_options(p)


def run_args(args: argparse.Namespace) -> int:
    from agent.loop import GeoAgent  # langchain: not at `geofm --help`

    questions = load_questions(args.data)[: args.limit]
    started = provenance()  # the revision that runs, even if the tree changes meanwhile
    agent = GeoAgent.from_defaults(model_config_from(args), AgentConfig(k=args.k))
    agent.ask("What is a seismic trace?")  # warm-up: first-call set-up is not latency
    rows = run(agent, questions)
    summary = summarize(rows)
    label = args.label or (
        f"{args.model}"
        + (f" + {args.adapter} adapter" if args.adapter != "none" else " (no adapter)")
        + f", {args.backend}"
    )
    print(report_table(summary, label))
    record = {
        "label": label,
        **started,
        "command": " ".join(["geofm"] + sys.argv[1:])
        if sys.argv[0].endswith("geofm")
        else " ".join(["python -m benchmarks.qa"] + sys.argv[1:]),
        "data": str(args.data),
        "k": args.k,
        "summary": summary,
        "questions": rows,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.qa", description=__doc__.split("\n\n")[0]
    )
    add_options(p)
    return run_args(p.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
