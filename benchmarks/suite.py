"""Benchmark suites: one case per JSONL line (see benchmarks/README.md), or FormationEval-
style JSON (a list of {question, choices, answer_index}; its ``domains`` become tags, so
reports give accuracy per domain). A malformed line is reported with its file and line
number and skipped; the rest of the suite still runs."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.errors import BadInputError

__all__ = ["Case", "load_suite", "LETTERS"]

log = logging.getLogger(__name__)
LETTERS = "ABCDEFGHIJ"


@dataclass(frozen=True)
class Case:
    """One benchmark question.

    ``answer`` is the index of the right choice for multiple choice, else the accepted
    short answers (``aliases``). ``check`` holds numeric checks on tool metrics, e.g.
    ``{"snr_gain_db": {"min": 3}}``.
    """

    id: str
    question: str
    choices: tuple[str, ...] = ()
    answer_index: int | None = None
    aliases: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    expect_tool: str | None = None
    check: dict[str, dict[str, float]] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    suite: str = ""

    @property
    def is_choice(self) -> bool:
        return bool(self.choices)


def _answer_index(raw: Any, n_choices: int) -> int:
    if isinstance(raw, bool):
        raise ValueError("answer must be an index or a letter")
    if isinstance(raw, int):
        idx = raw
    elif isinstance(raw, str) and len(raw.strip()) == 1 and raw.strip().upper() in LETTERS:
        idx = LETTERS.index(raw.strip().upper())
    else:
        raise ValueError(f"answer {raw!r} is neither an index nor a letter")
    if not 0 <= idx < n_choices:
        raise ValueError(f"answer {raw!r} is out of range for {n_choices} choices")
    return idx


def parse_case(obj: Any, default_id: str, suite: str = "") -> Case:
    """A Case from one decoded JSON object; ValueError says what is wrong."""
    if not isinstance(obj, dict):
        raise ValueError("a case must be a JSON object")
    question = obj.get("question")
    if not isinstance(question, str) or not question.strip():
        raise ValueError("missing 'question'")
    choices = tuple(str(c) for c in obj.get("choices") or obj.get("options") or ())
    idx: int | None = None
    aliases: tuple[str, ...] = ()
    if choices:
        raw = obj.get("answer_index", obj.get("answer"))
        if raw is None:
            raise ValueError("multiple choice needs 'answer' (index or letter)")
        idx = _answer_index(raw, len(choices))
    else:
        raw = obj.get("answer")
        aliases = tuple(str(a) for a in ([raw] if isinstance(raw, str) else raw or ()))
        aliases += tuple(str(a) for a in obj.get("aliases", ()))
        if not aliases and not obj.get("expect_tool") and not obj.get("check"):
            raise ValueError("needs 'choices'+'answer', an 'answer' text, or a tool expectation")
    return Case(
        id=str(obj.get("id", default_id)),
        question=question.strip(),
        choices=choices,
        answer_index=idx,
        aliases=aliases,
        files=tuple(obj.get("files", ())),
        expect_tool=obj.get("expect_tool"),
        check=dict(obj.get("check", {})),
        tags=tuple(dict.fromkeys([*obj.get("tags", ()), *obj.get("domains", ())])),
        suite=suite,
    )


def load_suite(path: str | Path) -> tuple[list[Case], list[str]]:
    """(cases, problems): problems name ``file:line`` and what was wrong."""
    path = Path(path)
    if not path.exists():
        raise BadInputError(f"suite {path} not found")
    text = path.read_text(encoding="utf-8")
    cases, problems = [], []
    if path.suffix == ".json":
        try:
            items = json.loads(text)
        except json.JSONDecodeError as e:
            raise BadInputError(f"{path}: not valid JSON ({e.msg} at line {e.lineno})") from None
        items = items.get("questions", items) if isinstance(items, dict) else items
        numbered = [(i + 1, item) for i, item in enumerate(items)]
    else:
        numbered = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("//"):
                continue
            try:
                numbered.append((n, json.loads(line)))
            except json.JSONDecodeError as e:
                problems.append(f"{path}:{n}: not valid JSON ({e.msg})")
    for n, obj in numbered:
        try:
            cases.append(parse_case(obj, f"{path.stem}-{n}", path.stem))
        except ValueError as e:
            problems.append(f"{path}:{n}: {e}")
    for p in problems:
        log.warning("skipped %s", p)
    return cases, problems
