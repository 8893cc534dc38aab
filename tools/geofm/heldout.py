"""The held-out synthetic sections the vision GeoFM is judged on, and fault-mask F1.

``benchmarks.geofm`` scores the heads on sections with seeds from ``HELDOUT_SEED`` up;
``finetune.geofm_calibrate`` picks the fault threshold on sections modelled the same way
with later seeds. Training never draws these seeds (``tools.geofm.data``).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import binary_dilation

from tools.synthetic import SyntheticSection, add_noise, make_section

__all__ = ["HELDOUT_OVERSAMPLE", "held_out_section", "fault_inputs", "f1_scores"]

# held-out sections are modelled this many times finer in time (make_section's oversample)
HELDOUT_OVERSAMPLE = 8


def held_out_section(
    seed: int, k: int, size: tuple[int, int], oversample: int = HELDOUT_OVERSAMPLE
) -> SyntheticSection:
    """The ``k``-th evaluation section (4 ms) with section seed ``seed``: peak frequency
    20/30/40 Hz and 2 or 3 faults in turn (``tools.synthetic.make_section``), modelled
    ``oversample`` times finer in time (8: band-limited like recorded data; 1: the
    sample-snapped beds of the figures before 2026-12-02)."""
    return make_section(
        *size,
        4.0,
        seed=seed,
        peak_hz=(20.0, 30.0, 40.0)[k % 3],
        n_faults=2 + k % 2,
        oversample=oversample,
    )


def fault_inputs(section: SyntheticSection, seed: int) -> tuple[tuple[str, np.ndarray], ...]:
    """The inputs faults are scored on: the clean section, and with 10 dB random noise."""
    return (
        ("clean", section.clean),
        ("10 dB", add_noise(section.clean, "random", 10.0, seed=seed + 1)[0]),
    )


def f1_scores(
    prob: np.ndarray, labels: np.ndarray, threshold: float = 0.5, tolerance: int = 2
) -> tuple[float, float]:
    """(pixel F1, F1 where a hit within ``tolerance`` traces counts) of fault masks."""
    pred, true = prob > threshold, labels > 0
    tp = np.sum(pred & true)
    pixel = 2 * tp / max(pred.sum() + true.sum(), 1)
    grow = np.ones((2 * tolerance + 1, 1), bool)  # along traces only
    precision = np.sum(pred & binary_dilation(true, grow)) / max(pred.sum(), 1)
    recall = np.sum(true & binary_dilation(pred, grow)) / max(true.sum(), 1)
    tol = 2 * precision * recall / max(precision + recall, 1e-12)
    return float(pixel), float(tol)
