"""Apply a tile model to a whole section: overlapping tiles, batched, blended.

Pure numpy; the model is any callable mapping a batch of tiles ``(B, H, W)`` to outputs
of the same shape. Tiles overlap and are blended with a separable taper whose weights are
normalised per sample, so a model that returns its input gives the section back exactly
and a model that is constant on every tile gives that constant everywhere: no seams.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["tile_starts", "taper", "apply_tiled"]


def tile_starts(n: int, tile: int, overlap: int) -> list[int]:
    """Start indices covering ``[0, n)`` with tiles of ``tile`` overlapping by ``overlap``;
    the last tile is flush with the end (the section is padded when shorter than a tile)."""
    if not 0 <= overlap < tile:
        raise ValueError(f"overlap must be in [0, tile), got {overlap} for tile {tile}")
    if n <= tile:
        return [0]
    step = tile - overlap
    starts = list(range(0, n - tile, step))
    return starts + [n - tile]


def taper(tile: int, overlap: int) -> np.ndarray:
    """1D blending weights (tile,): a raised-cosine ramp over ``overlap`` samples at each
    end, 1 in the middle; strictly positive so every sample has weight."""
    w = np.ones(tile)
    if overlap:
        ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(overlap) + 0.5) / overlap)
        w[:overlap] = ramp
        w[-overlap:] = ramp[::-1]
    return w


def apply_tiled(
    section: np.ndarray,
    fn: Callable[[np.ndarray], np.ndarray],
    tile: int = 64,
    overlap: int = 16,
    batch_size: int = 32,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """``fn`` applied to overlapping ``tile``×``tile`` windows of ``section`` (traces, samples),
    blended back to the section's shape.

    Args:
        section: 2D array (n_traces, n_samples).
        fn: maps (B, tile, tile) float32 to (B, tile, tile).
        tile: tile size in traces and samples.
        overlap: overlap between neighbouring tiles, in traces/samples.
        batch_size: tiles per call of ``fn``.
        progress: called with (tiles done, tiles total) after each batch.
    """
    if section.ndim != 2:
        raise ValueError(f"expected a 2D section (traces, samples), got shape {section.shape}")
    n_tr, n_s = section.shape
    padded = np.pad(
        section.astype(np.float32),
        ((0, max(0, tile - n_tr)), (0, max(0, tile - n_s))),
        mode="reflect" if min(n_tr, n_s) > 1 else "edge",
    )
    P, Q = padded.shape
    rows, cols = tile_starts(P, tile, overlap), tile_starts(Q, tile, overlap)
    corners = [(r, c) for r in rows for c in cols]
    w2 = np.outer(taper(tile, overlap), taper(tile, overlap)).astype(np.float32)
    out = np.zeros((P, Q), np.float32)
    weight = np.zeros((P, Q), np.float32)
    for b in range(0, len(corners), batch_size):
        chunk = corners[b : b + batch_size]
        tiles = np.stack([padded[r : r + tile, c : c + tile] for r, c in chunk])  # (B, tile, tile)
        pred = np.asarray(fn(tiles), dtype=np.float32)
        if pred.shape != tiles.shape:
            raise ValueError(f"tile model returned {pred.shape}, expected {tiles.shape}")
        for (r, c), p in zip(chunk, pred):
            out[r : r + tile, c : c + tile] += p * w2
            weight[r : r + tile, c : c + tile] += w2
        if progress:
            progress(min(b + batch_size, len(corners)), len(corners))
    return (out / weight)[:n_tr, :n_s]
