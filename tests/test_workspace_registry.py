"""Workspace ids and path safety; schemas derived from signatures; validated calls."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pytest

from common.errors import BadInputError
from tools import Registry, Tool, ToolResult, Workspace
from tools.registry import parse_docstring


def gain(
    workspace: Workspace,
    data: str,
    db: float = 6.0,
    kind: Literal["constant", "linear"] = "constant",
    title: str = "",
) -> ToolResult:
    """Apply a gain to an array.

    Args:
        data: workspace id of the section.
        db: gain in dB, applied to
            every sample.
        kind: constant or linearly increasing with time.
        title: a label for the output.
    """
    x = workspace.load_array(data) * 10 ** (db / 20)
    art = workspace.save_array(x, title or "gained")
    return ToolResult(f"gained {data} into {art.id}", (art,))


def test_array_roundtrip_and_ids(workspace):
    a = workspace.save_array(np.arange(6.0).reshape(2, 3), "x", {"dt_ms": 4.0})
    b = workspace.save_array(np.zeros(2))
    assert (a.id, b.id) == ("ws-1", "ws-2")
    np.testing.assert_array_equal(workspace.load_array("ws-1"), np.arange(6.0).reshape(2, 3))
    assert workspace.meta("ws-1")["metadata"]["dt_ms"] == 4.0
    assert Workspace(workspace.root).ids() == ["ws-1", "ws-2"]  # reopened from disk


def test_unknown_id_and_escape_refused(workspace, tmp_path):
    with pytest.raises(BadInputError, match="unknown workspace id"):
        workspace.load_array("ws-5")
    (tmp_path / "secret.txt").write_text("x")
    with pytest.raises(BadInputError, match="outside the workspace"):
        workspace.resolve("../secret.txt")
    with pytest.raises(BadInputError, match="outside the workspace"):
        workspace.resolve(str(tmp_path / "secret.txt"))


def test_add_file_copies_and_checks(workspace, tmp_path):
    f = tmp_path / "x.npy"
    np.save(f, np.ones(3))
    art = workspace.add_file(f)
    assert art.kind == "array" and workspace.path(art.id).read_bytes() == f.read_bytes()
    with pytest.raises(BadInputError, match="not a regular file"):
        workspace.add_file(tmp_path)
    with pytest.raises(BadInputError, match="unsupported"):
        workspace.add_file(__file__)


def test_too_large_file_refused(workspace, tmp_path, monkeypatch):
    import tools.workspace as w

    monkeypatch.setattr(w, "MAX_UPLOAD_BYTES", 10)
    f = tmp_path / "big.sgy"
    f.write_bytes(b"\0" * 100)
    with pytest.raises(BadInputError, match="limit"):
        workspace.add_file(f)
    assert workspace.ids() == []


def test_docstring_parsing():
    desc, args = parse_docstring(gain.__doc__)
    assert desc == "Apply a gain to an array."
    assert args["db"] == "gain in dB, applied to every sample."
    assert set(args) == {"data", "db", "kind", "title"}


def test_schema_derived_from_signature():
    tool = Tool.from_function(gain)
    s = tool.schema()
    assert s["name"] == "gain" and s["description"] == "Apply a gain to an array."
    props = s["parameters"]["properties"]
    assert props["kind"]["enum"] == ["constant", "linear"]
    assert props["db"]["type"] == "number" and props["db"]["default"] == 6.0
    assert "title" in props  # an argument named title survives the title stripping
    assert s["parameters"]["required"] == ["data"]


def test_undocumented_parameter_rejected():
    def bad(workspace: Workspace, x: int) -> ToolResult:
        """Does things."""

    with pytest.raises(TypeError, match="not in Args"):
        Tool.from_function(bad)


def test_registry_call_validates(workspace):
    reg = Registry([Tool.from_function(gain)])
    workspace.save_array(np.ones(4))
    ok = reg.call("gain", {"data": "ws-1", "db": 20}, workspace)
    assert ok.ok and np.allclose(workspace.load_array("ws-2"), 10.0)
    bad = reg.call("gain", {"data": "ws-1", "kind": "cubic"}, workspace)
    assert not bad.ok and "kind" in bad.summary
    extra = reg.call("gain", {"data": "ws-1", "gian": 3}, workspace)
    assert not extra.ok and "gian" in extra.summary
    assert not reg.call("gain", ["ws-1"], workspace).ok


def test_tool_crash_is_a_value(workspace):
    def boom(workspace: Workspace, n: int) -> ToolResult:
        """Fails.

        Args:
            n: anything.
        """
        raise ZeroDivisionError("oops")

    result = Registry([Tool.from_function(boom)]).call("boom", {"n": 1}, workspace)
    assert not result.ok and "ZeroDivisionError" in result.summary


def test_langchain_structured_tool(workspace):
    workspace.save_array(np.ones(2))
    lc = Tool.from_function(gain).as_langchain(workspace)
    assert lc.name == "gain"
    assert "gained ws-1" in lc.invoke({"data": "ws-1", "db": 0})
