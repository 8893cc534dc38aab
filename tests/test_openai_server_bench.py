"""The documented recipe for a bigger model (docs: FormationEval through an OpenAI-compatible
server): llama-cpp-python's own server on the embedded GGUF, `geofm bench run --model
openai:NAME --base-url ... --mode generate` on FormationEval-format questions."""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

QUESTIONS = [
    {
        "question": "Which wave type travels fastest through rock?",
        "choices": ["Rayleigh waves", "P-waves", "S-waves", "Love waves"],
        "answer_index": 1,
        "domains": ["Geophysics"],
    },
    {
        "question": "What does a density log measure in a borehole?",
        "choices": [
            "Bulk density of the formation",
            "Mud viscosity",
            "Gamma rays from the bit",
            "Magnetic susceptibility",
        ],
        "answer_index": 0,
        "domains": ["Petrophysics"],
    },
    {
        "question": "Which property controls the acoustic impedance of a layer?",
        "choices": [
            "Colour and grain size",
            "Porosity only",
            "Density times P-wave velocity",
            "Resistivity times thickness",
        ],
        "answer_index": 2,
        "domains": ["Geophysics", "Petrophysics"],
    },
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served_model(tmp_path_factory):
    if (
        importlib.util.find_spec("llama_cpp") is None
        or importlib.util.find_spec("starlette_context") is None
    ):
        pytest.skip("needs llama-cpp-python with its server extra: make llamacpp")
    from agent.models import embedded_gguf

    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(embedded_gguf()),
            "--model_alias",
            "smollm2",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "2048",
            "--n_threads",
            "1",
        ],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxy
    url = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(120):
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited: {log.read_text()[-2000:]}")
            try:
                with direct.open(f"{url}/models", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("llama_cpp.server did not answer within 60 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_bench_runs_formationeval_questions_through_a_served_model(served_model, tmp_path):
    suite = tmp_path / "fe_sample.json"
    suite.write_text(json.dumps(QUESTIONS))
    out = tmp_path / "served.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "agent.cli",
            "bench",
            "run",
            str(suite),
            "--model",
            "openai:smollm2",
            "--base-url",
            served_model,
            "--mode",
            "generate",
            "--no-retrieval",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=Path(__file__).parents[1],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(out.read_text())
    run = report["runs"][-1] if "runs" in report else report
    cases = run["cases"]
    assert len(cases) == 3
    # every question got an answer from the server (a reply, not an exception)
    assert not [c for c in cases if c["detail"].startswith("error")], cases
    assert all(c["detail"].strip() for c in cases)
    # the domains of FormationEval questions are their tags: per-domain accuracy
    assert set(run["summary"]["per_tag"]) == {"Geophysics", "Petrophysics"}
    assert run["summary"]["per_tag"]["Geophysics"]["n"] == 2
