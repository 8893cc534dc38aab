"""Local language-model speed: prompt processing and decoding per weight type.

    python -m benchmarks.speed                       # float32, bfloat16, int8, llamacpp
    python -m benchmarks.speed --variants float32 llamacpp --threads 2 --out speed.json

For each ``--variants`` entry: a transformers weight type of the embedded model (float32,
bfloat16, int8; the shipped adapter merged), or ``llamacpp``, the llama.cpp backend
(the GGUF with the adapter merged in, our grammar):

- prefill: tokens/s over a routing-sized prompt (``--prompt-tokens``);
- decode: tokens/s of greedy decoding, both through ``generate`` (what the agent uses)
  and a bare loop over the key-value cache (the floor of transformers' overhead); for
  llamacpp also decoding under the tool-call grammar, measured inside the decisions;
- a routing decision: seconds per constrained tool call on ``--decisions`` requests
  from the routing benchmark (first decision, real file descriptions), p50/p95, and
  how many of those calls equal float32's (tool and arguments).

When ``llama_cpp`` (llama-cpp-python) is importable, the same GGUF is timed under plain
llama.cpp as the reference (no adapter, no grammar, its own sampler), in a child process
that never loads torch; otherwise the report says it was not measured. Wall times on this
machine: run it on quiet cores (``OMP_WAIT_POLICY=PASSIVE`` helps when they are shared).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from agent.config import ModelConfig
from agent.models import embedded_gguf
from benchmarks.routing import call_key, load_requests
from finetune.tool_tasks import SETUPS
from tools import REGISTRY

__all__ = ["measure", "routing_cases", "llama_cpp_reference", "main", "VARIANTS"]

VARIANTS = ("float32", "bfloat16", "int8", "llamacpp")


def _prompt_ids(tokenizer, n: int):
    import torch

    text = ("Seismic processing attenuates noise, corrects amplitudes and images reflections. ") * (
        n // 8 + 1
    )
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


def routing_cases(n: int) -> list[Any]:
    from finetune.traces import run_plan, setup_files  # langchain: on use

    cases = []
    with tempfile.TemporaryDirectory(prefix="geofm-speed-") as scratch:
        for item in load_requests()[:n]:
            paths = setup_files(SETUPS[item["setup"]], Path(scratch))
            cases.append(run_plan(item["request"], paths, []).history(0))
    return cases


def _load(variant: str, threads: int | None):
    from agent.chat_model import LocalChatModel  # langchain: on use

    if variant == "llamacpp":
        return LocalChatModel.from_config(ModelConfig(backend="llamacpp", threads=threads))
    return LocalChatModel.from_config(ModelConfig(dtype=variant, threads=threads))


def _engine_speed(
    engine, ids: list[int], prompt_tokens: int, decode_tokens: int, repeats: int, context: int
) -> dict[str, float]:
    """Prefill and unconstrained decode tokens/s of the llama.cpp engine (cache cleared
    first, so the whole prompt is processed)."""
    pre = []
    for _ in range(repeats):
        engine.forget("speed")
        t0 = time.perf_counter()
        engine.feed(ids[:prompt_tokens], "speed")
        pre.append(time.perf_counter() - t0)
    engine.forget("speed")
    engine.generate(ids[:context], decode_tokens + 1, eos=set(), slot="speed")
    return {
        "prefill_tokens_per_s": round(prompt_tokens / statistics.median(pre), 1),
        "decode_tokens_per_s_generate": round(
            (engine.last["decode_tokens"] - 1) / engine.last["decode_s"], 1
        ),
        "decode_tokens_per_s_loop": None,
    }


def _torch_speed(
    model, tok, ids, prompt_tokens: int, decode_tokens: int, repeats: int, context: int
) -> dict[str, float]:
    """Prefill tokens/s, and decode tokens/s after ``context`` tokens: through generate()
    (what the agent runs; the context's own prefill time, measured apart, taken off) and
    a bare loop over the cache (transformers' floor)."""
    import torch

    ids = torch.tensor([ids])
    with torch.inference_mode():
        model(ids[:, :16])  # warm-up
        pre = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            model(ids[:, :prompt_tokens])
            pre.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        model(ids[:, :context])
        context_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        out = model.generate(
            ids[:, :context],
            max_new_tokens=decode_tokens,
            min_new_tokens=decode_tokens,
            do_sample=False,
            pad_token_id=tok.eos_token_id,
        )
        gen_s = time.perf_counter() - t0 - context_s
    assert out.shape[1] == context + decode_tokens
    return {
        "prefill_tokens_per_s": round(prompt_tokens / statistics.median(pre), 1),
        "decode_tokens_per_s_generate": round(decode_tokens / gen_s, 1),
        "decode_tokens_per_s_loop": round(_decode(model, ids[:, :context], decode_tokens), 1),
    }


def measure(
    variant: str,
    prompt_tokens: int,
    decode_tokens: int,
    cases: list[Any],
    repeats: int = 3,
    threads: int | None = None,
    context: int = 640,
) -> dict[str, Any]:
    """One variant's figures (a transformers dtype, or "llamacpp"); ``cases`` are routing
    histories for decide()."""
    chat = _load(variant, threads)
    ids = _prompt_ids(chat.tokenizer, max(prompt_tokens, context))[0].tolist()
    row: dict[str, Any] = {"variant": variant, "decode_context": context}
    if chat.engine is not None:
        row.update(_engine_speed(chat.engine, ids, prompt_tokens, decode_tokens, repeats, context))
    else:
        row.update(
            _torch_speed(
                chat.hf_model, chat.tokenizer, ids, prompt_tokens, decode_tokens, repeats, context
            )
        )
    tools = REGISTRY.schemas()
    seconds, calls, constrained = [], [], []
    for history in cases:
        t0 = time.perf_counter()
        raw, _ = chat.decide(history, tools)
        seconds.append(time.perf_counter() - t0)
        calls.append(raw)
        if chat.engine is not None and chat.engine.last.get("decode_s"):
            constrained.append(chat.engine.last)
    row["decision_s"] = (
        {
            "p50": round(statistics.median(seconds), 3),
            "p95": round(sorted(seconds)[int(0.95 * (len(seconds) - 1))], 3),
            "n": len(seconds),
        }
        if seconds
        else None
    )
    if constrained:  # the grammar's own cost is inside these decode seconds
        row["decode_tokens_per_s_constrained"] = round(
            sum(c["decode_tokens"] - 1 for c in constrained)
            / sum(c["decode_s"] for c in constrained),
            1,
        )
        row["prompt_tokens_cached"] = round(
            sum(c["cached_tokens"] for c in constrained)
            / sum(c["prompt_tokens"] for c in constrained),
            3,
        )
    row["calls"] = calls
    return row


_REFERENCE = r"""
import json, sys, time
from llama_cpp import Llama
gguf, threads, prompt_tokens, decode_tokens, context = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
llm = Llama(model_path=gguf, n_ctx=4096, n_threads=threads, n_threads_batch=threads, verbose=False)
text = "Seismic processing attenuates noise, corrects amplitudes and images reflections. "
ids = llm.tokenize((text * (max(prompt_tokens, context) // 8 + 1)).encode(), add_bos=False)
llm.eval(ids[:16]); llm.reset()
pre = []
for _ in range(3):
    llm.reset(); t0 = time.perf_counter(); llm.eval(ids[:prompt_tokens]); pre.append(time.perf_counter() - t0)
llm.reset()
stamps = []
for tok in llm.generate(ids[:context], temp=0.0, top_k=1, reset=True):
    stamps.append(time.perf_counter())  # the first comes right after the prompt
    if len(stamps) == decode_tokens + 1:
        break
n, dt = len(stamps) - 1, stamps[-1] - stamps[0]
pre.sort()
print(json.dumps({"measured": True, "prefill_tokens_per_s": round(prompt_tokens / pre[1], 1),
                  "decode_tokens_per_s": round(n / dt, 1), "decode_tokens": n,
                  "decode_context": context, "threads": threads}))
"""


def llama_cpp_reference(
    decode_tokens: int, prompt_tokens: int, threads: int | None, context: int = 640
) -> dict[str, Any]:
    """The embedded GGUF under plain llama.cpp (no adapter, no grammar, llama.cpp's own
    sampler), in a process of its own that has not loaded torch."""
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        return {"measured": False, "why": "llama-cpp-python is not installed (make llamacpp)"}
    from agent.llamacpp import default_threads  # langchain: on use

    threads = threads or default_threads()
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _REFERENCE,
            str(embedded_gguf()),
            str(threads),
            str(prompt_tokens),
            str(decode_tokens),
            str(context),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        return {
            "measured": False,
            "why": f"the reference process failed (exit "
            f"{proc.returncode}): {proc.stderr.strip()[-300:]}",
        }
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.speed",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument(
        "--variants",
        nargs="+",
        default=list(VARIANTS),
        choices=VARIANTS,
        help="transformers weight types, and llamacpp (the llama.cpp backend)",
    )
    ap.add_argument("--prompt-tokens", type=int, default=800)
    ap.add_argument("--decode-tokens", type=int, default=64)
    ap.add_argument(
        "--decode-context",
        type=int,
        default=640,
        help="tokens already in the cache when decoding is timed (attention "
        "grows with them; routing prompts hold about 650)",
    )
    ap.add_argument(
        "--decisions", type=int, default=20, help="routing requests timed per weight type (0: none)"
    )
    ap.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPU threads of every variant and the reference (default: torch's "
        "for transformers, one less than the cores for llama.cpp)",
    )
    ap.add_argument("--out", default=None, help="write the report as JSON here")
    args = ap.parse_args(argv)
    cases = routing_cases(args.decisions) if args.decisions else []
    # the reference before and after the variants (the machine's speed drifted by up to a
    # third between minutes here); the ratios use the mean of the two
    refs = [
        llama_cpp_reference(
            args.decode_tokens, args.prompt_tokens, args.threads, args.decode_context
        )
    ]
    rows = []
    for variant in args.variants:
        print(f"measuring {variant} ...", file=sys.stderr)
        rows.append(
            measure(
                variant,
                args.prompt_tokens,
                args.decode_tokens,
                cases,
                threads=args.threads,
                context=args.decode_context,
            )
        )
    if refs[0].get("measured"):
        refs.append(
            llama_cpp_reference(
                args.decode_tokens, args.prompt_tokens, args.threads, args.decode_context
            )
        )
    reference = dict(refs[-1])
    if all(r.get("measured") for r in refs) and len(refs) == 2:
        for key in ("prefill_tokens_per_s", "decode_tokens_per_s"):
            reference[key] = round(statistics.mean(r[key] for r in refs), 1)
            reference[key + "_runs"] = [r[key] for r in refs]

    ref = [call_key(c) for c in rows[0]["calls"]]
    first = rows[0]["variant"]
    for r in rows:
        calls = r.pop("calls")
        r["same_calls_as_first"] = f"{sum(call_key(a) == b for a, b in zip(calls, ref))}/{len(ref)}"
    report = {"rows": rows, "llama_cpp": reference, "threads": args.threads}
    print(
        f"{'variant':10s}{'prefill tok/s':>15s}{'decode tok/s':>14s}{'(bare loop)':>13s}"
        f"{'constrained':>13s}{'decision p50/p95 s':>21s}{'same calls as ' + first:>24s}"
    )
    fmt = lambda v: f"{v:.1f}" if isinstance(v, (int, float)) else "-"  # noqa: E731
    for r in rows:
        d = r["decision_s"] or {"p50": float("nan"), "p95": float("nan")}
        print(
            f"{r['variant']:10s}{fmt(r['prefill_tokens_per_s']):>15s}"
            f"{fmt(r['decode_tokens_per_s_generate']):>14s}"
            f"{fmt(r['decode_tokens_per_s_loop']):>13s}"
            f"{fmt(r.get('decode_tokens_per_s_constrained')):>13s}"
            f"{d['p50']:>11.2f}/{d['p95']:<9.2f}{r['same_calls_as_first']:>24s}"
        )
    print("llama.cpp reference (plain, own process):", json.dumps(reference))
    ref_decode = reference.get("decode_tokens_per_s")
    for r in rows:
        if ref_decode and r.get("decode_tokens_per_s_constrained"):
            r["constrained_vs_reference"] = round(
                r["decode_tokens_per_s_constrained"] / ref_decode, 3
            )
            print(
                f"{r['variant']}: constrained decode with the adapter = "
                f"{r['constrained_vs_reference']:.2f}x the reference; "
                f"unconstrained {r['decode_tokens_per_s_generate'] / ref_decode:.2f}x"
            )
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
