"""Quality metrics: SNR against a reference, SNR estimated without one, correlation.

Pure functions take arrays with time on the last axis; the tool ``measure_snr`` reads
workspace ids.
"""

from __future__ import annotations

import numpy as np

from common.errors import BadInputError
from tools.registry import ArrayId
from tools.result import ToolResult
from tools.section import load_section
from tools.workspace import Workspace

__all__ = ["snr_db", "estimate_snr_db", "correlation", "nrmse", "measure_snr"]


def snr_db(reference: np.ndarray, estimate: np.ndarray) -> float:
    """10·log10(Σ reference² / Σ (estimate − reference)²), in dB; +inf when equal."""
    reference = np.asarray(reference, dtype=float)
    estimate = np.asarray(estimate, dtype=float)
    if reference.shape != estimate.shape:
        raise BadInputError(f"shapes differ: reference {reference.shape} vs {estimate.shape}")
    err = np.sum((estimate - reference) ** 2)
    sig = np.sum(reference**2)
    if err == 0:
        return float("inf")
    return float(10 * np.log10(sig / err)) if sig > 0 else float("-inf")


def estimate_snr_db(data: np.ndarray, max_lag: int = 2) -> float:
    """SNR *estimate* without a reference, from neighbouring-trace similarity, dB.

    If adjacent traces share the signal s and carry independent noise, their
    correlation coefficient is ρ = S/(S+N), so S/N = ρ/(1−ρ). The best ρ within
    ±``max_lag`` samples absorbs small dips. Biased low where the signal is not
    laterally continuous (faults, steep dips), so label it an estimate.

    Args:
        data: (n_traces, n_samples) section or (n_il, n_xl, n_samples) cube.
        max_lag: largest lag searched, samples.
    """
    d = np.asarray(data, dtype=float).reshape(-1, np.shape(data)[-1])
    a, b = d[:-1], d[1:]
    live = (np.sum(a**2, 1) > 0) & (np.sum(b**2, 1) > 0)
    a, b = a[live], b[live]
    if len(a) == 0:
        raise BadInputError("cannot estimate SNR: fewer than two live neighbouring traces")
    best = -1.0
    n = d.shape[1]
    for lag in range(-max_lag, max_lag + 1):
        x = a[:, max(lag, 0) : n + min(lag, 0)]
        y = b[:, max(-lag, 0) : n - max(lag, 0)]
        rho = np.sum(x * y) / np.sqrt(np.sum(x**2) * np.sum(y**2))
        best = max(best, float(rho))
    best = min(max(best, 1e-6), 1 - 1e-6)
    return float(10 * np.log10(best / (1 - best)))


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation coefficient of two equally shaped arrays."""
    a = np.ravel(a).astype(float)
    b = np.ravel(b).astype(float)
    if a.shape != b.shape:
        raise BadInputError(f"shapes differ: {np.shape(a)} vs {np.shape(b)}")
    a, b = a - a.mean(), b - b.mean()
    den = np.sqrt(np.sum(a * a) * np.sum(b * b))
    return float(np.sum(a * b) / den) if den > 0 else 0.0


def nrmse(reference: np.ndarray, estimate: np.ndarray) -> float:
    """‖estimate − reference‖ / ‖reference‖ (dimensionless)."""
    reference = np.asarray(reference, dtype=float)
    return float(np.linalg.norm(np.asarray(estimate) - reference) / np.linalg.norm(reference))


def measure_snr(
    workspace: Workspace, data: ArrayId, reference: ArrayId | None = None
) -> ToolResult:
    """Signal-to-noise ratio of a section: exact against a clean reference, else estimated.

    Args:
        data: workspace id of the section to measure (traces x samples).
        reference: workspace id of the noise-free section of the same shape, if known;
            without it the SNR is estimated from neighbouring-trace similarity (dB).
    """
    d = load_section(workspace, data)
    metrics = {"snr_est_db": estimate_snr_db(d.data)}
    text = f"{data}: SNR est. {metrics['snr_est_db']:.1f} dB (trace-similarity estimate)"
    if reference is not None:
        r = load_section(workspace, reference)
        if r.data.shape != d.data.shape:
            raise BadInputError(
                f"{reference} is {r.data.shape}, {data} is {d.data.shape}; "
                "the reference must have the same shape"
            )
        metrics["snr_db"] = snr_db(r.data, d.data)
        metrics["correlation"] = correlation(r.data, d.data)
        text = (
            f"{data} vs {reference}: SNR {metrics['snr_db']:.1f} dB, correlation "
            f"{metrics['correlation']:.3f}; SNR est. {metrics['snr_est_db']:.1f} dB"
        )
    return ToolResult(text, metrics=metrics)
