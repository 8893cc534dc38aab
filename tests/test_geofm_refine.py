"""The interpolation head's refine network on tiny random weights: save -> load gives
equal outputs, live traces pass through unchanged, the candidate mix really copies the
neighbouring live traces, it runs through the tiling path, and refine files that do not
fit fail with a clear ModelError."""

from __future__ import annotations

import json

import numpy as np
import pytest

from common.errors import ModelError
from tests.test_geofm_model import TINY as TINY_VIT  # one tiny ViT for all GeoFM tests
from tools.geofm.data import linear_fill, tile_scale
from tools.geofm.infer import dead_traces, interpolate_section
from tools.geofm.model import build_model, predict_tiles
from tools.geofm.refine import (
    REFINE_CONFIG,
    REFINE_WEIGHTS,
    RefineConfig,
    build_refine,
    load_refine,
    refine_tiles,
    save_refine,
)

TINY = RefineConfig(channels=4, dilations=[1, 2])


def _random(config: RefineConfig = TINY, seed: int = 0):
    """A refine with every weight random (the fresh one's last layer is zero)."""
    import torch

    refine = build_refine(config, seed=seed).eval()
    with torch.no_grad():
        for p in refine.parameters():
            p.copy_(torch.randn_like(p) * 0.3)
    return refine


def _tiles(n: int = 2, size: int = 32, seed: int = 0):
    """(holed, fill, dead): standardised-looking tiles with 8 dead traces each."""
    rng = np.random.default_rng(seed)
    clean = rng.standard_normal((n, size, size)).astype(np.float32)
    dead = np.zeros((n, size), bool)
    for b in range(n):
        dead[b, rng.choice(size, 8, replace=False)] = True
    holed = np.where(dead[:, :, None], 0.0, clean).astype(np.float32)
    fill = np.stack([linear_fill(h, d) for h, d in zip(holed, dead)]).astype(np.float32)
    return holed, fill, dead


VIT = build_model(TINY_VIT).eval()


def test_save_load_gives_equal_outputs(tmp_path):
    refine = _random()
    save_refine(refine, tmp_path)
    assert json.loads((tmp_path / REFINE_CONFIG).read_text())["channels"] == 4
    loaded = load_refine(tmp_path)
    holed, fill, dead = _tiles()
    want = refine_tiles(refine, VIT, holed, fill, dead)
    np.testing.assert_array_equal(refine_tiles(loaded, VIT, holed, fill, dead), want)
    assert np.abs(want - fill).max() > 1e-3  # the random refine really changes the fill


def test_live_traces_pass_through_unchanged():
    holed, fill, dead = _tiles(seed=1)
    out = refine_tiles(_random(seed=1), VIT, holed, fill, dead)
    live = ~dead
    np.testing.assert_array_equal(out[live], holed[live])
    assert np.isfinite(out).all() and np.abs(out[dead] - fill[dead]).max() > 1e-3


def test_candidates_are_the_fill_and_the_live_neighbours():
    """Logits forced to one candidate give exactly that candidate on dead traces."""
    import torch

    holed, fill, dead = _tiles(n=1, seed=2)
    live = np.flatnonzero(~dead[0])
    for which in range(3):  # fill, left neighbour, right neighbour
        refine = build_refine(TINY).eval()
        with torch.no_grad():
            refine.out.bias.copy_(torch.tensor([0.0, 0.0, 0.0, 0.0]))
            refine.out.bias[which] = 60.0
        out = refine_tiles(refine, VIT, holed, fill, dead)[0]
        for i in np.flatnonzero(dead[0]):
            left = live[live < i].max() if (live < i).any() else live.min()
            right = live[live > i].min() if (live > i).any() else live.max()
            want = (fill[0, i], holed[0, left], holed[0, right])[which]
            np.testing.assert_allclose(out[i], want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kind", ["faults", "correction"])
def test_the_vit_feature_matters_except_in_the_ablation(kind):
    holed, fill, dead = _tiles(seed=3)
    other = build_model(TINY_VIT, seed=9).eval()
    ablation = _random(RefineConfig(channels=4, dilations=[1], vit="none"), seed=3)
    np.testing.assert_array_equal(
        refine_tiles(ablation, VIT, holed, fill, dead),
        refine_tiles(ablation, other, holed, fill, dead),
    )
    fed = _random(RefineConfig(channels=4, dilations=[1], vit=kind), seed=3)
    assert not np.allclose(
        refine_tiles(fed, VIT, holed, fill, dead), refine_tiles(fed, other, holed, fill, dead)
    )


def test_refine_runs_through_the_tiling_path():
    vit = VIT
    refine = _random(seed=4)
    section = np.random.default_rng(4).standard_normal((70, 45)) * 50.0
    section[np.random.default_rng(5).choice(70, 20, replace=False)] = 0.0
    plain, dead = interpolate_section(vit, section, batch_size=3)
    filled, dead2 = interpolate_section(vit, section, batch_size=3, refine=refine)
    assert filled.shape == section.shape and np.isfinite(filled).all()
    np.testing.assert_array_equal(dead, dead2)
    np.testing.assert_array_equal(filled[~dead], section[~dead].astype(np.float32))
    assert filled[dead].any(axis=1).all() and not np.allclose(filled[dead], plain[dead])


def test_refine_output_scales_with_the_input():
    """Tiles are standardised before the networks, so 1000x the input gives 1000x out."""
    vit = VIT
    refine = _random(seed=6)
    section = np.random.default_rng(6).standard_normal((40, 40))
    section[[3, 4, 17, 30]] = 0.0
    small, _ = interpolate_section(vit, section, refine=refine)
    big, _ = interpolate_section(vit, 1000.0 * section, refine=refine)
    np.testing.assert_allclose(big, 1000.0 * small, rtol=1e-4, atol=1e-3)


def test_no_refine_file_means_the_vit_alone(tmp_path):
    assert load_refine(tmp_path) is None
    vit = VIT
    tiles = _tiles(n=1)[0]
    dead = dead_traces(tiles[0])
    assert dead.sum() == 8
    scale = tile_scale(tiles)[:, None, None]
    want = (predict_tiles(vit, tiles / scale) * scale)[0] + linear_fill(tiles[0], dead)
    np.testing.assert_allclose(
        interpolate_section(vit, tiles[0])[0][dead], want[dead], rtol=1e-5, atol=1e-5
    )


def test_refine_files_that_do_not_fit_fail_clearly(tmp_path):
    save_refine(_random(), tmp_path)
    (tmp_path / REFINE_CONFIG).write_text(json.dumps({"channels": 8, "dilations": [1, 2]}))
    with pytest.raises(ModelError, match="does not fit"):
        load_refine(tmp_path)
    (tmp_path / REFINE_CONFIG).write_text(json.dumps({"channels": 4, "kernels": 3}))
    with pytest.raises(ModelError, match="not a refine config"):
        load_refine(tmp_path)
    (tmp_path / REFINE_CONFIG).write_text(json.dumps({"channels": 4, "vit": "denoise"}))
    with pytest.raises(ModelError, match="not a refine config"):
        load_refine(tmp_path)
    (tmp_path / REFINE_CONFIG).unlink()
    with pytest.raises(ModelError, match=f"no {REFINE_CONFIG}"):
        load_refine(tmp_path)
    (tmp_path / REFINE_CONFIG).write_text(json.dumps({"channels": 4, "dilations": [1, 2]}))
    (tmp_path / REFINE_WEIGHTS).write_bytes(b"not safetensors")
    with pytest.raises(ModelError, match="does not fit"):
        load_refine(tmp_path)
