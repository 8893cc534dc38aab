"""Shared fixtures: tiny random models built from config, a scripted chat model,
a fresh workspace, and the path of the shared real data (absent in a user's clone)."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.paths import geofm_data, geofm_home
from tests.fixtures_seismic import noisy_section  # noqa: F401  (a fixture, for line_npy)

SHARED = geofm_data()
# The user's (or CI's) GEOFM_HOME, read before `_isolated_home` hides it: tests of the real
# default index that `make prepare` builds look there (and only read it).
REAL_GEOFM_HOME = geofm_home()

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    # tests never touch the user's ~/.cache/geofm
    monkeypatch.setenv("GEOFM_HOME", str(tmp_path / "geofm-home"))
    # the same numbers on every machine: GeoFM inference in float32 unless a test asks
    # for bfloat16 (tools.geofm.precision picks it by the CPU otherwise)
    monkeypatch.setenv("GEOFM_PRECISION", "float32")


@pytest.fixture
def shared_data() -> Path:
    d = SHARED / "data"
    if not d.is_dir():
        pytest.skip(f"{d} is absent (a fresh user clone; set GEOFM_DATA); CI has it")
    return d


@pytest.fixture
def workspace(tmp_path):
    from tools.workspace import Workspace

    return Workspace(tmp_path / "ws")


@pytest.fixture
def scripted_model():
    from agent.fake import ScriptedChatModel

    return ScriptedChatModel()


@pytest.fixture(scope="session")
def tiny_tokenizer():
    """A ~300-token byte-level BPE with a ChatML template, trained on the spot."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=["<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    text = [
        "normal moveout correction flattens reflections in a CMP gather",
        "the user asks and the assistant answers with citations [1]",
        '{"name":"bandpass","arguments":{"data":"ws-1","low_hz":5}}',
    ] * 20
    tok.train_from_iterator(text, trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|im_end|>",
        bos_token="<|im_start|>",
    )
    fast.chat_template = CHATML
    return fast


@pytest.fixture(scope="session")
def tiny_llama(tiny_tokenizer):
    """A 2-layer random Llama (hidden 64) sized to the tiny tokenizer; seeded."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tiny_tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        tie_word_embeddings=True,
        eos_token_id=tiny_tokenizer.eos_token_id,
        pad_token_id=tiny_tokenizer.pad_token_id,
    )
    return LlamaForCausalLM(config).eval()


@pytest.fixture
def line_npy(tmp_path, noisy_section):  # noqa: F811
    """The noisy line of ``noisy_section`` saved as .npy."""
    import numpy as np

    path = tmp_path / "line.npy"
    np.save(path, noisy_section[1].astype(np.float32))
    return str(path)


@pytest.fixture
def agent(scripted_model, tmp_path):
    """A conversation agent on the scripted model: no retrieval, its own workspace."""
    from agent.config import AgentConfig
    from agent.loop import GeoAgent

    config = AgentConfig(retrieval=False, workspace=str(tmp_path / "ws"))
    return GeoAgent(scripted_model, index=None, config=config)
