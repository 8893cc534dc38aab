"""`geofm tools`: list the domain tools and run one without the LLM.

    geofm tools list [--json]
    geofm tools run NAME --args '{"data": "ws-1"}' [--workspace DIR] [--file F]... [--json]

``--file`` attaches files to the workspace first (their ids are printed), so they can be
named in ``--args``. Without ``--workspace`` a temporary directory is used and printed.
"""

from __future__ import annotations

import argparse
import json

from common.errors import BadInputError
from tools import ALL, Workspace

__all__ = ["add_parser"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tools", help="list or run the domain tools")
    tsub = p.add_subparsers(dest="tools_command", metavar="SUBCOMMAND", required=True)

    lp = tsub.add_parser("list", help="tool names, descriptions and argument schemas")
    lp.add_argument("--json", action="store_true", help="print the JSON schemas")
    lp.set_defaults(func=_list)

    rp = tsub.add_parser("run", help="run one tool and print its result")
    rp.add_argument("name", help="tool name (see `geofm tools list`)")
    rp.add_argument("--args", default="{}", help="tool arguments as a JSON object")
    rp.add_argument("--workspace", default=None, help="workspace directory (kept)")
    rp.add_argument("--file", action="append", default=[], help="attach a file (repeatable)")
    rp.add_argument("--json", action="store_true", help="print the ToolResult as JSON")
    rp.set_defaults(func=_run)


def _list(args: argparse.Namespace) -> int:
    if args.json:
        print(json.dumps([dict(t.schema(), citations=list(t.citations)) for t in ALL], indent=1))
        return 0
    width = max(len(n) for n in ALL.names())
    for t in ALL:
        params = ", ".join(t.parameters.get("properties", {}))
        print(f"{t.name:<{width}}  {t.description.splitlines()[0]}")
        print(f"{'':<{width}}  args: {params}")
    return 0


def _run(args: argparse.Namespace) -> int:
    try:
        tool_args = json.loads(args.args)
    except json.JSONDecodeError as e:
        raise BadInputError(
            f'--args is not valid JSON ({e}); e.g. --args \'{{"data": "ws-1"}}\''
        ) from None
    if not isinstance(tool_args, dict):
        raise BadInputError('--args must be a JSON object, e.g. \'{"data": "ws-1"}\'')
    ALL.get(args.name)  # unknown names fail before files are copied
    ws = Workspace(args.workspace)
    attached = [(f, ws.add_file(f).id) for f in args.file]
    result = ALL.call(args.name, tool_args, ws)
    if args.json:
        out = result.to_dict()
        out.update(workspace=str(ws.root), attached={f: i for f, i in attached})
        print(json.dumps(out, indent=1))
    else:
        print(f"workspace: {ws.root}")
        for f, i in attached:
            print(f"attached {f} as {i}")
        print(result.summary)
        for a in result.artifacts:
            print(f"  {a.id} [{a.kind}] {a.path}")
        for k, v in result.metrics.items():
            print(f"  {k} = {v:.4g}" if isinstance(v, float) else f"  {k} = {v}")
        for c in result.citations:
            print(f"  cite: {c}")
    return 0 if result.ok else 1
