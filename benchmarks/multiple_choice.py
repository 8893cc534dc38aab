"""Multiple choice by log-likelihood, framed two ways.

``harness`` (the default of ``geofm bench run``) follows lm-evaluation-harness, so our
figures compare with published ones. Definitions taken from lm-eval 0.4.13
(EleutherAI/lm-evaluation-harness, the version pinned in the ``dev`` extra):

- context: ``doc_to_text: "Question: {{question}}\\nAnswer:"``, zero-shot, no description,
  as in the harness's own multiple-choice tasks (``lm_eval/tasks/arc/arc_easy.yaml``);
- continuations: ``target_delimiter + choice`` for each choice (``output_type:
  multiple_choice``, ``ConfigurableTask.construct_requests`` in ``lm_eval/api/task.py``),
  with ``target_delimiter`` defaulting to ``" "`` (``TaskConfig``, ``lm_eval/config/task.py``);
- tokens: trailing spaces of the context move to the continuation; the continuation's
  tokens are ``encode(context + continuation)[len(encode(context)):]`` and the model reads
  ``context_tokens + continuation_tokens`` (``TemplateLM._encode_pair``, ``lm_eval/api/model.py``;
  ``HFLM._loglikelihood_tokens``, ``lm_eval/models/huggingface.py``); the tokenizer's own
  default for special tokens (no BOS for SmolLM2);
- ``acc``: argmax of the summed log-likelihood of the continuation tokens; ``acc_norm``:
  argmax of that sum divided by ``len(choice)``, the choice's length in *characters*
  without the delimiter (``completion_len`` in ``ConfigurableTask.process_results``;
  the harness's separate ``acc_bytes`` divides by UTF-8 bytes instead). Ties go to the
  first choice, as with ``np.argmax``.

``rag`` is the harness framing with the retrieved passages before the question
(:func:`rag_context`): each choice is scored by its likelihood conditioned on them.

``chat`` is geofm's chat framing: the chat template, retrieved passages, the question
with lettered options, and continuations ``"A. choice"`` scored after the assistant's
turn starts; ``acc_norm`` divides by the choice text's characters as well.

``evidence`` uses no language model: each choice is scored by how well the literature
supports the question completed by that choice (:func:`evidence_scores`), the evidence
score the answer composer quotes by (corpus.evidence). It has no length-normalised
variant; its ``acc_norm`` is not reported.
"""

from __future__ import annotations

from typing import Any

from benchmarks.suite import LETTERS

__all__ = [
    "MC_FORMATS",
    "LM_FORMATS",
    "harness_context",
    "rag_context",
    "harness_logliks",
    "continuation_logliks",
    "chat_logliks",
    "evidence_scores",
    "predictions",
]

MC_FORMATS = ("harness", "rag", "chat", "evidence")
LM_FORMATS = ("harness", "rag", "chat")  # those scored by a language model's likelihood
TARGET_DELIMITER = " "
RAG_CONTEXT_CHARS = 1500  # passage text before the question in the ``rag`` framing


def harness_context(question: str) -> str:
    """The harness's zero-shot multiple-choice context for ``question``."""
    return f"Question: {question}\nAnswer:"


def rag_context(passages, question: str, budget: int = RAG_CONTEXT_CHARS) -> str:
    """The ``rag`` framing: the passages' text (whitespace collapsed, best first, cut at
    ``budget`` characters in all), a blank line, then :func:`harness_context`."""
    parts, used = [], 0
    for p in passages:
        text = " ".join(p.text.split())[: max(0, budget - used)]
        if not text:
            break
        parts.append(text)
        used += len(text)
    return "\n\n".join(parts + [harness_context(question)])


def _encode_pair(tokenizer, context: str, continuation: str) -> tuple[list[int], list[int]]:
    n_spaces = len(context) - len(context.rstrip())
    if n_spaces:
        continuation = context[-n_spaces:] + continuation
        context = context[:-n_spaces]
    whole = tokenizer.encode(context + continuation)
    context_ids = tokenizer.encode(context)
    return context_ids, whole[len(context_ids) :]


def harness_logliks(
    model, tokenizer, question: str, choices: tuple[str, ...] | list[str], passages=()
) -> list[float]:
    """Summed log-likelihood of ``" " + choice`` after :func:`harness_context`, one per
    choice, all choices as one right-padded batch, as the harness runs them. With
    ``passages`` the context is :func:`rag_context` instead; being long and shared, it
    runs once and each choice continues from its cache (:func:`continuation_logliks`)."""
    import torch

    context = rag_context(passages, question) if passages else harness_context(question)
    pairs = [_encode_pair(tokenizer, context, TARGET_DELIMITER + c) for c in choices]
    if passages:  # every pair has the same context tokens
        return continuation_logliks(model, torch.tensor([pairs[0][0]]), [cont for _, cont in pairs])
    max_len = getattr(model.config, "max_position_embeddings", None) or 2048
    # the harness feeds (context + continuation)[-(max_len + 1):][:-1]
    inputs = [(ctx + cont)[-(max_len + 1) :][:-1] for ctx, cont in pairs]
    width = max(len(x) for x in inputs)
    ids = torch.zeros((len(inputs), width), dtype=torch.long)  # (C, T), right-padded
    mask = torch.zeros_like(ids)
    for i, x in enumerate(inputs):
        ids[i, : len(x)] = torch.tensor(x)
        mask[i, : len(x)] = 1
    with torch.inference_mode():
        logp = torch.log_softmax(model(ids, attention_mask=mask).logits.float(), dim=-1)
    totals = []
    for i, (_, cont) in enumerate(pairs):
        n = len(inputs[i])
        rows = logp[i, n - len(cont) : n]  # (len(cont), V): each row predicts one cont token
        totals.append(float(rows[torch.arange(len(cont)), torch.tensor(cont)].sum()))
    return totals


def continuation_logliks(model, prompt_ids, continuations: list[list[int]]) -> list[float]:
    """Summed log-likelihood of each token list in ``continuations`` after ``prompt_ids``
    (1, T). The prompt runs once; every continuation goes on from a copy of its cache."""
    import copy

    import torch

    with torch.inference_mode():
        out = model(prompt_ids, use_cache=True)
        first = torch.log_softmax(out.logits[0, -1].float(), dim=-1)  # predicts token 1
        scores = []
        for cont in continuations:
            total = float(first[cont[0]])
            if len(cont) > 1:
                ids = torch.tensor([cont[:-1]])
                mask = torch.ones((1, prompt_ids.shape[1] + len(cont) - 1), dtype=torch.long)
                logits = model(
                    ids, attention_mask=mask, use_cache=True, cache=copy.deepcopy(out.cache)
                ).logits
                logp = torch.log_softmax(logits[0].float(), dim=-1)
                total += float(logp[torch.arange(len(cont) - 1), torch.tensor(cont[1:])].sum())
            scores.append(total)
    return scores


def chat_logliks(chat_model, prompt_ids, choices: tuple[str, ...] | list[str]) -> list[float]:
    """Summed log-likelihood of each ``"X. choice"`` after the chat prompt ``prompt_ids``
    (1, T)."""
    tok = chat_model.tokenizer
    conts = [
        tok.encode(f"{LETTERS[i]}. {c}", add_special_tokens=False) for i, c in enumerate(choices)
    ]
    return continuation_logliks(chat_model.hf_model, prompt_ids, conts)


def evidence_scores(index, question: str, choices: tuple[str, ...] | list[str]) -> list[float]:
    """For each choice, the evidence score of the best passage the index finds for the
    question completed by that choice (``index.search(question + " " + choice, k=1)``:
    the best sentence's cosine + key-term share + context, corpus.evidence); 0 when
    nothing is found."""
    scores = []
    for choice in choices:
        hits = index.search(f"{question} {choice}", k=1)
        scores.append(float(hits[0].score) if hits else 0.0)
    return scores


def predictions(logliks: list[float], choices: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """``{"acc": i, "acc_norm": j}``: the choice each rule picks (first on a tie)."""
    norm = [ll / max(len(c), 1) for ll, c in zip(logliks, choices)]
    return {
        "acc": max(range(len(logliks)), key=logliks.__getitem__),
        "acc_norm": max(range(len(norm)), key=norm.__getitem__),
    }
