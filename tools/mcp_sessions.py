"""Server-issued MCP sessions: an unguessable token per session, each with its own workspace.

    sessions = McpSessions(root, ttl_s=3600)
    token = sessions.new()          # 43 URL-safe characters, 256 random bits
    ws = sessions.workspace(token)  # BadInputError for a missing, unknown or expired token

A caller cannot name a workspace: the server makes the token (``secrets.token_urlsafe``)
and the workspace directory is named after its SHA-256, so neither the token nor another
session's directory can be derived from what a caller sees. A session unused for
``ttl_s`` seconds expires and its workspace is deleted, lazily: every call sweeps the
expired ones first. ``clock`` is injectable so that tests need no sleeping.
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

from common.errors import BadInputError
from tools.limits import limit_message
from tools.workspace import Workspace

__all__ = ["McpSessions", "NEW_SESSION_HINT", "TOKEN_BYTES"]

TOKEN_BYTES = 32  # 256 bits
NEW_SESSION_HINT = (
    "call geofm_new_session and pass the token it returns as `session` to every other tool"
)


class McpSessions:
    """Tokens, their last use and their workspaces under ``root``.

    Args:
        root: directory holding one workspace directory per live session.
        ttl_s: seconds of inactivity after which a session expires.
        max_sessions: sessions that may be open at once; :meth:`new` refuses beyond.
        clock: seconds, monotonic (``time.monotonic``; tests pass a fake).
    """

    def __init__(
        self,
        root: str | Path,
        ttl_s: float = 3600,
        max_sessions: int = 100,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.root = Path(root)
        self.ttl_s, self.max_sessions, self.clock = ttl_s, max_sessions, clock
        self._last_used: dict[str, float] = {}  # sha256(token) -> clock() of its last call
        self._expired: set[str] = set()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._last_used)

    def new(self) -> str:
        """A new session's token; its (empty) workspace is made on first use."""
        with self._lock:
            self._sweep()
            if len(self._last_used) >= self.max_sessions:
                raise BadInputError(
                    limit_message(
                        "max_sessions",
                        f"{len(self._last_used)} MCP sessions are open, the most this server "
                        f"allows; one frees up after {self.ttl_s:g} s unused, or try again later",
                    )
                )
            token = secrets.token_urlsafe(TOKEN_BYTES)
            self._last_used[_key(token)] = self.clock()
            return token

    def workspace(self, token: str | None) -> Workspace:
        """The workspace of the session ``token``, whose inactivity clock restarts."""
        token = (token or "").strip()
        if not token or token == "default":
            raise BadInputError(f"this tool needs a session token: {NEW_SESSION_HINT}")
        key = _key(token)
        with self._lock:
            self._sweep()
            if key not in self._last_used:
                if key in self._expired:
                    raise BadInputError(
                        f"this session expired after {self.ttl_s:g} s unused and its "
                        f"workspace was deleted; {NEW_SESSION_HINT}"
                    )
                raise BadInputError(f"unknown session token; {NEW_SESSION_HINT}")
            self._last_used[key] = self.clock()
            return Workspace(self.root / key)

    def sweep(self) -> int:
        """Delete the workspaces of expired sessions; how many expired."""
        with self._lock:
            return self._sweep()

    def close_all(self) -> None:
        """Forget every session and delete every workspace (the server is stopping)."""
        with self._lock:
            self._last_used.clear()
            shutil.rmtree(self.root, ignore_errors=True)

    def _sweep(self) -> int:
        now = self.clock()
        old = [k for k, t in self._last_used.items() if now - t > self.ttl_s]
        for k in old:
            del self._last_used[k]
            self._expired.add(k)
            shutil.rmtree(self.root / k, ignore_errors=True)
        if len(self._expired) > 100_000:  # only to say "expired" rather than "unknown"
            self._expired.clear()
        return len(old)


def _key(token: str) -> str:
    # the directory name: a token never appears on disk or in a path
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()[:32]
