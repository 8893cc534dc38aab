"""Tool-use tasks: relative (band-limited) impedance without a well, by coloured inversion
(``method="coloured"``, no wavelet) or model-based with a Ricker or Ormsby wavelet of a
given peak frequency (``wavelet``, ``wavelet_hz``). "model" is the default method, so a
model-based request names no method; a coloured one always does.

The model-based runs use the .npy section (unit amplitudes, a few seconds each); the
coloured ones also run on the real lines.
"""

from __future__ import annotations

from finetune.tool_tasks.base import ASCII, NPY, READ, SYNTH, Task, _t

INV = "invert_impedance"

TASKS: list[Task] = [
    _t(
        "rel_coloured",
        "inv",
        [ASCII, (INV, {"data": "@1", "method": "coloured"})],
        [
            "Coloured inversion of the ASCII inline, please.",
            "Relative impedance of this line by coloured inversion.",
            "I have no well here: do a coloured inversion of the seismic to get relative AI.",
            "Spectrally shape the inline into relative acoustic impedance (coloured inversion).",
            "Band-limited impedance from the text export using the coloured-inversion operator.",
            "Quick relative impedance section: coloured inversion, no wavelet needed.",
            "Turn the inline into relative impedance with coloured inversion.",
            "Could you run a colored inversion on the exported line?",
        ],
    ),
    _t(
        "rel_coloured_2d",
        "npra",
        [READ, (INV, {"data": "@1", "method": "coloured"})],
        [
            "Coloured inversion of this stack.",
            "Run coloured inversion on the 2D line to get relative impedance.",
            "Relative acoustic impedance of the stack, the coloured way (no wavelet).",
            "Could you colour-invert this seismic line?",
            "Give me a band-limited impedance section by coloured inversion.",
            "Make a relative AI section with coloured inversion, not model-based.",
            "Use the coloured inversion method on this line.",
        ],
    ),
    _t(
        "rel_coloured_inline",
        "f3",
        [
            ("read_segy", {"file": "@f1", "inline": "{il}"}),
            (INV, {"data": "@1", "method": "coloured"}),
        ],
        [
            "Load inline {il} and run a coloured inversion on it.",
            "Relative impedance of inline {il} by coloured inversion.",
            "Inline {il}: coloured inversion, please.",
            "Could you take inline {il} of the cube and colour-invert it?",
            "Coloured inversion for relative AI on inline {il}.",
            "Extract inline {il} and turn it into relative impedance with coloured inversion.",
        ],
        il=(112, 118, 125, 131),
    ),
    _t(
        "rel_ricker",
        "npy",
        [NPY, (INV, {"data": "@1", "wavelet": "ricker", "wavelet_hz": "{f}"})],
        [
            "Invert the array for relative impedance with a {f} Hz Ricker wavelet.",
            "Model-based relative impedance, Ricker wavelet at {f} Hz.",
            "Use a {f} Hz Ricker as the wavelet and invert this section for impedance.",
            "Relative AI from the numpy section; wavelet: Ricker, peak {f} Hz.",
            "Impedance inversion without a well, assuming a {f} Hz Ricker wavelet.",
            "Could you invert the imported section with a Ricker of {f} Hz?",
            "Model-based inversion with a {f} Hz Ricker, no well, relative result is fine.",
            "Band-limited impedance using a Ricker wavelet peaking at {f} Hz.",
        ],
        f=(20.0, 25.0, 30.0, 35.0),
    ),
    _t(
        "rel_ormsby",
        "npy",
        [NPY, (INV, {"data": "@1", "wavelet": "ormsby", "wavelet_hz": "{f}"})],
        [
            "Invert the array for relative impedance with a {f} Hz Ormsby wavelet.",
            "Model-based relative impedance using an Ormsby wavelet centred at {f} Hz.",
            "Relative AI of the numpy section; assume an Ormsby wavelet of {f} Hz.",
            "Could you run the inversion with an Ormsby wavelet at {f} Hz instead of a statistical one?",
            "Impedance inversion, no well, {f} Hz Ormsby as the wavelet.",
            "Take an Ormsby wavelet at {f} Hz and invert this section for relative impedance.",
            "Ormsby wavelet, {f} Hz, model-based inversion of the imported array.",
        ],
        f=(20.0, 25.0, 30.0, 40.0),
    ),
    _t(
        "rel_ricker_default",
        "npy",
        [NPY, (INV, {"data": "@1", "wavelet": "ricker"})],
        [
            "Invert the section for relative impedance with a Ricker wavelet.",
            "Model-based relative AI using a Ricker wavelet (default frequency).",
            "Relative impedance, Ricker wavelet, no well.",
            "Could you invert the array using a Ricker instead of the statistical wavelet?",
            "Impedance inversion of the imported data with a Ricker wavelet.",
        ],
    ),
    _t(
        "rel_statistical",
        "npy",
        [NPY, (INV, {"data": "@1"})],
        [
            "Relative impedance of the array, model-based, statistical wavelet.",
            "Invert the section for impedance; there is no well, so relative is fine.",
            "Model-based inversion of the imported section with a wavelet from the data.",
            "Could you invert this array for band-limited impedance?",
            "Impedance inversion of the numpy section, no well log.",
            "Get relative AI from the data, model-based, wavelet estimated statistically.",
        ],
    ),
    _t(
        "rel_synth_coloured",
        "none",
        [SYNTH, (INV, {"data": "@1", "method": "coloured"})],
        [
            "Make a synthetic and run a coloured inversion on it.",
            "Synthetic line, then relative impedance by coloured inversion.",
            "Generate test data and colour-invert the noisy section.",
            "Could you make synthetic seismic and turn it into relative AI with coloured inversion?",
            "Simulate a section, then coloured inversion for relative impedance.",
            "Coloured inversion test on a fresh synthetic.",
        ],
    ),
]
