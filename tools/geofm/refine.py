"""The interpolation head's convolutional refinement stage (the "refine" network).

A patch-8 ViT predicts whole 8×8 patches; its output is not precise enough to improve
on linear interpolation across traces (see the model card). This small dilated
convolutional network looks at every sample instead. Per standardised tile it takes

    [holed tile, linear fill, dead mask, left and right live neighbours, position
     between them, ViT feature]                                   # (B, 7, T, T)

where the ViT feature is the fault probability of the head folder's ViT (a GeoFM fault
head) on the linear fill, the correction of an interpolation ViT, or nothing (the
ablation; see :class:`RefineConfig`). It returns new values for the dead traces only,
so live traces pass through unchanged by construction::

    refine = build_refine(RefineConfig())
    y = refine_tiles(refine, vit, holed, fill, dead)   # (B, T, T) numpy in and out

Stored next to the ViTMAE files of the interpolation head as ``refine.safetensors`` +
``refine.json`` (its :class:`RefineConfig`); a head folder without them is a plain ViTMAE
checkpoint and works as before.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np

from common.errors import ModelError
from tools.geofm.model import image_to_image

if TYPE_CHECKING:  # loaded on first use at run time
    import torch
    from torch import nn
    from transformers import ViTMAEForPreTraining

    class RefineNet(nn.Module):
        """What :func:`build_refine` returns (its class is made there, torch loaded)."""

        config: RefineConfig


__all__ = [
    "RefineConfig",
    "build_refine",
    "vit_feature",
    "refine_tiles",
    "save_refine",
    "load_refine",
    "VIT_FEATURES",
    "REFINE_WEIGHTS",
    "REFINE_CONFIG",
    "DILATED_CONV_CITATION",
]

VIT_FEATURES = ("faults", "correction", "none")
REFINE_WEIGHTS = "refine.safetensors"
REFINE_CONFIG = "refine.json"
DILATED_CONV_CITATION = (
    "Yu, F., & Koltun, V. (2016). Multi-Scale Context Aggregation by Dilated Convolutions. ICLR."
)


@dataclass
class RefineConfig:
    """Size and inputs of the refinement network; the defaults are the shipped head's
    (77 k parameters, 0.65 s per step of 32 tiles on one CPU thread)."""

    channels: int = field(default=32, metadata={"help": "feature channels of every layer"})
    dilations: list[int] = field(
        default_factory=lambda: [1, 2, 4, 8, 16, 1, 2, 4],
        metadata={
            "help": "dilation of each residual 3x3 block (same along traces and samples); "
            "the receptive field is 5 + 2 * sum(dilations) samples"
        },
    )
    vit: str = field(
        default="faults",
        metadata={
            "help": "what the head folder's ViT adds as an input channel: 'faults' (it is a "
            "fault head; its fault probability on the linear fill), 'correction' (an "
            "interpolation ViT; its correction on the holed tile) or 'none' (no ViT "
            "feature: the ablation)"
        },
    )

    def __post_init__(self) -> None:
        self.dilations = [int(d) for d in self.dilations]
        if self.channels < 1 or not self.dilations or min(self.dilations) < 1:
            raise ValueError(
                "channels must be >= 1 and dilations a non-empty list of integers >= 1"
            )
        if self.vit not in VIT_FEATURES:
            raise ValueError(f"vit must be one of {VIT_FEATURES}, got {self.vit!r}")

    @property
    def in_channels(self) -> int:
        return 3 if self.vit == "none" else 4


def build_refine(config: RefineConfig | None = None, seed: int = 0) -> RefineNet:
    """A randomly initialised refine network (torch ``nn.Module``).

    Most of linear interpolation's error sits at faults (about half to four fifths of it
    on the benchmark sections, within three traces of a fault plane): across a fault the
    average of the two live neighbours is wrong, while a copy of the neighbour on the
    same side of the fault is nearly right. So the network predicts, per sample, softmax
    weights over three candidates — the linear fill, a copy of the nearest live trace on
    the left, a copy of the one on the right — plus a small residual. Its initial
    weights favour the linear fill (residual zero), so training starts near it.
    """
    import torch
    from torch import nn

    config = config or RefineConfig()

    class Block(nn.Module):
        def __init__(self, ch: int, dilation: int) -> None:
            super().__init__()
            self.conv = nn.Conv2d(ch, ch, 3, padding=dilation, dilation=dilation)

        def forward(self, h: torch.Tensor) -> torch.Tensor:  # (B, ch, T, T)
            return h + torch.relu(self.conv(h))

    class Refine(nn.Module):
        def __init__(self, c: RefineConfig) -> None:
            super().__init__()
            self.config = c
            # holed, fill, dead, left copy, right copy, position between them (+ ViT)
            self.inp = nn.Conv2d(c.in_channels + 3, c.channels, 3, padding=1)
            self.blocks = nn.Sequential(*[Block(c.channels, d) for d in c.dilations])
            self.out = nn.Conv2d(c.channels, 4, 3, padding=1)  # 3 candidate logits, residual

        def forward(
            self,
            holed: torch.Tensor,
            fill: torch.Tensor,
            dead: torch.Tensor,
            vit: torch.Tensor | None = None,
        ) -> torch.Tensor:
            """(B, 1, T, T) tensors each (``dead`` 0/1 per sample) -> (B, 1, T, T)."""
            left, right, frac = _neighbours(holed, dead)
            parts = [holed, fill, dead, left, right, frac]
            if self.config.vit != "none":
                parts.append(vit if vit is not None else torch.zeros_like(holed))
            # channels-last: faster for these convolutions on CPU, same sums
            x = torch.cat(parts, dim=1).contiguous(memory_format=torch.channels_last)
            h = torch.relu(self.inp(x))  # (B, ch, T, T)
            o = self.out(self.blocks(h))  # (B, 4, T, T)
            mix = torch.softmax(o[:, :3], dim=1)
            pick = mix[:, :1] * fill + mix[:, 1:2] * left + mix[:, 2:3] * right
            return fill + dead * (pick - fill + o[:, 3:])

    def _neighbours(
        holed: torch.Tensor, dead: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Copies of the nearest live trace left and right of every trace, (B, 1, T, S)
        each, and the position between them (0 at the left one, 1 at the right one)."""
        B, _, T, S = holed.shape
        live = dead[:, 0, :, 0] < 0.5  # (B, T)
        idx = torch.arange(T, device=holed.device).expand(B, T)
        left = torch.where(live, idx, -1).cummax(dim=1).values
        right = torch.where(live, idx, T).flip(1).cummin(dim=1).values.flip(1)
        left, right = torch.where(left < 0, right, left), torch.where(right >= T, left, right)
        left, right = left.clamp(0, T - 1), right.clamp(0, T - 1)  # no live trace at all
        frac = torch.where(right > left, (idx - left) / (right - left).clamp(min=1), 0.0)

        def copy(i: torch.Tensor) -> torch.Tensor:  # (B, T) trace indices -> (B, 1, T, S)
            return holed.gather(2, i[:, None, :, None].expand(B, 1, T, S))

        return copy(left), copy(right), frac[:, None, :, None].expand(B, 1, T, S).float()

    torch.manual_seed(seed)
    model = Refine(config)
    with torch.no_grad():
        model.out.weight.zero_()
        bias = model.out.bias
        assert bias is not None  # nn.Conv2d's default bias=True
        bias.copy_(torch.tensor([4.0, 0.0, 0.0, 0.0]))  # ~96 % linear fill
    return cast("RefineNet", model)


def vit_feature(
    kind: str, vit: ViTMAEForPreTraining, holed: torch.Tensor, fill: torch.Tensor
) -> torch.Tensor | None:
    """The ViT input channel of the refine, (B, 1, T, T) torch, from (B, 1, T, T) holed
    and filled tiles: the fault probability on the fill, the ViT's correction of the
    holed tile, or None for ``kind`` 'none'."""
    import torch

    if kind == "faults":
        return torch.sigmoid(image_to_image(vit, fill))
    if kind == "correction":
        return image_to_image(vit, holed)
    return None


def refine_tiles(
    refine: RefineNet,
    vit: ViTMAEForPreTraining,
    holed: np.ndarray,
    fill: np.ndarray,
    dead: np.ndarray,
) -> np.ndarray:
    """Run ``refine`` (with the head's ViT ``vit`` for its input channel; unused when the
    refine's ``vit`` is 'none') on standardised (B, T, T) tiles; ``dead`` is (B, T) bool.

    Returns (B, T, T) float32: the refined tiles, live traces equal to ``holed``.
    """
    import torch

    device = next(refine.parameters()).device

    def t(a: np.ndarray) -> torch.Tensor:  # (B, T, T) -> (B, 1, T, T) on the refine's device
        return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))[:, None].to(device)

    mask = np.broadcast_to(dead[:, :, None], holed.shape)
    x, f = t(holed), t(fill)
    with torch.inference_mode():
        feature = vit_feature(refine.config.vit, vit, x, f)
        y = refine(x, f, t(mask), feature)
    return y[:, 0].float().cpu().numpy()


def save_refine(refine: RefineNet, out: str | Path) -> None:
    """Write ``refine.safetensors`` and ``refine.json`` into the (existing) folder ``out``."""
    from safetensors.torch import save_file

    out = Path(out)
    state = {k: v.detach().cpu().contiguous() for k, v in refine.state_dict().items()}
    save_file(state, str(out / REFINE_WEIGHTS))
    (out / REFINE_CONFIG).write_text(json.dumps(asdict(refine.config), indent=1))


def load_refine(path: str | Path) -> RefineNet | None:
    """The refine network stored in head folder ``path``, in eval mode; None when the
    folder has no ``refine.safetensors`` (a plain ViTMAE head).

    Raises:
        ModelError: ``refine.json`` is missing or not a RefineConfig, or the weights do
            not fit it — the message says which.
    """
    import torch
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    p = Path(path)
    if not (p / REFINE_WEIGHTS).exists():
        return None
    if not (p / REFINE_CONFIG).exists():
        raise ModelError(
            f"{p} has {REFINE_WEIGHTS} but no {REFINE_CONFIG}; retrain the head "
            f"or remove {REFINE_WEIGHTS} to use the ViT head alone"
        )
    try:
        raw = json.loads((p / REFINE_CONFIG).read_text())
        known = {f.name for f in fields(RefineConfig)}
        if not isinstance(raw, dict) or set(raw) - known:
            raise ValueError(f"expected an object with keys from {sorted(known)}")
        config = RefineConfig(**raw)
    except (ValueError, TypeError) as e:
        raise ModelError(f"{p / REFINE_CONFIG} is not a refine config: {e}") from None
    refine = build_refine(config)
    try:
        state = load_file(str(p / REFINE_WEIGHTS))
        refine.load_state_dict(state, strict=True)
    except (SafetensorError, OSError, RuntimeError) as e:
        raise ModelError(
            f"{p / REFINE_WEIGHTS} does not fit {p / REFINE_CONFIG}: {str(e).splitlines()[0]}"
        ) from None
    return refine.to(memory_format=torch.channels_last).eval()  # type: ignore[call-overload]
