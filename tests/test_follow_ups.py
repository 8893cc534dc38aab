"""The follow-up rules (agent.follow_ups): a setting change re-runs the earlier step on the
data it read, with its other settings kept, while a further pass on the result stays one;
a SEG-Y sent with a follow-up is read and processed instead of the data an earlier turn
had; a request to act answered in words is decided again with a tool call required; the
same step again on its own output, or the very same call, ends the turn; a follow-up's
call of a tool it does not name is decided again with the one it names (agent.next_steps);
a reader handed an array already read leaves no trace."""

from __future__ import annotations

import pytest

from agent.follow_ups import asks_to_act
from agent.steps import ToolCall
from tests.fixtures_seismic import tiny_cube_segy


def bandpass_first(agent, model, line_npy):
    """Turn 1: ws-1 the file, bandpass(ws-1, 10-45 Hz, order 4) -> ws-2."""
    args = {"data": "ws-1", "low_hz": 10, "high_hz": 45, "order": 4, "figure": False}
    model.enqueue_tool_call("bandpass", args).enqueue("")
    assert agent.chat("keep 10-45 Hz, no figure", files=[line_npy]).ok


def calls_of(result) -> list[tuple[str, dict]]:
    return [(s.name, s.args) for s in result.steps if isinstance(s, ToolCall)]


def test_a_setting_change_reruns_on_the_earlier_input_keeping_other_settings(
    agent, scripted_model, line_npy
):
    bandpass_first(agent, scripted_model, line_npy)
    # the model chains the filter onto its own output and drops the band
    scripted_model.enqueue_tool_call("bandpass", {"data": "ws-2", "order": 2}).enqueue("")
    result = agent.chat("same band, gentler slopes: order 2")
    assert result.ok
    assert calls_of(result) == [
        ("bandpass", {"data": "ws-1", "order": 2, "low_hz": 10, "high_hz": 45, "figure": False})
    ]
    # the call that ran is the one recorded (and shown to later turns)
    assert agent.conversation.turns[-1].calls[0].args["data"] == "ws-1"


def test_a_setting_the_message_talks_about_is_not_carried(agent, scripted_model, line_npy):
    scripted_model.enqueue_tool_call(
        "median_filter", {"data": "ws-1", "half_width": 2, "dip_steered": False}
    ).enqueue("")
    assert agent.chat("median filter without dip steering", files=[line_npy]).ok
    # "dip-steered" is the default: the call leaves it out, and it is not carried over
    scripted_model.enqueue_tool_call("median_filter", {"data": "ws-2", "half_width": 4})
    scripted_model.enqueue("")
    result = agent.chat("same again but dip-steered, half width 4")
    # the earlier False is not carried; the message names the setting (agent.named_settings)
    assert calls_of(result) == [
        ("median_filter", {"data": "ws-1", "half_width": 4, "dip_steered": True})
    ]


def test_a_further_pass_on_the_result_is_kept(agent, scripted_model, line_npy):
    bandpass_first(agent, scripted_model, line_npy)
    asked = {"data": "ws-2", "low_hz": 12, "high_hz": 40}
    scripted_model.enqueue_tool_call("bandpass", asked).enqueue("")
    result = agent.chat("run another pass on the result, 12-40 Hz")
    assert calls_of(result) == [("bandpass", asked)]


def test_other_tools_and_single_turn_asks_are_untouched(agent, scripted_model, line_npy):
    bandpass_first(agent, scripted_model, line_npy)
    scripted_model.enqueue_tool_call("agc", {"data": "ws-2"}).enqueue("")
    assert calls_of(agent.chat("now AGC it")) == [("agc", {"data": "ws-2"})]
    # ask() keeps no conversation: nothing to re-run
    scripted_model.enqueue_tool_call("bandpass", {"data": "ws-1", "order": 2}).enqueue("")
    result = agent.ask("order 2 bandpass of this", files=[line_npy])
    assert calls_of(result) == [("bandpass", {"data": "ws-1", "order": 2})]


def test_a_carried_setting_the_tool_refuses_falls_back_to_the_call_as_asked(
    agent, scripted_model, line_npy
):
    bandpass_first(agent, scripted_model, line_npy)
    # carrying high_hz=45 makes the band empty: the tool refuses, and the call runs on
    # the earlier input with its own settings; the refused try leaves no step behind
    asked = {"data": "ws-2", "low_hz": 50}
    scripted_model.enqueue_tool_call("bandpass", asked).enqueue("")
    result = agent.chat("same again but from 50 Hz")
    assert calls_of(result) == [("bandpass", {"data": "ws-1", "low_hz": 50})]
    outputs = [s for s in result.steps if type(s).__name__ == "ToolOutput"]
    assert [o.result.ok for o in outputs] == [True]
    assert "error" not in result.answer.lower()


def test_a_segy_sent_with_a_follow_up_is_read_and_processed(
    agent, scripted_model, line_npy, tmp_path
):
    bandpass_first(agent, scripted_model, line_npy)
    second = tmp_path / "second.sgy"
    tiny_cube_segy(second, n_il=1, n_xl=12, n_t=200)
    # the model filters the section it already has, not the file just sent
    asked = {"data": "ws-1", "low_hz": 10, "high_hz": 45}
    scripted_model.enqueue_tool_call("bandpass", asked).enqueue("")
    result = agent.chat("here is another line, same filter on it", files=[str(second)])
    assert result.ok
    names = [(n, a) for n, a in calls_of(result)]
    assert names[0] == ("read_segy", {"file": "ws-3"})
    assert names[1][0] == "bandpass" and names[1][1]["data"] == "ws-4"
    assert names[1][1]["low_hz"] == 10 and names[1][1]["high_hz"] == 45


def test_a_follow_up_naming_the_earlier_data_keeps_it(agent, scripted_model, line_npy, tmp_path):
    bandpass_first(agent, scripted_model, line_npy)
    second = tmp_path / "second.sgy"
    tiny_cube_segy(second, n_il=1, n_xl=12, n_t=200)
    scripted_model.enqueue_tool_call("agc", {"data": "ws-2"}).enqueue("")
    result = agent.chat(
        "AGC the bandpassed one; I attach the next line for later", files=[str(second)]
    )
    assert calls_of(result) == [("agc", {"data": "ws-2"})]


def test_a_follow_up_asking_to_act_is_decided_again_with_a_tool_required(
    agent, scripted_model, line_npy
):
    bandpass_first(agent, scripted_model, line_npy)
    # the model answers in words; asked again with a call required, it calls
    scripted_model.enqueue("").enqueue_tool_call("bandpass", {"data": "ws-1", "order": 2})
    scripted_model.enqueue("")
    result = agent.chat("gentler slopes please, order 2")
    assert [n for n, _ in calls_of(result)] == ["bandpass"]
    assert scripted_model.tool_choices[-2:] == [None, "required"]
    # a question is answered in words, with no second decision
    scripted_model.enqueue("")
    agent.chat("why does a lower order ring less?")
    assert scripted_model.tool_choices[-1] is None and not scripted_model.replies


def test_a_question_about_a_file_sent_with_it_gets_a_tool_call(
    agent, scripted_model, line_npy, tmp_path
):
    bandpass_first(agent, scripted_model, line_npy)
    second = tmp_path / "second.sgy"
    tiny_cube_segy(second, n_il=1, n_xl=12, n_t=200)
    scripted_model.enqueue("").enqueue_tool_call("segy_info", {"file": "ws-4"})
    result = agent.chat("what sample interval does the new file have?", files=[str(second)])
    assert calls_of(result) == [("segy_info", {"file": "ws-4"})]
    assert scripted_model.tool_choices[-2:] == [None, "required"]
    # the same question with no file sent is answered in words
    scripted_model.enqueue("")
    agent.chat("what sample interval did you use?")
    assert scripted_model.tool_choices[-1] is None and not scripted_model.replies


def test_a_single_request_on_a_file_answered_in_words_gets_a_tool_call(
    agent, scripted_model, line_npy
):
    scripted_model.enqueue("").enqueue_tool_call("plot_section", {"data": "ws-1"})
    scripted_model.enqueue("")
    result = agent.ask("show me what's in this section", files=[line_npy])
    assert calls_of(result) == [("plot_section", {"data": "ws-1"})]
    assert scripted_model.tool_choices[-2:] == [None, "required"]
    # the first turn of a conversation alike
    scripted_model.enqueue("").enqueue_tool_call("agc", {"data": "ws-3"}).enqueue("")
    assert [n for n, _ in calls_of(agent.chat("AGC this one", files=[line_npy]))] == ["agc"]
    # a question about a file, or a request with no file, is answered in words
    agent.reset()
    for message, files in (
        ("what is AGC for?", [line_npy]),
        ("plot a Ricker wavelet", None),
        ("Before we filter it: what does f-k do, conceptually? Don't process yet.", [line_npy]),
    ):
        scripted_model.enqueue("")
        agent.ask(message, files=files)
        assert scripted_model.tool_choices[-1] is None and not scripted_model.replies


@pytest.mark.parametrize(
    ("message", "acts"),
    [
        ("shorter window, 150 ms", True),
        ("export the denoised line as SEG-Y for Petrel", True),
        ("original versus median-filtered, side by side please", True),
        ("could you redo it with rank 3?", True),
        ("what was the SNR gain?", False),
        ("and the headers of this second file?", False),
        ("why does AGC distort amplitudes", False),
        ("thanks, that looks good", False),
        ("now hunt for faults in the denoised inline using GeoFM", True),
        ("and rank 1?", True),  # a setting offered as a question
        ("0.15?", True),
        ("what about 30 ms?", True),
        ("What was the dominant frequency at 30 ms?", False),
        ("is inline 120 in the cube?", False),
    ],
)
def test_asks_to_act(message, acts):
    assert asks_to_act(message) is acts


def test_the_same_step_again_on_its_own_output_ends_the_turn(agent, scripted_model, line_npy):
    bandpass_first(agent, scripted_model, line_npy)
    scripted_model.enqueue_tool_call("agc", {"data": "ws-2", "window_ms": 100})
    scripted_model.enqueue_tool_call("agc", {"data": "ws-3", "window_ms": 100})
    result = agent.chat("AGC it with 100 ms")
    assert calls_of(result) == [("agc", {"data": "ws-2", "window_ms": 100})]
    assert result.ok and not scripted_model.replies  # the second call was read, not run
    # asked for a second pass, it runs
    scripted_model.enqueue_tool_call("agc", {"data": "ws-3", "window_ms": 100})
    scripted_model.enqueue_tool_call("agc", {"data": "ws-4", "window_ms": 100}).enqueue("")
    result = agent.chat("AGC the result twice more, 100 ms")
    assert len(calls_of(result)) == 2
    # the very same call twice (the same input too) runs once
    for _ in range(2):
        scripted_model.enqueue_tool_call("agc", {"data": "ws-2", "window_ms": 200})
    result = agent.chat("AGC the filtered line, 200 ms")
    assert calls_of(result) == [("agc", {"data": "ws-2", "window_ms": 200})]
    assert result.ok and not scripted_model.replies


def test_a_follow_up_calling_a_tool_it_does_not_name_is_decided_again(
    agent, scripted_model, line_npy
):
    bandpass_first(agent, scripted_model, line_npy)
    # "median" names the step; the model's AGC is not asked for: decided again
    scripted_model.enqueue_tool_call("agc", {"data": "ws-2", "window_ms": 100})
    scripted_model.enqueue_tool_call("median_filter", {"data": "ws-2", "half_width": 3})
    scripted_model.enqueue("")
    result = agent.chat("now a median filter on it, half width 3")
    assert scripted_model.tool_choices[-2:] == [None, "median_filter"]
    assert [n for n, _ in calls_of(result)] == ["median_filter"]
    # a setting of the earlier step ("order") that the model's tool lacks: that step again
    scripted_model.enqueue_tool_call("agc", {"data": "ws-3", "window_ms": 100})
    scripted_model.enqueue_tool_call("bandpass", {"data": "ws-1", "order": 2}).enqueue("")
    result = agent.chat("order 2 this time")
    assert scripted_model.tool_choices[-2:] == [None, "bandpass"]
    assert [n for n, _ in calls_of(result)] == ["bandpass"]


def test_a_follow_up_call_the_message_names_is_kept(agent, scripted_model, line_npy):
    bandpass_first(agent, scripted_model, line_npy)
    # a figure tool for a figure word, a reader, and a message naming nothing: kept
    for message, call in [
        ("now plot it", ("plot_comparison", {"before": "ws-1", "after": "ws-2"})),
        ("median filter it, half width 2", ("median_filter", {"data": "ws-2", "half_width": 2})),
        ("AGC with 200 ms windows please", ("agc", {"data": "ws-2", "window_ms": 200})),
    ]:
        scripted_model.enqueue_tool_call(*call).enqueue("")
        result = agent.chat(message)
        assert [n for n, _ in calls_of(result)] == [call[0]], message
        assert scripted_model.tool_choices[-2:] == [None, None]


def test_a_follow_up_naming_a_step_answered_in_words_gets_that_step(
    agent, scripted_model, line_npy
):
    bandpass_first(agent, scripted_model, line_npy)
    scripted_model.enqueue("Sure.").enqueue_tool_call("rank_reduction", {"data": "ws-2"})
    scripted_model.enqueue("")
    result = agent.chat("Cadzow it with the default rank")
    assert scripted_model.tool_choices[-2:] == [None, "rank_reduction"]
    assert [n for n, _ in calls_of(result)] == ["rank_reduction"]
    # a question about an earlier step is answered in words
    scripted_model.enqueue("It was 10-45 Hz.")
    agent.chat("which band did the bandpass keep?")
    assert scripted_model.tool_choices[-1] is None and not scripted_model.replies


def test_reading_an_array_already_read_leaves_no_trace(agent, scripted_model, line_npy):
    bandpass_first(agent, scripted_model, line_npy)
    scripted_model.enqueue_tool_call("read_segy", {"file": "ws-2"})
    scripted_model.enqueue_tool_call("agc", {"data": "ws-2", "window_ms": 100}).enqueue("")
    result = agent.chat("AGC the filtered line, 100 ms")
    assert calls_of(result) == [("agc", {"data": "ws-2", "window_ms": 100})]
    assert result.ok
