"""The follow-up benchmark: its frozen data is well formed, and its scorer scores a
scripted model exactly (right calls, a wrong id, a tool call for a record question)."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import followups
from tools import REGISTRY

CONVERSATIONS = [
    {
        "id": "t-1",
        "topic": "chain",
        "turns": [
            {
                "request": "bandpass this 10-40 Hz",
                "attach": ["line.npy"],
                "calls": [["bandpass", {"data": "ws-1", "low_hz": 10, "high_hz": 40}]],
                "ids": ["ws-1"],
            },
            {
                "request": "now plot it",
                "attach": [],
                "calls": [["plot_section", {"data": "ws-2"}]],
                "ids": ["ws-2"],
            },
            {
                "request": "What was the SNR gain?",
                "attach": [],
                "calls": [],
                "ids": [],
                "answer_contains": "snr_est_gain_db",
            },
        ],
    }
]


@pytest.fixture
def data_dir(tmp_path):
    np.save(
        tmp_path / "line.npy", np.random.default_rng(0).normal(size=(24, 120)).astype(np.float32)
    )
    return tmp_path


def test_gold_calls_score_one(data_dir):
    report = followups.run(followups.gold_model, CONVERSATIONS, data_dir, progress=False)
    turns = report["all_turns"]
    assert turns["routing"]["k"] == turns["routing"]["n"] == 3
    assert turns["arguments"]["k"] == turns["arguments"]["n"] == 2
    assert turns["workspace_ids"]["k"] == turns["workspace_ids"]["n"] == 2
    assert turns["record_answers"]["k"] == turns["record_answers"]["n"] == 1
    assert report["conversation_right"]["k"] == 1 and report["gold_failures"] == []
    assert report["follow_up_turns"]["turns"] == 2
    assert "routing" in followups.brief({"model": "gold", **report})


def test_wrong_id_wrong_argument_and_needless_call_are_counted(data_dir):
    from agent.fake import ScriptedChatModel

    def model_for(turn):
        m = ScriptedChatModel()
        if turn["request"].startswith("bandpass"):
            # an order the request does not name: a wrong argument
            m.enqueue_tool_call(
                "bandpass", {"data": "ws-1", "low_hz": 10, "high_hz": 40, "order": 8}
            )
        elif turn["request"].startswith("now plot"):
            m.enqueue_tool_call("plot_section", {"data": "ws-1"})  # the raw line, not ws-2
        return m.enqueue("")

    report = followups.run(model_for, CONVERSATIONS, data_dir, progress=False)
    turns = report["all_turns"]
    # arguments include the data ids: turn 1 has a wrong order, turn 2 the wrong section
    assert (turns["routing"]["k"], turns["arguments"]["k"], turns["workspace_ids"]["k"]) == (
        3,
        0,
        1,
    )
    rows = report["rows"][0]["turns"]
    assert rows[0]["args_ok"] is False and rows[1]["taken_ids"] == ["ws-1"]
    assert rows[2]["answer_ok"] is True  # answered from the record, no model call
    assert report["conversation_right"]["k"] == 0
    lo, hi = turns["routing"]["ci95"]
    assert 0.3 < lo < 1.0 and hi == 1.0

    def needless(turn):
        m = ScriptedChatModel()
        for name, args in turn["calls"] or [["measure_snr", {"data": "ws-2"}]]:
            m.enqueue_tool_call(name, args)
        return m.enqueue("")

    asked = [
        dict(
            CONVERSATIONS[0],
            turns=[
                CONVERSATIONS[0]["turns"][0],
                dict(CONVERSATIONS[0]["turns"][2], request="SNR gain, please"),
            ],
        )
    ]
    report = followups.run(needless, asked, data_dir, progress=False)
    row = report["rows"][0]["turns"][1]
    assert row["routing_ok"] is False and row["answer_ok"] is False and not row["ok"]


@pytest.mark.parametrize(
    "name",
    [
        "followups_blind_1.jsonl",
        "followups_blind_2.jsonl",
        "followups_blind_3.jsonl",
        "followups_blind_4.jsonl",
        "followups_blind_5.jsonl",
        "followups_blind_6.jsonl",
        "followups_blind_7.jsonl",
        "followups_blind_8.jsonl",
    ],
)
def test_the_frozen_set_is_well_formed(shared_data, name):
    convs = followups.load_conversations(followups.DATA.parent / name)
    assert len(convs) >= 60 and len({c["id"] for c in convs}) == len(convs)
    assert {c["topic"] for c in convs} >= {"parameter", "replot", "chain", "record", "new_file"}
    names = set(REGISTRY.names())
    for c in convs:
        assert 2 <= len(c["turns"]) <= 5, c["id"]
        assert any(t["attach"] for t in c["turns"][1:]) or c["topic"] != "new_file", c["id"]
        for t in c["turns"]:
            for path in t["attach"]:
                assert (shared_data / path).is_file(), path
            named = {
                i for _, a in t["calls"] for v in a.values() if isinstance(v, str) for i in [v]
            }
            assert set(t["ids"]) <= named, (c["id"], t["request"])
            for name, args in t["calls"]:
                assert name in names
                REGISTRY.get(name).validate(args)
            if not t["calls"]:
                assert t.get("answer_contains"), (c["id"], t["request"])
