"""Reads a tool call left out: the file it names is read first and its array used.

A small model often plans a processing call straight on an attached file ("estimate a
wavelet from the inline" -> ``estimate_wavelet(data=<the .ascii file>)``) or hands an
inversion the seismic section as its well log, having skipped ``read_well_log``. The
tool would refuse either call. Two rules, checked on every call before it runs, put
the missing read in front of it and give the call the read's array instead:

1. **A section argument naming a file.** A ``data`` argument that takes an array
   (``tools.registry.ArrayId``) but names an attached SEG-Y file or ASCII section: that
   file is read (``read_segy``, ``read_ascii_section``). When it names another attached
   file (a LAS log, a checkshot) and exactly one SEG-Y or ASCII section is attached,
   that section is read instead: ``data`` is the seismic.
2. **A well log that is not a log.** A ``well_log`` argument naming a 2D section while
   one LAS file and one checkshot (a text table of two columns) are attached: the log is
   read and converted to time with the checkshot (``read_well_log``, the default
   impedance curve, at the section's sample interval) and its time log used.

Two ids given the wrong way round are put back (:func:`put_back`): an inversion handed
the wavelet as its section and the section as its wavelet, a log read with the
checkshot as the LAS file and the LAS file as the checkshot.

A reader handed an array already read ("read ws-2" where ws-2 is
the section read before) has nothing to read (:func:`reads_an_array`): the agent runs it
quietly, so its refusal goes to the model and not into the turn's record.

Nothing is read when the call already takes an array of the right kind, so a call made
as planned runs unchanged::

    for read in missing_reads(workspace, registry, "estimate_wavelet", {"data": "ws-2"}):
        read.tool, read.args, read.argument    # "read_ascii_section", {"file": "ws-1"}, "data"
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.named_settings import named_line
from tools.registry import ID_KINDS_KEY, Registry
from tools.workspace import Workspace

__all__ = [
    "has_segy_source",
    "Read",
    "missing_reads",
    "reads_an_array",
    "put_back",
    "SECTION_SUFFIXES",
    "TABLE_SUFFIXES",
]

SECTION_SUFFIXES = (".sgy", ".segy", ".ascii", ".txt")  # files holding a seismic section
TABLE_SUFFIXES = (".txt",)  # text files that may be a two-column checkshot instead
_DATA, _LOG = "data", "well_log"
_SNIFF_LINES = 5  # header lines (not "#" comments) read past to count a text file's columns
_SNIFF_MAX = 1000  # lines read at most


@dataclass(frozen=True)
class Read:
    """A read to run before a call.

    Attributes:
        tool: the reader, e.g. "read_segy".
        args: its arguments.
        argument: the call's argument its output replaces.
        output: which array it made replaces it: "first" (the section) or "last" (a
            log's time version).
    """

    tool: str
    args: dict[str, Any]
    argument: str
    output: str = "first"


def reads_an_array(workspace: Workspace, args: dict[str, Any]) -> bool:
    """Whether a call reads a ``file`` that is an array of the workspace already ("read
    ws-2" when ws-2 is the section read before): nothing to read, the array is there."""
    item = args.get("file")
    return isinstance(item, str) and workspace.kinds().get(item, "").split(":")[0] == "array"


def has_segy_source(workspace: Workspace, item: Any) -> bool:
    """Whether workspace array ``item`` came from a SEG-Y file whose headers a write-back
    can copy (its ``segy_source``)."""
    if not isinstance(item, str) or item not in workspace:
        return False
    return bool(workspace.meta(item).get("metadata", {}).get("segy_source"))


def _wavelet_and_section(workspace: Workspace, first: str, second: str) -> bool:
    return _shape_ndim(workspace, first) == 1 and _shape_ndim(workspace, second) == 2


def _table_and_las(workspace: Workspace, first: str, second: str) -> bool:
    return _suffix(workspace, second) == ".las" and _suffix(workspace, first) != ".las"


# two ids a call can take the wrong way round, and how to tell
_PAIRS = {
    "invert_impedance": ("data", "wavelet", _wavelet_and_section),
    "read_well_log": ("file", "checkshot", _table_and_las),
}


def put_back(workspace: Workspace, name: str, args: dict[str, Any]) -> dict[str, Any]:
    """``args`` with two workspace ids swapped back when the call gives them the wrong
    way round: an inversion's 1-D wavelet as its ``data`` and the 2-D section as its
    ``wavelet``; a well log read with the checkshot table as the ``file`` and the LAS
    file as the ``checkshot``, or with the table alone while the workspace holds one LAS
    file."""
    if name not in _PAIRS:
        return args
    one, other, mixed_up = _PAIRS[name]
    a, b = args.get(one), args.get(other)
    if (
        name == "read_well_log"
        and b is None
        and isinstance(a, str)
        and a in workspace
        and _is_checkshot(workspace, a)
    ):
        las = _las_files(workspace)
        return {**args, one: las[0], other: a} if len(las) == 1 else args  # the table alone
    if not (isinstance(a, str) and isinstance(b, str) and a in workspace and b in workspace):
        return args
    return {**args, one: b, other: a} if mixed_up(workspace, a, b) else args


def missing_reads(
    workspace: Workspace, registry: Registry, name: str, args: dict[str, Any], text: str = ""
) -> list[Read]:
    """The reads to run before ``name(args)`` (the module's two rules), in order; empty
    when the call takes what it should. A 3D SEG-Y is read at the one line the request
    (``text``) names ("faults on inline 125"), else whole."""
    if name not in registry.names():
        return []
    props = registry.get(name).parameters.get("properties", {})
    if not (_DATA in props and _DATA in args) and not (_LOG in props and _LOG in args):
        return []  # neither rule's argument: nothing to look up in the workspace
    kinds = workspace.kinds()
    reads = []
    data = args.get(_DATA)
    if (
        isinstance(data, str)
        and _DATA in props
        and _takes_array(props[_DATA])
        and _is_file(kinds, data)
    ):
        section = data if _section_file(workspace, data) else _only_section(workspace, kinds)
        if section is not None:
            reader = _section_reader(workspace, section)
            line = (
                named_line(reader, text, registry.get(reader).parameters)
                if kinds[section] == "segy:3d" and reader in registry.names()
                else {}
            )
            reads.append(Read(reader, {"file": section, **line}, _DATA))
    log = args.get(_LOG)
    if _LOG in props and isinstance(log, str) and kinds.get(log) == "array":
        if _shape_ndim(workspace, log) == 2:
            las = _las_files(workspace)
            tables = [i for i in kinds if kinds[i] == "file" and _is_checkshot(workspace, i)]
            if len(las) == 1 and len(tables) == 1:
                read: dict[str, Any] = {"file": las[0], "checkshot": tables[0]}
                dt = _dt_ms(workspace, data if isinstance(data, str) else None)
                if dt is not None:
                    read["dt_ms"] = dt
                reads.append(Read("read_well_log", read, _LOG, "last"))
    return reads


def _takes_array(prop: dict[str, Any]) -> bool:
    """Whether an argument schema takes a workspace array id."""
    branches = prop.get("anyOf", [prop])
    return any(b.get(ID_KINDS_KEY) == ["array"] for b in branches)


def _is_file(kinds: dict[str, str], item: Any) -> bool:
    return isinstance(item, str) and kinds.get(item, "").split(":")[0] in ("segy", "file")


def _las_files(workspace: Workspace) -> list[str]:
    """The workspace's LAS files (attached files: a tool writes none)."""
    return [i for i in workspace.ids() if _suffix(workspace, i) == ".las"]


def _suffix(workspace: Workspace, item: str) -> str:
    try:
        return workspace.path(item).suffix.lower()
    except (OSError, ValueError):
        return ""


def _columns(path: Path) -> int:
    """Numeric columns of the first data line of a text file (0 when there is none):
    blank and "#" comment lines are skipped, as the readers skip them, and up to
    ``_SNIFF_LINES`` header lines."""
    headers = 0
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for _, line in zip(range(_SNIFF_MAX), f):
                parts = line.replace(",", " ").split()
                if not parts or parts[0].startswith("#"):
                    continue
                try:
                    [float(p) for p in parts]
                except ValueError:
                    headers += 1  # a header line
                    if headers == _SNIFF_LINES:
                        break
                    continue
                return len(parts)
    except OSError:
        pass
    return 0


def _is_checkshot(workspace: Workspace, item: str) -> bool:
    suffix = _suffix(workspace, item)
    return suffix in TABLE_SUFFIXES and _columns(workspace.path(item)) == 2


def _section_file(workspace: Workspace, item: str) -> bool:
    suffix = _suffix(workspace, item)
    return suffix in SECTION_SUFFIXES and not _is_checkshot(workspace, item)


def _section_reader(workspace: Workspace, item: str) -> str:
    return "read_segy" if _suffix(workspace, item) in (".sgy", ".segy") else "read_ascii_section"


def _only_section(workspace: Workspace, kinds: dict[str, str]) -> str | None:
    files = [i for i in kinds if _is_file(kinds, i) and _section_file(workspace, i)]
    return files[0] if len(files) == 1 else None


def _meta(workspace: Workspace, item: str) -> dict[str, Any]:
    try:
        return workspace.meta(item).get("metadata", {})
    except (OSError, ValueError):
        return {}


def _shape_ndim(workspace: Workspace, item: str) -> int:
    meta = _meta(workspace, item)
    shape = meta.get("shape")
    if isinstance(shape, list):
        return len(shape)
    axes = meta.get("axes")
    return len(axes) if isinstance(axes, list) else 0


def _dt_ms(workspace: Workspace, item: str | None) -> float | None:
    if item is None or item not in workspace:
        return None
    dt = _meta(workspace, item).get("dt_ms")
    return float(dt) if isinstance(dt, (int, float)) and dt > 0 else None
