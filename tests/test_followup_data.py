"""Fine-tuning data of follow-up turns, rewordings and the evaluation-leakage guard: the
templates are well formed, follow-up examples carry the history block and ids of their
own conversation, split hygiene holds for the new phrasings, rewordings are seeded and
keep slots and numbers with their units, and the guard drops a planted near-copy."""

from __future__ import annotations

import json
import random
import re

import pytest

from finetune.followup_data import turn_split
from finetune.leakage import LeakageGuard, norm
from finetune.paraphrase import number_units, slots_of, variants
from finetune.tool_tasks import FOLLOWUPS, SETUPS, TASKS
from finetune.tool_tasks.base import phrasing_split
from finetune.traces import resolve
from tools import REGISTRY, Artifact, ToolResult


def _dummy_results(n: int) -> list[ToolResult]:
    return [
        ToolResult(
            f"call {i}", tuple(Artifact(f"ws-{10 * (i + 1) + k}", "array", "") for k in range(4))
        )
        for i in range(n)
    ]


def test_followup_templates_are_well_formed():
    assert len(FOLLOWUPS) >= 60
    assert len({c.id for c in FOLLOWUPS}) == len(FOLLOWUPS)
    for conv in FOLLOWUPS:
        assert 2 <= len(conv.turns) <= 5, conv.id
        assert conv.setup in SETUPS and conv.turns[0].calls, conv.id
        slots = {k: v[0] for k, v in conv.slots.items()}
        n_files = len(SETUPS[conv.setup]) + sum(
            len(SETUPS[t.attach or "none"]) for t in conv.turns[1:]
        )
        files = [f"ws-{i + 1}" for i in range(n_files)]
        n_calls = sum(len(t.calls) for t in conv.turns)
        results = _dummy_results(n_calls)
        for k, turn in enumerate(conv.turns):
            assert not (turn.record and turn.calls), conv.id
            if k > 0 and not turn.record:
                assert len(turn.phrasings) >= 5, (conv.id, k)
            for p in turn.phrasings:
                p.format(**slots)
            for name, args in turn.calls:
                resolved = {a: resolve(v, files, results, slots) for a, v in args.items()}
                REGISTRY.get(name).validate(resolved)


def test_followups_cover_the_four_kinds_of_turn():
    later = [t for c in FOLLOWUPS for t in c.turns[1:]]
    assert sum(t.record for t in later) >= 5  # questions the record answers
    assert sum(bool(t.attach) for t in later) >= 5  # a new file mid-way
    assert sum(not t.calls and not t.record for t in later) >= 1  # a question for words
    names = {n for t in later for n, _ in t.calls}
    assert {"plot_section", "plot_comparison", "geofm_faults", "estimate_wavelet"} <= names


def _train_texts() -> set[str]:
    out = {
        norm(p)
        for t in TASKS
        for i, p in enumerate(t.phrasings)
        if phrasing_split(i, len(t.phrasings)) == "train"
    }
    for c in FOLLOWUPS:
        for k, turn in enumerate(c.turns):
            n = len(turn.phrasings)
            out |= {norm(p) for i, p in enumerate(turn.phrasings) if turn_split(k, i, n) == "train"}
    return out


def test_no_held_out_followup_phrasing_is_a_training_phrasing():
    """A follow-up phrasing of validation or test is nowhere a training phrasing (of a
    task or of another conversation), and every follow-up phrasing is written once."""
    train = _train_texts()
    held = []
    every = []
    for c in FOLLOWUPS:
        for k, turn in enumerate(c.turns):
            n = len(turn.phrasings)
            every += list(turn.phrasings)
            held += [
                norm(p) for i, p in enumerate(turn.phrasings) if turn_split(k, i, n) != "train"
            ]
    assert held and not set(held) & train
    assert len(every) == len(set(every))
    assert {turn_split(0, i, 5) for i in range(5)} == {"train"}  # the first turn: history


def test_every_followup_turn_keeps_a_training_phrasing_apart_from_the_evaluation_sets():
    """The builder draws each turn from its training phrasings that are not near an
    evaluation text; a turn with none left stops the build. Only the turn is named."""
    import itertools

    from finetune.build_data import EVAL_DIR

    guard = LeakageGuard.from_dir(EVAL_DIR)
    empty = []
    for c in FOLLOWUPS:
        keys = list(c.slots)
        combos = [dict(zip(keys, v)) for v in itertools.product(*(c.slots[k] for k in keys))]
        for k, turn in enumerate(c.turns):
            n = len(turn.phrasings)
            train = [p for i, p in enumerate(turn.phrasings) if turn_split(k, i, n) == "train"]
            if not train:
                continue
            for slots in combos or [{}]:
                if all(guard.near(p.format(**slots)) for p in train):
                    empty.append(f"{c.id} turn {k + 1} {slots}")
    assert not empty, empty


def test_rewordings_are_seeded_and_keep_slots_and_numbers():
    phrasings = [p for t in TASKS for p in t.phrasings]
    got = {p: variants(p, 2) for p in phrasings}
    assert got == {p: variants(p, 2) for p in phrasings}  # deterministic
    assert sum(bool(v) for v in got.values()) > 0.95 * len(phrasings)
    for p, vs in got.items():
        for v in vs:
            assert v.lower() != p.lower()
            assert slots_of(v) == slots_of(p), (p, v)
            assert number_units(v) == number_units(p), (p, v)
    assert variants("Denoise it.", 3, seed=1) != variants("Denoise it.", 3, seed=2)


def test_rewordings_cover_units_synonyms_and_registers():
    text = "Please attenuate the random noise with f-x decon up to {f} Hz."
    vs = variants(text, 30)
    joined = " | ".join(vs)
    assert re.search(r"\{f\}(hz| hertz|Hz)\b", joined)  # the unit written another way
    assert re.search(r"suppress|reduce|remove|get rid of|clean up", joined)
    assert re.search(r"fx decon|f-x deconvolution|FX decon|fx-decon", joined)
    assert any(v.startswith(("Hi", "Hello", "Hey", "Quick", "When", "OK")) for v in vs)
    assert number_units("Make 120 traces and 3 faults at 15 hertz") == [
        ("120", "traces"),
        ("3", "faults"),
        ("15", "hz"),
    ]


def test_leakage_guard_drops_a_planted_near_copy(tmp_path):
    planted = "please run fx decon on the stack again and show me the difference"
    (tmp_path / "some_eval.jsonl").write_text(
        json.dumps({"id": "x1", "turns": [{"say": planted}, {"say": "plot it"}]})
        + "\n"
        + json.dumps({"request": "What is a Ricker wavelet?"})
        + "\n"
    )
    guard = LeakageGuard.from_dir(tmp_path)
    assert guard.near("Please run f-x decon on the stack again, and show me the difference!")
    assert guard.near("what is a ricker wavelet")
    assert not guard.near("Make a synthetic with three faults and 20 % dead traces.")
    kept = guard.keep(
        ["Please run FX-decon on the stack again and show me the differences", "AGC it"]
    )
    assert kept == ["AGC it"] and (guard.checked, guard.dropped) == (2, 1)


def test_tool_examples_add_rewordings_to_training_only_and_obey_the_guard(tmp_path):
    from finetune.build_data import tool_examples
    from finetune.tool_tasks import Task

    phrasings = (
        "Make a synthetic line of {n} samples, please.",
        "Could you generate a synthetic with {n} samples?",
        "Create test data: {n} samples per trace.",
        "Synthetic, {n} samples long, for me.",
        "I need a synthetic section with {n} samples.",
    )
    task = Task(
        "tiny",
        "none",
        (("make_synthetic", {"n_traces": 20, "n_samples": "{n}"}),),
        phrasings,
        {"n": (32, 40)},
    )
    guard = LeakageGuard(["Create test data: 32 samples per trace"])
    out = tool_examples(
        [task],
        REGISTRY.schemas(),
        tmp_path,
        random.Random(0),
        progress=False,
        guard=guard,
        variants_per_phrasing=1,
    )
    templates = [r["template"] for r in out["train"]]
    assert "tiny/2" not in templates  # near an evaluation text: left out
    assert any(t.endswith("~1") for t in templates)
    assert not [r for s in ("val", "test") for r in out[s] if "~" in r["template"]]
    assert out["counts"]["dropped_near_eval"] == 1


def test_relative_impedance_arguments_are_covered():
    calls = [a for t in TASKS for n, a in t.calls if n == "invert_impedance"]
    assert any(a.get("method") == "coloured" for a in calls)
    assert {a.get("wavelet") for a in calls} >= {"ricker", "ormsby"}
    assert any("wavelet_hz" in a for a in calls)


@pytest.fixture(scope="module")
def followup_run(tmp_path_factory):
    from finetune.followup_data import followup_examples

    ids = {"fx_plot_it", "wavelet_freq_then_longer", "synth_then_array_snr"}
    convs = [c for c in FOLLOWUPS if c.id in ids]
    return followup_examples(
        convs,
        REGISTRY.schemas(),
        tmp_path_factory.mktemp("scratch"),
        random.Random(0),
        progress=False,
    )


def test_followup_examples_read_the_history_and_their_own_ids(followup_run):
    rows = [r for s in ("train", "val", "test") for r in followup_run[s]]
    assert rows and all(r["turn"] >= 2 for r in rows)
    for r in rows:
        user = next(m["content"] for m in r["messages"] if m["role"] == "user")
        assert user.startswith("Earlier in this conversation:\nTurn 1: ")
        assert set(r["resolved"]) <= set(r["conversation_ids"])
        prompt_ids = set(re.findall(r"ws-\d+", user))
        first = r["gold"][0]["arguments"]
        used = set(re.findall(r"ws-\d+", json.dumps(first)))
        earlier = used & set(r["conversation_ids"])
        assert earlier <= prompt_ids  # every earlier item a call uses is in the prompt
        replies = [json.loads(m["content"]) for m in r["messages"] if m["role"] == "assistant"]
        assert replies[-1] == {"name": "answer", "arguments": {}}
        assert replies[:-1] == r["gold"][:-1]
    # the record answered turn 2 of the wavelet conversation: no example, but turn 3 reads it
    wav = [r for r in rows if r["task"] == "followup/wavelet_freq_then_longer"]
    assert wav and {r["turn"] for r in wav} == {3}
    assert all("answer: From turn 1" in r["messages"][1]["content"] for r in wav)
    # a file attached in turn 2 is shown, and the calls start from it
    new = [r for r in rows if r["task"] == "followup/synth_then_array_snr"]
    assert new and all(r["gold"][0]["name"] == "import_array" for r in new)
    assert followup_run["counts"]["record_turns_run"] >= 1


def test_followup_splits_keep_held_out_phrasings_out_of_training(followup_run):
    def texts(split):
        return {r["messages"][1]["content"].rsplit("Question: ", 1)[1] for r in followup_run[split]}

    train = texts("train")
    assert texts("val") and texts("test")
    assert not (texts("val") | texts("test")) & train
    # a rewording is a training example only
    assert not [r for s in ("val", "test") for r in followup_run[s] if "~" in r["template"]]


def test_routing_context_is_what_chat_shows_the_model(tmp_path):
    """The helper the data builder renders follow-up prompts with gives the messages
    GeoAgent.chat sends the model."""
    from agent.config import AgentConfig
    from agent.fake import ScriptedChatModel
    from agent.loop import GeoAgent, routing_context
    from agent.messages import first_messages
    from tools import Workspace

    model = ScriptedChatModel()
    ws = Workspace(tmp_path / "ws")
    agent = GeoAgent(model, None, config=AgentConfig(workspace=str(ws.root)), workspace=ws)
    model.enqueue_tool_call("make_synthetic", {"n_traces": 20, "n_samples": 32})
    model.enqueue("")
    agent.chat("make a small synthetic")
    before = json.loads(json.dumps(agent.conversation.to_dict()))
    model.enqueue_tool_call("agc", {"data": "ws-1"})
    model.enqueue("")
    agent.chat("now AGC the noisy one and plot it")
    from agent.conversation import Conversation

    conv = Conversation.from_dict(before)
    msg = "now AGC the noisy one and plot it"
    shown, history = routing_context(conv, ws, conv.resolve(msg), [], 480)
    expected = first_messages(msg, (), shown, history)
    assert [m.content for m in model.seen[-2][: len(expected)]] == [m.content for m in expected]
    assert "Earlier in this conversation" in expected[-1].content
