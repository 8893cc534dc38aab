"""Unmigrated zero-offset sections from a migrated one, for training the GeoFM fault head.

A stacked section that has not been migrated shows a fault as a line of diffraction
hyperbolae hanging from the reflector terminations, with dipping beds displaced downdip;
a head trained only on migrated-looking sections (``tools.synthetic``,
:mod:`tools.geofm.geology`) does not recognise it. :func:`zero_offset_model` turns a
section in vertical two-way time into the zero-offset section a constant-velocity medium
would record, by Stolt's f-k mapping run backwards (exploding-reflector modelling, the
adjoint of Stolt migration)::

    s = make_geology(192, 96, dt_ms=4.0, seed=0)
    d = zero_offset_model(s.seismic, dt_ms=4.0, slope_ms=8.0)   # same shape

``slope_ms`` is the asymptotic slope of a diffraction, 2·Δx/v in ms per trace (12.5 m
traces at 2500 m/s: 10 ms per trace). Fault labels keep their place: a fault plane at
its vertical two-way time is where the apexes of its diffractions lie, which is where a
migration would put it back.

Reference: Stolt, R. H. (1978). Migration by Fourier transform. Geophysics, 43(1),
23-48.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import map_coordinates

from common.errors import BadInputError
from tools.geofm.geology import make_geology

__all__ = ["STOLT_CITATION", "zero_offset_model", "unmigrated_tile"]

STOLT_CITATION = "Stolt, R. H. (1978). Migration by Fourier transform. Geophysics, 43(1), 23-48."


def _power_of_two(n: int) -> int:
    """The smallest power of two >= n (and >= 2)."""
    return 1 << int(np.ceil(np.log2(max(n, 2))))


def zero_offset_model(image: np.ndarray, dt_ms: float, slope_ms: float) -> np.ndarray:
    """The zero-offset section a constant-velocity medium records from ``image``.

    Args:
        image: (n_traces, n_samples) section in vertical two-way time (a migrated image).
        dt_ms: sample interval, ms.
        slope_ms: asymptotic slope of a diffraction, ms per trace (2·trace spacing /
            velocity); larger is slower rock or wider trace spacing, flatter hyperbolae.

    Returns:
        (n_traces, n_samples) float64: the unmigrated section. The image is padded to
        at least twice its size in both directions first, so energy leaving the window is lost
        rather than wrapped around.

    Raises:
        BadInputError: not a 2-D array, or a sample interval or slope that is not > 0.
    """
    a = np.asarray(image, dtype=np.float64)
    if a.ndim != 2 or min(a.shape) < 2:
        raise BadInputError(f"image must be a 2-D section (traces x samples), got {a.shape}")
    if not dt_ms > 0 or not slope_ms > 0:
        raise BadInputError(f"dt_ms and slope_ms must be > 0, got {dt_ms} and {slope_ms}")
    nx, nt = a.shape
    px, pt = _power_of_two(2 * nx), _power_of_two(2 * nt)
    m = np.zeros((px, pt))
    m[:nx, :nt] = a
    spec = np.fft.fftshift(np.fft.fft2(m), axes=1)  # time frequency sorted, for lookup
    w = np.fft.fftshift(np.fft.fftfreq(pt, d=dt_ms))  # cycles per ms, ascending
    kx = np.fft.fftfreq(px, d=1.0)  # cycles per trace
    dw = w[1] - w[0]
    # a plane wave of slope s has |kx| = s |w|; diffractions reach slope_ms, no further
    arg = w[None, :] ** 2 - (kx[:, None] / slope_ms) ** 2
    live = arg > 0
    k_tau = np.sign(w)[None, :] * np.sqrt(np.where(live, arg, 0.0))
    rows = np.broadcast_to(np.arange(px)[:, None], k_tau.shape)
    cols = k_tau / dw + pt // 2  # fractional index of k_tau on the sorted axis
    coords = np.stack([rows, cols])
    out = map_coordinates(spec, coords, order=1, mode="constant")
    out[~live] = 0.0
    d = np.fft.ifft2(np.fft.ifftshift(out, axes=1)).real
    return d[:nx, :nt]


def unmigrated_tile(
    rng: np.random.Generator, tile: int, seed: int, min_faults: int = 0
) -> tuple[np.ndarray, np.ndarray, float]:
    """One tile of an unmigrated :func:`tools.geofm.geology.make_geology` section.

    The section is drawn one and a half tiles wide and a quarter taller than a tile,
    modelled with :func:`zero_offset_model` at a diffraction slope of 4-15 ms per trace
    (10-15 m traces, 2-5 km/s), and a tile is cut at least an eighth of a tile from its
    sides, so diffractions from beyond the tile's edges come into it as they would in a
    longer line. With ``min_faults`` the tile is cut across a fault where the section
    has one there.

    Returns:
        (clean, fault_mask, dt_ms): as :func:`tools.geofm.data.random_tile`.
    """
    dt_ms = float(rng.choice([2.0, 4.0]))
    nx, nt = tile + tile // 2, tile + tile // 4
    g = make_geology(nx, nt, dt_ms, seed=seed, min_faults=min_faults)
    slope = float(np.exp(rng.uniform(np.log(4.0), np.log(15.0))))
    d = zero_offset_model(g.seismic, dt_ms, slope)
    lo, hi = tile // 8, nx - tile - tile // 8  # the tile's first trace
    j0 = int(rng.integers(0, nt - tile + 1))
    i0 = int(rng.integers(lo, hi + 1))
    if min_faults:
        faulted = np.flatnonzero(g.fault_mask[:, j0 : j0 + tile].any(axis=1))
        faulted = faulted[(faulted >= lo) & (faulted < hi + tile)]
        if faulted.size:
            x = int(rng.choice(faulted))
            i0 = int(rng.integers(max(lo, x - tile + 1), min(hi, x) + 1))
    window = (slice(i0, i0 + tile), slice(j0, j0 + tile))
    return d[window], g.fault_mask[window], dt_ms
