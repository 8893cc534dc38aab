"""The heap settings that keep the server's memory flat (glibc only)."""

import ctypes

import psutil
import pytest

from common import memory


def _rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


@pytest.mark.skipif(memory._glibc() is None, reason="the C library is not glibc")
def test_trim_returns_freed_heap_pages_to_the_system():
    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    memory.tune_heap()
    # 16k blocks of 8 KiB (below the mmap threshold: from the heap), each touched; every
    # 16th stays allocated, so the freed runs between them are not at the heap's top and
    # glibc keeps their pages until they are trimmed
    blocks = [libc.malloc(8192) for _ in range(16384)]
    for b in blocks:
        ctypes.memset(b, 1, 8192)
    kept = set(blocks[::16])
    for b in blocks:
        if b not in kept:
            libc.free(b)
    held = _rss_mb()
    assert memory.trim_heap() is True
    released = held - _rss_mb()
    for b in kept:
        libc.free(b)
    assert released > 64, f"only {released:.0f} MB of 120 MB freed went back"


def test_without_glibc_both_do_nothing(monkeypatch):
    monkeypatch.setattr(memory, "_LIBC", None)
    monkeypatch.setattr(memory, "_LOOKED_UP", True)
    assert memory.tune_heap() is False
    assert memory.trim_heap() is False
