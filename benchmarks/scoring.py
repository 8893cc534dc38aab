"""Scoring: answer extraction from messy model output, matching, confidence intervals."""

from __future__ import annotations

import math
import re
import unicodedata

from benchmarks.suite import LETTERS

__all__ = ["extract_choice", "normalize", "matches", "wilson_interval"]


def extract_choice(text: str, choices: tuple[str, ...]) -> int | None:
    """The choice a free-text reply picks, or None when it cannot be told.

    Tries, in order: an explicit "answer is (B)" / "Answer: B"; a reply that is just a
    letter; a lone letter in brackets or followed by ")" / "." at a line start; the text of
    exactly one choice quoted in the reply.
    """
    n = len(choices)
    valid = LETTERS[:n]
    t = text.strip()
    patterns = [
        rf"answer\s*(?:is|:)?\s*[\(\[]?\s*([{valid}])\b",
        rf"^\s*[\(\[]?([{valid}])[\)\]]?\s*[.:)]?\s*$",
        rf"(?m)^\s*[\(\[]?([{valid}])[\)\].:]\s",
        rf"[\(\[]([{valid}])[\)\]]",
    ]
    for p in patterns:
        found = set(re.findall(p, t, flags=re.I))
        if len(found) == 1:
            return LETTERS.index(found.pop().upper())
    body = normalize(t)
    hits = [i for i, c in enumerate(choices) if normalize(c) and normalize(c) in body]
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:  # the longest match, if it contains the others ("P wave" in "P and S")
        longest = max(hits, key=lambda i: len(choices[i]))
        if all(normalize(choices[i]) in normalize(choices[longest]) for i in hits):
            return longest
    return None


def normalize(text: str) -> str:
    """Lower case, accents and punctuation removed, single spaces."""
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    t = re.sub(r"[^a-z0-9.\-/ ]+", " ", t)
    return re.sub(r"\s+", " ", t).strip(" .")


def matches(reply: str, aliases: tuple[str, ...]) -> bool:
    """A short answer is right when an accepted alias appears as whole words in the reply."""
    body = f" {normalize(reply)} "
    return any(f" {normalize(a)} " in body for a in aliases if normalize(a))


def wilson_interval(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval for a proportion k/n (honest at small n and near 0 or 1)."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))
