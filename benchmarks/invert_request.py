"""Whole inversion requests through the agent on a 534 x 1501 line: seconds per request.

Usage::

    .venv/bin/python -m benchmarks.invert_request                      # default backend
    .venv/bin/python -m benchmarks.invert_request --backend llamacpp --out r.json

Each request is asked with the real stack ``data/segy/npra_31_81.sgy`` (534 traces x 1501
samples at 4 ms, no well) attached, through ``GeoAgent.ask``: the model's routing
decisions, reading the SEG-Y, the inversion, its figure and the report. The agent is
warmed up on one literature question first (model loading is not request time); each
request runs ``--repeats`` times and the median is reported. Target (issue 26): at most
10 s per request on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import warnings
from pathlib import Path

from agent.config import AgentConfig, add_model_options, model_config_from
from agent.steps import ToolCall
from benchmarks.report import provenance
from common.paths import geofm_data

LINE = geofm_data() / "data" / "segy" / "npra_31_81.sgy"
REQUESTS = (
    "Invert this stack for acoustic impedance.",
    "Run a post-stack inversion using a 25 Hz Ricker and display the impedance.",
)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3, help="runs of each request")
    p.add_argument("--out", default=None, help="write the report JSON here")
    add_model_options(p)
    args = p.parse_args(argv)
    if not LINE.is_file():
        print(f"{LINE} is absent: set GEOFM_DATA to the folder holding data/segy")
        return 1
    from agent.loop import GeoAgent  # langchain: loaded only when run

    warnings.simplefilter("ignore", FutureWarning)  # PyLops' convmtx notice
    started = provenance()  # the revision that runs
    agent = GeoAgent.from_defaults(model_config_from(args), AgentConfig())
    agent.ask("What is seismic resolution?")  # warm-up: first-call set-up is not latency
    rows = []
    for request in REQUESTS:
        times, tools = [], []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            result = agent.ask(request, files=[str(LINE)])
            times.append(time.perf_counter() - t0)
            tools = [s.name for s in result.steps if isinstance(s, ToolCall)]
        row = {
            "request": request,
            "tools": tools,
            "seconds": [round(t, 2) for t in times],
            "median_s": round(statistics.median(times), 2),
        }
        rows.append(row)
        print(f"{row['median_s']:6.2f} s (median of {args.repeats})  {request}  {tools}")
    report = {
        **started,
        "command": "python -m benchmarks.invert_request"
        + (f" --backend {args.backend}" if args.backend != "transformers" else ""),
        "backend": args.backend,
        "line": "npra_31_81.sgy, 534 x 1501, 4 ms",
        "rows": rows,
    }
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1) + "\n")
        print(f"report: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
