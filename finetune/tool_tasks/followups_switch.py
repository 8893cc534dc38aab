"""Follow-up conversations (part 4): the next request asks for a different step than the
turn before it ran (not the same tool again), terse parameter changes, a plot of one
earlier result among several, and a re-read of a file with corrected settings. Format:
finetune/followup_data.py."""

from __future__ import annotations

from finetune.tool_tasks.base import SYNTH, FollowUp, T, followup
from finetune.tool_tasks.followups import IL, INLINES, NP, RD

FOLLOWUPS: list[FollowUp] = [
    # ---- a new step on the newest of two synthetics -------------------------------------
    followup(
        "synth_twice_then_geofm",
        "none",
        T(
            [("make_synthetic", {"snr_db": "{s}"})],
            "Synthetic line with {s} dB SNR please.",
            "Model a test section, noise at {s} dB.",
        ),
        T(
            [("make_synthetic", {"n_faults": "{n}"})],
            "Make a fresh one with {n} faults.",
            "Build a second synthetic, {n} faults this time.",
            "another model line with {n} faults",
            "Could you generate one more section, this one with {n} faults?",
            "Next a {n}-fault synthetic.",
        ),
        T(
            [("geofm_denoise", {"data": "@2"})],
            "Clean the latest synthetic with the GeoFM denoiser.",
            "geofm denoising on the newer synthetic",
            "Could you put the newest section through the foundation-model denoiser?",
            "Now denoise that most recent synthetic using GeoFM.",
            "Run the learned denoiser on the last section you made.",
        ),
        s=(2, 4, 6),
        n=(3, 5),
    ),
    followup(
        "synth_gaps_then_fill",
        "none",
        T(
            [("make_synthetic", {"missing_fraction": "{m}"})],
            "A synthetic with {m} of its traces dead.",
            "Make a test line where a fraction {m} of the traces are missing.",
        ),
        T(
            [("geofm_interpolate", {"data": "@1"})],
            "Now reconstruct the dead traces with GeoFM.",
            "geofm interpolation on it",
            "Have the foundation model infill the empty traces.",
            "Fill those gaps in with the foundation model, please.",
            "Restore the missing traces using the GeoFM interpolator.",
        ),
        m=(0.2, 0.3, 0.5),
    ),
    followup(
        "synth_plot_labels",
        "none",
        T(
            [("make_synthetic", {"n_faults": "{n}"}), ("plot_section", {"data": "@1"})],
            "A {n}-fault synthetic, plotted.",
            "Generate a test line with {n} faults and a figure of its noisy section.",
        ),
        T(
            [("plot_section", {"data": "@1.4"})],
            "Now plot the fault labels.",
            "show the fault mask as well",
            "Could you display the true fault locations of that model?",
            "And a picture of the fault label section, please.",
            "Let me see where the faults really are: plot the labels.",
        ),
        n=(2, 3, 4),
    ),
    followup(
        "synth_fx_plot_clean",
        "none",
        T(
            [SYNTH, ("fx_decon", {"data": "@1"})],
            "Make a noisy synthetic and f-x decon it.",
            "Synthetic line, then fx deconvolution on it.",
        ),
        T(
            [("plot_section", {"data": "@1.2"})],
            "Plot the noise-free model section.",
            "show the clean version of the synthetic",
            "Could you draw the synthetic before any noise was added?",
            "I'd like a plot of the clean section for reference.",
            "Display the true signal of that synthetic.",
        ),
    ),
    # ---- terse parameter changes -------------------------------------------------------
    followup(
        "faults_threshold_terse",
        "f3",
        T(
            [IL, ("geofm_faults", {"data": "@1", "threshold": 0.5})],
            "GeoFM faults on inline {il}, threshold 0.5.",
            "Segment faults on inline {il} with a 0.5 cutoff.",
        ),
        T(
            [("geofm_faults", {"data": "@1", "threshold": "{t}"})],
            "{t}?",
            "try {t}",
            "what about {t} then",
            "And at {t}?",
            "Lower, {t}.",
        ),
        il=INLINES,
        t=(0.2, 0.3, 0.35),
    ),
    followup(
        "rank_terse",
        "npy",
        T(
            [NP, ("rank_reduction", {"data": "@1", "rank": 2})],
            "Rank 2 Cadzow on this array.",
            "Rank-reduce the section, keeping 2 singular values.",
        ),
        T(
            [("rank_reduction", {"data": "@1", "rank": "{k}"})],
            "{k}?",
            "rank {k} then",
            "hmm, how about {k}",
            "And with {k}?",
            "Now {k}.",
        ),
        k=(1, 4, 6),
    ),
    # ---- a different step after a run -------------------------------------------------
    followup(
        "spectrum_then_filter",
        "shot",
        T(
            [RD, ("spectrum", {"data": "@1"})],
            "What frequencies are in this gather? Show the spectrum.",
            "Spectrum of the shot record.",
        ),
        T(
            [("bandpass", {"data": "@1", "low_hz": "{lo}", "high_hz": "{hi}"})],
            "Good, now band-pass the gather {lo} to {hi} Hz.",
            "filter it {lo}-{hi} hz",
            "Based on that, keep {lo} to {hi} Hz of the record.",
            "OK, apply a {lo}-{hi} Hz bandpass to the gather.",
            "Cut the data to the {lo}-{hi} Hz band.",
        ),
        lo=(6, 10),
        hi=(70, 80),
    ),
    followup(
        "fk_write_then_info",
        "shot",
        T(
            [RD, ("fk_filter", {"data": "@1"})],
            "Dip-filter the ground roll off this shot.",
            "Apply an f-k filter to the gather.",
        ),
        T(
            [("write_segy", {"data": "@2"})],
            "Save the filtered gather as SEG-Y.",
            "Write the f-k result to a SEG-Y file.",
            "export it as segy",
            "Could you store the dip-filtered record in a SEG-Y file?",
            "Put that output into a SEG-Y.",
        ),
        T(
            [("segy_info", {"file": "@3"})],
            "Show me the headers of that new file.",
            "summarise the segy you wrote",
            "Could you inspect the file you just saved?",
            "Inspect the written SEG-Y: trace count, sample rate and so on.",
            "Check the header summary of the output file.",
        ),
    ),
    followup(
        "agc_plot_then_raw_beside",
        "shot",
        T(
            [RD, ("agc", {"data": "@1", "window_ms": "{w}"})],
            "AGC on this gather, {w} ms.",
            "Gain the shot record with a {w} ms window.",
        ),
        T(
            [("plot_section", {"data": "@2"})],
            "Plot the result.",
            "Show the gained gather.",
            "plot it",
            "Could I see the AGC output?",
            "Display what you got.",
        ),
        T(
            [("plot_comparison", {"before": "@1", "after": "@2"})],
            "Put the raw gather beside it.",
            "side by side with the input",
            "Could you show the ungained record next to the AGC one?",
            "Compare it with the gather before the gain.",
            "Now the original and the gained one together.",
        ),
        w=(100, 250),
    ),
    followup(
        "denoise_alone_then_removed",
        "f3",
        T(
            [IL, ("geofm_denoise", {"data": "@1"})],
            "Read inline {il} and denoise it with GeoFM.",
            "GeoFM denoising of inline {il}.",
        ),
        T(
            [("plot_section", {"data": "@2"})],
            "Plot just the denoised line.",
            "Show the cleaned inline on its own.",
            "plot the geofm output",
            "Could you draw the denoised section by itself?",
            "A picture of the cleaned line, please.",
        ),
        T(
            [("plot_comparison", {"before": "@1", "after": "@2"})],
            "Now what it took out: input against output.",
            "raw vs cleaned, with the difference",
            "Could you show how much noise was removed?",
            "Before and after please, so I can see the removed noise.",
            "Compare the original inline with the denoised one.",
        ),
        il=INLINES,
    ),
    followup(
        "fk_agc_plot_one",
        "shot",
        T(
            [RD, ("fk_filter", {"data": "@1"})],
            "F-k filter this gather.",
            "Remove the linear noise in the f-k domain.",
        ),
        T(
            [("agc", {"data": "@2", "window_ms": 150})],
            "Then AGC it, 150 ms.",
            "Gain the filtered one, 150 ms window.",
            "agc 150 ms on that",
            "Could you balance the f-k output with a 150 ms AGC?",
            "Next, 150 ms automatic gain control on the result.",
        ),
        T(
            [("plot_section", {"data": "@3", "clip_percentile": "{c}"})],
            "Show only the final gather, clip at {c}.",
            "plot the agc output, clip {c}",
            "Could you display the gained gather by itself, {c} percentile clip?",
            "A single plot of the last result please, clip {c}.",
            "Draw the AGC'd record alone with clipping at {c}.",
        ),
        c=(95, 97, 98),
    ),
    # ---- earlier data after a new file ------------------------------------------------
    followup(
        "new_array_then_first_again",
        "f3",
        T(
            [IL, ("fx_decon", {"data": "@1"})],
            "Inline {il}, f-x decon.",
            "Read inline {il} and clean it with f-x deconvolution.",
        ),
        T(
            [("import_array", {"file": "@f2"}), ("fx_decon", {"data": "@3"})],
            "Same for this array.",
            "Here's another section, same f-x decon.",
            "fx decon on this npy too",
            "Could you run the same denoising on the array I just attached?",
            "New file: apply f-x decon to it as well.",
            attach="npy",
        ),
        T(
            [("geofm_faults", {"data": "@2"})],
            "Next, GeoFM fault detection on the earlier denoised inline.",
            "faults on the cleaned cube line",
            "Could you segment faults in the inline result, not the array?",
            "Go back to the denoised inline and find its faults.",
            "Fault detection on the first denoised section, please.",
        ),
        il=INLINES,
    ),
    # ---- a file read again with corrected settings ------------------------------------
    followup(
        "ascii_reread_start",
        "inv",
        T(
            [("read_ascii_section", {"file": "@f1", "t0_ms": "{t}"})],
            "Load the ascii export; its first sample is at {t} ms.",
            "Read the text section with a start time of {t} ms.",
        ),
        T(
            [("read_ascii_section", {"file": "@f1"})],
            "Sorry, it starts at zero. Read it again.",
            "reload it from 0 ms",
            "My mistake: time zero is the first sample. Could you load it again?",
            "Read the export once more with the start at 0 ms.",
            "Redo the import with no time shift.",
        ),
        t=(50, 200),
    ),
    followup(
        "well_curve_switch",
        "inv",
        T(
            [("read_well_log", {"file": "@f2", "curve": "GR"})],
            "Read the gamma-ray curve from the LAS.",
            "Load GR from the well file.",
        ),
        T(
            [("read_well_log", {"file": "@f2", "curve": "{c}"})],
            "Now the {c} curve.",
            "{c} instead",
            "Could you load the {c} log from the same file?",
            "Switch to {c}, please.",
            "Same well, {c} this time.",
        ),
        c=("RHOB", "DT"),
    ),
]
