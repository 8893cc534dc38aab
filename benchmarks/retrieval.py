"""Measure literature retrieval: ingest throughput, recall@1/@5 and MRR of dense, BM25 and
hybrid search, and of hybrid reranked by sentences, on hand-written questions, and query
latency at 1k and 100k chunks.

Usage::

    .venv/bin/python -m benchmarks.retrieval                    # everything (~5 min, 2 cores)
    .venv/bin/python -m benchmarks.retrieval --sizes 1000       # skip the 100k latency run
    .venv/bin/python -m benchmarks.retrieval --out results/retrieval.json

1. Ingest: the real corpus ($GEOFM_DATA/corpus: GPG reST pages and TLE tutorials) is read,
   chunked, embedded with the embedded all-MiniLM-L6-v2 and saved into a temporary
   directory; chunks/s is reported with the model load excluded.
2. Quality: each question in ``benchmarks/data/retrieval_questions.jsonl`` names the
   corpus files (relative to the corpus root) that answer it; a retrieved chunk is a hit
   when its document is one of them. recall@k = share of questions with a hit in the top
   k chunks; MRR = mean of 1/rank of the first hit within the top 10 (0 when none).
3. Latency: the real chunks plus synthetic filler chunks up to each size. Filler text is
   120 random words drawn from the corpus's own words (with their frequencies); filler
   vectors are not embeddings of it: ``gaussian``, random unit vectors (no structure:
   the worst case for HNSW), or ``perturbed``, real chunk embeddings plus as much noise
   (clustered like real embeddings, and near the real chunks: distractors). Above
   ``corpus.index.HNSW_ABOVE`` chunks (50k) the dense side is FAISS HNSW, whose recall@10
   against exact search is measured at build time. Every question is asked as a query and
   timed twice: the index alone (query vector given) and end to end (query embedded
   first). On a shared 2-core machine torch's two-thread kernels slow down many-fold when
   another process computes; ``--torch-threads 1`` keeps single-query embedding steady.

Prints measured tables; nothing is hard-coded. Needs $GEOFM_DATA/corpus (default
../shared/corpus beside the project root), or --corpus DIR.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

import corpus.index as ci
from common.paths import geofm_data
from corpus import Chunk, HashEmbedder, Index, SentenceEmbedder

CORPUS = geofm_data() / "corpus"
QUESTIONS = Path(__file__).resolve().parent / "data" / "retrieval_questions.jsonl"
MODES = ("dense", "bm25", "hybrid", "rerank")


def load_questions(path: Path) -> list[dict]:
    cases = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            case = json.loads(line)
            if not case.get("question") or not case.get("sources"):
                raise SystemExit(f"{path}:{n}: a case needs 'question' and 'sources'")
            cases.append(case)
    return cases


def _relative(source: str, root: Path) -> str:
    return os.path.relpath(source.split("#", 1)[0], root).replace(os.sep, "/")


def ingest(corpus: Path, out: Path, embedder) -> tuple[object, dict]:
    t0 = time.perf_counter()
    dim = embedder.dim  # loads the model: kept out of the throughput
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    index = Index.build([corpus], out, embedder=embedder, progress=False)
    total_s = time.perf_counter() - t0
    m = index.manifest
    res = {
        "documents": m["n_documents"],
        "chunks": m["n_chunks"],
        "dim": dim,
        "embedder": m["embedder"],
        "model_load_s": round(load_s, 2),
        "embed_s": m["embed_seconds"],
        "build_s": round(total_s, 2),
        "embed_chunks_per_s": round(m["n_chunks"] / max(m["embed_seconds"], 1e-9), 1),
        "build_chunks_per_s": round(m["n_chunks"] / total_s, 1),
        "mean_chunk_chars": round(float(np.mean([len(c.text) for c in index.chunks]))),
    }
    print(f"\n## Ingest: {corpus}")
    print(
        f"{res['documents']} documents -> {res['chunks']} chunks (mean {res['mean_chunk_chars']}"
        f" chars), embedder {res['embedder']} (dim {dim}, loaded in {res['model_load_s']} s)"
    )
    print(
        f"read + chunk + embed + save: {res['build_s']} s = {res['build_chunks_per_s']} "
        f"chunks/s; embedding alone: {res['embed_s']} s = {res['embed_chunks_per_s']} chunks/s"
    )
    return index, res


def ranks(index, cases: list[dict], root: Path, mode: str, depth: int = 10) -> list[int | None]:
    """1-based rank of the first chunk from an expected document, None if not in top depth."""
    out = []
    for case in cases:
        want = set(case["sources"])
        hits = index.search(case["question"], k=depth, mode=mode)
        out.append(
            next((r for r, h in enumerate(hits, 1) if _relative(h.source, root) in want), None)
        )
    return out


def quality_row(rk: list[int | None]) -> dict:
    n = len(rk)
    return {
        "recall@1": sum(r is not None and r <= 1 for r in rk) / n,
        "recall@5": sum(r is not None and r <= 5 for r in rk) / n,
        "mrr@10": sum(1.0 / r for r in rk if r is not None) / n,
    }


def quality(index, cases: list[dict], root: Path) -> dict:
    print(f"\n## Retrieval quality: {len(cases)} questions, document-level hits")
    print(f"{'mode':<8}{'recall@1':>10}{'recall@5':>10}{'MRR@10':>9}")
    res: dict[str, Any] = {}
    per_mode: dict[str, list[int | None]] = {}
    for mode in MODES:
        per_mode[mode] = ranks(index, cases, root, mode)
        res[mode] = quality_row(per_mode[mode])
        r = res[mode]
        print(f"{mode:<8}{r['recall@1']:>10.3f}{r['recall@5']:>10.3f}{r['mrr@10']:>9.3f}")
    misses = [(c, r) for c, r in zip(cases, per_mode["hybrid"]) if r is None or r > 5]
    if misses:
        print("hybrid misses at 5 (rank of the first right document, '-' past 10): top hit")
        for c, r in misses:
            top = index.search(c["question"], k=1)
            print(f"  {c.get('id', '?'):<24}{r or '-':>3}  {_relative(top[0].source, root)}")
    res["hybrid_misses_at_5"] = [c.get("id") for c, _ in misses]
    return res


def filler(index, n: int, kind: str, seed: int):
    """``n`` synthetic chunks (random corpus words, as frequent as in the corpus) and
    their vectors: ``gaussian``,
    random unit vectors, or ``perturbed``, a random real chunk's embedding plus as much
    Gaussian noise (cosine to it about 0.7), which keeps the clustered shape of real
    embeddings."""
    rng = np.random.default_rng(seed)
    # words drawn with their corpus frequencies, so rare terms stay rare in the filler
    tokens = np.array([w for c in index.chunks for w in re.findall(r"[a-z]{3,}", c.text.lower())])
    words = tokens[rng.integers(0, len(tokens), size=(n, 120))]  # (n, 120)
    chunks = [
        Chunk(
            id=f"filler-{i}",
            text=" ".join(row),
            source=f"filler/{i // 20}.txt",
            title=f"filler {i // 20}",
            section="",
            page=None,
            citation="synthetic",
        )
        for i, row in enumerate(words)
    ]
    d = index.vectors.shape[1]
    vecs = rng.standard_normal((n, d)).astype(np.float32) / np.sqrt(d)  # (n, d), norm ~1
    if kind == "perturbed":
        vecs += index.vectors[rng.integers(0, len(index.vectors), size=n)]
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    return chunks, vecs


class Precomputed:
    """The query vectors, embedded beforehand: times the index alone."""

    def __init__(self, embedder, texts: list[str]):
        self.name, self.dim = embedder.name, embedder.dim
        self._v = {t: embedder.embed([t])[0] for t in texts}

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return np.stack([self._v[t] for t in texts])


def _timed(index, cases: list[dict], root: Path, mode: str) -> tuple[list[float], float]:
    times, found = [], 0
    for case in cases:
        t0 = time.perf_counter()
        hits = index.search(case["question"], k=5, mode=mode)
        times.append((time.perf_counter() - t0) * 1000)
        found += any(_relative(h.source, root) in set(case["sources"]) for h in hits)
    return times, found / len(cases)


def latency(
    base, cases: list[dict], root: Path, sizes: list[int], kinds: list[str], seed: int
) -> dict:
    embedder = base.embedder
    pre = Precomputed(embedder, [c["question"] for c in cases] + ["warm up"])
    embed_ms = []
    for case in cases:  # the query encoder alone, warm
        t0 = time.perf_counter()
        embedder.embed([case["question"]])
        embed_ms.append((time.perf_counter() - t0) * 1000)
    print(
        "\n## Query latency: real chunks + synthetic filler (random corpus words; vectors "
        "as labelled)"
    )
    print(
        "index = search with the query vector given; e2e = end to end, the query embedded "
        f"first (query embedding alone: p50 {np.percentile(embed_ms, 50):.1f} ms, p95 "
        f"{np.percentile(embed_ms, 95):.1f} ms)"
    )
    print(
        f"{'chunks':>7} {'filler':<10}{'dense':<9}{'ANN R@10':>9}{'build s':>8}{'BM25 s':>7}  "
        f"{'mode':<7}{'index p50':>10}{'p95':>7}{'e2e p50':>9}{'p95':>7}{'R@5':>6}"
    )
    res = {
        "query_embed_ms": {
            "p50": round(float(np.percentile(embed_ms, 50)), 2),
            "p95": round(float(np.percentile(embed_ms, 95)), 2),
        }
    }
    for size in sizes:
        n_fill = max(0, size - len(base.chunks))
        for kind in kinds if n_fill else kinds[:1]:
            chunks, vecs = filler(base, n_fill, kind, seed)
            index = Index(
                base.chunks + chunks, np.vstack([base.vectors, vecs]), pre, dict(base.manifest)
            )
            t0 = time.perf_counter()
            recall = index.measure_ann_recall()  # builds the dense index (HNSW if large)
            index.search("warm up", k=1, mode="dense")
            dense_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            index.search("warm up", k=1, mode="bm25")
            bm25_s = time.perf_counter() - t0
            dense = index.manifest.get("ann_index", "FlatIP (exact)").split(" ")[0]
            row = {
                "chunks": len(index.chunks),
                "filler": n_fill,
                "filler_vectors": kind,
                "dense_index": dense,
                "ann_recall_at_10": recall,
                "dense_build_s": round(dense_s, 2),
                "bm25_build_s": round(bm25_s, 2),
            }
            # the filler has no sentence vectors, so rerank would only repeat hybrid
            for mode in [m for m in MODES if m != "rerank"]:
                index.embedder = pre
                t_index, r5 = _timed(index, cases, root, mode)
                index.embedder = embedder
                t_e2e, _ = _timed(index, cases, root, mode)
                q = (
                    np.percentile(t_index, [50, 95]).tolist()
                    + np.percentile(t_e2e, [50, 95]).tolist()
                )
                row[mode] = {
                    "index_p50_ms": round(q[0], 2),
                    "index_p95_ms": round(q[1], 2),
                    "e2e_p50_ms": round(q[2], 2),
                    "e2e_p95_ms": round(q[3], 2),
                    "recall@5": round(r5, 3),
                }
                rec = "-" if recall is None else f"{recall:.3f}"
                lead = (
                    f"{len(index.chunks):>7} {kind if n_fill else '-':<10}{dense:<9}"
                    f"{rec:>9}{dense_s:>8.1f}{bm25_s:>7.1f}"
                    if mode == "dense"
                    else " " * 50
                )
                print(
                    f"{lead}  {mode:<7}{q[0]:>10.2f}{q[1]:>7.2f}{q[2]:>9.1f}{q[3]:>7.1f}{r5:>6.2f}",
                    flush=True,
                )
            res[f"{size}-{kind}"] = row
            del index
    print(
        f"(HNSW above {ci.HNSW_ABOVE} chunks, M={ci.HNSW_M}, efSearch={ci.HNSW_EF_SEARCH}; "
        f"ANN R@10 on {ci.RECALL_SAMPLE} stored vectors as queries; {len(cases)} queries "
        "per mode; R@5 = share of questions with a right document in the top 5)"
    )
    return res


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[2:]),
    )
    p.add_argument("--corpus", type=Path, default=CORPUS, help="corpus folder to ingest")
    p.add_argument("--questions", type=Path, default=QUESTIONS, help="questions JSONL")
    p.add_argument(
        "--sizes",
        type=int,
        nargs="*",
        default=[1000, 100_000],
        help="index sizes (chunks) for the latency runs; none to skip",
    )
    p.add_argument(
        "--filler",
        nargs="+",
        choices=["gaussian", "perturbed"],
        default=["gaussian", "perturbed"],
        help="filler vectors (see above)",
    )
    p.add_argument("--torch-threads", type=int, help="torch CPU threads (default: torch's)")
    p.add_argument(
        "--embedder",
        choices=["minilm", "hash"],
        default="minilm",
        help="minilm: the embedded all-MiniLM-L6-v2; hash: a quick run without "
        "the model (its quality figures mean little)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, help="also write the results as JSON here")
    args = p.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"{args.corpus} is absent; pass --corpus DIR")
        return 1

    threads = None
    if args.embedder == "minilm":
        import torch

        if args.torch_threads:
            torch.set_num_threads(args.torch_threads)
        threads = torch.get_num_threads()
    embedder = SentenceEmbedder() if args.embedder == "minilm" else HashEmbedder(384)
    cases = load_questions(args.questions)
    root = args.corpus.resolve()
    results = {
        "machine": {
            "cpus": os.cpu_count(),
            "torch_threads": threads,
            "python": platform.python_version(),
            "load_average_start": os.getloadavg(),
        }
    }
    print(
        f"machine: {os.cpu_count()} CPUs, torch threads {threads}, load average "
        f"{os.getloadavg()[0]:.2f} (other work on the machine slows every figure)"
    )
    with tempfile.TemporaryDirectory(prefix="geofm-retrieval-") as tmp:
        index, results["ingest"] = ingest(root, Path(tmp) / "index", embedder)
        results["quality"] = quality(index, cases, root)
        if args.sizes:
            results["latency"] = latency(index, cases, root, args.sizes, args.filler, args.seed)
    results["machine"]["load_average_end"] = os.getloadavg()
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1))
        print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
