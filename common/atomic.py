"""Atomic directory writes: a crash or kill mid-write leaves the target as it was."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

__all__ = ["write_dir_atomically", "write_file_atomically"]


def write_dir_atomically(out: Path, write: Callable[[Path], None]) -> None:
    """Run ``write(tmp)`` into a temporary sibling of ``out``, then rename it into place.

    A crash or kill inside ``write`` leaves ``out`` as it was (absent or complete).
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        write(tmp)
        if out.exists():  # an incomplete leftover, or a stale layout
            shutil.rmtree(out)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_file_atomically(out: Path, write: Callable[[Path], object]) -> None:
    """Run ``write(tmp)`` into a temporary sibling file of ``out``, then rename it into
    place; a crash inside ``write`` leaves ``out`` as it was."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    try:
        write(tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
