"""Server-issued MCP sessions: a token is required, sessions cannot reach each other's
workspaces, expiry deletes the workspace (a fake clock), and the per-server bearer token
refuses or accepts requests over MCP and over Gradio's HTTP API."""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest

from common.errors import BadInputError
from tools import REGISTRY
from tools.mcp import mcp_functions
from tools.mcp_server import UNAUTHORIZED, bearer_ok
from tools.mcp_sessions import McpSessions


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_tokens_are_long_random_and_name_no_directory(tmp_path):
    sessions = McpSessions(tmp_path)
    tokens = {sessions.new() for _ in range(50)}
    assert len(tokens) == 50 and all(len(t) >= 43 for t in tokens)  # >= 256 bits
    t = tokens.pop()
    ws = sessions.workspace(t)
    assert ws.root.parent == tmp_path and t not in str(ws.root)


@pytest.mark.parametrize(
    "token, message",
    [
        (None, "this tool needs a session token: call geofm_new_session"),
        ("", "this tool needs a session token: call geofm_new_session"),
        ("default", "this tool needs a session token: call geofm_new_session"),
        ("guessed-name", "unknown session token; call geofm_new_session"),
        ("../../etc", "unknown session token; call geofm_new_session"),
    ],
)
def test_every_tool_requires_an_issued_token(tmp_path, token, message):
    sessions = McpSessions(tmp_path)
    with pytest.raises(BadInputError, match=message):
        sessions.workspace(token)
    fns = {f.__name__: f for f in mcp_functions(REGISTRY, sessions.workspace)}
    out = fns["make_synthetic"](n_traces=8, n_samples=32, session=token)
    assert out.startswith(f"Error: {message}") and "\n" not in out
    assert list(tmp_path.iterdir()) == []  # nothing was written anywhere


def test_no_session_reaches_another_sessions_workspace(tmp_path):
    sessions = McpSessions(tmp_path)
    a, b = sessions.new(), sessions.new()
    fns = {f.__name__: f for f in mcp_functions(REGISTRY, sessions.workspace)}
    assert "artifact ws-1 (array)" in fns["make_synthetic"](n_traces=8, n_samples=32, session=a)
    # b's workspace is empty: a's ws-1 is unknown there, by id or by path
    assert fns["agc"](data="ws-1", session=b).startswith("Error: unknown workspace id 'ws-1'")
    assert sessions.workspace(b).ids() == []
    assert sessions.workspace(a).ids()[:1] == ["ws-1"]
    with pytest.raises(BadInputError, match="outside the workspace"):
        sessions.workspace(b).resolve(f"../{sessions.workspace(a).root.name}/ws-1.npy")


def test_idle_sessions_expire_and_their_workspaces_are_deleted(tmp_path):
    clock = FakeClock()
    sessions = McpSessions(tmp_path, ttl_s=3600, clock=clock)
    idle, busy = sessions.new(), sessions.new()
    idle_root = sessions.workspace(idle).root
    (idle_root / "ws-1.npy").write_bytes(b"x" * 100)
    clock.now += 3000
    sessions.workspace(busy)  # each use restarts a session's clock
    clock.now += 601  # idle: 3601 s unused; busy: 601 s
    with pytest.raises(BadInputError, match="expired after 3600 s unused.*geofm_new_session"):
        sessions.workspace(idle)
    assert not idle_root.exists() and len(sessions) == 1
    assert sessions.workspace(busy).root.exists()
    clock.now += 3601
    assert sessions.sweep() == 1 and list(tmp_path.iterdir()) == []
    sessions.new()
    sessions.close_all()
    assert not tmp_path.exists() and len(sessions) == 0


def test_session_count_is_capped(tmp_path):
    clock = FakeClock()
    sessions = McpSessions(tmp_path, ttl_s=10, max_sessions=2, clock=clock)
    sessions.new(), sessions.new()
    with pytest.raises(BadInputError, match="max_sessions limit.*--max-sessions"):
        sessions.new()
    clock.now += 11  # both expire: room again
    assert sessions.new()


def test_bearer_header_check():
    assert bearer_ok("Bearer s3cret", "s3cret") and bearer_ok("bearer s3cret", "s3cret")
    for header in (None, "", "s3cret", "Bearer", "Bearer wrong", "Basic s3cret", "Bearer s3cre"):
        assert not bearer_ok(header, "s3cret")


# ---- the served app ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def guarded_server():
    """The app with GEOFM_MCP_TOKEN's check on, on a free port, in this process."""
    import app
    from tools.mcp_server import launch_options

    sessions = app.Sessions(chat_model=object(), index=None)
    demo = app.build_app(sessions, mcp=True, mcp_token="s3cret")
    port = _free_port()
    demo.queue(default_concurrency_limit=2).launch(
        server_name="127.0.0.1",
        server_port=port,
        prevent_thread_lock=True,
        quiet=True,
        mcp_server=True,
        **launch_options("s3cret"),
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        demo.close()
        sessions.shutdown()


def _mcp_calls(url: str, headers: dict) -> dict:
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    async def run() -> dict:
        async with (
            streamablehttp_client(url + "/gradio_api/mcp/", headers=headers) as (r, w, _),
            ClientSession(r, w) as s,
        ):
            await s.initialize()
            names = [t.name for t in (await s.list_tools()).tools]
            token = (await s.call_tool("geofm_new_session", {})).content[0].text
            made = await s.call_tool(
                "make_synthetic", {"n_traces": 8, "n_samples": 32, "session": token}
            )
            return {"names": names, "token": token, "made": made.content[0].text}

    out: dict = {}
    t = threading.Thread(target=lambda: out.update(asyncio.run(run())))
    t.start()
    t.join(timeout=120)
    return out


def test_bearer_token_accepts_the_right_header_over_mcp(guarded_server):
    out = _mcp_calls(guarded_server, {"Authorization": "Bearer s3cret"})
    assert "geofm_new_session" in out["names"] and len(out["token"]) >= 43
    assert "artifact ws-1 (array)" in out["made"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}])
def test_bearer_token_refuses_other_requests(guarded_server, headers):
    import httpx

    r = httpx.post(
        guarded_server + "/gradio_api/mcp/",
        headers={**headers, "Accept": "application/json, text/event-stream"},
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
    )
    assert r.status_code == 401 and r.text == UNAUTHORIZED
    # Gradio's HTTP API runs the same functions: refused there too
    r = httpx.post(
        guarded_server + "/gradio_api/call/geofm_new_session", headers=headers, json={"data": []}
    )
    event = httpx.get(f"{guarded_server}/gradio_api/call/geofm_new_session/{r.json()['event_id']}")
    assert "event: error" in event.text and "unauthorized" in event.text
    r = httpx.post(
        guarded_server + "/gradio_api/call/geofm_new_session",
        headers={"Authorization": "Bearer s3cret"},
        json={"data": []},
    )
    event = httpx.get(f"{guarded_server}/gradio_api/call/geofm_new_session/{r.json()['event_id']}")
    assert "event: complete" in event.text
