"""Reading documents: Markdown (with YAML front matter), reStructuredText, LaTeX, plain
text, HTML and PDF (page numbers kept) into ``Document`` records with metadata; and
bibliographies — BibTeX (.bib) and arXiv-style metadata (.json, .jsonl) — where each entry
becomes one Document (title + abstract) whose source is ``FILE#KEY``."""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from common.errors import BadInputError
from corpus.bibtex import BibEntry, clean_latex, format_authors, parse_bibtex

__all__ = [
    "Document",
    "read_document",
    "read_documents",
    "find_documents",
    "SUFFIXES",
    "RECORD_SUFFIXES",
]

RECORD_SUFFIXES = {".bib", ".json", ".jsonl"}  # one Document per entry
SUFFIXES = {".md", ".markdown", ".rst", ".tex", ".txt", ".html", ".htm", ".pdf"} | RECORD_SUFFIXES


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
        if self.url and self.extra.get("key"):  # bibliography entries: DOI or link
            head += f". {self.url}"
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
    return (meta if isinstance(meta, dict) else {}), text[end + 4 :].lstrip("\n")


def _first_heading(text: str, pattern: str) -> str:
    m = re.search(pattern, text, flags=re.M)
    return m.group(1).strip() if m else ""


def _rst_title(text: str) -> str:
    lines = text.splitlines()
    for i in range(len(lines) - 1):
        if (
            lines[i].strip()
            and re.fullmatch(r"([=\-~^*#])\1{2,}", lines[i + 1].strip())
            and not re.fullmatch(r"([=\-~^*#])\1{2,}", lines[i].strip())
        ):
            return lines[i].strip()
    return ""


def _clean_rst(text: str) -> str:
    text = re.sub(
        r"^\.\. (figure|image|raw|only|toctree|include)::.*?(?=^\S|\Z)", "", text, flags=re.M | re.S
    )
    text = re.sub(r"^\.\. _[^:]+:\s*$", "", text, flags=re.M)
    text = re.sub(r":(math|ref|doc|cite|term):`([^`<]*)(?:<[^>]*>)?`", r"\2", text)
    return re.sub(r"`([^`<]+?)\s*(?:<[^>]*>)?`_+", r"\1", text)


def _clean_tex(text: str) -> str:
    text = re.sub(r"(?<!\\)%.*", "", text)
    text = re.sub(r"\\(section|subsection|subsubsection)\*?\{([^}]*)\}", r"\n## \2\n", text)
    text = re.sub(r"\\(textbf|textit|emph|texttt)\{([^}]*)\}", r"\2", text)
    text = re.sub(r"\\(begin|end)\{[^}]*\}", "", text)
    return re.sub(r"\\(cite|ref|label)\{[^}]*\}", "", text)


def read_documents(path: str | Path) -> list[Document]:
    """The Documents of one file: one per entry of a bibliography, else one."""
    p = Path(path)
    if p.suffix.lower() not in RECORD_SUFFIXES:
        return [read_document(p)]
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise BadInputError(f"cannot read {p}: {e}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:  # older .bib files are often Latin-1
        text = raw.decode("latin-1")
    if p.suffix.lower() == ".bib":
        return [_bib_document(p, e) for e in parse_bibtex(text, str(p))]
    docs, seen = [], set()
    for r, line in _json_records(p, text):
        d = _record_document(p, r, line)
        n = 1
        while d.source in seen:  # the same id twice: keep both, apart
            n += 1
            d = replace(d, source=f"{p}#{d.extra['key']}-{n}")
        seen.add(d.source)
        docs.append(d)
    return docs


def read_document(path: str | Path) -> Document:
    """Read one file into a Document; BadInputError for unknown or unreadable files
    (and for a bibliography of more than one entry: use :func:`read_documents`)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in SUFFIXES:
        raise BadInputError(
            f"cannot ingest {p.name}: supported types are {' '.join(sorted(SUFFIXES))}"
        )
    if suffix in RECORD_SUFFIXES:
        docs = read_documents(p)
        if len(docs) != 1:
            raise BadInputError(
                f"{p.name} holds {len(docs)} entries, not one; read it with corpus.read_documents"
            )
        return docs[0]
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
    return Document(
        source=str(p),
        title=str(title or p.stem.replace("_", " ")),
        pages=((None, text),),
        authors=_authors(meta.get("authors")),
        year=_int(meta.get("year")),
        venue=str(meta.get("venue", "")),
        licence=str(meta.get("licence", meta.get("license", ""))),
        references=tuple(str(r) for r in refs),
        topic=str(meta.get("topic", "")),
        url=str(meta.get("url", meta.get("doi", ""))),
    )


def _authors(a: object) -> str:
    if isinstance(a, list):
        return ", ".join(map(str, a))
    return str(a or "")


def _int(x: Any) -> int | None:
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
        info: Mapping[str, Any] = reader.metadata or {}
    except (PdfReadError, OSError, ValueError) as e:
        raise BadInputError(f"cannot read PDF {p.name}: {e}") from None
    title = str(info.get("/Title") or p.stem)
    return Document(source=str(p), title=title, pages=pages, authors=str(info.get("/Author") or ""))


def find_documents(sources: list[str | Path]) -> list[Path]:
    """Files under ``sources`` (files or directories) with a supported suffix, sorted."""
    found: list[Path] = []
    for s in sources:
        p = Path(s)
        if not p.exists():
            raise BadInputError(f"source {p} not found")
        if p.is_dir():
            found += sorted(
                f
                for f in p.rglob("*")
                if f.suffix.lower() in SUFFIXES and f.is_file() and not f.name.startswith(".")
            )
        else:
            found.append(p)
    return found


# ---- bibliographies ---------------------------------------------------------------------
def _entry_text(title: str, abstract: str, keywords: str = "", note: str = "") -> str:
    parts = [title.rstrip(".") + "."] + [re.sub(r"\s+", " ", abstract).strip()]
    if keywords:
        parts.append(f"Keywords: {keywords}.")
    if note:
        parts.append(f"Note: {note}")
    return "\n\n".join(p for p in parts if p.strip(". "))


def _year(*values: object) -> int | None:
    for v in values:
        m = re.search(r"\b(1[5-9]\d\d|20\d\d)\b", str(v or ""))
        if m:
            return int(m.group(1))
    return None


def _doi_url(doi: str, url: str = "") -> str:
    doi = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:)", "", doi.strip(), flags=re.I)
    return f"https://doi.org/{doi}" if doi else url.strip()


def _bib_document(p: Path, entry: BibEntry) -> Document:
    f = {
        k: _verbatim(v) if k in ("url", "doi", "eprint") else clean_latex(v)
        for k, v in entry.fields.items()
        if k != "author"
    }
    venue = next(
        (
            f[k]
            for k in (
                "journal",
                "journaltitle",
                "booktitle",
                "school",
                "institution",
                "publisher",
                "howpublished",
            )
            if f.get(k)
        ),
        "",
    )
    if venue and f.get("volume"):
        venue += f" {f['volume']}" + (f"({f['number']})" if f.get("number") else "")
    if venue and f.get("pages"):
        venue += f", {f['pages']}"
    if not venue and f.get("eprint"):
        venue = f"{f.get('archiveprefix', 'arXiv')}:{f['eprint']}"
    title = f.get("title") or entry.key
    return Document(
        source=f"{p}#{entry.key}",
        title=title,
        pages=(
            (
                None,
                _entry_text(title, f.get("abstract", ""), f.get("keywords", ""), f.get("note", "")),
            ),
        ),
        authors=format_authors(entry.fields.get("author", entry.fields.get("editor", ""))),
        year=_year(f.get("year"), f.get("date")),
        venue=venue,
        topic=f.get("keywords", ""),
        url=_doi_url(f.get("doi", ""), f.get("url", "")),
        extra={
            "key": entry.key,
            "entry_type": entry.entry_type,
            "doi": f.get("doi", ""),
            "line": entry.line,
        },
    )


def _verbatim(value: str) -> str:
    """A URL or DOI field: braces and escapes off, nothing else touched (``~``, ``--``)."""
    return re.sub(r"\\([_%&#~$])", r"\1", value.replace("{", "").replace("}", "")).strip()


def _json_records(p: Path, text: str) -> list[tuple[dict, int | None]]:
    """(record, line) pairs of a .jsonl file (one object a line) or a .json file (an
    object, a list of objects, or an object with an ``entries``/``papers``/``records`` list)."""
    if p.suffix.lower() == ".jsonl":
        out: list[tuple[dict, int | None]] = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    out.append((json.loads(line), n))
                except json.JSONDecodeError as e:
                    raise BadInputError(
                        f"{p}:{n}: not valid JSON ({e.msg}, column {e.colno})"
                        "; each line must be one JSON object"
                    ) from None
        return out
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise BadInputError(f"{p}:{e.lineno}: not valid JSON ({e.msg}, column {e.colno})") from None
    if isinstance(data, dict):
        data = next(
            (data[k] for k in ("entries", "papers", "records") if isinstance(data.get(k), list)),
            [data],
        )
    if not isinstance(data, list):
        raise BadInputError(
            f"{p}: expected a JSON object or a list of objects with a title (arXiv-style metadata)"
        )
    return [(r, None) for r in data]


def _record_document(p: Path, r: object, line: int | None) -> Document:
    where = f"{p}:{line}" if line else f"{p}"
    if not isinstance(r, dict) or not str(r.get("title") or "").strip():
        raise BadInputError(
            f"{where}: a record without a 'title'; expected arXiv-style "
            "metadata (id, title, authors, abstract, ...)"
        )
    arxiv = re.sub(r"^https?://arxiv\.org/abs/|v\d+$", "", str(r.get("id") or "").strip())
    title = clean_latex(str(r["title"]))
    key = (
        arxiv
        or str(r.get("doi") or r.get("key") or "").strip()
        or "record-" + hashlib.sha1(title.encode()).hexdigest()[:8]
    )
    abstract = clean_latex(str(r.get("abstract") or r.get("summary") or ""))
    versions = r.get("versions") or [{}]
    first = versions[0].get("created") if isinstance(versions[0], dict) else ""
    venue = str(
        r.get("journal-ref") or r.get("journal_ref") or r.get("journal") or r.get("venue") or ""
    )
    categories = r.get("categories") or ""
    categories = " ".join(categories) if isinstance(categories, list) else str(categories)
    if not venue and arxiv:
        venue = f"arXiv:{arxiv}" + (f" [{categories}]" if categories else "")
    url = _doi_url(str(r.get("doi") or ""), str(r.get("url") or "")) or (
        f"https://arxiv.org/abs/{arxiv}" if arxiv else ""
    )
    keywords = r.get("keywords") or ""
    keywords = ", ".join(keywords) if isinstance(keywords, list) else str(keywords)
    return Document(
        source=f"{p}#{key}",
        title=title,
        pages=((None, _entry_text(title, abstract, keywords, str(r.get("note") or ""))),),
        authors=_record_authors(r),
        venue=clean_latex(venue),
        topic=categories,
        url=url,
        year=_year(r.get("year"), r.get("published"), first, r.get("update_date")),
        extra={"key": key, "doi": str(r.get("doi") or ""), "line": line},
    )


def _record_authors(r: dict) -> str:
    parsed = r.get("authors_parsed")
    if isinstance(parsed, list) and parsed:  # arXiv snapshot: [[last, first, suffix], ...]
        names = [
            " ".join(x for x in (a[1], a[0], a[2] if len(a) > 2 else "") if x)
            for a in parsed
            if isinstance(a, list) and a
        ]
        return clean_latex(", ".join(names))
    a = r.get("authors") or r.get("author") or ""
    if isinstance(a, list):
        a = ", ".join(str(x.get("name", "")) if isinstance(x, dict) else str(x) for x in a)
    return clean_latex(str(a))
