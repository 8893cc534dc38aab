"""The reports of the domain tools and of the app under load (relative impedance, the
seismology and potential-field tools, the well tie, the load benchmark): part of
``benchmarks.results_reports.REPORTS``."""

from __future__ import annotations

from benchmarks.report_spec import README, Figure, Report

__all__ = ["TOOL_REPORTS"]

TOOL_REPORTS: list[Report] = []


def _corr(label: str, row: int, target: str = "") -> Figure:
    return Figure(label, (f"rows.{row}.correlation",), "{0:.3f}", target)


TOOL_REPORTS += [
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
        "after a linear stretch of at most 3 %; then the tied log in 400 ms windows, each "
        "re-tied on its own, to tell a time-depth error (shifts that differ) from a "
        "mismatch a shift cannot mend; and against every trace of the line, to see how "
        "high a tie the line allows wherever the well sits. Then `invert_impedance` with the tied AI log "
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
                "400 ms windows from the log top, each re-tied on its own (shift, phase): "
                "correlation",
                tuple(f"windows.{i}.correlation" for i in range(5)),
                " / ".join(f"{{{i}:.2f}}" for i in range(5)),
                "0.6",
            ),
            Figure(
                "the same windows: residual shift after the default tie",
                tuple(f"windows.{i}.shift_ms" for i in range(5)),
                " / ".join(f"{{{i}:+.0f}}" for i in range(5)) + " ms",
            ),
            Figure(
                "every trace of the line, shift and phase: best (crossline), with the "
                "stretch; traces at 0.6 or more",
                (
                    "line_scan.max_correlation_shift",
                    "line_scan.best.0.crossline",
                    "line_scan.best.0.correlation_after_stretch",
                    "line_scan.traces_reaching_target",
                    "line_scan.traces",
                ),
                "{0:.2f} ({1}), {2:.2f}; {3} of {4}",
                "0.6",
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
    *(
        Report(
            f"invert_request_{backend}.json",
            f"Inversion requests through the agent, {backend} backend",
            f"Inversion requests, {backend}",
            "Two requests through `GeoAgent.ask` with the 534 x 1501 NPRA 31-81 stack "
            "attached (no well): the routing decisions, reading the SEG-Y, the inversion, "
            "its figure and the report, after a warm-up question; median of three runs.",
            (
                Figure(
                    '"Invert this stack for acoustic impedance." (read, invert)',
                    ("rows.0.median_s",),
                    "{0:.2f} s",
                    "≤ 10 s",
                ),
                Figure(
                    '"Run a post-stack inversion using a 25 Hz Ricker and display the '
                    'impedance." (read, invert, plot)',
                    ("rows.1.median_s",),
                    "{0:.2f} s",
                    "≤ 10 s",
                ),
            ),
        )
        for backend in ("transformers", "llamacpp")
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


TOOL_REPORTS += [
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
                "failed tool steps in the processing answers",
                ("summary.processing.tool_failures", "summary.processing.answers"),
                "{0} in {1} answers",
            ),
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
                "the app process: file-backed RSS peak, threads first / last / most",
                (
                    "rss_app_process_file_backed.peak_mb",
                    "app_threads.first",
                    "app_threads.last",
                    "app_threads.max",
                ),
                "{0:.0f} MB; {1} / {2} / {3}",
            ),
            Figure(
                "RSS slope over the second half: the app process, its tool workers",
                (
                    "rss_app_process.second_half_slope_mb_per_min",
                    "rss_workers.second_half_slope_mb_per_min",
                ),
                "{0:.0f}, {1:.0f} MB/min",
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

_ALL = "interpolation.summary.all"
_REAL = "real.summary.lines"
TOOL_REPORTS += [
    Report(
        "geofm_independent.json",
        "GeoFM interpolation and faults on data unlike their training data",
        "GeoFM heads, independent set",
        "The frozen independent set (`benchmarks/data/geofm_independent`: 12 wave-equation "
        "and 12 layered convolutional sections from generators that share nothing with "
        "the heads' training generators, each with 30 % random, runs of 2-6 and every-third "
        "dead traces) and the held-out real windows (the last third of NPRA 31-81 and of "
        "F3 inline 362). SNR of the whole section, dB, mean [95 % interval]; 'best "
        "classical' is the classical method with the highest mean. 'Self-checked' is "
        "`geofm_interpolate` as shipped: it hides live traces and keeps the best of GeoFM, "
        "linear, POCS and MSSA. Faults: pixel F1 on the clean sections.",
        (
            Figure(
                "interpolation: best classical, its mean",
                (f"{_ALL}.best_classical", f"{_ALL}.best_classical_mean"),
                "{0}, {1:.2f} dB",
            ),
            Figure(
                "GeoFM head alone minus best classical; worst case",
                (
                    f"{_ALL}.geofm_gain.mean",
                    f"{_ALL}.geofm_gain.low",
                    f"{_ALL}.geofm_gain.high",
                    f"{_ALL}.geofm_gain.worst",
                ),
                "{0:+.2f} [{1:+.2f}, {2:+.2f}] dB; {3:+.2f}",
                "+1.5 dB; none below -0.5",
            ),
            Figure(
                "self-checked minus best classical; worst case",
                (
                    f"{_ALL}.checked_gain.mean",
                    f"{_ALL}.checked_gain.low",
                    f"{_ALL}.checked_gain.high",
                    f"{_ALL}.checked_gain.worst",
                ),
                "{0:+.2f} [{1:+.2f}, {2:+.2f}] dB; {3:+.2f}",
                "+1.5 dB; none below -0.5",
                tables=(README,),
            ),
            Figure(
                "held-out real lines: self-checked minus best classical",
                (
                    f"{_REAL}.best_classical",
                    f"{_REAL}.checked_gain.mean",
                    f"{_REAL}.geofm_gain.mean",
                ),
                "{0}: {1:+.2f} dB (head alone {2:+.2f})",
                "+1.0 dB",
            ),
            Figure(
                "faults, layered sections: GeoFM pixel F1 (within 2 traces); attribute at "
                "its best threshold",
                (
                    "faults.layered.geofm_f1_pixel.0",
                    "faults.layered.geofm_f1_2traces.0",
                    "faults.layered.attribute_best_f1_pixel",
                ),
                "{0:.2f} ({1:.2f}); {2:.2f}",
                "0.7 (0.85), above the attribute",
                tables=(README,),
            ),
            Figure(
                "faults, wave-equation sections: GeoFM pixel F1 (within 2 traces); attribute",
                (
                    "faults.wave.geofm_f1_pixel.0",
                    "faults.wave.geofm_f1_2traces.0",
                    "faults.wave.attribute_best_f1_pixel",
                ),
                "{0:.2f} ({1:.2f}); {2:.2f}",
                "0.7 (0.85)",
            ),
            Figure(
                "throughput against f-x deconvolution's: interpolation head, self-checked tool",
                ("throughput.geofm_vs_fx", "throughput.checked_vs_fx"),
                "{0:.2f}x, {1:.2f}x",
                "0.25x",
            ),
        ),
    ),
]
