"""invert_impedance in plain words: absolute or relative impedance, wavelet, background."""

from __future__ import annotations

from agent.report_text import StepText, arg, name_of, value
from tools.result import ToolResult

__all__ = ["invert_step"]


def invert_step(a: dict, m: dict, r: ToolResult, labels: dict) -> StepText:
    reg = "trace by trace" if a.get("regularization") == "trace" else "spatially regularised"
    named = a.get("wavelet") in ("ricker", "ormsby")
    wavelet = (
        f"a {arg(a['wavelet_hz'])} Hz {a['wavelet'].capitalize()} wavelet"
        if named
        else name_of(labels, a["wavelet"])
        if a.get("wavelet")
        else "a statistical wavelet from the data"
    )
    if "band_high_hz" in m:
        return _relative(a, m, r, labels, reg, wavelet)
    source = "the well log" if a.get("well_log") else "the impedance model"
    text = (
        f"Model-based impedance inversion of {name_of(labels, a.get('data'))} ({reg}, "
        f"background below {arg(a['background_hz'])} Hz from {source}, {wavelet}): "
        f"impedance {value(m['impedance_min'])} to {value(m['impedance_max'])} "
        f"(m/s)·(kg/m3); the modelled data match the input with correlation "
        f"{m['data_fit_correlation']:.2f}"
    )
    if "well_correlation" in m:
        tie = m["well_tie_correlation"]
        poor = (
            "; poor tie, so the wavelet was scaled by RMS, not fitted"
            if "poor tie" in r.summary
            else ""
        )
        text += (
            f". Well tie correlation {tie:.2f}{poor}; at the well (position "
            f"{a['well_position']}) the inverted trace matches the log band-limited to "
            f"{m['well_band_hz']:.0f} Hz with correlation {m['well_correlation']:.2f} "
            f"({m['well_relative_correlation']:.2f} with the background removed)"
        )
    out = r.artifacts[0].id
    shown = "impedance section" + (
        " with the well log comparison" if "well_correlation" in m else ""
    )
    figures = tuple((x.id, shown) for x in r.artifacts[1:] if x.kind == "figure")
    return StepText(
        text + ".", ((out, "impedance section"),), figures, {out: "the impedance section"}
    )


def _relative(a: dict, m: dict, r: ToolResult, labels: dict, reg: str, wavelet: str) -> StepText:
    """invert_impedance without a background: relative (band-limited) impedance."""
    if a.get("method") == "coloured":
        how = (
            "coloured inversion (one operator shaping the data spectrum to a power-law "
            f"impedance spectrum of exponent {m['alpha']:.2f}, phase rotated by "
            f"{m['phase_rotation_deg']:.0f}°; no wavelet)"
        )
    else:
        how = f"model-based inversion ({reg}, zero background, {wavelet})"
    text = (
        f"Relative (band-limited) impedance of {name_of(labels, a.get('data'))}, "
        f"{how}: with no low-frequency background the trend below "
        f"{arg(a['background_hz'])} Hz was removed and the result keeps the "
        f"{m['band_low_hz']:.0f}–{m['band_high_hz']:.0f} Hz seismic band, on an "
        "arbitrary scale (not absolute impedance)"
    )
    if "data_fit_correlation" in m:
        text += (
            f"; the modelled data match the input with correlation {m['data_fit_correlation']:.2f}"
        )
    if "well_relative_correlation" in m:
        text += (
            f"; at the well (position {a['well_position']}) it matches the log's relative "
            f"impedance with correlation {m['well_relative_correlation']:.2f}"
        )
    out = r.artifacts[0].id
    product = "relative impedance section"
    figures = tuple((x.id, product) for x in r.artifacts[1:] if x.kind == "figure")
    return StepText(text + ".", ((out, product),), figures, {out: f"the {product}"})
