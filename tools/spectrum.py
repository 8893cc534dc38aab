"""Amplitude spectra, dominant frequency and statistical (zero-phase) wavelet estimation.

Pure functions take traces with time on the last axis and ``dt_ms`` in ms; frequencies
are in Hz. The statistical wavelet assumes white reflectivity, so the data's average
amplitude spectrum is the wavelet's; its phase is unknown and set to zero.
"""

from __future__ import annotations

import numpy as np

from common.errors import BadInputError
from tools.filters import YILMAZ_CITATION
from tools.plotting import spectrum_figure
from tools.registry import ArrayId, Positive
from tools.result import ToolResult
from tools.section import Section, load_section
from tools.workspace import Workspace

__all__ = [
    "amplitude_spectrum",
    "dominant_frequency",
    "statistical_wavelet",
    "spectrum",
    "estimate_wavelet",
]


def amplitude_spectrum(data: np.ndarray, dt_ms: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean amplitude spectrum over all traces.

    Args:
        data: (..., n_samples) traces.
        dt_ms: sample interval, ms.

    Returns:
        (f_hz, amplitude), both (n_samples // 2 + 1,); amplitude in data units.
    """
    d = np.asarray(data, dtype=float).reshape(-1, np.shape(data)[-1])
    nt = d.shape[1]
    taper = np.hanning(nt)  # limits leakage from the trace ends
    amp = np.abs(np.fft.rfft((d - d.mean(1, keepdims=True)) * taper, axis=1)).mean(0)
    return np.fft.rfftfreq(nt, dt_ms / 1000.0), amp


def dominant_frequency(f_hz: np.ndarray, amplitude: np.ndarray) -> float:
    """Frequency of the peak of a lightly smoothed amplitude spectrum, Hz."""
    k = max(1, len(amplitude) // 64)
    smooth = np.convolve(amplitude, np.ones(k) / k, mode="same")
    return float(f_hz[int(np.argmax(smooth))])


def statistical_wavelet(data: np.ndarray, dt_ms: float, length_ms: float = 128.0) -> np.ndarray:
    """Zero-phase wavelet with the data's mean amplitude spectrum, (n,) odd, unit peak.

    Args:
        data: (..., n_samples) traces.
        dt_ms: sample interval, ms.
        length_ms: wavelet length, ms; a Hann taper confines it.
    """
    d = np.asarray(data, dtype=float).reshape(-1, np.shape(data)[-1])
    nt = d.shape[1]
    if not length_ms > 0:
        raise BadInputError(f"length_ms must be > 0, got {length_ms}")
    half = int(length_ms / dt_ms) // 2
    if 2 * half + 1 > nt:
        raise BadInputError(
            f"wavelet length {length_ms} ms exceeds the traces "
            f"({nt * dt_ms:g} ms); choose a shorter length_ms"
        )
    # mean power spectrum via autocorrelations, stable for short traces
    power = (np.abs(np.fft.rfft(d - d.mean(1, keepdims=True), n=2 * nt, axis=1)) ** 2).mean(0)
    w = np.fft.irfft(np.sqrt(power))  # zero phase: symmetric around sample 0
    w = np.concatenate([w[-half:], w[: half + 1]]) * np.hanning(2 * half + 3)[1:-1]
    peak = np.max(np.abs(w))
    if peak == 0:
        raise BadInputError("the data are all zero; no wavelet can be estimated")
    return w / peak


def spectrum(workspace: Workspace, data: ArrayId, figure: bool = True) -> ToolResult:
    """Mean amplitude spectrum of a section or trace, its dominant frequency and bandwidth.

    Args:
        data: workspace id of the traces (time on the last axis).
        figure: also save a PNG of the spectrum in dB.
    """
    sec = load_section(workspace, data, ndim=(1, 2, 3))
    f, amp = amplitude_spectrum(sec.data, sec.dt_ms)
    f_dom = dominant_frequency(f, amp)
    above = f[amp >= amp.max() / 2]  # -6 dB band
    art = workspace.save_array(
        np.stack([f, amp]),
        f"amplitude spectrum of {data} (row 0: Hz, row 1: amplitude)",
        {"axes": ["row", "frequency_hz"], "derived_from": data},
    )
    metrics = {
        "dominant_hz": f_dom,
        "band_low_hz": float(above.min()),
        "band_high_hz": float(above.max()),
        "nyquist_hz": float(f[-1]),
    }
    text = (
        f"spectrum of {data} -> {art.id}: dominant {f_dom:.1f} Hz, -6 dB band "
        f"{metrics['band_low_hz']:.1f}-{metrics['band_high_hz']:.1f} Hz, "
        f"Nyquist {f[-1]:.0f} Hz"
    )
    artifacts = [art]
    if figure:
        fig = spectrum_figure(workspace, [(data, f, amp)], title=f"amplitude spectrum of {data}")
        artifacts.append(fig)
        text += f"; figure {fig.id}"
    return ToolResult(text, tuple(artifacts), metrics)


def estimate_wavelet(
    workspace: Workspace, data: ArrayId, length_ms: Positive = 128.0, traces: int = 0
) -> ToolResult:
    """Statistical zero-phase wavelet from the mean amplitude spectrum of the data.

    Args:
        data: workspace id of the section (time on the last axis).
        length_ms: wavelet length in milliseconds.
        traces: use only this many traces around the middle of the section; 0 uses all.
    """
    sec: Section = load_section(workspace, data, ndim=(1, 2, 3))
    d = sec.data.reshape(-1, sec.data.shape[-1])
    if traces > 0:
        mid = len(d) // 2
        d = d[max(0, mid - traces // 2) : mid + (traces + 1) // 2]
    w = statistical_wavelet(d, sec.dt_ms, length_ms)
    f, amp = amplitude_spectrum(w, sec.dt_ms)
    art = workspace.save_array(
        w,
        f"zero-phase statistical wavelet from {data}",
        {
            "dt_ms": sec.dt_ms,
            "axes": ["twt_ms"],
            "t0_ms": -(len(w) // 2) * sec.dt_ms,
            "derived_from": data,
        },
    )
    f_dom = dominant_frequency(f, amp)
    return ToolResult(
        f"wavelet {art.id}: {len(w)} samples ({length_ms:g} ms) zero-phase, "
        f"dominant {f_dom:.1f} Hz, from {len(d)} traces of {data}",
        (art,),
        {"dominant_hz": f_dom},
        (YILMAZ_CITATION,),
        details={"n_samples": float(len(w)), "n_traces_used": float(len(d))},
    )
