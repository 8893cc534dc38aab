"""Domain tools: typed functions the agent plans calls to.

Catalog: ``REGISTRY`` (every tool, explicitly listed below), ``Workspace`` (per-session
files by id), ``ToolResult`` / ``Artifact`` (what a tool returns), the error classes.
Tool modules import numpy/scipy/segyio only; matplotlib and torch load inside the tools
that need them.
"""

from __future__ import annotations

from tools.errors import BadInputError, GeoFMError, ModelError, NotBuiltError, ToolError
from tools.registry import Registry, Tool
from tools.result import Artifact, ToolResult
from tools.workspace import Workspace

__all__ = ["REGISTRY", "Registry", "Tool", "Workspace", "ToolResult", "Artifact",
           "GeoFMError", "BadInputError", "ToolError", "ModelError", "NotBuiltError"]

# Each tool module adds its tools here, with the citations of its method.
REGISTRY = Registry([])
