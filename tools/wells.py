"""Well logs (LAS via lasio), checkshots, depth-to-time conversion, well location.

Depths are in m (the LAS depth reference, e.g. measured depth below KB, shared with the
checkshot), two-way times in ms, impedance in (m/s)·(kg/m3).
"""

from __future__ import annotations

import os
import re

import numpy as np

from common.errors import BadInputError
from tools.registry import FileId, Positive, SegyId
from tools.result import ToolResult
from tools.segy import check_segy
from tools.workspace import Workspace

__all__ = [
    "read_las_curve",
    "read_checkshot",
    "depth_to_twt",
    "log_to_time",
    "survey_transform",
    "locate_well_xy",
    "read_well_log",
    "locate_well",
    "LASIO_CITATION",
]

LASIO_CITATION = (
    "lasio: Log ASCII Standard (LAS) file reader, https://github.com/kinverarity1/lasio"
)


def read_las_curve(
    path: str | os.PathLike, curve: str = "AI"
) -> tuple[np.ndarray, np.ndarray, dict]:
    """One curve of a LAS file without null samples.

    ``curve="AI"`` falls back to RHOB·1e6/DT when the file has RHOB (kg/m3) and DT
    (us/m) but no AI curve.

    Returns:
        (depth_m, values, info) with info holding the well name, unit and location.
    """
    import lasio

    try:
        las = lasio.read(str(path))
    except Exception as e:  # lasio raises many types for malformed files
        raise BadInputError(f"{os.path.basename(path)} is not a readable LAS file ({e})") from None
    names = [c.mnemonic for c in las.curves]
    if not names:
        raise BadInputError(
            f"{os.path.basename(path)} has no curves (no ~C section or no ~A data); "
            "export the log again as LAS 2.0"
        )
    try:
        depth = np.asarray(las.index, dtype=float)
        if curve in names:
            values = np.asarray(las[curve], dtype=float)
            unit = las.curves[curve].unit
        elif curve == "AI" and {"RHOB", "DT"} <= set(names):
            with np.errstate(divide="ignore", invalid="ignore"):  # DT = 0: dropped below
                values = np.asarray(las["RHOB"], float) * 1e6 / np.asarray(las["DT"], float)
            unit = "(m/s)*(kg/m3) from RHOB/DT"
        else:
            raise BadInputError(
                f"curve {curve!r} is not in {os.path.basename(path)}; it has {', '.join(names)}"
            )
    except (ValueError, TypeError) as e:  # lasio leaves unparsable values as text
        raise BadInputError(
            f"{os.path.basename(path)}: the ~A data of {curve!r} or the depth are not all "
            f"numbers ({e}); fix the file's data section (null values as the NULL number)"
        ) from None
    if depth.shape != values.shape:
        raise BadInputError(
            f"{os.path.basename(path)}: curve {curve!r} has {values.size} values for "
            f"{depth.size} depths; fix the file's ~A section"
        )
    ok = np.isfinite(values) & np.isfinite(depth)
    if ok.sum() < 2:
        raise BadInputError(f"curve {curve} of {os.path.basename(path)} has no valid samples")
    info = {
        "well": str(las.well["WELL"].value) if "WELL" in las.well else "",
        "curve": curve,
        "unit": unit,
    }
    loc = str(las.well["LOC"].value) if "LOC" in las.well else ""
    m = re.search(r"X\s*=\s*([-\d.]+).*Y\s*=\s*([-\d.]+)", loc)
    if m:
        info["x"], info["y"] = float(m.group(1)), float(m.group(2))
    return depth[ok], values[ok], info


def read_checkshot(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Checkshot table: (depth_m, twt_ms); a TWT column in seconds is converted to ms.

    A text file of two columns, or a ``.npy`` array of two rows (depth, TWT), as
    ``tie_well`` saves its time-depth relation after a tie.
    """
    try:
        if str(path).endswith(".npy"):
            rows = np.load(path, allow_pickle=False)
            table = rows.T if rows.ndim == 2 and rows.shape[0] == 2 else np.atleast_2d(rows)
        else:
            table = np.loadtxt(path, ndmin=2)
    except ValueError as e:
        raise BadInputError(
            f"{os.path.basename(path)}: not a two-column depth/time table ({e})"
        ) from None
    if table.shape[1] < 2 or len(table) < 2:
        raise BadInputError(f"{os.path.basename(path)}: need >= 2 rows of 'depth twt'")
    depth, twt = table[:, 0], table[:, 1]
    if not (np.all(np.isfinite(depth)) and np.all(np.isfinite(twt))):
        raise BadInputError(f"{os.path.basename(path)}: NaN or infinite depths or times")
    if twt.max() < 20:  # seconds; no checkshot reaches 20 ms TWT at its deepest level
        twt = twt * 1000.0
    if np.any(np.diff(depth) <= 0) or np.any(np.diff(twt) < 0):
        raise BadInputError(
            f"{os.path.basename(path)}: depth must increase and time must "
            "not decrease down the table"
        )
    return depth, twt


def depth_to_twt(depth_m: np.ndarray, cs_depth_m: np.ndarray, cs_twt_ms: np.ndarray) -> np.ndarray:
    """Two-way time of each depth by linear interpolation of a checkshot, ms.

    Beyond the checkshot the end interval velocities are extended linearly.
    """
    t = np.interp(depth_m, cs_depth_m, cs_twt_ms)
    for end, (i, j) in ((depth_m < cs_depth_m[0], (0, 1)), (depth_m > cs_depth_m[-1], (-2, -1))):
        slope = (cs_twt_ms[j] - cs_twt_ms[i]) / (cs_depth_m[j] - cs_depth_m[i])
        t[end] = cs_twt_ms[i] + slope * (depth_m[end] - cs_depth_m[i])
    return t


def log_to_time(
    depth_m: np.ndarray,
    values: np.ndarray,
    cs_depth_m: np.ndarray,
    cs_twt_ms: np.ndarray,
    dt_ms: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Resample a depth log onto a regular TWT grid by averaging the samples in each bin.

    Returns:
        (twt_ms, values) both (n,), twt_ms = k·dt_ms, covering the log's time range.
    """
    twt = depth_to_twt(depth_m, cs_depth_m, cs_twt_ms)
    k = np.round(twt / dt_ms).astype(int)
    bins = np.arange(k.min(), k.max() + 1)
    sums = np.bincount(k - k.min(), weights=values, minlength=len(bins))
    counts = np.bincount(k - k.min(), minlength=len(bins))
    filled = counts > 0
    out = np.interp(bins, bins[filled], sums[filled] / counts[filled])
    return bins * dt_ms, out


def survey_transform(segy_path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares affine map (inline, crossline, 1) -> (x, y) from trace-header CDP_X/Y.

    Returns:
        (cx, cy) each (3,), with x = cx @ [il, xl, 1]; needs a 3D file with coordinates.
    """
    import segyio

    check_segy(segy_path)  # a clear error for a file segyio cannot open
    with segyio.open(segy_path, "r", ignore_geometry=True) as f:
        il = f.attributes(segyio.su.iline)[:].astype(float)
        xl = f.attributes(segyio.su.xline)[:].astype(float)
        scal = f.attributes(segyio.su.scalco)[:].astype(float)
        scale = np.where(
            scal < 0, 1 / np.abs(np.where(scal == 0, 1, scal)), np.where(scal == 0, 1, scal)
        )
        x = f.attributes(segyio.su.cdpx)[:] * scale
        y = f.attributes(segyio.su.cdpy)[:] * scale
    a = np.c_[il, xl, np.ones_like(il)]
    if np.linalg.matrix_rank(a) < 3 or not np.any(x):
        raise BadInputError(
            "the SEG-Y needs varying inline/crossline numbers and CDP X/Y "
            "coordinates to relate line numbers to map positions"
        )
    return np.linalg.lstsq(a, x, rcond=None)[0], np.linalg.lstsq(a, y, rcond=None)[0]


def locate_well_xy(x: float, y: float, cx: np.ndarray, cy: np.ndarray) -> tuple[float, float]:
    """(inline, crossline), fractional, of map point (x, y) under the affine survey map."""
    m = np.array([cx[:2], cy[:2]])
    try:
        il, xl = np.linalg.solve(m, np.array([x - cx[2], y - cy[2]]))
    except np.linalg.LinAlgError:
        raise BadInputError(
            "the survey's CDP X/Y coordinates do not span a map area (they lie on a line "
            "or repeat), so map positions cannot be related to inlines and crosslines"
        ) from None
    return float(il), float(xl)


def read_well_log(
    workspace: Workspace,
    file: FileId,
    checkshot: FileId | None = None,
    curve: str = "AI",
    dt_ms: Positive = 4.0,
) -> ToolResult:
    """Load a LAS well-log curve (lasio) and, with a checkshot, convert it to two-way time.

    Args:
        file: workspace id of the attached LAS file.
        checkshot: workspace id of a two-column text checkshot (depth in m, TWT in s or
            ms); without it the log stays in depth.
        curve: LAS mnemonic of the curve, e.g. "AI" (P-impedance, computed from RHOB and
            DT when absent), "DT", "RHOB", "GR".
        dt_ms: sample interval of the time-converted log, in milliseconds.
    """
    depth, values, info = read_las_curve(workspace.path(file), curve)
    arts = [
        workspace.save_array(
            np.stack([depth, values]),
            f"{curve} log of {info['well']} in depth (row 0: depth m, row 1: values)",
            dict(info, axes=["row", "depth_m"]),
        )
    ]
    text = (
        f"{info['well']} {curve} ({info['unit']}): {len(depth)} samples, "
        f"{depth[0]:.0f}-{depth[-1]:.0f} m, {values.min():.4g}-{values.max():.4g}; "
        f"depth log {arts[0].id}"
    )
    metrics = {"depth_top_m": float(depth[0]), "depth_base_m": float(depth[-1])}
    details = {
        "n_samples": float(len(depth)),
        "value_min": float(values.min()),
        "value_max": float(values.max()),
    }
    if checkshot is not None:
        if dt_ms <= 0:
            raise BadInputError(f"dt_ms must be > 0, got {dt_ms}")
        cs_d, cs_t = read_checkshot(workspace.path(checkshot))
        twt, v_t = log_to_time(depth, values, cs_d, cs_t, dt_ms)
        arts.append(
            workspace.save_array(
                v_t,
                f"{curve} log of {info['well']} in time",
                dict(info, dt_ms=dt_ms, t0_ms=float(twt[0]), axes=["twt_ms"], checkshot=checkshot),
            )
        )
        text += (
            f"; in time {arts[1].id}: {len(v_t)} samples at {dt_ms:g} ms from "
            f"{twt[0]:.0f} to {twt[-1]:.0f} ms"
        )
        metrics.update(twt_top_ms=float(twt[0]), twt_base_ms=float(twt[-1]))
        details.update(n_time_samples=float(len(v_t)), dt_ms=float(dt_ms))
    if "x" in info:
        text += f"; well at x={info['x']:.0f}, y={info['y']:.0f}"
    return ToolResult(text, tuple(arts), metrics, (LASIO_CITATION,), details=details)


def locate_well(workspace: Workspace, survey: SegyId, x: float, y: float) -> ToolResult:
    """Find the inline and crossline of a map position (e.g. a well head) in a 3D SEG-Y survey.

    Args:
        survey: workspace id of a 3D SEG-Y file with CDP X/Y trace-header coordinates
            (a crop of the survey is enough: the map is an affine fit).
        x: easting of the point, in the survey's map units (m).
        y: northing of the point, in the survey's map units (m).
    """
    cx, cy = survey_transform(workspace.path(survey))
    il, xl = locate_well_xy(x, y, cx, cy)
    bin_il = float(np.hypot(cx[0], cy[0]))
    bin_xl = float(np.hypot(cx[1], cy[1]))
    return ToolResult(
        f"({x:.0f}, {y:.0f}) lies at inline {il:.2f}, crossline {xl:.2f} of "
        f"{survey} (bins {bin_il:.1f} m x {bin_xl:.1f} m); nearest trace "
        f"inline {round(il)}, crossline {round(xl)}",
        (),
        {"inline": il, "crossline": xl, "bin_inline_m": bin_il, "bin_crossline_m": bin_xl},
    )
