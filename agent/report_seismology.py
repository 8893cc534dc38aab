"""The seismology tools' calls in plain words (see :mod:`agent.report_steps`).

Every number comes from the call's arguments (defaults applied) or the result's metrics.
"""

from __future__ import annotations

from collections.abc import Callable

from agent.report_steps import StepText, arg, value
from tools.result import ToolResult

__all__ = ["SEISMOLOGY_NAMES", "SEISMOLOGY_STEPS"]

SEISMOLOGY_NAMES = {
    "read_waveforms": "reading the waveform file",
    "preprocess_waveforms": "waveform preprocessing",
    "sta_lta_trigger": "the STA/LTA trigger",
    "pick_onsets": "onset picking",
    "predict_arrivals": "the TauP arrival prediction",
    "plot_waveforms": "the waveform plot",
    "plot_spectrogram": "the spectrogram",
}


def _name(labels: dict, item: object) -> str:
    return str(labels.get(str(item), item))


def _stream(r: ToolResult, what: str) -> tuple[tuple[tuple[str, str], ...], dict[str, str]]:
    out = [a.id for a in r.artifacts if a.kind == "stream"]
    return tuple((i, what) for i in out), {i: f"the {what}" for i in out}


def _figures(r: ToolResult, what: str) -> tuple[tuple[str, str], ...]:
    return tuple((a.id, what) for a in r.artifacts if a.kind == "figure")


def _read(a: dict, m: dict, r: ToolResult, labels: dict) -> StepText:
    products, new = _stream(r, "waveform stream")
    merged = "" if a.get("merge", "refuse") == "refuse" else f", gaps merged ({a['merge']})"
    return StepText(
        f"Read {arg(m['n_traces'])} waveform trace(s) at {arg(m['sampling_rate_hz'])} Hz, "
        f"{m['duration_s']:.1f} s long{merged}.",
        products,
        labels=new,
    )


def _preprocess(a: dict, m: dict, r: ToolResult, labels: dict) -> StepText:
    a = {**a, **r.details}  # the settings the tool used, its defaults included
    steps = []
    if a.get("detrend", "linear") != "none":
        steps.append(f"{a.get('detrend', 'linear')} detrend")
    if a.get("taper_fraction", 0):
        steps.append(f"a Hann taper of {arg(a['taper_fraction'])} of each end")
    lo, hi = a.get("freqmin_hz", 0), a.get("freqmax_hz", 0)
    kind = "zero-phase" if a.get("zerophase") else "causal"
    if lo and hi:
        steps.append(f"a {kind} {arg(lo)}–{arg(hi)} Hz bandpass")
    elif hi:
        steps.append(f"a {kind} {arg(hi)} Hz low-pass")
    elif lo:
        steps.append(f"a {kind} {arg(lo)} Hz high-pass")
    if a.get("resample_hz", 0):
        steps.append(f"resampling to {arg(a['resample_hz'])} Hz")
    products, new = _stream(r, "preprocessed waveforms")
    done = ", ".join(steps) if steps else "no change"
    return StepText(f"Preprocessed {_name(labels, a.get('stream'))}: {done}.", products, labels=new)


def _trigger(a: dict, m: dict, r: ToolResult, labels: dict) -> StepText:
    what = _name(labels, a.get("stream"))
    windows = (
        f"{a.get('method', 'classic')} STA/LTA, {arg(a.get('sta_s', 0.5))} s / "
        f"{arg(a.get('lta_s', 10.0))} s windows, on at {arg(a.get('threshold_on', 3.5))}"
    )
    n = int(m.get("n_triggers", 0))
    if n:
        text = (
            f"STA/LTA trigger on {what} ({windows}): {n} trigger(s), the first "
            f"{m['first_trigger_s']:.2f} s after the start (highest ratio {m['max_ratio']:.2f})."
        )
    else:
        text = (
            f"STA/LTA trigger on {what} ({windows}): no trigger (highest ratio "
            f"{m['max_ratio']:.2f}); a lower threshold or a bandpass first may help."
        )
    return StepText(text, figures=_figures(r, f"STA/LTA ratio and triggers of {what}"))


def _picks(a: dict, m: dict, r: ToolResult, labels: dict) -> StepText:
    what = _name(labels, a.get("stream"))
    method = "AR-AIC" if a.get("method") == "ar" else "Baer-Kradolfer"
    found = [
        f"{phase} onset {m[key]:.2f} s after the start"
        for phase, key in (("P", "p_onset_s"), ("S", "s_onset_s"))
        if key in m
    ]
    text = f"{method} picks on {what}: " + (
        ", ".join(found) + "." if found else "no onset found; filter first or try the other picker."
    )
    return StepText(text, figures=_figures(r, f"picks on {what}"))


def _arrivals(a: dict, m: dict, r: ToolResult, labels: dict) -> StepText:
    times = [
        f"{k.removesuffix('_time_s')} {v:.2f} s" for k, v in m.items() if k.endswith("_time_s")
    ]
    where = (
        f"a {arg(a['source_depth_km'])} km deep event at {arg(a['distance_deg'])} degrees"
        if a.get("source_depth_km") is not None and a.get("distance_deg") is not None
        else f"the event and station in the headers of {_name(labels, a.get('stream'))}"
    )
    model = a.get("model", "iasp91")
    body = ", ".join(times) if times else "no arrival of the requested phases"
    after = [
        f"{k.removesuffix('_after_start_s')} at {v:.2f} s"
        for k, v in m.items()
        if k.endswith("_after_start_s")
    ]
    clock = f" On the record's clock: {', '.join(after)} after its first sample." if after else ""
    return StepText(
        f"Predicted travel times ({model}, TauP) for {where}: {body} after the origin.{clock}"
    )


def _plot(a: dict, m: dict, r: ToolResult, labels: dict) -> StepText:
    what = _name(labels, a.get("stream"))
    return StepText(
        f"Plotted {arg(m['n_traces_plotted'])} trace(s) of {what}.",
        figures=_figures(r, f"waveforms of {what}"),
    )


def _spectrogram(a: dict, m: dict, r: ToolResult, labels: dict) -> StepText:
    what = _name(labels, a.get("stream"))
    return StepText(
        f"Spectrogram of {what}: most power at {m['peak_frequency_hz']:.1f} Hz "
        f"(of {value(m['lowest_resolved_hz'])}-{m['nyquist_hz']:.0f} Hz, what its window "
        "resolves).",
        figures=_figures(r, f"spectrogram of {what}"),
    )


SEISMOLOGY_STEPS: dict[str, Callable[[dict, dict, ToolResult, dict], StepText]] = {
    "read_waveforms": _read,
    "preprocess_waveforms": _preprocess,
    "sta_lta_trigger": _trigger,
    "pick_onsets": _picks,
    "predict_arrivals": _arrivals,
    "plot_waveforms": _plot,
    "plot_spectrogram": _spectrogram,
}
