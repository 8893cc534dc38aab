"""Run cases in one of three modes and score them.

- ``loglik``: multiple choice by the log-likelihood of each choice (acc and acc_norm),
  framed as lm-evaluation-harness does (``mc_format="harness"``), the same after the
  retrieved passages (``"rag"``), or with geofm's chat prompt (``"chat"``); or by the
  literature's evidence for each choice, without a language model (``"evidence"``).
  See benchmarks.multiple_choice. The likelihood framings need a local transformers model.
- ``generate``: the model writes a reply; the choice or short answer is extracted.
- ``agent``: the full loop (retrieval, tools); scores the tool chosen, numeric checks on
  the tool's metrics, and the answer when the case has one.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from agent.steps import ToolCall, ToolOutput, to_passages
from benchmarks.multiple_choice import (
    LM_FORMATS,
    MC_FORMATS,
    chat_logliks,
    evidence_scores,
    harness_logliks,
    predictions,
)
from benchmarks.scoring import extract_choice, matches, wilson_interval
from benchmarks.suite import LETTERS, Case
from common.errors import BadInputError

__all__ = ["CaseResult", "run_cases", "summarize", "choice_prompt"]


@dataclass
class CaseResult:
    id: str
    suite: str
    tags: list[str]
    correct: bool
    predicted: Any = None
    expected: Any = None
    parse_failed: bool = False
    seconds: float = 0.0
    tools: list[str] = field(default_factory=list)
    detail: str = ""
    correct_norm: bool | None = None  # acc_norm, log-likelihood multiple choice only
    choice_loglik: list[float] = field(default_factory=list)  # one score per choice

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def choice_prompt(case: Case) -> str:
    lines = [case.question] + [f"{LETTERS[i]}. {c}" for i, c in enumerate(case.choices)]
    return "\n".join(lines) + "\nAnswer with the letter of the correct choice."


def _passages(index, question: str, k: int):
    if index is None:
        return ()
    return to_passages(index.search(question, k=k))


def _messages(case: Case, index, k: int):
    from agent.messages import first_messages

    question = choice_prompt(case) if case.is_choice else case.question
    return first_messages(question, _passages(index, case.question, k), [])


def _loglik(case: Case, chat_model, index, k: int, mc_format: str = "harness") -> CaseResult:
    """Multiple choice scored in ``mc_format`` (benchmarks.multiple_choice): ``correct``
    is acc, ``correct_norm`` acc_norm (None for ``evidence``, which has no such variant)."""
    assert case.answer_index is not None  # a multiple-choice case (suite.parse_case)
    if mc_format in LM_FORMATS and getattr(chat_model, "hf_model", None) is None:
        raise BadInputError(
            "log-likelihood scoring of multiple-choice cases needs a local "
            "model on the transformers backend; drop --backend llamacpp, "
            "use --mode generate, or --mc-format evidence"
        )
    if mc_format in ("rag", "evidence") and index is None:
        raise BadInputError(f"--mc-format {mc_format} reads the literature; drop --no-retrieval")
    if mc_format == "evidence":
        scores = evidence_scores(index, case.question, case.choices)
        pred = predictions(scores, case.choices)["acc"]
        return CaseResult(
            case.id,
            case.suite,
            list(case.tags),
            pred == case.answer_index,
            LETTERS[pred],
            LETTERS[case.answer_index],
            choice_loglik=scores,
        )
    if mc_format in ("harness", "rag"):
        passages = _passages(index, case.question, k) if mc_format == "rag" else ()
        lls = harness_logliks(
            chat_model.hf_model, chat_model.tokenizer, case.question, case.choices, passages
        )
    else:
        lls = chat_logliks(chat_model, chat_model.encode(_messages(case, index, k)), case.choices)
    pred = predictions(lls, case.choices)
    return CaseResult(
        case.id,
        case.suite,
        list(case.tags),
        pred["acc"] == case.answer_index,
        LETTERS[pred["acc"]],
        LETTERS[case.answer_index],
        correct_norm=pred["acc_norm"] == case.answer_index,
        choice_loglik=lls,
        detail=f"acc_norm={int(pred['acc_norm'] == case.answer_index)}",
    )


def _generate(case: Case, chat_model, index, k: int) -> CaseResult:
    reply = str(chat_model.invoke(_messages(case, index, k)).content)
    if case.is_choice:
        assert case.answer_index is not None  # a multiple-choice case (suite.parse_case)
        pred = extract_choice(reply, case.choices)
        return CaseResult(
            case.id,
            case.suite,
            list(case.tags),
            pred == case.answer_index,
            None if pred is None else LETTERS[pred],
            LETTERS[case.answer_index],
            parse_failed=pred is None,
            detail=reply[:300],
        )
    return CaseResult(
        case.id,
        case.suite,
        list(case.tags),
        matches(reply, case.aliases),
        reply[:300],
        list(case.aliases),
        detail=reply[:300],
    )


def _agent(case: Case, agent) -> CaseResult:
    result = agent.ask(
        choice_prompt(case) if case.is_choice else case.question, files=list(case.files)
    )
    called = [s.name for s in result.steps if isinstance(s, ToolCall)]
    outputs = [s for s in result.steps if isinstance(s, ToolOutput)]
    ok, notes = True, []
    if case.expect_tool is not None:
        wanted = case.expect_tool
        tool_ok = (not called) if wanted in ("", "none") else (wanted in called)
        ok &= tool_ok
        notes.append(f"tool {'ok' if tool_ok else 'wrong'}: {called or 'none'}")
    for metric, bounds in case.check.items():
        values = [o.result.metrics[metric] for o in outputs if metric in o.result.metrics]
        value = values[-1] if values else None
        good = value is not None and bounds.get("min", -float("inf")) <= value <= bounds.get(
            "max", float("inf")
        )
        ok &= good
        notes.append(f"{metric}={value} {'ok' if good else 'fails'} {bounds}")
    parse_failed = False
    if case.is_choice:
        pred = extract_choice(result.answer, case.choices)
        parse_failed = pred is None
        ok &= pred == case.answer_index
    elif case.aliases:
        ok &= matches(result.answer, case.aliases)
    return CaseResult(
        case.id,
        case.suite,
        list(case.tags),
        bool(ok),
        called,
        case.expect_tool,
        parse_failed=parse_failed,
        tools=called,
        detail="; ".join(notes) + f" | {result.answer[:200]}",
    )


def case_mode(case: Case) -> str:
    """The mode ``auto`` gives a case: the agent loop when it names a tool, a check or
    files; log-likelihood for multiple choice; generation for a short answer."""
    if case.expect_tool or case.check or case.files:
        return "agent"
    return "loglik" if case.is_choice else "generate"


def run_cases(
    cases: list[Case],
    mode: str,
    chat_model=None,
    index=None,
    k: int = 4,
    agent=None,
    progress: bool = True,
    mc_format: str = "harness",
) -> list[CaseResult]:
    """Score every case; a case that raises is scored wrong with the error in ``detail``.
    ``mc_format`` frames multiple choice: ``harness``, ``rag``, ``chat`` or ``evidence``."""
    from tqdm import tqdm

    if mc_format not in MC_FORMATS:
        raise ValueError(f"mc_format must be one of {MC_FORMATS}, got {mc_format!r}")
    results = []
    for case in tqdm(cases, desc=f"bench {mode}", unit="case", disable=not progress):
        t0 = time.perf_counter()
        try:
            if mode == "agent" or (mode == "auto" and case_mode(case) == "agent"):
                r = _agent(case, agent)
            elif not case.is_choice and mode in ("loglik", "auto"):
                r = _generate(case, chat_model, index, k)  # short answers need generation
            elif mode in ("loglik", "auto"):
                r = _loglik(case, chat_model, index, k, mc_format)
            else:
                r = _generate(case, chat_model, index, k)
        except Exception as e:  # one broken case must not end the run
            r = CaseResult(
                case.id,
                case.suite,
                list(case.tags),
                False,
                detail=f"error: {type(e).__name__}: {e}",
            )
        r.seconds = round(time.perf_counter() - t0, 3)
        results.append(r)
    return results


def _rate(rs: list[CaseResult], key: str = "correct") -> dict[str, Any]:
    k = sum(bool(getattr(r, key)) for r in rs)
    lo, hi = wilson_interval(k, len(rs))
    return {
        "n": len(rs),
        "correct": k,
        "accuracy": round(k / len(rs), 4) if rs else None,
        "ci95": [round(lo, 4), round(hi, 4)],
    }


def summarize(results: list[CaseResult]) -> dict[str, Any]:
    """Accuracy overall, per suite and per tag (95% Wilson CIs), latency, parse failures;
    with log-likelihood multiple choice, ``acc_norm`` likewise over those cases."""
    secs = sorted(r.seconds for r in results)
    tags = sorted({t for r in results for t in r.tags})
    suites = sorted({r.suite for r in results})
    normed = [r for r in results if r.correct_norm is not None]
    extra = (
        {}
        if not normed
        else {
            "acc_norm": {
                "overall": _rate(normed, "correct_norm"),
                "per_suite": {
                    s: _rate([r for r in normed if r.suite == s], "correct_norm")
                    for s in suites
                    if any(r.suite == s for r in normed)
                },
                "per_tag": {
                    t: _rate([r for r in normed if t in r.tags], "correct_norm")
                    for t in tags
                    if any(t in r.tags for r in normed)
                },
            }
        }
    )
    return {
        "overall": _rate(results),
        "per_suite": {s: _rate([r for r in results if r.suite == s]) for s in suites},
        "per_tag": {t: _rate([r for r in results if t in r.tags]) for t in tags},
        "parse_failures": sum(r.parse_failed for r in results),
        "latency_s": {
            "p50": round(statistics.median(secs), 3) if secs else None,
            "p95": round(secs[min(len(secs) - 1, int(0.95 * len(secs)))], 3) if secs else None,
        },
        **extra,
    }
