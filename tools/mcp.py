"""The registered tools as plain typed functions, for an MCP server (Gradio's ``mcp_server``).

    sessions = McpSessions(root)
    fns = mcp_functions(REGISTRY, sessions.workspace)   # one function per tool
    token = sessions.new()
    fns[0](file="ws-1", session=token)   # -> "ws-1 (ws-1.sgy): 3D post-stack, ..."

Each function is named after its tool and has the tool's arguments (types, defaults, the
docstring's ``Args:`` with units) plus ``session``: the token of the session whose
workspace the call works in (``tools.mcp_sessions``), so that calls chain (``read_segy``
returns ws-2, ``fx_decon`` takes it). It returns text: the summary the agent's model would
see, the metrics, the artifacts. A failed call returns ``Error: ...`` (as the agent's
observations do) instead of raising. Nothing here imports gradio; ``tools.mcp_server``
registers the functions with ``gr.api``.
"""

from __future__ import annotations

import inspect
import json
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common.errors import BadInputError
from tools.registry import Registry, Tool
from tools.result import ToolResult
from tools.segy import check_segy
from tools.workspace import Workspace

__all__ = [
    "mcp_function",
    "mcp_functions",
    "describe_result",
    "describe_workspace",
    "attach_file",
    "session_name",
    "SESSION_HELP",
]

SESSION_HELP = (
    "the session token that geofm_new_session returned (required); calls with the "
    "same token share one workspace and its ids such as ws-1."
)
_SESSION = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def session_name(name: str | None) -> str:
    """A checked workspace name: it becomes a directory name, so no paths."""
    name = (name or "default").strip()
    if not _SESSION.match(name):
        raise BadInputError(f"bad session name {name!r}: use 1-64 letters, digits, - or _")
    return name


def describe_result(result: ToolResult) -> str:
    """A tool result as text: summary, metrics (4 significant digits), artifacts (id, kind,
    description; no server paths), citations."""
    parts = [result.summary]
    if result.metrics:
        parts.append("metrics: " + json.dumps(result.rounded_metrics(), default=str))
    for a in result.artifacts:
        parts.append(f"artifact {a.id} ({a.kind}): {a.description}")
    if result.citations:
        parts.append("cite: " + "; ".join(result.citations))
    return "\n".join(parts)


def describe_workspace(ws: Workspace) -> str:
    """One line per item: id, kind, description."""
    lines = [
        f"{i} ({m['kind']}): {m.get('description', '')}"
        for i, m in ((i, ws.meta(i)) for i in ws.ids())
    ]
    return "\n".join(lines) or "the workspace is empty; attach a file or make a synthetic"


def attach_file(ws: Workspace, path: str, file_name: str = "") -> str:
    """Copy an uploaded file into ``ws`` (checked first: type, size, readable SEG-Y).

    ``file_name`` names the file when the upload lost its name (a ``data:`` URL arrives
    as ``file.bin``); only its last component and suffix are used.
    """
    src = Path(path)
    name = Path(file_name).name if file_name else src.name
    with tempfile.TemporaryDirectory(prefix="geofm-upload-") as tmp:
        if name != src.name:
            src = Path(shutil.copyfile(src, Path(tmp) / name))
        kind = Workspace.check_file(src)
        description = name
        if kind == "segy":
            info = check_segy(src)
            brief = ", ".join(
                f"{k}={info[k]}"
                for k in ("geometry", "n_traces", "n_samples", "dt_ms")
                if k in info
            )
            description = f"{name} (SEG-Y: {brief})"
        a = ws.add_file(src, description=description)
    return f"attached {a.id} ({a.kind}): {a.description}"


def mcp_function(
    tool: Tool, workspace_for: Callable[[str], Workspace], registry: Registry | None = None
) -> Callable[..., str]:
    """``tool`` as a function of its own arguments plus ``session`` (see the module doc);
    it runs through ``registry.call``, which turns every failure into ``Error: ...``.
    ``workspace_for`` maps a session token to its workspace, or raises BadInputError."""
    registry = registry if registry is not None else Registry([tool])
    fields = tool.args_model.model_fields
    params, annotations, helps = [], {}, []
    for name, f in fields.items():
        default = inspect.Parameter.empty if f.is_required() else f.default
        params.append(
            inspect.Parameter(
                name,
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                default=default,
                annotation=f.annotation,
            )
        )
        annotations[name] = f.annotation
        helps.append(f"    {name}: {_one_line(f.description or '')}")
    params.append(
        inspect.Parameter(
            "session", inspect.Parameter.POSITIONAL_OR_KEYWORD, default="", annotation=str
        )
    )
    annotations["session"] = str
    annotations["return"] = str
    helps.append(f"    session: {SESSION_HELP}")

    signature = inspect.Signature(params, return_annotation=str)

    def call(*args: Any, **kwargs: Any) -> str:
        # Gradio passes arguments by position, in signature order
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as e:  # a missing required argument, an unknown one
            return (
                f"Error: bad arguments for {tool.name}: {e}; it takes {sorted(fields)} and session"
            )
        bound.apply_defaults()
        kwargs = dict(bound.arguments)
        try:
            ws = workspace_for(kwargs.pop("session"))
        except BadInputError as e:
            return f"Error: {e}"
        # a client may send null for an optional argument it leaves out: the default applies
        tool_args = {
            k: v for k, v in kwargs.items() if not (v is None and not fields[k].is_required())
        }
        return describe_result(registry.call(tool.name, tool_args, ws))

    call.__name__ = call.__qualname__ = tool.name
    # inspect.signature reads __signature__, which typeshed does not declare on functions
    call.__signature__ = signature  # type: ignore[attr-defined]
    call.__annotations__ = annotations
    cites = f"\n\nMethod: {'; '.join(tool.citations)}" if tool.citations else ""
    call.__doc__ = (
        f"{_one_line(tool.description)}{cites}\n\nArgs:\n"
        + "\n".join(helps)
        + "\n\nReturns:\n    the result summary, metrics and workspace ids of "
        "new artifacts (arrays, PNG figures, SEG-Y; fetch them with "
        "geofm_get_file), or 'Error: ...'"
    )
    return call


def mcp_functions(
    registry: Registry, workspace_for: Callable[[str], Workspace]
) -> list[Callable[..., str]]:
    """One :func:`mcp_function` per registered tool, in registry order."""
    return [mcp_function(t, workspace_for, registry) for t in registry]


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
