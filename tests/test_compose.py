"""Answers composed from evidence: sentence units, scoring, selection, "not covered",
and the loop's bad-input replies."""

from __future__ import annotations

import re

import numpy as np
import pytest

from agent.compose import MAX_SENTENCES, MAX_WORDS, compose_answer
from agent.config import AgentConfig
from agent.loop import GeoAgent
from agent.steps import Answer, Error, to_passages
from corpus import HashEmbedder, Index
from corpus.chunking import chunk_document
from corpus.documents import Document
from corpus.evidence import TermWeights, stem, terms
from corpus.sentences import split_sentences, strip_prefix
from tools import Registry

FWI = """# Full-waveform inversion

Full-waveform inversion fits whole seismograms by updating a velocity model. It uses diving
waves and reflections, e.g. in long-offset surveys. Time-domain FWI suits 3-D. Frequency-domain
FWI solves the Helmholtz equation.

## In practice
- **Cycle skipping.** If predicted and observed events differ by more than half a period,
  the misfit pushes the model toward a wrong local minimum.
- **Cost.** Each iteration costs about two wave simulations per shot for every source.

**Data needs:**
- low frequencies below about 4 Hz for the long wavelengths
- long offsets of three to four times the target depth
"""

GRAVITY = """# Bouguer correction

The Bouguer correction removes the attraction of the rock slab between the station and the
datum, using a density of about 2670 kilograms per cubic metre for crustal rock.
Terrain corrections then account for hills and valleys around each gravity station.
"""


def _doc(text: str, name: str) -> Document:
    title = text.splitlines()[0].lstrip("# ")
    return Document(source=f"/corpus/{name}.md", title=title, pages=((None, text),))


@pytest.fixture(scope="module")
def index():
    return Index.build(
        [_doc(FWI, "fwi"), _doc(GRAVITY, "bouguer")], embedder=HashEmbedder(), progress=False
    )


def _passages(index, question, k=3):
    return to_passages(index.search(question, k=k))


def test_units_join_labels_and_list_leads_and_keep_abbreviations():
    doc = _doc(FWI, "fwi")
    units = [u for c in chunk_document(doc) for u in split_sentences(c.text, c.title, c.section)]
    texts = [u.text for u in units]
    assert any(t.startswith("Cycle skipping: If predicted and observed events") for t in texts)
    assert "Data needs: low frequencies below about 4 Hz for the long wavelengths" in texts
    assert any(t.endswith("e.g. in long-offset surveys.") for t in texts)  # no split at e.g.
    assert "Time-domain FWI suits 3-D." in texts  # a sentence ends after "3-D."
    assert not [u for u in units if u.text.endswith(":") and u.quotable]


def test_a_bold_subject_stays_in_its_sentence_and_equations_with_words_are_quotable():
    text = (
        "**Seismic moment** is M0 = mu A D, the shear modulus times fault area and slip.\n"
        "**Moment magnitude.** Mw = (2/3) log10 M0 - 6.07 (M0 in N m).\n"
        "- **Known-depth reflectors**, such as pipes, give the velocity directly.\n"
        "- **B (gradient)** = 0.5 dVp/Vp - 2 (Vs/Vp)^2 (drho/rho + 2 dVs/Vs).\n"
    )
    texts = [u.text for u in split_sentences(text)]
    assert texts[0].startswith("Seismic moment is M0 = mu A D")
    assert texts[1] == "Moment magnitude: Mw = (2/3) log10 M0 - 6.07 (M0 in N m)."
    assert texts[2].startswith("Known-depth reflectors, such as pipes")
    assert texts[3].startswith("B (gradient) = 0.5")
    units = split_sentences(text)
    assert units[1].quotable  # an equation with its words
    assert not split_sentences("x = a + b * c / d - e ^ f")[0].quotable  # symbols only


def test_chunks_keep_one_line_per_list_item():
    chunk = [c for c in chunk_document(_doc(FWI, "fwi")) if c.section == "In practice"][0]
    lines = strip_prefix(chunk.text, chunk.title, chunk.section).split("\n")
    assert any(line.startswith("- **Cycle skipping.**") for line in lines)
    assert any(line.startswith("- low frequencies") for line in lines)


def test_stems_and_weights():
    assert stem("skipping") == stem("skip") and stem("estimates") == stem("estimate")
    assert terms("Why does the model need it?") == ["model", "need"]
    w = TermWeights(["velocity model", "velocity analysis", "gravity"])
    assert w.idf("gravity") > w.idf("velocity") and w.idf("troll") > w.idf("gravity")
    key = w.key_terms("velocity of the troll")
    assert 0 < w.coverage(key, "a velocity") < 0.5


def test_index_keeps_sentence_vectors_through_save_and_load(index, tmp_path):
    assert index.sentence_vectors.shape[0] == index.offsets()[-1] > 0
    index.save(tmp_path / "idx")
    again = Index.load(tmp_path / "idx", embedder=HashEmbedder())
    np.testing.assert_allclose(again.sentence_vectors, index.sentence_vectors)
    (tmp_path / "idx" / "sentences.faiss").unlink()
    assert Index.load(tmp_path / "idx", embedder=HashEmbedder()).search("cycle skipping", k=1)


def test_covered_question_quotes_the_answer_with_citations(index):
    q = "Why does cycle skipping trap full-waveform inversion in a wrong local minimum?"
    c = compose_answer(q, _passages(index, q), index)
    assert c.covered and "half a period" in c.text and "[1]" in c.text
    assert all(p.source.endswith("fwi.md") for p in c.cited)
    assert 2 <= c.text.count("[") <= MAX_SENTENCES
    words = len(re.sub(r"\[\d+\]", "", c.text).split())
    assert words <= MAX_WORDS + 40  # the last sentence quoted may run over the cap


def test_uncovered_question_says_so_and_lists_the_closest_sources(index):
    q = "What was the quarterly share price of Equinor in 2019?"
    c = compose_answer(q, _passages(index, q), index)
    assert not c.covered
    assert c.text.startswith("The indexed literature does not cover this question")
    assert "[1]" in c.text and c.cited


def test_without_stored_vectors_key_terms_still_select(index):
    plain = tuple(
        p.__class__(**{**p.__dict__, "chunk_id": ""})
        for p in _passages(index, "Bouguer correction density")
    )
    c = compose_answer("What density does the Bouguer correction use?", plain)
    assert c.covered and "2670" in c.text


def test_loop_composes_when_the_model_only_decides(scripted_model, index):
    scripted_model.enqueue("")  # a deciding model: "answer", no text
    agent = GeoAgent(scripted_model, index=index, registry=Registry([]))
    result = agent.ask("What does the Bouguer correction remove?")
    assert "rock slab" in result.answer and result.citations


def test_bad_input_gets_a_clear_reply(scripted_model, tmp_path):
    agent = GeoAgent(
        scripted_model,
        index=None,
        registry=Registry([]),
        config=AgentConfig(max_question_chars=100),
    )
    steps = list(agent.stream(""))
    assert isinstance(steps[-1], Error) and "empty" in steps[-1].message
    steps = list(agent.stream("x" * 101))
    assert isinstance(steps[-1], Error) and "limit is 100" in steps[-1].message
    f = tmp_path / "section.npy"
    np.save(f, np.zeros((4, 8), np.float32))
    result = agent.ask("  ", files=[str(f)])
    assert isinstance(result.steps[-1], Answer) and "section.npy" in result.answer
    assert "What should I do with it?" in result.answer
    assert scripted_model.seen == []  # none of these reached the model


def test_question_in_another_language_is_told_to_ask_in_english(scripted_model, index):
    scripted_model.enqueue("")
    agent = GeoAgent(scripted_model, index=index, registry=Registry([]))
    result = agent.ask("Welche Firma hat im letzten Jahr die meisten Aktien verkauft?")
    assert "ask in English" in result.answer and "does not cover" in result.answer


def test_quotes_the_chosen_page_beyond_the_retrieved_chunk(index):
    # only the FWI page's opening chunk was retrieved; the answer lies in another chunk
    q = "Why does full-waveform inversion of seismograms get trapped in a wrong local minimum of the velocity model?"
    ids = index.page_chunk_ids("/corpus/fwi.md")
    opening = to_passages(index.chunks_by_id(ids[:1]))
    assert len(ids) > 1 and "half a period" not in opening[0].text
    c = compose_answer(q, opening, index)
    assert c.covered and "half a period" in c.text
    marker = int(c.text.split("half a period")[1].split("[")[1].split("]")[0])
    holder = {p.n: p for p in c.cited}[marker]
    assert marker > 1 and "half a period" in holder.text  # cited to the chunk holding it


def test_labelled_items_under_a_lead_form_one_block():
    text = (
        "# Hazard\n\nHazard analysis combines three ingredients:\n"
        "- **Sources.** Faults and zones with their geometry.\n"
        "- **Recurrence.** How often each magnitude occurs.\n"
    )
    units = split_sentences(text.split("\n", 2)[2])
    assert len({u.block for u in units}) == 1


def test_a_quote_from_a_labelled_item_names_its_label_once():
    body = (
        "Classes by intercept and gradient:\n- **Class III: low-impedance sand.** A < 0, "
        "B < 0. Strong negative amplitude that grows with angle. The classic bright spot "
        "of young unconsolidated gas sands.\n"
    )
    text = "# AVO classes\n\n" + body
    units = split_sentences(body)
    assert [u.label for u in units[1:]] == ["Class III: low-impedance sand"] * 3
    assert not units[1].quotable  # the label's own unit is mostly symbols: never quoted
    doc = Document(source="/corpus/avo.md", title="AVO classes", pages=((None, text),))
    idx = Index.build([doc], embedder=HashEmbedder(), progress=False)
    q = "Which class is the classic bright spot of young unconsolidated gas sands?"
    answer = compose_answer(q, to_passages(idx.search(q, k=1)), idx).text
    assert answer.startswith("Class III: low-impedance sand: Strong negative amplitude")
    assert answer.count("Class III") == 1


MARINE = """# Marine acquisition

Marine surveys tow streamers of hydrophones behind a vessel at a few knots.

Air-gun arrays fire every few seconds and make the source signature of the survey.

Ghost reflections from the sea surface notch the spectrum at frequencies set by the tow depth.

Feathering is the sideways drift of a streamer in a current, measured by compasses along it.

Swell noise is low-frequency energy from waves moving the streamer, removed by a low-cut filter.
"""


def test_two_part_question_scores_each_part_without_stored_vectors():
    from agent.compose import _block_scores, _blocks, _scored

    idx = Index.build([_doc(MARINE, "marine")], embedder=HashEmbedder(), progress=False)
    plain = tuple(
        p.__class__(**{**p.__dict__, "chunk_id": ""}) for p in _passages(idx, "marine streamer")
    )
    q = "What is feathering, and why do ghost reflections notch the spectrum?"
    units, _ = _scored(q, plain, None)
    blocks = _blocks(units)
    whole, first, second = _block_scores([q, *q.split(", and ")], blocks, None)
    text = [" ".join(u.sentence.text for u in b) for b in blocks]
    assert "sideways drift" in text[max(range(len(blocks)), key=lambda j: first[j])]
    assert "tow depth" in text[max(range(len(blocks)), key=lambda j: second[j])]
    c = compose_answer(q, plain)
    assert c.covered and "sideways drift" in c.text and "tow depth" in c.text


def test_the_page_title_counts_toward_the_question_terms_the_page_holds():
    page = """# Koenigsberger ratio

Q compares the remanent magnetisation of a rock with the magnetisation the present field
induces in it. Values above one are common in basalts, dykes and rapidly cooled volcanics.
Values below one mean the induced part dominates the anomaly of a body.
"""
    idx = Index.build(
        [_doc(page, "q"), _doc(GRAVITY, "bouguer")], embedder=HashEmbedder(), progress=False
    )
    q = "What does the Koenigsberger ratio express for a rock?"
    c = compose_answer(q, _passages(idx, q, k=2), idx)
    assert c.covered and "basalts" in c.text
    assert all(p.source.endswith("q.md") for p in c.cited)


def test_a_question_for_a_year_the_page_never_states_is_not_covered(index):
    q = "In which year was the Bouguer correction density of 2670 first adopted?"
    c = compose_answer(q, _passages(index, q), index)
    assert not c.covered and "does not cover" in c.text
    same_topic = "What density does the Bouguer correction use for crustal rock?"
    assert compose_answer(same_topic, _passages(index, same_topic), index).covered
