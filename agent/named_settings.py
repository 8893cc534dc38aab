"""Settings a request names in so many words, put where they belong.

The routing model picks the right tool far more often than it fills every argument the
user wrote: "order-2 Butterworth between 6 and 70 Hz" comes back without ``order``,
"10-trace spatial windows and a 3-trace filter" with ``filter_length=10``. A setting
written with the words that name it ("order 2", "3 traces each side", "seed 7",
"viridis", "fresh headers") is not a judgement call, so before a call runs the words of
the message fill it in (:func:`settle`)::

    "fx decon, filter length 6, only up to 60 Hz"
    model:   fx_decon(data=ws-2, filter_length=6)
    settled: fx_decon(data=ws-2, filter_length=6, fmax_hz=60)

Each cue is a pattern over the message for one tool's argument(s)
(:data:`agent.setting_words.CUES`). A cue is used only when it is unambiguous:

- the message names one value for it (two different bands, "2-20 Hz ... actually 3 to
  18 Hz", leave the call as the model made it);
- in a message that chains steps ("bandpass 10-90 Hz, then f-x decon up to 60 Hz"), a
  cue counts for a tool when the step its clause names nearest to it is that tool's
  (:data:`agent.setting_words.TRIGGERS`; see :func:`_eligible`);
- an enum word after a negation ("not dip-steered", "no linear trend") does not count;
- the value must fit the argument's schema (its enum, bounds and type).

A value the model put in a different argument of the same call, where the message's
words give it to the settled one, is taken back out (its default applies): "10-trace
windows" is ``win_traces``, not ``filter_length``. Slips are undone too (:func:`_slips`,
:func:`_same_ids`: the section given as its own wavelet), an optional measure nobody
gave is taken out (:func:`_unasked`: a 4 ms wavelet made of a 4 ms sample interval), and
so is an option the model fills by habit that the words do not name
(:func:`_unnamed_choices`: a colour map, an array layout); anything else the model
chose stays as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from agent.clauses import negated, spans
from agent.constrained import Grounding, argument_tag
from agent.setting_words import CUES, TRIGGERS, Cue
from tools.registry import WORKSPACE_ID_PATTERN

__all__ = ["VOLUME_LINES", "named", "named_line", "settle"]


def _eligible(tool: str, cue: Cue, clause: str, span: tuple[int, int], rest: str) -> bool:
    """Whether a cue found at ``span`` in ``clause`` may fill ``tool``'s arguments: the
    mention the cue belongs to is ``tool``'s: a tool named right after the cue ("a 10-45
    Hz filter"), else the nearest one before it ("bandpass 10-45 Hz"), else the nearest
    one after it. When the clause mentions none of the tools the cue could fill, it
    counts unless the clause is about another step while ``tool`` has a clause of its
    own in the ``rest`` of the message ("a synthetic, then median it with 1 trace either
    side": "1 trace" is not the synthetic's trace count)."""
    start, end = span
    after: list[tuple[int, str]] = []
    before: list[tuple[int, str]] = []
    for t in cue.tools:
        if t not in TRIGGERS:
            continue
        for m in TRIGGERS[t].finditer(clause):
            if m.start() >= end:
                after.append((m.start() - end, t))
            elif m.end() <= start:
                before.append((start - m.end(), t))
    if not after and not before:
        own = TRIGGERS.get(tool)
        elsewhere = own is not None and own.search(rest) is not None
        # the cue's own words ("the before/after figure") do not name another step
        other = any(
            not start <= m.start() < end for p in TRIGGERS.values() for m in p.finditer(clause)
        )
        return not (elsewhere and other)
    adjacent = [t for gap, t in after if not clause[end : end + gap].strip()]
    if adjacent:
        return tool in adjacent
    pool = before or after
    nearest = min(gap for gap, _ in pool)
    return tool in {t for gap, t in pool if gap == nearest}


def _fits(value: Any, prop: dict[str, Any]) -> Any:
    """``value`` as the argument's schema takes it, or None when it does not fit."""
    branches = prop.get("anyOf") or [prop]
    for b in branches:
        kind = b.get("type")
        if "enum" in b:
            if value in b["enum"]:
                return value
            continue
        if kind == "boolean" and isinstance(value, bool):
            return value
        if (
            kind in ("number", "integer")
            and isinstance(value, (int, float))
            and not isinstance(value, bool)
        ):
            if kind == "integer" and not float(value).is_integer():
                continue
            if ("minimum" in b and value < b["minimum"]) or (
                "maximum" in b and value > b["maximum"]
            ):
                continue
            return int(value) if kind == "integer" else float(value)
        if kind == "string" and isinstance(value, str) and "pattern" not in b:
            return value
    return None


def named(tool: str, text: str, schema: dict[str, Any]) -> dict[str, Any]:
    """The settings of ``tool`` that ``text`` names unambiguously (see the module notes),
    as its schema (``parameters``) takes them."""
    return _unambiguous(_found(tool, text, schema))


def named_line(reader: str, text: str, schema: dict[str, Any]) -> dict[str, Any]:
    """The one line of a volume ``text`` names for ``reader`` ({"inline": 125}), else {}
    (none, or two: "inline 120 and crossline 880")."""
    lines = {k: v for k, v in named(reader, text, schema).items() if k in VOLUME_LINES}
    return lines if len(lines) == 1 else {}


def _unambiguous(found: dict[str, set]) -> dict[str, Any]:
    """The arguments of :func:`_found` with one value, as the call takes it."""
    out: dict[str, Any] = {}
    for arg, values in found.items():
        if len(values) == 1:
            (v,) = values
            out[arg] = v[1] if isinstance(v, tuple) else v
    return out


def _found(tool: str, text: str, schema: dict[str, Any]) -> dict[str, set]:
    """Every value the cues find for each argument of ``tool`` in ``text`` (booleans as
    (type name, value) pairs, so that True and 1 stay apart)."""
    props = (schema or {}).get("properties", {})
    clauses = spans(text)
    found: dict[str, set] = {}
    for cue in CUES:
        if tool not in cue.tools:
            continue
        for m in cue.pattern.finditer(text):
            if cue.enum and negated(text, m.start()):
                continue
            a, b = next(((a, b) for a, b in clauses if a <= m.start() < b), (0, len(text)))
            span = (m.start() - a, m.end() - a)
            rest = text[:a] + " | " + text[b:]
            if not _eligible(tool, cue, text[a:b], span, rest):
                continue
            got = cue.values(tool, m)
            for arg, value in (got or {}).items():
                if arg not in props:
                    continue
                fitted = _fits(value, props[arg])
                if fitted is not None:
                    found.setdefault(arg, set()).add(_as_found(fitted))
    for arg, value in _by_name(text, props):
        fitted = _fits(value, props[arg])
        if fitted is not None:
            found.setdefault(arg, set()).add(_as_found(fitted))
    return found


# the unit an argument's name ends in, with the words that write it; a number written
# with a unit of another argument's does not go to this one
_UNIT_OF = {
    "hz": {"hz", "hertz"},
    "ms": {"ms", "msec", "millisecond", "milliseconds"},
    "m": {"m", "metre", "metres", "meter", "meters"},
    "db": {"db", "decibel", "decibels"},
    "pct": {"%", "percent"},
    "traces": {"trace", "traces"},
}
_UNIT_WORDS = set().union(*_UNIT_OF.values()) | {"s", "sec", "second", "seconds", "km", "khz"}


def _by_name(text: str, props: dict[str, Any]) -> list[tuple[str, float]]:
    """Numbers written right after an argument's own name, as someone who read the tool's
    schema writes them: "half_length 2", "win_traces=20", "fmax at 60 Hz" (a name with
    its unit left off, when the number has that unit or none: "window 0.5 s" is not
    ``window_ms``)."""
    out = []
    for arg in props:
        if "_" not in arg:
            continue  # one-word names ("rank", "order", "seed") have cues of their own
        head, _, unit = arg.rpartition("_")
        names = [arg] + ([head] if unit in _UNIT_OF and len(head) >= 4 else [])
        for name in names:
            words = name.replace("_", "[_ ]")
            pattern = rf"\b{words}\s*(?:=|:|of|at|to|is)?\s*(-?\d+(?:\.\d+)?)\s*(%|[a-z]+)?"
            for m in re.finditer(pattern, text, re.IGNORECASE):
                after = (m.group(2) or "").lower()
                if after in _UNIT_WORDS and after not in _UNIT_OF.get(unit, set()):
                    continue
                out.append((arg, float(m.group(1))))
    return out


def _as_found(value: Any) -> Any:
    """``value`` as :func:`_found` keeps it (a boolean with its type, so that True and 1
    stay apart)."""
    return (type(value).__name__, value) if isinstance(value, bool) else value


# words that talk about figures; without any, figure=False is the model's slip
_FIGURE_WORDS = re.compile(
    r"figure|plot|picture|image|png|panel|graphic|visual|display|numbers|just the", re.I
)


def _slips(args: dict[str, Any], text: str, props: dict[str, Any]) -> dict[str, Any]:
    """``args`` without three slips of a small model: a workspace id in an optional text
    argument (``curve="ws-1"``, ``title="ws-2"``) and ``figure=False`` in a request that says
    nothing of figures (their defaults apply), and a workspace id as a literature search's
    words (the words the text quotes, else the text, are searched)."""
    out = dict(args)
    for k, v in args.items():
        prop = props.get(k, {})
        plain = (
            prop.get("type") == "string"
            and "pattern" not in prop
            and "enum" not in prop
            and "default" in prop  # optional text: a required one may be an id of a custom tool
        )
        if plain and isinstance(v, str) and re.fullmatch(WORKSPACE_ID_PATTERN, v.strip()):
            out.pop(k)
    if out.get("figure") is False and not _FIGURE_WORDS.search(text):
        out.pop("figure")
    query = args.get("query")
    if "query" in props and isinstance(query, str) and re.fullmatch(WORKSPACE_ID_PATTERN, query):
        quoted = re.search(r'["“]([^"”]{3,})["”]', text)  # look up "f-x deconvolution Canales"
        out["query"] = quoted.group(1) if quoted else text
    return out


# a number a tool reports under a name: "inline=113", "\"dominant_hz\": 31.5"
_KEYED = re.compile(r'"?([A-Za-z_]\w*)"?\s*[=:]\s*(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\b')


def _unasked(
    args: dict[str, Any], said: str, reports: Sequence[str], schema: dict[str, Any]
) -> dict[str, Any]:
    """``args`` without an optional measure nobody gave: a number in an argument whose
    name says what it measures (hertz, milliseconds, traces, metres: see
    :func:`agent.constrained.argument_tag`) that the request (``said``) never writes, in
    any of the forms :class:`agent.constrained.Grounding` reads ("0.5 s" is also 500 ms,
    "no low cut" a 0), and that no tool's report or file description gives under the
    argument's own name ("length_ms=..."). A small model fills optional arguments with
    any number in sight (a 4 ms wavelet made of a 4 ms sample interval); its default
    applies instead. So does a rank nobody wrote (:data:`_WRITTEN_ONLY`). Required
    numbers, and positions, seeds and thresholds (whose names carry no unit: a well's
    crossline comes from a report under another name), are left to the model."""
    required = set(schema.get("required", []))
    written = set(Grounding.from_texts([said]).numbers)
    keyed = {(k, float(v)) for r in reports for k, v in _KEYED.findall(r)}
    out = dict(args)
    for k, v in args.items():
        if k in required or isinstance(v, bool) or not isinstance(v, (int, float)):
            continue
        if not argument_tag(k) and k not in _WRITTEN_ONLY:
            continue
        if float(v) not in written and (k, float(v)) not in keyed:
            out.pop(k)
    return out


# unitless numbers that only words give (a rank: "rank 3", "rank-one")
_WRITTEN_ONLY = {"rank"}

# the arguments by which a volume's reader takes one line of it
VOLUME_LINES = frozenset({"inline", "crossline", "time_ms"})


# word options a small model fills by habit where nobody asked (the colour map, the
# array's layout, trace-by-trace inversion): kept only when the request names them in
# words (a cue of :data:`agent.setting_words.CUES`)
_NAMED_ONLY = {
    ("plot_section", "cmap"),
    ("import_array", "layout"),
    ("invert_impedance", "regularization"),
    ("median_filter", "dip_steered"),
    ("write_segy", "headers"),  # fresh headers only where the array has a SEG-Y to copy
}


def _unnamed_choices(
    tool: str,
    args: dict[str, Any],
    text: str,
    schema: dict[str, Any],
    found: dict[str, set],
    earlier: str = "",
    has_source: Callable[[Any], bool] | None = None,
) -> dict[str, Any]:
    """``args`` without an option of :data:`_NAMED_ONLY` that is not its default and that
    no cue found in the text (``found``: :func:`_found`), and without ``figure=True``
    where the tool's default is no figure and the request says nothing of figures: their
    defaults apply. In a follow-up, an option an earlier call in the record (``earlier``)
    gave the same value, or the earlier turns' words name, is carried over ("again, but
    stronger"). A SEG-Y written with fresh headers keeps them unless ``has_source`` says
    its array has headers to copy (None: not known): the default "source" fails on an
    array no SEG-Y was read into."""
    props = schema.get("properties", {})
    before = _found(tool, earlier, schema) if earlier else {}
    out = dict(args)
    for k, v in args.items():
        if (
            (tool, k) in _NAMED_ONLY
            and _as_found(v) not in found.get(k, set()) | before.get(k, set())
            and v != props.get(k, {}).get("default")
            and not _given_before(k, v, earlier)
            and (k != "headers" or (has_source is not None and has_source(args.get("data"))))
        ):
            out.pop(k)
    if (
        out.get("figure") is True
        and props.get("figure", {}).get("default") is False
        and not _FIGURE_WORDS.search(text)
        and not _given_before("figure", True, earlier)
    ):
        out.pop("figure")
    return out


def _given_before(arg: str, value: Any, earlier: str) -> bool:
    """Whether a call in the record of earlier turns gave ``arg`` this ``value``
    (the record writes each call's arguments as ``name=value``)."""
    return bool(earlier) and re.search(rf"\b{arg}={re.escape(str(value))}\b", earlier) is not None


def _same_ids(args: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """``args`` without an optional workspace id that repeats a required one: the section
    given again as its own wavelet, reference or background. A section given as its own
    well log is left alone: it says the log is still to be read (``agent.reads``)."""
    required = set(schema.get("required", []))
    ids = {
        v.strip()
        for k, v in args.items()
        if k in required and isinstance(v, str) and re.fullmatch(WORKSPACE_ID_PATTERN, v.strip())
    }
    return {
        k: v
        for k, v in args.items()
        if k in required or k == "well_log" or not (isinstance(v, str) and v.strip() in ids)
    }


def settle(
    tool: str,
    args: dict[str, Any],
    text: str,
    schema: dict[str, Any],
    reports: Sequence[str] | None = None,
    earlier: str = "",
    has_source: Callable[[Any], bool] | None = None,
) -> dict[str, Any]:
    """``args`` with the settings ``text`` names for ``tool`` (:func:`named`); a number
    the model put in another argument, where the text names it for the settled one, is
    taken out (its default applies; when the two arguments' numbers are the wrong way
    round and the text writes both, they swap back), and so are the model's slips
    (:func:`_slips`). With the tools' ``reports`` so far (None: not known), an optional
    number that neither the text nor a report under its name gave is taken out too
    (:func:`_unasked`); in a follow-up the record's numbers count as given, and a call
    of a tool an earlier turn ran keeps its numbers ("again, but stronger" may mean one
    its words do not write). Options nobody named go (:func:`_unnamed_choices`), save,
    in a follow-up, those an earlier call gave or earlier words named; an optional id
    repeating a required one goes in either case (:func:`_same_ids`)."""
    out = _same_ids(_slips(args, text, (schema or {}).get("properties", {})), schema or {})
    if reports is not None and not earlier:
        out = _unasked(out, text, reports, schema or {})
    elif reports is not None and not re.search(rf"\b{re.escape(tool)}\b", earlier):
        # a step new to the conversation is no "again, but stronger": its numbers are
        # the message's or the record's
        said = text + "\n" + re.sub(r"\bTurn \d+:|\(\d+ earlier turns? not shown\)", "", earlier)
        out = _unasked(out, said, reports, schema or {})
    found = _found(tool, text, schema)
    given = _unambiguous(found)
    if len(given.keys() & VOLUME_LINES) > 1:  # "inline 120 and crossline 880": two reads
        given = {k: v for k, v in given.items() if k not in VOLUME_LINES}
    out = _unnamed_choices(tool, out, text, schema or {}, found, earlier, has_source)
    for arg, value in given.items():
        for other, v in args.items():
            if (
                other != arg
                and other not in given
                and isinstance(v, (int, float))
                and not isinstance(v, bool)
                and isinstance(value, (int, float))
                and not isinstance(value, bool)
                and float(v) == float(value)
            ):
                out.pop(other, None)
                was = args.get(arg)
                if _swapped(was, value, text) and other in (schema or {}).get("properties", {}):
                    out[other] = was  # the two numbers the wrong way round
        out[arg] = value
    return out


def _swapped(was: Any, value: Any, text: str) -> bool:
    """Whether the model's number ``was`` for an argument the text gives ``value`` is
    a number the text writes too (so it belongs to the argument that took ``value``)."""
    if not isinstance(was, (int, float)) or isinstance(was, bool) or float(was) == float(value):
        return False
    return float(was) in Grounding.from_texts([text]).numbers
