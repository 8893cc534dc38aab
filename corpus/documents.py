"""Reading documents: Markdown (with YAML front matter), reStructuredText, LaTeX, plain
text, HTML and PDF (page numbers kept) into ``Document`` records with metadata."""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from tools.errors import BadInputError

__all__ = ["Document", "read_document", "find_documents", "SUFFIXES"]

SUFFIXES = {".md", ".markdown", ".rst", ".tex", ".txt", ".html", ".htm", ".pdf"}


@dataclass(frozen=True)
class Document:
    """One source document; ``pages`` holds (page number or None, text) sections."""

    source: str
    title: str
    pages: tuple[tuple[int | None, str], ...]
    authors: str = ""
    year: int | None = None
    venue: str = ""
    licence: str = ""
    references: tuple[str, ...] = ()
    topic: str = ""
    url: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        body = "\n".join(t for _, t in self.pages)
        return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]

    @property
    def citation(self) -> str:
        """One line: title, authors, year, where it comes from (and what it cites)."""
        head = f"{self.title}"
        if self.authors:
            head += f", {self.authors}"
        if self.year:
            head += f" ({self.year})"
        if self.venue:
            head += f", {self.venue}"
        if self.references:
            head += ". Draws on: " + "; ".join(self.references)
        return head


def _front_matter(text: str) -> tuple[dict, str]:
    if not text.startswith("---"):
        return {}, text
    end = text.find("\n---", 3)
    if end < 0:
        return {}, text
    import yaml

    try:
        meta = yaml.safe_load(text[3:end]) or {}
    except yaml.YAMLError as e:
        raise BadInputError(f"front matter is not valid YAML: {e}") from None
    return (meta if isinstance(meta, dict) else {}), text[end + 4:].lstrip("\n")


def _first_heading(text: str, pattern: str) -> str:
    m = re.search(pattern, text, flags=re.M)
    return m.group(1).strip() if m else ""


def _rst_title(text: str) -> str:
    lines = text.splitlines()
    for i in range(len(lines) - 1):
        if lines[i].strip() and re.fullmatch(r"([=\-~^*#])\1{2,}", lines[i + 1].strip()) \
                and not re.fullmatch(r"([=\-~^*#])\1{2,}", lines[i].strip()):
            return lines[i].strip()
    return ""


def _clean_rst(text: str) -> str:
    text = re.sub(r"^\.\. (figure|image|raw|only|toctree|include)::.*?(?=^\S|\Z)", "",
                  text, flags=re.M | re.S)
    text = re.sub(r"^\.\. _[^:]+:\s*$", "", text, flags=re.M)
    text = re.sub(r":(math|ref|doc|cite|term):`([^`<]*)(?:<[^>]*>)?`", r"\2", text)
    return re.sub(r"`([^`<]+?)\s*(?:<[^>]*>)?`_+", r"\1", text)


def _clean_tex(text: str) -> str:
    text = re.sub(r"(?<!\\)%.*", "", text)
    text = re.sub(r"\\(section|subsection|subsubsection)\*?\{([^}]*)\}", r"\n## \2\n", text)
    text = re.sub(r"\\(textbf|textit|emph|texttt)\{([^}]*)\}", r"\2", text)
    text = re.sub(r"\\(begin|end)\{[^}]*\}", "", text)
    return re.sub(r"\\(cite|ref|label)\{[^}]*\}", "", text)


def read_document(path: str | Path) -> Document:
    """Read one file into a Document; BadInputError for unknown or unreadable files."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in SUFFIXES:
        raise BadInputError(f"cannot ingest {p.name}: supported types are "
                            f"{' '.join(sorted(SUFFIXES))}")
    if suffix == ".pdf":
        return _read_pdf(p)
    try:
        text = p.read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        raise BadInputError(f"cannot read {p}: {e}") from None
    meta: dict = {}
    if suffix in (".md", ".markdown"):
        meta, text = _front_matter(text)
        title = meta.get("title") or _first_heading(text, r"^#\s+(.+)$")
    elif suffix == ".rst":
        title = _rst_title(text)
        text = _clean_rst(text)
    elif suffix == ".tex":
        title = _first_heading(text, r"\\title\{([^}]*)\}")
        text = _clean_tex(text)
    elif suffix in (".html", ".htm"):
        title = _first_heading(text, r"<title>(.*?)</title>")
        text = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", text, flags=re.S | re.I)
        text = re.sub(r"<h[1-3][^>]*>(.*?)</h[1-3]>", r"\n## \1\n", text, flags=re.S | re.I)
        text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    else:
        title = ""
    refs = meta.get("references") or ()
    return Document(source=str(p), title=str(title or p.stem.replace("_", " ")),
                    pages=((None, text),), authors=_authors(meta.get("authors")),
                    year=_int(meta.get("year")), venue=str(meta.get("venue", "")),
                    licence=str(meta.get("licence", meta.get("license", ""))),
                    references=tuple(str(r) for r in refs), topic=str(meta.get("topic", "")),
                    url=str(meta.get("url", meta.get("doi", ""))))


def _authors(a) -> str:
    if isinstance(a, list):
        return ", ".join(map(str, a))
    return str(a or "")


def _int(x) -> int | None:
    try:
        return int(x)
    except (TypeError, ValueError):
        return None


def _read_pdf(p: Path) -> Document:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(p))
        pages = tuple((i + 1, page.extract_text() or "") for i, page in enumerate(reader.pages))
        info = reader.metadata or {}
    except (PdfReadError, OSError, ValueError) as e:
        raise BadInputError(f"cannot read PDF {p.name}: {e}") from None
    title = str(info.get("/Title") or p.stem)
    return Document(source=str(p), title=title, pages=pages,
                    authors=str(info.get("/Author") or ""))


def find_documents(sources: list[str | Path]) -> list[Path]:
    """Files under ``sources`` (files or directories) with a supported suffix, sorted."""
    found: list[Path] = []
    for s in sources:
        p = Path(s)
        if not p.exists():
            raise BadInputError(f"source {p} not found")
        if p.is_dir():
            found += sorted(f for f in p.rglob("*") if f.suffix.lower() in SUFFIXES
                            and f.is_file() and not f.name.startswith("."))
        else:
            found.append(p)
    return found
