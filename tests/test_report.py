"""Plain-language tool reports: real tool runs read as sentences with their key numbers,
figures and a next step, no intermediate ids, and no number that the metrics, the
arguments or the question do not give; every gold plan of the routing sets as well."""

from __future__ import annotations

import re

import pytest

from agent.report import report_numbers_supported, tool_report
from benchmarks.routing import DATA as ROUTING_REQUESTS
from benchmarks.routing import load_requests
from tools import REGISTRY, ToolResult

HELDOUT_REQUESTS = ROUTING_REQUESTS.with_name("routing_heldout.jsonl")
GOLD = {
    it["id"]: it
    for path in (ROUTING_REQUESTS, HELDOUT_REQUESTS)
    for it in load_requests(path)
    if it["calls"]
}
# one request per tool family, for the default suite
FAST = [
    "r028",
    "r033",
    "r037",
    "r047",
    "r052",
    "r059",
    "r064",
    "r076",
    "r088",
    "r100",
    "h040",
    "r115",
    "h019",
    "h034",
]


def _run(workspace, calls: list[tuple[str, dict]]) -> list[ToolResult]:
    results = [REGISTRY.call(name, args, workspace) for name, args in calls]
    assert all(r.ok for r in results), [r.summary for r in results]
    return results


def _ids(text: str) -> set[str]:
    return set(re.findall(r"\bws-\d+\b", text))


def _grounded(text: str, question: str, calls, results) -> None:
    assert report_numbers_supported(text, question, calls, results) == [], text


# ---- real tool runs --------------------------------------------------------------------


def test_fx_decon_report(shared_data, workspace):
    f = workspace.add_file(shared_data / "segy" / "npra_31_81.sgy").id
    read = REGISTRY.call("read_segy", {"file": f}, workspace)
    line = read.artifacts[0].id
    calls = [
        ("read_segy", {"file": f}),
        ("fx_decon", {"data": line, "fmin_hz": 8.0, "fmax_hz": 60.0, "win_traces": 10}),
    ]
    fx = REGISTRY.call(*calls[1], workspace)
    question = "denoise this line with f-x decon between 8 and 60 Hz, 10-trace windows"
    text = tool_report(question, calls, [read, fx])
    lines = text.splitlines()
    assert lines[0] == (
        "- Read all traces of npra_31_81.sgy: 534 traces x 1501 samples at "
        f"4 ms, amplitudes {read.details['amplitude_min']:.0f} to "
        f"{read.details['amplitude_max']:.0f}."
    )
    assert lines[1].startswith(
        "- f-x deconvolution (8–60 Hz, prediction filter of 4 traces, "
        "windows of 10 traces x 400 ms) of the data: estimated SNR "
    )
    assert f"{fx.metrics['snr_est_gain_db']:+.1f} dB (an estimate" in lines[1]
    # the report's extra figures stay out of what the routing model is shown
    from agent.messages import observation

    assert "amplitude_min" not in observation(read) and "n_traces" in observation(read)
    denoised, figure = fx.artifacts
    assert lines[2] == f"Result: f-x deconvolved section ({denoised.id})."
    assert (
        lines[3] == f"Figure: before / after / difference of the f-x deconvolution ({figure.id})."
    )
    assert lines[4].startswith('Next, you could ask: "save it as SEG-Y"')
    assert _ids(text) == {denoised.id, figure.id}  # not the raw line, an intermediate
    _grounded(text, question, calls, [read, fx])


def test_synthetic_median_snr_report(workspace):
    synth = REGISTRY.call("make_synthetic", {"noise": "spikes", "n_traces": 120}, workspace)
    noisy, clean = synth.artifacts[0].id, synth.artifacts[1].id
    calls = [
        ("make_synthetic", {"noise": "spikes", "n_traces": 120}),
        ("median_filter", {"data": noisy}),
        ("measure_snr", {"data": "", "reference": clean}),
    ]
    median = REGISTRY.call(*calls[1], workspace)
    calls[2][1]["data"] = median.artifacts[0].id
    snr = REGISTRY.call(*calls[2], workspace)
    question = "despike a synthetic with a median filter and score it against the clean one"
    text = tool_report(question, calls, [synth, median, snr])
    assert (
        "Made a synthetic line: 120 traces x 300 samples at 4 ms, 25 Hz Ricker wavelet, "
        "2 faults, spike noise at 0 dB SNR."
    ) in text
    assert "Dip-steered median filter (±2 traces, ±1 sample) of the noisy synthetic" in text
    assert (
        f"SNR of the median-filtered section against the clean synthetic: "
        f"{snr.metrics['snr_db']:.1f} dB (correlation {snr.metrics['correlation']:.3f})"
    ) in text
    assert _ids(text) == {a.id for a in median.artifacts}  # not the four synthetic arrays
    assert '"compare with f-x deconvolution"' in text
    _grounded(text, question, calls, [synth, median, snr])


def test_header_summary_is_two_lines(shared_data, workspace):
    f = workspace.add_file(shared_data / "segy" / "f3_crop.sgy").id
    calls = [("segy_info", {"file": f})]
    results = _run(workspace, calls)
    text = tool_report("what does this cube span?", calls, results)
    assert text.splitlines() == [
        "SEG-Y file headers: 3D post-stack, 414 traces x 75 samples at 4 ms, inlines 111–133, "
        "crosslines 875–892, 2-byte signed integer samples.",
        'Next, you could ask: "read inline 111" or "read it and plot it".',
    ]
    _grounded(text, "what does this cube span?", calls, results)


def test_well_tied_inversion_report(shared_data, workspace):
    d = shared_data / "f3_inline362"
    seis, las, cs = (
        workspace.add_file(d / n).id
        for n in ("export_inline362.ascii", "F02-1_logs.las", "F02-1_checkshot_TD.txt")
    )
    section = REGISTRY.call("read_ascii_section", {"file": seis}, workspace)
    log = REGISTRY.call("read_well_log", {"file": las, "checkshot": cs}, workspace)
    calls = [
        ("read_ascii_section", {"file": seis}),
        ("read_well_log", {"file": las, "checkshot": cs}),
        (
            "invert_impedance",
            {
                "data": section.artifacts[0].id,
                "well_log": log.artifacts[1].id,
                "well_position": 336,
            },
        ),
    ]
    inv = REGISTRY.call(*calls[2], workspace)
    question = "invert inline 362 for impedance, well F02-1 at crossline 336"
    text = tool_report(question, calls, [section, log, inv])
    m = inv.metrics
    assert "Loaded the AI log of well F02-1, in (m/s)*(kg/m3): 9680 samples" in text
    assert "at 4 ms (assumed: ASCII files do not store it)" in text
    assert f"with correlation {m['well_correlation']:.2f}" in text
    assert f"Well tie correlation {m['well_tie_correlation']:.2f}" in text
    impedance, figure = inv.artifacts
    assert f"Figure: impedance section with the well log comparison ({figure.id})." in text
    assert _ids(text) == {impedance.id, figure.id}
    _grounded(text, question, calls, [section, log, inv])


def test_spectrum_report_names_its_figure(shared_data, workspace):
    f = workspace.add_file(shared_data / "segy" / "land_shot_gather.sgy").id
    read = REGISTRY.call("read_segy", {"file": f}, workspace)
    calls = [("read_segy", {"file": f}), ("spectrum", {"data": read.artifacts[0].id})]
    spec = REGISTRY.call(*calls[1], workspace)
    text = tool_report("spectrum of the shot", calls, [read, spec])
    assert f"dominant frequency {spec.metrics['dominant_hz']:.1f} Hz" in text
    assert "at 0.25 ms" in text and "e+06" in text  # amplitudes in scientific notation
    fig = spec.artifacts[1].id
    assert f"Figure: amplitude spectrum of the data ({fig})." in text
    assert _ids(text) == {fig}  # the read traces and the spectrum array are not products
    _grounded(text, "spectrum of the shot", calls, [read, spec])


def test_failed_step_is_reported_with_its_message(shared_data, workspace):
    f = workspace.add_file(shared_data / "segy" / "npra_31_81.sgy").id
    read = REGISTRY.call("read_segy", {"file": f}, workspace)
    calls = [
        ("read_segy", {"file": f}),
        ("bandpass", {"data": read.artifacts[0].id, "low_hz": 10.0, "high_hz": 200.0}),
    ]
    bad = REGISTRY.call(*calls[1], workspace)
    assert not bad.ok
    question = "bandpass it 10-200 Hz"
    text = tool_report(question, calls, [read, bad])
    assert (
        "- Bandpass filter failed: high_hz=200.0 Hz is at or above Nyquist (125 Hz for "
        "dt=4.0 ms); choose a lower high corner."
    ) in text
    assert text.splitlines()[-1].startswith("Next: change what the message points to")
    assert "Figure" not in text
    _grounded(text, question, calls, [read, bad])


# ---- the number check ------------------------------------------------------------------


def test_invented_numbers_are_caught():
    calls = [("agc", {"data": "ws-1", "window_ms": 250.0})]
    results = [
        ToolResult(
            "AGC",
            metrics={
                "snr_est_gain_db": 11.23,
                "amplitude_max": 2262345.0,
                "fault_fraction": 0.3,
                "n_traces": 160.0,
            },
        )
    ]
    q = "AGC on ws-1 from 8-45 Hz"

    def check(text):
        return report_numbers_supported(text, q, calls, results)

    assert check("+11.2 dB, +11.23 dB, 11 dB, 2.26e+06, 30 %, 160 traces, 250 ms") == []
    assert check("8–45 Hz, between 8 and 45 Hz") == []  # the question's numbers
    assert check("ws-12, F02-1, 2D, (m/s)*(kg/m3), npra_31_81.sgy") == []  # names
    assert check("an SNR gain of +11.3 dB") == ["+11.3"]
    assert check("amplitudes up to 2.27e+06") == ["2.27e+06"]
    assert check("160 x 300 samples") == ["300"]  # a shape only counts through metrics
    assert check("-11.2 dB") == ["-11.2"]
    assert check("31 %") == ["31%"]


def test_defaults_the_tool_applied_count_as_arguments():
    calls = [("agc", {"data": "ws-1"})]
    results = [ToolResult("AGC", metrics={"snr_est_gain_db": 1.0})]
    assert report_numbers_supported("AGC with a 500 ms window", "", calls, results) == []
    assert report_numbers_supported("AGC with a 600 ms window", "", calls, results) == ["600"]


def test_report_of_a_result_with_an_invented_metric_fails_the_check(workspace):
    synth = _run(workspace, [("make_synthetic", {"n_traces": 50})])
    calls = [("make_synthetic", {"n_traces": 50})]
    text = tool_report("a synthetic", calls, synth)
    assert report_numbers_supported(text, "a synthetic", calls, synth) == []
    other = [("make_synthetic", {"n_traces": 60})]  # the report no longer matches its call
    assert report_numbers_supported(text, "a synthetic", other, synth) == ["50"]


# ---- every gold plan of the routing sets -------------------------------------------------


@pytest.fixture
def tiny_literature(tmp_path, monkeypatch):
    """A two-document hashing index standing in for the default one."""
    import tools.literature
    from corpus import HashEmbedder, Index

    src = tmp_path / "docs"
    src.mkdir()
    (src / "inversion.md").write_text(
        "# Colored inversion\n\nColored inversion shapes the "
        "seismic spectrum to match the well log spectrum.\n"
    )
    (src / "fx.md").write_text(
        "# f-x deconvolution\n\nPrediction filters across traces "
        "remove random noise, frequency by frequency.\n"
    )
    Index.build([src], tmp_path / "idx", embedder=HashEmbedder(), progress=False)
    monkeypatch.setattr(tools.literature, "default_index", lambda: Index.load(tmp_path / "idx"))
    monkeypatch.setattr(tools.literature, "_OPEN", {})


def _check_gold_plan(request_id: str, tmp_path, request) -> None:
    from finetune.tool_tasks import SETUPS
    from finetune.traces import run_plan, setup_files

    item = GOLD[request_id]
    if any(not n.endswith(".npy") for n in SETUPS[item["setup"]]):
        request.getfixturevalue("shared_data")
    paths = setup_files(SETUPS[item["setup"]], tmp_path)
    trace = run_plan(item["request"], paths, [tuple(c) for c in item["calls"]])
    text = tool_report(item["request"], trace.calls, trace.results)
    _grounded(text, item["request"], trace.calls, trace.results)
    made = {a.id for r in trace.results for a in r.artifacts}
    figures = {a.id for r in trace.results for a in r.artifacts if a.kind == "figure"}
    assert figures <= _ids(text) <= made, text
    assert text.splitlines()[-1].startswith("Next, you could ask: "), text


@pytest.mark.parametrize("request_id", FAST)
def test_gold_plan_reports_are_grounded(request_id, tmp_path, request, tiny_literature):
    _check_gold_plan(request_id, tmp_path, request)


@pytest.mark.slow
@pytest.mark.parametrize("request_id", sorted(set(GOLD) - set(FAST)))
def test_every_gold_plan_report_is_grounded(request_id, tmp_path, request, tiny_literature):
    _check_gold_plan(request_id, tmp_path, request)


def test_a_corrected_first_try_and_an_unknown_tool(workspace):
    from tools import Artifact

    calls = [("scale", {"data": "ws-1", "factor": "big"}), ("scale", {"data": "ws-1", "factor": 4})]
    results = [
        ToolResult.error("bad arguments for scale: factor: not a number. Expected schema: {...}"),
        ToolResult("scaled ws-1 into ws-2", (Artifact("ws-2", "array", "/x.npy"),), {"max": 4.0}),
    ]
    assert (
        tool_report("scale it by 4", calls, results)
        == "Ran scale: max 4.\nResult: array from scale (ws-2)."
    )
    text = tool_report("scale it by 4", calls[:1], results[:1])
    assert text.startswith("Scale failed: bad arguments for scale: factor: not a number.\n")
    assert "schema" not in text


def test_relative_inversion_report_names_wavelet_and_background(workspace):
    from tools.synthetic import make_section

    d = workspace.save_array(make_section(20, 100, seed=1).clean, "d", {"dt_ms": 4.0}).id
    args = {"data": d, "wavelet": "ricker", "wavelet_hz": 25, "regularization": "trace"}
    calls = [("invert_impedance", args), ("invert_impedance", {"data": d, "method": "coloured"})]
    results = [REGISTRY.call(n, a, workspace) for n, a in calls]
    question = "run a post-stack inversion using a 25 Hz Ricker, then a coloured inversion"
    text = tool_report(question, calls, results)
    assert "Relative (band-limited) impedance" in text
    assert "zero background, a 25 Hz Ricker wavelet" in text
    assert "coloured inversion" in text and "trend below 4 Hz" in text
    _grounded(text, question, calls, results)
