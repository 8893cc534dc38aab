"""The ``geofm`` command line: one module per command group.

    geofm ask "QUESTION" [--file F]... [--json]     ask the agent
    geofm chat [--file F]... [--load PATH]           a conversation, one line per message
    geofm models                                     what is loaded from where
    geofm tools list|run                             run tools without the LLM
    geofm volume list|run                            SEG-Y cubes bigger than memory, on Dask
    geofm index build|add|search|info                the literature index
    geofm bench run|compare                          scripted benchmarks
    geofm finetune ...                               instruction tuning

Each group module has ``add_parser(subparsers)``, which registers its sub-commands and
sets ``func(args) -> int`` on them. Expected errors (``GeoFMError``) print one line to
stderr and exit 1; nothing else is caught. Commands import the agent loop and the chat
models (langchain) inside the functions that run them, so ``geofm --help`` stays fast.
"""

from __future__ import annotations

import argparse
import logging
import sys

from agent.cli import ask, bench, chat, finetune, index, models, tools, volume
from common.errors import GeoFMError

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="geofm", description="geofm: an assistant for geophysical workflows."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for group in (ask, chat, models, tools, volume, index, bench, finetune):
        group.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = argv  # the command line, for reports that record how they were made
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except GeoFMError as e:
        print(f"geofm: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("geofm: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
