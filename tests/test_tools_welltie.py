"""Well tie: a known shift, stretch and wavelet phase recovered; bad inputs; F3 F02-1."""

from __future__ import annotations

import lasio
import numpy as np
import pytest

from agent.report import report_numbers_supported, tool_report
from tests.fixtures_seismic import real_data
from tools import ALL, REGISTRY, WELL_TIE
from tools.synthetic import convolve_traces, make_wavelet, reflectivity
from tools.welltie import least_squares_wavelet, rotate_phase, wavelet_phase_deg

DT = 4.0
TOP_MS = 300.0  # TWT of the log top


def _blocky_well(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(depth m, sonic us/m, density kg/m3) of blocky beds, 0.5 m samples, 600-1800 m."""
    rng = np.random.default_rng(seed)
    depth = np.arange(600.0, 1800.0, 0.5)
    tops = np.cumsum(rng.exponential(12.0, 400)) + depth[0]  # beds ~12 m thick
    bed = np.searchsorted(tops, depth)
    v = 2200.0 + 0.8 * (depth - depth[0]) + rng.normal(0, 250, bed.max() + 1)[bed]
    rho = 310.0 * v**0.25 + rng.normal(0, 40, bed.max() + 1)[bed]
    return depth, 1e6 / v, rho


def _write_las(path, depth, curves: dict[str, tuple[np.ndarray, str]]) -> None:
    las = lasio.LASFile()
    las.well["WELL"].value = "T-1"
    las.append_curve("DEPT", depth, unit="M")
    for name, (values, unit) in curves.items():
        las.append_curve(name, values, unit=unit)
    las.write(str(path), version=2.0)


def _case(tmp_path, workspace, shift_ms=12.0, stretch=0.015, phase=30.0, n_traces=7, step_ms=0.0):
    """A section whose traces are the well's synthetic after a known shift and stretch
    (and, below the log's middle depth, a further ``step_ms``)."""
    depth, slowness, rho = _blocky_well()
    t_sonic = TOP_MS + 2e-3 * np.r_[0, np.cumsum(np.diff(depth) * slowness[1:])]
    t_true = TOP_MS + shift_ms + (t_sonic - TOP_MS) * (1 + stretch)
    t_true += step_ms * (depth > np.median(depth))
    fine = np.arange(0, 2000.0, 0.5)  # model on a 0.5 ms grid, then decimate to 4 ms
    z = np.exp(np.interp(fine, t_true, np.log(1e6 / slowness * rho)))
    w = make_wavelet("ricker", 25.0, 0.5, 200.0, phase_deg=phase)
    trace = convolve_traces(reflectivity(z), w)[:: int(DT / 0.5)]
    rng = np.random.default_rng(1)
    sec = trace[None, :] + 0.02 * np.std(trace) * rng.normal(size=(n_traces, len(trace)))
    data = workspace.save_array(sec, "section", {"dt_ms": DT, "t0_ms": 0.0}).id
    _write_las(tmp_path / "t1.las", depth, {"DT": (slowness, "US/M"), "RHOB": (rho, "K/M3")})
    cs = np.c_[depth[::400], t_sonic[::400] / 1000.0]  # checkshot in s, from the sonic
    np.savetxt(tmp_path / "cs.txt", cs)
    las = workspace.add_file(tmp_path / "t1.las").id
    checkshot = workspace.add_file(tmp_path / "cs.txt").id
    return {"data": data, "file": las, "checkshot": checkshot, "well_position": 3}


def test_tie_well_is_served_outside_the_router():
    assert not set(WELL_TIE.names()) & set(REGISTRY.names())
    assert "tie_well" in ALL.names()
    assert ALL.get("tie_well").citations


@pytest.mark.parametrize("wavelet", ["statistical", "well"])
def test_known_shift_stretch_and_phase_are_recovered(tmp_path, workspace, wavelet):
    args = _case(tmp_path, workspace)
    r = ALL.call("tie_well", dict(args, wavelet=wavelet, figure=False), workspace)
    assert r.ok, r.summary
    m = r.metrics
    assert abs(m["shift_ms"] - 12.0) <= 2.0, m
    assert abs(m["stretch_pct"] - 1.5) <= 0.3, m
    assert abs(m["wavelet_phase_deg"] - 30.0) <= 15.0, m
    assert m["correlation_after"] > 0.9 > m["correlation_before"], m
    assert len(r.artifacts) == 4
    td = workspace.load_array(r.artifacts[2].id)
    assert td.shape[0] == 2 and np.all(np.diff(td[0]) > 0)


def test_report_states_the_tie_figures(tmp_path, workspace):
    args = _case(tmp_path, workspace)
    r = ALL.call("tie_well", args, workspace)
    text = tool_report("tie the well", [("tie_well", args)], [r])
    for part in ("correlation", "bulk shift", "stretch", "wavelet phase", "statistical"):
        assert part in text, text
    assert report_numbers_supported(text, "tie the well", [("tie_well", args)], [r]) == []
    assert any(a.kind == "figure" for a in r.artifacts)


@pytest.mark.parametrize("phase", [-90.0, 0.0, 60.0, 150.0])
def test_least_squares_wavelet_recovers_a_rotated_wavelet(phase):
    rng = np.random.default_rng(3)
    r = rng.normal(0, 0.05, 600) * (rng.random(600) < 0.3)
    w = make_wavelet("ricker", 30.0, DT, 128.0, phase_deg=phase)
    est = least_squares_wavelet(r, convolve_traces(r, w), len(w))
    assert abs((wavelet_phase_deg(est) - phase + 180) % 360 - 180) < 5
    assert abs(wavelet_phase_deg(rotate_phase(make_wavelet("ricker", 30.0, DT), phase)) - phase) < 3


def test_bad_inputs_are_one_line_and_write_nothing(tmp_path, workspace):
    args = _case(tmp_path, workspace)
    depth, slowness, rho = _blocky_well()
    _write_las(tmp_path / "nodens.las", depth, {"DT": (slowness, "US/M")})
    nodens = workspace.add_file(tmp_path / "nodens.las").id
    np.savetxt(tmp_path / "bad_cs.txt", [[600, 0.3], [900, 0.6], [800, 0.7]])
    bad_cs = workspace.add_file(tmp_path / "bad_cs.txt").id
    before = set(workspace.ids())
    for change, said in [
        ({"file": nodens}, "no density curve"),
        ({"checkshot": bad_cs}, "depth must increase"),
        ({"well_position": 7}, "outside traces"),
        ({"wavelet_ms": 4000.0}, "longer than the traces"),
    ]:
        r = ALL.call("tie_well", dict(args, **change), workspace)
        assert not r.ok and said in r.summary and "\n" not in r.summary, r.summary
    assert set(workspace.ids()) == before


def test_real_f3_f02_1_tie(workspace):
    d = real_data() / "f3_inline362"
    ids = [
        workspace.add_file(d / n).id
        for n in ("export_inline362.ascii", "F02-1_logs.las", "F02-1_checkshot_TD.txt")
    ]
    sec = REGISTRY.call("read_ascii_section", {"file": ids[0]}, workspace).artifacts[0].id
    args = {"data": sec, "file": ids[1], "checkshot": ids[2], "well_position": 336}
    r = ALL.call("tie_well", dict(args, figure=False), workspace)
    assert r.ok, r.summary
    m = r.metrics
    assert abs(m["shift_ms"]) <= 100 and abs(m["stretch_pct"]) <= 3.0 + 1e-9
    assert m["correlation_after"] >= m["correlation_shift"] - 1e-9
    assert m["correlation_after"] > m["correlation_before"]
    ai = workspace.load_array(r.artifacts[3].id)
    assert 1e6 < np.median(ai) < 1e7
    # the tied AI log and the tie wavelet feed the impedance inversion
    inv = REGISTRY.call(
        "invert_impedance",
        {
            "data": sec,
            "well_log": r.artifacts[3].id,
            "wavelet": r.artifacts[1].id,
            "well_position": 336,
            "regularization": "trace",
            "figure": False,
        },
        workspace,
    )
    assert inv.ok, inv.summary


@pytest.mark.parametrize("step_ms", [0.0, 24.0])
def test_windowed_re_ties_tell_a_time_depth_error(tmp_path, workspace, step_ms):
    """benchmarks.well_tie re-ties the tied log in 400 ms windows: on a log whose times are
    right every window sits where the tie put it; after a 24 ms step in mid-log (which no
    single shift and stretch take out) the windows' shifts differ by at least that much."""
    from benchmarks.well_tie import window_shifts

    args = _case(tmp_path, workspace, step_ms=step_ms)
    r = ALL.call("tie_well", dict(args, figure=False), workspace)
    windows = window_shifts(workspace, args["data"], r)
    assert len(windows) >= 2
    shifts = [w["shift_ms"] for w in windows]
    if step_ms:
        assert max(shifts) - min(shifts) >= step_ms - 4.0, shifts
    else:
        assert max(abs(x) for x in shifts) <= 2.0, shifts
        assert min(w["correlation"] for w in windows) > 0.9, windows


def test_a_line_scan_finds_the_traces_the_log_ties_to(tmp_path, workspace):
    """benchmarks.well_tie sets the tied log against every trace of the line: on a line
    whose traces are the well's synthetic but one (noise), six of seven reach 0.6."""
    from benchmarks.well_tie import line_scan

    args = _case(tmp_path, workspace)
    sec = workspace.load_array(args["data"])
    sec[5] = np.random.default_rng(2).normal(size=sec.shape[1]) * np.std(sec[0])
    args["data"] = workspace.save_array(sec, "section", {"dt_ms": DT, "t0_ms": 0.0}).id
    r = ALL.call("tie_well", dict(args, figure=False), workspace)
    scan = line_scan(workspace, args["data"], r, first_crossline=100)
    assert scan["traces"] == 7 and scan["traces_reaching_target"] == 6, scan
    assert scan["max_correlation_shift"] > 0.9
    assert scan["best"][0]["crossline"] in {100, 101, 102, 103, 104, 106}
