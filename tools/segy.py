"""SEG-Y I/O with segyio: cheap open checks, header summaries, reading, writing back.

Arrays follow the tools' layout (time last): a 2D line or gather is
(n_traces, n_samples), a cube (n_inlines, n_crosslines, n_samples), a time slice
(n_inlines, n_crosslines). Each saved array records ``segy_source`` (the file's
workspace id) and ``trace_index`` (its traces' positions in that file), so
``write_segy`` can copy the original textual, binary and trace headers.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field

from common.errors import BadInputError
from tools.registry import NEEDS_KEY, ArrayId, SegyId
from tools.result import ToolResult
from tools.section import amp_range, amplitude_metrics, shape_str
from tools.workspace import Workspace

__all__ = [
    "check_segy",
    "read_segy_array",
    "write_segy_array",
    "segy_info",
    "read_segy",
    "write_segy",
    "SEGYIO_CITATION",
]

SEGYIO_CITATION = "segyio: Equinor's SEG-Y I/O library, https://github.com/equinor/segyio"
_HEADER_BYTES = 3600  # 3200-byte textual + 400-byte binary file header
_MAX_SAMPLES = 5e8  # samples read at once; bigger volumes belong to the chunked path


def _open(path: Path) -> tuple[Any, str]:
    """(segyio.SegyFile, geometry label); 3D geometry when the headers allow, else unsorted."""
    import segyio

    try:
        return segyio.open(path, "r", ignore_geometry=False), "3D post-stack"
    except (RuntimeError, ValueError, OSError, IndexError, KeyError):
        pass
    try:
        return segyio.open(path, "r", ignore_geometry=True), "2D/unsorted"
    except (RuntimeError, ValueError, OSError, IndexError, KeyError) as e:
        raise BadInputError(
            f"{path.name} cannot be read as SEG-Y ({e}). The file may be truncated or not "
            "SEG-Y at all; re-export or re-copy it, and compare its size with the "
            "original."
        ) from None


def _coordinates(f: Any) -> dict[str, Any]:  # f: a segyio.SegyFile
    import segyio

    out = {}
    for i, label in ((0, "first"), (f.tracecount - 1, "last")):
        h = f.header[i]
        scal = h[segyio.su.scalco] or 1
        scale = 1.0 / abs(scal) if scal < 0 else float(scal)
        x, y = h[segyio.su.cdpx] * scale, h[segyio.su.cdpy] * scale
        if x or y:
            out[f"{label}_trace_xy"] = [round(x, 2), round(y, 2)]
    return out


def check_segy(path: str | os.PathLike) -> dict[str, Any]:
    """Open a SEG-Y file cheaply and summarise its headers.

    Returns:
        dict with geometry ("3D post-stack" or "2D/unsorted"), n_traces, n_samples,
        dt_ms, t0_ms, sample_format, inline/crossline ranges for 3D files, offsets
        (min, max) when they vary (pre-stack gathers), and first/last trace coordinates.

    Raises:
        BadInputError: the file is missing, too short, truncated, or its headers are
            empty or inconsistent; the message names the problem and what to try.
    """
    import segyio

    p = Path(path)
    if not p.is_file():
        raise BadInputError(f"no SEG-Y file at {p}; check the path")
    size = p.stat().st_size
    if size < _HEADER_BYTES + 240:
        raise BadInputError(
            f"{p.name} is {size} bytes, too short to be SEG-Y (needs the "
            "3600-byte file header and at least one 240-byte trace header)"
        )
    f, geometry = _open(p)
    with f:
        n_samples = len(f.samples)
        if n_samples == 0 or f.tracecount == 0:
            raise BadInputError(
                f"{p.name}: the headers declare {n_samples} samples per trace and "
                f"{f.tracecount} traces; fix the binary header's sample count (bytes "
                "3221-3222) or re-export the file"
            )
        first = f.header[0]
        if not any(first.values()):
            raise BadInputError(
                f"{p.name}: the first trace header is empty (every field zero) while the binary "
                f"header declares {f.bin[segyio.BinField.Samples]} samples per trace, so the "
                "traces cannot be located or trusted. Re-export the data with trace headers "
                "(sample count, interval, inline/crossline or CDP numbers)."
            )
        info: dict[str, Any] = {
            "file": p.name,
            "bytes": size,
            "geometry": geometry,
            "n_traces": int(f.tracecount),
            "n_samples": n_samples,
            "dt_ms": float(segyio.tools.dt(f, fallback_dt=0.0)) / 1000.0,
            "t0_ms": float(f.samples[0]),
            "sample_format": str(f.format),
        }
        if geometry.startswith("3D"):
            info.update(
                inlines=[int(f.ilines[0]), int(f.ilines[-1])],
                crosslines=[int(f.xlines[0]), int(f.xlines[-1])],
                n_inlines=len(f.ilines),
                n_crosslines=len(f.xlines),
                sorting="inline"
                if f.sorting == segyio.TraceSortingFormat.INLINE_SORTING
                else "crossline",
            )
        offsets = f.attributes(segyio.TraceField.offset)[:]
        if np.ptp(offsets) > 0:
            info["offsets_m"] = [int(offsets.min()), int(offsets.max())]
        info.update(_coordinates(f))
        ns_trace = first[segyio.TraceField.TRACE_SAMPLE_COUNT]
        if ns_trace and ns_trace != n_samples:  # segyio trusts the binary header
            info["warning"] = (
                f"trace headers say {ns_trace} samples, the binary header "
                f"{n_samples}; the binary header's count was used"
            )
    if info["dt_ms"] <= 0:
        raise BadInputError(
            f"{p.name} declares a sample interval of {info['dt_ms']} ms; "
            "fix the binary header (bytes 3217-3218) before using it"
        )
    return info


def read_segy_array(
    path: str | os.PathLike,
    inline: int | None = None,
    crossline: int | None = None,
    time_ms: float | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Read a line, slice, cube or all traces of a SEG-Y file.

    Args:
        path: SEG-Y file.
        inline: inline number to read (3D files).
        crossline: crossline number to read (3D files).
        time_ms: two-way time of a time slice, ms (3D files).

    Returns:
        (array, metadata): (n_traces, n_samples) for a line or a 2D/pre-stack file,
        (n_inlines, n_crosslines) for a time slice, (n_il, n_xl, n_samples) for a cube;
        metadata holds dt_ms, t0_ms, axes, inline/crossline numbers and trace_index.
    """
    import segyio

    info = check_segy(path)
    picks = [a is not None for a in (inline, crossline, time_ms)]
    if sum(picks) > 1:
        raise BadInputError("give at most one of inline, crossline, time_ms")
    meta: dict[str, Any] = {
        "dt_ms": info["dt_ms"],
        "t0_ms": info["t0_ms"],
        "geometry": info["geometry"],
    }
    f, _ = _open(Path(path))
    with f:
        is3d = info["geometry"].startswith("3D")
        if any(picks) and not is3d:
            raise BadInputError(
                f"{info['file']} has no inline/crossline geometry (2D or "
                "unsorted); read it without inline, crossline or time_ms"
            )
        if inline is not None:
            if inline not in f.ilines:
                raise BadInputError(
                    f"inline {inline} is not in {info['file']}; inlines run "
                    f"{info['inlines'][0]}-{info['inlines'][1]}"
                )
            data = f.iline[inline]
            pos = int(np.flatnonzero(f.ilines == inline)[0])
            n_xl = len(f.xlines)
            idx = (
                np.arange(n_xl) + pos * n_xl
                if f.sorting == 2
                else np.arange(n_xl) * len(f.ilines) + pos
            )
            meta.update(
                axes=["crossline", "twt_ms"],
                inline=inline,
                crosslines=f.xlines.tolist(),
                trace_index=idx.tolist(),
            )
        elif crossline is not None:
            if crossline not in f.xlines:
                raise BadInputError(
                    f"crossline {crossline} is not in {info['file']}; "
                    f"crosslines run {info['crosslines'][0]}-"
                    f"{info['crosslines'][1]}"
                )
            data = f.xline[crossline]
            pos = int(np.flatnonzero(f.xlines == crossline)[0])
            n_il = len(f.ilines)
            idx = (
                np.arange(n_il) * len(f.xlines) + pos
                if f.sorting == 2
                else np.arange(n_il) + pos * n_il
            )
            meta.update(
                axes=["inline", "twt_ms"],
                crossline=crossline,
                inlines=f.ilines.tolist(),
                trace_index=idx.tolist(),
            )
        elif time_ms is not None:
            k = int(round((time_ms - info["t0_ms"]) / info["dt_ms"]))
            if not 0 <= k < info["n_samples"]:
                raise BadInputError(
                    f"time {time_ms} ms is outside the traces ("
                    f"{info['t0_ms']:g}-{f.samples[-1]:g} ms)"
                )
            data = f.depth_slice[k]
            meta.update(
                axes=["inline", "crossline"],
                time_ms=float(f.samples[k]),
                inlines=f.ilines.tolist(),
                crosslines=f.xlines.tolist(),
            )
            meta.pop("dt_ms")  # a slice has no time axis
        else:
            if info["n_traces"] * info["n_samples"] > _MAX_SAMPLES:
                raise BadInputError(
                    f"{info['file']} holds {info['n_traces']} traces; read "
                    "one inline, crossline or time slice at a time"
                )
            if is3d:
                data = segyio.tools.cube(f)
                if f.sorting != 2:  # crossline-sorted cubes come as (xl, il, t)
                    data = data.transpose(1, 0, 2)
                meta.update(
                    axes=["inline", "crossline", "twt_ms"],
                    inlines=f.ilines.tolist(),
                    crosslines=f.xlines.tolist(),
                )
            else:
                data = f.trace.raw[:]
                meta.update(axes=["trace", "twt_ms"], trace_range=[0, f.tracecount, 1])
                if "offsets_m" in info:
                    meta.update(
                        offsets_m=f.attributes(segyio.TraceField.offset)[:].tolist(),
                        kind_of_data="pre-stack gather",
                    )
    return np.asarray(data, dtype=np.float32), meta


def _trace_index(meta: dict[str, Any]) -> np.ndarray | None:
    if "trace_range" in meta:  # compact [start, stop, step] for whole files
        return np.arange(*meta["trace_range"])
    if "trace_index" in meta:
        return np.asarray(meta["trace_index"], dtype=int)
    return None


def write_segy_array(
    path: str | os.PathLike,
    data: np.ndarray,
    dt_ms: float,
    template: str | os.PathLike | None = None,
    trace_index: np.ndarray | None = None,
) -> None:
    """Write traces to SEG-Y as 4-byte IEEE floats.

    With ``template``, the textual and binary headers and the trace headers of
    ``trace_index`` (default: all traces) are copied from it; otherwise
    ``segyio.tools.from_array`` makes minimal headers (inline/crossline from the array).

    Args:
        path: output file.
        data: (n_traces, n_samples) or (n_il, n_xl, n_samples) float array.
        dt_ms: sample interval, ms.
        template: SEG-Y file whose headers are copied.
        trace_index: (n_traces,) positions of the written traces in ``template``.
    """
    import segyio

    if template is None:
        segyio.tools.from_array(
            str(path),
            np.asarray(data, dtype=np.float32),
            format=segyio.SegySampleFormat.IEEE_FLOAT_4_BYTE,
            dt=int(round(dt_ms * 1000)),
        )
        return
    traces = np.asarray(data, dtype=np.float32).reshape(-1, data.shape[-1])
    with segyio.open(template, "r", ignore_geometry=True) as src:
        idx = np.arange(src.tracecount) if trace_index is None else trace_index
        if len(idx) != len(traces):
            raise BadInputError(
                f"{len(traces)} traces to write but the template selection "
                f"has {len(idx)}; pass the template the data were read from"
            )
        if traces.shape[1] != len(src.samples):
            raise BadInputError(
                f"traces have {traces.shape[1]} samples, the template "
                f"{len(src.samples)}; write without a template instead"
            )
        spec = segyio.tools.metadata(src)
        spec.tracecount = len(traces)
        spec.format = int(segyio.SegySampleFormat.IEEE_FLOAT_4_BYTE)
        with segyio.create(str(path), spec) as dst:
            dst.text[0] = src.text[0]
            dst.bin = src.bin
            dst.bin.update({segyio.BinField.Format: spec.format})
            for j, i in enumerate(idx):
                dst.header[j] = src.header[int(i)]
            dst.trace = traces


# read_segy arguments only a 3D file takes (a schema note for the agent's grammar)
Line3D = Annotated[int | None, Field(json_schema_extra={NEEDS_KEY: "3d"})]
Time3D = Annotated[float | None, Field(json_schema_extra={NEEDS_KEY: "3d"})]


def _checked(workspace: Workspace, file: str) -> dict[str, Any]:
    """check_segy on a workspace file, naming the user's file in any error."""
    meta = workspace.meta(file)
    if meta["kind"] != "segy":
        raise BadInputError(f"{file} is a {meta['kind']}, not a SEG-Y file; attach a .sgy")
    try:
        return check_segy(workspace.path(file))
    except BadInputError as e:
        raise BadInputError(f"{file} ({meta['description']}): {e}") from None


def segy_info(workspace: Workspace, file: SegyId) -> ToolResult:
    """Summarise a SEG-Y file's headers: geometry, sizes, sample interval, format, lines, coordinates.

    Args:
        file: workspace id of an attached SEG-Y file.
    """
    info = _checked(workspace, file)
    parts = [
        f"{file} ({info['file']}): {info['geometry']}, {info['n_traces']} traces x "
        f"{info['n_samples']} samples at {info['dt_ms']:g} ms, {info['sample_format']}"
    ]
    if "inlines" in info:
        parts.append(
            f"inlines {info['inlines'][0]}-{info['inlines'][1]}, crosslines "
            f"{info['crosslines'][0]}-{info['crosslines'][1]}"
        )
    if "offsets_m" in info:
        parts.append(f"offsets {info['offsets_m'][0]}-{info['offsets_m'][1]} (pre-stack)")
    metrics = {k: float(info[k]) for k in ("n_traces", "n_samples", "dt_ms")}
    return ToolResult(
        "; ".join(parts), metrics=metrics, citations=(SEGYIO_CITATION,), details=_line_metrics(info)
    )


def _line_metrics(info: dict[str, Any]) -> dict[str, float]:
    """Inline/crossline counts and ranges of a 3D file, offset range (m) of a gather."""
    out: dict[str, float] = {}
    if "inlines" in info:
        out.update(
            n_inlines=float(info["n_inlines"]),
            n_crosslines=float(info["n_crosslines"]),
            inline_first=float(info["inlines"][0]),
            inline_last=float(info["inlines"][1]),
            crossline_first=float(info["crosslines"][0]),
            crossline_last=float(info["crosslines"][1]),
        )
    if "offsets_m" in info:
        out.update(
            offset_min_m=float(info["offsets_m"][0]), offset_max_m=float(info["offsets_m"][1])
        )
    return out


def read_segy(
    workspace: Workspace,
    file: SegyId,
    inline: Line3D = None,
    crossline: Line3D = None,
    time_ms: Time3D = None,
) -> ToolResult:
    """Read traces from an attached SEG-Y file into a workspace array.

    3D post-stack files give one inline, one crossline, one time slice, or the whole
    cube; 2D lines, unsorted files and pre-stack gathers give all traces.

    Args:
        file: workspace id of an attached SEG-Y file.
        inline: inline number to read (3D only), e.g. 362.
        crossline: crossline number to read (3D only).
        time_ms: two-way time of a time slice, in milliseconds (3D only).
    """
    meta = workspace.meta(file)
    _checked(workspace, file)
    data, geo = read_segy_array(workspace.path(file), inline, crossline, time_ms)
    if inline is not None:
        what = f"inline {inline}"
    elif crossline is not None:
        what = f"crossline {crossline}"
    elif time_ms is not None:
        what = f"time slice {geo['time_ms']:g} ms"
    else:
        what = "all traces"
    geo["segy_source"] = file
    art = workspace.save_array(data, f"{what} of {meta['description']}", geo)
    axes = " x ".join(geo["axes"])
    details: dict[str, float] = {}
    if time_ms is None:
        details.update(n_samples=float(data.shape[-1]), dt_ms=float(geo["dt_ms"]))
    else:
        details["time_ms"] = float(geo["time_ms"])
    if data.ndim == 3 or time_ms is not None:
        details.update(n_inlines=float(data.shape[0]), n_crosslines=float(data.shape[1]))
    if "offsets_m" in geo:
        details.update(
            offset_min_m=float(min(geo["offsets_m"])), offset_max_m=float(max(geo["offsets_m"]))
        )
    details.update(amplitude_metrics(data))
    return ToolResult(
        f"read {what} of {file} -> {art.id}: {shape_str(data)} ({axes}), "
        f"amplitudes {amp_range(data)}",
        (art,),
        {"n_traces": float(np.prod(data.shape[:-1]))},
        (SEGYIO_CITATION,),
        details=details,
    )


def write_segy(
    workspace: Workspace, data: ArrayId, headers: Literal["source", "minimal"] = "source"
) -> ToolResult:
    """Write a workspace array to a new SEG-Y file (4-byte IEEE float samples).

    Args:
        data: workspace id of the array (traces x samples or a cube, time last).
        headers: "source" copies the textual, binary and trace headers of the SEG-Y the
            array was read from; "minimal" writes fresh headers (segyio from_array).
    """
    m = workspace.meta(data).get("metadata", {})
    arr = workspace.load_array(data)
    if not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr) or arr.size == 0:
        raise BadInputError(  # also refuses text arrays, which float32 cannot hold
            f"{data} is a {arr.dtype} array of shape {arr.shape}; SEG-Y holds non-empty "
            "real-valued traces"
        )
    if arr.ndim not in (2, 3) or "dt_ms" not in m and headers == "source":
        raise BadInputError(
            f"{data} is not a section or cube read from SEG-Y; use "
            "headers='minimal' or read the data with read_segy first"
        )
    template = index = None
    if headers == "source":
        src = m.get("segy_source")
        if src is None:
            raise BadInputError(
                f"{data} has no SEG-Y source to copy headers from; use headers='minimal'"
            )
        template = workspace.path(src)
        index = _trace_index(m)
    item_id, path = workspace.new_path(".sgy")
    write_segy_array(path, arr, float(m.get("dt_ms", 4.0)), template, index)
    art = workspace.commit(
        item_id, path, "segy", f"SEG-Y of {data}", {"derived_from": data, "headers": headers}
    )
    return ToolResult(
        f"wrote {data} to SEG-Y {art.id}: {shape_str(arr)}, IEEE float, headers {headers}",
        (art,),
        citations=(SEGYIO_CITATION,),
        details={"n_traces": float(np.prod(arr.shape[:-1])), "n_samples": float(arr.shape[-1])},
    )
