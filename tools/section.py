"""A seismic array plus its metadata, as tools pass it between each other.

Layout convention for every tool: time (or depth) is the **last** axis, as segyio
returns traces.

    2D line / gather   (n_traces, n_samples)
    3D cube            (n_inlines, n_crosslines, n_samples)
    1D trace / log     (n_samples,)

The workspace sidecar keeps ``dt_ms`` (sample interval in ms), ``axes`` (labels of each
axis), ``t0_ms`` and, where known, ``inlines`` / ``crosslines`` / ``traces`` numbers and
``segy_source`` (the workspace id of the SEG-Y whose headers a write-back copies).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from common.errors import BadInputError
from tools.result import Artifact
from tools.workspace import Workspace

__all__ = [
    "Section",
    "load_section",
    "save_section",
    "apply_2d",
    "shape_str",
    "amp_range",
    "amplitude_metrics",
]

# Keys that describe the geometry of an array and survive processing that keeps its shape.
_GEOMETRY_KEYS = (
    "dt_ms",
    "t0_ms",
    "axes",
    "inlines",
    "crosslines",
    "traces",
    "segy_source",
    "trace_index",
    "trace_range",
    "inline",
    "crossline",
    "kind_of_data",
)


@dataclass
class Section:
    """An array read from the workspace and the metadata that came with it."""

    id: str
    data: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def dt_ms(self) -> float:
        return float(self.meta.get("dt_ms", 4.0))

    def geometry(self) -> dict[str, Any]:
        """Metadata worth copying onto an array of the same shape."""
        return {k: self.meta[k] for k in _GEOMETRY_KEYS if k in self.meta}


def load_section(
    workspace: Workspace, item_id: str, ndim: tuple[int, ...] = (2, 3), dt_ms: float | None = None
) -> Section:
    """Load a workspace array as float64, checking its rank and that it is finite.

    Args:
        item_id: workspace id of an array (``ws-N``).
        ndim: accepted ranks.
        dt_ms: sample interval in ms to use when the array carries none (e.g. a bare
            ``.npy`` upload); the sidecar's value wins otherwise.
    """
    data = workspace.load_array(item_id)
    meta = dict(workspace.meta(item_id).get("metadata", {}))
    if data.ndim not in ndim:
        want = " or ".join(f"{n}D" for n in ndim)
        raise BadInputError(
            f"{item_id} is {data.ndim}D with shape {data.shape}; this tool "
            f"takes a {want} array (time on the last axis)"
        )
    if not np.issubdtype(data.dtype, np.number) or np.iscomplexobj(data):
        raise BadInputError(f"{item_id} holds {data.dtype} values, not real numbers")
    if data.size == 0:
        raise BadInputError(f"{item_id} is empty (shape {data.shape}); give an array with samples")
    data = data.astype(np.float64)
    if not np.all(np.isfinite(data)):
        raise BadInputError(f"{item_id} contains NaN or inf samples; fill or mute them first")
    if data.shape[-1] < 8:
        raise BadInputError(
            f"{item_id} has only {data.shape[-1]} samples per trace; time must be the last axis"
        )
    if "dt_ms" not in meta and dt_ms is not None:
        meta["dt_ms"] = float(dt_ms)
    if float(meta.get("dt_ms", 4.0)) <= 0:
        raise BadInputError(f"{item_id} has a sample interval of {meta.get('dt_ms')} ms")
    return Section(item_id, data, meta)


def save_section(
    workspace: Workspace,
    data: np.ndarray,
    description: str,
    like: Section | None = None,
    **metadata: Any,
) -> Artifact:
    """Save ``data`` as float32 with ``like``'s geometry (when shapes agree) plus ``metadata``."""
    meta: dict[str, Any] = {}
    if like is not None:
        geo = like.geometry()
        if data.shape != like.data.shape:
            geo = {k: v for k, v in geo.items() if k in ("dt_ms", "t0_ms", "axes")}
        meta.update(geo)
        meta["derived_from"] = like.id
    meta.update(metadata)
    return workspace.save_array(np.asarray(data, dtype=np.float32), description, meta)


def apply_2d(fn: Callable[[np.ndarray], np.ndarray], data: np.ndarray) -> np.ndarray:
    """Apply a 2D (n_traces, n_samples) routine to a 2D array or to each inline of a cube."""
    if data.ndim == 2:
        return fn(data)
    return np.stack([fn(panel) for panel in data])


def shape_str(a: np.ndarray) -> str:
    """'534x1501' style shape text for summaries."""
    return "x".join(str(n) for n in a.shape)


def amp_range(a: np.ndarray) -> str:
    """Compact min–max text for summaries (e.g. '4.1e+06–9.8e+06')."""
    return f"{np.min(a):.3g}..{np.max(a):.3g}"


def amplitude_metrics(a: np.ndarray) -> dict[str, float]:
    """``amplitude_min`` and ``amplitude_max`` of ``a``, in its own units."""
    return {"amplitude_min": float(np.min(a)), "amplitude_max": float(np.max(a))}
