"""The literature index: FAISS (dense) fused with BM25 by reciprocal-rank fusion.

On disk: ``index.faiss`` (faiss.write_index), ``chunks.jsonl``, ``manifest.json``
(embedder, dim, chunking, corpus hash, counts). Never pickle; BM25 is rebuilt from the
chunks at load. Writes are crash-safe (common.atomic): a kill at any instant of a build
leaves the previous or the new complete index, and ``Index.load`` first puts back a
previous index that a killed build had moved aside.

Above ``HNSW_ABOVE`` chunks the dense side is approximate (FAISS HNSW); each build then
measures its recall@10 against exact search on a sample of the stored vectors and records
it in the manifest (``ann_recall_at_10``), so a degraded index is visible in
``geofm index info``.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from common.atomic import recover_dir, write_dir_atomically
from common.errors import BadInputError
from corpus.chunking import CHUNKING, Chunk, chunk_document
from corpus.documents import Document, find_documents, read_documents
from corpus.embed import Embedder, HashEmbedder, default_embedder
from corpus.evidence import W_LEX, TermWeights, cue, unit_scores
from corpus.sentences import Sentence, split_sentences

__all__ = [
    "Hit",
    "Index",
    "RRF_K",
    "FORMAT_VERSION",
    "HNSW_ABOVE",
    "ann_recall_at_k",
    "corpus_hash",
    "MODES",
]

MODES = ("rerank", "hybrid", "dense", "bm25")

RRF_K = 60  # the constant of Cormack et al. (2009)
# sentence vectors (sentences.faiss) beside the chunk vectors, one per unit as
# corpus.sentences splits a chunk: raised whenever that split changes
FORMAT_VERSION = 3
HNSW_ABOVE = 50_000  # chunks; exact search is fast enough below this
HNSW_M, HNSW_EF_SEARCH = 32, 128
RECALL_SAMPLE = 200  # stored vectors used as queries for the build-time recall check


@dataclass(frozen=True)
class Hit:
    chunk_id: str
    score: float
    text: str
    title: str
    authors: str
    year: int | None
    source: str
    page: int | None
    citation: str
    section: str = ""

    def to_dict(self) -> dict:
        return self.__dict__.copy()


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


class Index:
    """Build with :meth:`build`, open with :meth:`load`, query with :meth:`search`."""

    def __init__(
        self,
        chunks: list[Chunk],
        vectors: np.ndarray,
        embedder: Embedder,
        manifest: dict,
        sentence_vectors: np.ndarray | None = None,
    ):
        self.chunks, self.vectors, self.embedder, self.manifest = (
            chunks,
            vectors,
            embedder,
            manifest,
        )
        # one row per unit of corpus.sentences.split_sentences, chunk after chunk; None
        # for an index assembled without them (rerank then falls back to hybrid)
        self.sentence_vectors = sentence_vectors
        self._faiss: Any = None  # a faiss index, built or loaded on first use
        self._bm25: Any = None  # a bm25s.BM25, built on first use
        self._units: list[list[Sentence]] | None = None
        self._offsets: np.ndarray | None = None
        self._weights: TermWeights | None = None
        self._rows: dict[str, int] | None = None  # chunk id -> row
        self._last_query: tuple[str, np.ndarray] | None = None  # (query, its embedding)

    # ---- building ----------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        sources: Sequence[str | Path | Document],
        out_dir: str | Path | None = None,
        embedder: Embedder | None = None,
        progress: bool = True,
    ) -> Index:
        """Index files/directories (or Documents); saved to ``out_dir`` when given."""
        embedder = embedder or default_embedder()
        docs = _documents(sources)
        index = cls(
            [],
            np.zeros((0, embedder.dim), np.float32),
            embedder,
            {"embedder": embedder.name, "dim": int(embedder.dim)},
            np.zeros((0, embedder.dim), np.float32),
        )
        index._add_documents(docs, progress)
        if out_dir is not None:
            index.save(out_dir)
        return index

    def add(
        self,
        sources: Sequence[str | Path | Document],
        out_dir: str | Path | None = None,
        progress: bool = True,
    ) -> int:
        """Add new or changed documents (by content hash); returns chunks embedded."""
        known = {d["source"]: d["hash"] for d in self.manifest.get("documents", [])}
        docs = [d for d in _documents(sources) if known.get(d.source) != d.content_hash]
        changed = {d.source for d in docs}
        keep = [i for i, c in enumerate(self.chunks) if c.source not in changed]
        if self.sentence_vectors is not None:
            off = self.offsets()
            self.sentence_vectors = np.concatenate(
                [self.sentence_vectors[off[i] : off[i + 1]] for i in keep]
                + [np.zeros((0, self.vectors.shape[1]), np.float32)]
            )
        self.chunks = [self.chunks[i] for i in keep]
        self.vectors = self.vectors[keep]
        self.manifest["documents"] = [
            d for d in self.manifest.get("documents", []) if d["source"] not in changed
        ]
        n = self._add_documents(docs, progress)
        if out_dir is not None:
            self.save(out_dir)
        return n

    def _add_documents(self, docs: list[Document], progress: bool) -> int:
        new = [c for d in docs for c in chunk_document(d)]
        t0 = time.perf_counter()
        vecs = (
            self.embedder.embed([c.text for c in new], progress=progress)
            if new
            else np.zeros((0, self.vectors.shape[1]), np.float32)
        )
        units = [
            f"{c.title}: {u.text}" for c in new for u in split_sentences(c.text, c.title, c.section)
        ]
        svecs = (
            self.embedder.embed(units, progress=progress)
            if units
            else np.zeros((0, self.vectors.shape[1]), np.float32)
        )
        self.chunks += new
        self.vectors = np.vstack([self.vectors, vecs]).astype(np.float32)
        if self.sentence_vectors is not None:
            self.sentence_vectors = np.vstack([self.sentence_vectors, svecs]).astype(np.float32)
        self._units = self._offsets = self._weights = self._rows = None
        self.manifest.setdefault("documents", [])
        self.manifest["documents"] += [{"source": d.source, "hash": d.content_hash} for d in docs]
        self.manifest.update(
            format=FORMAT_VERSION,
            chunking=CHUNKING,
            n_chunks=len(self.chunks),
            n_documents=len(self.manifest["documents"]),
            corpus_hash=corpus_hash(self.manifest["documents"]),
            embed_seconds=round(time.perf_counter() - t0, 2),
        )
        self._faiss = self._bm25 = None
        self.measure_ann_recall()
        return len(new)

    def measure_ann_recall(self, sample: int = RECALL_SAMPLE, seed: int = 0) -> float | None:
        """recall@10 of the approximate dense index against exact search, on ``sample``
        stored vectors used as queries; recorded in the manifest. None (and nothing
        recorded) when the index is exact."""
        for key in ("ann_index", "ann_recall_at_10", "ann_recall_sample"):
            self.manifest.pop(key, None)
        if len(self.chunks) <= HNSW_ABOVE:
            return None
        dense = self._dense()
        rng = np.random.default_rng(seed)
        ids = rng.choice(len(self.vectors), size=min(sample, len(self.vectors)), replace=False)
        recall = ann_recall_at_k(dense, self.vectors, self.vectors[np.sort(ids)], k=10)
        self.manifest.update(
            ann_index=f"HNSWFlat M={HNSW_M} efSearch={HNSW_EF_SEARCH}",
            ann_recall_at_10=round(recall, 4),
            ann_recall_sample=len(ids),
        )
        return recall

    # ---- persistence -------------------------------------------------------------------
    def save(self, out_dir: str | Path) -> None:
        import faiss

        def write(tmp: Path) -> None:
            tmp.mkdir(parents=True)
            faiss.write_index(self._dense(), str(tmp / "index.faiss"))
            if self.sentence_vectors is not None:
                flat = faiss.IndexFlatIP(self.vectors.shape[1])
                flat.add(np.ascontiguousarray(self.sentence_vectors, np.float32))
                faiss.write_index(flat, str(tmp / "sentences.faiss"))
            with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as f:
                for c in self.chunks:
                    f.write(json.dumps(c.to_dict(), ensure_ascii=False) + "\n")
            (tmp / "manifest.json").write_text(json.dumps(self.manifest, indent=1))

        write_dir_atomically(Path(out_dir), write)

    @classmethod
    def load(cls, path: str | Path, embedder: Embedder | None = None) -> Index:
        """Open a saved index; refuses one built with another embedder or format."""
        import faiss

        p = recover_dir(Path(path))  # a build killed mid-swap left it aside
        if not (p / "manifest.json").exists():
            raise BadInputError(
                f"{p} is not a geofm index (no manifest.json); build one "
                "with `geofm index build SRC --out DIR`"
            )
        manifest = json.loads((p / "manifest.json").read_text())
        embedder = embedder or _hash_embedder(manifest) or default_embedder()
        if manifest.get("format") != FORMAT_VERSION:
            raise BadInputError(
                f"{p} has index format {manifest.get('format')}, this geofm "
                f"reads {FORMAT_VERSION}; rebuild it"
            )
        if manifest.get("embedder") != embedder.name or manifest.get("dim") != embedder.dim:
            raise BadInputError(
                f"{p} was built with embedder {manifest.get('embedder')} (dim "
                f"{manifest.get('dim')}), not {embedder.name} (dim {embedder.dim}); rebuild "
                "it with this embedder or load it with the one it was built with"
            )
        chunks = [
            Chunk(**json.loads(line))
            for line in (p / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
            if line
        ]
        dense = faiss.read_index(str(p / "index.faiss"))
        if dense.ntotal != len(chunks):
            raise BadInputError(
                f"{p} is inconsistent ({dense.ntotal} vectors, {len(chunks)} chunks); rebuild it"
            )
        vectors = (
            dense.reconstruct_n(0, dense.ntotal)
            if dense.ntotal
            else np.zeros((0, manifest["dim"]), np.float32)
        )
        sentence_vectors = None
        if (p / "sentences.faiss").exists():
            flat = faiss.read_index(str(p / "sentences.faiss"))
            sentence_vectors = (
                np.asarray(flat.reconstruct_n(0, flat.ntotal), np.float32)
                if flat.ntotal
                else np.zeros((0, manifest["dim"]), np.float32)
            )
        index = cls(chunks, np.asarray(vectors, np.float32), embedder, manifest, sentence_vectors)
        if sentence_vectors is not None and index.offsets()[-1] != len(sentence_vectors):
            raise BadInputError(
                f"{p} is inconsistent ({len(sentence_vectors)} sentence "
                f"vectors for {index.offsets()[-1]} sentences); rebuild it"
            )
        index._faiss = dense
        return index

    # ---- sentences ---------------------------------------------------------------------
    def units(self, i: int) -> list[Sentence]:
        """The quotable units of chunk ``i`` (corpus.sentences.split_sentences)."""
        if self._units is None:
            self._units = [split_sentences(c.text, c.title, c.section) for c in self.chunks]
        return self._units[i]

    def offsets(self) -> np.ndarray:
        """Row of each chunk's first unit in ``sentence_vectors`` (len(chunks) + 1,)."""
        if self._offsets is None:
            counts = [len(self.units(i)) for i in range(len(self.chunks))]
            self._offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return self._offsets

    def term_weights(self) -> TermWeights:
        """Inverse document frequencies of the chunks' terms (built once, on first use)."""
        if self._weights is None:
            self._weights = TermWeights(c.text for c in self.chunks)
        return self._weights

    def query_vector(self, query: str) -> np.ndarray:
        """The embedding of ``query`` (d,); the last one is kept, so that the answer
        composer scoring the passages of a search does not embed its question again."""
        last = self._last_query
        if last is not None and last[0] == query:
            return last[1]
        vec = self.embedder.embed([query])[0]
        self._last_query = (query, vec)
        return vec

    def page_chunk_ids(self, source: str) -> list[str]:
        """The ids of every chunk of the document ``source``, in reading order."""
        return [c.id for c in self.chunks if c.source == source]

    def _row_of(self) -> dict[str, int]:
        """Chunk id -> row (built once)."""
        if self._rows is None:
            self._rows = {c.id: i for i, c in enumerate(self.chunks)}
        return self._rows

    def chunks_by_id(self, chunk_ids: list[str]) -> list[Hit]:
        """The named chunks as hits (score 0), in the order given; unknown ids skipped."""
        rows = self._row_of()
        return [self._hit(rows[c], 0.0) for c in chunk_ids if c in rows]

    def passage_scores(self, queries: list[str], texts: list[str]) -> np.ndarray:
        """Evidence scores of free ``texts`` (paragraphs, lists) for each of ``queries``,
        (len(queries), len(texts)): cosine of their embeddings (computed once) + ``W_LEX``
        x the share of the query's key terms they hold."""
        if not texts:
            return np.zeros((len(queries), 0), np.float32)
        vecs = self.embedder.embed(texts)
        weights = self.term_weights()
        rows = []
        for query in queries:
            key = weights.key_terms(query)
            lexical = np.array([weights.coverage(key, t) for t in texts], np.float32)
            rows.append(vecs @ self.query_vector(query) + W_LEX * lexical)
        return np.stack(rows)

    def sentence_scores(
        self, query: str, chunk_ids: list[str]
    ) -> list[list[tuple[Sentence, float]]]:
        """Each unit of the named chunks with its evidence score for ``query``
        (corpus.evidence: cosine + key-term share + chunk context); [] for an unknown id."""
        q_vec = self.query_vector(query)
        rows = self._row_of()
        key = self.term_weights().key_terms(query)
        out: list[list[tuple[Sentence, float]]] = []
        for cid in chunk_ids:
            i = rows.get(cid)
            if i is None:
                out.append([])
                continue
            out.append(self._scored_units(i, q_vec, key, query))
        return out

    def _scored_units(
        self, i: int, q_vec: np.ndarray, key: dict[str, float], query: str
    ) -> list[tuple[Sentence, float]]:
        units = self.units(i)
        if not units:
            return []
        w = self.term_weights()
        lexical = np.array([w.coverage(key, u.text) for u in units], np.float32)
        cues = np.array([cue(query, u.text) for u in units], np.float32)
        vecs = None
        if self.sentence_vectors is not None:
            off = self.offsets()
            vecs = self.sentence_vectors[off[i] : off[i + 1]]
        scores = unit_scores(q_vec, vecs, float(self.vectors[i] @ q_vec), lexical, cues)
        return list(zip(units, scores.tolist()))

    # ---- search ------------------------------------------------------------------------
    def _dense(self) -> Any:
        import faiss

        if self._faiss is None:
            d = self.vectors.shape[1]
            idx: faiss.Index
            if len(self.chunks) > HNSW_ABOVE:
                idx = faiss.IndexHNSWFlat(d, HNSW_M, faiss.METRIC_INNER_PRODUCT)
                idx.hnsw.efSearch = HNSW_EF_SEARCH
            else:
                idx = faiss.IndexFlatIP(d)
            if len(self.vectors):
                idx.add(self.vectors)
            self._faiss = idx
        return self._faiss

    def _bm25_index(self) -> Any:
        if self._bm25 is None:
            import bm25s

            retriever = bm25s.BM25()
            retriever.index([_tokens(c.text) for c in self.chunks], show_progress=False)
            self._bm25 = retriever
        return self._bm25

    def _ranked(
        self, query: str, mode: str, depth: int, q_vec: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        if mode == "dense":
            q = self.embedder.embed([query]) if q_vec is None else q_vec[None, :]
            scores, ids = self._dense().search(q, min(depth, len(self.chunks)))
            return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
        if mode == "bm25":
            toks = _tokens(query)
            if not toks:
                return []
            ids, scores = self._bm25_index().retrieve(
                [toks], k=min(depth, len(self.chunks)), show_progress=False
            )
            return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if s > 0]
        raise BadInputError(f"unknown search mode {mode!r}; use {', '.join(MODES)}")

    def search(
        self,
        query: str,
        k: int = 5,
        mode: str = "rerank",
        rerank: Callable[[str, list[Hit]], list[Hit]] | None = None,
    ) -> list[Hit]:
        """The ``k`` best chunks for ``query``.

        Modes: ``hybrid`` fuses dense and BM25 rankings (reciprocal rank); ``rerank`` (the
        default) rescores the hybrid candidates by their best sentence (see
        :meth:`sentence_scores`), falling back to ``hybrid`` on an index without sentence
        vectors; ``dense`` and ``bm25`` alone. ``rerank(query, hits) -> hits`` is an
        optional hook (e.g. a cross-encoder) applied to the candidates last.
        """
        if not self.chunks or not query.strip():
            return []
        if mode not in MODES:
            raise BadInputError(f"unknown search mode {mode!r}; use {', '.join(MODES)}")
        depth = max(4 * k, 20)
        if mode == "rerank" and self.sentence_vectors is None:
            mode = "hybrid"
        if mode in ("hybrid", "rerank"):
            q_vec = self.query_vector(query)
            fused: dict[int, float] = {}
            for m in ("dense", "bm25"):
                for rank, (i, _) in enumerate(self._ranked(query, m, depth, q_vec)):
                    fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + rank + 1)
            ranked = sorted(fused.items(), key=lambda x: -x[1])
            if mode == "rerank":
                key = self.term_weights().key_terms(query)
                best = {
                    i: max(
                        (s for u, s in self._scored_units(i, q_vec, key, query) if u.quotable),
                        default=-1.0,
                    )
                    for i, _ in ranked
                }
                ranked = sorted(((i, best[i]) for i, _ in ranked), key=lambda x: -x[1])
        else:
            ranked = self._ranked(query, mode, depth)
        hits = [self._hit(i, s) for i, s in ranked[: depth if rerank else k]]
        return rerank(query, hits)[:k] if rerank else hits

    def _hit(self, i: int, score: float) -> Hit:
        c = self.chunks[i]
        return Hit(
            c.id,
            round(score, 6),
            c.text,
            c.title,
            c.authors,
            c.year,
            c.source,
            c.page,
            c.citation,
            c.section,
        )


def _documents(sources: Sequence[str | Path | Document]) -> list[Document]:
    docs: list[Document] = []
    seen: set[str] = set()
    paths = [s for s in sources if not isinstance(s, Document)]
    for d in [s for s in sources if isinstance(s, Document)] + [
        d for p in find_documents(paths) for d in read_documents(p)
    ]:
        if d.content_hash in seen:  # the same text twice is indexed once
            continue
        seen.add(d.content_hash)
        docs.append(d)
    return docs


def corpus_hash(documents: list[dict]) -> str:
    """A short hash of which documents (source, content hash) an index holds."""
    blob = json.dumps(sorted((d["source"], d["hash"]) for d in documents))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def ann_recall_at_k(ann: Any, vectors: np.ndarray, queries: np.ndarray, k: int = 10) -> float:
    """Mean fraction of the exact top-``k`` (inner product over ``vectors``, (N, d)) that
    the faiss index ``ann`` returns for ``queries`` (Q, d). Ties count: a returned vector
    scoring at least the exact k-th score is a correct neighbour."""
    k = min(k, len(vectors))
    _, found = ann.search(np.ascontiguousarray(queries, np.float32), k)  # (Q, k)
    hits = 0
    for b in range(0, len(queries), 16):  # (16, N) score blocks bound the memory
        exact = queries[b : b + 16] @ vectors.T
        kth = -np.partition(-exact, k - 1, axis=1)[:, k - 1]
        f = found[b : b + 16]
        scores = np.take_along_axis(exact, np.maximum(f, 0), axis=1)
        hits += int(((f >= 0) & (scores >= kth[:, None] - 1e-5)).sum())
    return hits / (len(queries) * k)


def _hash_embedder(manifest: dict) -> HashEmbedder | None:
    """The hashing embedder an index names, rebuilt from its name (it has no weights)."""
    m = re.fullmatch(r"hash-(\d+)", str(manifest.get("embedder", "")))
    return HashEmbedder(int(m.group(1))) if m and manifest.get("dim") == int(m.group(1)) else None
