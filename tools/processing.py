"""What a processing tool returns: the processed array saved beside its input, the
estimated SNR change, and an optional before/after/difference figure."""

from __future__ import annotations

from typing import Any

import numpy as np

from common.errors import BadInputError
from tools.metrics import estimate_snr_db
from tools.plotting import comparison_figure, overlay_figure
from tools.result import ToolResult
from tools.section import Section, save_section, shape_str
from tools.workspace import Workspace

__all__ = ["processing_result", "fault_result"]


def processing_result(
    workspace: Workspace,
    section: Section,
    out: np.ndarray,
    what: str,
    params: dict[str, Any],
    figure: bool,
    citations: tuple[str, ...] = (),
) -> ToolResult:
    """Save a processed array (+ an optional before/after/difference PNG) as a ToolResult.

    ``what`` names the process ("bandpass 5-60 Hz"); the SNR change is the
    neighbouring-trace *estimate*, labelled so, since no clean reference is known here.
    An input without two neighbouring live traces (every second trace dead) has no
    estimate: the output's alone is reported.
    """
    art = save_section(
        workspace, out, f"{what} of {section.id}", like=section, process=what, params=params
    )
    after = estimate_snr_db(out)
    try:
        before: float | None = estimate_snr_db(section.data)
    except BadInputError:  # no two neighbouring live traces, e.g. every second one dead
        before = None
    if before is None:
        metrics = {"snr_est_after_db": after}
        snr = f"SNR est. {after:.1f} dB after (none before: no two neighbouring live traces)"
    else:
        metrics = {
            "snr_est_before_db": before,
            "snr_est_after_db": after,
            "snr_est_gain_db": after - before,
        }
        snr = f"SNR est. {after - before:+.1f} dB"
    artifacts = [art]
    text = (
        f"{what} {section.id} -> {art.id}: {shape_str(out)} "
        f"{'/'.join(section.meta.get('axes', ['traces', 'samples']))}, {snr}"
    )
    if figure:
        fig = comparison_figure(workspace, section, out, title=f"{what} of {section.id}")
        artifacts.append(fig)
        text += f"; figure {fig.id}"
    return ToolResult(text, tuple(artifacts), metrics, citations)


def fault_result(
    workspace: Workspace,
    section: Section,
    values: np.ndarray,
    threshold: float,
    name: str,
    quantity: str,
    description: str,
    params: dict[str, Any],
    figure_title: str,
    figure: bool,
    citations: tuple[str, ...],
) -> ToolResult:
    """Save a 0-1 fault attribute of ``section`` (+ an optional overlay PNG of the samples
    above ``threshold``) as a ToolResult: the fraction above it, the maximum, a summary.

    ``name`` is the process ("GeoFM faults"), ``quantity`` what the values are
    ("probability", "discontinuity": the units are "<quantity> 0-1"), ``description``
    the saved section's.
    """
    art = save_section(
        workspace,
        values,
        description,
        like=section,
        process=name,
        params=params,
        units=f"{quantity} 0-1",
    )
    fraction = float(np.mean(values > threshold))
    metrics = {
        "fault_fraction": fraction,
        f"max_{quantity}": float(values.max()),
        "threshold": float(threshold),
    }
    text = (
        f"{name} {section.id} -> {art.id}: {quantity} {shape_str(values)}, "
        f"{100 * fraction:.1f}% of samples above {threshold:g}"
    )
    artifacts = [art]
    if figure:
        fig = overlay_figure(workspace, section, values, threshold, figure_title, quantity)
        artifacts.append(fig)
        text += f"; overlay figure {fig.id}"
    return ToolResult(text, tuple(artifacts), metrics, citations)
