"""Semblance-based coherence (Marfurt et al. 1998), its complement discontinuity, and
the ``coherence_faults`` tool.

Pure numpy on (n_traces, n_samples) sections, time last::

    coh = semblance_coherence(section)       # (n_traces, n_samples), 1 coherent .. 0 not
    disc = discontinuity(section)            # 0 continuous .. 1 broken, noise floor removed

For each sample, the semblance of ``win_traces`` neighbouring traces over ``win_samples``
samples is computed along each dip of a scan (samples per trace, fractional shifts by
linear interpolation in time); the coherence is the largest, so dipping beds stay
coherent and faults, which no dip aligns, do not. Semblance over an analysis window is
Σ_t (Σ_j u_j)² / (J Σ_t Σ_j u_j²) for J traces; 1 where the traces are equal along the dip.
Traces beyond the section's edges are left out of the window, not padded.

The defaults (3 traces x 31 samples, dips -3 to +3 samples per trace in steps of 0.25,
a 21-trace floor) and ``FAULT_THRESHOLD`` were chosen by pixel F1 against the fault
labels of ``tools.synthetic`` sections, clean and with 10 dB noise
(``python -m finetune.coherence_calibrate``); 5-trace windows blur faults beyond their
labels, and shorter windows lose them in noise.

Random noise lowers semblance everywhere (to about S/(S+N)), so ``discontinuity``
measures 1 − coherence above its own lateral median (the noise floor at that time over
``background_traces`` traces, which a fault a few traces wide barely moves): one
threshold then serves clean and noisy data.
"""

from __future__ import annotations

import numpy as np

from common.errors import BadInputError
from tools.processing import fault_result
from tools.registry import ArrayId
from tools.result import ToolResult
from tools.section import apply_2d, load_section
from tools.workspace import Workspace

__all__ = [
    "semblance_coherence",
    "discontinuity",
    "coherence_faults",
    "FAULT_THRESHOLD",
    "SEMBLANCE_CITATION",
]

SEMBLANCE_CITATION = (
    "Marfurt, K. J., Kirlin, R. L., Farmer, S. L., and Bahorich, M. S., 1998, 3-D seismic "
    "attributes using a semblance-based coherency algorithm: Geophysics, 63(4), 1150-1165"
)
# The best mean pixel F1 (0.71 clean, 0.58 with 10 dB random noise) against the fault
# labels of 12 synthetic sections, 200x400 samples at 4 ms, 20-40 Hz, 2-3 faults, seeds
# 5000-5011: `python -m finetune.coherence_calibrate`.
FAULT_THRESHOLD = 0.175


def _shifted(padded: np.ndarray, pad: int, shift: float, nt: int) -> np.ndarray:
    """u(x, t + shift) for (nx, nt + 2 * pad) zero-padded traces, linear in the fraction."""
    lo = int(np.floor(shift))
    frac = shift - lo
    a = padded[:, pad + lo : pad + lo + nt]
    if frac == 0:
        return a
    b = padded[:, pad + lo + 1 : pad + lo + 1 + nt]
    return (1 - frac) * a + frac * b


def semblance_coherence(
    section: np.ndarray,
    win_traces: int = 3,
    win_samples: int = 31,
    max_dip: float = 3.0,
    dip_step: float = 0.25,
) -> np.ndarray:
    """Largest semblance over a dip scan, per sample, in [0, 1].

    Args:
        section: (n_traces, n_samples) amplitudes.
        win_traces: traces in the analysis window (odd; centred on the sample).
        win_samples: samples in the analysis window (odd; centred).
        max_dip: steepest dip scanned, samples per trace (both signs).
        dip_step: dip increment, samples per trace.

    Returns:
        (n_traces, n_samples) coherence; 1 where the window holds no energy.
    """
    from scipy.ndimage import uniform_filter1d

    u = np.asarray(section, dtype=np.float64)
    u = u / (float(np.max(np.abs(u), initial=0.0)) or 1.0)  # squares stay finite
    nx, nt = u.shape
    half = win_traces // 2
    offsets = np.arange(-half, half + 1)  # (J,) trace offsets in the window
    pad = int(np.ceil(max_dip * half)) + 1
    padded = np.pad(u, ((0, 0), (pad, pad)))
    # u at trace x + j (zero beyond the edges) and how many traces each window holds
    neighbours = []
    count = np.zeros(nx)
    for j in offsets:
        rows = np.arange(nx) + j
        valid = (rows >= 0) & (rows < nx)
        neighbours.append((np.clip(rows, 0, nx - 1), valid))
        count += valid
    best = np.zeros_like(u)
    for dip in np.arange(-max_dip, max_dip + dip_step / 2, dip_step):
        stack = np.zeros_like(u)
        energy = np.zeros_like(u)
        for j, (rows, valid) in zip(offsets, neighbours):
            v = _shifted(padded[rows], pad, dip * j, nt) * valid[:, None]  # (nx, nt)
            stack += v
            energy += v * v
        num = uniform_filter1d(stack * stack, win_samples, axis=1, mode="constant")
        den = uniform_filter1d(energy, win_samples, axis=1, mode="constant") * count[:, None]
        np.maximum(best, num / np.maximum(den, 1e-30), out=best)
    quiet = uniform_filter1d(u * u, win_samples, axis=1) <= 1e-12 * max(
        float(np.mean(u * u)), 1e-300
    )
    best[quiet] = 1.0
    return np.clip(best, 0.0, 1.0)


def discontinuity(
    section: np.ndarray,
    win_traces: int = 3,
    win_samples: int = 31,
    max_dip: float = 3.0,
    dip_step: float = 0.25,
    background_traces: int = 21,
) -> np.ndarray:
    """Discontinuity in [0, 1]: 1 − :func:`semblance_coherence` above its lateral noise
    floor, high across faults and other breaks of reflector continuity.

    Args:
        section: (n_traces, n_samples) amplitudes.
        win_traces: traces in the semblance window.
        win_samples: samples in the semblance window.
        max_dip: steepest dip scanned, samples per trace.
        dip_step: dip increment, samples per trace.
        background_traces: traces over which the median of 1 − coherence at each time is
            taken as the noise floor; d is rescaled to (d − floor) / (1 − floor), clipped
            at 0. 1 or less: plain 1 − coherence.

    Returns:
        (n_traces, n_samples) discontinuity, 0 where continuous.
    """
    from scipy.ndimage import median_filter

    d = 1.0 - semblance_coherence(section, win_traces, win_samples, max_dip, dip_step)
    if background_traces <= 1:
        return d
    floor = median_filter(d, size=(background_traces, 1), mode="nearest")
    return np.clip((d - floor) / np.maximum(1.0 - floor, 1e-12), 0.0, 1.0)


def coherence_faults(
    workspace: Workspace,
    data: ArrayId,
    threshold: float = FAULT_THRESHOLD,
    figure: bool = True,
) -> ToolResult:
    """Highlight faults with semblance-based coherence (Marfurt et al. 1998): a discontinuity section (0 continuous to 1 broken) and an overlay figure.

    Args:
        data: workspace id of the section (traces x samples) or cube (time on the last
            axis, each inline on its own); amplitudes in any unit.
        threshold: discontinuity (0 to 1, dimensionless) above which a sample counts as
            fault in the overlay and the fault fraction; the default had the best pixel
            F1 against the fault labels of synthetic sections, clean and noisy.
        figure: also save the section with the discontinuity above the threshold
            overlaid in red (PNG).
    """
    if not 0 < threshold < 1:
        raise BadInputError(f"threshold must be between 0 and 1, got {threshold}")
    sec = load_section(workspace, data)
    return fault_result(
        workspace,
        sec,
        apply_2d(discontinuity, sec.data),
        threshold,
        "coherence faults",
        "discontinuity",
        f"semblance discontinuity of {sec.id}",
        {"win_traces": 3, "win_samples": 31, "max_dip": 3.0, "background_traces": 21},
        "semblance discontinuity",
        figure,
        (SEMBLANCE_CITATION,),
    )
