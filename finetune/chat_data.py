"""Chat examples → token ids with labels on the assistant turns only.

An example is one JSONL line ``{"messages": [{"role", "content"}, ...]}``, already in the
form the agent shows the model (system prompt with the tool list, user turn, assistant
reply: a compact JSON call or a cited answer). Loss is taken on assistant tokens only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from common.errors import BadInputError

__all__ = ["read_jsonl", "encode_example", "IGNORE"]

IGNORE = -100  # the label torch's cross-entropy skips


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Examples from a JSONL file; a malformed line is reported with its number."""
    examples = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                ex = json.loads(line)
            except json.JSONDecodeError as e:
                raise BadInputError(f"{path}:{n}: not valid JSON ({e.msg})") from None
            if not isinstance(ex, dict) or not isinstance(ex.get("messages"), list):
                raise BadInputError(f"{path}:{n}: expected an object with a 'messages' list")
            examples.append(ex)
    return examples


def _ids(tokenizer, messages: list[dict[str, str]], add_generation_prompt: bool) -> list[int]:
    enc = tokenizer.apply_chat_template(
        messages, add_generation_prompt=add_generation_prompt, tokenize=True, return_dict=True
    )
    return list(enc["input_ids"])


def encode_example(
    tokenizer, messages: list[dict[str, str]], max_length: int
) -> tuple[list[int], list[int]]:
    """(input_ids, labels), labels = IGNORE except on assistant replies (+ end token).

    Truncation keeps the end (the replies) and cuts the start of the prompt.
    """
    input_ids: list[int] = []
    labels: list[int] = []
    for i, m in enumerate(messages):
        if m["role"] != "assistant":
            continue
        prompt = _ids(tokenizer, messages[:i], add_generation_prompt=True)
        full = _ids(tokenizer, messages[: i + 1], add_generation_prompt=False)
        if full[: len(prompt)] != prompt:
            raise BadInputError(
                "the chat template is not prefix-consistent; cannot mask "
                "the prompt tokens of this model's template"
            )
        new_prompt = prompt[len(input_ids) :]
        reply = full[len(prompt) :]
        # ChatML closes a turn with "<|im_end|>\n": learn the end token, not the newline
        while reply and tokenizer.decode(reply[-1:]).strip() == "":
            reply = reply[:-1]
        input_ids += new_prompt + reply
        labels += [IGNORE] * len(new_prompt) + reply
    if not any(label != IGNORE for label in labels):
        raise BadInputError("an example has no assistant turn to learn from")
    return input_ids[-max_length:], labels[-max_length:]
