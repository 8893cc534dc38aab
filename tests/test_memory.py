"""The heap settings that keep the server's memory flat (glibc only)."""

import ctypes

import numpy as np
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


def test_trim_collects_closed_figures_and_their_image_buffers(tmp_path):
    """Closed pyplot figures stay in reference cycles, with their native Agg buffers,
    until a full collection: trim_heap collects them."""
    import gc

    from tools.plotting import pyplot

    plt = pyplot()
    memory.tune_heap()
    image = np.random.default_rng(0).normal(size=(300, 400))
    gc.collect()
    gc.disable()  # as between the collector's rare full passes
    try:
        memory.trim_heap()
        start = _rss_mb()
        for _ in range(12):
            fig, axes = plt.subplots(1, 3, figsize=(15, 5))
            for ax in axes:
                ax.imshow(image)
            fig.savefig(tmp_path / "f.png", dpi=110)
            plt.close(fig)
        del fig, axes, ax
        held = _rss_mb()
        memory.trim_heap()
        after = _rss_mb()
    finally:
        gc.enable()
    assert held - start > 20, f"the figures held only {held - start:.0f} MB"
    assert held - after > 0.6 * (held - start), (
        f"trim_heap gave back {held - after:.0f} of {held - start:.0f} MB"
    )


def test_without_glibc_both_do_nothing(monkeypatch):
    monkeypatch.setattr(memory, "_LIBC", None)
    monkeypatch.setattr(memory, "_LOOKED_UP", True)
    assert memory.tune_heap() is False
    assert memory.trim_heap() is False
