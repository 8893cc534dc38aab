"""What the vision GeoFM is judged on and training must leave alone: held-out synthetic
sections, the held-out windows of the real lines, frozen dead-trace masks, fault-mask F1.

``benchmarks.geofm`` scores the heads on sections with seeds from ``HELDOUT_SEED`` up;
``finetune.geofm_calibrate`` picks the fault threshold on sections modelled the same way
with later seeds. Training never draws these seeds (``tools.geofm.data``).

Real lines (``REAL_HELDOUT``): the last third of NPRA 31-81 and of F3 inline 362, and
four inlines and four crosslines of the F3 crop, are held out; training may read only
the traces :func:`real_training_mask` allows, which keeps a margin of traces (lines, in
the crop) between them and any held-out one::

    windows = real_heldout_windows()          # needs $GEOFM_DATA/data
    w = windows[0]; w.data, w.masks["runs"]   # (n_traces, n_samples), (n_traces,) bool
    ok = real_training_mask("npra_31_81")     # (534,) bool, True where training may read
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy.ndimage import binary_dilation

from tools.synthetic import SyntheticSection, add_noise, make_section

__all__ = [
    "HELDOUT_OVERSAMPLE",
    "held_out_section",
    "fault_inputs",
    "f1_scores",
    "MASK_SEED",
    "dead_trace_masks",
    "REAL_HELDOUT",
    "RealWindow",
    "real_heldout_layout",
    "real_heldout_windows",
    "real_training_mask",
]

# held-out sections are modelled this many times finer in time (make_section's oversample)
HELDOUT_OVERSAMPLE = 8


def held_out_section(
    seed: int, k: int, size: tuple[int, int], oversample: int = HELDOUT_OVERSAMPLE
) -> SyntheticSection:
    """The ``k``-th evaluation section (4 ms) with section seed ``seed``: peak frequency
    20/30/40 Hz and 2 or 3 faults in turn (``tools.synthetic.make_section``), modelled
    ``oversample`` times finer in time (8: band-limited like recorded data; 1: the
    sample-snapped beds of the figures before 2026-12-02)."""
    return make_section(
        *size,
        4.0,
        seed=seed,
        peak_hz=(20.0, 30.0, 40.0)[k % 3],
        n_faults=2 + k % 2,
        oversample=oversample,
    )


def fault_inputs(section: SyntheticSection, seed: int) -> tuple[tuple[str, np.ndarray], ...]:
    """The inputs faults are scored on: the clean section, and with 10 dB random noise."""
    return (
        ("clean", section.clean),
        ("10 dB", add_noise(section.clean, "random", 10.0, seed=seed + 1)[0]),
    )


def f1_scores(
    prob: np.ndarray, labels: np.ndarray, threshold: float = 0.5, tolerance: int = 2
) -> tuple[float, float]:
    """(pixel F1, F1 where a hit within ``tolerance`` traces counts) of fault masks."""
    pred, true = prob > threshold, labels > 0
    tp = np.sum(pred & true)
    pixel = 2 * tp / max(pred.sum() + true.sum(), 1)
    grow = np.ones((2 * tolerance + 1, 1), bool)  # along traces only
    precision = np.sum(pred & binary_dilation(true, grow)) / max(pred.sum(), 1)
    recall = np.sum(true & binary_dilation(pred, grow)) / max(true.sum(), 1)
    tol = 2 * precision * recall / max(precision + recall, 1e-12)
    return float(pixel), float(tol)


# Dead-trace masks of the frozen evaluation sets (benchmarks.geofm_sections and the real
# windows below) come from generators seeded with this, then the set's own numbers.
MASK_SEED = 20261205


def dead_trace_masks(n_traces: int, seed: int | list[int]) -> dict[str, np.ndarray]:
    """Three kinds of dead traces for a section of ``n_traces``, each (n_traces,) bool
    (True = dead); the first and last traces are always live.

    - ``random30``: 30 % of the traces (rounded), at random, no two adjacent (each gap
      is one trace wide); every such choice is equally likely.
    - ``runs``: runs of 2-6 adjacent dead traces (lengths uniform), 30 % of the traces in
      all (rounded), at least 2 live traces between runs, gaps placed at random.
    - ``decimate``: every third trace dead (indices 2, 5, 8, ...): 33 %, regular.

    Args:
        n_traces: traces in the section (at least 8).
        seed: seed (or seed sequence) of ``numpy.random.default_rng``.
    """
    if n_traces < 8:
        raise ValueError(f"dead-trace masks need at least 8 traces, got {n_traces}")
    rng = np.random.default_rng(seed)
    n_dead = int(round(0.3 * n_traces))
    # random30: k of the n - 2 inner traces, none adjacent: choose k of n - 2 - (k - 1)
    # slots, then open a one-trace gap after each
    slots = np.sort(rng.choice(n_traces - 2 - (n_dead - 1), n_dead, replace=False))
    single = np.zeros(n_traces, bool)
    single[slots + np.arange(n_dead) + 1] = True
    lengths: list[int] = []
    while sum(lengths) < n_dead:
        lengths.append(int(rng.integers(2, 7)))
    while sum(lengths) > n_dead:  # trim the overshoot of the last draw
        long = [i for i, n in enumerate(lengths) if n > 2]
        if long:
            lengths[long[int(rng.integers(len(long)))]] -= 1
        else:
            lengths.pop()
            if sum(lengths) < n_dead:  # an odd count: one run of 3
                lengths[0] += 1
    # live gaps: 1 at each end, 2 between runs at least; the spare ones spread at random
    spare = n_traces - sum(lengths) - 2 - 2 * (len(lengths) - 1)
    gaps = np.r_[1, np.full(len(lengths) - 1, 2), 1] + rng.multinomial(
        max(spare, 0), np.full(len(lengths) + 1, 1 / (len(lengths) + 1))
    )
    runs = np.zeros(n_traces, bool)
    at = 0
    for gap, length in zip(gaps, lengths):
        at += int(gap)
        runs[at : at + length] = True
        at += length
    decimate = np.zeros(n_traces, bool)
    decimate[2 : n_traces - 1 : 3] = True
    return {"random30": single, "runs": runs, "decimate": decimate}


# Real lines held out from any training (files under $GEOFM_DATA/data). Trace ranges are
# [start, stop) positions in the file's trace order; ``margin`` traces (crop: lines) on
# the near side of each held-out one are left out of training too.
REAL_HELDOUT: dict[str, dict[str, Any]] = {
    "npra_31_81": {
        "file": "segy/npra_31_81.sgy",
        "n_traces": 534,
        "heldout_traces": (356, 534),  # the last third
        "margin": 8,
    },
    "f3_inline362": {
        "file": "f3_inline362/export_inline362.ascii",
        "n_traces": 951,  # crosslines 300-1250
        "heldout_traces": (634, 951),  # crosslines 934-1250, the last third
        "margin": 8,
    },
    "f3_crop": {
        "file": "segy/f3_crop.sgy",
        "inlines": (111, 133),  # inclusive ranges of the 23 x 18 x 75 crop
        "crosslines": (875, 892),
        "heldout_inlines": (130, 131, 132, 133),
        "heldout_crosslines": (889, 890, 891, 892),
        "margin": 2,
    },
}


@dataclass(frozen=True)
class RealWindow:
    """A held-out window of a real line.

    Attributes:
        name: e.g. "npra_31_81[356:534]", "f3_crop_inline130".
        source: the key of ``REAL_HELDOUT`` it comes from.
        traces: (n_traces,) positions of its traces in the line (crop: crossline or
            inline numbers).
        data: (n_traces, n_samples) float32 amplitudes, all samples of the file (None
            from :func:`real_heldout_layout`).
        dt_ms: sample interval, ms.
        masks: ``random30`` and ``runs`` dead traces (:func:`dead_trace_masks`, seeded
            with ``[MASK_SEED, crc32(name)]``), each (n_traces,) bool.
    """

    name: str
    source: str
    traces: np.ndarray
    data: np.ndarray | None
    dt_ms: float
    masks: dict[str, np.ndarray]


def _window(name: str, source: str, traces: np.ndarray) -> RealWindow:
    masks = dead_trace_masks(len(traces), [MASK_SEED, zlib.crc32(name.encode())])
    kept = {k: masks[k] for k in ("random30", "runs")}
    return RealWindow(name, source, np.asarray(traces), None, 4.0, kept)


def real_heldout_layout() -> list[RealWindow]:
    """The held-out windows without their data (names, trace positions, masks)."""
    out = []
    for source in ("npra_31_81", "f3_inline362"):
        start, stop = REAL_HELDOUT[source]["heldout_traces"]
        out.append(_window(f"{source}[{start}:{stop}]", source, np.arange(start, stop)))
    crop = REAL_HELDOUT["f3_crop"]
    xl = np.arange(crop["crosslines"][0], crop["crosslines"][1] + 1)
    il = np.arange(crop["inlines"][0], crop["inlines"][1] + 1)
    out += [_window(f"f3_crop_inline{n}", "f3_crop", xl) for n in crop["heldout_inlines"]]
    out += [_window(f"f3_crop_crossline{n}", "f3_crop", il) for n in crop["heldout_crosslines"]]
    return out


def real_heldout_windows(data_root: str | Path | None = None) -> list[RealWindow]:
    """The held-out windows of the real lines with their amplitudes.

    Args:
        data_root: the folder holding ``segy/`` and ``f3_inline362/`` (default
            ``$GEOFM_DATA/data``, see ``common.paths.geofm_data``).

    Raises:
        FileNotFoundError: the real data are not there (a fresh clone has none).
    """
    from common.paths import geofm_data
    from tools.loaders import read_trace_ascii
    from tools.segy import read_segy_array

    root = Path(data_root) if data_root is not None else geofm_data() / "data"
    for spec in REAL_HELDOUT.values():
        if not (root / spec["file"]).is_file():
            raise FileNotFoundError(
                f"{root / spec['file']} is absent; set GEOFM_DATA to the folder whose "
                "data/ holds the shared real lines"
            )
    out = []
    for w in real_heldout_layout():
        spec = REAL_HELDOUT[w.source]
        path = root / spec["file"]
        if w.source == "f3_crop":
            number = int(w.name.rsplit("line", 1)[1])
            key = "inline" if "_inline" in w.name else "crossline"
            data = read_segy_array(path, **{key: number})[0]
        else:
            reader = read_segy_array if w.source == "npra_31_81" else read_trace_ascii
            line = reader(path)[0]
            if line.shape[0] != spec["n_traces"]:
                raise ValueError(f"{path} has {line.shape[0]} traces, not {spec['n_traces']}")
            data = line[w.traces]
        out.append(replace(w, data=np.asarray(data, np.float32)))
    return out


def real_training_mask(source: str) -> np.ndarray:
    """Which traces of a real line training may read: True where allowed.

    Args:
        source: a key of ``REAL_HELDOUT``.

    Returns:
        (n_traces,) bool for a line; (n_inlines, n_crosslines) bool for ``f3_crop``. A
        trace is allowed when it is more than ``margin`` traces (crop: lines) from every
        held-out one.
    """
    spec = REAL_HELDOUT[source]
    if source == "f3_crop":
        il = np.arange(spec["inlines"][0], spec["inlines"][1] + 1)
        xl = np.arange(spec["crosslines"][0], spec["crosslines"][1] + 1)
        far_il = np.all(np.abs(il[:, None] - np.array(spec["heldout_inlines"])) > spec["margin"], 1)
        far_xl = np.all(
            np.abs(xl[:, None] - np.array(spec["heldout_crosslines"])) > spec["margin"], 1
        )
        return far_il[:, None] & far_xl[None, :]
    start, stop = spec["heldout_traces"]
    idx = np.arange(spec["n_traces"])
    return (idx < start - spec["margin"]) | (idx >= stop + spec["margin"])
