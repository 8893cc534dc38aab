"""`geofm chat`: a REPL over one conversation, driven by piped stdin and a scripted model."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from agent.cli import main


@pytest.fixture
def chat_agent(monkeypatch, scripted_model, tmp_path):
    """`geofm chat` builds this agent (scripted model, no index) instead of the embedded one."""
    from agent.loop import GeoAgent

    def from_defaults(model=None, config=None, index="default"):
        config.retrieval = False
        return GeoAgent(scripted_model, index=None, config=config)

    monkeypatch.setattr(GeoAgent, "from_defaults", staticmethod(from_defaults))
    return scripted_model


def run_chat(monkeypatch, capsys, lines: list[str], *args: str) -> tuple[int, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(f"{x}\n" for x in lines)))
    code = main(["chat", *args])
    return code, capsys.readouterr().out


def test_chat_keeps_one_session_across_lines(chat_agent, monkeypatch, capsys, tmp_path):
    line = tmp_path / "line.npy"
    np.save(line, np.random.default_rng(0).normal(size=(30, 100)).astype(np.float32))
    chat_agent.enqueue_tool_call("bandpass", {"data": "ws-1", "figure": False}).enqueue("")
    chat_agent.enqueue_tool_call("plot_section", {"data": "ws-2"}).enqueue("")
    state = tmp_path / "chat.json"
    lines = ["bandpass it", "now plot it", "/files", f"/save {state}", "/help", "/bogus", "/quit"]
    code, out = run_chat(
        monkeypatch, capsys, lines, "--file", str(line), "--workspace", str(tmp_path / "ws")
    )
    assert code == 0
    assert "Received line.npy (ws-1)" in out  # the file attached before the first line
    assert "Used: ws-2 (turn 2)" in out  # "now plot it" used the bandpass result
    assert "ws-1 array: line.npy" in out and "ws-3 figure:" in out  # /files
    assert json.loads(state.read_text())["turns"][2]["request"] == "now plot it"
    assert "/reset" in out and "unknown command /bogus" in out
    assert "Earlier in this conversation" in str(chat_agent.seen[-2][-1].content)


def test_chat_bad_reference_reset_and_load(chat_agent, monkeypatch, capsys, tmp_path):
    line = tmp_path / "line.npy"
    np.save(line, np.zeros((10, 50), dtype=np.float32))
    chat_agent.enqueue_tool_call("plot_section", {"data": "ws-1"}).enqueue("")
    state = tmp_path / "s.json"
    lines = ["plot it", f"/attach {line}", "plot it", f"/save {state}", "/reset", "/files"]
    lines += [f"/load {state}", "/load", f"/load {tmp_path / 'nope.json'}", "/files"]
    code, out = run_chat(monkeypatch, capsys, lines, "--workspace", str(tmp_path / "ws"))
    assert code == 0  # end of input ends the session
    assert '"plot it" refers to an earlier file or result' in out
    assert "Figure: plot of ws-1 (ws-2)" in out
    assert "The workspace is empty." in out  # after /reset
    assert "Loaded" in out and "/load needs a path" in out and "no saved conversation" in out
