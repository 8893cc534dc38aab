"""Fine-tuning examples of follow-up turns: requests that build on earlier turns of a
conversation ("again but stronger", "plot it", "now pick faults on the denoised one").

A template (:class:`FollowUp`, in ``finetune/tool_tasks/followups*.py``) is a file setup
and 2-5 turns; each turn has its gold calls and several phrasings. A template is run
for real, turn by turn, through ``GeoAgent.chat`` with a model that answers every
routing decision with the gold one, on the files in ../shared/data: the conversation
record (``Conversation.record``), the references (``Conversation.resolve``) and the
routing prompt (files named with the phrase that named them, the history block) are the
agent's own. The prompts of other phrasings of a turn are rendered from the state before
that turn with :func:`agent.loop.routing_context`, the helper ``GeoAgent.chat`` itself
uses, and the builder checks that, for the phrasing that ran, this rendering equals what
the model was shown.

Only the turns after the first make examples (the first is an ordinary single-turn
request). A turn answered from the record (``agent.record_answers.answer_from_record``, "what was
the SNR gain?") never reaches the model: it makes no example, but it is in the record
the later turns read. The builder stops with an error when a phrasing of a model turn
would be answered from the record, names nothing the conversation has, or leaves a
workspace id of a gold call out of both the files shown and the history.

Gold arguments use ``@fN`` (the N-th file attached in the conversation), ``@N`` / ``@N.k``
(the first / k-th artifact of the N-th call of the conversation, counted across turns)
and ``{slot}``.
"""

from __future__ import annotations

import copy
import itertools
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

from agent.config import AgentConfig
from agent.constrained import ANSWER
from agent.conversation import Conversation, ids_in
from agent.fake import ScriptedChatModel
from agent.loop import GeoAgent, is_question, routing_context
from agent.messages import PASSAGES_TAG, first_messages
from agent.record_answers import answer_from_record
from agent.steps import ToolOutput
from common.errors import BadInputError
from finetune.paraphrase import variants
from finetune.tool_tasks.base import SETUPS, FollowUp, phrasing_split
from finetune.traces import decision_json, missing_weights, resolve, setup_files
from tools import REGISTRY, Workspace
from tools.result import ToolResult

__all__ = ["followup_examples", "run_conversation", "render_turn", "turn_split"]


def turn_split(turn_index: int, i: int, n: int) -> str:
    """The split of phrasing ``i`` of ``n`` of a turn: the first turn is history only
    (train); later turns as a task's phrasings (the last test, the one before val)."""
    if turn_index == 0:
        return "train"
    return phrasing_split(i, n)


class _GoldModel(ScriptedChatModel):
    """Answers each routing decision of the turn with its next gold call (resolved
    against what has run), then with no call (the agent answers)."""

    pending: list[tuple[str, dict[str, Any]]] = Field(default_factory=list)
    refs: dict[str, Any] = Field(default_factory=dict)
    n_calls: int = 0

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        self.seen.append(list(messages))
        if not self.pending:
            return ChatResult(generations=[ChatGeneration(message=AIMessage(content=""))])
        name, args = self.pending.pop(0)
        r = self.refs
        args = {k: resolve(v, r["files"], r["results"], r["slots"]) for k, v in args.items()}
        self.n_calls += 1
        call = {"name": name, "args": args, "id": f"call-{self.n_calls}", "type": "tool_call"}
        return ChatResult(
            generations=[ChatGeneration(message=AIMessage(content="", tool_calls=[call]))]
        )


@dataclass
class _Ran:
    """What one turn of a run left: the state before it, its files, what the model saw
    at its last decision, and the calls it made."""

    message: str
    before: Conversation
    attached: list[Any]
    seen: list[BaseMessage]
    calls: list[tuple[str, dict[str, Any]]]


def _routing_first(messages: list[BaseMessage]) -> list[BaseMessage]:
    """The first messages of a turn as routing reads them (no passages)."""
    out = []
    for m in messages:
        if isinstance(m, (AIMessage, ToolMessage)):
            break
        if not m.additional_kwargs.get(PASSAGES_TAG):
            out.append(m)
    return out


def run_conversation(
    conv_t: FollowUp,
    messages: list[str],
    slots: dict[str, Any],
    scratch: Path,
    index: Any = None,
    offset: int = 0,
    history_chars: int | None = None,
) -> tuple[list[_Ran], Workspace, Path]:
    """Run the turns of ``conv_t`` with ``messages`` through ``GeoAgent.chat``; the
    caller removes the returned workspace folder."""
    root = Path(tempfile.mkdtemp(prefix="geofm-followup-"))
    ws = Workspace(root)
    for j in range(offset):
        ws.save_array(np.zeros((2, 16), np.float32), f"earlier result {j + 1}")
    model = _GoldModel()
    config = AgentConfig(workspace=str(root))
    if history_chars is not None:
        config.history_chars = history_chars
    agent = GeoAgent(chat_model=model, index=None, registry=REGISTRY, config=config, workspace=ws)
    files: list[str] = []
    results: list[ToolResult] = []
    model.refs = {"files": files, "results": results, "slots": slots}
    ran: list[_Ran] = []
    setups = [conv_t.setup] + [t.attach for t in conv_t.turns[1:]]
    for turn, message, setup in zip(conv_t.turns, messages, setups):
        paths = [str(p) for p in setup_files(SETUPS[setup], scratch)] if setup else []
        before = copy.deepcopy(agent.conversation)
        model.pending = list(turn.calls)
        model.seen.clear()
        # literature search only where no tool runs: the answer's first line is then the
        # composed one, as in use (routing prompts never show the passages)
        agent.index = index if not turn.calls else None
        attached = agent.attach(paths)
        files.extend(a.id for a in attached)
        # GeoAgent.chat_stream is attach + _turn; attached first, so that the gold calls
        # of this turn can name its files
        for step in agent._turn(message, attached):
            if isinstance(step, ToolOutput):
                if not step.result.ok:
                    raise BadInputError(
                        f"{conv_t.id}: gold call {step.name} failed: {step.result.summary}"
                    )
                results.append(step.result)
        record = agent.conversation.turns[-1] if agent.conversation.turns else None
        if record is None or len(agent.conversation.turns) != len(ran) + 1:
            raise BadInputError(f"{conv_t.id}: turn {len(ran) + 1} was refused: {message!r}")
        calls = [(c.name, c.args) for c in record.calls]
        if turn.calls and not calls and record.answer.startswith("From turn"):
            raise BadInputError(
                f"{conv_t.id}: turn {len(ran) + 1} {message!r} was answered from the record"
            )
        if len(calls) != len(turn.calls) or any(not c.ok for c in record.calls):
            raise BadInputError(f"{conv_t.id}: turn {len(ran) + 1} did not run its plan")
        seen = model.seen[-1] if model.seen else []
        ran.append(_Ran(message, before, attached, seen, calls))
    return ran, ws, root


def render_turn(
    r: _Ran, message: str, ws: Workspace, history_chars: int
) -> tuple[list[BaseMessage], tuple[str, ...], str]:
    """The routing messages of ``message`` said in ``r``'s place (its calls and their
    observations after the request), the ids it resolves to and the history block."""
    conv = copy.deepcopy(r.before)
    ref = conv.resolve(message, r.attached)
    shown, history = routing_context(conv, ws, ref, r.attached, history_chars)
    rest = [m for m in r.seen if isinstance(m, (AIMessage, ToolMessage))]
    return first_messages(message, (), shown, history) + rest, ref.ids, history


def check_turn(
    conv_t: FollowUp, k: int, r: _Ran, message: str, ws: Workspace, history_chars: int
) -> None:
    """Raises when ``message`` in turn ``k`` would not reach the model with this plan (it
    is answered from the record, or refused as naming nothing), or when a gold call uses
    an earlier item that neither the files shown nor the history name."""
    conv = r.before
    where = f"{conv_t.id} turn {k + 1} {message!r}"
    if not r.attached and answer_from_record(conv, message):
        raise BadInputError(f"{where}: answered from the record, not by the model")
    ref = conv.resolve(message, r.attached)
    if ref.unresolved and not r.attached and not is_question(message):
        raise BadInputError(f"{where}: {ref.unresolved} name nothing in the conversation")
    shown, history = routing_context(conv, ws, ref, r.attached, history_chars)
    visible = {a.id for a in shown} | set(ids_in(history))
    for name, args in r.calls:
        for i in ids_in(args):
            if i in conv.items and i not in visible:
                raise BadInputError(f"{where}: {name} uses {i}, shown nowhere in the prompt")


def _combos(conv_t: FollowUp) -> list[dict[str, Any]]:
    keys = list(conv_t.slots)
    return [dict(zip(keys, v)) for v in itertools.product(*(conv_t.slots[k] for k in keys))] or [{}]


def followup_examples(
    convs: list[FollowUp],
    schemas,
    scratch: Path,
    rng: random.Random,
    index: Any = None,
    guard: Any = None,
    instances: int = 2,
    variants_per_phrasing: int = 1,
    history_chars: int = 480,
    progress: bool = True,
) -> dict[str, Any]:
    """Route examples of every later turn of ``convs``: each phrasing once, in one of
    ``instances`` runs per template (other slot values, other workspace ids), and for a
    training phrasing ``variants_per_phrasing`` rewordings (:mod:`finetune.paraphrase`).
    Phrasings near an evaluation text (``guard``) are left out."""
    out: dict[str, Any] = {s: [] for s in ("train", "val", "test")}
    skipped: dict[str, str] = {}
    counts = {
        "examples": 0,  # of written phrasings
        "variant_examples": 0,  # of rewordings
        "variants_not_routed": 0,  # a rewording the record would answer, or the agent refuse
        "dropped_near_eval": 0,
        "record_turns_run": 0,
    }
    t0 = time.perf_counter()
    for ci, conv_t in enumerate(convs):
        missing = missing_weights([c for t in conv_t.turns for c in t.calls])
        if missing:
            skipped[conv_t.id] = missing
            continue
        combos = _combos(conv_t)
        for inst in range(instances):
            slots = rng.choice(combos)
            offset = rng.choice((0, 0, 1, 2, 3))
            # the run's phrasings: training ones, so that a history never holds a test one
            said = []
            for k, turn in enumerate(conv_t.turns):
                n = len(turn.phrasings)
                pool = [p for i, p in enumerate(turn.phrasings) if turn_split(k, i, n) == "train"]
                if guard is not None:
                    pool = [p for p in pool if not guard.near(p.format(**slots))] or pool[:0]
                if not pool:
                    raise BadInputError(f"{conv_t.id} turn {k + 1}: no training phrasing left")
                said.append(rng.choice(pool).format(**slots))
            ran, ws, root = run_conversation(
                conv_t, said, slots, scratch, index, offset, history_chars
            )
            try:
                for k, (turn, r) in enumerate(zip(conv_t.turns, ran)):
                    if k == 0:
                        continue
                    if turn.record:
                        counts["record_turns_run"] += 1
                        for p in turn.phrasings:
                            if not answer_from_record(r.before, p.format(**slots)):
                                raise BadInputError(
                                    f"{conv_t.id} turn {k + 1} {p!r}: not answered from the record"
                                )
                        continue
                    # the rendering is the agent's: it must give what the model was shown
                    msgs, _, _ = render_turn(r, r.message, ws, history_chars)
                    first = _routing_first(r.seen)
                    if [m.content for m in _routing_first(msgs)] != [m.content for m in first]:
                        raise BadInputError(f"{conv_t.id} turn {k + 1}: prompt differs from use")
                    n = len(turn.phrasings)
                    for pi, phrasing in enumerate(turn.phrasings):
                        if pi % instances != inst:
                            continue
                        split = turn_split(k, pi, n)
                        texts = [phrasing]
                        if split == "train":
                            texts += variants(phrasing, variants_per_phrasing)
                        for vi, text in enumerate(texts):
                            message = text.format(**slots)
                            if guard is not None and guard.near(message):
                                counts["dropped_near_eval"] += 1
                                continue
                            try:
                                check_turn(conv_t, k, r, message, ws, history_chars)
                            except BadInputError:
                                if not vi:
                                    raise  # a written phrasing must reach the model
                                counts["variants_not_routed"] += 1
                                continue
                            msgs, ids, history = render_turn(r, message, ws, history_chars)
                            gold = [{"name": nm, "arguments": a} for nm, a in r.calls]
                            gold.append({"name": ANSWER, "arguments": {}})
                            out[split].append(
                                {
                                    "kind": "route",
                                    "task": f"followup/{conv_t.id}",
                                    "template": f"followup/{conv_t.id}/{k}/{pi}"
                                    + (f"~{vi}" if vi else ""),
                                    "setup": conv_t.setup,
                                    "turn": k + 1,
                                    "resolved": list(ids),
                                    "conversation_ids": sorted(
                                        {*r.before.items, *(a.id for a in r.attached)}
                                    ),
                                    "messages": _route(msgs, schemas),
                                    "gold": gold,
                                }
                            )
                            counts["variant_examples" if vi else "examples"] += 1
            finally:
                shutil.rmtree(root, ignore_errors=True)
        if progress:
            print(
                f"\r  follow-up conversations {ci + 1}/{len(convs)} "
                f"({time.perf_counter() - t0:.0f}s)",
                end="",
                file=sys.stderr,
            )
    if progress:
        print(file=sys.stderr)
    out["skipped"] = skipped
    out["counts"] = counts
    return out


def _route(msgs: list[BaseMessage], schemas) -> list[dict[str, str]]:
    from agent.chat_model import routing_messages, to_chat_dicts  # langchain's: on use

    final = AIMessage(decision_json({"name": ANSWER, "arguments": {}}))
    return to_chat_dicts(routing_messages(msgs + [final], schemas))
