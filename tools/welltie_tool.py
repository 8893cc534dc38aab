"""The ``tie_well`` tool: read sonic and density (lasio), tie them to a 2D line, save results.

The science is in :mod:`tools.welltie`; this module validates the inputs (every check runs
before anything is written), edits the density log, calls the tie and draws the figure.
Registered in ``tools.WELL_TIE`` (reached through ``tools.ALL``).
"""

from __future__ import annotations

import os
from typing import Literal

import numpy as np

from common.errors import BadInputError
from tools.inversion import well_trace
from tools.plotting import pyplot, save_figure
from tools.registry import ArrayId, FileId, NonNegative, Positive
from tools.result import Artifact, ToolResult
from tools.section import Section, load_section
from tools.spectrum import statistical_wavelet
from tools.wells import read_checkshot
from tools.welltie import (
    WHITE_1980_CITATION,
    WHITE_SIMM_CITATION,
    Tie,
    density_to_kg_m3,
    impedance_in_time,
    sonic_to_us_per_m,
    sonic_twt,
    synthetic_trace,
    tie_trace,
)
from tools.workspace import Workspace

__all__ = [
    "GARDNER_CITATION",
    "WHITE_SIMM_CITATION",
    "WHITE_1980_CITATION",
    "SONIC_NAMES",
    "DENSITY_NAMES",
    "read_sonic_density",
    "tie_well",
]

GARDNER_CITATION = (
    "Gardner, G. H. F., Gardner, L. W., and Gregory, A. R., 1974, Formation velocity and "
    "density - the diagnostic basics for stratigraphic traps: Geophysics, 39(6), 770-780"
)
SONIC_NAMES = ("DT", "DTC", "DTCO", "DT4P", "AC", "SONIC", "DTP")
DENSITY_NAMES = ("RHOB", "RHOZ", "DEN", "DENS", "ZDEN", "RHO")


def read_sonic_density(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Depth (m), sonic slowness (µs/m) and density (kg/m3) of a LAS file, NaN where null.

    Returns:
        (depth_m, slowness_us_m, density_kg_m3, well name), each array (n,).
    """
    import lasio

    name = os.path.basename(path)
    try:
        las = lasio.read(str(path))
    except Exception as e:  # lasio raises many types for malformed files
        raise BadInputError(f"{name} is not a readable LAS file ({e})") from None
    curves = {c.mnemonic.upper(): c for c in las.curves}
    found = {}
    for what, names in (("sonic", SONIC_NAMES), ("density", DENSITY_NAMES)):
        hit = next((n for n in names if n in curves), None)
        if hit is None:
            raise BadInputError(
                f"{name} has no {what} curve ({'/'.join(names)}); it has "
                f"{', '.join(curves) or 'no curves'}; a well tie needs sonic and density"
            )
        found[what] = curves[hit]
    try:
        depth = np.asarray(las.index, dtype=float)
        dt = np.asarray(found["sonic"].data, dtype=float)
        rho = np.asarray(found["density"].data, dtype=float)
    except (ValueError, TypeError) as e:
        raise BadInputError(
            f"{name}: the sonic, density or depth are not all numbers ({e})"
        ) from None
    if str(las.curves[0].unit).upper().startswith("F"):
        depth = depth * 0.3048
    dt = np.where(dt > 0, dt, np.nan)
    rho = np.where(rho > 0, rho, np.nan)
    if np.isfinite(dt).sum() < 2 or (np.isfinite(dt) & np.isfinite(rho)).sum() < 2:
        raise BadInputError(f"{name}: the sonic and density have no valid samples in common")
    if np.any(np.diff(depth) <= 0):
        raise BadInputError(f"{name}: the depths must increase down the file")
    dt = sonic_to_us_per_m(dt, str(found["sonic"].unit))
    rho = density_to_kg_m3(rho, str(found["density"].unit))
    well = str(las.well["WELL"].value) if "WELL" in las.well else ""
    return depth, dt, rho, well or name


def _edit_density(dt: np.ndarray, rho: np.ndarray, min_density: float) -> tuple[np.ndarray, int]:
    """Density below ``min_density`` (bad hole, casing) replaced by Gardner's a·V^0.25 with
    ``a`` fitted to the good samples; returns (density, number of samples replaced)."""
    v = 1e6 / dt
    good = np.isfinite(rho) & np.isfinite(v) & (rho >= min_density)
    bad = np.isfinite(rho) & np.isfinite(v) & (rho < min_density)
    if not bad.any() or good.sum() < 10:
        return rho, 0
    a = float(np.median(rho[good] / v[good] ** 0.25))
    return np.where(bad, a * v**0.25, rho), int(bad.sum())


def tie_well(
    workspace: Workspace,
    data: ArrayId,
    file: FileId,
    checkshot: FileId,
    well_position: int,
    wavelet: Literal["statistical", "well"] = "statistical",
    wavelet_ms: Positive = 128.0,
    max_shift_ms: NonNegative = 100.0,
    max_stretch: float = 0.03,
    traces_around: int = 0,
    min_density: float = 1650.0,
    figure: bool = True,
) -> ToolResult:
    """Tie a well to a 2D seismic line: synthetic from sonic and density, bulk shift, stretch, wavelet.

    Args:
        data: workspace id of the post-stack section (traces x samples, time last).
        file: workspace id of the well's LAS file with sonic (us/m or us/ft) and density.
        checkshot: workspace id of the checkshot or time-depth table (depth in m, TWT in s
            or ms), same depth reference as the LAS.
        well_position: crossline number of the well on this line (or trace index when
            the section has no crossline numbers).
        wavelet: "statistical" (zero phase from the data's spectrum, then the constant
            phase rotation that best ties) or "well" (least-squares from the tied well
            reflectivity and the seismic, with its own phase).
        wavelet_ms: wavelet length, in ms.
        max_shift_ms: largest bulk shift searched, in ms.
        max_stretch: largest linear stretch or squeeze of the log's time axis (0.03 = 3 %).
        traces_around: average this many traces on each side of the well (0: the nearest
            trace only).
        min_density: density below this, in kg/m3 (bad hole, casing), is replaced by
            Gardner's relation fitted to the rest of the log.
        figure: also save a PNG of the tie (log, synthetic, seismic at the well, wavelet).
    """
    sec = load_section(workspace, data, ndim=(2,))
    nx, nt = sec.data.shape
    dt_ms, t0_ms = sec.dt_ms, float(sec.meta.get("t0_ms", 0.0))
    if not wavelet_ms > 0:
        raise BadInputError(f"wavelet_ms must be > 0, got {wavelet_ms}")
    n_w = 2 * (int(wavelet_ms / dt_ms) // 2) + 1
    if n_w > nt:
        raise BadInputError(
            f"the wavelet ({n_w} samples, {wavelet_ms:g} ms) is longer than the traces "
            f"({nt} samples); use a shorter wavelet_ms"
        )
    if max_shift_ms < 0 or not 0 <= max_stretch <= 0.2 or traces_around < 0:
        raise BadInputError(
            "max_shift_ms and traces_around must be >= 0 and max_stretch within 0-0.2"
        )
    ix = well_trace(sec.meta, nx, well_position)
    depth, slowness, rho, well = read_sonic_density(workspace.path(file))
    cs_depth, cs_twt = read_checkshot(workspace.path(checkshot))
    has_dt = np.isfinite(slowness)
    twt_all = sonic_twt(depth[has_dt], slowness[has_dt], cs_depth, cs_twt)
    rho, n_edited = _edit_density(slowness, rho, min_density)
    both = has_dt & np.isfinite(rho)
    twt = np.interp(depth[both], depth[has_dt], twt_all)
    t_fine, ln_ai = impedance_in_time(twt, 1e6 / slowness[both] * rho[both], dt_ms)
    t = t0_ms + np.arange(nt) * dt_ms
    if t_fine[-1] < t[0] or t_fine[0] > t[-1]:
        raise BadInputError(
            f"the log ({t_fine[0]:.0f}-{t_fine[-1]:.0f} ms after the checkshot) lies outside "
            f"the section's {t[0]:.0f}-{t[-1]:.0f} ms; check the checkshot's time unit"
        )
    lo, hi = max(0, ix - traces_around), min(nx, ix + traces_around + 1)
    trace = sec.data[lo:hi].mean(axis=0)
    win = (t >= t_fine[0]) & (t <= t_fine[-1])
    near = sec.data[max(0, ix - 25) : ix + 26][:, win]
    w0 = statistical_wavelet(near if win.sum() >= n_w else sec.data, dt_ms, n_w * dt_ms)
    tie = tie_trace(trace, dt_ms, t0_ms, t_fine, ln_ai, w0, wavelet, max_shift_ms, max_stretch)

    top = t_fine[0]
    tied_t = top + tie.shift_ms + (twt_all - top) * (1.0 + tie.stretch)
    inside = tie.inside
    td = np.stack([np.interp(t[inside], tied_t, depth[has_dt]), t[inside]])
    t_log = top + (t[inside] - top - tie.shift_ms) / (1.0 + tie.stretch)
    ai_tied = np.exp(np.interp(t_log, t_fine, ln_ai))
    arts = _save(workspace, sec, well, tie, td, ai_tied, float(t[inside][0]), ix, wavelet)
    phase_note = "least-squares well wavelet" if wavelet == "well" else "statistical wavelet"
    summary = (
        f"tie of {well} at trace {ix} of {data}: correlation {tie.corr_before:.2f} before, "
        f"{tie.corr_shift:.2f} after a {tie.shift_ms:+.0f} ms bulk shift, "
        f"{tie.corr_after:.2f} after a {100 * tie.stretch:+.1f} % stretch; {phase_note} "
        f"phase {tie.phase_deg:.0f} deg; synthetic {arts[0].id}, wavelet {arts[1].id}, "
        f"time-depth {arts[2].id}, tied AI log {arts[3].id}"
    )
    if figure:
        fig = _figure(workspace, sec, trace, t, t_fine, ln_ai, w0, tie, well, ix)
        arts.append(fig)
        summary += f"; figure {fig.id}"
    metrics = {
        "correlation_before": tie.corr_before,
        "correlation_shift": tie.corr_shift,
        "correlation_after": tie.corr_after,
        "shift_ms": tie.shift_ms,
        "stretch_pct": 100.0 * tie.stretch,
        "wavelet_phase_deg": tie.phase_deg,
    }
    details = {
        "window_top_ms": float(t[inside][0]),
        "window_base_ms": float(t[inside][-1]),
        "wavelet_ms": float(len(tie.wavelet) - 1) * dt_ms,
        "density_samples_replaced": float(n_edited),
        "well_trace": float(ix),
        "traces_averaged": float(hi - lo),
    }
    cites = (WHITE_SIMM_CITATION,) + ((WHITE_1980_CITATION,) if wavelet == "well" else ())
    cites += (GARDNER_CITATION,) if n_edited else ()
    return ToolResult(summary, tuple(arts), metrics, cites, details=details)


def _save(
    workspace: Workspace,
    sec: Section,
    well: str,
    tie: Tie,
    td: np.ndarray,
    ai_tied: np.ndarray,
    t_top: float,
    ix: int,
    wavelet: str,
) -> list[Artifact]:
    dt_ms = sec.dt_ms
    trace_meta = {"dt_ms": dt_ms, "t0_ms": float(sec.meta.get("t0_ms", 0.0)), "axes": ["twt_ms"]}
    half = len(tie.wavelet) // 2
    return [
        workspace.save_array(
            tie.synthetic.astype(np.float32),
            f"tied synthetic of {well} at trace {ix} of {sec.id}",
            dict(trace_meta, derived_from=sec.id, well=well),
        ),
        workspace.save_array(
            tie.wavelet.astype(np.float32),
            f"{wavelet} wavelet from the tie of {well} ({tie.phase_deg:.0f} deg)",
            {
                "dt_ms": dt_ms,
                "t0_ms": -half * dt_ms,
                "axes": ["twt_ms"],
                "phase_deg": tie.phase_deg,
            },
        ),
        workspace.save_array(
            td.astype(np.float32),
            f"time-depth of {well} after the tie (row 0: depth m, row 1: TWT ms)",
            {
                "axes": ["row", "sample"],
                "well": well,
                "shift_ms": tie.shift_ms,
                "stretch": tie.stretch,
            },
        ),
        workspace.save_array(
            ai_tied.astype(np.float32),
            f"AI log of {well} in time after the tie",
            {
                "dt_ms": dt_ms,
                "t0_ms": t_top,
                "axes": ["twt_ms"],
                "well": well,
                "unit": "(m/s)*(kg/m3)",
            },
        ),
    ]


def _figure(
    workspace: Workspace,
    sec: Section,
    trace: np.ndarray,
    t: np.ndarray,
    t_fine: np.ndarray,
    ln_ai: np.ndarray,
    w0: np.ndarray,
    tie: Tie,
    well: str,
    ix: int,
) -> Artifact:
    """Log impedance, synthetic vs seismic, the traces around the well, the wavelet."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 4, figsize=(13, 7), gridspec_kw={"width_ratios": [1, 1.2, 2, 1]})
    inside = tie.inside
    top = t_fine[0]
    ax = axes[0]
    ax.plot(
        np.exp(ln_ai) / 1e6, top + tie.shift_ms + (t_fine - top) * (1 + tie.stretch), "k", lw=0.8
    )
    ax.set_xlabel("AI (10^6 (m/s)·(kg/m3))")
    ax.set_ylabel("two-way time (ms)")
    ax.set_title(f"{well} AI (tied)", fontsize=10)
    ax = axes[1]
    norm = float(np.std(trace[inside])) or 1.0
    syn0 = synthetic_trace(t_fine, ln_ai, w0, t)[0]
    ax.plot(trace / norm, t, "k", lw=0.9, label="seismic")
    ax.plot(tie.synthetic / norm + 4, t, "r", lw=0.9, label=f"tied ({tie.corr_after:.2f})")
    s0 = syn0 / (float(np.std(syn0[inside])) or 1.0)
    ax.plot(s0 - 4, t, color="0.5", lw=0.8, label=f"untied ({tie.corr_before:.2f})")
    ax.legend(fontsize=7, loc="lower right")
    ax.set_xticks([])
    ax.set_title("synthetic vs seismic", fontsize=10)
    ax = axes[2]
    k0, k1 = max(0, ix - 15), min(sec.data.shape[0], ix + 16)
    clip = float(np.percentile(np.abs(sec.data[k0:k1]), 99)) or 1.0
    ax.imshow(
        sec.data[k0:k1].T,
        aspect="auto",
        cmap="gray",
        vmin=-clip,
        vmax=clip,
        extent=(k0 - 0.5, k1 - 0.5, t[-1], t[0]),
    )
    syn = tie.synthetic / (float(np.max(np.abs(tie.synthetic))) or 1.0)
    ax.fill_betweenx(t, ix, ix + 2.5 * syn, where=syn > 0, color="r", lw=0)
    ax.plot(ix + 2.5 * syn, t, "r", lw=0.6)
    ax.set_xlabel("trace")
    ax.set_title(f"seismic at the well (trace {ix})", fontsize=10)
    for a in axes[:3]:
        a.set_ylim(t[inside][-1] + 20, t[inside][0] - 20)
    ax = axes[3]
    half = len(tie.wavelet) // 2
    ax.plot((np.arange(len(tie.wavelet)) - half) * sec.dt_ms, tie.wavelet, "b")
    ax.axhline(0, color="0.7", lw=0.5)
    ax.set_xlabel("time (ms)")
    ax.set_title(f"wavelet, phase {tie.phase_deg:.0f}°", fontsize=10)
    fig.suptitle(
        f"well tie {well}: shift {tie.shift_ms:+.0f} ms, stretch {100 * tie.stretch:+.1f} %"
    )
    return save_figure(workspace, fig, f"figure: well tie of {well}", derived_from=sec.id)
