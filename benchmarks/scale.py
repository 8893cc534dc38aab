"""Speed and scale in one run: every figure issue #9 asks for, side by side.

Usage::

    .venv/bin/python -m benchmarks.scale --out results/scale.json   # ~30 min, 2 quiet cores
    .venv/bin/python -m benchmarks.scale --quick                    # small sizes, ~5 min

Runs the other benchmark scripts, each in a process of its own (so one's models and
memory never count in another's figures), reads their JSON reports and prints one
summary against the targets:

1. ``benchmarks.speed``: prefill and decode tokens/s of transformers (float32, int8) and
   of the llama.cpp backend (adapter and grammar on), plain llama.cpp as the reference,
   routing-decision latency, and whether the variants make the same calls.
2. ``benchmarks.retrieval``: query latency at ``--chunks`` (default 100k) chunks.
3. ``benchmarks.volume``: traces/s of f-x decon, GeoFM denoise and post-stack inversion
   on a ``--throughput-size`` cube at 1 and 2 workers.
4. ``benchmarks.volume``: peak RSS of bandpassing a ``--size`` cube (default 4 GB) under
   ``--memory-budget`` (default 1 GB) at 1 and 2 workers.

Wall times depend on what else the machine runs; run it on quiet cores.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["main", "summary"]

THROUGHPUT_OPS = ("fx_decon", "geofm_denoise", "invert_impedance")


def _run(module: str, args: list[str], out: Path) -> dict[str, Any]:
    """``python -m module args --out out``; its report, or why there is none."""
    cmd = [sys.executable, "-m", module, *args, "--out", str(out)]
    print(f"\n$ {' '.join(cmd[1:])}", flush=True)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd)
    if proc.returncode != 0 or not out.exists():
        return {"failed": f"{module} exited with {proc.returncode}"}
    report = json.loads(out.read_text())
    report["wall_s"] = round(time.perf_counter() - t0, 1)
    return report


def summary(
    speed: dict, retrieval: dict, throughput: dict[str, dict], big: dict
) -> list[tuple[str, str, str]]:
    """(figure, measured, target) rows from the scripts' reports."""
    rows: list[tuple[str, str, str]] = []
    ref = speed.get("llama_cpp", {})
    ref_decode = ref.get("decode_tokens_per_s")
    for r in speed.get("rows", []):
        d = r.get("decision_s") or {}
        rows.append(
            (
                f"{r['variant']}: decode tokens/s (unconstrained)",
                f"{r['decode_tokens_per_s_generate']}",
                "",
            )
        )
        if r.get("decode_tokens_per_s_constrained"):
            ratio = (
                f" = {r['constrained_vs_reference']:.2f}x llama.cpp"
                if r.get("constrained_vs_reference")
                else ""
            )
            rows.append(
                (
                    f"{r['variant']}: decode tokens/s, adapter + grammar",
                    f"{r['decode_tokens_per_s_constrained']}{ratio}",
                    ">= 1.0x llama.cpp",
                )
            )
        rows.append(
            (
                f"{r['variant']}: routing decision p50 / p95 s",
                f"{d.get('p50')} / {d.get('p95')}",
                "p50 <= 1.5 s",
            )
        )
        rows.append(
            (
                f"{r['variant']}: same calls as {speed['rows'][0]['variant']}",
                r.get("same_calls_as_first", "-"),
                "",
            )
        )
    rows.append(
        (
            "llama.cpp reference: decode tokens/s",
            str(ref_decode) if ref_decode else f"not measured ({ref.get('why')})",
            "",
        )
    )
    for row in (retrieval.get("latency") or {}).values():
        if isinstance(row, dict) and "hybrid" in row:
            rows.append(
                (
                    f"retrieval at {row['chunks']} chunks: hybrid query p50 / p95 ms",
                    f"{row['hybrid']['e2e_p50_ms']} / {row['hybrid']['e2e_p95_ms']}",
                    "",
                )
            )
    for op, rep in throughput.items():
        runs = rep.get("runs") or []
        if runs:
            rates = " / ".join(f"{r['traces_per_s']:.0f}" for r in runs)
            rows.append(
                (
                    f"{op}: traces/s at {', '.join(str(r['workers']) for r in runs)} workers",
                    f"{rates} ({rep.get('speedup', 0):.2f}x)",
                    "grows with workers",
                )
            )
        else:
            rows.append((f"{op}: throughput", rep.get("failed", "no runs"), ""))
    for r in big.get("runs") or []:
        rows.append(
            (
                f"bandpass {big['size_bytes'] / 1e9:.1f} GB cube, {r['workers']} workers: "
                "peak RSS of all processes",
                f"{r['peak_rss_total_sampled'] / 1e6:.0f} MB of {big['budget_bytes'] / 1e6:.0f} MB",
                "under the budget",
            )
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.scale",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument(
        "--quick", action="store_true", help="small sizes: 10k chunks, 48 MB cubes, 5 decisions"
    )
    ap.add_argument("--variants", nargs="+", default=["float32", "int8", "llamacpp"])
    ap.add_argument("--decisions", type=int, default=20)
    ap.add_argument("--chunks", type=int, default=100_000)
    ap.add_argument("--throughput-size", default="200MB")
    ap.add_argument("--size", default="4GB")
    ap.add_argument("--memory-budget", default="1GB", help="budget of the big-cube run")
    ap.add_argument(
        "--throughput-budget",
        default="3GB",
        help="budget of the throughput runs (GeoFM on 2 workers needs about 2.2 GB)",
    )
    ap.add_argument("--threads", type=int, default=2, help="LLM threads (speed part)")
    ap.add_argument("--out", default=None, help="write every report and the summary here")
    args = ap.parse_args(argv)
    if args.quick:
        args.decisions, args.chunks = 5, 10_000
        args.throughput_size = args.size = "48MB"
    with tempfile.TemporaryDirectory(prefix="geofm-scale-") as tmp_dir:
        tmp = Path(tmp_dir)
        speed = _run(
            "benchmarks.speed",
            [
                "--variants",
                *args.variants,
                "--decisions",
                str(args.decisions),
                "--threads",
                str(args.threads),
            ],
            tmp / "speed.json",
        )
        retrieval = _run(
            "benchmarks.retrieval",
            ["--sizes", str(args.chunks), "--filler", "gaussian", "--torch-threads", "1"],
            tmp / "retrieval.json",
        )
        throughput = {
            op: _run(
                "benchmarks.volume",
                [
                    "--op",
                    op,
                    "--size",
                    args.throughput_size,
                    "--memory-budget",
                    args.throughput_budget,
                    "--crosslines",
                    "200",
                    "--samples",
                    "500",
                ],
                tmp / f"volume_{op}.json",
            )
            for op in THROUGHPUT_OPS
        }
        big = _run(
            "benchmarks.volume",
            ["--op", "bandpass", "--size", args.size, "--memory-budget", args.memory_budget],
            tmp / "volume_big.json",
        )
    rows = summary(speed, retrieval, throughput, big)
    print("\n## Speed and scale, measured in this run")
    width = max(len(r[0]) for r in rows)
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:<28}  {target}")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(
            json.dumps(
                {
                    "speed": speed,
                    "retrieval": retrieval,
                    "throughput": throughput,
                    "big": big,
                    "summary": rows,
                    "args": vars(args),
                },
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
