"""Server limits: each refusal names the limit that was hit and the option that raises it
(array size per call, disk per session, time per call), and a refused call leaves nothing
behind."""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pytest

from common.errors import BadInputError
from tools import REGISTRY, Registry, Tool, ToolResult, Workspace
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


TEST_TOOLS = Registry([Tool.from_function(f) for f in (blow_up, sleepy, crash)])


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


def test_tools_in_a_child_process_give_the_same_results(workspace, tmp_path):
    args = {"n_traces": 30, "n_samples": 64, "seed": 1}
    here = REGISTRY.call("make_synthetic", args, Workspace(tmp_path / "here"))
    child = LimitedRegistry(REGISTRY, ServerLimits()).call("make_synthetic", args, workspace)
    assert child.summary == here.summary and child.metrics == here.metrics
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
        chat_model=object(), index=None, limits=ServerLimits(session_ttl_s=5, max_sessions=1)
    )
    assert isinstance(s.mcp, McpSessions) and s.mcp.ttl_s == 5 and s.mcp.max_sessions == 1
    assert isinstance(s.registry, LimitedRegistry) and s.registry.names() == REGISTRY.names()
    s.shutdown()
    assert not s.root.exists()
