"""Post-stack inversion: PyLops dot-test, clean synthetic recovered, real F3 case runs."""

from __future__ import annotations

import numpy as np
import pytest
from pylops.utils import dottest

from tests.fixtures_seismic import real_data
from tools import REGISTRY
from tools.coloured import remove_trend
from tools.filters import bandpass_traces
from tools.inversion import (
    background_from_model,
    invert_poststack,
    modelling_operator,
    wavelet_band_hz,
)
from tools.metrics import correlation
from tools.synthetic import add_noise, make_section


@pytest.mark.parametrize("explicit", [False, True])
def test_operator_passes_dot_test(explicit):
    w = make_section(2, 32, seed=0).wavelet
    op = modelling_operator(w, 60, 7, explicit=explicit)
    assert dottest(op, 60 * 7, 60 * 7, rtol=1e-6)


def test_operator_gives_physical_reflectivity():
    spike = np.array([0.0, 1.0, 0.0])
    z = np.r_[np.full(10, 2e6), np.full(10, 3e6)]
    d = modelling_operator(spike, 20) @ np.log(z)
    assert d.sum() == pytest.approx((3e6 - 2e6) / (3e6 + 2e6), rel=0.03)


@pytest.mark.parametrize("mode", ["trace", "spatial"])
def test_inversion_recovers_clean_synthetic(mode):
    s = make_section(40, 250, 4.0, seed=3)
    m0 = background_from_model(s.impedance, 4.0, 4.0)
    ai = invert_poststack(s.clean, s.wavelet, m0, mode)
    true_rel = bandpass_traces(np.log(s.impedance) - m0, 4.0, 0, wavelet_band_hz(s.wavelet, 4.0))
    assert correlation(np.log(ai) - m0, true_rel) > 0.9
    assert correlation(ai, s.impedance) > 0.97
    # the background alone is much worse: the seismic band carried information
    assert correlation(np.exp(m0), s.impedance) < correlation(ai, s.impedance) - 0.05


def test_inversion_solves_what_pylops_poststack_inversion_solves():
    from pylops.avo.poststack import PoststackInversion

    from tools.inversion import _pylops_wavelet

    s = make_section(12, 200, 4.0, seed=5)
    d, m0 = s.clean.T.copy(), background_from_model(s.impedance, 4.0, 4.0)
    w = _pylops_wavelet(s.wavelet)
    a = modelling_operator(s.wavelet, 200, explicit=True).A
    eps_i = 1e-2 * float(np.mean(np.diag(a.T @ a)))
    trace = PoststackInversion(d, w, m0=m0.T.copy(), explicit=True, epsI=eps_i)[0]
    ai = invert_poststack(s.clean, s.wavelet, m0, "trace", damping=1e-2)
    np.testing.assert_allclose(np.log(ai), trace.T, atol=1e-8)
    eps_r = 2.0 * float(np.sqrt(np.mean(d**2)))
    spatial = PoststackInversion(d, w, m0=trace, epsR=eps_r, iter_lim=30, show=False)[0]
    ai = invert_poststack(s.clean, s.wavelet, m0, "spatial", 1e-2, 2.0, n_iter=30)
    np.testing.assert_allclose(np.log(ai), spatial.T, atol=1e-8)


def test_spatial_regularisation_helps_on_a_noisy_line():
    s = make_section(60, 250, 4.0, seed=7)
    m0 = background_from_model(s.impedance, 4.0, 4.0)
    noisy = add_noise(s.clean, "random", 10.0, 1)[0]
    band = wavelet_band_hz(s.wavelet, 4.0)
    true_rel = bandpass_traces(np.log(s.impedance) - m0, 4.0, 0, band)

    def score(mode: str) -> float:
        ai = invert_poststack(noisy, s.wavelet, m0, mode)  # type: ignore[arg-type]
        return correlation(bandpass_traces(np.log(ai) - m0, 4.0, 0, band), true_rel)

    assert score("spatial") > score("trace") + 0.03


def _true_relative(impedance: np.ndarray, band_hz: float) -> np.ndarray:
    # the benchmarks' definition: ln(AI) with its trend below 4 Hz removed, cut at band_hz
    return bandpass_traces(remove_trend(np.log(impedance), 4.0, 4.0), 4.0, 0.0, band_hz)


@pytest.mark.parametrize(
    "args",
    [
        {},
        {"method": "coloured"},
        {"wavelet": "ricker", "wavelet_hz": 25, "regularization": "trace", "figure": False},
    ],
    ids=["model-statistical", "coloured", "model-ricker"],
)
def test_relative_impedance_without_a_well(workspace, args):
    s = make_section(40, 150, 4.0, seed=4, oversample=8)
    d = workspace.save_array(s.clean, "d", {"dt_ms": 4.0}).id
    r = REGISTRY.call("invert_impedance", {"data": d, **args}, workspace)
    assert r.ok, r.summary
    rel, *figs = r.artifacts
    assert r.summary.startswith("relative (band-limited) impedance")
    assert all("relative (band-limited)" in f.description for f in figs)
    assert len(figs) == args.get("figure", True)
    assert {"band_low_hz", "band_high_hz"} <= set(r.metrics)
    cited = "Lancaster" if args.get("method") == "coloured" else "PyLops"
    assert any(cited in c for c in r.citations)
    if "wavelet" in args:
        assert "25 Hz Ricker" in r.summary
    truth = _true_relative(s.impedance, r.metrics["band_high_hz"])
    assert correlation(workspace.load_array(rel.id), truth) >= 0.7


@pytest.mark.parametrize("units", [1e-3, 1.0, 2e4])
def test_model_based_relative_impedance_does_not_depend_on_amplitude_units(workspace, units):
    """A field line's amplitudes (thousands) give the same relative impedance as the
    physically scaled section: no overflow, the same correlation with the truth."""
    s = make_section(30, 150, 4.0, seed=5, oversample=8)
    d = workspace.save_array(s.clean * units, "d", {"dt_ms": 4.0}).id
    args = {"data": d, "wavelet": "ricker", "wavelet_hz": 25, "figure": False}
    r = REGISTRY.call("invert_impedance", args, workspace)
    assert r.ok, r.summary
    rel = workspace.load_array(r.artifacts[0].id)
    assert np.isfinite(rel).all()
    assert r.metrics["data_fit_correlation"] > 0.9
    truth = _true_relative(s.impedance, r.metrics["band_high_hz"])
    assert correlation(rel, truth) >= 0.7


def test_absolute_inversion_with_a_background_model(workspace):
    s = make_section(20, 100, seed=1)
    d = workspace.save_array(s.clean, "d", {"dt_ms": 4.0}).id
    imp = workspace.save_array(s.impedance, "imp", {"dt_ms": 4.0}).id
    w = workspace.save_array(s.wavelet, "w", {"dt_ms": 4.0}).id
    r = REGISTRY.call(
        "invert_impedance",
        {
            "data": d,
            "wavelet": w,
            "background_model": imp,
            "regularization": "trace",
            "damping": 1e-3,
            "figure": False,
        },
        workspace,
    )
    assert r.ok, r.summary
    assert r.summary.startswith("impedance ")
    assert correlation(workspace.load_array(r.artifacts[0].id), s.impedance) > 0.95


def test_relative_impedance_bad_input_is_one_line_and_writes_nothing(workspace):
    s = make_section(10, 40, seed=2)
    d = workspace.save_array(s.clean, "d", {"dt_ms": 4.0}).id
    long_w = workspace.save_array(np.hanning(61), "w", {"dt_ms": 4.0}).id
    nan = s.clean.copy()
    nan[3, 7] = np.nan
    bad = workspace.save_array(nan, "nan", {"dt_ms": 4.0}).id
    before = set(workspace.ids())
    for args, said in [
        ({"data": d, "wavelet": long_w}, "longer than the traces"),
        ({"data": d, "wavelet": "gabor"}, "wavelet"),
        ({"data": bad}, "NaN"),
        ({"data": d, "method": "coloured", "wavelet": "ricker"}, "no wavelet"),
    ]:
        r = REGISTRY.call("invert_impedance", args, workspace)
        assert not r.ok and said in r.summary and "\n" not in r.summary, r.summary
    assert set(workspace.ids()) == before


def test_real_f3_inline_inversion_runs(workspace):
    d = real_data() / "f3_inline362"
    ids = [
        workspace.add_file(d / n).id
        for n in ("export_inline362.ascii", "F02-1_logs.las", "F02-1_checkshot_TD.txt")
    ]
    sec = REGISTRY.call("read_ascii_section", {"file": ids[0]}, workspace).artifacts[0].id
    log = (
        REGISTRY.call("read_well_log", {"file": ids[1], "checkshot": ids[2]}, workspace)
        .artifacts[1]
        .id
    )
    r = REGISTRY.call(
        "invert_impedance",
        {
            "data": sec,
            "well_log": log,
            "well_position": 336,
            "regularization": "trace",
            "figure": False,
        },
        workspace,
    )
    assert r.ok, r.summary
    ai = workspace.load_array(r.artifacts[0].id)
    assert ai.shape == (951, 463) and 5e5 < np.median(ai) < 2e7
    assert "well_correlation" in r.metrics and "well_tie_correlation" in r.metrics
    # the log without the well's place on the line: refused (it would diverge unscaled)
    before = set(workspace.ids())
    r = REGISTRY.call("invert_impedance", {"data": sec, "well_log": log}, workspace)
    assert not r.ok and "well_position" in r.summary and "\n" not in r.summary, r.summary
    assert set(workspace.ids()) == before
