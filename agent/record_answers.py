"""Questions about an earlier result ("what was the SNR gain?", "by how many dB did the
f-x run lift it?") answered from the record of a conversation, with no tool call.

    text = answer_from_record(conv, "what was the peak frequency?")  # None: not one

A question matches the metrics every recorded call reported by the words of their names
("snr_est_gain_db": snr, est, gain), counting a word the question says twice and a word
it stands for ("deep" for depth, "lift" for gain) once. A tie goes to the metric whose
"before"/"after" the question says, then to the one with fewer words the question
leaves out, then to a call of a tool the question names, then to the turn it points to
("in turn 2", "the first run") or the latest, then to the metric the call reports first
(its key ones come first).
"""

from __future__ import annotations

import re
from collections.abc import Collection

from agent.conversation import CallRecord, Conversation, TurnRecord, ids_in
from agent.follow_ups import offers_a_setting
from agent.next_steps import named_tools
from tools import REGISTRY

_QUESTION = re.compile(
    r"^\s*(?:what|how|which|was|were|did|does|is|are|can you tell|tell me|remind me)\b|\?\s*$"
)
# a request phrased as a question ("could you redo it with 0.5?") or a question of
# understanding ("why ...?") is not a question about an earlier number
_NOT_FROM_RECORD = re.compile(
    r"^\s*(?:why|explain|please)\b|^\s*(?:could|can|would|will)\s+(?:you|we|i)\s+"
    r"(?!tell|remind|say)|\bplease\b"
)
# "by how much", "how many dB": a difference, the gain
_BY_HOW = re.compile(r"\bby how (?:much|many)\b|\bhow many (?:db|decibels)\b")
# the question is about the first result, or a numbered turn ("in turn 2")
_FIRST = re.compile(
    r"\b(?:first|original|initial|earliest) (?:run|pass|try|attempt|turn|time|version|"
    r"result|one)\b|\boriginally\b|\bat first\b|\bto begin with\b"
)
_TURN_N = re.compile(r"\b(?:turn|step) (\d+)\b")
# words of metric names that say when or how, not what was measured
_METRIC_FILLER = {"db", "hz", "ms", "m", "s", "after", "before", "in", "out", "of", "to", "per"}
_METRIC_WORDS = {
    "improve": "gain",
    "improved": "gain",
    "improvement": "gain",
    "gained": "gain",
    "lift": "gain",  # "by how many dB did it lift the SNR?"
    "lifted": "gain",
    "raise": "gain",
    "raised": "gain",
    "boost": "gain",
    "boosted": "gain",
    "increase": "gain",
    "increased": "gain",
    "highest": "max",
    "maximum": "max",
    "largest": "max",
    "biggest": "max",
    "strongest": "max",
    "lowest": "min",
    "minimum": "min",
    "smallest": "min",
    "freq": "hz",
    "upper": "high",  # "the upper edge of the band" is band_high_hz
    "lower": "low",
    "estimate": "est",  # "the SNR estimate" is snr_est_db
    "estimated": "est",
    "correlation": "corr",
    "correlate": "corr",
    "peak": "peak",
    "dominant": "peak",
    "frequency": "hz",
    "noise": "snr",
    "interval": "dt",  # "the sample interval" is dt_ms
    "sampling": "dt",
    "start": "top",  # "what TWT does the log start at?" is twt_top_ms
    "starts": "top",
    "end": "base",  # "where does it end in time?" is twt_base_ms
    "ends": "base",
    "deep": "depth",
    "bottom": "base",
    "time": "twt",
}


def answer_from_record(
    conv: Conversation, message: str, offered: Collection[str] | None = None
) -> str | None:
    """A question about an earlier result ("what was the SNR gain?") answered from
    the record's metrics, or None when it is not one or the record has no such number.
    Of the ``offered`` tools (the registry's by default), those the question names ("the
    SNR after the f-x run") are the ones whose calls it is about when two report the
    metric."""
    text = message.lower()
    if not _QUESTION.search(text) or _NOT_FROM_RECORD.search(text) or not conv.turns:
        return None
    if offers_a_setting(text):  # "threshold 0.3?": run it again with that
        return None
    said = set(re.findall(r"[a-z0-9]+", text))
    meant = {_METRIC_WORDS[w] for w in said if w in _METRIC_WORDS} - said
    if _BY_HOW.search(text):
        meant.add("gain")
    tools = set(named_tools(message, REGISTRY.names() if offered is None else offered))
    numbered = {int(n) for n in _TURN_N.findall(text)}
    first = bool(_FIRST.search(text))
    best: tuple[tuple[int, ...], TurnRecord, CallRecord, str] | None = None
    for turn in conv.turns:
        # the turn the question points to, then the latest (the first when it
        # says "the first run")
        which = (turn.n in numbered, -turn.n if first else turn.n)
        for call in turn.calls:
            # a word of the question counts twice, a word it stands for ("deep" for
            # depth) once; a tie goes to the metric with fewer words left unsaid, to a
            # call of a tool the question names, to the turn above, and within a call
            # to the metric it reports first (its key ones come first)
            for order, key in enumerate(call.metrics):
                parts = set(key.lower().split("_"))
                named_parts = parts - _METRIC_FILLER
                hit = 2 * len(named_parts & said) + len(named_parts & meant)
                # "before"/"after" alone never match, but they choose between
                # snr_est_before_db and snr_est_after_db
                when = len(parts & said & {"before", "after"})
                # of two as well matched, the one with fewer words the question does
                # not name ("well correlation": well_correlation, not well_tie_...)
                extra = len(named_parts - said - meant)
                rank = (hit, when, -extra, call.name in tools, *which, -order)
                if hit and (best is None or rank >= best[0]):
                    best = (rank, turn, call, key)
    if best is None:
        return None
    _, turn, call, key = best
    used = [i for i in ids_in(call.args) if i in conv.items]
    on = f" on {', '.join(used)}" if used else ""
    made = f" -> {', '.join(call.outputs)}" if call.outputs else ""
    return (
        f"From turn {turn.n} ({call.name}{on}{made}): {key} = {call.metrics[key]}. "
        "Taken from the record of this conversation; no tool was run."
    )
