"""geofm chat app (Gradio): a thin adapter over the agent's step stream, and an MCP server.

    python app.py [--host 127.0.0.1] [--port 7860] [--share] [--no-mcp] [--model embedded]

Each browser tab keeps one conversation (``GeoAgent.chat``: its workspace and the record
of earlier turns, server-side, deleted when the tab closes); the model and the literature
index are loaded once and shared. Every agent step becomes a chat message: retrieval as a
collapsible list of sources, each tool call as a collapsible step (arguments, duration,
status, result, download links), figures inline, the answer with its references. The
registered tools are also served over MCP at ``/gradio_api/mcp/`` (``--no-mcp`` turns it off).
"""

import argparse
import atexit
import logging
import os
import shutil
import tempfile
import threading
import time
import weakref
from pathlib import Path

from agent.config import AgentConfig, ModelConfig, add_model_options, model_config_from
from agent.domains import DomainRouter
from agent.transcript import Transcript, shown_seconds
from common.errors import BadInputError, GeoFMError
from common.gate import Gate
from common.memory import trim_heap, tune_heap
from corpus import default_index
from tools import ALL
from tools.limits import LimitedRegistry, ServerLimits, add_limit_options, limits_from
from tools.mcp import session_name
from tools.mcp_server import add_mcp_endpoints, launch_options
from tools.mcp_sessions import McpSessions
from tools.workspace import MAX_UPLOAD_BYTES, Workspace

__all__ = [
    "build_app",
    "make_respond",
    "Sessions",
    "Transcript",
    "split_message",
    "BUSY",
    "main",
    "HELP",
    "EXAMPLES",
]

log = logging.getLogger("geofm.app")

# reflection seismic and wells, earthquake waveforms, gravity and magnetics, papers
UPLOAD_TYPES = ".sgy .segy .npy .las .mseed .miniseed .sac .csv .nc .pdf".split()
# Uploads the agent cannot use yet: kept out of the workspace, with a note saying why.
UNREAD = {
    ".pdf": "PDFs are not read in the chat yet, so {name} was not attached. To ask "
    "about a paper, index it with `geofm index build {name} --out my_index` and "
    'search it with `geofm index search my_index "..."`; the chat answers from '
    "the built-in geophysics literature."
}

HELP = """\
**Ask about geophysics.** Answers cite the passages they draw on as [n], with a reference
list; open *Sources* to see everything that was retrieved.

**Process seismic data.** Attach a SEG-Y (`.sgy`, `.segy`), NumPy (`.npy`) or LAS file
(📎 or drag and drop) and ask to read, filter (bandpass, AGC, f-k), denoise (f-x
deconvolution, rank reduction, median, GeoFM), measure SNR or spectra, invert for
impedance, or plot. No file at hand? Try the example on a synthetic line. Each tool call
is a step you can open (arguments, duration, result, download links for arrays, SEG-Y and
figures); figures appear inline.

**Earthquakes, gravity and magnetics.** Attach MiniSEED or SAC to filter, trigger, pick
P and S, plot, or predict arrivals (TauP); gravity or magnetic CSV `x,y,value` or netCDF
to grid, upward-continue, reduce to the pole, take derivatives, run Euler deconvolution
or map. The files (else the words) decide which domain's tools the model is offered.

**A conversation.** Follow-ups use the files and results of earlier messages: "now plot
it", "same but 10-40 Hz", "compare it with the f-x result", "save that as SEG-Y", "what
was the SNR gain?" (answered from the record, no tool run). "Try rank 1" or "lower the
threshold to 0.3" re-runs the earlier step on the data it read, with its other settings
kept; a SEG-Y file sent with a follow-up is read and processed. A step that used an
earlier result says which (its workspace id and turn). Clearing the chat starts a
new conversation; closing the tab deletes its files.

**Good to know.** The embedded model is small (SmolLM2-135M with geofm's LoRA adapter)
and only decides which tool to call. On requests worded apart from its training data (a
blind routing set) it picks the right tool at 318 of 352 steps and carries out 56 of
115 requests exactly; on the main routing set, whose errors its training data was
written from, 289 of 298 steps and 108 of 116 requests (llama.cpp backend). It does not
write the answers: a literature answer quotes the indexed pages' sentences, cited [n],
or says the literature does not cover the question; after tools you read a report of the
tools' own figures. PDFs are accepted but not read yet.
Uploads up to {max_mb} MB. Tools: {tools}. The same tools are served over MCP at
`/gradio_api/mcp/`.
"""

# Literature questions, and a request on a SEG-Y file the app makes at start (a seeded
# noisy synthetic line): prompts the embedded model handles. Without a file it answers in
# words even when asked for synthetic data (agent/adapter/README.md), so no such example.
EXAMPLES = [
    "What does normal moveout correction do?",
    "How does f-x deconvolution attenuate random noise?",
    "What is the difference between post-stack and pre-stack inversion?",
]
FILE_EXAMPLES = ["Plot this section"]
# The reply to a chat request beyond the line (common.gate), instead of Gradio's
# queue-full error, which drops the question.
BUSY = (
    "⏳ The server is busy: {waiting} questions are already waiting for the {running} "
    "that run at once. Yours was not run; please send it again in a minute."
)
EXAMPLE_SEGY = "noisy_synthetic_line.sgy"


PLACEHOLDER = """\
### Ask about geophysics, or attach seismic data and ask for processing
Answers cite the literature as [n]. Tool calls (read, filter, denoise, invert, plot)
show up as steps you can open; figures appear inline, results can be downloaded.
Open *What this can do* above for details, or try an example below."""


class Sessions:
    """Per-session workspaces over one chat model and one literature index.

    Args:
        model_config: which model to load on first use (ignored when ``chat_model`` is given).
        agent_config: the defaults of the settings panel.
        chat_model: an already built LangChain chat model (tests pass a scripted one).
        index: a ``corpus.Index``, None for no retrieval, or "default" for the default
            index under $GEOFM_HOME (loaded on first use).
        limits: array size, disk, time and session limits of every tool call, chat and
            MCP alike (``tools.limits.ServerLimits``; its defaults when None).
        workers: tool worker processes kept warm when calls have a time cap (the
            server's ``--concurrency``; ``tools.limits.WorkerPool``).
        clock: seconds, monotonic, for MCP session expiry (tests pass a fake).
    """

    def __init__(
        self,
        model_config=None,
        agent_config=None,
        chat_model=None,
        index="default",
        limits=None,
        clock=time.monotonic,
        workers=2,
    ):
        self.model_config = model_config or ModelConfig()
        self.agent_config = agent_config or AgentConfig()
        self.limits = limits or ServerLimits()
        self.registry = LimitedRegistry(ALL, self.limits, workers=workers)
        self.domains: DomainRouter | None = None  # made with the index (its embedder)
        self._chat, self._index = chat_model, index
        self._lock = threading.Lock()
        self._agents: dict[str, object] = {}
        self.root = Path(tempfile.mkdtemp(prefix="geofm-app-"))
        # deleted by shutdown(), else when these sessions are collected or Python exits
        self._delete_root = weakref.finalize(self, shutil.rmtree, self.root, True)
        self.chat_root, self.mcp_root = self.root / "chat", self.root / "mcp"
        self.chat_root.mkdir()
        self.mcp = McpSessions(
            self.mcp_root, self.limits.session_ttl_s, self.limits.max_sessions, clock
        )

    @property
    def loaded(self) -> bool:
        return self._chat is not None and self._index != "default"

    def load(self) -> tuple:
        """(chat model, index), loaded once; safe to call from several threads."""
        with self._lock:
            if self._index == "default":
                self._index = default_index() if self.agent_config.retrieval else None
            if self._chat is None:
                from agent.chat_model import make_chat_model  # langchain: at first load

                self._chat = make_chat_model(self.model_config)
            if self.domains is None:
                self.domains = DomainRouter(embedder=getattr(self._index, "embedder", None))
            return self._chat, self._index

    def model_description(self) -> str:
        if self._chat is not None:
            return getattr(self._chat, "model_name", None) or getattr(
                self._chat, "_llm_type", type(self._chat).__name__
            )
        mc = self.model_config
        name = "SmolLM2-135M-Instruct (embedded)" if mc.model == "embedded" else mc.model
        if mc.adapter == "default" and mc.model == "embedded":
            return name + " + geofm LoRA adapter"
        return name + ("" if mc.adapter in (None, "none", "default") else f" + {mc.adapter}")

    def agent(self, session: str, retrieval: bool = True, k: int = 4, max_steps: int = 4):
        """This session's agent (own workspace) with the settings panel's values."""
        from agent.loop import GeoAgent  # langchain: `python app.py --help` stays fast

        chat, index = self.load()
        with self._lock:
            if session not in self._agents:
                ws = Workspace(self.chat_root / session_name(session))
                self._agents[session] = GeoAgent(
                    chat, index=index, workspace=ws, registry=self.registry, domains=self.domains
                )
            agent = self._agents[session]
            agent.config = AgentConfig(
                retrieval=bool(retrieval) and index is not None,
                k=int(k),
                max_steps=int(max_steps),
                workspace=str(agent.workspace.root),
            )
            return agent

    def check_uploads(self, session: str, files: list[str]) -> None:
        """Refuse a file that lies in another conversation's (or MCP) workspace: a tab
        never reads another's items."""
        own = (self.chat_root / session_name(session)).resolve()
        for f in files:
            p = Path(f).resolve()
            if p.is_relative_to(self.root.resolve()) and not p.is_relative_to(own):
                raise BadInputError(
                    f"{p.name} belongs to another conversation; download it there and "
                    "attach it here, or ask in that tab"
                )

    def workspace(self, token: str):
        """The workspace of the MCP session ``token`` (kept apart from the chat sessions')."""
        return self.mcp.workspace(token)

    def close(self, session: str) -> None:
        """Forget a chat session and delete its workspace (the browser tab closed)."""
        with self._lock:
            agent = self._agents.pop(session, None)
        if agent is not None:
            shutil.rmtree(agent.workspace.root, ignore_errors=True)

    def shutdown(self) -> None:
        """Stop the tool workers and delete every workspace, chat and MCP (the server is
        stopping)."""
        self.registry.close()
        self.mcp.close_all()
        self._delete_root()


def make_example_segy(folder: Path) -> Path:
    """A seeded noisy synthetic 2D line (80 traces x 250 samples at 4 ms, 0 dB random
    noise) written as SEG-Y by the registered tools, for the example prompts."""
    out = folder / EXAMPLE_SEGY
    if not out.exists():
        ws = Workspace(folder / "ws")
        ALL.call("make_synthetic", {"n_traces": 80, "n_samples": 250, "seed": 7}, ws)
        r = ALL.call("write_segy", {"data": "ws-1", "headers": "minimal"}, ws)
        shutil.copyfile(r.artifacts[0].path, out)
        shutil.rmtree(ws.root, ignore_errors=True)
    return out


def split_message(message) -> tuple[str, list[str], list[str]]:
    """(text, files the agent reads, notes on files it does not) of a multimodal message."""
    text = message.get("text", "") if isinstance(message, dict) else str(message or "")
    files = message.get("files", []) if isinstance(message, dict) else []
    paths = [f if isinstance(f, str) else (f.get("path") or f.get("name")) for f in files]
    kept, notes = [], []
    for p in paths:
        why = UNREAD.get(Path(p).suffix.lower())
        if why:
            notes.append("📄 " + why.format(name=Path(p).name))
        else:
            kept.append(p)
    return text, kept, notes


def make_respond(sessions: Sessions, gate: Gate | None = None):
    """The chat handler: a generator of the growing list of this answer's messages. Every
    failure becomes a message; the chat never goes dead. With ``gate``, a request beyond
    its line gets the busy reply."""
    import gradio as gr

    def respond(message, history, retrieval=True, k=4, max_steps=4, request: gr.Request = None):
        t = Transcript()
        if gate is not None and not gate.try_enter():
            ahead = gate.line_up()
            if ahead is None:
                t.note(BUSY.format(waiting=gate.waiting, running=gate.running))
                yield t.messages
                return
            try:  # a tab closed while waiting leaves the line
                m = t.pending(f"⏳ Waiting for a free slot ({ahead} ahead)")
                yield t.messages
                t0 = time.perf_counter()
                gate.wait()
            finally:
                gate.out_of_line()
            m["metadata"].update(status="done", duration=shown_seconds(time.perf_counter() - t0))
        try:
            yield from _answer(t, message, history, retrieval, k, max_steps, request)
        finally:
            if gate is not None:
                gate.leave()
            # the request's freed pages back to the system; no full collection here: it
            # would hold the GIL for a fraction of a second while another request runs
            trim_heap(collect_cycles=False)

    def _answer(t, message, history, retrieval, k, max_steps, request):
        try:
            text, files, notes = split_message(message)
            for n in notes:
                t.note(n)
            if notes and not files and not text.strip():
                yield t.messages
                return
            if not sessions.loaded:
                m = t.pending("⏳ Loading the model and the literature index (first question)")
                yield t.messages
                t0 = time.perf_counter()
                sessions.load()
                m["metadata"].update(
                    status="done", duration=shown_seconds(time.perf_counter() - t0)
                )
            session = getattr(request, "session_hash", None) or "local"
            sessions.check_uploads(session, files)
            agent = sessions.agent(session, retrieval, k, max_steps)
            if not history and agent.conversation.turns:
                agent.reset()  # the chat was cleared: a new conversation
            yield t.messages
            for step in agent.chat_stream(text, files=files):
                yield t.add(step)
        except GeoFMError as e:
            t.note(f"⚠️ {e}")
            yield t.messages
        except Exception as e:  # never a dead chat: the error is a message, the session lives
            log.exception("respond failed")
            t.note(
                f"⚠️ Something went wrong ({type(e).__name__}: {e}). The session still "
                "works: try again, or rephrase the request."
            )
            yield t.messages

    return respond


def build_app(
    sessions: Sessions,
    mcp: bool = True,
    max_upload_mb: int = 2048,
    concurrency: int = 2,
    mcp_token: str | None = None,
    max_queue: int = 16,
):
    """The Gradio Blocks: settings sidebar, help, chat; MCP endpoints when ``mcp``, which
    refuse requests without ``Authorization: Bearer <mcp_token>`` when it is given (launch
    with ``tools.mcp_server.launch_options(mcp_token)`` to guard the MCP transport too).
    ``concurrency`` chat answers run at once and ``max_queue`` more wait (one
    ``common.gate.Gate`` for the chat box and the HTTP API alike); beyond that, :data:`BUSY`."""
    import gradio as gr

    gate = Gate(concurrency, max_queue)
    respond = make_respond(sessions, gate)
    help_md = HELP.format(max_mb=max_upload_mb, tools=", ".join(f"`{n}`" for n in ALL.names()))
    with gr.Blocks(title="geofm", fill_height=True) as demo:
        with gr.Sidebar(open=True):
            gr.Markdown("### Settings")
            gr.Markdown(
                f"**Model:** {sessions.model_description()}  \n"
                "Fixed for this server: every model takes memory and time to load, so "
                "it is not switched per session. Restart with `--model` / `--adapter` "
                "to use another.",
                elem_id="model-info",
            )
            retrieval = gr.Checkbox(
                value=sessions.agent_config.retrieval, label="search the literature"
            )
            k = gr.Slider(
                1, 10, value=sessions.agent_config.k, step=1, label="passages retrieved (k)"
            )
            max_steps = gr.Slider(
                0,
                8,
                value=sessions.agent_config.max_steps,
                step=1,
                label="most tool calls per answer",
            )
        gr.Markdown("## geofm — a geophysics assistant")
        with gr.Accordion("ℹ️ What this can do", open=False, elem_id="help"):
            gr.Markdown(help_md)
        segy = make_example_segy(sessions.root / "examples")
        examples = [[{"text": e}] for e in EXAMPLES] + [
            [{"text": e, "files": [str(segy)]}] for e in FILE_EXAMPLES
        ]
        labels = EXAMPLES + [f"{e} (a noisy synthetic SEG-Y line)" for e in FILE_EXAMPLES]
        gr.ChatInterface(
            respond,
            multimodal=True,
            examples=examples,
            example_labels=labels,
            run_examples_on_click=False,
            cache_examples=False,
            chatbot=gr.Chatbot(
                label="geofm",
                elem_id="chat",
                scale=1,
                buttons=["copy_all"],
                placeholder=PLACEHOLDER,
            ),
            textbox=gr.MultimodalTextbox(
                file_types=UPLOAD_TYPES,
                file_count="multiple",
                elem_id="ask",
                placeholder=f"Ask, or attach seismic, waveform or gravity data (up to {max_upload_mb} MB)",
            ),
            additional_inputs=[retrieval, k, max_steps],
            # the gate holds the line; a few more slots give busy replies (a moment each)
            # before Gradio's own queue, and its queue-full error, come into play
            concurrency_limit=concurrency + max_queue + 4,
            api_visibility="undocumented",
        )
        if mcp:
            add_mcp_endpoints(
                sessions.mcp, sessions.registry, sessions.limits, concurrency, mcp_token
            )

        def close_session(request: gr.Request):
            sessions.close(request.session_hash or "local")

        demo.unload(close_session)
    return demo


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="The geofm chat app (and MCP server).")
    p.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (0.0.0.0 for every interface)"
    )
    p.add_argument("--port", type=int, default=7860, help="port to listen on")
    p.add_argument("--share", action="store_true", help="ask Gradio for a public share link")
    p.add_argument(
        "--no-mcp",
        action="store_true",
        help="do not serve the tools over MCP (default: at /gradio_api/mcp/)",
    )
    p.add_argument("--no-retrieval", action="store_true", help="do not search the literature")
    p.add_argument(
        "--concurrency",
        type=int,
        default=2,
        help="questions (and MCP tool calls) run at once; more wait in the queue",
    )
    p.add_argument(
        "--max-queue",
        type=int,
        default=16,
        help="questions (and, in Gradio's queue, MCP tool calls) allowed to wait; beyond "
        "that the user is asked to retry",
    )
    p.add_argument(
        "--max-upload-mb", type=int, default=MAX_UPLOAD_BYTES // 2**20, help="largest upload, in MB"
    )
    add_limit_options(p)
    add_model_options(p)
    args = p.parse_args(argv)
    tune_heap()  # before the model, the index and the server's threads allocate
    limits = limits_from(args)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for name in ("geofm", "agent", "tools", "corpus"):  # ours at INFO: loads, tool timings
        logging.getLogger(name).setLevel(logging.INFO)
    sessions = Sessions(
        model_config_from(args),
        AgentConfig(retrieval=not args.no_retrieval),
        limits=limits,
        workers=args.concurrency,
    )
    atexit.register(sessions.shutdown)
    # a secret: from the environment, as a command-line option would show in `ps`
    mcp_token = os.environ.get("GEOFM_MCP_TOKEN") or None
    # load in the background: the page is up at once, the first question waits less
    threading.Thread(target=_warm_up, args=(sessions,), daemon=True).start()
    app = build_app(
        sessions,
        mcp=not args.no_mcp,
        max_upload_mb=args.max_upload_mb,
        concurrency=args.concurrency,
        mcp_token=mcp_token,
        max_queue=args.max_queue,
    )
    try:
        app.queue(default_concurrency_limit=args.concurrency, max_size=args.max_queue).launch(
            server_name=args.host,
            server_port=args.port,
            share=args.share,
            max_file_size=f"{args.max_upload_mb}mb",
            mcp_server=not args.no_mcp,
            allowed_paths=[str(sessions.chat_root)],
            **launch_options(mcp_token),
        )
    finally:
        sessions.shutdown()


def _warm_up(sessions: Sessions) -> None:
    try:
        sessions.load()
    except Exception:  # shown again, as a chat message, when a question needs the model
        log.exception("loading the model or the index failed")


if __name__ == "__main__":
    main()
