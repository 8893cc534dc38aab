"""LoRA training on a tiny random Llama: only adapters train, save→load→merge is exact,
an interrupted run resumes to the same weights, labels cover assistant turns only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from common.errors import BadInputError
from finetune.chat_data import IGNORE, encode_example, read_jsonl
from finetune.lora import LoraTrainConfig, mixed, train

EXAMPLES = [
    {
        "messages": [
            {"role": "system", "content": "tools: bandpass"},
            {"role": "user", "content": f"filter ws-{i} from {i} to 60 Hz"},
            {
                "role": "assistant",
                "content": f'{{"name":"bandpass","arguments":{{"data":"ws-{i}","low_hz":{i}}}}}',
            },
        ]
    }
    for i in range(1, 13)
]


@pytest.fixture
def data_file(tmp_path):
    f = tmp_path / "train.jsonl"
    f.write_text("\n".join(json.dumps(e) for e in EXAMPLES))
    return f


def _config(tmp_path, data_file, **kw):
    base = dict(
        train_file=str(data_file),
        output_dir=str(tmp_path / "adapter"),
        r=4,
        alpha=8,
        dropout=0.0,
        batch_size=4,
        epochs=2,
        lr=1e-2,
        warmup_steps=1,
        checkpoint_every=2,
        max_length=128,
    )
    base.update(kw)
    return LoraTrainConfig(**base)


def _fresh(tiny_llama):
    import copy

    return copy.deepcopy(tiny_llama)


def test_labels_cover_only_the_reply(tiny_tokenizer):
    ids, labels = encode_example(tiny_tokenizer, EXAMPLES[0]["messages"], 256)
    learned = tiny_tokenizer.decode([t for t, y in zip(ids, labels) if y != IGNORE])
    assert learned.startswith('{"name":"bandpass"') and learned.endswith("<|im_end|>")
    assert "filter ws-1" not in learned
    assert len(ids) == len(labels)


def test_no_assistant_turn_refused(tiny_tokenizer):
    with pytest.raises(BadInputError, match="no assistant turn"):
        encode_example(tiny_tokenizer, [{"role": "user", "content": "hi"}], 64)


def test_malformed_jsonl_names_the_line(tmp_path):
    f = tmp_path / "bad.jsonl"
    f.write_text('{"messages": []}\n{oops\n')
    with pytest.raises(BadInputError, match="bad.jsonl:2"):
        read_jsonl(f)


@pytest.mark.parametrize("bf16", ["off", "on"])
def test_only_adapter_weights_train(tmp_path, data_file, tiny_llama, tiny_tokenizer, bf16):
    model = _fresh(tiny_llama)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    report = train(
        _config(tmp_path, data_file, bf16=bf16),
        model=model,
        tokenizer=tiny_tokenizer,
        log=lambda *_: None,
    )
    assert report["bf16"] is (bf16 == "on")
    assert all(v.dtype == torch.float32 for v in model.state_dict().values())  # autocast only
    assert report["steps"] == 6  # 12 examples / 4 per step * 2 epochs
    after = {
        k.replace("base_layer.", ""): v for k, v in model.state_dict().items() if "lora_" not in k
    }  # peft wrapped the layers in place
    assert after.keys() == before.keys()
    assert [k for k in before if not torch.equal(before[k], after[k])] == []
    lora_b = [v for k, v in model.state_dict().items() if "lora_B" in k]
    assert lora_b and all(v.abs().sum() > 0 for v in lora_b)  # B starts at zero: it learned
    assert (tmp_path / "adapter" / "adapter_model.safetensors").exists()


def test_layers_limit_which_blocks_get_adapters(tmp_path, data_file, tiny_llama, tiny_tokenizer):
    model = _fresh(tiny_llama)
    train(
        _config(tmp_path, data_file, layers=[1], epochs=1),
        model=model,
        tokenizer=tiny_tokenizer,
        log=lambda *_: None,
    )
    lora = [k for k in model.state_dict() if "lora_A" in k]
    assert lora and all(".layers.1." in k for k in lora)


def test_save_load_merge_gives_equal_logits(tmp_path, data_file, tiny_llama, tiny_tokenizer):
    from peft import PeftModel

    model = _fresh(tiny_llama)
    train(_config(tmp_path, data_file), model=model, tokenizer=tiny_tokenizer, log=lambda *_: None)
    x = torch.tensor([tiny_tokenizer.encode("filter ws-3 from 3 to 60 Hz")])
    model.eval()
    with torch.no_grad():
        trained = model(x).logits
        loaded = PeftModel.from_pretrained(_fresh(tiny_llama), str(tmp_path / "adapter")).eval()
        torch.testing.assert_close(loaded(x).logits, trained)
        merged = loaded.merge_and_unload()
        torch.testing.assert_close(merged(x).logits, trained, rtol=1e-4, atol=1e-5)
        assert not torch.allclose(tiny_llama(x).logits, trained)  # the adapter matters


def test_interrupted_run_resumes_to_same_weights(tmp_path, data_file, tiny_llama, tiny_tokenizer):
    straight = _fresh(tiny_llama)
    train(
        _config(tmp_path / "a", data_file),
        model=straight,
        tokenizer=tiny_tokenizer,
        log=lambda *_: None,
    )
    first = _fresh(tiny_llama)
    train(
        _config(tmp_path / "b", data_file, max_steps=5),
        model=first,
        tokenizer=tiny_tokenizer,
        log=lambda *_: None,
    )  # checkpoints at steps 2 and 4, then stops: "killed"
    assert (tmp_path / "b" / "adapter" / "checkpoint" / "trainer_state.json").exists()
    resumed = _fresh(tiny_llama)
    report = train(
        _config(tmp_path / "b", data_file),
        model=resumed,
        tokenizer=tiny_tokenizer,
        log=lambda *_: None,
    )
    assert report["steps"] == 6
    a = {k: v for k, v in straight.state_dict().items() if "lora_" in k}
    b = {k: v for k, v in resumed.state_dict().items() if "lora_" in k}
    for k in a:
        torch.testing.assert_close(a[k], b[k])


def test_config_validation(tmp_path, data_file):
    with pytest.raises(BadInputError, match="not found"):
        LoraTrainConfig(train_file=str(tmp_path / "none.jsonl"), output_dir=str(tmp_path))
    with pytest.raises(BadInputError, match="dropout"):
        _config(tmp_path, data_file, dropout=1.5)
    with pytest.raises(BadInputError, match="bf16"):
        _config(tmp_path, data_file, bf16="yes")
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"train_file": str(data_file), "output_dir": str(tmp_path)}))
    assert LoraTrainConfig.from_json(cfg, ["epochs=1", "r=4"]).r == 4
    with pytest.raises(BadInputError, match="unknown setting"):
        LoraTrainConfig.from_json(cfg, ["rank=4"])


def test_mix_keeps_a_share_of_each_group_in_file_order(tmp_path, data_file):
    rows = [{"task": f"followup/t{i}" if i % 3 == 0 else f"bp_{i}", "n": i} for i in range(30)]
    kept = mixed(rows, {"followup": 1.0, "*": 0.5}, seed=0)
    assert [r["n"] for r in kept] == sorted(r["n"] for r in kept)
    assert sum(r["task"].startswith("followup/") for r in kept) == 10
    others = [r for r in kept if not r["task"].startswith("followup/")]
    assert len(others) == 10  # half of the pool of the 20 other rows
    assert len(mixed(rows, {"followup": 0.5}, seed=0)) == 25  # the rest kept whole
    assert mixed(rows, None, seed=0) == rows
    assert mixed(rows, {"*": 0.0}, seed=0) == []
    assert mixed(rows, {"*": 0.5}, seed=1) != mixed(rows, {"*": 0.5}, seed=2)
    with pytest.raises(BadInputError, match="mix"):
        _config(tmp_path, data_file, mix={"followup": 2})
    with pytest.raises(BadInputError, match="mix"):
        _config(tmp_path, data_file, mix="followup")


def test_config_extends_a_base_file(tmp_path, data_file):
    base = tmp_path / "base.json"
    base.write_text(
        json.dumps({"train_file": str(data_file), "output_dir": str(tmp_path), "r": 8, "lr": 1e-3})
    )
    sub = tmp_path / "sub" / "child.json"
    sub.parent.mkdir()
    sub.write_text(json.dumps({"extends": "../base.json", "lr": 5e-4}))
    cfg = LoraTrainConfig.from_json(sub, ["epochs=0.5"])
    assert (cfg.r, cfg.lr, cfg.epochs) == (8, 5e-4, 0.5)
    base.write_text(json.dumps({"extends": "sub/child.json"}))
    with pytest.raises(BadInputError, match="back to itself"):
        LoraTrainConfig.from_json(sub)


def test_shipped_continue_configs_differ_from_default_only_where_they_say():
    from finetune.training_io import _read_json

    configs = Path(__file__).resolve().parents[1] / "finetune" / "configs"
    default = json.loads((configs / "default.json").read_text())
    for name in ("continue_v5.json", "continue_v6.json"):
        own = json.loads((configs / name).read_text())
        assert own["extends"] == "default.json"
        merged = _read_json(configs / name)
        assert merged == {**default, **{k: v for k, v in own.items() if k != "extends"}}
        assert merged["init_adapter"].startswith("build/adapter_v")


def test_token_loss_equals_the_models_own_loss(tiny_llama, tiny_tokenizer):
    from finetune.lora import _batches, token_loss

    enc = [encode_example(tiny_tokenizer, e["messages"], 128) for e in EXAMPLES[:4]]
    import random

    ids, labels, mask = next(_batches(enc, 4, 0, random.Random(0)))
    with torch.no_grad():
        total, n = token_loss(tiny_llama, ids, mask, labels)
        ref = tiny_llama(input_ids=ids, attention_mask=mask, labels=labels).loss
    assert n == int((labels[:, 1:] != IGNORE).sum())
    assert torch.allclose(total / n, ref, atol=1e-5)


def test_continued_run_starts_from_the_given_adapter(
    tmp_path, data_file, tiny_llama, tiny_tokenizer
):
    first = _fresh(tiny_llama)
    train(
        _config(tmp_path / "a", data_file),
        model=first,
        tokenizer=tiny_tokenizer,
        log=lambda *_: None,
    )
    start = {k: v.clone() for k, v in first.state_dict().items() if "lora_" in k}
    init = str(tmp_path / "a" / "adapter")
    # a vanishing learning rate: the continued adapter must still be the first one
    still = _fresh(tiny_llama)
    train(
        _config(tmp_path / "b", data_file, init_adapter=init, lr=1e-12, epochs=1),
        model=still,
        tokenizer=tiny_tokenizer,
        log=lambda *_: None,
    )
    kept = {k: v for k, v in still.state_dict().items() if "lora_" in k}
    assert kept.keys() == start.keys()
    for k in start:
        torch.testing.assert_close(kept[k], start[k])
    # a real learning rate moves it on from there
    moved = _fresh(tiny_llama)
    train(
        _config(tmp_path / "c", data_file, init_adapter=init, epochs=1),
        model=moved,
        tokenizer=tiny_tokenizer,
        log=lambda *_: None,
    )
    assert any(
        not torch.allclose(v, start[k]) for k, v in moved.state_dict().items() if "lora_" in k
    )


def test_continued_run_refuses_a_mismatched_adapter(
    tmp_path, data_file, tiny_llama, tiny_tokenizer
):
    train(
        _config(tmp_path / "a", data_file, epochs=1),
        model=_fresh(tiny_llama),
        tokenizer=tiny_tokenizer,
        log=lambda *_: None,
    )
    with pytest.raises(BadInputError, match="does not match"):
        train(
            _config(tmp_path / "b", data_file, r=8, init_adapter=str(tmp_path / "a" / "adapter")),
            model=_fresh(tiny_llama),
            tokenizer=tiny_tokenizer,
            log=lambda *_: None,
        )
    with pytest.raises(BadInputError, match="adapter_config.json"):
        _config(tmp_path, data_file, init_adapter=str(tmp_path / "nowhere"))
