"""The results pages, generated from the committed reports in docs/results/*.json.

Usage::

    python -m benchmarks.results_table           # rewrite docs/results.md and the tables
    python -m benchmarks.results_table --check   # exit 1 if any of them differs

Writes ``docs/results.md``, one section per report (what it measures, the command, date,
machine and revision as the report records them, the headline figures with their 95 %
intervals where the report has them, and the targets), and the compact table between
``<!-- results:begin -->`` and ``<!-- results:end -->`` in each file of ``TABLES``.
Nothing is typed in by hand: every value is read from a report through a row of
``REPORTS``. To add a report, commit it under docs/results/ and add a ``Report`` with its
``Figure`` rows. A report that keeps several runs (a ``runs`` list) is read from its
latest run, and the page says so and lists every run.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Figure", "Report", "REPORTS", "TABLES", "value", "generate", "main"]

ROOT = Path(__file__).resolve().parents[1]
RESULTS = "docs/results"
PAGE = "docs/results.md"
TABLES = ["README.md", "agent/adapter/README.md", "docs/formationeval.md"]
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
NOT_RECORDED = "not recorded in the report"


@dataclass(frozen=True)
class Figure:
    """One number on the page: ``fmt`` (a ``str.format`` template) over the values at
    ``paths`` (dotted paths into the report or its latest run; a path ``a*b`` is the
    product of two numbers rounded to a whole count, a rate times its denominator).
    ``tables`` names the files whose compact table shows it too."""

    label: str
    paths: tuple[str, ...]
    fmt: str
    target: str = ""
    tables: tuple[str, ...] = ()


@dataclass(frozen=True)
class Report:
    """A committed report (``file`` under docs/results/) and the figures read from it.
    ``command`` regenerates a report that does not record its own; ``run_columns`` are
    figures shown for every run of a report that keeps several."""

    file: str
    title: str
    short: str
    measures: str
    figures: tuple[Figure, ...]
    command: str = ""
    run_columns: tuple[Figure, ...] = ()


# A rate with its Wilson 95 % interval and counts, as benchmarks.qa writes it.
RATE_CI = "{0[rate]:.2f} [{0[ci95][0]:.2f}–{0[ci95][1]:.2f}] ({0[k]}/{0[n]})"
P50_P95 = "{0[p50]:.2f} / {0[p95]:.2f} s"
README, CARD = "README.md", "agent/adapter/README.md"

QA_MEASURES = (
    "Literature questions through the whole agent (retrieval, the model's routing decision, "
    "the composed answer), scored against rubrics written before any answer was seen, on "
    "the frozen set `benchmarks/data/qa_literature.jsonl`: questions the default corpus "
    "covers and questions it does not. Rubric accuracy counts covered questions whose "
    "answer holds every required concept; citation precision the cited pages that hold "
    'the answer; abstention the uncovered questions answered "not covered". Latency is '
    "one whole question at a time on the machine named below. How to run it: "
    "[benchmarks/README.md](../benchmarks/README.md)."
)


def _qa(
    file: str, title: str, short: str, tables: tuple[str, ...], latency_tables: tuple[str, ...]
) -> Report:
    return Report(
        file,
        title,
        short,
        QA_MEASURES,
        (
            Figure("rubric accuracy", ("summary.rubric_accuracy",), RATE_CI, "0.80", tables),
            Figure("concept coverage", ("summary.concept_coverage",), RATE_CI),
            Figure("citation precision", ("summary.citation_precision",), RATE_CI, "0.90", tables),
            Figure(
                'uncovered questions answered "not covered"',
                ("summary.abstention_uncovered",),
                RATE_CI,
                "0.90",
                tables,
            ),
            Figure(
                "covered questions wrongly refused", ("summary.wrongly_refused_covered",), RATE_CI
            ),
            Figure("answer page retrieved first", ("summary.retrieval_recall_at_1",), RATE_CI),
            Figure(
                "answer page among the k retrieved", ("summary.retrieval_recall_at_k",), RATE_CI
            ),
            Figure(
                "questions routed to a tool",
                ("summary.routed_to_tool",),
                RATE_CI,
                "",
                (CARD,) if CARD in tables else (),
            ),
            Figure(
                "latency per question, p50 / p95",
                ("summary.latency_s",),
                P50_P95,
                "",
                latency_tables,
            ),
        ),
    )


ROUTING_MEASURES = (
    "Whether the model picks the right tool with the right arguments. Each gold plan runs "
    "for real first; every decision is then scored on that exact history. Routing "
    "accuracy counts decisions with the right tool (or `answer`); argument accuracy, of "
    "the decisions with the right tool, those with the right arguments; a whole plan is "
    "right when every decision is; end to end, the agent loop runs free and must make "
    "exactly the gold calls and answer. Latency is wall time on the machine it ran on. "
    "How to run it: [benchmarks/README.md](../benchmarks/README.md)."
)
MAIN_SET = (
    " The main set, `benchmarks/data/routing_requests.jsonl`, is not blind: many "
    "of the adapter's training phrasings were written after reading earlier "
    "adapters' errors on it."
)
HELDOUT_SET = (
    " The held-out set, `benchmarks/data/routing_heldout.jsonl`, was written "
    "without reading the training phrasings, and no training data was written "
    "from it. Its errors have been read since (the adapter's model card lists "
    "them), so a later adapter needs a new held-out set."
)


def _routing(
    file: str,
    title: str,
    short: str,
    measures: str,
    command: str,
    tables: tuple[str, ...],
    latency_tables: tuple[str, ...],
) -> Report:
    def rate(
        label: str, key: str, n: str, target: str = "", where: tuple[str, ...] = tables
    ) -> Figure:
        return Figure(label, (key, f"{key}*{n}", n), "{0:.3f} ({1}/{2})", target, where)

    return Report(
        file,
        title,
        short,
        ROUTING_MEASURES + measures,
        (
            rate("routing accuracy (decisions)", "routing_accuracy", "decisions", "0.95"),
            Figure(
                "argument accuracy (right tool)", ("argument_accuracy",), "{0:.3f}", "", (CARD,)
            ),
            rate("whole plan right (requests)", "plan_accuracy", "requests", "", (CARD,)),
            rate("end-to-end success (requests)", "end_to_end_success", "requests"),
            Figure("routing decision, p50 / p95", ("decision_latency_s",), P50_P95),
            Figure(
                "request with one or two tool calls, p50 / p95",
                ("one_or_two_tool_latency_s", "one_or_two_tool_latency_s.n"),
                "{0[p50]:.2f} / {0[p95]:.2f} s ({1} requests)",
                "",
                latency_tables,
            ),
        ),
        command=command,
    )


def _mc_pair(metric: str) -> tuple[str, ...]:
    return (f"geofm.{metric}.accuracy", f"lm_eval.{metric}")


MC_MEASURES = (
    "Four-option multiple choice, scored as `geofm bench run --mc-format FORMAT` does "
    "(benchmarks/multiple_choice.py): `harness` is lm-evaluation-harness's zero-shot "
    "framing (`acc` the summed log-likelihood, `acc_norm` per character); `rag` the same "
    "after the retrieved passages; `evidence` no language model, the choice the default "
    "literature index supports best. Chance is 0.25. "
)
FE_SET = (
    "The set is FormationEval v0.1 (505 questions, CC BY 4.0; "
    "[formationeval.md](formationeval.md)), an external benchmark that no geofm model "
    "was trained or tuned on; a question can carry several domains. Its right answer is "
    "often the longest choice, which favours length-normalised scores (the baseline is in "
    "formationeval.md)."
)
OWN_SET = (
    "The set is geofm's own `benchmarks/suites/geophysics_mc.jsonl` (168 questions written "
    "from the default corpus's pages, so retrieval has the answer's page to find)."
)
FE_DOMAINS = (
    "Geophysics",
    "Petrophysics",
    "Petroleum Geology",
    "Sedimentology",
    "Reservoir Engineering",
    "Drilling Engineering",
    "Production Engineering",
)
ACC_CI = "{0[accuracy]:.3f} [{0[ci95][0]:.2f}–{0[ci95][1]:.2f}] ({0[correct]}/{0[n]})"
FE_PAGE = "docs/formationeval.md"


def _mc(
    file: str, title: str, short: str, fe: bool, norm: bool, readme: tuple[str, ...] = ()
) -> Report:
    """A `geofm bench run` report on multiple choice: overall, and per domain on
    FormationEval (whose runs all go to its page's table); ``norm`` when the scorer has
    an ``acc_norm``; ``readme`` the labels of the figures the README shows too."""

    def fig(label: str, path: str, target: str = "") -> Figure:
        on_page = fe and (label in ("acc", "acc_norm") or label.endswith("Geophysics"))
        where = ((FE_PAGE,) if on_page else ()) + ((README,) if label in readme else ())
        return Figure(label, (path,), ACC_CI, target, where)

    geo = "0.45 (Geophysics)" if fe else ""
    figs = [fig("acc", "summary.overall", "" if fe else "0.45")]
    if norm:
        figs.append(fig("acc_norm", "summary.acc_norm.overall"))
    if fe:
        figs.append(fig("acc, Geophysics", "summary.per_tag.Geophysics", geo))
        if norm:
            figs.append(fig("acc_norm, Geophysics", "summary.acc_norm.per_tag.Geophysics", geo))
        figs += [fig(f"acc, {d}", f"summary.per_tag.{d}") for d in FE_DOMAINS[1:]]
    return Report(file, title, short, MC_MEASURES + (FE_SET if fe else OWN_SET), tuple(figs))


REPORTS = [
    _qa(
        "qa_default.json",
        "Literature QA, transformers backend",
        "Literature QA",
        (README, CARD),
        (README,),
    ),
    _qa(
        "qa_llamacpp.json",
        "Literature QA, llama.cpp backend",
        "Literature QA, llama.cpp",
        (),
        (README,),
    ),
    _routing(
        "routing_transformers.json",
        "Tool routing, main set, transformers backend",
        "Tool routing, main set",
        MAIN_SET,
        "python -m benchmarks.routing --e2e --out docs/results/routing_transformers.json",
        (README, CARD),
        (README,),
    ),
    _routing(
        "routing_llamacpp.json",
        "Tool routing, main set, llama.cpp backend",
        "Tool routing, main set, llama.cpp",
        MAIN_SET,
        "python -m benchmarks.routing --backend llamacpp --e2e "
        "--out docs/results/routing_llamacpp.json",
        (CARD,),
        (README,),
    ),
    _routing(
        "routing_heldout_llamacpp.json",
        "Tool routing, held-out set, llama.cpp backend",
        "Tool routing, held-out set",
        HELDOUT_SET,
        "python -m benchmarks.routing --backend llamacpp --e2e "
        "--data benchmarks/data/routing_heldout.jsonl "
        "--out docs/results/routing_heldout_llamacpp.json",
        (README, CARD),
        (),
    ),
    Report(
        "mc_lm_eval_check.json",
        "Multiple choice: geofm's scorer against lm-evaluation-harness",
        "Multiple-choice scorer check",
        "geofm's log-likelihood multiple-choice scorer (`geofm bench run --mc-format "
        "harness`) and the `lm_eval` package itself score the same suite with the same "
        "model; the target is agreement within 0.01 on `acc` and `acc_norm`. Chance is "
        "0.25 with four options.",
        (
            Figure(
                "acc, geofm / lm_eval (latest run)",
                _mc_pair("acc"),
                "{0:.3f} / {1:.3f}",
                "",
                (README,),
            ),
            Figure(
                "acc, geofm, with its 95 % interval",
                ("geofm.acc",),
                "{0[accuracy]:.3f} [{0[ci95][0]:.2f}–{0[ci95][1]:.2f}] ({0[correct]}/{0[n]})",
            ),
            Figure("acc_norm, geofm / lm_eval", _mc_pair("acc_norm"), "{0:.3f} / {1:.3f}"),
            Figure(
                "questions scored differently, acc / acc_norm",
                ("agreement.questions_acc_differs", "agreement.questions_acc_norm_differs"),
                "{0} / {1}",
            ),
            Figure(
                "largest per-choice log-likelihood difference",
                ("agreement.max_abs_loglik_diff",),
                "{0:g}",
            ),
            Figure(
                "acc and acc_norm agree within the tolerance",
                ("agreement.agree", "agreement.tolerance"),
                "{0} (tolerance {1})",
                "within 0.01",
            ),
        ),
        run_columns=(
            Figure("suite", ("suite",), "`{0}`"),
            Figure("domain", ("domain",), "{0}"),
            Figure("adapter", ("adapter",), "{0}"),
            Figure("n", ("n",), "{0}"),
            Figure("acc, geofm / lm_eval", _mc_pair("acc"), "{0:.3f} / {1:.3f}"),
            Figure("acc_norm, geofm / lm_eval", _mc_pair("acc_norm"), "{0:.3f} / {1:.3f}"),
            Figure("agree", ("agreement.agree",), "{0}"),
        ),
    ),
]

REPORTS += [
    _mc(
        "mc_geophysics_rag.json",
        "Multiple choice, geofm suite, passages in the context",
        "Multiple choice, geofm suite, rag",
        fe=False,
        norm=True,
        readme=("acc_norm",),
    ),
    _mc(
        "mc_geophysics_evidence.json",
        "Multiple choice, geofm suite, literature evidence",
        "Multiple choice, geofm suite, evidence",
        fe=False,
        norm=False,
        readme=("acc",),
    ),
    _mc(
        "mc_formationeval_harness.json",
        "FormationEval v0.1, harness framing, base model",
        "FormationEval, harness",
        fe=True,
        norm=True,
    ),
    _mc(
        "mc_formationeval_harness_adapter.json",
        "FormationEval v0.1, harness framing, base model + geofm adapter",
        "FormationEval, harness + adapter",
        fe=True,
        norm=True,
    ),
    _mc(
        "mc_formationeval_rag.json",
        "FormationEval v0.1, passages in the context, base model",
        "FormationEval, rag",
        fe=True,
        norm=True,
    ),
    _mc(
        "mc_formationeval_rag_adapter.json",
        "FormationEval v0.1, passages in the context, base model + geofm adapter",
        "FormationEval, rag + adapter",
        fe=True,
        norm=True,
        readme=("acc_norm, Geophysics",),
    ),
    _mc(
        "mc_formationeval_evidence.json",
        "FormationEval v0.1, literature evidence",
        "FormationEval, evidence",
        fe=True,
        norm=False,
    ),
]

UNREPORTED = """\
## Figures without a committed report

Retrieval quality, the seismic tools, the vision GeoFM, speed and scale have been
measured with the commands in [benchmarks/README.md](../benchmarks/README.md), but their
reports are not committed, so this page cannot regenerate them. Their figures, each with
the command that measured it, are in [measurements.md](measurements.md) and, for the
GeoFM weights, in their [model card](../tools/geofm/weights/README.md).
"""


def _get(data: Any, path: str) -> Any:
    if "*" in path:
        a, b = (_get(data, p) for p in path.split("*"))
        return round(a * b)
    for key in path.split("."):
        data = data[key]
    return data


def _fmt(fmt: str, values: list[Any]) -> str:
    return fmt.format(*["—" if v is None else "none" if v == [] else v for v in values])


def latest(data: dict[str, Any]) -> dict[str, Any]:
    """The run the figures come from: the report itself, or its latest run."""
    return data["runs"][-1] if "runs" in data else data


def value(report: Report | str, path: str, root: Path = ROOT) -> Any:
    """The value at ``path`` in a committed report (its latest run): for tests and for
    texts that quote a figure."""
    file = report.file if isinstance(report, Report) else report
    return _get(latest(_load(root, file)), path)


def _load(root: Path, file: str) -> dict[str, Any]:
    return json.loads((root / RESULTS / file).read_text())


def _figure(fig: Figure, run: dict[str, Any]) -> str:
    return _fmt(fig.fmt, [_get(run, p) for p in fig.paths])


def _anchor(title: str) -> str:
    """GitHub's heading anchor."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def _section(report: Report, data: dict[str, Any]) -> list[str]:
    run = latest(data)
    rel = f"results/{report.file}"
    lines = [
        f"## {report.title}",
        "",
        report.measures,
        "",
        f"- Report: [{RESULTS}/{report.file}]({rel})",
    ]
    if "runs" in data:
        lines.append(
            f"- Runs in the report: {len(data['runs'])}; the figures below are from "
            f"the latest ({run.get('date', NOT_RECORDED)}), and every run is "
            "listed after them."
        )
    if run.get("command"):
        lines.append(f"- Command: `{run['command']}`")
    else:
        lines.append(f"- Command: {NOT_RECORDED}; this one regenerates it: `{report.command}`")
    for key in ("date", "machine", "revision"):
        lines.append(f"- {key.capitalize()}: {run.get(key) or NOT_RECORDED}")
    if run.get("model") or run.get("label"):
        lines.append(f"- Model: {run.get('label') or run.get('model')}")
    lines += ["", "| figure | value | target |", "|---|---|---|"]
    lines += [f"| {f.label} | {_figure(f, run)} | {f.target or '—'} |" for f in report.figures]
    if report.run_columns and "runs" in data:
        lines += [
            "",
            "Every run, oldest first:",
            "",
            "| date | " + " | ".join(c.label for c in report.run_columns) + " |",
            "|---|" + "---|" * len(report.run_columns),
        ]
        lines += [
            "| "
            + " | ".join([r.get("date", "—")] + [_figure(c, r) for c in report.run_columns])
            + " |"
            for r in data["runs"]
        ]
    return lines + [""]


def render_page(root: Path = ROOT) -> str:
    """docs/results.md."""
    lines = [
        "# Results",
        "",
        "<!-- Generated by `python -m benchmarks.results_table` from docs/results/*.json;"
        " do not edit by hand. -->",
        "",
        "Every figure on this page is read from a committed report under "
        "[docs/results/](results/), written by the command named with it. Rates are "
        "followed, where the report has them, by the Wilson 95 % interval [low–high] "
        "and the counts (k/n). Timings are wall time on the machine named, often a "
        "2-core CPU shared with other jobs, so they are upper bounds.",
        "",
    ]
    lines += [f"- [{r.title}](#{_anchor(r.title)})" for r in REPORTS]
    lines.append("")
    for report in REPORTS:
        lines += _section(report, _load(root, report.file))
    return "\n".join(lines) + "\n" + UNREPORTED


def render_table(target: str, root: Path = ROOT) -> str:
    """The compact table of ``target`` (a file of ``TABLES``), markers included."""
    up = "../" * target.count("/")
    lines = [BEGIN, "| benchmark | figure | value | report |", "|---|---|---|---|"]
    for report in REPORTS:
        run = latest(_load(root, report.file))
        for fig in report.figures:
            if target in fig.tables:
                lines.append(
                    f"| [{report.short}]({up}{PAGE}#{_anchor(report.title)}) | "
                    f"{fig.label} | {_figure(fig, run)} | "
                    f"[{report.file}]({up}{RESULTS}/{report.file}) |"
                )
    return "\n".join(lines + [END])


def _replace_block(text: str, block: str, name: str) -> str:
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"{name}: no {BEGIN} ... {END} block to fill")
    return text[:start] + block + text[end + len(END) :]


def generate(root: Path = ROOT) -> dict[Path, str]:
    """What each generated file should hold, by path."""
    out = {root / PAGE: render_page(root)}
    for target in TABLES:
        path = root / target
        out[path] = _replace_block(path.read_text(), render_table(target, root), target)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.results_table", description=__doc__.split("\n\n")[0]
    )
    ap.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if a generated file differs from the reports",
    )
    ap.add_argument("--root", type=Path, default=ROOT, help="repository root")
    args = ap.parse_args(argv)
    stale = []
    for path, text in generate(args.root).items():
        if path.exists() and path.read_text() == text:
            continue
        stale.append(path.relative_to(args.root))
        if not args.check:
            path.write_text(text)
    for p in stale:
        print(f"{p}: {'differs from the reports' if args.check else 'rewritten'}")
    if args.check and stale:
        print("run `python -m benchmarks.results_table` and commit the result", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
