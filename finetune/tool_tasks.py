"""The tool-use tasks the fine-tuning data are generated from.

A task is a file setup (which real files are attached), a gold plan (tool calls whose
arguments may name attached files ``@f1``, ``@f2``…, artifacts of an earlier call, ``@1``
= the first of call 1, ``@1.2`` = its second, and slots ``{name}``) and several
phrasings of the request. Each phrasing is one *template*; splits are made by template, so a test phrasing never
appears in training. The hand-written routing benchmark (benchmarks/data) is separate
and shares no wording with these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Task", "TASKS", "SETUPS"]

# Which files a request comes with, relative to ../shared/data (``npy`` is generated).
SETUPS: dict[str, tuple[str, ...]] = {
    "none": (),
    "npra": ("segy/npra_31_81.sgy",),
    "f3": ("segy/f3_crop.sgy",),
    "shot": ("segy/land_shot_gather.sgy",),
    "inv": ("f3_inline362/export_inline362.ascii", "f3_inline362/F02-1_logs.las",
            "f3_inline362/F02-1_checkshot_TD.txt"),
    "npy": ("section.npy",),
}


@dataclass(frozen=True)
class Task:
    id: str
    setup: str
    calls: tuple[tuple[str, dict[str, Any]], ...]
    phrasings: tuple[str, ...]
    slots: dict[str, tuple[Any, ...]] = field(default_factory=dict)


def _t(id, setup, calls, phrasings, **slots) -> Task:
    return Task(id, setup, tuple((n, a) for n, a in calls), tuple(phrasings),
                {k: tuple(v) for k, v in slots.items()})


READ = ("read_segy", {"file": "@f1"})

TASKS: list[Task] = [
    # ---- headers and reading ---------------------------------------------------------
    _t("info", "npra", [("segy_info", {"file": "@f1"})], [
        "What is in this SEG-Y file?",
        "Summarize the headers of the attached file.",
        "How many traces and samples does this line have, and what is the sample rate?",
        "Give me the geometry and sample interval of this SEG-Y.",
        "Check the trace headers of my upload.",
        "Which sample format does this file use?",
        "Describe the attached seismic file.",
    ]),
    _t("info3d", "f3", [("segy_info", {"file": "@f1"})], [
        "What inline and crossline ranges does this cube cover?",
        "Tell me about this 3D survey file.",
        "Print the header summary of the attached volume.",
        "Is this a 2D or 3D file, and how long are the traces?",
        "Show the survey geometry of this SEG-Y.",
    ]),
    _t("read2d", "npra", [READ], [
        "Load this line.",
        "Read the traces of the attached SEG-Y into memory.",
        "Open the section so we can work on it.",
        "Import the seismic line.",
        "Read the data from my file.",
    ]),
    _t("read_inline", "f3", [("read_segy", {"file": "@f1", "inline": "{il}"})], [
        "Extract inline {il} from the cube.",
        "Read inline {il}.",
        "Load line {il} of this volume.",
        "Give me inline number {il} as a section.",
        "Pull out inline {il} from the 3D file.",
    ], il=(111, 115, 120, 122, 128, 133)),
    _t("read_xline", "f3", [("read_segy", {"file": "@f1", "crossline": "{xl}"})], [
        "Extract crossline {xl}.",
        "Read crossline {xl} from this cube.",
        "Load the crossline numbered {xl}.",
        "I need crossline {xl} as a 2D section.",
    ], xl=(875, 880, 884, 888, 892)),
    _t("read_slice", "f3", [("read_segy", {"file": "@f1", "time_ms": "{t}"})], [
        "Take a time slice at {t} ms.",
        "Read the horizontal slice at {t} ms two-way time.",
        "Extract the amplitude map at {t} ms from the cube.",
        "Slice the volume at t = {t} ms.",
    ], t=(100.0, 120.0, 160.0, 200.0, 240.0)),
    _t("plot_inline", "f3", [("read_segy", {"file": "@f1", "inline": "{il}"}),
                             ("plot_section", {"data": "@1"})], [
        "Show me inline {il}.",
        "Plot inline {il} of this cube.",
        "Display line {il} as an image.",
        "Make a picture of inline {il}.",
    ], il=(112, 118, 121, 125, 130)),
    _t("plot_slice", "f3", [("read_segy", {"file": "@f1", "time_ms": "{t}"}),
                            ("plot_section", {"data": "@1"})], [
        "Plot the time slice at {t} ms.",
        "Show a map view of the amplitudes at {t} ms.",
        "Display the {t} ms time slice.",
    ], t=(100.0, 140.0, 200.0, 260.0)),
    _t("plot2d", "npra", [READ, ("plot_section", {"data": "@1"})], [
        "Show me this section.",
        "Plot the attached line.",
        "Display the seismic so I can look at it.",
        "Make an image of the stack.",
        "Draw the section in grey scale.",
        "Visualise this 2D line.",
    ]),
    _t("plot2d_cmap", "npra", [READ, ("plot_section", {"data": "@1", "cmap": "{cmap}"})], [
        "Plot the section with the {cmap} colour map.",
        "Display this line using a {cmap} colormap.",
        "Show the stack in {cmap} colours.",
    ], cmap=("seismic", "gray", "viridis")),
    _t("plot_shot", "shot", [READ, ("plot_section", {"data": "@1"})], [
        "Plot this shot gather.",
        "Show me the gather.",
        "Display the field record.",
        "Let me see the raw shot.",
    ]),
    # ---- denoising -------------------------------------------------------------------
    _t("fx", "npra", [READ, ("fx_decon", {"data": "@1"})], [
        "Remove the random noise from this section with f-x deconvolution.",
        "Run fx decon on the line.",
        "Apply Canales f-x prediction filtering to attenuate random noise.",
        "Clean up the random noise using f-x decon and show before and after.",
        "Denoise this stack with f-x deconvolution.",
        "Suppress the incoherent noise with an fx prediction filter.",
        "Use f-x decon to improve the signal-to-noise ratio of this line.",
    ]),
    _t("fx_generic", "npra", [READ, ("fx_decon", {"data": "@1"})], [
        "Denoise this section.",
        "Remove the noise from the line and show me before and after.",
        "This stack is noisy; clean it up.",
        "Attenuate the random noise in my data.",
        "Can you improve the signal to noise of this seismic?",
        "Get rid of the background noise on this line.",
    ]),
    _t("fx_band", "npra", [READ, ("fx_decon", {"data": "@1", "fmax_hz": "{f}"})], [
        "Run f-x decon on this line up to {f} Hz.",
        "Apply fx deconvolution only below {f} Hz.",
        "Denoise with f-x decon, filtering frequencies up to {f} Hz.",
    ], f=(40.0, 50.0, 60.0, 80.0)),
    _t("fx_len", "npra", [READ, ("fx_decon", {"data": "@1", "filter_length": "{n}"})], [
        "Apply f-x decon with a {n}-trace prediction filter.",
        "Run fx decon using a filter length of {n} traces.",
        "F-x deconvolution please, with {n} traces in the prediction filter.",
    ], n=(3, 5, 6, 8)),
    _t("rank", "npra", [READ, ("rank_reduction", {"data": "@1"})], [
        "Denoise this line with rank reduction.",
        "Apply Cadzow filtering to the section.",
        "Use singular spectrum analysis to suppress random noise.",
        "Run an SSA/Cadzow denoise on the data.",
        "Remove random noise by f-x rank reduction.",
    ]),
    _t("rank_k", "npra", [READ, ("rank_reduction", {"data": "@1", "rank": "{k}"})], [
        "Apply rank-{k} Cadzow filtering.",
        "Run rank reduction keeping {k} events per window.",
        "Denoise with SSA using rank {k}.",
    ], k=(1, 3, 4, 5)),
    _t("median", "npra", [READ, ("median_filter", {"data": "@1"})], [
        "Apply a structure-oriented median filter.",
        "Run a dip-steered median filter on the section.",
        "Smooth the line along dip with a median filter.",
        "Use an edge-preserving median filter to clean the data.",
    ]),
    _t("median_plain", "npra", [READ, ("median_filter", {"data": "@1", "dip_steered": False})], [
        "Apply a plain median filter across traces, not dip-steered.",
        "Run a simple rectangular median filter.",
        "Median filter the section without following the dip.",
    ]),
    _t("spikes", "npra", [READ, ("median_filter", {"data": "@1"})], [
        "There are spikes in this data; remove them.",
        "Despike the section.",
        "Kill the isolated high-amplitude spikes on this line.",
    ]),
    _t("fx_inline", "f3", [("read_segy", {"file": "@f1", "inline": "{il}"}),
                           ("fx_decon", {"data": "@1"})], [
        "Denoise inline {il} with f-x deconvolution.",
        "Read inline {il} and remove its random noise.",
        "Clean up inline {il} using fx decon.",
    ], il=(113, 119, 124, 131)),
    # ---- filtering -------------------------------------------------------------------
    _t("bandpass", "npra", [READ, ("bandpass", {"data": "@1", "low_hz": "{lo}",
                                                "high_hz": "{hi}"})], [
        "Bandpass the line from {lo} to {hi} Hz.",
        "Apply a {lo}-{hi} Hz band-pass filter.",
        "Filter the section to keep {lo} to {hi} Hz.",
        "Keep only frequencies between {lo} and {hi} Hz.",
        "Run a Butterworth bandpass, {lo} Hz low cut and {hi} Hz high cut.",
    ], lo=(3.0, 5.0, 8.0, 10.0, 12.0), hi=(40.0, 45.0, 60.0, 70.0, 90.0)),
    _t("lowpass", "npra", [READ, ("bandpass", {"data": "@1", "low_hz": 0.0,
                                               "high_hz": "{hi}"})], [
        "Low-pass the section at {hi} Hz.",
        "Apply a high-cut filter at {hi} Hz.",
        "Remove everything above {hi} Hz.",
    ], hi=(30.0, 40.0, 50.0, 60.0)),
    _t("bandpass_default", "npra", [READ, ("bandpass", {"data": "@1"})], [
        "Bandpass filter this line.",
        "Apply a band-pass filter with the usual corners.",
        "Run a standard bandpass on the data.",
    ]),
    _t("agc", "npra", [READ, ("agc", {"data": "@1", "window_ms": "{w}"})], [
        "Apply AGC with a {w} ms window.",
        "Gain the section with automatic gain control, {w} ms.",
        "Balance the amplitudes with a {w} ms AGC.",
        "Run AGC using a {w} millisecond window.",
    ], w=(200.0, 250.0, 300.0, 400.0, 500.0, 1000.0)),
    _t("agc_default", "npra", [READ, ("agc", {"data": "@1"})], [
        "Apply AGC to the line.",
        "Boost the weak deep reflections with automatic gain control.",
        "Equalize the amplitudes of this section.",
    ]),
    _t("agc_shot", "shot", [READ, ("agc", {"data": "@1", "window_ms": "{w}"})], [
        "Apply a {w} ms AGC to the gather.",
        "Equalize the amplitudes of this shot record with a {w} ms window.",
    ], w=(25.0, 50.0, 100.0)),
    _t("agc_plot", "npra", [READ, ("agc", {"data": "@1"}), ("plot_section", {"data": "@2"})], [
        "Apply AGC and then plot the result.",
        "Gain the line with AGC and show it to me.",
        "Run automatic gain control, then display the section.",
    ]),
    _t("fk", "shot", [READ, ("fk_filter", {"data": "@1"})], [
        "Remove the ground roll from this gather with an f-k filter.",
        "Apply an FK dip filter to kill the steep linear noise.",
        "Attenuate the coherent linear noise in this shot.",
        "Suppress ground roll.",
        "Filter out the steeply dipping noise in the f-k domain.",
    ]),
    _t("fk_dip", "npra", [READ, ("fk_filter", {"data": "@1", "max_dip_ms_per_trace": "{p}"})], [
        "Apply an f-k filter that keeps dips below {p} ms per trace.",
        "Remove events steeper than {p} ms/trace.",
        "FK filter the line, passing dips up to {p} ms per trace.",
    ], p=(0.5, 1.0, 1.5, 3.0, 4.0)),
    # ---- analysis --------------------------------------------------------------------
    _t("spectrum", "npra", [READ, ("spectrum", {"data": "@1"})], [
        "What is the dominant frequency of this line?",
        "Show me the amplitude spectrum.",
        "Compute the frequency content of the section.",
        "What bandwidth does this data have?",
        "Plot the spectrum of the stack.",
        "Which frequencies are in this seismic?",
    ]),
    _t("spectrum_shot", "shot", [READ, ("spectrum", {"data": "@1"})], [
        "What frequencies are in this gather?",
        "Show the average amplitude spectrum of the shot.",
    ]),
    _t("wavelet", "npra", [READ, ("estimate_wavelet", {"data": "@1"})], [
        "Estimate the wavelet from this line.",
        "Extract a statistical wavelet from the data.",
        "What does the seismic wavelet look like here?",
        "Derive a zero-phase wavelet from the amplitude spectrum.",
    ]),
    _t("wavelet_len", "npra", [READ, ("estimate_wavelet", {"data": "@1",
                                                           "length_ms": "{n}"})], [
        "Estimate a {n} ms long wavelet from the section.",
        "Extract a statistical wavelet of {n} ms.",
    ], n=(64.0, 100.0, 160.0, 200.0)),
    _t("snr", "npra", [READ, ("measure_snr", {"data": "@1"})], [
        "How noisy is this section?",
        "Estimate the signal-to-noise ratio of the line.",
        "What is the SNR of this data?",
        "Measure the noise level of the stack in dB.",
    ]),
    _t("fx_snr", "npra", [READ, ("fx_decon", {"data": "@1"}),
                          ("measure_snr", {"data": "@2"})], [
        "Denoise with f-x decon and then measure the SNR of the result.",
        "Run fx decon, then tell me the signal-to-noise ratio of the output.",
    ]),
    _t("bp_spectrum", "npra", [READ, ("bandpass", {"data": "@1", "low_hz": "{lo}",
                                                   "high_hz": "{hi}"}),
                               ("spectrum", {"data": "@2"})], [
        "Bandpass {lo}-{hi} Hz and show the spectrum afterwards.",
        "Filter to {lo}-{hi} Hz, then check the frequency content of the result.",
    ], lo=(5.0, 10.0), hi=(50.0, 60.0)),
    # ---- synthetic data --------------------------------------------------------------
    _t("synth", "none", [("make_synthetic", {})], [
        "Make a synthetic seismic section.",
        "Generate a synthetic 2D line with faults.",
        "Create some synthetic data for testing.",
        "Build me a synthetic folded and faulted section.",
        "Simulate a noisy seismic line.",
    ]),
    _t("synth_snr", "none", [("make_synthetic", {"snr_db": "{s}"})], [
        "Make a synthetic line with {s} dB signal-to-noise ratio.",
        "Generate synthetic data at an SNR of {s} dB.",
        "Create a synthetic section with random noise at {s} dB.",
    ], s=(-5.0, 3.0, 5.0, 10.0, 20.0)),
    _t("synth_noise", "none", [("make_synthetic", {"noise": "{k}"})], [
        "Make a synthetic section with {k} noise.",
        "Generate a test line contaminated by {k} noise.",
        "Synthetic data please, with {k} noise added.",
    ], k=("linear", "spikes", "swell", "none")),
    _t("synth_size", "none", [("make_synthetic", {"n_traces": "{n}", "n_samples": "{m}"})], [
        "Make a synthetic line with {n} traces and {m} samples.",
        "Generate a {n}-trace synthetic section, {m} samples per trace.",
    ], n=(100, 150, 400), m=(200, 500)),
    _t("synth_faults", "none", [("make_synthetic", {"n_faults": "{n}"})], [
        "Create a synthetic section with {n} faults.",
        "Generate synthetic seismic containing {n} faults.",
    ], n=(0, 1, 3, 5)),
    _t("synth_fx", "none", [("make_synthetic", {}), ("fx_decon", {"data": "@1"})], [
        "Make a noisy synthetic and denoise it with f-x decon.",
        "Generate synthetic data, then run fx deconvolution on it.",
        "Create a synthetic line and remove its random noise.",
    ]),
    _t("synth_snr_true", "none", [("make_synthetic", {}), ("fx_decon", {"data": "@1"}),
                                  ("measure_snr", {"data": "@2", "reference": "@1.2"})], [
        "Make a synthetic, denoise it with f-x decon and measure the true SNR against the "
        "clean section.",
        "Generate noisy synthetic data, run fx decon, and compare the result with the "
        "noise-free section in dB.",
    ]),
    _t("synth_invert", "none", [("make_synthetic", {"noise": "none"}),
                                ("invert_impedance", {"data": "@1",
                                                      "background_model": "@1.3"})], [
        "Make a noise-free synthetic and invert it for impedance using the true "
        "impedance model as background.",
        "Generate a clean synthetic section and run acoustic impedance inversion with its "
        "impedance model as background.",
    ]),
    # ---- arrays and ASCII ------------------------------------------------------------
    _t("npy", "npy", [("import_array", {"file": "@f1", "dt_ms": "{dt}"})], [
        "Load this numpy array as a section sampled at {dt} ms.",
        "Import the .npy file; the sample interval is {dt} ms.",
        "Register my array as seismic with dt = {dt} ms.",
    ], dt=(1.0, 2.0, 4.0)),
    _t("npy_plot", "npy", [("import_array", {"file": "@f1"}), ("plot_section", {"data": "@1"})], [
        "Plot this numpy array as a seismic section.",
        "Import the array and show it.",
    ]),
    _t("ascii", "inv", [("read_ascii_section", {"file": "@f1"})], [
        "Load the ASCII inline export.",
        "Read the text export of the section.",
        "Import the ascii traces as a 2D line.",
    ]),
    _t("ascii_plot", "inv", [("read_ascii_section", {"file": "@f1"}),
                             ("plot_section", {"data": "@1"})], [
        "Read the ASCII inline and plot it.",
        "Show me the section in the text export.",
    ]),
    # ---- wells and inversion ---------------------------------------------------------
    _t("well", "inv", [("read_well_log", {"file": "@f2", "checkshot": "@f3"})], [
        "Load the impedance log and convert it to time with the checkshot.",
        "Read the well log and put it in two-way time.",
        "Depth-to-time convert the AI log using the checkshot table.",
    ]),
    _t("well_curve", "inv", [("read_well_log", {"file": "@f2", "curve": "{c}"})], [
        "Read the {c} curve from the LAS file.",
        "Load the {c} log in depth.",
    ], c=("GR", "DT", "RHOB")),
    _t("invert_well", "inv", [("read_ascii_section", {"file": "@f1"}),
                              ("read_well_log", {"file": "@f2", "checkshot": "@f3"}),
                              ("invert_impedance", {"data": "@1", "well_log": "@2.2",
                                                    "well_position": 336})], [
        "Invert the inline for acoustic impedance using the well at crossline 336.",
        "Run a post-stack impedance inversion with the well log as low-frequency model; "
        "the well sits at crossline 336.",
        "Do a model-based inversion of this line tied to well F02-1 at crossline 336.",
    ]),
    _t("locate", "f3", [("locate_well", {"survey": "@f1", "x": "{x}", "y": "{y}"})], [
        "Which inline and crossline is the well at x={x}, y={y}?",
        "Find the trace nearest to the map point ({x}, {y}).",
        "Locate easting {x}, northing {y} in this survey.",
    ], x=(606554.0, 605000.0, 607500.0), y=(6080126.0, 6079000.0, 6081500.0)),
    # ---- writing ---------------------------------------------------------------------
    _t("fx_write", "npra", [READ, ("fx_decon", {"data": "@1"}), ("write_segy", {"data": "@2"})], [
        "Denoise with f-x decon and save the result as SEG-Y.",
        "Run fx decon and write the output to a SEG-Y file with the original headers.",
        "Clean the random noise and export it back to SEG-Y.",
    ]),
    _t("bp_write", "npra", [READ, ("bandpass", {"data": "@1"}), ("write_segy", {"data": "@2"})], [
        "Bandpass the section and write it out as SEG-Y.",
        "Filter the line and save a new SEG-Y file.",
    ]),
    _t("compare", "npra", [READ, ("agc", {"data": "@1"}),
                           ("plot_comparison", {"before": "@1", "after": "@2"})], [
        "Apply AGC and show a before/after comparison.",
        "Gain the data with AGC and plot input, output and difference side by side.",
    ]),
    # ---- the vision GeoFM (the data builder needs its trained weights) --------------
    _t("geofm_denoise", "npra", [READ, ("geofm_denoise", {"data": "@1"})], [
        "Denoise this line with the foundation model.",
        "Use the GeoFM to remove the random noise.",
        "Run the learned (neural network) denoiser on the section.",
        "Clean this stack with the vision transformer model.",
        "Apply the deep-learning denoiser to the data.",
    ]),
    _t("geofm_interpolate", "none", [("make_synthetic", {"missing_fraction": 0.3, "noise": "none"}),
                                     ("geofm_interpolate", {"data": "@1"})], [
        "Make a synthetic with 30% missing traces and fill the gaps with the foundation model.",
        "Generate a line with dead traces and reconstruct them using GeoFM.",
    ]),
    _t("geofm_interpolate_file", "npy", [("import_array", {"file": "@f1"}),
                                         ("geofm_interpolate", {"data": "@1"})], [
        "This array has dead traces; interpolate them with the GeoFM.",
        "Fill the missing traces of my array with the learned interpolator.",
        "Reconstruct the zeroed traces in this section using the foundation model.",
    ]),
    _t("geofm_faults", "f3", [("read_segy", {"file": "@f1", "inline": "{il}"}),
                              ("geofm_faults", {"data": "@1"})], [
        "Find the faults on inline {il}.",
        "Run fault detection on inline {il} of this cube.",
        "Where are the faults in line {il}? Use the fault segmentation model.",
        "Segment faults on inline {il} and show me the overlay.",
    ], il=(115, 122, 128)),
    _t("geofm_faults_2d", "npra", [READ, ("geofm_faults", {"data": "@1"})], [
        "Detect faults on this section.",
        "Map the faults in the attached line.",
        "Highlight faults with the GeoFM fault model.",
    ]),
    # ---- literature search (a literature *question* is answered, not searched) ------
    _t("search", "none", [("search_literature", {"query": "{q}"})], [
        "Search the literature for {q}.",
        "Find papers about {q}.",
        "Look up references on {q}.",
        "What sources do we have on {q}? List the passages.",
        "Find me passages on {q} in the corpus.",
    ], q=("f-x deconvolution", "AVO classes", "cycle skipping in full-waveform inversion",
          "residual statics", "Gassmann fluid substitution", "masked autoencoders",
          "magnetotelluric apparent resistivity", "Kirchhoff migration")),
    # ---- no tool -------------------------------------------------------------------
    _t("no_file", "none", [], [
        "Denoise my section.",
        "Plot the seismic line.",
        "Apply AGC to my data.",
        "Read inline 120 from the cube.",
        "What is the dominant frequency of my file?",
        "Invert this line for impedance.",
    ]),
    _t("chat", "none", [], [
        "Hello!",
        "What can you do?",
        "Thanks, that was helpful.",
        "Which tools do you have?",
        "Who made you?",
    ]),
]
