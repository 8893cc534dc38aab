"""The reports on the results pages and the figures read from each (see
benchmarks.results_table, which renders them). To add a report, commit it under
docs/results/ and add a ``Report`` with its ``Figure`` rows here."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Figure", "Report", "REPORTS", "UNREPORTED", "FE_PAGE"]


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

FOLLOWUPS_MEASURES = (
    "Multi-turn conversations through `GeoAgent.chat` on the blind set "
    "`benchmarks/data/followups_blind_1.jsonl` (2-5 turns each, written without reading "
    "the training phrasings; the errors of its first 12 conversations have been read). "
    "Each turn is scored on the state left by correct earlier turns: the right tool(s), "
    "the right arguments, the right workspace ids, and questions about earlier results "
    "answered from the record without a tool call. How to run it: "
    "[benchmarks/README.md](../benchmarks/README.md)."
)


def _followup_rate(label: str, path: str, target: str = "") -> Figure:
    return Figure(label, (path,), RATE_CI, target, (CARD,) if target else ())


REPORTS += [
    Report(
        "followups_transformers.json",
        "Follow-up turns, blind set 1, transformers backend",
        "Follow-ups, blind set 1",
        FOLLOWUPS_MEASURES,
        (
            _followup_rate("follow-up turns: routing", "follow_up_turns.routing", "0.90"),
            _followup_rate("follow-up turns: arguments", "follow_up_turns.arguments", "0.85"),
            _followup_rate(
                "follow-up turns: right workspace ids", "follow_up_turns.workspace_ids", "0.95"
            ),
            _followup_rate("follow-up turns: whole turn right", "follow_up_turns.turn_right"),
            _followup_rate("record answers (no tool call)", "follow_up_turns.record_answers"),
            _followup_rate("all turns: whole turn right", "all_turns.turn_right"),
            _followup_rate("conversations entirely right", "conversation_right"),
            Figure(
                "turn latency p50: first turns / follow-ups",
                ("turn_latency_s",),
                "{0[first_turn_p50]:.2f} / {0[follow_up_p50]:.2f} s",
            ),
        ),
        command="python -m benchmarks.followups --out docs/results/followups_transformers.json",
    ),
]


def _corr(label: str, row: int, target: str = "") -> Figure:
    return Figure(label, (f"rows.{row}.correlation",), "{0:.3f}", target)


REPORTS += [
    Report(
        "relative_impedance.json",
        "Relative impedance from a stack alone (no well)",
        "Relative impedance, no well",
        "`invert_impedance` without a well log or impedance model, on two synthetic "
        "generators (`make_section` with a 25 Hz Ricker; blocky dipping layers convolved "
        "with a 30 Hz Ormsby wavelet), clean and with noise at 10 dB. The score is the "
        "correlation over the section with the true ln(AI) minus its trend below 4 Hz, "
        "cut at the top of the seismic band the tool reports. Every method tried is in "
        "the report.",
        (
            _corr("default (model-based, statistical wavelet), make_section, clean", 0, "0.85"),
            _corr("default, blocky layers, clean", 10, "0.85"),
            _corr("default, make_section, 10 dB", 5),
            _corr("default, blocky layers, 10 dB", 15),
            _corr("coloured inversion, make_section, clean", 4),
            _corr("coloured inversion, blocky layers, clean", 14),
        ),
    ),
    Report(
        "well_tie.json",
        "Well tie at F3 inline 362, well F02-1",
        "Well tie, F3 F02-1",
        "`tie_well` on F3 inline 362 with well F02-1 at crossline 336 (sonic and density "
        "through the checkshot; density below 1650 kg/m3 replaced by Gardner's relation): "
        "synthetic-seismic correlation over the log before the tie, after the bulk shift and "
        "after a linear stretch of at most 3 %. Then `invert_impedance` with the tied AI log "
        "as background and the tie wavelet, compared at the same well: not blind.",
        (
            Figure(
                "tie correlation before / after shift / after stretch (statistical wavelet)",
                (
                    "rows.0.correlation_before",
                    "rows.0.correlation_shift",
                    "rows.0.correlation_after",
                ),
                "{0:.2f} / {1:.2f} / {2:.2f}",
                "0.6",
            ),
            Figure(
                "shift, stretch, phase (statistical wavelet)",
                ("rows.0.shift_ms", "rows.0.stretch_pct", "rows.0.wavelet_phase_deg"),
                "{0:+.0f} ms, {1:+.1f} %, {2:.0f} deg",
            ),
            Figure(
                "least-squares well wavelet: tie correlation after stretch, phase",
                ("rows.2.correlation_after", "rows.2.wavelet_phase_deg"),
                "{0:.2f}, {1:.0f} deg",
                "0.6",
            ),
            Figure(
                "impedance at the well vs log in the wavelet band (not blind); relative",
                (
                    "inversion.0.well_correlation",
                    "inversion.0.well_band_hz",
                    "inversion.0.well_relative_correlation",
                ),
                "{0:.2f} (0-{1:.0f} Hz); {2:.2f}",
                "0.7",
            ),
        ),
    ),
    Report(
        "seismology_picks.json",
        "Earthquake P onsets on synthetic events",
        "P onsets, synthetic events",
        "P onsets picked by the seismology tools' methods (ObsPy) on seeded synthetic "
        "three-component events at 100 Hz with SNR 5-20 dB (RMS of the P signal's first "
        "second over the noise RMS); a pick is right within 0.05 s of the true onset. The "
        "STA/LTA and Baer settings were tuned on another seed of the same generator.",
        (
            Figure(
                "STA/LTA trigger onset within 0.05 s",
                ("methods.sta_lta.fraction_within_tolerance",),
                "{0:.3f}",
                "0.90",
            ),
            Figure(
                "Baer-Kradolfer within 0.05 s",
                ("methods.baer.fraction_within_tolerance",),
                "{0:.3f}",
                "0.90",
            ),
            Figure("AR-AIC within 0.05 s", ("methods.ar.fraction_within_tolerance",), "{0:.3f}"),
            Figure("events", ("n_events",), "{0}"),
        ),
    ),
    Report(
        "potential_fields.json",
        "Potential-field filters on prism models",
        "Potential fields, prism models",
        "The gravity and magnetic tools against fields forward-modelled by Harmonica on "
        "cubes (101 x 101 nodes at 200 m): upward continuation against the field modelled "
        "at the new height (RMS error over the field's RMS), reduction to the pole at "
        "inclination 45 degrees against the field modelled at the pole, and Euler depths "
        "against the cube's centre.",
        (
            Figure(
                "upward continuation, worst RMS error",
                ("targets.upward_max_rms_error_pct",),
                "{0:.2f} %",
                "< 2 %",
            ),
            Figure(
                "reduction to the pole, lowest correlation",
                ("targets.rtp_min_correlation",),
                "{0:.4f}",
                "0.95",
            ),
            Figure(
                "Euler depth, worst error",
                ("targets.euler_max_abs_depth_error_pct",),
                "{0:.2f} %",
                "10 %",
            ),
        ),
    ),
]


def _kind(kind: str) -> Figure:
    return Figure(
        f"{kind}: answers / requests, errors, leaks, p50 / p95",
        tuple(f"summary.{kind}.{k}" for k in ("answers", "requests", "errors", "leaks"))
        + (f"summary.{kind}.p50_s", f"summary.{kind}.p95_s"),
        "{0}/{1}, {2} errors, {3} leaks, {4:.1f} / {5:.1f} s",
    )


REPORTS += [
    Report(
        "load.json",
        "Load: simulated users of the chat app",
        "Load, 8 users",
        "The real app (embedded model, default index, app defaults: 2 answers at once, 16 "
        "waiting) and simulated users, each in its own session, through the HTTP API a "
        "browser uses, for a fixed time: half attach a SEG-Y and ask for processing, half "
        "ask literature questions, one browser tab asks through the chat box. Latency "
        "includes the wait for a free slot. Memory is the app's process tree (the app and "
        "its tool workers). How to run it: [benchmarks/README.md](../benchmarks/README.md).",
        (
            Figure("users, minutes", ("users", "minutes"), "{0}, {1}"),
            _kind("processing"),
            _kind("literature"),
            Figure(
                "busy replies (processing, literature)",
                ("summary.processing.busy", "summary.literature.busy"),
                "{0}, {1}",
            ),
            Figure("peak RSS of the process tree", ("rss.peak_mb",), "{0:.0f} MB", "4096 MB"),
            Figure(
                "RSS slope over the second half, flat",
                ("rss.second_half_slope_mb_per_min", "rss.flat"),
                "{0:.0f} MB/min, {1}",
                "flat",
            ),
            Figure(
                "peak PSS (shared pages counted once), flat",
                ("pss.peak_mb", "pss.flat"),
                "{0:.0f} MB, {1}",
            ),
            Figure(
                "targets: no errors, no leaks",
                ("targets.no_errors", "targets.no_leaks"),
                "{0}, {1}",
                "True, True",
            ),
        ),
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
