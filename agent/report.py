"""A plain-language report of the tools an answer ran, composed without a language model.

    text = tool_report(question, calls, results)
    assert report_numbers_supported(text, question, calls, results) == []

The report says what was done, one sentence per call and in order, with the key numbers
and units; then the final products and the figures with their workspace ids (ids of
intermediate arrays are left out); then what the user could ask next. Every number in
it comes from a tool's ``metrics`` or ``details``, a call's arguments (with the defaults the tool
applied) or the question, or is part of a failed tool's own error message;
:func:`report_numbers_supported` checks that after display rounding.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from agent.report_pf import PF_NAMES, PF_STEPS
from agent.report_seismology import SEISMOLOGY_NAMES, SEISMOLOGY_STEPS
from agent.report_steps import TOOL_NAMES, StepText, arg, describe
from agent.report_welltie import WELLTIE_NAMES, WELLTIE_STEPS
from common.errors import GeoFMError
from tools import ALL
from tools.registry import Registry
from tools.result import ToolResult

__all__ = ["tool_report", "report_numbers_supported", "effective_args"]

# Tools whose output replaces their input in the chain: an array they read is then an
# intermediate, not a product to offer for follow-ups.
_TRANSFORMS = {
    "bandpass",
    "agc",
    "fk_filter",
    "fx_decon",
    "rank_reduction",
    "median_filter",
    "geofm_denoise",
    "geofm_interpolate",
    "interpolate_traces",
    "invert_impedance",
    "write_segy",
}
# The domain tools' report steps (earthquake seismology, potential fields, well tie): each takes
# the arguments, the metrics and details, the result and the labels of earlier items.
_DOMAIN_NAMES = {**SEISMOLOGY_NAMES, **PF_NAMES, **WELLTIE_NAMES}
_DOMAIN_STEPS = {**SEISMOLOGY_STEPS, **PF_STEPS, **WELLTIE_STEPS}
_LOADERS = {"read_segy", "read_ascii_section", "import_array", "read_well_log", "make_synthetic"}
# another denoiser to compare with, as (request, tool)
_ALTERNATIVE = {
    "fx_decon": ("compare with f-x rank reduction", "rank_reduction"),
    "rank_reduction": ("compare with f-x deconvolution", "fx_decon"),
    "median_filter": ("compare with f-x deconvolution", "fx_decon"),
    "geofm_denoise": ("compare with f-x deconvolution", "fx_decon"),
    "interpolate_traces": ("compare with the GeoFM interpolation", "geofm_interpolate"),
}


def effective_args(name: str, args: Any, registry: Registry | None = None) -> dict[str, Any]:
    """The arguments a tool ran with: the given ones plus its defaults (the given ones
    alone when they do not validate, e.g. for a call that failed on them)."""
    registry = ALL if registry is None else registry
    given = dict(args) if isinstance(args, dict) else {}
    try:
        return registry.get(name).validate(given)
    except GeoFMError:
        return given


@dataclass(frozen=True)
class _Done:
    """A call as the report tells it: ``step`` is None when the call failed."""

    name: str
    args: dict[str, Any]
    result: ToolResult
    step: StepText | None
    text: str


def tool_report(
    question: str,
    calls: list[tuple[str, dict]],
    results: list[ToolResult],
    registry: Registry | None = None,
) -> str:
    """What the tools did, in words a geophysicist reads at a glance.

    Args:
        question: the user's request.
        calls: (tool name, arguments the model gave), in the order run.
        results: the ``ToolResult`` of each call.
        registry: the tools (for their defaults); default ``tools.ALL``.

    Returns:
        One line per call (bulleted when there are several), then ``Result:`` (final
        products with ids), ``Figure:`` (figures with ids and what they show) and a
        ``Next, you could ask:`` line.
    """
    if len(calls) != len(results):
        raise ValueError(f"{len(calls)} calls but {len(results)} results; pass one result per call")
    if not calls:
        return "No tool was run."
    labels: dict[str, str] = {}
    done: list[_Done] = []
    caveat = True
    for k, ((name, given), result) in enumerate(zip(calls, results)):
        args = effective_args(name, given, registry)
        if not result.ok and any(
            n == name and r.ok for (n, _), r in zip(calls[k + 1 :], results[k + 1 :])
        ):
            continue  # a first try the model corrected: not the user's concern
        if not result.ok:
            message = re.sub(r"^Error:\s*", "", result.summary).strip()
            message = message.split(" Expected schema:")[0]  # the schema is for the model
            message += "" if message.endswith((".", "!", "?")) else "."
            what = TOOL_NAMES.get(name) or _DOMAIN_NAMES.get(name, name)
            done.append(
                _Done(name, args, result, None, f"{what[0].upper()}{what[1:]} failed: {message}")
            )
            continue
        if name in _DOMAIN_STEPS:
            m = {**result.details, **result.metrics}
            step = _DOMAIN_STEPS[name](args, m, result, labels)
        else:
            step = describe(
                name, args, given if isinstance(given, dict) else {}, result, labels, caveat
            )
        caveat &= not step.estimate
        labels.update(step.labels)
        done.append(_Done(name, args, result, step, step.text))
    lines = [d.text for d in done]
    lines = [f"- {t}" for t in lines] if len(lines) > 1 else lines
    products = _final_products(done)
    if products:
        lines.append(
            f"Result{'s' if len(products) > 1 else ''}: "
            + ", ".join(f"{what} ({i})" for i, what in products)
            + "."
        )
    figures = [f for d in done if d.step for f in d.step.figures]
    if figures:
        lines.append(
            f"Figure{'s' if len(figures) > 1 else ''}: "
            + "; ".join(f"{what} ({i})" for i, what in figures)
            + "."
        )
    follow_up = _next(done, bool(figures))
    return "\n".join(lines + ([follow_up] if follow_up else []))


def _final_products(done: list[_Done]) -> list[tuple[str, str]]:
    """Products of the calls none of whose products a later call went on from: any later
    call for loaded data, a transforming call for the rest (a denoised section that
    was then measured or plotted is still the product)."""
    read: set[str] = set()
    transformed: set[str] = set()
    out: list[tuple[str, str]] = []
    for d in reversed(done):
        if d.step is None:
            continue
        after = read if d.name in _LOADERS else transformed
        if d.step.products and not any(i in after for i, _ in d.step.products):
            out[:0] = list(d.step.products)
        ids = {v for v in d.args.values() if isinstance(v, str)}
        read |= ids
        if d.name in _TRANSFORMS:
            transformed |= ids
    return out


def _ideas(d: _Done) -> list[tuple[str, str | None]]:
    """Follow-up requests after call ``d``: (request, the tool it would run, or None);
    none after a tool this module does not know."""
    m = {**d.result.details, **d.result.metrics}
    if d.name in ("read_segy", "read_ascii_section", "import_array"):
        return [
            ("plot it", "plot_section"),
            ("show its amplitude spectrum", "spectrum"),
            ("denoise it with f-x deconvolution", "fx_decon"),
        ]
    if d.name == "segy_info":
        first = f"read inline {arg(m['inline_first'])}" if "inline_first" in m else "read it"
        return [(first, "read_segy"), ("read it and plot it", "plot_section")]
    if d.name == "read_well_log":
        if "twt_top_ms" in m:
            return [("invert the section for impedance with this log", "invert_impedance")]
        return [("convert it to time with the checkshot", None)]
    if d.name == "locate_well":
        return [
            (f"read inline {round(m['inline'])}", "read_segy"),
            ("invert that line with the well log", "invert_impedance"),
        ]
    if d.name == "make_synthetic":
        return [
            ("denoise it with f-x deconvolution", "fx_decon"),
            ("measure the SNR against the clean section", "measure_snr"),
            ("plot it", "plot_section"),
        ]
    if d.name in _TRANSFORMS - {"invert_impedance", "write_segy"}:
        other = _ALTERNATIVE.get(d.name, ("compare with a median filter", "median_filter"))
        return [("save it as SEG-Y", "write_segy"), other, ("show its spectrum", "spectrum")]
    if d.name == "spectrum":
        return [
            ("apply a bandpass filter", "bandpass"),
            ("estimate the wavelet", "estimate_wavelet"),
        ]
    if d.name == "estimate_wavelet":
        return [
            ("invert for impedance with this wavelet", "invert_impedance"),
            ("show the data's spectrum", "spectrum"),
        ]
    if d.name == "invert_impedance":
        compare = (
            "invert with spatial regularisation to compare"
            if d.args.get("regularization") == "trace"
            else "invert trace by trace to compare"
        )
        return [
            ("plot the impedance with the viridis colour map", "plot_section"),
            (compare, None),
            ("save it as SEG-Y", "write_segy"),
        ]
    if d.name == "tie_well":
        return [
            ("invert the line with the tied AI log and the tie wavelet", "invert_impedance"),
            ("tie again with the well wavelet", None),
        ]
    if d.name == "write_segy":
        return [
            ("summarise the new file's headers", "segy_info"),
            ("read it back and plot it", None),
        ]
    if d.name == "search_literature":
        return [("explain the method of the first passage", None), ("apply it to my data", None)]
    if d.name == "geofm_faults":
        return [("try a lower threshold", None), ("plot the fault probability", "plot_section")]
    if d.name == "coherence_faults":
        return [
            ("try a lower threshold", None),
            ("compare with the GeoFM fault segmentation", "geofm_faults"),
        ]
    return []


def _next(done: list[_Done], has_figure: bool) -> str:
    """One line of follow-up requests suited to the last informative call ("" when there
    is none to suggest)."""
    if done[-1].step is None:
        return (
            "Next: change what the message points to (an argument, or the data it "
            "names) and ask again."
        )
    ran = {d.name for d in done} | ({"plot_section"} if has_figure else set())
    last = next(
        (
            d
            for d in reversed(done)
            if d.step is not None
            and d.name not in ("plot_section", "plot_comparison", "measure_snr")
        ),
        done[-1],
    )
    ideas = _ideas(last)
    if not ideas:
        return ""
    keep = [text for text, tool in ideas if tool not in ran][:3] or [ideas[0][0]]
    quoted = [f'"{t}"' for t in keep]
    joined = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return f"Next, you could ask: {joined}."


# ---- numbers -----------------------------------------------------------------------------

_SCI = re.compile(r"(?<![\w.])([+\-−]?)(\d+(?:\.(\d+))?)[eE]([+\-]?\d+)(?![\w.])")
_DELIMS = re.compile(r"[\s,;:()\[\]{}\"'“”‘’–—/*×→=<>|·]+")
_DIGITS = re.compile(r"\d+(?:\.(\d+))?")


def _numbers(text: str) -> list[tuple[str, float, float]]:
    """(as written, value, half display step) of each number in ``text``. Numbers glued to
    letters belong to names (``ws-5``, ``F02-1``, ``2D``, ``m3``) and are skipped; a
    number followed by ``%`` is returned with its written form ending in ``%``."""
    found: list[tuple[str, float, float]] = []

    def sci(m: re.Match) -> str:
        sign = -1.0 if m.group(1) in "-−" and m.group(1) else 1.0
        decimals = len(m.group(3) or "")
        exp = int(m.group(4))
        found.append(
            (m.group(0), sign * float(m.group(2)) * 10.0**exp, 0.5 * 10.0 ** (exp - decimals))
        )
        return " "

    tokens = [t for t in _DELIMS.split(_SCI.sub(sci, text)) if t]
    for k, token in enumerate(tokens):
        if any(c.isalpha() or c == "_" for c in token):
            continue
        percent = token.endswith("%") or (k + 1 < len(tokens) and tokens[k + 1] == "%")
        for j, m in enumerate(_DIGITS.finditer(token)):
            signed = j == 0 and token[0] in "+-−"
            sign = -1.0 if signed and token[0] != "+" else 1.0
            written = (token[0] if signed else "") + m.group(0) + ("%" if percent else "")
            found.append((written, sign * float(m.group(0)), 0.5 * 10.0 ** -len(m.group(1) or "")))
    return found


def _sources(
    question: str,
    calls: list[tuple[str, dict]],
    results: list[ToolResult],
    registry: Registry | None,
) -> list[float]:
    values = [v for _, v, _ in _numbers(question)]
    for (name, given), result in zip(calls, results):
        for v in effective_args(name, given, registry).values():
            if isinstance(v, bool) or v is None:
                continue
            if isinstance(v, (int, float)):
                values.append(float(v))
            elif isinstance(v, str):
                values += [x for _, x, _ in _numbers(v)]
        values += [
            float(v)
            for v in {**result.details, **result.metrics}.values()
            if isinstance(v, (int, float)) and not isinstance(v, bool)
        ]
        if not result.ok:  # the tool's own error message is quoted as it stands
            values += [x for _, x, _ in _numbers(result.summary)]
    return [v for v in values if math.isfinite(v)]


def report_numbers_supported(
    text: str,
    question: str,
    calls: list[tuple[str, dict]],
    results: list[ToolResult],
    registry: Registry | None = None,
) -> list[str]:
    """Numbers in ``text`` that no metric, call argument (defaults included) or question
    number gives, after rounding to the decimals shown; empty when all are supported.

    "+11.2" is supported by a metric 11.23, "2.26e+06" by 2262345.0, "30 %" by a fraction
    0.3. Shapes count only through metrics or details (``n_traces``, ``n_samples``); numbers inside
    names (``ws-5``, ``F02-1``, ``2D``) are not numbers. A failed call's error message is
    a source too, since the report quotes it.

    Args:
        text: the report.
        question: the user's request.
        calls: (tool name, arguments the model gave).
        results: the ``ToolResult`` of each call.
        registry: the tools (for their defaults); default ``tools.ALL``.
    """
    sources = _sources(question, calls, results, registry)
    bad = []
    for written, v, half in _numbers(text):
        tol = half * (1 + 1e-9) + 1e-12
        ok = any(abs(s - v) <= tol for s in sources)
        if not ok and written.endswith("%"):
            ok = any(abs(100 * s - v) <= tol for s in sources)
        if not ok:
            bad.append(written)
    return bad
