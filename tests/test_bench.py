"""Benchmark harness: suite parsing (malformed lines reported), answer extraction,
exact scoring with a scripted model, log-likelihood scoring on a tiny model (the
lm-evaluation-harness framing and the chat one), reports, the lm_eval cross-check's parts."""

from __future__ import annotations

import json

import pytest

from benchmarks.runner import run_cases, summarize
from benchmarks.scoring import extract_choice, matches, wilson_interval
from benchmarks.suite import load_suite

CHOICES = ("P wave", "S wave", "Love wave", "Rayleigh wave")


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("B", 1),
        ("(C)", 2),
        ("The answer is D.", 3),
        ("Answer: a", 0),
        ("I think the answer is (B) because shear waves...", 1),
        ("B. S wave", 1),
        ("It must be the Love wave, which is horizontally polarised.", 2),
        ("**Answer: C**", 2),
        ("[D]", 3),
    ],
)
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
    f.write_text(
        "\n".join(
            [
                json.dumps({"id": "a", "question": "Q1?", "choices": ["x", "y"], "answer": "B"}),
                "{not json",
                json.dumps({"question": "Q3?", "choices": ["x", "y"], "answer": 5}),
                json.dumps({"id": "d", "question": "Q4?", "answer": "1500 m/s", "tags": ["water"]}),
            ]
        )
    )
    cases, problems = load_suite(f)
    assert [c.id for c in cases] == ["a", "d"]
    assert problems[0].endswith(
        "s.jsonl:2: not valid JSON (Expecting property name enclosed in double quotes)"
    )
    assert "s.jsonl:3" in problems[1] and "out of range" in problems[1]
    assert cases[0].answer_index == 1 and cases[1].aliases == ("1500 m/s",)


def test_formationeval_json(tmp_path):
    f = tmp_path / "fe.json"
    f.write_text(json.dumps([{"question": "Q?", "choices": ["a", "b", "c"], "answer_index": 2}]))
    cases, problems = load_suite(f)
    assert cases[0].answer_index == 2 and problems == []


def test_generate_scoring_is_exact(tmp_path, scripted_model):
    f = tmp_path / "s.jsonl"
    f.write_text(
        "\n".join(
            json.dumps(c)
            for c in [
                {
                    "id": "1",
                    "question": "Fastest body wave?",
                    "choices": list(CHOICES),
                    "answer": "A",
                    "tags": ["seismology"],
                },
                {
                    "id": "2",
                    "question": "Shear wave?",
                    "choices": list(CHOICES),
                    "answer": "B",
                    "tags": ["seismology"],
                },
                {"id": "3", "question": "Velocity of water?", "answer": "1500 m/s", "tags": ["rp"]},
                {"id": "4", "question": "Love?", "choices": list(CHOICES), "answer": "C"},
            ]
        )
    )
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


def test_chat_format_loglik_picks_the_likeliest_choice(tiny_llama, tiny_tokenizer):
    import torch

    from agent.chat_model import LocalChatModel
    from benchmarks.runner import _messages
    from benchmarks.suite import parse_case

    chat = LocalChatModel(hf_model=tiny_llama, tokenizer=tiny_tokenizer)
    case = parse_case(
        {"question": "Which?", "choices": ["gather", "stack", "migrate"], "answer": 0}, "c"
    )
    result = run_cases([case], "loglik", chat_model=chat, progress=False, mc_format="chat")[0]
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
    assert result.correct_norm == (best == 0)
    assert result.choice_loglik == pytest.approx(totals, abs=1e-4)


def test_agent_mode_scores_tool_and_checks(scripted_model, workspace):
    import numpy as np

    from agent.loop import GeoAgent
    from benchmarks.suite import parse_case
    from tests.test_agent_loop import scale
    from tools import Registry, Tool

    workspace.save_array(np.ones(3))
    agent = GeoAgent(
        scripted_model, registry=Registry([Tool.from_function(scale)]), workspace=workspace
    )
    case = parse_case(
        {
            "question": "double ws-1",
            "expect_tool": "scale",
            "check": {"max": {"min": 1.5, "max": 2.5}},
        },
        "t",
    )
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
        monkeypatch.setattr(
            runner,
            name,
            lambda case, *a, name=name: (
                used.append((case.id, name)) or runner.CaseResult(case.id, "", [], True)
            ),
        )
    monkeypatch.setattr(
        runner,
        "_agent",
        lambda case, agent: (
            used.append((case.id, "_agent")) or runner.CaseResult(case.id, "", [], True)
        ),
    )
    cases = [
        parse_case({"id": "mc", "question": "Q?", "choices": ["a", "b"], "answer": 0}, "s"),
        parse_case({"id": "short", "question": "Q?", "answer": "x"}, "s"),
        parse_case({"id": "tool", "question": "Denoise", "expect_tool": "fx_decon"}, "s"),
    ]
    run_cases(cases, "auto", progress=False)
    assert used == [("mc", "_loglik"), ("short", "_generate"), ("tool", "_agent")]


# --- multiple choice as lm-evaluation-harness frames it (benchmarks.multiple_choice) ---


def test_harness_context_is_the_harness_template():
    from benchmarks.multiple_choice import harness_context

    assert (
        harness_context("What does NMO correct for?")
        == "Question: What does NMO correct for?\nAnswer:"
    )


def test_harness_loglik_matches_an_independent_recomputation(tiny_llama, tiny_tokenizer):
    """Sum of log p(continuation token) with the continuation " " + choice, tokenized as
    encode(context + continuation) minus encode(context), and no letters anywhere."""
    import torch

    from agent.chat_model import LocalChatModel
    from benchmarks.multiple_choice import harness_context
    from benchmarks.suite import parse_case

    chat = LocalChatModel(hf_model=tiny_llama, tokenizer=tiny_tokenizer)
    case = parse_case(
        {"question": "Which?", "choices": ["gather", "normal moveout", "a"], "answer": 1}, "c"
    )
    result = run_cases([case], "loglik", chat_model=chat, progress=False)[0]  # default
    ctx = tiny_tokenizer.encode("Question: Which?\nAnswer:")
    assert harness_context("Which?") == "Question: Which?\nAnswer:"
    totals = []
    for c in case.choices:
        whole = tiny_tokenizer.encode("Question: Which?\nAnswer: " + c)
        cont = whole[len(ctx) :]
        with torch.no_grad():
            lp = torch.log_softmax(tiny_llama(torch.tensor([ctx + cont])).logits[0], -1)
        totals.append(sum(float(lp[len(ctx) - 1 + j, t]) for j, t in enumerate(cont)))
    assert result.choice_loglik == pytest.approx(totals, abs=1e-4)
    best = max(range(3), key=totals.__getitem__)
    best_norm = max(range(3), key=lambda i: totals[i] / len(case.choices[i]))
    assert result.predicted == "ABC"[best] and result.correct == (best == 1)
    assert result.correct_norm == (best_norm == 1)


class _UniformLM:
    """Every next token equally likely: a continuation's summed log-likelihood is
    -n_tokens * log(V), so the rules differ exactly where token and character counts do."""

    def __init__(self, vocab: int):
        from types import SimpleNamespace

        self.vocab = vocab
        self.config = SimpleNamespace(max_position_embeddings=512, vocab_size=vocab)

    def __call__(self, ids, attention_mask=None, **kw):
        from types import SimpleNamespace

        import torch

        return SimpleNamespace(logits=torch.zeros((*ids.shape, self.vocab)))  # (B, T, V)


def test_acc_and_acc_norm_differ_on_a_long_likelier_per_character_choice(tiny_tokenizer):
    import math

    from agent.chat_model import LocalChatModel
    from benchmarks.suite import parse_case

    short, long = "xq", "normal moveout correction flattens reflections"
    ctx = tiny_tokenizer.encode("Question: Which?\nAnswer:")
    n_tok = [
        len(tiny_tokenizer.encode(f"Question: Which?\nAnswer: {c}")) - len(ctx)
        for c in (short, long)
    ]
    # the construction: the long choice costs more in total but less per character
    assert n_tok[1] > n_tok[0] and n_tok[1] / len(long) < n_tok[0] / len(short)
    v = len(tiny_tokenizer)
    chat = LocalChatModel(hf_model=_UniformLM(v), tokenizer=tiny_tokenizer)
    case = parse_case({"question": "Which?", "choices": [short, long], "answer": 1}, "c")
    r = run_cases([case], "loglik", chat_model=chat, progress=False)[0]
    assert r.choice_loglik == pytest.approx([-n * math.log(v) for n in n_tok], rel=1e-5)
    assert r.predicted == "A" and not r.correct  # acc: the larger sum
    assert r.correct_norm  # acc_norm: the larger sum per character
    s = summarize([r])
    assert s["overall"]["accuracy"] == 0.0 and s["acc_norm"]["overall"]["accuracy"] == 1.0


def test_predictions_rules_and_ties():
    from benchmarks.multiple_choice import predictions

    # sum: -6 beats -11.5; per character: -11.5/23 = -0.5 beats -6/6 = -1
    assert predictions([-6.0, -11.5], ["P wave", "compressional body wave"]) == {
        "acc": 0,
        "acc_norm": 1,
    }
    assert predictions([-1.0, -1.0], ["ab", "cd"]) == {"acc": 0, "acc_norm": 0}  # first wins


def test_unknown_mc_format_is_refused():
    with pytest.raises(ValueError, match="harness"):
        run_cases([], "loglik", mc_format="letters", progress=False)


def test_report_table_has_acc_norm_column():
    from benchmarks.report import table
    from benchmarks.runner import CaseResult

    rs = [
        CaseResult("1", "s", ["a"], True, correct_norm=False),
        CaseResult("2", "s", ["a"], False, correct_norm=False),
    ]
    text = table(summarize(rs))
    assert "| acc_norm [95% CI] |" in text
    assert "| **overall** | 0.500 [0.09–0.91] (n=2) | 0.000 [0.00–0.66] (n=2) |" in text


# --- the lm_eval cross-check's pieces (the run itself is the slow test below) ---


def test_lm_eval_task_yaml_frames_questions_like_our_scorer():
    import yaml

    from benchmarks.lm_eval_check import TASK_YAML
    from benchmarks.multiple_choice import TARGET_DELIMITER, harness_context

    task = yaml.safe_load(TASK_YAML.read_text())
    assert task["output_type"] == "multiple_choice"
    assert task["doc_to_text"].replace("{{question}}", "Q?") == harness_context("Q?")
    assert task.get("target_delimiter", " ") == TARGET_DELIMITER
    assert task.get("num_fewshot", 0) == 0 and not task.get("description")
    assert {m["metric"] for m in task["metric_list"]} == {"acc", "acc_norm"}


def test_lm_eval_check_suite_file_filters_a_domain(tmp_path):
    from benchmarks.lm_eval_check import suite_file

    fe = tmp_path / "fe.json"
    fe.write_text(
        json.dumps(
            [
                {
                    "id": "g1",
                    "domains": ["Geophysics"],
                    "question": "Q1?",
                    "choices": ["a", "b"],
                    "answer_index": 1,
                },
                {
                    "id": "p1",
                    "domains": ["Petrophysics"],
                    "question": "Q2?",
                    "choices": ["a", "b"],
                    "answer_index": 0,
                },
            ]
        )
    )
    out = suite_file(fe, "Geophysics", None, tmp_path)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows == [{"id": "g1", "question": "Q1?", "choices": ["a", "b"], "answer": "B"}]
    jsonl = tmp_path / "s.jsonl"
    jsonl.write_text(json.dumps(rows[0]) + "\n")
    assert suite_file(jsonl, None, None, tmp_path) == jsonl  # used as it is


def test_lm_eval_check_agreement():
    from benchmarks.lm_eval_check import compare_runs

    ours = {
        "acc": {"correct": 1, "n": 2},
        "acc_norm": {"correct": 1, "n": 2},
        "cases": [
            {"id": "a", "acc": 1, "acc_norm": 0, "loglik": [-1.0, -2.0]},
            {"id": "b", "acc": 0, "acc_norm": 1, "loglik": [-3.0, -1.0]},
        ],
    }
    theirs = {
        "acc": 0.5,
        "acc_norm": 0.5,
        "cases": [
            {"acc": 1, "acc_norm": 0, "loglik": [-1.00001, -2.0]},
            {"acc": 0, "acc_norm": 1, "loglik": [-3.0, -1.0]},
        ],
    }
    c = compare_runs(ours, theirs)
    assert c["agree"] and c["max_abs_loglik_diff"] == pytest.approx(1e-5, rel=1e-2)
    assert c["questions_acc_differs"] == []
    theirs["acc"] = 0.48
    assert not compare_runs(ours, theirs)["agree"]


@pytest.mark.slow
def test_lm_eval_agrees_with_our_scorer_on_the_real_model(tmp_path, monkeypatch):
    """lm_eval itself on the first 16 questions of geophysics_mc.jsonl, raw embedded model."""
    pytest.importorskip("lm_eval")
    from benchmarks.lm_eval_check import main
    from tests.conftest import REAL_GEOFM_HOME

    monkeypatch.setenv("GEOFM_HOME", str(REAL_GEOFM_HOME))  # the prepared model there
    out = tmp_path / "check.json"
    assert main(["--adapter", "none", "--limit", "16", "--threads", "1", "--out", str(out)]) == 0
    run = json.loads(out.read_text())["runs"][0]
    assert run["n"] == 16 and run["agreement"]["agree"]
    assert run["agreement"]["max_abs_loglik_diff"] < 1e-2


class _Passages:
    """An index stand-in: search returns fixed passages; evidence scores by keyword."""

    def __init__(self, texts, keyword="stack"):
        self.texts, self.keyword, self.queries = texts, keyword, []

    def search(self, query, k=4):
        from types import SimpleNamespace

        self.queries.append(query)
        score = 0.9 if self.keyword in query else 0.4
        return [
            SimpleNamespace(text=t, title=f"p{i}", score=score, chunk_id=f"c{i}")
            for i, t in enumerate(self.texts[:k])
        ]


def test_rag_format_scores_choices_after_the_passages(tiny_llama, tiny_tokenizer):
    import torch

    from agent.chat_model import LocalChatModel
    from benchmarks.multiple_choice import rag_context
    from benchmarks.suite import parse_case

    index = _Passages(["Stacking  sums traces\nafter NMO.", "Migration moves dips."])
    chat = LocalChatModel(hf_model=tiny_llama, tokenizer=tiny_tokenizer)
    case = parse_case(
        {"question": "Which?", "choices": ["gather", "stack", "migrate"], "answer": 1}, "c"
    )
    r = run_cases(
        [case], "loglik", chat_model=chat, index=index, k=2, progress=False, mc_format="rag"
    )[0]
    context = rag_context(index.search("Which?", k=2), "Which?")
    assert context == (
        "Stacking sums traces after NMO.\n\nMigration moves dips.\n\nQuestion: Which?\nAnswer:"
    )
    ctx = tiny_tokenizer.encode(context)
    totals = []
    for c in case.choices:  # the whole sequence at once, no cache: an independent check
        cont = tiny_tokenizer.encode(f"{context} {c}")[len(ctx) :]
        with torch.no_grad():
            lp = torch.log_softmax(tiny_llama(torch.tensor([ctx + cont])).logits[0], -1)
        totals.append(sum(float(lp[len(ctx) - 1 + j, t]) for j, t in enumerate(cont)))
    assert r.choice_loglik == pytest.approx(totals, abs=1e-4)
    assert r.predicted == "ABC"[max(range(3), key=totals.__getitem__)]


def test_rag_context_keeps_to_its_budget():
    from types import SimpleNamespace

    from benchmarks.multiple_choice import rag_context

    passages = [
        SimpleNamespace(text="a" * 900),
        SimpleNamespace(text="b" * 900),
        SimpleNamespace(text="c" * 900),
    ]
    ctx = rag_context(passages, "Q?", budget=1500)
    assert ctx.count("a") == 900 and ctx.count("b") == 600 and "c" not in ctx
    assert ctx.endswith("Question: Q?\nAnswer:")


def test_evidence_format_picks_the_choice_the_literature_supports():
    from benchmarks.suite import parse_case

    index = _Passages(["Stacking sums traces."], keyword="stack")
    case = parse_case(
        {
            "question": "Which step sums NMO-corrected traces?",
            "choices": ["migrate", "stack", "gather"],
            "answer": 1,
        },
        "c",
    )
    r = run_cases(
        [case], "loglik", chat_model=None, index=index, progress=False, mc_format="evidence"
    )[0]
    assert r.predicted == "B" and r.correct and r.correct_norm is None
    assert r.choice_loglik == [0.4, 0.9, 0.4]
    assert index.queries == [f"{case.question} {c}" for c in case.choices]
    assert "acc_norm" not in summarize([r])


def test_retrieval_formats_need_the_index():
    from benchmarks.suite import parse_case

    case = parse_case({"question": "Which?", "choices": ["a", "b"], "answer": 0}, "c")
    r = run_cases(
        [case], "loglik", chat_model=None, index=None, progress=False, mc_format="evidence"
    )[0]
    assert not r.correct and "drop --no-retrieval" in r.detail


def test_formationeval_domains_are_tags():
    from benchmarks.suite import parse_case

    case = parse_case(
        {
            "question": "Q?",
            "choices": ["a", "b"],
            "answer_index": 0,
            "domains": ["Geophysics", "Petrophysics"],
        },
        "c",
    )
    assert case.tags == ("Geophysics", "Petrophysics")
