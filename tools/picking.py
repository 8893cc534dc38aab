"""P and S onsets: STA/LTA triggering and phase pickers from ``obspy.signal.trigger``.

Pure functions take one trace's samples (``data``, 1D, any units) and its sampling rate
``df`` in Hz and return onset times in seconds after the first sample (NaN when nothing
is picked); the tools wrap them for workspace streams. The vertical component is used
where a stream has one (channel code ending in Z), otherwise the first trace.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np

from common.errors import BadInputError
from tools.registry import NonNegative, Positive, StreamId
from tools.result import Artifact, ToolResult
from tools.waveforms import OBSPY_CITATION, load_stream, tapered_seconds
from tools.workspace import Workspace

if TYPE_CHECKING:
    from obspy import Stream, Trace

__all__ = [
    "STA_LTA_CITATIONS",
    "AR_PICK_CITATION",
    "BAER_CITATION",
    "sta_lta_ratio",
    "sta_lta_onset",
    "baer_onset",
    "ar_onsets",
    "vertical",
    "sta_lta_trigger",
    "pick_onsets",
]

STA_LTA_CITATIONS = (
    "Allen, R.V., 1978, Automatic earthquake recognition and timing from single traces: "
    "Bulletin of the Seismological Society of America, 68(5), 1521-1532",
    "Withers, M., Aster, R., Young, C., Beiriger, J., Harris, M., Moore, S., and Trujillo, "
    "J., 1998, A comparison of select trigger algorithms for automated global seismic phase "
    "and event detection: Bulletin of the Seismological Society of America, 88(1), 95-106",
)
AR_PICK_CITATION = (
    "Akazawa, T., 2004, A technique for automatic detection of onset time of P- and "
    "S-phases in strong motion records: 13th World Conference on Earthquake Engineering, "
    "Vancouver, Paper No. 786"
)
BAER_CITATION = (
    "Baer, M., and Kradolfer, U., 1987, An automatic phase picker for local and "
    "teleseismic events: Bulletin of the Seismological Society of America, 77(4), 1437-1445"
)


def sta_lta_ratio(
    data: np.ndarray, df: float, sta_s: float, lta_s: float, method: str = "classic"
) -> np.ndarray:
    """The STA/LTA characteristic function (same length as ``data``)."""
    from obspy.signal.trigger import classic_sta_lta, recursive_sta_lta

    nsta, nlta = max(1, int(round(sta_s * df))), max(2, int(round(lta_s * df)))
    fn = classic_sta_lta if method == "classic" else recursive_sta_lta
    return np.asarray(fn(np.ascontiguousarray(data, dtype=np.float64), nsta, nlta))


def sta_lta_onset(
    data: np.ndarray,
    df: float,
    sta_s: float = 0.1,
    lta_s: float = 2.0,
    on: float = 3.0,
    off: float = 1.5,
    method: str = "classic",
) -> float:
    """Time (s) where the STA/LTA ratio first exceeds ``on`` (``trigger_onset``)."""
    from obspy.signal.trigger import trigger_onset

    cft = sta_lta_ratio(data, df, sta_s, lta_s, method)
    on_off = trigger_onset(cft, on, off)
    return float(on_off[0][0]) / df if len(on_off) else float("nan")


def baer_onset(
    data: np.ndarray,
    df: float,
    tdownmax: int = 20,
    tupevent: int = 10,
    thr1: float = 12.0,
    thr2: float = 20.0,
    preset_len: int = 100,
    p_dur: int = 100,
) -> float:
    """P onset (s) by the Baer-Kradolfer picker (``pk_baer``; lengths in samples). The
    defaults were tuned on seeded synthetic events at 100 Hz (seed 123 of
    ``benchmarks.seismology``, not the seed it reports; preset_len 300 scored as well there
    but picked the first sample of ObsPy's example record)."""
    from obspy.signal.trigger import pk_baer

    x = np.ascontiguousarray(data, dtype=np.float32)
    pick, _ = pk_baer(x, df, tdownmax, tupevent, thr1, thr2, preset_len, p_dur)
    return float(pick) / df if pick > 0 else float("nan")


def _ar_too_short(n_samples: int, df: float) -> bool:
    """Whether ``n_samples`` at ``df`` Hz are too few for the AR-AIC picker's windows."""
    return n_samples < 4 * df + 200


def ar_onsets(
    z: np.ndarray,
    n: np.ndarray,
    e: np.ndarray,
    df: float,
    f1: float = 1.0,
    f2: float = 20.0,
) -> tuple[float, float]:
    """P and S onsets (s) by the AR-AIC picker on three components (``ar_pick``), run
    from 2 s before the first STA/LTA trigger on Z (0.1/2 s, on at 5) to the end: the AIC
    then refines that onset instead of finding one in the noise before it. STA/LTA
    0.1/1 s for P (ObsPy's example) and 0.5/2 s for S. The window and the S lengths were
    chosen on seeded synthetic events (seed 123 of ``benchmarks.seismology``, not the
    seed it reports). ObsPy's S search reads outside its buffers when the P onset lies
    within its LTA window (2 s) of the window's start; the S then comes from a window
    started just early enough, or there is none."""
    trigger = sta_lta_onset(z, df, 0.1, 2.0, 5.0, 1.5)
    start = max(0, int((trigger - 2.0) * df)) if np.isfinite(trigger) else 0
    if _ar_too_short(len(z) - start, df):  # too little left after the trigger: the whole trace
        start = 0
    p, s = _ar_pick(z, n, e, df, f1, f2, start)
    short = _short_of_lta(p, start, df)
    if short:
        # ObsPy's S search reads its LTA from before the window when the P onset lies
        # within lta_s of the window's start: memory outside its buffer, so another S,
        # or none, from one run to the next. The S comes from a window started just
        # early enough, or there is none.
        s = float("nan")
        if short <= start:
            p_early, s_early = _ar_pick(z, n, e, df, f1, f2, start - short)
            if not _short_of_lta(p_early, start - short, df):
                s = s_early
    return p, s


_LTA_S, _L_P = 2.0, 0.1  # the picker's LTA window for S and AR window for P, s


def _short_of_lta(p: float, start: int, df: float) -> int:
    """How many samples the onset ``p`` (s) of a window from ``start`` lacks for the S
    search to stay inside ObsPy's buffers (0: none; NaN onset: the whole LTA)."""
    if not np.isfinite(p):
        return int(_LTA_S * df)
    return max(0, int(_LTA_S * df) - (round((p - start / df) * df) + int(_L_P * df)) + 1)


def _ar_pick(
    z: np.ndarray, n: np.ndarray, e: np.ndarray, df: float, f1: float, f2: float, start: int
) -> tuple[float, float]:
    """ObsPy's ``ar_pick`` from sample ``start`` to the end: P and S onsets in seconds
    from the trace's start (NaN for none)."""
    from obspy.signal.trigger import ar_pick

    args = [np.ascontiguousarray(c[start:], dtype=np.float32) for c in (z, n, e)]
    p, s = ar_pick(*args, df, f1, f2, 1.0, 0.1, _LTA_S, 0.5, 2, 8, _L_P, 0.2, s_pick=True)
    finite = [float(v) + start / df if np.isfinite(v) and v > 0 else float("nan") for v in (p, s)]
    return finite[0], finite[1]


def vertical(st: Stream) -> Trace:
    """The vertical trace of ``st`` (channel ending in Z), else its first trace."""
    for tr in st:
        if tr.stats.channel.upper().endswith("Z"):
            return tr
    return st[0]


def _trace_figure(
    workspace: Workspace, tr: Trace, marks: dict[str, float], cft: np.ndarray | None, title: str
) -> Artifact:
    from tools.plotting import pyplot, save_figure

    plt = pyplot()
    rows = 2 if cft is not None else 1
    fig, axes = plt.subplots(rows, 1, figsize=(10, 2.6 * rows), sharex=True, squeeze=False)
    t = np.arange(tr.stats.npts) / tr.stats.sampling_rate
    axes[0, 0].plot(t, tr.data, "k", lw=0.6)
    axes[0, 0].set_ylabel(tr.id)
    for (label, when), colour in zip(marks.items(), ("r", "b", "g", "m")):
        if np.isfinite(when):
            for ax in axes[:, 0]:
                ax.axvline(when, color=colour, lw=1.2, label=label)
    if cft is not None:
        axes[1, 0].plot(t, cft, "C0", lw=0.8)
        axes[1, 0].set_ylabel("STA/LTA")
    if any(np.isfinite(v) for v in marks.values()):
        axes[0, 0].legend(loc="upper right", fontsize=8)
    axes[-1, 0].set_xlabel(f"time after {tr.stats.starttime} (s)")
    axes[0, 0].set_title(title, fontsize=10)
    return save_figure(workspace, fig, f"figure: {title}")


def sta_lta_trigger(
    workspace: Workspace,
    stream: StreamId,
    method: Literal["classic", "recursive"] = "classic",
    sta_s: Positive = 0.5,
    lta_s: Positive = 10.0,
    threshold_on: float = 3.5,
    threshold_off: float = 1.0,
    figure: bool = True,
) -> ToolResult:
    """Detect events with an STA/LTA trigger on the vertical trace of a waveform stream.

    Args:
        stream: workspace id of the waveform stream.
        method: "classic" (sliding windows) or "recursive" (exponential averages) STA/LTA.
        sta_s: short-term average window in seconds.
        lta_s: long-term average window in seconds, longer than sta_s.
        threshold_on: STA/LTA ratio that switches a trigger on (dimensionless, > 1).
        threshold_off: ratio below which a trigger switches off (dimensionless).
        figure: also save a PNG of the trace, the ratio and the trigger times.
    """
    from obspy.signal.trigger import trigger_onset

    if not 0 < sta_s < lta_s <= 3600:
        raise BadInputError(f"need 0 < sta_s < lta_s <= 3600 s, got {sta_s:g} and {lta_s:g}")
    if not 0 < threshold_off < threshold_on <= 1e6:
        raise BadInputError(
            f"need 0 < threshold_off < threshold_on, got {threshold_off:g} and {threshold_on:g}"
        )
    tr = vertical(load_stream(workspace, stream))
    df = tr.stats.sampling_rate
    if lta_s * df >= tr.stats.npts:
        raise BadInputError(
            f"lta_s={lta_s:g} s is not shorter than the trace ({tr.stats.npts / df:g} s)"
        )
    if sta_s * df < 1:
        raise BadInputError(f"sta_s={sta_s:g} s is shorter than one sample ({1 / df:g} s)")
    cft = sta_lta_ratio(tr.data, df, sta_s, lta_s, method)
    on_off = trigger_onset(cft, threshold_on, threshold_off)
    onsets = [float(a) / df for a, _ in on_off]
    metrics: dict[str, float] = {"n_triggers": len(onsets), "max_ratio": float(np.max(cft))}
    if onsets:
        metrics["first_trigger_s"] = onsets[0]
    arts: tuple[Artifact, ...] = ()
    if figure:
        marks = {f"on {k + 1}": v for k, v in enumerate(onsets[:4])}
        arts = (_trace_figure(workspace, tr, marks, cft, f"STA/LTA trigger on {tr.id}"),)
    listed = ", ".join(f"{v:.2f}" for v in onsets[:10]) + (" ..." if len(onsets) > 10 else "")
    summary = (
        f"{len(onsets)} trigger(s) on {tr.id} at {listed} s after {tr.stats.starttime}"
        if onsets
        else f"no trigger on {tr.id} (highest STA/LTA {metrics['max_ratio']:.2f} < "
        f"{threshold_on:g}); lower threshold_on or filter first"
    )
    duration = tr.stats.npts / df
    if lta_s > 0.1 * duration:  # the ratio is zero until the long window has filled
        summary += (
            f"; nothing can trigger in the first {lta_s:g} s of this {duration:g} s record "
            "while the long-term window fills: a shorter lta_s looks there"
        )
    return ToolResult(summary, arts, metrics, (OBSPY_CITATION, *STA_LTA_CITATIONS))


def pick_onsets(
    workspace: Workspace,
    stream: StreamId,
    method: Literal["baer", "ar"] = "baer",
    freqmin_hz: NonNegative = 1.0,
    freqmax_hz: NonNegative = 20.0,
    figure: bool = True,
) -> ToolResult:
    """Pick P (and with "ar" also S) onset times on a waveform stream.

    Args:
        stream: workspace id of the waveform stream.
        method: "baer" (Baer-Kradolfer P picker on the vertical trace) or "ar" (AR-AIC
            P and S picker; needs exactly three components Z, N, E of equal length).
        freqmin_hz: low corner of the AR picker's band in Hz (used by "ar" only).
        freqmax_hz: high corner of the AR picker's band in Hz, below Nyquist ("ar" only).
        figure: also save a PNG of the trace with the picks.
    """
    st = load_stream(workspace, stream)
    tapered_s = tapered_seconds(workspace, stream)  # search past a taper's ramp
    if method == "ar":
        tr, p, s = _ar(st, stream, freqmin_hz, freqmax_hz, tapered_s)
        cites = (OBSPY_CITATION, AR_PICK_CITATION)
    else:
        tr = vertical(st)
        df = tr.stats.sampling_rate
        skip = int(tapered_s * df)
        if tr.stats.npts - 2 * skip < 200:
            raise BadInputError(
                f"{stream}: {tr.id} has {tr.stats.npts - 2 * skip} untapered samples; need >= 200"
            )
        p = baer_onset(tr.data[skip:], df) + skip / df
        s = float("nan")
        cites = (OBSPY_CITATION, BAER_CITATION)
    metrics: dict[str, float] = {}
    parts = []
    for phase, when in (("p", p), ("s", s)):
        if np.isfinite(when):
            metrics[f"{phase}_onset_s"] = when
            parts.append(f"{phase.upper()} at {when:.2f} s ({tr.stats.starttime + when})")
    arts: tuple[Artifact, ...] = ()
    if figure:
        marks = {"P": p, "S": s}
        arts = (_trace_figure(workspace, tr, marks, None, f"{method} picks on {tr.id}"),)
    if not parts:
        summary = f"no onset picked on {tr.id} with {method}; filter first or try another method"
    else:
        summary = f"{method} picks on {tr.id}: " + ", ".join(parts)
    return ToolResult(summary, arts, metrics, cites)


def _ar(
    st: Stream, stream: str, f1: float, f2: float, tapered_s: float = 0.0
) -> tuple[Trace, float, float]:
    ids = ", ".join(tr.id for tr in st[:6])
    if len(st) != 3:
        raise BadInputError(
            f'method="ar" needs exactly 3 components (Z, N, E); {stream} has {len(st)} '
            f'trace(s) ({ids}); use method="baer" for one component'
        )
    z = vertical(st)
    others = [tr for tr in st if tr is not z]
    others.sort(key=lambda tr: tr.stats.channel[-1:].upper() not in ("N", "1"))
    if len({tr.stats.npts for tr in st}) > 1 or len({tr.stats.sampling_rate for tr in st}) > 1:
        raise BadInputError(
            f"{stream}: the 3 components differ in length or sampling rate ({ids}); "
            "cut them to one window and rate first"
        )
    df = z.stats.sampling_rate
    if not 0 < f1 < f2 < df / 2:
        raise BadInputError(
            f"need 0 < freqmin_hz < freqmax_hz < Nyquist ({df / 2:g} Hz), got {f1:g}, {f2:g}"
        )
    skip = int(tapered_s * df)
    if _ar_too_short(z.stats.npts - skip, df):
        raise BadInputError(
            f"{stream}: {(z.stats.npts - skip) / df:g} s after the taper is too short; need >= 6 s"
        )
    z_, n_, e_ = (c.data[skip:] for c in (z, others[0], others[1]))
    p, s = ar_onsets(z_, n_, e_, df, f1, f2)
    return z, p + skip / df, s + skip / df
