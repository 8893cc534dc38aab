"""A small BibTeX reader: ``@type{key, field = {value}, ...}`` entries into ``BibEntry``.

Handles nested braces, quoted values (with braces inside), bare numbers, ``#``
concatenation, ``@string`` macros (and the month abbreviations), ``@comment`` and
``@preamble``, entries delimited by ``()`` as well as ``{}``, and fields spread over many
lines. Text outside entries is ignored, as BibTeX does. Malformed input raises
``BadInputError`` naming the file and line. ``clean_latex`` and ``format_authors`` turn
field values into plain text for citations.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from common.errors import BadInputError

__all__ = ["BibEntry", "parse_bibtex", "clean_latex", "format_authors"]

_MONTHS = {
    m: m.capitalize()
    for m in ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
}
_NAME = re.compile(r"[A-Za-z_][\w\-:.+/]*")
_ENTRY = re.compile(r"@\s*([A-Za-z]+)\s*([{(])")
_KEY = re.compile(r"\s*([^\s,{}()=\"#%'~]+)\s*(?:,|(?=[})]))")


@dataclass(frozen=True)
class BibEntry:
    """One entry: lower-case ``entry_type`` and field names, values with LaTeX kept."""

    entry_type: str
    key: str
    fields: dict
    line: int


class _Scanner:
    def __init__(self, text: str, where: str):
        self.text, self.where, self.pos = text, where, 0

    def line(self, pos: int | None = None) -> int:
        return self.text.count("\n", 0, self.pos if pos is None else pos) + 1

    def fail(self, message: str, pos: int | None = None) -> BadInputError:
        return BadInputError(
            f"{self.where}:{self.line(pos)}: {message}; fix the BibTeX "
            "there (or leave the file out)"
        )

    def skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def braced(self, start: int) -> str:
        """The text inside the ``{`` at ``self.pos`` up to its matching ``}``."""
        depth, i = 0, self.pos
        while i < len(self.text):
            c = self.text[i]
            if c == "\\":
                i += 2
                continue
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    out = self.text[self.pos + 1 : i]
                    self.pos = i + 1
                    return out
            i += 1
        raise self.fail("a '{' opened here is never closed", start)

    def quoted(self) -> str:
        """The text inside ``"..."``; a ``"`` within braces does not end it."""
        start, depth, i = self.pos, 0, self.pos + 1
        while i < len(self.text):
            c = self.text[i]
            if c == "\\":
                i += 2
                continue
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            elif c == '"' and depth == 0:
                self.pos = i + 1
                return self.text[start + 1 : i]
            i += 1
        raise self.fail("a '\"' opened here is never closed", start)


def parse_bibtex(text: str, where: str = "<bibtex>") -> list[BibEntry]:
    """Entries of a .bib file, in order. ``where`` names the file in error messages.

    Raises:
        BadInputError: ``FILE:LINE: problem`` for an unclosed brace or quote, a missing
            ``=`` or ``,``, a missing key, or a key used twice.
    """
    s = _Scanner(text, where)
    macros: dict[str, str] = dict(_MONTHS)
    entries: list[BibEntry] = []
    seen: dict[str, int] = {}
    while True:
        at = text.find("@", s.pos)
        if at < 0:
            return entries
        if text[text.rfind("\n", 0, at) + 1 : at].lstrip().startswith("%"):
            s.pos = at + 1  # a commented-out line (biber's convention)
            continue
        m = _ENTRY.match(text, at)
        if not m:
            raise s.fail("expected an entry such as @article{key, title = {...}}", at)
        kind, opener = m.group(1).lower(), m.group(2)
        closer = "}" if opener == "{" else ")"
        s.pos = m.end() - 1
        if kind == "comment":
            if opener == "{":
                s.braced(at)
            else:
                s.pos = m.end()
            continue
        s.pos = m.end()
        if kind == "preamble":
            _fields(s, macros, closer, at, preamble=True)
            continue
        if kind == "string":
            macros.update(_fields(s, macros, closer, at))
            continue
        km = _KEY.match(text, s.pos)
        if not km:
            raise s.fail(f"@{kind} entry has no citation key (expected @{kind}{{key, ...)", at)
        key = km.group(1)
        s.pos = km.end()
        line = s.line(at)
        if key in seen:
            raise s.fail(f"citation key {key!r} is used twice (first on line {seen[key]})", at)
        seen[key] = line
        entries.append(BibEntry(kind, key, _fields(s, macros, closer, at), line))


def _fields(
    s: _Scanner, macros: dict, closer: str, start: int, preamble: bool = False
) -> dict[str, str]:
    fields: dict[str, str] = {}
    while True:
        s.skip_ws()
        c = s.peek()
        if c == closer:
            s.pos += 1
            return fields
        if not c:
            raise s.fail(f"this entry is never closed with {closer!r}", start)
        if preamble:
            _value(s, macros, start)
            continue
        m = _NAME.match(s.text, s.pos)
        if not m:
            raise s.fail(f"expected a field name or {closer!r}, found {c!r}")
        name = m.group(0).lower()
        s.pos = m.end()
        s.skip_ws()
        if s.peek() != "=":
            raise s.fail(f"expected '=' after field name {name!r}")
        s.pos += 1
        fields[name] = _value(s, macros, start)
        s.skip_ws()
        c = s.peek()
        if c == ",":
            s.pos += 1
        elif c != closer:
            raise s.fail(
                f"expected ',' or {closer!r} after field {name!r}, found "
                f"{c or 'the end of the file'!r}"
            )


def _value(s: _Scanner, macros: dict, start: int) -> str:
    parts = []
    while True:
        s.skip_ws()
        c = s.peek()
        if c == "{":
            parts.append(s.braced(s.pos))
        elif c == '"':
            parts.append(s.quoted())
        elif c.isdigit() and (m := re.compile(r"\d+").match(s.text, s.pos)):
            parts.append(m.group(0))
            s.pos = m.end()
        elif c and (c.isalpha() or c == "_") and (m := _NAME.match(s.text, s.pos)):
            # an unknown macro stays as its name, as BibTeX does after a warning
            parts.append(macros.get(m.group(0).lower(), m.group(0)))
            s.pos = m.end()
        else:
            raise s.fail(
                f'expected a value ({{...}}, "...", a number or a macro), found '
                f"{c or 'the end of the file'!r}"
            )
        s.skip_ws()
        if s.peek() != "#":
            return "".join(parts)
        s.pos += 1


# ---- plain text ------------------------------------------------------------------------
_ACCENTS = {
    '"': "\u0308",
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "r": "\u030a",
    "k": "\u0328",
}
_LETTERS = {
    "ss": "ß",
    "o": "ø",
    "O": "Ø",
    "ae": "æ",
    "AE": "Æ",
    "aa": "å",
    "AA": "Å",
    "oe": "œ",
    "OE": "Œ",
    "l": "ł",
    "L": "Ł",
    "i": "ı",
    "j": "ȷ",
}


def clean_latex(value: str) -> str:
    """Plain text from a BibTeX value: accents to Unicode, no braces, markup removed."""
    t = value

    def accent(m: re.Match) -> str:
        return unicodedata.normalize("NFC", m.group(2) + _ACCENTS[m.group(1)])

    # \"{o}, {\"o}, \"o, \c{c}, \v s
    t = re.sub(r"\\([\"'`^~=.])\s*\{?\s*([A-Za-z])\}?", accent, t)
    t = re.sub(
        r"\\([uvHcrk])(?:\s*\{\s*([A-Za-z])\s*\}|\s+([A-Za-z]))",
        lambda m: unicodedata.normalize("NFC", (m.group(2) or m.group(3)) + _ACCENTS[m.group(1)]),
        t,
    )
    t = re.sub(
        r"\\(ss|ae|AE|aa|AA|oe|OE|o|O|l|L|i|j)(?![A-Za-z])\s?", lambda m: _LETTERS[m.group(1)], t
    )
    t = re.sub(
        r"\\(?:textit|textbf|textsc|textrm|texttt|emph|mathrm|mathbf|mathit|url|"
        r"text)\s*\{",
        "{",
        t,
    )
    t = re.sub(r"(?<!\\)\$", "", t)  # math shifts; the maths itself stays
    t = re.sub(r"\\([&%$#_{}])", r"\1", t)
    t = t.replace("---", "—").replace("--", "–").replace("~", " ")
    t = t.replace("\\\\", " ")
    t = re.sub(r"\\([A-Za-z]+)\s*", r"\1 ", t)  # other commands: keep the word (\alpha)
    t = t.replace("{", "").replace("}", "")
    return re.sub(r"\s+", " ", t).strip()


def _split_top(text: str, sep: re.Pattern) -> list[str]:
    """Split at ``sep`` outside braces."""
    out, depth, last = [], 0, 0
    i = 0
    while i < len(text):
        c = text[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif depth == 0:
            m = sep.match(text, i)
            if m and m.end() > i:
                out.append(text[last:i])
                last = i = m.end()
                continue
        i += 1
    out.append(text[last:])
    return [p.strip() for p in out if p.strip()]


_AND = re.compile(r"\s+and\s+", re.I)
_COMMA = re.compile(r",")


def format_authors(value: str) -> str:
    """``"Canales, L. L. and Öz Yilmaz and others"`` → ``"L. L. Canales, Öz Yilmaz et al."``."""
    names = []
    others = False
    for raw in _split_top(value, _AND):
        if raw.lower() == "others":
            others = True
            continue
        parts = _split_top(raw, _COMMA)
        if len(parts) == 2:  # Last, First
            raw = f"{parts[1]} {parts[0]}"
        elif len(parts) == 3:  # Last, Jr, First
            raw = f"{parts[2]} {parts[0]}, {parts[1]}"
        names.append(clean_latex(raw))
    text = ", ".join(names)
    return text + " et al." if others else text
