"""Train the vision GeoFM on seismic tiles: MAE pretraining, then task heads.

    python -m finetune.geofm_train --config finetune/configs/geofm_pretrain.json
    python -m finetune.geofm_train --config finetune/configs/geofm_denoise.json
    python -m finetune.geofm_train --config finetune/configs/geofm_faults.json
    python -m finetune.geofm_train --config finetune/configs/geofm_interpolate.json
    python -m finetune.geofm_train --config finetune/configs/geofm_faults_general.json
    python -m finetune.geofm_train --config cfg.json --set steps=20 output_dir=/tmp/x

Tasks: ``pretrain`` (masked autoencoder; random patches plus whole trace groups hidden),
``denoise`` (noisy -> clean), ``interpolate`` (zeroed traces -> full), ``faults`` (section
-> fault-label logits, BCE + Dice). Heads start from the pretrained weights
(``init_from``) and train unmasked. The interpolation head can add a convolutional
refinement stage (``refine``, :mod:`tools.geofm.refine`) fed by a ViT feature (shipped:
the probability of a fault head, kept fixed), trained on the dead traces and stored
beside the ViT as refine.safetensors + refine.json. Data: an endless seeded stream of
tiles from ``tools.geofm.data`` (step k's batch depends only on (seed, k), so a resumed
run sees the same data); ``sources`` mixes ``tools.synthetic`` tiles with
``tools.geofm.geology`` ones and, for interpolation, self-supervised tiles of the real
lines' training part (``finetune/configs/geofm_*_general.json``). Writes the model with
``tools.geofm.model.save_model`` (config.json + model.safetensors + card.json) and
``train_report.json`` to ``output_dir``; a resumable
checkpoint (weights, AdamW state as safetensors, step as JSON; never pickle) goes to
``checkpoint_dir``. Uses a GPU when one exists.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from common.atomic import recover_dir, write_dir_atomically
from common.errors import BadInputError, ModelError
from finetune.training_io import adam_state, read_config, restore_adam_state
from tools.geofm.data import TASKS, describe_stream, make_batch, tile_sources
from tools.geofm.model import (
    GeoFMConfig,
    build_model,
    config_of,
    image_to_image,
    load_model,
    save_model,
    trace_mask_noise,
)
from tools.geofm.refine import RefineConfig, build_refine, load_refine, save_refine, vit_feature

__all__ = ["GeoFMTrainConfig", "train", "task_loss", "main"]

_VAL_KEY = 7919  # val batches come from rng([seed, 0, _VAL_KEY]), never a training step's
FAULT_POS_WEIGHT = 5.0  # BCE weight of fault samples (about 1 in 20 samples is fault)


@dataclass
class GeoFMTrainConfig:
    """One training run; JSON config files map onto it one to one."""

    task: str = field(metadata={"help": "pretrain | denoise | interpolate | faults"})
    output_dir: str = field(metadata={"help": "where the trained model directory goes"})
    model: dict[str, Any] = field(
        default_factory=dict,
        metadata={
            "help": "GeoFMConfig size fields (tile, patch, hidden, layers, heads, "
            "decoder_hidden, decoder_layers); taken from init_from when that is set"
        },
    )
    init_from: str | None = field(
        default=None,
        metadata={"help": "pretrained GeoFM directory a head starts from (None: random weights)"},
    )
    steps: int = field(default=2000, metadata={"help": "optimizer steps in the schedule"})
    batch_size: int = field(default=32, metadata={"help": "tiles per step"})
    lr: float = field(default=1e-3, metadata={"help": "peak learning rate (AdamW)"})
    warmup_steps: int = field(default=100, metadata={"help": "linear warm-up steps"})
    weight_decay: float = field(default=0.05, metadata={"help": "AdamW weight decay"})
    mask_ratio: float = field(
        default=0.75,
        metadata={"help": "pretrain only: fraction of patches hidden from the encoder"},
    )
    trace_mask_fraction: float = field(
        default=0.25,
        metadata={"help": "pretrain only: fraction of trace groups (patch rows) hidden entirely"},
    )
    seed: int = field(default=0, metadata={"help": "seed of initialisation and tile stream"})
    checkpoint_dir: str | None = field(
        default=None,
        metadata={"help": "resumable checkpoint folder (None: results/geofm_train/<task>)"},
    )
    checkpoint_every: int = field(default=200, metadata={"help": "steps between checkpoints"})
    val_tiles: int = field(default=64, metadata={"help": "held-out tiles for the val loss"})
    oversample: int = field(
        default=1,
        metadata={
            "help": "training sections are modelled this many times finer in time "
            "(tools.synthetic.make_section): 1 snaps beds to samples (the shipped "
            "pretrain, denoise and fault heads), 8 is band-limited like recorded data"
        },
    )
    sources: dict[str, float] | None = field(
        default=None,
        metadata={
            "help": "tile source -> weight: 'synthetic' (tools.synthetic), 'geology' "
            "(tools.geofm.geology), 'unmigrated' (geology sections as unmigrated zero-offset "
            "sections, tools.geofm.unmigrated) and, for interpolate only, 'real' (self-supervised tiles "
            "of the real lines' training part, tools.geofm.real_tiles; needs GEOFM_DATA); "
            "None: synthetic only, the stream the shipped heads were trained on"
        },
    )
    decimation: float = field(
        default=0.0,
        metadata={
            "help": "interpolate only: probability that a tile's hidden traces are a "
            "regular decimation (every 2nd or 3rd trace) instead of random traces and runs"
        },
    )
    refine: dict[str, Any] | None = field(
        default=None,
        metadata={
            "help": "interpolate only: RefineConfig fields (channels, dilations, vit) of a "
            "convolutional refinement stage fed by the ViT (None: the ViT alone); "
            "init_from is then the ViT it uses: a fault head for vit='faults'"
        },
    )
    refine_lr: float = field(
        default=3e-3,
        metadata={"help": "peak learning rate of the refine network (same schedule as lr)"},
    )
    init_refine: str | None = field(
        default=None,
        metadata={
            "help": "interpolate only: a head folder whose refine.safetensors + refine.json "
            "the refine network continues from (same RefineConfig as refine); use "
            "another seed than the first run, or its tiles come again"
        },
    )
    threads: int | None = field(default=None, metadata={"help": "torch CPU threads"})
    max_steps: int | None = field(
        default=None,
        metadata={
            "help": "stop after this many steps in total without changing the schedule "
            "(an interruption, for smoke runs and tests)"
        },
    )

    def __post_init__(self):
        if self.task not in TASKS:
            raise BadInputError(f"task must be one of {TASKS}, got {self.task!r}")
        if self.steps < 1 or self.batch_size < 1 or self.lr <= 0 or self.checkpoint_every < 1:
            raise BadInputError("steps, batch_size and checkpoint_every must be >= 1, lr > 0")
        if not 0 < self.mask_ratio < 1 or not 0 <= self.trace_mask_fraction <= self.mask_ratio:
            raise BadInputError(
                "need 0 < mask_ratio < 1 and 0 <= trace_mask_fraction <= mask_ratio"
            )
        if self.task == "pretrain" and self.init_from:
            raise BadInputError("pretraining starts from random weights; drop init_from")
        self.geofm_config()  # validates the size fields
        if self.refine is not None:
            if self.task != "interpolate":
                raise BadInputError("refine is for the interpolate task only; drop it")
            self.refine_config()
        if self.refine_lr <= 0:
            raise BadInputError("refine_lr must be > 0")
        if not isinstance(self.oversample, int) or self.oversample < 1:
            raise BadInputError(f"oversample must be an integer >= 1, got {self.oversample!r}")
        tile_sources(self.task, self.sources, self.decimation)  # BadInputError names the fix
        if self.init_refine is not None and self.refine is None:
            raise BadInputError("init_refine needs refine (the network it continues)")
        if self.checkpoint_dir is None:
            self.checkpoint_dir = str(Path("results") / "geofm_train" / self.task)

    def geofm_config(self):
        known = {f.name for f in fields(GeoFMConfig)} - {"mask_ratio"}
        unknown = set(self.model) - known
        if unknown:
            raise BadInputError(f"unknown model fields {sorted(unknown)}; known: {sorted(known)}")
        try:
            return GeoFMConfig(
                **self.model, mask_ratio=self.mask_ratio if self.task == "pretrain" else 0.0
            )
        except (TypeError, ValueError) as e:
            raise BadInputError(f"bad model size: {e}") from None

    def refine_config(self):
        known = {f.name for f in fields(RefineConfig)}
        if not isinstance(self.refine, dict) or set(self.refine) - known:
            raise BadInputError(
                f"refine must be an object with keys from {sorted(known)}, got {self.refine!r}"
            )
        try:
            return RefineConfig(**self.refine)
        except (TypeError, ValueError) as e:
            raise BadInputError(f"bad refine config: {e}") from None

    @classmethod
    def from_json(cls, path: str | Path, overrides: Sequence[str] = ()) -> "GeoFMTrainConfig":
        return read_config(cls, path, overrides, drop_comments=True)  # "_comment" keys


def _initial_model(config: GeoFMTrainConfig):
    if config.task == "pretrain" or not config.init_from:
        return build_model(config.geofm_config(), seed=config.seed)
    try:
        model = load_model(config.init_from, mask_ratio=0.0)
    except ModelError as e:
        raise ModelError(
            f"{e}. Pretrain first: python -m finetune.geofm_train --config "
            "finetune/configs/geofm_pretrain.json"
        ) from None
    wanted = {k: v for k, v in asdict(config.geofm_config()).items() if k in config.model}
    have = config_of(model)
    clash = {k: (v, have[k]) for k, v in wanted.items() if have.get(k) != v}
    if clash:
        raise BadInputError(
            f"model fields {clash} (config, {config.init_from}) disagree; "
            "drop them from the config: a head takes its pretrained size"
        )
    return model.train()


def task_loss(model, task: str, batch, rng, trace_mask_fraction: float = 0.25, refine=None):
    """Scalar loss of one :class:`tools.geofm.data.TileBatch` on ``model``'s device.

    pretrain: ViTMAE's MSE on hidden patches (trace groups hidden first); denoise: MSE;
    interpolate: the output corrects the linear fill (``batch.base``), MSE weighted 1 on
    dead and 0.1 on live traces; with a ``refine`` network, MSE of its output on dead
    traces only (it leaves live traces as they are); faults: BCE + soft Dice.
    """
    import torch
    import torch.nn.functional as F

    device = next(model.parameters()).device
    x = torch.from_numpy(batch.inputs)[:, None].to(device)  # (B, 1, T, T)
    y = torch.from_numpy(batch.targets)[:, None].to(device)  # (B, 1, T, T)
    if task == "pretrain":
        c = model.config
        noise = trace_mask_noise(len(x), c.image_size, c.patch_size, trace_mask_fraction, rng)
        return model(pixel_values=x, noise=noise.to(device)).loss
    if refine is not None:
        base = torch.from_numpy(batch.base)[:, None].to(device)
        dead = torch.from_numpy(batch.dead).to(device)[:, None, :, None].expand_as(x).float()
        kind = refine.config.vit
        if kind == "correction":  # trained jointly with the refine
            feature = vit_feature(kind, model, x, base)  # (B, 1, T, T)
        else:  # a fault head's probability stays as trained; "none" needs no ViT
            with torch.no_grad():
                feature = vit_feature(kind, model.eval(), x, base)
        pred = refine(x, base, dead, feature)
        return (dead * (pred - y) ** 2).sum() / dead.sum().clamp(min=1)
    pred = image_to_image(model, x)  # (B, 1, T, T)
    if task == "denoise":
        return F.mse_loss(pred, y)
    if task == "interpolate":
        pred = pred + torch.from_numpy(batch.base)[:, None].to(device)
        dead = torch.from_numpy(batch.dead).to(device)[:, None, :, None]  # (B, 1, T, 1)
        w = torch.where(dead, 1.0, 0.1).expand_as(pred)
        return (w * (pred - y) ** 2).sum() / w.sum()
    # faults are ~5 % of samples: weighting them up shortens the all-background plateau
    weight = torch.tensor(FAULT_POS_WEIGHT, device=device)
    bce = F.binary_cross_entropy_with_logits(pred, y, pos_weight=weight)
    p = torch.sigmoid(pred)
    dice = 1 - (2 * (p * y).sum() + 1) / (p.sum() + y.sum() + 1)
    return bce + dice


def _fingerprint(config: GeoFMTrainConfig) -> dict[str, Any]:
    """Settings a checkpoint must share with the run that resumes it."""
    keep = (
        "task",
        "model",
        "init_from",
        "steps",
        "batch_size",
        "lr",
        "warmup_steps",
        "weight_decay",
        "mask_ratio",
        "trace_mask_fraction",
        "seed",
        "refine",
        "refine_lr",
        "init_refine",
        "oversample",
    )
    out = {k: getattr(config, k) for k in keep}
    for k, default in (("sources", None), ("decimation", 0.0)):  # older checkpoints lack them
        if getattr(config, k) != default:
            out[k] = getattr(config, k)
    if config.init_from:  # a head checkpoint is stale once the pretrained weights change
        weights = Path(config.init_from) / "model.safetensors"
        out["init_sha256"] = (
            hashlib.sha256(weights.read_bytes()).hexdigest() if weights.exists() else None
        )
    return out


def _save_checkpoint(
    model, optimizer, params, step: int, config, losses, ckpt: Path, refine=None
) -> None:
    from safetensors.torch import save_file, save_model

    def write(tmp: Path) -> None:
        tmp.mkdir(parents=True)
        save_model(model, str(tmp / "model.safetensors"))
        if refine is not None:
            save_model(refine, str(tmp / "refine.safetensors"))
        save_file(adam_state(optimizer, params), str(tmp / "optimizer.safetensors"))
        (tmp / "trainer_state.json").write_text(
            json.dumps({"step": step, "losses": losses, "config": _fingerprint(config)})
        )

    write_dir_atomically(ckpt, write)


def _load_checkpoint(
    model, optimizer, params, config, ckpt: Path, refine=None
) -> tuple[int, list[float]]:
    from safetensors.torch import load_file, load_model

    state = json.loads((ckpt / "trainer_state.json").read_text())
    if state["config"] != json.loads(json.dumps(_fingerprint(config))):
        raise BadInputError(
            f"the checkpoint in {ckpt} was made with other settings "
            f"({state['config']}); delete it or set another checkpoint_dir"
        )
    device = next(model.parameters()).device
    load_model(model, str(ckpt / "model.safetensors"), device=str(device))
    if refine is not None:
        load_model(refine, str(ckpt / "refine.safetensors"), device=str(device))
    restore_adam_state(
        optimizer, params, load_file(str(ckpt / "optimizer.safetensors"), device=str(device))
    )
    return state["step"], state["losses"]


def _lr_at(config: GeoFMTrainConfig, step: int) -> float:
    """Linear warm-up, then cosine decay to 5 % of the peak over ``steps``."""
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    frac = (step - config.warmup_steps) / max(config.steps - config.warmup_steps, 1)
    return config.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0))))


def _val_loss(model, config: GeoFMTrainConfig, batch, refine=None) -> float:
    import numpy as np
    import torch

    model.eval()
    with torch.inference_mode():
        loss = task_loss(
            model,
            config.task,
            batch,
            np.random.default_rng([config.seed, 1]),
            config.trace_mask_fraction,
            refine,
        )
    model.train()
    return float(loss)


def _initial_refine(config: GeoFMTrainConfig, device: str):
    if config.refine is None:
        return None
    if config.init_refine is None:
        return build_refine(config.refine_config(), seed=config.seed).to(device).train()

    try:
        refine = load_refine(config.init_refine)
    except ModelError as e:
        raise BadInputError(f"init_refine: {e}") from None
    if refine is None:
        raise BadInputError(f"init_refine {config.init_refine} holds no refine.safetensors")
    if refine.config != config.refine_config():
        raise BadInputError(
            f"init_refine {config.init_refine} has refine {refine.config}, "
            f"the config asks for {config.refine_config()}"
        )
    return refine.to(device).train()


def train(config: GeoFMTrainConfig, log=print, config_file: str | None = None) -> dict[str, Any]:
    """Train (or resume) one task; returns the report also written to train_report.json.

    ``config_file`` only goes into the model card's reproduce command.
    """
    import numpy as np
    import torch
    from tqdm import tqdm

    if config.threads:
        torch.set_num_threads(config.threads)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = _initial_model(config).to(device).train()
    tile = config_of(model)["tile"]
    refine = _initial_refine(config, device)
    # sin-cos positions are fixed; with a refine only a 'correction' ViT trains, a fault
    # head feeding it (or one it ignores) stays as loaded
    vit_params = (
        []
        if refine is not None and refine.config.vit != "correction"
        else [p for p in model.parameters() if p.requires_grad]
    )
    refine_params = list(refine.parameters()) if refine is not None else []
    params = vit_params + refine_params
    groups = [
        {"params": g, "lr": lr, "base_lr": lr}
        for g, lr in ((vit_params, config.lr), (refine_params, config.refine_lr))
        if g
    ]
    optimizer = torch.optim.AdamW(groups, lr=config.lr, weight_decay=config.weight_decay)
    assert config.checkpoint_dir is not None  # set by GeoFMTrainConfig.__post_init__
    ckpt = Path(config.checkpoint_dir)
    step = 0
    losses: list[float] = []
    if (recover_dir(ckpt) / "trainer_state.json").exists():
        step, losses = _load_checkpoint(model, optimizer, params, config, ckpt, refine)
        log(f"resuming from step {step} of {config.steps} ({ckpt})")
        if step >= config.steps:
            log(f"already trained: writing the model again (delete {ckpt} to retrain)")
    total = min(config.steps, config.max_steps or config.steps)
    val_batch = make_batch(
        config.task,
        config.val_tiles,
        tile,
        np.random.default_rng([config.seed, 0, _VAL_KEY]),
        config.oversample,
        config.sources,
        config.decimation,
    )
    t0 = time.perf_counter()
    start = step
    bar = tqdm(total=total, initial=step, desc=f"GeoFM {config.task}", unit="step")
    while step < total:
        rng = np.random.default_rng([config.seed, step])
        batch = make_batch(
            config.task,
            config.batch_size,
            tile,
            rng,
            config.oversample,
            config.sources,
            config.decimation,
        )
        for g in optimizer.param_groups:
            g["lr"] = g["base_lr"] * _lr_at(config, step) / config.lr
        loss = task_loss(model, config.task, batch, rng, config.trace_mask_fraction, refine)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        losses.append(round(float(loss.detach()), 5))
        bar.update(1)
        bar.set_postfix(loss=f"{losses[-1]:.4f}")
        if step % config.checkpoint_every == 0 or step == total:
            _save_checkpoint(model, optimizer, params, step, config, losses, ckpt, refine)
    bar.close()
    seconds = time.perf_counter() - t0
    report = {
        "task": config.task,
        "steps": step,
        "steps_planned": config.steps,
        "steps_this_run": step - start,
        "seconds": round(seconds, 1),
        "seconds_per_step": round(seconds / max(step - start, 1), 3),
        "device": device,
        "threads": torch.get_num_threads(),
        "batch_size": config.batch_size,
        "tiles_seen": step * config.batch_size,
        "final_train_loss": round(float(np.mean(losses[-50:])), 5) if losses else None,
        "val_loss": round(_val_loss(model, config, val_batch, refine), 5),
        "params": sum(p.numel() for p in model.parameters()),
        "model": config_of(model),
    }
    if refine is not None:
        report["refine_params"] = sum(p.numel() for p in refine.parameters())
        report["refine"] = asdict(refine.config)
        report["val_loss_linear_fill"] = round(_linear_fill_loss(val_batch), 5)
    card = {
        "task": config.task,
        "report": report,
        "train_config": asdict(config),
        "data": describe_stream(config.task, config.oversample, config.sources, config.decimation),
        "normalisation": "each tile divided by its RMS over live traces (tile_scale)",
        "output": {
            "pretrain": "MAE pixels",
            "denoise": "clean amplitudes",
            "interpolate": "correction added to linear_fill of the input"
            if refine is None
            else "dead traces from the refine network "
            "(refine.safetensors) given the holed tile, its linear fill, the "
            "dead mask, its live neighbours"
            + {
                "faults": " and the fault probability of the ViT (a fault head) on the linear fill",
                "none": "",
                "correction": " and the ViT's correction",
            }[refine.config.vit],
            "faults": "fault logits",
        }[config.task],
        "reproduce": f"python -m finetune.geofm_train --config "
        f"{config_file or '<a JSON of train_config>'}",
    }
    if config.init_refine:  # the commands that made the weights this run continued
        card["continues"] = _lineage(Path(config.init_refine))
    extra = None
    if refine is not None:

        def extra(tmp: Path) -> None:
            save_refine(refine.cpu().eval(), tmp)

    save_model(model.cpu().eval(), config.output_dir, card=card, extra=extra)
    (Path(config.output_dir) / "train_report.json").write_text(json.dumps(report, indent=1))
    log(json.dumps(report))
    return report


def _lineage(folder: Path) -> list[str]:
    """The reproduce commands, oldest first, behind the head in ``folder``: its card's
    own ``continues`` list and then its ``reproduce`` (empty without a card)."""
    try:
        card = json.loads((folder / "card.json").read_text())
    except (OSError, ValueError):
        return []
    return [*card.get("continues", []), *([card["reproduce"]] if "reproduce" in card else [])]


def _linear_fill_loss(batch) -> float:
    """The dead-trace MSE of the linear fill itself: the refine's loss to beat."""
    import numpy as np

    dead = np.broadcast_to(batch.dead[:, :, None], batch.targets.shape)
    return float(np.mean((batch.base - batch.targets)[dead] ** 2)) if dead.any() else 0.0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Train the vision GeoFM (pretraining or a head).")
    p.add_argument("--config", required=True, help="JSON file of GeoFMTrainConfig fields")
    p.add_argument(
        "--set",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="override settings, e.g. steps=20 output_dir=/tmp/geofm",
    )
    args = p.parse_args(argv)
    # Spinning OpenMP workers make a 2-thread run ~20x slower when another process shares
    # the 2 cores (measured: 3.3 vs 0.14 s/step); passive waiting costs nothing when idle.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    cmd = " ".join([args.config] + (["--set", *args.set] if args.set else []))
    train(GeoFMTrainConfig.from_json(args.config, args.set), config_file=cmd)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
