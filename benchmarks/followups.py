"""Follow-up benchmark: does the agent carry a conversation (``GeoAgent.chat``)?

    python -m benchmarks.followups --limit 10              # the default model (with its adapter)
    python -m benchmarks.followups --backend llamacpp --out docs/results/followups_llamacpp.json
    python -m benchmarks.followups --gold                  # a scripted model making the gold calls

The conversations (benchmarks/data/followups_blind_1.jsonl, 2-5 turns each) were written
without reading the fine-tuning phrasings or the routing sets. Each turn has its request,
the files attached with it (paths under ``$GEOFM_DATA/data``), the gold tool calls
(``[name, arguments]``; the arguments are the ones the request asks for, anything else
must stay at its default), ``ids``: the workspace ids the calls take from earlier turns
or from the files attached with the turn, and for a question about an earlier result
``answer_contains``: the metric the answer must quote (no tool call).

Every turn is scored on the exact state the conversation would have after gold earlier
turns: the gold calls of turns 1..k-1 are run for real on the files and recorded, then a
copy of that workspace and record gets turn k through ``GeoAgent.chat`` (retrieval off).
Per turn:

- routing: exactly the gold tools, in order (none for a question about the record);
- arguments: of the turns with the right tools and at least one call, those whose every
  call has the gold arguments (every gold value given, anything else at its default);
- workspace ids: of the turns whose gold calls take earlier ids, those whose calls took
  exactly those ids (ids made by the turn's own calls are not counted);
- answer: of the record questions, those answered with no tool call, quoting the metric;
- a turn is right when all of these hold and no error step was yielded.

Per conversation: every turn right. Each rate comes with its 95% Wilson interval;
follow-up turns (the second and later) are also reported on their own.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agent.config import AgentConfig, ModelConfig
from agent.conversation import Conversation, ids_in
from agent.record_answers import answer_from_record
from agent.report import tool_report
from agent.steps import Answer, Error, Step, ToolCall, ToolOutput
from benchmarks.report import provenance
from benchmarks.scoring import wilson_interval
from common.paths import geofm_data
from tools import REGISTRY, Workspace

__all__ = [
    "DATA",
    "load_conversations",
    "run",
    "score_turn",
    "arguments_match",
    "summarize",
    "brief",
    "gold_model",
    "main",
]

DATA = Path(__file__).parent / "data" / "followups_blind_1.jsonl"


def load_conversations(path: str | Path = DATA) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(b)))
    return a == b


def arguments_match(pred: dict[str, Any], gold: dict[str, Any], schema: dict[str, Any]) -> bool:
    """Every gold argument given with its value; any other argument at its default."""
    props = (schema or {}).get("properties", {})
    if any(k not in pred or not _same(pred[k], v) for k, v in gold.items()):
        return False
    return all(
        k in gold or ("default" in props.get(k, {}) and _same(v, props[k]["default"]))
        for k, v in pred.items()
    )


def score_turn(gold: dict[str, Any], steps: list[Step], before: set[str]) -> dict[str, Any]:
    """The scores of one turn's steps against its gold ``calls``, ``ids`` and
    ``answer_contains``; ``before``: the workspace ids that existed before the turn's
    calls (earlier turns and the files attached with it)."""
    schemas = {s["name"]: s.get("parameters", {}) for s in REGISTRY.schemas()}
    calls = [(s.name, s.args) for s in steps if isinstance(s, ToolCall)]
    gold_calls = [(c[0], c[1]) for c in gold["calls"]]
    routing = [n for n, _ in calls] == [n for n, _ in gold_calls]
    args = routing and all(
        arguments_match(a, ga, schemas.get(n, {})) for (n, a), (_, ga) in zip(calls, gold_calls)
    )
    taken = list(dict.fromkeys(i for _, a in calls for i in ids_in(a) if i in before))
    ids = set(taken) == set(gold.get("ids", []))
    answer = next((s.text for s in steps if isinstance(s, Answer)), "")
    want = gold.get("answer_contains")
    answer_ok = (not calls and want in answer) if want else None
    error = next((s.message for s in steps if isinstance(s, Error)), None)
    right = routing and args and ids and answer_ok is not False and error is None
    return {
        "calls": [[n, a] for n, a in calls],
        "gold_ids": list(gold.get("ids", [])),
        "taken_ids": taken,
        "routing_ok": routing,
        "args_ok": args,
        "ids_ok": ids,
        "answer_ok": answer_ok,
        "error": error,
        "ok": right,
        "answer": answer[:300],
    }


def _replay(
    workspace: Workspace, record: Conversation, turn: dict[str, Any], files: list[str]
) -> str | None:
    """Run a turn's gold calls for real and record them; the first failure, or None."""
    from agent.fake import ScriptedChatModel  # langchain: on use
    from agent.loop import GeoAgent

    # attached as the agent attaches them (with its descriptions, which later prompts show)
    attached = GeoAgent(ScriptedChatModel(), index=None, workspace=workspace).attach(files)
    steps: list[Step] = []
    results, calls = [], []
    for j, (name, args) in enumerate(turn["calls"]):
        result = REGISTRY.call(name, args, workspace)
        steps += [ToolCall(name, args, f"gold-{j}"), ToolOutput(name, result, 0.0, f"gold-{j}")]
        calls.append((name, args))
        results.append(result)
        if not result.ok:
            return f"{name}: {result.summary}"
    text = tool_report(turn["request"], calls, results) if calls else ""
    steps.append(Answer(text or answer_from_record(record, turn["request"]) or ""))
    record.record(turn["request"], attached, steps)
    return None


def run(
    model_for: Callable[[dict[str, Any]], Any],
    conversations: list[dict[str, Any]],
    data_dir: Path | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Score ``conversations``; ``model_for(turn)`` is the chat model for that turn."""
    from agent.loop import GeoAgent  # langchain: on use

    data_dir = data_dir or geofm_data() / "data"
    scratch = Path(tempfile.mkdtemp(prefix="geofm-followups-"))
    rows: list[dict[str, Any]] = []
    latency: list[float] = []
    try:
        for c, conv in enumerate(conversations):
            gold_ws = Workspace(scratch / f"{conv['id']}-gold")
            record = Conversation()
            turns = []
            for k, turn in enumerate(conv["turns"]):
                files = [str(data_dir / p) for p in turn.get("attach", [])]
                copy = scratch / f"{conv['id']}-turn{k + 1}"
                shutil.copytree(gold_ws.root, copy)
                agent = GeoAgent(
                    model_for(turn),
                    index=None,
                    config=AgentConfig(retrieval=False, workspace=str(copy)),
                )
                agent.conversation = Conversation.from_dict(record.to_dict())
                n_before = len(agent.workspace.ids())
                t0 = time.perf_counter()
                steps = list(agent.chat_stream(turn["request"], files=files))
                latency.append(time.perf_counter() - t0)
                before = set(gold_ws.ids()) | {f"ws-{n_before + i + 1}" for i in range(len(files))}
                scored = score_turn(turn, steps, before)
                scored.update(turn=k + 1, request=turn["request"], seconds=latency[-1])
                shutil.rmtree(copy, ignore_errors=True)
                failure = _replay(gold_ws, record, turn, files)
                if failure:
                    scored["gold_failed"] = failure
                turns.append(scored)
            rows.append(
                {
                    "id": conv["id"],
                    "topic": conv.get("topic", ""),
                    "ok": all(t["ok"] for t in turns),
                    "turns": turns,
                }
            )
            if progress:
                right = sum(t["ok"] for r in rows for t in r["turns"])
                total = sum(len(r["turns"]) for r in rows)
                print(
                    f"\r  {c + 1}/{len(conversations)} turns right {right}/{total}",
                    end="",
                    file=sys.stderr,
                )
        if progress:
            print(file=sys.stderr)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return summarize(rows, latency)


def _rate(k: int, n: int) -> dict[str, Any]:
    lo, hi = wilson_interval(k, n)
    return {
        "k": k,
        "n": n,
        "rate": round(k / n, 4) if n else None,
        "ci95": [round(lo, 4), round(hi, 4)],
    }


def _rates(turns: list[dict[str, Any]]) -> dict[str, Any]:
    called = [t for t in turns if t["routing_ok"] and t["calls"]]
    with_ids = [t for t in turns if t.get("gold_ids")]
    asked = [t for t in turns if t["answer_ok"] is not None]
    return {
        "turns": len(turns),
        "routing": _rate(sum(t["routing_ok"] for t in turns), len(turns)),
        "arguments": _rate(sum(t["args_ok"] for t in called), len(called)),
        "workspace_ids": _rate(sum(t["ids_ok"] for t in with_ids), len(with_ids)),
        "record_answers": _rate(sum(bool(t["answer_ok"]) for t in asked), len(asked)),
        "turn_right": _rate(sum(t["ok"] for t in turns), len(turns)),
    }


def _pct(xs: list[float], q: float) -> float | None:
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))], 3) if xs else None


def summarize(rows: list[dict[str, Any]], latency: list[float]) -> dict[str, Any]:
    turns = [t for r in rows for t in r["turns"]]
    s = sorted(latency)
    return {
        "conversations": len(rows),
        "all_turns": _rates(turns),
        "follow_up_turns": _rates([t for t in turns if t["turn"] > 1]),
        "conversation_right": _rate(sum(r["ok"] for r in rows), len(rows)),
        "by_topic": {
            topic: _rates([t for r in rows if r["topic"] == topic for t in r["turns"]])
            for topic in sorted({r["topic"] for r in rows})
        },
        "turn_latency_s": {
            "p50": _pct(s, 0.5),
            "p95": _pct(s, 0.95),
            # a first turn is a single request; a follow-up also carries the record
            "first_turn_p50": _pct([t["seconds"] for t in turns if t["turn"] == 1], 0.5),
            "follow_up_p50": _pct([t["seconds"] for t in turns if t["turn"] > 1], 0.5),
        },
        "gold_failures": [
            [r["id"], t["turn"], t["gold_failed"]]
            for r in rows
            for t in r["turns"]
            if "gold_failed" in t
        ],
        "rows": rows,
    }


def gold_model(turn: dict[str, Any]):
    """A scripted model that makes the turn's gold calls, then answers (checks the data
    and the scorer: every score is 1 unless the agent itself gets in the way)."""
    from agent.fake import ScriptedChatModel  # langchain: on use

    model = ScriptedChatModel()
    for name, args in turn["calls"]:
        model.enqueue_tool_call(name, args)
    return model.enqueue("")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.followups",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--data", default=str(DATA), help="conversations JSONL")
    ap.add_argument("--limit", type=int, default=None, help="first N conversations only")
    ap.add_argument("--gold", action="store_true", help="a scripted model making the gold calls")
    ap.add_argument("--adapter", default="default", help="'default', 'none' or a directory")
    ap.add_argument("--backend", default="transformers", choices=["transformers", "llamacpp"])
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--out", default=None, help="write the full report (with rows) here")
    args = ap.parse_args(argv)
    data_dir = geofm_data() / "data"
    if not data_dir.is_dir():
        print(f"{data_dir} is absent: set GEOFM_DATA to the shared data folder", file=sys.stderr)
        return 1
    conversations = load_conversations(args.data)[: args.limit]
    started = provenance()
    if args.gold:
        model_for, name = gold_model, "scripted gold calls"
    else:
        from agent.chat_model import LocalChatModel  # langchain, transformers: on use

        chat = LocalChatModel.from_config(
            ModelConfig(adapter=args.adapter, backend=args.backend, threads=args.threads)
        )
        model_for, name = (lambda turn: chat), chat.model_name
    report = {
        "model": name,
        "data": Path(args.data).name,
        **run(model_for, conversations, data_dir),
    }
    if args.out:
        command = " ".join(
            ["python -m benchmarks.followups"] + list(sys.argv[1:] if argv is None else argv)
        )
        Path(args.out).write_text(json.dumps({**started, "command": command, **report}, indent=1))
    print(brief(report))
    return 0


def brief(report: dict[str, Any]) -> str:
    """The rates as a small table (k/n, rate, 95% interval)."""
    metrics = ["routing", "arguments", "workspace_ids", "record_answers", "turn_right"]
    lines = [f"{report.get('model', '')}: {report['conversations']} conversations"]
    for part in ("all_turns", "follow_up_turns"):
        lines.append(f"{part} ({report[part]['turns']}):")
        for m in metrics:
            r = report[part][m]
            rate = f"{r['rate']:.3f}" if r["rate"] is not None else "  -  "
            lines.append(
                f"  {m:15s} {r['k']:4d}/{r['n']:<4d} {rate} [{r['ci95'][0]:.3f}, {r['ci95'][1]:.3f}]"
            )
    c = report["conversation_right"]
    lines.append(f"conversations right: {c['k']}/{c['n']} [{c['ci95'][0]:.3f}, {c['ci95'][1]:.3f}]")
    lat = report["turn_latency_s"]
    lines.append(
        f"turn latency p50 {lat['p50']} s (first turns {lat['first_turn_p50']} s, "
        f"follow-ups {lat['follow_up_p50']} s)"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
