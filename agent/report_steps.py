"""One tool call in plain words: what was done, its key numbers, what it produced.

Used by :func:`agent.report.tool_report`. Every number written here comes from the
call's arguments (defaults applied) or the result's ``metrics``, never from the summary
text, so :func:`agent.report.report_numbers_supported` can check it. Workspace ids do not
appear in the sentences: the report lists only the final products and the figures.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from agent.report_inversion import invert_step
from agent.report_text import StepText, arg, name_of, value
from tools.geofm.tools import CANDIDATE_NAMES
from tools.result import ToolResult

__all__ = ["StepText", "describe", "TOOL_NAMES", "ESTIMATE_NOTE", "arg", "value"]

# How each tool's operation reads in a sentence ("f-x deconvolution failed: ...").
TOOL_NAMES = {
    "segy_info": "SEG-Y header summary",
    "read_segy": "reading the SEG-Y file",
    "write_segy": "writing SEG-Y",
    "read_ascii_section": "reading the ASCII section",
    "import_array": "importing the array",
    "read_well_log": "reading the well log",
    "locate_well": "locating the well",
    "make_synthetic": "making the synthetic",
    "bandpass": "bandpass filter",
    "agc": "AGC",
    "fk_filter": "f-k dip filter",
    "fx_decon": "f-x deconvolution",
    "rank_reduction": "f-x rank reduction",
    "median_filter": "median filter",
    "spectrum": "amplitude spectrum",
    "estimate_wavelet": "wavelet estimation",
    "measure_snr": "SNR measurement",
    "invert_impedance": "impedance inversion",
    "plot_section": "plotting",
    "plot_comparison": "the comparison plot",
    "search_literature": "literature search",
    "geofm_denoise": "GeoFM denoising",
    "geofm_interpolate": "GeoFM interpolation",
    "geofm_faults": "GeoFM fault segmentation",
    "interpolate_traces": "trace interpolation",
    "coherence_faults": "semblance coherence",
}
ESTIMATE_NOTE = "an estimate from the similarity of neighbouring traces, with no clean reference"


def _count(n: float, noun: str) -> str:
    return f"{int(n)} {noun}{'' if int(n) == 1 else 's'}"


def _src_file(result: ToolResult) -> str:
    m = (
        re.search(r" of (\S+\.(?:sgy|segy))\b", result.artifacts[0].description, re.I)
        if result.artifacts
        else None
    )
    return m.group(1) if m else "the SEG-Y file"


# ---- reading and writing -----------------------------------------------------------


def _segy_info(a: dict, m: dict, r: ToolResult, labels: dict) -> StepText:
    if "n_inlines" in m:
        geometry = "3D post-stack"
    elif "offset_min_m" in m:
        geometry = "pre-stack gather"
    else:
        geometry = "2D line (or unsorted traces)"
    text = (
        f"SEG-Y file headers: {geometry}, {arg(m['n_traces'])} traces x "
        f"{arg(m['n_samples'])} samples at {arg(m['dt_ms'])} ms"
    )
    if "n_inlines" in m:
        text += (
            f", inlines {arg(m['inline_first'])}–{arg(m['inline_last'])}, crosslines "
            f"{arg(m['crossline_first'])}–{arg(m['crossline_last'])}"
        )
    if "offset_min_m" in m:
        text += f", offsets {arg(m['offset_min_m'])}–{arg(m['offset_max_m'])} m"
    fmt = re.search(r" samples at [\d.]+ ms, ([^;]+)", r.summary)
    return StepText(text + (f", {fmt.group(1)} samples." if fmt else "."))


def _read_segy(a: dict, m: dict, r: ToolResult, labels: dict) -> StepText:
    rng = f"amplitudes {value(m['amplitude_min'])} to {value(m['amplitude_max'])}"
    at = f"samples at {arg(m.get('dt_ms', 0.0))} ms"
    if a.get("inline") is not None:
        what, label = f"inline {a['inline']}", f"inline {a['inline']}"
        shape = f"{arg(m['n_traces'])} crosslines x {arg(m['n_samples'])} {at}"
    elif a.get("crossline") is not None:
        what, label = f"crossline {a['crossline']}", f"crossline {a['crossline']}"
        shape = f"{arg(m['n_traces'])} inlines x {arg(m['n_samples'])} {at}"
    elif a.get("time_ms") is not None:
        what = label = f"the time slice at {arg(m['time_ms'])} ms"
        shape = f"{arg(m['n_inlines'])} inlines x {arg(m['n_crosslines'])} crosslines"
    elif "n_inlines" in m:
        what, label = "the whole cube", "the cube"
        shape = (
            f"{arg(m['n_inlines'])} inlines x {arg(m['n_crosslines'])} crosslines x "
            f"{arg(m['n_samples'])} {at}"
        )
    elif "offset_min_m" in m:
        what, label = "the pre-stack gather", "the gather"
        shape = (
            f"{arg(m['n_traces'])} traces x {arg(m['n_samples'])} {at}, offsets "
            f"{arg(m['offset_min_m'])}–{arg(m['offset_max_m'])} m"
        )
    else:
        what, label = "all traces", "the data"
        shape = f"{arg(m['n_traces'])} traces x {arg(m['n_samples'])} {at}"
    out, src = r.artifacts[0].id, _src_file(r)
    return StepText(
        f"Read {what} of {src}: {shape}, {rng}.", ((out, f"{what} of {src}"),), labels={out: label}
    )


def _write_segy(a: dict, m: dict, r: ToolResult, labels: dict) -> StepText:
    how = (
        "headers copied from the original file"
        if a.get("headers") == "source"
        else "new minimal headers"
    )
    size = (
        f"{arg(m['n_traces'])} traces x {arg(m['n_samples'])} samples, " if "n_traces" in m else ""
    )
    out = r.artifacts[0].id
    return StepText(
        f"Saved {name_of(labels, a.get('data'))} as SEG-Y ({size}IEEE float, {how}).",
        ((out, "SEG-Y file"),),
        labels={out: "the SEG-Y file"},
    )


def _assumed(a: dict, given: dict, kind: str) -> str:
    return "" if "dt_ms" in given else f" (assumed: {kind} files do not store it)"


def _read_ascii(a: dict, m: dict, r: ToolResult, labels: dict, given: dict) -> StepText:
    where = (
        f" (inline {arg(m['inline'])}, crosslines {arg(m['crossline_first'])}–"
        f"{arg(m['crossline_last'])})"
        if "inline" in m
        else ""
    )
    out = r.artifacts[0].id
    return StepText(
        f"Loaded the ASCII trace export{where}: {arg(m['n_traces'])} traces x "
        f"{arg(m['n_samples'])} samples at {arg(m['dt_ms'])} ms"
        f"{_assumed(a, given, 'ASCII')}, amplitudes {value(m['amplitude_min'])} "
        f"to {value(m['amplitude_max'])}.",
        ((out, "ASCII section"),),
        labels={out: "the ASCII section"},
    )


def _import_array(a: dict, m: dict, r: ToolResult, labels: dict, given: dict) -> StepText:
    if "n_inlines" in m:
        shape = (
            f"{arg(m['n_inlines'])} inlines x {arg(m['n_crosslines'])} crosslines x "
            f"{arg(m['n_samples'])} samples"
        )
    elif "n_traces" in m:
        shape = f"{arg(m['n_traces'])} traces x {arg(m['n_samples'])} samples"
    else:
        shape = f"one trace of {arg(m['n_samples'])} samples"
    flip = ", transposed from samples x traces" if a.get("layout") == "samples_by_traces" else ""
    out = r.artifacts[0].id
    return StepText(
        f"Imported the .npy array as a section: {shape} at {arg(m['dt_ms'])} ms"
        f"{_assumed(a, given, '.npy')}{flip}.",
        ((out, "imported section"),),
        labels={out: "the imported section"},
    )


def _read_well_log(a: dict, m: dict, r: ToolResult, labels: dict) -> StepText:
    curve = a.get("curve", "AI")
    head = re.match(rf"^(.*?) {re.escape(curve)} \((.*)\): \d", r.summary)
    well = f" of well {head.group(1)}" if head else ""
    unit = head.group(2) if head else ""
    if not _balanced(unit):
        unit = f"({unit})"  # lasio drops the outer brackets of "(m/s)*(kg/m3)"
    unit = f", in {unit}" if unit else ""
    text = (
        f"Loaded the {curve} log{well}{unit}: {arg(m['n_samples'])} samples, "
        f"{m['depth_top_m']:.0f}–{m['depth_base_m']:.0f} m, values "
        f"{value(m['value_min'])} to {value(m['value_max'])}"
    )
    depth_id = r.artifacts[0].id
    labels = {depth_id: f"the {curve} log in depth"}
    product = (depth_id, f"{curve} log in depth")
    if len(r.artifacts) > 1:
        text += (
            f"; converted to two-way time with the checkshot: "
            f"{arg(m['n_time_samples'])} samples at {arg(m['dt_ms'])} ms, "
            f"{m['twt_top_ms']:.0f}–{m['twt_base_ms']:.0f} ms"
        )
        time_id = r.artifacts[1].id
        labels[time_id] = f"the {curve} log in time"
        product = (time_id, f"{curve} log in time")
    return StepText(text + ".", (product,), labels=labels)


def _balanced(text: str) -> bool:
    depth = 0
    for c in text:
        depth += {"(": 1, ")": -1}.get(c, 0)
        if depth < 0:
            return False
    return depth == 0


def _locate_well(a: dict, m: dict, r: ToolResult, labels: dict) -> StepText:
    return StepText(
        f"Located ({arg(a['x'])}, {arg(a['y'])}) in the survey: inline "
        f"{m['inline']:.2f}, crossline {m['crossline']:.2f}, so the nearest trace "
        f"is inline {round(m['inline'])}, crossline {round(m['crossline'])} (bins "
        f"{m['bin_inline_m']:.1f} m x {m['bin_crossline_m']:.1f} m)."
    )


_NOISE = {
    "random": "random noise",
    "linear": "linear (dipping) noise",
    "spikes": "spike noise",
    "swell": "swell noise",
}


def _make_synthetic(a: dict, m: dict, r: ToolResult, labels: dict) -> StepText:
    noise = a.get("noise", "random")
    faults = "no faults" if not a["n_faults"] else _count(a["n_faults"], "fault")
    said = (
        "no noise"
        if noise == "none"
        else f"{_NOISE.get(noise, noise)} at {arg(m['snr_db'])} dB SNR"
    )
    dead = (
        f", {100 * a['missing_fraction']:g} % of traces ({arg(m['dead_traces'])}) zeroed"
        if m.get("dead_traces")
        else ""
    )
    names = (
        ("noisy section" if noise != "none" else "section"),
        "clean reference",
        "impedance model",
        "fault mask",
    )
    ids = [x.id for x in r.artifacts]
    return StepText(
        f"Made a synthetic line: {arg(a['n_traces'])} traces x "
        f"{arg(a['n_samples'])} samples at {arg(a['dt_ms'])} ms, "
        f"{arg(a['peak_hz'])} Hz Ricker wavelet, {faults}, {said}{dead}.",
        tuple(zip(ids, names)),
        labels=dict(
            zip(
                ids,
                (
                    "the noisy synthetic" if noise != "none" else "the synthetic",
                    "the clean synthetic",
                    "the synthetic impedance",
                    "the fault mask",
                ),
            )
        ),
    )


# ---- processing ------------------------------------------------------------------------


def _band(a: dict) -> str:
    if a.get("fmax_hz") is None:
        return f"{arg(a['fmin_hz'])} Hz to Nyquist"
    return f"{arg(a['fmin_hz'])}–{arg(a['fmax_hz'])} Hz"


def _windows(a: dict) -> str:
    return f"windows of {arg(a['win_traces'])} traces x {arg(a['win_ms'])} ms"


# interpolate_traces' methods in words
_INTERPOLATION: dict[str, str] = {
    "pocs": "POCS interpolation of dead traces (f-k thresholding)",
    "mssa": "MSSA interpolation of dead traces (f-x rank reduction)",
    "linear": "Linear interpolation of dead traces across traces",
}
# tool -> (operation in words from the arguments, what the output is)
_PROCESS: dict[str, tuple[Callable[[dict], str], str]] = {
    "bandpass": (
        lambda a: (
            (
                f"Zero-phase bandpass {arg(a['low_hz'])}–{arg(a['high_hz'])} Hz"
                if a["low_hz"] > 0
                else f"Zero-phase low-pass below {arg(a['high_hz'])} Hz"
            )
            + f" (Butterworth, order {a['order']})"
        ),
        "bandpassed section",
    ),
    "agc": (lambda a: f"AGC with a {arg(a['window_ms'])} ms window", "AGC section"),
    "fk_filter": (
        lambda a: (
            f"f-k dip filter keeping dips up to {arg(a['max_dip_ms_per_trace'])} ms per trace"
        ),
        "f-k filtered section",
    ),
    "fx_decon": (
        lambda a: (
            f"f-x deconvolution ({_band(a)}, prediction filter of "
            f"{a['filter_length']} traces, {_windows(a)})"
        ),
        "f-x deconvolved section",
    ),
    "rank_reduction": (
        lambda a: f"f-x rank reduction (Cadzow/SSA, rank {a['rank']}, {_band(a)}, {_windows(a)})",
        "rank-reduced section",
    ),
    "median_filter": (
        lambda a: (
            f"{'Dip-steered median' if a['dip_steered'] else 'Median'} "
            f"filter (±{_count(a['half_width'], 'trace')}, "
            f"±{_count(a['half_length'], 'sample')})"
        ),
        "median-filtered section",
    ),
    "geofm_denoise": (
        lambda a: "GeoFM denoising (vision transformer fine-tuned on synthetic seismic)",
        "GeoFM-denoised section",
    ),
    "geofm_interpolate": (
        lambda a: (
            "Interpolation of dead traces (the GeoFM head, checked against linear, POCS and MSSA)"
        ),
        "interpolated section",
    ),
    "interpolate_traces": (
        lambda a: _INTERPOLATION.get(a.get("method", ""), "Interpolation of dead traces"),
        "interpolated section",
    ),
}


def _processing(name: str, a: dict, m: dict, r: ToolResult, labels: dict, caveat: bool) -> StepText:
    op, product = _PROCESS[name]
    text = f"{op(a)} of {name_of(labels, a.get('data'))}"
    if "traces_filled" in m:
        text += f": filled {arg(m['traces_filled'])} of {arg(m['n_traces'])} traces;"
    else:
        text += ":"
    if "snr_est_gain_db" in m:
        gain = m["snr_est_gain_db"]
        text += f" estimated SNR {'gain' if gain > 0 else 'change'} {gain:+.1f} dB"
    else:  # the input had no two neighbouring live traces to estimate from
        text += f" estimated SNR {m['snr_est_after_db']:.1f} dB after, none before"
    text += f" ({ESTIMATE_NOTE})." if caveat else "."
    checks = {k[6:-3]: v for k, v in m.items() if k.startswith("check_") and k.endswith("_db")}
    if checks:  # geofm_interpolate's self-check on live traces it hid
        ranked = sorted(checks, key=lambda k: -checks[k])
        text += (
            f" On live traces hidden as a check, {CANDIDATE_NAMES.get(ranked[0], ranked[0])} restored "
            "them best ("
            + ", ".join(f"{CANDIDATE_NAMES.get(k, k)} {checks[k]:.1f} dB" for k in ranked)
            + "); each line's dead traces were filled by the method that restored its "
            "hidden ones best."
        )
    out = r.artifacts[0].id
    short = TOOL_NAMES[name].replace("bandpass filter", "bandpass")
    figures = tuple(
        (x.id, f"before / after / difference of the {short}")
        for x in r.artifacts[1:]
        if x.kind == "figure"
    )
    return StepText(text, ((out, product),), figures, {out: f"the {product}"}, estimate=True)


def _spectrum(a: dict, m: dict, r: ToolResult, labels: dict) -> StepText:
    what = name_of(labels, a.get("data"))
    figures = tuple(
        (x.id, f"amplitude spectrum of {what}") for x in r.artifacts if x.kind == "figure"
    )
    return StepText(
        f"Amplitude spectrum of {what}: dominant frequency "
        f"{m['dominant_hz']:.1f} Hz, half-amplitude band {m['band_low_hz']:.1f}–"
        f"{m['band_high_hz']:.1f} Hz (Nyquist {m['nyquist_hz']:.0f} Hz).",
        figures=figures,
    )


def _estimate_wavelet(a: dict, m: dict, r: ToolResult, labels: dict) -> StepText:
    used = (
        f"{arg(m['n_traces_used'])} traces around the middle"
        if a.get("traces")
        else f"all {arg(m['n_traces_used'])} traces"
    )
    out = r.artifacts[0].id
    return StepText(
        f"Statistical wavelet from {used} of {name_of(labels, a.get('data'))}: "
        f"{arg(a['length_ms'])} ms, dominant frequency {m['dominant_hz']:.1f} Hz "
        "(an estimate assuming white reflectivity; its phase is set to zero, "
        "not measured).",
        ((out, "wavelet"),),
        labels={out: "the estimated wavelet"},
    )


def _measure_snr(a: dict, m: dict, r: ToolResult, labels: dict) -> StepText:
    what = name_of(labels, a.get("data"))
    if "snr_db" in m:
        return StepText(
            f"SNR of {what} against {name_of(labels, a.get('reference'))}: "
            f"{m['snr_db']:.1f} dB (correlation {m['correlation']:.3f}); the "
            f"trace-similarity estimate gives {m['snr_est_db']:.1f} dB."
        )
    return StepText(
        f"Estimated SNR of {what}: {m['snr_est_db']:.1f} dB ({ESTIMATE_NOTE}; "
        "biased low where events are not laterally continuous).",
        estimate=True,
    )


# ---- figures, literature, GeoFM faults -----------------------------------------------------


def _plot_section(a: dict, m: dict, r: ToolResult, labels: dict, given: dict) -> StepText:
    what = name_of(labels, a.get("data"))
    details = []
    if "cmap" in given:
        details.append(f"colour map {a['cmap']}")
    if "clip_percentile" in given:
        details.append(f"amplitudes clipped at percentile {arg(a['clip_percentile'])}")
    if "inline_index" in given:
        details.append(f"inline position {a['inline_index']} of the cube")
    if given.get("title"):
        details.append(f'titled "{a["title"]}"')
    extra = f" ({', '.join(details)})" if details else ""
    return StepText(
        f"Plotted {what}{extra}.", figures=tuple((x.id, f"plot of {what}") for x in r.artifacts)
    )


def _plot_comparison(a: dict, m: dict, r: ToolResult, labels: dict) -> StepText:
    before, after = name_of(labels, a.get("before")), name_of(labels, a.get("after"))
    return StepText(
        f"Plotted {before} and {after} side by side with their difference.",
        figures=tuple(
            (x.id, f"before / after / difference: {before} vs {after}") for x in r.artifacts
        ),
    )


def _search(a: dict, m: dict, r: ToolResult, labels: dict) -> StepText:
    n = int(m.get("passages", 0))
    found = (
        f"{_count(n, 'passage')} (references listed with the answer)"
        if n
        else "nothing found; other terms may help"
    )
    return StepText(f'Searched the literature for "{a.get("query", "")}": {found}.')


def _faults(a: dict, m: dict, r: ToolResult, labels: dict) -> StepText:
    geofm = "max_probability" in m
    what = "probability" if geofm else "discontinuity"
    thr = f"{m['threshold']:g}"
    text = (
        f"{'GeoFM fault segmentation' if geofm else 'Semblance coherence (Marfurt)'} of "
        f"{name_of(labels, a.get('data'))}: {100 * m['fault_fraction']:.1f} % of samples "
        f"above {what} {thr} (highest {what} {m[f'max_{what}']:.2f})"
    )
    if m["fault_fraction"] == 0:
        text += "; no faults at this threshold, a lower one may show weaker faults"
    out = r.artifacts[0].id
    figures = tuple(
        (x.id, f"faults above {what} {thr} over the section")
        for x in r.artifacts[1:]
        if x.kind == "figure"
    )
    product = "fault-probability section" if geofm else "discontinuity section"
    return StepText(text + ".", ((out, product),), figures, {out: f"the fault {what}"})


_SIMPLE = {
    "segy_info": _segy_info,
    "read_segy": _read_segy,
    "write_segy": _write_segy,
    "read_well_log": _read_well_log,
    "locate_well": _locate_well,
    "make_synthetic": _make_synthetic,
    "spectrum": _spectrum,
    "estimate_wavelet": _estimate_wavelet,
    "measure_snr": _measure_snr,
    "invert_impedance": invert_step,
    "plot_comparison": _plot_comparison,
    "search_literature": _search,
    "geofm_faults": _faults,
    "coherence_faults": _faults,
}
_WITH_GIVEN = {
    "read_ascii_section": _read_ascii,
    "import_array": _import_array,
    "plot_section": _plot_section,
}


def describe(
    name: str,
    args: dict[str, Any],
    given: dict[str, Any],
    result: ToolResult,
    labels: dict[str, str],
    caveat: bool,
) -> StepText:
    """A successful call in words.

    Args:
        name: the tool.
        args: its arguments with the defaults the tool applied.
        given: the arguments as the model gave them (to tell chosen values from defaults).
        result: what the tool returned (``ok`` True).
        labels: how earlier items are named, by workspace id.
        caveat: explain the trace-similarity SNR estimate (the first time it appears).
    """
    m = {**result.details, **result.metrics}
    if name in _PROCESS:
        return _processing(name, args, m, result, labels, caveat)
    if name in _WITH_GIVEN:
        return _WITH_GIVEN[name](args, m, result, labels, given)
    if name in _SIMPLE:
        return _SIMPLE[name](args, m, result, labels)
    shown = ", ".join(f"{k} {v:g}" for k, v in m.items() if math.isfinite(v))
    figures = tuple(
        (x.id, x.description or "figure") for x in result.artifacts if x.kind == "figure"
    )
    products = tuple(
        (x.id, f"{x.kind} from {name}") for x in result.artifacts if x.kind != "figure"
    )
    return StepText(
        f"Ran {name}" + (f": {shown}." if shown else "."),
        products,
        figures,
        {i: f"the {what}" for i, what in products},
    )
