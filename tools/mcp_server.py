"""The tools as Gradio MCP endpoints, with server-issued sessions and an optional bearer token.

    add_mcp_endpoints(sessions, registry, limits, token=os.environ.get("GEOFM_MCP_TOKEN"))
    demo.launch(mcp_server=True, **launch_options(token))   # inside `with gr.Blocks()`

Endpoints: one per tool (``tools.mcp``; the chat's tools, then ``tools.SEISMOLOGY``), ``geofm_new_session`` (a token, which every other
endpoint requires as ``session``), ``geofm_workspace``, ``geofm_attach_file`` and
``geofm_get_file``. With ``token``, two checks refuse a request that lacks
``Authorization: Bearer <token>``: an ASGI middleware in front of the MCP transport
(``/gradio_api/mcp``: listing and calling tools), and each endpoint's function, which
also runs when the endpoint is reached through Gradio's HTTP API (``/gradio_api/call/``)
rather than MCP. gradio is imported inside the functions that need it.
"""

import functools
import hmac
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common.errors import GeoFMError
from tools.limits import ServerLimits, check_room
from tools.mcp import SESSION_HELP, attach_file, describe_workspace, mcp_functions
from tools.mcp_sessions import McpSessions
from tools.registry import Registry

__all__ = [
    "add_mcp_endpoints",
    "launch_options",
    "BearerAuth",
    "bearer_ok",
    "MCP_PATH",
    "UNAUTHORIZED",
]

MCP_PATH = "/gradio_api/mcp"
UNAUTHORIZED = (
    "unauthorized: this server needs the header `Authorization: Bearer <token>` with the "
    "token it was started with (GEOFM_MCP_TOKEN)"
)


def bearer_ok(authorization: str | None, token: str) -> bool:
    """Whether an ``Authorization`` header value carries ``token`` (compared in constant time)."""
    scheme, _, value = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        value.strip().encode("utf-8", "surrogatepass"), token.encode("utf-8")
    )


class BearerAuth:
    """ASGI middleware: requests under ``prefix`` without the bearer token get 401."""

    def __init__(self, app: Any, token: str, prefix: str = MCP_PATH):
        self.app, self.token, self.prefix = app, token, prefix

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope.get("path", "").startswith(self.prefix):
            headers = dict(scope.get("headers") or [])
            value = headers.get(b"authorization", b"").decode("latin-1")
            if not bearer_ok(value, self.token):
                from starlette.responses import PlainTextResponse

                response = PlainTextResponse(
                    UNAUTHORIZED, status_code=401, headers={"WWW-Authenticate": "Bearer"}
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def launch_options(token: str | None) -> dict[str, Any]:
    """``launch()`` keyword arguments that put :class:`BearerAuth` in front of MCP."""
    if not token:
        return {}
    from starlette.middleware import Middleware

    return {"app_kwargs": {"middleware": [Middleware(BearerAuth, token=token)]}}


def add_mcp_endpoints(
    sessions: McpSessions,
    registry: Registry,
    limits: ServerLimits | None = None,
    concurrency: int = 2,
    token: str | None = None,
) -> None:
    """Every tool of ``registry`` and of ``tools.ALL`` (the domain tools the chat router
    does not route to yet) as an MCP endpoint (``gr.api``), plus the session, attach, list
    and fetch helpers; call inside ``gr.Blocks``."""
    import gradio as gr

    from tools import ALL

    registry = registry.extended(ALL)

    limits = limits or ServerLimits()
    opts: dict[str, Any] = {"concurrency_limit": concurrency, "concurrency_id": "geofm-tools"}

    def guard(fn: Callable) -> Callable:
        return _with_bearer_check(fn, token) if token else fn

    fns = mcp_functions(registry, sessions.workspace)
    for fn in fns:
        gr.api(guard(fn), api_name=fn.__name__, **opts)

    def geofm_new_session() -> str:
        """Start a session and return its token. Every other geofm tool takes this token as `session`; calls with the same token share one workspace (ids such as ws-1). A session unused for a while expires and its workspace is deleted; then start another.

        Returns:
            the session token.
        """
        try:
            return sessions.new()
        except GeoFMError as e:
            return f"Error: {e}"

    def geofm_workspace(session: str = "") -> str:
        """List the items of a session's workspace: id, kind (array, figure, segy, file), description.

        Args:
            session: {SESSION_HELP}
        """
        try:
            return describe_workspace(sessions.workspace(session))
        except GeoFMError as e:
            return f"Error: {e}"

    def geofm_attach_file(file: str, file_name: str = "", session: str = "") -> str:
        """Copy a file (SEG-Y, .npy, LAS, ...) into a session's workspace and return its id (ws-N), which the tools take as `file`.

        Args:
            file: the file to attach.
            file_name: its name with the suffix (e.g. line.sgy), needed when the file is sent as a data: URL, which loses the name.
            session: {SESSION_HELP}
        """
        try:
            ws = sessions.workspace(session)
            check_room(ws, _size(file), limits)
            return attach_file(ws, file, file_name)
        except GeoFMError as e:
            return f"Error: {e}"

    def geofm_get_file(item_id: str, session: str = "") -> str | None:
        """Fetch a workspace item as a file: figures come back as images, arrays (.npy) and SEG-Y as download links.

        Args:
            item_id: the workspace id, e.g. ws-3.
            session: {SESSION_HELP}
        """
        try:
            return str(sessions.workspace(session).path(item_id))
        except GeoFMError as e:
            raise gr.Error(str(e)) from None

    for f in (geofm_workspace, geofm_attach_file, geofm_get_file):
        f.__doc__ = (f.__doc__ or "").replace("{SESSION_HELP}", SESSION_HELP)
    gr.api(guard(geofm_new_session), api_name="geofm_new_session", **opts)
    gr.api(guard(geofm_workspace), api_name="geofm_workspace", **opts)
    # files travel as Gradio FileData (an http(s) URL or data: URL from an MCP client)
    with gr.Row(visible=False):
        f_in, name_in, s_in = gr.File(), gr.Textbox(value=""), gr.Textbox(value="")
        out = gr.Textbox()
        item, f_out = gr.Textbox(), gr.File()
        attach, fetch = gr.Button(), gr.Button()
    attach.click(
        guard(geofm_attach_file), [f_in, name_in, s_in], out, api_name="geofm_attach_file", **opts
    )
    fetch.click(guard(geofm_get_file), [item, s_in], f_out, api_name="geofm_get_file", **opts)


def _size(path: str) -> int:
    p = Path(path)
    return p.stat().st_size if p.is_file() else 0


def _with_bearer_check(fn: Callable, token: str) -> Callable:
    """``fn`` with a trailing ``request: gr.Request`` (which Gradio fills in and leaves
    out of the tool's schema), refused unless the request carries the bearer token."""
    import gradio as gr

    sig = inspect.signature(fn)
    request = inspect.Parameter(
        "request", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None, annotation=gr.Request
    )
    signature = sig.replace(parameters=[*sig.parameters.values(), request])

    @functools.wraps(fn)
    def checked(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind_partial(*args, **kwargs)
        req = bound.arguments.pop("request", None)
        headers = getattr(req, "headers", None) or {}
        if not bearer_ok(headers.get("authorization"), token):
            raise gr.Error(UNAUTHORIZED)
        return fn(*bound.args, **bound.kwargs)

    checked.__signature__ = signature  # type: ignore[attr-defined]
    checked.__annotations__ = {**getattr(fn, "__annotations__", {}), "request": gr.Request}
    del checked.__wrapped__  # Gradio must see `request`, not the wrapped signature
    return checked
