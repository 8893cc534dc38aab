"""Grammar-constrained tool calls for a local model (xgrammar).

A routing turn is generated under one JSON-schema grammar: the union of, for every tool,
``{"name": <that tool>, "arguments": <its argument schema>}``, plus
``{"name": "answer", "arguments": {}}`` for "no tool, answer in words". Even a 135M model
then always emits a syntactically valid, schema-valid call, in compact JSON (no
whitespace tokens). The same ``{"name", "arguments"}`` form is how past calls appear in
the chat history and in the fine-tuning data (:func:`call_json`).

With a :class:`Grounding`, the grammar also keeps argument values to what the
conversation gave: a number argument may only take a number the user wrote (or a tool
reported), and a workspace-id argument only an id that was shown. An optional argument
with nothing to take is left out (its default applies); a tool whose required argument
has nothing to take is not offered. A small model can then neither invent a filter
setting nor a ``ws-7`` that does not exist. When the messages carry the workspace's item
kinds (``KINDS_TAG``), an id argument takes only ids of the kinds its tool declares
(``tools.registry.ArrayId`` and its siblings) when one is shown (else any id, as without
kinds), an argument only a 3D SEG-Y file takes (``NEEDS_KEY``) is left out while every
SEG-Y file shown is a 2D line, and one only a cube takes (a cube's inline to plot) while
no array shown may be a cube.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from agent import prompts
from agent.messages import KINDS_TAG, PASSAGES_TAG
from common.errors import ModelError
from tools.registry import ID_KINDS_KEY, NEEDS_KEY, WORKSPACE_ID_PATTERN, plain_schema

if TYPE_CHECKING:  # loaded on first use at run time
    import xgrammar as xgr
    from transformers import PreTrainedTokenizerBase
    from xgrammar.contrib.hf import LogitsProcessor

__all__ = [
    "ANSWER",
    "Grounding",
    "call_json",
    "call_schema",
    "ToolGrammar",
    "TokenMask",
    "tools_prompt",
]

ANSWER = "answer"  # the pseudo-tool meaning "no tool: answer in words"


def _compact(value: Any) -> Any:
    """Whole floats as ints (8.0 -> 8), recursively: how numbers are written in calls."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return value


def call_json(name: str, arguments: dict[str, Any]) -> str:
    """A call as the model writes it: compact JSON, name first, whole numbers without
    ".0" (so "8-45 Hz" is ``"low_hz":8,"high_hz":45``, never ``8.45``)."""
    return json.dumps({"name": name, "arguments": _compact(arguments)}, separators=(",", ":"))


_NUMBER = re.compile(
    r"(?<![\w.])(?<!ws-)(?<![eE][-+])([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(\s*(?:%|percent\b|"
    r"s\b|sec\b|secs\b|seconds?\b))?"
)
_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "half": 0.5,
    "double": 2,
    "twice": 2,
    "no": 0,
    "without": 0,
    "none": 0,
    "first": 0,
}
_ID = re.compile(r"\bws-\d+\b")
# kinds no argument takes, though their base kind fits: a spectrum is no section
_NOT_TAKEN = frozenset({"array:spectrum"})
# A number given as a key's value ("dt_ms=4.0", '"n_traces":534') measures what the key
# names; "2D", "3D" and "4-byte" are labels of a file, not values.
_KEY_BEFORE = re.compile(r'"?([A-Za-z_]\w*)"?\s*[=:]\s*$')
_LABEL_AFTER = re.compile(r"D\b|[- ]?bytes?\b")
_LABEL = "label"

# What the word right after a number says it measures ("120 traces", "25 Hz", "500 m").
_UNIT_AFTER = re.compile(r"\s*(°|%|[A-Za-z]+)")
_TAGS = {
    **dict.fromkeys(("hz", "hertz"), "hz"),
    **dict.fromkeys(
        ("ms", "msec", "millisecond", "milliseconds", "s", "sec", "secs", "second", "seconds"),
        "time",
    ),
    **dict.fromkeys(
        (
            "m",
            "metre",
            "metres",
            "meter",
            "meters",
            "km",
            "kilometre",
            "kilometres",
            "kilometer",
            "kilometers",
        ),
        "length",
    ),
    **dict.fromkeys(("°", "deg", "degree", "degrees"), "deg"),
    **dict.fromkeys(("db", "decibel", "decibels"), "db"),
    **dict.fromkeys(("%", "percent"), "pct"),
    **dict.fromkeys(("trace", "traces"), "traces"),
    **dict.fromkeys(("sample", "samples"), "samples"),
    **dict.fromkeys(("fault", "faults"), "faults"),
}
# The same measures, read off an argument's name (the tools name their units).
_ARG_TAGS = (
    (re.compile(r"_hz$"), "hz"),
    (re.compile(r"(_ms|_s)$|_ms_"), "time"),
    (re.compile(r"(_m|_km)$|^[xy]$"), "length"),
    (re.compile(r"_deg$"), "deg"),
    (re.compile(r"_db$"), "db"),
    (re.compile(r"fraction|percentile|taper|stretch"), "pct"),
    (
        re.compile(r"^(n_traces|win_traces|traces_around|traces|half_width|filter_length)$"),
        "traces",
    ),
    (re.compile(r"^(n_samples|half_length)$"), "samples"),
    (re.compile(r"^n_faults$"), "faults"),
)


def argument_tag(name: str) -> str:
    """What a number argument measures, from its name ("low_hz" -> "hz", "n_traces" ->
    "traces"); "" for one without a unit in its name (a seed, a rank, an index)."""
    return next((tag for pattern, tag in _ARG_TAGS if pattern.search(name)), "")


@dataclass(frozen=True)
class Grounding:
    """The argument values a conversation supports.

    ``numbers``: every number in the user's words and the tools' reports, also as a
    fraction after "%" and in milliseconds after "s"; number words (zero to twelve,
    half); 0 after "no", "without", "none" ("no faults", "no low cut") and "first" (an
    index). ``ids``: the workspace ids shown. ``kinds``: (id, kind) of the ids whose kind
    is known (``Workspace.kinds``: "array", "segy:3d", "figure", ...); an id of unknown
    kind fits any id argument. ``tags``: (number, what the word after it says it
    measures: "hz", "time", "length", "deg", "db", "pct", "traces", "samples", "faults",
    or "" for none), one per occurrence; a number written only with a unit goes only to
    arguments that measure it ("120 traces" to ``n_traces``, never to ``seed``), a bare
    number to any. A number given as a key's value in a file description or a tool's
    metrics (``dt_ms=4.0``, ``"snr_db":9.1``) measures what the key's name says
    (:func:`argument_tag`); the 2 of "2D" and the 4 of "4-byte" are labels that no
    argument takes. A number with no entry counts as bare.
    """

    numbers: tuple[float, ...]
    ids: tuple[str, ...]
    kinds: tuple[tuple[str, str], ...] = ()
    tags: tuple[tuple[float, str], ...] = ()

    @classmethod
    def from_texts(cls, texts: list[str], kinds: dict[str, str] | None = None) -> "Grounding":
        numbers: set[float] = set()
        tags: set[tuple[float, str]] = set()
        ids: list[str] = []
        for text in texts:
            text = text.replace("\u2212", "-")
            text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # 1,000 -> 1000
            for m in _NUMBER.finditer(text):
                v = float(m.group(1))
                if not math.isfinite(v):
                    continue
                after = _UNIT_AFTER.match(text, m.end(1))
                tag = _TAGS.get(after.group(1).lower(), "") if after else ""
                if _LABEL_AFTER.match(text, m.end(1)):
                    tag = _LABEL
                elif not tag:
                    keyed = _KEY_BEFORE.search(text, max(0, m.start() - 40), m.start())
                    tag = argument_tag(keyed.group(1)) if keyed else ""
                found = [v]
                unit = (m.group(2) or "").strip().lower()
                if unit in ("%", "percent"):
                    found.append(round(v / 100, 12))
                elif unit:
                    found.append(round(v * 1000, 9))
                numbers.update(found)
                tags.update((f, tag) for f in found)
            for w in re.findall(r"[a-z]+", text.lower()):
                if w in _WORDS:
                    numbers.add(float(_WORDS[w]))
                    tags.add((float(_WORDS[w]), ""))
            ids += [i for i in _ID.findall(text) if i not in ids]
        known = tuple((i, kinds[i]) for i in ids if kinds and i in kinds)
        return cls(tuple(sorted(numbers)), tuple(ids), known, tuple(sorted(tags)))

    @classmethod
    def from_messages(cls, messages: list) -> "Grounding":
        """From the user's turns and the tool results (not the system prompt, the
        passages or the model's own earlier calls), with the item kinds they carry (the
        latest message's wins)."""
        kinds: dict[str, str] = {}
        for m in messages:
            kinds.update(m.additional_kwargs.get(KINDS_TAG) or {})
        return cls.from_texts(
            [
                str(m.content)
                for m in messages
                if m.type in ("human", "tool") and not m.additional_kwargs.get(PASSAGES_TAG)
            ],
            kinds,
        )

    def takes(self, item_id: str, accepted: list[str] | None) -> bool:
        """Whether an id argument that takes ``accepted`` kinds (None: any) takes ``item_id``;
        an argument that takes arrays (sections, traces, wavelets) takes no spectrum."""
        kind = dict(self.kinds).get(item_id)
        if accepted is None or kind is None:
            return True
        return kind.split(":")[0] in accepted and kind not in _NOT_TAKEN

    def maybe_3d(self) -> bool:
        """Whether a shown id may be a 3D SEG-Y file (false when every one is known 2D)."""
        known = dict(self.kinds)
        return any(known.get(i) in (None, "segy", "segy:3d") for i in self.ids)

    def maybe_cube(self) -> bool:
        """Whether a shown id may be a cube (false when every one is known not to be)."""
        known = dict(self.kinds)
        return any(known.get(i) in (None, "array:3d") for i in self.ids)

    def restrict(self, prop: dict[str, Any], name: str | None = None) -> dict[str, Any] | None:
        """``prop``'s schema kept to grounded values, or None when nothing fits; with the
        argument's ``name``, numbers written with a unit go only to arguments that
        measure it (:func:`argument_tag`)."""
        if prop.get(NEEDS_KEY) == "3d" and not self.maybe_3d():
            return None
        if prop.get(NEEDS_KEY) == "cube" and not self.maybe_cube():
            return None
        tag = None if name is None else argument_tag(name)
        if "anyOf" in prop:
            kept = [b for b in (self._branch(b, tag) for b in prop["anyOf"]) if b is not None]
            if not [b for b in kept if b.get("type") != "null"]:
                return None
            return {"anyOf": kept}
        return self._branch(prop, tag)

    def fits(self, value: float, tag: str | None) -> bool:
        """Whether ``value`` may go to an argument that measures ``tag`` (None: any):
        it was written bare somewhere, or with that unit."""
        if tag is None:
            return True
        seen = {t for v, t in self.tags if v == value}
        return not seen or "" in seen or tag in seen

    def _branch(self, b: dict[str, Any], tag: str | None = None) -> dict[str, Any] | None:
        kind = b.get("type")
        if kind == "string" and b.get("pattern") == WORKSPACE_ID_PATTERN:
            # ids of the argument's kinds; when none is shown, any id, so the tool stays
            # offered and its refusal ("ws-3 is a figure, not an array; ...") tells the
            # model what to do next
            ids = [i for i in self.ids if self.takes(i, b.get(ID_KINDS_KEY))] or list(self.ids)
            return {"type": "string", "enum": ids} if ids else None
        if kind in ("number", "integer") and "enum" not in b:
            vals = [
                v
                for v in self.numbers
                if _within(v, b) and (kind == "number" or v.is_integer()) and self.fits(v, tag)
            ]
            return {"enum": [_compact(v) for v in vals]} if vals else None
        return b


def _within(v: float, b: dict[str, Any]) -> bool:
    return not (
        ("minimum" in b and v < b["minimum"])
        or ("maximum" in b and v > b["maximum"])
        or ("exclusiveMinimum" in b and v <= b["exclusiveMinimum"])
        or ("exclusiveMaximum" in b and v >= b["exclusiveMaximum"])
    )


def _strict(schema: dict[str, Any]) -> dict[str, Any]:
    """An argument schema that admits no unknown keys (the model must not invent args)."""
    s = dict(schema)
    s.setdefault("type", "object")
    s.setdefault("properties", {})
    s["additionalProperties"] = False
    return s


def call_schema(
    tools: list[dict[str, Any]], grounding: Grounding | None = None, answer: bool = True
) -> dict[str, Any]:
    """The JSON schema a routing turn must satisfy, from OpenAI-style function schemas;
    with ``grounding``, argument values kept to it (see the module notes); without
    ``answer``, a tool call is required (no ``answer`` option)."""
    options = []
    for t in tools:
        args = _strict(t.get("parameters") or {})
        if grounding is not None:
            grounded = _grounded(args, grounding)
            if grounded is None:
                continue
            args = grounded
        options.append(
            {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "arguments"],
                "properties": {"name": {"const": t["name"]}, "arguments": plain_schema(args)},
            }
        )
    if not answer and options:
        return {"anyOf": options}
    options.append(
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["name", "arguments"],
            "properties": {
                "name": {"const": ANSWER},
                "arguments": {"type": "object", "properties": {}, "additionalProperties": False},
            },
        }
    )
    return {"anyOf": options}


def _grounded(args: dict[str, Any], grounding: Grounding) -> dict[str, Any] | None:
    required = set(args.get("required", []))
    props = {}
    for k, prop in args["properties"].items():
        kept = grounding.restrict(prop, k)
        if kept is None:
            if k in required:
                return None  # the tool cannot be called with what the conversation gave
            continue
        props[k] = kept
    return {**args, "properties": props}


def tools_prompt(tools: list[dict[str, Any]]) -> str:
    """The tool list as the local model reads it: one short line per tool, its name,
    required arguments and what it is for in a few words (:func:`purpose`). The grammar
    already admits exactly the schema's arguments; a short list keeps the routing prompt
    (and so its latency and the training cost) small, while the purpose words let a small
    model match "remove the noise" to a denoiser. ``ChatOpenAI`` and other API models
    get the full JSON schemas through ``bind_tools`` instead."""
    lines = []
    for t in tools:
        params = t.get("parameters") or {}
        required = [k for k in params.get("properties", {}) if k in params.get("required", [])]
        lines.append(f"- {t['name']}({', '.join(required)}): {purpose(t.get('description', ''))}")
    return prompts.render("tools", tools="\n".join(lines), answer=ANSWER)


def purpose(description: str, max_words: int = 11) -> str:
    """What a tool is for in a few words: the first clause of its description (up to a
    colon, semicolon or sentence end; a comma after three words or more), parentheses
    dropped, at most ``max_words`` words, without a dangling last word: "Random-noise attenuation by f-x deconvolution (Canales 1984),
    in ..." -> "Random-noise attenuation by f-x deconvolution"."""
    first = re.sub(r"\s*\([^)]*\)", "", description.strip().split("\n")[0])
    clause = re.split(r":|;|\. |\.$", first)[0]
    head, comma, _ = clause.partition(", ")
    if comma and len(head.split()) >= 3:  # "Plot a section, gather, ..." -> "Plot a section"
        clause = head
    words = clause.split()[:max_words]
    while words and (words[-1].lower() in _DANGLING or words[-1].endswith(",")):
        words.pop()
    return " ".join(words)


_DANGLING = {
    "a",
    "an",
    "the",
    "of",
    "to",
    "for",
    "from",
    "on",
    "in",
    "with",
    "by",
    "and",
    "or",
    "as",
    "at",
    "into",
    "their",
    "its",
}


class ToolGrammar:
    """Compiles the call grammar once per (tokenizer, tool set); hands out processors."""

    def __init__(
        self,
        tokenizer: PreTrainedTokenizerBase,
        vocab_size: int,
        tools: list[dict[str, Any]],
        grounding: Grounding | None = None,
        answer: bool = True,
    ):
        self.compiled = _compile(
            _TokenizerKey(tokenizer, vocab_size),  # "name" first:
            json.dumps(call_schema(tools, grounding, answer)),
        )  # order matters

    def logits_processor(self) -> LogitsProcessor:
        """A fresh (stateful) transformers logits processor for one generate call."""
        import xgrammar as xgr

        return xgr.contrib.hf.LogitsProcessor(self.compiled)


class TokenMask:
    """An xgrammar matcher's allowed tokens applied to numpy logits (both backends decode
    tool calls with it, and feed the tokens it forces without logits of their own)."""

    def __init__(self, compiled: xgr.CompiledGrammar, n_vocab: int):
        import xgrammar as xgr

        self.matcher = xgr.GrammarMatcher(compiled)
        self.bitmask = xgr.allocate_token_bitmask(1, compiled.tokenizer_info.vocab_size)
        self.n_vocab = n_vocab
        self._ok: np.ndarray | None = None  # (n_vocab,) allowed now; None: not computed

    def allowed(self) -> np.ndarray:
        if self._ok is None:
            self.matcher.fill_next_token_bitmask(self.bitmask)
            bits = np.unpackbits(self.bitmask.numpy().view(np.uint8), bitorder="little")
            self._ok = np.zeros(self.n_vocab, bool)
            n = min(self.n_vocab, bits.size)
            self._ok[:n] = bits[:n]
        return self._ok

    def apply(self, logits: np.ndarray) -> np.ndarray:
        return np.where(self.allowed(), logits, -np.inf).astype(np.float32)

    def forced(self) -> int | None:
        """The one token the grammar allows next, or None when it allows several."""
        ok = np.flatnonzero(self.allowed())
        return int(ok[0]) if len(ok) == 1 else None

    def take(
        self, token: int, eos: set[int], room: int, follow: bool = True
    ) -> tuple[list[int], bool]:
        """Accept the chosen ``token`` and, when ``follow``, the tokens the grammar then
        forces (the only one allowed: any decoding picks it), up to ``room`` tokens in
        all. Forced tokens need no logits of their own, so they go through the model in
        one batch. Returns (the tokens, True when the grammar forces the end)."""
        pending = [token]
        self.accept(token)
        while follow and len(pending) < room:
            forced = self.forced()
            if forced is None:
                return pending, False
            if forced in eos:
                return pending, True
            pending.append(forced)
            self.accept(forced)
        return pending, False

    def accept(self, token: int) -> None:
        if not self.matcher.accept_token(token):
            raise ModelError(f"token {token} broke the tool-call grammar; report this bug")
        self._ok = None


class _TokenizerKey:
    """Hashable by identity, so one compiler serves each loaded tokenizer."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase, vocab_size: int):
        self.tokenizer, self.vocab_size = tokenizer, vocab_size

    def __hash__(self) -> int:
        return hash((id(self.tokenizer), self.vocab_size))

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, _TokenizerKey)
            and other.tokenizer is self.tokenizer
            and other.vocab_size == self.vocab_size
        )


@lru_cache(maxsize=8)
def _compiler(key: _TokenizerKey) -> xgr.GrammarCompiler:
    import xgrammar as xgr

    info = xgr.TokenizerInfo.from_huggingface(key.tokenizer, vocab_size=key.vocab_size)
    # xgrammar's own cache keeps every compiled grammar, unbounded by default, and each
    # grounded call schema is new (its numbers and ids): native memory that a server would
    # hold for the rest of its life, per routing turn. _compile's small cache is the one kept.
    return xgr.GrammarCompiler(info, cache_enabled=False)


@lru_cache(maxsize=4)  # compiling is quick; a grounded grammar is rarely asked for twice
def _compile(key: _TokenizerKey, schema_json: str) -> xgr.CompiledGrammar:
    return _compiler(key).compile_json_schema(
        schema_json, any_whitespace=False, separators=(",", ":")
    )
