"""Literature answers composed from evidence: the paragraphs that answer, each sentence cited.

No language model writes these answers. The retrieved passages are split into sentences
and list items (corpus.sentences); each is scored against the question (corpus.evidence:
embedding similarity plus the share of the question's key terms it holds), and the page
with the strongest evidence is chosen. Every chunk of that page is then read, not only
the retrieved ones, and its paragraphs and lists (blocks) are ranked by the evidence
score of the whole block: the block's embedding, with the page title, against the
question's, plus its key-term share. The best ``BLOCKS`` blocks are quoted, best first (a
two-part question, "What is X, and how is it measured?", gets the best block of each part
first), each trimmed to a window around its best sentence, until the answer holds
``MAX_SENTENCES`` cited sentences (the items of one list are joined into one sentence)
or ``MAX_WORDS`` words; a quote from a labelled paragraph or list item ("**Class III:
low-impedance sand.** ...") that skips the label's own sentence is preceded by the
label. A rare question term that the corpus uses (an acronym such as MASW) is always
quoted where a sentence of the page holds it. When the best sentence
scores under ``COVER_THRESHOLD``, or the best page (its title and retrieved sentences)
holds under ``COVER_TERMS`` of the question's key terms, or the question asks for a
year, a count or a price that the page never states (agent.asked_values), the answer
says the indexed literature does not cover the question and lists the closest sources.

The thresholds and sizes were chosen on the tuning sets
``benchmarks/data/qa_literature_dev.jsonl`` and ``qa_literature_dev2.jsonl`` (see
``benchmarks/README.md``); the frozen QA set judges them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from agent.asked_values import missing_values
from agent.steps import Passage, to_passages
from corpus.evidence import TermWeights, terms
from corpus.sentences import Sentence, split_sentences

__all__ = [
    "Composed",
    "compose_answer",
    "not_covered",
    "COVER_THRESHOLD",
    "MAX_SENTENCES",
    "MAX_WORDS",
]

COVER_THRESHOLD = 0.55  # best sentence score under which the literature does not cover it
COVER_TERMS = 0.4  # share of the question's key terms (by weight) the page must hold
MAX_SENTENCES = 12  # cited sentences in an answer (one list's items count as one)
MAX_WORDS = 170  # words quoted at most
BLOCKS = 5  # paragraphs or lists quoted at most (more for a many-part question)
LEXICAL_COVER = 0.5  # without sentence vectors: the key-term share that covers it
RARE_IDF = 4.0  # a question term this rare (and in the corpus) must be quoted
_LIST_Q = re.compile(r"^\s*(which|list|name|what (are|kinds|types)|give)\b", re.I)
_PARTS = re.compile(r",? and (?=(?:what|why|how|which|where|when|does|do|is|are|can)\b)", re.I)


@dataclass(frozen=True)
class Composed:
    """A composed answer: its text (with [n] markers), the passages it cites, whether
    the evidence covered the question, and the best sentence's score."""

    text: str
    cited: tuple[Passage, ...]
    covered: bool
    best: float


@dataclass(frozen=True)
class _Unit:
    sentence: Sentence
    passage: Passage
    score: float


def compose_answer(question: str, passages: tuple[Passage, ...], index: Any = None) -> Composed:
    """Quote the sentences of ``passages`` that answer ``question``, each cited [n].

    Args:
        question: the user's question.
        passages: the retrieved passages, numbered as they are cited.
        index: the corpus.Index they came from (its stored sentence vectors and term
            weights are used); without one, sentences are scored by key terms alone.
    """
    units, weights = _scored(question, passages, index)
    candidates = _dedupe([u for u in units if u.sentence.quotable])
    if not candidates:
        return not_covered(passages, 0.0)
    candidates.sort(key=lambda u: -u.score)
    if candidates[0].score < COVER_THRESHOLD:
        return not_covered(passages, candidates[0].score)
    key = weights.key_terms(question)
    rare = [t for t, w in key.items() if w >= RARE_IDF and weights.known(t)]
    best = _best_page(candidates, rare)
    page_text = " ".join(
        [best.passage.title]
        + [u.sentence.text for u in candidates if u.passage.source == best.passage.source]
    )
    if weights.coverage(key, page_text) < COVER_TERMS:
        return not_covered(passages, candidates[0].score)
    if hasattr(index, "page_chunk_ids"):
        passages, candidates = _whole_page(question, passages, index, best, candidates)
    page = [u for u in candidates if u.passage.source == best.passage.source]
    if missing_values(question, [best.passage.title] + [u.sentence.text for u in page]):
        return not_covered(passages, candidates[0].score)  # the page lacks the asked value
    chosen = _select_blocks(question, page, index)
    ordered = _with_rare_terms(rare, chosen, candidates)
    while len(ordered) > 1 and _cited_count(question, ordered) > MAX_SENTENCES:
        ordered = ordered[:-1]
    return Composed(_render(question, ordered), _cited(ordered), True, candidates[0].score)


def not_covered(passages: tuple[Passage, ...], best: float) -> Composed:
    """The answer when the evidence is weak: say so, and list the closest sources."""
    closest = _pages(passages)[:3]
    if not closest:
        return Composed(
            "The indexed literature does not cover this question, and no passage came close.",
            (),
            False,
            best,
        )
    listed = "; ".join(f"{p.title} [{p.n}]" for p in closest)
    return Composed(
        f"The indexed literature does not cover this question. The closest sources are: {listed}.",
        tuple(closest),
        False,
        best,
    )


def _scored(
    question: str, passages: tuple[Passage, ...], index: Any
) -> tuple[list[_Unit], TermWeights]:
    ids = [p.chunk_id for p in passages]
    if index is not None and hasattr(index, "sentence_scores") and all(ids):
        scored = index.sentence_scores(question, ids)
        if all(scored):
            units = [_Unit(s, p, sc) for p, row in zip(passages, scored) for s, sc in row]
            return units, index.term_weights()
    # a plain index (or none): key terms over the passages themselves
    weights = TermWeights(p.text for p in passages)
    key = weights.key_terms(question)
    units = []
    for p in passages:
        units += [
            _Unit(s, p, weights.coverage(key, s.text) / LEXICAL_COVER * COVER_THRESHOLD)
            for s in split_sentences(p.text, p.title, p.section)
        ]
    return units, weights


def _dedupe(units: list[_Unit]) -> list[_Unit]:
    """One copy of each sentence (chunks overlap by a paragraph), the best-scored."""
    best: dict[str, _Unit] = {}
    for u in units:
        key = _norm(u.sentence.text)
        if key not in best or u.score > best[key].score:
            best[key] = u
    return list(best.values())


def _parts(question: str) -> list[str]:
    """The parts of a two-part question ("What is X, and how is it measured?")."""
    return [p.strip() for p in _PARTS.split(question) if p and p.strip()]


def _whole_page(
    question: str, passages: tuple[Passage, ...], index: Any, best: _Unit, candidates: list[_Unit]
) -> tuple[tuple[Passage, ...], list[_Unit]]:
    """The chosen page's chunks that were not retrieved, added as further passages
    (numbered after the retrieved ones), with their scored units among the candidates."""
    have = {p.chunk_id for p in passages}
    ids = [c for c in index.page_chunk_ids(best.passage.source) if c not in have]
    if not ids:
        return passages, candidates
    hits = index.chunks_by_id(ids)
    extra = tuple(replace(p, n=len(passages) + i) for i, p in enumerate(to_passages(hits), 1))
    scored = index.sentence_scores(question, ids)
    units = [_Unit(s, p, sc) for p, row in zip(extra, scored) for s, sc in row]
    merged = _dedupe(candidates + [u for u in units if u.sentence.quotable])
    merged.sort(key=lambda u: -u.score)
    return passages + extra, merged


def _blocks(page: list[_Unit]) -> list[list[_Unit]]:
    """The page's units grouped by paragraph or list, each in reading order."""
    blocks: dict[tuple[int, int], list[_Unit]] = {}
    for u in sorted(page, key=lambda u: (u.passage.n, u.sentence.pos)):
        blocks.setdefault((u.passage.n, u.sentence.block), []).append(u)
    return list(blocks.values())


def _block_scores(queries: list[str], blocks: list[list[_Unit]], index: Any) -> list[list[float]]:
    """Each block's evidence as a whole (its text with the page title) for each query,
    the blocks embedded once; without an index that embeds, the share of each query's key
    terms the block holds (the whole question's: its best unit's score)."""
    title = blocks[0][0].passage.title
    texts = [f"{title}. " + " ".join(u.sentence.text for u in b) for b in blocks]
    if hasattr(index, "passage_scores"):
        return index.passage_scores(queries, texts).tolist()
    weights = TermWeights(texts)
    whole = [max(u.score for u in b) for b in blocks]
    return [whole] + [
        [weights.coverage(weights.key_terms(q), t) for t in texts] for q in queries[1:]
    ]


def _select_blocks(question: str, page: list[_Unit], index: Any) -> list[_Unit]:
    """The best blocks of the page, best first (the best block of each part of a
    two-part question before the rest), each trimmed to a window from just before its
    best sentence, within ``MAX_WORDS``."""
    blocks = _blocks(page)
    parts = _parts(question)
    scores, *part_scores = _block_scores(
        [question, *parts] if len(parts) > 1 else [question], blocks, index
    )
    order = sorted(range(len(blocks)), key=lambda j: -scores[j])
    if part_scores:
        firsts: list[int] = []
        for ps in part_scores:
            j = max(range(len(blocks)), key=lambda j: ps[j])
            if j not in firsts:
                firsts.append(j)
        order = firsts + [j for j in order if j not in firsts]
    chosen: list[_Unit] = []
    words = 0
    for j in order[: max(BLOCKS, len(parts))]:
        block = blocks[j]
        top = max(range(len(block)), key=lambda i: block[i].score)
        start = max(0, top - 1)
        take: list[_Unit] = []
        for u in block[start:] + block[:start][::-1]:
            if take and words + u.sentence.words > MAX_WORDS:
                break
            take.append(u)
            words += u.sentence.words
        chosen += [
            u
            for u in sorted(take, key=lambda u: u.sentence.pos)
            if not any(_overlap(u.sentence.text, c.sentence.text) > 0.6 for c in chosen)
        ]
        if words >= MAX_WORDS:
            break
    return chosen


def _best_page(candidates: list[_Unit], rare: list[str]) -> _Unit:
    """The best unit of the page with the strongest evidence: its top three sentence
    scores weighted 1, 1/2, 1/4; a page holding the question's rare terms first."""
    pages: dict[str, list[_Unit]] = {}
    for u in candidates:  # sorted best first
        pages.setdefault(u.passage.source, []).append(u)

    def strength(units: list[_Unit]) -> tuple[int, float]:
        text = " ".join(u.sentence.text for u in units)
        held = sum(t in terms(text) for t in rare)
        top = [u.score for u in units[:3]]
        return held, sum(w * s for w, s in zip((1.0, 0.5, 0.25), top)) / 1.75

    return max(pages.values(), key=strength)[0]


def _with_rare_terms(rare: list[str], chosen: list[_Unit], candidates: list[_Unit]) -> list[_Unit]:
    """A rare question term that the corpus uses ("MASW") appears in the quote when a
    sentence of the quoted page holds it (the page was chosen for holding the rare terms,
    see :func:`_best_page`): the best such sentence replaces the last quoted one."""
    page = chosen[0].passage.source
    for t in rare:
        if any(t in terms(u.sentence.text) for u in chosen):
            continue
        holder = next(
            (u for u in candidates if u.passage.source == page and t in terms(u.sentence.text)),
            None,
        )
        if holder is None:
            continue
        if len(chosen) >= MAX_SENTENCES:
            chosen = chosen[:-1]
        chosen = chosen + [holder]
    return chosen


def _render(question: str, units: list[_Unit]) -> str:
    """Cited sentences in a paragraph; a "which" question's list items as a list; items
    of one list that share a lead-in ("Remedies: a", "Remedies: b") as one sentence."""
    texts = _named(units)
    if _LIST_Q.match(question) and sum(u.sentence.bullet for u in units) >= 3:
        return "\n".join(f"- {_cited_sentence(t, u.passage.n)}" for t, u in zip(texts, units))
    out: list[tuple[str, list[str], int]] = []  # (lead, items, passage n)
    for text, u in zip(texts, units):
        lead, _, item = text.partition(": ")
        if u.sentence.bullet and item and out and out[-1][0] == lead and out[-1][2] == u.passage.n:
            out[-1][1].append(item.rstrip(" .;,"))
        elif u.sentence.bullet and item:
            out.append((lead, [item.rstrip(" .;,")], u.passage.n))
        else:
            out.append(("", [text], u.passage.n))
    return " ".join(
        _cited_sentence(f"{lead}: {'; '.join(items)}" if lead else items[0], n)
        for lead, items, n in out
    )


def _named(units: list[_Unit]) -> list[str]:
    """The units' texts, a quote from a labelled paragraph or item that does not hold
    its label ("Class III: low-impedance sand") preceded by it, once per run."""
    texts: list[str] = []
    for i, u in enumerate(units):
        s = u.sentence
        before = units[i - 1] if i else None
        same_run = (
            before is not None
            and before.passage.source == u.passage.source
            and before.sentence.label == s.label
            and before.sentence.block == s.block
        )
        named = s.label and s.label.lower() not in s.text.lower() and not same_run
        texts.append(f"{s.label}: {s.text}" if named else s.text)
    return texts


def _cited_sentence(text: str, n: int) -> str:
    text = text.rstrip(" ;,")
    end = text[-1] if text[-1] in ".!?" else "."
    text = text.rstrip(".!?")
    return f"{text[0].upper()}{text[1:]} [{n}]{end}"


def _cited_count(question: str, units: list[_Unit]) -> int:
    """The number of cited sentences ``units`` render to."""
    return len(re.findall(r"\[\d+\]", _render(question, units)))


def _cited(units: list[_Unit]) -> tuple[Passage, ...]:
    return tuple(sorted({u.passage.n: u.passage for u in units}.values(), key=lambda p: p.n))


def _pages(passages: tuple[Passage, ...]) -> list[Passage]:
    """The first passage of each distinct page, in retrieval order."""
    seen, out = set(), []
    for p in passages:
        if p.source not in seen:
            seen.add(p.source)
            out.append(p)
    return out


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def _overlap(a: str, b: str) -> float:
    sa, sb = set(_norm(a).split()), set(_norm(b).split())
    return len(sa & sb) / max(1, min(len(sa), len(sb)))
