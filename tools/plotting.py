"""Figures as PNG files in the workspace: sections, before/after panels, spectra, impedance.

matplotlib is imported inside each function with the Agg backend, so importing
``tools`` stays light and no display is needed. Sections are drawn with traces (or
inline/crossline numbers) across and two-way time in ms down.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from pydantic import Field

from common.errors import BadInputError
from tools.registry import NEEDS_KEY, ArrayId
from tools.result import Artifact, ToolResult
from tools.section import Section, load_section
from tools.workspace import Workspace

if TYPE_CHECKING:  # loaded on first use at run time
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.image import AxesImage

__all__ = [
    "pyplot",
    "save_figure",
    "draw_section",
    "comparison_figure",
    "overlay_figure",
    "spectrum_figure",
    "impedance_figure",
    "plot_section",
    "plot_comparison",
]


def pyplot() -> ModuleType:
    """``matplotlib.pyplot`` on the Agg backend (no display), imported on first use."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _x_axis(meta: dict, n: int) -> tuple[str, np.ndarray]:
    for key, label in (("crosslines", "crossline"), ("inlines", "inline")):
        v = meta.get(key)
        if v is not None and len(v) == n and meta.get("axes", [""])[0] == label:
            return label, np.asarray(v)
    return "trace", np.arange(n)


def draw_section(
    ax: Axes,
    data: np.ndarray,
    meta: dict,
    title: str = "",
    cmap: str = "gray",
    clip: float | None = None,
    label: str = "amplitude",
) -> AxesImage:
    """Draw (n_traces, n_samples) on ``ax`` with trace/line numbers across, time (ms) down."""
    if data.ndim != 2:
        raise BadInputError(f"can only draw 2D arrays, got shape {data.shape}")
    plt = pyplot()
    nx, nt = data.shape
    xlabel, xv = _x_axis(meta, nx)
    is_slice = meta.get("axes") == ["inline", "crossline"]
    dt, t0 = float(meta.get("dt_ms", 4.0)), float(meta.get("t0_ms", 0.0))
    if clip is None:
        clip = float(np.percentile(np.abs(data), 99)) or 1.0
    kw: dict[str, Any] = dict(cmap=cmap, aspect="auto", interpolation="bilinear")
    if cmap in ("gray", "seismic", "RdBu", "Greys"):
        kw.update(vmin=-clip, vmax=clip)
    if is_slice:
        il, xl = meta.get("inlines", range(nx)), meta.get("crosslines", range(nt))
        im = ax.imshow(data, extent=(xl[0], xl[-1], il[-1], il[0]), **kw)
        ax.set_xlabel("crossline")
        ax.set_ylabel("inline")
    else:
        im = ax.imshow(data.T, extent=(xv[0], xv[-1], t0 + (nt - 1) * dt, t0), **kw)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("two-way time (ms)")
    ax.set_title(title, fontsize=10)
    plt.colorbar(im, ax=ax, shrink=0.8, label=label)
    return im


def save_figure(workspace: Workspace, fig: Figure, description: str, **metadata: Any) -> Artifact:
    """Save ``fig`` as a PNG in the workspace, close it, and return its artifact."""
    plt = pyplot()
    item_id, path = workspace.new_path(".png")
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return workspace.commit(item_id, path, "figure", description, metadata)


def comparison_figure(
    workspace: Workspace, before: Section, after: np.ndarray, title: str = ""
) -> Artifact:
    """Before / after / difference panels at one shared amplitude clip; cubes show inline 0."""
    plt = pyplot()
    b, a = before.data, after
    if b.ndim == 3:
        b, a = b[b.shape[0] // 2], a[a.shape[0] // 2]
    clip = float(np.percentile(np.abs(b), 99)) or 1.0
    fig, axes = plt.subplots(1, 3, figsize=(15, 5), sharey=True)
    for ax, d, name in zip(axes, (b, a, b - a), ("input", "output", "difference (input - output)")):
        draw_section(ax, d, before.meta, name, clip=clip)
    fig.suptitle(title)
    return save_figure(workspace, fig, f"figure: {title}", derived_from=before.id)


def overlay_figure(
    workspace: Workspace,
    section: Section,
    values: np.ndarray,
    threshold: float,
    title: str,
    label: str,
) -> Artifact:
    """The section in grey beside itself with ``values`` above ``threshold`` in red (fault
    probability, discontinuity); a cube shows its middle inline.

    Args:
        section: the seismic the values were computed from.
        values: array of the section's shape, 0 to 1.
        threshold: values at or below it are not drawn.
        title: what made the values ("GeoFM fault segmentation"), for the figure title.
        label: what the values are ("probability"), for the panel title.
    """
    d, v = section.data, values
    if d.ndim == 3:
        d, v = d[d.shape[0] // 2], v[v.shape[0] // 2]
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(14, 5), sharey=True)
    draw_section(axes[0], d, section.meta, f"{section.id}")
    im = draw_section(axes[1], d, section.meta, f"faults ({label} > {threshold:g})")
    x0, x1, t1, t0 = im.get_extent()
    axes[1].imshow(
        np.ma.masked_less_equal(v, threshold).T,
        extent=(x0, x1, t1, t0),
        cmap="autumn_r",
        vmin=threshold,
        vmax=1,
        alpha=0.7,
        aspect="auto",
        interpolation="nearest",
    )
    fig.suptitle(f"{title} of {section.id}")
    return save_figure(workspace, fig, f"figure: {title} of {section.id}", derived_from=section.id)


def spectrum_figure(
    workspace: Workspace, curves: list[tuple[str, np.ndarray, np.ndarray]], title: str = ""
) -> Artifact:
    """Amplitude spectra in dB (re. the largest peak); curves are (label, f_hz, amplitude)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    peak = max(float(np.max(c[2])) for c in curves) or 1.0
    for label, f, amp in curves:
        ax.plot(f, 20 * np.log10(np.maximum(amp / peak, 1e-6)), label=label)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("amplitude (dB re. peak)")
    ax.set_ylim(-60, 3)
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(title)
    return save_figure(workspace, fig, f"figure: {title}")


def impedance_figure(
    workspace: Workspace,
    sec: Section,
    ai: np.ndarray,
    well: tuple[int, np.ndarray, np.ndarray] | None = None,
    title: str = "",
    label: str = "AI (m/s)·(kg/m3)",
) -> Artifact:
    """Impedance section; with ``well`` = (trace index, AI log on the grid, inside mask),
    the well position is marked and a side panel compares the log with the inverted trace."""
    plt = pyplot()
    ncols = 2 if well is not None else 1
    fig, axes = plt.subplots(
        1,
        ncols,
        figsize=(12 if well else 8, 6),
        squeeze=False,
        gridspec_kw={"width_ratios": [3, 1][:ncols]},
    )
    ax = axes[0, 0]
    draw_section(ax, ai, sec.meta, title, cmap="viridis", label=label)
    if well is not None:
        ix, log_grid, inside = well
        _, xv = _x_axis(sec.meta, ai.shape[0])
        t = float(sec.meta.get("t0_ms", 0.0)) + np.arange(ai.shape[1]) * sec.dt_ms
        ax.plot([xv[ix], xv[ix]], [t[inside][0], t[inside][-1]], "w-", lw=3)
        ax.plot([xv[ix], xv[ix]], [t[inside][0], t[inside][-1]], "k--", lw=1)
        ax2 = axes[0, 1]
        ax2.plot(log_grid[inside], t[inside], "k", lw=0.8, label="log")
        ax2.plot(ai[ix][inside], t[inside], "r", lw=1.2, label="inverted")
        ax2.invert_yaxis()
        ax2.set_xlabel(label)
        ax2.set_ylabel("two-way time (ms)")
        ax2.legend(fontsize=8)
        ax2.set_title(f"at the well (trace {ix})", fontsize=10)
    return save_figure(workspace, fig, f"figure: {title}", derived_from=sec.id)


def plot_section(
    workspace: Workspace,
    data: ArrayId,
    title: str = "",
    cmap: Literal["gray", "seismic", "viridis"] = "gray",
    clip_percentile: Annotated[float, Field(ge=50, le=100)] = 99.0,
    inline_index: Annotated[int, Field(json_schema_extra={NEEDS_KEY: "cube"})] = -1,
) -> ToolResult:
    """Plot a section, gather, time slice or one inline of a cube as a PNG.

    Args:
        data: workspace id of the array (traces x samples; or a cube).
        title: figure title; default names the array.
        cmap: colour map: "gray" or "seismic" for amplitudes, "viridis" for impedance.
        clip_percentile: amplitude clip as a percentile of |amplitude|, 50 to 100.
        inline_index: for a cube, the position (0-based) of the inline drawn; -1 = middle.
    """
    if not 50 <= clip_percentile <= 100:
        raise BadInputError(f"clip_percentile must be 50-100, got {clip_percentile}")
    _check_title(title)
    sec = load_section(workspace, data, ndim=(2, 3))
    d, meta = sec.data, dict(sec.meta)
    if d.ndim == 3:
        i = d.shape[0] // 2 if inline_index < 0 else inline_index
        if not 0 <= i < d.shape[0]:
            raise BadInputError(f"inline_index {i} outside 0-{d.shape[0] - 1}")
        d = d[i]
        meta["axes"] = ["crossline", "twt_ms"]
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(10, 6))
    clip = float(np.percentile(np.abs(d), clip_percentile)) or 1.0
    draw_section(ax, d, meta, title or workspace.meta(data)["description"], cmap, clip)
    art = save_figure(workspace, fig, f"figure of {data}", derived_from=data)
    return ToolResult(f"figure {art.id}: {data} ({'x'.join(map(str, d.shape))})", (art,))


def plot_comparison(
    workspace: Workspace, before: ArrayId, after: ArrayId, title: str = ""
) -> ToolResult:
    """Plot before and after side by side with their difference, at one amplitude scale (PNG).

    Args:
        before: workspace id of the input section.
        after: workspace id of the processed section of the same shape.
        title: figure title.
    """
    _check_title(title)
    b = load_section(workspace, before)
    a = load_section(workspace, after)
    if a.data.shape != b.data.shape:
        raise BadInputError(f"{before} is {b.data.shape} but {after} is {a.data.shape}")
    art = comparison_figure(workspace, b, a.data, title or f"{before} vs {after}")
    return ToolResult(f"figure {art.id}: {before} / {after} / difference", (art,))


MAX_TITLE_CHARS = 200  # matplotlib lays out a megabyte title for minutes


def _check_title(title: str) -> None:
    if len(title) > MAX_TITLE_CHARS:
        raise BadInputError(f"the title is {len(title)} characters; give at most {MAX_TITLE_CHARS}")
