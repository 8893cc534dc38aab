"""The plain-language text of one tool call: its type and number formatting."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["StepText", "arg", "value", "name_of"]


@dataclass(frozen=True)
class StepText:
    """A tool call in words.

    Attributes:
        text: one sentence, without workspace ids.
        products: (id, what it is) of the results a follow-up would use.
        figures: (id, what it shows) of the figures made.
        labels: id -> how later steps name that item ("the f-x deconvolved section").
        estimate: the sentence reports the trace-similarity SNR estimate.
    """

    text: str
    products: tuple[tuple[str, str], ...] = ()
    figures: tuple[tuple[str, str], ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    estimate: bool = False


def arg(x: Any) -> str:
    """An argument as written: integers without a decimal point, others exactly."""
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return repr(x) if isinstance(x, float) else str(x)


def value(x: float, digits: int = 3) -> str:
    """A measured value to ``digits`` significant digits; scientific when large or tiny."""
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    mag = math.floor(math.log10(abs(x)))
    if -3 <= mag < 5:
        return f"{x:.{max(0, digits - 1 - mag)}f}"
    return f"{x:.{digits - 1}e}"


def name_of(labels: dict[str, str], item: Any) -> str:
    """How earlier steps named ``item`` (a workspace id), else the item itself."""
    return labels.get(str(item), str(item))
