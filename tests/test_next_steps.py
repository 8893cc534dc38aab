"""agent.next_steps: a step the request names, not taken when the model answers."""

from __future__ import annotations

import numpy as np

from agent.config import AgentConfig
from agent.fake import ScriptedChatModel
from agent.loop import GeoAgent
from agent.next_steps import concrete, named_tools, refuses_figures, refuses_tools, unfinished
from tools import POTENTIAL_FIELDS, REGISTRY, SEISMOLOGY
from tools.workspace import Workspace

SEIS = REGISTRY.names()
QUAKE = SEISMOLOGY.names()
PF = POTENTIAL_FIELDS.names()


def test_the_first_clause_whose_steps_were_not_taken():
    text = "grid the stations on 150 m cells, then take the vertical derivative and map it"
    assert unfinished(text, ["read_potential_field", "grid_scattered"], PF) == "field_derivative"
    done = ["read_potential_field", "grid_scattered", "field_derivative"]
    assert unfinished(text, done, PF) == "plot_grid"
    assert unfinished(text, [*done, "plot_grid"], PF) is None
    text = "bandpass 10-40 Hz, then show me its spectrum"
    assert unfinished(text, ["read_segy", "bandpass"], SEIS) == "spectrum"


def test_what_does_not_count_as_a_step_left():
    # a negated step, a figure made by another figure tool, a step of another domain
    assert unfinished("read the SAC file, no plot yet", ["read_waveforms"], QUAKE) is None
    text = "f-x decon this line, then plot the input and output"
    assert unfinished(text, ["read_segy", "fx_decon", "plot_comparison"], SEIS) is None
    assert unfinished("upward continue 500 m, then Euler", ["read_segy"], SEIS) is None
    # a clause naming a step already taken is done ("a synthetic with spikes, ...")
    text = "a synthetic with spiky noise, then measure its SNR against the clean one"
    assert unfinished(text, ["make_synthetic", "measure_snr"], SEIS) is None
    # an SNR comparison in dB takes the comparison too
    text = "make a synthetic and compare the noisy line with the clean one in dB"
    assert unfinished(text, ["make_synthetic", "measure_snr"], SEIS) is None


def test_names_in_order_and_concrete_requests():
    assert named_tools("pick P after a 1-5 Hz bandpass", QUAKE) == [
        "pick_onsets",
        "preprocess_waveforms",
    ]
    # a tool's own name names it
    assert named_tools("segy_info on the exported file", REGISTRY.names()) == ["segy_info"]
    assert named_tools("no segy_info needed", REGISTRY.names()) == []
    # "denoised" describes the data; the fault finder is what is asked for
    for text in (
        "Now run GeoFM faults on the denoised inline",
        "now hunt for faults in the denoised inline using GeoFM",
    ):
        assert named_tools(text, REGISTRY.names()) == ["geofm_faults"], text
    assert named_tools("denoise it with GeoFM", REGISTRY.names()) == ["geofm_denoise"]
    assert named_tools("GeoFM denoising, then plot", REGISTRY.names())[0] == "geofm_denoise"
    assert concrete("P and S travel times for a 35 km deep event at 62 degrees")
    assert concrete("find me passages about AVO analysis")
    assert not concrete("give me the key facts about synthetic seismograms")


def _agent(model, ws, **config):
    return GeoAgent(model, index=None, config=AgentConfig(retrieval=False, **config), workspace=ws)


def test_the_agent_asks_for_the_step_the_model_left_out(tmp_path):
    ws = Workspace(tmp_path / "ws")
    rng = np.random.default_rng(0)
    ws.save_array(rng.standard_normal((24, 200)).astype(np.float32), "a line", {"dt_ms": 4.0})
    request = "bandpass ws-1 10-40 Hz, then show me the spectrum of the result"
    model = ScriptedChatModel()
    model.enqueue_tool_call("bandpass", {"data": "ws-1", "low_hz": 10, "high_hz": 40})
    model.enqueue("Done.")  # stops early: the spectrum was asked for
    model.enqueue_tool_call("spectrum", {"data": "ws-2"})
    model.enqueue("Done.")
    result = _agent(model, ws).ask(request)
    calls = [s.name for s in result.steps if type(s).__name__ == "ToolCall"]
    assert calls == ["bandpass", "spectrum"]
    assert "spectrum" in model.tool_choices  # that tool's call was required
    # off: the early answer stands
    model = ScriptedChatModel()
    model.enqueue_tool_call("bandpass", {"data": "ws-1", "low_hz": 10, "high_hz": 40})
    model.enqueue("Done.")
    result = _agent(model, ws, next_steps=False).ask(request)
    assert [s.name for s in result.steps if type(s).__name__ == "ToolCall"] == ["bandpass"]


def test_a_literature_search_and_a_question_are_left_alone(tmp_path):
    ws = Workspace(tmp_path / "ws")
    model = ScriptedChatModel()
    model.enqueue_tool_call("search_literature", {"query": "f-k filtering of ground roll"})
    model.enqueue("Here are the passages.")
    result = _agent(model, ws).ask("lit search: ground roll attenuation with f-k filters")
    assert [s.name for s in result.steps if type(s).__name__ == "ToolCall"] == ["search_literature"]
    model = ScriptedChatModel().enqueue("It needs a background model.")
    _agent(model, ws).ask("Why does model-based inversion need a 0-6 Hz background?")
    assert model.tool_choices == [None]  # bound once, nothing required


def test_clauses_and_negation_shared_by_settings_and_steps():
    from agent.clauses import clauses, negated, spans

    text = "Remove the ground roll in f-k, then AGC with a 200 ms window, and plot the result"
    # each clause ends with the words that cut it
    assert [c.strip() for c in clauses(text)] == [
        "Remove the ground roll in f-k, then",
        "AGC with a 200 ms window, and",
        "plot the result",
    ]
    assert [text[a:b] for a, b in spans(text)] == clauses(text)
    for text, word in [("no plot yet", "plot"), ("use f-x instead of f-k", "f-k")]:
        assert negated(text, text.index(word))
    assert negated("a Non-linear sweep", 6) and not negated("then plot it", 5)


def test_what_a_request_rules_out():
    assert refuses_tools("Is IBM float the same as IEEE float? Just tell me, don't load the file.")
    assert refuses_tools("What is first-break picking? No need to open the file.")
    assert refuses_tools("What does a checkshot survey measure? Explanation only.")
    assert not refuses_tools("Read the cube but don't load all of it")
    assert not refuses_tools("bandpass it, don't process the rest yet")
    assert refuses_figures("median filter, 2 samples along time, dont make a figure")
    assert refuses_figures("fk filter it, skip the picture")
    assert not refuses_figures("no figure for the filter, then plot the spectrum")
    assert not refuses_figures("fx decon the line and plot it")
    assert named_tools("what's the dominant freq and bandwidth?", SEIS) == ["spectrum"]


def test_the_agent_keeps_to_what_the_request_rules_out(tmp_path):
    ws = Workspace(tmp_path / "ws")
    rng = np.random.default_rng(0)
    ws.save_array(rng.standard_normal((24, 200)).astype(np.float32), "a line", {"dt_ms": 4.0})
    # "don't open the file": no tools offered, the model answers in words
    model = ScriptedChatModel().enqueue("IBM float is not IEEE float.")
    result = _agent(model, ws).ask(
        "Is IBM float the same as IEEE? Just tell me, don't load the file."
    )
    assert not [s for s in result.steps if type(s).__name__ == "ToolCall"]
    assert model.bound_tools == []  # no tool was offered
    # "dont make a figure": a figure asked for after the work ends the turn
    request = "median filter ws-1 with 2 traces each side, dont make a figure"
    model = ScriptedChatModel()
    model.enqueue_tool_call("median_filter", {"data": "ws-1", "half_width": 2})
    model.enqueue_tool_call("plot_section", {"data": "ws-2"})
    model.enqueue("Done.")
    result = _agent(model, ws).ask(request)
    assert [s.name for s in result.steps if type(s).__name__ == "ToolCall"] == ["median_filter"]
