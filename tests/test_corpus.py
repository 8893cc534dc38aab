"""The literature index on a tiny corpus with the hashing embedder: exact hits, round
trips, manifest checks, incremental add, atomic builds, readers, PDF pages."""

from __future__ import annotations

import json

import pytest

from common.errors import BadInputError
from corpus import HashEmbedder, Index, chunk_document, read_document

DOCS = {
    "nmo.md": "---\ntitle: Normal moveout\nyear: 2026\nauthors: geofm contributors\n"
    'references:\n  - "Yilmaz, O. (2001). Seismic Data Analysis. SEG."\n---\n'
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
        "gpr.txt"
    )


def test_save_load_roundtrip(corpus_dir, tmp_path):
    emb = HashEmbedder()
    index = Index.build([corpus_dir], tmp_path / "idx", embedder=emb, progress=False)
    loaded = Index.load(tmp_path / "idx", embedder=emb)
    q = "apparent resistivity from electric and magnetic fields"
    assert [h.to_dict() for h in loaded.search(q)] == [h.to_dict() for h in index.search(q)]
    assert not list((tmp_path / "idx").glob("*.pkl"))
    # a hit names its section, and its text starts with the shared lead-in
    from corpus.chunking import chunk_prefix

    for h in loaded.search(q, k=5):
        assert h.text.startswith(chunk_prefix(h.title, h.section))


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
    assert n == 1 and Counting.seen == first + 2  # the new chunk and its one sentence
    assert (
        Index.load(tmp_path / "idx", emb)
        .search("anisotropy direction", k=1)[0]
        .source.endswith("new.txt")
    )
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
    import corpus.index
    from agent.cli import main

    monkeypatch.setattr(corpus.index, "default_embedder", lambda: HashEmbedder())
    assert main(["index", "build", str(corpus_dir), "--out", str(tmp_path / "i")]) == 0
    assert main(["index", "search", str(tmp_path / "i"), "Bouguer slab", "--json"]) == 0
    out = capsys.readouterr().out
    hits = json.loads(out[out.index("[") :])
    assert hits[0]["title"] == "Bouguer anomaly" and "score" in hits[0]
    assert main(["index", "info", str(tmp_path / "i")]) == 0
    assert main(["index", "info", str(tmp_path)]) == 1


@pytest.mark.slow
def test_default_index_semantic_hit(tmp_path):
    from corpus import ensure_default_index

    index = ensure_default_index(tmp_path / "default")
    hits = index.search("how deep do electromagnetic fields penetrate a conductor?", k=5)
    assert any("skin depth" in h.text.lower() for h in hits)


BIB = r"""% exported by a reference manager; mail: someone@example.org
@string{geo = "Geophysics"}

@Article{canales1984,
  author   = {Canales, L. L. and Y{\i}lmaz, {\"O}z and others},
  title    = {Random noise reduction in {f-x} space},
  journal  = geo,
  volume   = 49, number = {3}, pages = "258--266",
  year     = 1984, month = oct,
  doi      = {10.1190/1.1441653},
  abstract = {Prediction filters along each frequency slice
              remove noise that is unpredictable across traces.},
  keywords = {deconvolution, denoising},
}

@inproceedings(trickett2008,
  title = "Cadzow filtering of {"}seismic{"} data",
  author = "Trickett, Stewart",
  booktitle = {SEG Technical Program Expanded Abstracts},
  year = {2008},
  note = {Rank reduction of Hankel matrices.}
)
"""


def test_bibtex_entries_become_documents(tmp_path):
    from corpus import read_documents

    (tmp_path / "refs.bib").write_text(BIB)
    docs = read_documents(tmp_path / "refs.bib")
    assert [d.extra["key"] for d in docs] == ["canales1984", "trickett2008"]
    a, b = docs
    assert a.title == "Random noise reduction in f-x space"
    assert a.authors == "L. L. Canales, Öz Yılmaz et al." and a.year == 1984
    assert a.venue == "Geophysics 49(3), 258–266" and a.url == "https://doi.org/10.1190/1.1441653"
    assert a.source.endswith("refs.bib#canales1984")
    assert "unpredictable across traces" in a.pages[0][1] and "denoising" in a.pages[0][1]
    assert "doi.org/10.1190/1.1441653" in a.citation
    assert b.title == 'Cadzow filtering of "seismic" data' and b.year == 2008
    assert "Hankel" in b.pages[0][1] and b.venue.startswith("SEG Technical")
    with pytest.raises(BadInputError, match="holds 2 entries"):
        read_document(tmp_path / "refs.bib")


@pytest.mark.parametrize(
    "text, line, problem",
    [
        ("@article{a,\n title = {x},\n year = {19\n", 3, "never closed"),
        ("@article{a,\n title = {x}\n year = 1999}\n", 3, "expected ','"),
        ('\n@book{b, title = "open}\n', 2, "never closed"),
        ("@misc{k, title = {x}}\n\n@misc{k, title = {y}}\n", 3, "used twice"),
        ("@article{\n title = {x}}", 1, "no citation key"),
        ("@article{a, title {x}}", 1, "expected '='"),
        # a bare value starting with a character no number or macro name starts with
        ("@article{a,\n title = \u00e9t\u00e9}", 2, "expected a value"),
        ("@article{a,\n year = \u00b2}", 2, "expected a value"),
    ],
)
def test_bibtex_malformed_names_file_and_line(tmp_path, text, line, problem):
    from corpus import read_documents

    (tmp_path / "bad.bib").write_text(text)
    with pytest.raises(BadInputError, match=rf"bad\.bib:{line}: .*{problem}"):
        read_documents(tmp_path / "bad.bib")


ARXIV = [
    {
        "id": "1901.00001",
        "submitter": "A",
        "authors": "Ignored",
        "title": "Deep learning\n  for $P$-wave picking",
        "journal-ref": None,
        "doi": None,
        "categories": "physics.geo-ph cs.LG",
        "abstract": "  A network picks first arrivals on\nmicroseismic records.\n",
        "versions": [{"version": "v1", "created": "Mon, 31 Dec 2018 10:00:00 GMT"}],
        "update_date": "2019-02-01",
        "authors_parsed": [["Ross", "Zachary E.", ""], ["Meier", "Men-Andrin", ""]],
    },
    {
        "id": "2001.00002",
        "title": "Full-waveform inversion with total variation",
        "authors": "E. Esser and L. Guasch",
        "abstract": "Bound constraints regularize FWI.",
        "journal-ref": "Geophysics 83(6)",
        "doi": "10.1190/geo2017-0100.1",
        "update_date": "2020-01-05",
    },
]


def test_arxiv_metadata_json_and_jsonl(tmp_path):
    from corpus import read_documents

    (tmp_path / "papers.jsonl").write_text("\n".join(json.dumps(r) for r in ARXIV) + "\n")
    a, b = read_documents(tmp_path / "papers.jsonl")
    assert a.title == "Deep learning for P-wave picking" and a.year == 2018
    assert a.authors == "Zachary E. Ross, Men-Andrin Meier"
    assert a.venue == "arXiv:1901.00001 [physics.geo-ph cs.LG]"
    assert a.url == "https://arxiv.org/abs/1901.00001" and a.source.endswith("#1901.00001")
    assert "first arrivals on microseismic records" in a.pages[0][1]
    assert b.year == 2020 and b.venue == "Geophysics 83(6)"
    assert b.url == "https://doi.org/10.1190/geo2017-0100.1" and b.authors.startswith("E. Esser")
    api = {
        "entries": [
            {
                "id": "http://arxiv.org/abs/1802.00003v2",
                "title": "Gravity",
                "summary": "Bouguer slab.",
                "published": "2018-02-01T00:00:00Z",
                "authors": [{"name": "A. B"}, {"name": "C. D"}],
            }
        ]
    }
    (tmp_path / "api.json").write_text(json.dumps(api))
    (c,) = read_documents(tmp_path / "api.json")
    assert (c.extra["key"], c.year, c.authors) == ("1802.00003", 2018, "A. B, C. D")
    index = Index.build([tmp_path], embedder=HashEmbedder(), progress=False)
    assert index.manifest["n_documents"] == 3
    assert index.search("microseismic first arrivals", k=1)[0].source.endswith("#1901.00001")


def test_arxiv_metadata_errors_name_file_and_line(tmp_path):
    from corpus import read_documents

    (tmp_path / "p.jsonl").write_text(json.dumps(ARXIV[0]) + "\n{oops\n")
    with pytest.raises(BadInputError, match=r"p\.jsonl:2: not valid JSON"):
        read_documents(tmp_path / "p.jsonl")
    (tmp_path / "q.jsonl").write_text('{"id": "1"}\n')
    with pytest.raises(BadInputError, match=r"q\.jsonl:1: .*without a 'title'"):
        read_documents(tmp_path / "q.jsonl")
    (tmp_path / "r.json").write_text('[\n{"title": "x"},\n')
    with pytest.raises(BadInputError, match=r"r\.json:3: not valid JSON"):
        read_documents(tmp_path / "r.json")


def test_bibliography_in_a_folder_is_indexed_by_entry(corpus_dir, tmp_path):
    (corpus_dir / "refs.bib").write_text(BIB)
    emb = HashEmbedder()
    index = Index.build([corpus_dir], tmp_path / "idx", embedder=emb, progress=False)
    assert index.manifest["n_documents"] == len(DOCS) + 2
    hit = index.search("Hankel rank reduction Cadzow", k=1)[0]
    assert hit.source.endswith("refs.bib#trickett2008") and hit.year == 2008
    # editing one entry re-embeds that entry only
    (corpus_dir / "refs.bib").write_text(
        BIB.replace("Hankel matrices", "Hankel matrices, per frequency")
    )
    assert index.add([corpus_dir], progress=False) == 1


def _random_docs(n: int, seed: int = 0) -> list:
    import numpy as np

    from corpus import Document

    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(300)]
    return [
        Document(
            source=f"doc{i}", title=f"doc {i}", pages=((None, " ".join(rng.choice(vocab, 25))),)
        )
        for i in range(n)
    ]


def test_ann_recall_recorded_above_threshold(tmp_path, monkeypatch, capsys):
    import corpus.index as ci
    from agent.cli import main

    small = Index.build(_random_docs(30), embedder=HashEmbedder(), progress=False)
    assert "ann_recall_at_10" not in small.manifest  # exact search: nothing to measure
    monkeypatch.setattr(ci, "HNSW_ABOVE", 50)
    index = Index.build(
        _random_docs(120), tmp_path / "idx", embedder=HashEmbedder(), progress=False
    )
    m = index.manifest
    assert 0.9 <= m["ann_recall_at_10"] <= 1.0 and m["ann_index"].startswith("HNSWFlat")
    assert m["ann_recall_sample"] == 120
    loaded = Index.load(tmp_path / "idx")  # the hash embedder is rebuilt from its name
    assert type(loaded._dense()).__name__ == "IndexHNSWFlat"
    assert main(["index", "info", str(tmp_path / "idx")]) == 0
    assert json.loads(capsys.readouterr().out)["ann_recall_at_10"] == m["ann_recall_at_10"]


def test_ann_recall_counts_missed_neighbours():
    import faiss
    import numpy as np

    from corpus.index import ann_recall_at_k

    rng = np.random.default_rng(0)
    v = rng.standard_normal((200, 16)).astype(np.float32)
    flat = faiss.IndexFlatIP(16)
    flat.add(v)
    assert ann_recall_at_k(flat, v, v[:20], k=10) == 1.0

    class Wrong:  # returns the 10 *worst* matches
        def search(self, q, k):
            order = np.argsort(q @ v.T, axis=1)[:, :k]
            return None, order

    assert ann_recall_at_k(Wrong(), v, v[:20], k=10) == 0.0


def test_retrieval_benchmark_runs_small(corpus_dir, tmp_path, monkeypatch, capsys):
    import corpus.index as ci
    from benchmarks.retrieval import main

    q = tmp_path / "q.jsonl"
    q.write_text(
        json.dumps(
            {
                "id": "b",
                "question": "slab of rock between station and datum",
                "sources": ["gravity.rst"],
            }
        )
        + "\n"
    )
    monkeypatch.setattr(ci, "HNSW_ABOVE", 40)
    out = tmp_path / "r.json"
    assert (
        main(
            [
                "--corpus",
                str(corpus_dir),
                "--questions",
                str(q),
                "--embedder",
                "hash",
                "--sizes",
                "60",
                "--filler",
                "perturbed",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    res = json.loads(out.read_text())
    assert res["quality"]["bm25"]["recall@1"] == 1.0 and res["ingest"]["documents"] == 5
    row = res["latency"]["60-perturbed"]
    assert row["dense_index"] == "HNSWFlat" and 0 < row["ann_recall_at_10"] <= 1
    assert "hybrid" in capsys.readouterr().out
