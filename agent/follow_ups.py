"""Follow-up turns the small routing model gets half right, and the rules that finish them.

**Re-runs** ("try rank 1", "lower the threshold to 0.3", "same band, order 2"). When a
turn calls a processing tool that an earlier turn already ran, the user is changing a
setting of that run: the new call reads the data the earlier run read (not the earlier
run's own output, which would apply the step twice) and keeps the earlier run's other
settings (only the ones the new call gives change, and none the message talks about:
"now model-based instead" leaves ``method`` at its default when the call omits it)::

    earlier: fk_filter(data=ws-2, max_dip_ms_per_trace=1.0) -> ws-3
    "same dip limit, but widen the taper to 0.4"
    model:   fk_filter(data=ws-3, taper=0.4)
    re-run:  fk_filter(data=ws-2, max_dip_ms_per_trace=1.0, taper=0.4)

This applies only to a call whose tool read an array in an earlier turn (a loader or a
synthetic has no earlier data to go back to) and whose call succeeded. The output stays
the input when the message asks for a further pass ("another pass", "twice", "on the
result") or names the earlier output by its id ("ws-3"); "make the wavelet longer"
names the thing to redo, so a phrase like "the wavelet" does not count. The
earlier run's workspace ids are carried over only when the new call reads the same data
(after the rewrite); its other settings also when the message says "same" or "again".

**A SEG-Y file sent with a follow-up** is the data it asks about ("here's a shot gather
too; same filter on it"). When a follow-up attaches exactly one SEG-Y file and the turn's
first call processes an array of an earlier turn that the message does not name, the new
file is read first (``read_segy``, whole file) and the call processes what it read::

    turn 1: read_segy(file=ws-1) -> ws-2; bandpass(data=ws-2, 10-40 Hz) -> ws-3
    turn 2: "here's another line, same filter on it" + ws-5 (SEG-Y)
    model:  bandpass(data=ws-2, low_hz=10, high_hz=40)
    run:    read_segy(file=ws-5) -> ws-6; bandpass(data=ws-6, low_hz=10, high_hz=40)

**A step is not repeated.** When the model calls the tool it has just called in the
same turn again, with the same arguments, or with the same settings on that call's
output (and the message asked for no further pass), the turn ends instead
(:func:`repeats`).

**A request to act is acted on.** A follow-up that asks for something to be done to
the data ("shorter window, 150 ms", "export the denoised line as SEG-Y", "original versus
filtered, side by side") and that the model answered in words instead is decided again
with a tool call required (:func:`asks_to_act`). Questions ("what was the SNR gain?",
"why ...?") and remarks ("thanks", "ok") are answered as before, except a question
about a file sent with the message ("what sample interval does the new file have?"):
nobody has read that file yet, so it too gets a tool call. The same holds for a single
request sent with files ("show me what's in section.npy"; :func:`acts_on_files`),
in ``GeoAgent.ask`` and on a conversation's first turn.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agent.conversation import CallRecord, Conversation, Resolution, ids_in
from agent.named_settings import VOLUME_LINES, named_line
from agent.reads import Read
from tools import Registry
from tools.result import Artifact

__all__ = [
    "FollowUp",
    "rerun_arguments",
    "read_first",
    "asks_to_act",
    "is_question",
    "message_words",
    "names_setting",
    "acts_on_files",
    "acts_in_words",
    "repeats",
    "READER",
]

# the message asks to apply the step once more on top of its own result
_FURTHER = re.compile(
    r"\b(?:another|second|third|one more|extra) (?:pass|round|iteration)\b|\btwice\b|"
    r"\bon top\b|\b(?:again|once more) (?:on|to) (?:the|its|that) (?:result|output)\b|"
    r"\bthe (?:result|output)\b"
)
_PRONOUN_PHRASE = re.compile(r"\b(?:it|that|this|them|those|these)$|^its\b")
_UNITS = {"hz", "ms", "s", "m", "db", "km", "pct"}  # name parts that are units
_SAME = re.compile(r"\b(?:same|again|instead|redo|re-?run|repeat|rather)\b")


def _is_id(value: Any) -> bool:
    """Whether ``value`` is one workspace id and nothing else ("ws-3")."""
    return isinstance(value, str) and ids_in(value) == [value]


def _earlier_run(conv: Conversation, name: str) -> CallRecord | None:
    """The latest successful call of ``name`` in the recorded turns."""
    for turn in reversed(conv.turns):
        for call in reversed(turn.calls):
            if call.name == name and call.ok:
                return call
    return None


def message_words(message: str) -> set[str]:
    """The lower-case words and numbers of ``message`` ("dip-steered" is dip, steered)."""
    return set(re.findall(r"[a-z0-9]+", message.lower()))


def names_setting(words: set[str], key: str) -> bool:
    """Whether a message of ``words`` (:func:`message_words`) has all the words of the
    setting ``key``'s name but its units ("half width 4" names half_width)."""
    name = [w for w in key.lower().split("_") if w not in _UNITS]
    return bool(name) and set(name) <= words


def _named(message: str, key: str, prop: dict[str, Any]) -> bool:
    """Whether ``message`` talks about the setting ``key`` (schema ``prop``): all the
    words of its name ("dip-steered" for dip_steered) or one of its choices ("model-based"
    for method). Such a setting is the user's: left out of the call, its default holds."""
    words = message_words(message)
    choices = list(prop.get("enum", [])) + [
        v for alt in prop.get("anyOf", []) for v in alt.get("enum", [])
    ]
    return names_setting(words, key) or any(str(c).lower() in words for c in choices)


def rerun_arguments(
    conv: Conversation,
    message: str,
    ref: Resolution,
    name: str,
    args: dict[str, Any],
    properties: dict[str, Any] | None = None,
    carry: bool = True,
) -> dict[str, Any]:
    """``args`` of a call of ``name`` in this turn, as a re-run of the earlier call of the
    same tool (see the module's doc); ``args`` unchanged when it is not one.
    ``properties``: the tool's argument schemas; a setting the message talks about is
    not carried over (:func:`_named`). ``carry=False``: the earlier input only, with the
    settings of ``args``."""
    prev = _earlier_run(conv, name)
    if prev is None:
        return args
    arrays = {
        k: v
        for k, v in prev.args.items()
        if _is_id(v) and v in conv.items and conv.items[v].kind == "array"
    }
    if not arrays:
        return args
    outputs = set(prev.outputs)
    text = message.lower()
    if _FURTHER.search(text) or any(i in outputs for i in ref.explicit):
        return args
    new = {k: (arrays[k] if k in arrays and v in outputs else v) for k, v in args.items()}
    if not carry:
        return new
    same_data = all(new.get(k) == v for k, v in arrays.items())
    for k, v in prev.args.items():
        if k in new or _named(message, k, (properties or {}).get(k, {})):
            continue
        if same_data or (not _is_id(v) and _SAME.search(text)):
            new[k] = v
    return new


READER = "read_segy"
_DATA = "data"  # the argument a processing tool reads its section from


def read_first(
    conv: Conversation,
    ref: Resolution,
    attached: Sequence[Artifact],
    name: str,
    args: dict[str, Any],
) -> Read | None:
    """The read to run before the turn's first call ``name(args)`` (its output becomes
    the call's ``data``), when the module's rule applies; else None."""
    segy = [a for a in attached if a.kind == "segy"]
    if len(segy) != 1 or not conv.turns or name == READER:
        return None
    data = args.get(_DATA)
    item = conv.items.get(data) if isinstance(data, str) else None
    if item is None or item.kind != "array":
        return None  # not a processing call on an earlier array
    named = any(i == data and not _PRONOUN_PHRASE.search(p) for p, i in ref.phrases)
    if named or data in ref.explicit:
        return None
    return Read(READER, {"file": segy[0].id}, _DATA)


def another_line(
    conv: Conversation, message: str, registry: Registry, name: str, args: dict[str, Any]
) -> Read | None:
    """The read to run before a follow-up's first call ``name(args)`` when the call works
    on a line an earlier turn read from a 3D SEG-Y and the message names another line of
    the same file ("same for inline 128", "and the 890 crossline too"): that line is read
    and the call works on it. A call on a whole cube read earlier keeps its data ("inline
    5" may then be the plot's)."""
    data = args.get(_DATA)
    item = conv.items.get(data) if isinstance(data, str) else None
    if name == READER or item is None or item.made_by != READER or READER not in registry:
        return None
    made = [c for t in conv.turns for c in t.calls if c.name == READER and data in c.outputs]
    if not made:
        return None
    before = {k: v for k, v in made[-1].args.items() if k in VOLUME_LINES and v is not None}
    asked = named_line(READER, message, registry.get(READER).parameters)
    if not before or not asked or asked.items() <= before.items():
        return None
    return Read(READER, {"file": made[-1].args["file"], **asked}, _DATA)


# what a request to act on data says: a verb of processing, plotting or saving, a
# re-run cue, or a number (a setting: "order 2", "150 ms")
_ACT = re.compile(
    r"\b(?:plot|show|display|draw|view|see|denoise|filter\w*|bandpass|band-?pass|clean|"
    r"smooth|apply|run|rerun|re-run|redo|repeat|try|use|save|write|export|store|hand|"
    r"give|compare|invert|measure|estimate|compute|calculate|pick|detect|find|gain|agc|"
    r"mute|load|read|interpolate|fill|reconstruct|convert|crop|make|change|set|lower|"
    r"raise|increase|decrease|reduce|widen|narrow|shorten|lengthen|longer|shorter|"
    r"again|instead|same|versus|vs|against|side by side|next to|beside|hunt|scan|search|"
    r"locate|using|map|highlight|extract|pull|grab|fetch)\b"
    r"|\d",
    re.I,
)
_QUESTION = re.compile(
    r"^\s*(?:and\s+)?(?:what|why|how|which|when|who|where|was|were|did|does|do|is|are|"
    r"explain|tell me)\b",
    re.I,
)
_POLITE = re.compile(r"^\s*(?:(?:can|could|would|will) you|please)\b", re.I)
# a message that talks about the file sent with it ("what sample interval does the new
# file have?", "and the headers of this second one?")
_ABOUT_SENT = re.compile(
    r"\b(?:this|these|it|its|new|newly|second|other|another|attached|file|files|"
    r"header|headers|line|gather|cube|survey|log|data)\b",
    re.I,
)


def is_question(message: str) -> bool:
    """Whether a follow-up message is a question ("what was the SNR gain?", "why ...")
    rather than a request ("could you ...?" is a request)."""
    return bool(
        _QUESTION.search(message)
        or (message.rstrip().endswith("?") and not _POLITE.search(message))
    )


# a setting offered as a question: "and rank 1?", "0.15?", "what about 30 ms?"
_VALUE_QUESTION = re.compile(
    r"^\s*(?:(?:and|or|so|ok|hmm)[,\s]+)?(?:(?:what|how) about\s+|maybe\s+|try\s+)?"
    r"(?:[a-z_-]+\s+){0,2}-?\d+(?:\.\d+)?\s*(?:hz|ms|%|db|traces?|samples?)?"
    r"(?:\s+(?:instead|then|now))?\s*\?\s*$",
    re.I,
)


def offers_a_setting(message: str) -> bool:
    """Whether a message is a setting offered as a question ("and rank 1?", "0.15?",
    "threshold 0.3?"): a request to run again, not a question about an earlier number."""
    return bool(_VALUE_QUESTION.search(message))


def asks_to_act(message: str) -> bool:
    """Whether a follow-up message asks for something to be done to the data (see the
    module's doc): a processing, plotting or saving verb, a re-run cue or a number, in a
    message that is not a question (:func:`is_question`); or a setting offered as a
    question ("and rank 1?", "0.15?")."""
    if offers_a_setting(message):
        return True
    return not is_question(message) and bool(_ACT.search(message))


# a sentence of a first message that holds it back: a question ("..., conceptually?"
# after a remark) or a word against acting ("don't process anything yet")
_SENTENCE = re.compile(r"[^.!?]+[.!?]*")
_HOLD = re.compile(r"\b(?:don'?t|do not|not yet|no need|without (?:processing|running))\b", re.I)


def acts_in_words(message: str) -> bool:
    """Whether a request, all of it, asks for something to be done (:func:`asks_to_act`):
    stricter than for a follow-up, no sentence of it may be a question (but "could you
    ...?") or hold the work back ("don't process anything yet")."""
    if not asks_to_act(message) or _HOLD.search(message):
        return False
    sentences = [m.group().strip() for m in _SENTENCE.finditer(message)]
    return not any(t.endswith("?") and not _POLITE.search(t) for t in sentences)


def acts_on_files(message: str, attached: Sequence[Artifact]) -> bool:
    """Whether a request sent with files asks for something to be done to them
    (:func:`acts_in_words`): a model answering it in words has not read them."""
    return bool(attached) and acts_in_words(message)


def repeats(
    message: str,
    name: str,
    args: dict[str, Any],
    last: tuple[str, dict[str, Any]],
    last_outputs: Sequence[str],
) -> bool:
    """Whether ``name(args)`` repeats the call just made in this turn (``last``, which
    made ``last_outputs``): the very same call, or the same settings on that call's own
    output when the message did not ask for a further pass: the model looping, not the
    user asking."""
    last_name, last_args = last
    if name == last_name and args == last_args:
        return True  # the same tool on the same data with the same settings
    if name != last_name or _FURTHER.search(message.lower()):
        return False

    def settings(a: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in a.items() if not _is_id(v)}

    reads_output = any(i in last_outputs for i in ids_in(args))
    return reads_output and settings(args) == settings(last_args)


@dataclass(frozen=True)
class FollowUp:
    """The rules of this module for one turn of a conversation: its record before the
    turn, the message, what the message refers to and the files sent with it."""

    conv: Conversation
    message: str
    ref: Resolution
    attached: Sequence[Artifact]
    registry: Registry

    @property
    def acts(self) -> bool:
        """A follow-up (an earlier turn exists) that asks for something to be done, or that
        asks about a file sent with it: only a tool can read a file nobody has read yet.
        A first turn: as a single request (:func:`acts_on_files`)."""
        if not self.conv.turns:
            return acts_on_files(self.message, self.attached)
        about_sent = bool(self.attached) and bool(_ABOUT_SENT.search(self.message))
        return about_sent or asks_to_act(self.message)

    def reruns(self, name: str, args: dict[str, Any]) -> list[dict[str, Any]]:
        """The calls to try in order, each one if the tool refuses the one before: the
        re-run with the earlier settings carried, the re-run on the earlier input with the
        call's own settings, the call as made."""
        tool = self.registry.get(name) if name in self.registry else None
        props = tool.schema()["parameters"].get("properties", {}) if tool else {}
        tries = [
            rerun_arguments(self.conv, self.message, self.ref, name, args, props, carry)
            for carry in (True, False)
        ] + [args]
        return [a for i, a in enumerate(tries) if a not in tries[:i]]

    def read_first(self, name: str, args: dict[str, Any]) -> Read | None:
        return read_first(self.conv, self.ref, self.attached, name, args) or (
            None
            if self.attached
            else another_line(self.conv, self.message, self.registry, name, args)
        )

    def repeats(
        self, name: str, args: dict[str, Any], last: tuple[str, dict[str, Any]], made: Sequence[str]
    ) -> bool:
        return repeats(self.message, name, args, last, made)
