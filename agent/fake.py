"""A scripted chat model: replies are queued in advance (tests, demos, benchmarks).

    model = ScriptedChatModel()
    model.enqueue_tool_call("bandpass", {"data": "ws-1", "low_hz": 5, "high_hz": 60})
    model.enqueue("The section was filtered [1].")

Each ``invoke`` pops the next reply and records the messages it was given in
``model.seen``, so a test can check exactly what the agent showed the model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

__all__ = ["ScriptedChatModel"]


class ScriptedChatModel(BaseChatModel):
    """Replies from a queue of ``AIMessage``; raises when the queue runs dry."""

    replies: list[AIMessage] = Field(default_factory=list)
    seen: list[list[BaseMessage]] = Field(default_factory=list)
    bound_tools: list[dict[str, Any]] = Field(default_factory=list)
    tool_choices: list[str | None] = Field(default_factory=list)  # of each bind_tools

    @property
    def _llm_type(self) -> str:
        return "geofm-scripted"

    def enqueue(self, text: str) -> "ScriptedChatModel":
        self.replies.append(AIMessage(content=text))
        return self

    def enqueue_tool_call(self, name: str, args: dict[str, Any]) -> "ScriptedChatModel":
        n = sum(len(r.tool_calls) for r in self.replies) + 1
        self.replies.append(
            AIMessage(
                content="",
                tool_calls=[{"name": name, "args": args, "id": f"call-{n}", "type": "tool_call"}],
            )
        )
        return self

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> "ScriptedChatModel":
        # the same object, so the queue and `seen` are shared with the caller's handle
        self.tool_choices.append(tool_choice)
        self.bound_tools = [
            t if isinstance(t, dict) else {"name": getattr(t, "name", str(t))} for t in tools
        ]
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.seen.append(list(messages))
        if not self.replies:
            raise RuntimeError("ScriptedChatModel has no reply left; enqueue() more")
        return ChatResult(generations=[ChatGeneration(message=self.replies.pop(0))])
