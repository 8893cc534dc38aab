"""What the two independent GeoFM evaluation generators share: wavelets, band-limiting to
the output grid, fault-label rasterising and the tuple they return.

Written for the evaluation set alone (numpy and scipy.signal, no ``tools.synthetic``)::

    w = ricker(25.0, dt_ms=0.5)                       # Wavelet(values, t0)
    fine = convolve(reflectivity_fine, w)             # (n_traces, n_fine), same shape
    clean = to_output_grid(fine, 8)                   # anti-alias filter, keep every 8th
    labels = rasterize_faults([(x, t)], 128, 256, 4.0)  # uint8, 1 within a trace of a plane

Time is in ms unless a name says otherwise; sections are (n_traces, n_samples), time last.

A fault is a dict, in the units of the model it cuts (x: m or traces; vertical v: m of
depth or ms of two-way time): ``type`` ("normal", "reverse", "vertical"), ``direction``
(+1: the plane moves to +x going down; for a vertical fault, the side that moves),
``slope`` (x per unit v, >= 0), the plane's point (``x_ref``, ``v_ref``), ``throw`` (the
vertical component of the slip), ``sense`` (vertical faults: +1 down, -1 up), ``tip``
and ``taper`` (the slip grows from 0 at v = tip to ``throw`` at tip + taper; taper 0:
no tip) and ``age`` ("old": before the unconformity, which cuts it; "young": after).
The hanging wall (for a vertical fault the moving side) moves; the footwall stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

__all__ = [
    "GeneratedSection",
    "Wavelet",
    "ricker",
    "ormsby",
    "klauder",
    "minimum_phase",
    "convolve",
    "to_output_grid",
    "rasterize_faults",
    "smooth_curve",
    "fault_displacement",
    "fault_plane_today",
    "plane_summary",
    "json_ready",
]


class GeneratedSection(NamedTuple):
    """One generated section.

    Attributes:
        clean: (n_traces, n_samples) float32 noise-free (or mildly noisy, see
            ``parameters["noise_snr_db"]``) seismic amplitudes.
        labels: (n_traces, n_samples) uint8, 1 within one trace of a fault plane.
        dt_ms: sample interval, ms.
        parameters: every random draw that made the section (JSON-serialisable).
    """

    clean: np.ndarray
    labels: np.ndarray
    dt_ms: float
    parameters: dict[str, Any]


@dataclass(frozen=True)
class Wavelet:
    """A sampled wavelet: ``values`` (n,) with time zero at index ``t0``."""

    values: np.ndarray
    t0: int


def _times(dt_ms: float, half_ms: float) -> np.ndarray:
    n = int(round(half_ms / dt_ms))
    return np.arange(-n, n + 1) * dt_ms / 1000.0  # s


def _hann(n: int) -> np.ndarray:
    return 0.5 - 0.5 * np.cos(2 * np.pi * (np.arange(n) + 1) / (n + 1))


def ricker(peak_hz: float, dt_ms: float, half_ms: float = 100.0) -> Wavelet:
    """Zero-phase Ricker wavelet (1 - 2 (pi f t)^2) exp(-(pi f t)^2), unit peak.

    Args:
        peak_hz: peak frequency, Hz.
        dt_ms: sample interval, ms.
        half_ms: half length, ms.
    """
    a = (np.pi * peak_hz * _times(dt_ms, half_ms)) ** 2
    w = (1 - 2 * a) * np.exp(-a)
    return Wavelet(w / np.max(np.abs(w)), len(w) // 2)


def ormsby(
    corners_hz: tuple[float, float, float, float], dt_ms: float, half_ms: float = 150.0
) -> Wavelet:
    """Zero-phase Ormsby (trapezoid spectrum) wavelet, Hann-tapered, unit peak.

    Args:
        corners_hz: (f1, f2, f3, f4): zero at f1, flat from f2 to f3, zero at f4, Hz.
        dt_ms: sample interval, ms.
        half_ms: half length, ms.
    """
    f1, f2, f3, f4 = corners_hz
    t = _times(dt_ms, half_ms)

    def ramp(f: float) -> np.ndarray:
        return np.pi * f**2 * np.sinc(f * t) ** 2

    w = (ramp(f4) - ramp(f3)) / (f4 - f3) - (ramp(f2) - ramp(f1)) / (f2 - f1)
    w = w * _hann(len(w))
    return Wavelet(w / np.max(np.abs(w)), len(w) // 2)


def klauder(
    f_start_hz: float,
    f_end_hz: float,
    dt_ms: float,
    sweep_s: float = 6.0,
    taper_s: float = 0.3,
    half_ms: float = 150.0,
) -> Wavelet:
    """Zero-phase Klauder wavelet: the autocorrelation of a linear Vibroseis sweep with
    cosine-tapered ends, cut to +-``half_ms`` with a Hann taper, unit peak.

    Args:
        f_start_hz, f_end_hz: sweep start and end frequencies, Hz.
        dt_ms: sample interval, ms.
        sweep_s: sweep length, s.
        taper_s: length of the cosine taper at each end of the sweep, s.
        half_ms: half length of the wavelet, ms.
    """
    from scipy.signal import fftconvolve

    t = np.arange(int(round(sweep_s * 1000 / dt_ms))) * dt_ms / 1000.0
    rate = (f_end_hz - f_start_hz) / sweep_s
    sweep = np.sin(2 * np.pi * (f_start_hz * t + 0.5 * rate * t**2))
    env = np.ones_like(t)
    n_tap = int(round(taper_s * 1000 / dt_ms))
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(n_tap) / n_tap)
    env[:n_tap], env[len(t) - n_tap :] = ramp, ramp[::-1]
    sweep *= env
    acf = fftconvolve(sweep, sweep[::-1])  # lag 0 at index len(t) - 1
    n = int(round(half_ms / dt_ms))
    w = acf[len(t) - 1 - n : len(t) + n] * _hann(2 * n + 1)
    return Wavelet(w / np.max(np.abs(w)), n)


def minimum_phase(w: Wavelet, n_fft: int = 8192) -> Wavelet:
    """The minimum-phase wavelet with ``w``'s amplitude spectrum (homomorphic: fold the
    real cepstrum of log |W| onto positive quefrencies), time zero at index 0, the same
    length as ``w``, unit peak."""
    spec = np.abs(np.fft.fft(w.values, n_fft))
    cep = np.fft.ifft(np.log(np.maximum(spec, 1e-6 * spec.max()))).real
    fold = np.zeros(n_fft)
    fold[0], fold[n_fft // 2] = cep[0], cep[n_fft // 2]
    fold[1 : n_fft // 2] = 2 * cep[1 : n_fft // 2]
    m = np.fft.ifft(np.exp(np.fft.fft(fold))).real[: len(w.values)]
    m *= _hann(2 * len(m) - 1)[len(m) - 1 :]  # taper the tail only
    return Wavelet(m / np.max(np.abs(m)), 0)


def convolve(traces: np.ndarray, w: Wavelet) -> np.ndarray:
    """Convolve every trace (last axis) with ``w``; time zero of the wavelet is kept at
    time zero of the traces, so the output has the input's shape and timing."""
    from scipy.signal import fftconvolve

    full = fftconvolve(traces, w.values.reshape((1,) * (traces.ndim - 1) + (-1,)), axes=-1)
    return full[..., w.t0 : w.t0 + traces.shape[-1]]


def to_output_grid(fine: np.ndarray, factor: int) -> np.ndarray:
    """Keep every ``factor``-th sample of (..., n_fine) traces after a zero-phase
    anti-alias low-pass (``scipy.signal.resample_poly``: Kaiser-windowed FIR, cutoff at
    the output Nyquist). Sample 0 stays at time 0; returns (..., ceil(n_fine / factor))."""
    from scipy.signal import resample_poly

    if factor == 1:
        return fine.copy()
    return resample_poly(fine, 1, factor, axis=-1, window=("kaiser", 8.0))


def rasterize_faults(
    planes: list[tuple[np.ndarray, np.ndarray]], n_traces: int, n_samples: int, dt_ms: float
) -> np.ndarray:
    """Fault labels: 1 at every sample within one trace of a fault plane, else 0.

    Args:
        planes: for each fault, (trace position, two-way time in ms) of points along its
            plane, sampled finer than ``dt_ms`` (points outside the section are ignored).
        n_traces, n_samples: the section's shape.
        dt_ms: sample interval, ms.

    Returns:
        (n_traces, n_samples) uint8.
    """
    labels = np.zeros((n_traces, n_samples), np.uint8)
    x = np.arange(n_traces, dtype=float)
    for xs, ts in planes:
        j = np.round(np.asarray(ts) / dt_ms).astype(int)
        keep = (j >= 0) & (j < n_samples)
        for xp, jp in zip(np.asarray(xs)[keep], j[keep]):
            labels[np.abs(x - xp) <= 1.0, jp] = 1
    return labels


def smooth_curve(
    rng: np.random.Generator, x: np.ndarray, n_knots: int, amplitude: float
) -> np.ndarray:
    """A smooth random curve over ``x`` (n,): a natural cubic spline through ``n_knots``
    evenly spaced random values in [-1, 1], rescaled to peak ``amplitude``."""
    from scipy.interpolate import CubicSpline

    knots = np.linspace(x.min(), x.max(), n_knots)
    values = rng.uniform(-1, 1, n_knots)
    y = CubicSpline(knots, values, bc_type="natural")(x)
    return amplitude * y / max(np.max(np.abs(y)), 1e-12)


def fault_displacement(f: dict[str, Any], x: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, ...]:
    """(dx, dv) by which fault ``f`` moved the material at (x, v), same shapes."""
    plane = f["x_ref"] + f["direction"] * f["slope"] * (v - f["v_ref"])
    moving = (x - plane) * f["direction"] > 0
    amount = np.full(np.shape(v), float(f["throw"]))
    if f["taper"] > 0:
        amount = amount * np.clip((v - f["tip"]) / f["taper"], 0.0, 1.0)
    if f["type"] == "vertical":
        return np.zeros(np.shape(x)), np.where(moving, f["sense"] * amount, 0.0)
    sign = 1.0 if f["type"] == "normal" else -1.0  # normal: hanging wall down the dip
    dv = np.where(moving, sign * amount, 0.0)
    return dv * f["direction"] * f["slope"], dv


def fault_plane_today(
    f: dict[str, Any], later: list[dict[str, Any]], v: np.ndarray, unconformity
) -> tuple[np.ndarray, np.ndarray]:
    """(x, v) of points along fault ``f``'s plane where it exists today.

    Args:
        f: the fault; its plane is sampled at ``v`` (below its tip).
        later: the faults that moved after it, oldest first (they carry its plane).
        v: (n,) vertical positions at which to sample the plane, before later faults.
        unconformity: callable x -> v of the unconformity (old faults end at it).
    """
    v = v[v >= f["tip"]] if f["taper"] > 0 else v
    x = f["x_ref"] + f["direction"] * f["slope"] * (v - f["v_ref"])
    cut = f["age"] == "old"
    for g in later:
        if cut and g["age"] == "young":
            keep, cut = v >= unconformity(x), False
            x, v = x[keep], v[keep]
        dx, dv = fault_displacement(g, x, v)
        x, v = x + dx, v + dv
    if cut:
        keep = v >= unconformity(x)
        x, v = x[keep], v[keep]
    return x, v


def plane_summary(
    x: np.ndarray, t_ms: np.ndarray, n_traces: int, t_max_ms: float, n_points: int = 8
) -> dict[str, Any]:
    """A fault plane's points inside the section, thinned to about ``n_points`` [trace,
    ms] pairs (for the parameters and for tests that check where the labels are)."""
    inside = np.flatnonzero((x >= 0) & (x <= n_traces - 1) & (t_ms >= 0) & (t_ms < t_max_ms))
    pick = inside[:: max(1, len(inside) // n_points)]
    return {"plane_trace_ms": [[float(x[i]), float(t_ms[i])] for i in pick]}


def json_ready(value: Any) -> Any:
    """A JSON-serialisable copy of ``value`` (dicts, lists, numpy scalars) with floats
    rounded to 4 decimals."""
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [json_ready(v) for v in value]
    if isinstance(value, float | np.floating):
        return round(float(value), 4)
    if isinstance(value, np.integer | np.bool_):
        return value.item()
    return value
