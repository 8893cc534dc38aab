"""Runs the fuzz cases (``tests.fuzz_inputs``) through a surface and judges each outcome.

    outcomes = run_cases(cases, surface="api")       # "api", "mcp" or "cli", in process
    python -m tests.fuzz_runner --seed 0 --surface api --out out.jsonl   # a capped worker

A case passes when its call gives a valid result or a one-line error (a ``GeoFMError``
message, the agent's ``Error: ...`` observation, ``geofm: error: ...`` on the CLI): never
a traceback, an unexpected exception type, a hang (SIGALRM after ``CASE_TIMEOUT_S``) or a
pickle load. The worker caps its address space (RLIMIT_AS) and reports its peak RSS.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import pickle
import resource
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.fuzz_inputs import Case, make_cases, write_valid_files

__all__ = ["Outcome", "run_cases", "warm_up", "worker", "CASE_TIMEOUT_S", "SURFACES"]

CASE_TIMEOUT_S = 10


@dataclass
class Outcome:
    """What one case gave: ok (a valid result), error (a one-line error) or a failure."""

    id: str
    kind: str
    surface: str
    tool: str
    status: str  # "ok", "error" or "fail"
    message: str
    seconds: float
    pickle_loads: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


# ---- running ----------------------------------------------------------------------------
class _Timeout(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds: int) -> Iterator[None]:
    def on_alarm(signum: int, frame: Any) -> None:
        raise _Timeout(f"over {seconds} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


class _PickleCounter:
    """Counts pickle.load / pickle.loads calls while installed (np.load unpickles with them)."""

    def __init__(self) -> None:
        self.calls = 0

    @contextlib.contextmanager
    def watch(self) -> Iterator[None]:
        load, loads = pickle.load, pickle.loads

        def counted_load(*a: Any, **k: Any) -> Any:
            self.calls += 1
            return load(*a, **k)

        def counted_loads(*a: Any, **k: Any) -> Any:
            self.calls += 1
            return loads(*a, **k)

        pickle.load, pickle.loads = counted_load, counted_loads  # type: ignore[assignment]
        try:
            yield
        finally:
            pickle.load, pickle.loads = load, loads  # type: ignore[assignment]


def _classify_summary(summary: str, ok: bool) -> tuple[str, str]:
    if ok:
        return "ok", summary.splitlines()[0] if summary else ""
    if "failed unexpectedly" in summary or "Traceback" in summary:
        return "fail", summary
    if not summary.startswith("Error: ") or "\n" in summary.strip():
        return "fail", f"not a one-line error: {summary[:300]!r}"
    return "error", summary


def _api(case: Case, root: Path) -> tuple[str, str]:
    from agent.loop import GeoAgent
    from common.errors import GeoFMError
    from tools import ALL, Workspace

    try:  # what GeoAgent.attach checks first: a GeoFMError is the one-line refusal
        GeoAgent.check_files(list(case.files))
    except GeoFMError:
        pass
    ws = Workspace(root)  # the registry (`geofm tools run`, ALL.call) meets them all
    for f in case.files:
        ws.add_file(f)
    result = ALL.call(case.tool, case.args, ws)
    return _classify_summary(result.summary, result.ok)


def _mcp(case: Case, root: Path) -> tuple[str, str]:
    from common.errors import GeoFMError
    from tools import ALL, Workspace
    from tools.mcp import attach_file, mcp_functions

    spaces: dict[str, Workspace] = {}

    def workspace_for(name: str) -> Workspace:
        return spaces.setdefault(name, Workspace(root / name))

    for f in case.files:
        try:  # geofm_attach_file (tools.mcp_server): a GeoFMError becomes "Error: ..."
            attach_file(workspace_for("fuzz"), f)
        except GeoFMError as e:
            return "error", f"Error: {e}"
    fn = {f.__name__: f for f in mcp_functions(ALL, workspace_for)}[case.tool]
    args = case.args if isinstance(case.args, dict) else {"args": case.args}
    text = fn(**args, session="fuzz")
    return _classify_summary(text, not text.startswith("Error: "))


def _cli(case: Case, root: Path) -> tuple[str, str]:
    from agent.cli import main

    argv = ["tools", "run", case.tool, "--workspace", str(root / "ws")]
    try:
        argv += ["--args", json.dumps(case.args)]
    except (TypeError, ValueError):
        return "error", "not expressible as JSON (a lone surrogate); skipped"
    for f in case.files:
        argv += ["--file", f]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    stderr, stdout = err.getvalue(), out.getvalue()
    if "Traceback" in stderr or "Traceback" in stdout:
        return "fail", stderr[-500:]
    if code == 0:
        return "ok", stdout.splitlines()[-1] if stdout else ""
    if code != 1:
        return "fail", f"exit code {code}"
    if stderr.startswith("geofm: error: "):
        if "\n" in stderr.strip():
            return "fail", f"not a one-line error: {stderr[:300]!r}"
        return "error", stderr.strip()
    summary = next((ln for ln in stdout.splitlines() if ln.startswith("Error: ")), "")
    if not summary:
        return "fail", f"exit 1 without an error line: {stdout[-300:]!r} {stderr[-300:]!r}"
    return _classify_summary(summary, False)


SURFACES: dict[str, Callable[[Case, Path], tuple[str, str]]] = {
    "api": _api,
    "mcp": _mcp,
    "cli": _cli,
}


def warm_up(models: bool = True) -> float:
    """Run the slow-to-start tools once on valid data (matplotlib; with ``models``, torch
    and the GeoFM heads), so that the per-case time limit measures the input, not a
    first load. Returns the seconds it took."""
    from tools import ALL, Workspace

    t0 = time.perf_counter()
    names = ["plot_section", "plot_grid"]
    if models:
        names += ["geofm_denoise", "geofm_interpolate", "geofm_faults"]
    with tempfile.TemporaryDirectory(prefix="geofm-fuzz-warm-") as tmp:
        files = write_valid_files(Path(tmp) / "files")
        ws = Workspace(Path(tmp) / "ws")
        ws.add_file(files[0])
        for name in names:
            ALL.call(name, {"data": "ws-1"}, ws)
        for quantity in ("gravity", "magnetic"):  # numba compiles Harmonica's kernels
            grid = ALL.call("model_prisms", {"quantity": quantity, "n_nodes": 8}, ws)
            ALL.call("upward_continue", {"data": grid.artifacts[0].id, "height_m": 100.0}, ws)
    return time.perf_counter() - t0


class _NoPassages:
    """Stands in for the literature index: the first real search builds the index (a
    minute), which is not what the fuzz measures; queries still reach ``search``."""

    def search(self, query: str, k: int = 5) -> list[Any]:
        query.encode("utf-8")  # what an embedder does first with the text
        return []


@contextlib.contextmanager
def _stub_literature() -> Iterator[None]:
    from tools import literature

    real = literature._open
    literature._open = _NoPassages  # type: ignore[assignment]
    try:
        yield
    finally:
        literature._open = real  # type: ignore[assignment]


def run_cases(
    cases: list[Case],
    surface: str = "api",
    timeout_s: int = CASE_TIMEOUT_S,
    progress: Callable[[Case], None] | None = None,
) -> list[Outcome]:
    """Run each case through ``surface`` ("api", "mcp" or "cli") in this process, each in
    a fresh workspace, under a SIGALRM time limit; count pickle loads."""
    import logging

    counter = _PickleCounter()
    outcomes: list[Outcome] = []
    run = SURFACES[surface]
    was = logging.root.manager.disable
    logging.disable(logging.CRITICAL)  # tool crashes are in the outcome, not on stderr
    try:
        with _stub_literature():
            return _run(cases, run, surface, timeout_s, progress, counter, outcomes)
    finally:
        logging.disable(was)


def _run(
    cases: list[Case],
    run: Callable[[Case, Path], tuple[str, str]],
    surface: str,
    timeout_s: int,
    progress: Callable[[Case], None] | None,
    counter: _PickleCounter,
    outcomes: list[Outcome],
) -> list[Outcome]:
    for case in cases:
        if progress:
            progress(case)
        before = counter.calls
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="geofm-fuzz-") as tmp:
            try:
                with counter.watch(), _time_limit(timeout_s):
                    status, message = run(case, Path(tmp))
            except _Timeout as e:
                status, message = "fail", f"hang: {e}"
            except BaseException as e:  # noqa: BLE001 - what the fuzz looks for
                if isinstance(e, KeyboardInterrupt):
                    raise
                status, message = "fail", f"raised {type(e).__name__}: {str(e)[:300]}"
        loads = counter.calls - before
        if loads:
            status, message = "fail", f"{loads} pickle load(s); {message}"
        outcomes.append(
            Outcome(
                case.id,
                case.kind,
                surface,
                case.tool,
                status,
                message[:500],
                time.perf_counter() - t0,
                loads,
                {"note": case.note},
            )
        )
    return outcomes


def worker(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m tests.fuzz_inputs``: outcomes as JSON lines in --out."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n-files", type=int, default=200)
    p.add_argument("--n-args", type=int, default=200)
    p.add_argument("--surface", default="api", choices=sorted(SURFACES))
    p.add_argument("--out", required=True)
    p.add_argument("--mem-cap-gb", type=float, default=6.0)
    p.add_argument(
        "--no-models",
        action="store_true",
        help="no GeoFM weights (the geofm_* tools answer 'no weights'): skips loading torch",
    )
    a = p.parse_args(argv)
    import os

    os.environ["GEOFM_HOME"] = tempfile.mkdtemp(prefix="geofm-fuzz-home-")  # no user cache
    if a.no_models:
        os.environ["GEOFM_VISION_WEIGHTS"] = tempfile.mkdtemp(prefix="geofm-fuzz-weights-")
    cap = int(a.mem_cap_gb * 1024**3)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    with (
        tempfile.TemporaryDirectory(prefix="geofm-fuzz-files-") as tmp,
        open(a.out, "w") as out,
    ):
        cases = make_cases(Path(tmp), a.seed, a.n_files, a.n_args)
        out.write(json.dumps({"warm_up_s": warm_up(models=not a.no_models)}) + "\n")

        def started(case: Case) -> None:  # the last "started" line names a case that killed us
            out.write(json.dumps({"started": case.id, "tool": case.tool}) + "\n")
            out.flush()

        for case in cases:
            (o,) = run_cases([case], a.surface, progress=started)
            out.write(json.dumps(asdict(o)) + "\n")
            out.flush()
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        out.write(json.dumps({"done": len(cases), "max_rss_mb": rss_mb}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(worker())
