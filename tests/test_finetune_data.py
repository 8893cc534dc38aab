"""Fine-tuning data: the tool tasks cover every tool with schema-valid calls; traces run
the real tools; decisions are scored on tool and arguments; routing benchmark plumbing."""

from __future__ import annotations

import json

import pytest

import tools
from finetune.tool_tasks import SETUPS, TASKS
from finetune.traces import arguments_match, resolve, run_plan, score_decision
from tools import REGISTRY, Artifact, ToolResult


def _dummy_results(n: int) -> list[ToolResult]:
    return [
        ToolResult(
            f"call {i}", tuple(Artifact(f"ws-{10 * (i + 1) + k}", "array", "") for k in range(4))
        )
        for i in range(n)
    ]


def test_every_registered_tool_has_tasks_with_schema_valid_calls():
    """Every reflection tool has tasks; every task's calls are valid for the tools of its
    routing domain (tests/test_domain_tasks.py checks the other domains in depth)."""
    from agent.domains import DOMAINS

    registries = {d.name: d.registry for d in DOMAINS}
    used = {name for t in TASKS if t.domain == "reflection" for name, _ in t.calls}
    assert set(REGISTRY.names()) <= used, set(REGISTRY.names()) - used
    for task in TASKS:
        assert task.setup in SETUPS and task.phrasings
        files = [f"ws-{i + 1}" for i in range(len(SETUPS[task.setup]))]
        slots = {k: v[0] for k, v in task.slots.items()}
        for p in task.phrasings:
            p.format(**slots)  # every slot a phrasing names exists
        results = _dummy_results(len(task.calls))
        for name, args in task.calls:
            resolved = {k: resolve(v, files, results, slots) for k, v in args.items()}
            registries[task.domain].get(name).validate(resolved)  # raises on a bad call


def test_run_plan_records_real_observations_and_ids():
    trace = run_plan(
        "make a line and denoise it",
        [],
        [
            ("make_synthetic", {"n_traces": 40, "n_samples": 64}),
            ("fx_decon", {"data": "@1", "win_traces": 20, "win_ms": 128.0, "figure": False}),
        ],
        offset=2,
    )
    assert trace.calls[0][1]["n_traces"] == 40
    assert trace.calls[1][1]["data"] == "ws-3"  # two earlier items, then the noisy line
    assert [d["name"] for d in trace.decisions] == ["make_synthetic", "fx_decon", "answer"]
    assert len(trace.history(0)) == 2 and len(trace.history(2)) == 6
    assert "f-x decon ws-3 -> ws-" in trace.messages[-1].content
    again = trace.asked("other words")
    assert again.messages[1].content.endswith("Question: other words")
    assert again.messages[2:] == trace.messages[2:]


def test_route_example_is_the_routing_prompt_with_json_decisions():
    from finetune.build_data import answer_text, route_example

    trace = run_plan(
        "make a synthetic", [], [("make_synthetic", {"n_traces": 20, "n_samples": 32})]
    )
    msgs = route_example(trace, REGISTRY.schemas())
    assert "- fx_decon(data)" in msgs[0]["content"]
    replies = [json.loads(m["content"]) for m in msgs if m["role"] == "assistant"]
    assert replies == [
        {"name": "make_synthetic", "arguments": {"n_traces": 20, "n_samples": 32}},
        {"name": "answer", "arguments": {}},
    ]
    assert "noisy ws-1" in answer_text(trace)


def test_splits_share_no_template():
    from finetune.build_data import split_of
    from finetune.tool_tasks.base import phrasing_split

    assert {phrasing_split(i, 7) for i in range(7)} == {"train", "val", "test"}
    assert [phrasing_split(i, 3) for i in range(3)] == ["train"] * 3
    assert split_of("doc:a.md") == split_of("doc:a.md")


@pytest.mark.parametrize(
    "pred, ok",
    [
        ({"data": "ws-2", "low_hz": 10, "high_hz": 50.0}, True),
        ({"data": "ws-2", "low_hz": 10, "high_hz": 50, "order": 4}, True),  # a default, given
        ({"data": "ws-2", "low_hz": 10, "high_hz": 50, "order": 6}, False),  # a value not asked
        ({"data": "ws-2", "low_hz": 10}, False),
        ({"data": "ws-3", "low_hz": 10, "high_hz": 50}, False),
    ],
)
def test_arguments_match(pred, ok):
    schema = REGISTRY.get("bandpass").parameters
    assert arguments_match(pred, {"data": "ws-2", "low_hz": 10.0, "high_hz": 50.0}, schema) is ok


def test_score_decision():
    schemas = {s["name"]: s for s in REGISTRY.schemas()}
    gold = {"name": "agc", "arguments": {"data": "ws-2"}}
    assert score_decision({"name": "agc", "arguments": {"data": "ws-2"}}, gold, schemas) == (
        True,
        True,
    )
    assert score_decision({"name": "agc", "arguments": {"data": "ws-9"}}, gold, schemas) == (
        True,
        False,
    )
    assert score_decision({"name": "bandpass", "arguments": {}}, gold, schemas) == (False, False)
    assert score_decision(None, gold, schemas) == (False, False)


def test_grounded_answers():
    from finetune.evaluate import _valid_call, grounded

    assert grounded("NMO flattens events [2].", [2, 3])
    assert not grounded("NMO flattens events [1].", [2])
    assert not grounded("NMO flattens events.", [2])
    assert grounded("The retrieved passages do not answer this question.", [])
    assert _valid_call('{"name":"agc","arguments":{"data":"ws-2"}}')
    assert not _valid_call('{"name":"agc","arguments":{"data":"two"}}')
    assert not _valid_call('{"name":"agc"')


class _GoldChat:
    """Answers every routing decision with the gold one, to test the benchmark's plumbing."""

    model_name = "gold"
    max_new_tokens = 16

    def __init__(self, decisions):
        self.queue = list(decisions)

    def decide(self, messages, tools):
        d = self.queue.pop(0)
        return json.dumps(d), d


def test_routing_benchmark_scores_gold_decisions_as_right():
    from benchmarks.routing import run

    items = [
        {
            "id": "t1",
            "request": "make a synthetic",
            "setup": "none",
            "calls": [["make_synthetic", {"n_traces": 30, "n_samples": 40}]],
        },
        {"id": "t2", "request": "hello", "setup": "none", "calls": []},
    ]
    gold = [
        {"name": "make_synthetic", "arguments": {"n_traces": 30, "n_samples": 40}},
        {"name": "answer", "arguments": {}},
        {"name": "answer", "arguments": {}},
    ]
    report = run(_GoldChat(gold), items, progress=False)
    assert report["decisions"] == 3
    assert report["routing_accuracy"] == report["plan_accuracy"] == 1.0
    bad = [dict(gold[0], arguments={"n_traces": 31, "n_samples": 40})] + gold[1:]
    report = run(_GoldChat(bad), items, progress=False)
    assert report["routing_accuracy"] == 1.0 and report["argument_accuracy"] == 0.0
    assert report["plan_accuracy"] == 0.5


def test_tool_examples_expand_phrasings_and_skip_tasks_that_cannot_run(tmp_path, monkeypatch):
    import random

    monkeypatch.setenv("GEOFM_VISION_WEIGHTS", str(tmp_path))  # no GeoFM weights

    from finetune.build_data import tool_examples
    from finetune.tool_tasks import Task

    tasks = [
        Task(
            "tiny_synth",
            "none",
            (("make_synthetic", {"n_traces": 20, "n_samples": "{n}"}),),
            ("Make a line of {n} samples.",),
            {"n": (32, 40, 48)},
        ),
        Task("tiny_chat", "none", (), ("Hello?",)),
        Task(
            "needs_weights",
            "none",
            (("geofm_denoise", {"data": "ws-1"}),),
            ("Denoise with the GeoFM.",),
        ),
    ]
    out = tool_examples(
        tasks, REGISTRY.schemas(), tmp_path, random.Random(0), combos=2, progress=False
    )
    routes = [r for r in out["train"] if r["kind"] == "route"]
    assert sorted(r["task"] for r in routes) == [
        "tiny_chat",
        "tiny_chat",
        "tiny_synth",
        "tiny_synth",
    ]
    sizes = {
        r["gold"][0]["arguments"].get("n_samples") for r in routes if r["task"] == "tiny_synth"
    }
    assert len(sizes) == 2  # two different slot values
    assert list(out["skipped"]) == ["needs_weights"]
    # a no-tool task without a fixed reply (chat, no_file) trains its routing only
    assert not [r for r in out["train"] if r["kind"] == "answer" and r["task"] == "tiny_chat"]


def test_no_training_phrasing_is_a_near_copy_of_a_benchmark_request():
    """The routing benchmark is hand-written apart from the tasks: no phrasing, filled
    with any of its task's first 20 slot combinations, may be within 0.8 (difflib ratio
    on lower-case letters and digits) of a benchmark request."""
    from benchmarks.routing import load_requests
    from tests.near_copies import near_copies, norm, training_phrasings

    requests = [norm(it["request"]) for it in load_requests()]
    assert len(requests) >= 100
    assert near_copies(training_phrasings(), requests) == []


def test_cited_replies_drop_the_chunk_prefix():
    """The qa replies quote a passage's text, not its "Title — Section: " lead-in (a model
    trained on the lead-in learns to repeat it)."""
    from types import SimpleNamespace

    from finetune.build_data import _body

    hit = lambda title, section, text: SimpleNamespace(  # noqa: E731
        title=title, section=section, text=text
    )
    assert (
        _body(hit("CMP stacking", "Fold", "CMP stacking — Fold: Each point is hit: often."))
        == "Each point is hit: often."
    )
    assert _body(hit("Q: attenuation", "Basics", "Q: attenuation — Basics: Loss.")) == "Loss."
    # a section title that holds ": " itself: the body starts after the title, not at its colon
    assert (
        _body(
            hit(
                "Gardner",
                "Gardner's relation: density from velocity",
                "Gardner — Gardner's relation: density from velocity: rho = a V^b.",
            )
        )
        == "rho = a V^b."
    )
    assert _body(hit("Gardner", "", "Gardner: Density from velocity.")) == "Density from velocity."
    assert _body(hit("Gardner", "", "No prefix here.")) == "No prefix here."


def test_every_phrasing_is_written_once():
    """A phrasing listed twice could land in train and in test (splits go by position)."""
    from collections import Counter

    counts = Counter(p for task in TASKS for p in task.phrasings)
    assert [p for p, n in counts.items() if n > 1] == []


def test_cited_replies_quote_sentences_not_list_labels():
    """Cited replies quote sentences, not a bold label or a list item ("What is missing.",
    "- First breaks.") as if it were the answer."""
    from finetune.build_data import _sentences

    text = (
        "**What is missing.** - First breaks. Reflection data lack the lowest "
        "frequencies below about 5 Hz in most surveys. Gardner et al. (1974) fit "
        "density as a power of P velocity for brine sands and shales. Short one."
    )
    assert _sentences(text, 2) == (
        "Reflection data lack the lowest frequencies below about 5 Hz in most surveys. "
        "Gardner et al. (1974) fit density as a power of P velocity for brine sands and "
        "shales."
    )
    assert _sentences("Only a label.", 1) == "Only a label."  # nothing better: keep it


def test_route_rows_are_scored_among_their_domains_tools():
    from finetune.evaluate import _valid_call, route_schemas

    assert set(route_schemas("seismology")) == set(tools.SEISMOLOGY.names())
    assert set(route_schemas("potential_fields")) == set(tools.POTENTIAL_FIELDS.names())
    assert set(route_schemas("reflection")) == set(REGISTRY.names())
    with pytest.raises(ValueError, match="unknown routing domain"):
        route_schemas("astrology")
    assert _valid_call('{"name":"read_waveforms","arguments":{"file":"ws-1"}}')
