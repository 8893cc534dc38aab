"""An admission gate: at most ``running`` jobs at once and ``waiting`` more in line; a
job beyond that is refused at once, so the caller can say "busy, try again".

    gate = Gate(running=2, waiting=16)
    if not gate.try_enter():
        ahead = gate.line_up()          # None: the line is full, refuse
        try:
            gate.wait()                 # blocks until a slot frees
        finally:
            gate.out_of_line()
    try:
        ...                             # the job
    finally:
        gate.leave()

The chat app puts every chat request through one gate, whichever Gradio event carries it
(the browser's chat box and the HTTP API are separate events, each with its own Gradio
concurrency group).
"""

from __future__ import annotations

import threading

__all__ = ["Gate"]


class Gate:
    """At most ``running`` jobs at once, ``waiting`` more in line (threads)."""

    def __init__(self, running: int, waiting: int):
        if running < 1 or waiting < 0:
            raise ValueError(f"need running >= 1 and waiting >= 0, got {running}, {waiting}")
        self.running, self.waiting = running, waiting
        self._slots = threading.Semaphore(running)
        self._lock = threading.Lock()
        self.in_line = 0

    def try_enter(self) -> bool:
        """Take a slot if one is free, without waiting."""
        return self._slots.acquire(blocking=False)

    def line_up(self) -> int | None:
        """Join the line: how many are ahead, or None when the line is full."""
        with self._lock:
            if self.in_line >= self.waiting:
                return None
            self.in_line += 1
            return self.in_line - 1

    def wait(self) -> None:
        """Wait for a slot (after :meth:`line_up`)."""
        self._slots.acquire()

    def out_of_line(self) -> None:
        """Leave the line, with a slot or giving up."""
        with self._lock:
            self.in_line -= 1

    def leave(self) -> None:
        """Give the slot back."""
        self._slots.release()
