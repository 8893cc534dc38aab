"""The gravity and magnetic tools (``tools.POTENTIAL_FIELDS``) in plain words.

Same contract as :mod:`agent.report_steps`: every number comes from the call's arguments
(defaults applied) or the result's metrics and details.
"""

from __future__ import annotations

from collections.abc import Callable

from agent.report_steps import StepText, arg, value
from tools.result import ToolResult

__all__ = ["PF_NAMES", "PF_STEPS"]

PF_NAMES = {
    "read_potential_field": "reading the gravity or magnetic data",
    "grid_scattered": "gridding the scattered data",
    "gravity_corrections": "the gravity corrections",
    "upward_continue": "upward continuation",
    "reduce_to_pole": "reduction to the pole",
    "field_derivative": "the derivative",
    "euler_deconvolution": "Euler deconvolution",
    "model_prisms": "the prism model",
    "plot_grid": "the map",
}


def _rng(m: dict) -> str:
    lo, hi = m["min"], m["max"]
    if max(abs(lo), abs(hi)) >= 1e4:  # absolute gravity: 980712.3 to 980794.1, not 9.81e+05
        return f"{lo:.1f} to {hi:.1f}"
    return f"{value(lo)} to {value(hi)}"


def _grid(m: dict) -> str:
    return (
        f"{arg(m['n_easting'])} x {arg(m['n_northing'])} nodes at {arg(m['spacing_m'])} m"
        if "n_easting" in m
        else ""
    )


def _step(text: str, r: ToolResult, what: str) -> StepText:
    """``text``, offering the call's first artifact as a product named ``what``."""
    if not r.artifacts:
        return StepText(text)
    i = r.artifacts[0].id
    return StepText(text, products=((i, what),), labels={i: f"the {what}"})


def _read(a: dict, m: dict, r: ToolResult, labels: dict) -> StepText:
    # without a quantity the tool reads it from the file's labels; its summary says which
    q = a.get("quantity") or ("magnetic" if r.summary.startswith("magnetic") else "gravity")
    if "n_points" in m:
        what = f"{q} points"
        text = f"Read {arg(m['n_points'])} scattered {q} stations, values {_rng(m)}."
    else:
        what = f"{q} grid"
        text = f"Read a {q} grid of {_grid(m)}, values {_rng(m)}."
    return _step(text, r, what)


def _gridded(a: dict, m: dict, r: ToolResult, labels: dict) -> StepText:
    how = "a biharmonic spline" if a.get("method", "spline") == "spline" else "nearest neighbours"
    return _step(
        f"Gridded the points with {how} after a block median ({arg(m['n_blocks'])} blocks): "
        f"{_grid(m)}, values {_rng(m)}.",
        r,
        "gridded field",
    )


def _corrections(a: dict, m: dict, r: ToolResult, labels: dict) -> StepText:
    return _step(
        f"Removed WGS84 normal gravity (mean {value(m['normal_gravity_mean_mgal'], 7)} mGal at "
        f"latitude {arg(a['latitude_deg'])}°) and the Bouguer plate (density "
        f"{arg(a.get('density_kg_m3', 2670.0))} kg/m³, mean "
        f"{value(m['bouguer_correction_mean_mgal'])} mGal): Bouguer anomaly {_rng(m)} mGal.",
        r,
        "Bouguer anomaly",
    )


def _upward(a: dict, m: dict, r: ToolResult, labels: dict) -> StepText:
    return _step(
        f"Upward-continued the field by {arg(m['height_m'])} m (FFT, padded grid): "
        f"values {_rng(m)}.",
        r,
        "upward-continued field",
    )


def _rtp(a: dict, m: dict, r: ToolResult, labels: dict) -> StepText:
    return _step(
        f"Reduced the magnetic anomaly to the pole for an inducing field of inclination "
        f"{arg(m['inclination_deg'])}° and declination {arg(m['declination_deg'])}° (induced "
        f"magnetisation assumed): values {_rng(m)} nT.",
        r,
        "reduced-to-pole anomaly",
    )


def _derivative(a: dict, m: dict, r: ToolResult, labels: dict) -> StepText:
    d = a.get("direction", "upward")
    what = "vertical" if d == "upward" else d.replace("_", " ")
    return _step(
        f"Computed the {what} derivative (order {arg(m['order'])}): values {_rng(m)} per m.",
        r,
        f"{what} derivative",
    )


def _euler(a: dict, m: dict, r: ToolResult, labels: dict) -> StepText:
    window = (
        f"a {arg(a['window_m'])} m window" if a.get("window_m") else "the whole grid as one window"
    )
    return StepText(
        f"Euler deconvolution (structural index {arg(m['structural_index'])}, {window}, "
        f"{arg(m['n_points'])} points) places the source at easting "
        f"{value(m['source_easting_m'])} m, northing {value(m['source_northing_m'])} m, "
        f"depth {value(m['source_depth_m'])} m."
    )


def _model(a: dict, m: dict, r: ToolResult, labels: dict) -> StepText:
    q = a.get("quantity", "gravity")
    return _step(
        f"Modelled the {q} field of a {arg(m['size_m'])} m cube centred at "
        f"{arg(m['depth_m'])} m depth on {_grid(m)}: values {_rng(m)}.",
        r,
        f"modelled {q} grid",
    )


def _plot(a: dict, m: dict, r: ToolResult, labels: dict) -> StepText:
    figures = tuple((x.id, "map of the grid") for x in r.artifacts if x.kind == "figure")
    return StepText("Drew a map of the grid.", figures=figures)


# each step: (arguments, metrics and details, result, labels of earlier items), as
# agent.report_seismology's
PF_STEPS: dict[str, Callable[[dict, dict, ToolResult, dict], StepText]] = {
    "read_potential_field": _read,
    "grid_scattered": _gridded,
    "gravity_corrections": _corrections,
    "upward_continue": _upward,
    "reduce_to_pole": _rtp,
    "field_derivative": _derivative,
    "euler_deconvolution": _euler,
    "model_prisms": _model,
    "plot_grid": _plot,
}
