"""Steps a request names that the model has not taken yet.

A request that chains steps ("grid at 100 m, then continue the field upward 400 m";
"estimate a wavelet, then do a model-based inversion with it") is sometimes answered
after its first steps: the small routing model stops early. And a request without files
that names a computation ("P and S travel times for a 35 km deep event at 62 degrees")
is sometimes answered in words although a tool computes it. When the model answers in
words, the request is cut into clauses at the words that order steps ("then", "and
then", "followed by", ";", "->", ", and ..."); a clause that names a tool (:data:`MENTIONS`,
phrases that say what a step does: "upward", "spectrogram", "Euler", "invert") while no
call of this turn ran that tool (or, for a figure, any figure tool) is unfinished, and
the model decides once more with that tool's call required (:func:`unfinished`).

Only tools offered for the turn count, only names that leave little doubt are listed
(and each tool's own name, "segy_info on the exported file"), and the rule runs at most
once per turn; a request with nothing named falls through to the answer as before. In
a follow-up of a conversation that is not a question ("Cadzow it with the default
rank"), a step it names that no turn has taken is asked for the same way.

A follow-up's first call of a tool the message does not name is decided again with the
tool it does name (:func:`named_instead`): "save that impedance as SEG-Y" gets
``write_segy`` where the model ran the inversion again; "redo, plain median, half width
4" gets the median filter again; "threshold 0.4 please" after the fault finder, a
setting only the fault finder has, gets the fault finder. Readers and a call the
message names (any figure tool for a figure word) are kept.

Steps a request rules out are not taken either: "just tell me, don't open the file" or
"explanation only" is answered in words, with no tool offered (:func:`refuses_tools`),
and after "no figure" / "skip the picture" a figure tool the model asks for once the
work is done ends the turn instead (:func:`refuses_figures`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from agent.clauses import clauses, negated
from agent.follow_ups import acts_in_words, is_question, message_words, names_setting
from tools import Registry

__all__ = [
    "MENTIONS",
    "FIGURE_TOOLS",
    "unfinished",
    "named_tools",
    "concrete",
    "step_left",
    "named_instead",
    "refuses_tools",
    "refuses_figures",
]


def _c(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.IGNORECASE)


# Phrases that name a step. Readers are left out: the agent reads what a step needs.
MENTIONS: dict[str, re.Pattern] = {
    name: _c(pattern)
    for name, pattern in {
        # reflection seismic, wells, literature
        "make_synthetic": r"\bsynthetic\b|\btest (?:line|section)\b",
        "bandpass": r"band[- ]?pass|band[- ]?limit|high[- ]?cut|low[- ]?cut|low[- ]?pass|"
        r"high[- ]?pass|butterworth",
        "agc": r"\bagc\b|automatic gain|gain window|equali[sz]e (?:the )?amplitudes",
        "fk_filter": r"\bf-?k\b|ground[- ]?roll|dip filter",
        "fx_decon": r"f-?x[- ]?decon|f-x deconvolution|prediction filter|canales",
        "rank_reduction": r"rank[- ]reduction|cadzow|\bm?ssa\b|singular spectrum",
        "median_filter": r"\bmedian\b",
        "spectrum": r"\bspectrum\b|\bspectra\b|(?:dominant|peak) freq\w*|\bbandwidth\b|"
        r"frequency content",
        "estimate_wavelet": r"(?:estimate|extract)\w*\s+(?:a |the )?(?:\d+\s*ms\s+)?"
        r"(?:statistical\s+)?wavelet",
        "measure_snr": r"how noisy|(?:measure|estimate|compute|report|tell me|give me|what)\w*\b"
        r"[^.;]{0,40}\b(?:snr|signal[- ]to[- ]noise)\b|\b(?:snr|signal[- ]to[- ]noise)\b[^.;]{0,30}"
        r"\b(?:against|versus|vs|relative to|compared)",
        "invert_impedance": r"\binvert\b|\binversion\b",
        "plot_section": r"\bplot\b|\bdisplay\b|\bdraw\b|\bfigure of\b|\bimage of\b",
        "plot_comparison": r"\bcompar\w*|side[- ]by[- ]side",
        "search_literature": r"\bliterature\b|\bpassages?\b|\bpapers\b|\breferences\b",
        # "denoised" describes data ("faults on the denoised one"), it asks for nothing
        "geofm_denoise": r"(?:geofm|foundation[- ]model)\b[^.;]{0,30}denois(?!ed\b)|"
        r"denois(?!ed\b)\w*\b[^.;]{0,30}(?:geofm|foundation[- ]model)",
        "geofm_interpolate": r"(?:fill|infill|interpolat|reconstruct)\w*\b[^.;]{0,40}"
        r"(?:dead|missing|blank|gap|zeroed)",
        "geofm_faults": r"fault (?:finder|detect\w*|segment\w*|probabilit\w*)|"
        r"(?:find|detect|hunt|look|search)\w* (?:for )?(?:the )?faults|\bgeofm[- ]?faults?\b",
        "write_segy": r"(?:save|write|export)\w*\b[^.;]{0,50}\bseg-?y\b|\bas (?:a )?(?:new )?seg-?y\b",
        "tie_well": r"well[- ]tie|\btie (?:the |this )?well",
        "coherence_faults": r"\bcoherence\b|discontinuity attribute",
        # earthquake seismology
        "preprocess_waveforms": r"detrend|demean|\btaper|resampl|downsampl|preprocess|"
        r"band[- ]?pass|\bfilter\b|\bbp\b|remove the mean",
        "sta_lta_trigger": r"sta\s*/\s*lta|\bsta\b|\blta\b|\btrigger|short-term|long-term average",
        "pick_onsets": r"\bpick|\bonsets?\b|first arrival|\bar[- ]aic\b|\bbaer\b",
        "predict_arrivals": r"\bpredict\w*|travel[- ]?times?|\btaup\b|\bttbasic\b|"
        r"theoretical (?:arrival|time)",
        "plot_waveforms": r"\bplot\b|\bdraw\b|\bdisplay\b",
        "plot_spectrogram": r"spectrogram|time[- ]frequency",
        # potential fields
        "grid_scattered": r"\bgrid (?:it|them|these|the (?:points|stations|readings))\b|"
        r"\bgrid(?:ded)? (?:at|onto|with)\b|\b\d+\s*m\s+(?:cells|lattice)\b|\blattice\b|"
        r"interpolate onto|\bknn grid|spline[- ]grid",
        "gravity_corrections": r"bouguer|free[- ]air|latitude correction|gravity corrections?",
        "upward_continue": r"\bupward\b|continu\w* (?:\w+ ){0,3}up\b|\bhigher\b|"
        r"lift the observation",
        "reduce_to_pole": r"\brtp\b|(?:reduc|reduse)\w* (?:\w+ ){0,3}to (?:the )?pole|pole[- ]reduc",
        "field_derivative": r"derivative|differentiat|\bgradient\b|\b[12]vd\b|\bthdr?\b|\bthg\b",
        "euler_deconvolution": r"\beuler\b",
        "model_prisms": r"forward[- ]model|\bcube\b|\bprism\b|\bblock\b",
        "plot_grid": r"\b(?:a|as a) map\b|\bmap (?:it|that|this|them|the)\b|\bplot\b|\bdraw\b|"
        r"\bimage\b|\bdisplay\b",
    }.items()
}
FIGURE_TOOLS = frozenset(
    {"plot_section", "plot_comparison", "plot_grid", "plot_waveforms", "plot_spectrogram"}
)
# a request that rules out tools: answered in words
_NO_TOOLS = re.compile(
    r"\b(?:don'?t|do not|no need to|without)\s+(?:load\w*|open\w*|read\w*|touch\w*|process\w*)\s+"
    r"(?:the |this |that |my |any |it\b)?(?:files?|data|seg-?y|line|cube|gather|las|logs?|it)?"
    r"\s*(?:[.,;!)]|$|and\b|just\b)|\bexplanation only\b|\bonly (?:an? )?explanation\b|"
    r"\bjust (?:tell|explain)\b|\bno tools?\b|\bin words only\b",
    re.I,
)
_NO_FIGURE = re.compile(
    r"\bno (?:\w+ )?(?:figures?|plots?|pictures?|images?)\b|without (?:a |the |any )?(?:figure|plot)|"
    r"(?:don'?t|do not) (?:need|want|make|draw|save|show) (?:a |the |any )?"
    r"(?:figure|plot|picture|image)|skip the (?:figure|plot|picture|image)",
    re.I,
)
_SEARCH = re.compile(r"\b(?:find|search|look up|pull up|dig up|fetch|get)\b", re.I)
_AGAIN = re.compile(r"\b(?:same|again|redo|re-?run|repeat|once more)\b", re.I)


def concrete(text: str) -> bool:
    """Whether a request made without files is concrete enough to act on when it names
    a step: it gives a number (a setting: "a 35 km deep event at 62 degrees") or asks
    to search ("find me passages on ..."). "Give me the key facts about synthetic
    seismograms" is neither."""
    return bool(re.search(r"\d", text)) or bool(_SEARCH.search(text))


def named_tools(clause: str, offered: Collection[str]) -> list[str]:
    """The offered tools ``clause`` names, in the order it names them ("no plot yet"
    names none); a tool's own name ("segy_info on the exported file") names it too."""
    found = []
    for name in offered:
        patterns = [re.compile(rf"\b{name}\b", re.I)]
        if name in MENTIONS:
            patterns.insert(0, MENTIONS[name])
        for m in (m for p in patterns for m in p.finditer(clause)):
            if not negated(clause, m.start()):
                found.append((m.start(), name))
                break
    return [name for _, name in sorted(found)]


def unfinished(text: str, called: Sequence[str], offered: Collection[str]) -> str | None:
    """The tool of the first clause of ``text`` that names offered tools none of which
    is among the ``called`` tools (:func:`_done`), or None. A
    clause that names a tool already called counts as done: "a synthetic with spikes,
    then ..." names the synthetic and whatever the clause says about it."""
    done = set(called)
    for clause in clauses(text):
        names = named_tools(clause, offered)
        if not names:
            continue
        if not any(_done(n, done) for n in names):
            return names[0]
    return None


def _done(name: str, done: set[str]) -> bool:
    """Whether the step ``name`` is taken: called, or, for a figure, any figure made;
    a comparison is also taken by an SNR measurement ("compare it with the clean one
    in dB")."""
    return (
        name in done
        or (name in FIGURE_TOOLS and bool(done & FIGURE_TOOLS))
        or (name == "plot_comparison" and "measure_snr" in done)
    )


def step_left(
    question: str,
    called: Sequence[str],
    earlier: Sequence[str],
    offered: Collection[str],
    attached: Sequence[object],
    follow_up: bool = False,
) -> str | None:
    """The tool of a step ``question`` names that the turn has not taken
    (:func:`unfinished`), to ask the model for when it answered in words: after the
    turn's first calls (``called``), or with no call made, in a request without files
    that asks, all of it, for something to be done and is :func:`concrete` ("P and S
    travel times for a 35 km deep event at 62 degrees"), or in a ``follow_up`` that is
    not a question ("Cadzow it with the default rank"). The tools of ``earlier`` turns
    of a conversation count as taken ("the denoised inline" names a step that is done);
    a literature search's words are its topic, not steps."""
    if "search_literature" in called:
        return None
    if not called and follow_up:
        if is_question(question):
            return None
    elif not called and (attached or not acts_in_words(question) or not concrete(question)):
        return None
    return unfinished(question, [*called, *earlier], offered)


# settings too common to say which tool a message is about
_ANY_TOOL = frozenset({"data", "file", "figure", "title", "query"})


def named_instead(
    message: str,
    chosen: str,
    earlier: Sequence[str],
    offered: Registry,
) -> str | None:
    """The tool a follow-up ``message`` asks for when the model's first call of the turn
    is ``chosen``, not a reader, and the message does not name it (:func:`named_tools`;
    as in :func:`_done`, any figure tool stands for another): a tool the message names
    that no ``earlier`` turn ran, or that it asks to run again ("redo, plain median,
    half width 4"); else, in a message with a number, the latest ``earlier`` tool that
    has a setting the message names and ``chosen`` lacks ("threshold 0.4 please" after
    the fault finder). None: keep the call."""
    names = offered.names()
    settings = {n: set(offered.get(n).parameters.get("properties", {})) for n in names}
    named = named_tools(message, names)
    if "file" in settings.get(chosen, ()) or any(_done(n, {chosen}) for n in named):
        return None  # a reader (the agent reads what a step needs), or a named step
    again = bool(_AGAIN.search(message))
    for name in named:
        if name not in earlier or again:
            return name
    if not re.search(r"\d", message):
        return None
    words = message_words(message)
    asked = {
        k
        for k in {k for n in earlier for k in settings.get(n, ())} - _ANY_TOOL
        if names_setting(words, k)
    }
    asked -= set(settings.get(chosen, ()))
    for name in reversed(earlier):
        if name in names and "file" not in settings[name] and asked & settings[name]:
            return name  # not a reader: "inline 3" of a section read before is no new read
    return None


def refuses_tools(question: str) -> bool:
    """Whether the request rules out tools ("just tell me, don't open the file",
    "explanation only"): it is answered in words."""
    return bool(_NO_TOOLS.search(question))


def refuses_figures(question: str) -> bool:
    """Whether the request rules out figures ("no figure", "skip the picture") and names
    no figure step of its own ("... no figure, then plot the spectrum" names one)."""
    if not _NO_FIGURE.search(question):
        return False
    rest = _NO_FIGURE.sub(" ", question)
    return not named_tools(rest, FIGURE_TOOLS)
