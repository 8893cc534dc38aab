"""Search the literature index from a tool call: passages with their documents' citations.

The agent retrieves once per question before it plans; this tool lets the model look
again with its own words (a narrower term, a method's name) part way through. Indexes are
opened once per process: the embedder and BM25 are slow to set up.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Annotated

from pydantic import Field

from common.errors import BadInputError
from corpus import Index, default_index, default_index_dir
from tools.result import ToolResult
from tools.workspace import Workspace

__all__ = ["search_literature", "passage_key"]

SNIPPET_CHARS = 220
_OPEN: dict[tuple, Index] = {}  # (which index, its manifest's mtime) -> the index


def search_literature(
    workspace: Workspace, query: str, k: Annotated[int, Field(ge=1, le=20)] = 5
) -> ToolResult:
    """Search the geophysics literature for passages on a topic, with their citations.

    The model cannot name an index directory (no paths outside the workspace from a
    tool call): this searches the default index of the shipped corpus. Other indexes
    are searched with ``geofm index search DIR``.

    Args:
        query: what to look for, in words: a question or the key terms of a method.
        k: number of passages to return, from 1 to 20.
    """
    if not query or not query.strip():
        raise BadInputError("the query is empty; give the topic or question to search for")
    if not 1 <= k <= 20:
        raise BadInputError(f"k must be between 1 and 20, got {k}")
    idx = _open()
    t0 = time.perf_counter()
    hits = idx.search(query, k=k)
    ms = (time.perf_counter() - t0) * 1000
    if not hits:
        return ToolResult(
            f"No passages found for {query!r}; try other terms.",
            metrics={"passages": 0, "search_ms": round(ms, 1)},
        )
    lines = [f"{len(hits)} passages for {query!r}:"]
    for h in hits:
        year = f" ({h.year})" if h.year else ""
        lines.append(f"[{passage_key(h.source)}] {h.title}{year} — {_snippet(h.text, h.title)}")
    citations = tuple(dict.fromkeys(h.citation or h.title for h in hits))
    return ToolResult(
        "\n".join(lines),
        citations=citations,
        metrics={
            "passages": len(hits),
            "top_score": round(hits[0].score, 4),
            "search_ms": round(ms, 1),
        },
    )


def passage_key(source: str) -> str:
    """A short name for a passage's document: the entry key of a bibliography entry
    (``refs.bib#canales1984`` → ``canales1984``), else the file name without suffix."""
    if "#" in source:
        return source.rsplit("#", 1)[1]
    return Path(source).stem


def _snippet(text: str, title: str) -> str:
    # chunks start "Title — Section: " or "Title: ", and a bibliography entry's text
    # with its title again; the title is already on the line
    for _ in range(2):
        if title and text.startswith(title):
            text = re.sub(r"^(?: — [^:\n]*)?[:.]\s*", "", text[len(title) :], count=1)
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= SNIPPET_CHARS:
        return text
    return text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"


def _open() -> Index:
    home = default_index_dir()
    key = (str(home), _mtime(home))
    if key not in _OPEN:
        _OPEN[key] = default_index()  # builds it once when missing or stale
    return _OPEN[key]


def _mtime(index_dir: Path) -> int:
    m = index_dir / "manifest.json"
    return m.stat().st_mtime_ns if m.exists() else 0
