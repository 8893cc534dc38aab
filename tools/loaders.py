"""Non-SEG-Y inputs: ASCII trace exports (one trace per row) and bare ``.npy`` arrays.

The ASCII export format (OpendTect "simple file" style, e.g. F3 inline 362): one row per
trace, whitespace-separated, ``inline crossline`` followed by the trace's samples from
t0. Loaded sections are (n_traces, n_samples), time last.
"""

from __future__ import annotations

import os
from typing import Any, Literal

import numpy as np

from common.errors import BadInputError
from tools.registry import ArrayId, FileId, Positive
from tools.result import ToolResult
from tools.section import amp_range, amplitude_metrics, shape_str
from tools.workspace import Workspace

__all__ = ["read_trace_ascii", "read_ascii_section", "import_array"]


def read_trace_ascii(
    path: str | os.PathLike, n_header_columns: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Read an ASCII trace export.

    Args:
        path: text file, one trace per row.
        n_header_columns: leading columns that are trace numbers (inline, crossline).

    Returns:
        (data, numbers): data (n_traces, n_samples) float; numbers (n_traces,
        n_header_columns) int.
    """
    table = _numeric_table(path)
    if table.shape[1] <= n_header_columns + 8:
        raise BadInputError(
            f"{os.path.basename(path)} has {table.shape[1]} columns; expected "
            f"{n_header_columns} trace-number columns then the samples"
        )
    numbers = table[:, :n_header_columns]
    if not np.allclose(numbers, np.round(numbers)):
        raise BadInputError(
            "the first columns are not integer trace numbers; set "
            "n_header_columns to how many leading columns are numbers"
        )
    return table[:, n_header_columns:], numbers.astype(int)


def _numeric_table(path: str | os.PathLike) -> np.ndarray:
    """The file's rows of numbers (2D, finite, not empty), or BadInputError saying why not."""
    import warnings

    name = os.path.basename(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "input contained no data": checked below
            table = np.loadtxt(path, ndmin=2)
    except ValueError as e:  # UnicodeDecodeError included
        raise BadInputError(
            f"{name} is not a numeric ASCII trace table ({e}); expected rows of "
            "whitespace-separated numbers, 'inline crossline samples...', UTF-8 or ASCII"
        ) from None
    if table.size == 0:
        raise BadInputError(f"{name} holds no numbers; expected one trace per row")
    if not np.all(np.isfinite(table)):
        raise BadInputError(f"{name} contains NaN or infinite values; fill or remove them")
    return table


def read_ascii_section(
    workspace: Workspace,
    file: FileId,
    dt_ms: Positive = 4.0,
    t0_ms: float = 0.0,
    n_header_columns: Literal[0, 1, 2] = 2,
) -> ToolResult:
    """Load an ASCII trace export (rows: inline, crossline, then samples) as a 2D section.

    Args:
        file: workspace id of the attached text file (.ascii or .txt).
        dt_ms: sample interval in milliseconds (ASCII exports do not store it).
        t0_ms: time of the first sample in milliseconds.
        n_header_columns: number of leading columns holding trace numbers (inline,
            crossline).
    """
    if dt_ms <= 0:
        raise BadInputError(f"dt_ms must be > 0, got {dt_ms}")
    if workspace.meta(file)["kind"] not in ("file", "text"):
        raise BadInputError(f"{file} is a {workspace.meta(file)['kind']}, not a text file")
    if n_header_columns:
        data, numbers = read_trace_ascii(workspace.path(file), n_header_columns)
    else:
        data, numbers = _numeric_table(workspace.path(file)), np.zeros((0, 0), int)
        if data.shape[1] < 8:
            raise BadInputError(
                f"{file} has {data.shape[1]} columns; expected one trace of samples per row"
            )
    meta: dict[str, Any] = {
        "dt_ms": dt_ms,
        "t0_ms": t0_ms,
        "axes": ["trace", "twt_ms"],
        "source": file,
    }
    if n_header_columns == 2:
        inlines, crosslines = numbers[:, 0], numbers[:, 1]
        if len(np.unique(inlines)) == 1:
            meta.update(
                axes=["crossline", "twt_ms"], inline=int(inlines[0]), crosslines=crosslines.tolist()
            )
        else:
            meta.update(inlines=inlines.tolist(), crosslines=crosslines.tolist())
    art = workspace.save_array(data.astype(np.float32), f"ASCII section from {file}", meta)
    where = (
        f"inline {meta['inline']}, crosslines {meta['crosslines'][0]}-{meta['crosslines'][-1]}, "
        if "inline" in meta
        else ""
    )
    details = {"n_samples": float(data.shape[1]), "dt_ms": float(dt_ms), **amplitude_metrics(data)}
    if "inline" in meta:
        details.update(
            inline=float(meta["inline"]),
            crossline_first=float(meta["crosslines"][0]),
            crossline_last=float(meta["crosslines"][-1]),
        )
    return ToolResult(
        f"read {file} -> {art.id}: {shape_str(data)} traces x samples, {where}"
        f"{dt_ms:g} ms, amplitudes {amp_range(data)}",
        (art,),
        {"n_traces": float(data.shape[0])},
        details=details,
    )


def import_array(
    workspace: Workspace,
    file: ArrayId,
    dt_ms: Positive = 4.0,
    layout: Literal["traces_by_samples", "samples_by_traces"] = "traces_by_samples",
) -> ToolResult:
    """Register an attached .npy array as a seismic section with its sample interval.

    Args:
        file: workspace id of the attached .npy file (2D or 3D, numeric).
        dt_ms: sample interval in milliseconds.
        layout: axis order of a 2D file; "samples_by_traces" is transposed to put time last.
    """
    arr = workspace.load_array(file)
    if arr.ndim not in (1, 2, 3) or not np.issubdtype(arr.dtype, np.number) or arr.size == 0:
        raise BadInputError(
            f"{file} is a {arr.ndim}D {arr.dtype} array of shape {arr.shape}; "
            "need a non-empty 1-3D array of real numbers"
        )
    if np.iscomplexobj(arr):
        raise BadInputError(f"{file} holds complex numbers; save its real part (or abs) instead")
    if dt_ms <= 0:
        raise BadInputError(f"dt_ms must be > 0, got {dt_ms}")
    if layout == "samples_by_traces" and arr.ndim == 2:
        arr = arr.T
    axes = {1: ["twt_ms"], 2: ["trace", "twt_ms"], 3: ["inline", "crossline", "twt_ms"]}
    art = workspace.save_array(
        arr, f"section from {file}", {"dt_ms": dt_ms, "t0_ms": 0.0, "axes": axes[arr.ndim]}
    )
    details = {"n_samples": float(arr.shape[-1]), "dt_ms": float(dt_ms)}
    if arr.ndim > 1:
        details["n_traces"] = float(np.prod(arr.shape[:-1]))
    if arr.ndim == 3:
        details.update(n_inlines=float(arr.shape[0]), n_crosslines=float(arr.shape[1]))
    details.update(amplitude_metrics(arr))
    return ToolResult(
        f"imported {file} -> {art.id}: {shape_str(arr)} ({' x '.join(axes[arr.ndim])}) "
        f"at {dt_ms:g} ms",
        (art,),
        details=details,
    )
