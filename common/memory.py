"""Keeping a long-running server's memory flat: glibc heap settings and trimming.

A server that answers many requests from several threads grows in resident memory even
when what it holds does not: glibc's allocator gives each thread its own heap arena (up
to 8 per core), raises its threshold for serving large blocks with ``mmap`` each time
one is freed, and keeps freed pages instead of returning them. With the app's model,
index and tool workers that growth reached hundreds of MB per minute under load.

:func:`tune_heap` caps the arenas and fixes the ``mmap`` threshold at 32 MiB, the
ceiling of glibc's own dynamic threshold: the largest arrays go back to the system when
freed, while the many mid-sized temporaries of a model's forward pass reuse heap pages
instead of being mapped and zero-filled afresh each time, as a low threshold makes them.
:func:`trim_heap` hands the free pages of every arena back (``malloc_trim``), a few
milliseconds, after each request. Both do nothing, and return False, where the C
library is not glibc (macOS, musl, Windows).

The same settings can be given to any process through glibc's environment variables
(``MALLOC_ARENA_MAX``, ``MALLOC_MMAP_THRESHOLD_``); these functions apply them from
inside, to the app and its tool workers.
"""

from __future__ import annotations

import ctypes
import gc
import platform
import sys

__all__ = ["tune_heap", "trim_heap", "ARENAS", "MMAP_THRESHOLD"]

ARENAS = 2  # heap arenas: enough for the app's two request threads
MMAP_THRESHOLD = 32 * 1024**2  # blocks this large or larger are mmapped: freed to the system

_M_MMAP_THRESHOLD = -3  # mallopt parameters (malloc.h)
_M_ARENA_MAX = -8

_LIBC: ctypes.CDLL | None = None
_LOOKED_UP = False


def _glibc() -> ctypes.CDLL | None:
    global _LIBC, _LOOKED_UP
    if not _LOOKED_UP:
        _LOOKED_UP = True
        if sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc":
            try:
                libc = ctypes.CDLL("libc.so.6")
                if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim"):
                    _LIBC = libc
            except OSError:
                pass
    return _LIBC


def tune_heap(arenas: int = ARENAS, mmap_threshold: int = MMAP_THRESHOLD) -> bool:
    """Cap glibc's heap arenas at ``arenas`` and serve blocks of ``mmap_threshold`` bytes
    or more with ``mmap``. Call it early, before the threads that allocate start. True
    when applied."""
    libc = _glibc()
    if libc is None:
        return False
    ok_arenas = libc.mallopt(_M_ARENA_MAX, int(arenas)) == 1
    ok_mmap = libc.mallopt(_M_MMAP_THRESHOLD, int(mmap_threshold)) == 1
    return ok_arenas and ok_mmap


def trim_heap(collect_cycles: bool = True) -> bool:
    """Return the free pages of every heap arena to the system, after collecting
    unreachable reference cycles when ``collect_cycles``: a closed matplotlib figure, for
    one, sits in a cycle that keeps its native image buffer (megabytes) until the
    collector's oldest generation runs, which can take many calls. A full collection
    of the app process's hundreds of thousands of objects holds the GIL for a fraction of
    a second while other requests wait, so the app trims without it; the tool workers,
    which draw the figures, collect. True when glibc released some memory, False when
    there was none or the C library is not glibc."""
    if collect_cycles:
        gc.collect()
    libc = _glibc()
    return bool(libc.malloc_trim(0)) if libc is not None else False
