"""What a processing tool returns: the processed array saved beside its input, the
estimated SNR change, and an optional before/after/difference figure."""

from __future__ import annotations

from typing import Any

import numpy as np

from common.errors import BadInputError
from tools.metrics import estimate_snr_db
from tools.plotting import comparison_figure
from tools.result import ToolResult
from tools.section import Section, save_section, shape_str
from tools.workspace import Workspace

__all__ = ["processing_result"]


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
