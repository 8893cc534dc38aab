"""geofm chat app (Gradio): a thin adapter over the agent's step stream.

    python app.py [--host 127.0.0.1] [--port 7860] [--share] [--model embedded]

Each browser session gets its own workspace; the model and the literature index are
loaded once and shared. Every agent step becomes a chat message: retrieval and tool
calls as collapsible steps, figures inline, the answer with its references.
"""


import argparse
import json
import tempfile
import threading
from pathlib import Path

__all__ = ["build_app", "step_messages", "main"]

HELP = ("Ask about geophysics — answers cite the literature they draw on — or attach a "
        "SEG-Y (.sgy), NumPy (.npy) or LAS file and ask for processing: read, denoise, "
        "filter, invert, plot. Each tool step can be opened to see its arguments and timing; "
        "figures appear inline. Runs offline on the embedded SmolLM2-135M model.")

EXAMPLES = [
    "What does normal moveout correction do?",
    "How does f-x deconvolution attenuate random noise?",
    "What is the difference between post-stack and pre-stack inversion?",
]


def step_messages(step) -> list[dict]:
    """Chat messages (Gradio "messages" format) that show one agent step."""
    from agent.steps import Answer, Error, Retrieved, ToolCall, ToolOutput

    if isinstance(step, Retrieved):
        body = "\n".join(f"[{p.n}] {p.citation}" for p in step.passages) or "nothing found"
        return [{"role": "assistant", "content": body,
                 "metadata": {"title": f"📚 Sources ({len(step.passages)})", "status": "done"}}]
    if isinstance(step, ToolCall):
        return [{"role": "assistant", "content": f"```json\n{json.dumps(step.args, indent=1)}\n```",
                 "metadata": {"title": f"🛠 {step.name}", "status": "pending"}}]
    if isinstance(step, ToolOutput):
        status = "✅" if step.result.ok else "⚠️"
        msgs = [{"role": "assistant", "content": step.result.summary,
                 "metadata": {"title": f"{status} {step.name} ({step.seconds:.1f}s)",
                              "status": "done"}}]
        for a in step.result.artifacts:
            if a.kind == "figure":
                msgs.append({"role": "assistant", "content": {"path": a.path}})
        return msgs
    if isinstance(step, Answer):
        text = step.text
        if step.citations:
            text += "\n\n**References**\n" + "\n".join(f"[{c.n}] {c.citation}"
                                                      for c in step.citations)
        return [{"role": "assistant", "content": text}]
    if isinstance(step, Error):
        return [{"role": "assistant", "content": f"⚠️ {step.message}"}]
    return []


class Sessions:
    """One workspace per browser session over a shared chat model and index."""

    def __init__(self, model_config, agent_config):
        self.model_config, self.agent_config = model_config, agent_config
        self._lock = threading.Lock()
        self._shared = None
        self._agents: dict[str, object] = {}
        self.root = Path(tempfile.mkdtemp(prefix="geofm-app-"))

    def agent(self, session: str, retrieval: bool = True, k: int = 4, max_steps: int = 4):
        """This session's agent (own workspace) with the settings panel's values."""
        from agent.config import AgentConfig
        from agent.loop import GeoAgent
        from tools.workspace import Workspace

        with self._lock:
            if self._shared is None:
                base = GeoAgent.from_defaults(self.model_config, self.agent_config)
                self._shared = (base.chat_model, base.index)
            chat, index = self._shared
            if session not in self._agents:
                self._agents[session] = GeoAgent(chat, index=index, config=self.agent_config,
                                                 workspace=Workspace(self.root / session))
            agent = self._agents[session]
            agent.config = AgentConfig(retrieval=retrieval and index is not None, k=int(k),
                                       max_steps=int(max_steps),
                                       workspace=str(agent.workspace.root))
            return agent


def build_app(sessions: Sessions):
    import gradio as gr

    from tools.errors import GeoFMError

    def respond(message, history, retrieval, k, max_steps, request: gr.Request):
        text = message.get("text", "") if isinstance(message, dict) else str(message)
        files = message.get("files", []) if isinstance(message, dict) else []
        files = [f if isinstance(f, str) else f.get("path") for f in files]
        shown: list[dict] = []
        try:
            agent = sessions.agent(request.session_hash or "local", retrieval, k, max_steps)
            for step in agent.stream(text, files=files):
                shown.extend(step_messages(step))
                yield shown
        except GeoFMError as e:
            shown.append({"role": "assistant", "content": f"⚠️ {e}"})
            yield shown

    settings = [gr.Checkbox(value=sessions.agent_config.retrieval, label="search the literature"),
                gr.Slider(1, 10, value=sessions.agent_config.k, step=1,
                          label="passages retrieved (k)"),
                gr.Slider(0, 8, value=sessions.agent_config.max_steps, step=1,
                          label="most tool calls per answer")]
    return gr.ChatInterface(
        respond, multimodal=True, title="geofm",
        description=HELP, examples=[[{"text": e}] for e in EXAMPLES], run_examples_on_click=False,
        textbox=gr.MultimodalTextbox(file_types=[".sgy", ".segy", ".npy", ".las"],
                                     placeholder="Ask a question or attach a SEG-Y file"),
        additional_inputs=settings,
        additional_inputs_accordion=gr.Accordion("Settings", open=False),
        concurrency_limit=2)


def main(argv: list[str] | None = None) -> None:
    from agent.cli.ask import add_model_options, model_config_from
    from agent.config import AgentConfig
    from tools.workspace import MAX_UPLOAD_BYTES

    p = argparse.ArgumentParser(description="The geofm chat app.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=7860, help="port to listen on")
    p.add_argument("--share", action="store_true", help="ask Gradio for a public share link")
    p.add_argument("--no-retrieval", action="store_true", help="do not search the literature")
    add_model_options(p)
    args = p.parse_args(argv)
    sessions = Sessions(model_config_from(args), AgentConfig(retrieval=not args.no_retrieval))
    app = build_app(sessions)
    app.queue(default_concurrency_limit=2).launch(
        server_name=args.host, server_port=args.port, share=args.share,
        max_file_size=MAX_UPLOAD_BYTES)


if __name__ == "__main__":
    main()
