"""The words that name each tool's settings, and the words that name each step.

:data:`CUES`: for each tool, the patterns that give an argument's value ("order 2",
"3 traces each side", "seed 7", "viridis"); :data:`TRIGGERS`: the words that say which
step a clause of a chained request is about. ``agent.named_settings`` uses both.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["CUES", "TRIGGERS", "Cue"]

_N = r"(-?\d+(?:\.\d+)?)"
_HZ = r"\s*(?:hz|hertz)\b"
# a number that starts a range or carries a unit ("10-45 Hz", "10 Hz") is no line number
_NOT_A_BAND = r"(?!\s*(?:-|–|to)\s*\d|\s*(?:hz|hertz|ms)\b)"
_MS = r"\s*-?\s*(?:ms|msec|milliseconds?)\b"
_SEC = r"\s*-?\s*(?:s|sec|secs|seconds?)\b"
_ORD = r"(?:st|nd|rd|th)?"


@dataclass(frozen=True)
class Cue:
    """``pattern`` matched in a message gives ``make(match)``: {argument: value} for
    each tool in ``tools`` (a dict per tool: the same words name differently called
    arguments: ``low_hz``, ``fmin_hz``, ``freqmin_hz``). ``enum`` cues are words, not
    numbers: a negation right before them cancels them."""

    tools: dict[str, tuple[str, ...]]
    pattern: re.Pattern
    make: Callable[[re.Match], tuple[Any, ...] | None]
    enum: bool = False

    def values(self, tool: str, m: re.Match) -> dict[str, Any] | None:
        got = self.make(m)
        if got is None:
            return None
        return dict(zip(self.tools[tool], got))


def _num(s: str) -> float:
    return float(s)


def _first(m: re.Match) -> float:
    return _num(next(g for g in m.groups() if g is not None))


def _one(m: re.Match) -> tuple[Any, ...]:
    return (_first(m),)


def _pair(m: re.Match) -> tuple[Any, ...] | None:
    lo, hi = (_num(g) for g in m.groups() if g is not None)
    return (lo, hi) if lo < hi else None


def _const(*values: Any) -> Callable[[re.Match], tuple[Any, ...]]:
    return lambda m: values


def _pct(m: re.Match) -> tuple[Any, ...]:
    v = _first(m)
    return (v / 100 if v > 1 else v,)


def _seconds_to_ms(m: re.Match) -> tuple[Any, ...]:
    return (_first(m) * 1000,)


def _text(m: re.Match) -> tuple[Any, ...]:
    return (next(g for g in m.groups() if g is not None).strip(),)


def _c(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.IGNORECASE)


def _cue(
    tools: dict[str, tuple[str, ...] | str],
    pattern: str,
    make: Callable[[re.Match], tuple[Any, ...] | None] = _one,
    enum: bool = False,
) -> Cue:
    named_tools = {t: (a,) if isinstance(a, str) else a for t, a in tools.items()}
    return Cue(named_tools, _c(pattern), make, enum)


def _choices(tools: dict[str, tuple[str, ...] | str], words: dict[Any, str]) -> tuple[Cue, ...]:
    """One word cue per choice of an option: {choice: the words that name it}."""
    return tuple(_cue(tools, pattern, _const(value), True) for value, pattern in words.items())


# the same words name differently called arguments; one set per routing domain, so a
# clause's nearest tool is looked for among tools that can share a request
_BANDS = {
    "bandpass": ("low_hz", "high_hz"),
    "fx_decon": ("fmin_hz", "fmax_hz"),
    "rank_reduction": ("fmin_hz", "fmax_hz"),
}
_QUAKE_BANDS = {
    "preprocess_waveforms": ("freqmin_hz", "freqmax_hz"),
    "pick_onsets": ("freqmin_hz", "freqmax_hz"),
}
_RANGE = rf"(?<![\w.-]){_N}(?:{_HZ})?\s*(?:-|–|—|to|and|through|bis)\s*{_N}{_HZ}"
_OBJ = r"(?:\s+(?:the|this|that|it|its|data|section|line|stack|gather|traces?))*\s+(?:at|of|to)"
_HIGH = (
    rf"(?:up to|high[- ]?cut(?:{_OBJ})?|low[- ]?pass(?:{_OBJ})?|"
    rf"(?:upper|high) corner(?: at| of)?|max(?:imum)? frequency(?: of)?)\s*(?:of\s*)?{_N}{_HZ}|"
    rf"{_N}{_HZ}\s*(?:high[- ]?cut|low[- ]?pass|(?:upper|high) corner)"
)
_LOW = (
    rf"(?:low[- ]?cut(?:{_OBJ})?|high[- ]?pass(?:{_OBJ})?|(?:lower|low) corner(?: at| of)?|"
    rf"min(?:imum)? frequency(?: of)?)\s*{_N}{_HZ}|{_N}{_HZ}\s*(?:low[- ]?cut|high[- ]?pass|"
    rf"(?:lower|low) corner)"
)
_TAPER = rf"\btaper\w*\s+(?:fraction\s+)?(?:of\s+)?{_N}\b|\b{_N}\s+taper\b"
_FIGURED = (
    "bandpass agc fk_filter fx_decon rank_reduction median_filter spectrum invert_impedance "
    "geofm_denoise geofm_interpolate geofm_faults sta_lta_trigger pick_onsets tie_well "
    "interpolate_traces coherence_faults"
).split()
_TITLED = {t: "title" for t in ("plot_section", "plot_comparison", "plot_waveforms", "plot_grid")}

CUES: tuple[Cue, ...] = (
    # ---- frequencies -------------------------------------------------------------------
    _cue(dict(_BANDS), _RANGE, _pair),
    _cue(dict(_QUAKE_BANDS), _RANGE, _pair),
    _cue({t: a[1] for t, a in _BANDS.items()}, _HIGH),
    _cue({t: a[1] for t, a in _QUAKE_BANDS.items()}, _HIGH),
    _cue({t: a[0] for t, a in _BANDS.items()}, _LOW),
    _cue({t: a[0] for t, a in _QUAKE_BANDS.items()}, _LOW),
    _cue(
        {"pick_onsets": ("freqmin_hz", "freqmax_hz")},
        rf"(?:within|in|using|over)\s+(?:a|the)\s+{_N}(?:{_HZ})?\s*(?:-|–|to)\s*{_N}{_HZ}\s+"
        rf"(?:band|window|range)\b",
        _pair,
    ),
    _cue(
        {"bandpass": "low_hz"},
        r"no low[- ]?cut|low[- ]?pass only|only a low[- ]?pass|(?:a|just a) low[- ]?pass\b",
        _const(0.0),
    ),
    _cue(
        {"preprocess_waveforms": "resample_hz"},
        rf"(?:re|down)[- ]?sampl\w*\s+(?:\w+\s+){{0,3}}?(?:to|at)\s*{_N}{_HZ}",
    ),
    # ---- filter settings ---------------------------------------------------------------
    _cue(
        dict.fromkeys(_FIGURED, "figure"),
        r"\bno (?:\w+ )?(?:figure|plot|picture|image)s?\b|without (?:a |the |any )?(?:figure|plot)|"
        r"(?:don'?t|do not) (?:need|want|make|draw|save) (?:a |the |any )?(?:figure|plot|picture)|"
        r"skip the (?:figure|plot|picture|image)",
        _const(False),
    ),
    _cue(
        dict.fromkeys(_FIGURED, "figure"),
        r"before/after(?:/difference)? figure|(?:save|keep|with|include|and|want|need) "
        r"(?:the |a )?(?:before/after(?:/difference)? )?figure",
        _const(True),
        True,
    ),
    _cue({"bandpass": "order"}, rf"\border[- ]?(?:of\s*)?{_N}\b|\b{_N}{_ORD}[- ]order\b"),
    _cue(
        {"fx_decon": "filter_length"},
        rf"filter length (?:of\s*)?{_N}\b|\b{_N}[- ](?:trace|point|sample)s?\s+"
        rf"(?:long\s+)?(?:prediction\s+)?(?:filter|operator)\b",
    ),
    _cue(
        {"fx_decon": "win_traces", "rank_reduction": "win_traces"},
        rf"\b{_N}[- ]traces?\s+(?:\w+\s+)?windows?\b|windows? of {_N} traces\b",
    ),
    _cue(
        {"fx_decon": ("win_traces", "win_ms"), "rank_reduction": ("win_traces", "win_ms")},
        rf"\b{_N}[- ]traces?,?\s+(?:and\s+)?{_N}{_MS}\s+windows?\b|"
        rf"windows? of {_N} traces (?:and|by|x|×) {_N}{_MS}",
        lambda m: tuple(_num(g) for g in m.groups() if g is not None),
    ),
    _cue(
        {"fx_decon": ("win_ms", "win_traces"), "rank_reduction": ("win_ms", "win_traces")},
        rf"windows? of {_N}{_MS} (?:and|by|x|×) {_N} traces",
        lambda m: tuple(_num(g) for g in m.groups() if g is not None),
    ),
    _cue(
        {"fx_decon": "win_ms", "rank_reduction": "win_ms"},
        rf"\b{_N}{_MS}\s+(?:time\s+)?windows?\b|(?:time\s+)?windows? of {_N}{_MS}|"
        rf"\b{_N}\s*-?\s*ms\s+(?:time\s+)?windows\b",
    ),
    _cue(
        {"agc": "window_ms"},
        rf"\b{_N}{_MS}\s+(?:agc|gain|window|gain window|agc window|automatic gain)\b|"
        rf"\bagc\s+(?:\w+\s+){{0,3}}?{_N}{_MS}|window (?:of\s*)?{_N}{_MS}",
    ),
    _cue(
        {"agc": "window_ms"},
        rf"\b{_N}{_SEC}\s+(?:agc|gain|window|gain window|agc window)\b",
        _seconds_to_ms,
    ),
    _cue(
        {"fx_decon": "damping", "invert_impedance": "damping", "grid_scattered": "damping"},
        rf"(?:damping|pre-?whitening|white noise)\s*(?:of\s*|=\s*)?{_N}|"
        rf"\b{_N}\s+(?:damping|pre-?whitening)\b",
    ),
    _cue({"rank_reduction": "rank"}, rf"\brank[- ]?(?:of\s*|=\s*)?{_N}\b"),
    _cue({"rank_reduction": "rank"}, rf"\b{_N}\s+(?:dipping\s+|linear\s+|plane\s+)?events?\b"),
    _cue(
        {"median_filter": "half_width"},
        rf"\b{_N}\s+traces?\s+(?:on\s+|to\s+)?(?:each|either|both)\s+sides?|"
        rf"half[- ]?width (?:of\s*)?{_N}",
    ),
    _cue(
        {"median_filter": "half_length"},
        rf"\b{_N}\s+samples?\s+(?:on\s+|to\s+)?(?:each|either|both)\s+sides?\s+(?:in|along)\s+time|"
        rf"\b{_N}\s+samples?\s+(?:along|in)\s+time|half[- ]?length (?:of\s*)?{_N}",
    ),
    _cue(
        {"median_filter": "dip_steered"},
        r"dip[- ]steered|structure[- ]oriented",
        _const(True),
        True,
    ),
    _cue(
        {"median_filter": "dip_steered"},
        r"(?:plain|not|no|without)\s+(?:\w+\s+)?dip[- ]steer|plain median|non[- ]dip[- ]steer|"
        r"non[- ]?steered|unsteered|dip[- ]steering off|flat[- ]window|flat lines|"
        r"ignoring (?:the )?dips?\b|"
        r"(?:simple|rectangular)(?: rectangular)? median|instead of the (?:dip[- ])?steered|"
        r"(?:not|n't|without)\s+(?:\w+\s+)?(?:follow\w*|along)\s+(?:the\s+)?dips?\b",
        _const(False),
    ),
    _cue({"fk_filter": "max_dip_ms_per_trace"}, rf"\b{_N}{_MS}\s*(?:per|/|a)\s*trace\b"),
    _cue({"fk_filter": "taper"}, _TAPER),
    _cue({"preprocess_waveforms": "taper_fraction"}, _TAPER),
    # ---- synthetic data ------------------------------------------------------------------
    _cue(
        {"make_synthetic": "n_traces"},
        rf"\b{_N}[- ]traces?\b(?!\s+(?:on\s+|to\s+)?(?:each|either|both)\b|[- ]+(?:\w+\s+)?windows?)",
    ),
    _cue(
        {"estimate_wavelet": "traces"},
        rf"(?:middle|central|centre|center|inner)\s+{_N}\s+traces|\b{_N}\s+(?:middle|central) traces",
    ),
    _cue({"make_synthetic": "n_samples"}, rf"\b{_N}[- ]samples?\b(?!\s+(?:on|each|either|along))"),
    _cue(
        {
            "make_synthetic": "dt_ms",
            "import_array": "dt_ms",
            "read_ascii_section": "dt_ms",
            "read_well_log": "dt_ms",
        },
        rf"(?:sampled|sampling|sample interval|sample rate|\bdt)\s*(?:of|at|=|is|:)?\s*{_N}{_MS}|"
        rf"\b{_N}{_MS}\s*(?:sampling|sample interval|per sample|sampled|dt)\b|"
        rf"\b{_N}{_MS}\s+synthetic|(?:import|register|load|bring)\w*\b[^.;]{{0,40}}?\bat {_N}{_MS}|"
        rf"\bat {_N}{_MS}\s+(?:sampling|per sample|sample interval)|\bsamples?\s+at\s+{_N}{_MS}|"
        rf"(?:output|time|sample)\s+step\s*(?:of\s*|=\s*)?{_N}{_MS}",
    ),
    _cue(
        {"make_synthetic": "peak_hz"},
        rf"\b{_N}{_HZ}\s*(?:peak\s+)?(?:ricker|wavelet|wavlet|peak)|peak (?:frequency )?(?:of |at )?{_N}{_HZ}",
    ),
    _cue({"make_synthetic": "snr_db"}, rf"(?<![\w.]){_N}\s*db\b"),
    _cue(
        {"make_synthetic": "missing_fraction"},
        rf"\b{_N}\s*(?:%|percent)\s*(?:of\s+(?:the\s+)?traces?\s+)?(?:missing|dead|zeroed|removed|gone)|"
        rf"(?:missing|dead|zero(?:ed)?)\s+(?:\w+\s+){{0,2}}?{_N}\s*(?:%|percent)",
        _pct,
    ),
    _cue({"make_synthetic": "n_faults"}, rf"\b{_N}\s+faults?\b"),
    _cue({"make_synthetic": "n_faults"}, r"\bno faults?\b|without (?:any )?faults?", _const(0)),
    _cue({"make_synthetic": "seed"}, rf"\bseed\s*(?:of\s*|=\s*|:\s*)?{_N}\b"),
    *_choices(
        {"make_synthetic": "noise"},
        {
            "linear": r"\blinear(?:[- ]noise| events)|noise(?: type)?\s*[:=]?\s*linear",
            "swell": r"\bswell\b",
            "random": r"\brandom noise\b",
            "spikes": r"\bspik(?:e|es|y)\b",
        },
    ),
    _cue(
        {"make_synthetic": "noise"},
        r"noise[- ]free synthetic|\bnoiseless (?:synthetic|test line|line)|\bno noise\b|without (?:any )?noise|noise switched off|"
        r"noise(?: type)?\s*(?:[:=]|set to)?\s*none|none noise|"
        r"(?<!its )(?<!the )\bclean (?:synthetic|line|test line)\b",
        _const("none"),
    ),
    # ---- files -------------------------------------------------------------------------
    _cue(
        {"import_array": "layout"},
        r"samples?[\s_]*(?:x|by|×)[\s_]*traces?|time[- ](?:first|major)|samples first|"
        r"time along the rows|rows are time|(?:first (?:dimension|axis)|axis 0) is time|"
        r"time on the first axis",
        _const("samples_by_traces"),
    ),
    _cue(
        {"import_array": "layout"},
        r"traces?\s*(?:x|by|×)\s*samples?|trace[- ]first",
        _const("traces_by_samples"),
    ),
    _cue(
        {"write_segy": "headers"},
        r"(?:fresh|new|minimal|blank|its own|own) (?:trace )?headers|no original seg-?y|"
        r"without (?:the |any )?original (?:trace )?headers",
        _const("minimal"),
    ),
    _cue(
        {"write_segy": "headers"},
        r"(?:original|source|same|existing|input'?s?) (?:trace )?headers",
        _const("source"),
        True,
    ),
    *_choices(
        {"read_well_log": "curve"},
        {
            "GR": r"gamma[- ]?ray|\bGR\b",
            "RHOB": r"\bdensity\b|\bRHOB\b",
            "DT": r"\bsonic\b|\bDT log\b",
        },
    ),
    # ---- figures -----------------------------------------------------------------------
    _cue(
        {"plot_section": "clip_percentile"},
        rf"\b{_N}{_ORD}\s*(?:%|percent(?:ile)?)\s*clip|clip(?:ped|ping)?\s+(?:at|to|of)?\s*"
        rf"(?:the\s+)?{_N}{_ORD}\s*(?:%|percent(?:ile)?)?|clip\w*\s+(?:\w+\s+){{1,2}}?(?:at|to)\s+"
        rf"(?:the\s+)?{_N}{_ORD}\s*(?:%|percent(?:ile)?)",
    ),
    *_choices(
        {"plot_section": "cmap"},
        {
            "viridis": r"\bviridis\b",
            "seismic": r"seismic (?:colou?r|cmap|colormap|palette)|red[- /](?:white[- ])?blue|"
            r"colou?r ?map\s*:?\s*'?seismic|'seismic'|blue[- ]white[- ]red|diverging|"
            r"red for one polarity|\bin seismic(?=\s*(?:[.,;!?]|$))",
            "gray": r"\bgr[ae]y(?:scale)?\b",
        },
    ),
    _cue(
        {"plot_section": "inline_index"},
        rf"inline (?:at |sitting at )?(?:position|index)\s*{_N}\b|(?:position|index)\s*{_N}\b",
    ),
    _cue({"plot_section": "inline_index"}, r"\bfirst inline\b", _const(0)),
    # a line of a 3D SEG-Y by its number ("inline 125", "IL 126", "the 890 crossline"); a
    # line a well sits "at" is its position, not a line to read
    # ("bandpass the inline 10-45 Hz" names a band, not inline 10)
    _cue(
        {"read_segy": "inline"},
        rf"(?<!at )\b(?:inline|in-line|iline|IL)\s*(?:no\.?|#)?\s*{_N}\b{_NOT_A_BAND}|"
        rf"\bthe {_N} inline\b",
    ),
    _cue(
        {"read_segy": "crossline"},
        rf"(?<!at )\b(?:crossline|cross-line|xline|x-line|XL)\s*(?:no\.?|#)?\s*{_N}\b"
        rf"{_NOT_A_BAND}|\bthe {_N} (?:crossline|xline)\b",
    ),
    _cue(
        dict(_TITLED),
        r"titled?\s*(?:it\s*)?['\"“‘]([^'\"”’]+)['\"”’]|"
        r"['\"“‘]([^'\"”’]+)['\"”’]\s+as\s+(?:the\s+|its\s+)?title",
        _text,
    ),
    # ---- inversion ---------------------------------------------------------------------
    *_choices(
        {"invert_impedance": "method"},
        {"coloured": r"\bcolou?red\b|spectral[- ]shaping", "model": r"model[- ]based"},
    ),
    *_choices({"invert_impedance": "wavelet"}, {"ricker": r"\bricker\b", "ormsby": r"\bormsby\b"}),
    _cue(
        {"invert_impedance": "wavelet_hz"},
        rf"\b{_N}{_HZ}\s*(?:ricker|ormsby|wavelet)|(?:ricker|ormsby)\s+(?:wavelet\s+)?(?:at|of)\s+{_N}{_HZ}",
    ),
    _cue(
        {"invert_impedance": "background_hz"},
        rf"\b{_N}{_HZ}\s*(?:low[- ]frequency|background|trend|low[- ]cut background)|"
        rf"background\s+(?:\w+\s+){{0,2}}?(?:at|of|to)\s+{_N}{_HZ}",
    ),
    _cue(
        {"invert_impedance": "eps_r"},
        rf"regulari[sz]ation (?:weight|strength)?\s*(?:of\s*|=\s*)?{_N}|eps_r\s*=?\s*{_N}",
    ),
    *_choices(
        {"invert_impedance": "regularization"},
        {
            "trace": r"trace[- ]by[- ]trace|(?:no|without) (?:spatial|lateral) (?:regulari|smooth)|"
            r"not laterally smoothed|(?:each|every) trace (?:independent|separately|on its own)|"
            r"one trace at a time|single[- ]trace|trace[- ]independent|\bper trace\b|"
            r"trace regulari|regulari[sz]ation '?trace",
            "spatial": r"spatial(?:ly)?[- ]regulari[sz]",
        },
    ),
    # ---- literature --------------------------------------------------------------------
    _cue(
        {"search_literature": "k"},
        rf"\b{_N}\s+(?:passages|hits|references|results|papers|sources|documents)\b",
    ),
    # ---- earthquake seismology -----------------------------------------------------------
    *_choices(
        {"preprocess_waveforms": "detrend"},
        {
            "demean": r"demean|remov\w*\s+(?:only\s+)?the mean|mean removal",
            "linear": r"linear detrend|linear trend|detrend linearly",
        },
    ),
    _cue(
        {"preprocess_waveforms": "detrend"},
        r"no detrend\w*|without detrend\w*",
        _const("none"),
    ),
    *_choices(
        {"preprocess_waveforms": "zerophase"}, {True: r"zero[- ]phase", False: r"\bcausal\b"}
    ),
    *_choices(
        {"sta_lta_trigger": "method"}, {"recursive": r"\brecursive\b", "classic": r"\bclassic\b"}
    ),
    _cue(
        {"sta_lta_trigger": "sta_s"},
        rf"(?<!lta )(?<!sta )\b{_N}{_SEC}\s*sta\b|\bsta\s+(?:of\s+)?{_N}{_SEC}|\b{_N}{_SEC}\s+short(?:-term)? window",
    ),
    _cue(
        {"sta_lta_trigger": "lta_s"},
        rf"(?<!lta )(?<!sta )\b{_N}{_SEC}\s*lta\b|\blta\s+(?:of\s+)?{_N}{_SEC}|\b{_N}{_SEC}\s+long(?:-term)? window",
    ),
    _cue(
        {"sta_lta_trigger": ("sta_s", "lta_s")},
        rf"\b{_N}(?:{_SEC})?\s+and\s+{_N}{_SEC}\s+windows?",
        _pair,
    ),
    _cue(
        {"sta_lta_trigger": "threshold_on"},
        rf"(?:trigger[- ]on|switch(?:es|ing)? on|turn(?:s|ing)? on|on[- ]threshold|\bon)\s+"
        rf"(?:ratio\s+|threshold\s+)?(?:of\s+|at\s+|=\s*)?{_N}\b",
    ),
    _cue(
        {"sta_lta_trigger": "threshold_off"},
        rf"(?:trigger[- ]off|switch(?:es|ing)? off|turn(?:s|ing)? off|off[- ]threshold|\boff)\s+"
        rf"(?:ratio\s+|threshold\s+)?(?:of\s+|at\s+|=\s*)?{_N}\b",
    ),
    *_choices(
        {"pick_onsets": "method"}, {"ar": r"\bAR\b|ar[- ]aic|auto-?regressive", "baer": r"\bbaer\b"}
    ),
    *_choices({"predict_arrivals": "model"}, {"ak135": r"\bak135\b", "iasp91": r"\biasp91\b"}),
    _cue({"predict_arrivals": "phases"}, r"\b(ttbasic|ttall)\b", lambda m: (m.group(1).lower(),)),
    Cue(
        {"predict_arrivals": ("phases",)},
        re.compile(
            r"(?:times?|arrivals?|phases?)\s+(?:of|for)\s+((?:[psPS][a-zA-Z]{0,4}(?:,\s*|\s+and\s+))+"
            r"[psPS][a-zA-Z]{0,4})\b"
        ),
        lambda m: (",".join(re.split(r",\s*|\s+and\s+", m.group(1))),),
    ),
    _cue(
        {"plot_spectrogram": "window_s"},
        rf"\b{_N}{_SEC}\s+(?:fft\s+)?windows?|windows?\s+(?:of\s+)?{_N}{_SEC}",
    ),
    _cue({"plot_spectrogram": "trace_index"}, rf"\bindex\s+{_N}\b"),
    *_choices(
        {"read_waveforms": "merge"},
        {
            "interpolate": r"interpolat",
            "fill_zero": r"zero[- ]?fill|(?:fill|merg|pad|patch)\w*\s+(?:\w+\s+){0,3}?with zeros|"
            r"zeros in the gaps",
        },
    ),
    # ---- potential fields ----------------------------------------------------------------
    _cue(
        {"grid_scattered": "spacing_m", "model_prisms": "spacing_m"},
        rf"\b{_N}\s*-?\s*m\s+(?:spacing|grid|lattice|cells?|interval)\b|"
        rf"(?:spacing|lattice|cells?)\s+(?:of\s+|at\s+)?{_N}\s*m\b|\bgrid\w*\s+at\s+{_N}\s*m\b",
    ),
    *_choices(
        {"grid_scattered": "method"},
        {"knn": r"\bknn\b|nearest[- ]neighbou?r", "spline": r"\bspline"},
    ),
    _cue(
        {"gravity_corrections": "latitude_deg"},
        rf"\b{_N}\s*°?\s*(?:n|north)\b|latitude\s+(?:of\s+)?{_N}",
    ),
    _cue(
        {"gravity_corrections": "density_kg_m3", "model_prisms": "density_kg_m3"},
        rf"\b{_N}\s*kg",
    ),
    _cue(
        {"upward_continue": "height_m"},
        rf"\bup(?:ward)?\s+(?:con\w*\s+)?(?:by\s+|to\s+)?{_N}\s*m\b|"
        rf"con\w*\s+(?:\w+\s+){{0,2}}?up(?:ward)?\s+(?:by\s+|to\s+)?{_N}\s*m\b",
    ),
    _cue(
        {"euler_deconvolution": "window_m"},
        rf"\b{_N}\s*-?\s*m\s+window|window\s+(?:of\s+)?{_N}\s*m\b",
    ),
    _cue(
        {"euler_deconvolution": "structural_index"},
        rf"structural index\s+(?:of\s+|=\s*)?{_N}|\bSI\s*=?\s*{_N}\b",
    ),
    _cue(
        {"reduce_to_pole": "inclination_deg", "model_prisms": "inclination_deg"},
        rf"\binc(?:l\w*)?\.?\s*(?:of\s+|at\s+|=\s*)?{_N}|\bI\s*=\s*{_N}",
    ),
    _cue(
        {"reduce_to_pole": "declination_deg", "model_prisms": "declination_deg"},
        rf"\bdec(?:l\w*)?\.?\s*(?:of\s+|at\s+|=\s*)?{_N}|\bD\s*=\s*{_N}",
    ),
    _cue(
        {"model_prisms": "quantity"},
        r"magneti[sz]ed|total[- ]field|susceptib|\bmagnetic\b",
        _const("magnetic"),
        True,
    ),
    _cue(
        {"model_prisms": "susceptibility_si"},
        rf"(?:\bk|susceptibility)\s*(?:=|of)\s*{_N}|\b{_N}\s*SI\b",
    ),
    _cue(
        {"model_prisms": "depth_m"},
        rf"\b{_N}\s*m\s+(?:down|deep|below)|depth\s+(?:of\s+)?{_N}\s*m\b",
    ),
    _cue({"model_prisms": "n_nodes"}, rf"\b{_N}[- ]nodes?\b|\b\d+\s*[x×]\s*{_N}[- ]nodes?\b"),
    _cue(
        {"model_prisms": "size_m"},
        rf"\b{_N}\s*-?\s*m\s+(?:cube|prism|block)|(?:cube|prism|block)\s+(?:of\s+)?{_N}\s*m\b(?!\s*(?:deep|down|below))",
    ),
    _cue(
        {"model_prisms": "height_m"},
        rf"observed\s+(?:at\s+)?{_N}\s*m\b|\b{_N}\s*m\s+(?:height|above the|up\b)",
    ),
    *_choices(
        {"field_derivative": "direction"},
        {
            "upward": r"\b[12]VD\b|vertical derivative|vertical gradient",
            "total_horizontal": r"\bTHDR?\b|\bTHG\b|total horizontal",
            "easting": r"\beast(?:ing|ward|-west)?\b|\bx[- ]?(?:derivative|direction|gradient)|d/dx",
            "northing": r"\bnorth(?:ing|ward|-south)?\b|\by[- ]?(?:derivative|direction|gradient)|d/dy",
        },
    ),
    _cue(
        {"field_derivative": "order"},
        r"\b2VD\b|second[- ](?:order|vertical|derivative)|2nd[- ](?:order|vertical|derivative)",
        _const(2),
    ),
    _cue(
        {"read_potential_field": "variable"},
        r"variable\s+(?:named\s+|called\s+)['\"“‘]?([A-Za-z_][\w]*)|variable\s+['\"“‘]([A-Za-z_]\w*)|"
        r"(?:named|called)\s+['\"“‘]?([A-Za-z_][\w]*)['\"”’]?",
        _text,
    ),
    _cue(
        {"read_potential_field": "quantity"},
        r"\bas (?:a |the )?magnetic\b|magnetic data \(nT\)",
        _const("magnetic"),
        True,
    ),
)

# Words that say which step a clause is about, for messages that chain steps.
TRIGGERS: dict[str, re.Pattern] = {
    name: _c(pattern)
    for name, pattern in {
        "bandpass": r"band[- ]?pass|band[- ]?limit|high[- ]?cut|low[- ]?cut|low[- ]?pass|"
        r"high[- ]?pass|butterworth|\bband\b|\bbp\b|(?<!prediction )(?<!median )(?<!f-k )(?<!fk )\bfilter(?!\s+length)",
        "fx_decon": r"f-?x\s*decon|prediction filter|canales|deconvolution",
        "rank_reduction": r"\brank\b|cadzow|\bm?ssa\b|singular spectrum|rank reduction",
        "preprocess_waveforms": r"detrend|taper|resampl|downsampl|filter|band|demean|mean|"
        r"\bbp\b|preprocess",
        "pick_onsets": r"\bpick|ar[- ]aic|\bAR\b|onset|baer|first arrival",
        "agc": r"\bagc\b|\bgain\b|equali[sz]",
        "fk_filter": r"f-?k|ground roll|dip filter",
        "make_synthetic": r"synthetic|simulat|test line|generate",
        "import_array": r"import|register|\.npy|numpy|array|bring",
        "read_ascii_section": r"ascii|text section",
        "read_well_log": r"\blog\b|\blas\b|\bwell\b",
        "estimate_wavelet": r"wavelet",
        "invert_impedance": r"invert|inversion|impedance",
        "plot_section": r"plot|show|display|draw|figure|image|slice",
        "plot_comparison": r"compar\w*(?:\s+(?:plot|figure|panel|image))?",
        "grid_scattered": r"\bgrid|lattice|interpolat",
        "model_prisms": r"model|simulat|cube|prism",
        "upward_continue": r"upward|continu",
        "reduce_to_pole": r"pole|rtp",
        "euler_deconvolution": r"euler",
        "gravity_corrections": r"bouguer|free[- ]air|correction|latitude",
        "sta_lta_trigger": r"sta\s*/\s*lta|sta/lta|trigger|detect",
        "plot_spectrogram": r"spectrogram|time-frequency",
        "median_filter": r"median",
    }.items()
}
