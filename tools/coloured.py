"""Relative (band-limited) impedance without a low-frequency model: coloured inversion.

Coloured inversion (Lancaster and Whitcombe, 2000) designs one convolution operator
that shapes the data's mean amplitude spectrum to an impedance spectrum and rotates the
phase by -90° (the integration from reflectivity to impedance). Impedance logs have
amplitude spectra close to a power law f^-alpha; alpha is fitted to a log when one is
given. The result carries the seismic band only, so it is relative impedance: a
departure from an unknown trend, on an arbitrary scale.

Arrays are (n_traces, n_samples), time last; frequencies in Hz; ``dt_ms`` in ms.
"""

from __future__ import annotations

import numpy as np

from common.errors import BadInputError
from tools.filters import bandpass_traces

__all__ = [
    "COLOURED_CITATION",
    "DEFAULT_ALPHA",
    "seismic_band",
    "impedance_alpha",
    "coloured_operator",
    "coloured_inversion",
    "remove_trend",
]

COLOURED_CITATION = (
    "Lancaster, S., and Whitcombe, D., 2000, Fast-track 'coloured' inversion: "
    "SEG Technical Program Expanded Abstracts 2000, 1572-1575"
)
# Power-law exponent of the impedance spectrum when no log is given: the measured value
# of blocky logs lies near 1 (a sum of steps falls as 1/f).
DEFAULT_ALPHA = 1.0


def _smooth(x: np.ndarray, k: int) -> np.ndarray:
    k = max(1, k)
    return np.convolve(np.pad(x, k // 2, mode="edge"), np.ones(k) / k, mode="valid")[: len(x)]


def seismic_band(
    f_hz: np.ndarray, amplitude: np.ndarray, level: float = 0.1
) -> tuple[float, float]:
    """(low, high) Hz where a smoothed amplitude spectrum exceeds ``level``·peak.

    The noise floor (median over the top fifth of the frequencies, where reflections
    carry little energy) is subtracted first, so that white noise does not widen the band.
    """
    smooth = _smooth(amplitude, len(amplitude) // 32)
    signal = smooth - np.median(smooth[int(0.8 * len(smooth)) :])
    above = np.flatnonzero(signal >= level * signal.max())
    return float(f_hz[above[0]]), float(f_hz[above[-1]])


def impedance_alpha(log_ai: np.ndarray, dt_ms: float, band_hz: tuple[float, float]) -> float:
    """Exponent alpha of a log's impedance spectrum ~ f^-alpha, fitted in ``band_hz``.

    Args:
        log_ai: (n,) positive impedance log in time.
        dt_ms: its sample interval, ms.
        band_hz: (low, high) frequencies of the fit, Hz.
    """
    z = np.log(np.asarray(log_ai, float))
    z = z - np.polyval(np.polyfit(np.arange(len(z)), z, 1), np.arange(len(z)))
    amp = np.abs(np.fft.rfft(z * np.hanning(len(z))))
    f = np.fft.rfftfreq(len(z), dt_ms / 1000.0)
    use = (f >= max(band_hz[0], f[1])) & (f <= band_hz[1])
    if use.sum() < 4:
        raise BadInputError(
            f"the log has too few samples ({len(z)}) to fit its spectrum in "
            f"{band_hz[0]:.0f}-{band_hz[1]:.0f} Hz"
        )
    slope = np.polyfit(np.log(f[use]), np.log(_smooth(amp, 5)[use] + 1e-12), 1)[0]
    return float(np.clip(-slope, 0.0, 2.0))


def coloured_operator(
    amplitude: np.ndarray, f_hz: np.ndarray, alpha: float, band_hz: tuple[float, float]
) -> np.ndarray:
    """Complex frequency response (len(f_hz),) of the coloured-inversion operator.

    |O(f)| = f^-alpha / S(f) inside the band (S: smoothed data spectrum), cosine-tapered
    over an octave's fifth at each edge and zero outside; phase -90° (the sign of
    integration, so that a positive reflection becomes a step up in impedance).
    """
    s = _smooth(amplitude, len(amplitude) // 32)
    lo, hi = band_hz
    f = np.maximum(f_hz, f_hz[1] if len(f_hz) > 1 else 1.0)
    mag = np.where(s > 0, f**-alpha / np.maximum(s, 1e-12 * s.max()), 0.0)
    taper = np.zeros_like(f_hz)
    w_lo, w_hi = 0.2 * lo, 0.2 * hi
    inside = (f_hz >= lo) & (f_hz <= hi)
    taper[inside] = 1.0
    for edge, width, sign in ((lo, w_lo, -1), (hi, w_hi, 1)):
        ramp = (sign * (f_hz - edge) > 0) & (sign * (f_hz - edge) < width)
        taper[ramp] = 0.5 * (1 + np.cos(np.pi * np.abs(f_hz[ramp] - edge) / width))
    return -1j * mag * taper


def coloured_inversion(
    data: np.ndarray,
    dt_ms: float,
    alpha: float = DEFAULT_ALPHA,
    band_hz: tuple[float, float] | None = None,
) -> tuple[np.ndarray, tuple[float, float]]:
    """Relative impedance by coloured inversion, (n_traces, n_samples) -> same shape.

    Args:
        data: (n_traces, n_samples) zero-phase post-stack seismic (positive = impedance
            increase).
        dt_ms: sample interval, ms.
        alpha: exponent of the target impedance spectrum f^-alpha.
        band_hz: (low, high) band of the operator, Hz; default: where the data's mean
            amplitude spectrum exceeds a tenth of its peak.

    Returns:
        (relative impedance scaled to the data's RMS, the band used in Hz).
    """
    d = np.asarray(data, float)
    nt = d.shape[-1]
    n = 2 * nt  # zero-padded against wrap-around
    spec = np.fft.rfft(d - d.mean(-1, keepdims=True), n=n, axis=-1)
    f = np.fft.rfftfreq(n, dt_ms / 1000.0)
    amp = np.abs(spec).mean(0)
    if not np.any(amp > 0):
        raise BadInputError("the data are all zero; there is no band to invert")
    band = band_hz or seismic_band(f, amp)
    if not band[1] > band[0]:
        raise BadInputError(f"the seismic band {band[0]:g}-{band[1]:g} Hz is empty")
    op = coloured_operator(amp, f, alpha, band)
    out = np.fft.irfft(spec * op, n=n, axis=-1)[..., :nt]
    rms = float(np.sqrt(np.mean(out**2)))
    return out * (float(np.sqrt(np.mean(d**2))) / rms if rms > 0 else 1.0), band


def remove_trend(log_ai: np.ndarray, dt_ms: float, cutoff_hz: float) -> np.ndarray:
    """ln-impedance minus its trend below ``cutoff_hz`` (zero-phase low-pass), same shape."""
    return log_ai - bandpass_traces(log_ai, dt_ms, 0.0, cutoff_hz, order=2)
