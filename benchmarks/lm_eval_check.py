"""Cross-check geofm's multiple-choice scorer against lm-evaluation-harness itself.

Scores one suite with one model twice, with the scorer behind `geofm bench run --mode
loglik --mc-format harness` (benchmarks.multiple_choice) and with the `lm_eval` package
(`--model hf`, the task in benchmarks/lm_eval_tasks/geofm_mc.yaml), prints acc and
acc_norm side by side with the per-question agreement, and writes a JSON report (date,
machine, command, revision). The target is agreement within 0.01 on acc and acc_norm.

Usage (from the repository root; lm_eval comes with `pip install -e '.[dev]'`):

    python -m benchmarks.lm_eval_check --adapter none       # geophysics_mc.jsonl, raw model
    python -m benchmarks.lm_eval_check --adapter none \\
        --suite ../shared/data/benchmarks/formationeval_v0.1.json --domain Geophysics
    python -m benchmarks.lm_eval_check --adapter default    # + geofm LoRA (lm_eval's peft=)

`--model` takes 'embedded' (default) or a transformers directory; `--threads N` caps the
torch threads of both runs; `--batch-size` is lm_eval's (default 8); `--limit N` the
first N questions; `--domain D` keeps FormationEval questions listing domain D; `--out F`
the report (default docs/results/mc_lm_eval_check.json; runs of other suites or models
already in it are kept); `--workdir D` keeps lm_eval's task copy, data and outputs.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

from agent.config import ModelConfig
from agent.models import resolve_adapter, resolve_model_dir
from benchmarks.report import provenance
from benchmarks.runner import run_cases, summarize
from benchmarks.suite import LETTERS, load_suite, parse_case
from common.errors import BadInputError

__all__ = ["main", "suite_file", "compare_runs"]

ROOT = Path(__file__).resolve().parents[1]
TASK_YAML = ROOT / "benchmarks" / "lm_eval_tasks" / "geofm_mc.yaml"
DEFAULT_SUITE = ROOT / "benchmarks" / "suites" / "geophysics_mc.jsonl"
DEFAULT_OUT = ROOT / "docs" / "results" / "mc_lm_eval_check.json"
TOLERANCE = 0.01


def _items(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        items = json.loads(text)
        return items.get("questions", items) if isinstance(items, dict) else items
    return [
        json.loads(line)
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("//")
    ]


def suite_file(suite: Path, domain: str | None, limit: int | None, workdir: Path) -> Path:
    """The JSONL both scorers read: ``suite`` itself when it is a JSONL used whole, else
    its questions (those listing ``domain``, the first ``limit``) written to ``workdir``
    as ``{id, question, choices, answer}`` with the answer as a letter."""
    if suite.suffix == ".jsonl" and domain is None and limit is None:
        return suite
    items = [i for i in _items(suite) if domain is None or domain in i.get("domains", ())]
    rows = []
    for n, item in enumerate(items[:limit], 1):
        case = parse_case(item, f"{suite.stem}-{n}")
        if not case.is_choice:
            continue
        assert case.answer_index is not None  # a multiple-choice case (suite.parse_case)
        rows.append(
            {
                "id": case.id,
                "question": case.question,
                "choices": list(case.choices),
                "answer": LETTERS[case.answer_index],
            }
        )
    if not rows:
        raise BadInputError(
            f"no multiple-choice questions in {suite}"
            + (f" with domain {domain!r}" if domain else "")
        )
    out = workdir / f"{suite.stem}{'-' + domain if domain else ''}.jsonl"
    out.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    return out


def run_geofm(data: Path, model: str, adapter: str, threads: int | None) -> dict[str, Any]:
    from agent.chat_model import LocalChatModel  # langchain: when a model runs

    cases, problems = load_suite(data)
    if problems:
        raise BadInputError(f"{data}: {len(problems)} malformed questions: {problems[:3]}")
    chat = LocalChatModel.from_config(ModelConfig(model=model, adapter=adapter, threads=threads))
    t0 = time.perf_counter()
    results = run_cases(cases, "loglik", chat_model=chat, mc_format="harness")
    summary = summarize(results)
    return {
        "acc": summary["overall"],
        "acc_norm": summary["acc_norm"]["overall"],
        "seconds": round(time.perf_counter() - t0, 1),
        "cases": [
            {
                "id": r.id,
                "acc": int(r.correct),
                "acc_norm": int(bool(r.correct_norm)),
                "loglik": r.choice_loglik,
                "error": r.detail if r.detail.startswith("error") else None,
            }
            for r in results
        ],
    }


def _rounded(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**c, "loglik": [round(x, 5) for x in c["loglik"]]} for c in cases]


def lm_eval_command(
    model_dir: Path, adapter: str | None, include: Path, out: Path, batch_size: int
) -> list[str]:
    exe = Path(sys.executable).with_name("lm_eval")
    args = f"pretrained={model_dir},dtype=float32" + (f",peft={adapter}" if adapter else "")
    return ([str(exe)] if exe.exists() else [sys.executable, "-m", "lm_eval"]) + [
        "run",
        "--model",
        "hf",
        "--model_args",
        args,
        "--tasks",
        "geofm_mc",
        "--include_path",
        str(include),
        "--device",
        "cpu",
        "--batch_size",
        str(batch_size),
        "--output_path",
        str(out),
        "--log_samples",
    ]


def run_lm_eval(
    data: Path,
    model_dir: Path,
    adapter: str | None,
    threads: int | None,
    batch_size: int,
    workdir: Path,
) -> dict[str, Any]:
    import yaml

    if importlib.util.find_spec("lm_eval") is None:
        raise BadInputError(
            "lm_eval is not installed: pip install -e '.[dev]' (or pip install 'lm-eval==0.4.13')"
        )
    task = yaml.safe_load(TASK_YAML.read_text())
    task["dataset_kwargs"]["data_files"]["test"] = str(data.resolve())
    include = workdir / "tasks"
    include.mkdir(exist_ok=True)
    (include / "geofm_mc.yaml").write_text(yaml.safe_dump(task, sort_keys=False))
    out = workdir / "lm_eval_out"
    cmd = lm_eval_command(model_dir, adapter, include, out, batch_size)
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "HF_DATASETS_CACHE": str(workdir / "hf_datasets"),
        "TOKENIZERS_PARALLELISM": "false",
    }
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=True)
    seconds = round(time.perf_counter() - t0, 1)
    results = json.loads(max(out.rglob("results_*.json"), key=os.path.getmtime).read_text())
    metrics = results["results"]["geofm_mc"]
    samples = [
        json.loads(line)
        for line in max(out.rglob("samples_geofm_mc_*.jsonl"), key=os.path.getmtime).open()
    ]
    samples.sort(key=lambda s: s["doc_id"])
    return {
        "acc": metrics["acc,none"],
        "acc_stderr": metrics.get("acc_stderr,none"),
        "acc_norm": metrics["acc_norm,none"],
        "acc_norm_stderr": metrics.get("acc_norm_stderr,none"),
        "n": len(samples),
        "seconds": seconds,
        "command": " ".join(cmd).replace(str(workdir), "WORKDIR"),
        "cases": [
            {
                "acc": int(s["acc"]),
                "acc_norm": int(s["acc_norm"]),
                "loglik": [float(r[0]) for r in s["filtered_resps"]],
            }
            for s in samples
        ],
    }


def compare_runs(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    """Differences in acc and acc_norm, the questions scored differently, and the largest
    per-choice log-likelihood difference; ``agree`` when both metrics are within 0.01."""
    a, b = ours["cases"], theirs["cases"]
    if len(a) != len(b):
        raise BadInputError(f"geofm scored {len(a)} questions, lm_eval {len(b)}")
    d_acc = ours["acc"]["correct"] / ours["acc"]["n"] - theirs["acc"]
    d_norm = ours["acc_norm"]["correct"] / ours["acc_norm"]["n"] - theirs["acc_norm"]
    d_ll = max(
        (abs(x - y) for p, q in zip(a, b) for x, y in zip(p["loglik"], q["loglik"])),
        default=float("nan"),
    )
    return {
        "acc_diff": round(d_acc, 4),
        "acc_norm_diff": round(d_norm, 4),
        "questions_acc_differs": [p["id"] for p, q in zip(a, b) if p["acc"] != q["acc"]],
        "questions_acc_norm_differs": [
            p["id"] for p, q in zip(a, b) if p["acc_norm"] != q["acc_norm"]
        ],
        "max_abs_loglik_diff": float(f"{d_ll:.3g}"),
        "tolerance": TOLERANCE,
        "agree": abs(d_acc) <= TOLERANCE + 1e-9 and abs(d_norm) <= TOLERANCE + 1e-9,
    }


def _table(run: dict[str, Any]) -> str:
    g, h, c = run["geofm"], run["lm_eval"], run["agreement"]
    lines = [
        f"{run['suite']}{' [' + run['domain'] + ']' if run['domain'] else ''}, "
        f"n={run['n']}, {run['model']} adapter={run['adapter']}",
        "| metric | geofm [95% CI] | lm_eval (± stderr) | diff |",
        "|---|---|---|---|",
    ]
    for m in ("acc", "acc_norm"):
        lo, hi = g[m]["ci95"]
        err = h.get(f"{m}_stderr")
        lines.append(
            f"| {m} | {g[m]['accuracy']:.4f} [{lo:.3f}-{hi:.3f}] | {h[m]:.4f}"
            f"{f' ± {err:.4f}' if isinstance(err, float) else ''} | "
            f"{c[m + '_diff']:+.4f} |"
        )
    lines.append(
        f"questions scored differently: acc {len(c['questions_acc_differs'])}, "
        f"acc_norm {len(c['questions_acc_norm_differs'])}; largest per-choice "
        f"log-likelihood difference {c['max_abs_loglik_diff']}; "
        f"{'AGREE' if c['agree'] else 'DISAGREE'} within {c['tolerance']}"
    )
    return "\n".join(lines)


def _save(out: Path, run: dict[str, Any]) -> None:
    report = json.loads(out.read_text()) if out.exists() else {}
    key = ("suite", "domain", "limit", "model", "adapter")
    runs = [r for r in report.get("runs", []) if any(r.get(k) != run[k] for k in key)]
    report = {
        "description": "geofm's harness-format multiple-choice scorer against "
        "lm-evaluation-harness on the same suite and model "
        "(python -m benchmarks.lm_eval_check)",
        "runs": runs + [run],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.lm_eval_check", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("--suite", default=str(DEFAULT_SUITE), help="JSONL suite or FormationEval JSON")
    p.add_argument("--domain", default=None, help="only FormationEval questions of this domain")
    p.add_argument("--limit", type=int, default=None, help="first N questions only")
    p.add_argument("--model", default="embedded", help="'embedded' or a transformers directory")
    p.add_argument(
        "--adapter",
        default="none",
        help="'none' (default, the raw model), 'default' (geofm's LoRA) or a dir",
    )
    p.add_argument("--threads", type=int, default=None, help="torch threads of both runs")
    p.add_argument("--batch-size", type=int, default=8, help="lm_eval's batch size")
    p.add_argument("--out", default=str(DEFAULT_OUT), help="report JSON")
    p.add_argument("--workdir", default=None, help="keep lm_eval's files here")
    args = p.parse_args(argv)

    config = ModelConfig(model=args.model, adapter=args.adapter, threads=args.threads)
    suite = Path(args.suite)
    if not suite.exists():
        raise BadInputError(f"suite {suite} not found")
    with tempfile.TemporaryDirectory(prefix="geofm-lm-eval-") as tmp:
        workdir = Path(args.workdir or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        data = suite_file(suite, args.domain, args.limit, workdir)
        ours = run_geofm(data, args.model, args.adapter, args.threads)
        theirs = run_lm_eval(
            data,
            resolve_model_dir(config),
            resolve_adapter(config),
            args.threads,
            args.batch_size,
            workdir,
        )

    def rel(path: Path) -> str:
        return str(os.path.relpath(path.resolve(), ROOT))

    run = {
        **provenance(),
        "command": " ".join(
            ["python -m benchmarks.lm_eval_check"] + (sys.argv[1:] if argv is None else argv)
        ),
        "suite": rel(suite),
        "domain": args.domain,
        "limit": args.limit,
        "n": len(ours["cases"]),
        "model": args.model,
        "adapter": args.adapter,
        "threads": args.threads,
        "versions": {name: version(name) for name in ("lm-eval", "torch", "transformers")},
        "geofm": {**ours, "cases": _rounded(ours["cases"])},
        "lm_eval": {**theirs, "cases": _rounded(theirs["cases"])},
        "agreement": compare_runs(ours, theirs),
    }  # at full precision
    print(_table(run))
    _save(Path(args.out), run)
    print(f"wrote {args.out}")
    return 0 if run["agreement"]["agree"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
