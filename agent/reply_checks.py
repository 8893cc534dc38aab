"""Checks on a reply before it reaches the user: a usable answer, numbers it did not
make up, a question in English."""

from __future__ import annotations

import json
import re

__all__ = ["CITATION_MARK", "looks_english", "unsupported_numbers", "usable_answer"]

CITATION_MARK = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")  # "[2]", "[1, 3]"


def usable_answer(text: str) -> bool:
    """False for an empty reply or one that is a JSON object (a small model sometimes
    writes a tool call where it should answer in words)."""
    text = text.strip()
    if not text:
        return False
    if text.startswith("{"):
        try:
            json.loads(text)
            return False
        except json.JSONDecodeError:
            return not text.endswith("}")
    return True


_NUMBER = re.compile(r"(?<![\w.-])[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?", re.IGNORECASE)


def unsupported_numbers(text: str, sources: list[str]) -> list[str]:
    """Numbers in ``text`` that occur in none of ``sources`` (the question, the tool
    observations, the passages). A small model copying "9.49e+03" as "9.49e+04" must not
    reach the user; [n] citation markers are not counted."""
    haystack = " ".join(sources)
    found = set(_NUMBER.findall(haystack))
    return [n for n in _NUMBER.findall(CITATION_MARK.sub(" ", text)) if n not in found]


_ENGLISH = frozenset(
    "the a an is are what why how which does do of in to for and or "
    "with on by from this that it can be between".split()
)


def looks_english(question: str) -> bool:
    """False for a question mostly in another script or, at four words or more, with no
    common English word (the literature index and its embedder are English)."""
    letters = [c for c in question if c.isalpha()]
    if letters and sum(c.isascii() for c in letters) < 0.8 * len(letters):
        return False
    words = re.findall(r"[a-z]+", question.lower())
    return len(words) < 4 or any(w in _ENGLISH for w in words)
