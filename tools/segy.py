"""SEG-Y I/O with segyio: open checks and header summaries."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tools.errors import BadInputError

__all__ = ["check_segy"]

SEGYIO_CITATION = "segyio: Equinor's SEG-Y I/O library, https://github.com/equinor/segyio"
_HEADER_BYTES = 3600  # 3200-byte textual + 400-byte binary file header


def check_segy(path: str | os.PathLike) -> dict[str, Any]:
    """Open a SEG-Y file cheaply and summarise its headers.

    Returns:
        dict with geometry ("3D post-stack" or "2D/unsorted"), n_traces, n_samples,
        dt_ms, sample_format, and inline/crossline ranges for 3D files.

    Raises:
        BadInputError: the file is too short, truncated, or its headers are inconsistent;
            the message names the problem and what to try.
    """
    import segyio

    p = Path(path)
    size = p.stat().st_size
    if size < _HEADER_BYTES + 240:
        raise BadInputError(f"{p.name} is {size} bytes, too short to be SEG-Y (needs the "
                            "3600-byte file header and at least one 240-byte trace header)")
    try:
        f = segyio.open(p, "r", ignore_geometry=False)
        geometry = "3D post-stack"
    except RuntimeError:
        try:
            f = segyio.open(p, "r", ignore_geometry=True)
            geometry = "2D/unsorted"
        except RuntimeError as e:
            raise BadInputError(
                f"{p.name} cannot be read as SEG-Y ({e}). The file may be truncated or not "
                "SEG-Y at all; re-export or re-copy it, and check its size.") from None
    with f:
        n_samples = len(f.samples)
        info: dict[str, Any] = {
            "geometry": geometry, "n_traces": int(f.tracecount), "n_samples": n_samples,
            "dt_ms": float(segyio.tools.dt(f)) / 1000.0, "sample_format": str(f.format),
        }
        if geometry.startswith("3D"):
            info.update(inlines=[int(f.ilines[0]), int(f.ilines[-1])],
                        crosslines=[int(f.xlines[0]), int(f.xlines[-1])])
    if info["dt_ms"] <= 0:
        raise BadInputError(f"{p.name} declares a sample interval of {info['dt_ms']} ms; "
                            "fix the binary header (bytes 3217-3218) before using it")
    return info
