"""The literature index on a tiny corpus with the hashing embedder: exact hits, round
trips, manifest checks, incremental add, atomic builds, readers, PDF pages."""

from __future__ import annotations

import json

import pytest

from corpus import HashEmbedder, Index, chunk_document, read_document
from tools.errors import BadInputError

DOCS = {
    "nmo.md": "---\ntitle: Normal moveout\nyear: 2026\nauthors: geofm contributors\n"
              "references:\n  - \"Yilmaz, O. (2001). Seismic Data Analysis. SEG.\"\n---\n"
              "# Normal moveout\n\nNMO correction flattens hyperbolic reflections in a CMP "
              "gather using the stacking velocity.\n",
    "gravity.rst": "Bouguer anomaly\n===============\n\nThe Bouguer correction removes the "
                   "attraction of the rock slab between station and datum.\n",
    "mt.tex": "\\title{Magnetotellurics}\n\\section{Impedance}\nApparent resistivity comes "
              "from the ratio of electric to magnetic fields. % a comment\n",
    "gpr.txt": "Ground penetrating radar velocity depends on dielectric permittivity.\n",
    "rp.html": "<html><title>Gassmann</title><body><h2>Fluid substitution</h2><p>Gassmann "
               "relates dry and saturated bulk moduli.</p></body></html>",
}


@pytest.fixture
def corpus_dir(tmp_path):
    d = tmp_path / "docs"
    d.mkdir()
    for name, text in DOCS.items():
        (d / name).write_text(text)
    return d


def test_readers_and_front_matter(corpus_dir):
    nmo = read_document(corpus_dir / "nmo.md")
    assert nmo.title == "Normal moveout" and nmo.year == 2026
    assert nmo.references == ("Yilmaz, O. (2001). Seismic Data Analysis. SEG.",)
    assert "Yilmaz" in nmo.citation
    assert read_document(corpus_dir / "gravity.rst").title == "Bouguer anomaly"
    mt = read_document(corpus_dir / "mt.tex")
    assert mt.title == "Magnetotellurics" and "a comment" not in mt.pages[0][1]
    assert read_document(corpus_dir / "rp.html").title == "Gassmann"
    with pytest.raises(BadInputError, match="supported types"):
        read_document(corpus_dir / "x.docx")


def test_chunk_ids_are_stable(corpus_dir):
    a = chunk_document(read_document(corpus_dir / "nmo.md"))
    b = chunk_document(read_document(corpus_dir / "nmo.md"))
    assert [c.id for c in a] == [c.id for c in b] and a[0].section == "Normal moveout"


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_exact_hit(corpus_dir, mode):
    index = Index.build([corpus_dir], embedder=HashEmbedder(), progress=False)
    hits = index.search("Bouguer correction rock slab", k=3, mode=mode)
    assert hits[0].title == "Bouguer anomaly"
    assert index.search("dielectric permittivity radar", k=1, mode=mode)[0].source.endswith(
        "gpr.txt")


def test_save_load_roundtrip(corpus_dir, tmp_path):
    emb = HashEmbedder()
    index = Index.build([corpus_dir], tmp_path / "idx", embedder=emb, progress=False)
    loaded = Index.load(tmp_path / "idx", embedder=emb)
    q = "apparent resistivity from electric and magnetic fields"
    assert [h.to_dict() for h in loaded.search(q)] == [h.to_dict() for h in index.search(q)]
    assert not list((tmp_path / "idx").glob("*.pkl"))


def test_manifest_mismatch_refused(corpus_dir, tmp_path):
    Index.build([corpus_dir], tmp_path / "idx", embedder=HashEmbedder(256), progress=False)
    with pytest.raises(BadInputError, match="built with embedder hash-256"):
        Index.load(tmp_path / "idx", embedder=HashEmbedder(128))
    with pytest.raises(BadInputError, match="no manifest"):
        Index.load(tmp_path, embedder=HashEmbedder())


def test_incremental_add_embeds_only_new(corpus_dir, tmp_path):
    class Counting(HashEmbedder):
        seen = 0

        def embed(self, texts, progress=False):
            Counting.seen += len(texts)
            return super().embed(texts)

    emb = Counting()
    index = Index.build([corpus_dir], tmp_path / "idx", embedder=emb, progress=False)
    first = Counting.seen
    (corpus_dir / "new.txt").write_text("Seismic anisotropy makes velocity depend on direction.")
    n = index.add([corpus_dir], tmp_path / "idx", progress=False)
    assert n == 1 and Counting.seen == first + 1
    assert Index.load(tmp_path / "idx", emb).search("anisotropy direction", k=1)[0].source \
        .endswith("new.txt")
    assert index.add([corpus_dir], progress=False) == 0  # nothing changed


def test_interrupted_build_keeps_previous_index(corpus_dir, tmp_path):
    emb = HashEmbedder()
    Index.build([corpus_dir], tmp_path / "idx", embedder=emb, progress=False)

    class Crashing(HashEmbedder):
        def embed(self, texts, progress=False):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Index.build([corpus_dir], tmp_path / "idx", embedder=Crashing(), progress=False)
    assert Index.load(tmp_path / "idx", emb).search("Gassmann bulk moduli")[0].title == "Gassmann"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docs", "idx"]


def test_pdf_page_numbers_kept(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    pdf = tmp_path / "two.pdf"
    with PdfPages(pdf) as pages:
        for text in ["Refraction statics first page", "Residual statics second page"]:
            fig = plt.figure()
            fig.text(0.1, 0.5, text)
            pages.savefig(fig)
            plt.close(fig)
    doc = read_document(pdf)
    assert [p for p, _ in doc.pages] == [1, 2]
    index = Index.build([doc], embedder=HashEmbedder(), progress=False)
    assert index.search("Residual statics", k=1)[0].page == 2


def test_cli_build_search_info(corpus_dir, tmp_path, capsys, monkeypatch):
    import corpus.embed as embed
    from agent.cli import main

    monkeypatch.setattr(embed, "default_embedder", lambda: HashEmbedder())
    assert main(["index", "build", str(corpus_dir), "--out", str(tmp_path / "i")]) == 0
    assert main(["index", "search", str(tmp_path / "i"), "Bouguer slab", "--json"]) == 0
    out = capsys.readouterr().out
    hits = json.loads(out[out.index("["):])
    assert hits[0]["title"] == "Bouguer anomaly" and "score" in hits[0]
    assert main(["index", "info", str(tmp_path / "i")]) == 0
    assert main(["index", "info", str(tmp_path)]) == 1


@pytest.mark.slow
def test_default_index_semantic_hit(tmp_path):
    from corpus import ensure_default_index

    index = ensure_default_index(tmp_path / "default")
    hits = index.search("how deep do electromagnetic fields penetrate a conductor?", k=5)
    assert any("skin depth" in h.text.lower() for h in hits)
