"""Follow-ups on lines of a volume, spectra, synthetics' noise-free sections, ranks and
SEG-Y headers: the rules that finish what the routing model leaves half done."""

from __future__ import annotations

import numpy as np

from agent.constrained import Grounding
from agent.named_settings import settle
from agent.steps import ToolCall
from tests.fixtures_seismic import tiny_cube_segy
from tools import ALL, REGISTRY
from tools.workspace import Workspace


def calls_of(result) -> list[tuple[str, dict]]:
    return [(s.name, s.args) for s in result.steps if isinstance(s, ToolCall)]


def _cube(tmp_path) -> str:
    path = tmp_path / "cube.sgy"
    tiny_cube_segy(path, n_il=4, n_xl=5, n_t=50)  # inlines 1-4, crosslines 1-5
    return str(path)


def _plot_inline_2(agent, model, cube):
    model.enqueue_tool_call("read_segy", {"file": "ws-1", "inline": 2})
    model.enqueue_tool_call("plot_section", {"data": "ws-2"}).enqueue("")
    assert agent.chat("read inline 2 of this cube and plot it", files=[cube]).ok


def test_another_line_of_the_same_volume_is_read_and_worked_on(agent, scripted_model, tmp_path):
    _plot_inline_2(agent, scripted_model, _cube(tmp_path))
    # the model plots the line it already has
    scripted_model.enqueue_tool_call("plot_section", {"data": "ws-2"}).enqueue("")
    result = agent.chat("same for inline 3")
    calls = calls_of(result)
    assert calls[0] == ("read_segy", {"file": "ws-1", "inline": 3})
    assert calls[1][0] == "plot_section" and calls[1][1]["data"] != "ws-2"
    assert agent.workspace.load_array(calls[1][1]["data"]).shape == (5, 50)
    # a crossline instead of the inline: the read takes only the crossline
    scripted_model.enqueue_tool_call("plot_section", {"data": calls[1][1]["data"]}).enqueue("")
    calls = calls_of(agent.chat("and the 4 crossline too"))
    assert calls[0] == ("read_segy", {"file": "ws-1", "crossline": 4})


def test_the_same_line_or_a_whole_cube_is_not_read_again(agent, scripted_model, tmp_path):
    _plot_inline_2(agent, scripted_model, _cube(tmp_path))
    scripted_model.enqueue_tool_call("plot_section", {"data": "ws-2", "cmap": "gray"})
    scripted_model.enqueue("")
    assert calls_of(agent.chat("inline 2 again, in grey")) == [
        ("plot_section", {"data": "ws-2", "cmap": "gray"})
    ]
    agent.reset()
    scripted_model.enqueue_tool_call("read_segy", {"file": "ws-1"}).enqueue("")
    assert agent.chat("load the whole cube", files=[_cube(tmp_path)]).ok
    scripted_model.enqueue_tool_call("plot_section", {"data": "ws-2", "inline_index": 3})
    scripted_model.enqueue("")
    assert calls_of(agent.chat("plot the one at index 3")) == [
        ("plot_section", {"data": "ws-2", "inline_index": 3})
    ]


def test_a_file_read_for_a_step_is_read_at_the_line_the_request_names(
    agent, scripted_model, tmp_path
):
    # the model gives the step the SEG-Y file itself
    scripted_model.enqueue_tool_call("bandpass", {"data": "ws-1", "low_hz": 10, "high_hz": 40})
    scripted_model.enqueue("")
    result = agent.chat("bandpass crossline 3 between 10 and 40 Hz", files=[_cube(tmp_path)])
    calls = calls_of(result)
    assert calls[0] == ("read_segy", {"file": "ws-1", "crossline": 3})
    assert agent.workspace.load_array(calls[1][1]["data"]).shape == (4, 50)


def test_line_numbers_in_words_fill_the_read():
    params = ALL.get("read_segy").parameters
    for text, line in [
        ("pull inline 125 out and make a picture of it", {"inline": 125}),
        ("Read IL 126 and denoise it", {"inline": 126}),
        ("and the 890 crossline too", {"crossline": 890}),
        ("median on xline 884", {"crossline": 884}),
        ("the well sits at crossline 336", {}),  # a position, not a line to read
        ("inline 120 and crossline 880", {}),  # two reads, not one
    ]:
        assert settle("read_segy", {"file": "ws-1"}, text, params) == {"file": "ws-1", **line}


def test_a_spectrum_is_offered_to_no_section_argument(tmp_path):
    ws = Workspace(tmp_path / "ws")
    section = ws.save_array(np.random.default_rng(0).standard_normal((6, 64)), "line", {"dt_ms": 4})
    spec = REGISTRY.call("spectrum", {"data": section.id, "figure": False}, ws).artifacts[0]
    kinds = ws.kinds()
    assert kinds[spec.id] == "array:spectrum" and kinds[section.id] == "array"
    g = Grounding.from_texts([f"{section.id} {spec.id}"], kinds)
    prop = REGISTRY.get("bandpass").parameters["properties"]["data"]
    assert g.restrict(prop)["enum"] == [section.id]


def test_the_noise_free_section_is_the_synthetic_s_clean_one(agent, scripted_model):
    scripted_model.enqueue_tool_call("make_synthetic", {"snr_db": 2}).enqueue("")
    assert agent.chat("a synthetic line at 2 dB").ok
    ws = agent.workspace
    clean = next(i for i in ws.ids() if "clean" in ws.meta(i)["description"])
    ref = agent.conversation.resolve("measure it against the noise-free section")
    assert ("the noise-free section", clean) in ref.phrases
    # "the clean synthetic" is not the latest denoised output either
    assert agent.conversation.resolve("plot the clean synthetic").ids == (clean,)


def test_a_rank_nobody_wrote_goes_unless_the_step_ran_before():
    params = ALL.get("rank_reduction").parameters
    record = 'Turn 1: "a synthetic"\nmake_synthetic(snr_db=3) -> ws-1, ws-2, ws-3, ws-4'
    asked = {"data": "ws-1", "rank": 1}
    assert settle("rank_reduction", asked, "Cadzow it", params, [], record) == {"data": "ws-1"}
    assert settle("rank_reduction", asked, "rank one please", params, [], record) == asked
    assert settle("rank_reduction", asked, "rank reduction", params, [], "") == {"data": "ws-1"}
    # "again, one lower" after a rank-2 run: a re-run keeps the model's number
    again = 'Turn 1: "Cadzow"\nrank_reduction(data=ws-1, rank=2) -> ws-5'
    assert settle("rank_reduction", asked, "again, one lower", params, [], again) == asked


def test_fresh_headers_nobody_asked_for_go_where_the_array_has_a_segy_to_copy():
    params = ALL.get("write_segy").parameters
    asked = {"data": "ws-2", "headers": "minimal"}

    def from_segy(item):
        return item == "ws-2"

    def made_here(item):
        return False

    assert settle("write_segy", asked, "save it as SEG-Y", params, None, "", from_segy) == {
        "data": "ws-2"
    }
    assert settle("write_segy", asked, "save it as SEG-Y", params, None, "", made_here) == asked
    assert settle(
        "write_segy", asked, "save it with fresh headers", params, None, "", from_segy
    ) == (asked)
    assert settle("write_segy", asked, "save it as SEG-Y", params) == asked  # not known
