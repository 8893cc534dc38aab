"""Wave-equation sections for the independent GeoFM evaluation set.

A depth model (folded, tilted lower sequence eroded at an angular unconformity, under a
growth-wedge upper sequence that onlaps it, cut by one or two normal, reverse or
vertical faults) modelled as an unmigrated zero-offset section by the exploding
reflector: the reflectivity is the initial pressure field, the 2-D acoustic wave
equation is solved with half the velocity, and the surface records two-way time.
Second order in time, eighth order in space, Cerjan sponges on all four sides. The
recorded traces are convolved with a Ricker or Ormsby wavelet, anti-alias filtered and
resampled to 2 or 4 ms::

    s = wave_section(seed=0)                      # 1-9 s on one core
    s.clean, s.labels, s.dt_ms, s.parameters      # (128, 256) float32, uint8, ms, dict

Reflector terminations at faults, fault tips and the unconformity diffract, and steep
flanks are unmigrated: what a convolutional model cannot give.

References: Loewenthal, D., Lu, L., Roberson, R., and Sherwood, J., 1976, The wave
equation applied to migration: Geophysical Prospecting, 24, 380-399 (the exploding
reflector). Cerjan, C., Kosloff, D., Kosloff, R., and Reshef, M., 1985, A nonreflecting
boundary condition for discrete acoustic and elastic wave equations: Geophysics, 50,
705-708.
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
    ormsby,
    plane_summary,
    rasterize_faults,
    ricker,
    smooth_curve,
    to_output_grid,
)

__all__ = ["wave_section", "exploding_reflector", "SPONGE_CELLS"]

# second-derivative coefficients, eighth order: c0, then c_k for offsets +-k
_C8 = (-205 / 72, 8 / 5, -1 / 5, 8 / 315, -1 / 560)
SPONGE_CELLS = 80
_SPONGE_ALPHA = 0.14  # damping at the outer edge: exp(-alpha^2) per step; ~1 % reflected
_CFL = 0.45  # stability limit of this stencil in 2-D is ~0.55
_PPW = 5.0  # grid points per shortest wavelength kept by the wavelet
_SUB = 4  # sub-cells per cell in depth: beds sit within h/4, not on the grid


def exploding_reflector(
    reflectivity: np.ndarray,
    velocity: np.ndarray,
    h_m: float,
    dt_s: float,
    n_steps: int,
    columns: np.ndarray,
) -> np.ndarray:
    """Solve p_tt = c^2 (p_xx + p_zz) from p(t=0) = reflectivity, p_t(t=0) = 0, and record
    p at the top row.

    Args:
        reflectivity: (nz, nx) initial pressure on a square grid.
        velocity: (nz, nx) propagation velocity c in m/s (half the rock velocity for an
            exploding reflector).
        h_m: grid spacing in x and z, m.
        dt_s: time step, s; ``max(c) dt / h`` must be at most 0.55.
        n_steps: number of time steps recorded (the first at t = 0).
        columns: (n_rec,) grid columns of the receivers on row 0.

    Returns:
        (n_rec, n_steps) pressure at the receivers.
    """
    courant = float(velocity.max()) * dt_s / h_m
    if courant > 0.55:
        raise ValueError(f"unstable: Courant number {courant:.2f} > 0.55; reduce dt_s")
    nb, halo = SPONGE_CELLS, len(_C8) - 1
    c2 = (np.pad(velocity, nb, mode="edge") * dt_s / h_m) ** 2
    r = np.pad(reflectivity, ((0, 0), (nb, nb)), mode="edge")  # beds go on into the sponge
    r = np.pad(r, ((nb, nb), (0, 0)))
    nzp, nxp = c2.shape
    edge = np.exp(-((_SPONGE_ALPHA * (nb - np.arange(nb)) / nb) ** 2))
    dz, dx = np.ones(nzp), np.ones(nxp)
    dz[:nb], dz[nzp - nb :] = edge, edge[::-1]
    dx[:nb], dx[nxp - nb :] = edge, edge[::-1]
    damp = np.outer(dz, dx).astype(np.float32)
    coef = c2.astype(np.float32)
    big = (nzp + 2 * halo, nxp + 2 * halo)
    p, p_old = np.zeros(big, np.float32), np.zeros(big, np.float32)
    inner = (slice(halo, halo + nzp), slice(halo, halo + nxp))
    p[inner] = r
    p_old[inner] = r
    lap, tmp = np.empty((nzp, nxp), np.float32), np.empty((nzp, nxp), np.float32)
    rec = np.empty((n_steps, len(columns)), np.float32)
    row, cols = halo + nb, halo + nb + np.asarray(columns)
    for n in range(n_steps):
        rec[n] = p[row, cols]
        np.multiply(p[inner], 2 * _C8[0], out=lap)
        for k in range(1, len(_C8)):
            up, down = slice(halo - k, halo - k + nzp), slice(halo + k, halo + k + nzp)
            left, right = slice(halo - k, halo - k + nxp), slice(halo + k, halo + k + nxp)
            np.add(p[up, inner[1]], p[down, inner[1]], out=tmp)
            np.add(tmp, p[inner[0], left], out=tmp)
            np.add(tmp, p[inner[0], right], out=tmp)
            tmp *= _C8[k]
            lap += tmp
        lap *= coef
        lap += 2 * p[inner]
        lap -= p_old[inner]
        lap *= damp
        p[inner] *= damp
        p_old[inner] = lap
        p, p_old = p_old, p
    return rec.T.astype(np.float64)


def _draw_geology(rng: np.random.Generator, width: float, t_s: float) -> dict[str, Any]:
    """Every random draw of the depth model (m, m/s, degrees) except bed thicknesses;
    ``t_s`` is the two-way time the model must cover."""
    v0, k = rng.uniform(1700, 2100), rng.uniform(0.45, 0.85)
    depth = v0 / k * (math.exp(k * t_s / 2) - 1)  # of t_s along the velocity trend
    side = float(rng.choice([-1.0, 1.0]))
    n_bumps = int(rng.integers(1, 3))
    return {
        "v0_m_s": v0,
        "gradient_per_s": k,
        "depth_m": depth,
        "lower_dip_deg": side * rng.uniform(4, 18),
        "upper_dip_deg": -side * rng.uniform(0, 4),
        "upper_wedge": rng.uniform(-0.5, 0.5),  # relative thickening across the width
        "folds": [
            {
                "amplitude_m": float(rng.choice([-1, 1]) * rng.uniform(30, 150)),
                "centre_m": rng.uniform(0, width),
                "half_width_m": rng.uniform(0.15, 0.5) * width,
            }
            for _ in range(n_bumps)
        ],
        "unconformity_m": rng.uniform(0.3, 0.55) * depth,
        "unconformity_relief_m": rng.uniform(8, 35),
        "lower_velocity_jump": rng.uniform(0.04, 0.15),
        "layer_sigma": rng.uniform(0.04, 0.08),
        "lower_bed_m": rng.uniform(12, 40),
        "upper_bed_m": rng.uniform(8, 30),
        "top_layer_m": rng.uniform(20, 60),
    }


def _draw_faults(
    rng: np.random.Generator, width: float, unconformity_m: float
) -> list[dict[str, Any]]:
    """One or two faults (``benchmarks.geofm_modelling`` fault dicts, x and v in m), the
    first young (it cuts the unconformity and ends upward in a tip), a second young or
    old (cut by the unconformity); oldest first."""
    faults = []
    centres: list[float] = []
    for i in range(int(rng.integers(1, 3))):
        kind = str(rng.choice(["normal", "reverse", "vertical"], p=[0.5, 0.3, 0.2]))
        dip = 90.0 if kind == "vertical" else rng.uniform(60, 85)
        for _ in range(100):  # keep faults apart at the unconformity
            centre = rng.uniform(0.2, 0.8) * width
            if all(abs(centre - c) > 0.3 * width for c in centres):
                break
        centres.append(centre)
        young = i == 0 or rng.random() < 0.5
        throw = float(rng.uniform(5.0, 80.0))
        faults.append(
            {
                "type": kind,
                "dip_deg": dip,
                "direction": float(rng.choice([-1.0, 1.0])),
                "sense": float(rng.choice([-1.0, 1.0])),
                "slope": 0.0 if kind == "vertical" else 1 / math.tan(math.radians(dip)),
                "x_ref": centre,
                "v_ref": unconformity_m,
                "throw": throw,
                "age": "young" if young else "old",
                "tip": rng.uniform(0.2, 0.9) * unconformity_m if young else 0.0,
                # slip grows over 2.5-5 throws below the tip: beds stay in order
                "taper": throw * rng.uniform(2.5, 5.0) if young else 0.0,
            }
        )
    return sorted(faults, key=lambda f: f["age"] == "young")


class _Model:
    """Layer properties of the depth model, evaluated at any (x, z) in m."""

    def __init__(self, g: dict[str, Any], faults: list[dict], rng, width: float, depth: float):
        self.g, self.faults, self.width = g, faults, width
        self.xc = width / 2
        xs = np.linspace(-0.5 * width, 1.5 * width, 512)
        self.relief_x = xs
        self.relief = smooth_curve(rng, xs, int(rng.integers(4, 8)), g["unconformity_relief_m"])
        span = 2 * depth + 400.0  # stratigraphic coordinates stay within +-span
        self.lower_edges = self._edges(rng, -span, span, g["lower_bed_m"])
        self.upper_edges = g["top_layer_m"] + self._edges(rng, 0.0, span, g["upper_bed_m"])
        self.lower_v = self._velocities(rng, self.lower_edges, 1 + g["lower_velocity_jump"])
        self.upper_v = self._velocities(rng, self.upper_edges, 1.0)
        self.lower_rho = 310 * self.lower_v**0.25 * (1 + rng.normal(0, 0.02, len(self.lower_v)))
        self.upper_rho = 310 * self.upper_v**0.25 * (1 + rng.normal(0, 0.02, len(self.upper_v)))

    @staticmethod
    def _edges(rng, start: float, stop: float, mean: float) -> np.ndarray:
        n = int((stop - start) / mean * 1.5) + 8
        return start + np.cumsum(np.maximum(rng.gamma(2.0, mean / 2, n), 3.0))

    def _velocities(self, rng, edges: np.ndarray, factor: float) -> np.ndarray:
        mid = np.r_[edges[0] - 50.0, 0.5 * (edges[1:] + edges[:-1]), edges[-1] + 50.0]
        trend = self.g["v0_m_s"] + self.g["gradient_per_s"] * np.maximum(mid, 0.0)
        wobble = np.clip(rng.normal(0, self.g["layer_sigma"], len(mid)), -0.15, 0.15)
        return trend * factor * (1 + wobble)

    def unconformity(self, x: np.ndarray) -> np.ndarray:
        return self.g["unconformity_m"] + np.interp(x, self.relief_x, self.relief)

    def _lower_u(self, x: np.ndarray, z: np.ndarray) -> np.ndarray:
        fold = np.zeros_like(x)
        for b in self.g["folds"]:
            fold += b["amplitude_m"] * np.exp(-(((x - b["centre_m"]) / b["half_width_m"]) ** 2))
        tilt = math.tan(math.radians(self.g["lower_dip_deg"])) * (x - self.xc)
        return z - tilt - fold * (0.4 + 0.6 * z / self.g["depth_m"])

    def _upper_u(self, x: np.ndarray, z: np.ndarray) -> np.ndarray:
        tilt = math.tan(math.radians(self.g["upper_dip_deg"])) * (x - self.xc)
        return (z - tilt) / (1 + self.g["upper_wedge"] * (x - self.xc) / self.width)

    def properties(self, x: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(velocity m/s, density kg/m3) at present-day (x, z)."""
        for f in reversed([f for f in self.faults if f["age"] == "young"]):
            ddx, ddz = fault_displacement(f, x, z)
            x, z = x - ddx, z - ddz
        upper = z < self.unconformity(x)
        xl, zl = x.copy(), z.copy()
        for f in reversed([f for f in self.faults if f["age"] == "old"]):
            ddx, ddz = fault_displacement(f, xl, zl)
            xl, zl = xl - ddx, zl - ddz
        k_low = np.searchsorted(self.lower_edges, self._lower_u(xl, zl))
        k_up = np.searchsorted(self.upper_edges, self._upper_u(x, z))
        v = np.where(upper, self.upper_v[k_up], self.lower_v[k_low])
        rho = np.where(upper, self.upper_rho[k_up], self.lower_rho[k_low])
        return v, rho


def _draw_wavelet(rng: np.random.Generator) -> tuple[dict[str, Any], float]:
    """A Ricker (15-30 Hz peak) or Ormsby wavelet, and the highest frequency it keeps."""
    if rng.random() < 0.5:
        peak = float(rng.uniform(15, 30))
        return {"kind": "ricker", "peak_hz": peak}, 2.3 * peak
    f1, f2, f3 = rng.uniform(3, 6), rng.uniform(8, 12), rng.uniform(30, 40)
    f4 = f3 + rng.uniform(10, 15)
    return {"kind": "ormsby", "corners_hz": [float(f) for f in (f1, f2, f3, f4)]}, f4


def _gridded(model: _Model, x: np.ndarray, h: float, nz: int) -> tuple[np.ndarray, np.ndarray]:
    """(velocity, ln impedance), each (nz, len(x)): cell means over _SUB sub-cells in
    depth, so a bed boundary inside a cell weighs in by where it lies."""
    v = np.empty((nz, len(x)))
    ln_z = np.empty((nz, len(x)))
    sub = ((np.arange(_SUB) + 0.5) / _SUB - 0.5) * h
    for i0 in range(0, nz, 32):
        z = np.arange(i0, min(i0 + 32, nz))[:, None, None] * h + sub[None, :, None]
        z = np.broadcast_to(z, z.shape[:2] + x.shape)  # (rows, _SUB, nx)
        vv, rho = model.properties(np.broadcast_to(x, z.shape), z)
        v[i0 : i0 + 32] = vv.mean(axis=1)
        ln_z[i0 : i0 + 32] = np.log(vv * rho).mean(axis=1)
    return v, ln_z


def wave_section(
    seed: int, n_traces: int = 128, n_samples: int = 256, dt_ms: float | None = None
) -> GeneratedSection:
    """An unmigrated zero-offset section modelled with the 2-D acoustic wave equation.

    Args:
        seed: the section's seed; the same seed gives the same section.
        n_traces: traces in the section.
        n_samples: samples per trace.
        dt_ms: output sample interval, ms (None: 2 or 4 ms, drawn from the seed).

    Returns:
        GeneratedSection: amplitudes scaled to unit RMS over the section, fault labels
        (1 within one trace of a fault plane, where the fault exists: below its tip, and
        below the unconformity for old faults), dt and the parameters (fault x and v in
        m: x from the first trace, v depth).
    """
    from scipy.ndimage import gaussian_filter, map_coordinates

    rng = np.random.default_rng([7102, seed])
    drawn_dt = float(rng.choice([2.0, 4.0], p=[0.3, 0.7]))
    dt = float(dt_ms) if dt_ms is not None else drawn_dt
    trace_m = float(rng.uniform(10.0, 15.0))
    wavelet, f_hi = _draw_wavelet(rng)
    t_model = n_samples * dt / 1000 + 0.06  # s of two-way time the model must cover
    width = (n_traces - 1) * trace_m
    g = _draw_geology(rng, width, t_model)
    faults = _draw_faults(rng, width, g["unconformity_m"])
    model = _Model(g, faults, rng, width, g["depth_m"])

    v_slowest = g["v0_m_s"] * 0.85  # no layer is slower (wobble >= -15 %)
    per_trace = math.ceil(trace_m / (v_slowest / 2 / (_PPW * f_hi)))
    h = trace_m / per_trace
    pad = 16  # traces of geology beyond each end of the section
    x = (np.arange((n_traces - 1 + 2 * pad) * per_trace + 1) - pad * per_trace) * h
    # deep enough for the slowest column to reach t_model: velocities <= trend * 1.33
    k = g["gradient_per_s"]
    nz = int(g["v0_m_s"] / k * (math.exp(1.33 * k * t_model / 2) - 1) / h) + 1
    v, ln_z = _gridded(model, x, h, nz)
    v_prop = gaussian_filter(v, 15.0 / h, mode="nearest")  # smooth: no internal multiples
    twt = np.vstack([np.zeros(len(x)), np.cumsum(2 * h / v_prop, axis=0)[:-1]])  # s
    deep = int(np.argmax(twt.min(axis=1) >= t_model)) or nz - 1
    v_prop, ln_z, twt = v_prop[: deep + 1], ln_z[: deep + 1], twt[: deep + 1]
    refl = np.zeros_like(ln_z)
    refl[1:] = 0.5 * np.diff(ln_z, axis=0)  # (Z2 - Z1) / (Z2 + Z1) to first order

    q = math.ceil(dt / 1000 / (_CFL * h / (float(v_prop.max()) / 2)))
    dt_fd = dt / 1000 / q
    n_steps = int(math.ceil((n_samples * dt / 1000 + 0.12) / dt_fd))
    columns = pad * per_trace + np.arange(n_traces) * per_trace
    rec = exploding_reflector(refl, v_prop / 2, h, dt_fd, n_steps, columns)
    if wavelet["kind"] == "ricker":
        w: Wavelet = ricker(wavelet["peak_hz"], dt_fd * 1000, 120.0)
    else:
        w = ormsby(tuple(wavelet["corners_hz"]), dt_fd * 1000, 150.0)
    clean = to_output_grid(convolve(rec, w), q)[:, :n_samples]
    clean /= np.sqrt(np.mean(clean**2))

    planes, described = [], []
    for i, f in enumerate(faults):
        z_plane = np.arange(0.0, (deep + 1) * h, h / 2)
        fx, fz = fault_plane_today(f, faults[i + 1 :], z_plane, model.unconformity)
        ft = map_coordinates(twt, [fz / h, fx / h + pad * per_trace], order=1, mode="nearest")
        planes.append((fx / trace_m, ft * 1000))
        v_here = float(np.mean(v_prop[:, int(np.clip(f["x_ref"] / h, 0, len(x) - 1))]))
        described.append(
            {
                **f,
                "throw_ms": 2000 * f["throw"] / v_here,
                **plane_summary(*planes[-1], n_traces, n_samples * dt),
            }
        )
    parameters = {
        "generator": "wave",
        "seed": int(seed),
        "dt_ms": dt,
        "shape": [n_traces, n_samples],
        "trace_spacing_m": trace_m,
        "fd_grid_m": h,
        "fd_dt_ms": dt_fd * 1000,
        "fd_cells": [int(ln_z.shape[0]), int(ln_z.shape[1])],
        "wavelet": wavelet,
        "geology": g,
        "faults": described,
    }
    labels = rasterize_faults(planes, n_traces, n_samples, dt)
    return GeneratedSection(clean.astype(np.float32), labels, dt, json_ready(parameters))
