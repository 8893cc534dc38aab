"""Two-stage routing: the domain first, then the tool within it.

The chat router is a 135M model; a prompt listing every tool would be long and would
offer it tools its adapter never saw. So a turn is first given a domain, and the model
then chooses among that domain's tools only:

- ``reflection``: reflection seismic, wells and the literature (``tools.REGISTRY``, the
  tools the adapter is trained on; its prompt is exactly the single-domain one);
- ``seismology``: earthquake waveforms on ObsPy (``tools.SEISMOLOGY``);
- ``potential_fields``: gravity and magnetics on Harmonica/Verde (``tools.POTENTIAL_FIELDS``).

The files decide first: a waveform stream shown with the request means seismology, a
gravity/magnetic CSV or netCDF file or grid means potential fields, and a SEG-Y, NumPy,
LAS or text file means reflection. Without a file, the request's words are compared with
short example requests of each domain (cosine similarity of sentence embeddings, the
mean of the ``k`` best per domain); a domain other than reflection needs to win by
``margin``, so questions and anything unclear stay with the trained router.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tools import POTENTIAL_FIELDS, REGISTRY, SEISMOLOGY, Registry
from tools.result import Artifact
from tools.workspace import Workspace

if TYPE_CHECKING:
    from corpus.embed import Embedder

__all__ = ["Domain", "DomainRouter", "DOMAINS", "REFLECTION"]

REFLECTION = "reflection"
_PF_SUFFIXES = (".csv", ".nc")


@dataclass(frozen=True)
class Domain:
    """A set of tools the router offers together, with example requests for it."""

    name: str
    registry: Registry
    examples: tuple[str, ...]


# Example requests, written for this router (not taken from any evaluation set).
DOMAINS: tuple[Domain, ...] = (
    Domain(
        REFLECTION,
        REGISTRY,
        (
            "Bandpass the seismic section between 10 and 60 Hz",
            "Read inline 400 from the SEG-Y cube and plot it",
            "Remove random noise from this stacked section with f-x deconvolution",
            "Apply automatic gain control to the line",
            "Make a synthetic seismic section with two faults",
            "Create a noisy synthetic line sampled at 4 ms with a 30 Hz Ricker wavelet",
            "Synthetic data please: 200 traces, random noise, seed 5",
            "Fill in the dead traces of this section",
            "Find the faults in this seismic image",
            "Invert the section for acoustic impedance",
            "Estimate the wavelet from the seismic traces",
            "Write the filtered section back to SEG-Y",
            "Load the well log and convert it to time with the checkshot",
            "Denoise this seismic line with the foundation model",
            "Show the amplitude spectrum of the stack",
            "Search the literature for papers on multiple attenuation",
            "Find a few passages about surface waves in the indexed papers",
            "Give me references on deconvolution",
            "What is normal moveout?",
            "Why does full waveform inversion need a good starting model?",
            "How does a P wave differ from an S wave?",
            "What does reduction to the pole do to a magnetic anomaly?",
            "Explain the Bouguer correction",
            "What is an STA/LTA trigger?",
            "How is seismic resolution related to frequency?",
            "Which processing steps come before migration?",
        ),
    ),
    Domain(
        "seismology",
        SEISMOLOGY,
        (
            "Pick the P arrival on this earthquake record",
            "Read the MiniSEED file and plot the waveforms",
            "Run an STA/LTA trigger on the seismogram to detect events",
            "Detrend, taper and bandpass the earthquake waveform from 1 to 10 Hz",
            "Compute phase arrival times from the focal depth and epicentral distance",
            "When should the P wave arrive at this station according to iasp91?",
            "Use TauP with ak135 for arrivals of a 100 km deep quake at 70 degrees",
            "Show a spectrogram of the seismometer trace",
            "Resample the waveform to 20 samples per second",
            "Find the P and S onsets with the AR picker",
            "Plot the three-component seismograms of the SAC file",
            "Detect earthquakes in this continuous seismometer data",
            "Filter the seismic station recording and pick the first arrival",
            "Theoretical arrival times of PcP and pP for a deep earthquake",
        ),
    ),
    Domain(
        "potential_fields",
        POTENTIAL_FIELDS,
        (
            "Interpolate irregular station readings onto a regular mesh",
            "Smooth out shallow effects by raising the observation level of the Bouguer map",
            "Reduce the magnetic anomaly to the pole, inclination 60 declination 5",
            "Sharpen the anomalies with a first vertical derivative",
            "Apply the free-air and Bouguer corrections to the gravity data",
            "Estimate source depths with Euler deconvolution",
            "Model the gravity anomaly of a buried dense block 800 m deep",
            "Forward model the magnetic field of a susceptible cube",
            "Map the Bouguer anomaly",
            "Read the gravity CSV and make a grid",
            "Edge detection on the aeromagnetic survey with the total horizontal gradient",
            "Plot the total-field magnetic anomaly map",
            "Normal gravity correction of the station readings",
            "Continue the magnetic field upward to 1000 m to suppress shallow sources",
        ),
    ),
)


@dataclass
class DomainRouter:
    """Chooses the domain of a turn (see the module notes)."""

    domains: tuple[Domain, ...] = DOMAINS
    embedder: Embedder | None = None
    k: int = 3
    margin: float = 0.05
    _vectors: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def registry(self, name: str) -> Registry:
        return next(d.registry for d in self.domains if d.name == name)

    def choose(
        self, request: str, shown: Sequence[Artifact], workspace: Workspace | None = None
    ) -> str:
        """The domain of a request with the items ``shown`` with it."""
        by_files = self.by_files(shown, workspace)
        return by_files if by_files is not None else self.by_words(request)

    def by_files(self, shown: Sequence[Artifact], workspace: Workspace | None) -> str | None:
        """The domain the shown items mark, or None (no item, or none that tells)."""
        found: list[str] = []
        for a in shown:
            suffix = Path(a.path).suffix.lower()
            meta: dict[str, Any] = {}
            if workspace is not None and a.id in workspace:
                meta = workspace.meta(a.id).get("metadata", {})
            if a.kind == "stream":
                found.append("seismology")
            elif suffix in _PF_SUFFIXES or "pf" in meta:
                found.append("potential_fields")
            elif a.kind in ("segy", "array", "file"):
                found.append(REFLECTION)
        if not found:
            return None
        # the domain most items mark; on a tie, the first one shown (a set's order would
        # change from run to run)
        return max(dict.fromkeys(found), key=found.count)

    def by_words(self, request: str) -> str:
        """The domain whose examples the request is most like (reflection unless another
        wins by ``margin``)."""
        scores = self.scores(request)
        best = max(scores, key=lambda n: scores[n])
        if best != REFLECTION and scores[best] - scores[REFLECTION] < self.margin:
            return REFLECTION
        return best

    def scores(self, request: str) -> dict[str, float]:
        """Mean cosine similarity of the request to each domain's ``k`` closest examples."""
        q = self._embed([request])[0]
        out = {}
        for d in self.domains:
            sims = np.sort(self._examples(d) @ q)[::-1][: self.k]
            out[d.name] = float(sims.mean())
        return out

    def _examples(self, d: Domain) -> np.ndarray:
        if d.name not in self._vectors:
            self._vectors[d.name] = self._embed(list(d.examples))
        return self._vectors[d.name]

    def _embed(self, texts: list[str]) -> np.ndarray:
        if self.embedder is None:
            self.embedder = _shared_embedder()
        v = np.asarray(self.embedder.embed(texts), np.float32)
        return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


@lru_cache(maxsize=1)
def _shared_embedder() -> Embedder:
    """The embedded MiniLM, loaded once per process on first use (every router without an
    embedder of its own shares it)."""
    from corpus.embed import default_embedder

    return default_embedder()
