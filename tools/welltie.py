"""Well tie: a synthetic seismogram from sonic and density, matched to the seismic at a well.

The steps follow White and Simm (2003):

1. time-depth: two-way time from the integrated sonic, drift-corrected to the checkshot
   at each checkshot level inside the log (the checkshot wins; the sonic shapes the
   time between levels);
2. impedance AI = velocity x density, binned into time on a grid 8x finer than the
   seismic and low-passed below 0.8x the seismic Nyquist before it is resampled;
3. reflectivity R = (Z2 - Z1)/(Z2 + Z1) = tanh(½·Δ ln Z) on the seismic grid, and the
   synthetic R * wavelet;
4. a bulk shift (and, for the statistical wavelet, a constant phase rotation) that
   maximises the correlation with the seismic within ±max_shift_ms, then one linear
   stretch factor within ±max_stretch about the top of the log (stretch and shift are
   searched together, so a stretch never moves the log by more than max_shift_ms);
5. the wavelet: "statistical" (zero phase from the traces' mean amplitude spectrum,
   rotated by the phase the tie finds) or "well" (least-squares matching filter between
   the tied reflectivity and the seismic, White 1980), whose phase is read off the
   wavelet itself.

Times are two-way in ms, depths in m (the LAS depth reference, shared with the
checkshot), impedance in (m/s)·(kg/m3). Traces are (n_samples,), time on the last axis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from common.errors import BadInputError
from tools.filters import bandpass_traces
from tools.metrics import correlation
from tools.synthetic import convolve_traces
from tools.wells import depth_to_twt

__all__ = [
    "WHITE_SIMM_CITATION",
    "WHITE_1980_CITATION",
    "Tie",
    "sonic_to_us_per_m",
    "density_to_kg_m3",
    "sonic_twt",
    "impedance_in_time",
    "synthetic_trace",
    "rotate_phase",
    "wavelet_phase_deg",
    "least_squares_wavelet",
    "tie_trace",
]

WHITE_SIMM_CITATION = (
    "White, R., and Simm, R., 2003, Tutorial: Good practice in well ties: "
    "First Break, 21(10), 75-83"
)
WHITE_1980_CITATION = (
    "White, R. E., 1980, Partial coherence matching of synthetic seismograms with "
    "seismic traces: Geophysical Prospecting, 28(3), 333-358"
)
_OVERSAMPLE = 8  # fine time grid for binning the log, per seismic sample


def sonic_to_us_per_m(dt: np.ndarray, unit: str) -> np.ndarray:
    """Sonic slowness in µs/m from µs/ft or µs/m (unit text, else guessed from the values:
    rock slowness lies near 40-190 µs/ft or 130-620 µs/m)."""
    u = unit.lower().replace(" ", "")
    per_ft = any(k in u for k in ("/ft", "/f", "pf", "perft")) or (
        "/m" not in u and float(np.nanmedian(dt)) < 200.0
    )
    return dt / 0.3048 if per_ft else dt


def density_to_kg_m3(rho: np.ndarray, unit: str) -> np.ndarray:
    """Bulk density in kg/m3 from g/cm3 or kg/m3 (unit text, else guessed from the values)."""
    u = unit.lower().replace(" ", "")
    grams = u.startswith("g") or u in ("gm/cc", "g/c3") or float(np.nanmedian(rho)) < 10.0
    return rho * 1000.0 if grams and not u.startswith("kg") else rho


def sonic_twt(
    depth_m: np.ndarray, slowness_us_m: np.ndarray, cs_depth_m: np.ndarray, cs_twt_ms: np.ndarray
) -> np.ndarray:
    """Two-way time of each log depth, ms: integrated sonic with checkshot drift correction.

    Args:
        depth_m: (n,) increasing log depths.
        slowness_us_m: (n,) sonic slowness in µs/m, gaps (NaN) interpolated.
        cs_depth_m, cs_twt_ms: the checkshot (depth increasing, time not decreasing).

    Returns:
        (n,) two-way times that equal the checkshot's (linearly interpolated) at the log
        top, the log base and every checkshot level between them.
    """
    ok = np.isfinite(slowness_us_m)
    s = np.interp(depth_m, depth_m[ok], slowness_us_m[ok])
    # trapezoid rule; µs/m x m x 2 (two-way) / 1000 -> ms
    t_sonic = np.r_[0.0, np.cumsum(np.diff(depth_m) * 0.5 * (s[1:] + s[:-1]))] * 2e-3
    inner = cs_depth_m[(cs_depth_m > depth_m[0]) & (cs_depth_m < depth_m[-1])]
    knots = np.r_[depth_m[0], inner, depth_m[-1]]
    drift = depth_to_twt(knots, cs_depth_m, cs_twt_ms) - np.interp(knots, depth_m, t_sonic)
    return t_sonic + np.interp(depth_m, knots, drift)


def impedance_in_time(
    twt_ms: np.ndarray, impedance: np.ndarray, dt_ms: float
) -> tuple[np.ndarray, np.ndarray]:
    """ln(AI) on a regular fine time grid, anti-aliased for sampling at ``dt_ms``.

    Returns:
        (t_fine_ms, ln_ai) both (m,), spacing dt_ms / 8, covering the log's time range.
    """
    step = dt_ms / _OVERSAMPLE
    k = np.round((twt_ms - twt_ms[0]) / step).astype(int)
    sums = np.bincount(k, weights=np.log(impedance))
    counts = np.bincount(k)
    bins = np.arange(len(counts))
    filled = counts > 0
    ln_ai = np.interp(bins, bins[filled], sums[filled] / counts[filled])
    if len(ln_ai) > 16:
        ln_ai = bandpass_traces(ln_ai, step, 0.0, 0.8 * 500.0 / dt_ms, order=6)
    return twt_ms[0] + bins * step, ln_ai


def synthetic_trace(
    t_fine_ms: np.ndarray,
    ln_ai: np.ndarray,
    wavelet: np.ndarray,
    t_ms: np.ndarray,
    shift_ms: float = 0.0,
    stretch: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The log's synthetic on the seismic times ``t_ms`` after a shift and a stretch.

    A log time t moves to t_top + shift_ms + (t - t_top)·(1 + stretch), t_top being the
    log's first time.

    Returns:
        (synthetic, reflectivity, inside) each (n,); inside marks samples within the log.
    """
    top = t_fine_ms[0]
    t_log = top + (t_ms - top - shift_ms) / (1.0 + stretch)
    inside = (t_log >= t_fine_ms[0]) & (t_log <= t_fine_ms[-1])
    # the contrast across each sample's own interval, so reflections sit where they are
    # (a difference of neighbouring samples would place them half a sample early)
    half = 0.5 * (t_ms[1] - t_ms[0]) / (1.0 + stretch)
    ln_z = np.interp(np.r_[t_log - half, t_log[-1] + half], t_fine_ms, ln_ai)
    r = np.tanh(0.5 * np.diff(ln_z))  # (Z2 - Z1) / (Z2 + Z1), exactly
    return convolve_traces(r, wavelet), r, inside


def rotate_phase(x: np.ndarray, phase_deg: float) -> np.ndarray:
    """Constant phase rotation along the last axis: Re{(x + i·H x)·e^(i·phase)}."""
    from scipy.signal import hilbert

    a = hilbert(x, axis=-1)
    phi = np.deg2rad(phase_deg)
    return np.real(a) * np.cos(phi) - np.imag(a) * np.sin(phi)


def wavelet_phase_deg(wavelet: np.ndarray) -> float:
    """Constant phase of a wavelet, degrees in (-180, 180]: the instantaneous phase at the
    peak of its envelope (0 for a zero-phase wavelet, φ for one rotated by φ), read on
    the wavelet interpolated 16x so a delay of a fraction of a sample does not bias it."""
    from scipy.signal import hilbert, resample

    w = np.asarray(wavelet, float)
    a = hilbert(resample(np.r_[w, np.zeros(len(w))], 32 * len(w)))
    phase = float(np.rad2deg(np.angle(a[int(np.argmax(np.abs(a)))])))
    return 180.0 if phase <= -180.0 else phase


def least_squares_wavelet(
    reflectivity: np.ndarray, trace: np.ndarray, n: int, damping: float = 0.01
) -> np.ndarray:
    """Centred wavelet w, (n,) n odd, minimising ‖R*w - trace‖² + ε‖w‖² over the samples
    given (a Wiener matching filter, White 1980), its outer fifths cosine-tapered.

    Args:
        reflectivity, trace: (m,) aligned series over the tie window, m > 2n.
        damping: ε relative to the mean diagonal of RᵀR.
    """
    from scipy.linalg import solve_toeplitz
    from scipy.signal.windows import tukey

    half = n // 2
    m = len(reflectivity)
    full = np.correlate(np.r_[np.zeros(half), trace, np.zeros(half)], reflectivity, "valid")
    auto = np.correlate(reflectivity, reflectivity, "full")[m - 1 : m - 1 + n].copy()
    auto[0] *= 1.0 + damping
    w = solve_toeplitz(auto, full) if auto[0] > 0 else np.zeros(n)
    return w * tukey(n, 0.4)


@dataclass(frozen=True)
class Tie:
    """The outcome of a tie: correlations, the shift, stretch and wavelet found.

    Attributes:
        corr_before: synthetic (zero-phase statistical wavelet, checkshot times) vs trace.
        corr_shift: after the bulk shift (and phase rotation, statistical wavelet).
        corr_after: after shift and stretch with the final wavelet.
        shift_ms, stretch: the log time t moved to top + shift + (t - top)(1 + stretch).
        phase_deg: constant phase of the final wavelet.
        wavelet: (n,) the final wavelet, scaled so the synthetic fits the trace.
        synthetic: (nt,) the tied synthetic on the trace's times, 0 outside the log.
        inside: (nt,) samples the tie was measured on.
    """

    corr_before: float
    corr_shift: float
    corr_after: float
    shift_ms: float
    stretch: float
    phase_deg: float
    wavelet: np.ndarray
    synthetic: np.ndarray
    inside: np.ndarray


def _search(
    t_fine: np.ndarray,
    ln_ai: np.ndarray,
    wavelet: np.ndarray,
    trace: np.ndarray,
    t_ms: np.ndarray,
    shifts: np.ndarray,
    stretches: np.ndarray,
    free_phase: bool,
) -> tuple[float, float, float, float]:
    """Best (correlation, shift, stretch, phase) over the grid; with ``free_phase`` the
    constant phase maximising the correlation is found in closed form at each point."""
    from scipy.signal import hilbert

    best = (-np.inf, 0.0, 0.0, 0.0)
    for s in stretches:
        for tau in shifts:
            syn, _, inside = synthetic_trace(t_fine, ln_ai, wavelet, t_ms, tau, s)
            if inside.sum() < 8:
                continue
            x = trace[inside] - trace[inside].mean()
            y = syn[inside] - syn[inside].mean()
            if free_phase:
                h = np.imag(hilbert(syn))[inside]
                h -= h.mean()
                a, b = float(x @ y), float(x @ h)
                phi = float(np.arctan2(-b, a))  # argmax of a·cos φ - b·sin φ
                y = y * np.cos(phi) - h * np.sin(phi)
            else:
                phi = 0.0
            den = float(np.sqrt((x @ x) * (y @ y)))
            c = float(x @ y) / den if den > 0 else 0.0
            if c > best[0]:
                best = (c, float(tau), float(s), float(np.rad2deg(phi)))
    return best


def tie_trace(
    trace: np.ndarray,
    dt_ms: float,
    t0_ms: float,
    t_fine_ms: np.ndarray,
    ln_ai: np.ndarray,
    wavelet: np.ndarray,
    method: str = "statistical",
    max_shift_ms: float = 100.0,
    max_stretch: float = 0.03,
) -> Tie:
    """Tie a log (ln AI on a fine time grid) to a seismic trace.

    Args:
        trace: (nt,) seismic at the well.
        dt_ms, t0_ms: the trace's sample interval and first time, ms.
        t_fine_ms, ln_ai: the log from :func:`impedance_in_time`.
        wavelet: (n,) odd, centred zero-phase starting wavelet (statistical).
        method: "statistical" (the starting wavelet, constant phase rotated) or "well"
            (least-squares wavelet from the tied reflectivity and the trace).
        max_shift_ms: largest bulk shift searched, ms.
        max_stretch: largest |stretch| searched (0.03 = 3 %).
    """
    t = t0_ms + np.arange(len(trace)) * dt_ms
    syn0, _, inside0 = synthetic_trace(t_fine_ms, ln_ai, wavelet, t)
    before = correlation(syn0[inside0], trace[inside0]) if inside0.sum() >= 8 else 0.0
    step = dt_ms / 4.0
    shifts = np.arange(-np.floor(max_shift_ms / step), np.floor(max_shift_ms / step) + 1) * step
    c1, _, _, _ = _search(t_fine_ms, ln_ai, wavelet, trace, t, shifts, np.zeros(1), True)
    if c1 == -np.inf:
        raise BadInputError(
            "the log and the seismic overlap by fewer than 8 samples at every shift; "
            "check the checkshot, the trace times and max_shift_ms"
        )
    n_s = int(round(max_stretch / 0.001))
    stretches = np.linspace(-max_stretch, max_stretch, 2 * n_s + 1) if n_s else np.zeros(1)
    _, tau, s, phi = _search(t_fine_ms, ln_ai, wavelet, trace, t, shifts, stretches, True)
    w = rotate_phase(wavelet, phi)
    if method == "well":
        _, r, inside = synthetic_trace(t_fine_ms, ln_ai, w, t, tau, s)
        # estimated once, at the statistical tie's alignment: searching the shift again
        # with this wavelet would trade its delay against the shift
        w = _well_wavelet(r, trace, inside, len(wavelet))
    syn, _, inside = synthetic_trace(t_fine_ms, ln_ai, w, t, tau, s)
    scale = float(trace[inside] @ syn[inside]) / max(float(syn[inside] @ syn[inside]), 1e-30)
    return Tie(
        corr_before=before,
        corr_shift=c1,
        corr_after=correlation(syn[inside], trace[inside]),
        shift_ms=tau,
        stretch=s,
        phase_deg=wavelet_phase_deg(w) if method == "well" else (phi + 180.0) % 360.0 - 180.0,
        wavelet=w * scale,
        synthetic=np.where(inside, syn * scale, 0.0),
        inside=inside,
    )


def _well_wavelet(r: np.ndarray, trace: np.ndarray, inside: np.ndarray, n: int) -> np.ndarray:
    if inside.sum() <= 2 * n:
        raise BadInputError(
            f"the tie window ({int(inside.sum())} samples) is too short for a {n}-sample "
            "well wavelet; use wavelet='statistical' or a shorter wavelet_ms"
        )
    w = least_squares_wavelet(r[inside], trace[inside], n)
    peak = float(np.max(np.abs(w)))
    return w / peak if peak > 0 else w
