"""Seeded rewordings of a training phrasing, for wording breadth.

    variants("Attenuate the random noise with f-x decon, up to {f} Hz.", n=2)
    # e.g. ["suppress the random noise with fx decon, up to {f}hz",
    #       "Hi, could you attenuate the random noise using f-x deconvolution up to {f} hertz? Thanks!"]

A variant is the phrasing with two or three rewrites drawn from: domain synonyms
(attenuate/suppress/remove/clean up, denoise/de-noise, dead/zeroed/missing traces, f-x
decon spellings, plot/display/show...), the way a unit is written ("15 Hz", "15hz", "15
hertz", "200 ms", "200ms"), the register (terse: no "please", no "could you"; chatty: a
greeting and thanks), the place of "please" in the sentence, all lower case, and a light
typo in one longer word. The rewrites never touch a number, a ``{slot}`` or the word
that says what the number is ("120 traces", "3 faults", "{f} Hz" keep their pairing:
:func:`number_units` is the same before and after, up to how the unit is spelled), and
the ``{slot}`` names of the phrasing are kept. The same text, ``n`` and ``seed`` always
give the same variants (``random.Random`` seeded with a string is stable across runs).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

__all__ = ["variants", "number_units", "slots_of"]

_SLOT = re.compile(r"\{(\w+)\}")
_NUM = r"(?:\{\w+\}|\d+(?:\.\d+)?)"

# Groups of interchangeable words or phrases (regex, replacements); a match is replaced
# by another member of its group. Each pattern is narrow enough to keep the meaning.
_SYNONYMS: list[tuple[re.Pattern[str], tuple[str, ...]]] = [
    (
        re.compile(
            r"\b(attenuate|suppress|reduce|remove|kill)(?= (?:the |all |some )?"
            r"(?:random |incoherent |background |linear |coherent )?(?:noise|spikes))",
            re.I,
        ),
        ("attenuate", "suppress", "reduce", "remove", "get rid of", "clean up"),
    ),
    (re.compile(r"\bde-?noise\b", re.I), ("denoise", "de-noise")),
    (re.compile(r"\bde-?noised\b", re.I), ("denoised", "de-noised", "cleaned")),
    (
        re.compile(r"\b(?:dead|zeroed|missing|blank|empty)(?= traces\b)", re.I),
        ("dead", "zeroed", "missing", "blank", "empty"),
    ),
    (
        re.compile(r"(?<=\btraces )(?:dead|zeroed|missing)\b", re.I),
        ("dead", "zeroed", "missing"),
    ),
    (
        re.compile(r"\bf-?x (?:decon|deconvolution)\b|\bfx[- ]decon\b", re.I),
        ("f-x decon", "fx decon", "FX decon", "f-x deconvolution", "fx-decon"),
    ),
    (re.compile(r"\bband-?pass\b|\bband pass\b", re.I), ("bandpass", "band-pass", "band pass")),
    (re.compile(r"\bf-?k\b(?!-)", re.I), ("f-k", "fk", "F-K")),
    (
        re.compile(r"\b(?:plot|display|draw)(?= (?:the|it|this|a|my)\b)", re.I),
        ("plot", "display", "draw", "show"),
    ),
    (
        re.compile(r"\b(?:estimate|extract)(?= (?:the |a )?(?:\w+ )?wavelet\b)", re.I),
        ("estimate", "extract"),
    ),
    (
        re.compile(r"\b(?:amplitude spectrum|frequency spectrum)\b", re.I),
        ("amplitude spectrum", "frequency spectrum", "spectrum"),
    ),
    (
        re.compile(r"\bsignal[- ]to[- ]noise(?: ratio)?\b|\bS/N\b", re.I),
        ("signal-to-noise ratio", "signal to noise", "S/N"),
    ),
    (re.compile(r"\b(?:could|can|would) you\b", re.I), ("could you", "can you", "would you")),
    (
        re.compile(r"\b(?:make|create|generate)(?= (?:me )?(?:a|an|some)\b)", re.I),
        ("make", "create", "generate", "build"),
    ),
    (re.compile(r"\b(?:read|load|open)(?= (?:the|this|my)\b)", re.I), ("read", "load", "open")),
    (re.compile(r"\b(?:this|the) stack\b", re.I), ("this stack", "the stack", "this line")),
    (re.compile(r"\b(?:this|the) section\b", re.I), ("this section", "the section", "the data")),
    (re.compile(r"\bacoustic impedance\b", re.I), ("acoustic impedance", "AI")),
    (re.compile(r"\bcolou?red\b", re.I), ("coloured", "colored")),
]

_UNITS: list[tuple[re.Pattern[str], tuple[str, ...]]] = [
    (re.compile(rf"({_NUM})\s?(?:Hz|hz|hertz)\b"), ("{} Hz", "{}Hz", "{} hz", "{}hz", "{} hertz")),
    (re.compile(rf"({_NUM})\s?(?:ms|milliseconds)\b"), ("{} ms", "{}ms", "{} milliseconds")),
    (re.compile(rf"({_NUM})\s?(?:%|percent|per cent)"), ("{}%", "{} %", "{} percent")),
]
_UNIT_NAMES = {
    "hz": "hz",
    "hertz": "hz",
    "ms": "ms",
    "milliseconds": "ms",
    "%": "%",
    "percent": "%",
    "per": "%",
}

_GREETINGS = ("Hi, ", "Hello! ", "Hey, ", "Quick one: ", "When you have a moment, ", "OK, ")
_THANKS = (" Thanks!", " Thank you.", " Cheers.", " Thanks a lot.")
_POLITE = re.compile(
    r"^(?:please|could you|can you|would you|i want you to|i'd like you to)\s+", re.I
)
_TAIL_PLEASE = re.compile(r",?\s+please(?=[.?!]?$)", re.I)
_PROTECTED = re.compile(r"\d|\{|\}|[A-Z]{2,}|-")


def slots_of(text: str) -> list[str]:
    return sorted(_SLOT.findall(text))


def number_units(text: str) -> list[tuple[str, str]]:
    """(number or slot, the word right after it) pairs, the unit spelled one way: the
    pairing the variants keep ("120 traces", "{f} Hz", "3 faults")."""
    out = []
    for m in re.finditer(rf"({_NUM})\s?(%|[A-Za-z]+)?", text):
        word = (m.group(2) or "").lower()
        out.append((m.group(1), _UNIT_NAMES.get(word, word)))
    return out


def _case_like(new: str, old: str) -> str:
    if old[:1].isupper() and new[:1].islower():
        return new[:1].upper() + new[1:]
    return new


def _synonym(text: str, rng: random.Random) -> str:
    found = [(p, alts) for p, alts in _SYNONYMS if p.search(text)]
    if not found:
        return text
    pattern, alts = rng.choice(found)

    def swap(m: re.Match[str]) -> str:
        old = m.group(0)
        choices = [a for a in alts if a.lower() != old.lower()] or [old]
        return _case_like(rng.choice(choices), old)

    return pattern.sub(swap, text, count=1)


def _unit(text: str, rng: random.Random) -> str:
    found = [(p, forms) for p, forms in _UNITS if p.search(text)]
    if not found:
        return text
    pattern, forms = rng.choice(found)
    form = rng.choice(forms)
    return pattern.sub(lambda m: form.format(m.group(1)), text)


def _terse(text: str, rng: random.Random) -> str:
    out = _POLITE.sub("", text)
    asked = out != text
    out = _TAIL_PLEASE.sub("", out)
    out = re.sub(r",?\s*\b(?:please|for me|if you can)\b,?", "", out, flags=re.I).strip()
    if asked:  # "Could you plot it?" -> "Plot it."
        out = re.sub(r"\?$", ".", out)
    out = re.sub(r"\s+([.,;:?!])", r"\1", out)
    return out[:1].upper() + out[1:] if out else text


_VERBS = frozenset(
    "apply run make read load plot show filter denoise invert estimate compute measure give "
    "get create generate remove attenuate suppress clean write save export pick detect "
    "compare display draw gain bandpass build extract take convert tell describe summarize "
    "summarise test use simulate do check locate find open import search look boost "
    "interpolate reconstruct fill despike mute".split()
)


def _chatty(text: str, rng: random.Random) -> str:
    first = text.split(" ", 1)[0].lower().strip(",.:;")
    one_sentence = not re.search(r"[.?!;:]\s", text.strip())
    body = text[:1].lower() + text[1:] if text[1:2].islower() else text
    if first in _VERBS and one_sentence and not _POLITE.match(text):
        body = "could you " + body.rstrip(".!?") + "?"
    return rng.choice(_GREETINGS) + body + rng.choice(_THANKS)


def _please_moved(text: str, rng: random.Random) -> str:
    if re.match(r"^please\s+", text, re.I):
        body = re.sub(r"^please\s+", "", text, flags=re.I)
        body = body[:1].upper() + body[1:]
        return re.sub(r"([.!?]?)$", r", please\1", body.rstrip(), count=1)
    if _TAIL_PLEASE.search(text) and text.split(" ", 1)[0].lower() in _VERBS:
        body = _TAIL_PLEASE.sub("", text)
        return "Please " + body[:1].lower() + body[1:]
    return text


def _lower(text: str, rng: random.Random) -> str:
    return re.sub(r"[.!]$", "", text.lower())


def _typo(text: str, rng: random.Random) -> str:
    words = list(re.finditer(r"[A-Za-z]{6,}", text))
    # not next to a number (the word that says what it is), not an acronym or a name
    words = [
        w
        for w in words
        if not _PROTECTED.search(text[max(0, w.start() - 2) : w.end() + 2])
        and not re.match(rf"\s?{_NUM}", text[w.end() : w.end() + 8])
    ]
    if not words:
        return text
    w = rng.choice(words)
    s = w.group(0)
    i = rng.randrange(1, len(s) - 2)
    broken = s[:i] + s[i + 1] + s[i] + s[i + 2 :]  # two neighbouring letters swapped
    return text[: w.start()] + broken + text[w.end() :]


# in this order, each with its probability; a typo before the greeting and thanks
_REWRITES: tuple[tuple[Callable[[str, random.Random], str], float], ...] = (
    (_synonym, 1.0),
    (_synonym, 0.5),
    (_unit, 0.8),
    (_terse, 0.3),
    (_please_moved, 0.3),
    (_lower, 0.2),
    (_typo, 0.15),
    (_chatty, 0.25),
)


def _keeps_meaning(old: str, new: str) -> bool:
    return (
        slots_of(old) == slots_of(new)
        and number_units(old) == number_units(new)
        and "{" not in _SLOT.sub("", new)
        and "}" not in _SLOT.sub("", new)
    )


def variants(text: str, n: int = 1, seed: int = 0) -> list[str]:
    """Up to ``n`` distinct rewordings of ``text`` (fewer when it offers too little to
    rewrite); deterministic in ``text``, ``n`` and ``seed``."""
    rng = random.Random(f"{seed}:{text}")
    out: list[str] = []
    for _ in range(12 * n):
        if len(out) == n:
            break
        new = text
        for rewrite, p in _REWRITES:
            if rng.random() < p:
                new = rewrite(new, rng)
        new = re.sub(r"\s{2,}", " ", new).strip()
        if new.lower() != text.lower() and new not in out and _keeps_meaning(text, new):
            out.append(new)
    return out
