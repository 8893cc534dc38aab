"""`geofm chat [--file F]... [--load PATH]`: a conversation in the terminal.

Reads one message per line from stdin (so it works with piped input too) and keeps one
session: its workspace and the record of earlier turns, so "now plot it" or "same but
10-40 Hz" follow on. Lines starting with "/" are commands (``/help`` lists them).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import TYPE_CHECKING, TextIO

from agent.cli.ask import format_result
from agent.config import add_agent_options, add_model_options, agent_config_from, model_config_from
from common.errors import GeoFMError

if TYPE_CHECKING:
    from agent.loop import GeoAgent

__all__ = ["add_parser", "repl", "COMMANDS"]

COMMANDS = """\
/files            list the workspace: files, arrays, figures, SEG-Y (with their ids)
/attach PATH...   attach files (SEG-Y, .npy, LAS) to the conversation
/reset            start over (forgets the turns, deletes their workspace items)
/save PATH        save the conversation as JSON (the files stay in the workspace)
/load PATH        continue a saved conversation
/help             this list
/quit             leave (end of input does too)"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "chat",
        help="a conversation: follow-ups refer to earlier files and results",
        description="Talk to geofm one line at a time; follow-ups such as 'now plot "
        "it' or 'same but 10-40 Hz' use the earlier files and results. Commands:\n" + COMMANDS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--file",
        action="append",
        default=[],
        metavar="F",
        help="attach a file before the first message; repeat for several",
    )
    p.add_argument("--load", default=None, metavar="PATH", help="continue a saved conversation")
    add_agent_options(p, steps_help="most tool calls per answer")
    add_model_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from agent.loop import GeoAgent

    config = agent_config_from(args)
    GeoAgent.check_files(args.file)  # a typo should cost a second, not a model load
    agent = GeoAgent.from_defaults(model_config_from(args), config)
    if args.load:
        agent.load_state(args.load)
    if args.file:
        print(format_result(agent.chat("", files=args.file)))
    return repl(agent, sys.stdin, sys.stdout)


def repl(agent: GeoAgent, lines: TextIO, out: TextIO) -> int:
    """Answer each line of ``lines`` in one conversation; 0 at /quit or end of input.
    A failed turn or command prints its reason and the conversation goes on."""
    prompt = lines.isatty()
    if prompt:
        print("geofm chat: type a message, /help for commands, /quit to leave.", file=out)
    while True:
        if prompt:
            print("> ", end="", file=out, flush=True)
        line = lines.readline()
        if not line:
            return 0
        line = line.strip()
        if not line:
            continue
        try:
            if line.startswith("/"):
                if _command(agent, line, out):
                    return 0
                continue
            result = agent.chat(line)
            text = format_result(result)
            if result.uses:
                used = ", ".join(f"{u.id} (turn {u.turn})" for u in result.uses)
                text += f"\n\nUsed: {used}"
            print(text + "\n", file=out, flush=True)
        except GeoFMError as e:
            print(f"geofm: {e}\n", file=out, flush=True)


def _command(agent: GeoAgent, line: str, out: TextIO) -> bool:
    """Run a /command; True to leave."""
    name, *rest = shlex.split(line)
    if name in ("/quit", "/exit"):
        return True
    if name == "/help":
        print(COMMANDS, file=out)
    elif name == "/files":
        ids = agent.workspace.ids()
        listed = [f"  {a.id} {a.kind}: {a.description}" for a in map(agent.workspace.artifact, ids)]
        print("\n".join(listed) if listed else "The workspace is empty.", file=out)
    elif name == "/reset":
        agent.reset()
        print("Started over: the conversation and its workspace items are gone.", file=out)
    elif name in ("/save", "/load", "/attach") and not rest:
        print(f"{name} needs a path, e.g. {name} chat.json", file=out)
    elif name == "/save":
        print(f"Saved to {agent.save_state(rest[0])}", file=out)
    elif name == "/load":
        agent.load_state(rest[0])
        turns = len(agent.conversation.turns)
        print(f"Loaded {rest[0]}: {turns} turn{'s' * (turns != 1)}.", file=out)
    elif name == "/attach":
        print(format_result(agent.chat("", files=rest)), file=out)
    else:
        print(f"unknown command {name}; /help lists them", file=out)
    out.flush()
    return False
