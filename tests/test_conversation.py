"""A conversation with the agent: references resolve to workspace ids, the routing prompt
carries a short record of earlier turns, state saves as JSON, bad references get a reply."""

from __future__ import annotations

import json

import pytest

from agent.config import AgentConfig
from agent.conversation import Conversation
from agent.loop import GeoAgent
from agent.record_answers import answer_from_record
from agent.steps import Answer, Error, ToolCall
from common.errors import BadInputError
from tests.conftest import REAL_GEOFM_HOME
from tests.fixtures_seismic import tiny_cube_segy


def last_prompt(model) -> str:
    return str(model.seen[-1][-1].content)


def denoise_then_plot(agent, model, line_npy):
    model.enqueue_tool_call("fx_decon", {"data": "ws-1", "figure": False}).enqueue("")
    first = agent.chat("remove the random noise from this line, no figure", files=[line_npy])
    model.enqueue_tool_call("plot_section", {"data": "ws-2"}).enqueue("")
    second = agent.chat("now plot it")
    return first, second


def test_follow_up_sees_the_record_and_the_resolved_id(agent, scripted_model, line_npy):
    first, second = denoise_then_plot(agent, scripted_model, line_npy)
    assert first.ok and second.ok
    prompt = str(scripted_model.seen[2][-1].content)  # turn 2, first routing decision
    assert "Earlier in this conversation:" in prompt
    assert 'Turn 1: "remove the random noise from this line, no figure"' in prompt
    assert "fx_decon(data=ws-1, figure=False) -> ws-2" in prompt
    assert "ws-2: " in prompt and '("plot it")' in prompt
    assert prompt.rstrip().endswith("Question: now plot it")
    call = next(s for s in second.steps if isinstance(s, ToolCall))
    assert [(u.id, u.turn) for u in call.uses] == [("ws-2", 1)]
    assert [u.id for u in second.uses] == ["ws-2"]
    assert second.to_dict()["uses"][0]["turn"] == 1
    # the first turn used nothing earlier (its file came with it)
    assert first.uses == () and first.to_dict()["steps"][0]["uses"] == []


def test_ask_stays_single_turn(agent, scripted_model, line_npy):
    denoise_then_plot(agent, scripted_model, line_npy)
    scripted_model.enqueue("An answer.")
    agent.ask("What is f-x deconvolution?")
    assert "Earlier in this conversation" not in last_prompt(scripted_model)
    assert len(agent.conversation.turns) == 2


def test_resolver_rules(agent, scripted_model, line_npy, tmp_path):
    denoise_then_plot(agent, scripted_model, line_npy)
    scripted_model.enqueue_tool_call("rank_reduction", {"data": "ws-1", "figure": False})
    scripted_model.enqueue("")
    assert agent.chat("try rank reduction instead, no figure").ok
    conv = agent.conversation
    assert conv.resolve("save that as SEG-Y").ids == ("ws-4",)
    assert conv.resolve("plot the denoised one").ids == ("ws-4",)
    assert conv.resolve("show the f-x result").ids == ("ws-2",)
    assert conv.resolve("compare it with the f-x result").ids == ("ws-2", "ws-4")
    assert conv.resolve("plot the first file").ids == ("ws-1",)
    assert conv.resolve("plot the original").ids == ("ws-1",)
    assert conv.resolve("same but rank 3").ids == ("ws-1",)  # the last call's input
    assert conv.resolve("show the last result").ids == ("ws-4",)
    assert conv.resolve("plot ws-3").explicit == ("ws-3",)
    assert conv.resolve("What does f-x deconvolution assume?").ids == ()
    # a tool family that has made nothing yet names what to make, not an earlier result
    assert conv.resolve("estimate the wavelet from the f-x result").unresolved == ()
    # an output named without "the"; "them" is the two it names
    assert conv.resolve("compare them: f-x output before, Cadzow output after").ids == (
        "ws-2",
        "ws-4",
    )
    assert conv.resolve("and with a median filter").ids == ("ws-1",)  # another way
    assert conv.resolve("now draw that f-x output for me").ids == ("ws-2",)


def test_history_is_capped_older_turns_one_line(agent, scripted_model, line_npy):
    denoise_then_plot(agent, scripted_model, line_npy)
    for k in range(4):
        scripted_model.enqueue_tool_call("plot_section", {"data": "ws-2", "cmap": "gray"})
        scripted_model.enqueue("")
        agent.chat(f"plot it again, version {k}")
    text = agent.conversation.history(max_chars=480)
    assert len(text) <= 480
    assert text.startswith("(2 earlier turns not shown)\n")
    heads = [line[:6] for line in text.splitlines() if line.startswith("Turn ")]
    assert heads == ["Turn 3", "Turn 4", "Turn 5", "Turn 6"]  # older turns in one line each
    assert text.endswith(
        'Turn 6: "plot it again, version 3"\nplot_section(data=ws-2, cmap=gray) -> ws-7'
    )


def test_question_about_an_earlier_result_is_answered_from_the_record(
    agent, scripted_model, line_npy
):
    denoise_then_plot(agent, scripted_model, line_npy)
    seen = len(scripted_model.seen)
    result = agent.chat("What was the SNR gain?")
    assert len(scripted_model.seen) == seen  # no model call, no tool call
    assert [type(s) for s in result.steps] == [Answer]
    gain = agent.conversation.turns[0].calls[0].metrics
    key = next(k for k in gain if "gain" in k)
    assert f"{key} = {gain[key]}" in result.answer and "turn 1" in result.answer


def test_before_and_after_choose_between_the_snr_estimates(agent, scripted_model, line_npy):
    """ "after"/"before" alone match no metric, but pick snr_est_after_db or
    snr_est_before_db over the gain when the question names one."""
    denoise_then_plot(agent, scripted_model, line_npy)
    metrics = agent.conversation.turns[0].calls[0].metrics
    assert {"snr_est_before_db", "snr_est_after_db", "snr_est_gain_db"} <= set(metrics)
    after = agent.chat("What was the estimated SNR after filtering?").answer
    assert f"snr_est_after_db = {metrics['snr_est_after_db']}" in after
    before = agent.chat("and what was the SNR before?").answer
    assert f"snr_est_before_db = {metrics['snr_est_before_db']}" in before
    assert "snr_est_gain_db" in agent.chat("What was the SNR gain?").answer


def test_plot_it_as_first_message_says_what_is_missing(agent, scripted_model, line_npy):
    result = agent.chat("plot it")
    assert not result.ok and scripted_model.seen == []
    error = result.steps[0]
    assert isinstance(error, Error) and error.where == "reference"
    assert '"plot it"' in error.message and "Attach a file" in error.message
    assert agent.conversation.turns == []
    first, second = denoise_then_plot(agent, scripted_model, line_npy)  # the session goes on
    assert first.ok and second.ok


def test_deleted_item_and_unknown_id(agent, scripted_model, line_npy):
    denoise_then_plot(agent, scripted_model, line_npy)
    agent.workspace.remove("ws-2")
    result = agent.chat("save it as SEG-Y")
    assert not result.ok
    assert "ws-2" in result.answer and "deleted" in result.answer and "turn 1" in result.answer
    result = agent.chat("plot ws-9")
    assert "There is no ws-9" in result.answer and "another conversation" in result.answer
    scripted_model.enqueue_tool_call("plot_section", {"data": "ws-1"}).enqueue("")
    assert agent.chat("plot ws-1").ok  # still going


def test_no_access_to_another_sessions_items(scripted_model, tmp_path, line_npy):
    from agent.fake import ScriptedChatModel

    other_model = ScriptedChatModel()
    a = GeoAgent(scripted_model, config=AgentConfig(retrieval=False, workspace=str(tmp_path / "a")))
    b = GeoAgent(other_model, config=AgentConfig(retrieval=False, workspace=str(tmp_path / "b")))
    denoise_then_plot(a, scripted_model, line_npy)
    before = sorted(p.name for p in a.workspace.root.iterdir())
    result = b.chat("plot ws-2")  # a's id, typed in b
    assert not result.ok and "There is no ws-2" in result.answer and other_model.seen == []
    # a model that names a's file by path is refused by the tool: outside b's workspace
    other_model.enqueue_tool_call("plot_section", {"data": str(a.workspace.path("ws-2"))})
    other_model.enqueue("")
    b.chat("plot the section", files=[line_npy])
    steps = b.conversation.turns[-1].calls
    assert steps[0].ok is False
    assert sorted(p.name for p in a.workspace.root.iterdir()) == before


def test_save_and_load_state_as_json(agent, scripted_model, line_npy, tmp_path):
    denoise_then_plot(agent, scripted_model, line_npy)
    path = agent.save_state(tmp_path / "chat.json")
    state = json.loads(path.read_text())  # plain JSON: no pickle anywhere
    assert state["format"] == "geofm-conversation" and len(state["turns"]) == 2
    assert set(state["index"]) == {"ws-1", "ws-2", "ws-3"}
    (agent.workspace.root / "ws-2.json").unlink()  # a lost sidecar comes back from the index

    from agent.fake import ScriptedChatModel

    model = ScriptedChatModel()
    again = GeoAgent(model, config=AgentConfig(retrieval=False))
    again.load_state(path)
    assert again.workspace.root == agent.workspace.root and "ws-2" in again.workspace
    assert again.workspace.load_array("ws-2").shape == (60, 200)
    model.enqueue_tool_call("bandpass", {"data": "ws-2", "figure": False}).enqueue("")
    result = again.chat("bandpass it, no figure")
    assert result.ok and [u.id for u in result.uses] == ["ws-2"]
    assert "Turn 2:" in str(model.seen[0][-1].content)


def test_load_state_refuses_bad_files(agent, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}')
    with pytest.raises(BadInputError, match="not a saved geofm conversation"):
        agent.load_state(bad)
    with pytest.raises(BadInputError, match="no saved conversation"):
        agent.load_state(tmp_path / "missing.json")
    gone = {"format": "geofm-conversation", "version": 1, "workspace": str(tmp_path / "gone")}
    bad.write_text(json.dumps(gone))
    with pytest.raises(BadInputError, match="is gone"):
        agent.load_state(bad)
    escape = {**gone, "workspace": str(tmp_path), "index": {"ws-1": {"file": "../x.npy"}}}
    bad.write_text(json.dumps(escape))
    with pytest.raises(BadInputError, match="invalid workspace entry"):
        agent.load_state(bad)


def test_reset_starts_over(agent, scripted_model, line_npy):
    denoise_then_plot(agent, scripted_model, line_npy)
    agent.reset()
    assert agent.conversation.turns == [] and agent.workspace.ids() == []
    assert not agent.chat("plot it").ok  # nothing to refer to any more


def test_conversation_round_trips_through_dict():
    conv = Conversation()
    assert Conversation.from_dict(conv.to_dict()) == conv
    with pytest.raises(BadInputError, match="malformed"):
        Conversation.from_dict({"turns": [{"request": "x"}]})


def routing_tokens(model, tokenizer) -> int:
    from agent.chat_model import routing_messages, to_chat_dicts
    from tools import REGISTRY

    dicts = to_chat_dicts(routing_messages(model.seen[-1], REGISTRY.schemas()))
    enc = tokenizer.apply_chat_template(
        dicts, add_generation_prompt=True, tokenize=True, return_dict=True
    )
    return len(enc["input_ids"])


def test_routing_prompt_of_turn_5_stays_within_1_3x_of_turn_1(
    agent, scripted_model, line_npy, monkeypatch
):
    """Measured with the embedded model's tokenizer over 5 turns of a scripted conversation
    (at this writing: 681, 776, 732, 831, 780 tokens; turn 5 is 1.15x turn 1)."""
    from agent.config import ModelConfig
    from agent.models import resolve_model_dir

    monkeypatch.setenv("GEOFM_HOME", str(REAL_GEOFM_HOME))
    folder = resolve_model_dir(ModelConfig(), prepare=False)
    if not (folder / "tokenizer.json").exists():
        pytest.skip(f"the embedded model is not prepared at {folder} (run `make prepare`)")
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    turns = [
        ("remove the random noise from this line", "fx_decon", {"data": "ws-1"}, [line_npy]),
        ("now plot it", "plot_section", {"data": "ws-2"}, None),
        ("try rank reduction instead", "rank_reduction", {"data": "ws-1"}, None),
        (
            "compare it with the f-x result",
            "plot_comparison",
            {"before": "ws-2", "after": "ws-5"},
            None,
        ),
        ("same but rank 3", "rank_reduction", {"data": "ws-1", "rank": 3}, None),
    ]
    tokens = []
    for request, tool, args, files in turns:
        scripted_model.enqueue_tool_call(tool, args)
        scripted_model.enqueue("")
        n = len(scripted_model.seen)
        result = agent.chat(request, files=files)
        assert result.ok, result.answer
        scripted_model.seen[:] = scripted_model.seen[: n + 1]  # the turn's first decision
        tokens.append(routing_tokens(scripted_model, tokenizer))
    print("routing prompt tokens, turns 1-5:", tokens)
    assert tokens[4] <= 1.3 * tokens[0], tokens
    assert all(t <= 1.3 * tokens[0] for t in tokens), tokens


def test_requests_and_why_questions_are_not_answered_from_the_record(
    agent, scripted_model, line_npy
):
    denoise_then_plot(agent, scripted_model, line_npy)
    conv = agent.conversation
    assert answer_from_record(conv, "What was the SNR gain?")  # a question about a number
    for request in (
        "Could you redo the f-x using a wider window to raise the SNR gain?",
        "Can you measure the signal-to-noise ratio of the denoised one?",
        "Why does the SNR gain depend on the window length?",
        "Please report the SNR gain again, but on the original?",
        "Is the section smeared after filtering?",  # "after" alone names no metric
    ):
        assert answer_from_record(conv, request) is None, request


def test_the_sample_interval_of_a_file_is_answered_from_the_record(agent, scripted_model, tmp_path):
    path = tmp_path / "line.sgy"
    tiny_cube_segy(path, n_il=1, n_xl=12, n_t=200)
    scripted_model.enqueue_tool_call("segy_info", {"file": "ws-1"}).enqueue("")
    assert agent.chat("summarise the headers of this file", files=[str(path)]).ok
    answer = answer_from_record(agent.conversation, "What was the sample interval?")
    assert answer and "dt_ms" in answer


def test_a_pronoun_for_what_the_request_makes_itself_is_not_refused(agent, scripted_model):
    conv = agent.conversation
    for message in (
        "model a noisy synthetic, then clean it with rank reduction",
        "synthetic, then median filter it",
        "make a synthetic with 3 faults and run the fault finder on the noisy section",
    ):
        assert conv.resolve(message).unresolved == (), message
    scripted_model.enqueue_tool_call("make_synthetic", {}).enqueue("")
    result = agent.chat("make a synthetic and plot it")
    assert [s.name for s in result.steps if isinstance(s, ToolCall)] == ["make_synthetic"]


def test_a_question_reads_every_metric_of_a_call_though_the_prompt_shows_three(
    agent, scripted_model, tmp_path
):
    import numpy as np

    path = tmp_path / "line.npy"
    np.save(path, np.random.default_rng(0).standard_normal((40, 250)).astype("float32"))
    scripted_model.enqueue_tool_call("spectrum", {"data": "ws-1"}).enqueue("")
    assert agent.chat("amplitude spectrum of this line", files=[str(path)]).ok
    call = agent.conversation.turns[-1].calls[-1]
    assert len(call.metrics) > 3 and call.line().count("=") <= 3 + len(call.args)
    answer = answer_from_record(agent.conversation, "What was the high end of the band?")
    assert answer and "band_high_hz" in answer


def test_a_question_picks_the_metric_its_words_name():
    from agent.conversation import CallRecord, TurnRecord

    conv = Conversation()
    metrics = {"depth_top_m": 1300.0, "depth_base_m": 1780.0, "twt_top_ms": 1100.0}
    metrics["twt_base_ms"] = 1468.0
    log = CallRecord("read_well_log", {"file": "ws-1"}, outputs=["ws-3"], metrics=metrics)
    snr = CallRecord(
        "measure_snr",
        {"data": "ws-5", "reference": "ws-2"},
        metrics={"snr_est_db": 11.75, "snr_db": 8.1, "correlation": 0.93},
    )
    conv.turns.append(TurnRecord(1, "read the log in time", calls=[log]))
    conv.turns.append(TurnRecord(2, "how does it compare with the clean one", calls=[snr]))
    for question, key in (
        ("correlation with the noise free section?", "correlation"),
        ("what TWT does the log start at?", "twt_top_ms"),
        ("how deep is the base?", "depth_base_m"),
        ("and the bottom in time?", "twt_base_ms"),
        ("what depth does it begin at?", "depth_top_m"),  # a tie: the first reported
        ("where does it end in time?", "twt_base_ms"),
    ):
        answer = answer_from_record(conv, question)
        assert answer and f"{key} =" in answer, (question, answer)


def test_a_question_about_a_gain_a_maximum_or_a_named_run_reads_that_one():
    from agent.conversation import CallRecord, TurnRecord

    def denoise(tool: str, before: float, after: float) -> CallRecord:
        snr = {"snr_est_before_db": before, "snr_est_after_db": after}
        snr["snr_est_gain_db"] = after - before
        return CallRecord(tool, {"data": "ws-2"}, outputs=["ws-3"], metrics=snr)

    faults = {"fault_fraction": 0.02, "max_probability": 0.97, "threshold": 0.5}
    conv = Conversation()
    conv.turns.append(TurnRecord(1, "f-x decon", calls=[denoise("fx_decon", 3.0, 7.0)]))
    conv.turns.append(TurnRecord(2, "geofm", calls=[denoise("geofm_denoise", 3.0, 12.0)]))
    conv.turns.append(
        TurnRecord(3, "faults", calls=[CallRecord("geofm_faults", {}, metrics=faults)])
    )
    for question, turn, key in (
        ("By how many dB did it lift the SNR?", 2, "snr_est_gain_db"),
        ("how much did the f-x decon raise the SNR?", 1, "snr_est_gain_db"),
        ("What was the SNR after the f-x deconvolution?", 1, "snr_est_after_db"),
        ("and the SNR gain of the first run?", 1, "snr_est_gain_db"),
        ("what was the SNR before, in turn 2?", 2, "snr_est_before_db"),
        ("what was the highest fault probability?", 3, "max_probability"),
        ("remind me the fault fraction", 3, "fault_fraction"),
    ):
        answer = answer_from_record(conv, question)
        assert answer and answer.startswith(f"From turn {turn} "), (question, answer)
        assert f"{key} =" in answer, (question, answer)
    assert answer_from_record(conv, "threshold 0.3?") is None  # a setting offered
    tie = {"well_correlation": 0.7, "well_relative_correlation": 0.6}
    tie = {"well_tie_correlation": 0.8, **tie}
    conv.turns.append(
        TurnRecord(4, "invert", calls=[CallRecord("invert_impedance", {}, metrics=tie)])
    )
    for question, key in (
        ("what was the well correlation?", "well_correlation"),  # not well_tie_correlation
        ("and the relative correlation at the well?", "well_relative_correlation"),
    ):
        answer = answer_from_record(conv, question)
        assert answer and f"{key} =" in answer, (question, answer)


def test_again_after_a_call_that_read_no_data_goes_to_the_model(agent, scripted_model):
    scripted_model.enqueue_tool_call("make_synthetic", {"n_traces": 80}).enqueue("")
    assert agent.chat("make a synthetic section with 80 traces").ok
    scripted_model.enqueue_tool_call("make_synthetic", {"n_traces": 300}).enqueue("")
    result = agent.chat("again with 300 traces")
    assert result.ok and not any(isinstance(s, Error) for s in result.steps)
    assert [c.name for c in result.steps if isinstance(c, ToolCall)] == ["make_synthetic"]


def test_references_after_a_synthetic_name_its_section_not_its_mask(agent, scripted_model):
    scripted_model.enqueue_tool_call("make_synthetic", {"n_traces": 60}).enqueue("")
    made = agent.chat("make a synthetic section with 60 traces")
    outputs = [a for s in made.steps if hasattr(s, "result") for a in s.result.artifacts]
    arrays = [a.id for a in outputs if a.kind == "array"]
    assert len(arrays) > 1  # the section first, then what else the generator returns
    conv = agent.conversation
    for message in ("plot it", "compare the original with the filtered one", "bandpass that"):
        assert conv.resolve(message).ids[:1] == (arrays[0],), message
    mask = next(a.id for a in outputs if "fault mask" in a.description)
    clean = next(a.id for a in outputs if "clean" in a.description)
    assert conv.resolve("show the fault mask too").ids == (mask,)
    assert conv.resolve("measure it against the noise-free section").ids[0] == clean


def test_again_about_how_a_figure_looks_redoes_the_plot(agent, scripted_model, line_npy):
    denoise_then_plot(agent, scripted_model, line_npy)  # fx_decon ws-1 -> ws-2, plot ws-2
    conv = agent.conversation
    assert conv.resolve("same again but in grey colours").ids == ("ws-2",)
    assert conv.resolve("same but 10-40 Hz").ids == ("ws-1",)  # redoes the processing
