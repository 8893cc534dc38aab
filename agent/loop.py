"""GeoAgent: retrieve → decide (call a tool or answer) → run the tool → observe → answer.

The loop is a generator of typed steps (agent.steps); ``ask`` collects it, and ``chat``
collects one turn of a conversation that keeps its workspace and a compact record of
earlier turns (agent.conversation) between calls. Bad tool
arguments and tool failures go back to the model as observations; the loop is capped at
``max_steps`` tool calls, after which the model must answer. Model-written code is never
executed: the model can only name a registered tool and give it JSON arguments.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Generator, Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.messages import AIMessage

from agent.compose import compose_answer
from agent.config import AgentConfig, ModelConfig
from agent.conversation import Conversation, Resolution, ids_in, load_state, save_state
from agent.domains import DomainRouter
from agent.follow_ups import FollowUp, acts_on_files
from agent.messages import (
    KINDS_TAG,
    describe_segy,
    files_only_reply,
    first_messages,
    tool_message,
)
from agent.named_settings import settle
from agent.next_steps import (
    FIGURE_TOOLS,
    named_instead,
    refuses_figures,
    refuses_tools,
    step_left,
)
from agent.reads import Read, has_segy_source, missing_reads, put_back, reads_an_array
from agent.record_answers import answer_from_record
from agent.reply_checks import CITATION_MARK, looks_english, unsupported_numbers, usable_answer
from agent.report import tool_report
from agent.steps import (
    AgentResult,
    Answer,
    EarlierResult,
    Error,
    Passage,
    Retrieved,
    Step,
    ToolCall,
    ToolOutput,
    to_passages,
)
from common.errors import BadInputError
from corpus import default_index
from tools import ALL, Registry, Workspace
from tools.result import Artifact, ToolResult
from tools.segy import check_segy

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel, LanguageModelInput
    from langchain_core.runnables import Runnable

__all__ = [
    "GeoAgent",
    "cite",
    "is_question",
    "routing_context",
    "shown_item",
    # from agent.reply_checks, kept here for callers of the loop
    "usable_answer",
    "unsupported_numbers",
]

log = logging.getLogger(__name__)


def cite(text: str, passages: tuple[Passage, ...]) -> tuple[str, tuple[Passage, ...]]:
    """Keep only [n] markers that name a retrieved passage; return (text, cited passages)."""
    by_n = {p.n: p for p in passages}
    cited: dict[int, Passage] = {}

    def keep(m: re.Match) -> str:
        ns = [int(x) for x in re.split(r"\s*,\s*", m.group(1))]
        good = [n for n in ns if n in by_n]
        for n in good:
            cited.setdefault(n, by_n[n])
        return f"[{', '.join(map(str, good))}]" if good else ""

    cleaned = CITATION_MARK.sub(keep, text)
    cleaned = re.sub(r"[ \t]+([.,;:])", r"\1", cleaned).strip()
    return cleaned, tuple(sorted(cited.values(), key=lambda p: p.n))


def routing_context(
    conv: Conversation,
    workspace: Workspace,
    ref: Resolution,
    attached: list[Artifact],
    history_chars: int,
) -> tuple[list[Artifact], str]:
    """What a conversation turn's routing prompt shows besides the request: the files
    (the items the message refers to, each with the phrase that named it, then the
    files attached with it; else the last result) and the record of earlier turns.
    ``GeoAgent.chat`` and the fine-tuning data of follow-up turns both build it here."""
    focus = list(dict.fromkeys([*ref.ids, *(a.id for a in attached)]))
    if not focus and conv.items:
        last = conv.resolve("the last result").ids
        focus = [i for i in last if i in workspace]
    said = {i: p for p, i in reversed(ref.phrases)}
    shown = [shown_item(workspace, i, said.get(i)) for i in focus if i in workspace]
    return shown, conv.history(history_chars)


def shown_item(workspace: Workspace, item_id: str, phrase: str | None) -> Artifact:
    """A workspace item as the prompt lists it, with the phrase that named it."""
    a = workspace.artifact(item_id)
    return Artifact(a.id, a.kind, a.path, a.description + (f' ("{phrase}")' if phrase else ""))


class GeoAgent:
    """The Python API of geofm.

    Args:
        chat_model: any LangChain chat model; tools are offered through ``bind_tools``
            when the model supports it.
        index: a ``corpus.Index`` (or anything with ``search(query, k)`` returning hits
            with text/title/citation/source/page/score), or None for no retrieval.
        registry: the tools the model may call; by default every tool (``tools.ALL``),
            offered a domain at a time (``domains``).
        config: loop settings (max_steps, retrieval, k, workspace).
        domains: the two-stage router (:class:`agent.domains.DomainRouter`): each turn
            offers only its domain's tools, called through ``registry``. The default
            registry comes with the default router; an explicit registry is offered whole
            unless a router is given too.
    """

    def __init__(
        self,
        chat_model: BaseChatModel,
        index: Any = None,
        registry: Registry | None = None,
        config: AgentConfig | None = None,
        workspace: Workspace | None = None,
        domains: DomainRouter | None = None,
    ):
        self.chat_model = chat_model
        self.index = index
        if registry is None:
            registry = ALL
            domains = domains or DomainRouter(embedder=getattr(index, "embedder", None))
        self.registry = registry
        self.domains = domains
        self.config = config or AgentConfig()
        self.workspace = workspace or Workspace(self.config.workspace)
        self.conversation = Conversation()

    @classmethod
    def from_defaults(
        cls,
        model: ModelConfig | None = None,
        config: AgentConfig | None = None,
        index: Any = "default",
    ) -> "GeoAgent":
        """The embedded model (or ``model``), the default literature index, all tools."""
        from agent.chat_model import make_chat_model  # langchain's model classes

        config = config or AgentConfig()
        if index == "default":
            index = default_index() if config.retrieval else None
        return cls(make_chat_model(model), index=index, config=config)

    # ---- files -----------------------------------------------------------------------
    @staticmethod
    def check_files(files: list[str] | None) -> dict[str, dict]:
        """Validate files before any copy or model load: {path: SEG-Y header summary or {}}.

        Raises:
            BadInputError: a file is missing, of an unknown type, too large, or a SEG-Y
                file that cannot be read (the message names the problem).
        """
        checked: dict[str, dict] = {}
        for f in files or []:
            kind = Workspace.check_file(f)
            checked[f] = {}
            if kind == "segy":
                try:
                    checked[f] = check_segy(f)
                except BadInputError as e:
                    raise BadInputError(f"{f}: {e}") from None
        return checked

    def attach(self, files: list[str] | None) -> list[Artifact]:
        """Copy the user's files into the workspace (checked first) and return their ids."""
        return [
            self.workspace.add_file(
                f,
                description=describe_segy(f, info),
                metadata={"geometry": info["geometry"]} if "geometry" in info else None,
            )
            for f, info in self.check_files(files).items()
        ]

    # ---- the loop --------------------------------------------------------------------
    def ask(self, question: str, files: list[str] | None = None) -> AgentResult:
        """Answer ``question`` (with ``files`` attached); the collected :meth:`stream`."""
        attached = self.attach(files)
        steps = list(self._run(question, attached))
        return AgentResult.from_steps(steps, attached)

    def stream(self, question: str, files: list[str] | None = None) -> Iterator[Step]:
        """Yield the steps of answering ``question`` as they happen."""
        yield from self._run(question, self.attach(files))

    # ---- a conversation --------------------------------------------------------------
    def chat(self, message: str, files: list[str] | None = None) -> AgentResult:
        """One turn of the conversation this agent keeps: ``message`` may refer to earlier
        files and results ("plot it", "same but 10-40 Hz", "what was the SNR gain?").
        The collected :meth:`chat_stream`; :meth:`reset` starts over."""
        attached = self.attach(files)
        steps = list(self._turn(message, attached))
        return AgentResult.from_steps(steps, attached)

    def chat_stream(self, message: str, files: list[str] | None = None) -> Iterator[Step]:
        """Yield the steps of one conversation turn as they happen (see :meth:`chat`)."""
        yield from self._turn(message, self.attach(files))

    def reset(self) -> None:
        """Start the conversation over: forget its record and delete the workspace items
        it attached or made (other items of the workspace folder stay)."""
        for item_id in self.conversation.items:
            self.workspace.remove(item_id)
        self.conversation = Conversation()

    def save_state(self, path: str | Path) -> Path:
        """Write the conversation and the workspace index to ``path`` as JSON."""
        return save_state(self.conversation, self.workspace, path)

    def load_state(self, path: str | Path) -> None:
        """Continue the conversation saved at ``path``, in its own workspace folder."""
        self.conversation, self.workspace = load_state(path)
        self.config.workspace = str(self.workspace.root)

    def _turn(self, message: str, attached: list[Artifact]) -> Iterator[Step]:
        conv = self.conversation
        ref = conv.resolve(message or "", attached)
        problem = self._reference_problem(message or "", ref, attached)
        if problem:  # not recorded: the conversation goes on as if it was not sent
            yield Error(problem, where="reference")
            return
        steps: list[Step] = []
        from_record = None
        if message and not attached:
            from_record = answer_from_record(conv, message, self.registry.names())
        if from_record:
            steps.append(Answer(from_record))
        else:
            shown, history = routing_context(
                conv, self.workspace, ref, attached, self.config.history_chars
            )
            follow = FollowUp(conv, message, ref, attached, self.registry)
            for step in self._run(message, attached, history, shown, conv.earlier, follow):
                steps.append(step)
                yield step
            conv.record(message, attached, steps)
            return
        conv.record(message, attached, steps)
        yield from steps

    def _reference_problem(
        self, message: str, ref: Resolution, attached: list[Artifact]
    ) -> str | None:
        """Why ``message`` cannot be done here (it names a deleted item, an id this
        conversation does not have, or an earlier result when there is none), or None."""
        conv = self.conversation
        for item_id in ref.ids:
            if item_id in self.workspace:
                continue
            item = conv.items.get(item_id)
            if item is not None:
                return (
                    f"{item_id} ({item.description or item.kind}, from turn {item.turn}) is no "
                    f"longer in the workspace: it was deleted. Run turn {item.turn} again or "
                    "attach the file again."
                )
            return (
                f"There is no {item_id} in this conversation ({self._inventory()}). Items of "
                "another conversation or browser tab cannot be used here: attach the file "
                "to this conversation instead."
            )
        if ref.unresolved and not attached and not is_question(message):
            phrase = ref.unresolved[0]
            if not conv.items:
                return (
                    f'"{phrase}" refers to an earlier file or result, but this conversation '
                    "has none yet. Attach a file (SEG-Y, .npy, LAS) with the request, or ask "
                    "for synthetic data first."
                )
            return (
                f'Nothing in this conversation is "{phrase}" ({self._inventory()}). Name '
                'one of these ids (e.g. "plot ws-2") or run that step first.'
            )
        return None

    def _inventory(self, most: int = 6) -> str:
        ids = [i for i in self.conversation.items if i in self.workspace]
        if not ids:
            return "it holds nothing yet"
        shown = ", ".join(
            f"{i} ({self.conversation.items[i].description or self.conversation.items[i].kind})"
            for i in ids[-most:]
        )
        return f"it holds {shown}" + (f" and {len(ids) - most} more" if len(ids) > most else "")

    def _run(
        self,
        question: str,
        attached: list[Artifact],
        history: str = "",
        shown: list[Artifact] | None = None,
        earlier: Callable[[str], EarlierResult | None] | None = None,
        follow: FollowUp | None = None,
    ) -> Iterator[Step]:
        if not question or not question.strip():
            if attached:  # only a file: say what it is and what can be asked of it
                yield Answer(files_only_reply(attached))
            else:
                yield Error(
                    "the message is empty: type a question or a processing request", where="input"
                )
            return
        if len(question) > self.config.max_question_chars:
            yield Error(
                f"the message has {len(question):,} characters; the limit is "
                f"{self.config.max_question_chars:,}. Ask a shorter question; to "
                "search a document, index it with `geofm index build`",
                where="input",
            )
            return
        passages: tuple[Passage, ...] = ()
        if self.index is not None and self.config.retrieval:
            t0 = time.perf_counter()
            try:
                hits = self.index.search(question, k=self.config.k)
            except Exception as e:  # retrieval failing must not cost the user the answer
                log.exception("retrieval failed")
                yield Error(
                    f"literature search failed ({e}); answering without it", where="retrieval"
                )
                hits = []
            passages = to_passages(hits)
            yield Retrieved(question, passages, time.perf_counter() - t0)

        listed = attached if shown is None else shown
        messages = first_messages(question, passages, listed, history)
        messages[-1].additional_kwargs[KINDS_TAG] = self.workspace.kinds()
        offered = self.registry
        if self.domains is not None:
            domain = self.domains.choose(question, listed, self.workspace)
            offered = self.domains.registry(domain)
            log.info("domain %s: %d tools offered", domain, len(offered))
        calls: list[tuple[str, dict]] = []
        results: list[ToolResult] = []
        observed: list[str] = []  # what the model was shown of each result
        # "just tell me, don't open the file": answered in words, no tool offered
        refused = self.config.next_steps and refuses_tools(question)
        tooled = None if refused else self._bind_tools(offered)
        composes = bool(getattr(self.chat_model, "compose_answers", False))
        pressed = False  # a step the request names was asked for (agent.next_steps)
        follow_up = bool(follow and follow.conv.turns)
        earlier_calls = [c.name for t in follow.conv.turns for c in t.calls] if follow else []
        for n_calls in range(self.config.max_steps + 1):
            model = (
                tooled
                if (tooled is not None and n_calls < self.config.max_steps)
                else self.chat_model
            )
            t0 = time.perf_counter()
            if model is self.chat_model and composes:
                reply = AIMessage(content="")  # nothing left to decide: compose
            else:
                try:
                    reply = model.invoke(messages)
                    acts = follow.acts if follow else acts_on_files(question, attached)
                    if acts and model is tooled and not reply.tool_calls and not calls:
                        # a request to act on data, answered in words: a tool call required
                        forced = self._bind_tools(offered, required=True)
                        reply = forced.invoke(messages) if forced is not None else reply
                    if (
                        self.config.next_steps
                        and follow_up
                        and acts
                        and model is tooled
                        and reply.tool_calls
                        and not calls
                    ):
                        # a follow-up's first call of a tool it does not ask for
                        first = reply.tool_calls[0]["name"]
                        other = named_instead(question, first, earlier_calls, offered)
                        forced = self._bind_tools(offered, choice=other) if other else None
                        reply = forced.invoke(messages) if forced is not None else reply
                    if (
                        self.config.next_steps
                        and model is tooled
                        and not reply.tool_calls
                        and not pressed
                    ):
                        # a step the request names, not taken: that tool's call required
                        step = step_left(
                            question,
                            [n for n, _ in calls],
                            earlier_calls,
                            offered.names(),
                            attached,
                            follow_up,
                        )
                        if step:
                            pressed = True
                            forced = self._bind_tools(offered, choice=step)
                            reply = forced.invoke(messages) if forced is not None else reply
                except Exception as e:
                    log.exception("chat model failed")
                    yield Error(
                        f"the language model failed: {type(e).__name__}: {e}", where="model"
                    )
                    return
            if reply.tool_calls and calls and follow is not None:
                c = reply.tool_calls[0]
                made = [a.id for a in results[-1].artifacts]
                if follow.repeats(c["name"], c.get("args") or {}, calls[-1], made):
                    reply = AIMessage(content="")  # the same step again: the turn is done
            if (
                reply.tool_calls
                and calls
                and self.config.next_steps
                and reply.tool_calls[0]["name"] in FIGURE_TOOLS
                and refuses_figures(question)
            ):
                reply = AIMessage(content="")  # "no figure": the work is done
            if not reply.tool_calls:
                text, cited = self._answer(
                    question, str(reply.content), passages, calls, results, observed
                )
                yield Answer(text, cited, time.perf_counter() - t0)
                return
            if n_calls == self.config.max_steps:
                names = ", ".join(c["name"] for c in reply.tool_calls)
                yield Error(
                    f"stopped after {self.config.max_steps} tool calls; the model still "
                    f"asked for {names}. Ask a narrower question or raise max_steps.",
                    where="loop",
                )
                return
            messages.append(reply)
            for call in reply.tool_calls:
                name, asked, call_id = call["name"], call.get("args") or {}, call.get("id") or ""
                if self.config.named_settings and name in self.registry:
                    # "order 2", "seed 7", "viridis": settings the message names; with a
                    # grounded local model, optional measures nobody gave are taken out
                    reports: list[str] | None = None  # what the user and tools said
                    if getattr(self.chat_model, "ground_arguments", False) is True:
                        reports = [str(m.content) for m in messages if m.type in ("human", "tool")]
                    params = self.registry.get(name).parameters
                    source = partial(has_segy_source, self.workspace)
                    asked = settle(name, asked, question, params, reports, history, source)
                asked = put_back(self.workspace, name, asked)  # ids the wrong way round
                read = follow.read_first(name, asked) if follow and not calls else None
                if read:  # a SEG-Y sent with the follow-up (agent.follow_ups)
                    asked = yield from self._read_into(
                        read, asked, f"{call_id}-read", earlier, calls, results
                    )
                # a file named where the call takes an array: read it first (agent.reads)
                for n_read, miss in enumerate(
                    missing_reads(self.workspace, self.registry, name, asked, question)
                ):
                    asked = yield from self._read_into(
                        miss, asked, f"{call_id}-read{n_read}", earlier, calls, results
                    )
                # a follow-up changing a setting of an earlier run (agent.follow_ups): a
                # try the tool refuses leaves no trace and the next one runs; the last
                # is the call as the model made it
                tries = follow.reruns(name, asked) if follow else [asked]
                for n_try, args in enumerate(tries, 1):
                    call["args"] = args
                    quiet = n_try < len(tries) or reads_an_array(self.workspace, args)
                    result = yield from self._call(
                        name, args, call_id, earlier, calls, results, quiet
                    )
                    if result.ok:
                        break
                made_kinds = self.workspace.kinds([a.id for a in result.artifacts])
                messages.append(tool_message(result, call_id, name, made_kinds))
                observed.append(str(messages[-1].content))

    def _read_into(
        self,
        read: Read,
        args: dict[str, Any],
        call_id: str,
        earlier: Callable[[str], EarlierResult | None] | None,
        calls: list[tuple[str, dict]],
        results: list[ToolResult],
    ) -> Generator[Step, None, dict[str, Any]]:
        """Run ``read`` before a call (its steps yielded); the call's ``args`` with the
        array it made in ``read.argument``, or unchanged when it made none."""
        got = yield from self._call(read.tool, read.args, call_id, earlier, calls, results)
        arrays = [a.id for a in got.artifacts if a.kind == "array"]
        if not (got.ok and arrays):
            return args
        return {**args, read.argument: arrays[0] if read.output == "first" else arrays[-1]}

    def _call(
        self,
        name: str,
        args: dict[str, Any],
        call_id: str,
        earlier: Callable[[str], EarlierResult | None] | None,
        calls: list[tuple[str, dict]],
        results: list[ToolResult],
        quiet_refusal: bool = False,
    ) -> Generator[Step, None, ToolResult]:
        """Run one tool call, yielding its ToolCall and ToolOutput steps; its result.
        With ``quiet_refusal`` the steps come after the run, and a refused call yields
        and records nothing."""
        found = [earlier(i) for i in dict.fromkeys(ids_in(args))] if earlier else []
        step = ToolCall(name, args, call_id, tuple(u for u in found if u is not None))
        if not quiet_refusal:
            yield step
        t1 = time.perf_counter()
        result = self.registry.call(name, args, self.workspace)
        if quiet_refusal:
            if not result.ok:
                log.info("carried settings refused by %s: %s", name, result.summary)
                return result
            yield step
        calls.append((name, args))
        results.append(result)
        yield ToolOutput(name, result, time.perf_counter() - t1, call_id)
        return result

    def _answer(
        self,
        question: str,
        text: str,
        passages: tuple[Passage, ...],
        calls: list[tuple[str, dict]],
        results: list[ToolResult],
        observed: list[str],
    ) -> tuple[str, tuple[Passage, ...]]:
        """The final answer: after tools, their plain-language report; otherwise the
        model's own text when it wrote a usable one (a served model), else the answer
        composed from the passages' sentences."""
        if results:
            return tool_report(question, calls, results, self.registry), ()
        sources = [question] + observed + [f"{p.title} {p.text}" for p in passages]
        if text.strip() and usable_answer(text) and not unsupported_numbers(text, sources):
            return cite(text, passages)
        if text.strip():
            log.warning("unusable answer %r; composing from the passages instead", text[:80])
        if not passages:
            return (
                "No literature passages were found for this question (is literature "
                "search off?), and no tool was run. Rephrase it, or attach a file "
                "and ask for processing.",
                (),
            )
        composed = compose_answer(question, passages, self.index)
        if not composed.covered and not looks_english(question):
            return (
                "The indexed literature is in English and nothing in it answers this; "
                "please ask in English. " + composed.text,
                composed.cited,
            )
        return composed.text, composed.cited

    def _bind_tools(
        self, offered: Registry, required: bool = False, choice: str | None = None
    ) -> Runnable[LanguageModelInput, AIMessage] | None:
        """The chat model with ``offered`` bound: free, a tool call ``required``, or a
        call of the tool named ``choice``."""
        if self.config.max_steps == 0 or len(offered) == 0:
            return None
        try:
            return self.chat_model.bind_tools(
                offered.schemas(), tool_choice=choice or ("required" if required else None)
            )
        except NotImplementedError:
            return None


def is_question(message: str) -> bool:
    """A question (about the literature, say) rather than a request to act on data."""
    return bool(re.match(r"\s*(what|why|how|which|when|who|where|does|do|is|are)\b", message, re.I))
