"""Crash-safe writes (common.atomic): the swap, recovery, concurrent writers, and a
fault-injection run that SIGKILLs a writer process at random instants."""

from __future__ import annotations

import errno
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import common.atomic as atomic
from common.atomic import recover_dir, write_dir_atomically, write_file_atomically

ROOT = Path(__file__).resolve().parents[1]
N_FILES = 5


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def _gen_writer(gen: int):
    def write(tmp: Path) -> None:
        tmp.mkdir()
        for i in range(N_FILES):
            (tmp / f"f{i}").write_text(f"{gen}:{i}")

    return write


def _gen_of(out: Path) -> int:
    """The generation ``out`` holds, asserting it is complete and not a mix."""
    names = sorted(os.listdir(out))
    assert names == [f"f{i}" for i in range(N_FILES)], names
    gens = {(out / n).read_text().split(":")[0] for n in names}
    assert len(gens) == 1, f"a mix of generations {gens}"
    return int(gens.pop())


def _siblings(out: Path) -> list[str]:
    return sorted(n for n in os.listdir(out.parent) if n.startswith(f".{out.name}."))


def test_swap_replaces_and_leaves_nothing_behind(tmp_path):
    out = tmp_path / "d"
    write_dir_atomically(out, _gen_writer(1))
    write_dir_atomically(out, _gen_writer(2))
    assert _gen_of(out) == 2
    assert _siblings(out) == []


def test_recover_restores_the_aside_copy_of_a_dead_writer(tmp_path):
    out = tmp_path / "d"
    write_dir_atomically(out, _gen_writer(1))
    dead = _dead_pid()
    os.rename(out, tmp_path / f".d.old-{dead}")  # killed between steps 2 and 3
    _gen_writer(2)(tmp_path / f".d.tmp-{dead}")
    assert recover_dir(out) == out
    assert _gen_of(out) == 1
    assert _siblings(out) == []


def test_recover_deletes_dead_leftovers_and_keeps_live_ones(tmp_path):
    out = tmp_path / "d"
    write_dir_atomically(out, _gen_writer(1))
    dead, live = _dead_pid(), os.getppid()
    for name in (f".d.old-{dead}", f".d.tmp-{dead}", f".d.tmp-{live}", ".dx.tmp-1"):
        _gen_writer(9)(tmp_path / name)
    recover_dir(out)
    assert _gen_of(out) == 1
    assert _siblings(out) == [f".d.tmp-{live}"]  # a live writer's temporary is left alone
    assert (tmp_path / ".dx.tmp-1").exists()  # another directory's


def test_failed_write_restores_nothing_lost(tmp_path):
    out = tmp_path / "d"
    write_dir_atomically(out, _gen_writer(1))

    def boom(tmp: Path) -> None:
        _gen_writer(2)(tmp)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_dir_atomically(out, boom)
    assert _gen_of(out) == 1
    assert _siblings(out) == []


def test_failed_step_three_puts_the_old_copy_back(tmp_path, monkeypatch):
    out = tmp_path / "d"
    write_dir_atomically(out, _gen_writer(1))
    real = os.rename

    def rename(src, dst):
        if Path(src).name.startswith(".d.tmp-"):
            raise OSError(errno.EIO, "disk gone")
        real(src, dst)

    monkeypatch.setattr(atomic.os, "rename", rename)
    with pytest.raises(OSError, match="disk gone"):
        write_dir_atomically(out, _gen_writer(2))
    monkeypatch.setattr(atomic.os, "rename", real)
    assert _gen_of(out) == 1
    assert _siblings(out) == []


def test_swap_retries_when_another_writer_gets_in_between(tmp_path, monkeypatch):
    """Another writer's step 3 lands between our steps 2 and 3: we go again and win."""
    out = tmp_path / "d"
    write_dir_atomically(out, _gen_writer(1))
    real = os.rename
    raced = []

    def rename(src, dst):
        if Path(src).name.startswith(".d.tmp-") and not raced:
            raced.append(1)
            _gen_writer(7)(tmp_path / "other")
            real(tmp_path / "other", out)  # the other writer's complete tree
        real(src, dst)

    monkeypatch.setattr(atomic.os, "rename", rename)
    write_dir_atomically(out, _gen_writer(2))
    assert raced and _gen_of(out) == 2
    assert _siblings(out) == []


def test_reader_waits_for_a_live_writers_step_three(tmp_path, monkeypatch):
    out = tmp_path / "d"
    write_dir_atomically(out, _gen_writer(1))
    live = os.getppid()
    os.rename(out, tmp_path / f".d.old-{live}")
    _gen_writer(2)(tmp_path / "new")
    checks = []

    def sleep(s: float) -> None:  # the writer's step 3 happens while the reader waits
        checks.append(s)
        if len(checks) == 3:
            os.rename(tmp_path / "new", out)
            os.rename(tmp_path / f".d.old-{live}", tmp_path / "gone")

    monkeypatch.setattr(atomic.time, "sleep", sleep)
    recover_dir(out)
    assert len(checks) == 3 and _gen_of(out) == 2


def test_write_file_atomically_fsyncs_and_cleans(tmp_path, monkeypatch):
    out = tmp_path / "f.txt"
    stale = tmp_path / f".f.txt.tmp-{_dead_pid()}"
    stale.write_text("half")
    synced = []
    real = os.fsync
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: (synced.append(fd), real(fd)))
    write_file_atomically(out, lambda tmp: tmp.write_text("new"))
    assert out.read_text() == "new"
    assert len(synced) == 2  # the file before the rename, the folder after
    assert not stale.exists()


_CHILD = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    import common.atomic as atomic

    out, gen, pause = Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    real = os.rename

    def slow_rename(src, dst):  # widen the window between the swap's renames
        time.sleep(pause)
        real(src, dst)
        time.sleep(pause)

    atomic.os.rename = slow_rename

    def write_gen(g):
        def write(tmp):
            tmp.mkdir()
            for i in range(N_FILES):
                (tmp / f"f{i}").write_text(f"{g}:{i}")
                time.sleep(pause)
        return write

    while True:
        gen += 1
        atomic.write_dir_atomically(out, write_gen(gen))
    """
).replace("N_FILES", str(N_FILES))


def test_sigkill_at_random_instants_leaves_old_or_new(tmp_path):
    """SIGKILL a looping writer 60 times at seeded random instants; after each, recovery
    and a read find one complete generation, never older than before the kill."""
    out = tmp_path / "d"
    write_dir_atomically(out, _gen_writer(0))
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    rng = random.Random(27)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    gen, restored, stale, t0 = 0, 0, 0, time.perf_counter()
    for _ in range(60):
        child = subprocess.Popen(
            [sys.executable, str(script), str(out), str(gen), "0.004"], env=env
        )
        time.sleep(rng.uniform(0.03, 0.15))
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert child.returncode == -signal.SIGKILL
        restored += not out.exists()  # killed between steps 2 and 3
        stale += bool(_siblings(out))
        recover_dir(out)
        new_gen = _gen_of(out)
        assert new_gen >= gen  # old (the same) or new: never lost
        assert _siblings(out) == []
        gen = new_gen
    assert gen > 0 and restored > 0 and stale > 0, (gen, restored, stale)
    assert time.perf_counter() - t0 < 20


def test_concurrent_writers_last_complete_write_wins(tmp_path):
    out = tmp_path / "d"
    script = tmp_path / "writer.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys
            from pathlib import Path
            sys.path.insert(0, {str(ROOT)!r})
            from common.atomic import write_dir_atomically

            out, base = Path(sys.argv[1]), int(sys.argv[2])
            for g in range(base, base + 40):
                def write(tmp, g=g):
                    tmp.mkdir()
                    for i in range({N_FILES}):
                        (tmp / f"f{{i}}").write_text(f"{{g}}:{{i}}")
                write_dir_atomically(out, write)
            """
        )
    )
    writers = [
        subprocess.Popen([sys.executable, str(script), str(out), str(base)])
        for base in (1000, 2000, 3000)
    ]
    assert [w.wait(60) for w in writers] == [0, 0, 0]  # none failed
    assert _gen_of(out) in (1039, 2039, 3039)
    assert _siblings(out) == []
