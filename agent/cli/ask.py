"""`geofm ask "QUESTION" [--file F]... [--json]`: one question to the agent."""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["add_parser", "add_model_options", "model_config_from"]


def add_model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="embedded",
                   help="'embedded', a transformers model directory, a .gguf file, or "
                        "'openai:NAME' (a model on an OpenAI-compatible server)")
    p.add_argument("--base-url", default=None,
                   help="URL of the OpenAI-compatible server for 'openai:NAME' "
                        "(default: $OPENAI_BASE_URL)")
    p.add_argument("--adapter", default="default",
                   help="'default' (geofm's shipped LoRA adapter, embedded model only), "
                        "'none', or a peft LoRA adapter directory")
    p.add_argument("--max-new-tokens", type=int, default=200, help="cap on generated tokens")
    p.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "int8"],
                   help="weights of a local model: float32 (reference), bfloat16 or int8 "
                        "(faster decoding on CPU)")
    p.add_argument("--backend", default="transformers", choices=["transformers", "llamacpp"],
                   help="what runs a local model: transformers (reference) or llamacpp (the "
                        "GGUF itself, needs `make llamacpp`)")
    p.add_argument("--threads", type=int, default=None,
                   help="CPU threads of a local model (default: torch's; for llamacpp one "
                        "less than the cores, as its threads spin on busy cores)")
    p.add_argument("--free-arguments", action="store_true",
                   help="let a local model's tool calls use any schema-valid number or id, "
                        "not only those the user or a tool gave")


def model_config_from(args: argparse.Namespace):
    from agent.config import ModelConfig

    return ModelConfig(model=args.model, adapter=args.adapter, base_url=args.base_url,
                       max_new_tokens=args.max_new_tokens, dtype=args.dtype,
                       backend=args.backend, threads=args.threads,
                       ground_arguments=not args.free_arguments)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="ask the agent a question, optionally about files",
                       description="Ask geofm a question. Files are copied into the session "
                                   "workspace and their ids given to the model.")
    p.add_argument("question", help="the question, in quotes")
    p.add_argument("--file", action="append", default=[], metavar="F",
                   help="attach a file (SEG-Y, .npy, LAS, ...); repeat for several")
    p.add_argument("--json", action="store_true",
                   help="print the AgentResult (answer, citations, steps, artifacts) as JSON")
    p.add_argument("--no-retrieval", action="store_true", help="do not search the literature")
    p.add_argument("--k", type=int, default=4, help="passages to retrieve")
    p.add_argument("--max-steps", type=int, default=4, help="most tool calls before answering")
    p.add_argument("--workspace", default=None, help="workspace directory (default: temporary)")
    add_model_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from agent.config import AgentConfig
    from agent.loop import GeoAgent

    config = AgentConfig(max_steps=args.max_steps, retrieval=not args.no_retrieval, k=args.k,
                         workspace=args.workspace)
    GeoAgent.check_files(args.file)  # a typo should cost a second, not a model load
    agent = GeoAgent.from_defaults(model_config_from(args), config)
    result = agent.ask(args.question, files=args.file)
    if args.json:
        json.dump(result.to_dict(), sys.stdout, indent=2)
        print()
    else:
        print(format_result(result))
    return 0 if result.ok else 1


def format_result(result) -> str:
    """The answer, its references and the artifacts, for a terminal."""
    lines = [result.answer]
    if result.citations:
        lines += ["", "References:"] + [f"  [{c.n}] {c.citation}" for c in result.citations]
    if result.artifacts:
        lines += ["", "Files:"] + [f"  {a.id} {a.kind}: {a.path}" for a in result.artifacts]
    return "\n".join(lines)
