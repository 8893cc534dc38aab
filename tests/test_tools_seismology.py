"""Seismology tools (ObsPy): ObsPy's packaged example stream, seeded synthetic events,
TauP against ObsPy's own TauP test values, and bad input (one-line errors, nothing written)."""

from __future__ import annotations

import numpy as np
import obspy
import pytest

from agent.report import report_numbers_supported, tool_report
from tools import ALL, CLASSICAL, POTENTIAL_FIELDS, REGISTRY, SEISMOLOGY, WELL_TIE, Workspace
from tools.picking import baer_onset


@pytest.fixture
def ws(tmp_path):
    return Workspace(tmp_path / "ws")


def _attach(ws: Workspace, tmp_path, st: obspy.Stream, name: str = "ev.mseed") -> str:
    path = tmp_path / name
    st.write(str(path), format="SAC" if name.endswith(".sac") else "MSEED")
    return ws.add_file(path).id


def _event(onset_s: float = 12.34, df: float = 100.0, seed: int = 0) -> np.ndarray:
    """30 s of white noise with a 6 Hz damped P wavelet starting at ``onset_s``."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(30 * df)) / df
    x = 0.1 * rng.standard_normal(t.size)
    tau = np.clip(t - onset_s, 0, None)
    return x + (t >= onset_s) * np.sin(2 * np.pi * 6 * tau) * np.exp(-tau / 0.8)


def test_new_tools_stay_out_of_the_trained_registry():
    assert not set(SEISMOLOGY.names()) & set(REGISTRY.names())
    assert ALL.names() == (
        REGISTRY.names()
        + SEISMOLOGY.names()
        + POTENTIAL_FIELDS.names()
        + WELL_TIE.names()
        + CLASSICAL.names()
    )
    for t in SEISMOLOGY:
        assert t.citations, t.name
        for name, p in t.parameters["properties"].items():
            assert len(p.get("description", "")) > 8, f"{t.name}.{name}"


def test_read_preprocess_trigger_pick_plot_on_obspy_example(ws, tmp_path):
    raw = _attach(ws, tmp_path, obspy.read())
    r = ALL.call("read_waveforms", {"file": raw}, ws)
    assert r.ok and r.metrics["n_traces"] == 3 and r.metrics["sampling_rate_hz"] == 100
    stream = r.artifacts[0].id
    assert (
        ws.path(stream).suffix == ".mseed"
        and obspy.read(str(ws.path(stream)))[0].stats.npts == 3000
    )
    pre = ALL.call("preprocess_waveforms", {"stream": stream, "resample_hz": 50.0}, ws)
    assert pre.ok and pre.metrics["sampling_rate_hz"] == 50
    trig = ALL.call(
        "sta_lta_trigger", {"stream": stream, "sta_s": 0.2, "lta_s": 2.0, "threshold_on": 3.0}, ws
    )
    assert trig.ok and trig.metrics["n_triggers"] >= 1
    # the example event's P is near 4.6-4.7 s after the start (ObsPy's tutorial picks)
    assert 4.0 < trig.metrics["first_trigger_s"] < 5.5
    baer = ALL.call("pick_onsets", {"stream": stream, "figure": False}, ws)
    ar = ALL.call("pick_onsets", {"stream": stream, "method": "ar"}, ws)
    assert abs(baer.metrics["p_onset_s"] - 4.7) < 0.1 and abs(ar.metrics["p_onset_s"] - 4.7) < 0.1
    assert ar.metrics["s_onset_s"] > ar.metrics["p_onset_s"]
    plot = ALL.call("plot_waveforms", {"stream": stream}, ws)
    spec = ALL.call("plot_spectrogram", {"stream": stream, "trace_index": 0}, ws)
    assert plot.ok and spec.ok and 0 < spec.metrics["peak_frequency_hz"] < 50
    for window_s in (1e308, 0.01, 1e6):  # extreme values: a refusal, no overflow
        bad = ALL.call("plot_spectrogram", {"stream": stream, "window_s": window_s}, ws)
        assert not bad.ok and "must hold 8 samples" in bad.summary
    bad = ALL.call("plot_spectrogram", {"stream": stream, "window_s": -1e308}, ws)
    assert not bad.ok and "window_s: Input should be greater than 0" in bad.summary
    calls = [("read_waveforms", {"file": raw}), ("pick_onsets", {"stream": stream, "method": "ar"})]
    text = tool_report("pick P and S", calls, [r, ar])
    assert "AR-AIC" in text and not report_numbers_supported(text, "pick P and S", calls, [r, ar])


def test_the_ar_s_pick_never_comes_from_outside_the_pickers_buffers(monkeypatch):
    """ObsPy's S search reads LTA values from before its window when the P onset lies
    within lta_s (2 s, less the 0.1 s AR window) of the window's start: memory outside
    its buffers, so the S changed from run to run. Such an S comes from a window started
    just early enough, or there is none."""
    import tools.picking as picking

    windows: list[int] = []
    onset: list[float] = []

    def fake(z_, n_, e_, df, f1, f2, start):
        windows.append(start)
        onset[:] = onset or [start / df + 1.5]  # P 1.5 s into the first window
        return onset[0], onset[0] + 2.0 + len(windows)  # each window's S told apart

    monkeypatch.setattr(picking, "_ar_pick", fake)
    z = np.zeros(3000)
    z[1000:] = 1.0  # the STA/LTA trigger near 10 s: the AR window starts near 8 s
    p, s = picking.ar_onsets(z, z, z, 100.0)
    # 1.5 s + 0.1 s is 41 samples short of 2 s: the S of a window 41 samples earlier
    assert windows == [windows[0], windows[0] - 41] and s == p + 4.0
    # a window at the trace's start cannot start earlier: no S
    windows.clear()
    onset.clear()
    z[:] = 0.0
    z[150:] = 1.0
    p, s = picking.ar_onsets(z, z, z, 100.0)
    assert windows == [0] and np.isfinite(p) and np.isnan(s)


def test_baer_picks_a_synthetic_onset_within_50_ms():
    for seed in range(3):
        assert abs(baer_onset(_event(seed=seed), 100.0) - 12.34) <= 0.05


# ObsPy's own TauP tests (obspy/taup/tests/test_tau.py and data/TauP_test_data/
# taup_time_-h_10_-ph_ttall_-deg_35[_-mod_ak135]): depth 10 km, 35 degrees
@pytest.mark.parametrize(
    "model, phase, expected",
    [
        ("iasp91", "P", 412.43),
        ("iasp91", "S", 745.29),
        ("iasp91", "pP", 415.51),
        ("iasp91", "PcP", 564.28),
        ("ak135", "P", 412.51),
        ("ak135", "pP", 415.59),
    ],
)
def test_taup_matches_obspy_tests(ws, model, phase, expected):
    r = ALL.call(
        "predict_arrivals",
        {"source_depth_km": 10.0, "distance_deg": 35.0, "model": model, "phases": phase},
        ws,
    )
    assert r.ok and abs(r.metrics[f"{phase}_time_s"] - expected) < 2e-2


def test_arrivals_name_each_phase_once_with_its_later_branches(ws):
    """At 20 degrees P and S arrive by several ray paths (the upper-mantle triplication):
    the summary gives each phase's first arrival and counts the later ones."""
    r = ALL.call("predict_arrivals", {"source_depth_km": 10.0, "distance_deg": 20.0}, ws)
    assert r.ok and r.metrics["n_arrivals"] > 2
    listed = r.summary.split(": ", 1)[1]
    assert listed.count("P ") == 1 and listed.count("S ") == 1, r.summary
    assert f"P {r.metrics['P_time_s']:.2f} s (+" in r.summary


def test_taup_from_sac_headers_and_missing_headers(ws, tmp_path):
    st = obspy.Stream([obspy.Trace(_event())])
    st[0].stats.sac = obspy.core.AttribDict(evdp=10.0, gcarc=35.0)
    with_headers = _attach(ws, tmp_path, st, "ev.sac")
    r = ALL.call("predict_arrivals", {"stream": with_headers}, ws)
    assert r.ok and abs(r.metrics["P_time_s"] - 412.43) < 2e-2
    bare = _attach(ws, tmp_path, obspy.Stream([obspy.Trace(_event())]), "bare.sac")
    r = ALL.call("predict_arrivals", {"stream": bare}, ws)
    assert not r.ok and "evdp" in r.summary and "source_depth_km" in r.summary
    r = ALL.call("predict_arrivals", {"stream": bare, "source_depth_km": 10.0}, ws)
    assert not r.ok and "gcarc" in r.summary and "distance_deg" in r.summary
    assert "\n" not in r.summary


def _bad(ws, call: tuple[str, dict], words: str) -> None:
    before = set(ws.ids())
    r = ALL.call(*call, ws)
    assert not r.ok and words in r.summary and "\n" not in r.summary, r.summary
    assert set(ws.ids()) == before  # nothing written


def test_gaps_overlaps_nans_and_component_count(ws, tmp_path):
    st = obspy.read()
    z = st.select(component="Z")
    gappy = z.copy() + z.copy().trim(z[0].stats.starttime + 10)
    gappy[0].trim(endtime=gappy[0].stats.starttime + 5)
    gap_id = _attach(ws, tmp_path, gappy, "gap.mseed")
    _bad(ws, ("read_waveforms", {"file": gap_id}), 'merge="fill_zero"')
    _bad(ws, ("pick_onsets", {"stream": gap_id}), "gap")
    merged = ALL.call("read_waveforms", {"file": gap_id, "merge": "fill_zero"}, ws)
    assert merged.ok and merged.metrics["n_traces"] == 1
    overlap = z.copy() + z.copy().trim(z[0].stats.starttime + 2)
    _bad(ws, ("read_waveforms", {"file": _attach(ws, tmp_path, overlap, "ov.mseed")}), "overlap")
    nan = obspy.Stream([obspy.Trace(_event())])
    nan[0].data[100] = np.nan
    _bad(ws, ("read_waveforms", {"file": _attach(ws, tmp_path, nan, "nan.mseed")}), "NaN")
    one = _attach(ws, tmp_path, z, "z.mseed")
    _bad(ws, ("pick_onsets", {"stream": one, "method": "ar"}), "exactly 3 components")
    (tmp_path / "junk.mseed").write_bytes(b"not miniseed at all" * 10)
    _bad(ws, ("read_waveforms", {"file": ws.add_file(tmp_path / "junk.mseed").id}), "MSEED")
    _bad(ws, ("preprocess_waveforms", {"stream": one, "freqmax_hz": 80.0}), "Nyquist")
    _bad(ws, ("sta_lta_trigger", {"stream": one, "sta_s": 5.0, "lta_s": 2.0}), "sta_s")
    _bad(ws, ("predict_arrivals", {"distance_deg": 35.0}), "source_depth_km")
    _bad(
        ws,
        ("predict_arrivals", {"source_depth_km": 1.0, "distance_deg": 3.0, "phases": "P;rm"}),
        "phases",
    )


def test_mcp_offers_the_seismology_tools(tmp_path):
    from tools.limits import LimitedRegistry, ServerLimits

    limited = LimitedRegistry(REGISTRY, ServerLimits(request_timeout_s=0))
    served = limited.extended(ALL)  # what the MCP server registers
    assert set(SEISMOLOGY.names()) <= set(served.names())
    assert isinstance(served, LimitedRegistry) and served.limits is limited.limits


def test_picks_after_preprocessing_skip_the_taper(ws, tmp_path):
    """A taper's ramp looks like an onset to the Baer picker: after preprocess_waveforms
    it searches past the tapered start, and still finds the event."""
    tr = obspy.Trace(_event(onset_s=12.34, seed=4), header={"sampling_rate": 100.0})
    raw = _attach(ws, tmp_path, obspy.Stream([tr]))
    stream = ALL.call("read_waveforms", {"file": raw}, ws).artifacts[0].id
    pre = ALL.call("preprocess_waveforms", {"stream": stream, "taper_fraction": 0.2}, ws)
    assert pre.ok and ws.meta(pre.artifacts[0].id)["metadata"]["tapered_s"] == pytest.approx(6.0)
    pick = ALL.call("pick_onsets", {"stream": pre.artifacts[0].id, "figure": False}, ws)
    assert abs(pick.metrics["p_onset_s"] - 12.34) <= 0.1, pick.summary


def test_the_trigger_says_when_its_long_window_hides_the_start(ws, tmp_path):
    """ObsPy's example event starts 4.7 s into a 30 s record: with the default 10 s
    long-term window nothing can trigger there, and the summary says so."""
    raw = _attach(ws, tmp_path, obspy.read())
    stream = ALL.call("read_waveforms", {"file": raw}, ws).artifacts[0].id
    r = ALL.call("sta_lta_trigger", {"stream": stream, "figure": False}, ws)
    assert r.ok and "nothing can trigger in the first 10 s" in r.summary, r.summary
    short = ALL.call(
        "sta_lta_trigger", {"stream": stream, "sta_s": 0.2, "lta_s": 2.0, "threshold_on": 3.0}, ws
    )
    assert "nothing can trigger" not in short.summary


def test_the_ar_picker_also_skips_the_taper(ws, tmp_path):
    """The AR-AIC picker on three tapered components searches past the ramp as well."""
    traces = [
        obspy.Trace(
            _event(onset_s=12.34, seed=i), header={"sampling_rate": 100.0, "channel": f"HH{c}"}
        )
        for i, c in enumerate("ZNE")
    ]
    raw = _attach(ws, tmp_path, obspy.Stream(traces))
    stream = ALL.call("read_waveforms", {"file": raw}, ws).artifacts[0].id
    pre = ALL.call("preprocess_waveforms", {"stream": stream, "taper_fraction": 0.2}, ws)
    assert pre.ok, pre.summary
    pick = ALL.call(
        "pick_onsets", {"stream": pre.artifacts[0].id, "method": "ar", "figure": False}, ws
    )
    assert abs(pick.metrics["p_onset_s"] - 12.34) <= 0.1, pick.summary


def test_preprocessing_defaults_fit_the_sampling_rate(ws, tmp_path):
    """The default high corner (20 Hz) drops to 0.4 of the sampling rate on 20 Hz
    broadband data and below the new Nyquist when resampling; an explicit one above
    Nyquist is still refused."""
    tr = obspy.Trace(_event(df=20.0, seed=1), header={"sampling_rate": 20.0})
    stream = ALL.call("read_waveforms", {"file": _attach(ws, tmp_path, obspy.Stream([tr]))}, ws)
    sid = stream.artifacts[0].id
    plain = ALL.call("preprocess_waveforms", {"stream": sid}, ws)
    assert plain.ok and "1-8 Hz causal filter" in plain.summary
    down = ALL.call("preprocess_waveforms", {"stream": sid, "resample_hz": 5.0}, ws)
    assert (
        down.ok and "1-2 Hz causal filter" in down.summary and down.metrics["sampling_rate_hz"] == 5
    )
    bad = ALL.call("preprocess_waveforms", {"stream": sid, "freqmax_hz": 15.0}, ws)
    assert not bad.ok and "below Nyquist (10 Hz" in bad.summary


def test_predicted_arrivals_on_the_records_clock(ws):
    """With a SAC stream that gives the origin (o, b headers), predicted arrivals are also
    given after the trace start, the clock picks use: the 2011 Tohoku event at II.TLY
    (ObsPy's test file), whose P the file's own pick header (a) puts at 301.5 s."""
    from pathlib import Path

    path = Path(obspy.__file__).parent / "realtime" / "tests" / "data" / "II.TLY.BHZ.SAC"
    st = obspy.read(str(path))
    sid = ws.add_file(path).id
    r = ALL.call("predict_arrivals", {"stream": sid}, ws)
    assert r.ok and "before the trace start" in r.summary
    assert abs(r.metrics["P_after_start_s"] - float(st[0].stats.sac.a)) < 1.0
    assert r.metrics["P_after_start_s"] == pytest.approx(
        r.metrics["P_time_s"] + float(st[0].stats.sac.o) - float(st[0].stats.sac.b)
    )
    pick = ALL.call("pick_onsets", {"stream": sid, "figure": False}, ws)
    assert abs(pick.metrics["p_onset_s"] - r.metrics["P_after_start_s"]) < 2.0


def test_a_causal_filter_keeps_the_teleseismic_p_onset_where_it_is(ws):
    """A narrow zero-phase band spreads the P energy of the Tohoku record at II.TLY ahead
    of its onset: the Baer pick lands 13 s early. The default (causal) filter keeps the
    pick within 0.5 s of the file's own pick header (a = 301.5 s)."""
    from pathlib import Path

    path = Path(obspy.__file__).parent / "realtime" / "tests" / "data" / "II.TLY.BHZ.SAC"
    header_pick = float(obspy.read(str(path))[0].stats.sac.a)
    stream = ALL.call("read_waveforms", {"file": ws.add_file(path).id}, ws).artifacts[0].id
    picks = {}
    for zerophase in (False, True):
        args = {"stream": stream, "freqmin_hz": 0.5, "freqmax_hz": 2.0, "zerophase": zerophase}
        pre = ALL.call("preprocess_waveforms", args, ws)
        pick = ALL.call("pick_onsets", {"stream": pre.artifacts[0].id, "figure": False}, ws)
        picks[zerophase] = pick.metrics["p_onset_s"]
    assert abs(picks[False] - header_pick) < 0.5, picks
    assert picks[True] < header_pick - 5, picks  # what a zero-phase filter does here


def test_the_preprocessing_report_names_the_defaults_it_applied(ws, tmp_path):
    """A call that leaves the settings to their defaults is reported with them (taper,
    band), not as "no change"."""
    from agent.report import tool_report

    tr = obspy.Trace(_event(seed=2), header={"sampling_rate": 100.0})
    stream = ALL.call("read_waveforms", {"file": _attach(ws, tmp_path, obspy.Stream([tr]))}, ws)
    args = {"stream": stream.artifacts[0].id}
    pre = ALL.call("preprocess_waveforms", args, ws)
    text = tool_report("preprocess it", [("preprocess_waveforms", args)], [pre])
    assert "causal 1–20 Hz bandpass" in text and "Hann taper of 0.05" in text, text


def test_the_spectrogram_peak_ignores_drift_its_window_cannot_resolve(ws, tmp_path):
    """A broadband record's drift (here a 0.02 Hz swell 50 times the signal) lands in the
    lowest bins of every window; the strongest resolved power is the 6 Hz event."""
    df = 100.0
    t = np.arange(int(30 * df)) / df
    x = _event(df=df) + 50 * np.sin(2 * np.pi * 0.02 * t)
    st = obspy.Stream([obspy.Trace(x.astype(np.float32), header={"sampling_rate": df})])
    stream = ALL.call("read_waveforms", {"file": _attach(ws, tmp_path, st)}, ws).artifacts[0].id
    r = ALL.call("plot_spectrogram", {"stream": stream, "window_s": 2.0}, ws)
    assert r.ok and abs(r.metrics["peak_frequency_hz"] - 6) < 1, r.summary
    assert r.metrics["lowest_resolved_hz"] == 1 and "of 1 Hz and up" in r.summary
    text = tool_report("spectrogram", [("plot_spectrogram", {"stream": stream})], [r])
    assert "most power at 6" in text or "most power at 5" in text, text
