"""The llama.cpp decoding backend: the same GGUF weights, our tokenizer, grammar and rules.

``LocalChatModel`` decodes with transformers by default (the reference). With
``ModelConfig(backend="llamacpp")`` the forward pass runs in llama.cpp instead
(llama-cpp-python): the embedded Q4_1 GGUF as shipped, and geofm's LoRA adapter
converted once to a llama.cpp adapter (:mod:`agent.gguf_adapter`) and applied unmerged.
Everything else stays ours, so both backends decode under the same rules:

- the prompt is the Hugging Face tokenizer's chat template, fed to llama.cpp as token
  ids (both read the GGUF's vocabulary);
- tool calls go through the same xgrammar grammar and grounding, and answers through
  the same :class:`agent.chat_model.NoRepeatInAnswer` rule, as logits processors called
  on every step's logits;
- the key-value cache keeps the longest prefix shared with the previous prompt, so the
  system prompt and tool list of a routing turn are processed once per session.

llama-cpp-python is an optional extra that compiles llama.cpp; build it without
OpenMP so it can share a process with torch (``make llamacpp``, see the README).
"""

from __future__ import annotations

import ctypes
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from agent.constrained import TokenMask
from common.errors import ModelError

if TYPE_CHECKING:  # loaded on first use at run time
    import torch
    import xgrammar as xgr
    from llama_cpp._internals import LlamaBatch, LlamaContext

    # transformers-style: (input ids (1, T), scores (1, V)) -> scores
    Processor = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

__all__ = ["LlamaCppEngine", "INSTALL_HINT", "default_threads"]

INSTALL_HINT = (
    "the llama.cpp backend needs llama-cpp-python: run `make llamacpp` (it "
    "compiles llama.cpp without OpenMP, about 7 minutes on 2 cores)"
)


def default_threads() -> int:
    """llama.cpp threads unless told: one less than the cores (see LlamaCppEngine)."""
    return max(1, (os.cpu_count() or 2) - 1)


class _Slot:
    """One llama.cpp context (its own key-value cache) and the tokens it holds."""

    def __init__(self, ctx: LlamaContext, batch: LlamaBatch):
        self.ctx, self.batch = ctx, batch
        self.tokens: list[int] = []


class LlamaCppEngine:
    """Greedy or sampled decoding of token ids with llama.cpp.

    Prompts go to named *slots*, each a llama.cpp context with its own key-value cache
    over the one loaded model: routing turns share their long system prompt and tool list
    with each other, answers with each other, so keeping them apart lets both reuse
    their prefix from one question to the next.

    Args:
        gguf: the model file (its own quantisation is used as is).
        lora: a llama.cpp LoRA adapter file, or None.
        n_ctx: context length in tokens (prompt plus reply), per slot.
        threads: CPU threads (None: one less than the cores, at least 1). llama.cpp's
            threads spin while they wait for each other: with every core in use and one
            of them busy elsewhere, decoding here ran at 1.1 tokens/s (1 thread: 109), so the
            default leaves a core to the rest of the machine (the browser, the tools).
    """

    def __init__(
        self,
        gguf: str | Path,
        lora: str | Path | None = None,
        n_ctx: int = 4096,
        threads: int | None = None,
    ):
        try:
            from llama_cpp import Llama
        except ImportError:
            raise ModelError(INSTALL_HINT) from None
        threads = threads or default_threads()
        self.gguf, self.lora = Path(gguf), Path(lora) if lora else None
        self.llm = Llama(
            model_path=str(gguf),
            lora_path=str(lora) if lora else None,
            n_ctx=n_ctx,
            n_batch=512,
            n_threads=threads,
            n_threads_batch=threads,
            verbose=False,
        )
        self.n_ctx = n_ctx
        self.n_vocab = int(self.llm.n_vocab())
        self._slots: dict[str, _Slot] = {}
        # one reply at a time: a llama.cpp context is not safe to share between threads
        # (the app answers several sessions at once)
        self._lock = threading.Lock()
        self.last: dict[str, float] = {}  # the last generate(): tokens and seconds

    def _slot(self, name: str) -> _Slot:
        """The named slot; a new one is another context on the same weights and adapter."""
        if name in self._slots:
            return self._slots[name]
        if not self._slots:  # the first slot named gets the Llama's own context
            self._slots[name] = _Slot(self.llm._ctx, self.llm._batch)
            return self._slots[name]

        from llama_cpp import _internals
        from llama_cpp import llama_cpp as C

        llm = self.llm
        ctx = _internals.LlamaContext(model=llm._model, params=llm.context_params, verbose=False)
        llm._stack.callback(ctx.close)  # freed before the model it runs
        if llm._lora_adapter is not None:
            adapters = (C.llama_adapter_lora_p_ctypes * 1)(llm._lora_adapter)
            if C.llama_set_adapters_lora(ctx.ctx, adapters, 1, (ctypes.c_float * 1)(1.0)):
                raise ModelError(f"llama.cpp could not apply the adapter {self.lora}")
        batch = _internals.LlamaBatch(n_tokens=llm.n_batch, embd=0, n_seq_max=1, verbose=False)
        llm._stack.callback(batch.close)
        self._slots[name] = _Slot(ctx, batch)
        return self._slots[name]

    def _eval(self, slot: _Slot, tokens: list[int]) -> np.ndarray:
        """Append ``tokens`` to the slot's context; the (n_vocab,) logits after the last."""
        if len(slot.tokens) + len(tokens) >= self.n_ctx:
            raise ModelError(
                f"{len(slot.tokens) + len(tokens)} tokens do not fit the "
                f"llama.cpp context of {self.n_ctx}; ask about fewer files or "
                "passages, or lower max_new_tokens"
            )
        step = self.llm.n_batch
        for i in range(0, len(tokens), step):
            chunk = tokens[i : i + step]
            slot.batch.set_batch(chunk, n_past=len(slot.tokens), logits_all=False)
            slot.ctx.decode(slot.batch)
            slot.tokens += chunk
        ptr = slot.ctx.get_logits_ith(-1)  # the batch's last position
        return np.ctypeslib.as_array(ptr, shape=(self.n_vocab,)).copy()

    def feed(self, tokens: list[int], slot: str = "default") -> np.ndarray:
        """Run ``tokens`` as the slot's whole context, reusing the cached prefix it shares
        with the slot's previous one; returns the (n_vocab,) logits after its last token."""
        if not tokens:
            raise ValueError("feed() needs at least one token")
        s = self._slot(slot)
        limit = min(len(s.tokens), len(tokens) - 1)  # run at least one token: fresh logits
        same = np.asarray(s.tokens[:limit]) == np.asarray(tokens[:limit])
        keep = limit if same.all() else int(np.argmin(same))
        s.ctx.kv_cache_seq_rm(0, keep, -1)
        del s.tokens[keep:]
        self.last = {"prompt_tokens": len(tokens), "cached_tokens": keep}
        return self._eval(s, list(tokens[keep:]))

    def forget(self, slot: str = "default") -> None:
        """Empty the slot's cache: its next prompt is processed whole."""
        s = self._slot(slot)
        s.ctx.kv_cache_seq_rm(0, 0, -1)
        s.tokens.clear()

    def extend(self, tokens: list[int], slot: str = "default") -> np.ndarray:
        """Append tokens to the slot's context; returns the (n_vocab,) logits after them."""
        return self._eval(self._slot(slot), list(tokens))

    def generate(
        self,
        prompt: list[int],
        max_new_tokens: int,
        eos: set[int],
        processors: Sequence[Processor] = (),
        temperature: float = 0.0,
        stop_check: Callable[[list[int]], bool] | None = None,
        seed: int = 0,
        slot: str = "default",
        grammar: xgr.CompiledGrammar | None = None,
    ) -> list[int]:
        """Reply token ids (eos not included).

        Args:
            prompt: the prompt's token ids.
            max_new_tokens: cap on reply tokens.
            eos: token ids that end the reply.
            processors: transformers-style logits processors ``p(input_ids, scores)``
                (torch (1, T) ids and (1, V) scores), applied in order every step.
            temperature: 0 for greedy, > 0 to sample.
            stop_check: called with the reply ids so far; True ends the reply.
            seed: of the sampler when ``temperature`` > 0.
            slot: the context (and key-value cache) to use.
            grammar: an xgrammar ``CompiledGrammar`` the reply must follow, applied here
                directly (the same masks as its transformers logits processor, without
                building torch tensors every step).
        """
        with self._lock:
            return self._generate(
                prompt,
                max_new_tokens,
                eos,
                processors,
                temperature,
                stop_check,
                seed,
                slot,
                grammar,
            )

    def _generate(
        self,
        prompt: list[int],
        max_new_tokens: int,
        eos: set[int],
        processors: Sequence[Processor],
        temperature: float,
        stop_check: Callable[[list[int]], bool] | None,
        seed: int,
        slot: str,
        grammar: xgr.CompiledGrammar | None,
    ) -> list[int]:
        import torch

        rng = np.random.default_rng(seed)
        allowed = TokenMask(grammar, self.n_vocab) if grammar is not None else None
        ids = list(prompt)
        t0 = time.perf_counter()
        logits = self.feed(ids, slot)
        t1 = time.perf_counter()
        out: list[int] = []
        steps = 0
        while len(out) < max_new_tokens:
            if processors:
                scores = torch.from_numpy(logits)[None]  # (1, V), shares memory
                context = torch.tensor([ids])  # (1, T)
                for p in processors:
                    scores = p(context, scores)
                logits = scores[0].numpy()
            if allowed is not None:
                logits = allowed.apply(logits)
            if temperature > 0:
                z = (logits - logits.max()) / temperature
                prob = np.exp(z, dtype=np.float64)
                token = int(rng.choice(len(prob), p=prob / prob.sum()))
            else:
                token = int(np.argmax(logits))
            if token in eos:
                break
            pending, ended = [token], False
            if allowed is not None:  # forced tokens join it (not with other processors)
                pending, ended = allowed.take(
                    token, eos, max_new_tokens - len(out), follow=not processors
                )
            out += pending
            ids += pending
            if ended or (stop_check is not None and stop_check(out)):
                break
            if len(out) < max_new_tokens:
                logits = self.extend(pending, slot)
                steps += len(pending)
        # decode_steps: tokens run through the model after the prompt
        self.last.update(
            prefill_s=t1 - t0,
            decode_tokens=len(out),
            decode_steps=steps,
            decode_s=time.perf_counter() - t1,
        )
        return out
