"""Inline blocks of a 3D post-stack SEG-Y file (segyio): geometry, reading, writing.

Positions count inlines and crosslines in file order from 0. An inline-sorted file holds
inline ``p`` as one contiguous run of traces; a crossline-sorted one as every
``n_inlines``-th trace from ``p``. Reading opens the file without geometry inference (a
scan of every header), so each Dask task can open it cheaply::

    info = volume_info("cube.sgy")                  # checks the file once
    block = read_inlines(info, 10, 20)              # (10, n_crosslines, n_samples) float32
    writer = CubeWriter(info, "out.sgy")
    writer.write(10, block); writer.close()
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common.errors import BadInputError
from tools.segy import check_segy

__all__ = ["VolumeInfo", "volume_info", "trace_slices", "read_inlines", "CubeWriter"]


@dataclass(frozen=True)
class VolumeInfo:
    """Geometry of a 3D post-stack SEG-Y file, as the chunked path needs it.

    Attributes:
        path: the file.
        n_inlines, n_crosslines, n_samples: cube shape (time last).
        dt_ms: sample interval, ms; t0_ms: time of the first sample, ms.
        sorting: "inline" (crosslines vary fastest along the file) or "crossline".
        inlines, crosslines: first and last line numbers.
    """

    path: str
    n_inlines: int
    n_crosslines: int
    n_samples: int
    dt_ms: float
    t0_ms: float
    sorting: str
    inlines: tuple[int, int]
    crosslines: tuple[int, int]

    @property
    def n_traces(self) -> int:
        return self.n_inlines * self.n_crosslines

    @property
    def inline_bytes(self) -> int:
        """Bytes of one inline as float32 samples."""
        return self.n_crosslines * self.n_samples * 4

    def shape_str(self) -> str:
        return f"{self.n_inlines}x{self.n_crosslines}x{self.n_samples}"

    def same_grid(self, other: "VolumeInfo") -> bool:
        keys = ("n_inlines", "n_crosslines", "n_samples", "sorting", "inlines", "crosslines")
        return all(getattr(self, k) == getattr(other, k) for k in keys)


def volume_info(path: str | os.PathLike) -> VolumeInfo:
    """Check a SEG-Y file and return its 3D geometry.

    Raises:
        BadInputError: missing, truncated or not SEG-Y (from ``check_segy``), no regular
            inline/crossline grid (2D, unsorted, or cut at a trace boundary), or pre-stack.
    """
    info = check_segy(path)
    name = info["file"]
    if "inlines" not in info:
        raise BadInputError(
            f"{name}: its {info['n_traces']} traces do not form a regular inline/crossline "
            "grid, which chunked processing needs. The file may be truncated (a cube cut at "
            "a trace boundary; compare its size with the original) or a 2D line or "
            "unsorted gathers: process those in memory with `geofm tools run`."
        )
    if "offsets_m" in info or info["n_inlines"] * info["n_crosslines"] != info["n_traces"]:
        raise BadInputError(
            f"{name} is pre-stack (several offsets per inline/crossline); "
            "chunked processing takes post-stack cubes: stack it first"
        )
    return VolumeInfo(
        str(Path(path)),
        info["n_inlines"],
        info["n_crosslines"],
        info["n_samples"],
        info["dt_ms"],
        info["t0_ms"],
        info["sorting"],
        tuple(info["inlines"]),
        tuple(info["crosslines"]),
    )


def trace_slices(info: VolumeInfo, start: int, stop: int) -> list[slice]:
    """Trace-index slices of inline positions ``[start, stop)``, in (inline, crossline)
    order: one contiguous run for inline-sorted files, one strided run per inline else."""
    if info.sorting == "inline":
        return [slice(start * info.n_crosslines, stop * info.n_crosslines)]
    return [slice(p, info.n_traces, info.n_inlines) for p in range(start, stop)]


def read_inlines(info: VolumeInfo, start: int, stop: int) -> np.ndarray:
    """Inline positions ``[start, stop)`` as float32 (stop - start, n_crosslines, n_samples).

    Raises:
        BadInputError: the file can no longer be read there (truncated or replaced since
            it was checked).
    """
    import segyio

    shape = (stop - start, info.n_crosslines, info.n_samples)
    try:
        with segyio.open(info.path, "r", ignore_geometry=True) as f:
            if f.tracecount != info.n_traces or len(f.samples) != info.n_samples:
                raise RuntimeError(
                    f"it now holds {f.tracecount} traces of {len(f.samples)} samples"
                )
            parts = [f.trace.raw[s] for s in trace_slices(info, start, stop)]
    except (RuntimeError, OSError, ValueError) as e:
        raise BadInputError(
            f"reading inlines {start}-{stop - 1} (positions) of "
            f"{Path(info.path).name} failed ({e}); the file was truncated or "
            "changed after it was checked. Re-copy it and run again."
        ) from None
    return np.concatenate(parts).reshape(shape).astype(np.float32, copy=False)


class CubeWriter:
    """A SEG-Y file written block by block on the grid of ``info``: the input's textual
    and binary headers at creation (samples as 4-byte IEEE floats), then each block's
    trace headers and traces, in any order."""

    def __init__(self, info: VolumeInfo, path: Path):
        import segyio

        self.info = info
        self.src = segyio.open(info.path, "r", ignore_geometry=True)
        spec = segyio.tools.metadata(self.src)
        spec.format = int(segyio.SegySampleFormat.IEEE_FLOAT_4_BYTE)
        try:
            self.dst = segyio.create(str(path), spec)
        except (RuntimeError, OSError) as e:
            self.src.close()
            raise BadInputError(
                f"cannot write SEG-Y in {path.parent} ({e}); check that the "
                "folder is writable and has space"
            ) from None
        self.open = True
        for i in range(1 + spec.ext_headers):
            self.dst.text[i] = self.src.text[i]
        self.dst.bin = self.src.bin
        self.dst.bin.update({segyio.BinField.Format: spec.format})

    def write(self, start: int, data: np.ndarray) -> None:
        """``data`` (n, n_crosslines, n_samples) at inline positions ``[start, start + n)``,
        with the input's trace headers of those traces."""
        slices = trace_slices(self.info, start, start + len(data))
        runs = [data.reshape(-1, self.info.n_samples)] if len(slices) == 1 else data
        for s, traces in zip(slices, runs):
            for i, h in zip(range(*s.indices(self.info.n_traces)), self.src.header[s]):
                out = self.dst.header[i]
                out.buf = h.buf  # the raw 240 bytes; far faster than field by field
                out.flush()
            self.dst.trace[s] = traces

    def close(self) -> None:
        if self.open:
            self.open = False
            self.dst.close()
            self.src.close()
