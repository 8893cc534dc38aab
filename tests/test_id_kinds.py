"""Workspace-id arguments by kind: each tool declares what its ids take, the grammar's
grounding offers only those, and arguments a 2D SEG-Y file cannot take are left out."""

from __future__ import annotations

import numpy as np
import pytest

import tools
from agent.constrained import ANSWER, Grounding, call_schema
from agent.loop import GeoAgent
from agent.messages import KINDS_TAG
from common.errors import BadInputError
from tools import Tool
from tools.plotting import plot_section
from tools.registry import ID_KINDS_KEY, NEEDS_KEY, WORKSPACE_ID_PATTERN
from tools.segy import read_segy

KINDS = ("array", "segy", "figure", "file", "stream")


def _id_branches(prop: dict) -> list[dict]:
    return [b for b in prop.get("anyOf", [prop]) if b.get("pattern") == WORKSPACE_ID_PATTERN]


def _id_arguments():
    for tool in tools.ALL:
        for name, prop in tool.parameters.get("properties", {}).items():
            for branch in _id_branches(prop):
                yield tool, name, branch


def test_every_id_argument_declares_the_kinds_it_takes():
    seen = list(_id_arguments())
    assert len(seen) >= 40
    for tool, name, branch in seen:
        kinds = branch.get(ID_KINDS_KEY)
        assert kinds and set(kinds) <= set(KINDS), f"{tool.name}.{name}: {kinds}"


def test_a_validation_error_shows_the_schema_without_geofm_keywords():
    with pytest.raises(BadInputError) as e:
        tools.ALL.get("read_segy").validate({"file": "ws-1", "inline": "four"})
    message = str(e.value)
    assert "inline" in message and "Expected schema:" in message
    assert ID_KINDS_KEY not in message and NEEDS_KEY not in message
    assert WORKSPACE_ID_PATTERN in message  # the id's pattern is still there


def _filler(prop: dict):
    """A plain value for a required non-id argument."""
    for b in prop.get("anyOf", [prop]):
        if "enum" in b:
            return b["enum"][0]
        if b.get("type") in ("number", "integer"):
            return b.get("minimum", b.get("exclusiveMinimum", 0) + 1)
        if b.get("type") == "string":
            return "x"
    return None


def test_tools_refuse_items_of_kinds_they_do_not_declare(shared_data, workspace, tmp_path):
    """The declarations never leave out a kind a tool would take: handed an item of any
    other kind, every tool refuses with a clear error (none takes it, none crashes)."""
    obspy = pytest.importorskip("obspy")
    png = tmp_path / "f.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    obspy.read().write(str(tmp_path / "s.mseed"), format="MSEED")  # ObsPy's example
    section = np.random.default_rng(0).normal(size=(40, 200)).astype("float32")
    items = {
        "array": workspace.save_array(section, "a section", {"dt_ms": 4.0}).id,
        "segy": workspace.add_file(shared_data / "segy" / "npra_31_81.sgy").id,
        "figure": workspace.add_file(png).id,
        "file": workspace.add_file(shared_data / "f3_inline362" / "F02-1_logs.las").id,
        "stream": workspace.add_file(tmp_path / "s.mseed").id,
    }
    assert workspace.kinds() == {v: k for k, v in items.items()}
    checked = 0
    for tool, name, branch in _id_arguments():
        params = tool.parameters
        props = params["properties"]
        for kind in set(KINDS) - set(branch[ID_KINDS_KEY]):
            args = {}
            for r in params.get("required", []):
                if _id_branches(props[r]):
                    args[r] = items[_id_branches(props[r])[0][ID_KINDS_KEY][0]]
                else:
                    args[r] = _filler(props[r])
            args[name] = items[kind]
            result = tools.ALL.call(tool.name, args, workspace)
            assert not result.ok, f"{tool.name} took {name}={kind}: {result.summary}"
            assert "unexpectedly" not in result.summary, result.summary
            checked += 1
    assert checked >= 3 * 40


def test_grounding_offers_each_id_argument_only_its_kinds():
    kinds = {"ws-1": "segy:2d", "ws-2": "array", "ws-3": "figure"}
    g = Grounding.from_texts(["ws-1: line.sgy", "plot ws-2, see ws-3"], kinds)
    schemas = [Tool.from_function(plot_section).schema(), Tool.from_function(read_segy).schema()]
    offered = {o["properties"]["name"]["const"]: o for o in call_schema(schemas, g)["anyOf"]}
    plot = offered["plot_section"]["properties"]["arguments"]["properties"]
    assert plot["data"] == {"type": "string", "enum": ["ws-2"]}
    read = offered["read_segy"]["properties"]["arguments"]["properties"]
    assert read["file"] == {"type": "string", "enum": ["ws-1"]}
    # a 2D line: no inline, crossline or time slice to ask for
    assert set(read) == {"file"}
    assert ID_KINDS_KEY not in str(offered) and NEEDS_KEY not in str(offered)

    # a 3D cube keeps them; ids of unknown kind (no kinds given) fit any id argument
    g3 = Grounding.from_texts(["ws-1: cube.sgy, inline 362"], {"ws-1": "segy:3d"})
    read3 = call_schema([schemas[1]], g3)["anyOf"][0]["properties"]["arguments"]["properties"]
    assert read3["inline"] == {"anyOf": [{"enum": [362]}, {"type": "null"}]}
    plain = Grounding.from_texts(["plot ws-2, see ws-3"])
    plot = call_schema([schemas[0]], plain)["anyOf"][0]["properties"]["arguments"]["properties"]
    assert plot["data"]["enum"] == ["ws-2", "ws-3"]

    # only a figure shown: the tools stay offered with it, and refuse it with a message
    # that says what to do (a model recovers from that better than from no tool at all)
    g_fig = Grounding.from_texts(["replot ws-3"], {"ws-3": "figure"})
    offered = {o["properties"]["name"]["const"]: o for o in call_schema(schemas, g_fig)["anyOf"]}
    assert set(offered) == {"plot_section", "read_segy", ANSWER}
    plot = offered["plot_section"]["properties"]["arguments"]["properties"]
    assert plot["data"]["enum"] == ["ws-3"]


def test_the_agent_shows_the_grounding_each_items_kind(shared_data, scripted_model, tmp_path):
    """Attached SEG-Y files record their geometry; the request and every tool result carry
    the workspace's kinds, which the grounding reads."""
    agent = GeoAgent(scripted_model, registry=tools.REGISTRY, index=None)
    scripted_model.enqueue_tool_call("read_segy", {"file": "ws-2"}).enqueue("done")
    agent.ask(
        "read the line",
        files=[
            str(shared_data / "segy" / "f3_crop.sgy"),
            str(shared_data / "segy" / "npra_31_81.sgy"),
        ],
    )
    first, second = scripted_model.seen
    assert first[-1].additional_kwargs[KINDS_TAG] == {"ws-1": "segy:3d", "ws-2": "segy:2d"}
    assert second[-1].type == "tool"
    assert second[-1].additional_kwargs[KINDS_TAG]["ws-3"] == "array"
    g = Grounding.from_messages(second)
    assert dict(g.kinds) == {"ws-1": "segy:3d", "ws-2": "segy:2d", "ws-3": "array"}
    assert g.maybe_3d()
    assert not Grounding.from_texts(["ws-2"], {"ws-2": "segy:2d"}).maybe_3d()


def test_a_cube_s_inline_is_offered_only_when_a_cube_may_be_shown(workspace):
    schema = Tool.from_function(plot_section).schema()

    def plot_args(kinds):
        g = Grounding.from_texts(["plot ws-2 at inline index 3"], kinds)
        return call_schema([schema], g)["anyOf"][0]["properties"]["arguments"]["properties"]

    assert "inline_index" not in plot_args({"ws-2": "array"})  # a section: no inline
    assert plot_args({"ws-2": "array:3d"})["inline_index"] == {"enum": [3]}
    assert "inline_index" in plot_args({})  # kind unknown: it may be a cube
    # the workspace tells a cube from a section
    cube = workspace.save_array(np.zeros((3, 4, 8), np.float32), "a cube").id
    section = workspace.save_array(np.zeros((4, 8), np.float32), "a section").id
    assert workspace.kinds() == {cube: "array:3d", section: "array"}
