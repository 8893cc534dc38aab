"""`model="openai:NAME"`: ChatOpenAI against a local OpenAI-compatible server (a stub
here, standing in for vLLM or llama.cpp server) drives the same agent loop."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from agent.chat_model import make_chat_model
from agent.config import AgentConfig, ModelConfig
from agent.loop import GeoAgent
from agent.steps import Answer, ToolCall, ToolOutput
from common.errors import BadInputError


class _Server:
    """Answers /v1/chat/completions from a queue of assistant messages; keeps requests."""

    def __init__(self, replies):
        self.replies, self.requests = list(replies), []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(body)
                msg = outer.replies.pop(0)
                payload = {
                    "id": "x",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "message": msg,
                            "finish_reason": "tool_calls" if msg.get("tool_calls") else "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def test_openai_model_drives_the_agent(tmp_path):
    call = {
        "id": "c1",
        "type": "function",
        "function": {
            "name": "make_synthetic",
            "arguments": json.dumps({"n_traces": 20, "n_samples": 32}),
        },
    }
    server = _Server(
        [
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "assistant", "content": "Made a 20-trace synthetic line ws-1."},
        ]
    )
    try:
        chat = make_chat_model(ModelConfig(model="openai:served-model", base_url=server.url))
        agent = GeoAgent(chat, config=AgentConfig(retrieval=False, workspace=str(tmp_path)))
        steps = list(agent.stream("make a small synthetic line"))
    finally:
        server.httpd.shutdown()
    kinds = [type(s) for s in steps]
    assert kinds == [ToolCall, ToolOutput, Answer]
    assert steps[1].result.ok and "ws-1" in steps[1].result.summary
    assert steps[2].text.startswith("Made a synthetic line: 20 traces x 32 samples")
    first = server.requests[0]
    assert first["model"] == "served-model"
    names = {t["function"]["name"] for t in first["tools"]}
    assert {"make_synthetic", "fx_decon", "read_segy"} <= names
    # the tool result went back to the server as a tool message
    assert server.requests[1]["messages"][-1]["role"] == "tool"


def test_openai_model_needs_a_url(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(BadInputError, match="base_url"):
        make_chat_model(ModelConfig(model="openai:x"))
    with pytest.raises(BadInputError, match="after 'openai:'"):
        ModelConfig(model="openai:")
