"""The chat app without a browser: steps → messages, the chat handler's error paths,
per-session workspaces, and the tools as MCP functions."""

from __future__ import annotations

import inspect
from types import SimpleNamespace

import numpy as np
import pytest

import app
from agent.steps import Answer, Error, Passage, Retrieved, ToolCall, ToolOutput
from tests.fixtures_seismic import tiny_cube_segy
from tools import ALL, REGISTRY, Artifact, ToolResult, Workspace
from tools.mcp import attach_file, describe_result, mcp_function, mcp_functions, session_name
from tools.mcp_sessions import McpSessions

P1 = Passage(1, "NMO removes the offset-dependent moveout.", "NMO", "Dunkin & Levin 1973", page=3)
P2 = Passage(2, "CMP stacking sums traces.", "CMP", "Mayne 1962")


class FakeIndex:
    def __init__(self, passages=(P1, P2)):
        self.passages = passages

    def search(self, query, k=4):
        return [
            SimpleNamespace(
                text=p.text,
                title=p.title,
                citation=p.citation,
                source="x.md",
                page=p.page,
                score=1.0,
            )
            for p in self.passages[:k]
        ]


def request(session="s1"):
    return SimpleNamespace(session_hash=session)


def last(gen):
    """The final yield of the chat handler: all messages of the answer."""
    *_, final = gen
    return final


def text_of(messages) -> str:
    return "\n".join(
        m["content"] if isinstance(m["content"], str) else str(m["content"]) for m in messages
    )


def test_transcript_completes_each_tool_step_in_place(tmp_path):
    fig, arr = tmp_path / "ws-4.png", tmp_path / "ws-3.npy"
    t = app.Transcript()
    t.add(Retrieved("q", (P1, P2), 0.02))
    t.add(ToolCall("fx_decon", {"data": "ws-2"}, "call-1"))
    pending = t.messages[-1]
    assert pending["metadata"]["status"] == "pending" and "ws-2" in pending["content"]
    result = ToolResult(
        "f-x decon ws-2 -> ws-3",
        metrics={"snr_gain_db": 2.79123},
        artifacts=(Artifact("ws-3", "array", str(arr)), Artifact("ws-4", "figure", str(fig))),
    )
    t.add(ToolOutput("fx_decon", result, 1.234, "call-1"))
    msgs = t.add(Answer("It was denoised [1].", (P1,)))

    sources, step, image, answer = msgs
    assert sources["metadata"]["title"] == "📚 Sources (2)"
    assert "[1] Dunkin & Levin 1973, p. 3" in sources["content"]
    assert step is pending  # the same message, now done
    assert step["metadata"] == {"title": "🛠 fx_decon ✅", "status": "done", "duration": 1.234}
    assert '"data": "ws-2"' in step["content"] and "f-x decon ws-2 -> ws-3" in step["content"]
    assert "snr_gain_db = 2.791" in step["content"]
    assert f"[ws-3.npy](/gradio_api/file={arr})" in step["content"]
    assert f"[ws-4.png](/gradio_api/file={fig})" in step["content"]
    assert image["content"] == {"path": str(fig)}
    assert answer["content"].startswith("It was denoised [1].")
    assert "**References**" in answer["content"] and "[1] Dunkin & Levin 1973" in answer["content"]


def test_transcript_failed_tool_and_error_and_zero_duration():
    t = app.Transcript()
    t.add(ToolCall("bandpass", {"data": "ws-9"}, "c"))
    t.add(ToolOutput("bandpass", ToolResult.error("unknown workspace id 'ws-9'"), 0.0, "c"))
    msgs = t.add(Error("stopped after 4 tool calls"))
    assert msgs[0]["metadata"]["title"] == "🛠 bandpass ⚠️ failed"
    assert msgs[0]["metadata"]["duration"] > 0  # Gradio hides a zero duration
    assert "**failed**" in msgs[0]["content"] and "ws-9" in msgs[0]["content"]
    assert msgs[1]["content"] == "⚠️ stopped after 4 tool calls"


def test_split_message_keeps_pdfs_out_with_a_note():
    text, files, notes = app.split_message(
        {"text": "denoise", "files": ["/u/line.sgy", {"path": "/u/paper.PDF"}]}
    )
    assert (text, files) == ("denoise", ["/u/line.sgy"])
    assert len(notes) == 1 and "paper.PDF was not attached" in notes[0]
    assert "geofm index build" in notes[0]
    assert app.split_message("plain text") == ("plain text", [], [])


def test_chat_runs_tools_in_per_session_workspaces(tmp_path, scripted_model):
    sgy = tmp_path / "cube.sgy"
    tiny_cube_segy(sgy)
    sessions = app.Sessions(chat_model=scripted_model, index=FakeIndex())
    respond = app.make_respond(sessions)
    for session in ("a", "b"):
        scripted_model.enqueue_tool_call("read_segy", {"file": "ws-1"})
        scripted_model.enqueue("Read it [2].")
        msgs = last(
            respond({"text": "read this", "files": [str(sgy)]}, [], True, 2, 4, request(session))
        )
        assert [m["metadata"]["title"] for m in msgs if "metadata" in m] == [
            "📚 Sources (2)",
            "🛠 read_segy ✅",
        ]
        # after a tool run the answer is the tools' own report, not the model's text
        assert msgs[-1]["content"].startswith("Read the whole cube of cube.sgy: 4 inlines")
        assert "Read it" not in msgs[-1]["content"]
    a, b = (sessions.agent(s).workspace for s in ("a", "b"))
    assert a.root != b.root and a.ids() == b.ids() == ["ws-1", "ws-2"]
    assert a.root.parent == sessions.chat_root
    sessions.close("a")
    assert not a.root.exists() and b.root.exists()


def test_settings_reach_the_agent(scripted_model):
    index = FakeIndex()
    sessions = app.Sessions(chat_model=scripted_model, index=index)
    scripted_model.enqueue("No sources this time.")
    msgs = last(app.make_respond(sessions)("What is NMO?", [], False, 3, 0, request()))
    assert msgs == [{"role": "assistant", "content": "No sources this time."}]
    cfg = sessions._agents["s1"].config  # as the settings left it
    assert (cfg.retrieval, cfg.k, cfg.max_steps) == (False, 3, 0)
    assert scripted_model.bound_tools == []  # max_steps=0: no tools offered


def test_failures_become_chat_messages(scripted_model, tmp_path):
    sessions = app.Sessions(chat_model=scripted_model, index=None)
    respond = app.make_respond(sessions)
    # the model's queue is empty: the loop reports the model failure as a step
    msgs = last(respond("What is NMO?", [], True, 4, 4, request()))
    assert msgs[-1]["content"].startswith("⚠️ the language model failed")
    # a bad upload: the checked-file error, as a message
    bad = tmp_path / "notes.docx"
    bad.write_text("x")
    msgs = last(respond({"text": "read", "files": [str(bad)]}, [], True, 4, 4, request()))
    assert "unsupported file type '.docx'" in msgs[-1]["content"]
    # anything unexpected (here: loading fails) is a message too, and the chat goes on
    broken = app.Sessions(chat_model=None, index=None)
    broken.load = lambda: (_ for _ in ()).throw(OSError("disk full"))
    msgs = last(app.make_respond(broken)("hi", [], True, 4, 4, request()))
    assert msgs[0]["metadata"]["status"] == "pending"  # "loading ..." was shown first
    assert "Something went wrong (OSError: disk full)" in msgs[-1]["content"]


def test_gate_holds_a_line_and_refuses_beyond_it():
    from common.gate import Gate

    g = Gate(running=1, waiting=1)
    assert g.try_enter() and not g.try_enter()
    assert g.line_up() == 0 and g.line_up() is None  # one in line, the next refused
    g.out_of_line()
    g.leave()
    assert g.try_enter()
    with pytest.raises(ValueError):
        Gate(0, 1)


def test_busy_reply_and_waiting_step_when_the_gate_is_full(scripted_model):
    from common.gate import Gate

    sessions = app.Sessions(chat_model=scripted_model, index=None)
    gate = Gate(running=1, waiting=1)
    respond = app.make_respond(sessions, gate)
    assert gate.try_enter()  # another answer runs
    waiting = respond("What is NMO?", [], True, 4, 4, request("a"))
    first = next(waiting)
    assert first[0]["metadata"] == {
        "title": "⏳ Waiting for a free slot (0 ahead)",
        "status": "pending",
    }
    # the line is full: a clear busy reply, at once, and no agent run
    busy = last(respond("What is AVO?", [], True, 4, 4, request("b")))
    assert busy == [{"role": "assistant", "content": app.BUSY.format(waiting=1, running=1)}]
    assert "send it again" in busy[0]["content"]
    gate.leave()  # the other answer ends: the waiting one runs
    scripted_model.enqueue("NMO flattens reflections.")
    msgs = last(waiting)
    assert msgs[0]["metadata"]["status"] == "done"
    assert msgs[-1]["content"] == "NMO flattens reflections."
    assert gate.in_line == 0 and gate.try_enter()  # its slot was given back
    gate.leave()
    # a tab closed while waiting leaves the line
    assert gate.try_enter()
    closed = respond("What is NMO?", [], True, 4, 4, request("c"))
    next(closed)
    closed.close()
    assert gate.in_line == 0


def test_pdf_only_message_gets_the_note_and_no_agent(scripted_model, tmp_path):
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    sessions = app.Sessions(chat_model=scripted_model, index=None)
    msgs = last(
        app.make_respond(sessions)({"text": "", "files": [str(pdf)]}, [], True, 4, 4, request())
    )
    assert len(msgs) == 1 and "PDFs are not read in the chat yet" in msgs[0]["content"]
    assert scripted_model.seen == []


def test_model_description_without_loading():
    from agent.config import ModelConfig

    s = app.Sessions(ModelConfig())
    assert s.model_description() == "SmolLM2-135M-Instruct (embedded) + geofm LoRA adapter"
    assert not s.loaded
    s = app.Sessions(ModelConfig(adapter="none"))
    assert s.model_description() == "SmolLM2-135M-Instruct (embedded)"


# ---- MCP -------------------------------------------------------------------------------


def test_mcp_function_has_the_tool_signature_docs_and_session():
    fn = mcp_function(REGISTRY.get("fx_decon"), lambda name: None)
    sig = inspect.signature(fn)
    assert fn.__name__ == "fx_decon"
    assert list(sig.parameters)[0] == "data" and list(sig.parameters)[-1] == "session"
    assert sig.parameters["data"].default is inspect.Parameter.empty
    assert sig.parameters["fmin_hz"].default == 1.0 and sig.parameters["session"].default == ""
    assert "lowest frequency filtered, in Hz." in fn.__doc__ and "Canales" in fn.__doc__
    assert "    session: the session token that geofm_new_session returned" in fn.__doc__
    assert [f.__name__ for f in mcp_functions(REGISTRY, lambda n: None)] == REGISTRY.names()


def test_mcp_functions_chain_through_a_session_workspace(tmp_path):
    sessions = McpSessions(tmp_path)
    s, other = sessions.new(), sessions.new()
    fns = {f.__name__: f for f in mcp_functions(REGISTRY, sessions.workspace)}
    out = fns["make_synthetic"](n_traces=40, n_samples=120, seed=3, session=s)
    assert out.startswith("synthetic 40x120") and "artifact ws-1 (array)" in out
    out = fns["fx_decon"]("ws-1", None, None, session=s)  # positional, nulls → defaults
    assert "-> ws-5" in out and "artifact ws-6 (figure)" in out and "snr_est_gain_db" in out
    assert str(tmp_path) not in out  # no server paths
    assert np.load(sessions.workspace(s).path("ws-5")).shape == (40, 120)
    assert fns["fx_decon"](data="ws-1", session=other).startswith("Error: unknown workspace id")
    assert fns["fx_decon"](data="ws-1", session="../up").startswith(
        "Error: unknown session token; call geofm_new_session"
    )
    assert fns["fx_decon"](data="ws-1", filter_length="x", session=s).startswith(
        "Error: bad arguments for fx_decon"
    )


def test_attach_file_checks_and_names_the_upload(tmp_path):
    ws = Workspace(tmp_path / "ws")
    blob = tmp_path / "file.bin"  # a data: URL upload loses its name
    tiny_cube_segy(blob)
    assert attach_file(ws, str(blob), "line.sgy").startswith(
        "attached ws-1 (segy): line.sgy (SEG-Y: geometry=3D post-stack"
    )
    with pytest.raises(Exception, match="unsupported file type '.bin'"):
        attach_file(ws, str(blob))
    assert session_name("") == "default"
    assert describe_result(ToolResult("ok", metrics={"x": 1.234567})) == 'ok\nmetrics: {"x": 1.235}'


def test_app_exposes_every_tool_and_hides_the_chat_endpoint(scripted_model):
    sessions = app.Sessions(chat_model=scripted_model, index=None)
    demo = app.build_app(sessions, mcp=True)
    names = [n.lstrip("/") for n in demo.get_api_info()["named_endpoints"]]
    assert names[: len(ALL)] == ALL.names()  # every tool, the chat's and the others
    helpers = {"geofm_new_session", "geofm_workspace", "geofm_attach_file", "geofm_get_file"}
    assert helpers <= set(names)
    assert not any("chat" in n or "respond" in n for n in names)
    demo = app.build_app(sessions, mcp=False)
    assert demo.get_api_info()["named_endpoints"] == {}


def test_help_lists_launch_options(capsys):
    with pytest.raises(SystemExit):
        app.main(["--help"])
    out = capsys.readouterr().out
    for option in (
        "--host",
        "--port",
        "--share",
        "--no-mcp",
        "--max-upload-mb",
        "--concurrency",
        "--max-array-mb",
        "--session-quota-mb",
        "--request-timeout-s",
        "--session-ttl-s",
        "--max-sessions",
        "--model",
        "--adapter",
    ):
        assert option in out


def test_a_tab_keeps_one_conversation(tmp_path, scripted_model):
    line = tmp_path / "line.npy"
    np.save(line, np.random.default_rng(0).normal(size=(20, 80)).astype(np.float32))
    sessions = app.Sessions(chat_model=scripted_model, index=None)
    respond = app.make_respond(sessions)
    scripted_model.enqueue_tool_call("bandpass", {"data": "ws-1", "figure": False}).enqueue("")
    first = last(respond({"text": "bandpass it", "files": [str(line)]}, [], False, 2, 4, request()))
    history = [{"role": "user", "content": "bandpass it"}, *first]
    scripted_model.enqueue_tool_call("plot_section", {"data": "ws-2"}).enqueue("")
    msgs = last(respond("now plot it", history, False, 2, 4, request()))
    step = next(m for m in msgs if "metadata" in m)
    assert step["metadata"]["title"] == "🛠 plot_section ✅ ← ws-2 (turn 1)"
    assert "**uses earlier results**" in step["content"] and "ws-2 from turn 1" in step["content"]
    assert "Earlier in this conversation" in str(scripted_model.seen[-2][-1].content)
    # another tab: neither its ids nor its files reach this conversation
    msgs = last(respond("plot ws-2", [], False, 2, 4, request("other")))
    assert "There is no ws-2 in this conversation" in msgs[-1]["content"]
    own = sessions.agent("s1").workspace.path("ws-2")
    msgs = last(
        respond({"text": "plot this", "files": [str(own)]}, [], False, 2, 4, request("other"))
    )
    assert "belongs to another conversation" in msgs[-1]["content"]
    assert sessions.agent("other").workspace.ids() == []
    # a cleared chat (no history) starts a new conversation in the same tab
    msgs = last(respond("plot it", [], False, 2, 4, request()))
    assert "has none yet" in msgs[-1]["content"]
    assert sessions.agent("s1").conversation.turns == []


def test_help_says_the_chat_is_a_conversation():
    assert "answered on its own" not in app.HELP
    assert "now plot" in app.HELP and "new conversation" in app.HELP
