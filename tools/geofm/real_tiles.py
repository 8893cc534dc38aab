"""Self-supervised training tiles cropped from the training part of real seismic lines.

The interpolation head can learn from recorded data without labels: a tile of a real
line is the target, and the same tile with some live traces hidden is the input
(``tools.geofm.data.make_batch``). Only the traces
:func:`tools.geofm.heldout.real_training_mask` allows (outside ``REAL_HELDOUT`` and its
margin) are ever cropped::

    tile, dt_ms = real_tile(np.random.default_rng(0), 64)   # (64, 64), 4.0

The lines are read once per process from ``common.paths.geofm_data()/data``: NPRA 31-81
(``segy/npra_31_81.sgy``), F3 inline 362 (``f3_inline362/export_inline362.ascii``) and
the inlines and crosslines of the F3 crop (``segy/f3_crop.sgy``) whose training part is
as wide as a tile (none at 64 traces). Without that folder, :func:`real_lines` raises
:class:`common.errors.BadInputError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from common.errors import BadInputError
from common.paths import geofm_data
from tools.fill_check import true_runs
from tools.geofm.heldout import real_training_mask
from tools.loaders import read_trace_ascii

__all__ = ["RealLine", "real_lines", "real_tile"]


@dataclass(frozen=True)
class RealLine:
    """One line's training part.

    Attributes:
        name: e.g. "npra_31_81" or "f3_crop inline 115".
        data: (n_traces, n_samples) float32 amplitudes of the whole line.
        dt_ms: sample interval in ms.
        trace_ranges: half-open [start, stop) trace index ranges a window may use.
        rms: RMS amplitude of the whole line.
    """

    name: str
    data: np.ndarray
    dt_ms: float
    trace_ranges: tuple[tuple[int, int], ...]
    rms: float


def _ranges(allowed: np.ndarray) -> tuple[tuple[int, int], ...]:
    """Runs of True in a (n,) bool array as half-open ranges."""
    return tuple((start, start + length) for start, length in true_runs(allowed))


def _line(name: str, data: np.ndarray, dt_ms: float, allowed: np.ndarray) -> RealLine:
    data = np.array(data, np.float32)  # a copy: lines of one cube share no memory
    rms = float(np.sqrt(np.mean(np.square(data, dtype=np.float64))))
    return RealLine(name, data, float(dt_ms), _ranges(allowed), rms)


@lru_cache(maxsize=4)
def _load(root: str) -> tuple[RealLine, ...]:
    import segyio

    folder = Path(root) / "data"
    lines = []
    with segyio.open(folder / "segy" / "npra_31_81.sgy", "r", ignore_geometry=True) as f:
        npra = segyio.tools.collect(f.trace[:])
        dt = segyio.tools.dt(f) / 1000.0
    lines.append(_line("npra_31_81", npra, dt, real_training_mask("npra_31_81")))
    f3, _ = read_trace_ascii(folder / "f3_inline362" / "export_inline362.ascii")
    lines.append(_line("f3_inline362", f3, 4.0, real_training_mask("f3_inline362")))
    with segyio.open(folder / "segy" / "f3_crop.sgy", "r") as f:
        cube = segyio.tools.cube(f).astype(np.float32)  # (n_il, n_xl, n_samples)
        ilines, xlines = np.asarray(f.ilines), np.asarray(f.xlines)
        dt = segyio.tools.dt(f) / 1000.0
    allowed = real_training_mask("f3_crop")  # (n_inlines, n_crosslines)
    il_ok, xl_ok = np.asarray(allowed.any(axis=1)), np.asarray(allowed.any(axis=0))
    for i in np.flatnonzero(il_ok):  # an inline: its training crosslines
        lines.append(_line(f"f3_crop inline {ilines[i]}", cube[i], dt, xl_ok))
    for j in np.flatnonzero(xl_ok):  # a crossline: its training inlines
        lines.append(_line(f"f3_crop crossline {xlines[j]}", cube[:, j], dt, il_ok))
    return tuple(lines)


def real_lines() -> tuple[RealLine, ...]:
    """The real lines' training parts, read once per process.

    Raises:
        BadInputError: the shared data folder is missing.
    """
    root = geofm_data()
    needed = [
        root / "data" / "segy" / "npra_31_81.sgy",
        root / "data" / "f3_inline362" / "export_inline362.ascii",
        root / "data" / "segy" / "f3_crop.sgy",
    ]
    missing = [str(p) for p in needed if not p.exists()]
    if missing:
        raise BadInputError(
            f"real training tiles need the shared data, missing: {', '.join(missing)}; "
            "set GEOFM_DATA to the folder that holds data/ (default ../shared), or "
            "drop 'real' from the training config's sources"
        )
    return _load(str(root))


@lru_cache(maxsize=16)
def _windows(tile: int, root: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every training window of a tile: (line index, first trace, number of time starts)."""
    line_idx, starts, n_times = [], [], []
    for i, line in enumerate(_load(root)):
        if line.data.shape[1] < tile:
            continue
        for a, b in line.trace_ranges:
            s = np.arange(a, b - tile + 1)
            line_idx.append(np.full(len(s), i))
            starts.append(s)
            n_times.append(np.full(len(s), line.data.shape[1] - tile + 1))
    if not starts:
        raise BadInputError(f"no real line has a training part of {tile} traces x {tile} samples")
    return np.concatenate(line_idx), np.concatenate(starts), np.concatenate(n_times)


def real_tile(rng: np.random.Generator, tile: int, tries: int = 20) -> tuple[np.ndarray, float]:
    """A random tile x tile window of a real line's training part, each window equally
    likely, trace order reversed half the time and polarity random. A window with a
    dead (all-zero) trace or an RMS below a tenth of its line's (muted) is drawn again.

    Returns:
        (tile, dt_ms): (tile, tile) float64 amplitudes and the sample interval in ms.
    """
    lines = real_lines()
    line_idx, starts, n_times = _windows(tile, str(geofm_data()))
    weights = n_times / n_times.sum()
    for _ in range(tries):
        w = int(rng.choice(len(starts), p=weights))
        line = lines[line_idx[w]]
        j0 = int(rng.integers(n_times[w]))
        x = line.data[starts[w] : starts[w] + tile, j0 : j0 + tile].astype(np.float64)
        live = np.all(np.any(x != 0, axis=1))
        if live and np.sqrt(np.mean(x**2)) > 0.1 * line.rms:
            break
    else:
        raise BadInputError(f"no live {tile}x{tile} window of a real line in {tries} draws")
    if rng.random() < 0.5:
        x = x[::-1]
    return x * rng.choice([-1.0, 1.0]), line.dt_ms
