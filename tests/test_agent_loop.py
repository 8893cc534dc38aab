"""The agent loop with a scripted model: exact step sequences, citations, caps, recovery."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pytest

from agent.config import AgentConfig
from agent.loop import GeoAgent, cite
from agent.steps import AgentResult, Answer, Error, Passage, Retrieved, ToolCall, ToolOutput
from common.errors import BadInputError
from tools import Registry, Tool, ToolResult, Workspace


@dataclass(frozen=True)
class FakeHit:
    text: str
    title: str
    citation: str
    source: str = "doc.md"
    page: int | None = None
    score: float = 1.0


class FakeIndex:
    def __init__(self, hits):
        self.hits, self.queries = hits, []

    def search(self, query, k=5):
        self.queries.append((query, k))
        return self.hits[:k]


def scale(
    workspace: Workspace, data: str, factor: float, mode: Literal["multiply", "divide"] = "multiply"
) -> ToolResult:
    """Scale an array.

    Args:
        data: workspace id of the array.
        factor: the scale factor, dimensionless.
        mode: multiply or divide by the factor.
    """
    x = workspace.load_array(data)
    y = x * factor if mode == "multiply" else x / factor
    art = workspace.save_array(y, "scaled")
    return ToolResult(f"scaled {data} into {art.id}", (art,), {"max": float(y.max())})


@pytest.fixture
def registry():
    return Registry([Tool.from_function(scale)])


HITS = [
    FakeHit("NMO removes the offset dependence of traveltime.", "NMO", "NMO doc (2026)"),
    FakeHit("Stacking sums NMO-corrected traces.", "Stack", "Stack doc (2026)"),
]


def test_answer_only_without_index_or_tools(scripted_model):
    scripted_model.enqueue("NMO flattens reflections.")
    agent = GeoAgent(scripted_model, index=None, registry=Registry([]))
    result = agent.ask("What does NMO do?")
    assert [type(s) for s in result.steps] == [Answer]
    assert result.answer == "NMO flattens reflections."
    assert result.citations == () and result.ok


def test_retrieval_then_cited_answer(scripted_model):
    index = FakeIndex(HITS)
    scripted_model.enqueue("It removes offset dependence [1], then traces are stacked [2][7].")
    agent = GeoAgent(scripted_model, index=index, registry=Registry([]), config=AgentConfig(k=2))
    result = agent.ask("What does NMO do?")
    assert [type(s) for s in result.steps] == [Retrieved, Answer]
    assert index.queries == [("What does NMO do?", 2)]
    assert [c.n for c in result.citations] == [1, 2]
    assert "[7]" not in result.answer  # never retrieved: removed
    prompt = scripted_model.seen[0][1].content
    assert "[1] NMO: NMO removes" in prompt and "[2] Stack:" in prompt


def test_cite_keeps_only_retrieved_numbers():
    ps = (Passage(1, "a", "A", "A ref"), Passage(3, "c", "C", "C ref"))
    text, cited = cite("x [1, 2, 3] y [4]. z [3]", ps)
    assert text == "x [1, 3] y. z [3]"
    assert [p.n for p in cited] == [1, 3]


def test_single_tool_plan_exact_steps(scripted_model, registry, workspace):
    import numpy as np

    art = workspace.save_array(np.ones((3, 4)), "ones")
    scripted_model.enqueue_tool_call("scale", {"data": art.id, "factor": 2.0})
    scripted_model.enqueue("Scaled; the maximum is now 2.")
    agent = GeoAgent(scripted_model, registry=registry, workspace=workspace)
    result = agent.ask("double it")
    assert [type(s) for s in result.steps] == [ToolCall, ToolOutput, Answer]
    out = result.steps[1]
    assert out.result.ok and out.result.metrics == {"max": 2.0}
    assert [a.id for a in result.artifacts] == ["ws-2"]
    # the observation the model saw names the new id and metrics, never the array
    observation = scripted_model.seen[1][-1].content
    assert "ws-2" in observation and '"max":2.0' in observation
    assert scripted_model.bound_tools[0]["name"] == "scale"


def test_multi_step_plan_carries_ids(scripted_model, registry, workspace):
    import numpy as np

    workspace.save_array(np.full((2, 2), 3.0))
    scripted_model.enqueue_tool_call("scale", {"data": "ws-1", "factor": 2})
    scripted_model.enqueue_tool_call("scale", {"data": "ws-2", "factor": 3, "mode": "divide"})
    scripted_model.enqueue("Done.")
    result = GeoAgent(scripted_model, registry=registry, workspace=workspace).ask("go")
    assert [type(s).__name__ for s in result.steps] == [
        "ToolCall",
        "ToolOutput",
        "ToolCall",
        "ToolOutput",
        "Answer",
    ]
    np.testing.assert_allclose(workspace.load_array("ws-3"), 2.0)


def test_bad_argument_becomes_observation_and_model_recovers(scripted_model, registry, workspace):
    import numpy as np

    workspace.save_array(np.ones(3))
    scripted_model.enqueue_tool_call("scale", {"data": "ws-1", "factor": "big"})
    scripted_model.enqueue_tool_call("scale", {"data": "ws-1", "factor": 4})
    scripted_model.enqueue("Recovered.")
    result = GeoAgent(scripted_model, registry=registry, workspace=workspace).ask("x")
    first, second = result.steps[1], result.steps[3]
    assert not first.result.ok and "factor" in first.result.summary
    assert second.result.ok
    assert "factor" in scripted_model.seen[1][-1].content  # the error went back to the model
    # the answer reports the call that worked (with its max of 4); the failed try is left out
    assert "max 4" in result.answer and "big" not in result.answer and result.ok


def test_unknown_tool_and_unknown_id_are_observations(scripted_model, registry, workspace):
    scripted_model.enqueue_tool_call("migrate", {})
    scripted_model.enqueue_tool_call("scale", {"data": "ws-9", "factor": 1})
    scripted_model.enqueue("Sorry.")
    result = GeoAgent(scripted_model, registry=registry, workspace=workspace).ask("x")
    assert "no tool named 'migrate'" in result.steps[1].result.summary
    assert "unknown workspace id 'ws-9'" in result.steps[3].result.summary


def test_max_steps_stops_the_loop(scripted_model, registry, workspace):
    import numpy as np

    workspace.save_array(np.ones(3))
    for _ in range(3):
        scripted_model.enqueue_tool_call("scale", {"data": "ws-1", "factor": 2})
    agent = GeoAgent(
        scripted_model, registry=registry, workspace=workspace, config=AgentConfig(max_steps=2)
    )
    result = agent.ask("loop forever")
    assert [type(s) for s in result.steps] == [ToolCall, ToolOutput, ToolCall, ToolOutput, Error]
    assert not result.ok and "max_steps" in result.steps[-1].message


def test_model_failure_is_an_error_step(scripted_model):
    result = GeoAgent(scripted_model, registry=Registry([])).ask("no replies queued")
    assert isinstance(result.steps[-1], Error) and result.steps[-1].where == "model"


def test_stream_yields_same_steps_as_ask(scripted_model):
    scripted_model.enqueue("a").enqueue("a")
    agent = GeoAgent(scripted_model, index=FakeIndex(HITS), registry=Registry([]))
    streamed = list(agent.stream("q"))
    collected = agent.ask("q").steps
    assert [s.to_dict()["type"] for s in streamed] == [s.to_dict()["type"] for s in collected]


def test_result_json_roundtrip(scripted_model):
    import json

    scripted_model.enqueue("x [1]")
    result = GeoAgent(scripted_model, index=FakeIndex(HITS), registry=Registry([])).ask("q")
    d = json.loads(json.dumps(result.to_dict()))
    assert set(d) == {"answer", "ok", "citations", "steps", "artifacts", "uses"}
    assert d["citations"][0]["citation"] == "NMO doc (2026)"
    assert isinstance(result, AgentResult)


def test_attach_missing_and_unsupported_files(scripted_model, tmp_path):
    agent = GeoAgent(scripted_model, registry=Registry([]))
    with pytest.raises(BadInputError, match="file not found"):
        agent.ask("q", files=[str(tmp_path / "nope.sgy")])
    odd = tmp_path / "notes.docx"
    odd.write_text("x")
    with pytest.raises(BadInputError, match="unsupported file type"):
        agent.ask("q", files=[str(odd)])
    assert scripted_model.seen == []  # nothing reached the model


def test_empty_question_is_an_error(scripted_model):
    result = GeoAgent(scripted_model, registry=Registry([])).ask("  ")
    assert [type(s) for s in result.steps] == [Error]


def test_after_tools_the_answer_is_the_tools_own_report(scripted_model, registry, workspace):
    import numpy as np

    from agent.loop import usable_answer
    from agent.report import tool_report

    workspace.save_array(np.ones((2, 2)))
    scripted_model.enqueue_tool_call("scale", {"data": "ws-1", "factor": 2})
    scripted_model.enqueue('{"name":"scale","arguments":{"data":"ws-2"}}')
    result = GeoAgent(scripted_model, registry=registry, workspace=workspace).ask("double it")
    out = result.steps[1]
    assert result.answer == tool_report(
        "double it", [("scale", {"data": "ws-1", "factor": 2})], [out.result], registry
    )
    assert "max 2" in result.answer and "ws-2" in result.answer and "{" not in result.answer
    assert not usable_answer("  ") and not usable_answer('{"a": 1}')
    assert usable_answer("The SNR rose by 3 dB [1].") and usable_answer("{braces} in text")


def test_an_unusable_answer_without_tools_is_composed_from_the_passages(scripted_model):
    scripted_model.enqueue('{"name":"Passages","arguments":{}}')
    agent = GeoAgent(
        scripted_model, index=FakeIndex(HITS), registry=Registry([]), config=AgentConfig(k=2)
    )
    result = agent.ask("What does NMO correction remove from traveltime?")
    assert result.answer.startswith("NMO removes the offset dependence of traveltime [1].")
    assert [c.n for c in result.citations] == [1]


def test_an_answer_with_numbers_no_tool_gave_never_reaches_the_user(
    scripted_model, registry, workspace
):
    import numpy as np

    from agent.loop import unsupported_numbers

    workspace.save_array(np.ones((2, 2)))
    scripted_model.enqueue_tool_call("scale", {"data": "ws-1", "factor": 2})
    scripted_model.enqueue("Scaled ws-1 into ws-2; the maximum is 20.0 [1].")  # really 2.0
    result = GeoAgent(scripted_model, registry=registry, workspace=workspace).ask("double it")
    assert "20.0" not in result.answer and "max 2" in result.answer
    assert unsupported_numbers("SNR 9.49e+04 dB, 534x1501 [2]", ["9.49e+03", "534x1501"]) == [
        "9.49e+04"
    ]
    assert unsupported_numbers("max 2.0 of ws-2 [1]", ['metrics: {"max":2.0}']) == []
