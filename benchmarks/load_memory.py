"""Memory of the app under load: a sampler of its process tree and the plateau test.

``RssSampler`` polls the app process and its children (RSS, PSS, the app's own RSS, its
threads and its file-backed RSS) once a second; ``memory_report`` turns the samples of
the timed part of a run into the report's memory fields; ``plateau`` says whether a
series levels off.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np

__all__ = ["plateau", "RssSampler", "memory_report"]


def plateau(samples: list[tuple[float, float]], tolerance: float = 0.05) -> dict[str, Any]:
    """Whether memory levels off: ``samples`` are (seconds, MB) over the run. Flat when the
    second half's maximum exceeds the first half's by at most ``tolerance`` of it (or
    50 MB, the larger); the slope is a least-squares fit over the second half, MB/min."""
    if len(samples) < 4:
        return {"samples": len(samples), "flat": None}
    t = np.array([s[0] for s in samples])
    mb = np.array([s[1] for s in samples])
    mid = (t[0] + t[-1]) / 2
    first, second = mb[t < mid], mb[t >= mid]
    slope = np.polyfit(t[t >= mid] / 60, second, 1)[0] if len(second) > 1 else 0.0
    allowed = max(50.0, tolerance * first.max())
    return {
        "samples": len(samples),
        "peak_mb": round(float(mb.max()), 1),
        "first_half_max_mb": round(float(first.max()), 1),
        "second_half_max_mb": round(float(second.max()), 1),
        "second_half_slope_mb_per_min": round(float(slope), 1),
        "flat": bool(second.max() <= first.max() + allowed),
    }


class RssSampler(threading.Thread):
    """The resident memory of a process and its children, summed, every ``every`` s: RSS
    (a page shared by several processes, such as the libraries the tool workers inherit
    from their forkserver, counts once in each) and PSS (each shared page divided among
    the processes that share it: what the tree holds in all)."""

    def __init__(self, pid: int, every: float = 1.0):
        super().__init__(daemon=True)
        import psutil

        self.proc, self.every = psutil.Process(pid), every
        self.samples: list[tuple[float, float]] = []  # (monotonic s, RSS MB)
        self.pss: list[tuple[float, float]] = []  # (monotonic s, PSS MB)
        self.main: list[tuple[float, float]] = []  # (monotonic s, the app process's RSS MB)
        self.threads: list[tuple[float, int]] = []  # (monotonic s, the app process's threads)
        # (monotonic s, MB of the app process's RSS that maps files: weights, indexes, libraries)
        self.main_files: list[tuple[float, float]] = []
        self.done = threading.Event()

    def run(self) -> None:
        import psutil

        while not self.done.is_set():
            try:
                procs = [self.proc, *self.proc.children(recursive=True)]
                total = pss = main = main_files = 0
                for p in procs:
                    try:
                        info = p.memory_info()
                        total += info.rss
                        if p is self.proc:
                            main, main_files = info.rss, getattr(info, "shared", 0)
                        pss += getattr(p.memory_full_info(), "pss", 0)
                    except (psutil.NoSuchProcess, psutil.AccessDenied):
                        pass
                now = time.monotonic()
                self.samples.append((now, total / 2**20))
                self.main.append((now, main / 2**20))
                self.main_files.append((now, main_files / 2**20))
                try:
                    self.threads.append((now, self.proc.num_threads()))
                except psutil.NoSuchProcess:
                    pass
                if pss:
                    self.pss.append((now, pss / 2**20))
            except psutil.NoSuchProcess:
                return
            self.done.wait(self.every)


def memory_report(sampler: RssSampler, t_start: float, t_end: float) -> dict[str, Any]:
    """The memory fields of a load report from the samples between ``t_start`` and
    ``t_end`` (monotonic s): the tree's RSS and PSS, the app process alone, its tool
    workers (RSS minus the app's), the app's file-backed RSS and threads, and the RSS
    samples (s from ``t_start``, MB)."""

    def timed(series: list[tuple[float, float]]) -> list[tuple[float, float]]:
        return [(t - t_start, mb) for t, mb in series if t_start <= t <= t_end]

    during = timed(sampler.samples)
    rss = plateau(during)
    rss["peak_mb_with_warmup"] = round(max((mb for _, mb in sampler.samples), default=0), 1)
    pss_during = timed(sampler.pss)
    pss = plateau(pss_during) if pss_during else {}
    if pss:
        pss["peak_mb_with_warmup"] = round(max(mb for _, mb in sampler.pss), 1)
    main = timed(sampler.main)
    return {
        "rss": rss,
        "pss": pss,
        # which process grows: the app itself, or its tool workers (RSS minus the app's)
        "rss_app_process": plateau(main),
        # threads of the app process at the start, the end and most (a pool that grows
        # with requests holds stacks and per-thread caches)
        "app_threads": {
            "first": next((n for t, n in sampler.threads if t >= t_start), None),
            "last": next((n for t, n in reversed(sampler.threads) if t <= t_end), None),
            "max": max((n for _, n in sampler.threads), default=None),
        },
        "rss_app_process_file_backed": plateau(timed(sampler.main_files)),
        "rss_workers": plateau([(t, total - m) for (t, total), (_, m) in zip(during, main)]),
        "rss_samples_mb": [[round(t, 1), round(mb, 1)] for t, mb in during],
    }
