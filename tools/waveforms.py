"""Earthquake waveforms on ObsPy: read MiniSEED/SAC into the workspace, preprocess them.

A waveform item is a ``.mseed`` file in the workspace (kind ``"stream"``; written with
``Stream.write(format="MSEED")``, never pickled) whose sidecar keeps what MiniSEED cannot
hold: the SAC event and station headers (``evdp``, ``gcarc``, ``evla`` ...). Attached
``.sac``/``.mseed`` files are streams too and are read with their format named, so
ObsPy's format detection (which includes pickles) never runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from common.atomic import write_file_atomically
from common.errors import BadInputError
from tools.registry import NonNegative, StreamId
from tools.result import Artifact, ToolResult
from tools.workspace import Workspace

if TYPE_CHECKING:  # obspy loads on first use
    from obspy import Stream

__all__ = [
    "OBSPY_CITATION",
    "OBSPY_2015_CITATION",
    "SAC_HEADERS",
    "load_stream",
    "save_stream",
    "event_headers",
    "tapered_seconds",
    "read_waveforms",
    "preprocess_waveforms",
]

OBSPY_CITATION = (
    "Beyreuther, M., Barsch, R., Krischer, L., Megies, T., Behr, Y., and Wassermann, J., "
    "2010, ObsPy: A Python toolbox for seismology: Seismological Research Letters, 81(3), "
    "530-533"
)
OBSPY_2015_CITATION = (
    "Krischer, L., Megies, T., Barsch, R., Beyreuther, M., Lecocq, T., Caudron, C., and "
    "Wassermann, J., 2015, ObsPy: a bridge for seismology into the scientific Python "
    "ecosystem: Computational Science & Discovery, 8, 014003"
)
OBSPY_CITATIONS = (OBSPY_CITATION, OBSPY_2015_CITATION)
# SAC headers kept beside a stream: event (evla, evlo, evdp in km), station (stla, stlo),
# epicentral distance (gcarc in degrees, dist in km), origin time offset o (s)
SAC_HEADERS = ("evla", "evlo", "evdp", "stla", "stlo", "gcarc", "dist", "o", "b")
_FORMATS = {".mseed": "MSEED", ".miniseed": "MSEED", ".sac": "SAC"}
MAX_SAMPLES = 50_000_000  # all traces together; a day of 3 components at 200 Hz is 52 M


def _read(path: Path, item_id: str) -> Stream:
    import obspy

    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise BadInputError(
            f"{item_id} is a {path.suffix or 'file without suffix'}, not a waveform file; "
            "attach MiniSEED (.mseed) or SAC (.sac)"
        )
    try:
        st = obspy.read(str(path), format=fmt)
    except Exception as e:  # ObsPy raises many types on a malformed file
        raise BadInputError(
            f"{item_id} is not a readable {fmt} file ({type(e).__name__}: {e}); "
            "check that it is MiniSEED or SAC and attach it again"
        ) from None
    if len(st) == 0:
        raise BadInputError(f"{item_id} holds no traces; attach a file with waveform data")
    return st


def _gaps_message(st: Stream, item_id: str) -> str:
    gaps = st.get_gaps()
    n_gap = sum(1 for g in gaps if g[6] > 0)
    n_overlap = len(gaps) - n_gap
    first = gaps[0]
    where = f"{'.'.join(first[:4])} at {first[4]}"
    return (
        f"{item_id} has {n_gap} gap(s) and {n_overlap} overlap(s) (first: {where}); "
        'read it with read_waveforms and merge="fill_zero" (gaps become zeros) or '
        'merge="interpolate" (gaps filled linearly), or fix the file'
    )


def load_stream(workspace: Workspace, item_id: str, merge: str = "refuse") -> Stream:
    """The ObsPy stream behind ``item_id``, checked: no gaps or overlaps (unless
    ``merge`` fills them), no NaN or infinite samples, at most MAX_SAMPLES samples."""
    meta = workspace.meta(item_id)
    if meta["kind"] != "stream":
        raise BadInputError(
            f"{item_id} is a {meta['kind']}, not a waveform stream; attach a MiniSEED or SAC "
            "file (or use the id read_waveforms returned)"
        )
    st = _read(workspace.path(item_id), item_id)
    n = sum(tr.stats.npts for tr in st)
    if n > MAX_SAMPLES:
        raise BadInputError(
            f"{item_id} holds {n} samples, over the {MAX_SAMPLES} one call reads; "
            "cut it to the time window of interest first"
        )
    if st.get_gaps():
        if merge == "refuse":
            raise BadInputError(_gaps_message(st, item_id))
        method = 1 if merge == "fill_zero" else 0
        fill: Any = 0 if merge == "fill_zero" else "interpolate"
        st = st.merge(method=method, fill_value=fill, interpolation_samples=0)
    for tr in st:
        if tr.stats.npts < 2 or not tr.stats.sampling_rate > 0:
            raise BadInputError(f"{item_id}: trace {tr.id} has fewer than 2 samples")
        tr.data = np.asarray(tr.data, dtype=np.float64)
        if not np.all(np.isfinite(tr.data)):
            bad = int(np.sum(~np.isfinite(tr.data)))
            raise BadInputError(
                f"{item_id}: trace {tr.id} has {bad} NaN or infinite samples; "
                "cut them out or replace them before processing"
            )
    return st


def event_headers(workspace: Workspace, item_id: str) -> dict[str, float]:
    """The SAC event/station headers of ``item_id`` (first trace) that are set."""
    meta = workspace.meta(item_id)
    kept = meta.get("metadata", {}).get("sac")
    if isinstance(kept, dict):
        return {k: float(v) for k, v in kept.items() if k in SAC_HEADERS}
    st = load_stream(workspace, item_id)
    sac = st[0].stats.get("sac", {})
    return {k: float(sac[k]) for k in SAC_HEADERS if k in sac and abs(float(sac[k])) < 1e5}


def tapered_seconds(workspace: Workspace, item_id: str) -> float:
    """Seconds at each end of ``item_id`` that a preprocessing taper ramped (0 if none):
    pickers search past them, as a taper's ramp looks like an onset."""
    return float(workspace.meta(item_id).get("metadata", {}).get("tapered_s", 0.0))


def save_stream(
    workspace: Workspace, st: Stream, description: str, sac: dict[str, float], **metadata: Any
) -> Artifact:
    """Write ``st`` as MiniSEED (float64 samples) and register it as a stream item."""
    item_id, path = workspace.new_path(".mseed")
    for tr in st:
        tr.data = np.ascontiguousarray(tr.data, dtype=np.float64)
        tr.stats.pop("mseed", None)  # the encoding follows the float64 samples

    def write(tmp: Path) -> None:
        st.write(str(tmp), format="MSEED")

    write_file_atomically(path, write)
    meta = {
        "traces": [tr.id for tr in st],
        "sampling_rate_hz": float(st[0].stats.sampling_rate),
        "starttime": str(min(tr.stats.starttime for tr in st)),
        "sac": sac,
    }
    meta.update(metadata)
    return workspace.commit(item_id, path, "stream", description, meta)


def _stats(st: Stream) -> dict[str, float]:
    t0 = min(tr.stats.starttime for tr in st)
    t1 = max(tr.stats.endtime for tr in st)
    return {
        "n_traces": len(st),
        "sampling_rate_hz": float(st[0].stats.sampling_rate),
        "duration_s": float(t1 - t0),
    }


def read_waveforms(
    workspace: Workspace,
    file: StreamId,
    merge: Literal["refuse", "fill_zero", "interpolate"] = "refuse",
) -> ToolResult:
    """Read an earthquake waveform file (MiniSEED or SAC) into a waveform stream.

    Args:
        file: workspace id of the attached .mseed or .sac file.
        merge: what to do with gaps or overlapping traces: "refuse" (report them),
            "fill_zero" (merge, gaps become zeros) or "interpolate" (merge, gaps filled
            linearly).
    """
    st = load_stream(workspace, file, merge)
    first = workspace.meta(file)
    sac = event_headers(workspace, file) if first.get("metadata", {}).get("sac") else {}
    if not sac:
        raw = st[0].stats.get("sac", {})
        sac = {k: float(raw[k]) for k in SAC_HEADERS if k in raw and abs(float(raw[k])) < 1e5}
    stats = _stats(st)
    ids = ", ".join(tr.id for tr in st[:6]) + (" ..." if len(st) > 6 else "")
    art = save_stream(workspace, st, f"waveforms {ids} from {file}", sac, source=file, merge=merge)
    headers = f"; SAC headers {', '.join(sorted(sac))}" if sac else ""
    summary = (
        f"stream {art.id}: {len(st)} trace(s) {ids}, {stats['sampling_rate_hz']:g} Hz, "
        f"{stats['duration_s']:.1f} s from {st[0].stats.starttime}{headers}"
    )
    return ToolResult(summary, (art,), stats, OBSPY_CITATIONS)


def preprocess_waveforms(
    workspace: Workspace,
    stream: StreamId,
    detrend: Literal["linear", "demean", "none"] = "linear",
    taper_fraction: float = 0.05,
    freqmin_hz: NonNegative = 1.0,
    freqmax_hz: NonNegative | None = None,
    resample_hz: NonNegative = 0.0,
    zerophase: bool = False,
) -> ToolResult:
    """Preprocess earthquake waveforms: detrend, taper, Butterworth bandpass, resample.

    Args:
        stream: workspace id of the waveform stream (MiniSEED/SAC or read_waveforms).
        detrend: remove a "linear" trend, the mean ("demean"), or nothing ("none").
        taper_fraction: Hann taper length at each end, as a fraction of the trace, 0 to 0.5.
        freqmin_hz: low corner of the 4-pole Butterworth bandpass in Hz; 0 makes a low-pass.
        freqmax_hz: high corner in Hz, below Nyquist; 0 makes a high-pass (0 and 0: no
            filter); default 20 Hz, or 0.4 of the (new) sampling rate when that is lower.
        resample_hz: new sampling rate in Hz after filtering; 0 keeps the rate.
        zerophase: filter forwards and backwards (no phase shift, for display); the
            default filters forwards only (causal), which keeps onsets where they are for
            picking: a zero-phase filter spreads energy ahead of an onset.
    """
    if not 0 <= taper_fraction <= 0.5:
        raise BadInputError(f"taper_fraction must be 0-0.5, got {taper_fraction}")
    st = load_stream(workspace, stream)
    rate = min(tr.stats.sampling_rate for tr in st)
    nyquist = rate / 2
    if freqmax_hz is None:  # 20 Hz, kept below the (new) Nyquist as an anti-alias cut
        freqmax_hz = min(20.0, 0.4 * rate, 0.4 * resample_hz if resample_hz > 0 else 20.0)
    if freqmin_hz < 0 or freqmax_hz < 0 or resample_hz < 0:
        raise BadInputError("freqmin_hz, freqmax_hz and resample_hz must be >= 0")
    if freqmax_hz and freqmin_hz >= freqmax_hz:
        raise BadInputError(
            f"need freqmin_hz < freqmax_hz, got {freqmin_hz:g} and {freqmax_hz:g} Hz"
        )
    if freqmax_hz >= nyquist or freqmin_hz >= nyquist:
        raise BadInputError(
            f"corners must lie below Nyquist ({nyquist:g} Hz at {rate:g} Hz); choose lower corners"
        )
    if 0 < freqmin_hz < 1e-4 * nyquist:
        raise BadInputError(f"freqmin_hz={freqmin_hz:g} Hz is too close to 0; use 0 for a low-pass")
    if resample_hz and not 1e-3 <= resample_hz <= 1e4:
        raise BadInputError(f"resample_hz must be 0.001-10000 Hz, got {resample_hz:g}")
    if resample_hz and freqmax_hz == 0 and resample_hz < rate:
        raise BadInputError(
            f"resampling to {resample_hz:g} Hz needs an anti-alias high corner: give "
            f"freqmax_hz below {resample_hz / 2:g} Hz"
        )
    if resample_hz and freqmax_hz >= resample_hz / 2:
        raise BadInputError(
            f"freqmax_hz={freqmax_hz:g} Hz is at or above the new Nyquist "
            f"({resample_hz / 2:g} Hz); lower it or resample less"
        )
    if resample_hz and any(tr.stats.npts * resample_hz / rate > 1e7 for tr in st):
        raise BadInputError(f"resampling to {resample_hz:g} Hz would make over 10 M samples")
    if detrend != "none":
        st.detrend("linear" if detrend == "linear" else "demean")
    if taper_fraction > 0:
        st.taper(max_percentage=taper_fraction, type="hann")
    if freqmin_hz and freqmax_hz:
        st.filter(
            "bandpass", freqmin=freqmin_hz, freqmax=freqmax_hz, corners=4, zerophase=zerophase
        )
    elif freqmax_hz:
        st.filter("lowpass", freq=freqmax_hz, corners=4, zerophase=zerophase)
    elif freqmin_hz:
        st.filter("highpass", freq=freqmin_hz, corners=4, zerophase=zerophase)
    if resample_hz:
        st.resample(resample_hz, no_filter=True)  # band-limited above: no second filter
    steps = [
        s
        for s in (
            detrend != "none" and f"{detrend} detrend",
            taper_fraction and f"{taper_fraction:g} taper",
        )
        if s
    ]
    if freqmin_hz or freqmax_hz:
        kind = "zero-phase" if zerophase else "causal"
        steps.append(f"{freqmin_hz:g}-{freqmax_hz or nyquist:g} Hz {kind} filter")
    if resample_hz:
        steps.append(f"resampled to {resample_hz:g} Hz")
    what = ", ".join(str(s) for s in steps) or "unchanged"
    # the tapered ends, in seconds: pickers skip them (a taper's ramp looks like an onset)
    before = tapered_seconds(workspace, stream)
    duration = max(tr.stats.npts / tr.stats.sampling_rate for tr in st)
    art = save_stream(
        workspace,
        st,
        f"{stream} preprocessed: {what}",
        event_headers(workspace, stream),
        derived_from=stream,
        tapered_s=max(before, taper_fraction * duration),
    )
    stats = _stats(st)
    applied = {  # the settings used, defaults included (the chat's report reads them)
        "taper_fraction": float(taper_fraction),
        "freqmin_hz": float(freqmin_hz),
        "freqmax_hz": float(freqmax_hz),
        "resample_hz": float(resample_hz),
        "zerophase": float(zerophase),
    }
    return ToolResult(
        f"stream {art.id}: {stream} {what} ({len(st)} trace(s), {stats['sampling_rate_hz']:g} Hz)",
        (art,),
        stats,
        OBSPY_CITATIONS,
        details=applied,
    )
