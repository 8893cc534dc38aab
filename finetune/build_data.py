"""Build the instruction-tuning data: tool-use traces and grounded, cited answers.

    python -m finetune.build_data --out finetune/data

Writes ``train.jsonl``, ``val.jsonl``, ``test.jsonl`` (one chat example per line, in the
form the agent shows the model) and ``card.json`` (sizes and sources). Three kinds:

- ``route``: the routing prompt (tool list in the system message) of a request, with the
  gold plan run for real on the files in ../shared/data; every assistant turn is a
  compact JSON decision (a tool call, or ``answer`` after the last observation).
- ``answer``: the answering prompt after the tools ran, with a short reply that reports
  the tools' own summaries (workspace ids, SNR, figure ids) and nothing invented.
- ``qa``: a literature question with passages retrieved from the default index and a
  reply built from the passage of the document the question is about, cited as [n];
  when no retrieved passage comes from that document, the reply says the passages do
  not answer it.

Splits are by template (a phrasing of a tool request, a question pattern) and, for
``qa``, also by document, so nothing in ``test`` was seen in ``train``.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import random
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage

from agent.messages import first_messages
from agent.steps import to_passages
from corpus import default_index
from corpus.chunking import chunk_prefix
from finetune.tool_tasks import SETUPS, TASKS
from finetune.traces import decision_json, run_plan, setup_files
from tools import REGISTRY
from tools.geofm.tools import weights_dir

__all__ = ["build", "main", "split_of"]

SPLITS = ("train", "val", "test")

# Literature questions (the routing decision is "answer"; retrieval supplies passages).
QA_TEMPLATES = [
    "What is {t}?",
    "Explain {t} briefly.",
    "How does {t} work?",
    "Give me the key facts about {t}.",
    "What should a geophysicist know about {t}?",
    "Summarise {t} in a few sentences.",
    "Can you tell me about {t}?",
    "What are the main ideas behind {t}?",
    "I need a short overview of {t}.",
    "Describe {t}.",
]


def split_of(key: str, n: int = 10) -> str:
    """A stable split for a template or document key: 80 % train, 10 % val, 10 % test."""
    h = int(hashlib.sha1(key.encode()).hexdigest(), 16) % n
    return "test" if h == 0 else "val" if h == 1 else "train"


def _phrasing_split(i: int, n: int) -> str:
    """Per task: the last phrasing is test and the one before val, when there are enough."""
    if n >= 5 and i == n - 1:
        return "test"
    if n >= 5 and i == n - 2:
        return "val"
    if n == 4 and i == 3:
        return "test"
    return "train"


def _chat(messages: list[BaseMessage]) -> list[dict[str, str]]:
    from agent.chat_model import to_chat_dicts  # langchain's model classes: on use

    return to_chat_dicts(messages)


def route_example(trace, schemas) -> list[dict[str, str]]:
    """Routing prompt + gold decisions (calls, then ``answer``) of a trace."""
    from agent.chat_model import routing_messages  # langchain's model classes: on use

    msgs = list(trace.messages) + [AIMessage(decision_json(trace.decisions[-1]))]
    return _chat(routing_messages(msgs, schemas))


def answer_text(trace) -> str:
    """A short reply that reports what the tools returned, in their own words."""
    if not trace.results:
        return ""
    parts = [r.summary.rstrip(".") for r in trace.results]
    figures = [a.id for r in trace.results for a in r.artifacts if a.kind == "figure"]
    text = "Done. " + "; ".join(parts) + "."
    if figures:
        text += f" Figure{'s' if len(figures) > 1 else ''}: {', '.join(figures)}."
    return text


def _missing_weights(task) -> str | None:
    """Why a task cannot run yet (a GeoFM tool whose weights are not trained), or None."""
    for name, _ in task.calls:
        if name.startswith("geofm_"):
            d = weights_dir(name.removeprefix("geofm_"))
            if not (d / "model.safetensors").exists():
                return f"{name}: no trained GeoFM weights (tools/geofm/weights)"
    return None


NO_FILE_REPLY = (
    "Please attach the data first (SEG-Y, .npy, an ASCII trace export or a LAS "
    "log); I can then run the tool on it and show you the result."
)
CHAT_REPLY = (
    "I am geofm, an assistant for geophysicists. I can read SEG-Y, ASCII and LAS "
    "files, make synthetic sections, filter and denoise seismic (bandpass, AGC, f-k, "
    "f-x decon, rank reduction, median filters), estimate spectra, wavelets and SNR, "
    "invert for acoustic impedance, plot sections, and answer questions from the "
    "geophysics literature with citations."
)


FIXED_REPLIES = {"no_file": NO_FILE_REPLY, "chat": CHAT_REPLY}


def tool_examples(
    tasks,
    schemas,
    scratch: Path,
    rng: random.Random,
    combos: int = 1,
    answer_share: float = 0.15,
    progress: bool = True,
) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {s: [] for s in SPLITS}
    cache: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    t0 = time.perf_counter()
    for ti, task in enumerate(tasks):
        missing = _missing_weights(task)
        if missing:
            skipped[task.id] = missing
            continue
        paths = setup_files(SETUPS[task.setup], scratch)
        keys = list(task.slots)
        all_combos = [
            dict(zip(keys, vals)) for vals in itertools.product(*(task.slots[k] for k in keys))
        ] or [{}]
        for pi, phrasing in enumerate(task.phrasings):
            split = _phrasing_split(pi, len(task.phrasings))
            # slot tasks: distinct values; others: the same request with other ids
            chosen = rng.sample(all_combos, min(combos, len(all_combos))) if keys else [{}] * combos
            for ci, slots in enumerate(chosen):
                question = phrasing.format(**slots)
                offset = rng.choice((0, 0, 1, 2, 3)) if keys or ci == 0 else ci + 1
                key = json.dumps([task.id, sorted(slots.items()), offset])
                if key not in cache:
                    cache[key] = run_plan("", paths, list(task.calls), slots, offset)
                base = cache[key]
                trace = base.asked(question)
                meta = {"task": task.id, "template": f"{task.id}/{pi}", "setup": task.setup}
                out[split].append(
                    {
                        "kind": "route",
                        **meta,
                        "messages": route_example(trace, schemas),
                        "gold": trace.decisions,
                    }
                )
                # a concept question (no tool, a file attached) gets its reply from the
                # literature at run time: only its routing decision is trained here
                reply = answer_text(trace) or FIXED_REPLIES.get(task.id)
                if (rng.random() < answer_share or not trace.calls) and reply:
                    out[split].append(
                        {
                            "kind": "answer",
                            **meta,
                            "messages": _chat(list(trace.messages) + [AIMessage(reply)]),
                        }
                    )
        if progress:
            print(
                f"\r  tool tasks {ti + 1}/{len(tasks)} ({time.perf_counter() - t0:.0f}s)",
                end="",
                file=sys.stderr,
            )
    if progress:
        print(file=sys.stderr)
    for tid, why in skipped.items():
        print(f"  skipped task {tid}: {why}", file=sys.stderr)
    out["skipped"] = skipped  # type: ignore[assignment]
    return out


# a full stop that ends an abbreviation, not a sentence
_NOT_AN_END = r"(?<!\bal\.)(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bvs\.)(?<!\bcf\.)(?<!\bFig\.)"


def _sentences(text: str, n: int = 2, max_chars: int = 320, min_words: int = 6) -> str:
    """The first ``n`` sentences of a passage that say something: list labels, headings
    run into the text ("Typical values.", "- First breaks.") and list numbers are
    skipped, so that a cited reply quotes content, not only labels."""
    text = re.sub(r"\*\*|__|`", "", text)
    parts = [
        p.strip().lstrip("-*• ").strip()
        for p in re.split(_NOT_AN_END + r"(?<=[.!?])\s+", text.strip())
    ]
    parts = [p for p in parts if len(p.split()) >= min_words] or parts
    out = ""
    for p in parts[:n]:
        if out and len(out) + len(p) > max_chars:
            break
        out = f"{out} {p}".strip()
    return out[:max_chars]


def _body(hit) -> str:
    """A chunk's text without the lead-in that chunking puts in front of it."""
    return hit.text.removeprefix(chunk_prefix(hit.title, hit.section))


def qa_examples(
    index,
    schemas,
    rng: random.Random,
    k: int = 4,
    per_doc: int = 2,
    answer_share: float = 0.6,
    progress: bool = True,
) -> dict[str, list[dict[str, Any]]]:
    """Literature questions, ``per_doc`` per document (different question patterns): a
    routing example (→ answer) each, and for an ``answer_share`` of them the cited
    answer (long prompts: the passages make them the costliest to train on)."""
    out: dict[str, list[dict[str, Any]]] = {s: [] for s in SPLITS}
    docs = sorted({(c.source, c.title) for c in index.chunks})
    t0 = time.perf_counter()
    for di, (source, title) in enumerate(docs):
        doc_split = split_of("doc:" + Path(source).name)
        for qi in rng.sample(range(len(QA_TEMPLATES)), per_doc):
            both = {doc_split, _template_split(qi)}
            split = "test" if "test" in both else "val" if "val" in both else "train"
            subject = title[0].lower() + title[1:] if not title[:2].isupper() else title
            question = QA_TEMPLATES[qi].format(t=subject)
            hits = index.search(question, k=k)
            passages = to_passages(hits)
            own = [(p, h) for p, h in zip(passages, hits) if h.source == source]
            if own:
                reply = " ".join(
                    f"{_sentences(_body(h), 2 if j == 0 else 1)} [{p.n}]"
                    for j, (p, h) in enumerate(own[:2])
                )
            else:
                reply = "The retrieved passages do not answer this question."
            msgs = first_messages(question, passages, [])
            meta = {
                "task": "literature",
                "template": f"qa/{qi}",
                "doc": source,
                "cited": [p.n for p, _ in own[:2]],
            }
            if rng.random() < answer_share or split != "train":
                out[split].append(
                    {"kind": "qa", **meta, "messages": _chat(msgs + [AIMessage(reply)])}
                )
            out[split].append(
                {
                    "kind": "route",
                    **meta,
                    "messages": _route_only(msgs, schemas),
                    "gold": [{"name": "answer", "arguments": {}}],
                }
            )
        if progress and (di + 1) % 10 == 0:
            print(
                f"\r  literature questions {di + 1}/{len(docs)} ({time.perf_counter() - t0:.0f}s)",
                end="",
                file=sys.stderr,
            )
    if progress:
        print(file=sys.stderr)
    return out


def _template_split(qi: int) -> str:
    return (
        "test" if qi == len(QA_TEMPLATES) - 1 else "val" if qi == len(QA_TEMPLATES) - 2 else "train"
    )


def _route_only(msgs: list[BaseMessage], schemas) -> list[dict[str, str]]:
    from agent.chat_model import routing_messages  # langchain's model classes: on use

    return _chat(routing_messages(msgs + [AIMessage('{"name":"answer","arguments":{}}')], schemas))


def build(
    out_dir: str | Path, seed: int = 0, combos: int = 1, progress: bool = True
) -> dict[str, Any]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    schemas = REGISTRY.schemas()
    with tempfile.TemporaryDirectory() as scratch:
        data = tool_examples(TASKS, schemas, Path(scratch), rng, combos, progress=progress)
    index = default_index()
    qa = qa_examples(index, schemas, rng, progress=progress)
    card: dict[str, Any] = {
        "seed": seed,
        "combos": combos,
        "skipped_tasks": data.pop("skipped"),
        "splits": {},
        "sources": {
            "tool requests": "finetune/tool_tasks/ (phrasings written by the project); "
            "observations from running the real tools on ../shared/data",
            "literature": "corpus/default (written by the project, CC-BY-4.0), retrieved "
            "with the default index",
        },
    }
    for s in SPLITS:
        rows = data[s] + qa[s]
        rng.shuffle(rows)
        with open(out_dir / f"{s}.jsonl", "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        kinds: dict[str, int] = {}
        for r in rows:
            kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
        card["splits"][s] = {
            "examples": len(rows),
            **kinds,
            "templates": len({r["template"] for r in rows}),
        }
    (out_dir / "card.json").write_text(json.dumps(card, indent=2) + "\n")
    return card


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m finetune.build_data",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--out", default="finetune/data", help="output directory")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--combos",
        type=int,
        default=1,
        help="instances per phrasing of a tool request: slot values, or other "
        "workspace ids (1: 773 phrasings are enough variety, and an epoch "
        "stays under an hour on 2 CPU cores)",
    )
    args = ap.parse_args(argv)
    card = build(args.out, args.seed, args.combos)
    print(json.dumps(card["splits"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
