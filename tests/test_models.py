"""Model preparation and loading: atomic writes, config validation, the real model (slow)."""

from __future__ import annotations

import pytest
import torch

from agent.config import AgentConfig, ModelConfig
from agent.models import describe, load_causal_lm, resolve_model_dir
from common.atomic import write_dir_atomically
from common.errors import BadInputError, ModelError


def test_killed_write_leaves_nothing(tmp_path):
    out = tmp_path / "models" / "m"

    def half_then_die(tmp):
        tmp.mkdir()
        (tmp / "config.json").write_text("{}")
        raise KeyboardInterrupt  # as if the user hit Ctrl-C mid-conversion

    with pytest.raises(KeyboardInterrupt):
        write_dir_atomically(out, half_then_die)
    assert not out.exists()
    assert list((tmp_path / "models").iterdir()) == []  # no temporary leftovers


def test_write_replaces_incomplete_leftover(tmp_path):
    out = tmp_path / "m"
    out.mkdir()
    (out / "junk").write_text("old")

    def write(tmp):
        tmp.mkdir()
        (tmp / "config.json").write_text("{}")

    write_dir_atomically(out, write)
    assert sorted(p.name for p in out.iterdir()) == ["config.json"]


def test_config_validation(tmp_path):
    with pytest.raises(BadInputError, match="not found"):
        ModelConfig(model=str(tmp_path / "missing"))
    with pytest.raises(BadInputError):
        ModelConfig(max_new_tokens=0)
    with pytest.raises(BadInputError, match="dtype"):
        ModelConfig(dtype="float8")
    with pytest.raises(BadInputError):
        AgentConfig(k=0)
    assert "max_steps" in AgentConfig.help()


def test_not_a_model_directory(tmp_path):
    with pytest.raises(ModelError, match="no config.json"):
        resolve_model_dir(ModelConfig(model=str(tmp_path)))


def test_saved_model_directory_loads(tmp_path, tiny_llama, tiny_tokenizer):
    tiny_llama.save_pretrained(tmp_path / "tiny")
    tiny_tokenizer.save_pretrained(tmp_path / "tiny")
    model, tok = load_causal_lm(ModelConfig(model=str(tmp_path / "tiny")))
    assert model.config.hidden_size == 64 and len(tok) == len(tiny_tokenizer)
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    half, _ = load_causal_lm(ModelConfig(model=str(tmp_path / "tiny"), dtype="bfloat16"))
    assert {p.dtype for p in half.parameters()} == {torch.bfloat16}
    ids = torch.tensor([[1, 5, 9, 3]])
    with torch.inference_mode():  # same model, rounded weights: near-equal logits
        a, b = model(ids).logits, half(ids).logits.float()
    assert torch.allclose(a, b, atol=0.1 * a.abs().max())
    q, _ = load_causal_lm(ModelConfig(model=str(tmp_path / "tiny"), dtype="int8"))
    with torch.inference_mode():
        c = q(ids).logits
    assert torch.allclose(a, c, atol=0.1 * a.abs().max())


def test_bad_adapter_directory(tmp_path, tiny_llama, tiny_tokenizer):
    tiny_llama.save_pretrained(tmp_path / "tiny")
    tiny_tokenizer.save_pretrained(tmp_path / "tiny")
    (tmp_path / "adapter").mkdir()
    with pytest.raises(ModelError, match="adapter_config.json"):
        load_causal_lm(ModelConfig(model=str(tmp_path / "tiny"), adapter=str(tmp_path / "adapter")))


def test_describe_embedded_without_preparing():
    info = describe(ModelConfig())
    assert info.name == "SmolLM2-135M-Instruct"
    assert info.source.endswith(".gguf") and not info.ready  # GEOFM_HOME is a fresh tmp dir


@pytest.mark.slow
def test_embedded_smollm2_prepares_loads_and_generates(tmp_path, monkeypatch):
    import time

    from langchain_core.messages import HumanMessage

    from agent.chat_model import LocalChatModel

    chat = LocalChatModel.from_config(ModelConfig(max_new_tokens=24))
    assert describe(ModelConfig()).ready
    reply = chat.invoke([HumanMessage("In one sentence, what is a seismic wave?")])
    assert len(reply.content.split()) >= 3
    t0 = time.perf_counter()
    LocalChatModel.from_config(ModelConfig(max_new_tokens=24))  # prepared: a plain load
    assert time.perf_counter() - t0 < 30


def test_default_adapter_applies_only_to_the_embedded_model(tmp_path, monkeypatch):
    import agent.models as am
    from agent.models import resolve_adapter

    shipped = tmp_path / "adapter"
    monkeypatch.setattr(am, "shipped_adapter", lambda: shipped)
    assert resolve_adapter(ModelConfig()) is None  # nothing shipped: the base model
    shipped.mkdir()
    (shipped / "adapter_config.json").write_text("{}")
    assert resolve_adapter(ModelConfig()) == str(shipped)
    assert resolve_adapter(ModelConfig(adapter="none")) is None
    assert resolve_adapter(ModelConfig(model=str(tmp_path))) is None  # another base model
    assert resolve_adapter(ModelConfig(adapter="/x/y")) == "/x/y"
