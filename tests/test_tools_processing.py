"""Filters, denoisers, spectra and metrics: each denoiser raises SNR on a seeded synthetic."""

from __future__ import annotations

import numpy as np
import pytest

from common.errors import BadInputError
from tests.fixtures_seismic import noisy_section, real_data  # noqa: F401  (fixture)
from tools import REGISTRY
from tools.denoise import dip_median, fx_deconvolution, fx_rank_reduction, windowed
from tools.filters import agc_traces, bandpass_traces, fk_dip_filter
from tools.metrics import estimate_snr_db, snr_db
from tools.spectrum import amplitude_spectrum, dominant_frequency, statistical_wavelet
from tools.synthetic import add_noise, make_section, make_wavelet


def test_synthetic_is_seeded_and_labelled():
    a, b = make_section(40, 64, seed=5), make_section(40, 64, seed=5)
    np.testing.assert_array_equal(a.clean, b.clean)
    assert not np.array_equal(a.clean, make_section(40, 64, seed=6).clean)
    assert a.fault_mask.any() and a.impedance.min() > 1e6
    noisy, dead = add_noise(a.clean, "random", 3.0, seed=0, missing_fraction=0.25)
    assert dead.sum() == 10 and np.all(noisy[dead] == 0)
    live = ~dead
    assert abs(snr_db(a.clean[live], noisy[live]) - 3.0) < 0.5


def _lateral_misfit(clean: np.ndarray) -> float:
    """Energy of each inner trace minus the mean of its neighbours, relative."""
    e = clean[1:-1] - 0.5 * (clean[:-2] + clean[2:])
    return float(np.sum(e**2) / np.sum(clean[1:-1] ** 2))


def test_oversampled_synthetic_keeps_the_geology_and_loses_the_bed_flicker():
    kw = dict(seed=2, peak_hz=40.0, n_faults=0)
    snapped, fine = make_section(60, 200, 4.0, **kw), make_section(60, 200, 4.0, **kw, oversample=8)
    for name in ("impedance", "reflectivity", "fault_mask", "wavelet"):
        np.testing.assert_array_equal(getattr(snapped, name), getattr(fine, name), name)
    assert np.corrcoef(snapped.clean.ravel(), fine.clean.ravel())[0, 1] > 0.8
    # beds snapped to samples jump from trace to trace; modelled finely they do not
    assert _lateral_misfit(fine.clean) < 0.1 * _lateral_misfit(snapped.clean)
    assert abs(np.std(fine.clean) / np.std(snapped.clean) - 1) < 0.2
    with pytest.raises(BadInputError, match="oversample"):
        make_section(10, 32, oversample=0)


def test_band_limited_decimation_matches_fine_convolution():
    from tools.synthetic import _band_limited, convolve_traces, shift_samples

    rng = np.random.default_rng(0)
    r = np.zeros((4, 300 * 8))
    r.flat[rng.choice(r.size, 300, replace=False)] = rng.normal(0, 0.1, 300)
    w = make_wavelet("ricker", 30.0, 0.5)
    direct = shift_samples(convolve_traces(r, w), 0.5)[:, ::8]
    got = _band_limited(r, w, 8)
    assert got.shape == (4, 300)
    inner = slice(40, -40)  # the direct route rings at the trace ends
    err = np.linalg.norm(got[:, inner] - direct[:, inner]) / np.linalg.norm(direct[:, inner])
    assert err < 1e-2


@pytest.mark.parametrize(
    "name,fn,min_gain_db",
    [
        ("fx_decon", lambda d: fx_deconvolution(d, 4.0, win_traces=30), 5.0),
        ("rank_reduction", lambda d: fx_rank_reduction(d, 4.0, rank=1, win_traces=30), 4.0),
        ("median", lambda d: dip_median(d, 2, 1, dip_steered=False), 4.0),
        ("dip_median", lambda d: dip_median(d, 2, 1, dip_steered=True), 4.0),
        ("bandpass", lambda d: bandpass_traces(d, 4.0, 3.0, 60.0), 2.0),  # the baseline
    ],
)
def test_denoiser_raises_snr(noisy_section, name, fn, min_gain_db):  # noqa: F811
    clean, noisy = noisy_section
    gain = snr_db(clean, fn(noisy)) - snr_db(clean, noisy)
    assert gain > min_gain_db, f"{name} gained only {gain:.1f} dB"


def test_windowing_is_exact_for_identity(noisy_section):  # noqa: F811
    _, noisy = noisy_section
    np.testing.assert_allclose(windowed(lambda p: p, noisy, 16, 50), noisy, atol=1e-12)


def test_fk_removes_steep_linear_noise():
    s = make_section(64, 200, 4.0, seed=2, fold_ms=4.0, n_faults=0)
    noisy, _ = add_noise(s.clean, "linear", 0.0, seed=3)
    assert snr_db(s.clean, fk_dip_filter(noisy, 4.0, 1.0)) > snr_db(s.clean, noisy) + 3


def test_spectrum_finds_ricker_peak_and_wavelet():
    s = make_section(30, 512, 2.0, seed=0, peak_hz=30.0)
    f, amp = amplitude_spectrum(s.clean, 2.0)
    assert 15 < dominant_frequency(f, amp) < 45  # reflectivity colours the spectrum a bit
    w = statistical_wavelet(s.clean, 2.0, 100.0)
    fw, aw = amplitude_spectrum(make_wavelet("ricker", 30.0, 2.0, 100.0), 2.0)
    fe, ae = amplitude_spectrum(w, 2.0)
    assert abs(dominant_frequency(fe, ae) - dominant_frequency(fw, aw)) < 10
    assert np.argmax(np.abs(w)) == len(w) // 2  # zero phase: centred


def test_agc_balances_amplitudes():
    x = np.outer(np.ones(3), np.sin(np.arange(400) / 3.0)) * np.linspace(1, 100, 400)
    out = agc_traces(x, 4.0, 200.0)
    assert np.std(out[:, :100]) == pytest.approx(np.std(out[:, 300:]), rel=0.2)


def test_estimated_snr_tracks_true_snr():
    s = make_section(80, 200, seed=4, n_faults=0, fold_ms=4)
    est = [estimate_snr_db(add_noise(s.clean, "random", x, seed=1)[0]) for x in (-5, 0, 5, 10)]
    assert np.all(np.diff(est) > 2)


def test_tools_run_through_registry(workspace, noisy_section):  # noqa: F811
    clean, noisy = noisy_section
    d = workspace.save_array(noisy, "noisy", {"dt_ms": 4.0, "axes": ["trace", "twt_ms"]}).id
    c = workspace.save_array(clean, "clean", {"dt_ms": 4.0}).id
    r = REGISTRY.call("fx_decon", {"data": d, "win_traces": 30, "figure": True}, workspace)
    assert r.ok, r.summary
    out, fig = r.artifacts
    assert fig.kind == "figure" and fig.path.endswith(".png")
    assert workspace.meta(out.id)["metadata"]["dt_ms"] == 4.0
    m = REGISTRY.call("measure_snr", {"data": out.id, "reference": c}, workspace)
    assert m.metrics["snr_db"] > 5.0
    sp = REGISTRY.call("spectrum", {"data": d, "figure": False}, workspace)
    assert 5 < sp.metrics["dominant_hz"] < 60  # 25 Hz Ricker under white noise
    bad = REGISTRY.call("bandpass", {"data": d, "low_hz": 10, "high_hz": 300}, workspace)
    assert not bad.ok and "Nyquist" in bad.summary
    bad = REGISTRY.call("fx_decon", {"data": "ws-99"}, workspace)
    assert not bad.ok and "unknown workspace id" in bad.summary
    bad = REGISTRY.call("median_filter", {"data": d, "half_width": 0}, workspace)
    assert not bad.ok and "half_width" in bad.summary


def test_real_line_denoise_and_plot(workspace):
    fid = workspace.add_file(real_data() / "segy" / "npra_31_81.sgy").id
    line = REGISTRY.call("read_segy", {"file": fid}, workspace).artifacts[0].id
    r = REGISTRY.call("bandpass", {"data": line, "low_hz": 8, "high_hz": 50}, workspace)
    assert r.ok and r.artifacts[1].kind == "figure"
    p = REGISTRY.call("plot_section", {"data": line}, workspace)
    assert p.ok and p.artifacts[0].path.endswith(".png")
