"""Unmigrated training tiles (tools.geofm.unmigrated): a point scatterer becomes a
diffraction hyperbola with the asked slope, flat beds stay where they are, tiles are
seeded and cut across a fault when asked, and the training mixture accepts the source."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from common.errors import BadInputError
from finetune.geofm_train import GeoFMTrainConfig
from tools.geofm.data import make_batch, tile_sources
from tools.geofm.unmigrated import unmigrated_tile, zero_offset_model


@pytest.mark.parametrize("dt_ms, slope_ms", [(4.0, 8.0), (2.0, 5.0)])
def test_a_point_scatterer_becomes_a_diffraction_hyperbola(dt_ms, slope_ms):
    image = np.zeros((128, 256))
    x0, j0 = 64, 60
    image[x0, j0] = 1.0
    d = zero_offset_model(image, dt_ms, slope_ms)
    t0 = j0 * dt_ms
    for dx in (0, 6, 12, 20, 28):
        expected = np.hypot(t0, slope_ms * dx)  # t(x)^2 = t0^2 + (slope x)^2
        for side in (-1, 1):
            peak = int(np.argmax(np.abs(d[x0 + side * dx]))) * dt_ms
            assert abs(peak - expected) <= 2.5 * dt_ms, (dx, side, peak, expected)
    # the apex is the strongest point, the tails weaker
    assert np.abs(d[x0]).max() > np.abs(d[x0 + 20]).max()


def test_flat_beds_stay_in_place():
    t = np.arange(200)
    trace = np.exp(-(((t - 80) / 3.0) ** 2)) - 0.7 * np.exp(-(((t - 130) / 3.0) ** 2))
    image = np.tile(trace, (96, 1))
    d = zero_offset_model(image, 4.0, 10.0)
    mid = d[32:64]  # away from the section's ends, whose terminations diffract
    assert np.corrcoef(mid.ravel(), image[32:64].ravel())[0, 1] > 0.99
    assert int(np.argmax(mid[10])) == 80


def test_bad_arguments_are_refused():
    with pytest.raises(BadInputError, match="2-D"):
        zero_offset_model(np.zeros(10), 4.0, 8.0)
    with pytest.raises(BadInputError, match="> 0"):
        zero_offset_model(np.zeros((8, 8)), 4.0, 0.0)


def test_tiles_are_seeded_and_cut_across_a_fault():
    a = unmigrated_tile(np.random.default_rng(5), 32, seed=11, min_faults=1)
    b = unmigrated_tile(np.random.default_rng(5), 32, seed=11, min_faults=1)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert a[0].shape == a[1].shape == (32, 32) and a[2] in (2.0, 4.0)
    crossed = [
        unmigrated_tile(np.random.default_rng(s), 32, seed=s, min_faults=1)[1].any()
        for s in range(12)
    ]
    assert sum(crossed) >= 10


def test_the_training_mixture_takes_unmigrated_tiles():
    names, weights = tile_sources("faults", {"synthetic": 1, "unmigrated": 1})
    assert names == ("synthetic", "unmigrated") and np.allclose(weights, 0.5)
    b = make_batch("faults", 3, 32, np.random.default_rng(0), 8, {"unmigrated": 1.0})
    assert b.inputs.shape == b.targets.shape == (3, 32, 32)
    assert set(np.unique(b.targets)) <= {0.0, 1.0}
    assert np.isfinite(b.inputs).all()


def test_the_unmigrated_config_parses_and_never_writes_the_shipped_head():
    root = Path(__file__).resolve().parents[1]
    c = GeoFMTrainConfig.from_json(root / "finetune" / "configs" / "geofm_faults_unmigrated.json")
    assert c.task == "faults" and c.sources and c.sources["unmigrated"] > 0
    assert str(c.output_dir).startswith("build/")
    assert c.init_from == "tools/geofm/weights/faults"
