"""Convolutional sections for the independent GeoFM evaluation set, from horizons.

Geology is drawn as explicit horizons in two-way time: smooth random curves stacked
bed by bed, each bed's thickness varying along the line (down to zero: pinch-outs),
folded more with depth, under an eroded angular unconformity that a differently dipping
upper sequence onlaps. Beds carry blocky impedance with a gradient inside each bed.
Faults (normal, reverse, vertical; planes dipping 60-90 degrees in depth) displace the
impedance model along their planes, some before the unconformity (it cuts them), some
after. Reflectivity is computed on a grid 8 times finer than the output, convolved with
a Ricker, Ormsby, minimum-phase or Klauder wavelet and anti-alias filtered down to 2 or
4 ms, so beds sit between samples, not on them::

    s = layered_section(seed=0)                   # well under a second
    s.clean, s.labels, s.dt_ms, s.parameters      # (128, 256) float32, uint8, ms, dict
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from benchmarks.geofm_modelling import (
    GeneratedSection,
    Wavelet,
    convolve,
    fault_displacement,
    fault_plane_today,
    json_ready,
    klauder,
    minimum_phase,
    ormsby,
    plane_summary,
    rasterize_faults,
    ricker,
    smooth_curve,
    to_output_grid,
)

__all__ = ["layered_section"]

_FINE = 8  # modelling grid: this many samples per output sample
_PAD = 24  # traces of horizon beyond each end (faults move material sideways)
_MARGIN = 40  # output samples modelled above and below the section (no edge effects)


class _Horizons:
    """A stack of horizons H_k(x) (ms), k = 0..K, never crossing (H_k+1 >= H_k), and
    the log impedance and its gradient (per ms) in each bed below H_k."""

    def __init__(self, x: np.ndarray, h: np.ndarray, log_z: np.ndarray, grad: np.ndarray):
        self.x, self.h, self.log_z, self.grad = x, h, log_z, grad

    def impedance(self, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Impedance at points (x traces, t ms), any equal shapes."""
        step = self.x[1] - self.x[0]
        pos = np.clip((x - self.x[0]) / step, 0, len(self.x) - 1.000001)
        i = pos.astype(int)
        w = pos - i
        bed = np.zeros(x.shape, int)
        top = np.full(x.shape, -np.inf)
        for k in range(len(self.h)):
            hk = self.h[k, i] * (1 - w) + self.h[k, i + 1] * w
            above = hk <= t
            bed += above
            top = np.where(above, hk, top)
        top = np.where(np.isfinite(top), top, t)
        return np.exp(self.log_z[bed] + self.grad[bed] * (t - top))


def _stack(
    rng: np.random.Generator,
    x: np.ndarray,
    top: np.ndarray,
    bottom: float,
    bed_ms: float,
    fold: np.ndarray,
    sigma: float,
    z_trend: tuple[float, float],
) -> _Horizons:
    """Horizons from ``top`` (x-dependent, ms) down past ``bottom``: beds of mean
    thickness ``bed_ms`` (gamma distributed), each thinning and thickening along x
    (15 % of beds down to zero), plus a share of ``fold`` so folding grows with depth."""
    n = int((bottom - top.min()) / bed_ms * 1.6) + 8
    horizons = [top]
    for _ in range(n):
        mean = max(rng.gamma(2.0, bed_ms / 2), 1.0)
        swing = rng.uniform(1.0, 2.0) if rng.random() < 0.15 else rng.uniform(0.0, 0.6)
        shape = smooth_curve(rng, x, int(rng.integers(3, 6)), 1.0)
        step = np.maximum(0.0, mean * (1 + swing * shape) + fold / n)
        horizons.append(horizons[-1] + step)
        if horizons[-1].min() > bottom:
            break
    h = np.array(horizons)
    grad = rng.normal(0, 0.002, len(h) + 1)  # log impedance per ms inside a bed
    return _Horizons(x, h, _log_impedance(rng, len(h) + 1, sigma, z_trend), grad)


def _log_impedance(
    rng: np.random.Generator, n: int, sigma: float, trend: tuple[float, float]
) -> np.ndarray:
    """(n,) log impedance of n beds, top down: a compaction trend, formations (runs of
    4-20 beds sharing an offset), each bed's own contrast, and rare strong markers."""
    formation = np.empty(n)
    i = 0
    while i < n:
        m = int(rng.integers(4, 21))
        formation[i : i + m] = rng.normal(0, 1.5 * sigma)
        i += m
    strong = rng.random(n) < 0.06
    marker = np.where(strong, rng.choice([-1.0, 1.0], n) * rng.uniform(2.5, 4.0, n) * sigma, 0)
    bed = rng.normal(0, 0.7 * sigma, n)
    return trend[0] + trend[1] * np.linspace(0, 1, n) + formation + bed + marker


def _draw_wavelet(rng: np.random.Generator, dt_ms: float) -> tuple[dict[str, Any], Wavelet]:
    """One of four wavelet families, sampled on the modelling grid."""
    fine = dt_ms / _FINE
    top = 0.8 * 500 / dt_ms  # 80 % of the output Nyquist, Hz
    kind = str(rng.choice(["ricker", "ormsby", "minimum_phase", "klauder"]))
    if kind == "ricker":
        peak = float(rng.uniform(15, 40))
        return {"kind": kind, "peak_hz": peak}, ricker(peak, fine, 120.0)
    if kind == "klauder":
        f0, f1 = float(rng.uniform(6, 12)), float(min(rng.uniform(50, 90), top))
        return {"kind": kind, "sweep_hz": [f0, f1], "sweep_s": 6.0}, klauder(f0, f1, fine)
    f3 = rng.uniform(30, 50)
    corners = (rng.uniform(3, 8), rng.uniform(8, 15), f3, min(f3 + rng.uniform(10, 25), top))
    w = ormsby(corners, fine, 150.0)
    info = {"kind": kind, "corners_hz": [float(c) for c in corners]}
    return info, (minimum_phase(w) if kind == "minimum_phase" else w)


def _draw_faults(
    rng: np.random.Generator, n_traces: int, t_ms: float, slope_per_dip: float
) -> list[dict[str, Any]]:
    """1-3 faults (``benchmarks.geofm_modelling`` fault dicts, x in traces, v in ms),
    the first young; oldest first."""
    faults: list[dict[str, Any]] = []
    centres: list[float] = []
    for i in range(int(rng.choice([1, 2, 3], p=[0.3, 0.45, 0.25]))):
        kind = str(rng.choice(["normal", "reverse", "vertical"], p=[0.5, 0.25, 0.25]))
        dip = 90.0 if kind == "vertical" else float(rng.uniform(60, 85))
        for _ in range(100):
            centre = rng.uniform(0.15, 0.85) * n_traces
            if all(abs(centre - c) > 0.2 * n_traces for c in centres):
                break
        centres.append(centre)
        young = i == 0 or rng.random() < 0.6
        tipped = young and rng.random() < 0.6
        throw = float(rng.uniform(4.0, 60.0))
        faults.append(
            {
                "type": kind,
                "dip_deg": dip,
                "direction": float(rng.choice([-1.0, 1.0])),
                "sense": float(rng.choice([-1.0, 1.0])),
                "slope": 0.0 if kind == "vertical" else slope_per_dip / math.tan(math.radians(dip)),
                "x_ref": centre,
                "v_ref": t_ms / 2,
                "throw": throw,
                "age": "young" if young else "old",
                "tip": float(rng.uniform(0.0, 0.5) * t_ms) if tipped else 0.0,
                # slip grows over 2.5-5 throws below the tip: beds stay in order
                "taper": throw * float(rng.uniform(2.5, 5.0)) if tipped else 0.0,
            }
        )
    return sorted(faults, key=lambda f: f["age"] == "young")


def layered_section(
    seed: int, n_traces: int = 128, n_samples: int = 256, dt_ms: float | None = None
) -> GeneratedSection:
    """A faulted, folded, unconformable convolutional section built from horizons.

    Args:
        seed: the section's seed; the same seed gives the same section.
        n_traces: traces in the section.
        n_samples: samples per trace.
        dt_ms: output sample interval, ms (None: 2 or 4 ms, drawn from the seed).

    Returns:
        GeneratedSection: amplitudes scaled to unit RMS over the section (mild noise
        included when ``parameters["noise_snr_db"]`` is set), fault labels (1 within
        one trace of a fault plane where the fault exists), dt and the parameters
        (fault x in traces, v in ms).
    """
    rng = np.random.default_rng([5307, seed])
    drawn_dt = float(rng.choice([2.0, 4.0], p=[0.35, 0.65]))
    dt = float(dt_ms) if dt_ms is not None else drawn_dt
    t_len = n_samples * dt
    trace_m, v_m_s = float(rng.uniform(10, 25)), float(rng.uniform(2000, 3500))
    # a plane dipping 45 degrees in depth moves this many traces per ms of two-way time
    slope_per_dip = v_m_s / 2000 / trace_m
    xc = (n_traces - 1) / 2
    x = np.arange(-_PAD, n_traces + _PAD, 0.25)
    margin_ms = _MARGIN * dt
    top, bottom = -margin_ms - 80.0, t_len + margin_ms + 80.0

    side = float(rng.choice([-1.0, 1.0]))
    geology = {
        "lower_dip_ms_per_trace": side * rng.uniform(0.1, 1.0) * dt / 4,
        "upper_dip_ms_per_trace": -side * rng.uniform(0.0, 0.3) * dt / 4,
        "fold_ms": rng.uniform(5, 60) * dt / 4,
        "upper_fold_ms": rng.uniform(0, 15) * dt / 4,
        "lower_bed_ms": rng.uniform(6, 25) * math.sqrt(dt / 4),
        "upper_bed_ms": rng.uniform(5, 20) * math.sqrt(dt / 4),
        "unconformity_ms": rng.uniform(0.3, 0.6) * t_len,
        "unconformity_relief_ms": rng.uniform(3, 20) * dt / 4,
        "impedance_sigma": rng.uniform(0.05, 0.15),
        "upper_impedance_drop": rng.uniform(0.0, 0.25),
    }
    g = geology
    fold = smooth_curve(rng, x, int(rng.integers(3, 7)), g["fold_ms"])
    lower_top = top - 200.0 + g["lower_dip_ms_per_trace"] * (x - xc) + fold
    lower = _stack(
        rng, x, lower_top, bottom, g["lower_bed_ms"], 2 * fold, g["impedance_sigma"], (15.0, 0.5)
    )
    relief = smooth_curve(rng, x, int(rng.integers(5, 10)), g["unconformity_relief_ms"])
    upper_fold = smooth_curve(rng, x, int(rng.integers(2, 5)), g["upper_fold_ms"])
    upper_top = top - 60.0 + g["upper_dip_ms_per_trace"] * (x - xc) + upper_fold
    upper = _stack(
        rng,
        x,
        upper_top,
        g["unconformity_ms"] + g["unconformity_relief_ms"] + 100.0,
        g["upper_bed_ms"],
        np.zeros_like(x),
        g["impedance_sigma"],
        (15.0 - g["upper_impedance_drop"], 0.3),
    )

    def unconformity(xp: np.ndarray) -> np.ndarray:
        return g["unconformity_ms"] + np.interp(xp, x, relief)

    faults = _draw_faults(rng, n_traces, t_len, slope_per_dip)
    info, wavelet = _draw_wavelet(rng, dt)
    gain_swing = float(rng.uniform(0.1, 0.35))
    gain = np.exp(smooth_curve(rng, np.arange(n_traces, dtype=float), 5, gain_swing))
    noise_db = float(rng.uniform(20, 30)) if rng.random() < 1 / 3 else None

    # impedance at the fine grid's half steps; reflectivity at its samples t_j
    fine = dt / _FINE
    t_fine = np.arange(-_MARGIN * _FINE, (n_samples + _MARGIN) * _FINE) * fine  # (n_fine,)
    t_mid = np.r_[t_fine - fine / 2, t_fine[-1] + fine / 2]
    xp, tp = np.meshgrid(np.arange(n_traces, dtype=float), t_mid, indexing="ij")
    for f in reversed([f for f in faults if f["age"] == "young"]):
        dxp, dtp = fault_displacement(f, xp, tp)
        xp, tp = xp - dxp, tp - dtp
    above = tp < unconformity(xp)
    xl, tl = xp, tp
    for f in reversed([f for f in faults if f["age"] == "old"]):
        dxp, dtp = fault_displacement(f, xl, tl)
        xl, tl = xl - dxp, tl - dtp
    z = np.empty(xp.shape)
    z[above] = upper.impedance(xp[above], tp[above])
    z[~above] = lower.impedance(xl[~above], tl[~above])
    refl = (z[:, 1:] - z[:, :-1]) / (z[:, 1:] + z[:, :-1])  # (n_traces, n_fine)
    window = slice(_MARGIN, _MARGIN + n_samples)  # output samples of the section
    clean = to_output_grid(convolve(refl, wavelet), _FINE)[:, window]
    clean *= gain[:, None]
    clean /= np.sqrt(np.mean(clean**2))
    if noise_db is not None:
        white = rng.standard_normal(refl.shape)
        noise = to_output_grid(convolve(white, wavelet), _FINE)[:, window]
        clean += noise * 10 ** (-noise_db / 20) / np.sqrt(np.mean(noise**2))

    planes, described = [], []
    v_plane = np.arange(top, bottom, dt / 4)
    for i, f in enumerate(faults):
        planes.append(fault_plane_today(f, faults[i + 1 :], v_plane, unconformity))
        described.append({**f, **plane_summary(*planes[-1], n_traces, t_len)})
    parameters = {
        "generator": "layered",
        "seed": int(seed),
        "dt_ms": dt,
        "shape": [n_traces, n_samples],
        "trace_spacing_m": trace_m,
        "fault_velocity_m_s": v_m_s,
        "geology": {**geology, "lower_beds": len(lower.h) - 1, "upper_beds": len(upper.h) - 1},
        "wavelet": info,
        "gain_swing": gain_swing,
        "noise_snr_db": noise_db,
        "faults": described,
    }
    labels = rasterize_faults(planes, n_traces, n_samples, dt)
    return GeneratedSection(clean.astype(np.float32), labels, dt, json_ready(parameters))
