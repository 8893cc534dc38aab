"""The vision GeoFM: a small ViT masked autoencoder for single-channel seismic tiles.

Built on transformers' ViTMAE classes, so our shipped weights and any external checkpoint
in the Hugging Face ViTMAE format (``config.json`` + ``model.safetensors``) load the same
way. Pretraining masks random patches *and* whole traces (patch rows), as published
geophysical MAEs do, so missing-trace reconstruction is native. Task heads (denoise,
interpolate, faults) are the same architecture fine-tuned image-to-image with no masking:
the decoder's per-patch pixels are the output (amplitudes, or fault logits).

Tiles are (traces, samples) = (H, W); pixel_values are (B, 1, H, W).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from common.atomic import recover_dir, write_dir_atomically
from common.errors import ModelError

if TYPE_CHECKING:  # loaded on first use at run time
    import torch
    from transformers import ViTMAEConfig, ViTMAEForPreTraining

__all__ = [
    "GeoFMConfig",
    "build_model",
    "load_model",
    "save_model",
    "config_of",
    "trace_mask_noise",
    "ordered_noise",
    "sincos_position_embedding",
    "image_to_image",
    "predict_tiles",
    "MAE_CITATION",
    "VIT_CITATION",
]

MAE_CITATION = (
    "He, K., Chen, X., Xie, S., Li, Y., Dollár, P., & Girshick, R. (2022). "
    "Masked Autoencoders Are Scalable Vision Learners. CVPR."
)
VIT_CITATION = (
    "Dosovitskiy, A., Beyer, L., Kolesnikov, A., Weissenborn, D., Zhai, X., "
    "Unterthiner, T., Dehghani, M., Minderer, M., Heigold, G., Gelly, S., "
    "Uszkoreit, J., & Houlsby, N. (2021). An Image is Worth 16x16 Words: "
    "Transformers for Image Recognition at Scale. ICLR."
)


@dataclass
class GeoFMConfig:
    """Size of the model; sized so pretraining fits about an hour on 2 CPU cores."""

    tile: int = field(default=64, metadata={"help": "tile size, traces and samples"})
    patch: int = field(default=8, metadata={"help": "patch size, traces and samples"})
    hidden: int = field(default=128, metadata={"help": "encoder width"})
    layers: int = field(default=4, metadata={"help": "encoder blocks"})
    heads: int = field(default=4, metadata={"help": "encoder attention heads"})
    decoder_hidden: int = field(default=96, metadata={"help": "decoder width"})
    decoder_layers: int = field(default=2, metadata={"help": "decoder blocks"})
    mask_ratio: float = field(
        default=0.0,
        metadata={
            "help": "patches hidden from the encoder (0.75 in pretraining, 0 for task heads)"
        },
    )

    def __post_init__(self) -> None:
        if self.tile % self.patch:
            raise ValueError(f"tile {self.tile} must be a multiple of patch {self.patch}")
        if not 0 <= self.mask_ratio < 1:
            raise ValueError("mask_ratio must be in [0, 1)")

    def to_hf(self) -> ViTMAEConfig:
        from transformers import ViTMAEConfig

        return ViTMAEConfig(
            image_size=self.tile,
            patch_size=self.patch,
            num_channels=1,
            hidden_size=self.hidden,
            num_hidden_layers=self.layers,
            num_attention_heads=self.heads,
            intermediate_size=4 * self.hidden,
            decoder_hidden_size=self.decoder_hidden,
            decoder_num_hidden_layers=self.decoder_layers,
            decoder_num_attention_heads=max(1, self.decoder_hidden // 32),
            decoder_intermediate_size=4 * self.decoder_hidden,
            mask_ratio=self.mask_ratio,
            norm_pix_loss=False,
        )


def build_model(config: GeoFMConfig | None = None, seed: int = 0) -> ViTMAEForPreTraining:
    """A randomly initialised GeoFM (ViTMAEForPreTraining)."""
    import torch
    from transformers import ViTMAEForPreTraining

    torch.manual_seed(seed)
    model = ViTMAEForPreTraining((config or GeoFMConfig()).to_hf())
    _set_position_embeddings(model)
    return model


def sincos_position_embedding(grid: int, dim: int) -> np.ndarray:
    """(1 + grid**2, dim) fixed 2-D sine-cosine position embedding, a zero row first (the
    CLS token): half the channels encode the patch row (traces), half the column
    (samples), each as sines and cosines of geometrically spaced frequencies."""
    if dim % 4:
        raise ValueError(f"embedding width {dim} must be a multiple of 4")
    freqs = 1.0 / 10000 ** (np.arange(dim // 4) / (dim // 4))  # (dim/4,)
    rows, cols = np.meshgrid(np.arange(grid), np.arange(grid), indexing="ij")

    def encode(pos: np.ndarray) -> np.ndarray:  # (grid**2,) -> (grid**2, dim/2)
        angle = pos.reshape(-1, 1) * freqs[None]
        return np.concatenate([np.sin(angle), np.cos(angle)], axis=1)

    table = np.concatenate([encode(rows), encode(cols)], axis=1)
    return np.concatenate([np.zeros((1, dim)), table]).astype(np.float32)


def _set_position_embeddings(model: ViTMAEForPreTraining) -> None:
    """Fill the encoder's and decoder's fixed position embeddings.

    transformers' ViTMAE init leaves both at zero when a model is built from a config
    (seen with transformers 5.24): mask tokens then carry no position, every hidden patch
    gets the same prediction and pretraining stalls at the predict-zero loss.
    """
    import torch

    # ints: build_model's config (a loaded config may hold a pair, see load_model)
    grid = cast(int, model.config.image_size) // cast(int, model.config.patch_size)
    for param in (model.vit.embeddings.position_embeddings, model.decoder.decoder_pos_embed):
        table = sincos_position_embedding(grid, param.shape[-1])
        with torch.no_grad():
            param.copy_(torch.from_numpy(table)[None])


def load_model(path: str | Path, mask_ratio: float = 0.0) -> ViTMAEForPreTraining:
    """Load a ViTMAE checkpoint directory (ours or external) for single-channel tiles.

    Raises:
        ModelError: the directory is missing files, or the architecture does not fit
            (not ViTMAE, not 1 channel, not square tiles) — the message says which.
    """
    import torch
    from transformers import ViTMAEConfig, ViTMAEForPreTraining

    p = recover_dir(Path(path))  # a save_model killed mid-swap left it aside
    if not (p / "config.json").exists():
        raise ModelError(
            f"{p} has no config.json; a GeoFM checkpoint is a Hugging Face "
            "ViTMAE directory (config.json + model.safetensors)"
        )
    try:
        config = ViTMAEConfig.from_pretrained(p)
    except (OSError, ValueError, TypeError) as e:
        raise ModelError(f"{p}/config.json is not a ViTMAE config: {e}") from None
    if getattr(config, "model_type", "") != "vit_mae":
        raise ModelError(f"{p} holds a {config.model_type!r} model; GeoFM needs 'vit_mae'")
    if config.num_channels != 1:
        raise ModelError(
            f"{p} expects {config.num_channels}-channel images; seismic tiles "
            "have 1 channel. Fine-tune it on 1-channel data first."
        )
    size = config.image_size
    if isinstance(size, (list, tuple)):
        if len(set(size)) != 1:
            raise ModelError(f"{p} takes {size[0]}x{size[1]} images; GeoFM tiles are square")
        config.image_size = size[0]
    config.mask_ratio = mask_ratio
    try:
        model = ViTMAEForPreTraining.from_pretrained(p, config=config, dtype=torch.float32)
    except (OSError, ValueError, RuntimeError) as e:
        raise ModelError(f"weights in {p} do not fit its config: {e}") from None
    for param in (model.vit.embeddings.position_embeddings, model.decoder.decoder_pos_embed):
        param.requires_grad_(False)  # fixed sin-cos codes; loading marks them trainable
    return model.eval()


def config_of(model: ViTMAEForPreTraining) -> dict[str, Any]:
    """The GeoFMConfig size fields of a loaded model (mask ratio left out)."""
    c = model.config
    return {
        "tile": c.image_size,
        "patch": c.patch_size,
        "hidden": c.hidden_size,
        "layers": c.num_hidden_layers,
        "heads": c.num_attention_heads,
        "decoder_hidden": c.decoder_hidden_size,
        "decoder_layers": c.decoder_num_hidden_layers,
    }


def trace_mask_noise(
    batch: int, tile: int, patch: int, trace_fraction: float, rng: np.random.Generator
) -> torch.Tensor:
    """MAE ``noise`` (B, L) hiding whole patch rows (= groups of traces) first.

    ViTMAE keeps the patches with the lowest noise; giving chosen trace groups noise
    above 1 makes them the first to be masked, the rest masked at random.
    """
    import torch

    n = tile // patch  # patches per side; patch index = row * n + col, rows are traces
    noise = rng.random((batch, n, n))
    for b in range(batch):
        rows = rng.choice(n, size=int(round(trace_fraction * n)), replace=False)
        noise[b, rows, :] += 1.0
    return torch.from_numpy(noise.reshape(batch, n * n)).float()


def ordered_noise(
    batch: int, n_patches: int, device: torch.device | str | None = None
) -> torch.Tensor:
    """MAE ``noise`` (B, L) that keeps the patches in order: with no masking the model is
    then deterministic (random shuffles change float summation order) and a bit faster."""
    import torch

    return torch.arange(n_patches, dtype=torch.float32, device=device).expand(batch, -1)


def image_to_image(model: ViTMAEForPreTraining, x: torch.Tensor) -> torch.Tensor:
    """Unmasked forward pass as an image-to-image map: (B, 1, H, W) -> (B, 1, H, W)."""
    n_patches = model.vit.embeddings.patch_embeddings.num_patches
    out = model(pixel_values=x, noise=ordered_noise(x.shape[0], n_patches, x.device))
    return model.unpatchify(out.logits, (x.shape[-2], x.shape[-1]))


def predict_tiles(model: ViTMAEForPreTraining, tiles: np.ndarray) -> np.ndarray:
    """Run the model on (B, H, W) tiles with no masking; returns (B, H, W) outputs.

    Runs on the model's device (CPU or GPU); inputs and outputs are numpy on the host.
    """
    import torch

    device = next(model.parameters()).device
    x = torch.from_numpy(np.ascontiguousarray(tiles, dtype=np.float32))[:, None]  # (B,1,H,W)
    with torch.inference_mode():
        img = image_to_image(model, x.to(device))  # (B,1,H,W)
    return img[:, 0].float().cpu().numpy()


def save_model(
    model: ViTMAEForPreTraining,
    out: str | Path,
    card: dict[str, Any] | None = None,
    extra: Callable[[Path], None] | None = None,
) -> None:
    """Write config.json + model.safetensors (+ a JSON card of provenance); ``extra``
    writes more files into the same folder before it is swapped into place
    (crash-safe: ``common.atomic.write_dir_atomically``)."""

    def write(tmp: Path) -> None:
        model.save_pretrained(tmp, safe_serialization=True)
        if card:
            (tmp / "card.json").write_text(json.dumps(card, indent=1))
        if extra:
            extra(tmp)

    write_dir_atomically(Path(out), write)
