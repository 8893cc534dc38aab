"""Evaluate the base model and the LoRA adapter side by side on held-out examples.

    python -m finetune.evaluate --data finetune/data/test.jsonl --adapter agent/adapter

On the ``route`` examples, every assistant decision is generated twice: under the tool
grammar (tool routing accuracy, argument exact match) and without it (JSON validity:
the text parses and its arguments pass the tool's schema). On the ``qa`` examples the
answer is generated and judged *grounded* when it cites at least one passage and only
passages from the document the question is about (or, when none was retrieved, cites
nothing and says the passages do not answer).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from typing import Any

from agent.config import ModelConfig
from agent.models import apply_adapter, load_causal_lm
from common.errors import GeoFMError
from finetune.chat_data import read_jsonl
from tools import ALL

__all__ = ["evaluate", "main"]

_CITES = re.compile(r"\[(\d+)\]")


def _valid_call(text: str) -> bool:
    from agent.constrained import ANSWER  # langchain: on use

    try:
        call = json.loads(text)
    except json.JSONDecodeError:
        return False
    if (
        not isinstance(call, dict)
        or set(call) != {"name", "arguments"}
        or not isinstance(call["arguments"], dict)
    ):
        return False
    if call["name"] == ANSWER:
        return call["arguments"] == {}
    try:
        ALL.get(call["name"]).validate(call["arguments"])
    except GeoFMError:
        return False
    return True


def grounded(answer: str, cited_gold: list[int]) -> bool:
    cites = {int(n) for n in _CITES.findall(answer)}
    if not cited_gold:
        return not cites and "not answer" in answer.lower()
    return bool(cites) and cites <= set(cited_gold)


def route_schemas(domain: str) -> dict[str, dict[str, Any]]:
    """The tool schemas a route row of ``domain`` is decided among, by name: its routing
    domain's tools (``agent.domains``), as the agent's second stage offers them."""
    from agent.domains import DOMAINS

    registry = next((d.registry for d in DOMAINS if d.name == domain), None)
    if registry is None:
        raise ValueError(f"unknown routing domain {domain!r}")
    return {s["name"]: s for s in registry.schemas()}


def evaluate(chat, examples: list[dict[str, Any]], progress: bool = True) -> dict[str, Any]:
    """Scores of one model (a ``LocalChatModel``) on ``examples`` (build_data rows)."""
    from agent.constrained import ToolGrammar  # langchain: on use
    from finetune.traces import score_decision

    grammars: dict[str, tuple[dict[str, Any], Any]] = {}

    def domain_grammar(name: str) -> tuple[dict[str, Any], Any]:
        if name not in grammars:
            schemas = route_schemas(name)
            grammar = ToolGrammar(chat.tokenizer, chat.vocab_size, list(schemas.values()))
            grammars[name] = (schemas, grammar)
        return grammars[name]

    n = tool_ok = args_ok = args_den = valid = 0
    qa_n = qa_ok = 0
    seconds = []
    for i, ex in enumerate(examples):
        msgs = ex["messages"]
        if ex["kind"] == "route":
            schemas, grammar = domain_grammar(ex.get("domain", "reflection"))
            k = 0
            for j, m in enumerate(msgs):
                if m["role"] != "assistant":
                    continue
                gold = json.loads(m["content"])
                t0 = time.perf_counter()
                raw = chat.generate_text(
                    msgs[:j], max_new_tokens=96, logits_processor=[grammar.logits_processor()]
                )
                seconds.append(time.perf_counter() - t0)
                try:
                    pred = json.loads(raw)
                except json.JSONDecodeError:
                    pred = None
                t_ok, a_ok = score_decision(pred, gold, schemas)
                free = chat.generate_text(msgs[:j], max_new_tokens=96)
                n += 1
                tool_ok += t_ok
                if t_ok and gold["name"] != "answer":
                    args_den += 1
                    args_ok += a_ok
                valid += _valid_call(free)
                k += 1
        elif ex["kind"] == "qa":
            answer = chat.generate_answer(msgs[:-1], max_new_tokens=120)
            qa_n += 1
            qa_ok += grounded(answer, ex.get("cited", []))
        if progress:
            print(f"\r  {i + 1}/{len(examples)}", end="", file=sys.stderr)
    if progress:
        print(file=sys.stderr)
    return {
        "decisions": n,
        "routing_accuracy": tool_ok / max(n, 1),
        "argument_exact_match": args_ok / max(args_den, 1),
        "json_valid_unconstrained": valid / max(n, 1),
        "qa_examples": qa_n,
        "grounded_qa_accuracy": qa_ok / max(qa_n, 1),
        "decision_seconds_p50": sorted(seconds)[len(seconds) // 2] if seconds else None,
    }


def main(argv: list[str] | None = None) -> int:
    from agent.chat_model import LocalChatModel  # langchain: on use

    ap = argparse.ArgumentParser(
        prog="python -m finetune.evaluate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--data", default="finetune/data/test.jsonl")
    ap.add_argument(
        "--adapter",
        default="agent/adapter",
        help="adapter directory; 'none' evaluates the base model only",
    )
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--out", default=None, help="write the scores as JSON here")
    args = ap.parse_args(argv)
    examples = [e for e in read_jsonl(args.data) if e.get("kind") in ("route", "qa")]
    examples = examples[: args.limit]
    model, tok = load_causal_lm(ModelConfig(adapter=None))
    rule = ModelConfig().no_repeat_ngram  # the agent's own answering rule
    chat = LocalChatModel(hf_model=model, tokenizer=tok, no_repeat_ngram=rule)
    scores = {"base": evaluate(chat, examples)}
    if args.adapter != "none":
        chat = LocalChatModel(
            hf_model=apply_adapter(model, args.adapter), tokenizer=tok, no_repeat_ngram=rule
        )
        scores["adapter"] = evaluate(chat, examples)
    print(f"{'':28s}" + "".join(f"{k:>12s}" for k in scores))
    for key in scores["base"]:
        print(f"{key:28s}" + "".join(f"{_fmt(s[key]):>12s}" for s in scores.values()))
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"data": args.data, "examples": len(examples), **scores}, f, indent=1)
    return 0


def _fmt(v) -> str:
    return f"{v:.3f}" if isinstance(v, float) else str(v)


if __name__ == "__main__":
    raise SystemExit(main())
