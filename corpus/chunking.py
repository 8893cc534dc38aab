"""Structure-aware chunking: split at headings, pack paragraphs up to a size, overlap by
one paragraph. Chunk ids derive from source, content and position: stable across rebuilds."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass

from corpus.documents import Document

__all__ = ["Chunk", "chunk_document", "chunk_prefix", "CHUNKING", "LIST_ITEM"]

CHUNKING = {"max_chars": 1200, "overlap_paragraphs": 1, "version": 2}
_HEADING = re.compile(r"^(#{1,6}\s+.+|.+\n[=\-~^]{3,})\s*$", re.M)
LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,2}[.)])\s+")  # a Markdown list item's marker


@dataclass(frozen=True)
class Chunk:
    id: str
    text: str
    source: str
    title: str
    section: str
    page: int | None
    citation: str
    authors: str = ""
    year: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def _sections(text: str) -> list[tuple[str, str]]:
    """(heading, body) pairs; the text before the first heading has heading ''."""
    out, heading, pos = [], "", 0
    for m in _HEADING.finditer(text):
        out.append((heading, text[pos : m.start()]))
        heading = m.group(1).splitlines()[0].lstrip("#").strip()
        pos = m.end()
    out.append((heading, text[pos:]))
    return [(h, b) for h, b in out if b.strip()]


def chunk_document(
    doc: Document,
    max_chars: int = CHUNKING["max_chars"],
    overlap: int = CHUNKING["overlap_paragraphs"],
) -> list[Chunk]:
    chunks: list[Chunk] = []
    for page, text in doc.pages:
        for heading, body in _sections(text):
            paras = [_flatten(p) for p in re.split(r"\n\s*\n", body)]
            paras = [p for p in paras if p]
            group: list[str] = []
            for para in paras:
                if group and sum(len(g) for g in group) + len(para) > max_chars:
                    chunks.append(_make(doc, page, heading, group, len(chunks)))
                    group = group[-overlap:] if overlap else []
                group.append(para)
            if group:
                chunks.append(_make(doc, page, heading, group, len(chunks)))
    return chunks


def _flatten(paragraph: str) -> str:
    """One line per list item, the rest of a paragraph's line breaks folded to spaces, so
    that sentences and list items stay apart (corpus.sentences splits on them)."""
    lines: list[str] = []
    for line in paragraph.splitlines():
        line = re.sub(r"\s+", " ", line).strip()
        if not line:
            continue
        if lines and not LIST_ITEM.match(line):
            lines[-1] += " " + line
        else:
            lines.append(line)
    return "\n".join(lines)


def chunk_prefix(title: str, section: str) -> str:
    """The lead-in a chunk's text starts with, so that a passage says where it is from:
    "Title — Section: " or, for text before any heading, "Title: "."""
    return f"{title} — {section}: " if section else f"{title}: "


def _make(doc: Document, page: int | None, heading: str, paras: list[str], n: int) -> Chunk:
    text = chunk_prefix(doc.title, heading) + "\n".join(paras)
    key = f"{doc.source}|{n}|{hashlib.sha256(text.encode()).hexdigest()[:12]}"
    return Chunk(
        id=hashlib.sha1(key.encode()).hexdigest()[:16],
        text=text,
        source=doc.source,
        title=doc.title,
        section=heading,
        page=page,
        citation=doc.citation,
        authors=doc.authors,
        year=doc.year,
    )
