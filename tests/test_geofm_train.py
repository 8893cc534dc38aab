"""GeoFM training on a tiny random model: every task runs, resuming gives identical
weights, the tile stream is seeded and standardised, configs validate."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from common.errors import BadInputError, ModelError
from finetune.geofm_train import GeoFMTrainConfig, train
from tools.geofm.data import TASKS, linear_fill, make_batch, tile_scale
from tools.geofm.model import load_model

ROOT = Path(__file__).resolve().parents[1]
TINY = {
    "tile": 32,
    "patch": 8,
    "hidden": 32,
    "layers": 1,
    "heads": 2,
    "decoder_hidden": 32,
    "decoder_layers": 1,
}


def _config(tmp: Path, task: str, name: str, **kw) -> GeoFMTrainConfig:
    base = dict(
        task=task,
        output_dir=str(tmp / name),
        checkpoint_dir=str(tmp / f"{name}-ckpt"),
        steps=2,
        batch_size=2,
        val_tiles=2,
        threads=1,
        warmup_steps=1,
        checkpoint_every=1,
    )
    if task == "pretrain" or "init_from" not in kw:
        base["model"] = TINY
    return GeoFMTrainConfig(**{**base, **kw})


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("geofm")
    train(_config(tmp, "pretrain", "pre"), log=lambda *_: None)
    return tmp / "pre"


@pytest.mark.parametrize("task", ["denoise", "interpolate", "faults"])
def test_heads_train_two_steps_from_pretrained(tmp_path, pretrained, task):
    report = train(_config(tmp_path, task, task, init_from=str(pretrained)), log=lambda *_: None)
    assert report["steps"] == 2 and np.isfinite(report["val_loss"])
    out = tmp_path / task
    assert {"config.json", "model.safetensors", "card.json", "train_report.json"} <= {
        p.name for p in out.iterdir()
    }
    assert json.loads((out / "card.json").read_text())["task"] == task
    model = load_model(out)
    assert model.config.image_size == 32 and model.config.mask_ratio == 0.0


def test_pretrain_writes_a_loadable_mae(pretrained):
    report = json.loads((pretrained / "train_report.json").read_text())
    assert report["task"] == "pretrain" and report["steps"] == 2
    assert report["model"] == TINY and report["device"] in ("cpu", "cuda")


def _weights(path: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(path / "model.safetensors"))


@pytest.mark.parametrize("task", ["pretrain", "faults"])
def test_resume_gives_identical_weights(tmp_path, task):
    straight = _config(tmp_path, task, "a", steps=4, checkpoint_every=2)
    train(straight, log=lambda *_: None)
    cut = _config(tmp_path, task, "b", steps=4, checkpoint_every=2, max_steps=3)
    train(cut, log=lambda *_: None)  # interrupted after 3 steps; checkpoint at step 3
    state = json.loads((tmp_path / "b-ckpt" / "trainer_state.json").read_text())
    assert state["step"] == 3
    logs: list[str] = []
    report = train(_config(tmp_path, task, "b", steps=4, checkpoint_every=2), log=logs.append)
    assert any("resuming from step 3" in m for m in logs) and report["steps_this_run"] == 1
    a, b = _weights(tmp_path / "a"), _weights(tmp_path / "b")
    assert a.keys() == b.keys()
    for k in a:
        assert (a[k] == b[k]).all(), k


REFINE = {"channels": 4, "dilations": [1, 2]}


@pytest.mark.parametrize("kind", ["faults", "correction"])
def test_interpolate_head_trains_with_a_refine_stage(tmp_path, pretrained, kind):
    from tools.geofm.refine import load_refine
    from tools.geofm.tools import load_refine_head

    report = train(
        _config(
            tmp_path, "interpolate", "i", init_from=str(pretrained), refine={**REFINE, "vit": kind}
        ),
        log=lambda *_: None,
    )
    out = tmp_path / "i"
    assert {"refine.safetensors", "refine.json", "model.safetensors"} <= {
        p.name for p in out.iterdir()
    }
    assert report["refine_params"] == sum(p.numel() for p in load_refine(out).parameters())
    assert np.isfinite(report["val_loss"]) and report["val_loss_linear_fill"] > 0
    assert "refine" in json.loads((out / "card.json").read_text())["output"]
    assert load_refine_head(out).config.dilations == [1, 2]
    trained, start = _weights(out), _weights(pretrained)
    changed = any((trained[k] != start[k]).any() for k in start)
    assert changed == (kind == "correction")  # a fault head feeding the refine stays put


def test_ablation_leaves_the_vit_as_loaded(tmp_path, pretrained):
    train(
        _config(
            tmp_path,
            "interpolate",
            "a",
            init_from=str(pretrained),
            refine={**REFINE, "vit": "none"},
        ),
        log=lambda *_: None,
    )
    a, b = _weights(tmp_path / "a"), _weights(pretrained)
    assert a.keys() == b.keys() and all((a[k] == b[k]).all() for k in a)


def test_refine_continues_from_a_trained_head(tmp_path, pretrained):
    import torch
    from safetensors.torch import load_file

    kw = dict(init_from=str(pretrained), refine=REFINE)
    train(
        _config(tmp_path, "interpolate", "first", **kw),
        log=lambda *_: None,
        config_file="first.json",
    )
    first = load_file(str(tmp_path / "first" / "refine.safetensors"))
    # one step at a negligible learning rate: the loaded weights come back unchanged
    train(
        _config(
            tmp_path,
            "interpolate",
            "again",
            init_refine=str(tmp_path / "first"),
            seed=5,
            lr=1e-12,
            refine_lr=1e-12,
            steps=1,
            **kw,
        ),
        log=lambda *_: None,
        config_file="first.json --set seed=5",
    )
    again = load_file(str(tmp_path / "again" / "refine.safetensors"))
    assert all(torch.allclose(first[k], again[k], atol=1e-6) for k in first)
    # the card lists the commands behind the weights it continued, oldest first
    train(
        _config(
            tmp_path,
            "interpolate",
            "third",
            init_refine=str(tmp_path / "again"),
            seed=6,
            steps=1,
            **kw,
        ),
        log=lambda *_: None,
    )
    card = json.loads((tmp_path / "third" / "card.json").read_text())
    assert [c.split("--config ")[1] for c in card["continues"]] == [
        "first.json",
        "first.json --set seed=5",
    ]
    with pytest.raises(BadInputError, match="asks for"):
        train(
            _config(
                tmp_path,
                "interpolate",
                "c",
                init_refine=str(tmp_path / "first"),
                init_from=str(pretrained),
                refine={**REFINE, "channels": 8},
            ),
            log=lambda *_: None,
        )
    with pytest.raises(BadInputError, match="holds no refine"):
        train(
            _config(tmp_path, "interpolate", "d", init_refine=str(pretrained), **kw),
            log=lambda *_: None,
        )
    with pytest.raises(BadInputError, match="needs refine"):
        _config(
            tmp_path,
            "interpolate",
            "e",
            init_from=str(pretrained),
            init_refine=str(tmp_path / "first"),
        )


def test_resume_with_refine_gives_identical_weights(tmp_path, pretrained):
    from safetensors.torch import load_file

    kw = dict(init_from=str(pretrained), refine=REFINE, steps=4, checkpoint_every=2)
    train(_config(tmp_path, "interpolate", "a", **kw), log=lambda *_: None)
    train(_config(tmp_path, "interpolate", "b", max_steps=3, **kw), log=lambda *_: None)
    report = train(_config(tmp_path, "interpolate", "b", **kw), log=lambda *_: None)
    assert report["steps_this_run"] == 1
    for name in ("model.safetensors", "refine.safetensors"):
        a, b = load_file(str(tmp_path / "a" / name)), load_file(str(tmp_path / "b" / name))
        assert a.keys() == b.keys() and all((a[k] == b[k]).all() for k in a), name


def test_checkpoint_of_other_settings_is_refused(tmp_path):
    train(_config(tmp_path, "pretrain", "x", max_steps=1), log=lambda *_: None)
    with pytest.raises(BadInputError, match="other settings"):
        train(_config(tmp_path, "pretrain", "x", lr=0.5), log=lambda *_: None)


def test_head_checkpoint_is_stale_after_new_pretraining(tmp_path, pretrained):
    import shutil

    pre = tmp_path / "pre"
    shutil.copytree(pretrained, pre)
    train(_config(tmp_path, "denoise", "d", init_from=str(pre), max_steps=1), log=lambda *_: None)
    train(_config(tmp_path, "pretrain", "pre", seed=3), log=lambda *_: None)  # retrained
    with pytest.raises(BadInputError, match="other settings"):
        train(_config(tmp_path, "denoise", "d", init_from=str(pre)), log=lambda *_: None)


def test_missing_pretrained_weights_name_the_command(tmp_path):
    with pytest.raises(ModelError, match="geofm_pretrain.json"):
        train(
            _config(tmp_path, "denoise", "d", init_from=str(tmp_path / "absent")),
            log=lambda *_: None,
        )


def test_config_validation(tmp_path):
    with pytest.raises(BadInputError, match="task"):
        _config(tmp_path, "segment", "x")
    with pytest.raises(BadInputError, match="unknown model fields"):
        _config(tmp_path, "pretrain", "x", model={"width": 3})
    with pytest.raises(BadInputError, match="bad model size"):
        _config(tmp_path, "pretrain", "x", model={"tile": 30, "patch": 8})
    f = tmp_path / "c.json"
    f.write_text(json.dumps({"task": "pretrain", "output_dir": "o", "bogus": 1}))
    with pytest.raises(BadInputError, match="bogus"):
        GeoFMTrainConfig.from_json(f)
    f.write_text(json.dumps({"task": "pretrain", "output_dir": "o"}))
    with pytest.raises(BadInputError, match="interpolate task only"):
        _config(tmp_path, "denoise", "x", refine=REFINE)
    with pytest.raises(BadInputError, match="keys from"):
        _config(tmp_path, "interpolate", "x", refine={"width": 3})
    with pytest.raises(BadInputError, match="bad refine config"):
        _config(tmp_path, "interpolate", "x", refine={"dilations": []})
    c = GeoFMTrainConfig.from_json(f, ["steps=7", "task=denoise"])
    assert (c.steps, c.task, c.checkpoint_dir) == (7, "denoise", "results/geofm_train/denoise")


def test_oversampled_tiles_keep_the_draws():
    a = make_batch("interpolate", 3, 32, np.random.default_rng([5, 1]))
    b = make_batch("interpolate", 3, 32, np.random.default_rng([5, 1]), oversample=8)
    np.testing.assert_array_equal(a.dead, b.dead)  # same random draws, same holes
    assert not np.allclose(a.targets, b.targets)  # modelled differently
    assert all(
        np.corrcoef(x.ravel(), y.ravel())[0, 1] > 0.5 for x, y in zip(a.targets, b.targets)
    )  # but the same geology
    with pytest.raises(BadInputError, match="oversample"):
        _config(Path("."), "interpolate", "x", oversample=0)


def test_shipped_configs_parse_and_chain():
    configs = {
        t: GeoFMTrainConfig.from_json(ROOT / "finetune" / "configs" / f"geofm_{t}.json")
        for t in TASKS
    }
    for task, c in configs.items():
        assert c.task == task and c.threads in (1, 2)
        assert Path(c.output_dir) == Path("tools/geofm/weights") / task
    for task in ("denoise", "faults"):
        assert configs[task].init_from == configs["pretrain"].output_dir
    # the interpolation refine is fed by the fault head
    assert configs["interpolate"].init_from == configs["faults"].output_dir
    assert configs["interpolate"].refine["vit"] == "faults"


@pytest.mark.parametrize("task", TASKS)
def test_tile_stream_is_seeded_and_standardised(task):
    a = make_batch(task, 3, 32, np.random.default_rng([0, 5]))
    b = make_batch(task, 3, 32, np.random.default_rng([0, 5]))
    np.testing.assert_array_equal(a.inputs, b.inputs)
    np.testing.assert_array_equal(a.targets, b.targets)
    assert a.inputs.shape == a.targets.shape == (3, 32, 32) and a.dead.shape == (3, 32)
    np.testing.assert_allclose(tile_scale(a.inputs), 1.0, rtol=1e-4)
    if task == "interpolate":
        assert a.dead.any(axis=1).all()
        assert not a.inputs[a.dead].any() and a.targets[a.dead].any()
        for x, d, base in zip(a.inputs, a.dead, a.base):
            np.testing.assert_allclose(base, linear_fill(x, d), rtol=1e-5, atol=1e-6)
    else:
        assert not a.base.any()
    if task == "faults":
        assert set(np.unique(a.targets)) <= {0.0, 1.0} and a.targets.any()
    if task == "pretrain":
        np.testing.assert_array_equal(a.inputs, a.targets)


def test_tile_scale_ignores_dead_traces():
    x = np.zeros((2, 4, 8), np.float32)
    x[0, :2] = 3.0
    np.testing.assert_allclose(tile_scale(x), [3.0, 1.0])


def test_linear_fill_is_exact_on_a_linear_section():
    x = np.arange(10.0)[:, None] * np.ones((1, 5)) + 2.0  # trace i holds i + 2
    dead = np.zeros(10, bool)
    dead[[0, 3, 4, 8, 9]] = True
    filled = linear_fill(np.where(dead[:, None], 0.0, x), dead)
    np.testing.assert_allclose(filled[1:8], x[1:8])  # between live traces: exact
    np.testing.assert_allclose(filled[0], x[1])  # beyond the outermost: held constant
    np.testing.assert_allclose(filled[9], x[7])
