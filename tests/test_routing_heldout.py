"""The blind routing sets (benchmarks/data/routing_heldout.jsonl, routing_blind_*.jsonl):
hand-written requests, each set used once to measure a fine-tuned model. No model runs
here.

Fast checks, for each set: enough requests, unique ids, known setups, tools and argument
names from the registry, well-formed references, every tool covered, and no request a
near copy (difflib ratio > 0.8 on lower-case letters and digits) of a training phrasing,
of a request of the main routing benchmark or of another blind set. The slow check runs
every gold plan for real.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from benchmarks.routing import load_requests
from finetune.made_files import MADE
from finetune.tool_tasks import SETUPS
from tests.near_copies import near_copies, norm, training_phrasings
from tools import REGISTRY

DATA = Path(__file__).resolve().parents[1] / "benchmarks" / "data"
HELDOUT = DATA / "routing_heldout.jsonl"
BLIND_1 = DATA / "routing_blind_1.jsonl"
BLIND_2 = DATA / "routing_blind_2.jsonl"
BLIND_3 = DATA / "routing_blind_3.jsonl"
BLIND_4 = DATA / "routing_blind_4.jsonl"
BLIND_5 = DATA / "routing_blind_5.jsonl"
BLIND_6 = DATA / "routing_blind_6.jsonl"
MAIN = DATA / "routing_requests.jsonl"
# each blind set and the fewest requests it must hold
BLIND_SETS = {
    HELDOUT: 60,
    BLIND_1: 80,
    BLIND_2: 80,
    BLIND_3: 80,
    BLIND_4: 80,
    BLIND_5: 80,
    BLIND_6: 80,
}
_blind = pytest.mark.parametrize("path", list(BLIND_SETS), ids=lambda p: p.stem)
_REF = re.compile(r"^@(f?)(\d+)(?:\.(\d+))?$")
_SCHEMAS = {s["name"]: s["parameters"] for s in REGISTRY.schemas()}
# the setups of reflection seismic (the others hold waveform and potential-field files)
REFLECTION_SETUPS = {
    k for k, files in SETUPS.items() if not any(f.startswith("obspy:") or f in MADE for f in files)
}


def _items(path: Path = HELDOUT) -> list[dict]:
    return load_requests(path)


@_blind
def test_heldout_requests_are_well_formed(path):
    items = _items(path)
    assert len(items) >= BLIND_SETS[path]
    ids = [it["id"] for it in items]
    assert len(set(ids)) == len(ids), "duplicate ids"
    for it in items:
        where = it["id"]
        assert set(it) >= {"id", "request", "setup", "calls", "tags"}, where
        assert isinstance(it["request"], str) and it["request"].strip(), where
        assert it["setup"] in SETUPS, (where, it["setup"])
        assert isinstance(it["tags"], list) and all(isinstance(t, str) for t in it["tags"])
        assert ("no_tool" in it["tags"]) == (it["calls"] == []), where
        n_files = len(SETUPS[it["setup"]])
        for n, call in enumerate(it["calls"], 1):
            assert isinstance(call, list) and len(call) == 2, (where, call)
            name, args = call
            assert name in _SCHEMAS, (where, name)
            props = _SCHEMAS[name].get("properties", {})
            assert set(args) <= set(props), (where, name, set(args) - set(props))
            missing = set(_SCHEMAS[name].get("required", [])) - set(args)
            assert not missing, (where, name, missing)
            for key, value in args.items():
                if isinstance(value, str) and value.startswith("@"):
                    m = _REF.match(value)
                    assert m, (where, name, key, value)
                    if m.group(1):
                        assert 1 <= int(m.group(2)) <= n_files, (where, name, key, value)
                    else:
                        assert 1 <= int(m.group(2)) < n, (where, name, key, value)
                enum = props[key].get("enum")
                if enum is not None:
                    assert value in enum, (where, name, key, value)


@_blind
def test_heldout_set_covers_every_tool_and_every_setup(path):
    items = _items(path)
    used = {name for it in items for name, _ in it["calls"]}
    assert set(REGISTRY.names()) <= used, set(REGISTRY.names()) - used
    assert {it["setup"] for it in items} == REFLECTION_SETUPS
    assert sum(not it["calls"] for it in items) >= 5  # some answers need no tool


@pytest.fixture(scope="module")
def training() -> set[str]:
    return {text for _, text in training_phrasings()}


@_blind
def test_no_heldout_request_is_a_near_copy_of_training_or_the_other_sets(path, training):
    requests = [(it["id"], norm(it["request"])) for it in _items(path)]
    close = near_copies(requests, training)
    assert not close, ("close to a training phrasing", [label for label, _, _ in close])
    main = [norm(it["request"]) for it in _items(MAIN)]
    assert len(main) >= 100
    close = near_copies(requests, main)
    assert not close, ("close to a main benchmark request", [label for label, _, _ in close])
    for other in BLIND_SETS:
        if other != path:
            close = near_copies(requests, [norm(it["request"]) for it in _items(other)])
            assert not close, (
                f"close to a request of {other.name}",
                [label for label, _, _ in close],
            )
    texts = [t for _, t in requests]
    assert len(set(texts)) == len(texts), "duplicate requests"


def test_near_copy_check_catches_a_copy():
    main = [norm(it["request"]) for it in _items(MAIN)]
    found = near_copies([("copy", main[0] + " please"), ("other", "zzzz qqqq")], main)
    assert [label for label, _, _ in found] == ["copy"] and found[0][2] > 0.8


@pytest.mark.slow
@_blind
def test_every_heldout_gold_plan_runs_with_grounded_arguments(
    path, shared_data, tmp_path, monkeypatch
):
    """Each gold plan runs for real (as benchmarks.routing does) and every argument it
    passes is one the conversation supports (a number the user or a tool gave, an id
    that was shown, of a kind its argument takes)."""
    from finetune.traces import run_plan, setup_files
    from tests.conftest import REAL_GEOFM_HOME
    from tests.gold_plans import assert_grounded

    items = _items(path)
    if (REAL_GEOFM_HOME / "index" / "default" / "manifest.json").exists():
        monkeypatch.setenv("GEOFM_HOME", str(REAL_GEOFM_HOME))  # search only reads it
    else:
        items = [it for it in items if all(name != "search_literature" for name, _ in it["calls"])]
    for it in items:
        paths = setup_files(SETUPS[it["setup"]], tmp_path)
        assert_grounded(it["id"], run_plan(it["request"], paths, [tuple(c) for c in it["calls"]]))
