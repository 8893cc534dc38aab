"""Keep the evaluation sets out of the training data: a training phrasing that comes
close to any text of an evaluation set is dropped.

    guard = LeakageGuard.from_dir("benchmarks/data")
    kept = [p for p in phrasings if not guard.near(p)]

Every string value of every line of every ``*.jsonl`` under the evaluation folder is an
evaluation text (requests, the turns of multi-turn sets, questions), whatever the keys
are called, so a new set is covered without naming its fields. Two texts are near when,
after lower-casing and keeping only letters and digits, their difflib ratio or their
character 4-gram Jaccard index reaches ``limit`` (0.8). Only counts are reported: the
builder never prints an evaluation text or which one a phrasing came close to.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["LeakageGuard", "norm", "eval_texts", "LIMIT"]

LIMIT = 0.8
_MIN_CHARS = 12  # ids, setup names and labels are not requests


def norm(text: str) -> str:
    """Lower case, letters and digits, single spaces."""
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def eval_texts(data_dir: str | Path) -> list[str]:
    """The normalised string values of every evaluation file under ``data_dir``."""
    out: set[str] = set()
    for path in sorted(Path(data_dir).glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            out.update(t for s in _strings(row) if len(t := norm(s)) >= _MIN_CHARS)
    return sorted(out)


def _grams(text: str, n: int = 4) -> frozenset[str]:
    return frozenset(text[i : i + n] for i in range(max(1, len(text) - n + 1)))


class LeakageGuard:
    """Tells whether a phrasing is near any of a fixed set of evaluation texts.

    Only texts that share at least a fifth of the phrasing's character 3-grams are
    compared (an inverted index finds them): two texts within 0.8 of each other share
    far more than that."""

    def __init__(self, texts: Iterable[str], limit: float = LIMIT):
        self.limit = limit
        self.texts = sorted({t for t in (norm(x) for x in texts) if t})
        self._grams = [_grams(t) for t in self.texts]
        self._by_gram: dict[str, list[int]] = {}
        for i, t in enumerate(self.texts):
            for g in _grams(t, 3):
                self._by_gram.setdefault(g, []).append(i)
        self._seen: dict[str, bool] = {}
        self.checked = 0
        self.dropped = 0

    @classmethod
    def from_dir(cls, data_dir: str | Path, limit: float = LIMIT) -> LeakageGuard:
        return cls(eval_texts(data_dir), limit)

    def near(self, phrasing: str) -> bool:
        """True when ``phrasing`` reaches ``limit`` against any evaluation text."""
        text = norm(phrasing)
        if text not in self._seen:
            self._seen[text] = bool(text) and self._near(text)
        return self._seen[text]

    def _near(self, text: str) -> bool:
        tri = _grams(text, 3)
        shared: dict[int, int] = {}
        for g in tri:
            for i in self._by_gram.get(g, ()):
                shared[i] = shared.get(i, 0) + 1
        grams = _grams(text)
        m = difflib.SequenceMatcher(None, "", text)  # seq2 is cached across set_seq1
        for i, n in shared.items():
            if 5 * n < len(tri):
                continue
            other = self.texts[i]
            short, long_ = sorted((len(text), len(other)))
            if 2 * short / (short + long_) < self.limit:
                continue  # the ratio cannot reach the limit; nor can the Jaccard index
            inter = len(grams & self._grams[i])
            if inter and inter / len(grams | self._grams[i]) >= self.limit:
                return True
            m.set_seq1(other)
            if m.quick_ratio() >= self.limit and m.ratio() >= self.limit:
                return True
        return False

    def keep(self, phrasings: Iterable[str]) -> list[str]:
        """``phrasings`` without the near ones; counts what it checked and dropped."""
        kept = []
        for p in phrasings:
            self.checked += 1
            if self.near(p):
                self.dropped += 1
            else:
                kept.append(p)
        return kept
