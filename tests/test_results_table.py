"""The results pages are generated from the committed reports (benchmarks.results_table):
every figure in the README's results table and in docs/results.md is read from
docs/results/*.json, and a changed report makes the committed pages stale."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from benchmarks.results_table import PAGE, REPORTS, RESULTS, TABLES, generate, main, value

ROOT = Path(__file__).resolve().parents[1]


def test_committed_pages_match_the_reports():
    stale = [
        str(path.relative_to(ROOT))
        for path, text in generate(ROOT).items()
        if path.read_text() != text
    ]
    assert not stale, (
        f"{stale} differ from docs/results/*.json: run "
        "`python -m benchmarks.results_table` and commit the result"
    )


def test_every_committed_report_has_a_section():
    committed = {p.name for p in (ROOT / RESULTS).glob("*.json")}
    assert committed == {r.file for r in REPORTS}


def _copy_tree(tmp: Path) -> None:
    for rel in [PAGE, *TABLES]:
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, tmp / rel)
    shutil.copytree(ROOT / RESULTS, tmp / RESULTS)


def test_a_changed_number_in_a_report_is_detected(tmp_path, capsys):
    _copy_tree(tmp_path)
    assert main(["--check", "--root", str(tmp_path)]) == 0
    report = tmp_path / RESULTS / "qa_default.json"
    data = json.loads(report.read_text())
    n = data["summary"]["rubric_accuracy"]["n"]
    data["summary"]["rubric_accuracy"].update(k=71, rate=0.5420, ci95=[0.4502, 0.6199])
    report.write_text(json.dumps(data))

    assert main(["--check", "--root", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "README.md: differs" in out and f"{PAGE}: differs" in out
    assert main(["--root", str(tmp_path)]) == 0  # regenerate
    assert f"0.54 [0.45–0.62] (71/{n})" in (tmp_path / "README.md").read_text()
    assert main(["--check", "--root", str(tmp_path)]) == 0


def test_a_report_with_several_runs_is_read_from_its_latest(tmp_path):
    _copy_tree(tmp_path)
    report = tmp_path / RESULTS / "mc_lm_eval_check.json"
    data = json.loads(report.read_text())
    data["runs"].append(json.loads(json.dumps(data["runs"][0])))
    data["runs"][-1]["geofm"]["acc"]["accuracy"] = 0.9
    report.write_text(json.dumps(data))
    main(["--root", str(tmp_path)])
    page = (tmp_path / PAGE).read_text()
    assert f"Runs in the report: {len(data['runs'])}; the figures below are from the latest" in page
    assert "| acc, geofm / lm_eval (latest run) | 0.900 / 0.202 |" in page


def test_the_app_help_quotes_the_routing_reports():
    """The app's help text gives the routing figures of the blind and main sets as counts."""
    help_text = re.sub(r"\s+", " ", (ROOT / "app.py").read_text())
    for file in ("routing_blind4_llamacpp.json", "routing_llamacpp.json"):
        steps = f"{value(file, 'routing_accuracy*decisions')} of {value(file, 'decisions')}"
        requests = f"{value(file, 'end_to_end_success*requests')} of {value(file, 'requests')}"
        assert steps in help_text and requests in help_text, file


def test_the_adapter_card_counts_its_wrong_decisions_from_the_reports():
    """The model card's lists of wrong decisions give their counts from the rows of the
    committed routing reports."""
    card = re.sub(r"\s+", " ", (ROOT / "agent/adapter/README.md").read_text())
    for file in (
        "routing_llamacpp.json",
        "routing_heldout_llamacpp.json",
        "routing_blind3_llamacpp.json",
    ):
        rows = value(file, "rows")
        decisions = [d for r in rows for d in r["decisions"]]
        wrong_tool = sum(not d["tool_ok"] for d in decisions)
        wrong_args = sum(d["tool_ok"] and not d["args_ok"] for d in decisions)
        assert (
            f"(`{RESULTS}/{file}`: {wrong_tool} wrong tools and {wrong_args} wrong "
            f"arguments in {len(decisions)} decisions)" in card
        ), file
