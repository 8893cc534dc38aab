"""Tools as typed functions: JSON schema derived from the signature, explicit registry.

A tool is a plain function whose first parameter is ``workspace: Workspace`` (not shown
to the model) and whose other parameters are typed and documented in a Google-style
``Args:`` section, units included. ``Literal[...]`` becomes a JSON ``enum``. The schema
comes from a pydantic model built from the signature, which also validates calls.
"""

from __future__ import annotations

import inspect
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, get_type_hints

from pydantic import BaseModel, Field

from common.errors import BadInputError, GeoFMError
from tools.result import ToolResult
from tools.workspace import Workspace

if TYPE_CHECKING:  # loaded on first use at run time
    from langchain_core.tools import StructuredTool

__all__ = [
    "Tool",
    "Registry",
    "WorkspaceId",
    "ArrayId",
    "SegyId",
    "FileId",
    "StreamId",
    "WORKSPACE_ID_PATTERN",
    "ID_KINDS_KEY",
    "NEEDS_KEY",
    "parse_docstring",
    "strip_titles",
    "plain_schema",
    "NonNegative",
    "Positive",
]

log = logging.getLogger(__name__)

# A workspace id as a tool argument; the pattern reaches the JSON schema, so constrained
# decoding can only produce well-formed ids.
WORKSPACE_ID_PATTERN = r"^ws-[0-9]+$"
WorkspaceId = Annotated[str, Field(pattern=WORKSPACE_ID_PATTERN)]

# The kinds of workspace item an id argument takes (Workspace kinds: "array", "segy",
# "file", "stream", "figure"), as a schema extension keyword. The agent's grammar then
# offers an argument only the ids of those kinds (agent.constrained.Grounding), so a
# plot cannot be handed a figure or a filter an unread SEG-Y file.
ID_KINDS_KEY = "x-geofm-kinds"
ArrayId = Annotated[
    str, Field(pattern=WORKSPACE_ID_PATTERN, json_schema_extra={ID_KINDS_KEY: ["array"]})
]
SegyId = Annotated[
    str, Field(pattern=WORKSPACE_ID_PATTERN, json_schema_extra={ID_KINDS_KEY: ["segy"]})
]
FileId = Annotated[  # an attached text, LAS, CSV or netCDF file
    str, Field(pattern=WORKSPACE_ID_PATTERN, json_schema_extra={ID_KINDS_KEY: ["file"]})
]
StreamId = Annotated[  # an attached or processed MiniSEED/SAC waveform stream
    str, Field(pattern=WORKSPACE_ID_PATTERN, json_schema_extra={ID_KINDS_KEY: ["stream"]})
]
# Quantities that are never negative (a frequency, a depth, a largest shift) or never
# zero either (a window length, a sample interval, a spacing, a size). The bound reaches
# the JSON schema, so the agent's grammar never offers such an argument a negative number
# from a tool's report, and a call with one is refused before the tool runs.
NonNegative = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
# An argument that applies only to 3D SEG-Y files (an inline number, a time slice: "3d"),
# or only to a cube ("cube"): the grammar leaves it out when every SEG-Y file shown is a
# 2D line or unsorted, or when no array shown may be a cube.
NEEDS_KEY = "x-geofm-needs"


def plain_schema(schema: Any) -> Any:
    """``schema`` without geofm's extension keywords (:data:`ID_KINDS_KEY`,
    :data:`NEEDS_KEY`): what a grammar compiler or a reader of an error message takes."""
    if isinstance(schema, dict):
        return {k: plain_schema(v) for k, v in schema.items() if k not in (ID_KINDS_KEY, NEEDS_KEY)}
    if isinstance(schema, list):
        return [plain_schema(v) for v in schema]
    return schema


def parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """Split a Google-style docstring into (description, {arg: help})."""
    doc = inspect.cleandoc(doc or "")
    parts = re.split(r"^\s*(Args|Returns|Raises|Example|Examples|Note|Notes):\s*$", doc, flags=re.M)
    description = parts[0].strip()
    args: dict[str, str] = {}
    for head, body in zip(parts[1::2], parts[2::2]):
        if head != "Args":
            continue
        current = None
        for line in body.splitlines():
            m = re.match(r"^\s{0,8}(\w+)(?:\s*\([^)]*\))?:\s*(.*)$", line)
            if m and (current is None or len(line) - len(line.lstrip()) <= _indent(body)):
                current = m.group(1)
                args[current] = m.group(2).strip()
            elif current and line.strip():
                args[current] += " " + line.strip()
    return description, args


def _indent(body: str) -> int:
    lines = [ln for ln in body.splitlines() if ln.strip()]
    return min((len(ln) - len(ln.lstrip()) for ln in lines), default=0)


@dataclass(frozen=True)
class Tool:
    """A registered tool: the function, its derived schema and its citations."""

    name: str
    fn: Callable[..., ToolResult]
    description: str
    args_model: type[BaseModel]
    citations: tuple[str, ...] = field(default=())

    @classmethod
    def from_function(
        cls, fn: Callable[..., ToolResult], citations: tuple[str, ...] = ()
    ) -> "Tool":
        from pydantic import ConfigDict, create_model

        description, arg_help = parse_docstring(fn.__doc__ or "")
        if not description:
            raise TypeError(f"tool {fn.__name__} needs a docstring")
        hints = get_type_hints(fn, include_extras=True)
        params = list(inspect.signature(fn).parameters.values())
        if not params or params[0].name != "workspace":
            raise TypeError(f"tool {fn.__name__}: first parameter must be `workspace`")
        fields: dict[str, Any] = {}
        for p in params[1:]:
            if p.name not in hints:
                raise TypeError(f"tool {fn.__name__}: parameter {p.name} has no type")
            if p.name not in arg_help:
                raise TypeError(f"tool {fn.__name__}: parameter {p.name} is not in Args:")
            default = ... if p.default is inspect.Parameter.empty else p.default
            fields[p.name] = (hints[p.name], Field(default, description=arg_help[p.name]))
        # NaN and infinity are no valid value of any argument (JSON has neither)
        model = create_model(
            f"{fn.__name__}_args", __config__=ConfigDict(allow_inf_nan=False), **fields
        )
        return cls(fn.__name__, fn, description, model, tuple(citations))

    @property
    def parameters(self) -> dict[str, Any]:
        """JSON schema of the arguments (compact: no pydantic titles)."""
        return strip_titles(self.args_model.model_json_schema())

    def schema(self) -> dict[str, Any]:
        """OpenAI-style function schema: name, description, parameters."""
        return {"name": self.name, "description": self.description, "parameters": self.parameters}

    def validate(self, args: dict[str, Any]) -> dict[str, Any]:
        """Validated, defaulted arguments, or BadInputError naming each bad field."""
        from pydantic import ValidationError

        if not isinstance(args, dict):
            raise BadInputError(f"{self.name} takes a JSON object of arguments, got {args!r}")
        try:
            model = self.args_model.model_validate(args)
        except ValidationError as e:
            problems = "; ".join(
                f"{'.'.join(map(str, err['loc'])) or 'arguments'}: {err['msg']}"
                for err in e.errors()
            )
            raise BadInputError(
                f"bad arguments for {self.name}: {problems}. "
                f"Expected schema: {plain_schema(self.parameters)}"
            ) from None
        extra = set(args) - set(self.args_model.model_fields)
        if extra:
            raise BadInputError(
                f"{self.name} has no argument(s) {sorted(extra)}; "
                f"it takes {sorted(self.args_model.model_fields)}"
            )
        values = model.model_dump()
        for key, value in values.items():
            try:
                if isinstance(value, str):
                    value.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate, e.g. JSON "\ud800"
                raise BadInputError(
                    f"bad arguments for {self.name}: {key} is not valid Unicode text"
                ) from None
        return values

    def __call__(self, workspace: Workspace, /, **args: Any) -> ToolResult:
        # positional-only: an argument named "workspace" is refused by validate
        return self.fn(workspace, **self.validate(args))

    def as_langchain(self, workspace: Workspace) -> StructuredTool:
        """This tool as a LangChain ``StructuredTool`` bound to ``workspace``."""
        from langchain_core.tools import StructuredTool

        def run(**kwargs: Any) -> str:
            result = self.fn(workspace, **kwargs)
            return result.summary

        return StructuredTool.from_function(
            func=run, name=self.name, description=self.description, args_schema=self.args_model
        )


class Registry:
    """The explicit list of tools the agent may call."""

    def __init__(self, tools: list[Tool] | None = None):
        self._tools: dict[str, Tool] = {}
        for t in tools or []:
            self.add(t)

    def add(self, tool: Tool) -> None:
        if tool.name in self._tools:
            raise ValueError(f"tool {tool.name} registered twice")
        self._tools[tool.name] = tool

    def __contains__(self, name: str) -> bool:
        return name in self._tools

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def names(self) -> list[str]:
        return list(self._tools)

    def extended(self, extra: Iterable[Tool]) -> "Registry":
        """A shallow copy (same class and settings, e.g. a LimitedRegistry's limits and
        workers) that also holds the tools of ``extra`` it lacks."""
        import copy

        new = copy.copy(self)
        new._tools = dict(self._tools)
        for t in extra:
            if t.name not in new._tools:
                new.add(t)
        return new

    def get(self, name: str) -> Tool:
        if name not in self._tools:
            raise BadInputError(f"no tool named {name!r}; available: {', '.join(self._tools)}")
        return self._tools[name]

    def schemas(self) -> list[dict[str, Any]]:
        return [t.schema() for t in self]

    def call(self, name: str, args: dict[str, Any], workspace: Workspace) -> ToolResult:
        """Run a tool; every failure comes back as ``ToolResult.error``, never raised."""
        t0 = time.perf_counter()
        try:
            result = self.get(name)(workspace, **(args if isinstance(args, dict) else {"": args}))
        except GeoFMError as e:
            result = ToolResult.error(str(e))
        except Exception as e:  # a bug in a tool must not kill the session
            log.exception("tool %s crashed", name)
            result = ToolResult.error(
                f"{name} failed unexpectedly ({type(e).__name__}: {e}). "
                "Try other arguments or another tool."
            )
        log.info("tool %s took %.2fs ok=%s", name, time.perf_counter() - t0, result.ok)
        return result

    def as_langchain(self, workspace: Workspace) -> list[StructuredTool]:
        return [t.as_langchain(workspace) for t in self]


def strip_titles(schema: Any, in_properties: bool = False) -> Any:
    """A pydantic JSON schema without its generated "title" labels."""
    # "title" inside "properties" is an argument's name, not pydantic's label
    if isinstance(schema, dict):
        return {
            k: strip_titles(v, k == "properties" and not in_properties)
            for k, v in schema.items()
            if in_properties or k != "title"
        }
    if isinstance(schema, list):
        return [strip_titles(v) for v in schema]
    return schema
