"""finetune.reproduce: the staged config is checked, the plan skips finished stages and
chains init_adapter, a dry run does nothing, and a run calls the data build and the
training it plans (both injected here: no real build or training)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from agent.cli import build_parser
from common.errors import BadInputError
from finetune import reproduce
from finetune.reproduce import (
    DEFAULT_CONFIG,
    build_stage_data,
    check_sources,
    describe,
    install,
    load_stages,
    plan,
    run,
    run_from_args,
)

LORA = {"r": 16, "alpha": 32, "target_modules": ["q_proj"], "layers": [1, 2]}


def _stage(name, config="base.json", commit=None, **kw):
    return {
        "name": name,
        "config": config,
        "data_commit": commit,
        "output_dir": f"build/adapter_{name}",
        "data_seconds": 600,
        "train_seconds": 1000,
        **kw,
    }


def _staged(tmp_path, stages, **top) -> Path:
    """A staged config in tmp_path/configs, with a base training config and a
    continuing one (extends base)."""
    cfg = tmp_path / "configs"
    cfg.mkdir(exist_ok=True)
    base = {"train_file": "x.jsonl", "output_dir": "out", **LORA}
    (cfg / "base.json").write_text(json.dumps(base))
    (cfg / "more.json").write_text(json.dumps({"extends": "base.json", "epochs": 0.5}))
    path = cfg / "staged.json"
    path.write_text(json.dumps({"stages": stages, **top}))
    return path


def _chain(tmp_path, **top):
    return load_stages(
        _staged(
            tmp_path,
            [_stage("a", commit="abc1234"), _stage("b", "more.json"), _stage("c", "more.json")],
            **top,
        )
    )


def _finish(root: Path, out: str) -> None:
    (root / out).mkdir(parents=True, exist_ok=True)
    (root / out / "train_report.json").write_text("{}")


def _data(root: Path, name: str, commit: str | None = None) -> None:
    d = root / "build" / f"data_{name}"
    d.mkdir(parents=True, exist_ok=True)
    for f in ("train.jsonl", "val.jsonl", "card.json"):
        (d / f).write_text("{}")
    (d / reproduce.SOURCE_FILE).write_text(json.dumps({"data_commit": commit}))


# --- the shipped config ---------------------------------------------------------


def test_shipped_config_is_the_chain_of_five_runs():
    staged = load_stages(DEFAULT_CONFIG)
    names = [s.name for s in staged.stages]
    assert names == ["v4", "v5", "v6", "v7", "v9"]
    assert [s.continues for s in staged.stages] == [None, "v4", "v5", "v6", "v7"]
    assert [s.config.name for s in staged.stages] == [
        "default.json",
        "continue_v5.json",
        "continue_v6.json",
        "continue_v7.json",
        "continue_v9.json",
    ]
    assert all(s.output_dir.startswith("build/") for s in staged.stages)
    assert staged.install_to == "agent/adapter"
    # the training times of the shipped runs (CHANGELOG, train_report.json)
    assert [s.train_seconds for s in staged.stages] == [5230, 2644, 3643, 3650, 5589]
    shipped = json.loads((reproduce.REPO / "agent/adapter/train_report.json").read_text())
    assert round(shipped["seconds"]) == round(staged.stages[-1].train_seconds)


# --- the plan -------------------------------------------------------------------


def test_plan_from_nothing_trains_every_stage_in_a_chain(tmp_path):
    steps = plan(_chain(tmp_path), tmp_path)
    assert [s.train for s in steps] == [True, True, True]
    assert [s.build_data for s in steps] == [True, True, True]
    assert [s.init_adapter for s in steps] == [None, "build/adapter_a", "build/adapter_b"]
    assert steps[1].overrides() == [
        "train_file=build/data_b/train.jsonl",
        "val_file=build/data_b/val.jsonl",
        "output_dir=build/adapter_b",
        "init_adapter=build/adapter_a",
    ]
    assert steps[0].overrides()[-1] == "init_adapter=null"  # a fresh LoRA
    assert sum(s.expected_seconds for s in steps) == 3 * 1600


def test_a_finished_stage_and_those_before_it_are_skipped(tmp_path):
    staged = _chain(tmp_path)
    _finish(tmp_path, "build/adapter_b")
    steps = plan(staged, tmp_path)
    assert [s.train for s in steps] == [False, False, True]
    assert "not needed" in steps[0].why
    assert "build/adapter_b holds a finished adapter" in steps[1].why
    assert steps[2].init_adapter == "build/adapter_b"
    assert sum(s.expected_seconds for s in steps) == 1600


def test_all_finished_plans_nothing(tmp_path):
    staged = _chain(tmp_path)
    for s in staged.stages:
        _finish(tmp_path, s.output_dir)
    steps = plan(staged, tmp_path)
    assert not any(s.train for s in steps)
    calls = []
    records = run(steps, tmp_path, lambda *a: calls.append(a), lambda *a: calls.append(a), log=str)
    assert calls == [] and [r["done"] for r in records] == ["skipped"] * 3


def test_from_stage_redoes_that_stage_and_the_later_ones(tmp_path):
    staged = _chain(tmp_path)
    for s in staged.stages:
        _finish(tmp_path, s.output_dir)
    steps = plan(staged, tmp_path, from_stage=2)
    assert [s.train for s in steps] == [False, True, True]
    assert [s.replace for s in steps] == [False, True, True]
    assert steps[1].init_adapter == "build/adapter_a"
    with pytest.raises(BadInputError, match="1 to 3"):
        plan(staged, tmp_path, from_stage=4)
    with pytest.raises(BadInputError, match="1 to 3"):
        plan(staged, tmp_path, from_stage=0)


def test_finished_data_are_reused_and_a_checkpoint_resumed(tmp_path):
    staged = _chain(tmp_path)
    _data(tmp_path, "a", "abc1234")
    _data(tmp_path, "b", "abc1234")  # made by another builder than b's (this tree's)
    ckpt = tmp_path / "build/adapter_a/checkpoint"
    ckpt.mkdir(parents=True)
    (ckpt / "trainer_state.json").write_text(json.dumps({"step": 40}))
    steps = plan(staged, tmp_path)
    assert not steps[0].build_data and steps[1].build_data
    assert steps[0].resume_step == 40 and steps[0].expected_seconds == 1000
    text = describe(steps, staged, tmp_path)
    assert "reuse build/data_a" in text and "resuming at step 40" in text


def test_a_stage_may_name_what_it_continues_or_start_fresh(tmp_path):
    stages = [_stage("a"), _stage("b", continues=None), _stage("c", continues="a")]
    staged = load_stages(_staged(tmp_path, stages))
    steps = plan(staged, tmp_path)
    # c continues a; b is not needed by the last stage
    assert [s.init_adapter for s in steps] == [None, None, "build/adapter_a"]
    assert [s.train for s in steps] == [True, False, True]


# --- config checks --------------------------------------------------------------


@pytest.mark.parametrize(
    ("stages", "top", "message"),
    [
        ([_stage("a", epochs=2)], {}, r"unknown keys \['epochs'\] in stage 1"),
        ([_stage("a")], {"stage": []}, r"unknown keys \['stage'\]"),
        ([_stage("a", "missing.json")], {}, "training config missing.json not found"),
        ([_stage("a"), _stage("b", continues="z")], {}, "continues 'z', which is not a stage"),
        ([_stage("a", continues="b"), _stage("b")], {}, "continues 'b', which is not a stage"),
        ([_stage("a"), _stage("a")], {}, "another stage has the same name"),
        (
            [_stage("a"), _stage("b", output_dir="build/adapter_a")],
            {},
            "also writes to build/adapter_a",
        ),
        ([{"name": "a", "config": "base.json"}], {}, r"lacks \['data_commit', 'output_dir'\]"),
        ([_stage("a", train_seconds="1 h")], {}, "train_seconds must be a number"),
        ([], {}, "non-empty list 'stages'"),
        ([_stage("a")], {"install_to": "build/adapter_a"}, "also a stage's output folder"),
    ],
)
def test_config_errors_say_what_is_wrong(tmp_path, stages, top, message):
    with pytest.raises(BadInputError, match=message):
        load_stages(_staged(tmp_path, stages, **top))


def test_a_training_config_with_an_unknown_setting_is_refused(tmp_path):
    path = _staged(tmp_path, [_stage("a", "odd.json")])
    (path.parent / "odd.json").write_text(json.dumps({"extends": "base.json", "lr_max": 1}))
    with pytest.raises(BadInputError, match="unknown settings"):
        load_stages(path)


def test_continuing_an_adapter_of_another_shape_is_refused(tmp_path):
    path = _staged(tmp_path, [_stage("a"), _stage("b", "wide.json")])
    (path.parent / "wide.json").write_text(json.dumps({"extends": "base.json", "r": 8}))
    with pytest.raises(BadInputError, match=r"'r': \(16, 8\)"):
        load_stages(path)


def test_an_unreadable_staged_config(tmp_path):
    with pytest.raises(BadInputError, match="cannot read the staged config"):
        load_stages(tmp_path / "nope.json")


# --- git checks -----------------------------------------------------------------


def _git_repo(root: Path, files: dict[str, str]) -> str:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "x"], check=True)
    out = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return out.stdout.strip()


def _args(config: Path, **kw) -> argparse.Namespace:
    return argparse.Namespace(
        **{"config": str(config), "from_stage": None, "dry_run": False, "install": False, **kw}
    )


def test_dry_run_prints_the_plan_and_does_nothing(tmp_path, capsys):
    root = tmp_path / "repo"
    commit = _git_repo(root, {"README": "x"})
    staged = _staged(tmp_path, [_stage("a", commit=commit), _stage("b", "more.json")])
    assert run_from_args(_args(staged, dry_run=True), root) == 0
    out = capsys.readouterr().out
    assert "[1/2] a (base.json): train into build/adapter_a" in out
    assert f"data: build with the data builder of commit {commit} into build/data_a" in out
    assert "data: build with the data builder of this tree into build/data_b" in out
    assert "training: continue build/adapter_a (~17 min)" in out
    assert "Expected time on 2 CPU cores: 53 min for this plan" in out
    assert "nothing was done" in out
    assert not (root / "build").exists()


def test_not_a_git_checkout_says_the_history_is_needed(tmp_path):
    staged = load_stages(_staged(tmp_path, [_stage("a", commit="abc1234")]))
    with pytest.raises(BadInputError, match="not a git checkout.*git clone"):
        check_sources(plan(staged, tmp_path), tmp_path)
    # data already built: no history needed
    _data(tmp_path, "a", "abc1234")
    check_sources(plan(staged, tmp_path), tmp_path)


def test_a_missing_commit_is_named(tmp_path):
    root = tmp_path / "repo"
    _git_repo(root, {"README": "x"})
    staged = load_stages(_staged(tmp_path, [_stage("a", commit="deadbeef")]))
    with pytest.raises(BadInputError, match="commit deadbeef is not in this repository"):
        check_sources(plan(staged, root), root)


def test_an_old_commits_builder_runs_in_its_own_export(tmp_path, monkeypatch):
    """The real data-build path on a stand-in builder: the export's modules are the
    ones imported, GEOFM_DATA and a separate GEOFM_HOME are set, the output appears
    whole under build/data_NAME, and ../shared beside the export is the shared data."""
    builder = (
        "import argparse, json, os, pathlib, sys\n"
        "p = argparse.ArgumentParser(); p.add_argument('--out'); a = p.parse_args()\n"
        "out = pathlib.Path(a.out); out.mkdir(parents=True)\n"
        "for f in ('train.jsonl', 'val.jsonl'): (out / f).write_text('{}\\n')\n"
        "here = pathlib.Path(__file__).resolve()\n"
        "(out / 'card.json').write_text(json.dumps({'builder': str(here),\n"
        "  'data': os.environ['GEOFM_DATA'], 'home': os.environ['GEOFM_HOME'],\n"
        "  'shared': str((here.parents[2] / 'shared' / 'data').resolve())}))\n"
    )
    root = tmp_path / "repo"
    commit = _git_repo(root, {"finetune/__init__.py": "", "finetune/build_data.py": builder})
    shared = tmp_path / "shared"
    (shared / "data").mkdir(parents=True)
    monkeypatch.setenv("GEOFM_DATA", str(shared))
    staged = load_stages(_staged(tmp_path, [_stage("a", commit=commit)]))
    build_stage_data(root, staged.stages[0], log=str)
    card = json.loads((root / "build/data_a/card.json").read_text())
    assert card["builder"] == str(root / "build/src" / commit / "finetune/build_data.py")
    assert card["data"] == str(shared.resolve())
    assert card["shared"] == str((shared / "data").resolve())
    assert card["home"] == str(root / "build/src" / f"{commit}.home")
    assert json.loads((root / "build/data_a/data_source.json").read_text()) == {
        "data_commit": commit
    }
    assert not plan(staged, root)[0].build_data  # built: reused next time
    assert [p.name for p in (root / "build").iterdir() if p.name.startswith(".")] == []


def test_the_data_build_needs_the_shared_data(tmp_path, monkeypatch):
    monkeypatch.setenv("GEOFM_DATA", str(tmp_path / "absent"))
    staged = load_stages(_staged(tmp_path, [_stage("a")]))
    with pytest.raises(BadInputError, match="set GEOFM_DATA"):
        build_stage_data(tmp_path, staged.stages[0], log=str)


# --- running a plan (data build and training injected) -------------------------


class Fakes:
    def __init__(self, root: Path, fail_on: str | None = None, report: bool = True):
        self.root, self.fail_on, self.report = root, fail_on, report
        self.calls: list[tuple[str, str, list[str]]] = []

    def build(self, root, stage, log):
        self.calls.append(("data", stage.name, []))
        _data(root, stage.name, stage.data_commit)

    def train(self, root, step, log):
        self.calls.append(("train", step.stage.name, step.overrides()))
        assert not (root / step.stage.output_dir / "old.txt").exists()
        if step.stage.name == self.fail_on:
            raise BadInputError("training failed")
        if step.init_adapter:
            assert (root / step.init_adapter / "train_report.json").exists()
        if self.report:
            _finish(root, step.stage.output_dir)


def test_run_builds_and_trains_in_order_and_skips_what_is_done(tmp_path):
    staged = _chain(tmp_path)
    _finish(tmp_path, "build/adapter_a")
    fakes = Fakes(tmp_path)
    lines: list[str] = []
    records = run(plan(staged, tmp_path), tmp_path, fakes.build, fakes.train, lines.append)
    assert [c[:2] for c in fakes.calls] == [
        ("data", "b"),
        ("train", "b"),
        ("data", "c"),
        ("train", "c"),
    ]
    assert fakes.calls[1][2][-1] == "init_adapter=build/adapter_a"
    assert fakes.calls[3][2][-1] == "init_adapter=build/adapter_b"
    assert [r["done"] for r in records] == ["skipped", "trained", "trained"]
    assert any("[1/3] a: skipped" in line for line in lines)
    # a second run has nothing left to do
    again = Fakes(tmp_path)
    run(plan(staged, tmp_path), tmp_path, again.build, again.train, log=str)
    assert again.calls == []


def test_from_stage_removes_the_finished_adapter_before_training(tmp_path):
    staged = _chain(tmp_path)
    for s in staged.stages:
        _finish(tmp_path, s.output_dir)
        _data(tmp_path, s.name, s.data_commit)
    (tmp_path / "build/adapter_c/old.txt").write_text("x")
    fakes = Fakes(tmp_path)
    run(plan(staged, tmp_path, from_stage=3), tmp_path, fakes.build, fakes.train, log=str)
    assert [c[:2] for c in fakes.calls] == [("train", "c")]  # data reused, old.txt gone


def test_a_failed_stage_stops_the_run(tmp_path):
    staged = _chain(tmp_path)
    fakes = Fakes(tmp_path, fail_on="b")
    with pytest.raises(BadInputError, match="training failed"):
        run(plan(staged, tmp_path), tmp_path, fakes.build, fakes.train, log=str)
    assert [c[:2] for c in fakes.calls][-1] == ("train", "b")
    silent = Fakes(tmp_path, report=False)
    with pytest.raises(BadInputError, match="without build/adapter_b/train_report.json"):
        run(plan(staged, tmp_path), tmp_path, silent.build, silent.train, log=str)


def test_install_copies_the_adapter_files_and_keeps_the_model_card(tmp_path):
    out = tmp_path / "build/adapter_c"
    for name in reproduce.ADAPTER_FILES:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(name)
    target = tmp_path / "agent/adapter"
    target.mkdir(parents=True)
    (target / "README.md").write_text("card")
    install(tmp_path, "build/adapter_c", "agent/adapter", log=str)
    assert (target / "README.md").read_text() == "card"
    assert (target / "adapter_model.safetensors").read_text() == "adapter_model.safetensors"
    with pytest.raises(BadInputError, match="no finished adapter"):
        install(tmp_path, "build/adapter_x", "agent/adapter", log=str)


def test_cli_has_the_reproduce_command():
    args = build_parser().parse_args(["finetune", "reproduce", "--dry-run", "--from-stage", "2"])
    assert args.func is run_from_args and args.dry_run and args.from_stage == 2
    assert Path(args.config) == DEFAULT_CONFIG


def test_module_errors_are_one_line(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    proc = subprocess.run(
        [sys.executable, "-m", "finetune.reproduce", "--config", str(bad), "--dry-run"],
        capture_output=True,
        text=True,
        cwd=reproduce.REPO,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().startswith("error: ") and "Traceback" not in proc.stderr
