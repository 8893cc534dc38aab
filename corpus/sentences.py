"""Split a chunk into quotable units: sentences and list items, with their labels.

Pages in the corpus mix prose, bold run-in labels ("**Cycle skipping.** If ..."), bold
subjects that stay in their sentence ("**Seismic moment** is M0 = mu A D"), and
bullet lists under a lead-in line ("**Measuring shifts:**"). An answer quotes units, so
each unit reads on its own: a list item that is only a fragment ("several coil pairs at
400 Hz") carries its list's lead ("Frequency-domain systems: several coil pairs ..."),
and a bold label joins its first sentence ("Cycle skipping: if predicted ...").

The split is deterministic: the index stores one vector per unit, in this order, and the
answer composer splits the same chunk text again to find them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus.chunking import LIST_ITEM, chunk_prefix

__all__ = ["Sentence", "split_sentences", "strip_prefix", "MIN_QUOTE_WORDS"]

MIN_QUOTE_WORDS = 6  # a shorter unit (a label, a formula) is context, not an answer
FORMULA_LETTERS = 0.3  # share of letters an equation needs to be quoted (prose: 0.6)

_LABEL = re.compile(r"^\*\*(.+?)\*\*\s*")


def _is_subject(bold: str, rest: str) -> bool:
    """A bold phrase that opens a line as the subject of its sentence ("**Seismic
    moment** is M0 = ...", "**Time-lapse surveys** (ground wave) track ...", "**Report**
    the misfit"), not a run-in label: the bold text does not end with "." or ":" and
    the line goes on in lower case, with a bracket, a comma or "="."""
    if bold.rstrip().endswith((".", ":")) or rest[:1] in (".", ":", ""):
        return False
    return bold.rstrip().endswith(",") or rest[:1] in ("(", ",", "=") or rest[:1].islower()


_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_EMPH = re.compile(r"(?<![\w*])\*(\S(?:.*?\S)?)\*(?![\w*])")
_CODE = re.compile(r"`([^`]+)`")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
# A sentence ends at . ! ? followed by a space and a capital, digit or opening bracket;
# common abbreviations and initials do not end one.
_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"']|[a-z]{1,3}[A-Z])")
_ABBREV = re.compile(
    r"(?:\b(?:e\.g|i\.e|et al|etc|cf|vs|approx|Fig|Eq|Eqs|Ref|No|St|Dr|"
    r"Mr|Ms|ca|resp|incl)|(?<![\w-])[A-Z])\.$"
)


@dataclass(frozen=True)
class Sentence:
    """One quotable unit of a chunk.

    Attributes:
        text: the unit as it is quoted: markup removed, a fragment joined to its lead.
        pos: its position among the chunk's units (0-based).
        bullet: True for a list item.
        words: number of words in ``text``.
        block: the paragraph or list it belongs to (a list's unlabelled items share the
            block of their lead-in line; a labelled item is a block of its own).
        label: the bold phrase that opens its paragraph or list item, a run-in label
            ("Class III: low-impedance sand") or a subject ("Seismic moment"), for
            every unit of it; the first unit's ``text`` starts with it, the others'
            do not (a quote that skips the first unit names it).
    """

    text: str
    pos: int
    bullet: bool = False
    words: int = 0
    block: int = 0
    label: str = ""

    @property
    def quotable(self) -> bool:
        """At least MIN_QUOTE_WORDS words, mostly letters (an equation with its words,
        "Mw = (2/3) log10 M0 - 6.07 (M0 in N m)", a third), and not a lead-in line."""
        letters = sum(c.isalpha() for c in self.text)
        share = FORMULA_LETTERS if "=" in self.text else 0.6
        return (
            self.words >= MIN_QUOTE_WORDS
            and letters >= share * len(self.text)
            and not self.text.rstrip().endswith(":")
        )


def strip_prefix(text: str, title: str, section: str) -> str:
    """A chunk's text without its "Title — Section: " lead-in (see corpus.chunking)."""
    lead = chunk_prefix(title, section)
    return text[len(lead) :] if text.startswith(lead) else text


def split_sentences(text: str, title: str = "", section: str = "") -> list[Sentence]:
    """The units of a chunk's ``text`` (its lead-in stripped when title/section match)."""
    body = strip_prefix(text, title, section)
    units: list[tuple[str, bool, int, str]] = []
    lead = ""  # the lead-in line of the list being read ("Measuring shifts")
    lead_block = 0  # a list's unlabelled items form one block with its lead-in line
    for line_no, line in enumerate(body.split("\n")):
        line = line.strip()
        if not line:
            continue
        bullet = bool(LIST_ITEM.match(line))
        line = LIST_ITEM.sub("", line) if bullet else line
        label = ""
        run_in = False  # "**Cycle skipping.** If ..." rather than "**Seismic moment** is ..."
        m = _LABEL.match(line)
        if m:
            label = _plain(m.group(1)).rstrip(".:,").strip()
            run_in = not _is_subject(m.group(1), line[m.end() :])
            if run_in:
                line = line[m.end() :]
        pieces = _sentences(_plain(line))
        block = lead_block if bullet and lead else line_no
        if not bullet:
            lead_block = line_no
            # a paragraph whose last piece ends with ':' opens a list
            lead = (
                pieces[-1][:-1]
                if pieces and pieces[-1].endswith(":")
                else label
                if not pieces
                else ""
            )
        for i, piece in enumerate(pieces):
            if i == 0 and run_in:
                piece = f"{label}: {piece}"
            elif i == 0 and bullet and lead and piece[:1].islower():
                piece = f"{lead}: {piece}"
            units.append((piece, bullet, block, label))
        if not pieces and label:
            units.append((label + ":", bullet, block, label))
    return [
        Sentence(t.rstrip(" ;"), i, b, len(t.split()), k, lab)
        for i, (t, b, k, lab) in enumerate(units)
    ]


def _plain(text: str) -> str:
    text = _LINK.sub(r"\1", text)
    text = _BOLD.sub(lambda m: m.group(1) or m.group(2), text)
    text = _EMPH.sub(r"\1", text)
    text = _CODE.sub(r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def _sentences(text: str) -> list[str]:
    out: list[str] = []
    for piece in _END.split(text):
        if out and _ABBREV.search(out[-1]):
            out[-1] += " " + piece
        elif piece:
            out.append(piece)
    return [p.strip() for p in out if p.strip()]
