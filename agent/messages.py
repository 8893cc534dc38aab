"""The conversation the model reads: the system prompt, the retrieved passages (tagged),
the request with its files (after the record of earlier turns, in a multi-turn chat),
and what it sees of each tool result.

The agent loop, the chat models, fine-tuning data and benchmarks all build their
messages here, so training and use show the model the same text.
"""

from __future__ import annotations

import json

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage, ToolMessage

from agent import prompts
from agent.steps import Passage
from tools.result import Artifact, ToolResult

__all__ = [
    "describe_segy",
    "files_only_reply",
    "PASSAGES_TAG",
    "KINDS_TAG",
    "first_messages",
    "passages_prompt",
    "user_prompt",
    "observation",
    "tool_message",
]

# Marks the message that carries retrieved passages: answering turns read it, routing
# turns of the local model leave it out (the decision needs the request, not the text).
PASSAGES_TAG = "geofm_passages"
# Carries the workspace's item kinds ({id: kind}, ``Workspace.kinds``) on a request or a
# tool result; not shown to the model, read by the grammar's grounding.
KINDS_TAG = "geofm_kinds"


def first_messages(
    question: str, passages: tuple[Passage, ...], files: list[Artifact], history: str = ""
) -> list[BaseMessage]:
    """The turn's start: system prompt, the passages (tagged), then the request, after
    ``history`` (the record of earlier turns, ``Conversation.history``) when given."""
    messages: list[BaseMessage] = [SystemMessage(prompts.load("system").strip())]
    if passages:
        messages.append(
            HumanMessage(passages_prompt(passages), additional_kwargs={PASSAGES_TAG: True})
        )
    earlier = prompts.render("history", turns=history) if history else ""
    messages.append(HumanMessage(earlier + user_prompt(question, (), files)))
    return messages


def passages_prompt(passages: tuple[Passage, ...]) -> str:
    return prompts.render(
        "passages", passages="\n".join(f"[{p.n}] {p.title}: {p.text}" for p in passages)
    ).strip()


def user_prompt(question: str, passages: tuple[Passage, ...], files: list[Artifact]) -> str:
    file_block = (
        prompts.render("files", files="\n".join(f"{a.id}: {a.description}" for a in files))
        if files
        else ""
    )
    passage_block = passages_prompt(passages) + "\n" if passages else ""
    return prompts.render(
        "question", question=question.strip(), files=file_block, passages=passage_block
    ).strip()


def observation(result: ToolResult) -> str:
    """What the model sees of a tool result: summary, metrics (4 significant digits),
    artifact ids; no arrays."""
    parts = [result.summary]
    if result.metrics:
        parts.append("metrics: " + json.dumps(result.rounded_metrics(), separators=(",", ":")))
    if result.artifacts:
        parts.append("artifacts: " + ", ".join(f"{a.id} ({a.kind})" for a in result.artifacts))
    return "\n".join(parts)


def tool_message(
    result: ToolResult, call_id: str, name: str, kinds: dict[str, str] | None = None
) -> ToolMessage:
    """A tool result as the model reads it (:func:`observation`), carrying the kinds of
    the items it made for the grounding (the request carries the workspace's others):
    as ``kinds`` (``Workspace.kinds``: a cube's "array:3d") gives them, else as made."""
    kinds = kinds or {}
    return ToolMessage(
        content=observation(result),
        tool_call_id=call_id,
        name=name,
        additional_kwargs={KINDS_TAG: {a.id: kinds.get(a.id, a.kind) for a in result.artifacts}},
    )


def files_only_reply(attached: list[Artifact]) -> str:
    """The reply to a message that is only files: what they are, what to ask."""
    listed = "; ".join(f"{a.description or a.id} ({a.id})" for a in attached)
    return (
        f'Received {listed}. What should I do with it? For example: "plot it", '
        '"remove the random noise and show before and after", "show its amplitude '
        'spectrum", or ask a question about the method you want to use.'
    )


def describe_segy(path: str, info: dict) -> str:
    """How an attached SEG-Y file is listed to the model: its name and geometry."""
    keys = ("geometry", "n_traces", "n_samples", "dt_ms", "sample_format")
    brief = ", ".join(f"{k}={info[k]}" for k in keys if k in info)
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return f"{name} (SEG-Y: {brief})" if brief else name
