"""The number format GeoFM inference runs in: bfloat16 where the CPU computes it natively.

The heads' convolutions and matrix products run under ``torch.autocast`` in bfloat16 on a
CPU with native bfloat16 instructions (AVX512-BF16 or AMX-BF16), where they are faster
than in float32; elsewhere (no such instructions, where bfloat16 would be emulated and
slower, or a GPU) they run in float32. Inputs, outputs, blending and every
numpy step stay float32. The environment variable ``GEOFM_PRECISION`` overrides the
choice: ``auto`` (the default), ``float32`` or ``bfloat16``::

    with inference_precision(device):
        y = model(x)
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from common.errors import BadInputError

if TYPE_CHECKING:  # loaded on first use at run time
    import torch

__all__ = ["PRECISIONS", "native_bf16", "inference_dtype", "inference_precision"]

PRECISIONS = ("auto", "float32", "bfloat16")


@functools.cache
def native_bf16() -> bool:
    """Whether this CPU has bfloat16 arithmetic instructions (AVX512-BF16 or AMX-BF16),
    as torch reports them; False when torch cannot tell."""
    import torch

    try:
        caps = torch._C._cpu._get_cpu_capability()
    except (AttributeError, RuntimeError):
        return False
    return bool(caps.get("avx512_bf16") or caps.get("amx_bf16"))


def inference_dtype(device: torch.device | str = "cpu") -> torch.dtype:
    """The dtype the heads compute in on ``device``, after ``GEOFM_PRECISION``.

    Raises:
        BadInputError: ``GEOFM_PRECISION`` is not one of :data:`PRECISIONS`.
    """
    import torch

    choice = os.environ.get("GEOFM_PRECISION", "auto").strip().lower() or "auto"
    if choice not in PRECISIONS:
        raise BadInputError(
            f"GEOFM_PRECISION must be one of {', '.join(PRECISIONS)}, got {choice!r}; "
            "unset it to let geofm choose"
        )
    kind = torch.device(device).type
    if choice == "bfloat16" or (choice == "auto" and kind == "cpu" and native_bf16()):
        return torch.bfloat16
    return torch.float32


@contextlib.contextmanager
def inference_precision(device: torch.device | str = "cpu") -> Iterator[None]:
    """Run the enclosed forward passes in :func:`inference_dtype` (autocast)."""
    import torch

    dtype = inference_dtype(device)
    if dtype == torch.float32:
        yield
        return
    with torch.autocast(torch.device(device).type, dtype=dtype):
        yield
