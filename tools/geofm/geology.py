"""A second generator of training sections for the vision GeoFM, built apart from
``tools.synthetic``: horizons, relative geologic time, faults as displacements, and
seismic band-limited from a fine time grid::

    s = make_geology(64, 64, dt_ms=4.0, seed=0)
    s.seismic, s.impedance, s.rgt, s.fault_mask   # (n_traces, n_samples)
    s.faults                                      # tuple[Fault, ...], oldest first

The model is a relative geologic time (RGT) field on a 0.5 ms grid: horizons are smooth
random curves (folds and dips that change with depth, wedges, pinch-outs), an angular
unconformity truncates a tilted older package under a younger one, and normal, reverse
and vertical faults move their hanging walls along planes dipping 55-90 degrees.
Impedance follows the layer of each RGT value; reflectivity is taken on the fine grid
with each interface at its exact crossing time, convolved with a Ricker, Ormsby,
minimum-phase or zero-phase band-pass wavelet in the frequency domain, cut by an
anti-alias taper and decimated to ``dt_ms``, so no boundary snaps to a sample.
Fault labels follow ``tools.synthetic``: 1 on traces within one trace of a fault plane,
at each output sample's time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.ndimage import map_coordinates

from common.errors import BadInputError

__all__ = [
    "FAULT_KINDS",
    "WAVELET_KINDS",
    "FINE_DT_MS",
    "Fault",
    "GeologySection",
    "make_geology",
    "rgt_from_horizons",
    "wavelet_spectrum",
    "band_limited",
]

FAULT_KINDS = ("normal", "reverse", "vertical")
WAVELET_KINDS = ("ricker", "ormsby", "minimum_phase", "bandpass")
FINE_DT_MS = 0.5  # the modelling grid: a boundary sits within 1/8 of a 4 ms sample
_WAVELET_PAD_MS = 80.0  # events this far outside the window still reach it


@dataclass(frozen=True)
class Fault:
    """One planar fault; times in ms, positions in traces, in the frame it was applied.

    Attributes:
        kind: "normal" (hanging wall down), "reverse" (up) or "vertical".
        x0: trace where the plane passes at time ``t0_ms``.
        t0_ms: two-way time of that point.
        slope: traces per ms along the plane; its sign is the dip direction (0: vertical).
        dip_deg: dip of the plane in depth, 55-90 degrees.
        throw_ms: vertical offset at ``t0_ms``; > 0 moves the hanging wall down.
        side: +1 if the hanging (or down-thrown) wall is at larger trace numbers, else -1.
        gradient: relative change of throw over ``length_ms`` (throw grows or dies with
            time), the factor kept within 0.5-1.5.
        drag: fraction of the throw lost right at the plane (normal drag), decaying over
            ``drag_width`` traces into the hanging wall.
        drag_width: traces.
        length_ms: the time span ``gradient`` refers to (the section's length).
        early: cut by the angular unconformity (older than it).
    """

    kind: str
    x0: float
    t0_ms: float
    slope: float
    dip_deg: float
    throw_ms: float
    side: int
    gradient: float
    drag: float
    drag_width: float
    length_ms: float
    early: bool

    def plane(self, t_ms: np.ndarray) -> np.ndarray:
        """Trace position of the plane at two-way times ``t_ms``."""
        return self.x0 + self.slope * (t_ms - self.t0_ms)

    def undo(self, x: np.ndarray, t_ms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where the points (x, t) were before the fault moved: the hanging wall slid
        along the plane, so its points came from (x - slope * throw, t - throw)."""
        offset = x - self.plane(t_ms)
        factor = np.clip(1 + self.gradient * (t_ms - self.t0_ms) / self.length_ms, 0.5, 1.5)
        throw = self.throw_ms * factor * (1 - self.drag * np.exp(-np.abs(offset) / self.drag_width))
        moved = self.side * offset > 0
        return np.where(moved, x - self.slope * throw, x), np.where(moved, t_ms - throw, t_ms)

    def max_shift(self) -> tuple[float, float]:
        """Bounds of (trace, ms) displacement anywhere in and around the section."""
        throw = 1.5 * abs(self.throw_ms)  # the gradient's factor is clipped to 0.5-1.5
        return abs(self.slope) * throw, throw


@dataclass(frozen=True)
class GeologySection:
    """A modelled 2D line; arrays are (n_traces, n_samples) at ``dt_ms``.

    Attributes:
        seismic: band-limited seismic (wavelet peak amplitude about 1 per unit reflectivity).
        impedance: acoustic impedance at the output samples, (m/s)·(kg/m3).
        rgt: relative geologic time: layer index plus the fraction through the layer,
            increasing with age (upper package first).
        fault_mask: 1 within one trace of a fault plane, else 0 (uint8).
        faults: the faults, oldest first.
        unconformity_ms: (n_traces,) time of the erosion surface, or None.
        wavelet: kind, peak_hz and phase_deg of the wavelet.
        dt_ms: sample interval in ms.
    """

    seismic: np.ndarray
    impedance: np.ndarray
    rgt: np.ndarray
    fault_mask: np.ndarray
    faults: tuple[Fault, ...]
    unconformity_ms: np.ndarray | None
    wavelet: dict[str, Any]
    dt_ms: float


def _curves(rng: np.random.Generator, x: np.ndarray, n: int, width: float) -> np.ndarray:
    """(n, len(x)) smooth random curves of RMS about 1: three sinusoids each with
    wavelengths of 0.7 to 6 section widths (``width`` traces, at least 40)."""
    lo, hi = np.log(max(40.0, 0.7 * width)), np.log(6.0 * max(width, 40.0))
    lam = np.exp(rng.uniform(lo, hi, (n, 3, 1)))
    amp = rng.uniform(0.2, 1.0, (n, 3, 1)) * np.sqrt(lam / np.exp(hi))  # red spectrum
    phase = rng.uniform(0, 2 * np.pi, (n, 3, 1))
    c = np.sum(amp * np.sin(2 * np.pi * x / lam + phase), axis=1)
    return c / np.sqrt(np.sum(amp[:, :, 0] ** 2, axis=1) / 2)[:, None]


def _package(
    rng: np.random.Generator,
    x: np.ndarray,
    t_range: tuple[float, float],
    width: float,
    max_tilt: float,
    max_fold_ms: float,
    max_dip: float,
) -> np.ndarray:
    """(n_horizons, len(x)) horizon times of a conformable package covering ``t_range``
    at every trace: beds of varied thickness with wedges and pinch-outs, tilted and
    folded by amounts that change with depth, dipping at most ``max_dip`` ms per trace
    (beyond a few ms per trace, 40 Hz events alias from trace to trace)."""
    xc = x.mean()
    u = rng.uniform(-1, 1, 2)
    tilt = max_tilt * u * np.abs(u)  # ms per trace, top and bottom; gentle ones likelier
    folds = _curves(rng, x, 2, width) * max_fold_ms * rng.uniform(0, 1, (2, 1)) ** 1.5
    steepest = np.abs(np.gradient(folds, x, axis=1)).max(axis=1) + np.abs(tilt)  # (2,)
    folds *= np.minimum(1.0, (max_dip - np.abs(tilt)) / np.maximum(steepest - np.abs(tilt), 1e-9))[
        :, None
    ]
    reach = np.abs(tilt).max() * np.ptp(x) / 2 + np.abs(folds).max(axis=1).sum() + 5.0
    top, bottom = t_range[0] - reach, t_range[1] + reach
    mean_ms = np.exp(rng.uniform(np.log(4.0), np.log(25.0)))  # mean bed thickness
    wedge = rng.uniform(-0.8, 0.8) * (x - xc) / max(np.ptp(x), 1.0)  # (nx,)
    h = [np.full(len(x), top)]
    for _ in range(100):
        if h[-1].min() >= bottom:
            break
        n = 16
        th = mean_ms * rng.lognormal(0.0, 0.6, (n, 1)).clip(0.1, 5.0)
        shape = 1 + wedge + rng.uniform(0, 0.25, (n, 1)) * _curves(rng, x, n, width)
        pinch = rng.random((n, 1)) < 0.15
        shape = np.where(pinch, rng.uniform(-0.3, 0.8, (n, 1)) + _curves(rng, x, n, width), shape)
        h.extend(h[-1] + np.cumsum(th * np.maximum(shape, 0.0), axis=0))
    h.append(np.maximum(h[-1], bottom))  # the package reaches below the grid everywhere
    horizons = np.array(h)  # (n_h, nx) undeformed
    w = np.linspace(0, 1, len(horizons))[:, None]  # deformation changes with depth
    horizons = horizons + ((1 - w) * tilt[0] + w * tilt[1]) * (x - xc)
    horizons = horizons + (1 - w) * folds[0] + w * folds[1]
    return np.maximum.accumulate(horizons, axis=0)  # crossing beds pinch out


def rgt_from_horizons(horizons: np.ndarray, t_ms: np.ndarray) -> np.ndarray:
    """(nx, nt) relative geologic time at times ``t_ms`` from (n_h, nx) horizon times
    (non-decreasing down each trace): horizon i has RGT i, linear between horizons."""
    idx = np.arange(len(horizons), dtype=float)
    return np.stack([np.interp(t_ms, horizons[:, i], idx) for i in range(horizons.shape[1])])


def wavelet_spectrum(
    kind: str, f_hz: np.ndarray, peak_hz: float, phase_deg: float = 0.0
) -> np.ndarray:
    """Complex spectrum of a wavelet at frequencies ``f_hz`` (unnormalised).

    Args:
        kind: "ricker", "ormsby" (trapezoid 0.25, 0.5, 1.5, 2.2 x peak), "bandpass"
            (zero-phase order-3 Butterworth, 0.4-1.8 x peak) or "minimum_phase" (the
            causal analogue Butterworth band-pass with the same corners).
        f_hz: frequencies in Hz, >= 0.
        peak_hz: dominant frequency in Hz.
        phase_deg: constant phase rotation (not for "minimum_phase").
    """
    f = np.asarray(f_hz, dtype=float)
    if kind == "ricker":
        a = (f / peak_hz) ** 2 * np.exp(1 - (f / peak_hz) ** 2)
        spec = a.astype(complex)
    elif kind == "ormsby":
        spec = np.interp(f, peak_hz * np.array([0.25, 0.5, 1.5, 2.2]), [0, 1, 1, 0]) + 0j
    elif kind == "bandpass":
        lo, hi = 0.4 * peak_hz, 1.8 * peak_hz
        a = (f / lo) ** 3 / np.sqrt(1 + (f / lo) ** 6) / np.sqrt(1 + (f / hi) ** 6)
        spec = a.astype(complex)
    elif kind == "minimum_phase":
        from scipy.signal import butter, freqs

        b, a_ = butter(
            3, [2 * np.pi * 0.4 * peak_hz, 2 * np.pi * 1.8 * peak_hz], "band", analog=True
        )
        return freqs(b, a_, 2 * np.pi * f)[1]
    else:
        raise BadInputError(f"unknown wavelet kind {kind!r}; use one of {WAVELET_KINDS}")
    return spec * np.exp(-1j * np.deg2rad(phase_deg) * np.sign(f))


def band_limited(
    rgt: np.ndarray,
    log_impedance: np.ndarray,
    k: int,
    dt_ms: float,
    kind: str = "ricker",
    peak_hz: float = 25.0,
    phase_deg: float = 0.0,
) -> np.ndarray:
    """Seismic at ``dt_ms`` from a model on a grid ``k`` times finer in time.

    Each interface between fine samples m and m+1 is placed where the RGT crosses its
    layer boundary (split linearly between the two samples), the reflectivity is
    convolved with the wavelet (peak 1 in time) and tapered to zero from 0.8 to 1.0 of
    the output Nyquist (anti-alias), and every k-th sample is kept, all in one spectrum.

    Args:
        rgt: (nx, n * k) relative geologic time on the fine grid.
        log_impedance: (nx, n * k) natural log of impedance on the fine grid.
        k: fine samples per output sample.
        dt_ms: output sample interval in ms.
        kind, peak_hz, phase_deg: the wavelet (:func:`wavelet_spectrum`).

    Returns:
        (nx, n) seismic; output sample j is at fine sample j * k.
    """
    nf = rgt.shape[-1]
    n = nf // k
    z = np.exp(log_impedance)
    r = (z[:, 1:] - z[:, :-1]) / (z[:, 1:] + z[:, :-1])  # (nx, nf - 1)
    t0, t1 = rgt[:, :-1], rgt[:, 1:]
    crossing = np.floor(t0) != np.floor(t1)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = (np.floor(np.maximum(t0, t1)) - t0) / (t1 - t0)
    frac = np.where(crossing, np.clip(np.nan_to_num(frac, nan=0.5), 0, 1), 0.5)
    fine = np.zeros_like(z)
    fine[:, :-1] += r * (1 - frac)
    fine[:, 1:] += r * frac
    f = np.arange(n + 1) / (2 * n * dt_ms / 1000.0)  # Hz, the output's rfft bins
    spec = wavelet_spectrum(kind, f, peak_hz, phase_deg)
    nyq = f[-1]
    spec *= np.where(f < 0.8 * nyq, 1.0, np.cos(np.pi / 2 * (f / nyq - 0.8) / 0.2) ** 2)
    spec /= np.abs(np.fft.irfft(spec, 2 * n)).max()  # wavelet peak 1 at dt_ms
    out = np.fft.rfft(fine, 2 * nf, axis=-1)[:, : n + 1] * spec
    return np.fft.irfft(out, 2 * n, axis=-1)[:, :n]


def _draw_faults(
    rng: np.random.Generator, nx: int, t_len: float, n: int, min_late: int, early_ok: bool
) -> list[Fault]:
    """``n`` faults, oldest first: positions crossing the window, some paired (close
    together or crossing), throws log-uniform 2-60 ms."""
    faults: list[Fault] = []
    for i in range(n):
        kind = str(rng.choice(FAULT_KINDS, p=[0.45, 0.35, 0.2]))
        dip = 90.0 if kind == "vertical" else rng.uniform(55.0, 90.0)
        direction = int(rng.choice([-1, 1]))
        v_ms, dx = rng.uniform(1.8, 3.5), rng.uniform(12.5, 25.0)  # km/s (m/ms), m per trace
        slope = direction * (v_ms / 2) / np.tan(np.deg2rad(dip)) / dx if dip < 90 else 0.0
        throw = np.exp(rng.uniform(np.log(2.0), np.log(60.0)))
        if kind == "reverse" or (kind == "vertical" and rng.random() < 0.5):
            throw = -throw
        side = direction if kind != "vertical" else int(rng.choice([-1, 1]))
        x0, t0 = rng.uniform(0.2, 0.8) * nx, rng.uniform(0.2, 0.8) * t_len
        if faults and rng.random() < 0.35:  # close to the previous one, or crossing it
            prev = faults[-1]
            x_prev = prev.plane(np.array(t0)).item()
            if rng.random() < 0.5 or slope == prev.slope == 0:
                x0 = x_prev + rng.choice([-1, 1]) * rng.uniform(3, 10)
            else:
                x0 = x_prev
                if direction * np.sign(prev.slope) > 0:  # cross it dipping the other way
                    slope, side = -slope, -side
        faults.append(
            Fault(
                kind,
                float(x0),
                float(t0),
                float(slope),
                float(dip),
                float(throw),
                side,
                float(rng.uniform(-0.4, 0.4)),
                float(rng.uniform(0.0, 0.5)),
                float(rng.uniform(2.0, 6.0)),
                float(t_len),
                bool(early_ok and i < n - min_late and rng.random() < 0.35),
            )
        )
    early = [f for f in faults if f.early]  # early faults are the older ones
    return early + [f for f in faults if not f.early]


def _undo_all(
    faults: list[Fault], x: np.ndarray, t: np.ndarray, labels: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Undo ``faults`` youngest first; marks ``labels`` within one trace of each plane."""
    for f in reversed(faults):
        if labels is not None:
            labels |= np.abs(x - f.plane(t)) <= 1.0
        x, t = f.undo(x, t)
    return x, t


def make_geology(
    n_traces: int = 64,
    n_samples: int = 64,
    dt_ms: float = 4.0,
    seed: int = 0,
    n_faults: int | None = None,
    min_faults: int = 0,
    unconformity: bool | None = None,
) -> GeologySection:
    """A random layered, folded, unconformable and faulted line and its seismic.

    Draws: one package (tilted up to 1 ms per trace, folded up to 40 ms, dips up to 2 ms
    per trace) or, in 40 % of sections, two across an angular unconformity (older beds
    tilted up to 2 ms per trace, folded up to 60 ms, dips up to 3 ms per trace,
    truncated by an erosion surface with up to 15 ms of relief; younger ones tilted up
    to 0.8 ms per trace, folded up to 30 ms, dips up to 1.5 ms per trace); mean bed
    thickness 4-25 ms; 0-3 faults (normal 45 %, reverse 35 %, vertical 20 %), dips
    55-90 degrees either way for interval velocities of 1.8-3.5 km/s and 12.5-25 m
    traces, throws 2-60 ms log-uniform changing by up to 40 % over the section, with
    drag, 35 % of the later faults placed 3-10 traces from the previous one or crossing
    it, a third of the others older than the unconformity when there is one; a Ricker,
    Ormsby, minimum-phase or band-pass wavelet peaking at 10-50 Hz, phase-rotated up to
    60 degrees in 30 % of the zero-phase ones; a smooth lateral gain (log-amplitude RMS
    up to 0.35), a gain in time of up to a factor 2 from top to bottom, and random
    polarity.

    Args:
        n_traces: traces (x axis), >= 8.
        n_samples: samples per trace, >= 16.
        dt_ms: output sample interval in ms, a multiple of 0.5 ms from 1 to 8 ms.
        seed: the same seed gives the same section.
        n_faults: number of faults (None: drawn, 0-3).
        min_faults: at least this many faults, none of them cut by the unconformity.
        unconformity: force one (True) or none (False); None draws it.
    """
    k = int(round(dt_ms / FINE_DT_MS))
    if n_traces < 8 or n_samples < 16 or not 2 <= k <= 16 or abs(k * FINE_DT_MS - dt_ms) > 1e-9:
        raise BadInputError(
            f"need >= 8 traces, >= 16 samples and dt a multiple of {FINE_DT_MS} ms in 1-8 ms, "
            f"got {n_traces}x{n_samples} at {dt_ms} ms"
        )
    rng = np.random.default_rng(seed)
    nx, t_len = n_traces, n_samples * dt_ms
    if n_faults is None:
        n_faults = int(rng.choice(4, p=[0.2, 0.35, 0.3, 0.15]))
    n_faults = max(n_faults, min_faults)
    with_unc = bool(rng.random() < 0.4) if unconformity is None else unconformity
    faults = _draw_faults(rng, nx, t_len, n_faults, min_faults, with_unc)
    late = [f for f in faults if not f.early]
    early = [f for f in faults if f.early]

    # the fine output window, with room for wavelet tails
    pad_w = int(np.ceil(_WAVELET_PAD_MS / dt_ms))
    t_out = (np.arange((n_samples + 2 * pad_w) * k) - pad_w * k) * FINE_DT_MS  # (nf,) ms
    # the padded model grid every displacement reads from
    shifts = np.array([f.max_shift() for f in faults]).sum(axis=0) if faults else np.zeros(2)
    px, pt = int(np.ceil(shifts[0])) + 2, shifts[1] + 2.0
    xp = np.arange(-px, nx + px, dtype=float)
    tp = np.arange(t_out[0] - pt, t_out[-1] + pt + FINE_DT_MS, FINE_DT_MS)
    span = (float(tp[0]), float(tp[-1]))

    lower = (
        _package(rng, xp, span, nx, 2.0, 60.0, 3.0)
        if with_unc
        else _package(rng, xp, span, nx, 1.0, 40.0, 2.0)
    )
    tau = rgt_from_horizons(lower, tp)  # (nxp, ntp)
    n_upper = 0
    erosion = None
    if with_unc:
        X, T = np.meshgrid(xp, tp, indexing="ij")
        if early:
            xs, ts = _undo_all(early, X, T)
            tau = map_coordinates(
                tau, [xs + px, (ts - tp[0]) / FINE_DT_MS], order=1, mode="nearest"
            )
        erosion = (
            rng.uniform(0.25, 0.75) * t_len
            + rng.uniform(-0.4, 0.4) * (xp - nx / 2)
            + rng.uniform(0, 15.0) * _curves(rng, xp, 1, nx)[0]
        )
        upper = _package(rng, xp, span, nx, 0.8, 30.0, 1.5)
        n_upper = len(upper)
        tau = np.where(T < erosion[:, None], rgt_from_horizons(upper, tp), tau + n_upper)

    # impedance: compaction trend, random contrasts, a gradient through each bed, lateral change
    n_layers = int(np.ceil(tau.max())) + 1
    log_z = np.log(2.2e6) + np.linspace(0.0, 0.9, n_layers)
    log_z += rng.normal(0, rng.uniform(0.04, 0.18), n_layers)
    log_z += np.where(rng.random(n_layers) < 0.05, rng.choice([-0.3, 0.3], n_layers), 0.0)
    log_z[n_upper:] += rng.uniform(0.05, 0.3) if with_unc else 0.0
    grad = rng.normal(0, 0.05, n_layers)
    lateral = rng.normal(0, 0.03, n_layers)
    lat_curve = _curves(rng, np.arange(nx, dtype=float), 1, nx)[0]

    def impedance(rgt: np.ndarray) -> np.ndarray:
        layer = np.clip(np.floor(rgt).astype(int), 0, n_layers - 1)
        return log_z[layer] + grad[layer] * (rgt - layer) + lateral[layer] * lat_curve[:, None]

    X, T = np.meshgrid(np.arange(nx, dtype=float), t_out, indexing="ij")
    xs, ts = _undo_all(late, X, T)
    rgt = map_coordinates(tau, [xs + px, (ts - tp[0]) / FINE_DT_MS], order=1, mode="nearest")

    kind = str(rng.choice(WAVELET_KINDS))
    peak = float(rng.uniform(10.0, 50.0))
    phase = float(rng.uniform(-60, 60)) if kind != "minimum_phase" and rng.random() < 0.3 else 0.0
    seismic = band_limited(rgt, impedance(rgt), k, dt_ms, kind, peak, phase)[
        :, pad_w : pad_w + n_samples
    ]
    gain = np.exp(rng.uniform(0, 0.35) * _curves(rng, np.arange(nx, dtype=float), 1, nx)[0])
    t_rel = np.arange(n_samples) / n_samples - 0.5
    seismic = seismic * gain[:, None] * np.exp(rng.uniform(-0.7, 0.7) * t_rel)
    seismic *= rng.choice([-1.0, 1.0])

    on_out = slice(pad_w * k, (pad_w + n_samples) * k, k)
    labels = np.zeros((nx, n_samples), bool)
    xc, tc = _undo_all(late, X[:, on_out], T[:, on_out], labels)
    if early and erosion is not None:
        below = np.zeros_like(labels)
        _undo_all(early, xc, tc, below)
        labels |= below & (tc >= np.interp(xc, xp, erosion))
    return GeologySection(
        seismic=seismic,
        impedance=np.exp(impedance(rgt[:, on_out])),
        rgt=rgt[:, on_out],
        fault_mask=labels.astype(np.uint8),
        faults=tuple(faults),
        unconformity_ms=None if erosion is None else np.interp(np.arange(nx), xp, erosion),
        wavelet={"kind": kind, "peak_hz": peak, "phase_deg": phase},
        dt_ms=float(dt_ms),
    )
