"""Random-noise attenuation: f-x deconvolution, f-x rank reduction, (dip-steered) median.

Pure functions take (n_traces, n_samples) arrays, time last, ``dt_ms`` in ms. The f-x
methods work on overlapping, tapered windows in which events are close to linear:

- ``fx_deconvolution``: Canales (1984) — per frequency, a complex spatial prediction
  filter fitted by damped least squares, forward and backward predictions averaged.
- ``fx_rank_reduction``: Cadzow / single-spectrum analysis (Trickett 2008; Oropeza and
  Sacchi 2011) — per frequency, the Hankel matrix of the spatial series truncated to
  rank k, then averaged back along its anti-diagonals.
- ``dip_median``: median over neighbouring traces shifted along the local dip from the
  structure tensor (a structure-oriented filter); ``dip_steered=False`` is a plain
  2D median (scipy.ndimage).
"""

from __future__ import annotations

from collections.abc import Callable
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
    "window_starts",
    "window_taper",
    "windowed",
    "hankel",
    "antidiagonal_mean",
    "cadzow",
    "fx_deconvolution",
    "fx_rank_reduction",
    "local_dip",
    "dip_median",
    "fx_decon",
    "rank_reduction",
    "median_filter",
    "check_fx",
    "check_rank",
    "check_median",
    "check_window",
    "CANALES_CITATION",
    "CADZOW_CITATIONS",
]

CANALES_CITATION = (
    "Canales, L. L., 1984, Random noise reduction: 54th Annual International "
    "Meeting, SEG, Expanded Abstracts, 525-527"
)
CADZOW_CITATIONS = (
    "Trickett, S., 2008, F-xy Cadzow noise suppression: 78th Annual International Meeting, "
    "SEG, Expanded Abstracts, 2586-2590",
    "Oropeza, V., and Sacchi, M., 2011, Simultaneous seismic data denoising and "
    "reconstruction via multichannel singular spectrum analysis: Geophysics, 76(3), V25-V32",
)
SOF_CITATION = (
    "Fehmers, G. C., and Höcker, C. F. W., 2003, Fast structural interpretation "
    "with structure-oriented filtering: Geophysics, 68(4), 1286-1293"
)


def window_starts(n: int, w: int) -> list[int]:
    """First indices of windows of length ``w`` (at most ``n``) overlapping by half and
    covering 0..n-1, the last one flush with the end."""
    w = min(w, n)
    s = list(range(0, n - w + 1, max(w // 2, 1)))
    return s if s[-1] == n - w else s + [n - w]


def window_taper(win_traces: int, win_samples: int) -> np.ndarray:
    """(win_traces, win_samples) Hann taper that vanishes nowhere inside the window."""
    return np.outer(np.hanning(win_traces + 2)[1:-1], np.hanning(win_samples + 2)[1:-1])


def windowed(
    fn: Callable[[np.ndarray], np.ndarray], data: np.ndarray, win_traces: int, win_samples: int
) -> np.ndarray:
    """Apply ``fn`` to 50 %-overlapping tapered windows and blend them back.

    Each window's output is weighted by a non-vanishing Hann taper and the sum is
    divided by the summed weights, so an identity ``fn`` returns ``data`` exactly.
    """
    nx, nt = data.shape
    wx, wt = min(win_traces, nx), min(win_samples, nt)
    taper = window_taper(wx, wt)
    out = np.zeros_like(data, dtype=float)
    weight = np.zeros_like(data, dtype=float)
    for ix in window_starts(nx, wx):
        for it in window_starts(nt, wt):
            patch = data[ix : ix + wx, it : it + wt]
            out[ix : ix + wx, it : it + wt] += taper * fn(patch)
            weight[ix : ix + wx, it : it + wt] += taper
    return out / weight


def _band(nt_fft: int, dt_ms: float, fmin_hz: float, fmax_hz: float | None) -> np.ndarray:
    f = np.fft.rfftfreq(nt_fft, dt_ms / 1000.0)
    fmax_hz = f[-1] if fmax_hz is None else fmax_hz
    return np.flatnonzero((f >= fmin_hz) & (f <= fmax_hz))


def _fx_predict(spec: np.ndarray, length: int, damping: float) -> np.ndarray:
    """Forward+backward prediction of complex spatial series, (nf, nx) -> (nf, nx)."""
    nf, nx = spec.shape
    if nx <= 2 * length:
        return spec
    pred = np.zeros_like(spec)
    count = np.zeros(nx)
    for series, flip in ((spec, False), (spec[:, ::-1], True)):
        # rows: x[j-1], ..., x[j-L] predicting x[j], for j = L .. nx-1
        a = np.stack([series[:, length - i - 1 : nx - i - 1] for i in range(length)], axis=2)
        b = series[:, length:]  # (nf, nx-L)
        aha = np.conj(a.transpose(0, 2, 1)) @ a  # (nf, L, L)
        lam = damping * np.trace(aha, axis1=1, axis2=2).real / length + 1e-30
        aha += lam[:, None, None] * np.eye(length)
        filt = np.linalg.solve(aha, np.conj(a.transpose(0, 2, 1)) @ b[..., None])
        p = (a @ filt)[..., 0]  # (nf, nx-L)
        if flip:
            pred[:, : nx - length] += p[:, ::-1]
            count[: nx - length] += 1
        else:
            pred[:, length:] += p
            count[length:] += 1
    # the first/last L traces have only one prediction; none when count is 0 never occurs
    return pred / np.maximum(count, 1)


def fx_deconvolution(
    data: np.ndarray,
    dt_ms: float,
    fmin_hz: float = 1.0,
    fmax_hz: float | None = None,
    filter_length: int = 4,
    damping: float = 0.01,
    win_traces: int = 40,
    win_ms: float = 400.0,
) -> np.ndarray:
    """Canales f-x prediction filtering of a (n_traces, n_samples) section.

    Args:
        data: (n_traces, n_samples) section.
        dt_ms: sample interval, ms.
        fmin_hz: lowest frequency filtered, Hz.
        fmax_hz: highest frequency filtered, Hz (None: Nyquist); frequencies
            outside [fmin_hz, fmax_hz] pass unchanged.
        filter_length: prediction filter length, traces.
        damping: prewhitening relative to the mean diagonal of the normal equations.
        win_traces: spatial window, traces.
        win_ms: time window, ms.
    """
    return _fx_windowed(
        data,
        dt_ms,
        fmin_hz,
        fmax_hz,
        win_traces,
        win_ms,
        lambda band: _fx_predict(band, filter_length, damping),
    )


def hankel(series: np.ndarray) -> np.ndarray:
    """(..., rows, cols) Hankel matrices of (..., n) series, rows = n // 2 + 1 and
    entry [r, c] = series[r + c]."""
    n = series.shape[-1]
    rows = n // 2 + 1
    idx = np.arange(rows)[:, None] + np.arange(n - rows + 1)[None, :]  # (rows, cols) -> index
    return series[..., idx]


def antidiagonal_mean(h: np.ndarray) -> np.ndarray:
    """(..., rows + cols - 1) series from (..., rows, cols) matrices by averaging each
    anti-diagonal: the inverse of :func:`hankel` for a Hankel matrix."""
    rows, cols = h.shape[-2:]
    n = rows + cols - 1
    out = np.zeros(h.shape[:-2] + (n,), dtype=h.dtype)
    for r in range(rows):
        out[..., r : r + cols] += h[..., r, :]
    counts = np.minimum.reduce(
        [np.arange(1, n + 1), np.arange(n, 0, -1), np.full(n, min(rows, cols))]
    )
    return out / counts


def cadzow(spec: np.ndarray, rank: int) -> np.ndarray:
    """Rank-``rank`` Hankel approximation of each row of (nf, nx) complex series: the
    Hankel matrix of each row truncated by SVD, then averaged along its anti-diagonals."""
    u, s, vh = np.linalg.svd(hankel(spec), full_matrices=False)  # h: (nf, rows, cols)
    k = min(rank, s.shape[1])
    return antidiagonal_mean((u[:, :, :k] * s[:, None, :k]) @ vh[:, :k, :])


def fx_rank_reduction(
    data: np.ndarray,
    dt_ms: float,
    rank: int = 2,
    fmin_hz: float = 1.0,
    fmax_hz: float | None = None,
    win_traces: int = 40,
    win_ms: float = 400.0,
) -> np.ndarray:
    """Cadzow (f-x singular spectrum) filtering of a (n_traces, n_samples) section.

    Args:
        data: (n_traces, n_samples) section.
        dt_ms: sample interval, ms.
        rank: number of linear events kept per window (Hankel rank).
        fmin_hz: lowest frequency filtered, Hz.
        fmax_hz: highest frequency filtered, Hz (None: Nyquist).
        win_traces: spatial window, traces.
        win_ms: time window, ms.
    """
    # a Hankel matrix of fewer than 4 traces has nothing to reduce: leave such windows
    return _fx_windowed(
        data,
        dt_ms,
        fmin_hz,
        fmax_hz,
        win_traces,
        win_ms,
        lambda band: cadzow(band, rank) if band.shape[1] >= 4 else band,
    )


def _fx_windowed(
    data: np.ndarray,
    dt_ms: float,
    fmin_hz: float,
    fmax_hz: float | None,
    win_traces: int,
    win_ms: float,
    filter_band: Callable[[np.ndarray], np.ndarray],
) -> np.ndarray:
    """Apply ``filter_band`` to the (nf, nx) f-x spectrum inside [fmin_hz, fmax_hz] of each
    overlapping window; frequencies outside the band pass unchanged."""

    def one(patch: np.ndarray) -> np.ndarray:
        nt = patch.shape[1]
        spec = np.fft.rfft(patch, axis=1).T  # (nf, nx)
        band = _band(nt, dt_ms, fmin_hz, fmax_hz)
        spec[band] = filter_band(spec[band])
        return np.fft.irfft(spec.T, n=nt, axis=1)

    return windowed(one, data, win_traces, int(round(win_ms / dt_ms)))


def local_dip(data: np.ndarray, sigma: float = 4.0) -> np.ndarray:
    """Local dip in samples per trace from the smoothed structure tensor, (nx, nt).

    The dominant gradient direction (gx, gt) is normal to the reflector, so the dip
    is −gx/gt; ``sigma`` (samples) sets the smoothing of the tensor products.
    """
    from scipy.ndimage import gaussian_filter, sobel

    gx = sobel(data, axis=0)
    gt = sobel(data, axis=1)
    sxx = gaussian_filter(gx * gx, sigma)
    stt = gaussian_filter(gt * gt, sigma)
    sxt = gaussian_filter(gx * gt, sigma)
    theta = 0.5 * np.arctan2(2 * sxt, stt - sxx)  # angle of the normal from the t axis
    return np.clip(-np.tan(theta), -5.0, 5.0)


def dip_median(
    data: np.ndarray, half_width: int = 2, half_length: int = 1, dip_steered: bool = True
) -> np.ndarray:
    """Median over 2·half_width+1 traces (and 2·half_length+1 samples), along the dip.

    Args:
        data: (n_traces, n_samples) section.
        half_width: traces on each side included in the median.
        half_length: samples on each side included (along time).
        dip_steered: shift neighbours along the local dip before the median
            (structure-oriented); False gives a plain rectangular median.
    """
    from scipy.ndimage import map_coordinates, median_filter

    if not dip_steered:
        return median_filter(data, size=(2 * half_width + 1, 2 * half_length + 1), mode="reflect")
    nx, nt = data.shape
    dip = local_dip(data)
    xs, ts = np.meshgrid(np.arange(nx), np.arange(nt), indexing="ij")
    stack = []
    for j in range(-half_width, half_width + 1):
        for i in range(-half_length, half_length + 1):
            coords = [np.clip(xs + j, 0, nx - 1), ts + i + j * dip]
            stack.append(map_coordinates(data, coords, order=1, mode="nearest"))
    return np.median(np.stack(stack), axis=0)


def check_fx(filter_length: int, damping: float) -> None:
    """Raise BadInputError unless the f-x filter length (traces) and damping are in range."""
    if not 1 <= filter_length <= 20 or damping < 0:
        raise BadInputError("filter_length must be 1-20 and damping >= 0")


def check_rank(rank: int) -> None:
    """Raise BadInputError unless the rank-reduction rank is in range."""
    if not 1 <= rank <= 20:
        raise BadInputError(f"rank must be 1-20, got {rank}")


def check_median(half_width: int, half_length: int) -> None:
    """Raise BadInputError unless the median filter's half sizes are in range."""
    if not 1 <= half_width <= 10 or not 0 <= half_length <= 10:
        raise BadInputError("half_width must be 1-10 traces and half_length 0-10 samples")


def check_window(win_traces: int, win_ms: float, dt_ms: float) -> None:
    """Raise BadInputError unless the f-x windows hold at least 8 traces and 16 samples."""
    if win_traces < 8 or win_ms < 16 * dt_ms:
        raise BadInputError(
            f"windows too small: need win_traces >= 8 and win_ms >= {16 * dt_ms:g} ms (16 samples)"
        )


def fx_decon(
    workspace: Workspace,
    data: ArrayId,
    fmin_hz: NonNegative = 1.0,
    fmax_hz: NonNegative | None = None,
    filter_length: Annotated[int, Field(ge=1, le=20)] = 4,
    damping: float = 0.01,
    win_traces: int = 40,
    win_ms: Positive = 400.0,
    figure: bool = True,
) -> ToolResult:
    """Random-noise attenuation by f-x deconvolution (Canales 1984), in overlapping windows.

    Args:
        data: workspace id of the section or cube (time on the last axis).
        fmin_hz: lowest frequency filtered, in Hz.
        fmax_hz: highest frequency filtered, in Hz; null means Nyquist.
        filter_length: spatial prediction filter length, in traces (1 to 20).
        damping: prewhitening, as a fraction of the mean diagonal (dimensionless).
        win_traces: spatial window length, in traces.
        win_ms: time window length, in milliseconds.
        figure: also save a before/after/difference PNG.
    """
    sec = load_section(workspace, data)
    check_window(win_traces, win_ms, sec.dt_ms)
    check_fx(filter_length, damping)
    out = apply_2d(
        lambda d: fx_deconvolution(
            d, sec.dt_ms, fmin_hz, fmax_hz, filter_length, damping, win_traces, win_ms
        ),
        sec.data,
    )
    params = dict(
        fmin_hz=fmin_hz,
        fmax_hz=fmax_hz,
        filter_length=filter_length,
        damping=damping,
        win_traces=win_traces,
        win_ms=win_ms,
    )
    return processing_result(workspace, sec, out, "f-x decon", params, figure, (CANALES_CITATION,))


def rank_reduction(
    workspace: Workspace,
    data: ArrayId,
    rank: Annotated[int, Field(ge=1, le=20)] = 2,
    fmin_hz: NonNegative = 1.0,
    fmax_hz: NonNegative | None = None,
    win_traces: int = 40,
    win_ms: Positive = 400.0,
    figure: bool = True,
) -> ToolResult:
    """Random-noise attenuation by f-x rank reduction (Cadzow / SSA), in overlapping windows.

    Args:
        data: workspace id of the section or cube (time on the last axis).
        rank: number of dipping events kept per window, 1 to 20 (dimensionless).
        fmin_hz: lowest frequency filtered, in Hz.
        fmax_hz: highest frequency filtered, in Hz; null means Nyquist.
        win_traces: spatial window length, in traces.
        win_ms: time window length, in milliseconds.
        figure: also save a before/after/difference PNG.
    """
    sec = load_section(workspace, data)
    check_window(win_traces, win_ms, sec.dt_ms)
    check_rank(rank)
    out = apply_2d(
        lambda d: fx_rank_reduction(d, sec.dt_ms, rank, fmin_hz, fmax_hz, win_traces, win_ms),
        sec.data,
    )
    params = dict(rank=rank, fmin_hz=fmin_hz, fmax_hz=fmax_hz, win_traces=win_traces, win_ms=win_ms)
    return processing_result(
        workspace, sec, out, f"rank-{rank} reduction", params, figure, CADZOW_CITATIONS
    )


def median_filter(
    workspace: Workspace,
    data: ArrayId,
    half_width: Annotated[int, Field(ge=1, le=10)] = 2,
    half_length: Annotated[int, Field(ge=0, le=10)] = 1,
    dip_steered: bool = True,
    figure: bool = True,
) -> ToolResult:
    """Median filter across traces, optionally steered along the local dip (structure-oriented).

    Args:
        data: workspace id of the section or cube (time on the last axis).
        half_width: traces on each side in the median, 1 to 10.
        half_length: samples on each side in the median (along time), 0 to 10.
        dip_steered: follow the local dip from the structure tensor; False = plain median.
        figure: also save a before/after/difference PNG.
    """
    check_median(half_width, half_length)
    sec = load_section(workspace, data)
    out = apply_2d(lambda d: dip_median(d, half_width, half_length, dip_steered), sec.data)
    what = "dip-steered median" if dip_steered else "median"
    return processing_result(
        workspace,
        sec,
        out,
        what,
        dict(half_width=half_width, half_length=half_length, dip_steered=dip_steered),
        figure,
        (SOF_CITATION,) if dip_steered else (),
    )
