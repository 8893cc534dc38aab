"""`geofm index build|add|search|info`: the literature index from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from common.errors import BadInputError
from corpus import Index

__all__ = ["add_parser"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("index", help="build and search literature indexes")
    isub = p.add_subparsers(dest="index_command", metavar="ACTION", required=True)
    b = isub.add_parser(
        "build",
        help="index files/folders (md, rst, tex, txt, html, pdf, BibTeX .bib, arXiv-style .json/.jsonl)",
    )
    b.add_argument("sources", nargs="+", help="files or folders")
    b.add_argument("--out", required=True, help="index directory to write")
    b.set_defaults(func=build)
    a = isub.add_parser("add", help="add new or changed documents to an index")
    a.add_argument("dir", help="index directory")
    a.add_argument("sources", nargs="+", help="files or folders")
    a.set_defaults(func=add)
    s = isub.add_parser("search", help="search an index")
    s.add_argument("dir", help="index directory")
    s.add_argument("query", help="the query, in quotes")
    s.add_argument("--k", type=int, default=5, help="hits to return")
    s.add_argument(
        "--mode",
        choices=["rerank", "hybrid", "dense", "bm25"],
        default="rerank",
        help="rerank (default): hybrid candidates reranked by their best "
        "sentence; hybrid: dense and BM25 fused; or either alone",
    )
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=search)
    i = isub.add_parser("info", help="what an index holds")
    i.add_argument("dir", help="index directory")
    i.set_defaults(func=info)


def build(args: argparse.Namespace) -> int:
    index = Index.build(args.sources, args.out)
    m = index.manifest
    print(
        f"indexed {m['n_documents']} documents, {m['n_chunks']} chunks into {args.out} "
        f"({m['embed_seconds']} s embedding)"
    )
    return 0


def add(args: argparse.Namespace) -> int:
    index = Index.load(args.dir)
    n = index.add(args.sources, args.dir)
    print(f"embedded {n} new chunks; {index.manifest['n_chunks']} in all")
    return 0


def search(args: argparse.Namespace) -> int:
    hits = Index.load(args.dir).search(args.query, k=args.k, mode=args.mode)
    if args.json:
        json.dump([h.to_dict() for h in hits], sys.stdout, indent=1)
        print()
        return 0
    for n, h in enumerate(hits, 1):
        where = h.source + (f" p.{h.page}" if h.page else "")
        year = f" ({h.year})" if h.year else ""
        print(f"[{n}] {h.score:.4f}  {h.title}{year}\n    {where}\n    {h.text[:240]}\n")
    return 0


def info(args: argparse.Namespace) -> int:
    m = Path(args.dir) / "manifest.json"
    if not m.exists():
        raise BadInputError(f"{args.dir} is not a geofm index (no manifest.json)")
    man = json.loads(m.read_text())
    man.pop("documents", None)
    print(json.dumps(man, indent=1))
    return 0
