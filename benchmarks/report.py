"""Benchmark outputs: the results JSON, a Markdown report, a per-tag accuracy plot, and
side-by-side comparison of runs."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["table", "write_outputs", "compare", "provenance"]

ROOT = Path(__file__).resolve().parents[1]


def provenance() -> dict[str, str]:
    """Date (UTC), machine and git revision for a report file ("+dirty" when the working
    tree has uncommitted changes to tracked files). Benchmarks take it when they start,
    so that the revision is the one that ran."""

    def git(*a: str) -> str:
        return subprocess.run(
            ["git", *a], cwd=ROOT, text=True, capture_output=True, check=True
        ).stdout.strip()

    try:
        rev = git("rev-parse", "--short", "HEAD")
        rev += "+dirty" if git("status", "--porcelain", "--untracked-files=no") else ""
    except (OSError, subprocess.CalledProcessError):
        rev = "unknown"
    try:
        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            "",
        )
    except OSError:
        cpu = ""
    machine = (
        f"{platform.machine()}, {cpu or platform.processor() or platform.system()}, "
        f"{os.cpu_count()} cores"
    )
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "revision": rev,
    }


def _fmt(rate: dict[str, Any]) -> str:
    if not rate["n"]:
        return "—"
    lo, hi = rate["ci95"]
    return f"{rate['accuracy']:.3f} [{lo:.2f}–{hi:.2f}] (n={rate['n']})"


def table(summary: dict[str, Any], title: str = "") -> str:
    """A Markdown table: overall, per suite, per tag (with an acc_norm column when the run
    scored multiple choice by log-likelihood); then latency and parse failures."""
    norm = summary.get("acc_norm")

    def row(name: str, rate: dict[str, Any], kind: str, key: str) -> str:
        cells = f"| {name} | {_fmt(rate)} |"
        if norm:
            other = norm["overall"] if kind == "overall" else norm[kind].get(key)
            cells += f" {_fmt(other) if other else '—'} |"
        return cells

    head = "| group | accuracy [95% CI] |" + (" acc_norm [95% CI] |" if norm else "")
    rows = [
        f"### {title}" if title else "",
        "",
        head,
        "|---|---|" + ("---|" if norm else ""),
        row("**overall**", summary["overall"], "overall", ""),
    ]
    rows += [row(f"suite: {s}", r, "per_suite", s) for s, r in summary["per_suite"].items()]
    rows += [row(f"tag: {t}", r, "per_tag", t) for t, r in summary["per_tag"].items()]
    lat = summary["latency_s"]
    rows += [
        "",
        f"latency per case: p50 {lat['p50']} s, p95 {lat['p95']} s; "
        f"parse failures: {summary['parse_failures']}",
    ]
    return "\n".join(rows).strip()


def write_outputs(out: Path, run: dict[str, Any]) -> list[Path]:
    """``out`` (JSON), ``out.md`` and ``out.png``; returns the paths written."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(run, indent=1))
    md = out.with_suffix(".md")
    md.write_text(table(run["summary"], run.get("label", "")) + "\n")
    png = out.with_suffix(".png")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = {"overall": run["summary"]["overall"], **run["summary"]["per_tag"]}
    names = [g for g, r in groups.items() if r["n"]]
    acc = [groups[g]["accuracy"] for g in names]
    err = [
        [a - groups[g]["ci95"][0] for g, a in zip(names, acc)],
        [groups[g]["ci95"][1] - a for g, a in zip(names, acc)],
    ]
    fig, ax = plt.subplots(figsize=(max(4, 0.5 * len(names) + 2), 3.5))
    ax.bar(names, acc, yerr=err, capsize=3, color="#4477aa")
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy (95% CI)")
    ax.set_title(run.get("label", "benchmark"))
    ax.tick_params(axis="x", rotation=45)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)
    return [out, md, png]


def compare(runs: list[dict[str, Any]]) -> str:
    """Side-by-side Markdown of several result files (e.g. base vs LoRA, RAG on/off)."""
    labels = [r.get("label") or f"run {i + 1}" for i, r in enumerate(runs)]
    groups = ["overall"] + sorted({t for r in runs for t in r["summary"]["per_tag"]})
    rows = ["| group | " + " | ".join(labels) + " |", "|---" * (len(runs) + 1) + "|"]
    for g in groups:
        cells = []
        for r in runs:
            rate = r["summary"]["overall"] if g == "overall" else r["summary"]["per_tag"].get(g)
            cells.append(_fmt(rate) if rate else "—")
        rows.append(f"| {g} | " + " | ".join(cells) + " |")
    if any("acc_norm" in r["summary"] for r in runs):
        rows.append(
            "| overall acc_norm | "
            + " | ".join(
                _fmt(r["summary"]["acc_norm"]["overall"]) if "acc_norm" in r["summary"] else "—"
                for r in runs
            )
            + " |"
        )
    rows.append(
        "| latency p50 (s) | "
        + " | ".join(str(r["summary"]["latency_s"]["p50"]) for r in runs)
        + " |"
    )
    return "\n".join(rows)
