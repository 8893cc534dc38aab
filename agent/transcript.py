"""The chat messages of one answer, in Gradio's "messages" format, built as the agent's
steps arrive: retrieval as a collapsible list of sources, each tool call as a collapsible
step (arguments, duration, status, result, download links), figures inline, the answer
with its references. Plain dicts: the chat app (``app.py``) hands them to Gradio.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from agent.steps import Answer, EarlierResult, Error, Retrieved, Step, ToolCall, ToolOutput

__all__ = ["Transcript", "file_link", "shown_seconds"]


def file_link(path: str) -> str:
    """A Markdown link that downloads a workspace file (served through Gradio's file route;
    the chat workspaces are in ``allowed_paths``)."""
    return f"[{Path(path).name}](/gradio_api/file={quote(str(path))})"


class Transcript:
    """The chat messages ("messages" format) of one answer, updated as steps arrive.

    A tool call opens a pending step; its output completes that same step (status, title,
    duration, result, download links) and adds its figures inline after it.
    """

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self._calls: dict[str, dict[str, Any]] = {}

    def note(self, text: str) -> None:
        self.messages.append({"role": "assistant", "content": text})

    def pending(self, title: str) -> dict[str, Any]:
        m: dict[str, Any] = {
            "role": "assistant",
            "content": "",
            "metadata": {"title": title, "status": "pending"},
        }
        self.messages.append(m)
        return m

    def add(self, step: Step) -> list[dict[str, Any]]:
        if isinstance(step, Retrieved):
            body = (
                "\n".join(
                    f"[{p.n}] {p.citation}" + (f", p. {p.page}" if p.page else "")
                    for p in step.passages
                )
                or "nothing found"
            )
            self.messages.append(
                {
                    "role": "assistant",
                    "content": body,
                    "metadata": {
                        "title": f"📚 Sources ({len(step.passages)})",
                        "status": "done",
                        "duration": shown_seconds(step.seconds),
                    },
                }
            )
        elif isinstance(step, ToolCall):
            m = self.pending(f"🛠 {step.name}{_uses_title(step.uses)}")
            m["content"] = _args_block(step.args) + _uses_block(step.uses)
            self._calls[step.call_id or step.name] = m
        elif isinstance(step, ToolOutput):
            self._tool_output(step)
        elif isinstance(step, Answer):
            text = step.text or "(the model gave an empty answer)"
            if step.citations:
                text += "\n\n**References**\n\n" + "\n".join(
                    f"[{c.n}] {c.citation}" for c in step.citations
                )
            self.note(text)
        elif isinstance(step, Error):
            self.note(f"⚠️ {step.message}")
        return self.messages

    def _tool_output(self, step: ToolOutput) -> None:
        r = step.result
        m = self._calls.pop(step.call_id or step.name, None)
        if m is None:
            m = self.pending(f"🛠 {step.name}")
            m["content"] = ""
        lines = [m["content"], "**result**" if r.ok else "**failed**", r.summary]
        if r.metrics:
            lines.append("metrics: " + ", ".join(f"{k} = {_num(v)}" for k, v in r.metrics.items()))
        if r.artifacts:
            lines.append("files: " + ", ".join(f"{a.id} {file_link(a.path)}" for a in r.artifacts))
        m["content"] = "\n\n".join(x for x in lines if x)
        uses = m["metadata"]["title"].partition(" ← ")[2]
        m["metadata"].update(
            title=f"🛠 {step.name} {'✅' if r.ok else '⚠️ failed'}" + (f" ← {uses}" if uses else ""),
            status="done",
            duration=shown_seconds(step.seconds),
        )
        for a in r.artifacts:
            if a.kind == "figure":
                self.messages.append({"role": "assistant", "content": {"path": a.path}})


def _uses_title(uses: tuple[EarlierResult, ...]) -> str:
    return " ← " + ", ".join(f"{u.id} (turn {u.turn})" for u in uses) if uses else ""


def _uses_block(uses: tuple[EarlierResult, ...]) -> str:
    lines = [f"- {u.id} from turn {u.turn}: {u.description}" for u in uses]
    return "\n\n**uses earlier results**\n" + "\n".join(lines) if uses else ""


def _args_block(args: dict[str, Any]) -> str:
    return f"**arguments**\n```json\n{json.dumps(args, indent=1, default=str)}\n```"


def shown_seconds(seconds: float) -> float:
    # Gradio hides a zero duration; show at least a millisecond
    return max(round(seconds, 3), 0.001)


def _num(v: object) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)
