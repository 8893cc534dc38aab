"""The geofm agent: chat models, the loop, typed steps, prompts, public API, CLI.

Catalog: ``GeoAgent`` (ask/stream; chat/chat_stream/reset/save_state/load_state for a
conversation), ``AgentResult`` and the steps (``Retrieved``, ``ToolCall``, ``ToolOutput``,
``Answer``, ``Error``; ``EarlierResult`` in ``ToolCall.uses``), ``ModelConfig`` /
``AgentConfig``.
Chat models load on first use: importing this package pulls no torch or transformers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agent.config import AgentConfig, ModelConfig
from agent.steps import (
    AgentResult,
    Answer,
    EarlierResult,
    Error,
    Passage,
    Retrieved,
    ToolCall,
    ToolOutput,
)

if TYPE_CHECKING:
    from agent.loop import GeoAgent

__all__ = [
    "GeoAgent",
    "AgentResult",
    "Answer",
    "EarlierResult",
    "Error",
    "Passage",
    "Retrieved",
    "ToolCall",
    "ToolOutput",
    "AgentConfig",
    "ModelConfig",
]


def __getattr__(name: str) -> Any:
    # the loop imports langchain-core; keep `import agent` light for the CLI's --help
    if name == "GeoAgent":
        from agent.loop import GeoAgent

        return GeoAgent
    raise AttributeError(name)
