"""Crash-safe writes: a kill at any instant leaves the old or the new complete output.

Directories (``write_dir_atomically``) are swapped in four steps, each a single rename
or a delete of something no longer needed::

    1. write the new tree into ``.NAME.tmp-<pid>`` (a sibling), fsync its files
    2. rename the current ``NAME`` aside to ``.NAME.old-<pid>``
    3. rename ``.NAME.tmp-<pid>`` to ``NAME``
    4. delete ``.NAME.old-<pid>``

A kill in step 1 leaves ``NAME`` untouched (and a stale temporary); between steps 2 and 3
``NAME`` is missing but its complete old copy is aside; after step 3 ``NAME`` is the new
tree. ``recover_dir(NAME)``, which every loader calls before reading and every write calls
first, puts an aside copy of a dead process back when ``NAME`` is missing and deletes the
leftovers of dead processes. A live writer's files are never touched; a reader that finds
``NAME`` missing while a live writer is between steps 2 and 3 waits for step 3.

Two processes writing the same ``NAME`` at once: each writes its own pid-named temporary;
when one's step 3 finds the other's new tree already in place it moves that aside too and
retries, so the last complete write wins and neither fails.

Files (``write_file_atomically``): written to ``.NAME.tmp-<pid>``, fsynced, then
``os.replace``d over ``NAME`` (atomic on POSIX), and the folder fsynced.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["recover_dir", "remove_stale_temps", "write_dir_atomically", "write_file_atomically"]

_SWAP_RETRIES = 20  # step 3 retries when concurrent writers keep replacing NAME
_READER_WAIT_S = 5.0  # how long a reader waits for a live writer's step 3
# what rename(2) says when the target is a non-empty folder (or a file vs a folder)
_EXISTS = (errno.EEXIST, errno.ENOTEMPTY, errno.EISDIR, errno.ENOTDIR)


def _sibling(out: Path, kind: str, pid: int | None = None) -> Path:
    return out.parent / f".{out.name}.{kind}-{os.getpid() if pid is None else pid}"


def _siblings(out: Path, kind: str) -> list[tuple[int, Path]]:
    """(pid, path) of ``out``'s siblings named ``.NAME.<kind>-<pid>``."""
    pattern = re.compile(rf"\.{re.escape(out.name)}\.{kind}-(\d+)")
    try:
        names = os.listdir(out.parent)
    except FileNotFoundError:
        return []
    found = []
    for name in names:
        m = pattern.fullmatch(name)
        if m:
            found.append((int(m.group(1)), out.parent / name))
    return found


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (on this machine); this process counts as dead, since
    its own leftovers are from an earlier, failed call."""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _remove(path: Path) -> None:
    """Delete a file or a tree; nothing if it is gone."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except IsADirectoryError:
            shutil.rmtree(path, ignore_errors=True)


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as e:  # some file systems cannot fsync a directory
        if e.errno not in (errno.EINVAL, errno.EBADF, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    """fsync every file and folder under ``root`` (and ``root``): the data is on disk
    before the rename that publishes it."""
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            p = Path(dirpath) / name
            if not p.is_symlink():
                _fsync_path(p)
        _fsync_path(Path(dirpath))


def remove_stale_temps(out: Path, kind: str = "tmp") -> None:
    """Delete ``out``'s siblings ``.NAME.<kind>-<pid>`` left by processes that died."""
    for pid, path in _siblings(Path(out), kind):
        if not _alive(pid):
            _remove(path)


def recover_dir(out: str | Path) -> Path:
    """Repair what a killed ``write_dir_atomically`` left around ``out``; returns ``out``.

    When ``out`` is missing, the complete copy a dead writer moved aside is renamed back
    (when a live writer has it aside, this waits up to a few seconds for the new tree).
    The aside copies and temporaries of dead processes are then deleted. Cheap when there
    is nothing to do (one directory listing); safe to call from several processes at once.
    """
    out = Path(out)
    deadline = time.monotonic() + _READER_WAIT_S
    while True:
        olds = _siblings(out, "old")
        if not os.path.lexists(out):
            dead = [p for pid, p in olds if not _alive(pid)]
            # newest first: with several (concurrent writers all killed) the latest wins
            dead.sort(key=lambda p: _mtime(p), reverse=True)
            for path in dead:
                try:
                    os.rename(path, out)
                    break
                except FileNotFoundError:  # another process restored or removed it
                    continue
                except OSError as e:  # out reappeared (a writer's step 3): keep it
                    if e.errno in _EXISTS:
                        break
                    raise
            if (
                not os.path.lexists(out)
                and any(_alive(pid) for pid, _ in olds)
                and time.monotonic() < deadline
            ):
                time.sleep(0.005)  # a live writer is between its steps 2 and 3
                continue
        break
    for kind in ("old", "tmp"):
        remove_stale_temps(out, kind)
    return out


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def write_dir_atomically(out: Path, write: Callable[[Path], None]) -> None:
    """Run ``write(tmp)`` into a temporary sibling of ``out`` (``tmp`` does not exist
    yet), then swap it in for ``out`` (module docstring): a kill at any instant leaves
    the old or the new complete ``out``, after ``recover_dir``."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    recover_dir(out)
    tmp = _sibling(out, "tmp")
    old = _sibling(out, "old")
    _remove(tmp)
    _remove(old)
    try:
        write(tmp)
        _fsync_tree(tmp)
        _swap_in(tmp, out, old)
    except BaseException:
        recover_dir(out)  # a failed step 3 leaves out aside: put it back
        raise
    finally:
        _remove(tmp)
    _remove(old)  # step 4
    _fsync_path(out.parent)


def _swap_in(tmp: Path, out: Path, old: Path) -> None:
    """Steps 2 and 3: ``out`` aside to ``old`` (when there is one), ``tmp`` to ``out``.

    Another writer's step 3 may put its tree at ``out`` between ours: step 3 then fails
    (``out`` is a non-empty folder) and we go again. Whenever ``out`` exists it is
    complete, so an aside copy of an earlier round is superseded and may go.
    """
    for _ in range(_SWAP_RETRIES):
        try:
            os.rename(out, old)  # step 2
        except FileNotFoundError:  # no current out (first write, or a writer's step 2)
            pass
        except OSError as e:
            if e.errno not in _EXISTS:
                raise
            _remove(old)  # our copy from an earlier round; out is complete
            continue
        try:
            os.rename(tmp, out)  # step 3
            return
        except OSError as e:
            if e.errno not in _EXISTS:
                raise
    raise OSError(f"could not replace {out}: other processes kept writing it")


def write_file_atomically(out: Path, write: Callable[[Path], object]) -> None:
    """Run ``write(tmp)`` into a temporary sibling file of ``out``, fsync it, then rename
    it into place: a crash or kill at any instant leaves the old or the new ``out``."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(out)
    tmp = _sibling(out, "tmp")
    try:
        write(tmp)
        _fsync_path(tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_path(out.parent)
