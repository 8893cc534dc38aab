"""The GeoFM tools on tiny random-weight heads: right shapes and figures, live traces kept,
probabilities in [0, 1], clear errors for missing or wrong weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tools import REGISTRY
from tools.geofm import tools as geofm_tools
from tools.geofm.model import GeoFMConfig, build_model, save_model

TINY = GeoFMConfig(
    tile=32, patch=8, hidden=32, layers=1, heads=2, decoder_hidden=32, decoder_layers=1
)


@pytest.fixture(scope="module")
def tiny_weights(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("weights")
    for i, task in enumerate(("denoise", "interpolate", "faults")):
        save_model(build_model(TINY, seed=i), root / task, card={"task": task})
    return root


@pytest.fixture
def heads(tiny_weights, monkeypatch) -> Path:
    monkeypatch.delenv("GEOFM_VISION_WEIGHTS", raising=False)
    monkeypatch.setattr(geofm_tools, "WEIGHTS_DIR", tiny_weights)
    return tiny_weights


def _synthetic(workspace, **kw) -> str:
    r = REGISTRY.call("make_synthetic", {"n_traces": 50, "n_samples": 70, **kw}, workspace)
    assert r.ok, r.summary
    return r.artifacts[0].id


def test_denoise_returns_section_and_figure(workspace, heads):
    data = _synthetic(workspace)
    r = REGISTRY.call("geofm_denoise", {"data": data}, workspace)
    assert r.ok, r.summary
    out = workspace.load_array(r.artifacts[0].id)
    assert out.shape == (50, 70) and np.isfinite(out).all()
    assert r.artifacts[1].kind == "figure" and Path(r.artifacts[1].path).stat().st_size > 0
    assert "snr_est_after_db" in r.metrics and r.citations


def test_interpolate_fills_dead_traces_and_keeps_live_ones(workspace, heads):
    data = _synthetic(workspace, missing_fraction=0.3, noise="none")
    r = REGISTRY.call("geofm_interpolate", {"data": data, "figure": False}, workspace)
    assert r.ok, r.summary
    before, after = workspace.load_array(data), workspace.load_array(r.artifacts[0].id)
    dead = ~before.any(axis=1)
    assert r.metrics["traces_filled"] == dead.sum() == 15
    np.testing.assert_array_equal(after[~dead], before[~dead])
    assert after[dead].any(axis=1).all()
    r = REGISTRY.call("geofm_interpolate", {"data": _synthetic(workspace)}, workspace)
    assert not r.ok and "no dead" in r.summary


def test_interpolate_refuses_sections_it_cannot_fill(workspace, heads, tmp_path):
    """All dead, one live trace, NaN: a one-line refusal and nothing written."""
    x = np.random.default_rng(0).normal(size=(30, 40))
    one, nan, dead = np.zeros_like(x), x.copy(), np.zeros_like(x)
    one[4] = x[4]
    nan[3, 5], nan[10] = np.nan, 0.0
    for name, array, says in (
        ("one", one, "fewer than 2 live"),
        ("nan", nan, "NaN"),
        ("dead", dead, "every trace"),
    ):
        np.save(tmp_path / f"{name}.npy", array)
        item = workspace.add_file(tmp_path / f"{name}.npy").id
        item = REGISTRY.call("import_array", {"file": item}, workspace).artifacts[0].id
        before = set(workspace.root.rglob("*"))
        r = REGISTRY.call("geofm_interpolate", {"data": item}, workspace)
        assert not r.ok and says in r.summary and "\n" not in r.summary, (name, r.summary)
        assert set(workspace.root.rglob("*")) == before


def test_faults_give_probabilities_and_overlay(workspace, heads):
    data = _synthetic(workspace)
    r = REGISTRY.call("geofm_faults", {"data": data, "threshold": 0.4}, workspace)
    assert r.ok, r.summary
    prob = workspace.load_array(r.artifacts[0].id)
    assert prob.shape == (50, 70) and prob.min() >= 0 and prob.max() <= 1
    assert 0 <= r.metrics["fault_fraction"] <= 1
    assert r.artifacts[1].kind == "figure"
    assert not REGISTRY.call("geofm_faults", {"data": data, "threshold": 1.5}, workspace).ok


def test_faults_default_to_the_calibrated_threshold(workspace, tmp_path, monkeypatch):
    """Without a threshold the tool uses the one in the head's card; 0.5 without one."""
    import json
    import shutil

    from finetune.geofm_calibrate import THRESHOLDS, calibrate

    shutil.copytree(_tiny_root(tmp_path), tmp_path / "w")
    monkeypatch.setenv("GEOFM_VISION_WEIGHTS", str(tmp_path / "w"))
    assert geofm_tools.fault_threshold() == 0.5
    result = calibrate(geofm_tools.head("faults"), sections=1, size=(40, 48), progress=False)
    assert result["threshold"] in THRESHOLDS and set(result["curve"]) == {
        str(t) for t in THRESHOLDS
    }
    card = tmp_path / "w" / "faults" / "card.json"
    card.write_text(json.dumps({**json.loads(card.read_text()), "threshold": 0.65}))
    assert geofm_tools.fault_threshold() == 0.65
    r = REGISTRY.call("geofm_faults", {"data": _synthetic(workspace), "figure": False}, workspace)
    assert r.ok and r.metrics["threshold"] == 0.65


def _tiny_root(tmp_path: Path) -> Path:
    root = tmp_path / "tiny"
    for i, task in enumerate(("denoise", "interpolate", "faults")):
        save_model(build_model(TINY, seed=i), root / task, card={"task": task})
    return root


def test_cube_runs_inline_by_inline(workspace, heads):
    cube = np.random.default_rng(0).standard_normal((3, 40, 36)).astype(np.float32)
    art = workspace.save_array(cube, "cube", {"dt_ms": 4.0})
    r = REGISTRY.call("geofm_faults", {"data": art.id, "figure": False}, workspace)
    assert r.ok, r.summary
    assert workspace.load_array(r.artifacts[0].id).shape == cube.shape


def test_missing_weights_name_the_training_command(workspace, tmp_path, monkeypatch):
    monkeypatch.delenv("GEOFM_VISION_WEIGHTS", raising=False)
    monkeypatch.setattr(geofm_tools, "WEIGHTS_DIR", tmp_path / "none")
    r = REGISTRY.call("geofm_denoise", {"data": _synthetic(workspace)}, workspace)
    assert not r.ok
    assert (
        "python -m finetune.geofm_train --config finetune/configs/geofm_pretrain.json" in r.summary
        and "geofm_denoise.json" in r.summary
    )


def test_weights_of_another_task_are_refused(workspace, tiny_weights, tmp_path, monkeypatch):
    monkeypatch.setenv("GEOFM_VISION_WEIGHTS", str(tmp_path))
    save_model(build_model(TINY), tmp_path / "faults", card={"task": "denoise"})
    r = REGISTRY.call("geofm_faults", {"data": _synthetic(workspace)}, workspace)
    assert not r.ok and "trained for 'denoise'" in r.summary


def test_external_checkpoint_folder_from_environment(workspace, tmp_path, monkeypatch):
    from transformers import ViTMAEForPreTraining

    monkeypatch.setenv("GEOFM_VISION_WEIGHTS", str(tmp_path))
    # an external Hugging Face ViTMAE checkpoint: no card, 48x48 tiles
    ext = GeoFMConfig(
        tile=48, patch=8, hidden=32, layers=1, heads=2, decoder_hidden=32, decoder_layers=1
    ).to_hf()
    ViTMAEForPreTraining(ext).save_pretrained(tmp_path / "denoise")
    r = REGISTRY.call("geofm_denoise", {"data": _synthetic(workspace), "figure": False}, workspace)
    assert r.ok, r.summary
    assert (
        str(tmp_path / "denoise")
        in workspace.meta(r.artifacts[0].id)["metadata"]["params"]["weights"]
    )


def test_real_line_runs_through_the_tools(workspace, heads, shared_data):
    fid = workspace.add_file(shared_data / "segy" / "npra_31_81.sgy").id
    line = REGISTRY.call("read_segy", {"file": fid}, workspace).artifacts[0].id
    r = REGISTRY.call("geofm_denoise", {"data": line, "figure": False}, workspace)
    assert r.ok, r.summary
    assert workspace.load_array(r.artifacts[0].id).shape == workspace.load_array(line).shape


def test_interpolation_head_corrects_the_linear_fill():
    """With its output layer zeroed the head returns exactly the linear fill: on flat
    layers (every trace equal) that is the original section, through tiles and blending."""
    import torch

    from tools.geofm.infer import interpolate_section

    model = build_model(TINY).eval()
    with torch.no_grad():
        model.decoder.decoder_pred.weight.zero_()
        model.decoder.decoder_pred.bias.zero_()
    trace = np.random.default_rng(0).standard_normal(70)
    section = np.tile(trace, (50, 1))
    holed = section.copy()
    holed[np.random.default_rng(1).choice(50, 15, replace=False)] = 0.0
    filled, dead = interpolate_section(model, holed, batch_size=3)
    assert dead.sum() == 15
    np.testing.assert_allclose(filled, section, rtol=1e-5, atol=1e-5)


def test_benchmark_runs_on_tiny_weights(tiny_weights, tmp_path, monkeypatch, capsys):
    import json

    import torch

    from benchmarks.geofm import main
    from tools.geofm.heldout import f1_scores

    # main() sets these and torch's thread count; monkeypatch puts them back afterwards
    monkeypatch.setenv("GEOFM_VISION_WEIGHTS", str(tiny_weights))
    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")
    monkeypatch.setattr(torch, "set_num_threads", lambda n: None)
    out = tmp_path / "bench.json"
    assert (
        main(
            [
                "--weights",
                str(tiny_weights),
                "--sections",
                "1",
                "--size",
                "48",
                "80",
                "--no-real",
                "--no-throughput",
                "--threads",
                "1",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    res = json.loads(out.read_text())
    assert set(res["summary"]) >= {
        "denoise_fx_db",
        "denoise_geofm_db",
        "missing_linear_db",
        "missing_geofm_db",
        "faults_f1_pixel_clean",
    }
    assert "f-x" in capsys.readouterr().out
    labels = np.zeros((10, 4))
    labels[4:6] = 1
    assert f1_scores(labels, labels) == (1.0, 1.0)
    shifted = np.roll(labels, 1, axis=0)  # one trace off: pixel F1 0.5, tolerant F1 1
    assert f1_scores(shifted, labels) == (0.5, 1.0)
    assert main(["--weights", str(tmp_path / "none"), "--no-real"]) == 1


def _refine_weights(root: Path, pick: int = 1) -> Path:
    """A tiny interpolation head whose refine copies, on dead traces, the live neighbour
    ``pick`` (0 linear fill, 1 left, 2 right)."""
    import torch

    from tools.geofm.refine import RefineConfig, build_refine, save_refine

    save_model(build_model(TINY, seed=1), root / "interpolate", card={"task": "interpolate"})
    refine = build_refine(RefineConfig(channels=4, dilations=[1]))
    with torch.no_grad():
        refine.out.bias[pick] = 60.0
    save_refine(refine, root / "interpolate")
    return root


def test_interpolate_uses_the_refine_stage_of_the_head(workspace, tmp_path, monkeypatch):
    monkeypatch.delenv("GEOFM_VISION_WEIGHTS", raising=False)
    monkeypatch.setattr(geofm_tools, "WEIGHTS_DIR", _refine_weights(tmp_path / "w"))
    monkeypatch.setattr(geofm_tools, "FILLS", {})  # the head is the only candidate
    # one 32x32 tile, so every dead trace's left neighbour lies in its tile
    data = _synthetic(workspace, n_traces=30, n_samples=32, missing_fraction=0.3, noise="none")
    r = REGISTRY.call("geofm_interpolate", {"data": data, "figure": False}, workspace)
    assert r.ok, r.summary
    assert any("Yu" in c for c in r.citations)
    before, after = workspace.load_array(data), workspace.load_array(r.artifacts[0].id)
    dead = ~before.any(axis=1)
    live = np.flatnonzero(~dead)
    np.testing.assert_array_equal(after[~dead], before[~dead])
    for i in np.flatnonzero(dead):
        left = live[live < i].max() if (live < i).any() else live.min()
        np.testing.assert_allclose(
            after[i], before[left], rtol=1e-4, atol=1e-4 * np.abs(before).max()
        )


def test_interpolate_checks_itself_and_keeps_the_better_fill(workspace, tmp_path, monkeypatch):
    """A head that copies the left neighbour loses the self-check to a classical fill on
    dipping beds; the summary names the winner and the scores."""
    monkeypatch.delenv("GEOFM_VISION_WEIGHTS", raising=False)
    monkeypatch.setattr(geofm_tools, "WEIGHTS_DIR", _refine_weights(tmp_path / "w"))
    t = np.arange(64)[None, :] - 1.2 * np.arange(40)[:, None]
    section = np.sin(2 * np.pi * t / 17.0)
    section[[5, 12, 13, 20, 27, 28, 33]] = 0.0
    np.save(tmp_path / "dip.npy", section)
    data = workspace.add_file(tmp_path / "dip.npy").id
    data = REGISTRY.call("import_array", {"file": data}, workspace).artifacts[0].id
    r = REGISTRY.call("geofm_interpolate", {"data": data, "figure": False}, workspace)
    assert r.ok, r.summary
    assert "with GeoFM," not in r.summary and "hidden as a check" in r.summary
    assert r.metrics["check_geofm_db"] < max(r.metrics[f"check_{m}_db"] for m in ("pocs", "mssa"))
    after = workspace.load_array(r.artifacts[0].id)
    dead = [5, 12, 13, 20, 27, 28, 33]
    copy_left = section[[4, 11, 11, 19, 26, 26, 32]]
    assert np.sum((after[dead] - copy_left) ** 2) > 0.1 * np.sum(copy_left**2)
    from agent.report import report_numbers_supported, tool_report

    calls = [("geofm_interpolate", {"data": data, "figure": False})]
    text = tool_report("fill the gaps", calls, [r])
    assert "restored them best" in text and "GeoFM" in text and "POCS" in text
    assert report_numbers_supported(text, "fill the gaps", calls, [r]) == []


def test_a_refine_file_that_does_not_fit_is_reported(workspace, tmp_path, monkeypatch):
    root = _refine_weights(tmp_path / "w")
    (root / "interpolate" / "refine.json").write_text('{"channels": 5, "dilations": [1]}')
    monkeypatch.delenv("GEOFM_VISION_WEIGHTS", raising=False)
    monkeypatch.setattr(geofm_tools, "WEIGHTS_DIR", root)
    data = _synthetic(workspace, missing_fraction=0.3, noise="none")
    r = REGISTRY.call("geofm_interpolate", {"data": data, "figure": False}, workspace)
    assert not r.ok and "does not fit" in r.summary
