"""The typed steps the agent yields; UI, CLI, logs, benchmarks and traces share them.

Every step is a frozen dataclass with ``to_dict()`` (JSON-ready, with a ``"type"`` key).
``AgentResult`` is the collected stream of one question. In a conversation
(``GeoAgent.chat``) a ``ToolCall`` names the earlier results its arguments use
(``uses``: :class:`EarlierResult`, the workspace id and the turn that made it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tools.result import Artifact, ToolResult

__all__ = [
    "Passage",
    "to_passages",
    "Retrieved",
    "EarlierResult",
    "ToolCall",
    "ToolOutput",
    "Answer",
    "Error",
    "Step",
    "AgentResult",
]


@dataclass(frozen=True)
class Passage:
    """One retrieved passage, numbered as the answer cites it ([n])."""

    n: int
    text: str
    title: str
    citation: str
    source: str = ""
    page: int | None = None
    score: float = 0.0
    section: str = ""
    chunk_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "title": self.title,
            "citation": self.citation,
            "source": self.source,
            "page": self.page,
            "score": self.score,
            "section": self.section,
            "chunk_id": self.chunk_id,
            "text": self.text,
        }


def to_passages(hits: Iterable[Any]) -> tuple[Passage, ...]:
    """Search hits (``corpus.Hit`` or anything with ``text`` and optionally title,
    citation, source, page, score, section, chunk_id) as passages numbered from 1."""
    return tuple(
        Passage(
            n=n,
            text=h.text,
            title=getattr(h, "title", ""),
            citation=getattr(h, "citation", "") or getattr(h, "title", ""),
            source=str(getattr(h, "source", "")),
            page=getattr(h, "page", None),
            score=float(getattr(h, "score", 0.0)),
            section=str(getattr(h, "section", "") or ""),
            chunk_id=str(getattr(h, "chunk_id", "") or ""),
        )
        for n, h in enumerate(hits, 1)
    )


@dataclass(frozen=True)
class Retrieved:
    """Passages found in the literature index for ``query``."""

    query: str
    passages: tuple[Passage, ...]
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "retrieved",
            "query": self.query,
            "seconds": round(self.seconds, 3),
            "passages": [p.to_dict() for p in self.passages],
        }


@dataclass(frozen=True)
class EarlierResult:
    """A workspace item an earlier turn of the conversation made or attached."""

    id: str
    turn: int
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "turn": self.turn, "description": self.description}


@dataclass(frozen=True)
class ToolCall:
    """The model asked for ``name(args)``; ``uses`` are the earlier turns' results that
    the arguments name (empty for a single question)."""

    name: str
    args: dict[str, Any]
    call_id: str = ""
    uses: tuple[EarlierResult, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "tool_call",
            "name": self.name,
            "args": self.args,
            "call_id": self.call_id,
            "uses": [u.to_dict() for u in self.uses],
        }


@dataclass(frozen=True)
class ToolOutput:
    """What the tool returned (errors included, as ``result.ok == False``)."""

    name: str
    result: ToolResult
    seconds: float = 0.0
    call_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "tool_output",
            "name": self.name,
            "call_id": self.call_id,
            "seconds": round(self.seconds, 3),
            **self.result.to_dict(),
        }


@dataclass(frozen=True)
class Answer:
    """The final answer; ``citations`` are the passages it cites, by number."""

    text: str
    citations: tuple[Passage, ...] = ()
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "answer",
            "text": self.text,
            "seconds": round(self.seconds, 3),
            "citations": [c.to_dict() for c in self.citations],
        }


@dataclass(frozen=True)
class Error:
    """A failure the agent could not recover from (the stream ends after it)."""

    message: str
    where: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"type": "error", "message": self.message, "where": self.where}


Step = Retrieved | ToolCall | ToolOutput | Answer | Error


@dataclass(frozen=True)
class AgentResult:
    """One question's outcome: the answer, what it cites, every step, every artifact."""

    answer: str
    citations: tuple[Passage, ...] = ()
    steps: tuple[Step, ...] = ()
    artifacts: tuple[Artifact, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not any(isinstance(s, Error) for s in self.steps)

    @property
    def uses(self) -> tuple[EarlierResult, ...]:
        """The earlier turns' results the tool calls used, each once, in order."""
        seen: dict[str, EarlierResult] = {}
        for s in self.steps:
            if isinstance(s, ToolCall):
                for u in s.uses:
                    seen.setdefault(u.id, u)
        return tuple(seen.values())

    @classmethod
    def from_steps(cls, steps: list[Step], attached: Iterable[Artifact] = ()) -> "AgentResult":
        answer = next((s for s in reversed(steps) if isinstance(s, Answer)), None)
        error = next((s for s in reversed(steps) if isinstance(s, Error)), None)
        artifacts = list(attached)
        for s in steps:
            if isinstance(s, ToolOutput):
                artifacts.extend(s.result.artifacts)
        text = answer.text if answer else (f"Error: {error.message}" if error else "")
        return cls(text, answer.citations if answer else (), tuple(steps), tuple(artifacts))

    def to_dict(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "ok": self.ok,
            "citations": [c.to_dict() for c in self.citations],
            "steps": [s.to_dict() for s in self.steps],
            "artifacts": [a.to_dict() for a in self.artifacts],
            "uses": [u.to_dict() for u in self.uses],
        }
