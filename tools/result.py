"""What a tool returns: a short summary for the model, artifacts that stay on disk."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Artifact", "ToolResult"]


@dataclass(frozen=True)
class Artifact:
    """One workspace item a tool produced.

    Attributes:
        id: workspace id, e.g. ``"ws-3"``; the model passes it to later tools.
        kind: ``"array"``, ``"figure"``, ``"segy"``, ``"stream"`` (MiniSEED/SAC
            waveforms), ``"file"`` or ``"text"``.
        path: absolute path of the file inside the workspace.
        description: a short human line ("denoised section 534x1501").
    """

    id: str
    kind: str
    path: str
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ToolResult:
    """The outcome of one tool call.

    Attributes:
        summary: short text the model sees; never contains arrays.
        artifacts: workspace items produced (arrays, PNG figures, SEG-Y).
        metrics: named numbers, e.g. ``{"snr_gain_db": 7.2}``.
        citations: references of the method or library used.
        ok: False when the tool reported an error as a value.
        details: more named numbers for the user's report (shapes, ranges, sample
            interval); the model is not shown them, so its routing prompts stay as short
            as the ones it was trained on.
    """

    summary: str
    artifacts: tuple[Artifact, ...] = ()
    metrics: dict[str, float] = field(default_factory=dict)
    citations: tuple[str, ...] = ()
    ok: bool = True
    details: dict[str, float] = field(default_factory=dict)

    @classmethod
    def error(cls, message: str) -> "ToolResult":
        """A failed call as a value the agent shows the model."""
        return cls(summary=f"Error: {message}", ok=False)

    def rounded_metrics(self) -> dict[str, Any]:
        """The metrics with floats to 4 significant digits, as the model and MCP see them."""
        return {
            k: float(f"{v:.4g}") if isinstance(v, float) else v for k, v in self.metrics.items()
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "artifacts": [a.to_dict() for a in self.artifacts],
            "metrics": dict(self.metrics),
            "citations": list(self.citations),
            "ok": self.ok,
            "details": dict(self.details),
        }
