"""Figures of earthquake waveforms: stacked traces and a spectrogram (PNG, matplotlib Agg)."""

from __future__ import annotations

import numpy as np

from common.errors import BadInputError
from tools.plotting import pyplot, save_figure
from tools.registry import Positive, StreamId
from tools.result import ToolResult
from tools.waveforms import OBSPY_CITATION, load_stream
from tools.workspace import Workspace

__all__ = ["plot_waveforms", "plot_spectrogram", "MAX_PLOTTED_TRACES"]

MAX_PLOTTED_TRACES = 30


def plot_waveforms(workspace: Workspace, stream: StreamId, title: str = "") -> ToolResult:
    """Plot every trace of a waveform stream, one panel each, against time (PNG).

    Args:
        stream: workspace id of the waveform stream.
        title: figure title; default names the stream.
    """
    if len(title) > 200:
        raise BadInputError(f"the title is {len(title)} characters; give at most 200")
    st = load_stream(workspace, stream)
    shown = st[:MAX_PLOTTED_TRACES]
    t0 = min(tr.stats.starttime for tr in shown)
    plt = pyplot()
    fig, axes = plt.subplots(
        len(shown), 1, figsize=(10, 1.6 + 1.4 * len(shown)), sharex=True, squeeze=False
    )
    for ax, tr in zip(axes[:, 0], shown):
        t = (tr.stats.starttime - t0) + np.arange(tr.stats.npts) / tr.stats.sampling_rate
        ax.plot(t, tr.data, "k", lw=0.5)
        ax.set_ylabel(tr.id, fontsize=8)
    axes[-1, 0].set_xlabel(f"time after {t0} (s)")
    axes[0, 0].set_title(title or workspace.meta(stream)["description"][:120], fontsize=10)
    art = save_figure(workspace, fig, f"figure: waveforms of {stream}", derived_from=stream)
    more = f" (first {MAX_PLOTTED_TRACES} of {len(st)})" if len(st) > len(shown) else ""
    return ToolResult(
        f"figure {art.id}: {len(shown)} trace(s) of {stream}{more}",
        (art,),
        {"n_traces_plotted": len(shown)},
        (OBSPY_CITATION,),
    )


def plot_spectrogram(
    workspace: Workspace, stream: StreamId, trace_index: int = 0, window_s: Positive = 2.0
) -> ToolResult:
    """Plot a spectrogram (frequency against time, power in dB) of one trace (PNG).

    Each window is detrended (a straight line removed); the summary names the frequency
    of strongest power among those a window resolves (two cycles or more per window).

    Args:
        stream: workspace id of the waveform stream.
        trace_index: position (0-based) of the trace in the stream.
        window_s: length of each FFT window in seconds (windows overlap by 90 %).
    """
    from scipy.signal import spectrogram

    st = load_stream(workspace, stream)
    if not 0 <= trace_index < len(st):
        raise BadInputError(f"trace_index must be 0-{len(st) - 1}, got {trace_index}")
    tr = st[trace_index]
    df = tr.stats.sampling_rate
    samples = window_s * df  # inf for an extreme window_s: checked before rounding
    if not (np.isfinite(samples) and 8 <= round(samples) <= tr.stats.npts):
        raise BadInputError(
            f"window_s={window_s:g} s must hold 8 samples up to the trace length "
            f"({8 / df:g}-{tr.stats.npts / df:g} s)"
        )
    nper = int(round(samples))
    f, t, power = spectrogram(
        tr.data, fs=df, nperseg=nper, noverlap=int(nper * 0.9), detrend="linear"
    )
    db = 10 * np.log10(np.maximum(power, 1e-30 * (power.max() or 1.0)))
    plt = pyplot()
    fig, (ax0, ax1) = plt.subplots(
        2, 1, figsize=(10, 6), sharex=True, gridspec_kw={"height_ratios": [1, 2]}
    )
    ax0.plot(np.arange(tr.stats.npts) / df, tr.data, "k", lw=0.5)
    ax0.set_ylabel(tr.id, fontsize=8)
    im = ax1.pcolormesh(
        t, f, db, shading="auto", cmap="viridis", vmin=float(db.max()) - 80, vmax=float(db.max())
    )
    ax1.set_ylabel("frequency (Hz)")
    ax1.set_xlabel(f"time after {tr.stats.starttime} (s)")
    plt.colorbar(im, ax=[ax0, ax1], shrink=0.7, label="power (dB)")
    art = save_figure(workspace, fig, f"figure: spectrogram of {tr.id}", derived_from=stream)
    # a frequency needs two cycles in a window to be resolved: slower motion (drift,
    # long-period noise on a broadband record) only leaks into the lowest bins. A window
    # holds at least 8 samples, so 2 / window_s is at most a quarter of the sampling rate
    # and some bins always remain.
    lowest = 2.0 / window_s
    resolved = f >= lowest
    band = power.sum(axis=1)
    peak = float(f[resolved][int(np.argmax(band[resolved]))])
    return ToolResult(
        f"figure {art.id}: spectrogram of {tr.id}, strongest power at {peak:.1f} Hz "
        f"(of {lowest:g} Hz and up, what a {window_s:g} s window resolves)",
        (art,),
        {"peak_frequency_hz": peak, "lowest_resolved_hz": lowest, "nyquist_hz": df / 2},
        (OBSPY_CITATION,),
    )
