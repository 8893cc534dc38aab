"""Where a request that chains steps is cut into clauses, and when a word is negated.

"Remove the ground roll in f-k, then AGC with a 200 ms window, and plot the result" is
three clauses; a setting belongs to the step of its own clause
(:mod:`agent.named_settings`), and each clause may name a step still to take
(:mod:`agent.next_steps`). "No plot yet", "without AGC" or "f-x instead of f-k" negate
what follows them.
"""

from __future__ import annotations

import re

__all__ = ["spans", "clauses", "negated"]

_CUTS = re.compile(
    r"\bthen\b|\bafter that\b|\bfollowed by\b|;|->|→|\.(?:\s+|$)|,\s*and\b|"
    r"\band\s+(?=(?:\w+\s+)?(?:run|apply|compare|plot|show|draw|map|export|save|write|"
    r"invert|estimate|pick|upward|reduce|grid|make|take|continue|find|detect|display)\b)",
    re.IGNORECASE,
)
_NEGATED = re.compile(
    r"(?:\b(?:no|not|without|don'?t|do not|never|skip|instead of|rather than)\s+"
    r"(?:\w+\s+){0,2}|\bnon-?)$",
    re.IGNORECASE,
)


def spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) of each clause of ``text``, in order (none empty)."""
    cuts = [0] + [m.end() for m in _CUTS.finditer(text)] + [len(text)]
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


def clauses(text: str) -> list[str]:
    """The clauses of ``text`` that hold more than blanks, in order."""
    return [text[a:b] for a, b in spans(text) if text[a:b].strip()]


def negated(text: str, at: int) -> bool:
    """Whether the words just before position ``at`` of ``text`` negate what is there."""
    return bool(_NEGATED.search(text[max(0, at - 30) : at]))
