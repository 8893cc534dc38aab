"""The reports of the follow-up benchmark (``python -m benchmarks.followups``): part of
``benchmarks.results_reports.REPORTS``."""

from __future__ import annotations

from benchmarks.report_spec import CARD, RATE_CI, README, Figure, Report

__all__ = ["FOLLOWUP_REPORTS"]

FOLLOWUP_REPORTS: list[Report] = []

FOLLOWUPS_MEASURES = (
    "Multi-turn conversations through `GeoAgent.chat` on the blind set "
    "`benchmarks/data/followups_blind_1.jsonl` (2-5 turns each, written without reading "
    "the training phrasings; the errors of its first 12 conversations have been read, "
    "and so has one turn its own gold calls failed, a question about the sample "
    "interval that the record could not answer until it kept every metric). "
    "Each turn is scored on the state left by correct earlier turns: the right tool(s), "
    "the right arguments, the right workspace ids, and questions about earlier results "
    "answered from the record without a tool call. How to run it: "
    "[benchmarks/README.md](../benchmarks/README.md)."
)


def _followup_rate(
    label: str, path: str, target: str = "", where: tuple[str, ...] = (CARD,)
) -> Figure:
    return Figure(label, (path,), RATE_CI, target, where if target else ())


def _followup_figures(where: tuple[str, ...]) -> tuple[Figure, ...]:
    """The figures of a follow-up report; those with a target also in ``where``."""
    return (
        _followup_rate("follow-up turns: routing", "follow_up_turns.routing", "0.90", where),
        _followup_rate("follow-up turns: arguments", "follow_up_turns.arguments", "0.85", where),
        _followup_rate(
            "follow-up turns: right workspace ids",
            "follow_up_turns.workspace_ids",
            "0.95",
            where,
        ),
        _followup_rate("follow-up turns: whole turn right", "follow_up_turns.turn_right"),
        _followup_rate("record answers (no tool call)", "follow_up_turns.record_answers"),
        _followup_rate("all turns: whole turn right", "all_turns.turn_right"),
        _followup_rate("conversations entirely right", "conversation_right"),
        Figure(
            "turn latency p50: first turns / follow-ups",
            ("turn_latency_s",),
            "{0[first_turn_p50]:.2f} / {0[follow_up_p50]:.2f} s",
        ),
    )


FOLLOWUPS4_MEASURES = (
    "Multi-turn conversations through `GeoAgent.chat` on the blind set "
    "`benchmarks/data/followups_blind_4.jsonl` (76 conversations of 2-4 turns, 236 "
    "turns, 47 of them questions answered from the record), written blind after the "
    "shipped adapter was trained and frozen (committed) before it was scored; its "
    "errors have not been read. Scored as the first set (above)."
)


FOLLOWUPS5_MEASURES = (
    "Multi-turn conversations through `GeoAgent.chat` on the blind set "
    "`benchmarks/data/followups_blind_5.jsonl` (76 conversations of 2-3 turns, 186 "
    "turns, 18 of them questions answered from the record), written blind and frozen "
    "(committed) before it was scored; its errors have not been read. Scored as the "
    "first set (above)."
)

FOLLOWUPS6_MEASURES = (
    "Multi-turn conversations through `GeoAgent.chat` on the blind set "
    "`benchmarks/data/followups_blind_6.jsonl` (76 conversations of 2-4 turns, 202 "
    "turns, 24 of them questions answered from the record), written blind and frozen "
    "(committed) before it was scored; its errors have not been read. Scored as the "
    "first set (above)."
)

FOLLOWUPS7_MEASURES = (
    "Multi-turn conversations through `GeoAgent.chat` on the blind set "
    "`benchmarks/data/followups_blind_7.jsonl` (79 conversations of 2-3 turns, 207 "
    "turns, 24 of them questions answered from the record), written blind and frozen "
    "(committed) before it was scored; its errors have not been read. Scored as the "
    "first set (above)."
)

FOLLOWUP_REPORTS += [
    Report(
        "followups_transformers.json",
        "Follow-up turns, blind set 1, transformers backend",
        "Follow-ups, blind set 1",
        FOLLOWUPS_MEASURES,
        _followup_figures((CARD,)),
        command="python -m benchmarks.followups --out docs/results/followups_transformers.json",
    ),
    Report(
        "followups_blind4_transformers.json",
        "Follow-up turns, blind set 4, transformers backend",
        "Follow-ups, blind set 4",
        FOLLOWUPS4_MEASURES,
        _followup_figures((CARD,)),
        command="python -m benchmarks.followups --data benchmarks/data/followups_blind_4.jsonl "
        "--out docs/results/followups_blind4_transformers.json",
    ),
    Report(
        "followups_blind5_transformers.json",
        "Follow-up turns, blind set 5, transformers backend",
        "Follow-ups, blind set 5",
        FOLLOWUPS5_MEASURES,
        _followup_figures((CARD,)),
        command="python -m benchmarks.followups --data benchmarks/data/followups_blind_5.jsonl "
        "--out docs/results/followups_blind5_transformers.json",
    ),
    Report(
        "followups_blind6_transformers.json",
        "Follow-up turns, blind set 6, transformers backend",
        "Follow-ups, blind set 6",
        FOLLOWUPS6_MEASURES,
        _followup_figures((CARD,)),
        command="python -m benchmarks.followups --data benchmarks/data/followups_blind_6.jsonl "
        "--out docs/results/followups_blind6_transformers.json",
    ),
    Report(
        "followups_blind7_transformers.json",
        "Follow-up turns, blind set 7, transformers backend",
        "Follow-ups, blind set 7",
        FOLLOWUPS7_MEASURES,
        _followup_figures((README, CARD)),
        command="python -m benchmarks.followups --data benchmarks/data/followups_blind_7.jsonl "
        "--out docs/results/followups_blind7_transformers.json",
    ),
]
