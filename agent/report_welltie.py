"""tie_well in plain words: correlations before and after, shift, stretch, wavelet and phase.

Same contract as :mod:`agent.report_steps`: every number comes from the call's arguments
(defaults applied) or the result's metrics and details.
"""

from __future__ import annotations

from collections.abc import Callable

from agent.report_text import StepText, arg, name_of
from tools.result import ToolResult

__all__ = ["WELLTIE_NAMES", "WELLTIE_STEPS"]

WELLTIE_NAMES = {"tie_well": "the well tie"}


def _tie(a: dict, m: dict, r: ToolResult, labels: dict) -> StepText:
    wavelet = (
        "a least-squares wavelet estimated from the well's reflectivity and the seismic"
        if a.get("wavelet") == "well"
        else "a statistical zero-phase wavelet from the data, rotated to the phase that best ties"
    )
    traces = (
        "the nearest trace"
        if not a.get("traces_around")
        else f"the mean of {arg(m['traces_averaged'])} traces around the well"
    )
    edited = (
        f"; {arg(m['density_samples_replaced'])} density samples below "
        f"{arg(a['min_density'])} kg/m3 were replaced by Gardner's relation"
        if m.get("density_samples_replaced")
        else ""
    )
    text = (
        f"Well tie at position {arg(a['well_position'])} of "
        f"{name_of(labels, a.get('data'))} ({traces}, {arg(a.get('wavelet_ms', 128.0))} ms "
        f"{wavelet}; synthetic from sonic and density through the checkshot{edited}): "
        f"correlation {m['correlation_before']:.2f} before, {m['correlation_shift']:.2f} "
        f"after a bulk shift of {m['shift_ms']:+.0f} ms, {m['correlation_after']:.2f} after "
        f"a stretch of {m['stretch_pct']:+.1f} % (searched within "
        f"±{arg(a['max_shift_ms'])} ms and ±{arg(100 * a['max_stretch'])} %), over "
        f"{m['window_top_ms']:.0f}–{m['window_base_ms']:.0f} ms; wavelet phase "
        f"{m['wavelet_phase_deg']:.0f}°"
    )
    arts = [x for x in r.artifacts if x.kind == "array"]
    names = ("tied synthetic", "tie wavelet", "time-depth relation after the tie", "tied AI log")
    products = tuple((x.id, what) for x, what in zip(arts, names))
    figures = tuple((x.id, "the well tie") for x in r.artifacts if x.kind == "figure")
    return StepText(text + ".", products, figures, {i: f"the {what}" for i, what in products})


WELLTIE_STEPS: dict[str, Callable[[dict, dict, ToolResult, dict], StepText]] = {
    "tie_well": _tie,
}
