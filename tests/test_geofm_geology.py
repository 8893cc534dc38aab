"""The second training generator (tools.geofm.geology), the real-tile sampler
(tools.geofm.real_tiles) and the tile mixture of tools.geofm.data: seeded, labelled as
tools.synthetic labels, faults of every kind with the right sense of offset, boundaries
not snapped to samples, held-out real traces never cropped, the default stream unchanged."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from common.errors import BadInputError
from finetune.geofm_train import GeoFMTrainConfig
from tools.geofm.data import hidden_traces, make_batch, tile_sources
from tools.geofm.geology import Fault, band_limited, make_geology, rgt_from_horizons
from tools.geofm.heldout import REAL_HELDOUT
from tools.geofm.real_tiles import real_lines, real_tile
from tools.synthetic import make_section

ROOT = Path(__file__).resolve().parents[1]


def test_same_seed_same_section():
    a, b = make_geology(40, 48, 4.0, seed=3), make_geology(40, 48, 4.0, seed=3)
    for name in ("seismic", "impedance", "rgt", "fault_mask"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a.faults == b.faults and a.wavelet == b.wavelet
    assert not np.allclose(a.seismic, make_geology(40, 48, 4.0, seed=4).seismic)
    assert a.seismic.shape == a.fault_mask.shape == (40, 48) and a.fault_mask.dtype == np.uint8


def _within_one_trace(f: Fault, nx: int, n: int, dt_ms: float) -> np.ndarray:
    t = np.arange(n) * dt_ms
    return np.abs(np.arange(nx)[:, None] - f.plane(t)[None, :]) <= 1.0


def test_fault_labels_mark_the_planes_as_tools_synthetic_does():
    # tools.synthetic: 1 on the traces within one trace of the plane, at each sample's time
    s = make_section(40, 48, 4.0, seed=0, n_faults=1)
    assert set(s.fault_mask.sum(axis=0)) <= {2, 3}
    for seed in range(12):
        g = make_geology(40, 48, 4.0, seed=seed, n_faults=1, unconformity=False)
        np.testing.assert_array_equal(g.fault_mask, _within_one_trace(g.faults[0], 40, 48, 4.0))
    for seed in range(12):  # the youngest of several faults is where it was placed
        g = make_geology(48, 48, 2.0, seed=seed, n_faults=3, min_faults=3)
        youngest = _within_one_trace(g.faults[-1], 48, 48, 2.0)
        assert youngest.any() and g.fault_mask[youngest].all()


def _offset_ms(g, f: Fault) -> float:
    """Median vertical offset of beds across ``f`` (> 0: the hanging wall is down), from
    the RGT 3 traces either side of the plane, less the dip seen in the footwall."""
    nx, n = g.rgt.shape
    rate = np.gradient(g.rgt, g.dt_ms, axis=1)  # RGT per ms
    offsets = []
    for j in range(n // 4, 3 * n // 4):
        xf = f.plane(np.array(j * g.dt_ms)).item()
        fw, hw, fw2 = (int(round(xf - f.side * d)) for d in (3, -3, 9))
        if all(0 <= i < nx for i in (fw, hw, fw2)) and rate[fw, j] > 0:
            offsets.append((2 * g.rgt[fw, j] - g.rgt[fw2, j] - g.rgt[hw, j]) / rate[fw, j])
    return float(np.median(offsets))


def test_normal_reverse_and_vertical_faults_offset_beds_their_way():
    sections = [
        make_geology(64, 64, 4.0, seed=s, n_faults=1, unconformity=False) for s in range(40)
    ]
    kinds = {g.faults[0].kind for g in sections}
    assert kinds == {"normal", "reverse", "vertical"}
    checked = {"normal": 0, "reverse": 0, "vertical": 0}
    for g in sections:
        f = g.faults[0]
        assert 55 <= f.dip_deg <= 90 and 2 <= abs(f.throw_ms) <= 60
        assert (f.throw_ms > 0) == (f.kind == "normal") or f.kind == "vertical"
        if abs(f.throw_ms) >= 15:
            assert np.sign(_offset_ms(g, f)) == np.sign(f.throw_ms), (f, _offset_ms(g, f))
            checked[f.kind] += 1
    assert checked["reverse"] >= 2 and checked["normal"] >= 2, checked


def test_dipping_reflector_moves_by_fractions_of_a_sample():
    nx, n, k = 32, 64, 8  # 4 ms out, 0.5 ms model grid
    x = np.arange(nx, dtype=float)
    horizons = np.stack([np.full(nx, -100.0), 100.0 + 0.37 * x, np.full(nx, 600.0)])
    t_fine = np.arange(n * k) * 4.0 / k
    rgt = rgt_from_horizons(horizons, t_fine)  # (nx, n * k)
    log_z = np.where(rgt < 1, np.log(4e6), np.log(5e6))
    trace = band_limited(rgt, log_z, k, 4.0, "ricker", 30.0)
    j = np.argmax(trace, axis=1)
    rows = np.arange(nx)
    y0, y1, y2 = trace[rows, j - 1], trace[rows, j], trace[rows, j + 1]
    peak = j + 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2)  # parabolic sub-sample peak
    slope, icpt = np.polyfit(x, peak, 1)
    assert slope == pytest.approx(0.37 / 4.0, rel=0.03)
    assert icpt == pytest.approx(100.0 / 4.0, abs=0.15)
    # a boundary snapped to 4 ms samples would step by whole samples (residual up to 0.5)
    assert np.abs(peak - (slope * x + icpt)).max() < 0.05
    assert len(np.unique(np.round(peak % 1, 2))) > 15


def test_generator_guards_its_grid():
    with pytest.raises(BadInputError, match="multiple"):
        make_geology(32, 32, 3.3)


# Reference values of the stream the shipped heads were trained on, recorded from the
# code path without sources: make_batch(task, 4, 32, rng([123, 4]), oversample) summed
# over inputs, targets and base (sum, sum of squares, sum of absolute values), the dead
# traces' flat indices and the fault labels' sha256.
DEFAULT_STREAM = {
    ("pretrain", 1): [(18.719793, 4096.000084, 2978.290016)] * 2 + [(0, 0, 0)],
    ("denoise", 1): [
        (93.529125, 4096.000243, 2940.309682),
        (64.805925, 3328.92455, 2354.174355),
        (0, 0, 0),
    ],
    ("interpolate", 1): [
        (-62.301019, 3135.999941, 2413.320286),
        (-64.114731, 4065.501703, 3138.894277),
        (-82.634572, 3935.390392, 3102.210249),
    ],
    ("faults", 1): [(64.163852, 4095.99987, 2755.122592), (438, 438, 438), (0, 0, 0)],
    ("interpolate", 8): [
        (-77.210487, 3136.000145, 2481.48054),
        (-88.648676, 4067.71865, 3231.811744),
        (-105.14799, 3975.87931, 3201.042389),
    ],
}
DEAD = [10, 16, 18, 19, 23, 28, 34, 41, 42, 43, 44, 45, 46, 49, 58, 63, 65, 70, 74, 77, 80, 85]
DEAD += [103, 109, 114, 115, 120, 122, 124, 125]


@pytest.mark.parametrize("task, oversample", list(DEFAULT_STREAM))
def test_default_stream_is_unchanged(task, oversample):
    for sources in (None, {"synthetic": 1.0}):
        b = make_batch(task, 4, 32, np.random.default_rng([123, 4]), oversample, sources)
        for arr, want in zip((b.inputs, b.targets, b.base), DEFAULT_STREAM[task, oversample]):
            a = arr.astype(np.float64)
            got = (a.sum(), np.square(a).sum(), np.abs(a).sum())
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-3)
        if task == "interpolate":
            assert np.flatnonzero(b.dead.ravel()).tolist() == DEAD
        if task == "faults":
            sha = hashlib.sha256(b.targets.astype(np.uint8).tobytes()).hexdigest()
            assert sha.startswith("eac670164a011423")


def test_mixture_batches():
    rng = np.random.default_rng([7, 0])
    b = make_batch("faults", 6, 32, rng, 8, {"synthetic": 0.5, "geology": 0.5})
    assert b.inputs.shape == b.targets.shape == (6, 32, 32) and b.dead.shape == (6, 32)
    assert set(np.unique(b.targets)) <= {0.0, 1.0} and b.targets.any(axis=(1, 2)).all()
    b = make_batch("interpolate", 4, 32, rng, 8, {"geology": 1}, decimation=1.0)
    for x, d in zip(b.inputs, b.dead):  # regular decimations
        assert not x[d].any() and 0 < d.sum() < 32
        assert np.array_equal(d[2:], d[:-2]) or np.array_equal(d[3:], d[:-3])
    b = make_batch("denoise", 3, 32, rng, 1, {"geology": 2.0, "synthetic": 1.0})
    assert np.isfinite(b.inputs).all() and b.targets.shape == (3, 32, 32)


def test_hidden_traces_keep_the_default_draws_without_decimation():
    a = hidden_traces(np.random.default_rng(1), 64)
    b = hidden_traces(np.random.default_rng(1), 64, 0.0)
    np.testing.assert_array_equal(a, b)
    steps = {hidden_traces(np.random.default_rng(s), 60, 1.0).sum() for s in range(30)}
    assert steps == {20, 30, 40}  # every 3rd dropped, every 2nd, every 3rd kept


def test_mixture_settings_are_checked(tmp_path):
    with pytest.raises(BadInputError, match="unknown tile sources"):
        tile_sources("faults", {"synthetic": 1, "seismic": 1})
    with pytest.raises(BadInputError, match="interpolate only"):
        tile_sources("faults", {"synthetic": 1, "real": 0.5})
    with pytest.raises(BadInputError, match=">= 0"):
        tile_sources("interpolate", {"geology": -1})
    with pytest.raises(BadInputError, match="> 0"):
        tile_sources("interpolate", {"geology": 0})
    with pytest.raises(BadInputError, match="decimation"):
        tile_sources("faults", None, 0.3)
    base = dict(task="faults", output_dir=str(tmp_path / "o"))
    with pytest.raises(BadInputError, match="interpolate only"):
        GeoFMTrainConfig(**base, sources={"real": 1.0})
    with pytest.raises(BadInputError, match="decimation"):
        GeoFMTrainConfig(**base, decimation=0.5)


def test_general_configs_parse():
    outputs = {
        "faults": "tools/geofm/weights/faults",
        "interpolate": "tools/geofm/weights/interpolate",
    }
    for task in ("faults", "interpolate"):
        c = GeoFMTrainConfig.from_json(ROOT / "finetune" / "configs" / f"geofm_{task}_general.json")
        assert c.task == task and c.sources and "geology" in c.sources
        assert str(c.output_dir).startswith(outputs[task]) and "general" in str(c.checkpoint_dir)
        assert c.init_from == "tools/geofm/weights/faults"
    assert "real" in c.sources and c.decimation > 0 and c.init_refine


def test_real_tiles_without_the_shared_data_say_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("GEOFM_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(BadInputError, match="GEOFM_DATA"):
        real_lines()
    with pytest.raises(BadInputError, match="GEOFM_DATA"):
        make_batch("interpolate", 2, 32, np.random.default_rng(0), 1, {"real": 1.0})


def _held_out(line_name: str, n_traces: int) -> np.ndarray:
    """(n,) True on traces a training window must not touch, from REAL_HELDOUT alone."""
    if not line_name.startswith("f3_crop"):
        spec = REAL_HELDOUT[line_name]
        lo, hi = spec["heldout_traces"]  # [lo, hi)
        i = np.arange(n_traces)
        return (i >= lo - spec["margin"]) & (i < hi + spec["margin"])
    spec = REAL_HELDOUT["f3_crop"]
    m = spec["margin"]
    _, axis, number = line_name.split()
    own, other = ("inlines", "crosslines") if axis == "inline" else ("crosslines", "inlines")
    if any(abs(int(number) - h) <= m for h in spec[f"heldout_{own}"]):
        return np.ones(n_traces, bool)
    i = spec[other][0] + np.arange(n_traces)  # the crop's line numbers along this line
    return np.any(np.abs(i[:, None] - np.array(spec[f"heldout_{other}"])) <= m, axis=1)


@pytest.mark.parametrize("tile", [64, 8])
def test_real_tiles_never_touch_held_out_traces(shared_data, tile):
    lines = real_lines()
    assert {ln.name for ln in lines} >= {"npra_31_81", "f3_inline362"}
    for ln in lines:
        held = _held_out(ln.name, len(ln.data))
        assert not any(held[a:b].any() for a, b in ln.trace_ranges), ln.name
    saved = [ln.data.copy() for ln in lines]
    try:
        for ln in lines:  # poison every trace a window must not touch
            ln.data[_held_out(ln.name, len(ln.data))] = np.nan
        rng = np.random.default_rng(0)
        tiles = [real_tile(rng, tile)[0] for _ in range(1000)]
    finally:
        for ln, d in zip(lines, saved):
            ln.data[:] = d
    assert all(np.isfinite(x).all() and x.shape == (tile, tile) for x in tiles)
    assert all(np.any(x != 0, axis=1).all() for x in tiles)


def test_real_tiles_in_an_interpolation_batch(shared_data):
    mix = {"synthetic": 0.4, "geology": 0.4, "real": 0.2}
    b = make_batch("interpolate", 8, 64, np.random.default_rng([21, 0]), 8, mix, 0.2)
    assert b.inputs.shape == b.targets.shape == b.base.shape == (8, 64, 64)
    assert b.dead.any(axis=1).all() and not b.inputs[b.dead].any()
