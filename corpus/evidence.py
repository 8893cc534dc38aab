"""Score sentences against a question: the evidence behind reranking and answers.

A unit's score is the cosine similarity of its embedding to the question's, plus a
lexical term: the share of the question's key terms (stemmed, weighted by inverse
document frequency over the index's chunks) that the unit contains, plus a little of its
chunk's similarity (context). A question term that the corpus never uses weighs as much
as the rarest term, so a question about something the corpus does not mention scores
low everywhere: that is what the answer composer's "not covered" threshold reads.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

import numpy as np

__all__ = ["terms", "stem", "TermWeights", "W_LEX", "W_CHUNK", "W_CUE", "cue", "STOPWORDS"]

W_LEX = 0.35  # weight of the key-term share in a unit's score
W_CHUNK = 0.15  # weight of the chunk's own similarity (context) in a unit's score
W_CUE = 0.05  # weight of a why/how cue (corpus.evidence.cue) in a unit's score

STOPWORDS = frozenset(
    """
a about above after again against all also am an and any are as at be because been
before being below between both but by can could did do does doing done down during each
few for from further had has have having he her here hers him his how i if in into is it
its itself just me more most my no nor not now of off on once only or other our out over
own same she should so some such than that the their them then there these they this
those through to too under until up very was we were what when where which while who whom
why will with would you your yours explain describe tell give show please does mean
means meant used use using uses kind kinds type types way ways something thing things
role purpose happen happens typically usually common commonly main good
""".split()
)


def stem(word: str) -> str:
    """A light suffix stripper: skipping/skips/skip → skip, estimates/estimate → estimat."""
    w = word.lower()
    if len(w) <= 3 or w.isdigit():
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in ("ing", "ed"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)]
            if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":
                w = w[:-1]
            break
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]
    return w


def terms(text: str) -> list[str]:
    """The stemmed content words of ``text`` (stopwords out, order kept, repeats kept)."""
    return [
        stem(t)
        for t in re.findall(r"[a-z0-9]+", text.lower())
        if t not in STOPWORDS and not (len(t) == 1 and not t.isdigit())
    ]


class TermWeights:
    """Inverse document frequencies of stemmed terms over a set of documents (chunks)."""

    def __init__(self, documents: Iterable[str]):
        df: Counter[str] = Counter()
        n = 0
        for text in documents:
            df.update(set(terms(text)))
            n += 1
        self.n, self.df = n, df
        self.unseen = math.log((n + 1) / 1) + 1.0  # a term the corpus never uses

    def idf(self, term: str) -> float:
        d = self.df.get(term, 0)
        return math.log((self.n + 1) / (d + 1)) + 1.0 if d else self.unseen

    def known(self, term: str) -> bool:
        return term in self.df

    def key_terms(self, question: str) -> dict[str, float]:
        """The question's distinct terms with their weights."""
        return {t: self.idf(t) for t in dict.fromkeys(terms(question))}

    def coverage(self, key: dict[str, float], unit_text: str) -> float:
        """Weighted share of ``key`` that ``unit_text`` contains (0..1)."""
        total = sum(key.values())
        if not total:
            return 0.0
        have = set(terms(unit_text))
        return sum(w for t, w in key.items() if t in have) / total


_WHY_Q = re.compile(r"^\s*(why|what (causes|limits|controls|makes))\b", re.I)
_HOW_Q = re.compile(r"^\s*how\b", re.I)
_CAUSAL = re.compile(
    r"\b(because|since|so that|so|therefore|thus|hence|if|unless|otherwise|"
    r"cannot|causes?|leads? to|results? in|pushes|limits?|depends?|due to|"
    r"too|only)\b",
    re.I,
)
_PROCESS = re.compile(
    r"\b(by|using|uses?|then|first|from|computes?|estimates?|fits?|"
    r"measures?|applies|apply)\b",
    re.I,
)


def cue(question: str, text: str) -> float:
    """1 when ``text`` has the kind of words a why (cause) or how (procedure) question
    is answered with, else 0."""
    if _WHY_Q.match(question):
        return float(bool(_CAUSAL.search(text)))
    if _HOW_Q.match(question):
        return float(bool(_PROCESS.search(text)))
    return 0.0


def unit_scores(
    q_vec: np.ndarray | None,
    unit_vecs: np.ndarray | None,
    chunk_sim: float,
    lexical: np.ndarray,
    cues: np.ndarray | None = None,
) -> np.ndarray:
    """Scores of one chunk's units: cosine (when vectors are given) + lexical + context.

    Args:
        q_vec: the question's unit-norm embedding (d,), or None.
        unit_vecs: the units' unit-norm embeddings (n, d), or None.
        chunk_sim: the chunk's cosine similarity to the question.
        lexical: the units' key-term coverage (n,), each 0..1.
        cues: the units' why/how cue (n,), 0 or 1 (see :func:`cue`).
    """
    dense = (
        unit_vecs @ q_vec
        if q_vec is not None and unit_vecs is not None
        else np.zeros(len(lexical), np.float32)
    )
    extra = W_CUE * cues if cues is not None else 0.0
    return dense + W_LEX * lexical + W_CHUNK * chunk_sim + extra
