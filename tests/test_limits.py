"""Server limits: each refusal names the limit that was hit and the option that raises it
(array size per call, disk per session, time per call), and a refused call leaves nothing
behind."""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from common.errors import BadInputError
from tools import ALL, REGISTRY, Registry, Tool, ToolResult, Workspace
from tools.limits import LimitedRegistry, ServerLimits, add_limit_options, limits_from
from tools.mcp_sessions import McpSessions


def blow_up(workspace: Workspace, n: int = 10) -> ToolResult:
    """Write an array of zeros.

    Args:
        n: number of float64 samples.
    """
    a = workspace.save_array(np.zeros(n))
    return ToolResult(f"zeros {a.id}", artifacts=[a])


def sleepy(workspace: Workspace, seconds: float = 0.0) -> ToolResult:
    """Write a partial file, then sleep.

    Args:
        seconds: how long to sleep, in s.
    """
    workspace.save_array(np.zeros(4))
    time.sleep(seconds)
    return ToolResult("woke up")


def crash(workspace: Workspace, code: int = 3) -> ToolResult:
    """Exit the process at once, as the kernel's OOM killer would end it.

    Args:
        code: exit status.
    """
    os._exit(code)


CALLS = 0  # calls this process has run: a worker's count grows, a fresh process's is 1


def whoami(workspace: Workspace, seconds: float = 0.0) -> ToolResult:
    """Say which process ran the call, how many calls it has run and what the workspace
    holds, after sleeping.

    Args:
        seconds: how long to sleep first, in s.
    """
    global CALLS
    CALLS += 1
    time.sleep(seconds)
    return ToolResult(
        f"pid {os.getpid()}", metrics={"pid": os.getpid(), "calls": CALLS, "ids": workspace.ids()}
    )


TEST_TOOLS = Registry([Tool.from_function(f) for f in (blow_up, sleepy, crash, whoami)])


def limited(**kw) -> LimitedRegistry:
    return LimitedRegistry(TEST_TOOLS, ServerLimits(**{"request_timeout_s": 0, **kw}))


def test_an_input_array_over_the_limit_is_refused_before_the_call(workspace):
    workspace.save_array(np.zeros((100, 300)))  # 240 000 bytes
    registry = LimitedRegistry(REGISTRY, ServerLimits(max_array_mb=0.1, request_timeout_s=0))
    r = registry.call("fx_decon", {"data": "ws-1"}, workspace)
    assert not r.ok and workspace.ids() == ["ws-1"]
    assert r.summary.startswith("Error: ws-1 holds 0.2 MB, over the 0.1 MB one tool call may read")
    assert "max_array_mb limit" in r.summary and "python app.py --max-array-mb N" in r.summary


def test_a_requested_size_over_the_limit_is_refused_before_the_call(workspace):
    registry = LimitedRegistry(REGISTRY, ServerLimits(max_array_mb=1, request_timeout_s=0))
    r = registry.call("make_synthetic", {"n_traces": 100_000, "n_samples": 100_000}, workspace)
    assert not r.ok and "100000 x 100000 samples make a 76293.9 MB array" in r.summary
    assert "--max-array-mb" in r.summary and workspace.ids() == []
    assert registry.call("make_synthetic", {"n_traces": 40, "n_samples": 100}, workspace).ok


def test_a_written_array_over_the_limit_is_deleted_and_refused(workspace):
    r = limited(max_array_mb=0.01).call("blow_up", {"n": 10_000}, workspace)  # 80 kB
    assert not r.ok and "the result ws-1 holds 0.1 MB" in r.summary and "deleted" in r.summary
    assert "--max-array-mb" in r.summary and list(workspace.root.iterdir()) == []
    assert limited(max_array_mb=0.01).call("blow_up", {"n": 100}, workspace).ok


def test_the_session_quota_refuses_what_would_overfill_it(workspace):
    registry = limited(session_quota_mb=0.05)  # 52 kB
    assert registry.call("blow_up", {"n": 4000}, workspace).ok  # 32 kB
    r = registry.call("blow_up", {"n": 4000}, workspace)  # would make 64 kB
    assert not r.ok and "over its 0.05 MB quota" in r.summary
    assert "session_quota_mb limit" in r.summary and "--session-quota-mb N" in r.summary
    assert workspace.ids() == ["ws-1"]  # the call's own output was deleted
    (workspace.root / "big.bin").write_bytes(b"x" * 60_000)  # e.g. an upload
    r = registry.call("blow_up", {"n": 1}, workspace)
    assert not r.ok and "--session-quota-mb" in r.summary and workspace.ids() == ["ws-1"]


def test_the_session_quota_refuses_an_attachment(tmp_path):
    import app

    limits = ServerLimits(session_quota_mb=0.05)
    sessions = app.Sessions(chat_model=object(), index=None, limits=limits)
    demo = app.build_app(sessions, mcp=True)
    attach = next(f.fn for f in demo.fns.values() if f.api_name == "geofm_attach_file")
    token = sessions.mcp.new()
    small, big = tmp_path / "small.npy", tmp_path / "big.npy"
    np.save(small, np.zeros(100))
    np.save(big, np.zeros(10_000))  # 80 kB
    assert attach(str(small), "", token).startswith("attached ws-1 (array)")
    out = attach(str(big), "", token)
    assert out.startswith("Error: this session's workspace would hold 0.1 MB, over its 0.05 MB")
    assert "--session-quota-mb" in out and sessions.mcp.workspace(token).ids() == ["ws-1"]
    sessions.shutdown()


def test_a_call_past_the_time_cap_is_stopped_and_its_files_deleted(workspace):
    registry = LimitedRegistry(TEST_TOOLS, ServerLimits(request_timeout_s=1))
    assert registry.call("sleepy", {"seconds": 0}, workspace).summary == "woke up"
    assert workspace.ids() == ["ws-1"]
    t0 = time.perf_counter()
    r = registry.call("sleepy", {"seconds": 60}, workspace)
    assert time.perf_counter() - t0 < 10
    assert not r.ok and r.summary.startswith(
        "Error: sleepy ran past the 1 s one tool call may take"
    )
    assert "request_timeout_s limit" in r.summary and "--request-timeout-s N" in r.summary
    assert workspace.ids() == ["ws-1"]  # the stopped call's ws-2 is gone


def test_a_call_whose_process_dies_is_an_error_not_a_dead_server(workspace):
    registry = LimitedRegistry(TEST_TOOLS, ServerLimits(request_timeout_s=30))
    r = registry.call("crash", {"code": 3}, workspace)
    assert not r.ok and "crash stopped unexpectedly (exit code 3" in r.summary
    assert registry.call("sleepy", {"seconds": 0}, workspace).summary == "woke up"  # a new worker
    registry.close()


def test_a_worker_is_reused_with_what_it_loaded(workspace):
    registry = LimitedRegistry(TEST_TOOLS, ServerLimits(request_timeout_s=30), workers=1)
    t0 = time.perf_counter()
    first = registry.call("whoami", {}, workspace)
    t1 = time.perf_counter()
    second = registry.call("whoami", {}, workspace)
    t2 = time.perf_counter()
    assert first.ok and second.ok and first.metrics["pid"] != os.getpid()
    assert second.metrics["pid"] == first.metrics["pid"]
    assert second.metrics["calls"] == first.metrics["calls"] + 1  # the module was not re-imported
    assert t2 - t1 < max(0.5, t1 - t0)  # no process start, no import
    registry.close()
    assert registry.pool.idle_pids() == [] and not _alive(first.metrics["pid"])


def test_a_timed_out_call_kills_only_its_worker(workspace):
    registry = LimitedRegistry(TEST_TOOLS, ServerLimits(request_timeout_s=3), workers=2)
    with ThreadPoolExecutor(2) as run:  # two workers, both kept warm
        calls = [run.submit(registry.call, "whoami", {"seconds": 0.5}, workspace) for _ in "ab"]
        pids = {c.result().metrics["pid"] for c in calls}
    assert len(pids) == 2 and set(registry.pool.idle_pids()) == pids
    r = registry.call("sleepy", {"seconds": 60}, workspace)
    assert not r.ok and "ran past the 3 s" in r.summary and workspace.ids() == []
    alive = {pid for pid in pids if _alive(pid)}
    assert len(alive) == 1 and registry.pool.idle_pids() == list(alive)
    again = registry.call("whoami", {}, workspace)
    assert again.ok and again.metrics["pid"] in alive
    after = registry.call("sleepy", {"seconds": 0}, workspace)  # a fresh worker replaces it
    assert after.summary == "woke up"
    registry.close()


def test_concurrent_calls_get_their_own_workers(tmp_path):
    registry = LimitedRegistry(TEST_TOOLS, ServerLimits(request_timeout_s=30), workers=2)
    spaces = [Workspace(tmp_path / name) for name in "ab"]
    registry.call("whoami", {}, spaces[0])  # one warm worker; the second call starts one
    with ThreadPoolExecutor(2) as run:
        calls = [run.submit(registry.call, "whoami", {"seconds": 1}, ws) for ws in spaces]
        results = [c.result(timeout=30) for c in calls]
    assert all(r.ok for r in results)
    assert results[0].metrics["pid"] != results[1].metrics["pid"]
    assert sorted(registry.pool.idle_pids()) == sorted(r.metrics["pid"] for r in results)
    registry.close()


def test_no_state_passes_from_one_call_to_the_next(tmp_path):
    registry = LimitedRegistry(TEST_TOOLS, ServerLimits(request_timeout_s=30), workers=1)
    a, b = Workspace(tmp_path / "a"), Workspace(tmp_path / "b")
    assert registry.call("blow_up", {"n": 4}, a).summary == "zeros ws-1"
    seen = registry.call("whoami", {}, b)  # the same worker, another session's workspace
    assert seen.metrics["ids"] == [] and seen.metrics["calls"] >= 1
    assert registry.call("blow_up", {"n": 4}, b).summary == "zeros ws-1"  # b's own ids
    assert registry.call("blow_up", {"n": 4}, a).summary == "zeros ws-2"
    assert a.ids() == ["ws-1", "ws-2"] and b.ids() == ["ws-1"]
    assert len({registry.call("whoami", {}, ws).metrics["pid"] for ws in (a, b)}) == 1
    registry.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_tools_in_a_worker_process_give_the_same_results(workspace, tmp_path):
    args = {"n_traces": 30, "n_samples": 64, "seed": 1}
    here = REGISTRY.call("make_synthetic", args, Workspace(tmp_path / "here"))
    registry = LimitedRegistry(REGISTRY, ServerLimits())
    worker = registry.call("make_synthetic", args, workspace)
    registry.close()
    assert worker.summary == here.summary and worker.metrics == here.metrics
    assert np.array_equal(
        np.load(workspace.path("ws-1")), np.load(Workspace(tmp_path / "here").path("ws-1"))
    )


def test_limits_are_options_with_checked_values():
    p = argparse.ArgumentParser()
    add_limit_options(p)
    assert limits_from(p.parse_args([])) == ServerLimits()
    got = limits_from(p.parse_args(["--max-array-mb", "64", "--request-timeout-s", "0"]))
    assert got.max_array_mb == 64 and got.request_timeout_s == 0
    for bad in ({"max_array_mb": 0}, {"session_quota_mb": -1}, {"request_timeout_s": float("nan")}):
        with pytest.raises(BadInputError):
            ServerLimits(**bad)
    assert set(ServerLimits.help()) == {
        "max_array_mb",
        "session_quota_mb",
        "request_timeout_s",
        "session_ttl_s",
        "max_sessions",
    }


def test_mcp_sessions_take_their_limits_from_the_app(tmp_path):
    import app

    s = app.Sessions(
        chat_model=object(),
        index=None,
        limits=ServerLimits(session_ttl_s=5, max_sessions=1),
        workers=3,
    )
    assert isinstance(s.mcp, McpSessions) and s.mcp.ttl_s == 5 and s.mcp.max_sessions == 1
    assert isinstance(s.registry, LimitedRegistry) and s.registry.names() == ALL.names()
    assert s.registry.pool.size == 3
    r = s.registry.call(
        "make_synthetic", {"n_traces": 8, "n_samples": 32}, s.mcp.workspace(s.mcp.new())
    )
    (pid,) = s.registry.pool.idle_pids()
    assert r.ok and _alive(pid)
    s.shutdown()
    assert not s.root.exists() and not _alive(pid) and s.registry.pool.idle_pids() == []
