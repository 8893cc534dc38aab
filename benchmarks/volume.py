"""Chunked SEG-Y processing at scale: peak memory of every process, throughput at 1 and 2 workers.

Usage::

    .venv/bin/python -m benchmarks.volume --small                   # ~50 MB cube, ~20 s
    .venv/bin/python -m benchmarks.volume                           # 4 GB cube, 1 GB budget
    .venv/bin/python -m benchmarks.volume --size 8GB --memory-budget 2GB --op fx_decon \\
        --workdir /data/scratch --out results/volume.json

1. Writes a synthetic inline-sorted SEG-Y cube of ``--size`` (dipping Ricker reflectors
   plus noise, 4 ms, IEEE floats) under ``--workdir``, one inline at a time.
2. For each worker count, starts a local Dask cluster of worker processes, each limited
   to its share of ``--memory-budget``, and runs ``tools.volume.process_volume`` with
   the block size ``block_inlines_for`` picks for that budget.
3. Meanwhile samples the RSS of this process and of all its children (the workers) every
   50 ms with psutil, and reads each process's own kernel-kept peak (VmHWM, Linux).
4. Checks a few inlines of the output against the op run here on the same inlines.

Prints throughput (traces/s over the processing, cluster start excluded), peak RSS of
the workers together and of everything (this process holds the scheduler and writes the
output), and whether each stayed under the budget. The input has just been written,
so its reads mostly come from the page cache. Free disk for the cube and one output is
checked first; the files are deleted at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from common.errors import GeoFMError
from tools.segy_blocks import read_inlines
from tools.volume import (
    Block,
    block_inlines_for,
    dask_client,
    process_volume,
    run_block,
    volume_info,
)
from tools.volume_ops import make_op

SMALL = dict(size="48MB", memory_budget="1GB", crosslines=200, samples=500)


def write_cube(
    path: Path,
    size_bytes: int,
    n_crosslines: int,
    n_samples: int,
    dt_ms: float = 4.0,
    seed: int = 0,
) -> tuple[int, int, int]:
    """A synthetic inline-sorted cube of about ``size_bytes``, written inline by inline;
    returns its shape (n_inlines, n_crosslines, n_samples)."""
    import segyio
    from scipy.signal import fftconvolve

    n_il = max(2, round(size_bytes / (n_crosslines * (240 + 4 * n_samples))))
    spec = segyio.spec()
    spec.iline, spec.xline, spec.format, spec.sorting = 189, 193, 5, 2
    spec.samples = np.arange(n_samples) * dt_ms
    spec.ilines, spec.xlines = np.arange(1000, 1000 + n_il), np.arange(2000, 2000 + n_crosslines)
    t = np.arange(-32, 33) * dt_ms / 1000.0  # a 25 Hz Ricker (no pylops: keeps RSS low)
    wavelet = (1 - 2 * (np.pi * 25.0 * t) ** 2) * np.exp(-((np.pi * 25.0 * t) ** 2))
    rng = np.random.default_rng(seed)
    t0 = rng.uniform(0.05, 0.95, 12) * n_samples  # reflector times at inline 0, xline 0
    dip_xl, dip_il = rng.uniform(-0.3, 0.3, 12), rng.uniform(-0.3, 0.3, 12)  # samples/line
    amp = rng.choice([-1.0, 1.0], 12) * rng.uniform(0.3, 1.0, 12)
    xl = np.arange(n_crosslines)
    with segyio.create(str(path), spec) as f:
        f.bin.update(
            {segyio.BinField.Interval: int(dt_ms * 1000), segyio.BinField.Samples: n_samples}
        )
        for i in range(n_il):
            refl = np.zeros((n_crosslines, n_samples), np.float32)
            for k in range(12):
                it = np.round(t0[k] + dip_xl[k] * xl + dip_il[k] * i).astype(int) % n_samples
                refl[xl, it] += amp[k]
            panel = fftconvolve(refl, wavelet[None, :], mode="same", axes=1)
            panel += 0.2 * np.random.default_rng([seed, i]).standard_normal(panel.shape)
            base = i * n_crosslines
            for j in range(n_crosslines):
                f.header[base + j] = {
                    segyio.su.iline: 1000 + i,
                    segyio.su.xline: 2000 + j,
                    segyio.su.cdpx: 2500 * j,
                    segyio.su.cdpy: 2500 * i,
                    segyio.su.scalco: -100,
                    segyio.su.ns: n_samples,
                    segyio.su.dt: int(dt_ms * 1000),
                }
            f.trace[base : base + n_crosslines] = panel.astype(np.float32)
    return n_il, n_crosslines, n_samples


class RssMonitor:
    """Samples the RSS of this process and its children every ``interval`` s; keeps each
    process's kernel peak (VmHWM) too."""

    def __init__(self, interval: float = 0.05):
        import psutil

        self.me = psutil.Process()
        self.interval = interval
        self.peak_total = self.peak_children = self.peak_self = 0
        self.hwm: dict[int, tuple[str, int]] = {}  # pid -> (role, peak bytes)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "RssMonitor":
        _reset_hwm()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def sample(self) -> None:
        import psutil

        me = self.me.memory_info().rss
        kids = 0
        for p in self.me.children(recursive=True):
            try:
                kids += p.memory_info().rss
                self.hwm[p.pid] = ("child", max(_hwm(p.pid), self.hwm.get(p.pid, ("", 0))[1]))
            except psutil.NoSuchProcess:
                pass
        self.hwm[self.me.pid] = ("self", _hwm(self.me.pid))
        self.peak_self = max(self.peak_self, me)
        self.peak_children = max(self.peak_children, kids)
        self.peak_total = max(self.peak_total, me + kids)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)


def _hwm(pid: int) -> int:
    """Peak RSS the kernel recorded for ``pid`` (VmHWM), bytes; 0 where unavailable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _reset_hwm() -> None:
    """Restart this process's VmHWM (Linux: clear_refs 5), so generation does not count."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def run_once(info, op_name: str, op_args: dict, out: Path, workers: int, budget: str) -> dict:
    op = make_op(op_name, info, op_args)
    n = block_inlines_for(info, op, budget, workers)
    with RssMonitor() as mon:
        with dask_client("local", workers, budget) as client:
            report = process_volume(info, out, op, client, block_inlines=n)
            mon.sample()  # the workers' last peaks, before they exit
    kids = [v for role, v in mon.hwm.values() if role == "child"]
    return {
        "workers": workers,
        "block_inlines": n,
        "n_blocks": report.n_blocks,
        "seconds": report.seconds,
        "traces_per_s": report.traces_per_s,
        "mb_per_s": info.n_inlines * info.inline_bytes / report.seconds / 1e6,
        "peak_rss_workers_sampled": mon.peak_children,
        "peak_rss_total_sampled": mon.peak_total,
        "peak_rss_self_sampled": mon.peak_self,
        "vmhwm_self": mon.hwm.get(os.getpid(), ("", 0))[1],
        "vmhwm_children_max": max(kids, default=0),
        "vmhwm_children_sum": sum(kids),
        "n_children": len(kids),
    }


def verify(info, out_path: Path, op_name: str, op_args: dict) -> float:
    """Largest |difference| between the output and the op run here, on 3 inlines."""
    op = make_op(op_name, info, op_args)
    out_info = volume_info(out_path)
    worst = 0.0
    for p in sorted({0, info.n_inlines // 2, info.n_inlines - 1}):
        block = Block(p, p + 1, max(p - op.halo, 0), min(p + 1 + op.halo, info.n_inlines))
        here = run_block(op, info, block)
        worst = max(worst, float(np.max(np.abs(here - read_inlines(out_info, p, p + 1)))))
    return worst


def default_args(op_name: str, info, run_dir: Path) -> dict:
    """Arguments an op cannot run without, made up for the benchmark: invert_impedance
    gets a background impedance log rising linearly with time (.npy beside the cube)."""
    if op_name != "invert_impedance":
        return {}
    log = np.linspace(4.0e6, 9.0e6, info.n_samples)  # (m/s)*(kg/m3)
    path = run_dir / "background_log.npy"
    np.save(path, log)
    return {"background_log": str(path)}


def bench_op(
    info, op_name: str, op_args: dict, workers: list[int], budget: str, run_dir: Path
) -> dict:
    """Run ``op_name`` over the cube at each worker count, print and return the figures:
    throughput, peak RSS against ``budget``, and the output checked against the op run
    here (outputs are deleted as soon as they are checked)."""
    from dask.utils import format_bytes, parse_bytes

    budget_bytes = parse_bytes(budget)
    op_args = {**default_args(op_name, info, run_dir), **op_args}
    runs = []
    for w in workers:
        out = run_dir / f"out_{op_name}_{w}.sgy"
        r = run_once(info, op_name, op_args, out, w, budget)
        r["max_abs_diff_vs_in_memory"] = verify(info, out, op_name, op_args)
        r["workers_under_budget"] = r["peak_rss_workers_sampled"] <= budget_bytes
        r["all_under_budget"] = r["peak_rss_total_sampled"] <= budget_bytes
        runs.append(r)
        out.unlink()
        print(
            f"\n{op_name}, workers {w}: {r['n_blocks']} blocks of {r['block_inlines']} "
            f"inlines, {r['seconds']:.1f} s, {r['traces_per_s']:.0f} traces/s "
            f"({r['mb_per_s']:.1f} MB/s of samples)"
        )
        print(
            f"  peak RSS, workers together (sampled): "
            f"{format_bytes(r['peak_rss_workers_sampled'])} -> "
            f"{'under' if r['workers_under_budget'] else 'OVER'} the "
            f"{format_bytes(budget_bytes)} budget"
        )
        print(
            f"  peak RSS, all processes (sampled):    "
            f"{format_bytes(r['peak_rss_total_sampled'])} -> "
            f"{'under' if r['all_under_budget'] else 'OVER'} the budget (this "
            f"process: {format_bytes(r['peak_rss_self_sampled'])}, scheduler + writer)"
        )
        print(
            f"  kernel peaks (VmHWM): largest worker "
            f"{format_bytes(r['vmhwm_children_max'])}, sum of {r['n_children']} "
            f"children {format_bytes(r['vmhwm_children_sum'])}, this process "
            f"{format_bytes(r['vmhwm_self'])}"
        )
        print(
            f"  output vs the op run in memory on 3 inlines: max |diff| "
            f"{r['max_abs_diff_vs_in_memory']:.3g}",
            flush=True,
        )
    result = {
        "op": op_name,
        "args": op_args,
        "n_traces": info.n_traces,
        "budget_bytes": budget_bytes,
        "cpu_count": os.cpu_count(),
        "runs": runs,
    }
    if len(runs) == 2:
        result["speedup"] = runs[1]["traces_per_s"] / runs[0]["traces_per_s"]
        print(
            f"\nspeed-up {runs[1]['workers']} vs {runs[0]['workers']} workers: "
            f"{result['speedup']:.2f}x"
        )
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", default="4GB", help="SEG-Y file size to generate (default 4GB)")
    p.add_argument(
        "--memory-budget",
        default="1GB",
        help="memory of the whole run, workers and this process (default 1GB)",
    )
    p.add_argument(
        "--op",
        default="bandpass",
        help="operation (geofm volume list); default bandpass, whose cost is "
        "mostly I/O, so the table shows the chunked path's own overhead",
    )
    p.add_argument("--args", default="{}", help="operation arguments, JSON")
    p.add_argument("--workers", default="1,2", help="worker counts to run (default 1,2)")
    p.add_argument("--crosslines", type=int, default=1000, help="crosslines per inline")
    p.add_argument("--samples", type=int, default=1000, help="samples per trace (4 ms)")
    p.add_argument("--workdir", default=tempfile.gettempdir(), help="where the files go")
    p.add_argument(
        "--small",
        action="store_true",
        help=f"quick run: {SMALL['size']} cube, {SMALL['crosslines']} crosslines "
        f"x {SMALL['samples']} samples",
    )
    p.add_argument("--keep", action="store_true", help="keep the generated files")
    p.add_argument("--out", default=None, help="also write the results as JSON")
    args = p.parse_args(argv)
    if args.small:
        args.size, args.crosslines, args.samples = (
            SMALL["size"],
            SMALL["crosslines"],
            SMALL["samples"],
        )
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # the workers inherit it

    import distributed  # noqa: F401  (configures its loggers; quieted below)
    from dask.utils import format_bytes, parse_bytes

    logging.getLogger("distributed").setLevel(logging.ERROR)
    size, budget = parse_bytes(args.size), parse_bytes(args.memory_budget)
    workdir = Path(args.workdir).expanduser()
    workdir.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(workdir).free
    if free < 2 * size + 2**30:
        print(
            f"only {format_bytes(free)} free in {workdir}; the cube and one output need "
            f"{format_bytes(2 * size + 2**30)}. Use --workdir or a smaller --size."
        )
        return 1
    run_dir = Path(tempfile.mkdtemp(prefix="geofm-volume-bench-", dir=workdir))
    src = run_dir / "cube.sgy"
    print(
        f"# Chunked volume benchmark: {args.op} {args.args}, budget "
        f"{format_bytes(budget)}, {os.cpu_count()} CPU cores"
    )
    print(f"disk free in {workdir}: {format_bytes(free)}")
    try:
        t0 = time.perf_counter()
        shape = write_cube(src, size, args.crosslines, args.samples)
        gen_s = time.perf_counter() - t0
        info = volume_info(src)
        print(
            f"generated {src.name}: {shape[0]}x{shape[1]}x{shape[2]} "
            f"({info.n_traces} traces), {format_bytes(src.stat().st_size)} in {gen_s:.0f} s"
        )
        try:
            result = bench_op(
                info,
                args.op,
                json.loads(args.args),
                [int(x) for x in args.workers.split(",")],
                args.memory_budget,
                run_dir,
            )
        except GeoFMError as e:
            print(f"error: {e}")
            return 1
        result.update(size_bytes=src.stat().st_size, shape=list(shape), generate_s=gen_s)
        if args.out:
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            Path(args.out).write_text(json.dumps(result, indent=1))
    finally:
        if not args.keep:
            shutil.rmtree(run_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
