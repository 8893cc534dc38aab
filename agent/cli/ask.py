"""`geofm ask "QUESTION" [--file F]... [--json]`: one question to the agent."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from agent.config import add_agent_options, add_model_options, agent_config_from, model_config_from

if TYPE_CHECKING:
    from agent.steps import AgentResult

__all__ = ["add_parser", "format_result"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "ask",
        help="ask the agent a question, optionally about files",
        description="Ask geofm a question. Files are copied into the session "
        "workspace and their ids given to the model.",
    )
    p.add_argument("question", help="the question, in quotes")
    p.add_argument(
        "--file",
        action="append",
        default=[],
        metavar="F",
        help="attach a file (SEG-Y, .npy, LAS, ...); repeat for several",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print the AgentResult (answer, citations, steps, artifacts) as JSON",
    )
    add_agent_options(p, steps_help="most tool calls before answering")
    add_model_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from agent.loop import GeoAgent

    config = agent_config_from(args)
    GeoAgent.check_files(args.file)  # a typo should cost a second, not a model load
    agent = GeoAgent.from_defaults(model_config_from(args), config)
    result = agent.ask(args.question, files=args.file)
    if args.json:
        json.dump(result.to_dict(), sys.stdout, indent=2)
        print()
    else:
        print(format_result(result))
    return 0 if result.ok else 1


def format_result(result: AgentResult) -> str:
    """The answer, its references and the artifacts, for a terminal."""
    lines = [result.answer]
    if result.citations:
        lines += ["", "References:"] + [f"  [{c.n}] {c.citation}" for c in result.citations]
    if result.artifacts:
        lines += ["", "Files:"] + [f"  {a.id} {a.kind}: {a.path}" for a in result.artifacts]
    return "\n".join(lines)
