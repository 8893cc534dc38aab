"""Whole-section inference with a GeoFM task head: tiles, per-tile scaling, blending.

Pure numpy in and out (torch inside the model call); no workspace, no LLM::

    model = load_model("tools/geofm/weights/denoise")
    clean = denoise_section(model, noisy)             # (n_traces, n_samples)
    filled, dead = interpolate_section(model, data)   # dead traces filled, live kept
    filled, dead = interpolate_section(model, data, refine=load_refine(folder))  # + conv
    prob = fault_probability(model, data)             # 0-1 per sample

Each tile is divided by its RMS over live traces (:func:`tools.geofm.data.tile_scale`,
as in training) and the output multiplied back, so any amplitude scale works. The
interpolation head's output is a correction added to the tile's linear fill across
traces (:func:`tools.interpolation.linear_fill`), as in training; with a refine network
(:mod:`tools.geofm.refine`) the sum is then refined on the dead traces. The forward
passes run in bfloat16 where the CPU computes it natively (:mod:`tools.geofm.precision`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from tools.fill_check import Fill
from tools.geofm.data import tile_scale
from tools.geofm.model import predict_tiles
from tools.geofm.precision import inference_precision
from tools.geofm.refine import refine_tiles
from tools.geofm.tiling import apply_tiled
from tools.interpolation import dead_traces, linear_fill

if TYPE_CHECKING:  # loaded on first use at run time
    from transformers import ViTMAEForPreTraining

    from tools.geofm.refine import RefineNet

__all__ = [
    "dead_traces",
    "run_head",
    "denoise_section",
    "interpolate_section",
    "head_fill",
    "fault_probability",
]

Progress = Callable[[int, int], None] | None


def _tile_size(model: ViTMAEForPreTraining) -> int:
    size = model.config.image_size
    return int(size[0] if isinstance(size, (list, tuple)) else size)


def run_head(
    model: ViTMAEForPreTraining,
    section: np.ndarray,
    kind: str = "amplitude",
    batch_size: int = 32,
    overlap: int | None = None,
    progress: Progress = None,
    refine: RefineNet | None = None,
) -> np.ndarray:
    """Apply a task head over a (n_traces, n_samples) section by blended overlapping tiles.

    Args:
        model: a loaded GeoFM (ViTMAEForPreTraining with no masking).
        section: (n_traces, n_samples) amplitudes, any scale.
        kind: "amplitude" (outputs rescaled by each tile's RMS), "fill" (as
            amplitude, added to the tile's linear fill of its dead traces) or
            "probability" (outputs are logits; their sigmoid is blended).
        batch_size: tiles per forward pass.
        overlap: tile overlap in traces/samples; default a quarter of the tile.
        progress: called with (tiles done, tiles total).
        refine: "fill" only: the head's refine network
            (:func:`tools.geofm.refine.load_refine`), which then makes the dead traces
            with ``model`` as its feature ViT; None for the ViT correction alone.

    Returns:
        (n_traces, n_samples) float32 output.
    """
    tile = _tile_size(model)

    def fn(tiles: np.ndarray) -> np.ndarray:  # (B, tile, tile)
        scale = tile_scale(tiles)[:, None, None]
        x = tiles / scale
        if kind == "fill":
            dead = np.stack([dead_traces(t) for t in tiles])  # (B, tile)
            fill = np.stack([linear_fill(t, d) for t, d in zip(x, dead)])
            if refine is not None:
                return refine_tiles(refine, model, x, fill, dead) * scale
            return (predict_tiles(model, x) + fill) * scale
        out = predict_tiles(model, x)
        if kind == "probability":
            return 1.0 / (1.0 + np.exp(-np.clip(out, -30, 30)))
        return out * scale

    with inference_precision(next(model.parameters()).device):
        return apply_tiled(
            section,
            fn,
            tile=tile,
            overlap=tile // 4 if overlap is None else overlap,
            batch_size=batch_size,
            progress=progress,
        )


def denoise_section(
    model: ViTMAEForPreTraining,
    section: np.ndarray,
    batch_size: int = 32,
    progress: Progress = None,
) -> np.ndarray:
    """Random-noise attenuation of a (n_traces, n_samples) section, same shape out."""
    return run_head(model, section, "amplitude", batch_size, progress=progress)


def interpolate_section(
    model: ViTMAEForPreTraining,
    section: np.ndarray,
    batch_size: int = 32,
    progress: Progress = None,
    refine: RefineNet | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Fill the dead (all-zero) traces of a (n_traces, n_samples) section; live traces
    are returned unchanged. ``refine``: the head's refine network, if it has one
    (:func:`tools.geofm.refine.load_refine`). Returns (filled section, (n_traces,) dead
    mask)."""
    dead = dead_traces(section)
    out = np.array(section, dtype=np.float32)
    if dead.any():
        pred = run_head(model, section, "fill", batch_size, progress=progress, refine=refine)
        out[dead] = pred[dead]
    return out, dead


def head_fill(model: ViTMAEForPreTraining, refine: RefineNet | None = None) -> Fill:
    """The interpolation head as a fill ``(section, dead, dt_ms) -> filled`` (the
    signature of ``tools.interpolation.FILLS``): the ``dead`` traces are zeroed and
    filled; the sample interval is not used."""

    def fill(section: np.ndarray, dead: np.ndarray, dt_ms: float) -> np.ndarray:
        holed = np.where(dead[:, None], 0.0, section)
        return interpolate_section(model, holed, refine=refine)[0]

    return fill


def fault_probability(
    model: ViTMAEForPreTraining,
    section: np.ndarray,
    batch_size: int = 32,
    progress: Progress = None,
) -> np.ndarray:
    """Fault probability (0-1) at every sample of a (n_traces, n_samples) section."""
    return run_head(model, section, "probability", batch_size, progress=progress)
