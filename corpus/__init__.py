"""Literature corpus: ingest, chunking, embeddings, FAISS + BM25 index, default corpus.

Catalog: ``Index`` (build/load/add/search), ``Hit``, ``read_document`` / ``read_documents``
(one Document per BibTeX or arXiv-metadata entry), ``parse_bibtex``, ``chunk_document``,
``SentenceEmbedder`` / ``HashEmbedder``, ``default_index`` (the shipped corpus in
``corpus/default``, indexed once under ``$GEOFM_HOME``, see ``default_index_dir``),
``ensure_default_index`` (the same into any directory), ``describe_defaults``.
faiss, bm25s and sentence-transformers load on first use.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from common.atomic import recover_dir
from common.errors import ModelError
from common.paths import geofm_home
from corpus.bibtex import parse_bibtex
from corpus.chunking import Chunk, chunk_document
from corpus.documents import Document, find_documents, read_document, read_documents
from corpus.embed import Embedder, HashEmbedder, SentenceEmbedder, embedded_minilm_dir
from corpus.index import Hit, Index, corpus_hash

__all__ = [
    "Index",
    "Hit",
    "Document",
    "Chunk",
    "read_document",
    "read_documents",
    "parse_bibtex",
    "chunk_document",
    "SentenceEmbedder",
    "HashEmbedder",
    "DEFAULT_CORPUS",
    "default_index",
    "default_index_dir",
    "ensure_default_index",
    "describe_defaults",
]

DEFAULT_CORPUS = Path(__file__).resolve().parent / "default"


def _default_hash() -> str:
    docs = [d for p in find_documents([DEFAULT_CORPUS]) for d in read_documents(p)]
    return corpus_hash([{"source": d.source, "hash": d.content_hash} for d in docs])


def default_index_dir() -> Path:
    """Where the default index lives: ``$GEOFM_HOME/index/default``."""
    return geofm_home() / "index" / "default"


def default_index(embedder: Embedder | None = None) -> Index:
    """The default literature index, built under ``$GEOFM_HOME`` on first use."""
    return ensure_default_index(default_index_dir(), embedder)


def ensure_default_index(out_dir: str | Path, embedder: Embedder | None = None) -> Index:
    """The index of the shipped corpus: loaded, or (re)built when missing or stale."""
    out = recover_dir(Path(out_dir))  # a build killed mid-swap left the old one aside
    manifest = out / "manifest.json"
    if manifest.exists() and json.loads(manifest.read_text()).get("corpus_hash") == _default_hash():
        try:
            return Index.load(out, embedder)
        except Exception:  # a stale format or embedder: rebuild below
            pass
    # stderr: stdout may be carrying JSON (geofm ask --json)
    print(f"building the default literature index at {out} (once) ...", file=sys.stderr, flush=True)
    return Index.build([DEFAULT_CORPUS], out, embedder=embedder)


def describe_defaults(index_dir: str | Path) -> dict:
    """Embedder and default-index status for `geofm models` (loads nothing heavy)."""
    try:
        emb = {
            "name": "all-MiniLM-L6-v2",
            "path": str(embedded_minilm_dir()),
            "status": "installed",
        }
    except ModelError as e:
        emb = {"name": "all-MiniLM-L6-v2", "path": "", "status": str(e)}
    m = Path(index_dir) / "manifest.json"
    if m.exists():
        man = json.loads(m.read_text())
        idx = {
            "name": "default literature index",
            "path": str(index_dir),
            "status": f"ready: {man.get('n_documents')} documents, {man.get('n_chunks')} chunks",
        }
    else:
        idx = {
            "name": "default literature index",
            "path": str(index_dir),
            "status": "not built yet (geofm models prepare)",
        }
    return {"embedder": emb, "index": idx}
