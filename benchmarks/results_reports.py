"""The reports on the results pages and the figures read from each (see
benchmarks.results_table, which renders them). To add a report, commit it under
docs/results/ and add a ``Report`` with its ``Figure`` rows here (the domain tools' and
the load benchmark's: benchmarks.results_reports_tools)."""

from __future__ import annotations

from benchmarks.report_spec import CARD, P50_P95, RATE_CI, README, Figure, Report
from benchmarks.results_reports_followups import FOLLOWUP_REPORTS
from benchmarks.results_reports_tools import TOOL_REPORTS

__all__ = ["Figure", "Report", "REPORTS", "UNREPORTED", "FE_PAGE"]

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
BLIND3_SET = (
    " The set, `benchmarks/data/routing_blind_3.jsonl` (105 requests, 0-4 calls each, "
    "all 24 reflection-seismic, well, inversion and literature tools, 7 needing no tool), "
    "was written blind (from the tools' registry, schemas and docs, without the training "
    "phrasings or the other sets, in varied registers) after the shipped adapter's "
    "training data were fixed, and frozen before the adapter was scored on it. This is "
    "its one scoring; its errors have been read since (the adapter's model card lists "
    "them), so a later adapter needs a new blind set."
)
BLIND4_SET = (
    " The set, `benchmarks/data/routing_blind_4.jsonl` (115 requests, 0-4 calls each, "
    "all 24 reflection-seismic, well, inversion and literature tools, 7 needing no tool), "
    "was written blind like blind set 3, after the shipped adapter was trained, and "
    "frozen (committed) before it was scored. Its errors have since been read (to write "
    "the named-settings rules of `agent/named_settings.py`): it is a tuning set now."
)
BLIND5_SET = (
    " The set, `benchmarks/data/routing_blind_5.jsonl` (111 requests, 0-4 calls each, "
    "all 24 reflection-seismic, well, inversion and literature tools at least twice, all "
    "seven setups, 10 needing no tool), was written blind like blind set 4 (from the "
    "tools' registry, schemas and docstrings, the shared data's README and the scorer's "
    "code) and frozen (committed) before it was scored. Its errors have not been read."
)
DOMAIN_SET_2 = (
    " The set, `benchmarks/data/routing_domains_blind_2.jsonl` (94 requests: 48 "
    "earthquake seismology, 43 gravity and magnetics with `gravity_corrections`, 3 "
    "reflection-seismic controls), was written blind like the first domain set and "
    "frozen before it was scored; the adapter's training phrasings for these tools were "
    "not read, and no request is a near copy of one. The domain comes from the files or "
    "the words (`agent/domains.py`), then the model chooses among that domain's tools."
)


DOMAIN_SET = (
    " The set, `benchmarks/data/routing_domains_blind_1.jsonl` (81 requests: 37 "
    "earthquake seismology, 36 gravity and magnetics, 8 reflection or literature "
    "controls), was written blind (from the tools' schemas and docs, without the domain "
    "router's example requests) and frozen before it was scored. The adapter's "
    "seismology and potential-field training tasks were written after it, and the data "
    "builder leaves out any training phrasing within 0.8 similarity of its requests. "
    "The domain comes from the files or the words (`agent/domains.py`), then the model "
    "chooses among that domain's tools."
)

DOMAIN_SET_3 = (
    " The set, `benchmarks/data/routing_domains_blind_3.jsonl` (98 requests: 47 "
    "earthquake seismology, 41 gravity and magnetics with `gravity_corrections`, 5 "
    "reflection-seismic or literature controls, 5 needing no tool), was written blind "
    "like the first two, after the shipped adapter was trained, and frozen (committed) "
    "before it was scored. Its errors have not been read."
)
DOMAIN_SET_4 = (
    " The set, `benchmarks/data/routing_domains_blind_4.jsonl` (97 requests: 48 "
    "earthquake seismology, 44 gravity and magnetics, 5 reflection-seismic or literature "
    "controls, 5 needing no tool; every seismology and potential-field tool at least five "
    "times), was written blind like the first three and frozen (committed) before it was "
    "scored. Its errors have not been read."
)


def _settled(tables: tuple[str, ...]) -> Figure:
    """Argument accuracy of the decisions with the right tool, after the settings the
    request names in words fill the call (as the agent runs it; ``agent.named_settings``);
    only reports measured with the rule have it."""
    return Figure(
        "argument accuracy, as the agent runs the call (right tool)",
        ("argument_accuracy_settled",),
        "{0:.3f}",
        "0.90",
        tables,
    )


def _routing(
    file: str,
    title: str,
    short: str,
    measures: str,
    command: str,
    tables: tuple[str, ...],
    latency_tables: tuple[str, ...],
    extra: tuple[Figure, ...] = (),
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
            *extra,
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
                "p50 ≤ 2.5 s",
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
        "qa2_default.json",
        "Literature QA, second frozen set, transformers backend",
        "Literature QA, set 2",
        (README,),
        (),
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
        (CARD,),
        (README,),
    ),
    _routing(
        "routing_llamacpp.json",
        "Tool routing, main set, llama.cpp backend",
        "Tool routing, main set, llama.cpp",
        MAIN_SET,
        "python -m benchmarks.routing --backend llamacpp --e2e "
        "--out docs/results/routing_llamacpp.json",
        (README, CARD),
        (README,),
        (_settled((CARD,)),),
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
        (_settled((CARD,)),),
    ),
    _routing(
        "routing_blind3_llamacpp.json",
        "Tool routing, blind set 3, llama.cpp backend",
        "Tool routing, blind set 3",
        BLIND3_SET,
        "python -m benchmarks.routing --backend llamacpp --e2e "
        "--data benchmarks/data/routing_blind_3.jsonl "
        "--out docs/results/routing_blind3_llamacpp.json",
        (CARD,),
        (),
    ),
    _routing(
        "routing_blind4_llamacpp.json",
        "Tool routing, blind set 4, llama.cpp backend",
        "Tool routing, blind set 4",
        BLIND4_SET,
        "python -m benchmarks.routing --backend llamacpp --e2e "
        "--data benchmarks/data/routing_blind_4.jsonl "
        "--out docs/results/routing_blind4_llamacpp.json",
        (CARD,),
        (),
        (_settled((CARD,)),),
    ),
    _routing(
        "routing_blind5_llamacpp.json",
        "Tool routing, blind set 5, llama.cpp backend",
        "Tool routing, blind set 5",
        BLIND5_SET,
        "python -m benchmarks.routing --backend llamacpp --e2e "
        "--data benchmarks/data/routing_blind_5.jsonl "
        "--out docs/results/routing_blind5_llamacpp.json",
        (README, CARD),
        (),
        (_settled((README, CARD)),),
    ),
    _routing(
        "routing_blind5_transformers.json",
        "Tool routing, blind set 5, transformers backend",
        "Tool routing, blind set 5, transformers",
        BLIND5_SET,
        "python -m benchmarks.routing --e2e --data benchmarks/data/routing_blind_5.jsonl "
        "--out docs/results/routing_blind5_transformers.json",
        (README, CARD),
        (README,),
        (_settled((README, CARD)),),
    ),
    _routing(
        "routing_domains_llamacpp.json",
        "Tool routing, seismology and potential fields (blind set), llama.cpp backend",
        "Tool routing, seismology and potential fields",
        DOMAIN_SET,
        "python -m benchmarks.routing --backend llamacpp --e2e "
        "--data benchmarks/data/routing_domains_blind_1.jsonl "
        "--out docs/results/routing_domains_llamacpp.json",
        (CARD,),
        (),
        (Figure("domain right (requests with tool calls)", ("domain_accuracy",), "{0:.3f}"),),
    ),
    _routing(
        "routing_domains2_llamacpp.json",
        "Tool routing, seismology and potential fields (blind set 2), llama.cpp backend",
        "Tool routing, seismology and potential fields, blind set 2",
        DOMAIN_SET_2,
        "python -m benchmarks.routing --backend llamacpp --e2e "
        "--data benchmarks/data/routing_domains_blind_2.jsonl "
        "--out docs/results/routing_domains2_llamacpp.json",
        (CARD,),
        (),
        (Figure("domain right (requests with tool calls)", ("domain_accuracy",), "{0:.3f}"),),
    ),
    _routing(
        "routing_domains3_llamacpp.json",
        "Tool routing, seismology and potential fields (blind set 3), llama.cpp backend",
        "Tool routing, seismology and potential fields, blind set 3",
        DOMAIN_SET_3,
        "python -m benchmarks.routing --backend llamacpp --e2e "
        "--data benchmarks/data/routing_domains_blind_3.jsonl "
        "--out docs/results/routing_domains3_llamacpp.json",
        (CARD,),
        (),
        (
            Figure("domain right (requests with tool calls)", ("domain_accuracy",), "{0:.3f}"),
            _settled((CARD,)),
        ),
    ),
    _routing(
        "routing_domains4_llamacpp.json",
        "Tool routing, seismology and potential fields (blind set 4), llama.cpp backend",
        "Tool routing, seismology and potential fields, blind set 4",
        DOMAIN_SET_4,
        "python -m benchmarks.routing --backend llamacpp --e2e "
        "--data benchmarks/data/routing_domains_blind_4.jsonl "
        "--out docs/results/routing_domains4_llamacpp.json",
        (README, CARD),
        (),
        (
            Figure("domain right (requests with tool calls)", ("domain_accuracy",), "{0:.3f}"),
            _settled((README, CARD)),
        ),
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

REPORTS += FOLLOWUP_REPORTS
REPORTS += TOOL_REPORTS

UNREPORTED = """\
## Figures without a committed report

Retrieval quality, the seismic tools, the vision GeoFM, speed and scale have been
measured with the commands in [benchmarks/README.md](../benchmarks/README.md), but their
reports are not committed, so this page cannot regenerate them. Their figures, each with
the command that measured it, are in [measurements.md](measurements.md) and, for the
GeoFM weights, in their [model card](../tools/geofm/weights/README.md).
"""
