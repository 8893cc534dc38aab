"""Trace filters: zero-phase bandpass, AGC, and the f-k dip filter.

Pure functions take (n_traces, n_samples) arrays (time last, ``dt_ms`` in ms); the
tools apply them to 2D lines or to each inline of a cube.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import Field

from common.errors import BadInputError
from tools.processing import processing_result
from tools.registry import ArrayId, NonNegative, Positive
from tools.result import ToolResult
from tools.section import apply_2d, load_section
from tools.workspace import Workspace

__all__ = [
    "bandpass_traces",
    "agc_traces",
    "fk_dip_filter",
    "bandpass",
    "agc",
    "fk_filter",
    "check_order",
    "check_fk",
    "SCIPY_CITATION",
    "YILMAZ_CITATION",
]

SCIPY_CITATION = (
    "Virtanen, P., et al., 2020, SciPy 1.0: fundamental algorithms for "
    "scientific computing in Python: Nature Methods, 17, 261-272"
)
YILMAZ_CITATION = (
    "Yilmaz, Ö., 2001, Seismic Data Analysis: Processing, Inversion, and "
    "Interpretation of Seismic Data: SEG, Investigations in Geophysics 10"
)


def bandpass_traces(
    data: np.ndarray, dt_ms: float, low_hz: float, high_hz: float, order: int = 4
) -> np.ndarray:
    """Zero-phase Butterworth bandpass along the last axis (forward-backward, scipy.signal).

    Args:
        data: (..., n_samples) traces.
        dt_ms: sample interval, ms.
        low_hz: low corner, Hz (0 for a low-pass).
        high_hz: high corner, Hz (below Nyquist).
        order: filter order of each pass (the forward-backward response is squared).
    """
    from scipy.signal import butter, sosfiltfilt

    nyq = 500.0 / dt_ms
    if not 0 <= low_hz < high_hz:
        raise BadInputError(f"need 0 <= low_hz < high_hz, got {low_hz} and {high_hz} Hz")
    if high_hz >= nyq:
        raise BadInputError(
            f"high_hz={high_hz} Hz is at or above Nyquist ({nyq:g} Hz for "
            f"dt={dt_ms} ms); choose a lower high corner"
        )
    if 0 < low_hz < 1e-3 * nyq:  # a vanishing corner makes the filter singular
        raise BadInputError(
            f"low_hz={low_hz:g} Hz is too close to 0 for a stable band-pass (at least "
            f"{1e-3 * nyq:g} Hz at dt={dt_ms} ms); use low_hz=0 for a low-pass"
        )
    try:
        if low_hz > 0:
            sos = butter(order, [low_hz, high_hz], btype="bandpass", fs=2 * nyq, output="sos")
        else:
            sos = butter(order, high_hz, btype="lowpass", fs=2 * nyq, output="sos")
    except ValueError as e:  # corners that vanish against Nyquist, e.g. low_hz = 1e-300
        raise BadInputError(
            f"no Butterworth filter for {low_hz:g}-{high_hz:g} Hz at dt={dt_ms} ms ({e}); "
            "give corners well inside 0 and Nyquist, or low_hz=0 for a low-pass"
        ) from None
    padlen = min(data.shape[-1] - 1, 3 * (2 * len(sos) + 1))
    return sosfiltfilt(sos, data, axis=-1, padlen=padlen)


def agc_traces(data: np.ndarray, dt_ms: float, window_ms: float = 500.0) -> np.ndarray:
    """Automatic gain control: divide by the RMS amplitude in a sliding time window.

    Args:
        data: (..., n_samples) traces.
        dt_ms: sample interval, ms.
        window_ms: length of the RMS window, ms.
    """
    from scipy.ndimage import uniform_filter1d

    n = max(1, int(round(window_ms / dt_ms)))
    rms = np.sqrt(uniform_filter1d(data**2, size=n, axis=-1, mode="reflect"))
    # a small floor keeps dead zones at zero instead of amplifying round-off
    floor = 1e-6 * (np.sqrt(np.mean(data**2)) or 1.0)
    return data / np.maximum(rms, floor)


def fk_dip_filter(
    data: np.ndarray, dt_ms: float, max_dip_ms_per_trace: float, taper: float = 0.2
) -> np.ndarray:
    """Pass events dipping less than ``max_dip_ms_per_trace``; reject steeper ones.

    A plane event t = t0 + p·x maps to k = f·p in the f-k plane, so the pass zone is
    |k| <= |f|·p_max, with a cosine taper of relative width ``taper`` at its edge.

    Args:
        data: (n_traces, n_samples) section with regularly spaced traces.
        dt_ms: sample interval, ms.
        max_dip_ms_per_trace: largest passed dip, ms per trace.
        taper: relative width of the cosine taper at the pass-zone edge (0-1).
    """
    nx, nt = data.shape
    spec = np.fft.rfft2(data, s=(2 * nx, 2 * nt))  # (nk, nf), zero-padded against wrap-around
    k = np.fft.fftfreq(2 * nx, 1.0)[:, None]  # cycles per trace
    f = np.fft.rfftfreq(2 * nt, dt_ms / 1000.0)[None, :]  # Hz
    p_max = max_dip_ms_per_trace / 1000.0  # s per trace
    ratio = np.abs(k) / (np.abs(f) * p_max + 1e-12)  # < 1 inside the pass zone
    mask = np.clip((1 + taper - ratio) / max(taper, 1e-6), 0, 1)
    mask = 0.5 - 0.5 * np.cos(np.pi * mask)
    out = np.fft.irfft2(spec * mask, s=(2 * nx, 2 * nt))
    return out[:nx, :nt]


def check_order(order: int) -> None:
    """Raise BadInputError unless the Butterworth order is in range."""
    if not 1 <= order <= 10:
        raise BadInputError(f"order must be 1-10, got {order}")


def check_fk(max_dip_ms_per_trace: float, taper: float) -> None:
    """Raise BadInputError unless the f-k filter's dip (ms per trace) and taper are valid."""
    if max_dip_ms_per_trace <= 0 or not 0.01 <= taper <= 1:
        raise BadInputError("max_dip_ms_per_trace must be > 0 and taper within 0.01-1")


def bandpass(
    workspace: Workspace,
    data: ArrayId,
    low_hz: NonNegative = 5.0,
    high_hz: NonNegative = 60.0,
    order: Annotated[int, Field(ge=1, le=10)] = 4,
    figure: bool = True,
) -> ToolResult:
    """Zero-phase Butterworth bandpass filter of every trace (scipy.signal, forward-backward).

    Args:
        data: workspace id of the section or cube (time on the last axis).
        low_hz: low corner frequency in Hz; 0 makes a low-pass.
        high_hz: high corner frequency in Hz, below Nyquist.
        order: Butterworth order of each pass, 1 to 10 (dimensionless).
        figure: also save a before/after/difference PNG.
    """
    check_order(order)
    sec = load_section(workspace, data)
    out = bandpass_traces(sec.data, sec.dt_ms, low_hz, high_hz, order)
    return processing_result(
        workspace,
        sec,
        out,
        f"bandpass {low_hz:g}-{high_hz:g} Hz",
        {"low_hz": low_hz, "high_hz": high_hz, "order": order},
        figure,
        (SCIPY_CITATION,),
    )


def agc(
    workspace: Workspace, data: ArrayId, window_ms: Positive = 500.0, figure: bool = False
) -> ToolResult:
    """Automatic gain control: scale each sample by the RMS amplitude of a sliding window.

    Args:
        data: workspace id of the section or cube (time on the last axis).
        window_ms: length of the RMS window in milliseconds.
        figure: also save a before/after/difference PNG.
    """
    sec = load_section(workspace, data)
    if not sec.dt_ms <= window_ms <= sec.data.shape[-1] * sec.dt_ms:
        raise BadInputError(
            f"window_ms={window_ms} must lie between one sample "
            f"({sec.dt_ms:g} ms) and the trace length "
            f"({sec.data.shape[-1] * sec.dt_ms:g} ms)"
        )
    out = agc_traces(sec.data, sec.dt_ms, window_ms)
    return processing_result(
        workspace,
        sec,
        out,
        f"AGC {window_ms:g} ms",
        {"window_ms": window_ms},
        figure,
        (YILMAZ_CITATION,),
    )


def fk_filter(
    workspace: Workspace,
    data: ArrayId,
    max_dip_ms_per_trace: float = 2.0,
    taper: float = 0.2,
    figure: bool = True,
) -> ToolResult:
    """F-k dip filter: keep events flatter than a dip, remove steeper ones (e.g. ground roll).

    Args:
        data: workspace id of the section or cube (time on the last axis).
        max_dip_ms_per_trace: largest dip kept, in milliseconds per trace.
        taper: relative width of the cosine taper at the pass-zone edge, 0.01 to 1.
        figure: also save a before/after/difference PNG.
    """
    check_fk(max_dip_ms_per_trace, taper)
    sec = load_section(workspace, data)
    if sec.data.shape[-2] < 4:
        raise BadInputError(f"{data} has {sec.data.shape[-2]} traces; f-k needs at least 4")
    out = apply_2d(lambda d: fk_dip_filter(d, sec.dt_ms, max_dip_ms_per_trace, taper), sec.data)
    return processing_result(
        workspace,
        sec,
        out,
        f"f-k dip filter <= {max_dip_ms_per_trace:g} ms/trace",
        {"max_dip_ms_per_trace": max_dip_ms_per_trace, "taper": taper},
        figure,
        (YILMAZ_CITATION,),
    )
