"""The state a conversation carries between turns: a compact record of each turn and
the workspace items it made, a resolver for references ("it", "the denoised one", "the
first file") and the short history the routing model reads.

    conv = Conversation()
    turn = conv.record("remove the noise", attached, steps)    # after each turn
    ref = conv.resolve("now plot it", attached=[])             # ref.ids == ["ws-3"]
    block = conv.history(max_chars=480)                        # for the routing prompt

Arrays never enter the record: a call is kept as its name, the arguments it was given,
the workspace ids it made and its metrics (4 significant digits; the model sees the
first three, and a question about an earlier number is answered from all of them). The
history shows the last turn in full and each older one in one line, oldest dropped
first, within ``max_chars``; the prompt of turn 5 then stays close to that of turn 1 (a
test measures it with the embedded tokenizer).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from agent.steps import Answer, EarlierResult, Error, Step, ToolCall, ToolOutput
from common.atomic import write_file_atomically
from common.errors import BadInputError
from tools.result import Artifact
from tools.workspace import Workspace

__all__ = [
    "Conversation",
    "CallRecord",
    "TurnRecord",
    "Item",
    "Resolution",
    "ids_in",
    "save_state",
    "load_state",
    "STATE_FORMAT",
]

STATE_FORMAT = "geofm-conversation"
_WS_ID = re.compile(r"\bws-\d+\b")
_MAX_METRICS = 3  # per call in the prompt: the first ones a tool reports are its key ones
_ANSWER_CHARS = 100

# Tools whose outputs a phrase names (the latest of them wins): "the f-x result", "the
# denoised one", and, without "the", "Cadzow output", "AGC'd version"
_OUTPUT = r"(?:'d|-ed)? (?:output|result|version)s?\b"
_FAMILY_WORDS: list[tuple[str, tuple[str, ...]]] = [
    (r"f-?x|fx", ("fx_decon",)),
    (r"rank[- ]?reduc\w*|rank[- ]?\d+|cadzow|ssa", ("rank_reduction",)),
    (r"median", ("median_filter",)),
    (r"f-?k|fk|dip[- ]filtered", ("fk_filter",)),
    (r"band-?pass(?:ed)?|band-?limited", ("bandpass",)),
    (r"agc|gained", ("agc",)),
    (r"interpolated|reconstructed", ("geofm_interpolate", "interpolate_traces")),
    (r"pocs|mssa", ("interpolate_traces",)),
    (r"coherence|discontinuity|semblance", ("coherence_faults",)),
    (r"geofm", ("geofm_denoise", "geofm_interpolate", "geofm_faults")),
    (r"impedance|inverted|inversion", ("invert_impedance",)),
    (r"wavelet", ("estimate_wavelet",)),
    (r"well|log", ("read_well_log",)),
    (r"synthetic", ("make_synthetic",)),
    (
        r"denoised|cleaned|clean|filtered|processed",
        ("fx_decon", "rank_reduction", "median_filter", "geofm_denoise", "fk_filter")
        + ("bandpass", "agc"),
    ),
]
_FAMILIES: list[tuple[re.Pattern[str], tuple[str, ...]]] = [
    (re.compile(rf"\bthe (?:{words})\b|\b(?:{words}){_OUTPUT}"), tools)
    for words, tools in _FAMILY_WORDS
]
# a synthetic's fault mask ("show the fault mask too")
_MASK = re.compile(r"\b(?:the|its|synthetic'?s?) (?:fault )?mask\b|\bthe (?:true|known) faults\b")
# a synthetic's noise-free section ("measure it against the noise-free section")
_NOISE_FREE = re.compile(
    r"\bthe (?:noise-?free|noiseless|true|clean) (?:synthetic|model)\b|"
    r"\bthe (?:noise-?free|noiseless|true) (?:section|one|version|data|image|line)\b"
)
_LOADERS = ("read_segy", "read_ascii_section", "import_array", "read_well_log", "make_synthetic")
_ORIGINAL = re.compile(r"\bthe (?:original|raw|input|unprocessed|noisy)\b")
_ORDINALS = {"first": 0, "second": 1, "third": 2, "1st": 0, "2nd": 1, "3rd": 2}
_NTH_FILE = re.compile(
    r"\bthe (first|second|third|1st|2nd|3rd|last|latest|new|newest|other) "
    r"(?:file|line|upload|segy|seg-y|survey|gather)\b"
)
_FIGURE = re.compile(r"\bthe (?:last |previous )?(?:figure|plot|image|picture)\b")
# how a figure looks: "again, but in seismic colours" redoes the plot, not the processing
_LOOKS = re.compile(
    r"\b(?:colou?rs?|colou?rmap|cmap|palette|clip\w*|grey\w*|gray\w*|title|aspect|"
    r"plot\w*|figure|display\w*|show\w*)\b"
)
_VERBS = (
    "plot|show|display|draw|view|denoise|filter|bandpass|clean|smooth|apply|run|use|save|"
    "write|export|store|keep|compare|invert|measure|estimate|check|process|redo|repeat|"
    "try|do|gain|mute|load|read|interpolate|reconstruct|take|give|put|convert|crop"
)
_PLURAL = re.compile(r"\b(?:them|those|these)$")
# data the request itself makes before it says "it" ("model a noisy synthetic, then ...")
_MADE_HERE = re.compile(r"\bsynthetic|\bsimulat")
_PRONOUN = re.compile(rf"\b(?:{_VERBS})\s+(?:it|that|this|them|those|these)\b")
_PRONOUN_OF = re.compile(
    r"\b(?:of|with|on|to|from|against)\s+(?:it|that|this|them)\b(?!\s+(?:is|are|was|does))"
)
_ITS = re.compile(r"\bits\s+(?:spectrum|snr|amplitude|frequency|noise|wavelet|impedance)")
_LAST = re.compile(
    r"\bthe (?:last|latest|previous|earlier|same|current|final|new) "
    r"(?:result|output|one|section|data|array|line|version|image)\b|\bthe (?:result|output)\b"
)
_REDO = re.compile(
    r"\b(?:instead|same but|same thing|same again|again|redo|re-?run|repeat|this time|"
    r"once more|one more time)\b|"
    r"^\s*(?:and|or|now)\s+(?:with|using|via)\b"  # "and with rank reduction": another way
)


def ids_in(value: Any) -> list[str]:
    """Workspace ids (ws-N) named anywhere in a tool call's arguments, in order."""
    if isinstance(value, str):
        return _WS_ID.findall(value)
    if isinstance(value, dict):
        return [i for v in value.values() for i in ids_in(v)]
    if isinstance(value, list | tuple):
        return [i for v in value for i in ids_in(v)]
    return []


@dataclass
class Item:
    """A workspace item the conversation knows: who made it, in which turn."""

    id: str
    kind: str
    description: str
    turn: int
    made_by: str  # a tool name, or "file" for the user's upload


@dataclass
class CallRecord:
    name: str
    args: dict[str, Any]
    ok: bool = True
    outputs: list[str] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        args = ", ".join(f"{k}={_short(v)}" for k, v in self.args.items())
        text = f"{self.name}({args})"
        if not self.ok:
            return text + " failed"
        if self.outputs:
            text += " -> " + ", ".join(self.outputs)
        if self.metrics:  # the record shows the first, key ones; questions read them all
            shown = list(self.metrics.items())[:_MAX_METRICS]
            text += " [" + ", ".join(f"{k}={v}" for k, v in shown) + "]"
        return text


@dataclass
class TurnRecord:
    n: int
    request: str
    files: list[str] = field(default_factory=list)
    calls: list[CallRecord] = field(default_factory=list)
    answer: str = ""

    def full(self) -> str:
        lines = [f'Turn {self.n}: "{_clip(self.request, 80)}"']
        if self.files:
            lines.append("files: " + ", ".join(self.files))
        lines += [c.line() for c in self.calls]
        if self.answer and not self.calls:
            lines.append("answer: " + self.answer)
        return "\n".join(lines)

    def brief(self, kinds: dict[str, str] | None = None) -> str:
        """One line; each call with its last array output (else its last output)."""
        kinds = kinds or {}
        done = []
        for c in self.calls:
            arrays = [i for i in c.outputs if kinds.get(i) == "array"] or c.outputs
            done.append(c.name + (" -> " + arrays[-1] if arrays else ""))
        what = "; ".join(done) or ("files " + ", ".join(self.files) if self.files else "answer")
        return f'Turn {self.n}: "{_clip(self.request, 40)}" {what}'


@dataclass(frozen=True)
class Resolution:
    """What a message refers to. ``ids``: the workspace ids, in the order named;
    ``phrases``: (phrase, id) for each reference; ``unresolved``: reference phrases that
    name nothing in the conversation; ``explicit``: ws-N ids typed in the message."""

    ids: tuple[str, ...] = ()
    phrases: tuple[tuple[str, str], ...] = ()
    unresolved: tuple[str, ...] = ()
    explicit: tuple[str, ...] = ()


@dataclass
class Conversation:
    """The record of a conversation's turns and of the workspace items they made."""

    turns: list[TurnRecord] = field(default_factory=list)
    items: dict[str, Item] = field(default_factory=dict)

    # ---- recording ---------------------------------------------------------------------
    def record(self, request: str, attached: Iterable[Artifact], steps: list[Step]) -> TurnRecord:
        """Add one turn: its request, attached files, tool calls and the answer's first line."""
        n = len(self.turns) + 1
        turn = TurnRecord(n, request.strip())
        for a in attached:
            turn.files.append(a.id)
            self.items[a.id] = Item(a.id, a.kind, a.description, n, "file")
        pending: dict[str, CallRecord] = {}
        for s in steps:
            if isinstance(s, ToolCall):
                call = CallRecord(s.name, dict(s.args))
                turn.calls.append(call)
                pending[s.call_id or s.name] = call
            elif isinstance(s, ToolOutput):
                call = pending.pop(s.call_id or s.name, CallRecord(s.name, {}))
                call.ok = s.result.ok
                call.outputs = [a.id for a in s.result.artifacts]
                call.metrics = s.result.rounded_metrics()
                for a in s.result.artifacts:
                    self.items[a.id] = Item(a.id, a.kind, a.description, n, s.name)
            elif isinstance(s, Answer):
                turn.answer = _clip(s.text.strip().split("\n")[0], _ANSWER_CHARS)
            elif isinstance(s, Error):
                turn.answer = _clip("Error: " + s.message, _ANSWER_CHARS)
        self.turns.append(turn)
        return turn

    def earlier(self, item_id: str) -> EarlierResult | None:
        item = self.items.get(item_id)
        if item is None:
            return None
        return EarlierResult(item.id, item.turn, item.description)

    # ---- references ----------------------------------------------------------------------
    def resolve(self, message: str, attached: Iterable[Artifact] = ()) -> Resolution:
        """The workspace ids ``message`` refers to, by deterministic rules: ws-N as typed;
        "the first/second/last/new file"; "the f-x result", "the denoised one", "Cadzow
        output" (the latest output of those tools); a synthetic's "noise-free section"
        and "fault mask"; "the original" (the latest loaded data); "the figure";
        "instead", "same but", "again", "and with ..." (the last call's input); "it",
        "that", "the last result" (a file attached with the message, else the last turn's
        data; "them" after two names is those two)."""
        text = message.lower()
        attached = list(attached)
        phrases: list[tuple[str, str]] = []
        unresolved: list[str] = []
        explicit = tuple(dict.fromkeys(_WS_ID.findall(text)))

        def add(phrase: str, item_id: str | None) -> None:
            (phrases.append((phrase, item_id)) if item_id else unresolved.append(phrase))

        for m in _NTH_FILE.finditer(text):
            add(m.group(0), self._nth_file(m.group(1), attached))
        for m in _NOISE_FREE.finditer(text):
            add(m.group(0), self._synthetic_part("clean"))
        for m in _MASK.finditer(text):
            add(m.group(0), self._synthetic_part("fault mask"))
        for pattern, tools in _FAMILIES:
            for m in pattern.finditer(text):
                found = self._latest(tools, kind="array")
                # "estimate the wavelet" names what to make, not an earlier result
                if found and not any(m.group(0) in p for p, _ in phrases):
                    add(m.group(0), found)
        for m in _ORIGINAL.finditer(text):
            add(m.group(0), self._latest(_LOADERS, kind="array") or self._latest(("file",)))
        for m in _FIGURE.finditer(text):
            add(m.group(0), self._latest(None, kind="figure"))
        redo = _REDO.search(text)
        if redo and not attached:
            last = self._last_input(plot=bool(_LOOKS.search(text)))
            # "again with 300 traces" after a call that read nothing (make_synthetic)
            # redoes that call: nothing to resolve, the record shows it
            if last or not any(t.calls for t in self.turns):
                add(redo.group(0), last)
        pronoun = _PRONOUN.search(text) or _PRONOUN_OF.search(text) or _ITS.search(text)
        for said in (pronoun, _LAST.search(text)):
            if said is not None and not attached and _MADE_HERE.search(text[: said.start()]):
                continue  # "make a synthetic, then clean it": the request makes "it" itself
            if said is not None and len(phrases) > 1 and _PLURAL.search(said.group(0)):
                continue  # "compare them: the f-x output and the Cadzow output"
            if said is not None and any(
                text[said.end() :].lstrip().startswith(p) for p, _ in phrases
            ):
                continue  # "draw that median output": "that" is part of the name
            if said is not None and not (redo and phrases):
                if attached:
                    add(said.group(0), attached[-1].id)
                elif not phrases:  # "compare it with the f-x result": "it" is the other one
                    add(said.group(0), self._last_product())
                else:
                    add(said.group(0), self._last_product(frozenset(i for _, i in phrases)))
        # "make a synthetic and find faults on the noisy section": the request makes it
        unresolved = [p for p in unresolved if not _MADE_HERE.search(text[: text.find(p)])]
        ids = tuple(dict.fromkeys([*explicit, *(i for _, i in phrases)]))
        return Resolution(ids, tuple(phrases), tuple(unresolved), explicit)

    def _nth_file(self, which: str, attached: list[Artifact]) -> str | None:
        files = [i.id for i in self.items.values() if i.made_by == "file"]
        files += [a.id for a in attached if a.id not in files]
        if not files:
            return None
        if which in _ORDINALS:
            k = _ORDINALS[which]
            return files[k] if k < len(files) else None
        if which == "other" and len(files) > 1:
            return files[-2]
        return files[-1]

    def _latest(self, tools: tuple[str, ...] | None, kind: str | None = None) -> str | None:
        """The main output (its first of ``kind``) of the latest call by one of ``tools``
        (any tool when None): make_synthetic's noisy section, not its fault mask; else
        the latest such item (an attached file)."""
        for turn in reversed(self.turns):
            for call in reversed(turn.calls):
                if tools is None or call.name in tools:
                    found = self._main_output(call, kind)
                    if found:
                        return found
        for item in reversed(list(self.items.values())):
            if (tools is None or item.made_by in tools) and (kind is None or item.kind == kind):
                return item.id
        return None

    def _last_input(self, plot: bool = False) -> str | None:
        """What the last processing call read (a plot or a measurement after it is not
        what "same but 10-40 Hz" redoes), else what the last call read; with ``plot``
        (the message is about how a figure looks), what the last plot showed."""
        calls = [c for t in self.turns for c in t.calls]
        made_array = [c for c in calls if self._main_output(c, "array")]
        made_figure = [c for c in calls if self._main_output(c, "figure")]
        for group in ([*made_figure[-1:]] if plot else [], made_array, calls):
            for call in reversed(group):
                used = [i for i in ids_in(call.args) if i in self.items]
                if used:
                    return used[0]
        return None

    def _main_output(self, call: CallRecord, kind: str | None = None) -> str | None:
        """A call's first output of ``kind`` (any kind when None) that the record holds:
        its main one (make_synthetic's noisy section, not its fault mask)."""
        return next(
            (i for i in call.outputs if i in self.items and kind in (None, self._kind(i))),
            None,
        )

    def _synthetic_part(self, word: str) -> str | None:
        """A section of the latest synthetic whose description has ``word``: "clean"
        (its noise-free section), "fault mask"."""
        for turn in reversed(self.turns):
            for call in reversed(turn.calls):
                for i in call.outputs if call.name == "make_synthetic" else ():
                    item = self.items.get(i)
                    if item and item.kind == "array" and word in item.description:
                        return i
        return None

    def _kind(self, item_id: str) -> str:
        item = self.items.get(item_id)
        return item.kind if item else ""

    def _last_product(self, avoid: frozenset[str] = frozenset()) -> str | None:
        """The data the last acting turn left: its last array, else what its calls
        read (a plot's section), else its file, else its last output (a figure)."""
        for turn in reversed(self.turns):
            made = [i for c in turn.calls if c.ok for i in c.outputs]
            # each call's main array (its first): a synthetic's section, not its mask
            arrays = [a for c in turn.calls if c.ok and (a := self._main_output(c, "array"))]
            used = [i for c in turn.calls for i in ids_in(c.args) if i in self.items]
            for candidates in (arrays, used, turn.files, made):
                for i in reversed(candidates):
                    if i not in avoid:
                        return i
        return None

    # ---- what the model reads --------------------------------------------------------------
    def history(self, max_chars: int = 480, max_older: int = 3) -> str:
        """The earlier turns for the routing prompt: the last in full, up to
        ``max_older`` before it in one line each, oldest dropped first to fit ``max_chars``."""
        if not self.turns:
            return ""
        last = self.turns[-1].full()
        if len(last) > max_chars:
            last = last[: max_chars - 3] + "..."
        kinds = {i: item.kind for i, item in self.items.items()}
        older = [t.brief(kinds) for t in self.turns[-1 - max_older : -1]]
        while older and len("\n".join([*older, last])) > max_chars:
            older.pop(0)
        left_out = len(self.turns) - 1 - len(older)
        head = [f"({left_out} earlier turn{'s' * (left_out > 1)} not shown)"] if left_out else []
        return "\n".join([*head, *older, last])

    # ---- state ------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "turns": [asdict(t) for t in self.turns],
            "items": {k: asdict(v) for k, v in self.items.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Conversation:
        """The conversation of :meth:`to_dict`; BadInputError when it does not fit."""
        try:
            turns = [
                TurnRecord(
                    int(t["n"]),
                    str(t["request"]),
                    [str(f) for f in t.get("files", [])],
                    [CallRecord(**c) for c in t.get("calls", [])],
                    str(t.get("answer", "")),
                )
                for t in data.get("turns", [])
            ]
            items = {str(k): Item(**v) for k, v in data.get("items", {}).items()}
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise BadInputError(
                f"the saved conversation is malformed ({type(e).__name__}: {e}); "
                "save it again with save_state or start a new one"
            ) from None
        bad = [k for k in items if not re.fullmatch(r"ws-\d+", k)]
        if bad:
            raise BadInputError(f"the saved conversation names invalid workspace ids {bad[:3]}")
        return cls(turns, items)


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 3].rstrip() + "..."


def _short(value: Any) -> str:
    if isinstance(value, str):
        return _clip(value, 24)
    if isinstance(value, float):
        return f"{value:.4g}"
    return _clip(str(value), 24)


STATE_VERSION = 1


def save_state(conversation: Conversation, workspace: Workspace, path: str | Path) -> Path:
    """Write the conversation and its workspace index as JSON (no pickle; crash-safe).
    Arrays, figures and SEG-Y stay as files in the workspace folder the state names."""
    state = {
        "format": STATE_FORMAT,
        "version": STATE_VERSION,
        "workspace": str(workspace.root),
        "index": {i: workspace.meta(i) for i in workspace.ids()},
        **conversation.to_dict(),
    }
    text = json.dumps(state, indent=1)
    out = Path(path).expanduser()
    write_file_atomically(out, lambda tmp: tmp.write_text(text))
    return out


def load_state(path: str | Path) -> tuple[Conversation, Workspace]:
    """The conversation and workspace of :func:`save_state`. An item whose sidecar is gone
    but whose file is still there is registered again from the saved index; one whose
    file is gone stays in the record and is reported as deleted when a turn refers to it.

    Raises:
        BadInputError: the file is missing, not a saved conversation, or its workspace
            folder no longer exists.
    """
    src = Path(path).expanduser()
    try:
        state = json.loads(src.read_text())
    except FileNotFoundError:
        raise BadInputError(f"no saved conversation at {src}; check the path") from None
    except (OSError, ValueError) as e:
        raise BadInputError(f"{src} is not a saved conversation ({e})") from None
    if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
        raise BadInputError(f"{src} is not a saved geofm conversation (no {STATE_FORMAT!r} format)")
    if state.get("version") != STATE_VERSION:
        raise BadInputError(
            f"{src} is a saved conversation of version {state.get('version')}; "
            f"this geofm reads version {STATE_VERSION}"
        )
    root = Path(str(state.get("workspace", "")))
    if not root.is_absolute() or not root.is_dir():
        raise BadInputError(
            f"the workspace folder of {src} ({root}) is gone; the conversation cannot be "
            "restored without its files. Start a new one and attach the files again."
        )
    conversation = Conversation.from_dict(state)
    workspace = Workspace(root)
    index = state.get("index") or {}
    for item_id, meta in index.items() if isinstance(index, dict) else ():
        name = str(meta.get("file", "")) if isinstance(meta, dict) else ""
        if not _ID_ONLY.fullmatch(str(item_id)) or not _plain_name(name):
            raise BadInputError(f"{src}: invalid workspace entry {item_id!r} -> {name!r}")
        if item_id not in workspace and (workspace.root / name).is_file():
            workspace.commit(
                item_id,
                workspace.root / name,
                str(meta.get("kind", "file")),
                str(meta.get("description", "")),
                meta.get("metadata") or {},
            )
    return conversation, workspace


_ID_ONLY = re.compile(r"ws-\d+")


def _plain_name(name: str) -> bool:
    """A file name inside the workspace folder: no folder part, no way out of it."""
    return bool(name) and Path(name).name == name and name not in (".", "..")
