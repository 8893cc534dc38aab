"""agent.named_settings: settings a message names in so many words fill the call."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from agent.config import AgentConfig
from agent.fake import ScriptedChatModel
from agent.loop import GeoAgent
from agent.named_settings import named, settle
from finetune.traces import _same
from tools import ALL
from tools.workspace import Workspace

DATA = Path(__file__).resolve().parents[1] / "finetune" / "data"


def _params(tool: str) -> dict:
    return ALL.get(tool).parameters


def _settled(tool: str, args: dict, text: str) -> dict:
    return settle(tool, args, text, _params(tool))


def test_settings_named_in_words_fill_the_call():
    assert _settled(
        "fx_decon", {"data": "ws-2"}, "fx decon, operator of 5 traces, up to 55 Hz"
    ) == {
        "data": "ws-2",
        "fmax_hz": 55.0,
    }  # "operator of 5 traces" is not a cue: nothing is guessed
    assert _settled("bandpass", {"data": "ws-2"}, "a 3rd-order Butterworth from 7 to 65 Hz") == {
        "data": "ws-2",
        "low_hz": 7.0,
        "high_hz": 65.0,
        "order": 3,
    }
    got = _settled(
        "make_synthetic", {}, "synthetic, 120 traces, 1 ms sampling, swell noise, seed 4"
    )
    assert got == {"n_traces": 120, "dt_ms": 1.0, "noise": "swell", "seed": 4}
    got = _settled("plot_section", {"data": "ws-3"}, "show it in viridis, titled 'AI, line 7'")
    assert got == {"data": "ws-3", "cmap": "viridis", "title": "AI, line 7"}


def test_a_number_in_the_wrong_argument_moves_to_the_named_one():
    text = "f-x decon over 24-trace windows with a 6-trace prediction filter"
    got = _settled("fx_decon", {"data": "ws-2", "filter_length": 24}, text)
    assert got == {"data": "ws-2", "win_traces": 24, "filter_length": 6}
    got = _settled(
        "fk_filter", {"data": "ws-2", "max_dip_ms_per_trace": 0.3}, "fk with a 0.3 taper"
    )
    assert got == {"data": "ws-2", "taper": 0.3}


def test_two_slips_are_undone():
    # a workspace id in a text argument; figure=False when no word is about figures
    got = _settled("read_well_log", {"file": "ws-2", "curve": "ws-1"}, "read the well logs")
    assert got == {"file": "ws-2"}
    got = _settled("spectrum", {"data": "ws-2", "figure": False}, "spectrum of this line")
    assert got == {"data": "ws-2"}
    got = _settled("spectrum", {"data": "ws-2", "figure": False}, "spectrum, just the numbers")
    assert got == {"data": "ws-2", "figure": False}


def test_ambiguous_negated_or_out_of_range_words_leave_the_call_alone():
    # two bands for one filter: the model's call stands
    text = "bandpass 2-20 Hz, no wait, 4 to 18 Hz"
    assert named("bandpass", text, _params("bandpass")) == {}
    # a negation cancels an enum word; "plain" says the opposite
    assert named("median_filter", "not the dip-steered one", _params("median_filter")) == {
        "dip_steered": False
    }
    assert named("median_filter", "non-dip-steered median", _params("median_filter")) == {
        "dip_steered": False
    }
    # order 12 is outside the tool's 1..10
    assert "order" not in named("bandpass", "bandpass 5-50 Hz, order 12", _params("bandpass"))


def test_in_a_chain_each_step_gets_the_words_of_its_own_clause():
    text = "Bandpass 8-48 Hz, then f-x decon up to 60 Hz, then AGC with a 250 ms window"
    assert named("bandpass", text, _params("bandpass")) == {"low_hz": 8.0, "high_hz": 48.0}
    assert named("fx_decon", text, _params("fx_decon")) == {"fmax_hz": 60.0}
    assert named("agc", text, _params("agc")) == {"window_ms": 250.0}
    # "1 trace either side" belongs to the median filter, not to the synthetic
    text = "make a synthetic with spiky noise, then a median with 1 trace either side"
    assert named("make_synthetic", text, _params("make_synthetic")) == {"noise": "spikes"}
    assert named("median_filter", text, _params("median_filter")) == {"half_width": 1}
    # a filter named right after its band: "a 10-45 Hz filter, an f-x decon pass"
    text = "A 6-40 Hz filter, an f-x decon pass, and a SEG-Y at the end."
    assert named("fx_decon", text, _params("fx_decon")) == {}
    assert named("bandpass", text, _params("bandpass")) == {"low_hz": 6.0, "high_hz": 40.0}


def _route_decisions():
    """(question, tool, arguments) of every routing decision in the training data."""
    seen = set()
    for split in ("train", "val", "test"):
        for line in (DATA / f"{split}.jsonl").read_text().splitlines():
            row = json.loads(line)
            if row["kind"] != "route":
                continue
            question = None
            for m in row["messages"]:
                if m["role"] == "user" and "Question:" in m["content"]:
                    question = m["content"].split("Question:")[-1].strip()
                if m["role"] == "assistant" and question is not None:
                    call = json.loads(m["content"])
                    key = (question, m["content"])
                    if call["name"] != "answer" and key not in seen:
                        seen.add(key)
                        yield question, call["name"], call["arguments"]


@pytest.mark.skipif(not (DATA / "train.jsonl").exists(), reason="training data not built")
def test_the_words_never_contradict_a_gold_call_of_the_training_data():
    agree, conflicts = 0, []
    for question, tool, args in _route_decisions():
        props = _params(tool).get("properties", {})
        for k, v in named(tool, question, _params(tool)).items():
            gold = args.get(k, props.get(k, {}).get("default"))
            if _same(v, gold):
                agree += 1
            else:
                conflicts.append((question, tool, k, v, gold))
    assert conflicts == []
    assert agree > 1500  # the cues do fill settings (over 2,000 at the time of writing)


@pytest.mark.skipif(not (DATA / "train.jsonl").exists(), reason="training data not built")
def test_settling_a_gold_call_of_the_training_data_keeps_it_right():
    from finetune.traces import arguments_match

    changed = [
        (question, tool, args)
        for question, tool, args in _route_decisions()
        if not arguments_match(_settled(tool, args, question), args, _params(tool))
    ]
    assert changed == []


def test_an_optional_number_nobody_gave_is_taken_out():
    wavelet = _params("estimate_wavelet")
    text = "Create a synthetic with a 40 Hz Ricker and estimate the wavelet back"
    reports = ["make_synthetic -> ws-1: 200 x 300 samples, dt_ms=4.0, peak 40 Hz"]
    # the 4 ms sample interval is not a wavelet length anyone asked for: the default applies
    slip = {"data": "ws-2", "length_ms": 4}
    assert settle("estimate_wavelet", slip, text, wavelet, reports=reports) == {"data": "ws-2"}
    assert settle("estimate_wavelet", slip, text, wavelet) == slip  # reports not known
    # written by the user in any form the grounding reads, it stays
    asked = {"data": "ws-2", "length_ms": 200}
    assert settle("estimate_wavelet", asked, "a 0.2 s wavelet", wavelet, reports=[]) == asked
    # reported under the argument's own name ("read that inline"), it stays
    read = {"file": "ws-1", "inline": 113}
    found = ["nearest trace to E 620580 N 6074300: inline=113, crossline=336"]
    assert settle("read_segy", read, "read that inline", _params("read_segy"), found) == read
    # and so does a setting of an earlier turn that a follow-up repeats
    again = {"data": "ws-4", "length_ms": 120}
    earlier = "estimate_wavelet(data=ws-2, length_ms=120) -> ws-3"
    assert (
        settle("estimate_wavelet", again, "same on the other line", wavelet, [], earlier) == again
    )
    assert settle("estimate_wavelet", again, "same on the other line", wavelet, []) == {
        "data": "ws-4"
    }
    # a number whose name carries no unit (a position, a rank) is left to the model: the
    # well's crossline comes from a report that calls it something else
    tie = {"data": "ws-4", "well_log": "ws-6", "well_position": 336}
    located = ["F02-1 is nearest to crossline 336 of the section"]
    params = _params("invert_impedance")
    assert settle("invert_impedance", tie, "invert it tied to F02-1", params, located) == tie


@pytest.mark.skipif(not (DATA / "train.jsonl").exists(), reason="training data not built")
def test_a_gold_call_of_the_training_data_loses_only_numbers_the_grammar_cannot_offer():
    from agent.constrained import Grounding

    lost = []
    for split in ("train", "val", "test"):
        for line in (DATA / f"{split}.jsonl").read_text().splitlines():
            row = json.loads(line)
            if row["kind"] != "route":
                continue
            seen: list[str] = []  # the user's message (files, earlier turns) and reports
            for m in row["messages"]:
                if m["role"] == "assistant":
                    call = json.loads(m["content"])
                    if call["name"] in ALL and "Question:" in seen[0]:
                        question = seen[0].split("Question:")[-1].strip()
                        record = re.search(
                            r"Earlier in this conversation:\n(.*?)\n\n", seen[0], re.S
                        )
                        earlier = record.group(1) if record else ""
                        args, params = call["arguments"], _params(call["name"])
                        got = settle(call["name"], args, question, params, seen, earlier)
                        lost += [
                            (question, k, v, list(seen)) for k, v in args.items() if k not in got
                        ]
                elif m["role"] != "system":
                    seen.append(str(m["content"]))
    # only values written in words no grounding reads ("low-pass" for low_hz=0, "a fifth",
    # "d2T/dz2"): the grammar could not offer them, so the agent's calls never held them
    assert all(float(v) not in Grounding.from_texts(seen).numbers for *_, v, seen in lost)


def test_the_agent_runs_the_settled_call(tmp_path):
    ws = Workspace(tmp_path / "ws")
    rng = np.random.default_rng(0)
    ws.save_array(rng.standard_normal((24, 200)).astype(np.float32), "a line", {"dt_ms": 4.0})
    model = ScriptedChatModel()
    model.enqueue_tool_call("bandpass", {"data": "ws-1", "low_hz": 6, "high_hz": 70})
    model.enqueue("Done.")
    agent = GeoAgent(model, index=None, config=AgentConfig(retrieval=False), workspace=ws)
    result = agent.ask("bandpass ws-1 between 6 and 70 Hz with an order-2 filter, no figure")
    calls = [(s.name, s.args) for s in result.steps if type(s).__name__ == "ToolCall"]
    assert calls == [
        ("bandpass", {"data": "ws-1", "low_hz": 6, "high_hz": 70, "order": 2, "figure": False})
    ]
    off = ScriptedChatModel()
    off.enqueue_tool_call("bandpass", {"data": "ws-1", "low_hz": 6, "high_hz": 70})
    off.enqueue("Done.")
    config = AgentConfig(retrieval=False, named_settings=False)
    result = GeoAgent(off, index=None, config=config, workspace=ws).ask(
        "bandpass ws-1 between 6 and 70 Hz with an order-2 filter, no figure"
    )
    calls = [(s.name, s.args) for s in result.steps if type(s).__name__ == "ToolCall"]
    assert calls == [("bandpass", {"data": "ws-1", "low_hz": 6, "high_hz": 70})]


class _GroundedScript(ScriptedChatModel):
    """A scripted model that, like the local model, grounds its arguments."""

    ground_arguments: bool = True


def test_the_agent_takes_out_a_measure_only_a_grounded_model_made_up(tmp_path):
    ws = Workspace(tmp_path / "ws")
    rng = np.random.default_rng(0)
    ws.save_array(rng.standard_normal((24, 200)).astype(np.float32), "a line", {"dt_ms": 4.0})
    request = "estimate the wavelet of ws-1"
    for model, kept in ((_GroundedScript(), False), (ScriptedChatModel(), True)):
        model.enqueue_tool_call("estimate_wavelet", {"data": "ws-1", "length_ms": 4})
        model.enqueue("Done.")
        config = AgentConfig(retrieval=False)
        result = GeoAgent(model, index=None, config=config, workspace=ws).ask(request)
        calls = [s.args for s in result.steps if type(s).__name__ == "ToolCall"]
        # the 4 ms sample interval is no wavelet length: a grounded model's slip; an API
        # model's numbers are its own choice
        assert ("length_ms" in calls[0]) is kept, calls


def test_an_option_nobody_named_goes_back_to_its_default():
    # a word option the request does not name: the model's guess is dropped
    got = _settled("plot_section", {"data": "ws-2", "cmap": "seismic"}, "plot the seismic line")
    assert got == {"data": "ws-2"}
    got = _settled("import_array", {"file": "ws-1", "layout": "samples_by_traces"}, "import it")
    assert got == {"file": "ws-1"}
    got = _settled(
        "import_array", {"file": "ws-1", "layout": "samples_by_traces"}, "time on the first axis"
    )
    assert got["layout"] == "samples_by_traces"
    # named by its cue: kept
    got = _settled("plot_section", {"data": "ws-2", "cmap": "seismic"}, "plot in seismic colours")
    assert got == {"data": "ws-2", "cmap": "seismic"}
    got = _settled("plot_section", {"data": "ws-2", "cmap": "seismic"}, "Draw it in seismic.")
    assert got == {"data": "ws-2", "cmap": "seismic"}  # "in seismic" ends the clause
    got = _settled("plot_section", {"data": "ws-2", "cmap": "seismic"}, "in seismic section view")
    assert got == {"data": "ws-2"}
    # an option the context decides (a synthetic has no SEG-Y headers to copy) stays
    got = _settled("write_segy", {"data": "ws-3", "headers": "minimal"}, "export it to SEG-Y")
    assert got["headers"] == "minimal"
    # a figure only where the request speaks of one, for a tool that makes none by default
    assert _settled("agc", {"data": "ws-2", "figure": True}, "agc with a 500 ms window") == {
        "data": "ws-2",
        "window_ms": 500.0,
    }
    got = _settled(
        "agc", {"data": "ws-2"}, "agc 500 ms and I want the before/after/difference figure"
    )
    assert got["figure"] is True
    # a follow-up keeps the options its earlier turns chose
    got = settle(
        "plot_section",
        {"data": "ws-4", "cmap": "seismic"},
        "again",
        _params("plot_section"),
        earlier="plot it in seismic colours",
    )
    assert got["cmap"] == "seismic"


def test_the_section_is_not_its_own_wavelet_or_reference():
    got = _settled("measure_snr", {"data": "ws-4", "reference": "ws-4"}, "how noisy is it?")
    assert got == {"data": "ws-4"}
    got = _settled(
        "invert_impedance", {"data": "ws-2", "wavelet": "ws-2"}, "invert it for impedance"
    )
    assert got == {"data": "ws-2"}
    got = _settled(
        "measure_snr", {"data": "ws-4", "reference": "ws-2"}, "SNR against the clean one"
    )
    assert got == {"data": "ws-4", "reference": "ws-2"}


@pytest.mark.parametrize(
    "tool, text, expected",
    [
        ("bandpass", "pls high cut the data at 35 hz", {"high_hz": 35.0}),
        ("bandpass", "Butterworth band 15 bis 120 Hz", {"low_hz": 15.0, "high_hz": 120.0}),
        (
            "rank_reduction",
            "Cadzow: windows of 60 traces by 500 ms",
            {"win_traces": 60, "win_ms": 500.0},
        ),
        ("fx_decon", "time windows of 300 ms and 50 traces", {"win_ms": 300.0, "win_traces": 50}),
        ("rank_reduction", "SSA keeping 4 dipping events per window", {"rank": 4}),
        ("median_filter", "a median that does NOT follow the dip", {"dip_steered": False}),
        ("median_filter", "median filter, dont make a figure", {"figure": False}),
        ("fk_filter", "fk filter it, skip the picture", {"figure": False}),
        ("read_well_log", "AI log into TWT, output step 2 ms", {"dt_ms": 2.0}),
        (
            "plot_section",
            "display it clipping amplitudes at the 97th percentile",
            {"clip_percentile": 97.0},
        ),
        (
            "plot_comparison",
            "denoise it and make a comparison plot titled 'XL 890'",
            {"title": "XL 890"},
        ),
        ("field_derivative", "the north gradient of this map (d/dy)", {"direction": "northing"}),
        ("read_waveforms", "merge it with zeros in the gaps", {"merge": "fill_zero"}),
    ],
)
def test_more_ways_of_naming_a_setting(tool, text, expected):
    assert named(tool, text, _params(tool)) == expected


def test_an_option_nobody_named_goes_unless_an_earlier_call_gave_it():
    median = {"data": "ws-1", "dip_steered": False}
    assert _settled("median_filter", median, "knock the noise down with a median filter") == {
        "data": "ws-1"
    }
    assert _settled("median_filter", {"data": "ws-3"}, "then a non-steered median on top") == {
        "data": "ws-3",
        "dip_steered": False,
    }
    plot = {"data": "ws-4", "cmap": "seismic"}
    first = 'Turn 1: "plot the noisy section"\nplot_section(data=ws-1) -> ws-3'
    again = 'Turn 1: "plot it"\nplot_section(data=ws-1, cmap=seismic) -> ws-3'
    said = 'Turn 1: "plot it in seismic colours"\nplot_section(data=ws-1) -> ws-3'
    assert settle(
        "plot_section", plot, "show the fault mask too", _params("plot_section"), None, first
    ) == {"data": "ws-4"}
    for earlier in (again, said):
        kept = settle(
            "plot_section", plot, "show the fault mask too", _params("plot_section"), None, earlier
        )
        assert kept == plot


@pytest.mark.parametrize(
    "tool, asked, text, expected",
    [
        # an argument's own name, as the schema spells it, or without its unit
        ("median_filter", {"data": "ws-2"}, "half_length 2 please", {"half_length": 2}),
        ("rank_reduction", {"data": "ws-2"}, "win_traces=20", {"win_traces": 20}),
        ("fx_decon", {"data": "ws-2"}, "cap fmax at 60 Hz", {"fmax_hz": 60.0}),
        ("agc", {"data": "ws-2"}, "window 0.5 s", {}),  # another unit: not window_ms
        # two numbers the model put the wrong way round, both written: swapped back
        (
            "median_filter",
            {"data": "ws-2", "half_width": 2, "half_length": 3},
            "half_length 2 as well, width still 3",
            {"half_length": 2, "half_width": 3},
        ),
        # a workspace id as a literature search's words: the quoted words are searched
        (
            "search_literature",
            {"query": "ws-3"},
            'any references? look up "f-x deconvolution Canales"',
            {"query": "f-x deconvolution Canales"},
        ),
        ("search_literature", {"query": "ws-3"}, "papers on SSA", {"query": "papers on SSA"}),
    ],
)
def test_names_swaps_and_queries(tool, asked, text, expected):
    data = {k: v for k, v in asked.items() if k == "data"}
    assert _settled(tool, asked, text) == {**data, **expected}


def test_a_band_after_the_word_inline_names_no_line():
    schema = _params("read_segy")
    assert named("read_segy", "bandpass the inline 10-45 Hz", schema) == {}
    assert named("read_segy", "the crossline, 8 to 60 Hz", schema) == {}
    assert named("read_segy", "read inline 118", schema) == {"inline": 118}
    assert named("read_segy", "xline 884 as well", schema) == {"crossline": 884}
