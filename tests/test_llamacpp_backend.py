"""The llama.cpp backend: the LoRA→GGUF adapter writer, and the engine's decoding loop.

The loop is checked against transformers on the tiny random Llama through an engine whose
forward pass is that same model (so the two paths must agree token for token); the real
llama.cpp run on the embedded model is a slow test, skipped where llama-cpp-python is not
installed (`make llamacpp`).
"""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest
from langchain_core.messages import HumanMessage

from agent.chat_model import LocalChatModel
from agent.llamacpp import LlamaCppEngine
from common.errors import ModelError


class TorchEngine(LlamaCppEngine):
    """LlamaCppEngine's loop over a transformers model's logits (full forward each call)."""

    def __init__(self, model, n_ctx: int = 512):
        self.model, self.n_ctx = model, n_ctx
        self.n_vocab = model.config.vocab_size
        self.context: list[int] = []
        self.batches: list[int] = []  # tokens per extend() call
        self.last = {}
        self._lock = threading.Lock()

    def _forward(self) -> np.ndarray:
        import torch

        with torch.inference_mode():
            return self.model(torch.tensor([self.context])).logits[0, -1].numpy().copy()

    def feed(self, tokens, slot="default"):
        self.context = list(tokens)
        return self._forward()

    def extend(self, tokens, slot="default"):
        self.context += list(tokens)
        self.batches.append(len(tokens))
        return self._forward()


def _bandpass_schema():
    from tests.test_chat_model import bandpass
    from tools import Tool

    return Tool.from_function(bandpass).schema()


def test_engine_loop_matches_transformers(tiny_llama, tiny_tokenizer):
    """Same logits in, same tokens out: routing calls under the grammar and grounding
    (tokens the grammar forces go through the model in batches), and free answers under
    the no-repeat rule, equal transformers' generate()."""
    ref = LocalChatModel(
        hf_model=tiny_llama, tokenizer=tiny_tokenizer, max_new_tokens=160, no_repeat_ngram=3
    )
    eng = LocalChatModel(
        tokenizer=tiny_tokenizer,
        engine=TorchEngine(tiny_llama),
        max_new_tokens=160,
        no_repeat_ngram=3,
    )
    assert eng.vocab_size == ref.vocab_size
    tools = [_bandpass_schema()]
    for text in ["filter ws-1 from 5 to 60 Hz", "normal moveout of ws-2 at 8 Hz", "hello"]:
        msgs = [HumanMessage(text)]
        raw_ref, call_ref = ref.decide(msgs, tools)
        raw_eng, call_eng = eng.decide(msgs, tools)
        assert raw_eng == raw_ref and call_eng == call_ref
        assert call_eng is not None  # the grammar held on the engine path too
        assert max(eng.engine.batches) > 1  # '{"name":"' and the like were forced
        assert eng.generate_answer(msgs, max_new_tokens=30) == ref.generate_answer(
            msgs, max_new_tokens=30
        )


def test_engine_loop_stops_at_stop_strings_and_cap(tiny_llama, tiny_tokenizer):
    chat = LocalChatModel(
        tokenizer=tiny_tokenizer, engine=TorchEngine(tiny_llama), max_new_tokens=30
    )
    msgs = [HumanMessage("normal moveout")]
    full = chat.generate_text(msgs)
    assert len(tiny_tokenizer.encode(full, add_special_tokens=False)) <= 31
    cut = chat.generate_text(msgs, max_new_tokens=5)
    assert full.startswith(cut)
    if len(full) > 4:
        stop = full[2:4]
        assert stop not in chat.generate_text(msgs, stop=[stop])


def test_engine_refuses_a_prompt_longer_than_its_context(tiny_llama):
    from agent.llamacpp import _Slot

    engine = TorchEngine(tiny_llama, n_ctx=8)
    # _eval checks the length before anything reaches llama.cpp (ctx and batch unused)
    with pytest.raises(ModelError, match="context"):
        LlamaCppEngine._eval(engine, _Slot(None, None), list(range(20)))


def _tiny_adapter(tmp_path, tiny_llama):
    """A random peft LoRA on the tiny Llama's q/k/v/o and MLP, saved to tmp_path/adapter."""
    import copy

    import torch
    from peft import LoraConfig, get_peft_model

    model = get_peft_model(
        copy.deepcopy(tiny_llama),
        LoraConfig(
            r=4,
            lora_alpha=8,
            target_modules=[
                "q_proj",
                "k_proj",
                "v_proj",
                "o_proj",
                "gate_proj",
                "up_proj",
                "down_proj",
            ],
        ),
    )
    torch.manual_seed(1)
    for name, p in model.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(p, std=0.1)  # B starts at zero: give it something to move
    model.save_pretrained(tmp_path / "adapter")
    return tmp_path / "adapter", model


def _base_gguf(path, heads: int, kv_heads: int, model=None):
    """A GGUF with the head counts; with ``model``, its layers' linear weights as F32
    (q/k rows permuted as llama.cpp's converter does)."""
    import gguf

    from agent.gguf_adapter import gguf_tensor_name, rope_permute

    w = gguf.GGUFWriter(str(path), "llama")
    w.add_uint32("llama.attention.head_count", heads)
    w.add_uint32("llama.attention.head_count_kv", kv_heads)
    w.add_string("tokenizer.ggml.model", "gpt2")
    w.add_tensor("token_embd.weight", np.arange(16, dtype=np.float32).reshape(4, 4))
    if model is not None:
        for i, layer in enumerate(model.model.layers):
            for module in [
                "self_attn.q_proj",
                "self_attn.k_proj",
                "self_attn.v_proj",
                "self_attn.o_proj",
                "mlp.gate_proj",
                "mlp.up_proj",
                "mlp.down_proj",
            ]:
                weight = layer.get_submodule(module).weight.detach().numpy()
                if module.endswith("q_proj"):
                    weight = rope_permute(weight, heads)
                elif module.endswith("k_proj"):
                    weight = rope_permute(weight, kv_heads)
                w.add_tensor(gguf_tensor_name(i, module), np.ascontiguousarray(weight))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def test_adapter_to_gguf_keeps_every_delta(tmp_path, tiny_llama):
    """Every adapted layer's A and B land under llama.cpp's names with alpha; q/k's B rows
    are in GGUF's rotary order, so (permuted B) @ A equals the permuted HF delta."""
    import gguf
    from safetensors.numpy import load_file

    from agent.gguf_adapter import rope_permute, write_gguf_adapter

    adapter, _ = _tiny_adapter(tmp_path, tiny_llama)
    base = _base_gguf(tmp_path / "base.gguf", heads=4, kv_heads=2)
    out = write_gguf_adapter(adapter, base, tmp_path / "lora.gguf")
    reader = gguf.GGUFReader(str(out))
    f = reader.fields
    assert bytes(f["general.type"].parts[-1]).decode() == "adapter"
    assert bytes(f["adapter.type"].parts[-1]).decode() == "lora"
    assert float(f["adapter.lora.alpha"].parts[-1][0]) == 8.0
    got = {
        t.name: np.asarray(t.data).reshape([int(x) for x in reversed(t.shape)])
        for t in reader.tensors
    }
    assert len(got) == 2 * 7 * 2  # A and B, 7 modules, 2 layers
    hf = load_file(str(adapter / "adapter_model.safetensors"))
    for layer in range(2):
        pre = f"base_model.model.model.layers.{layer}."
        for hf_name, g_name, heads in [
            ("self_attn.q_proj", "attn_q", 4),
            ("self_attn.k_proj", "attn_k", 2),
            ("mlp.down_proj", "ffn_down", None),
        ]:
            a, b = hf[pre + hf_name + ".lora_A.weight"], hf[pre + hf_name + ".lora_B.weight"]
            ga = got[f"blk.{layer}.{g_name}.weight.lora_a"]
            gb = got[f"blk.{layer}.{g_name}.weight.lora_b"]
            np.testing.assert_array_equal(ga, a)
            want = rope_permute(b @ a, heads) if heads else b @ a
            np.testing.assert_allclose(gb @ ga, want, rtol=1e-5, atol=1e-6)


def test_merged_gguf_equals_the_merged_model(tmp_path, tiny_llama):
    """Merging into the GGUF gives (to Q8_0 rounding) the weights peft's merge gives, in
    GGUF's row order; tensors the adapter leaves alone and the metadata are copied."""
    import gguf
    from peft import PeftModel

    from agent.gguf_adapter import gguf_tensor_name, rope_permute, write_merged_gguf

    adapter, _ = _tiny_adapter(tmp_path, tiny_llama)
    base = _base_gguf(tmp_path / "base.gguf", 4, 2, model=tiny_llama)
    out = write_merged_gguf(adapter, base, tmp_path / "merged.gguf")
    import copy

    merged = PeftModel.from_pretrained(copy.deepcopy(tiny_llama), str(adapter)).merge_and_unload()
    reader = gguf.GGUFReader(str(out))
    assert bytes(reader.fields["tokenizer.ggml.model"].parts[-1]).decode() == "gpt2"
    tensors = {t.name: t for t in reader.tensors}
    np.testing.assert_array_equal(
        np.asarray(tensors["token_embd.weight"].data).ravel(), np.arange(16, dtype=np.float32)
    )
    for i, layer in enumerate(merged.model.layers):
        for module, heads in [
            ("self_attn.q_proj", 4),
            ("self_attn.k_proj", 2),
            ("mlp.up_proj", None),
        ]:
            t = tensors[gguf_tensor_name(i, module)]
            assert t.tensor_type == gguf.GGMLQuantizationType.Q8_0
            got = gguf.quants.dequantize(t.data, t.tensor_type)
            order = (lambda w, h=heads: rope_permute(w, h)) if heads else (lambda w: w)
            want = order(layer.get_submodule(module).weight.detach().numpy())
            before = order(tiny_llama.model.layers[i].get_submodule(module).weight.detach().numpy())
            assert np.abs(want - before).max() > 1e-2  # the adapter does change this layer
            # Q8_0 rounds to 1/127 of each 32-weight block's largest magnitude
            np.testing.assert_allclose(got, want, atol=np.abs(want).max() / 100)


def test_adapter_to_gguf_refuses_what_llamacpp_cannot_run(tmp_path, tiny_llama):
    from agent.gguf_adapter import write_gguf_adapter

    adapter, _ = _tiny_adapter(tmp_path, tiny_llama)
    base = _base_gguf(tmp_path / "base.gguf", 4, 2)
    cfg = json.loads((adapter / "adapter_config.json").read_text())
    (adapter / "adapter_config.json").write_text(json.dumps({**cfg, "use_dora": True}))
    with pytest.raises(ModelError, match="plain LoRA"):
        write_gguf_adapter(adapter, base, tmp_path / "x.gguf")
    with pytest.raises(ModelError, match="not a peft adapter"):
        write_gguf_adapter(tmp_path / "nowhere", base, tmp_path / "x.gguf")


def test_llamacpp_backend_config_is_checked():
    from agent.config import ModelConfig
    from common.errors import BadInputError

    with pytest.raises(BadInputError, match="own quantisation"):
        ModelConfig(backend="llamacpp", dtype="int8")
    with pytest.raises(BadInputError, match="backend must be"):
        ModelConfig(backend="onnx")
    assert ModelConfig(backend="llamacpp").backend == "llamacpp"


@pytest.mark.slow
def test_llamacpp_and_transformers_make_the_same_calls():
    """The embedded model with the shipped adapter: llama.cpp (Q4_1 base, float LoRA)
    and transformers (dequantised float32, merged LoRA) route the same requests alike."""
    pytest.importorskip("llama_cpp", reason="llama-cpp-python not installed (make llamacpp)")
    from agent.config import ModelConfig
    from benchmarks.routing import call_key
    from benchmarks.speed import routing_cases
    from tools import REGISTRY

    cases = routing_cases(6)
    ref = LocalChatModel.from_config(ModelConfig())
    fast = LocalChatModel.from_config(ModelConfig(backend="llamacpp"))
    tools = REGISTRY.schemas()
    same = sum(
        call_key(fast.decide(h, tools)[0]) == call_key(ref.decide(h, tools)[0]) for h in cases
    )
    assert same >= 5  # Q4_1 vs float32 weights may flip a near tie, not most calls
