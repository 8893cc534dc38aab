"""`geofm index`: not built yet (its issue has not landed)."""

from __future__ import annotations

import argparse

from tools.errors import NotBuiltError

__all__ = ["add_parser"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("index", help="(not built yet)")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=_not_built)


def _not_built(args: argparse.Namespace) -> int:
    raise NotBuiltError("`geofm index` is not built yet; see the project's open issues.")
