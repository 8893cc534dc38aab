"""The local transformers chat model on a tiny random Llama; message formatting."""

from __future__ import annotations

from typing import Literal

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from agent.chat_model import LocalChatModel, to_chat_dicts
from tools import ToolResult, Workspace
from tools.registry import WorkspaceId


def bandpass(
    workspace: Workspace,
    data: WorkspaceId,
    low_hz: int,
    kind: Literal["butter", "ormsby"] = "butter",
) -> ToolResult:
    """Zero-phase bandpass filter.

    Args:
        data: workspace id of the section.
        low_hz: low corner frequency, in Hz.
        kind: filter design.
    """
    raise AssertionError("routing tests never run the tool")


def test_to_chat_dicts_formats_tool_turns():
    msgs = [
        SystemMessage("sys"),
        HumanMessage("q"),
        AIMessage("", tool_calls=[{"name": "bandpass", "args": {"low_hz": 5}, "id": "c1"}]),
        ToolMessage("filtered ws-2", tool_call_id="c1", name="bandpass"),
    ]
    d = to_chat_dicts(msgs)
    assert [m["role"] for m in d] == ["system", "user", "assistant", "user"]
    assert d[2]["content"] == '{"name":"bandpass","arguments":{"low_hz":5}}'
    assert d[3]["content"].startswith("Result of bandpass:\nfiltered ws-2")


def test_consecutive_user_turns_merge():
    d = to_chat_dicts([HumanMessage("a"), ToolMessage("b", tool_call_id="1", name="t")])
    assert len(d) == 1 and d[0]["content"] == "a\n\nResult of t:\nb"


def test_local_model_generates_deterministically(tiny_llama, tiny_tokenizer):
    chat = LocalChatModel(hf_model=tiny_llama, tokenizer=tiny_tokenizer, max_new_tokens=8)
    a = chat.invoke([HumanMessage("normal moveout")])
    b = chat.invoke([HumanMessage("normal moveout")])
    assert isinstance(a, AIMessage) and isinstance(a.content, str)
    assert a.content == b.content  # greedy decoding
    ids = chat.encode([HumanMessage("normal moveout")])
    assert ids.shape[0] == 1 and ids.shape[1] > 3


def test_local_model_drives_the_agent(tiny_llama, tiny_tokenizer):
    from agent.loop import GeoAgent
    from tools import Registry

    chat = LocalChatModel(hf_model=tiny_llama, tokenizer=tiny_tokenizer, max_new_tokens=4)
    result = GeoAgent(chat, registry=Registry([])).ask("what is a CMP gather?")
    assert result.ok and result.steps[-1].to_dict()["type"] == "answer"


def test_constrained_routing_always_gives_a_valid_call(tiny_llama, tiny_tokenizer):
    """A random 2-layer model knows nothing, yet every routing turn is schema-valid."""
    import json
    import re

    import torch

    from agent.constrained import ANSWER
    from tools import Tool

    tool = Tool.from_function(bandpass)
    chat = LocalChatModel(hf_model=tiny_llama, tokenizer=tiny_tokenizer, max_new_tokens=160)
    bound = chat.bind_tools([tool.schema()])
    routes = set()
    for i in range(6):
        chat.temperature = 1.0  # sampling explores the grammar's branches
        torch.manual_seed(i)
        reply = bound.invoke([HumanMessage("filter ws-1 from 5 to 60 Hz")])
        routed = reply.response_metadata["routing"]
        call = json.loads(routed)  # always complete, valid JSON
        assert list(call) == ["name", "arguments"] and call["name"] in {"bandpass", ANSWER}
        if reply.tool_calls:
            assert reply.tool_calls[0]["args"] == call["arguments"]
            tool.validate(call["arguments"])  # schema-valid: raises otherwise
            assert re.fullmatch(r"ws-\d+", call["arguments"]["data"])
        else:
            assert call == {"name": ANSWER, "arguments": {}}
        assert routed.startswith('{"name":"')  # compact: no whitespace tokens
        routes.add(call["name"])
    assert routes  # at least one run reached a decision


def test_a_required_tool_call_never_routes_to_answer(tiny_llama, tiny_tokenizer):
    """With LangChain's tool_choice="required" the grammar has no ``answer`` branch."""
    import torch

    from agent.constrained import ANSWER, call_schema
    from tools import Tool

    tool = Tool.from_function(bandpass)
    names = [o["properties"]["name"]["const"] for o in call_schema([tool.schema()])["anyOf"]]
    assert names == ["bandpass", ANSWER]
    required = call_schema([tool.schema()], answer=False)["anyOf"]
    assert [o["properties"]["name"]["const"] for o in required] == ["bandpass"]
    chat = LocalChatModel(hf_model=tiny_llama, tokenizer=tiny_tokenizer, max_new_tokens=160)
    bound = chat.bind_tools([tool.schema()], tool_choice="required")
    for i in range(4):
        chat.temperature = 1.0
        torch.manual_seed(i)
        reply = bound.invoke([HumanMessage("filter ws-1 from 5 to 60 Hz")])
        assert [c["name"] for c in reply.tool_calls] == ["bandpass"]


def test_a_named_tool_choice_calls_that_tool(tiny_llama, tiny_tokenizer):
    """tool_choice=<a tool's name>: every reply calls that tool, while the prompt still
    lists every tool offered."""
    import torch

    from tools import Tool
    from tools.filters import agc

    tools = [Tool.from_function(f).schema() for f in (bandpass, agc)]
    chat = LocalChatModel(hf_model=tiny_llama, tokenizer=tiny_tokenizer, max_new_tokens=160)
    bound = chat.bind_tools(tools, tool_choice="agc")
    for i in range(4):
        chat.temperature = 1.0
        torch.manual_seed(i)
        reply = bound.invoke([HumanMessage("filter ws-1 from 5 to 60 Hz, then gain it")])
        assert [c["name"] for c in reply.tool_calls] == ["agc"]


def test_grounded_calls_use_only_the_conversation_numbers_and_ids(tiny_llama, tiny_tokenizer):
    """A random model sampling freely still writes only values the user gave: low_hz
    from the request, data an id that was shown."""
    import json

    import torch

    from tools import Tool

    tool = Tool.from_function(bandpass)
    chat = LocalChatModel(
        hf_model=tiny_llama, tokenizer=tiny_tokenizer, max_new_tokens=160, temperature=1.0
    )
    bound = chat.bind_tools([tool.schema()])
    seen = set()
    for i in range(8):
        torch.manual_seed(i)
        reply = bound.invoke([HumanMessage("ws-3: line.sgy\n\nfilter ws-4 from 5 to 60 Hz")])
        call = json.loads(reply.response_metadata["routing"])
        if call["name"] == "bandpass":
            assert call["arguments"]["data"] in {"ws-3", "ws-4"}
            assert call["arguments"]["low_hz"] in {5, 60}
            seen.add(call["arguments"]["low_hz"])
    assert seen  # some run called the tool


def test_grounding_reads_numbers_units_words_and_ids():
    from agent.constrained import Grounding

    g = Grounding.from_texts(
        [
            "ws-1: line.sgy",
            "Bandpass 8-45 Hz; AGC over 0.5 s; 30% dead "
            "traces; two faults; SNR -3 dB; 1,000 traces; no low cut",
        ]
    )
    assert set(g.numbers) == {8, 45, 0.5, 500, 30, 0.3, 2, -3, 1000, 0}
    assert g.ids == ("ws-1",)  # and the 1 of ws-1 is not a number
    assert g.restrict({"type": "integer"}) == {"enum": [-3, 0, 2, 8, 30, 45, 500, 1000]}
    assert g.restrict({"type": "number", "minimum": 0, "maximum": 1}) == {"enum": [0, 0.3, 0.5]}
    assert g.restrict({"type": "string", "pattern": "^ws-[0-9]+$"}) == {
        "type": "string",
        "enum": ["ws-1"],
    }
    assert g.restrict({"type": "boolean"}) == {"type": "boolean"}
    nothing = Grounding.from_texts(["plot it"])
    assert nothing.restrict({"anyOf": [{"type": "integer"}, {"type": "null"}]}) is None


def test_numbers_written_with_a_unit_go_only_to_arguments_that_measure_it():
    from agent.constrained import Grounding, argument_tag

    assert [argument_tag(n) for n in ("low_hz", "dt_ms", "lta_s", "height_m", "n_traces")] == [
        "hz",
        "time",
        "time",
        "length",
        "traces",
    ]
    assert argument_tag("seed") == argument_tag("rank") == ""
    g = Grounding.from_texts(["Generate a synthetic seismic line with 3 faults and 120 traces."])
    integer = {"type": "integer"}
    assert g.restrict(integer, "n_traces") == {"enum": [120]}
    assert g.restrict(integer, "n_faults") == {"enum": [3]}
    assert g.restrict(integer, "seed") is None  # "120 traces" is no seed
    assert g.restrict(integer) == {"enum": [3, 120]}  # no name: no unit check
    g = Grounding.from_texts(["Ricker 25 Hz, 4 ms sampling, seed 25; continue up 500 m"])
    assert g.restrict(integer, "seed") == {"enum": [25]}  # also written bare
    assert g.restrict({"type": "number"}, "dt_ms") == {"enum": [4, 25]}  # not 500 m
    assert g.restrict({"type": "number"}, "height_m") == {"enum": [25, 500]}  # not 4 ms
    assert g.restrict({"type": "number"}, "peak_hz") == {"enum": [25]}
    # a percentage reaches a fraction argument as a fraction
    g = Grounding.from_texts(["hide 30 % of the traces"])
    assert g.restrict({"type": "number", "maximum": 1}, "missing_fraction") == {"enum": [0.3]}


def test_numbers_of_a_file_description_and_of_metrics_keep_what_they_measure():
    from agent.constrained import Grounding

    g = Grounding.from_texts(
        [
            "ws-1: line.sgy (SEG-Y: geometry=2D/unsorted, n_traces=534, n_samples=1501, "
            "dt_ms=4.0, sample_format=4-byte IBM float)\n\nQuestion: show its spectrum",
            "read all traces of ws-1 -> ws-2: amplitudes -9.85e+03..9.49e+03\n"
            'metrics: {"snr_db":9.1,"dominant_hz":31.5}',
        ]
    )
    hz = {"type": "number", "minimum": 0, "maximum": 500}
    # the 2 of "2D", the 4 of "4-byte" and dt_ms=4.0, the 03 of an exponent: no frequency
    assert g.restrict(hz, "low_hz") == {"enum": [31.5]}
    assert g.restrict({"type": "number"}, "dt_ms") == {"enum": [-9850, 4]}
    assert g.restrict({"type": "integer", "minimum": 0}, "n_traces") == {"enum": [534]}
    assert g.restrict({"type": "number", "minimum": 0}, "snr_db") == {"enum": [9.1]}
    # written by the user, the same numbers stay bare
    g = Grounding.from_texts(["the 3D cube: bandpass 3-30 Hz, 4 ms sampling"])
    assert g.restrict(hz, "low_hz") == {"enum": [3, 30]}


def test_the_grammar_never_offers_a_negative_frequency_or_window():
    from agent.constrained import Grounding, call_schema
    from common.errors import BadInputError
    from tools import REGISTRY

    g = Grounding.from_texts(
        [
            "ws-1: line.sgy\n\nQuestion: what is the dominant frequency here?",
            "read all traces of ws-1 -> ws-2: 534x1501, amplitudes -4230000..3980000",
        ]
    )
    bandpass, agc = REGISTRY.get("bandpass"), REGISTRY.get("agc")
    offered = call_schema([bandpass.schema(), agc.schema()], g)
    for option in offered["anyOf"]:
        for name, prop in option["properties"]["arguments"].get("properties", {}).items():
            assert all(v >= 0 for v in prop.get("enum", []) if isinstance(v, (int, float))), name
    # and a call that names one is refused before the tool runs, saying what is allowed
    with pytest.raises(BadInputError, match="low_hz.*greater than or equal to 0"):
        bandpass.validate({"data": "ws-2", "low_hz": -5, "high_hz": 40})


def test_a_tool_whose_required_argument_cannot_be_grounded_is_not_offered():
    from agent.constrained import ANSWER, Grounding, call_schema
    from tools import Tool

    schema = Tool.from_function(bandpass).schema()
    offered = call_schema([schema], Grounding.from_texts(["filter ws-1, please"]))
    assert [o["properties"]["name"]["const"] for o in offered["anyOf"]] == [ANSWER]
    offered = call_schema([schema], Grounding.from_texts(["filter ws-1 above 5 Hz"]))
    args = offered["anyOf"][0]["properties"]["arguments"]
    assert args["properties"]["low_hz"] == {"enum": [5]}
    assert args["properties"]["kind"]["enum"] == ["butter", "ormsby"]  # untouched


def test_calls_write_whole_numbers_without_a_decimal_point():
    from agent.constrained import call_json

    assert (
        call_json("bandpass", {"low_hz": 8.0, "high_hz": 45.5, "data": "ws-2"})
        == '{"name":"bandpass","arguments":{"low_hz":8,"high_hz":45.5,"data":"ws-2"}}'
    )


def test_routing_turns_leave_out_passages_but_answers_keep_them():
    from agent.chat_model import routing_messages
    from agent.messages import first_messages
    from agent.steps import Passage

    p = Passage(n=1, text="NMO flattens reflections.", title="NMO", citation="c", source="s")
    msgs = first_messages("what is NMO?", (p,), [])
    tools = [
        {
            "name": "bandpass",
            "description": "Bandpass.",
            "parameters": {"properties": {"data": {}, "low_hz": {}}, "required": ["data"]},
        }
    ]
    routed = to_chat_dicts(routing_messages(msgs, tools))
    assert "NMO flattens" not in str(routed) and "- bandpass(data)" in routed[0]["content"]
    answered = to_chat_dicts(msgs)
    assert len(answered) == 2 and "[1] NMO: NMO flattens" in answered[1]["content"]
    assert answered[1]["content"].endswith("Question: what is NMO?")


def test_tool_list_gives_each_tool_its_purpose_in_a_few_words():
    from agent.constrained import purpose, tools_prompt
    from tools import REGISTRY

    assert (
        purpose(
            "Random-noise attenuation by f-x deconvolution (Canales 1984), in overlapping windows."
        )
        == "Random-noise attenuation by f-x deconvolution"
    )
    assert purpose("Plot a section, gather, time slice or one inline (PNG).") == "Plot a section"
    assert purpose("Automatic gain control: scale each sample.") == "Automatic gain control"
    assert (
        purpose("Read traces from a file into the workspace of the")
        == "Read traces from a file into the workspace"
    )  # no dangling last word
    schemas = REGISTRY.schemas()
    lines = [ln for ln in tools_prompt(schemas).splitlines() if ln.startswith("- ")]
    assert len(lines) == len(schemas) + 1  # every tool, then answer
    for line, s in zip(lines, schemas):
        name, words = line[2:].split("(")[0], line.split("): ", 1)[1].split()
        assert name == s["name"] and 2 <= len(words) <= 11


def test_answers_may_quote_the_prompt_but_not_repeat_themselves():
    import torch

    from agent.chat_model import NoRepeatInAnswer

    rule = NoRepeatInAnswer(prompt_len=4, n=3)
    prompt = [7, 8, 9, 7]
    scores = rule(torch.tensor([prompt + [8]]), torch.zeros(1, 12))
    assert torch.isfinite(scores).all()  # "7 8 9" is in the prompt only: 9 stays allowed
    scores = rule(torch.tensor([prompt + [1, 2, 3, 1, 2]]), torch.zeros(1, 12))
    assert torch.isinf(scores[0, 3]) and torch.isfinite(scores[0, [0, 1, 2, 4]]).all()


def test_prefix_cache_gives_the_same_decisions_as_a_cold_prompt(
    tiny_llama, tiny_tokenizer, monkeypatch
):
    """Consecutive routing turns reuse the shared prompt's key/value cache; greedy
    decisions are the same as with the cache off, and the cache is kept per slot."""
    import agent.chat_model as cm
    from tools import Tool

    schemas = [Tool.from_function(bandpass).schema()]
    turns = [
        [HumanMessage("filter ws-1 from 5 to 60 Hz")],
        [HumanMessage("filter ws-1 from 5 to 60 Hz"), HumanMessage("and then 8 to 40 Hz")],
        [HumanMessage("filter ws-2 from 10 to 50 Hz")],
    ]

    def decisions(cached: bool) -> list[str]:
        monkeypatch.setattr(cm, "PREFIX_CACHE", cached)
        chat = LocalChatModel(hf_model=tiny_llama, tokenizer=tiny_tokenizer, max_new_tokens=60)
        out = [chat.decide(t, schemas)[0] for t in turns]
        assert (cm.route_slot(schemas) in chat._prefix_caches) is True  # kept after each turn
        return out

    assert decisions(True) == decisions(False)


def test_each_tool_list_keeps_its_own_routing_cache(tiny_llama, tiny_tokenizer):
    """Requests that alternate between domains (another tool list, so another prompt
    prefix) do not evict each other's cached prefix."""
    import agent.chat_model as cm
    from tools import Tool
    from tools.filters import agc

    one = [Tool.from_function(bandpass).schema()]
    two = one + [Tool.from_function(agc).schema()]
    assert cm.route_slot(one) != cm.route_slot(two)
    assert cm.route_slot(two) == cm.route_slot(two[::-1])  # the order offered does not matter
    chat = LocalChatModel(hf_model=tiny_llama, tokenizer=tiny_tokenizer, max_new_tokens=60)
    for tools in (one, two, one):
        chat.decide([HumanMessage("filter ws-1 from 5 to 60 Hz")], tools)
    assert {cm.route_slot(one), cm.route_slot(two)} <= set(chat._prefix_caches)


def test_jump_forward_decoding_matches_generate_under_the_grammar(tiny_llama, tiny_tokenizer):
    """Greedy decoding that feeds the grammar's forced tokens in one batch gives the same
    tool calls as transformers' generate with the grammar as a logits processor."""
    from agent.chat_model import routing_messages
    from agent.constrained import Grounding, ToolGrammar
    from tools import Tool

    schemas = [Tool.from_function(bandpass).schema()]
    chat = LocalChatModel(hf_model=tiny_llama, tokenizer=tiny_tokenizer, max_new_tokens=60)
    for text in ("filter ws-1 from 5 to 60 Hz", "bandpass ws-3 between 8 and 45 Hz", "hi"):
        msgs = [HumanMessage(text)]
        grammar = ToolGrammar(
            tiny_tokenizer, chat.vocab_size, schemas, Grounding.from_messages(msgs)
        )
        routed = routing_messages(msgs, schemas)
        slow = chat.generate_text(
            routed, cache_slot="a", logits_processor=[grammar.logits_processor()]
        )
        fast = chat.generate_text(routed, cache_slot="b", grammar=grammar.compiled)
        assert fast == slow and fast.startswith('{"name":"')


def test_compiled_grammars_are_kept_only_in_the_bounded_cache(tiny_tokenizer):
    """Every routing turn's grounded schema is new; xgrammar's own (unbounded) cache of
    compiled grammars would keep them all for the life of the server."""
    from agent.constrained import Grounding, ToolGrammar, _compile, _compiler, _TokenizerKey
    from tools import Tool

    schemas = [Tool.from_function(bandpass).schema()]
    vocab = len(tiny_tokenizer)
    for low in range(2, 2 + _compile.cache_info().maxsize + 4):
        ToolGrammar(tiny_tokenizer, vocab, schemas, Grounding.from_texts([f"{low}-60 Hz"]))
    compiler = _compiler(_TokenizerKey(tiny_tokenizer, vocab))
    assert compiler.get_cache_size_bytes() == 0
    assert _compile.cache_info().currsize <= _compile.cache_info().maxsize
