"""Grammar-constrained tool calls for a local model (xgrammar).

A routing turn is generated under one JSON-schema grammar: the union of, for every tool,
``{"name": <that tool>, "arguments": <its argument schema>}``, plus
``{"name": "answer", "arguments": {}}`` for "no tool, answer in words". Even a 135M model
then always emits a syntactically valid, schema-valid call, in compact JSON (no
whitespace tokens). The same ``{"name", "arguments"}`` form is how past calls appear in
the chat history and in the fine-tuning data.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

__all__ = ["ANSWER", "call_schema", "ToolGrammar", "tools_prompt"]

ANSWER = "answer"  # the pseudo-tool meaning "no tool: answer in words"


def _strict(schema: dict[str, Any]) -> dict[str, Any]:
    """An argument schema that admits no unknown keys (the model must not invent args)."""
    s = dict(schema)
    s.setdefault("type", "object")
    s.setdefault("properties", {})
    s["additionalProperties"] = False
    return s


def call_schema(tools: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON schema a routing turn must satisfy, from OpenAI-style function schemas."""
    options = []
    for t in tools:
        options.append({"type": "object", "additionalProperties": False,
                        "required": ["name", "arguments"],
                        "properties": {"name": {"const": t["name"]},
                                       "arguments": _strict(t.get("parameters") or {})}})
    options.append({"type": "object", "additionalProperties": False,
                    "required": ["name", "arguments"],
                    "properties": {"name": {"const": ANSWER},
                                   "arguments": {"type": "object", "properties": {},
                                                 "additionalProperties": False}}})
    return {"anyOf": options}


def tools_prompt(tools: list[dict[str, Any]]) -> str:
    """The tool list as the local model reads it: one short line per tool, its name,
    required arguments and what it is for in a few words (:func:`purpose`). The grammar
    already admits exactly the schema's arguments; a short list keeps the routing prompt
    (and so its latency and the training cost) small, while the purpose words let a small
    model match "remove the noise" to a denoiser. ``ChatOpenAI`` and other API models
    get the full JSON schemas through ``bind_tools`` instead."""
    from agent import prompts

    lines = []
    for t in tools:
        params = t.get("parameters") or {}
        required = [k for k in params.get("properties", {}) if k in params.get("required", [])]
        lines.append(f"- {t['name']}({', '.join(required)}): {purpose(t.get('description', ''))}")
    return prompts.render("tools", tools="\n".join(lines), answer=ANSWER)


def purpose(description: str, max_words: int = 11) -> str:
    """What a tool is for in a few words: the first clause of its description (up to a
    colon, semicolon or sentence end; a comma after three words or more), parentheses
    dropped, at most ``max_words`` words, without a dangling last word: "Random-noise attenuation by f-x deconvolution (Canales 1984),
    in ..." -> "Random-noise attenuation by f-x deconvolution"."""
    first = re.sub(r"\s*\([^)]*\)", "", description.strip().split("\n")[0])
    clause = re.split(r":|;|\. |\.$", first)[0]
    head, comma, _ = clause.partition(", ")
    if comma and len(head.split()) >= 3:  # "Plot a section, gather, ..." -> "Plot a section"
        clause = head
    words = clause.split()[:max_words]
    while words and (words[-1].lower() in _DANGLING or words[-1].endswith(",")):
        words.pop()
    return " ".join(words)


_DANGLING = {"a", "an", "the", "of", "to", "for", "from", "on", "in", "with", "by", "and",
             "or", "as", "at", "into", "their", "its"}


class ToolGrammar:
    """Compiles the call grammar once per (tokenizer, tool set); hands out processors."""

    def __init__(self, tokenizer, vocab_size: int, tools: list[dict[str, Any]]):
        self.compiled = _compile(_TokenizerKey(tokenizer, vocab_size),
                                 json.dumps(call_schema(tools)))  # key order matters: "name" first

    def logits_processor(self):
        """A fresh (stateful) transformers logits processor for one generate call."""
        import xgrammar as xgr

        return xgr.contrib.hf.LogitsProcessor(self.compiled)


class _TokenizerKey:
    """Hashable by identity, so one compiler serves each loaded tokenizer."""

    def __init__(self, tokenizer, vocab_size: int):
        self.tokenizer, self.vocab_size = tokenizer, vocab_size

    def __hash__(self) -> int:
        return hash((id(self.tokenizer), self.vocab_size))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _TokenizerKey) and other.tokenizer is self.tokenizer \
            and other.vocab_size == self.vocab_size


@lru_cache(maxsize=8)
def _compiler(key: _TokenizerKey):
    import xgrammar as xgr

    info = xgr.TokenizerInfo.from_huggingface(key.tokenizer, vocab_size=key.vocab_size)
    return xgr.GrammarCompiler(info)


@lru_cache(maxsize=32)
def _compile(key: _TokenizerKey, schema_json: str):
    return _compiler(key).compile_json_schema(schema_json, any_whitespace=False,
                                              separators=(",", ":"))
