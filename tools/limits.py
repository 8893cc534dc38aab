"""Limits that protect a shared server: array size per tool call, disk per session, time
per tool call, and how many MCP sessions may live at once.

    limits = ServerLimits(max_array_mb=256, request_timeout_s=60)
    registry = LimitedRegistry(REGISTRY, limits, workers=2)  # same tools, calls checked
    registry.call("fx_decon", {"data": "ws-1"}, ws)  # ToolResult.error(...) when refused
    registry.close()                                 # stops the worker processes

A refused call comes back as ``ToolResult.error`` (``Error: ...`` over MCP) naming the
limit, the value that hit it and the option that raises it. With ``request_timeout_s``
each call runs in a worker process of a :class:`WorkerPool`: long-lived processes started
from a server process that has imported the tools (never forked from the threaded app),
each running one call at a time and kept warm between calls, so what a tool loads once
(matplotlib, torch, the GeoFM weights) stays loaded. A call that runs past the cap is
stopped, not merely abandoned: its worker is killed, what the call had written is deleted
and a fresh worker takes its place at the next call. The workspace is passed with each
call and built anew in the worker, so nothing of one call's session reaches the next.
``registry.close()`` (and interpreter exit) stops the workers. ``app.py`` builds these
from its command-line options (:func:`add_limit_options`).
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import re
import shutil
import signal
import sys
import threading
import weakref
from dataclasses import dataclass, field, fields
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from common.errors import BadInputError
from common.memory import trim_heap, tune_heap
from tools.registry import WORKSPACE_ID_PATTERN, Registry, Tool
from tools.result import ToolResult
from tools.workspace import Workspace

__all__ = [
    "ServerLimits",
    "LimitedRegistry",
    "WorkerPool",
    "add_limit_options",
    "limits_from",
    "limit_message",
    "workspace_bytes",
    "item_bytes",
    "check_room",
]

log = logging.getLogger(__name__)
MB = 1024**2


@dataclass
class ServerLimits:
    """What one request or one session may use on a shared server (the app, MCP)."""

    max_array_mb: float = field(
        default=512,
        metadata={
            "help": "largest array (or SEG-Y file) one tool call may read or write, in MB; "
            "checked before the call for its inputs and for the n_traces x n_samples it "
            "asks for, after it for what it wrote",
            "flag": "--max-array-mb",
        },
    )
    session_quota_mb: float = field(
        default=4096,
        metadata={
            "help": "disk one session's workspace may hold, in MB (uploads and tool outputs)",
            "flag": "--session-quota-mb",
        },
    )
    request_timeout_s: float = field(
        default=600,
        metadata={
            "help": "longest one tool call may run, in seconds, before it is stopped (0: no "
            "cap; calls then run in the server process, not in worker processes)",
            "flag": "--request-timeout-s",
        },
    )
    session_ttl_s: float = field(
        default=3600,
        metadata={
            "help": "an MCP session unused this many seconds expires and its workspace is deleted",
            "flag": "--session-ttl-s",
        },
    )
    max_sessions: int = field(
        default=100,
        metadata={
            "help": "MCP sessions that may be open at once (each may hold session_quota_mb)",
            "flag": "--max-sessions",
        },
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, (int, float)) or not np.isfinite(value) or value < 0:
                raise BadInputError(f"{f.name} must be a number >= 0, got {value!r}")
        for name in ("max_array_mb", "session_quota_mb", "session_ttl_s", "max_sessions"):
            if getattr(self, name) == 0:
                raise BadInputError(f"{name} must be > 0")

    @staticmethod
    def help() -> dict[str, str]:
        return {f.name: f.metadata["help"] for f in fields(ServerLimits)}


def limit_message(name: str, detail: str) -> str:
    """``detail`` plus which limit refused it and how to raise it."""
    flag = next(f.metadata["flag"] for f in fields(ServerLimits) if f.name == name)
    return (
        f"{detail}. This server's {name} limit refused it; whoever runs the server can "
        f"raise it with `python app.py {flag} N` (ServerLimits({name}=N) in Python)."
    )


def add_limit_options(p: argparse.ArgumentParser) -> None:
    """The ``ServerLimits`` fields as options (``--max-array-mb`` ...)."""
    defaults = ServerLimits()
    for f in fields(ServerLimits):
        kind = int if f.type in (int, "int") else float
        p.add_argument(
            f.metadata["flag"],
            type=kind,
            default=getattr(defaults, f.name),
            help=f"{f.metadata['help']} (default %(default)s)",
        )


def limits_from(args: argparse.Namespace) -> ServerLimits:
    """The ``ServerLimits`` of options added by :func:`add_limit_options`."""
    return ServerLimits(**{f.name: getattr(args, f.name) for f in fields(ServerLimits)})


def workspace_bytes(ws: Workspace) -> int:
    """Bytes of every file in the workspace."""
    return sum(p.stat().st_size for p in ws.root.rglob("*") if p.is_file())


def item_bytes(ws: Workspace, item_id: str) -> int:
    """Bytes an item takes in memory once read: an array's data (from its ``.npy``
    header, without loading it), the file size for anything else."""
    meta = ws.meta(item_id)
    path = ws.root / meta["file"]
    if meta["kind"] == "array" and "shape" in meta.get("metadata", {}):
        shape, dtype = meta["metadata"]["shape"], meta["metadata"].get("dtype", "float64")
        try:
            return int(np.prod(shape, dtype=object)) * np.dtype(dtype).itemsize
        except TypeError:
            pass
    return path.stat().st_size if path.exists() else 0


def check_room(ws: Workspace, extra_bytes: int, limits: ServerLimits) -> None:
    """BadInputError when ``extra_bytes`` more would take ``ws`` over its quota."""
    used, quota = workspace_bytes(ws), limits.session_quota_mb * MB
    if used + extra_bytes > quota:
        raise BadInputError(
            limit_message(
                "session_quota_mb",
                f"this session's workspace would hold {(used + extra_bytes) / MB:.1f} MB, over "
                f"its {limits.session_quota_mb:g} MB quota (start a new session to begin "
                "with an empty workspace)",
            )
        )


class LimitedRegistry(Registry):
    """``base``'s tools, each call checked against ``limits`` (see the module doc).

    With ``limits.request_timeout_s`` the calls run in a :class:`WorkerPool` that keeps
    ``workers`` processes warm (the server's tool concurrency: ``app.py --concurrency``);
    :meth:`close` stops them."""

    def __init__(self, base: Registry, limits: ServerLimits, workers: int = 2):
        super().__init__(list(base))
        self.limits = limits
        self.pool = WorkerPool(workers)
        weakref.finalize(self, self.pool.close)  # at interpreter exit, or when dropped

    def close(self) -> None:
        """Stop the worker processes (calls made later start fresh ones)."""
        self.pool.close()

    def call(self, name: str, args: dict[str, Any], workspace: Workspace) -> ToolResult:
        try:
            tool = self.get(name)
            self._check_inputs(tool, args, workspace)
        except BadInputError as e:
            return ToolResult.error(str(e))
        if self.limits.request_timeout_s:
            result = self._call_in_worker(tool, args, workspace)
        else:
            result = super().call(name, args, workspace)
        try:
            self._check_outputs(result, workspace)
        except BadInputError as e:
            _delete_items(workspace, [a.id for a in result.artifacts])
            return ToolResult.error(str(e))
        return result

    def _check_inputs(self, tool: Tool, args: dict[str, Any], ws: Workspace) -> None:
        check_room(ws, 0, self.limits)
        cap = self.limits.max_array_mb * MB
        if not isinstance(args, dict):
            return  # the tool's own validation says what is wrong
        for value in args.values():
            for ref in value if isinstance(value, list) else [value]:
                if isinstance(ref, str) and ref in ws and (n := item_bytes(ws, ref)) > cap:
                    raise BadInputError(
                        limit_message(
                            "max_array_mb",
                            f"{ref} holds {n / MB:.1f} MB, over the {self.limits.max_array_mb:g}"
                            f" MB one tool call may read (cut it down first, or process the "
                            "volume in chunks with `geofm volume run`)",
                        )
                    )
        try:
            values = tool.validate(args)
        except BadInputError:
            return  # the call itself reports it
        n_traces, n_samples = values.get("n_traces"), values.get("n_samples")
        if isinstance(n_traces, int) and isinstance(n_samples, int):
            n = n_traces * n_samples * np.dtype("float64").itemsize
            if n > cap:
                raise BadInputError(
                    limit_message(
                        "max_array_mb",
                        f"{n_traces} x {n_samples} samples make a {n / MB:.1f} MB array, over "
                        f"the {self.limits.max_array_mb:g} MB one tool call may write",
                    )
                )

    def _check_outputs(self, result: ToolResult, ws: Workspace) -> None:
        cap = self.limits.max_array_mb * MB
        for a in result.artifacts:
            if a.id in ws and a.kind == "array" and (n := item_bytes(ws, a.id)) > cap:
                raise BadInputError(
                    limit_message(
                        "max_array_mb",
                        f"the result {a.id} holds {n / MB:.1f} MB, over the "
                        f"{self.limits.max_array_mb:g} MB one tool call may write; it was "
                        "deleted",
                    )
                )
        if result.ok:
            check_room(ws, 0, self.limits)

    def _call_in_worker(self, tool: Tool, args: dict[str, Any], ws: Workspace) -> ToolResult:
        before = {p.name for p in ws.root.iterdir()}
        timeout = self.limits.request_timeout_s
        worker = self.pool.acquire()
        try:
            worker.conn.send((tool.fn, tool.citations, args, str(ws.root)))
            if worker.conn.poll(timeout):
                result = worker.conn.recv()
                self.pool.release(worker)
                return result
        except (EOFError, OSError):  # the worker died: out of memory, a crash
            exitcode = worker.stop()
            self.pool.release(worker)
            log.warning("tool %s died with exit code %s", tool.name, exitcode)
            _delete_new(ws, before)
            return ToolResult.error(
                f"{tool.name} stopped unexpectedly (exit code {exitcode}; out "
                "of memory?). Try a smaller input or other arguments."
            )
        except BaseException:
            worker.stop()  # where the call stands is unknown: the worker is not reused
            self.pool.release(worker)
            raise
        worker.stop()
        self.pool.release(worker)
        _delete_new(ws, before)
        return ToolResult.error(
            limit_message(
                "request_timeout_s",
                f"{tool.name} ran past the {timeout:g} s one tool call may take and was "
                "stopped; what it had written was deleted",
            )
        )


class WorkerPool:
    """Worker processes that run tool calls, one call at a time each, kept between calls.

    ``acquire`` hands a thread an idle worker, or starts one when none is idle (so a call
    never waits behind another); ``release`` takes it back, keeping at most ``size`` idle
    and stopping the rest. A worker that was stopped (a call past the time cap) or died is
    dropped and replaced at the next ``acquire``. Workers are started from
    :func:`_context` (a forkserver that has imported the tools, or spawn) and run
    :func:`_serve`."""

    def __init__(self, size: int = 2):
        if size < 1:
            raise BadInputError(f"a worker pool needs at least 1 worker, got {size}")
        self.size = size
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False

    def acquire(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()  # the most recently used: the warmest
                if worker.process.is_alive():
                    return worker
                worker.stop()  # died while idle
        return _Worker(_context())

    def release(self, worker: _Worker) -> None:
        with self._lock:
            if worker.process.is_alive() and not self._closed and len(self._idle) < self.size:
                self._idle.append(worker)
                return
        worker.stop()

    def idle_pids(self) -> list[int | None]:
        with self._lock:
            return [w.process.pid for w in self._idle]

    def close(self) -> None:
        """Stop the idle workers; a worker busy with a call is stopped when it ends."""
        with self._lock:
            self._closed, idle, self._idle = True, self._idle, []
        for worker in idle:
            worker.stop(ask=True)


TERMINATE_GRACE_S = 1.0


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, ctx: Any):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child,), daemon=True, name="geofm-tools")
        self.process.start()
        child.close()

    def stop(self, ask: bool = False) -> int | None:
        """End the process (asked to exit when ``ask``, then SIGTERM, then SIGKILL after
        ``TERMINATE_GRACE_S`` each); its exit code."""
        p = self.process
        if ask and p.is_alive():
            try:
                self.conn.send(None)
                p.join(TERMINATE_GRACE_S)
            except OSError:
                pass
        if p.is_alive():
            p.terminate()
            p.join(TERMINATE_GRACE_S)
        if p.is_alive():
            p.kill()
        p.join()
        self.conn.close()
        return p.exitcode


_CONTEXT: Any = None
_CONTEXT_LOCK = threading.Lock()


def _context() -> Any:
    """A forkserver whose server process has imported the tools: each worker forks from it
    ready (milliseconds), never a copy of the threaded app."""
    global _CONTEXT
    with _CONTEXT_LOCK:
        if _CONTEXT is None:
            _CONTEXT = _new_context()
    return _CONTEXT


def _new_context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if "forkserver" in methods:
        # each worker prepares itself by importing the parent's main script unless the
        # server has done it once (app.py is light to import: gradio loads inside)
        main = getattr(sys.modules["__main__"], "__file__", None)
        preload = ["__main__"] if main and Path(main).is_file() else []
        ctx.set_forkserver_preload([*preload, "tools"])
    return ctx


def _serve(conn: Connection) -> None:
    """A worker's loop: receive (tool function, citations, args, workspace root), run it
    with :func:`_run`, send the ``ToolResult`` back; until ``None`` or the pipe closes.
    Ctrl-C in the server's terminal reaches the worker too: the server stops it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    tune_heap()
    while _serve_one(conn):
        trim_heap()  # what the call freed goes back to the system between calls


def _serve_one(conn: Connection) -> bool:
    """One request answered (its locals, the call's arguments among them, end with it);
    False when the worker is to exit."""
    try:
        request = conn.recv()
    except (EOFError, OSError):
        return False  # the server has gone
    except Exception as e:  # a function this process cannot import
        result = ToolResult.error(f"the tool could not be loaded ({type(e).__name__}: {e})")
    else:
        if request is None:
            return False
        result = _run(*request)
    try:
        conn.send(result)
    except (EOFError, OSError):
        return False
    except Exception as e:  # a result that cannot be pickled
        conn.send(ToolResult.error(f"the tool's result could not be sent back ({e})"))
    return True


def _run(fn: Any, citations: tuple[str, ...], args: dict[str, Any], root: str) -> ToolResult:
    """One call, with its own ``Tool`` and ``Workspace``: only what modules keep (loaded
    models) stays in the worker for the next call."""
    try:
        tool = Tool.from_function(fn, citations=citations)
    except Exception as e:
        return ToolResult.error(f"the tool could not be loaded ({type(e).__name__}: {e})")
    return Registry([tool]).call(tool.name, args, Workspace(root))


def _delete_items(ws: Workspace, ids: list[str]) -> None:
    for item_id in ids:
        if not _is_id(item_id):
            continue
        for p in [*ws.root.glob(f"{item_id}.*"), ws.root / f".{item_id}.json.tmp"]:
            _remove(p)


def _delete_new(ws: Workspace, before: set[str]) -> None:
    for p in ws.root.iterdir():
        if p.name not in before:
            _remove(p)


def _remove(p: Path) -> None:
    if p.is_dir():
        shutil.rmtree(p, ignore_errors=True)
    else:
        p.unlink(missing_ok=True)


def _is_id(item_id: str) -> bool:
    return re.match(WORKSPACE_ID_PATTERN, item_id) is not None
