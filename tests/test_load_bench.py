"""The load benchmark: its pure parts (isolation check, reply classes, memory plateau,
summary), and a short run against the real app when the default model and index are
prepared."""

from __future__ import annotations

import json

import pytest

import app
from benchmarks import load, load_memory
from tests.conftest import REAL_GEOFM_HOME, SHARED

MINE, OTHER = "load-u0-0123abcd", "load-u1-89abcdef"


def test_find_leaks_traces_files_and_workspaces_to_their_user():
    own = [
        f"read {MINE}.sgy -> ws-1",
        "[ws-2.png](/gradio_api/file=/tmp/geofm-app-x/chat/sessA/ws-2.png)",
        {"path": "/tmp/geofm-app-x/chat/sessA/ws-2.png"},
    ]
    assert load.find_leaks(load.strings(own), MINE, "sessA") == []
    theirs = [f"read {OTHER}.sgy", "/tmp/geofm-app-x/chat/sessB/ws-3.npy"]
    assert load.find_leaks(theirs, MINE, "sessA") == [
        "another session's workspace sessB",
        f"another user's file {OTHER}",
    ]
    # a literature user (no file, no known workspace): any file or workspace is a leak
    assert load.find_leaks(load.strings(own[1:]), "", None) == ["another session's workspace sessA"]


def test_strings_walks_a_reply():
    reply = [{"role": "assistant", "content": {"path": "/a.png"}, "metadata": {"title": "t"}}]
    assert load.strings(reply) == ["assistant", "/a.png", "t"]


def test_classify_busy_error_empty_ok():
    busy = [{"role": "assistant", "content": app.BUSY.format(waiting=16, running=2)}]
    assert load.classify(busy) == ("busy", "")
    boom = [{"role": "assistant", "content": "⚠️ Something went wrong (OSError: x). Try again."}]
    assert load.classify(boom)[0] == "error"
    only_steps = [{"role": "assistant", "content": "[1] x", "metadata": {"title": "Sources"}}]
    assert load.classify(only_steps) == ("error", "no answer in the reply")
    answer = only_steps + [{"role": "assistant", "content": "NMO flattens reflections [1]."}]
    assert load.classify(answer) == ("ok", "")
    # a tool refusal is an answer (a one-line message), not a server error
    assert load.classify([{"role": "assistant", "content": "⚠️ unknown workspace id"}])[0] == "ok"


def test_failure_names_the_failed_step():
    step = {"role": "assistant", "content": "args\n\n**failed**\n\nunknown id 'ws-9'"}
    step["metadata"] = {"title": "🛠 bandpass ⚠️ failed", "status": "done"}
    assert load.failure([step]) == "🛠 bandpass ⚠️ failed: unknown id 'ws-9'"
    assert load.failure([{"role": "assistant", "content": "fine"}]) == ""


def test_plateau_flat_and_growing():
    flat = [(t, 1000 + (50 if t > 5 else 0) + (t % 3)) for t in range(60)]
    p = load_memory.plateau(flat)
    assert p["flat"] and p["peak_mb"] == 1052 and p["first_half_max_mb"] == 1052
    assert abs(p["second_half_slope_mb_per_min"]) < 10
    growing = [(t, 1000 + 10 * t) for t in range(61)]  # 600 MB/min
    g = load_memory.plateau(growing)
    assert not g["flat"] and g["second_half_slope_mb_per_min"] == pytest.approx(600, rel=1e-6)
    assert (g["first_half_max_mb"], g["second_half_max_mb"]) == (1290, 1600)
    assert load_memory.plateau([(0, 1.0)]) == {"samples": 1, "flat": None}


def test_summary_targets_and_table():
    def row(kind, outcome, latency, leaks=()):
        return {"kind": kind, "outcome": outcome, "latency_s": latency, "leaks": list(leaks)}

    rows = [row("literature", "ok", x) for x in (1.0, 2.0, 3.0, 4.0)]
    rows += [row("literature", "busy", 0.1), row("processing", "ok", 10.0)]
    rows += [row("processing", "error", 60.0), row("processing", "ok", 12.0, ["x"])]
    s = load.summarize(rows)
    assert s["literature"] == {
        "requests": 5,
        "answers": 4,
        "busy": 1,
        "queue_full": 0,
        "errors": 0,
        "leaks": 0,
        "tool_failures": 0,
        "p50_s": 2.5,
        "p95_s": 3.85,
        "max_s": 4.0,
    }
    assert (s["processing"]["errors"], s["processing"]["leaks"]) == (1, 1)
    assert s["processing"]["max_s"] == 12.0  # latency of answers only
    rss = {"peak_mb": 900.0, "flat": True}
    t = load.targets(s, rss, max_rss_mb=4096)
    assert t == {"no_errors": False, "no_leaks": False, "peak_rss_ok": True, "rss_flat": True}
    assert not load.targets(s, {**rss, "peak_mb_with_warmup": 5000.0}, 4096)["peak_rss_ok"]
    text = load.table({"summary": s, "rss": {"flat": None}, "targets": t})
    assert "| literature | 5 | 4 | 1 (0) | 0 | 0 | 2.5 | 3.85 | 4.0 |" in text


def test_questions_are_varied():
    assert len(set(load.LITERATURE)) >= 10 and len(set(load.PROCESSING)) >= 4


@pytest.mark.slow
def test_short_load_run_against_the_real_app(tmp_path, monkeypatch):
    """Two users for 20 s against `python app.py` with the embedded model."""
    from agent.config import ModelConfig
    from agent.models import resolve_model_dir
    from corpus import _default_hash

    monkeypatch.setenv("GEOFM_HOME", str(REAL_GEOFM_HOME))
    manifest = REAL_GEOFM_HOME / "index" / "default" / "manifest.json"
    if not manifest.exists() or json.loads(manifest.read_text()).get("corpus_hash") != (
        _default_hash()
    ):
        pytest.skip("no up-to-date default index; run `make prepare` first")
    if not (resolve_model_dir(ModelConfig(), prepare=False) / "config.json").exists():
        pytest.skip("the embedded model is not prepared; run `make prepare` first")
    segy = SHARED / "data" / "segy" / "f3_crop.sgy"
    if not segy.exists():
        pytest.skip(f"{segy} is absent (set GEOFM_DATA)")
    out = tmp_path / "load.json"
    args = ["--users", "2", "--minutes", "0.33", "--no-browser", "--request-timeout", "120"]
    assert load.main([*args, "--segy", str(segy), "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert {"date", "machine", "revision", "command"} <= set(report)
    s = report["summary"]
    assert set(s) == {"processing", "literature"}
    for kind in s.values():
        assert kind["requests"] >= 1 and kind["errors"] == 0 and kind["leaks"] == 0
    assert report["rss"]["peak_mb"] < 4096
    assert any(r["own_marker"] for r in report["rows"] if r["kind"] == "processing")
