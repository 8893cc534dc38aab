"""Rebuild the shipped LoRA adapter from the base model: every stage of a staged config.

    python -m finetune.reproduce                       # finetune/configs/shipped.json
    python -m finetune.reproduce --dry-run             # the plan and its expected time
    python -m finetune.reproduce --from-stage 3        # redo stage 3 and the ones after it
    python -m finetune.reproduce --install             # then copy the result to agent/adapter

A staged config lists training runs in order. Each stage names its training config, the
commit whose data builder (``finetune.build_data``) makes its data (``null``: this tree),
its output folder and its expected seconds on 2 CPU cores; it continues the stage before
it (``init_adapter``) unless it says otherwise (``"continues": "NAME"``, or ``null`` for
a fresh LoRA). For every stage still to do, the data are built into ``build/data_NAME``
(an older commit's builder runs in an export of that commit under ``build/src/``, with
this interpreter), then ``finetune.lora`` trains with the stage's config and
``--set train_file=... val_file=... output_dir=... init_adapter=...``.

A stage whose output folder holds a finished adapter (``train_report.json``) is skipped,
and so are the stages only it needed; finished data builds are reused; an interrupted
training resumes from its checkpoint. Rerunning the same command therefore continues
where it stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.errors import BadInputError, GeoFMError
from common.paths import geofm_data, geofm_home
from finetune.lora import LoraTrainConfig
from finetune.training_io import config_data

__all__ = [
    "Stage",
    "Step",
    "load_stages",
    "plan",
    "check_sources",
    "describe",
    "run",
    "install",
    "add_arguments",
    "run_from_args",
    "main",
]

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = REPO / "finetune" / "configs" / "shipped.json"
STAGE_KEYS = set("name config data_commit continues output_dir data_seconds train_seconds".split())
REQUIRED_STAGE_KEYS = {"name", "config", "data_commit", "output_dir"}
TOP_KEYS = {"stages", "install_to"}
# what --install copies; the model card (README.md) beside them stays as written
ADAPTER_FILES = (
    "adapter_config.json adapter_model.safetensors train_config.json train_report.json".split()
)
_SHAPE_KEYS = ("r", "alpha", "target_modules", "layers")
SOURCE_FILE = "data_source.json"  # beside a stage's data: which builder made them


@dataclass(frozen=True)
class Stage:
    """One training run of the chain; paths relative to the repository root."""

    name: str
    config: Path  # the training config file (absolute)
    data_commit: str | None  # None: this tree's data builder
    output_dir: str
    continues: str | None  # the stage whose adapter it starts from; None: a fresh LoRA
    data_seconds: float
    train_seconds: float

    @property
    def data_dir(self) -> str:
        return f"build/data_{self.name}"


@dataclass(frozen=True)
class Staged:
    path: Path
    stages: list[Stage]
    install_to: str | None


@dataclass(frozen=True)
class Step:
    """What the plan does with one stage."""

    number: int  # 1-based position in the config
    stage: Stage
    train: bool
    why: str  # why it is skipped, or "" when it trains
    build_data: bool  # False: finished data in build/data_NAME are reused
    init_adapter: str | None
    resume_step: int | None  # the checkpoint step an interrupted training resumes from
    replace: bool  # a finished adapter in the output folder is removed first (--from-stage)

    @property
    def expected_seconds(self) -> float:
        if not self.train:
            return 0.0
        return self.stage.train_seconds + (self.stage.data_seconds if self.build_data else 0.0)

    def overrides(self) -> list[str]:
        """The ``--set`` arguments of ``finetune.lora`` for this stage."""
        d = self.stage.data_dir
        return [
            f"train_file={d}/train.jsonl",
            f"val_file={d}/val.jsonl",
            f"output_dir={self.stage.output_dir}",
            f"init_adapter={self.init_adapter if self.init_adapter else 'null'}",
        ]


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise BadInputError(f"{what} must be a number of seconds >= 0, got {value!r}")
    return float(value)


def load_stages(path: str | Path = DEFAULT_CONFIG) -> Staged:
    """The stages of a staged config, checked: known keys, training configs that exist
    and read, unique names and output folders, and each stage continuing an earlier one
    with the same LoRA shape (r, alpha, target modules, layers)."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise BadInputError(f"cannot read the staged config {path}: {e}") from None
    if not isinstance(raw, dict):
        raise BadInputError(f"the staged config {path} must be a JSON object")
    raw = {k: v for k, v in raw.items() if not k.startswith("_")}
    unknown = set(raw) - TOP_KEYS
    if unknown:
        raise BadInputError(f"unknown keys {sorted(unknown)} in {path}; known: {sorted(TOP_KEYS)}")
    entries = raw.get("stages")
    if not isinstance(entries, list) or not entries:
        raise BadInputError(f"{path} needs a non-empty list 'stages'")
    stages: list[Stage] = []
    shapes: dict[str, dict[str, Any]] = {}
    for i, entry in enumerate(entries, 1):
        where = f"stage {i} of {path}"
        if not isinstance(entry, dict):
            raise BadInputError(f"{where} must be a JSON object")
        entry = {k: v for k, v in entry.items() if not k.startswith("_")}
        unknown = set(entry) - STAGE_KEYS
        if unknown:
            raise BadInputError(
                f"unknown keys {sorted(unknown)} in {where}; known: {sorted(STAGE_KEYS)}"
            )
        missing = REQUIRED_STAGE_KEYS - set(entry)
        if missing:
            raise BadInputError(f"{where} lacks {sorted(missing)}")
        name = entry["name"]
        if not isinstance(name, str) or not name.replace("_", "").replace("-", "").isalnum():
            raise BadInputError(f"{where}: name must be letters, digits, - or _, got {name!r}")
        where = f"stage {name!r} of {path}"
        if name in shapes:
            raise BadInputError(f"{where}: another stage has the same name")
        config = path.parent / str(entry["config"])
        if not config.is_file():
            raise BadInputError(f"{where}: training config {entry['config']} not found ({config})")
        settings = config_data(LoraTrainConfig, config)
        commit = entry["data_commit"]
        if commit is not None and (not isinstance(commit, str) or not commit.strip()):
            raise BadInputError(f"{where}: data_commit must be a commit or null, got {commit!r}")
        before = stages[-1].name if stages else None
        continues = entry.get("continues", before)
        if continues is not None and continues not in shapes:
            raise BadInputError(
                f"{where} continues {continues!r}, which is not a stage before it "
                f"(stages before it: {[s.name for s in stages] or 'none'})"
            )
        shape = {k: settings.get(k) for k in _SHAPE_KEYS}
        if continues is not None and shape != shapes[continues]:
            theirs = shapes[continues]
            diff = {k: (theirs[k], shape[k]) for k in shape if shape[k] != theirs[k]}
            raise BadInputError(
                f"{where}: its LoRA settings differ from those of {continues!r}, which it "
                f"continues (theirs, its own): {diff}"
            )
        out = str(entry["output_dir"]).rstrip("/")
        if any(s.output_dir == out for s in stages):
            raise BadInputError(f"{where}: another stage also writes to {out}")
        shapes[name] = shape
        stages.append(
            Stage(
                name=name,
                config=config,
                data_commit=commit.strip() if isinstance(commit, str) else None,
                output_dir=out,
                continues=continues,
                data_seconds=_number(entry.get("data_seconds", 0), f"{where}: data_seconds"),
                train_seconds=_number(entry.get("train_seconds", 0), f"{where}: train_seconds"),
            )
        )
    install_to = raw.get("install_to")
    if install_to is not None and not isinstance(install_to, str):
        raise BadInputError(f"install_to in {path} must be a folder or null")
    if install_to and any(s.output_dir == install_to.rstrip("/") for s in stages):
        raise BadInputError(f"{path}: install_to {install_to} is also a stage's output folder")
    return Staged(path=path, stages=stages, install_to=install_to)


def finished(root: Path, output_dir: str) -> bool:
    """Whether a finished adapter is in ``output_dir`` (training writes its report last)."""
    return (root / output_dir / "train_report.json").is_file()


def _data_ready(root: Path, stage: Stage) -> bool:
    """Whether ``build/data_NAME`` holds a finished build by the stage's data builder."""
    d = root / stage.data_dir
    try:
        source = json.loads((d / SOURCE_FILE).read_text())
    except (OSError, ValueError):
        return False
    files = all((d / f).is_file() for f in ("train.jsonl", "val.jsonl", "card.json"))
    return files and source == {"data_commit": stage.data_commit}


def _checkpoint_step(root: Path, output_dir: str) -> int | None:
    state = root / output_dir / "checkpoint" / "trainer_state.json"
    try:
        return int(json.loads(state.read_text())["step"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def plan(staged: Staged, root: Path = REPO, from_stage: int | None = None) -> list[Step]:
    """One step per stage. Working back from the last stage: a stage trains when it is
    not finished (or is at or after ``from_stage``, 1-based) and a later stage that
    trains needs it (the last stage always counts as needed)."""
    stages = staged.stages
    if from_stage is not None and not 1 <= from_stage <= len(stages):
        raise BadInputError(f"--from-stage must be 1 to {len(stages)}, got {from_stage}")
    redo = {s.name for s in stages[(from_stage or len(stages) + 1) - 1 :]}
    needed = {stages[-1].name}
    trains: dict[str, bool] = {}
    whys: dict[str, str] = {}
    for stage in reversed(stages):
        done = finished(root, stage.output_dir) and stage.name not in redo
        if stage.name not in needed:
            trains[stage.name] = False
            whys[stage.name] = "not needed: no stage still to train continues it"
        elif done:
            trains[stage.name] = False
            whys[stage.name] = f"{stage.output_dir} holds a finished adapter"
        else:
            trains[stage.name] = True
            whys[stage.name] = ""
            if stage.continues is not None:
                needed.add(stage.continues)
    by_name = {s.name: s for s in stages}
    steps = []
    for i, stage in enumerate(stages, 1):
        train = trains[stage.name]
        init = by_name[stage.continues].output_dir if stage.continues is not None else None
        replace = train and finished(root, stage.output_dir)
        steps.append(
            Step(
                number=i,
                stage=stage,
                train=train,
                why=whys[stage.name],
                build_data=train and not _data_ready(root, stage),
                init_adapter=init,
                resume_step=None
                if replace or not train
                else _checkpoint_step(root, stage.output_dir),
                replace=replace,
            )
        )
    return steps


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=False
    )


def check_sources(steps: list[Step], root: Path = REPO) -> None:
    """Refuse, with what to do, a plan whose data builds need commits this tree lacks."""
    commits = [s.stage.data_commit for s in steps if s.build_data and s.stage.data_commit]
    if not commits:
        return
    if shutil.which("git") is None:
        raise BadInputError(
            f"the data of stage(s) are made by the data builder of commits {commits}, which "
            "needs git and the repository's history; install git and clone the repository "
            "(git clone), then run this from the clone"
        )
    inside = _git(root, "rev-parse", "--show-toplevel")
    if inside.returncode != 0 or Path(inside.stdout.strip()).resolve() != root.resolve():
        raise BadInputError(
            f"{root} is not a git checkout (an unpacked release or sdist?): reproducing the "
            f"adapter builds older stages' data with the data builder of commits {commits}, "
            "which needs the repository's history. Clone the repository with git clone "
            "(not --depth) and run this from the clone"
        )
    for commit in commits:
        if _git(root, "rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}").returncode:
            shallow = _git(root, "rev-parse", "--is-shallow-repository").stdout.strip()
            hint = (
                "this clone is shallow: git fetch --unshallow"
                if shallow == "true"
                else "fetch the full history (git fetch origin) or check the commit in "
                "the staged config"
            )
            raise BadInputError(f"commit {commit} is not in this repository; {hint}")


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def describe(steps: list[Step], staged: Staged, root: Path = REPO) -> str:
    """The plan in words, with the expected time on 2 CPU cores."""
    n = len(steps)
    lines = [f"{n} stages in {_rel(staged.path, root)}:"]
    for step in steps:
        s = step.stage
        head = f"[{step.number}/{n}] {s.name} ({s.config.name})"
        if not step.train:
            lines.append(f"{head}: skip, {step.why}")
            continue
        again = " (removing the finished adapter there first)" if step.replace else ""
        lines.append(f"{head}: train into {s.output_dir}{again}")
        if step.build_data:
            source = f"commit {s.data_commit}" if s.data_commit else "this tree"
            lines.append(
                f"    data: build with the data builder of {source} into {s.data_dir} "
                f"(~{_duration(s.data_seconds)})"
            )
        else:
            lines.append(f"    data: reuse {s.data_dir}")
        start = f"continue {step.init_adapter}" if step.init_adapter else "a fresh LoRA"
        resume = f", resuming at step {step.resume_step}" if step.resume_step else ""
        lines.append(f"    training: {start}{resume} (~{_duration(s.train_seconds)})")
    todo = sum(step.expected_seconds for step in steps)
    full = sum(s.data_seconds + s.train_seconds for s in staged.stages)
    lines.append(
        f"Expected time on 2 CPU cores: {_duration(todo)} for this plan "
        f"({_duration(full)} for the whole chain from the base model)."
    )
    last = steps[-1].stage.output_dir
    lines.append(
        f"The result: {last}"
        + (f" (--install copies it to {staged.install_to})" if staged.install_to else "")
    )
    return "\n".join(lines)


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def export_commit(root: Path, commit: str) -> Path:
    """``build/src/COMMIT``: the files of ``commit`` (git archive), once. Beside it,
    ``build/src/shared`` points at the shared data, which older trees look for beside
    the repository (``../shared/data``) rather than in ``$GEOFM_DATA``."""
    src = root / "build" / "src"
    tree = src / commit
    src.mkdir(parents=True, exist_ok=True)
    shared = src / "shared"
    if shared.is_symlink() or not shared.exists():
        if shared.is_symlink():
            shared.unlink()
        shared.symlink_to(geofm_data().resolve(), target_is_directory=True)
    if tree.is_dir():
        return tree
    tmp = src / f".{commit}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    archive = tmp.with_suffix(".tar")
    with open(archive, "wb") as f:
        proc = subprocess.run(
            ["git", "-C", str(root), "archive", "--format=tar", commit],
            stdout=f,
            stderr=subprocess.PIPE,
            check=False,
        )
    if proc.returncode:
        raise BadInputError(f"git archive {commit} failed: {proc.stderr.decode().strip()}")
    with tarfile.open(archive) as t:
        t.extractall(tmp, filter="data")
    archive.unlink()
    tmp.rename(tree)
    return tree


def _home_for(root: Path, commit: str) -> Path:
    """A ``$GEOFM_HOME`` for an older tree: its own default index (an older builder
    rebuilds the index when the corpus differs; the user's stays as it is), the
    prepared models shared."""
    home = root / "build" / "src" / f"{commit}.home"
    home.mkdir(parents=True, exist_ok=True)
    models = geofm_home() / "models"
    link = home / "models"
    if models.is_dir() and not link.exists():
        link.symlink_to(models.resolve(), target_is_directory=True)
    return home


def build_stage_data(root: Path, stage: Stage, log: Callable[[str], None]) -> None:
    """Run the stage's data builder (``python -m finetune.build_data``) with this
    interpreter into ``build/data_NAME``, via a temporary folder renamed at the end."""
    data = geofm_data()
    if not (data / "data").is_dir():
        raise BadInputError(
            f"the data builder runs the tools on the real files in {data}/data, which is "
            "missing; set GEOFM_DATA to the shared data folder"
        )
    env = dict(os.environ, GEOFM_DATA=str(data.resolve()))
    if stage.data_commit:
        tree = export_commit(root, stage.data_commit)
        env["GEOFM_HOME"] = str(_home_for(root, stage.data_commit))
    else:
        tree = root
    out = root / stage.data_dir
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    # run in the tree: `-m` puts it first on sys.path, so its own modules are imported
    cmd = [sys.executable, "-m", "finetune.build_data", "--out", str(tmp)]
    log(f"    $ (cd {_rel(tree, root)} && python -m finetune.build_data --out {stage.data_dir})")
    if subprocess.run(cmd, cwd=tree, env=env, check=False).returncode:
        raise BadInputError(
            f"stage {stage.name}: the data build failed (its messages are above); "
            "fix the cause and run the same command again"
        )
    (tmp / SOURCE_FILE).write_text(json.dumps({"data_commit": stage.data_commit}) + "\n")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)


def train_stage(root: Path, step: Step, log: Callable[[str], None]) -> None:
    """``python -m finetune.lora --config CONFIG --set ...`` in a process of its own."""
    cfg = _rel(step.stage.config, root)
    sets = step.overrides()
    log(f"    $ python -m finetune.lora --config {cfg} --set {' '.join(sets)}")
    cmd = [sys.executable, "-m", "finetune.lora", "--config", str(step.stage.config), "--set"]
    if subprocess.run(cmd + sets, cwd=root, check=False).returncode:
        raise BadInputError(
            f"stage {step.stage.name}: training failed (its messages are above); run the "
            "same command again to resume from the last checkpoint"
        )


def run(
    steps: list[Step],
    root: Path = REPO,
    build_data: Callable[[Path, Stage, Callable[[str], None]], None] = build_stage_data,
    train: Callable[[Path, Step, Callable[[str], None]], None] = train_stage,
    log: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """Carry out a plan; returns one record per stage (what was done, seconds taken)."""
    n = len(steps)
    records = []
    for step in steps:
        s = step.stage
        rec: dict[str, Any] = {"stage": s.name, "done": "skipped", "seconds": 0.0}
        if not step.train:
            log(f"[{step.number}/{n}] {s.name}: skipped, {step.why}")
            records.append(rec)
            continue
        t0 = time.perf_counter()
        if step.build_data:
            source = f"commit {s.data_commit}" if s.data_commit else "this tree"
            log(
                f"[{step.number}/{n}] {s.name}: building the data with the builder of "
                f"{source} (~{_duration(s.data_seconds)} on 2 cores)"
            )
            build_data(root, s, log)
        else:
            log(f"[{step.number}/{n}] {s.name}: reusing the data in {s.data_dir}")
        out = root / s.output_dir
        if step.replace:
            log(f"    removing the finished adapter in {s.output_dir} (--from-stage)")
            shutil.rmtree(out)
        log(
            f"[{step.number}/{n}] {s.name}: training {s.config.name} "
            f"(~{_duration(s.train_seconds)} on 2 cores)"
        )
        train(root, step, log)
        if not finished(root, s.output_dir):
            raise BadInputError(
                f"stage {s.name}: training ended without {s.output_dir}/train_report.json"
            )
        rec.update(done="trained", seconds=round(time.perf_counter() - t0, 1))
        records.append(rec)
    return records


def install(root: Path, output_dir: str, target: str, log: Callable[[str], None] = print) -> None:
    """Copy the adapter files of ``output_dir`` over those in ``target`` (not its model card)."""
    src, dst = root / output_dir, root / target
    if not finished(root, output_dir):
        raise BadInputError(f"{output_dir} holds no finished adapter to install")
    dst.mkdir(parents=True, exist_ok=True)
    for name in ADAPTER_FILES:
        shutil.copy2(src / name, dst / name)
    log(f"installed {output_dir} into {target} ({', '.join(ADAPTER_FILES)})")


def summary(records: list[dict[str, Any]], steps: list[Step]) -> str:
    took = sum(r["seconds"] for r in records)
    expected = sum(s.expected_seconds for s in steps)
    parts = [
        f"{r['stage']} {r['done']}"
        + (
            f" in {_duration(r['seconds'])} (expected {_duration(s.expected_seconds)})"
            if r["seconds"]
            else ""
        )
        for r, s in zip(records, steps)
    ]
    return (
        f"Done: {'; '.join(parts)}. Took {_duration(took)} "
        f"(expected on 2 CPU cores: {_duration(expected)}). The adapter: {steps[-1].stage.output_dir}"
    )


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``python -m finetune.reproduce`` and ``geofm finetune reproduce``."""
    p.add_argument(
        "--config",
        default=str(DEFAULT_CONFIG),
        help="staged config (default: finetune/configs/shipped.json)",
    )
    p.add_argument(
        "--from-stage",
        type=int,
        metavar="N",
        help="redo stage N (1-based) and every stage after it, even if finished",
    )
    p.add_argument("--dry-run", action="store_true", help="print the plan and do nothing")
    p.add_argument(
        "--install",
        action="store_true",
        help="then copy the last stage's adapter files into the config's install_to "
        "(agent/adapter; its model card stays)",
    )


def run_from_args(args: argparse.Namespace, root: Path = REPO) -> int:
    staged = load_stages(args.config)
    steps = plan(staged, root, args.from_stage)
    print(describe(steps, staged, root), flush=True)
    check_sources(steps, root)
    if args.dry_run:
        print("(--dry-run: nothing was done)")
        return 0
    records = run(steps, root)
    print(summary(records, steps))
    if args.install:
        if not staged.install_to:
            raise BadInputError(f"{staged.path} names no install_to folder")
        install(root, steps[-1].stage.output_dir, staged.install_to)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m finetune.reproduce",
        description="Rebuild the shipped LoRA adapter from the base model, stage by stage.",
    )
    add_arguments(p)
    return run_from_args(p.parse_args(argv))


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except GeoFMError as e:
        print(f"error: {e}", file=sys.stderr)
        raise SystemExit(1) from None
