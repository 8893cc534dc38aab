"""Benchmark harness: suite parsing (malformed lines reported), answer extraction,
exact scoring with a scripted model, log-likelihood scoring on a tiny model, reports."""

from __future__ import annotations

import json

import pytest

from benchmarks.runner import run_cases, summarize
from benchmarks.scoring import extract_choice, matches, wilson_interval
from benchmarks.suite import load_suite

CHOICES = ("P wave", "S wave", "Love wave", "Rayleigh wave")


@pytest.mark.parametrize("reply, expected", [
    ("B", 1), ("(C)", 2), ("The answer is D.", 3), ("Answer: a", 0),
    ("I think the answer is (B) because shear waves...", 1),
    ("B. S wave", 1), ("It must be the Love wave, which is horizontally polarised.", 2),
    ("**Answer: C**", 2), ("[D]", 3),
])
def test_extract_choice_from_messy_replies(reply, expected):
    assert extract_choice(reply, CHOICES) == expected


@pytest.mark.parametrize("reply", ["", "I am not sure.", "A or B", "waves of all kinds"])
def test_extract_choice_refuses_to_guess(reply):
    assert extract_choice(reply, CHOICES) is None


def test_short_answer_matching():
    assert matches("Roughly 1500 m/s in water.", ("1500 m/s", "1.5 km/s"))
    assert matches("It is the Zoeppritz equations!", ("zoeppritz",))
    assert not matches("15000 m/s", ("1500 m/s",))


def test_wilson_interval():
    lo, hi = wilson_interval(8, 10)
    assert 0.44 < lo < 0.5 and 0.94 < hi < 0.97
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_malformed_lines_reported_and_run_continues(tmp_path):
    f = tmp_path / "s.jsonl"
    f.write_text("\n".join([
        json.dumps({"id": "a", "question": "Q1?", "choices": ["x", "y"], "answer": "B"}),
        "{not json",
        json.dumps({"question": "Q3?", "choices": ["x", "y"], "answer": 5}),
        json.dumps({"id": "d", "question": "Q4?", "answer": "1500 m/s", "tags": ["water"]}),
    ]))
    cases, problems = load_suite(f)
    assert [c.id for c in cases] == ["a", "d"]
    assert problems[0].endswith("s.jsonl:2: not valid JSON (Expecting property name enclosed "
                                "in double quotes)")
    assert "s.jsonl:3" in problems[1] and "out of range" in problems[1]
    assert cases[0].answer_index == 1 and cases[1].aliases == ("1500 m/s",)


def test_formationeval_json(tmp_path):
    f = tmp_path / "fe.json"
    f.write_text(json.dumps([{"question": "Q?", "choices": ["a", "b", "c"],
                              "answer_index": 2}]))
    cases, problems = load_suite(f)
    assert cases[0].answer_index == 2 and problems == []


def test_generate_scoring_is_exact(tmp_path, scripted_model):
    f = tmp_path / "s.jsonl"
    f.write_text("\n".join(json.dumps(c) for c in [
        {"id": "1", "question": "Fastest body wave?", "choices": list(CHOICES), "answer": "A",
         "tags": ["seismology"]},
        {"id": "2", "question": "Shear wave?", "choices": list(CHOICES), "answer": "B",
         "tags": ["seismology"]},
        {"id": "3", "question": "Velocity of water?", "answer": "1500 m/s", "tags": ["rp"]},
        {"id": "4", "question": "Love?", "choices": list(CHOICES), "answer": "C"},
    ]))
    cases, _ = load_suite(f)
    for reply in ["The answer is A.", "C", "about 1500 m/s", "no idea"]:
        scripted_model.enqueue(reply)
    results = run_cases(cases, "generate", chat_model=scripted_model, progress=False)
    assert [r.correct for r in results] == [True, False, True, False]
    assert [r.parse_failed for r in results] == [False, False, False, True]
    s = summarize(results)
    assert s["overall"]["correct"] == 2 and s["overall"]["n"] == 4
    assert s["per_tag"]["seismology"]["accuracy"] == 0.5
    assert s["parse_failures"] == 1
    assert "Fastest body wave?\nA. P wave" in scripted_model.seen[0][1].content


def test_loglik_picks_the_likeliest_choice(tiny_llama, tiny_tokenizer):
    import torch

    from agent.chat_model import LocalChatModel
    from benchmarks.runner import _messages
    from benchmarks.suite import parse_case

    chat = LocalChatModel(hf_model=tiny_llama, tokenizer=tiny_tokenizer)
    case = parse_case({"question": "Which?", "choices": ["gather", "stack", "migrate"],
                       "answer": 0}, "c")
    result = run_cases([case], "loglik", chat_model=chat, progress=False)[0]
    # recompute independently: total log-prob of each "X. choice" continuation
    prompt = chat.encode(_messages(case, None, 4))[0].tolist()
    totals = []
    for i, c in enumerate(case.choices):
        cont = tiny_tokenizer.encode(f"{'ABC'[i]}. {c}", add_special_tokens=False)
        with torch.no_grad():
            logits = tiny_llama(torch.tensor([prompt + cont])).logits[0]
        lp = torch.log_softmax(logits, -1)
        totals.append(sum(float(lp[len(prompt) - 1 + j, t]) for j, t in enumerate(cont)))
    assert result.predicted == "ABC"[max(range(3), key=totals.__getitem__)]
    assert result.correct == (result.predicted == "A")
    best = max(range(3), key=lambda i: totals[i] / len(case.choices[i]))
    assert result.detail == f"acc_norm={int(best == 0)}"


def test_agent_mode_scores_tool_and_checks(scripted_model, workspace):
    import numpy as np

    from agent.loop import GeoAgent
    from benchmarks.suite import parse_case
    from tests.test_agent_loop import scale
    from tools import Registry, Tool

    workspace.save_array(np.ones(3))
    agent = GeoAgent(scripted_model, registry=Registry([Tool.from_function(scale)]),
                     workspace=workspace)
    case = parse_case({"question": "double ws-1", "expect_tool": "scale",
                       "check": {"max": {"min": 1.5, "max": 2.5}}}, "t")
    scripted_model.enqueue_tool_call("scale", {"data": "ws-1", "factor": 2}).enqueue("done")
    scripted_model.enqueue("no tools used")
    good, bad = run_cases([case, case], "agent", agent=agent, progress=False)
    assert good.correct and good.tools == ["scale"]
    assert not bad.correct and "tool wrong" in bad.detail


def test_report_outputs(tmp_path):
    from benchmarks.report import compare, write_outputs
    from benchmarks.runner import CaseResult

    rs = [CaseResult("1", "s", ["a"], True, seconds=0.1), CaseResult("2", "s", ["a"], False)]
    run = {"label": "base", "summary": summarize(rs)}
    paths = write_outputs(tmp_path / "r.json", run)
    assert all(p.exists() for p in paths)
    assert "0.500" in paths[1].read_text()
    table = compare([run, {**run, "label": "lora"}])
    assert "| overall | 0.500" in table and "lora" in table


def test_auto_mode_picks_each_cases_mode(monkeypatch):
    import benchmarks.runner as runner
    from benchmarks.suite import parse_case

    used = []
    for name in ("_loglik", "_generate"):
        monkeypatch.setattr(runner, name, lambda case, *a, name=name: used.append(
            (case.id, name)) or runner.CaseResult(case.id, "", [], True))
    monkeypatch.setattr(runner, "_agent", lambda case, agent: used.append(
        (case.id, "_agent")) or runner.CaseResult(case.id, "", [], True))
    cases = [parse_case({"id": "mc", "question": "Q?", "choices": ["a", "b"], "answer": 0}, "s"),
             parse_case({"id": "short", "question": "Q?", "answer": "x"}, "s"),
             parse_case({"id": "tool", "question": "Denoise", "expect_tool": "fx_decon"}, "s")]
    run_cases(cases, "auto", progress=False)
    assert used == [("mc", "_loglik"), ("short", "_generate"), ("tool", "_agent")]
