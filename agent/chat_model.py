"""A LangChain chat model over a local transformers causal LM (+ optional LoRA adapter).

Any LangChain ``BaseChatModel`` can stand in for it (e.g. ``ChatOpenAI`` pointed at a
vLLM server); the agent relies only on ``invoke`` and, for tool use, ``bind_tools``.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, SystemMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, PrivateAttr, SecretStr

from agent.config import ModelConfig
from agent.constrained import ANSWER, Grounding, TokenMask, ToolGrammar, call_json, tools_prompt
from agent.messages import PASSAGES_TAG
from agent.models import EMBEDDED_LLM, eos_ids, load_causal_lm, load_llamacpp, resolve_adapter
from common.errors import BadInputError

if TYPE_CHECKING:
    import torch
    from langchain_core.language_models import LanguageModelInput
    from langchain_core.runnables import Runnable
    from langchain_core.tools import BaseTool
    from transformers import DynamicCache
    from xgrammar import CompiledGrammar

__all__ = [
    "LocalChatModel",
    "NoRepeatInAnswer",
    "make_chat_model",
    "to_chat_dicts",
    "routing_messages",
]

log = logging.getLogger(__name__)

_ROLES = {"system": "system", "human": "user", "ai": "assistant", "tool": "user"}
PREFIX_CACHE = True  # transformers: reuse the previous prompt's key/value cache
PREFIX_MIN_TOKENS = 16  # shared tokens worth reusing


def to_chat_dicts(messages: list[BaseMessage]) -> list[dict[str, str]]:
    """LangChain messages → ``[{"role", "content"}]`` for a chat template.

    Small chat templates know only system/user/assistant, so a tool call is written as
    its JSON and a tool result as a user turn that names the tool.
    """
    out: list[dict[str, str]] = []
    for m in messages:
        role = _ROLES.get(m.type)
        if role is None:
            raise ValueError(f"unsupported message type {m.type!r}")
        content = m.content if isinstance(m.content, str) else json.dumps(m.content)
        if isinstance(m, AIMessage) and m.tool_calls:
            content = "\n".join(call_json(c["name"], c["args"]) for c in m.tool_calls)
        if isinstance(m, ToolMessage):
            content = f"Result of {m.name or 'the tool'}:\n{content}"
        if out and out[-1]["role"] == role and role == "user":
            out[-1]["content"] += "\n\n" + content  # templates expect alternating turns
        else:
            out.append({"role": role, "content": content})
    return out


class LocalChatModel(BaseChatModel):
    """Chat with a local causal LM: transformers in memory, or llama.cpp on a GGUF.

    Build it with :meth:`from_config` (loads the embedded model by default) or pass an
    already loaded ``hf_model`` and ``tokenizer`` (tests use a tiny random Llama). With
    an ``engine`` (:class:`agent.llamacpp.LlamaCppEngine`) llama.cpp runs the forward
    pass and ``hf_model`` is None; prompts, grammar, grounding and the answer rule are the
    same on both.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    hf_model: Any = None
    tokenizer: Any
    engine: Any = None
    eos: set[int] | None = None
    model_name: str = "local"
    max_new_tokens: int = 200
    temperature: float = 0.0
    no_repeat_ngram: int = 0
    ground_arguments: bool = True
    compose_answers: bool = False
    # slot -> (token ids (T,), the transformers cache of those tokens); see _cached_prefix
    _prefix_caches: dict = PrivateAttr(default_factory=dict)

    @classmethod
    def from_config(cls, config: ModelConfig | None = None) -> "LocalChatModel":
        config = config or ModelConfig()
        t0 = time.perf_counter()
        engine = model = None
        if config.backend == "llamacpp":
            engine, tokenizer = load_llamacpp(config)
        else:
            model, tokenizer = load_causal_lm(config)
        log.info("loaded %s in %.1fs", config.model, time.perf_counter() - t0)
        name = EMBEDDED_LLM if config.model == "embedded" else config.model
        adapter = resolve_adapter(config)
        if adapter:
            name += " + geofm LoRA" if config.adapter == "default" else f" + {adapter}"
        if engine is not None:
            name += " (llama.cpp)"
        return cls(
            hf_model=model,
            tokenizer=tokenizer,
            engine=engine,
            model_name=name,
            max_new_tokens=config.max_new_tokens,
            temperature=config.temperature,
            no_repeat_ngram=config.no_repeat_ngram,
            ground_arguments=config.ground_arguments,
            compose_answers=config.compose_answers,
        )

    @property
    def _llm_type(self) -> str:
        return "geofm-local-llamacpp" if self.engine is not None else "geofm-local-transformers"

    @property
    def vocab_size(self) -> int:
        """Rows of the model's logits (may exceed the tokenizer's vocabulary)."""
        return self.engine.n_vocab if self.engine is not None else self.hf_model.config.vocab_size

    def _eos(self) -> set[int]:
        if self.eos is None:
            path = getattr(self.tokenizer, "name_or_path", None)
            self.eos = eos_ids(self.tokenizer, path if path and Path(path).is_dir() else None)
        return self.eos

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model_name": self.model_name,
            "max_new_tokens": self.max_new_tokens,
            "temperature": self.temperature,
        }

    def encode(self, messages: list[BaseMessage] | list[dict[str, str]]) -> torch.Tensor:
        """Token ids (1, T) of the chat template applied to ``messages`` (LangChain
        messages or ``{"role", "content"}`` dicts), ready for the assistant's turn."""
        if messages and isinstance(messages[0], dict):  # the first one tells which
            dicts = messages
        else:
            dicts = to_chat_dicts(cast("list[BaseMessage]", messages))
        enc = self.tokenizer.apply_chat_template(
            dicts, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        return enc["input_ids"]

    def generate_text(
        self,
        messages: list[BaseMessage] | list[dict[str, str]],
        stop: list[str] | None = None,
        max_new_tokens: int | None = None,
        no_repeat_ngram: int = 0,
        cache_slot: str = "answer",
        **generate_kwargs: Any,
    ) -> str:
        """Decode a reply to ``messages``; ``no_repeat_ngram`` > 0 applies
        :class:`NoRepeatInAnswer` to the generated tokens. ``cache_slot`` names the
        llama.cpp context whose cached prefix the prompt reuses (routing turns and answers
        keep theirs apart); transformers ignores it."""
        import torch

        input_ids = self.encode(messages)  # (1, T)
        if self.engine is not None:
            return self._engine_text(
                input_ids[0].tolist(),
                stop,
                max_new_tokens,
                no_repeat_ngram,
                cache_slot,
                generate_kwargs,
            )
        if "grammar" in generate_kwargs:
            grammar = generate_kwargs.pop("grammar")
            if generate_kwargs or no_repeat_ngram or stop or self.temperature > 0:
                raise TypeError("a grammar is decoded greedily, without other processors")
            ids = self._greedy_in_grammar(
                input_ids, grammar, max_new_tokens or self.max_new_tokens, cache_slot
            )
            return self._reply_text(ids, None)
        kwargs: dict[str, Any] = {
            "max_new_tokens": max_new_tokens or self.max_new_tokens,
            "pad_token_id": self.tokenizer.pad_token_id or self.tokenizer.eos_token_id,
        }
        if self.temperature > 0:
            kwargs.update(do_sample=True, temperature=self.temperature)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        if stop:
            kwargs.update(stop_strings=stop, tokenizer=self.tokenizer)
        if no_repeat_ngram:
            from transformers import LogitsProcessorList

            kwargs["logits_processor"] = LogitsProcessorList(
                [NoRepeatInAnswer(input_ids.shape[1], no_repeat_ngram)]
            )
        kwargs.update(generate_kwargs)
        cache = self._cached_prefix(cache_slot, input_ids)
        try:
            with torch.inference_mode():
                out = self.hf_model.generate(
                    input_ids,
                    attention_mask=torch.ones_like(input_ids),
                    cache=cache,
                    return_dict_in_generate=True,
                    **kwargs,
                )
        except Exception:
            self._prefix_caches.pop(cache_slot, None)  # a half-extended cache is not kept
            raise
        seq = out.sequences[0]
        if out.cache is not None:
            self._prefix_caches[cache_slot] = (seq[: out.cache.get_seq_length()], out.cache)
        return self._reply_text(seq[input_ids.shape[1] :], stop)

    def _greedy_in_grammar(
        self, input_ids: torch.Tensor, grammar: CompiledGrammar, max_new_tokens: int, slot: str
    ) -> list[int]:
        """Greedy decoding under an xgrammar grammar, as the llama.cpp engine does it: the
        tokens the grammar forces (most of a tool call's JSON) go through the model in
        one batch, with no logits of their own, and a forced end needs no model call.
        The key/value cache of ``slot`` is reused and kept (see :meth:`_cached_prefix`)."""
        import torch
        from transformers import DynamicCache

        eos = self._eos()
        allowed = TokenMask(grammar, self.vocab_size)
        cache = self._cached_prefix(slot, input_ids)
        if cache is None:
            cache = DynamicCache()
        seen = input_ids[0].tolist()
        feed = seen[cache.get_seq_length() :]
        out: list[int] = []
        with torch.inference_mode():
            while True:
                logits = self.hf_model(
                    input_ids=torch.tensor([feed]), cache=cache, use_cache=True, logits_to_keep=1
                ).logits[0, -1]
                token = int(np.argmax(allowed.apply(logits.float().numpy())))
                if token in eos:
                    break
                pending, ended = allowed.take(token, eos, max_new_tokens - len(out))
                out += pending
                seen += pending
                feed = pending
                if ended or len(out) >= max_new_tokens:
                    break
        n = cache.get_seq_length()  # the last tokens fed have no cached keys yet
        self._prefix_caches[slot] = (torch.tensor(seen[:n]), cache)
        return out

    def _cached_prefix(self, slot: str, input_ids: torch.Tensor) -> DynamicCache | None:
        """The key/value cache of ``slot``'s previous prompt and reply, cut to the part
        it shares with ``input_ids`` (1, T): generate then runs only the new tokens.
        Routing prompts share the system prompt and tool list (most of their tokens), so
        a decision after the first skips most of its prompt; greedy outputs are the
        same as without the cache. None when nothing is shared."""
        if not PREFIX_CACHE or slot not in self._prefix_caches:
            return None
        ids, cache = self._prefix_caches.pop(slot)
        new = input_ids[0]
        n = min(len(ids), len(new) - 1)  # generate needs at least one token to run
        same = (ids[:n] == new[:n]).int()
        shared = int(same.cumprod(0).sum()) if n > 0 else 0
        if shared < PREFIX_MIN_TOKENS:
            return None
        extra = cache.get_seq_length() - shared
        if extra > 0:
            cache.crop(-extra)  # transformers 5: a negative count of tokens to drop
        return cache

    def _reply_text(self, ids: Sequence[int] | torch.Tensor, stop: list[str] | None) -> str:
        """Reply token ids as text, cut at the first stop string."""
        text = self.tokenizer.decode(ids, skip_special_tokens=True)
        for s in stop or []:
            text = text.split(s)[0]
        return text.strip()

    def _engine_text(
        self,
        prompt: list[int],
        stop: list[str] | None,
        max_new_tokens: int | None,
        no_repeat_ngram: int,
        cache_slot: str,
        generate_kwargs: dict[str, Any],
    ) -> str:
        """generate_text on the llama.cpp engine: the same processors and stop rules."""
        processors = list(generate_kwargs.pop("logits_processor", None) or [])
        grammar = generate_kwargs.pop("grammar", None)
        if generate_kwargs:
            raise TypeError(f"the llama.cpp backend takes no {sorted(generate_kwargs)}")
        if no_repeat_ngram:
            processors.append(NoRepeatInAnswer(len(prompt), no_repeat_ngram))

        def stopped(ids: list[int]) -> bool:
            text = self.tokenizer.decode(ids, skip_special_tokens=True)
            return any(s in text for s in stop or ())  # passed only with a stop

        ids = self.engine.generate(
            prompt,
            max_new_tokens or self.max_new_tokens,
            self._eos(),
            processors,
            self.temperature,
            stopped if stop else None,
            slot=cache_slot,
            grammar=grammar,
        )
        return self._reply_text(ids, stop)

    def generate_answer(
        self,
        messages: list[BaseMessage] | list[dict[str, str]],
        stop: list[str] | None = None,
        max_new_tokens: int | None = None,
    ) -> str:
        """Free text under the ``no_repeat_ngram`` rule (see :class:`NoRepeatInAnswer`)."""
        return self.generate_text(
            messages, stop=stop, max_new_tokens=max_new_tokens, no_repeat_ngram=self.no_repeat_ngram
        )

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Offer ``tools`` (function schemas, LangChain tools or callables); routing turns
        are then decoded under a grammar, so every call is schema-valid. ``tool_choice``:
        "required" (a tool call, never an answer in words) or one tool's name (a call of
        that tool; the prompt still lists every tool offered)."""
        from langchain_core.utils.function_calling import convert_to_openai_tool

        schemas = [
            t
            if isinstance(t, dict) and "name" in t and "parameters" in t
            else convert_to_openai_tool(t)["function"]
            for t in tools
        ]
        if tool_choice in ("required", "any"):  # LangChain's names for "must call a tool"
            kwargs["tool_choice"] = "required"
        elif tool_choice in {s["name"] for s in schemas}:
            kwargs["tool_choice"] = tool_choice
        return self.bind(tools=schemas, **kwargs)

    def decide(
        self,
        messages: list[BaseMessage],
        tools: list[dict[str, Any]],
        constrained: bool = True,
        required: bool = False,
        only: str | None = None,
    ) -> tuple[str, dict[str, Any] | None]:
        """One routing decision: (raw text, parsed ``{"name", "arguments"}`` or None).

        Constrained (the default), the text always parses and fits a tool's schema (or
        ``answer``), with numbers and workspace ids kept to those in ``messages`` when
        ``ground_arguments`` is on (:class:`agent.constrained.Grounding`); None then only
        means ``max_new_tokens`` cut it short. ``required``: a tool call, never
        ``answer``; ``only``: a call of that tool (the prompt still lists ``tools``).
        Unconstrained decoding is for measuring how well the model alone writes calls.
        """
        kwargs: dict[str, Any] = {}
        if constrained:
            grounding = Grounding.from_messages(messages) if self.ground_arguments else None
            allowed = [t for t in tools if t["name"] == only] if only else tools
            grammar = ToolGrammar(
                self.tokenizer, self.vocab_size, allowed, grounding, answer=not (required or only)
            )
            if self.engine is not None or self.temperature == 0:  # masked in our own loop
                kwargs["grammar"] = grammar.compiled
            else:
                kwargs["logits_processor"] = [grammar.logits_processor()]
        raw = self.generate_text(
            routing_messages(messages, tools), cache_slot=route_slot(tools), **kwargs
        )
        try:
            call = json.loads(raw)
        except json.JSONDecodeError:
            return raw, None
        ok = (
            isinstance(call, dict)
            and isinstance(call.get("name"), str)
            and isinstance(call.get("arguments", {}), dict)
        )
        return raw, call if ok else None

    def route(
        self,
        messages: list[BaseMessage],
        tools: list[dict[str, Any]],
        required: bool = False,
        only: str | None = None,
    ) -> AIMessage:
        """One constrained routing turn: a tool call, or (for ``answer``, unless
        ``required`` or ``only``) a text reply."""
        raw, call = self.decide(messages, tools, required=required, only=only)
        if call is None:
            # only when max_new_tokens cut the JSON short: answer in words instead
            log.warning("routing output was cut short (%d chars); answering in words", len(raw))
            call = {"name": ANSWER, "arguments": {}}
        if call["name"] == ANSWER:
            # composing: an empty reply asks the agent to compose the answer from evidence
            text = "" if self.compose_answers else self.generate_answer(messages)
            return AIMessage(content=text, response_metadata={"routing": raw})
        n = sum(1 for m in messages if isinstance(m, AIMessage) and m.tool_calls) + 1
        return AIMessage(
            content="",
            response_metadata={"routing": raw},
            tool_calls=[
                {
                    "name": call["name"],
                    "args": call.get("arguments", {}),
                    "id": f"call-{n}",
                    "type": "tool_call",
                }
            ],
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        tools: list[dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if tools:
            choice = kwargs.get("tool_choice")
            only = choice if choice not in (None, "required") else None
            message = self.route(messages, tools, choice == "required", only)
        else:
            message = AIMessage(content=self.generate_answer(messages, stop=stop))
        return ChatResult(generations=[ChatGeneration(message=message)])


class NoRepeatInAnswer:
    """Logits processor: the generated text may not repeat one of its own ``n``-grams.

    Unlike transformers' ``no_repeat_ngram_size`` and ``repetition_penalty``, which also
    count the prompt, only tokens after ``prompt_len`` are looked at, so an answer can
    quote its passages word for word but cannot loop.
    """

    def __init__(self, prompt_len: int, n: int):
        self.prompt_len, self.n = prompt_len, n

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        for b in range(input_ids.shape[0]):
            gen = input_ids[b, self.prompt_len :].tolist()
            if len(gen) < self.n:
                continue
            tail = gen[len(gen) - self.n + 1 :]
            banned = [
                gen[i + self.n - 1]
                for i in range(len(gen) - self.n + 1)
                if gen[i : i + self.n - 1] == tail
            ]
            if banned:
                scores[b, banned] = float("-inf")
        return scores


def route_slot(tools: list[dict[str, Any]]) -> str:
    """The key/value cache slot of routing prompts that offer ``tools``: one per tool
    list, so that each domain's system prompt and tool list (most of a routing prompt)
    stay cached when requests alternate between domains."""
    return "route:" + ",".join(sorted(t["name"] for t in tools))


def make_chat_model(config: ModelConfig | None = None) -> BaseChatModel:
    """The chat model ``config`` names: local (transformers, + adapter) by default, or
    ``ChatOpenAI`` against an OpenAI-compatible server for ``model="openai:NAME"``.

    A served model gets the tools' full JSON schemas through the server's own tool
    calling; the server must support it (vLLM: ``--enable-auto-tool-choice``).
    """
    config = config or ModelConfig()
    if not config.model.startswith("openai:"):
        return LocalChatModel.from_config(config)
    from langchain_openai import ChatOpenAI

    base_url = config.base_url or os.environ.get("OPENAI_BASE_URL")
    if not base_url:
        raise BadInputError(
            "an 'openai:' model needs the server's URL: set base_url "
            "(--base-url) or $OPENAI_BASE_URL, e.g. http://localhost:8000/v1"
        )
    return ChatOpenAI(
        model=config.model[len("openai:") :],
        base_url=base_url,
        api_key=SecretStr(os.environ.get("OPENAI_API_KEY") or "not-needed"),
        # max_tokens, by its alias (the only name its signature shows)
        temperature=config.temperature,
        max_completion_tokens=config.max_new_tokens,
        max_retries=1,
        timeout=120,
    )


def routing_messages(messages: list[BaseMessage], tools: list[dict[str, Any]]) -> list[BaseMessage]:
    """What the model reads on a routing turn: the tool list appended to the system
    message, and no retrieved passages (they serve the answer, not the choice of tool,
    and would triple the prompt). Fine-tuning data is built with this same function."""
    messages = [m for m in messages if not m.additional_kwargs.get(PASSAGES_TAG)]
    suffix = tools_prompt(tools)
    if messages and isinstance(messages[0], SystemMessage):
        return [SystemMessage(f"{messages[0].content}\n\n{suffix}"), *messages[1:]]
    return [SystemMessage(suffix), *messages]
