"""Seeded training tiles for the vision GeoFM, one batch per training step.

By default every tile comes from its own small section of ``tools.synthetic`` with
random folds, faults, wavelet (Ricker or Ormsby, 15-45 Hz peak), sample interval (2 or
4 ms), layer thickness, polarity and amplitude, cropped to ``tile``×``tile``::

    rng = np.random.default_rng([seed, step])        # step k is the same on every run
    b = make_batch("denoise", 32, 64, rng)
    b.inputs, b.targets                               # (B, tile, tile) float32
    b.dead, b.base                                    # (B, tile) bool; (B, tile, tile)

``sources`` mixes in other tiles, each drawn with its weight: ``"geology"`` sections of
:mod:`tools.geofm.geology` (another generator: reverse and vertical faults, unconformities,
other wavelets, band-limited) and, for interpolation only, ``"real"`` tiles of the real
lines' training part (:mod:`tools.geofm.real_tiles`; the tile itself is the target)::

    b = make_batch("interpolate", 32, 64, rng, sources={"synthetic": 0.4, "geology": 0.4,
                   "real": 0.2}, decimation=0.2)

Inputs are standardised per tile by :func:`tile_scale` (RMS over live traces), and
amplitude targets by the same factor, exactly as the tools do at inference. The
interpolation head predicts a correction to :func:`linear_fill` of its input (``base``;
defined in :mod:`tools.interpolation`, re-exported here), so it starts from the
classical answer. Section seeds are drawn below 2**31, so
benchmarks hold out seeds from 2**31 up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from common.errors import BadInputError
from tools.geofm.geology import make_geology
from tools.geofm.real_tiles import real_tile
from tools.geofm.unmigrated import unmigrated_tile
from tools.interpolation import linear_fill
from tools.synthetic import add_noise, make_section

__all__ = [
    "TASKS",
    "SOURCES",
    "TileBatch",
    "make_batch",
    "random_tile",
    "tile_sources",
    "describe_stream",
    "hidden_traces",
    "tile_scale",
    "linear_fill",
    "HELDOUT_SEED",
]

TASKS = ("pretrain", "denoise", "interpolate", "faults")
SOURCES = ("synthetic", "geology", "unmigrated", "real")  # "real": interpolate only (no target)
HELDOUT_SEED = 2**31  # section seeds >= this never occur in training
_OTHER_NOISE = ("linear", "spikes", "swell")


@dataclass(frozen=True)
class TileBatch:
    """One training batch.

    Attributes:
        inputs: (B, T, T) standardised model inputs (traces, samples).
        targets: (B, T, T) standardised clean amplitudes, or 0/1 fault labels.
        dead: (B, T) True where an input trace was zeroed (interpolation).
        base: (B, T, T) what the model's output is added to before comparing with
            ``targets``: the standardised linear fill for interpolation, else zeros.
    """

    inputs: np.ndarray
    targets: np.ndarray
    dead: np.ndarray
    base: np.ndarray


def tile_scale(tiles: np.ndarray) -> np.ndarray:
    """(B,) RMS amplitude of each (B, T, S) tile over its live (not all-zero) traces;
    1 for a tile with no live trace, so dividing by it is always safe."""
    power = np.mean(np.square(tiles, dtype=np.float64), axis=2)  # (B, T)
    live = power > 0
    n = live.sum(axis=1)
    rms = np.sqrt(power.sum(axis=1) / np.maximum(n, 1))
    return np.where((n > 0) & (rms > 0), rms, 1.0).astype(np.float32)


def tile_sources(
    task: str, sources: Mapping[str, float] | None, decimation: float = 0.0
) -> tuple[tuple[str, ...], np.ndarray] | None:
    """Checked (names, probabilities) of a source mixture for ``task``; None for None.

    Raises:
        BadInputError: unknown source, a weight that is not a number >= 0, no weight
            above 0, "real" for a task other than interpolate, or a ``decimation``
            (:func:`make_batch`) that is not a probability or not for interpolate.
    """
    if isinstance(decimation, bool) or not isinstance(decimation, int | float):
        raise BadInputError(f"decimation must be a number in [0, 1], got {decimation!r}")
    if not 0 <= decimation <= 1 or (decimation and task != "interpolate"):
        raise BadInputError(
            f"decimation is a probability in [0, 1] for the interpolate task only, "
            f"got {decimation!r} for {task}"
        )
    if sources is None:
        return None
    if not isinstance(sources, Mapping) or not sources:
        raise BadInputError(
            f"sources must map tile sources from {SOURCES} to weights, got {sources!r}"
        )
    unknown = set(sources) - set(SOURCES)
    if unknown:
        raise BadInputError(f"unknown tile sources {sorted(unknown)}; choose from {SOURCES}")
    bad = {
        k: v for k, v in sources.items() if isinstance(v, bool) or not isinstance(v, int | float)
    }
    if bad or any(not np.isfinite(v) or v < 0 for v in sources.values()):
        raise BadInputError(f"source weights must be numbers >= 0, got {dict(sources)}")
    if task != "interpolate" and sources.get("real", 0) > 0:
        raise BadInputError(
            f"'real' tiles have no {'fault labels' if task == 'faults' else 'clean target'} "
            f"for the {task} task; use them for interpolate only (drop 'real')"
        )
    names = tuple(k for k in SOURCES if sources.get(k, 0) > 0)
    if not names:
        raise BadInputError(f"at least one source weight must be > 0, got {dict(sources)}")
    w = np.array([float(sources[k]) for k in names])
    return names, w / w.sum()


def describe_stream(
    task: str,
    oversample: int = 1,
    sources: Mapping[str, float] | None = None,
    decimation: float = 0.0,
) -> str:
    """One sentence on the tiles :func:`make_batch` draws with these settings (for a
    model card)."""
    synthetic = (
        "synthetic tiles from tools.geofm.data (tools.synthetic sections: folds, "
        "faults, Ricker/Ormsby 15-45 Hz, 2/4 ms, noise), section seeds < 2**31"
        + (
            f", modelled {oversample}x finer in time (band-limited)"
            if oversample > 1
            else ", beds snapped to samples"
        )
    )
    mix = tile_sources(task, sources, decimation) or (("synthetic",), np.ones(1))
    text = {
        "synthetic": synthetic,
        "geology": "tools.geofm.geology sections (normal, reverse and vertical faults, "
        "unconformities, pinch-outs, Ricker/Ormsby/minimum-phase/band-pass 10-50 Hz, "
        "band-limited), section seeds < 2**31",
        "unmigrated": "tools.geofm.geology sections modelled as unmigrated zero-offset "
        "sections (tools.geofm.unmigrated: constant-velocity Stolt modelling, diffraction "
        "slopes 4-15 ms per trace), section seeds < 2**31",
        "real": "self-supervised tiles of the real lines outside "
        "tools.geofm.heldout.REAL_HELDOUT and its margin",
    }
    parts = [text[name] if w == 1 else f"{w:.0%} {text[name]}" for name, w in zip(*mix)]
    if decimation:
        parts.append(f"{decimation:.0%} of hidden-trace masks a regular decimation")
    return "; ".join(parts)


def random_tile(
    rng: np.random.Generator,
    tile: int,
    min_faults: int = 0,
    oversample: int = 1,
    source: str = "synthetic",
) -> tuple[np.ndarray, np.ndarray, float]:
    """One random clean tile, its fault labels and its sample interval; ``oversample``
    is :func:`tools.synthetic.make_section`'s (1: beds snapped to samples, as the
    shipped denoise and fault heads were trained; 8: band-limited).

    ``source`` "geology" draws a tile-sized :func:`tools.geofm.geology.make_geology`
    section instead (always band-limited; ``oversample`` unused), "unmigrated" a tile of
    such a section as an unmigrated zero-offset section would show it
    (:func:`tools.geofm.unmigrated.unmigrated_tile`); "real" crops a tile of
    a real line's training part (:func:`tools.geofm.real_tiles.real_tile`), whose fault
    labels are unknown and returned as zeros.

    Returns:
        (clean, fault_mask, dt_ms): (tile, tile) float64 amplitudes, (tile, tile) uint8
        labels (1 within a trace of a fault plane), dt in ms.
    """
    if source == "geology":
        dt_ms = float(rng.choice([2.0, 4.0]))
        g = make_geology(
            tile, tile, dt_ms, seed=int(rng.integers(HELDOUT_SEED)), min_faults=min_faults
        )
        return g.seismic * 10 ** rng.uniform(-2, 2), g.fault_mask, dt_ms
    if source == "unmigrated":
        d, labels, dt_ms = unmigrated_tile(
            rng, tile, seed=int(rng.integers(HELDOUT_SEED)), min_faults=min_faults
        )
        return d * 10 ** rng.uniform(-2, 2), labels, dt_ms  # polarity: make_geology
    if source == "real":
        x, dt_ms = real_tile(rng, tile)
        return x * 10 ** rng.uniform(-2, 2), np.zeros((tile, tile), np.uint8), dt_ms
    if source != "synthetic":
        raise BadInputError(f"unknown tile source {source!r}; choose one of {SOURCES}")
    dt_ms = float(rng.choice([2.0, 4.0]))
    nx = int(tile * rng.uniform(1.0, 2.0))
    nt = int(tile * rng.uniform(1.0, 2.0))
    t_len_ms = nt * dt_ms
    s = make_section(
        nx,
        nt,
        dt_ms,
        seed=int(rng.integers(HELDOUT_SEED)),
        n_layers=max(4, int(t_len_ms / 100 * rng.uniform(2.0, 10.0))),  # 10-50 ms beds
        fold_ms=rng.uniform(0.0, 40.0),
        n_faults=int(rng.integers(min_faults, 4)),
        max_throw_ms=rng.uniform(8.0, 50.0),
        wavelet=str(rng.choice(["ricker", "ormsby"], p=[0.7, 0.3])),
        peak_hz=rng.uniform(15.0, 45.0),
        oversample=oversample,
    )
    i0 = int(rng.integers(0, nx - tile + 1))
    j0 = int(rng.integers(0, nt - tile + 1))
    window = (slice(i0, i0 + tile), slice(j0, j0 + tile))
    gain = 10 ** rng.uniform(-2, 2) * rng.choice([-1.0, 1.0])  # scale and polarity
    return s.clean[window] * gain, s.fault_mask[window], dt_ms


def _noisy(
    clean: np.ndarray, rng: np.random.Generator, dt_ms: float, kind: str, snr_db: float
) -> np.ndarray:
    if not np.any(clean):
        return clean.copy()
    return add_noise(clean, kind, snr_db, seed=int(rng.integers(2**31)), dt_ms=dt_ms)[0]


def _dead_traces(rng: np.random.Generator, n: int) -> np.ndarray:
    """(n,) bool: 10-50 % of traces at random, sometimes plus a gap of 2-6 traces."""
    dead = np.zeros(n, bool)
    dead[rng.choice(n, int(round(rng.uniform(0.1, 0.5) * n)), replace=False)] = True
    if rng.random() < 0.3:
        width = int(rng.integers(2, 7))
        start = int(rng.integers(0, n - width + 1))
        dead[start : start + width] = True
    return dead


def hidden_traces(rng: np.random.Generator, n: int, decimation: float = 0.0) -> np.ndarray:
    """(n,) bool traces to hide: with probability ``decimation`` a regular decimation
    (every 2nd trace, or every 3rd trace kept or every 3rd dropped, at a random phase),
    else as the default stream (10-50 % at random, sometimes plus a run of 2-6). With
    ``decimation`` 0 the draws are exactly the default's."""
    if decimation <= 0 or rng.random() >= decimation:
        return _dead_traces(rng, n)
    step = int(rng.choice([2, 3]))
    on_step = (np.arange(n) + int(rng.integers(step))) % step == 0
    return ~on_step if step == 2 or rng.random() < 0.5 else on_step


def make_batch(
    task: str,
    batch_size: int,
    tile: int,
    rng: np.random.Generator,
    oversample: int = 1,
    sources: Mapping[str, float] | None = None,
    decimation: float = 0.0,
) -> TileBatch:
    """A batch of standardised (input, target) tiles for one task.

    Args:
        task: "pretrain" (target = input, some tiles noisy), "denoise" (white noise at
            -2 to 12 dB -> clean), "interpolate" (10-50 % zeroed traces, sometimes light
            noise -> clean) or "faults" (clean or noisy -> 0/1 fault labels).
        batch_size: tiles in the batch.
        tile: tile size in traces and samples.
        rng: the generator; one per step keeps a run reproducible and resumable.
        oversample: how finely the sections are modelled in time
            (:func:`random_tile`); the random draws are the same for any value.
        sources: tile source -> weight (:func:`tile_sources`); each tile's source is
            drawn with these weights. None, or a single source "synthetic", gives the
            default stream exactly.
        decimation: interpolate only: probability that a tile's hidden traces are a
            regular decimation (:func:`hidden_traces`); 0 keeps the default draws.
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {TASKS}")
    mix = tile_sources(task, sources, decimation)
    inputs = np.zeros((batch_size, tile, tile), np.float32)
    targets = np.zeros_like(inputs)
    dead = np.zeros((batch_size, tile), bool)
    base = np.zeros_like(inputs)
    for b in range(batch_size):
        # the linear fill fails mostly at faults, so interpolation tiles always have some
        faulted = task in ("faults", "interpolate")
        source = "synthetic"
        if mix is not None and len(mix[0]) > 1:
            source = str(rng.choice(mix[0], p=mix[1]))
        elif mix is not None:
            source = mix[0][0]
        clean, faults, dt_ms = random_tile(rng, tile, 1 if faulted else 0, oversample, source)
        x, y = clean, clean
        if task == "pretrain":
            if rng.random() < 0.5:
                kind = str(rng.choice(("random",) + _OTHER_NOISE))
                x = _noisy(clean, rng, dt_ms, kind, rng.uniform(0.0, 25.0))
            y = x
        elif task == "denoise":
            x = _noisy(clean, rng, dt_ms, "random", rng.uniform(-2.0, 12.0))
        elif task == "interpolate":
            if rng.random() < 0.3:
                x = _noisy(clean, rng, dt_ms, "random", rng.uniform(10.0, 30.0))
            dead[b] = hidden_traces(rng, tile, decimation)
            x = np.where(dead[b][:, None], 0.0, x)
            base[b] = linear_fill(x, dead[b])
        else:  # faults
            if rng.random() < 0.6:
                kind = "random" if rng.random() < 0.8 else str(rng.choice(_OTHER_NOISE))
                x = _noisy(clean, rng, dt_ms, kind, rng.uniform(0.0, 20.0))
            y = faults
        inputs[b], targets[b] = x, y
    scale = tile_scale(inputs)[:, None, None]  # (B, 1, 1)
    inputs /= scale
    base /= scale
    if task != "faults":
        targets /= scale
    return TileBatch(inputs, targets, dead, base)
