"""Run a gold tool plan for real and record the conversation the agent would have had.

Used by the fine-tuning data builder and by the routing benchmark: both need the exact
messages the model sees at each decision (system prompt, request with the attached
files, earlier calls and the real tool observations, with real workspace ids).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.messages import AIMessage, BaseMessage

from agent.constrained import ANSWER, call_json
from agent.fake import ScriptedChatModel
from agent.loop import GeoAgent
from agent.messages import KINDS_TAG, first_messages, tool_message
from common.errors import BadInputError
from common.paths import geofm_data
from finetune.made_files import MADE, made_file
from tools import REGISTRY, Artifact, Registry, ToolResult, Workspace
from tools.synthetic import make_section

__all__ = [
    "Trace",
    "run_plan",
    "resolve",
    "decision_json",
    "shared_data_dir",
    "setup_files",
    "arguments_match",
    "score_decision",
    "missing_weights",
]

_REF = re.compile(r"^@(f?)(\d+)(?:\.(\d+))?$")


def shared_data_dir() -> Path:
    """``$GEOFM_DATA/data`` (default ``../shared/data`` beside the repository): the real
    files for data and benchmarks."""
    d = geofm_data() / "data"
    if not d.is_dir():
        raise BadInputError(
            f"{d} not found: the routing data need the real files in "
            "$GEOFM_DATA/data (default ../shared/data beside the repository)"
        )
    return d


def setup_files(names: tuple[str, ...], scratch: Path) -> list[Path]:
    """Paths of a setup's files; ``section.npy`` and ``holed_section.npy`` are made (a
    seeded synthetic section; the same with 30 % of its traces zeroed), and so are the
    waveform and potential-field files of :mod:`finetune.made_files`."""
    out = []
    for name in names:
        if name in ("section.npy", "holed_section.npy"):
            p = scratch / name
            if not p.exists():
                section = make_section(n_traces=120, n_samples=250, seed=7).clean
                if name.startswith("holed"):
                    dead = np.random.default_rng(7).choice(120, 36, replace=False)
                    section[dead] = 0.0
                np.save(p, section.astype(np.float32))
            out.append(p)
        elif name.startswith("obspy:") or name in MADE:
            out.append(made_file(name, scratch))
        else:
            out.append(shared_data_dir() / name)
    return out


@dataclass
class Trace:
    """A plan run for real: the messages up to each decision, and what the tools gave."""

    question: str
    messages: list[BaseMessage]  # first messages, then (call, observation) pairs
    calls: list[tuple[str, dict[str, Any]]]
    results: list[ToolResult] = field(default_factory=list)
    attached: list[Artifact] = field(default_factory=list)

    def asked(self, question: str) -> "Trace":
        """The same run with the request in other words (only the request turn changes)."""
        first = first_messages(question, (), self.attached)
        first[-1].additional_kwargs.update(self.history(0)[-1].additional_kwargs)  # kinds
        rest = self.messages[len(self.history(0)) :]
        return replace(self, question=question, messages=first + list(rest))

    def history(self, i: int) -> list[BaseMessage]:
        """What the model has seen before decision ``i`` (0 = the first decision)."""
        n_first = len(self.messages) - 2 * len(self.calls)
        return self.messages[: n_first + 2 * i]

    @property
    def decisions(self) -> list[dict[str, Any]]:
        """The gold decision at each step: every call, then ``answer``."""
        return [{"name": n, "arguments": a} for n, a in self.calls] + [
            {"name": ANSWER, "arguments": {}}
        ]


def resolve(value: Any, files: list[str], results: list[ToolResult], slots: dict[str, Any]) -> Any:
    """Fill ``@f1`` / ``@2`` / ``@2.3`` references and ``{slot}`` values in an argument."""
    if isinstance(value, str):
        m = _REF.match(value)
        if m:
            is_file, n, k = m.group(1), int(m.group(2)), int(m.group(3) or 1)
            if is_file:
                return files[n - 1]
            arts = results[n - 1].artifacts
            return arts[k - 1].id
        if value.startswith("{") and value.endswith("}") and value[1:-1] in slots:
            return slots[value[1:-1]]
        return value.format(**slots) if "{" in value else value
    return value


def run_plan(
    question: str,
    paths: list[Path],
    calls: list[tuple[str, dict[str, Any]]],
    slots: dict[str, Any] | None = None,
    offset: int = 0,
    registry: Registry | None = None,
) -> Trace:
    """Attach ``paths`` in a fresh workspace (after ``offset`` earlier items, so ids vary),
    run ``calls`` and return the trace.

    Raises:
        BadInputError: a gold call failed (a bug in the plan, not in the model).
    """
    registry = registry or REGISTRY
    slots = slots or {}
    root = Path(tempfile.mkdtemp(prefix="geofm-trace-"))
    try:
        ws = Workspace(root)
        for j in range(offset):
            ws.save_array(np.zeros((2, 16), np.float32), f"earlier result {j + 1}")
        # only to attach the files: no model is asked anything
        agent = GeoAgent(chat_model=ScriptedChatModel(), registry=registry, workspace=ws)
        attached = agent.attach([str(p) for p in paths])
        files = [a.id for a in attached]
        messages = first_messages(question, (), attached)
        messages[-1].additional_kwargs[KINDS_TAG] = ws.kinds()  # as the agent loop shows
        trace = Trace(question, messages, [], attached=attached)
        for n, (name, args) in enumerate(calls, 1):
            args = {k: resolve(v, files, trace.results, slots) for k, v in args.items()}
            result = registry.call(name, args, ws)
            if not result.ok:
                raise BadInputError(f"gold call {name}({args}) failed: {result.summary}")
            trace.calls.append((name, args))
            trace.results.append(result)
            messages.append(
                AIMessage(
                    content="",
                    tool_calls=[
                        {"name": name, "args": args, "id": f"call-{n}", "type": "tool_call"}
                    ],
                )
            )
            made = ws.kinds([a.id for a in result.artifacts])
            messages.append(tool_message(result, f"call-{n}", name, made))
        return trace
    finally:
        shutil.rmtree(root, ignore_errors=True)


def missing_weights(calls) -> str | None:
    """Why a plan cannot run yet (a GeoFM tool whose weights are not trained), or None."""
    from tools.geofm.tools import weights_dir

    for name, _ in calls:
        if name.startswith("geofm_"):
            d = weights_dir(name.removeprefix("geofm_"))
            if not (d / "model.safetensors").exists():
                return f"{name}: no trained GeoFM weights (tools/geofm/weights)"
    return None


def decision_json(decision: dict[str, Any]) -> str:
    """A decision as the model writes it (:func:`agent.constrained.call_json`)."""
    return call_json(decision["name"], decision["arguments"])


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(b)))
    return a == b


def arguments_match(pred: dict[str, Any], gold: dict[str, Any], schema: dict[str, Any]) -> bool:
    """Every gold argument given with its value; any other argument at its default."""
    props = (schema or {}).get("properties", {})
    for k, v in gold.items():
        if k not in pred or not _same(pred[k], v):
            return False
    for k, v in pred.items():
        if k not in gold and not ("default" in props.get(k, {}) and _same(v, props[k]["default"])):
            return False
    return True


def score_decision(
    pred: dict[str, Any] | None, gold: dict[str, Any], schemas: dict[str, dict[str, Any]]
) -> tuple[bool, bool]:
    """(right tool, right tool and arguments) for one decision."""
    if pred is None or pred.get("name") != gold["name"]:
        return False, False
    schema = schemas.get(gold["name"], {}).get("parameters", {})
    return True, arguments_match(pred.get("arguments") or {}, gold["arguments"], schema)
