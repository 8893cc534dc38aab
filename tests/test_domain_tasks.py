"""The fine-tuning tasks of the seismology and potential-field routing domains
(finetune/tool_tasks/seismology.py, potential_fields.py): every tool of each domain has
schema-valid gold calls, every plan runs for real with arguments the grammar would
offer, the built examples carry exactly the prompt the agent shows at its second stage,
and no phrasing comes near an evaluation text."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

import tools
from agent.constrained import Grounding
from agent.domains import DOMAINS, REFLECTION
from finetune.tool_tasks import SETUPS, TASKS, Task
from finetune.traces import Trace, resolve, run_plan, setup_files
from tools.registry import ID_KINDS_KEY

REGISTRIES = {d.name: d.registry for d in DOMAINS}
OTHER = {"seismology": tools.SEISMOLOGY, "potential_fields": tools.POTENTIAL_FIELDS}


def _tasks(domain: str) -> list[Task]:
    return [t for t in TASKS if t.domain == domain]


def _combos(task: Task) -> list[dict]:
    keys = list(task.slots)
    return [dict(zip(keys, v)) for v in itertools.product(*(task.slots[k] for k in keys))] or [{}]


def test_the_domains_registries_are_the_agents():
    assert REGISTRIES["seismology"] is tools.SEISMOLOGY
    assert REGISTRIES["potential_fields"] is tools.POTENTIAL_FIELDS
    assert {t.domain for t in TASKS} == set(REGISTRIES)


def test_domain_tasks_follow_every_reflection_task():
    """Appended after the reflection tasks, so the builder's draws for those stay as
    they were."""
    domains = [t.domain for t in TASKS]
    first = domains.index("seismology")
    assert set(domains[:first]) == {REFLECTION}
    assert REFLECTION not in domains[first:]


@pytest.mark.parametrize("domain", list(OTHER))
def test_every_domain_tool_has_tasks_with_schema_valid_calls(domain):
    registry = OTHER[domain]
    tasks = _tasks(domain)
    assert 15 <= len(tasks) <= 35
    used: dict[str, int] = {}
    for task in tasks:
        assert task.setup in SETUPS and len(task.phrasings) >= 8, task.id
        files = [f"ws-{i + 1}" for i in range(len(SETUPS[task.setup]))]
        results = [
            tools.ToolResult(f"call {i}", (tools.Artifact(f"ws-{10 * (i + 1)}", "array", ""),))
            for i in range(len(task.calls))
        ]
        for slots in _combos(task):
            for p in task.phrasings:
                p.format(**slots)  # every slot a phrasing names exists
            for name, args in task.calls:
                resolved = {k: resolve(v, files, results, slots) for k, v in args.items()}
                registry.get(name).validate(resolved)  # a tool of this domain, valid args
        for name in {n for n, _ in task.calls}:
            used[name] = used.get(name, 0) + 1
    assert set(registry.names()) <= set(used), set(registry.names()) - set(used)
    assert min(used.values()) >= 3, used  # every tool in several tasks


def _fits(schema: dict, value) -> bool:
    """Whether the grammar's schema for an argument (:meth:`Grounding.restrict`) admits
    ``value``."""
    for b in schema.get("anyOf", [schema]):
        if "enum" in b:
            for v in b["enum"]:
                numeric = isinstance(v, (int, float)) and isinstance(value, (int, float))
                if (numeric and float(v) == float(value)) or v == value:
                    return True
        elif b.get("type") == "string" and isinstance(value, str):
            return True
        elif b.get("type") == "boolean" and isinstance(value, bool):
            return True
    return False


def assert_offered(label: str, trace: Trace, registry) -> None:
    """Each argument of each gold call is one the grammar offers at that step: a number
    the conversation gave (enums aside), a workspace id shown, of a kind it takes."""
    for k, (name, args) in enumerate(trace.calls):
        grounding = Grounding.from_messages(trace.history(k))
        props = registry.get(name).parameters["properties"]
        for key, value in args.items():
            kept = grounding.restrict(props[key])
            assert kept is not None and _fits(kept, value), (label, name, key, value)
            if isinstance(value, str) and value.startswith("ws-"):
                kinds = next(
                    b[ID_KINDS_KEY]
                    for b in props[key].get("anyOf", [props[key]])
                    if ID_KINDS_KEY in b
                )
                assert grounding.takes(value, kinds), (label, name, key, value)


@pytest.mark.slow
@pytest.mark.parametrize("domain", list(OTHER))
def test_every_domain_gold_plan_runs_with_offered_arguments(domain, tmp_path):
    """Every plan, with every slot combination, runs for real with its domain's tools
    (about 20 s a domain); each phrasing of it, filled in, grounds every argument."""
    registry = OTHER[domain]
    for task in _tasks(domain):
        paths = setup_files(SETUPS[task.setup], tmp_path)
        for slots in _combos(task):
            trace = run_plan("", paths, list(task.calls), slots, registry=registry)
            assert [n for n, _ in trace.calls] == [n for n, _ in task.calls]
            for p in task.phrasings:
                assert_offered(task.id, trace.asked(p.format(**slots)), registry)


def test_the_gravity_station_file_is_absolute_gravity_with_heights(tmp_path):
    """The made setup for gravity_corrections: absolute gravity with heights, modelled at
    the latitude it names; corrected there, only the buried cube's anomaly is left."""
    from finetune.made_files import STATIONS_LATITUDE

    (path,) = setup_files(SETUPS["grav_stations"], tmp_path)
    trace = run_plan(
        "",
        [path],
        [
            ("read_potential_field", {"file": "@f1"}),
            ("gravity_corrections", {"data": "@1", "latitude_deg": STATIONS_LATITUDE}),
        ],
        registry=tools.POTENTIAL_FIELDS,
    )
    read, corrected = trace.results
    assert "with heights" in read.summary
    assert read.metrics["min"] > 978000
    assert 0 <= corrected.metrics["min"] < corrected.metrics["max"] < 1.0  # mGal, the cube


def test_domain_examples_carry_the_agents_second_stage_prompt(scripted_model, tmp_path):
    """A seismology request with a SAC file attached: the agent chooses the seismology
    domain and shows the model, at every decision, exactly the messages of the built
    training example (system prompt with that domain's tool list, request, calls,
    observations)."""
    from agent.chat_model import routing_messages, to_chat_dicts
    from agent.loop import GeoAgent
    from finetune.build_data import tool_examples

    task = next(t for t in TASKS if t.id == "seis_band_pick_arrivals")
    one = Task(task.id, task.setup, task.calls, task.phrasings[:1], task.slots, task.domain)
    out = tool_examples(
        [one],
        tools.SEISMOLOGY.schemas(),
        tmp_path,
        random.Random(0),
        progress=False,
        registry=tools.SEISMOLOGY,
    )
    (example,) = [r for r in out["train"] if r["kind"] == "route"]
    assert example["domain"] == "seismology" and example["setup"] == "sac_teleseism"
    system = example["messages"][0]["content"]
    assert "- read_waveforms(file)" in system and "- bandpass(" not in system

    # the agent, default domains, in a workspace holding as many earlier items as the
    # example's (its ids start after them)
    ws = tools.Workspace(tmp_path / "ws")
    offset = int(example["gold"][0]["arguments"]["file"].removeprefix("ws-")) - 1
    for j in range(offset):
        ws.save_array(np.zeros((2, 16), np.float32), f"earlier result {j + 1}")
    agent = GeoAgent(scripted_model, index=None, workspace=ws)
    for d in example["gold"][:-1]:
        scripted_model.enqueue_tool_call(d["name"], d["arguments"])
    scripted_model.enqueue("")
    question = example["messages"][1]["content"].split("Question: ")[-1]
    paths = setup_files(SETUPS[one.setup], tmp_path)
    agent.ask(question, files=[str(p) for p in paths])

    assert [t["name"] for t in scripted_model.bound_tools] == tools.SEISMOLOGY.names()
    shown = [
        to_chat_dicts(routing_messages(m, scripted_model.bound_tools)) for m in scripted_model.seen
    ]
    assert shown[0][0]["content"] == system  # the stage-2 system prompt, exactly
    assert len(shown) == len(example["gold"])  # one prompt per decision
    assistant_turns = [i for i, m in enumerate(example["messages"]) if m["role"] == "assistant"]
    for prompt, end in zip(shown, assistant_turns):
        assert prompt == example["messages"][:end]


def test_no_domain_phrasing_is_near_an_evaluation_text():
    """No phrasing of a domain task, filled with its first 20 slot combinations, comes
    within 0.8 of any text of any evaluation set (the builder's LeakageGuard); a failure
    names only the training phrasing."""
    from finetune.build_data import EVAL_DIR
    from finetune.leakage import LeakageGuard

    guard = LeakageGuard.from_dir(EVAL_DIR)
    assert len(guard.texts) > 1000
    near = [
        (task.id, p)
        for domain in OTHER
        for task in _tasks(domain)
        for p in task.phrasings
        if any(guard.near(p.format(**c)) for c in _combos(task)[:20])
    ]
    assert near == []


def test_interleave_keeps_the_rows_in_order():
    from finetune.build_data import interleave

    rows = [{"n": i} for i in range(50)]
    extra = [{"x": i} for i in range(20)]
    out = interleave(rows, extra, random.Random(3))
    assert [r for r in out if "n" in r] == rows
    assert sorted(r["x"] for r in out if "x" in r) == list(range(20))
    assert out != rows + extra and out == interleave(rows, extra, random.Random(3))
