"""Choose a dead-trace fill by letting each candidate restore live traces hidden on purpose.

No method of filling dead traces wins everywhere: the linear fill is exact for flat beds,
f-k POCS and f-x MSSA for dipping ones, a learned head where it has seen data like the
section. A section's own live traces can tell which one suits it: hide some of them in
gaps shaped like its dead ones, fill the section with each candidate, and keep the
candidate that restores the hidden traces best::

    check = check_fills(section, dead, {"linear": f1, "pocs": f2}, dt_ms=4.0)
    check.best, check.scores_db        # "pocs", {"linear": 14.2, "pocs": 19.8}

Each candidate is ``(section, dead, dt_ms) -> filled`` (as ``tools.interpolation.FILLS``).
The hidden traces widen the gaps a little, so the scores are a ranking, not the SNR of
the real fill. On a long record each repeat of the check fills one time window of
``CHECK_SAMPLES`` samples (all traces), the windows spread evenly down the record, so
the check costs about as much on a 6 s line as on a 1 s one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Fill",
    "FillCheck",
    "true_runs",
    "probe_mask",
    "check_windows",
    "check_fills",
    "fill_checked",
    "CHECK_SAMPLES",
]

Fill = Callable[[np.ndarray, np.ndarray, float], np.ndarray]

CHECK_SAMPLES = 256  # samples of the time window each repeat of a check fills


@dataclass(frozen=True)
class FillCheck:
    """The outcome of :func:`check_fills`.

    Attributes:
        best: the candidate that restored the hidden traces best.
        scores_db: per candidate, the SNR of the hidden traces it restored, dB (NaN when
            no trace could be hidden).
        hidden: traces hidden, over all repeats.
    """

    best: str
    scores_db: dict[str, float]
    hidden: int


def true_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, length) of each run of True in a (n,) bool array, e.g. of dead traces."""
    edges = np.diff(np.concatenate([[0], np.asarray(mask, np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [(int(s), int(e - s)) for s, e in zip(starts, ends)]


def probe_mask(dead: np.ndarray, rng: np.random.Generator, fraction: float = 0.1) -> np.ndarray:
    """Live traces to hide: runs as long as the section's own dead runs, each with a live
    trace on either side, about ``fraction`` of the live traces (at least one), never the
    first or last trace. Where every live trace touches a gap (every second trace dead),
    single live traces away from the edges.

    Returns:
        (n_traces,) bool, True = hide.
    """
    dead = np.asarray(dead, bool)
    n = len(dead)
    lengths = [length for _, length in true_runs(dead)] or [1]
    live = np.flatnonzero(~dead)
    want = max(1, int(round(fraction * len(live))))
    hide = np.zeros(n, bool)
    for _ in range(50 * want):
        if hide.sum() >= want:
            break
        length = int(rng.choice(lengths))
        start = int(rng.integers(1, max(n - length, 2)))
        lo, hi = start - 1, start + length + 1  # its flanks stay live
        if hi > n or dead[lo:hi].any() or hide[lo:hi].any():
            continue
        hide[start : start + length] = True
    if not hide.any():
        inner = live[(live > 0) & (live < n - 1)]
        if len(inner) > 2:  # keep two live traces to fill from
            hide[rng.choice(inner, size=min(want, len(inner) - 2), replace=False)] = True
    return hide


def check_windows(n_samples: int, repeats: int, window: int = CHECK_SAMPLES) -> list[slice]:
    """The time window each of ``repeats`` checks fills: the whole record when it is no
    longer than ``window`` samples, else ``window`` samples centred at (r + 1/2) /
    ``repeats`` of the record for repeat r."""
    if n_samples <= window:
        return [slice(0, n_samples)] * repeats
    starts = [round((n_samples - window) * (r + 0.5) / repeats) for r in range(repeats)]
    return [slice(s, s + window) for s in starts]


def check_fills(
    section: np.ndarray,
    dead: np.ndarray,
    fills: Mapping[str, Fill],
    dt_ms: float = 4.0,
    seed: int = 0,
    repeats: int = 2,
    fraction: float = 0.1,
    window: int = CHECK_SAMPLES,
) -> FillCheck:
    """Hide live traces of ``section`` (:func:`probe_mask`, ``repeats`` draws), fill it
    with each of ``fills`` and score how well each restores what was hidden (the SNR of
    all hidden traces over the repeats, dB); the best one wins, the first listed on a
    tie. With no live trace to spare, every score is NaN and the first candidate wins.

    Args:
        section: (n_traces, n_samples) amplitudes with the dead traces zero.
        dead: (n_traces,) bool, True = dead.
        fills: candidates, each ``(section, dead, dt_ms) -> filled``.
        dt_ms: sample interval passed to the candidates.
        seed: seeds the hidden traces, so a check repeats exactly.
        repeats: draws of hidden traces, each on its own time window.
        fraction: share of the live traces each draw hides.
        window: samples of each repeat's time window (:func:`check_windows`).
    """
    if not fills:
        raise ValueError("check_fills needs at least one candidate fill")
    dead = np.asarray(dead, bool)
    rng = np.random.default_rng(seed)
    err = dict.fromkeys(fills, 0.0)
    energy, hidden = 0.0, 0
    for span in check_windows(section.shape[-1], repeats, window):
        hide = probe_mask(dead, rng, fraction)
        if not hide.any():
            continue
        part = section[:, span]
        holed = np.where(hide[:, None], 0.0, part)
        truth = np.asarray(part[hide], np.float64)
        energy += float(np.sum(truth**2))
        hidden += int(hide.sum())
        for name, fill in fills.items():
            err[name] += float(np.sum((fill(holed, dead | hide, dt_ms)[hide] - truth) ** 2))
    names = list(fills)
    if hidden == 0 or energy == 0:
        return FillCheck(names[0], dict.fromkeys(names, float("nan")), hidden)
    scores = {k: float(10 * np.log10(energy / max(e, 1e-30))) for k, e in err.items()}
    return FillCheck(max(names, key=lambda k: scores[k]), scores, hidden)


def fill_checked(
    section: np.ndarray, dead: np.ndarray, fills: Mapping[str, Fill], dt_ms: float, seed: int = 0
) -> tuple[np.ndarray, FillCheck]:
    """The dead traces of ``section`` filled by the candidate that :func:`check_fills`
    finds best, and that check."""
    check = check_fills(section, dead, fills, dt_ms, seed=seed)
    return fills[check.best](section, dead, dt_ms), check
