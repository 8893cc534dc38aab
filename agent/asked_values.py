"""The kind of value a question asks for, and whether a page states one.

A question that asks for a specific fact ("In which year ...?", "How many nodes ...?",
"What does ... cost?") is only answered by a page that states a value of that kind: a
page on the same topic without it would be quoted confidently and answer nothing. Three
kinds are recognised:

- a year: "in which year", "what year", "when did/was/were";
- a count: "how many <things>", answered by a number (in digits or words) next to the
  things counted;
- a price: "cost", "price", answered by an amount of money.

``missing_values(question, texts)`` names the kinds the texts lack; the composer
(agent.compose) says the literature does not cover a question whose chosen page lacks
one.
"""

from __future__ import annotations

import re

from corpus.evidence import terms

__all__ = ["asked_values", "missing_values"]

_YEAR_Q = re.compile(r"\b(?:which|what) year\b|\bwhen (?:did|was|were)\b", re.I)
_YEAR = re.compile(r"\b(?:1[5-9]\d\d|20\d\d)s?\b")
_COUNT_Q = re.compile(r"\bhow many ((?:[\w-]+\s*){1,3})", re.I)
_VERBS = set(
    "are is was were do does did have has had can could will would should must died "
    "deployed produced used needed made exist there".split()
)
_PRICE_Q = re.compile(r"\b(?:cost|costs|price|priced|how expensive)\b", re.I)
_MONEY = re.compile(
    r"[$€£]\s?\d|\b\d[\d,.]*\s?(?:k|m|million|thousand)?\s?(?:USD|EUR|GBP|dollars?|euros?)\b",
    re.I,
)
_ASKING = set(terms("year years cost costs price typical typically roughly many"))
_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve twenty thirty forty "
    "fifty hundred hundreds thousand thousands million millions dozen dozens several"
)
_NUMBER = rf"(?:\d[\d,.]*|{'|'.join(_NUMBER_WORDS.split())})"


def asked_values(question: str) -> list[tuple[str, str]]:
    """The values ``question`` asks for, as (kind, counted thing): ("year", ""),
    ("count", "node"), ("price", "")."""
    asked: list[tuple[str, str]] = []
    if _YEAR_Q.search(question):
        asked.append(("year", ""))
    for m in _COUNT_Q.finditer(question):
        words = []
        for w in m.group(1).lower().split():
            if w in _VERBS:
                break
            words.append(w)
        if words:
            thing = words[-1]
            asked.append(("count", thing[:-1] if thing.endswith("s") else thing))
    if _PRICE_Q.search(question):
        asked.append(("price", ""))
    return asked


def _states(kind: str, thing: str, text: str) -> bool:
    if kind == "year":
        return bool(_YEAR.search(text))
    if kind == "price":
        return bool(_MONEY.search(text))
    counted = rf"\b{_NUMBER}\s+(?:[\w-]+\s+)?{re.escape(thing)}"
    return bool(re.search(counted, text, re.I))


def missing_values(question: str, texts: list[str]) -> list[str]:
    """The kinds of value ``question`` asks for that no sentence of ``texts`` states
    about the question's topic: the value must stand in a text that also holds two of
    the question's terms (a citation's year on a page about the same subject is not the
    year asked for)."""
    topic = set(terms(question)) - _ASKING
    need = min(2, len(topic))
    return [
        kind
        for kind, thing in asked_values(question)
        if not any(_states(kind, thing, t) and len(topic & set(terms(t))) >= need for t in texts)
    ]
