"""Shared by the tests that keep the routing benchmarks apart from the training data:
difflib ratio on lower-case letters and digits, and the training phrasings filled with
each task's first 20 slot combinations."""

from __future__ import annotations

import difflib
import itertools
import re

from finetune.tool_tasks import TASKS


def norm(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", s.lower()).strip()


def training_phrasings() -> list[tuple[str, str]]:
    """(task id, normalised text) for every phrasing and its first 20 slot combinations."""
    out = []
    for task in TASKS:
        keys = list(task.slots)
        combos = [dict(zip(keys, v)) for v in itertools.product(*(task.slots[k] for k in keys))][
            :20
        ] or [{}]
        for phrasing in task.phrasings:
            out.extend((task.id, norm(phrasing.format(**slots))) for slots in combos)
    return out


def near_copies(
    texts: list[tuple[str, str]], others, limit: float = 0.8
) -> list[tuple[str, str, float]]:
    """(label, text, ratio) of each of ``texts`` within ``limit`` of any of ``others``."""
    close = []
    for label, text in texts:
        m = difflib.SequenceMatcher(None, "", text)  # seq2 is cached across set_seq1
        for other in others:
            m.set_seq1(other)
            if m.real_quick_ratio() > limit and m.quick_ratio() > limit and m.ratio() > limit:
                close.append((label, text, round(m.ratio(), 3)))
                break
    return close
