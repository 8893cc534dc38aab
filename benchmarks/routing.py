"""Tool-routing benchmark: does the model pick the right tool, with the right arguments?

    python -m benchmarks.routing                      # the default model (with its adapter)
    python -m benchmarks.routing --adapter none       # the base model alone
    python -m benchmarks.routing --e2e --out r.json   # also run the whole agent loop
    python -m benchmarks.routing --dtype bfloat16 --out b.json
    python -m benchmarks.routing --backend llamacpp --out l.json   # llama.cpp (make llamacpp)
    python -m benchmarks.routing --free-arguments     # no argument grounding
    python -m benchmarks.routing --agreement r.json b.json   # same decisions? (no model)

The requests (benchmarks/data/routing_requests.jsonl) are written by hand, apart from
the fine-tuning templates. Each gold plan is first run for real on ../shared/data, so
every decision is scored on the exact history the agent would have (real observations,
real workspace ids):

- routing accuracy: decisions with the right tool (or ``answer``), over all decisions;
- argument accuracy: of the decisions with the right tool, those whose arguments match
  (every requested value given, anything else at its default); "settled": the same,
  after the settings the request names in words fill the call, as the agent runs it
  (``agent.named_settings``);
- plan accuracy: requests whose every decision is right, arguments included;
- end-to-end (``--e2e``): the agent loop runs free on the attached files; a success is
  exactly the gold calls, no error, and an answer. Retrieval is off and answers are
  capped at ``--answer-tokens`` to keep the run short; routing never reads passages.

Latency is wall time on this machine: one routing decision, and one whole request.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from agent.config import AgentConfig, ModelConfig
from agent.steps import Answer, Error, ToolCall
from benchmarks.report import provenance
from finetune.tool_tasks import SETUPS
from tools import ALL

__all__ = ["load_requests", "run", "agreement", "call_key", "main"]

DATA = Path(__file__).parent / "data" / "routing_requests.jsonl"


def load_requests(path: str | Path = DATA) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def _pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def run(
    chat,
    items: list[dict[str, Any]],
    e2e: bool = False,
    answer_tokens: int = 64,
    progress: bool = True,
) -> dict[str, Any]:
    from agent.domains import DomainRouter  # langchain: on use
    from agent.named_settings import settle
    from finetune.traces import run_plan, score_decision, setup_files

    schemas = {s["name"]: s for s in ALL.schemas()}
    router = DomainRouter()
    scratch = Path(tempfile.mkdtemp(prefix="geofm-routing-"))
    try:
        rows, decide_s, request_s = [], [], []
        n_dec = n_tool = n_args = n_settled = n_args_den = n_plan = n_e2e = 0
        for i, item in enumerate(items):
            paths = setup_files(SETUPS[item["setup"]], scratch)
            calls = [tuple(c) for c in item["calls"]]
            trace = run_plan(item["request"], paths, calls, registry=ALL)
            # the agent's first stage: the domain whose tools the model is offered
            domain = router.choose(item["request"], trace.attached)
            offered = router.registry(domain)
            tools = offered.schemas()
            row: dict[str, Any] = {
                "id": item["id"],
                "request": item["request"],
                "domain": domain,
                "domain_ok": all(c[0] in offered for c in calls) if calls else None,
                "decisions": [],
            }
            all_ok = True
            for k, gold in enumerate(trace.decisions):
                t0 = time.perf_counter()
                raw, pred = chat.decide(trace.history(k), tools)
                decide_s.append(time.perf_counter() - t0)
                tool_ok, args_ok = score_decision(pred, gold, schemas)
                settled_ok = args_ok
                if tool_ok and pred is not None and pred["name"] in schemas:
                    params = schemas[pred["name"]].get("parameters", {})
                    reports = [
                        str(m.content) for m in trace.history(k) if m.type in ("human", "tool")
                    ]
                    args = settle(
                        pred["name"],
                        pred.get("arguments") or {},
                        item["request"],
                        params,
                        reports=reports if getattr(chat, "ground_arguments", False) else None,
                    )
                    settled_ok = score_decision({**pred, "arguments": args}, gold, schemas)[1]
                n_dec += 1
                n_tool += tool_ok
                if tool_ok and gold["name"] != "answer":
                    n_args_den += 1
                    n_args += args_ok
                    n_settled += settled_ok
                all_ok &= args_ok
                row["decisions"].append(
                    {
                        "gold": gold,
                        "pred": raw,
                        "tool_ok": tool_ok,
                        "args_ok": args_ok,
                        "args_settled_ok": settled_ok,
                    }
                )
            n_plan += all_ok
            if e2e:
                ok, seconds, calls = _end_to_end(chat, item, paths, trace, schemas, answer_tokens)
                n_e2e += ok
                request_s.append(seconds)
                row.update(e2e_ok=ok, e2e_seconds=round(seconds, 2), e2e_calls=calls)
            rows.append(row)
            if progress:
                print(f"\r  {i + 1}/{len(items)} routing {n_tool}/{n_dec}", end="", file=sys.stderr)
        if progress:
            print(file=sys.stderr)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    domain_rows = [r for r in rows if r["domain_ok"] is not None]
    report = {
        "requests": len(items),
        "domain_accuracy": sum(r["domain_ok"] for r in domain_rows) / max(len(domain_rows), 1),
        "decisions": n_dec,
        "routing_accuracy": n_tool / max(n_dec, 1),
        "argument_accuracy": n_args / max(n_args_den, 1),
        "argument_accuracy_settled": n_settled / max(n_args_den, 1),
        "plan_accuracy": n_plan / max(len(items), 1),
        "decision_latency_s": {"p50": _pct(decide_s, 0.5), "p95": _pct(decide_s, 0.95)},
        "rows": rows,
    }
    if e2e:
        report["end_to_end_success"] = n_e2e / max(len(items), 1)
        report["request_latency_s"] = {"p50": _pct(request_s, 0.5), "p95": _pct(request_s, 0.95)}
        one = [
            r["e2e_seconds"]
            for r, it in zip(rows, items)
            if len([c for c in it["calls"] if c[0] != "read_segy"]) == 1
        ]
        report["one_tool_answer_latency_s"] = {
            "p50": _pct(one, 0.5),
            "p95": _pct(one, 0.95),
            "n": len(one),
        }
        few = [r["e2e_seconds"] for r, it in zip(rows, items) if 1 <= len(it["calls"]) <= 2]
        report["one_or_two_tool_latency_s"] = {
            "p50": _pct(few, 0.5),
            "p95": _pct(few, 0.95),
            "n": len(few),
        }
    return report


def _end_to_end(chat, item, paths, trace, schemas, answer_tokens: int):
    from agent.loop import GeoAgent  # langchain: on use
    from finetune.traces import arguments_match

    old = chat.max_new_tokens
    chat.max_new_tokens = answer_tokens
    try:
        with tempfile.TemporaryDirectory() as ws:
            agent = GeoAgent(chat, index=None, config=AgentConfig(retrieval=False, workspace=ws))
            t0 = time.perf_counter()
            steps = list(agent.stream(item["request"], [str(p) for p in paths]))
            seconds = time.perf_counter() - t0
    finally:
        chat.max_new_tokens = old
    calls = [(s.name, s.args) for s in steps if isinstance(s, ToolCall)]
    ok = (
        not any(isinstance(s, Error) for s in steps)
        and any(isinstance(s, Answer) for s in steps)
        and len(calls) == len(trace.calls)
        and all(
            n == gn and arguments_match(a, ga, schemas[gn].get("parameters", {}))
            for (n, a), (gn, ga) in zip(calls, trace.calls)
        )
    )
    return ok, seconds, [[n, a] for n, a in calls]


def call_key(raw: str) -> tuple[str | None, str]:
    """(tool name, arguments as canonical JSON) of a raw decision, so two decisions
    compare equal when they make the same call, however the JSON was spaced or
    ordered; text that is not a call keeps its raw form."""
    try:
        call = json.loads(raw)
    except (json.JSONDecodeError, TypeError):
        return None, str(raw)
    if not isinstance(call, dict):
        return None, str(raw)
    return call.get("name"), json.dumps(call.get("arguments", {}), sort_keys=True)


def agreement(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """How often two reports (e.g. float32 and bfloat16 weights) made the same decision:
    the same tool, and the same tool with the same arguments, over the decisions both
    scored (matched by request id and position)."""

    def calls(report):
        return {
            (row["id"], i): call_key(d["pred"])
            for row in report["rows"]
            for i, d in enumerate(row["decisions"])
        }

    ca, cb = calls(a), calls(b)
    both = sorted(set(ca) & set(cb))
    differ = [k for k in both if ca[k] != cb[k]]
    return {
        "decisions": len(both),
        "same_tool": round(sum(ca[k][0] == cb[k][0] for k in both) / max(len(both), 1), 4),
        "same_call": round(1 - len(differ) / max(len(both), 1), 4),
        "differing": [[k[0], k[1], ca[k], cb[k]] for k in differ[:20]],
        "models": [a.get("model"), b.get("model")],
    }


def _model(
    adapter: str | None,
    threads: int | None,
    dtype: str = "float32",
    ground: bool = True,
    backend: str = "transformers",
):
    from agent.chat_model import LocalChatModel  # langchain: on use

    cfg = ModelConfig(
        adapter=adapter, dtype=dtype, ground_arguments=ground, backend=backend, threads=threads
    )
    return LocalChatModel.from_config(cfg)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.routing",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument(
        "--adapter",
        default="default",
        help="'default' (the shipped adapter), 'none' (base model) or a directory",
    )
    ap.add_argument("--data", default=str(DATA), help="requests JSONL")
    ap.add_argument("--limit", type=int, default=None, help="first N requests only")
    ap.add_argument("--e2e", action="store_true", help="also run the agent loop end to end")
    ap.add_argument("--answer-tokens", type=int, default=64)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument(
        "--dtype",
        default="float32",
        choices=["float32", "bfloat16", "int8"],
        help="weights of the model (float32 is the reference)",
    )
    ap.add_argument(
        "--backend",
        default="transformers",
        choices=["transformers", "llamacpp"],
        help="what runs the model (llamacpp: the GGUF itself, `make llamacpp`)",
    )
    ap.add_argument(
        "--free-arguments",
        action="store_true",
        help="grammar without argument grounding (any schema-valid number or id)",
    )
    ap.add_argument("--out", default=None, help="write the full report (with rows) here")
    ap.add_argument(
        "--show-wrong",
        action="store_true",
        help="list the first wrong decisions (tuning sets only: a blind set's errors, once "
        "read, make it a tuning set)",
    )
    ap.add_argument(
        "--agreement",
        nargs=2,
        metavar=("A.json", "B.json"),
        help="compare the decisions of two --out reports; runs no model",
    )
    args = ap.parse_args(argv)
    if args.agreement:
        a, b = (json.loads(Path(f).read_text()) for f in args.agreement)
        print(json.dumps(agreement(a, b), indent=1))
        return 0
    items = load_requests(args.data)[: args.limit]
    started = provenance()  # the revision that runs, even if the tree changes meanwhile
    chat = _model(args.adapter, args.threads, args.dtype, not args.free_arguments, args.backend)
    report = run(chat, items, e2e=args.e2e, answer_tokens=args.answer_tokens)
    report["model"] = (
        f"{chat.model_name} ({args.dtype if args.backend != 'llamacpp' else 'GGUF'}"
        + (", free arguments)" if args.free_arguments else ")")
    )
    if args.out:
        command = " ".join(
            ["python -m benchmarks.routing"] + list(sys.argv[1:] if argv is None else argv)
        )
        Path(args.out).write_text(json.dumps({**started, "command": command, **report}, indent=1))
    brief = {k: v for k, v in report.items() if k != "rows"}
    print(json.dumps(brief, indent=1))
    wrong = [
        (r["id"], d["gold"]["name"], d["pred"])
        for r in report["rows"]
        for d in r["decisions"]
        if not d["args_ok"] and not (d["tool_ok"] and d["gold"]["name"] == "answer")
    ]
    print(f"{len(wrong)} wrong decisions", file=sys.stderr)
    if args.show_wrong:  # not on a blind set: reading its errors spends it
        for w in wrong[:15]:
            print("  ", *w, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
