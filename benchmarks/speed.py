"""Local language-model speed: prompt processing and decoding per weight type.

    python -m benchmarks.speed                          # float32, bfloat16, int8
    python -m benchmarks.speed --dtypes float32 int8 --threads 2 --out speed.json

For each ``--dtype`` of the embedded model (with the shipped adapter merged):

- prefill: tokens/s over a routing-sized prompt (``--prompt-tokens``);
- decode: tokens/s of greedy decoding, both through ``generate`` (what the agent uses)
  and a bare loop over the key-value cache (the floor of transformers' overhead);
- a routing decision: seconds per constrained tool call on ``--decisions`` requests
  from the routing benchmark (first decision, real file descriptions), p50/p95, and
  how many of those calls equal float32's (tool and arguments).

When ``llama_cpp`` (llama-cpp-python) is importable the same GGUF is timed with it as
the reference; otherwise the report says it was not measured. Wall times on this
machine: run it on quiet cores (``OMP_WAIT_POLICY=PASSIVE`` helps when they are shared).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["measure", "main"]


def _prompt_ids(tokenizer, n: int):
    import torch

    text = ("Seismic processing attenuates noise, corrects amplitudes and images "
            "reflections. ") * (n // 8 + 1)
    return torch.tensor([tokenizer.encode(text, add_special_tokens=False)[:n]])


def _decode(model, ids, n: int) -> float:
    """Tokens/s of a bare greedy loop over the cache (no sampling machinery)."""
    import torch

    with torch.inference_mode():
        out = model(ids, use_cache=True)
        cache, nxt = out.cache, out.logits[:, -1:].argmax(-1)
        t0 = time.perf_counter()
        for _ in range(n):
            out = model(nxt, cache=cache, use_cache=True)
            cache, nxt = out.cache, out.logits[:, -1:].argmax(-1)
    return n / (time.perf_counter() - t0)


def _routing_cases(n: int) -> list[Any]:
    from benchmarks.routing import load_requests
    from finetune.tool_tasks import SETUPS
    from finetune.traces import run_plan, setup_files

    cases = []
    with tempfile.TemporaryDirectory(prefix="geofm-speed-") as scratch:
        for item in load_requests()[:n]:
            paths = setup_files(SETUPS[item["setup"]], Path(scratch))
            cases.append(run_plan(item["request"], paths, []).history(0))
    return cases


def measure(dtype: str, prompt_tokens: int, decode_tokens: int, cases: list[Any],
            repeats: int = 3) -> dict[str, Any]:
    """One weight type's figures; ``cases`` are routing histories for decide()."""
    import torch

    from agent.chat_model import LocalChatModel
    from agent.config import ModelConfig
    from tools import REGISTRY

    chat = LocalChatModel.from_config(ModelConfig(dtype=dtype))
    model, tok = chat.hf_model, chat.tokenizer
    ids = _prompt_ids(tok, prompt_tokens)
    with torch.inference_mode():
        model(ids[:, :16])  # warm-up
        pre = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            model(ids)
            pre.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        out = model.generate(ids[:, :32], max_new_tokens=decode_tokens,
                             min_new_tokens=decode_tokens, do_sample=False,
                             pad_token_id=tok.eos_token_id)
        gen_s = time.perf_counter() - t0
    assert out.shape[1] == 32 + decode_tokens
    tools = REGISTRY.schemas()
    seconds, calls = [], []
    for history in cases:
        t0 = time.perf_counter()
        raw, _ = chat.decide(history, tools)
        seconds.append(time.perf_counter() - t0)
        calls.append(raw)
    return {
        "dtype": dtype,
        "prefill_tokens_per_s": round(prompt_tokens / statistics.median(pre), 1),
        "decode_tokens_per_s_generate": round(decode_tokens / gen_s, 1),
        "decode_tokens_per_s_loop": round(_decode(model, ids[:, :32], decode_tokens), 1),
        "decision_s": {"p50": round(statistics.median(seconds), 3),
                       "p95": round(sorted(seconds)[int(0.95 * (len(seconds) - 1))], 3),
                       "n": len(seconds)} if seconds else None,
        "calls": calls,
    }


def llama_cpp_reference(decode_tokens: int, prompt_tokens: int) -> dict[str, Any]:
    """The embedded GGUF under llama.cpp, when llama-cpp-python is installed."""
    try:
        from llama_cpp import Llama
    except ImportError:
        return {"measured": False, "why": "llama-cpp-python is not installed"}
    from agent.models import embedded_gguf

    llm = Llama(model_path=str(embedded_gguf()), n_ctx=2048, verbose=False)
    prompt = "Seismic processing attenuates noise. " * (prompt_tokens // 6)
    t0 = time.perf_counter()
    llm(prompt, max_tokens=1)
    pre = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = llm("Seismic", max_tokens=decode_tokens, temperature=0.0)
    n = out["usage"]["completion_tokens"]
    return {"measured": True, "prefill_tokens_per_s": round(prompt_tokens / pre, 1),
            "decode_tokens_per_s": round(n / (time.perf_counter() - t0), 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.speed", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dtypes", nargs="+", default=["float32", "bfloat16", "int8"],
                    choices=["float32", "bfloat16", "int8"])
    ap.add_argument("--prompt-tokens", type=int, default=800)
    ap.add_argument("--decode-tokens", type=int, default=64)
    ap.add_argument("--decisions", type=int, default=20,
                    help="routing requests timed per weight type (0: none)")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    ap.add_argument("--out", default=None, help="write the report as JSON here")
    args = ap.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    cases = _routing_cases(args.decisions) if args.decisions else []
    rows = []
    for dtype in args.dtypes:
        print(f"measuring {dtype} ...", file=sys.stderr)
        rows.append(measure(dtype, args.prompt_tokens, args.decode_tokens, cases))
    from benchmarks.routing import call_key

    ref = [call_key(c) for c in rows[0]["calls"]]
    for r in rows:
        calls = r.pop("calls")
        same = sum(call_key(a) == b for a, b in zip(calls, ref))
        r["same_calls_as_" + rows[0]["dtype"]] = f"{same}/{len(ref)}"
    report = {"rows": rows, "llama_cpp": llama_cpp_reference(args.decode_tokens,
                                                              args.prompt_tokens)}
    print(f"{'dtype':10s}{'prefill tok/s':>15s}{'decode tok/s':>14s}{'(bare loop)':>13s}"
          f"{'decision p50/p95 s':>21s}{'same calls':>12s}")
    for r in rows:
        d = r["decision_s"] or {"p50": float("nan"), "p95": float("nan")}
        same = r[f"same_calls_as_{rows[0]['dtype']}"]
        print(f"{r['dtype']:10s}{r['prefill_tokens_per_s']:>15.1f}"
              f"{r['decode_tokens_per_s_generate']:>14.1f}{r['decode_tokens_per_s_loop']:>13.1f}"
              f"{d['p50']:>11.2f}/{d['p95']:<9.2f}{same:>12s}")
    print("llama.cpp:", json.dumps(report["llama_cpp"]))
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
