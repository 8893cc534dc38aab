"""Build the instruction-tuning data: tool-use traces and grounded, cited answers.

    python -m finetune.build_data --out finetune/data

Writes ``train.jsonl``, ``val.jsonl``, ``test.jsonl`` (one chat example per line, in the
form the agent shows the model) and ``card.json`` (sizes and sources). Three kinds:

- ``route``: the routing prompt (tool list in the system message) of a request, with the
  gold plan run for real on the files in ../shared/data (a task of another routing
  domain, seismology or potential fields, runs with that domain's tools and lists them,
  as the agent's second stage does: :mod:`agent.domains`); every assistant turn is a
  compact JSON decision (a tool call, or ``answer`` after the last observation). Besides
  the single requests (and seeded rewordings of their training phrasings,
  :mod:`finetune.paraphrase`), the later turns of multi-turn conversations, run through
  ``GeoAgent.chat`` (:mod:`finetune.followup_data`): their prompts carry the record of
  earlier turns and the files the message refers to.
- ``answer``: the answering prompt after the tools ran, with a short reply that reports
  the tools' own summaries (workspace ids, SNR, figure ids) and nothing invented.
- ``qa``: a literature question with passages retrieved from the default index and a
  reply built from the passage of the document the question is about, cited as [n];
  when no retrieved passage comes from that document, the reply says the passages do
  not answer it.

Splits are by template (a phrasing of a tool request or of a follow-up turn, a question
pattern) and, for ``qa``, also by document, so nothing in ``test`` was seen in ``train``.
No training phrasing comes within 0.8 of a text of an evaluation set under
benchmarks/data (:mod:`finetune.leakage`; the card gives the counts dropped).
"""

from __future__ import annotations

import argparse
import difflib
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

from agent.domains import DOMAINS, REFLECTION
from agent.messages import first_messages
from agent.steps import to_passages
from corpus import default_index
from corpus.chunking import chunk_prefix
from finetune.followup_data import followup_examples
from finetune.leakage import LIMIT, LeakageGuard, norm
from finetune.paraphrase import variants
from finetune.tool_tasks import FOLLOWUPS, SETUPS, TASKS
from finetune.tool_tasks.base import phrasing_split
from finetune.traces import decision_json, missing_weights, run_plan, setup_files
from tools import REGISTRY, Registry

__all__ = ["build", "main", "split_of", "domain_examples", "interleave"]

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
    return missing_weights(task.calls)


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


def _filled(phrasing: str, combos: list[dict[str, Any]], most: int = 4) -> list[str]:
    """``phrasing`` filled with up to ``most`` slot combinations spread over all of them."""
    step = max(1, len(combos) // most)
    return [phrasing.format(**c) for c in combos[::step][:most]]


def tool_examples(
    tasks,
    schemas,
    scratch: Path,
    rng: random.Random,
    combos: int = 1,
    answer_share: float = 0.15,
    progress: bool = True,
    guard: LeakageGuard | None = None,
    variants_per_phrasing: int = 0,
    registry: Registry | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Route (and some answer) examples of every phrasing of ``tasks``, their plans run
    with ``registry`` (default: the reflection tools) and their prompts listing
    ``schemas``. With ``guard``, a training phrasing near an evaluation text is left
    out; with ``variants_per_phrasing``, each training phrasing also gets that many seeded
    rewordings (:mod:`finetune.paraphrase`) on the same run, except those near a
    validation or test phrasing or an evaluation text."""
    out: dict[str, list[dict[str, Any]]] = {s: [] for s in SPLITS}
    cache: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    counts = {"dropped_near_eval": 0, "variants": 0, "variants_dropped": 0}
    held_out = [
        norm(p)
        for t in tasks
        for i, p in enumerate(t.phrasings)
        if phrasing_split(i, len(t.phrasings)) != "train"
    ]
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
            split = phrasing_split(pi, len(task.phrasings))
            near = guard is not None and any(guard.near(f) for f in _filled(phrasing, all_combos))
            if split == "train" and near:
                counts["dropped_near_eval"] += 1
                continue
            extra: list[str] = []
            for v in variants(phrasing, variants_per_phrasing) if split == "train" else []:
                if any(_close(norm(v), h) for h in held_out) or (
                    guard is not None and any(guard.near(f) for f in _filled(v, all_combos))
                ):
                    counts["variants_dropped"] += 1
                else:
                    extra.append(v)
            # slot tasks: distinct values; others: the same request with other ids
            chosen = rng.sample(all_combos, min(combos, len(all_combos))) if keys else [{}] * combos
            for ci, slots in enumerate(chosen):
                question = phrasing.format(**slots)
                offset = rng.choice((0, 0, 1, 2, 3)) if keys or ci == 0 else ci + 1
                key = json.dumps([task.id, sorted(slots.items()), offset])
                if key not in cache:
                    cache[key] = run_plan(
                        "", paths, list(task.calls), slots, offset, registry=registry
                    )
                base = cache[key]
                trace = base.asked(question)
                meta = {"task": task.id, "template": f"{task.id}/{pi}", "setup": task.setup}
                if task.domain != REFLECTION:  # the reflection rows stay as they were
                    meta["domain"] = task.domain
                out[split].append(
                    {
                        "kind": "route",
                        **meta,
                        "messages": route_example(trace, schemas),
                        "gold": trace.decisions,
                    }
                )
                # rewordings of a training phrasing: the same run, other words
                for vi, v in enumerate(extra if ci == 0 else [], 1):
                    worded = base.asked(v.format(**slots))
                    out[split].append(
                        {
                            "kind": "route",
                            **meta,
                            "template": f"{task.id}/{pi}~{vi}",
                            "messages": route_example(worded, schemas),
                            "gold": worded.decisions,
                        }
                    )
                    counts["variants"] += 1
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
    out["counts"] = counts  # type: ignore[assignment]
    return out


def _close(a: str, b: str, limit: float = LIMIT) -> bool:
    m = difflib.SequenceMatcher(None, a, b)
    return m.real_quick_ratio() >= limit and m.quick_ratio() >= limit and m.ratio() >= limit


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


EVAL_DIR = Path(__file__).resolve().parents[1] / "benchmarks" / "data"


def domain_examples(
    scratch: Path,
    rng: random.Random,
    combos: int = 1,
    progress: bool = True,
    guard: LeakageGuard | None = None,
    variants_per_phrasing: int = 0,
) -> dict[str, dict[str, Any]]:
    """:func:`tool_examples` of the tasks of each routing domain other than reflection
    (in :data:`agent.domains.DOMAINS` order), each run with its domain's tools and
    prompted with their list: the prompt the agent shows once it chose that domain."""
    out: dict[str, dict[str, Any]] = {}
    for d in DOMAINS:
        tasks = [t for t in TASKS if t.domain == d.name]
        if d.name == REFLECTION or not tasks:
            continue
        out[d.name] = tool_examples(
            tasks,
            d.registry.schemas(),
            scratch,
            rng,
            combos,
            progress=progress,
            guard=guard,
            variants_per_phrasing=variants_per_phrasing,
            registry=d.registry,
        )
    return out


def interleave(
    rows: list[dict[str, Any]], extra: list[dict[str, Any]], rng: random.Random
) -> list[dict[str, Any]]:
    """``extra`` shuffled into ``rows`` at random places; ``rows`` keep their order."""
    extra = list(extra)
    rng.shuffle(extra)
    cuts = sorted(rng.randrange(len(rows) + 1) for _ in extra)
    out: list[dict[str, Any]] = []
    j = 0
    for i, row in enumerate(rows):
        while j < len(cuts) and cuts[j] == i:
            out.append(extra[j])
            j += 1
        out.append(row)
    out.extend(extra[j:])
    return out


def build(
    out_dir: str | Path,
    seed: int = 0,
    combos: int = 1,
    progress: bool = True,
    variants_per_phrasing: int = 1,
    followup_instances: int = 2,
    eval_dir: str | Path = EVAL_DIR,
) -> dict[str, Any]:
    """Write the three splits and ``card.json`` to ``out_dir``.

    The reflection tasks and the literature questions draw from one seeded generator
    (``seed``), the follow-ups from another (``seed + 1``) and the other domains' tasks
    from a third (``seed + 2``), whose rows are then shuffled in at random places: adding
    or changing a seismology or potential-field task leaves every other row as it was,
    in the same order.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    schemas = REGISTRY.schemas()
    t0 = time.perf_counter()
    guard = LeakageGuard.from_dir(eval_dir)
    index = default_index()
    reflection = [t for t in TASKS if t.domain == REFLECTION]
    domain_rng = random.Random(seed + 2)
    with tempfile.TemporaryDirectory() as scratch:
        data: dict[str, Any] = tool_examples(
            reflection,
            schemas,
            Path(scratch),
            rng,
            combos,
            progress=progress,
            guard=guard,
            variants_per_phrasing=variants_per_phrasing,
        )
        fu: dict[str, Any] = followup_examples(
            FOLLOWUPS,
            schemas,
            Path(scratch),
            random.Random(seed + 1),
            index=index,
            guard=guard,
            instances=followup_instances,
            variants_per_phrasing=variants_per_phrasing,
            progress=progress,
        )
        domains = domain_examples(
            Path(scratch),
            domain_rng,
            combos,
            progress=progress,
            guard=guard,
            variants_per_phrasing=variants_per_phrasing,
        )
    qa = qa_examples(index, schemas, rng, progress=progress)
    task_counts = data.pop("counts")
    skipped = {**data.pop("skipped"), **fu.pop("skipped")}
    by_domain: dict[str, Any] = {}
    for name, dd in domains.items():
        counts = dd.pop("counts")
        skipped.update(dd.pop("skipped"))
        for k in task_counts:
            task_counts[k] += counts[k]
        tasks = [t for t in TASKS if t.domain == name]
        by_domain[name] = {
            "tasks": len(tasks),
            "task_phrasings": sum(len(t.phrasings) for t in tasks),
            "task_variants": counts["variants"],
            "route_examples": {s: sum(r["kind"] == "route" for r in dd[s]) for s in SPLITS},
        }
    card: dict[str, Any] = {
        "seed": seed,
        "combos": combos,
        "skipped_tasks": skipped,
        "splits": {},
        "tasks": len(TASKS),
        "task_phrasings": sum(len(t.phrasings) for t in TASKS),
        "variants_per_phrasing": variants_per_phrasing,
        "task_variants": task_counts["variants"],
        "domains": {
            REFLECTION: {
                "tasks": len(reflection),
                "task_phrasings": sum(len(t.phrasings) for t in reflection),
            },
            **by_domain,
        },
        "followups": {
            "templates": len(FOLLOWUPS),
            "model_turns": sum(1 for c in FOLLOWUPS for t in c.turns[1:] if not t.record),
            "record_turns": sum(1 for c in FOLLOWUPS for t in c.turns[1:] if t.record),
            "phrasings": sum(len(t.phrasings) for c in FOLLOWUPS for t in c.turns),
            "instances": followup_instances,
            **fu.pop("counts"),
        },
        "leakage_guard": {
            "eval_texts": len(guard.texts),
            "limit": guard.limit,
            "measure": "difflib ratio or character 4-gram Jaccard, lower-case letters and digits",
            "task_phrasings_dropped": task_counts["dropped_near_eval"],
            "task_variants_dropped": task_counts["variants_dropped"],
        },
        "sources": {
            "tool requests": "finetune/tool_tasks/ (phrasings written by the project, and "
            "seeded rewordings of them); observations from running the real tools on "
            "../shared/data and on the files of finetune/made_files.py; a seismology or "
            "potential-field task is prompted with its own domain's tool list",
            "follow-up turns": "finetune/tool_tasks/followups*.py (written by the project), "
            "run turn by turn through GeoAgent.chat on ../shared/data",
            "literature": "corpus/default (written by the project, CC-BY-4.0), retrieved "
            "with the default index",
        },
    }
    card["leakage_guard"]["followup_phrasings_dropped"] = card["followups"].pop("dropped_near_eval")
    for s in SPLITS:
        rows = data[s] + fu[s] + qa[s]
        rng.shuffle(rows)
        rows = interleave(rows, [r for dd in domains.values() for r in dd[s]], domain_rng)
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
    card["build_seconds"] = round(time.perf_counter() - t0)
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
        "workspace ids (1: the phrasings and their rewordings give the variety)",
    )
    ap.add_argument(
        "--variants",
        type=int,
        default=1,
        help="seeded rewordings per training phrasing (tool requests and follow-up turns)",
    )
    ap.add_argument(
        "--followup-instances",
        type=int,
        default=2,
        help="runs per follow-up conversation (other slot values and workspace ids); "
        "each phrasing of a later turn is used in one of them",
    )
    args = ap.parse_args(argv)
    card = build(
        args.out,
        args.seed,
        args.combos,
        variants_per_phrasing=args.variants,
        followup_instances=args.followup_instances,
    )
    print(json.dumps(card["splits"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
