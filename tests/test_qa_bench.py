"""The literature QA benchmark: its question files are sound, and its scoring is right."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from benchmarks.qa import DATA, load_questions, page_of, score_answer, summarize

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus" / "default"
DEV = DATA.with_name("qa_literature_dev.jsonl")
DEV2 = DATA.with_name("qa_literature_dev2.jsonl")
DEV3 = DATA.with_name("qa_literature_dev3.jsonl")
RETIRED = DATA.with_name("qa_literature_retired.jsonl")
FROZEN2 = DATA.with_name("qa_literature_2.jsonl")


@pytest.mark.parametrize(
    "path",
    [DATA, FROZEN2, RETIRED, DEV, DEV2, DEV3],
    ids=["frozen", "frozen2", "retired", "dev", "dev2", "dev3"],
)
def test_question_files_are_sound(path):
    qs = load_questions(path)
    assert len({q["id"] for q in qs}) == len(qs)
    covered = [q for q in qs if q["covered"]]
    for q in covered:
        assert 2 <= len(q["concepts"]) <= 3, q["id"]
        for page in q["pages"]:
            assert (CORPUS / page).is_file(), (q["id"], page)
        text = " ".join((CORPUS / p).read_text(encoding="utf-8") for p in q["pages"])
        for alts in q["concepts"]:
            # each concept is stated on an answer page, and a parroted question fails it
            assert any(re.search(r, text, re.I) for r in alts), (q["id"], alts)
            assert not any(re.search(r, q["question"], re.I) for r in alts), (q["id"], alts)
    assert all(not q["pages"] and not q["concepts"] for q in qs if not q["covered"])
    if path in (DATA, FROZEN2, RETIRED):
        assert len(covered) >= 100 and len(qs) - len(covered) >= 15
        folders = {p.name for p in CORPUS.iterdir() if p.is_dir()}
        assert {q["topic"] for q in covered} == folders  # every topic folder


def test_the_sets_share_no_question():
    norm = lambda s: re.sub(r"\W+", " ", s.lower()).strip()  # noqa: E731
    sets = [
        {norm(q["question"]) for q in load_questions(p)}
        for p in (DATA, FROZEN2, RETIRED, DEV, DEV2, DEV3)
    ]
    for i, a in enumerate(sets):
        assert not any(a & b for b in sets[i + 1 :])


Q = {
    "id": "q1",
    "question": "Why x?",
    "covered": True,
    "topic": "seismology",
    "pages": ["seismology/a.md"],
    "concepts": [["half (a )?period"], ["local minim"]],
}


def test_score_answer_needs_every_concept_and_right_pages():
    full = score_answer(
        Q,
        "Events off by half a period reach a local minimum [1].",
        ["/x/corpus/default/seismology/a.md"],
    )
    assert full["rubric"] and full["cited_right"] == full["cited_total"] == 1
    part = score_answer(Q, "Events off by half a period [1].", ["/x/seismology/a.md", "/x/ml/b.md"])
    assert not part["rubric"] and part["concepts"] == [True, False]
    assert (part["cited_right"], part["cited_total"]) == (1, 2)
    refused = score_answer(
        Q,
        "The indexed literature does not cover this question. The closest sources are: A [1].",
        [],
    )
    assert refused["refused"] and not refused["rubric"] and refused["cited_total"] == 1


def test_summarize_counts_rates_with_intervals():
    def row(covered, rubric, refused, right, topic="seismology"):
        return {
            "covered": covered,
            "topic": topic,
            "rubric": rubric,
            "refused": refused,
            "concepts": [rubric, True] if covered else [],
            "cited_right": right,
            "cited_total": 1,
            "recall_at_1": covered,
            "recall_at_k": covered,
            "tool_calls": 0,
            "error": "",
            "seconds": 1.0,
        }

    s = summarize(
        [
            row(True, True, False, 1),
            row(True, False, False, 0),
            row(True, False, True, 0),
            row(False, False, True, 0),
        ]
    )
    assert s["rubric_accuracy"]["k"] == 1 and s["rubric_accuracy"]["n"] == 3
    assert s["citation_precision"]["k"] == 1 and s["citation_precision"]["n"] == 2
    assert s["abstention_uncovered"]["rate"] == 1.0
    assert s["wrongly_refused_covered"]["k"] == 1
    lo, hi = s["rubric_accuracy"]["ci95"]
    assert 0 < lo < 1 / 3 < hi < 1
    assert page_of("C:\\corpus\\default\\ml\\lora.md") == "ml/lora.md"
