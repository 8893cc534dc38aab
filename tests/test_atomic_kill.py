"""SIGKILL the real commands that replace an output at seeded random instants, then check
that the previous output still loads and the next run completes (slow).

Kills per command (each an actual SIGKILL of a still-running process group; runs that end
before their kill instant are not counted): ``geofm index build`` 20, ``geofm models
prepare`` 6 (each run converts the model for ~25 s on a 2-core CPU), ``geofm volume run``
27: 53 in all, 7 to 10 minutes on a 2-core CPU. Half the kill instants are drawn uniformly
from [0.3, 1.0] x the duration of the fastest uninterrupted run of the same command so far
(one measured first, then any that finished before its kill): they mostly land in the
imports and the work. The other half aim at the write: a uniform [0, W] after the run's
temporary output appears (W = 0.05 s for the index, 1 s for the model, 0.03 s for the
volume); the test prints how many kills left the run's temporary behind. The swap itself
(microseconds) is covered at every instant by tests/test_atomic.py. ``GEOFM_KILLS=N``
sets every command's count to N (N = 50: about 25 minutes, mostly ``models prepare``).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
KILLS = {"index build": 20, "models prepare": 6, "volume run": 27}
if os.environ.get("GEOFM_KILLS"):  # e.g. GEOFM_KILLS=50: that many kills of every command
    KILLS = dict.fromkeys(KILLS, int(os.environ["GEOFM_KILLS"]))


def _env(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "GEOFM_HOME": str(home),
        "OMP_WAIT_POLICY": "PASSIVE",
        "TQDM_DISABLE": "1",
    }


def _geofm(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "agent.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill reaches any children
    )


def _timed_run(args: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    r = subprocess.run(
        [sys.executable, "-m", "agent.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    return time.perf_counter() - t0


def _kill_loop(
    args: list[str],
    env: dict[str, str],
    out: Path,
    kills: int,
    full_s: float,
    write_s: float,
    check: Callable[[], None],
    seed: int,
) -> tuple[int, int, int]:
    """Run ``args`` (which replaces ``out``) and SIGKILL it until ``kills`` kills landed,
    calling ``check`` after each run. Even kills come at a random instant of the run,
    odd ones a random [0, ``write_s``] after the run's temporary output appears (the
    write and swap). Returns (kills, runs that finished first, kills that left the
    run's temporary output or the old output aside)."""
    rng = random.Random(seed)
    killed = finished = mid_write = 0
    while killed < kills:
        assert killed + finished < 4 * kills, "the runs keep finishing before their kill"
        t0 = time.perf_counter()
        p = _geofm(args, env)
        mine = f"-{p.pid}"  # the run's own temporaries (earlier runs' may lie there too)
        if killed % 2:
            while p.poll() is None and not any(n.endswith(mine) for n in _siblings(out)):
                time.sleep(0.001)
            delay = rng.uniform(0, write_s)
        else:
            delay = rng.uniform(0.3, 1.0) * full_s
        try:
            p.wait(delay)
            assert p.returncode == 0
            finished += 1
            if not killed % 2:
                full_s = min(full_s, time.perf_counter() - t0)  # aim inside the fastest run
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            killed += 1
            mid_write += any(n.endswith(mine) for n in _siblings(out))
        check()
    return killed, finished, mid_write


def _siblings(out: Path) -> list[str]:
    return sorted(n for n in os.listdir(out.parent) if n.startswith(f".{out.name}."))


def _report(name: str, counts: tuple[int, int, int], seconds: float) -> None:
    killed, finished, mid_write = counts
    print(
        f"\n{name}: {killed} kills ({mid_write} while writing the output), "
        f"{finished} runs finished first, {seconds:.0f} s"
    )


def test_kill_index_build(tmp_path):
    from corpus import Index
    from corpus.embed import default_embedder

    env = _env(tmp_path / "home")
    old_src, new_src = tmp_path / "old", tmp_path / "new"
    for src, n in ((old_src, 3), (new_src, 5)):
        src.mkdir()
        for i in range(n):
            (src / f"d{i}.md").write_text(
                f"# Note {i}\n\nMigration moves dipping reflections to their true place. "
                f"Velocity analysis {i} picks the stacking velocity of each event.\n"
            )
    out = tmp_path / "index"
    t0 = time.perf_counter()
    _timed_run(["index", "build", str(old_src), "--out", str(out)], env)
    full_s = _timed_run(["index", "build", str(new_src), "--out", str(tmp_path / "ref")], env)
    embedder = default_embedder()
    seen = set()

    def check() -> None:
        index = Index.load(out, embedder)  # recovers, then reads every file
        n = index.manifest["n_documents"]
        assert n in (3, 5) and len(index.chunks) == n
        seen.add(n)
        assert _siblings(out) == []

    counts = _kill_loop(
        ["index", "build", str(new_src), "--out", str(out)],
        env,
        out,
        KILLS["index build"],
        full_s,
        0.05,
        check,
        seed=1,
    )
    _timed_run(["index", "build", str(new_src), "--out", str(out)], env)
    assert Index.load(out, embedder).manifest["n_documents"] == 5
    _report("geofm index build", counts, time.perf_counter() - t0)
    assert counts[0] == KILLS["index build"]


def test_kill_models_prepare(tmp_path, monkeypatch):
    from safetensors import safe_open

    from agent.config import ModelConfig
    from agent.models import describe, resolve_model_dir

    home = tmp_path / "home"
    env = _env(home)
    monkeypatch.setenv("GEOFM_HOME", str(home))
    args = ["models", "prepare", "--no-index"]
    t0 = time.perf_counter()
    full_s = _timed_run(args, env)
    out = resolve_model_dir(ModelConfig(), prepare=False)
    new_files = sorted(os.listdir(out))

    def make_old() -> None:
        """The previous state: a directory prepare must replace (no tokenizer.json),
        marked so that it tells apart from a new one."""
        (out / "tokenizer.json").unlink()
        (out / "OLD").write_text("the previous directory")

    make_old()
    old_files = sorted(os.listdir(out))

    def check() -> None:
        ready = describe(ModelConfig()).ready  # recovers, then checks the files
        files = sorted(os.listdir(out))
        assert files in (old_files, new_files), files
        assert ready == (files == new_files)
        with safe_open(str(out / "model.safetensors"), "pt") as f:  # the weights read
            assert len(list(f.keys())) > 0
        assert _siblings(out) == []
        if ready:  # a run finished: set the previous state up again
            make_old()

    counts = _kill_loop(args, env, out, KILLS["models prepare"], full_s, 1.0, check, seed=2)
    _timed_run(args, env)
    assert describe(ModelConfig()).ready and sorted(os.listdir(out)) == new_files
    from transformers import AutoModelForCausalLM

    assert AutoModelForCausalLM.from_pretrained(out).num_parameters() > 0
    _report("geofm models prepare", counts, time.perf_counter() - t0)
    assert counts[0] == KILLS["models prepare"]


def test_kill_volume_run(tmp_path, shared_data):
    import segyio

    cube = shared_data / "segy" / "f3_crop.sgy"
    if not cube.exists():
        pytest.skip(f"{cube} is absent (set GEOFM_DATA to the shared data)")
    env = _env(tmp_path / "home")
    out, ref = tmp_path / "out.sgy", tmp_path / "ref.sgy"

    def run_args(dst: Path, high_hz: int) -> list[str]:
        return [
            "volume",
            "run",
            "bandpass",
            str(cube),
            str(dst),
            "--args",
            json.dumps({"low_hz": 5, "high_hz": high_hz}),
            "--scheduler",
            "sync",
            "--block-inlines",
            "2",
            "--no-progress",
            "--overwrite",
        ]

    t0 = time.perf_counter()
    _timed_run(run_args(out, 30), env)  # the previous output
    full_s = _timed_run(run_args(ref, 40), env)  # what the killed runs write
    old_bytes = out.read_bytes()

    def digest(p: Path) -> str:
        return hashlib.sha256(p.read_bytes()).hexdigest()

    old, new = digest(out), digest(ref)
    assert old != new

    def check() -> None:
        assert digest(out) in (old, new)
        with segyio.open(out) as f:  # and it reads as a cube
            assert f.tracecount == 23 * 18
        if digest(out) == new:  # a run finished: set the previous output up again
            out.write_bytes(old_bytes)

    counts = _kill_loop(
        run_args(out, 40), env, out, KILLS["volume run"], full_s, 0.03, check, seed=3
    )
    _timed_run(run_args(out, 40), env)
    assert digest(out) == new
    assert _siblings(out) == []  # the killed runs' partial files were cleaned
    _report("geofm volume run", counts, time.perf_counter() - t0)
    assert counts[0] == KILLS["volume run"]
