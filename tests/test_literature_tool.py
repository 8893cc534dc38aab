"""The search_literature tool on a tiny hashing-embedder index: passages with keys,
titles and years, the documents' citations, argument checks, the default index."""

from __future__ import annotations

import pytest

from corpus import HashEmbedder, Index
from tools import REGISTRY

DOCS = {
    "nmo.md": "---\ntitle: Normal moveout\nyear: 2026\nauthors: geofm contributors\n"
    'references:\n  - "Yilmaz, O. (2001). Seismic Data Analysis. SEG."\n---\n'
    "# Normal moveout\n\nNMO correction flattens hyperbolic reflections in a CMP "
    "gather using the stacking velocity.\n",
    "gravity.rst": "Bouguer anomaly\n===============\n\nThe Bouguer correction removes the "
    "attraction of the rock slab between station and datum.\n",
    "refs.bib": "@article{canales1984, title = {Random noise reduction}, author = {Canales, "
    "L. L.}, journal = {SEG Expanded Abstracts}, year = 1984, doi = "
    "{10.1190/1.1894168}, abstract = {Prediction filters in the frequency-space "
    "domain suppress random noise across traces.}}\n",
}


@pytest.fixture
def index_dir(tmp_path, monkeypatch):
    """A tiny index standing in for the default one (the tool searches only that)."""
    import tools.literature

    src = tmp_path / "docs"
    src.mkdir()
    for name, text in DOCS.items():
        (src / name).write_text(text)
    Index.build([src], tmp_path / "idx", embedder=HashEmbedder(), progress=False)
    monkeypatch.setattr(tools.literature, "default_index", lambda: Index.load(tmp_path / "idx"))
    monkeypatch.setattr(tools.literature, "_OPEN", {})
    return tmp_path / "idx"


def test_passages_keys_and_citations(workspace, index_dir):
    r = REGISTRY.call(
        "search_literature",
        {"query": "random noise prediction filters frequency-space", "k": 2},
        workspace,
    )
    assert r.ok, r.summary
    lines = r.summary.splitlines()
    assert len(lines) == 3 and lines[0].startswith("2 passages")
    assert lines[1].startswith("[canales1984] Random noise reduction (1984) — Prediction filters")
    assert r.citations[0].startswith("Random noise reduction, L. L. Canales (1984)")
    assert "https://doi.org/10.1190/1.1894168" in r.citations[0]
    assert r.metrics["passages"] == 2 and r.metrics["top_score"] > 0
    assert not r.artifacts


def test_file_documents_use_their_stem(workspace, index_dir):
    r = REGISTRY.call("search_literature", {"query": "Bouguer slab", "k": 1}, workspace)
    assert r.summary.splitlines()[1].startswith("[gravity] Bouguer anomaly — The Bouguer")
    r = REGISTRY.call("search_literature", {"query": "NMO stacking velocity", "k": 1}, workspace)
    assert "[nmo] Normal moveout (2026)" in r.summary and "Yilmaz" in r.citations[0]


@pytest.mark.parametrize(
    "args, message",
    [
        ({"query": "x", "k": 0}, "greater than or equal to 1"),
        ({"query": "x", "k": 21}, "less than or equal to 20"),
        ({"query": "   "}, "query is empty"),
        ({"query": "x", "index": "/etc"}, "has no argument"),
    ],
)
def test_bad_arguments_are_observations(workspace, index_dir, args, message):
    r = REGISTRY.call("search_literature", args, workspace)
    assert not r.ok and message in r.summary


def test_schema_bounds_k():
    props = REGISTRY.get("search_literature").parameters["properties"]
    assert (props["k"]["minimum"], props["k"]["maximum"], props["k"]["default"]) == (1, 20, 5)
    assert "query" in REGISTRY.get("search_literature").parameters["required"]


def test_default_index_is_opened_once(workspace, index_dir, monkeypatch):
    import tools.literature

    opened = []

    def fake_default():
        opened.append(1)
        return Index.load(index_dir)

    monkeypatch.setattr(tools.literature, "default_index", fake_default)
    for _ in range(2):
        r = REGISTRY.call("search_literature", {"query": "Bouguer"}, workspace)
        assert r.ok and "[gravity]" in r.summary
    assert opened == [1]  # opened once, then kept
