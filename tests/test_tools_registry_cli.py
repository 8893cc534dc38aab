"""Every tool has a derived, fully documented schema; the `geofm tools` CLI lists and runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from agent.cli import main
from tools import ALL, REGISTRY

ROOT = Path(__file__).resolve().parents[1]


def test_every_tool_has_documented_schema():
    assert len(REGISTRY) >= 15
    for t in REGISTRY:
        props = t.parameters["properties"]
        assert t.description and props, t.name
        for name, p in props.items():
            assert len(p.get("description", "")) > 8, f"{t.name}.{name} undocumented"


def test_choices_are_enums():
    props = REGISTRY.get("make_synthetic").parameters["properties"]
    assert set(props["noise"]["enum"]) == {"random", "linear", "spikes", "swell", "none"}
    assert props["n_traces"]["type"] == "integer"


def test_bad_arguments_come_back_as_errors(workspace):
    r = REGISTRY.call("make_synthetic", {"n_traces": 1}, workspace)
    assert not r.ok and "out of range" in r.summary
    r = REGISTRY.call("bandpass", {"data": "not-an-id"}, workspace)
    assert not r.ok and "bad arguments" in r.summary


def test_cli_list_json(capsys):
    assert main(["tools", "list", "--json"]) == 0
    tools = json.loads(capsys.readouterr().out)
    # the router's tools and the domain tools it does not route to yet
    assert {t["name"] for t in tools} == set(ALL.names()) > set(REGISTRY.names())


def test_cli_run_with_file(tmp_path, capsys):
    f = tmp_path / "x.npy"
    np.save(f, np.random.default_rng(0).standard_normal((20, 64)))
    ws = tmp_path / "ws"
    assert (
        main(
            [
                "tools",
                "run",
                "import_array",
                "--args",
                '{"file": "ws-1", "dt_ms": 2}',
                "--file",
                str(f),
                "--workspace",
                str(ws),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "as ws-1" in out and "ws-2" in out
    assert (
        main(
            [
                "tools",
                "run",
                "agc",
                "--args",
                '{"data": "ws-2", "window_ms": 40}',
                "--workspace",
                str(ws),
                "--json",
            ]
        )
        == 0
    )
    res = json.loads(capsys.readouterr().out)
    assert res["ok"] and res["artifacts"][0]["id"] == "ws-3"
    assert main(["tools", "run", "agc", "--args", '{"data": "ws-9"}', "--workspace", str(ws)]) == 1
    assert main(["tools", "run", "agc", "--args", "{oops"]) == 1
    assert "not valid JSON" in capsys.readouterr().err


@pytest.mark.parametrize("module", ["tools"])
def test_tools_import_pulls_no_plotting_or_pylops(module):
    code = f"import sys, {module}; print([m for m in ('matplotlib', 'pylops') if m in sys.modules])"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[]"
