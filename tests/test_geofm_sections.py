"""The independent GeoFM evaluation set: its generators are seeded and deterministic, the
wave generator diffracts as the wave equation says, labels sit on the fault planes, the
frozen files match their manifest and regenerate, and the real-line hold-out never
touches the traces training may read."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from scipy.ndimage import uniform_filter1d

from benchmarks.geofm_layered import layered_section
from benchmarks.geofm_modelling import convolve, ricker
from benchmarks.geofm_sections import ROOT, check_set, load_independent
from benchmarks.geofm_wave import exploding_reflector, wave_section
from tests.fixtures_seismic import real_data
from tools.geofm.heldout import (
    REAL_HELDOUT,
    dead_trace_masks,
    real_heldout_layout,
    real_heldout_windows,
    real_training_mask,
)


@pytest.fixture(scope="module")
def frozen():
    return load_independent()


@pytest.mark.parametrize(
    "make, size", [(wave_section, (32, 64)), (layered_section, (48, 96))], ids=["wave", "layered"]
)
def test_generators_are_seeded(make, size):
    a, b, c = make(3, *size), make(3, *size), make(4, *size)
    assert a.clean.shape == a.labels.shape == size
    assert a.clean.dtype == np.float32 and a.labels.dtype == np.uint8
    np.testing.assert_array_equal(a.clean, b.clean)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert a.parameters == b.parameters
    assert a.parameters != c.parameters and np.abs(a.clean - c.clean).max() > 0.5


def test_a_reflector_end_diffracts_on_a_hyperbola():
    """A flat reflector ending at x0: beyond its end a convolutional model records
    nothing; the wave equation records a diffraction at t = sqrt(t0^2 + (2 d / v)^2)
    with half the reflection's amplitude at the end."""
    h, v, z_r, end = 5.0, 2000.0, 60, 100
    refl = np.zeros((120, 200))
    refl[z_r, :end] = 0.1
    cols = np.arange(0, 200, 5)
    rec = exploding_reflector(refl, np.full(refl.shape, v / 2), h, 1e-3, 700, cols)
    traces = convolve(rec, ricker(20.0, 1.0))  # (n_rec, n_steps), 1 ms
    t0 = 2 * z_r * h / v
    specular = np.abs(traces[list(cols).index(50)]).max()
    assert abs(np.abs(traces[list(cols).index(end)]).max() / specular - 0.5) < 0.1
    for col in (120, 140, 160, 190):
        trace = np.abs(traces[list(cols).index(col)])
        expected = np.hypot(t0, 2 * (col - end) * h / v)
        assert trace.max() > 0.04 * specular  # energy where no reflector is below
        assert abs(np.argmax(trace) * 1e-3 - expected) < 0.012


def _incoherence(clean: np.ndarray, half: int = 6, lags: int = 4) -> np.ndarray:
    """1 - best normalised correlation of neighbouring traces over +-lags samples."""
    a, b = clean[:-1].astype(float), clean[1:].astype(float)
    best = np.full(a.shape, -1.0)
    for s in range(-lags, lags + 1):
        bs = np.roll(b, s, axis=1)
        num = uniform_filter1d(a * bs, 2 * half + 1, axis=1)
        den = uniform_filter1d(a * a, 2 * half + 1, axis=1) * uniform_filter1d(
            bs * bs, 2 * half + 1, axis=1
        )
        best = np.maximum(best, num / (np.sqrt(den) + 1e-9))
    return 1 - best


def test_labels_sit_on_the_faults(frozen):
    for s in frozen:
        assert s.labels.any() and set(np.unique(s.labels)) <= {0, 1}, s.name
        for fault in s.parameters["faults"]:
            for x, t in fault["plane_trace_ms"]:
                j = min(int(round(t / s.dt_ms)), s.labels.shape[1] - 1)
                assert s.labels[int(round(x)), j] == 1, (s.name, x, t)

    # reflections break where the convolutional sections' labels are, not beside them
    def on(inc: np.ndarray, labels: np.ndarray) -> float:
        return float(inc[(labels[1:] & labels[:-1]).astype(bool)].mean())

    ratios = []
    for s in frozen:
        if s.generator == "layered":
            inc = _incoherence(s.clean)
            beside = [on(inc, np.roll(s.labels, k, axis=0)) for k in (-25, -15, 15, 25)]
            ratios.append(on(inc, s.labels) / np.median(beside))
    assert np.median(ratios) > 3 and np.mean(np.array(ratios) > 1.5) > 0.8, ratios


def test_frozen_files_match_the_manifest(frozen):
    manifest = json.loads((ROOT / "manifest.json").read_text())
    assert manifest["date_frozen"] == "2026-12-05"
    assert len(frozen) == 24 and {s.generator for s in frozen} == {"wave", "layered"}
    assert sum(f.stat().st_size for f in ROOT.iterdir()) < 6e6
    for s in frozen:
        assert s.clean.shape == (128, 256) and s.dt_ms in (2.0, 4.0)
        assert abs(float(np.sqrt(np.mean(s.clean.astype(float) ** 2))) - 1) < 0.01  # mild noise
        assert s.masks.keys() == {"random30", "runs", "decimate"}
        code = 0 if s.generator == "wave" else 1
        again = dead_trace_masks(128, [manifest["mask_seed"], code, s.seed])
        for kind, mask in s.masks.items():
            np.testing.assert_array_equal(mask, again[kind])
        assert not (s.masks["random30"][1:] & s.masks["random30"][:-1]).any()
        assert s.masks["random30"].sum() == s.masks["runs"].sum() == 38


def test_a_damaged_file_is_refused(tmp_path):
    root = tmp_path / "set"
    shutil.copytree(ROOT, root)
    path = root / "layered_00.npz"
    data = bytearray(path.read_bytes())
    data[-40] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="layered_00.npz: sha256"):
        load_independent(root)


def test_one_section_regenerates_as_frozen():
    assert check_set(ROOT, ["layered_05"]) == []


def test_real_training_traces_keep_clear_of_the_held_out_ones():
    for window in real_heldout_layout():
        spec = REAL_HELDOUT[window.source]
        allowed = real_training_mask(window.source)
        if window.source == "f3_crop":
            il = np.arange(spec["inlines"][0], spec["inlines"][1] + 1)
            xl = np.arange(spec["crosslines"][0], spec["crosslines"][1] + 1)
            held = np.zeros(allowed.shape, bool)
            number = int(window.name.rsplit("line", 1)[1])
            if "_inline" in window.name:
                held[il == number, :] = True
            else:
                held[:, xl == number] = True
            ii, jj = np.nonzero(allowed)
            for hi, hj in zip(*np.nonzero(held)):
                gap = np.maximum(np.abs(il[ii] - il[hi]), np.abs(xl[jj] - xl[hj]))
                assert gap.min() > spec["margin"], window.name
        else:
            held = np.zeros(spec["n_traces"], bool)
            held[window.traces] = True
            assert not (held & allowed).any()
            gap = np.abs(np.flatnonzero(allowed)[:, None] - window.traces[None, :])
            assert gap.min() > spec["margin"]
            assert allowed.sum() >= 0.6 * spec["n_traces"] - spec["margin"]
        for mask in window.masks.values():
            assert mask.shape == window.traces.shape and 0.25 < mask.mean() < 0.35


def test_real_heldout_windows_read_the_shared_lines():
    data = real_data()
    windows = real_heldout_windows(data)
    assert [w.name for w in windows] == [w.name for w in real_heldout_layout()]
    shapes = {w.name: w.data.shape for w in windows}
    assert shapes["npra_31_81[356:534]"] == (178, 1501)
    assert shapes["f3_inline362[634:951]"] == (317, 463)
    assert shapes["f3_crop_inline130"] == (18, 75) and shapes["f3_crop_crossline892"] == (23, 75)
    for w in windows:
        assert np.isfinite(w.data).all() and w.data.std() > 0, w.name
