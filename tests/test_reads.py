"""agent.reads: a call naming a file where it takes an array gets the file read first."""

from __future__ import annotations

import numpy as np
import pytest

from agent.config import AgentConfig
from agent.loop import GeoAgent
from agent.reads import missing_reads, put_back
from tools import ALL
from tools.workspace import Workspace

INV = ("f3_inline362/export_inline362.ascii", "f3_inline362/F02-1_logs.las")
CHECKSHOT = "f3_inline362/F02-1_checkshot_TD.txt"


@pytest.fixture
def inv_workspace(shared_data, tmp_path):
    ws = Workspace(tmp_path / "ws")
    for name in (*INV, CHECKSHOT):  # ws-1 section, ws-2 LAS, ws-3 checkshot
        ws.add_file(shared_data / name)
    return ws


def _agent(model, workspace):
    return GeoAgent(model, index=None, config=AgentConfig(retrieval=False), workspace=workspace)


def _calls(result):
    return [(s.name, s.args) for s in result.steps if type(s).__name__ == "ToolCall"]


def test_a_section_file_given_as_data_is_read_first(inv_workspace):
    reads = missing_reads(inv_workspace, ALL, "estimate_wavelet", {"data": "ws-1"})
    assert [(r.tool, r.args, r.argument) for r in reads] == [
        ("read_ascii_section", {"file": "ws-1"}, "data")
    ]


def test_a_log_given_as_data_reads_the_one_section_instead(inv_workspace):
    for other in ("ws-2", "ws-3"):  # the LAS file, the checkshot
        reads = missing_reads(inv_workspace, ALL, "estimate_wavelet", {"data": other})
        assert [(r.tool, r.args) for r in reads] == [("read_ascii_section", {"file": "ws-1"})]


def test_calls_that_take_what_they_should_read_nothing(inv_workspace):
    inv_workspace.save_array(np.ones((3, 8), np.float32), "a section", {"dt_ms": 4.0})  # ws-4
    assert missing_reads(inv_workspace, ALL, "estimate_wavelet", {"data": "ws-4"}) == []
    assert missing_reads(inv_workspace, ALL, "read_ascii_section", {"file": "ws-1"}) == []
    assert missing_reads(inv_workspace, ALL, "no_such_tool", {"data": "ws-1"}) == []
    log = inv_workspace.save_array(np.ones(8, np.float32), "AI log in time", {"dt_ms": 4.0})
    call = {"data": "ws-4", "well_log": log.id}
    assert missing_reads(inv_workspace, ALL, "invert_impedance", call) == []


def test_a_section_given_as_well_log_reads_the_log_with_the_checkshot(inv_workspace):
    inv_workspace.save_array(np.ones((3, 8), np.float32), "a section", {"dt_ms": 2.0})  # ws-4
    call = {"data": "ws-4", "well_log": "ws-4", "well_position": 336}
    reads = missing_reads(inv_workspace, ALL, "invert_impedance", call)
    assert [(r.tool, r.args, r.argument, r.output) for r in reads] == [
        ("read_well_log", {"file": "ws-2", "checkshot": "ws-3", "dt_ms": 2.0}, "well_log", "last")
    ]


def test_a_checkshot_with_a_long_comment_header_is_still_a_checkshot(shared_data, tmp_path):
    ws = Workspace(tmp_path / "ws")
    for name in INV:  # ws-1 section, ws-2 LAS
        ws.add_file(shared_data / name)
    table = (shared_data / CHECKSHOT).read_text()
    header = "".join(f"# exported by the survey's software, line {i}\n" for i in range(12))
    (tmp_path / "F02-1_td.txt").write_text(header + "\n" + table)
    ws.add_file(tmp_path / "F02-1_td.txt")  # ws-3
    ws.save_array(np.ones((3, 8), np.float32), "a section", {"dt_ms": 2.0})  # ws-4
    call = {"data": "ws-4", "well_log": "ws-4", "well_position": 336}
    reads = missing_reads(ws, ALL, "invert_impedance", call)
    assert [(r.tool, r.args) for r in reads] == [
        ("read_well_log", {"file": "ws-2", "checkshot": "ws-3", "dt_ms": 2.0})
    ]


def test_no_log_read_without_exactly_one_las_and_one_checkshot(shared_data, tmp_path):
    ws = Workspace(tmp_path / "ws")
    for name in INV:  # no checkshot: the log could not be put in time
        ws.add_file(shared_data / name)
    ws.save_array(np.ones((3, 8), np.float32), "a section", {"dt_ms": 4.0})  # ws-3
    assert missing_reads(ws, ALL, "invert_impedance", {"data": "ws-3", "well_log": "ws-3"}) == []


def test_a_segy_file_given_as_data_is_read_with_read_segy(shared_data, tmp_path):
    ws = Workspace(tmp_path / "ws")
    ws.add_file(shared_data / "segy/npra_31_81.sgy")
    reads = missing_reads(ws, ALL, "measure_snr", {"data": "ws-1"})
    assert [(r.tool, r.args) for r in reads] == [("read_segy", {"file": "ws-1"})]


def test_the_agent_reads_the_section_and_the_log_an_inversion_plan_skipped(
    scripted_model, inv_workspace
):
    """The plan a small model makes for "invert inline 362 tied to F02-1": the section
    read, then the inversion given the section as its well log."""
    scripted_model.enqueue_tool_call("read_ascii_section", {"file": "ws-1"})
    scripted_model.enqueue_tool_call(
        "invert_impedance",
        {"data": "ws-4", "well_log": "ws-4", "well_position": 336, "figure": False},
    )
    scripted_model.enqueue("Done.")
    result = _agent(scripted_model, inv_workspace).ask("invert the inline tied to F02-1, no figure")
    assert _calls(result) == [
        ("read_ascii_section", {"file": "ws-1"}),
        ("read_well_log", {"file": "ws-2", "checkshot": "ws-3", "dt_ms": 4.0}),
        (
            "invert_impedance",
            {"data": "ws-4", "well_log": "ws-6", "well_position": 336, "figure": False},
        ),
    ]
    outputs = [s for s in result.steps if type(s).__name__ == "ToolOutput"]
    assert all(o.result.ok for o in outputs), [o.result.summary for o in outputs]


def test_the_agent_reads_the_file_a_wavelet_was_asked_of(scripted_model, inv_workspace):
    scripted_model.enqueue_tool_call("estimate_wavelet", {"data": "ws-2"})  # the LAS
    scripted_model.enqueue("Done.")
    result = _agent(scripted_model, inv_workspace).ask("estimate a wavelet from the inline")
    assert _calls(result) == [
        ("read_ascii_section", {"file": "ws-1"}),
        ("estimate_wavelet", {"data": "ws-4"}),
    ]
    assert result.steps[-2].result.ok


def test_ids_given_the_wrong_way_round_are_put_back(inv_workspace):
    section = inv_workspace.save_array(np.ones((3, 8), np.float32), "a section", {"dt_ms": 4.0})
    wavelet = inv_workspace.save_array(np.ones(5, np.float32), "a wavelet", {"dt_ms": 4.0})
    mixed = {"data": wavelet.id, "wavelet": section.id, "regularization": "trace"}
    assert put_back(inv_workspace, "invert_impedance", mixed) == {
        "data": section.id,
        "wavelet": wavelet.id,
        "regularization": "trace",
    }
    right = {"data": section.id, "wavelet": wavelet.id}
    assert put_back(inv_workspace, "invert_impedance", right) == right
    assert put_back(
        inv_workspace, "invert_impedance", {"data": wavelet.id, "wavelet": "ricker"}
    ) == {
        "data": wavelet.id,
        "wavelet": "ricker",
    }
    # ws-2 is the LAS file, ws-3 the checkshot
    log = {"file": "ws-3", "checkshot": "ws-2", "curve": "AI"}
    assert put_back(inv_workspace, "read_well_log", log) == {
        "file": "ws-2",
        "checkshot": "ws-3",
        "curve": "AI",
    }
    assert put_back(inv_workspace, "read_well_log", {"file": "ws-2", "checkshot": "ws-3"}) == {
        "file": "ws-2",
        "checkshot": "ws-3",
    }
    # the checkshot table alone as the log: the workspace's one LAS file is the log
    assert put_back(inv_workspace, "read_well_log", {"file": "ws-3", "curve": "DT"}) == {
        "file": "ws-2",
        "checkshot": "ws-3",
        "curve": "DT",
    }
    assert put_back(inv_workspace, "bandpass", {"data": wavelet.id}) == {"data": wavelet.id}
