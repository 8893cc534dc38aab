"""Seeded synthetic seismic: layered/folded/faulted impedance, wavelets, noise, labels.

Pure numpy API used by tests, benchmarks and the vision model's training data::

    s = make_section(n_traces=128, n_samples=256, dt_ms=4.0, seed=0)
    s.impedance, s.reflectivity, s.clean, s.fault_mask        # (n_traces, n_samples)
    noisy, dead = add_noise(s.clean, "random", snr_db=0.0, seed=1, dt_ms=4.0)

All arrays follow the tools' layout: traces first, time last. Impedance is in
(m/s)·(kg/m3); time in ms; the wavelets come from ``pylops.utils.wavelets``.
The tool at the bottom, ``make_synthetic``, saves them into a workspace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from common.errors import BadInputError
from tools.registry import Positive
from tools.result import ToolResult
from tools.workspace import Workspace

__all__ = [
    "SyntheticSection",
    "make_section",
    "make_wavelet",
    "reflectivity",
    "convolve_traces",
    "shift_samples",
    "add_noise",
    "make_synthetic",
    "NOISE_KINDS",
]

NOISE_KINDS = ("random", "linear", "spikes", "swell", "none")
PYLOPS_CITATION = (
    "Ravasi, M., and Vasconcelos, I., 2020, PyLops — A linear-operator Python "
    "library for scalable algebra and optimization: SoftwareX, 11, 100361"
)


@dataclass(frozen=True)
class SyntheticSection:
    """A synthetic 2D line; every array is (n_traces, n_samples) unless stated.

    Attributes:
        impedance: acoustic impedance, (m/s)·(kg/m3).
        reflectivity: normal-incidence reflection coefficients (dimensionless).
        clean: reflectivity convolved with ``wavelet`` (noise-free seismic).
        fault_mask: 1 within one trace of a fault plane, else 0 (uint8 labels).
        wavelet: (n_wavelet,) the zero-phase wavelet used, centred.
        dt_ms: sample interval in ms.
    """

    impedance: np.ndarray
    reflectivity: np.ndarray
    clean: np.ndarray
    fault_mask: np.ndarray
    wavelet: np.ndarray
    dt_ms: float

    @property
    def t_ms(self) -> np.ndarray:
        """(n_samples,) two-way time of each sample, ms."""
        return np.arange(self.clean.shape[-1]) * self.dt_ms


def make_wavelet(
    kind: str = "ricker",
    peak_hz: float = 25.0,
    dt_ms: float = 4.0,
    length_ms: float = 128.0,
    phase_deg: float = 0.0,
) -> np.ndarray:
    """A centred wavelet with unit peak, (n,) with n odd.

    Args:
        kind: "ricker" (peak at ``peak_hz``) or "ormsby" (trapezoid corners at
            0.2, 0.4, 1.6 and 2.4 times ``peak_hz``).
        peak_hz: dominant frequency in Hz.
        dt_ms: sample interval in ms.
        length_ms: total length in ms.
        phase_deg: constant phase rotation in degrees (0 = zero phase).
    """
    from pylops.utils.wavelets import ormsby, ricker

    nyquist = 500.0 / dt_ms
    if not 0 < peak_hz < nyquist:
        raise BadInputError(
            f"peak frequency {peak_hz} Hz must lie in (0, {nyquist:g}) Hz, "
            f"the Nyquist range of dt={dt_ms} ms"
        )
    n_side = int(length_ms / dt_ms) // 2 + 1
    n_side += 1 - n_side % 2  # PyLops crops an even-length axis to odd with a warning
    t = np.arange(n_side) * dt_ms / 1000.0  # s, one side
    if kind == "ricker":
        w = ricker(t, f0=peak_hz)[0]
    elif kind == "ormsby":
        f = np.array([0.2, 0.4, 1.6, 2.4]) * peak_hz
        w = ormsby(t, f=tuple(np.minimum(f, 0.99 * nyquist)), taper=np.hanning)[0]
    else:
        raise BadInputError(f"unknown wavelet kind {kind!r}; use 'ricker' or 'ormsby'")
    if phase_deg:
        from scipy.signal import hilbert

        phi = np.deg2rad(phase_deg)
        w = np.real(hilbert(w)) * np.cos(phi) - np.imag(hilbert(w)) * np.sin(phi)
    return w / np.max(np.abs(w))


def reflectivity(impedance: np.ndarray) -> np.ndarray:
    """Reflection coefficients (Z[k+1]-Z[k])/(Z[k+1]+Z[k]) along the last axis, same shape."""
    z = np.asarray(impedance, dtype=float)
    r = np.zeros_like(z)
    r[..., :-1] = (z[..., 1:] - z[..., :-1]) / (z[..., 1:] + z[..., :-1])
    return r


def convolve_traces(r: np.ndarray, wavelet: np.ndarray) -> np.ndarray:
    """Convolve each trace (last axis) with a centred wavelet; output has r's shape."""
    from scipy.signal import fftconvolve

    w = np.asarray(wavelet, dtype=float)
    full = fftconvolve(r, w.reshape((1,) * (r.ndim - 1) + (-1,)), axes=-1)
    start = (len(w) - 1) // 2
    return full[..., start : start + r.shape[-1]]


def shift_samples(x: np.ndarray, shift: float | np.ndarray) -> np.ndarray:
    """Delay traces (last axis) by a fractional number of samples (Fourier phase shift);
    ``shift`` is one delay or an array of delays per trace with a trailing axis of 1
    (e.g. (n_traces, 1): ``dip * np.arange(n_traces)[:, None]`` shears a section)."""
    n = x.shape[-1]
    spec = np.fft.rfft(x, n=2 * n, axis=-1)  # zero-padded against wrap-around
    k = np.fft.rfftfreq(2 * n)  # cycles per sample
    return np.fft.irfft(spec * np.exp(-2j * np.pi * k * shift), n=2 * n, axis=-1)[..., :n]


def _band_limited(fine_r: np.ndarray, fine_w: np.ndarray, k: int) -> np.ndarray:
    """Convolve (nx, n * k) reflectivity with a centred wavelet on its fine grid, delay it
    half a fine sample (as the k = 1 model) and keep every k-th sample: all in one
    spectrum, keeping only frequencies below the coarse Nyquist (an ideal anti-alias
    filter; the wavelets carry next to nothing above it). Returns (nx, n)."""
    nf = fine_r.shape[-1]
    n = nf // k
    c = (len(fine_w) - 1) // 2
    w = np.zeros(2 * nf)
    w[: len(fine_w) - c], w[len(w) - c :] = fine_w[c:], fine_w[:c]  # centre at lag 0
    bins = np.arange(n + 1)
    delay = np.exp(-2j * np.pi * bins * 0.5 / (2 * nf))
    spec = np.fft.rfft(fine_r, n=2 * nf, axis=-1)[..., : n + 1]
    spec *= np.fft.rfft(w)[: n + 1] * delay
    return np.fft.irfft(spec, n=2 * n, axis=-1)[..., :n] / k


def make_section(
    n_traces: int = 128,
    n_samples: int = 256,
    dt_ms: float = 4.0,
    seed: int = 0,
    n_layers: int = 40,
    fold_ms: float = 24.0,
    n_faults: int = 2,
    max_throw_ms: float = 30.0,
    wavelet: str = "ricker",
    peak_hz: float = 25.0,
    oversample: int = 1,
) -> SyntheticSection:
    """A layered, folded and faulted impedance section and its convolutional seismic.

    The model is built in relative geologic time u(x, t): layers are intervals of u,
    folds shift u by a few smooth sinusoids growing with depth, and each fault adds its
    throw to u on its hanging wall (the side right of a dipping plane).

    Args:
        n_traces: number of traces (x axis).
        n_samples: samples per trace (time axis).
        dt_ms: sample interval in ms.
        seed: seed of the random generator; the same seed gives the same section.
        n_layers: number of layers with distinct impedance.
        fold_ms: largest vertical fold displacement, ms.
        n_faults: number of normal faults.
        max_throw_ms: largest fault throw, ms.
        wavelet: "ricker" or "ormsby", see :func:`make_wavelet`.
        peak_hz: dominant frequency of the wavelet in Hz.
        oversample: model the seismic on a grid this many times finer in time and keep
            every ``oversample``-th sample. With 1 (exact convolutional model: ``clean``
            is ``reflectivity`` convolved with ``wavelet``) a bed boundary snaps to the
            nearest sample, so thin beds flicker from trace to trace — sample-scale
            lateral noise no recorded (anti-alias filtered) data has. With 8, boundaries
            sit within dt/8 and the section is band-limited like real data; impedance and
            reflectivity stay on the coarse grid, so ``clean`` then only approximates
            their convolution. Same seed, same geology whatever the factor.
    """
    if n_traces < 2 or n_samples < 16:
        raise BadInputError(
            f"a section needs at least 2 traces and 16 samples, got {n_traces}x{n_samples}"
        )
    k = int(oversample)
    if k < 1:
        raise BadInputError(f"oversample must be an integer >= 1, got {oversample}")
    rng = np.random.default_rng(seed)
    t = np.arange(n_samples * k) * dt_ms / k  # (nt * k,) ms, the modelling grid
    x = np.arange(n_traces, dtype=float)  # (nx,) trace index
    t_max = n_samples * dt_ms
    depth_frac = t[None, :] / t_max  # (1, nt * k), folds grow with depth

    u = np.broadcast_to(t[None, :], (n_traces, len(t))).copy()  # (nx, nt * k) ms
    for _ in range(3):
        wavelength = rng.uniform(0.5, 2.0) * n_traces
        amp = rng.uniform(0.3, 1.0) * fold_ms / 3
        u -= (
            amp
            * np.sin(2 * np.pi * x[:, None] / wavelength + rng.uniform(0, 2 * np.pi))
            * (0.3 + depth_frac)
        )

    fault_mask = np.zeros((n_traces, n_samples), dtype=np.uint8)
    for _ in range(n_faults):
        x_top = rng.uniform(0.15, 0.85) * n_traces
        # fault plane x_f(t) = x_top + slope * t, slope in traces per ms (60-80 degree dips)
        slope = rng.choice([-1, 1]) * rng.uniform(0.05, 0.2) * n_traces / t_max
        x_f = x_top + slope * t  # (nt * k,)
        throw = rng.uniform(0.4, 1.0) * max_throw_ms
        hanging = x[:, None] > x_f[None, :] if slope > 0 else x[:, None] < x_f[None, :]
        u -= throw * hanging
        near = np.abs(x[:, None] - x_f[None, ::k]) <= 1.0
        fault_mask |= near.astype(np.uint8)

    # blocky impedance: layer boundaries in u, compaction trend plus random contrasts
    coarse = u[:, ::k]  # u on the output samples: the layer draws do not depend on k
    edges = np.sort(rng.uniform(coarse.min() - fold_ms, coarse.max() + max_throw_ms, n_layers - 1))
    log_z = np.log(2.5e6) + np.linspace(0, 1.0, n_layers) + rng.normal(0, 0.12, n_layers)
    layer = np.searchsorted(edges, u)  # (nx, nt * k) layer index
    impedance = np.exp(log_z[layer[:, ::k]])  # (nx, nt)
    r = reflectivity(impedance)
    w = make_wavelet(wavelet, peak_hz, dt_ms)
    if k == 1:
        # r[k] belongs to the interface between samples k and k+1, half a sample later
        clean = shift_samples(convolve_traces(r, w), 0.5)
    else:
        clean = _band_limited(
            reflectivity(np.exp(log_z[layer])), make_wavelet(wavelet, peak_hz, dt_ms / k), k
        )
    return SyntheticSection(impedance, r, clean, fault_mask, w, float(dt_ms))


def add_noise(
    clean: np.ndarray,
    kind: str = "random",
    snr_db: float = 0.0,
    seed: int = 0,
    dt_ms: float = 4.0,
    missing_fraction: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Add one kind of noise to a (n_traces, n_samples) section at a given SNR.

    SNR is 10·log10(Σ clean² / Σ noise²) over the whole section.

    Args:
        clean: (n_traces, n_samples) noise-free section.
        kind: "random" (white Gaussian), "linear" (coherent dipping low-frequency
            events, like ground roll), "spikes" (isolated large samples, 0.2 % of them),
            "swell" (1-3 Hz high-amplitude bursts on ~10 % of traces) or "none".
        snr_db: signal-to-noise ratio of the added noise, dB.
        seed: random seed.
        dt_ms: sample interval in ms (sets the frequency of swell and linear noise).
        missing_fraction: fraction (0-1) of traces zeroed, as dead or missing traces.

    Returns:
        (noisy, dead) with noisy of clean's shape and dead a (n_traces,) bool mask.
    """
    if kind not in NOISE_KINDS:
        raise BadInputError(f"unknown noise kind {kind!r}; choose one of {NOISE_KINDS}")
    if not 0 <= missing_fraction < 1:
        raise BadInputError(f"missing_fraction must be in [0, 1), got {missing_fraction}")
    rng = np.random.default_rng(seed)
    nx, nt = clean.shape
    t = np.arange(nt) * dt_ms / 1000.0  # s
    if kind == "random":
        noise = rng.standard_normal((nx, nt))
    elif kind == "linear":
        noise = np.zeros((nx, nt))
        for _ in range(3):
            p = rng.uniform(2, 8) * dt_ms / 1000.0 * rng.choice([-1, 1])  # s/trace
            t0 = rng.uniform(0, t[-1])
            f = rng.uniform(5, 12)  # Hz, ground-roll-like
            tau = t[None, :] - t0 - p * np.arange(nx)[:, None]
            noise += np.cos(2 * np.pi * f * tau) * np.exp(-((tau / 0.15) ** 2))
    elif kind == "spikes":
        noise = np.zeros((nx, nt))
        n = max(1, int(0.002 * nx * nt))
        noise.flat[rng.choice(nx * nt, n, replace=False)] = rng.choice([-1, 1], n)
    elif kind == "swell":
        noise = np.zeros((nx, nt))
        for i in rng.choice(nx, max(1, nx // 10), replace=False):
            f = rng.uniform(1, 3)
            noise[i] = np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
    else:
        noise = np.zeros((nx, nt))
    if kind != "none":
        p_signal = np.mean(clean**2)
        noise *= np.sqrt(p_signal / (np.mean(noise**2) * 10 ** (snr_db / 10)))
    noisy = clean + noise
    dead = np.zeros(nx, dtype=bool)
    if missing_fraction > 0:
        dead[rng.choice(nx, int(round(missing_fraction * nx)), replace=False)] = True
        noisy[dead] = 0.0
    return noisy, dead


def make_synthetic(
    workspace: Workspace,
    n_traces: int = 200,
    n_samples: int = 300,
    dt_ms: Annotated[float, Field(ge=0.01, le=100)] = 4.0,
    peak_hz: Positive = 25.0,
    noise: Literal["random", "linear", "spikes", "swell", "none"] = "random",
    snr_db: Annotated[float, Field(ge=-100, le=100)] = 0.0,
    missing_fraction: Annotated[float, Field(ge=0, le=0.9)] = 0.0,
    n_faults: Annotated[int, Field(ge=0, le=10)] = 2,
    seed: Annotated[int, Field(ge=0)] = 0,
) -> ToolResult:
    """Make a seeded synthetic 2D seismic line (folded, faulted layers) with noise and labels.

    Args:
        n_traces: number of traces, 2 to 5000.
        n_samples: samples per trace, 16 to 10000.
        dt_ms: sample interval in milliseconds.
        peak_hz: peak frequency of the Ricker wavelet, in Hz.
        noise: kind of noise added to the clean section.
        snr_db: signal-to-noise ratio of the added noise, in dB.
        missing_fraction: fraction of traces zeroed as missing, 0 to 0.9.
        n_faults: number of faults, 0 to 10.
        seed: random seed; the same seed gives the same data.
    """
    if not (2 <= n_traces <= 5000 and 16 <= n_samples <= 10000):
        raise BadInputError(
            f"size {n_traces}x{n_samples} out of range; use 2-5000 traces and 16-10000 samples"
        )
    if not 0 <= n_faults <= 10 or not 0 <= missing_fraction <= 0.9 or not 0.01 <= dt_ms <= 100:
        raise BadInputError(
            "n_faults must be 0-10, missing_fraction 0-0.9 and dt_ms 0.01-100 ms, got "
            f"{n_faults}, {missing_fraction} and {dt_ms}"
        )
    if seed < 0:
        raise BadInputError(f"seed must be a whole number >= 0, got {seed}")
    if not -100 <= snr_db <= 100:  # 10**(snr/10) overflows far beyond any real data
        raise BadInputError(f"snr_db must be between -100 and 100 dB, got {snr_db:g}")
    s = make_section(n_traces, n_samples, dt_ms, seed, n_faults=n_faults, peak_hz=peak_hz)
    noisy, dead = add_noise(s.clean, noise, snr_db, seed + 1, dt_ms, missing_fraction)
    geo = {"dt_ms": dt_ms, "t0_ms": 0.0, "axes": ["trace", "twt_ms"], "synthetic_seed": seed}
    a_noisy = workspace.save_array(
        noisy.astype(np.float32),
        f"synthetic {noise} noise {snr_db:g} dB",
        dict(geo, dead_traces=np.flatnonzero(dead)),
    )
    a_clean = workspace.save_array(s.clean.astype(np.float32), "synthetic clean section", geo)
    a_imp = workspace.save_array(
        s.impedance.astype(np.float32), "synthetic impedance", dict(geo, units="(m/s)*(kg/m3)")
    )
    a_fault = workspace.save_array(s.fault_mask, "synthetic fault mask (1 = fault)", geo)
    summary = (
        f"synthetic {n_traces}x{n_samples} traces x samples at {dt_ms:g} ms: noisy "
        f"{a_noisy.id} ({noise}, {snr_db:g} dB), clean {a_clean.id}, impedance "
        f"{a_imp.id}, fault mask {a_fault.id}"
    )
    return ToolResult(
        summary,
        (a_noisy, a_clean, a_imp, a_fault),
        {"snr_db": float(snr_db), "dead_traces": float(dead.sum())},
    )
