"""Semblance coherence: high discontinuity along a known fault and low in the beds around
it (dipping ones too, thanks to the dip scan), the calibrated threshold finds the
labelled faults, and the tool saves the attribute and its overlay."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from agent.report import report_numbers_supported, tool_report
from tools import ALL
from tools.discontinuity import FAULT_THRESHOLD, discontinuity, semblance_coherence
from tools.geofm.heldout import f1_scores, fault_inputs, held_out_section
from tools.synthetic import make_section, shift_samples


def test_discontinuity_is_high_on_the_fault_and_low_in_the_beds():
    s = make_section(120, 300, 4.0, seed=11, n_faults=1, max_throw_ms=30.0, oversample=8)
    disc = discontinuity(s.clean)
    assert disc.shape == s.clean.shape and 0 <= disc.min() and disc.max() <= 1
    fault = s.fault_mask > 0  # within a trace of the fault plane: a 3-trace zone
    beds = ~np.roll(fault, 3, axis=0) & ~np.roll(fault, -3, axis=0) & ~fault
    # measured: 0.34 on the fault, 0.003 in the beds
    assert disc[fault].mean() > 20 * disc[beds].mean()
    assert disc[beds].mean() < 0.02


def test_the_dip_scan_keeps_dipping_beds_coherent():
    s = make_section(40, 200, 4.0, seed=12, n_faults=0, peak_hz=30.0, oversample=8)
    dipping = shift_samples(s.clean, 1.5 * np.arange(40)[:, None])  # 1.5 samples per trace
    scanned = semblance_coherence(dipping)
    flat_only = semblance_coherence(dipping, max_dip=0.0)
    inner = (slice(2, -2), slice(80, -20))  # below the zeros the shear brings in
    assert scanned[inner].mean() > 0.95
    assert flat_only[inner].mean() < 0.7


def test_semblance_of_equal_traces_is_one():
    trace = np.sin(np.linspace(0, 20, 100))
    np.testing.assert_allclose(semblance_coherence(np.tile(trace, (7, 1))), 1.0, atol=1e-9)


def test_the_default_threshold_finds_labelled_faults_clean_and_noisy():
    # the first section of finetune.coherence_calibrate; measured pixel F1 0.66 clean and
    # 0.51 at 10 dB, within 2 traces 0.98 and 0.75
    section = held_out_section(5000, 0, (200, 400))
    for label, data in fault_inputs(section, 5000):
        pixel, within_2 = f1_scores(discontinuity(data), section.fault_mask, FAULT_THRESHOLD)
        clean = label == "clean"
        assert pixel > (0.6 if clean else 0.45), label
        assert within_2 > (0.9 if clean else 0.65), label


def test_tool_saves_discontinuity_and_overlay(workspace):
    s = make_section(60, 120, 4.0, seed=13, n_faults=1, oversample=8)
    data = workspace.save_array(s.clean.astype(np.float32), "faulted", {"dt_ms": 4.0}).id
    r = ALL.call("coherence_faults", {"data": data}, workspace)
    assert r.ok, r.summary
    out = workspace.load_array(r.artifacts[0].id)
    assert out.shape == s.clean.shape and 0 <= out.min() and out.max() <= 1
    assert workspace.meta(r.artifacts[0].id)["metadata"]["units"] == "discontinuity 0-1"
    assert r.metrics["threshold"] == FAULT_THRESHOLD
    assert r.metrics["fault_fraction"] == np.mean(out > FAULT_THRESHOLD) > 0
    assert r.artifacts[1].kind == "figure" and Path(r.artifacts[1].path).stat().st_size > 0
    assert "Marfurt" in r.citations[0]
    calls = [("coherence_faults", {"data": data})]
    text = tool_report("find the faults", calls, [r])
    assert "Semblance coherence" in text and "discontinuity" in text
    assert report_numbers_supported(text, "find the faults", calls, [r]) == []


def test_tool_takes_a_cube_and_refuses_a_bad_threshold(workspace):
    s = make_section(30, 64, 4.0, seed=14, n_faults=1)
    cube = workspace.save_array(np.stack([s.clean] * 2).astype(np.float32), "cube").id
    r = ALL.call("coherence_faults", {"data": cube, "figure": False}, workspace)
    assert r.ok and workspace.load_array(r.artifacts[0].id).shape == (2, 30, 64)
    before = workspace.ids()
    r = ALL.call("coherence_faults", {"data": cube, "threshold": 1.5}, workspace)
    assert not r.ok and "between 0 and 1" in r.summary
    assert workspace.ids() == before
