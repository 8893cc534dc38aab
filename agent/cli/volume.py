"""`geofm volume`: process SEG-Y cubes bigger than memory in inline blocks on Dask.

    geofm volume list [--json]
    geofm volume run OP IN.sgy OUT.sgy [--args '{"fmin_hz": 5}'] [--workers 2]
        [--memory-budget 2GB] [--scheduler local|threads|sync|tcp://HOST:8786]
        [--block-inlines N] [--overwrite] [--no-progress] [--json]

The files are read and written in place (no workspace copy, so no size limit). A progress
bar counts traces written; the output keeps the input's headers with IEEE float samples.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from common.errors import BadInputError
from tools.volume import (
    block_inlines_for,
    check_output,
    dask_client,
    parse_budget,
    process_volume,
    volume_info,
    worker_count,
)
from tools.volume_ops import describe_ops, make_op

__all__ = ["add_parser"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("volume", help="process SEG-Y cubes bigger than memory, in chunks on Dask")
    vsub = p.add_subparsers(dest="volume_command", metavar="SUBCOMMAND", required=True)

    lp = vsub.add_parser("list", help="the chunked operations and their arguments")
    lp.add_argument("--json", action="store_true", help="print the JSON schemas")
    lp.set_defaults(func=_list)

    rp = vsub.add_parser(
        "run",
        help="apply one operation to a 3D post-stack SEG-Y cube",
        description="Cut the cube into blocks of inlines (plus the op's "
        "halo), process them on Dask workers and write the "
        "output SEG-Y block by block as they finish.",
    )
    rp.add_argument("op", help="operation (see `geofm volume list`)")
    rp.add_argument("input", help="3D post-stack SEG-Y file")
    rp.add_argument("output", help="SEG-Y file to write")
    rp.add_argument("--args", default="{}", help="operation arguments as a JSON object")
    rp.add_argument(
        "--scheduler",
        default="local",
        help="'local' (worker processes, default), 'threads', 'sync' (no Dask, "
        "this process) or a Dask scheduler address, e.g. tcp://HOST:8786 "
        "(its workers must see both files)",
    )
    rp.add_argument(
        "--workers",
        type=int,
        default=min(4, os.cpu_count() or 1),
        help="local workers (default: CPU cores, at most 4)",
    )
    rp.add_argument(
        "--memory-budget",
        default="2GB",
        help="memory for the whole run (workers and this process), e.g. 1GB "
        "or 512MiB; sets the block size and each local worker's limit "
        "(default 2GB)",
    )
    rp.add_argument(
        "--block-inlines",
        type=int,
        default=None,
        help="inlines per block (default: the most the budget allows)",
    )
    rp.add_argument("--overwrite", action="store_true", help="replace an existing output")
    rp.add_argument("--no-progress", action="store_true", help="no progress bar")
    rp.add_argument("--json", action="store_true", help="print the report as JSON")
    rp.set_defaults(func=_run)


def _list(args: argparse.Namespace) -> int:
    ops = describe_ops()
    if args.json:
        print(json.dumps(ops, indent=1))
        return 0
    width = max(len(o["name"]) for o in ops)
    for o in ops:
        print(f"{o['name']:<{width}}  {o['description'].splitlines()[0]}")
        print(f"{'':<{width}}  args: {', '.join(o['parameters'].get('properties', {})) or '-'}")
    return 0


def _run(args: argparse.Namespace) -> int:
    try:
        op_args = json.loads(args.args)
    except json.JSONDecodeError as e:
        raise BadInputError(
            f"--args is not valid JSON ({e}); e.g. --args '{{\"fmin_hz\": 5}}'"
        ) from None
    if not isinstance(op_args, dict):
        raise BadInputError("--args must be a JSON object, e.g. '{\"fmin_hz\": 5}'")
    parse_budget(args.memory_budget)
    info = volume_info(args.input)
    op = make_op(args.op, info, op_args)  # bad arguments fail before any worker starts
    check_output(info, args.output, args.overwrite)
    if args.scheduler != "sync" and not getattr(args, "verbose", False):
        import distributed  # noqa: F401  (sets its loggers to INFO on import)

        # Dask logs every worker's start and stop at INFO
        logging.getLogger("distributed").setLevel(logging.WARNING)
    with dask_client(args.scheduler, args.workers, args.memory_budget) as client:
        n = args.block_inlines or block_inlines_for(
            info, op, args.memory_budget, worker_count(client)
        )
        bar = None
        if not args.no_progress:
            from tqdm import tqdm

            bar = tqdm(
                total=info.n_traces, unit="trace", unit_scale=True, file=sys.stderr, desc=op.name
            )

        def progress(done: int, total: int) -> None:
            if bar is not None:
                bar.update(done - bar.n)

        try:
            report = process_volume(
                info,
                args.output,
                op,
                client,
                block_inlines=n,
                progress=progress,
                overwrite=args.overwrite,
            )
        finally:
            if bar is not None:
                bar.close()
    if args.json:
        print(json.dumps({**report.to_dict(), "citations": list(op.citations)}, indent=1))
        return 0
    print(
        f"{op.name} {info.path} -> {report.output}: {report.shape} cube, "
        f"{report.n_traces} traces in {report.n_blocks} blocks of {report.block_inlines} "
        f"inlines (halo {report.halo}) on {report.workers} worker(s), "
        f"{report.seconds:.1f} s, {report.traces_per_s:.0f} traces/s"
    )
    for c in op.citations:
        print(f"  cite: {c}")
    return 0
