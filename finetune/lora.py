"""LoRA instruction tuning of the agent's language model (peft), resumable.

    python -m finetune.lora --config finetune/configs/default.json
    python -m finetune.lora --config cfg.json --set epochs=1 lr=1e-4

Writes a standard peft adapter (``adapter_config.json`` + ``adapter_model.safetensors``)
to ``output_dir``, loadable with plain transformers + peft, and a checkpoint under
``output_dir/checkpoint`` (adapter + optimizer state as safetensors, step counter as
JSON; never pickle) from which an interrupted run resumes. Uses a GPU when one exists.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from agent.config import ModelConfig
from agent.models import EMBEDDED_HF_ID, load_causal_lm
from common.atomic import recover_dir, write_dir_atomically
from common.errors import BadInputError
from finetune.chat_data import IGNORE, encode_example, read_jsonl
from finetune.training_io import adam_state, read_config, restore_adam_state

__all__ = ["LoraTrainConfig", "mixed", "train", "main"]

DEFAULT_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


@dataclass
class LoraTrainConfig:
    """Everything one training run needs; JSON files map onto it one to one."""

    train_file: str = field(metadata={"help": "JSONL of chat examples to learn from"})
    output_dir: str = field(metadata={"help": "where the adapter (and checkpoint) go"})
    val_file: str | None = field(default=None, metadata={"help": "JSONL for validation loss"})
    base_model: str = field(
        default="embedded",
        metadata={"help": "'embedded', a transformers model directory or a .gguf file"},
    )
    r: int = field(default=16, metadata={"help": "LoRA rank"})
    alpha: int = field(default=32, metadata={"help": "LoRA scaling numerator (alpha / r)"})
    dropout: float = field(default=0.05, metadata={"help": "dropout on the LoRA path"})
    target_modules: list[str] = field(
        default_factory=lambda: list(DEFAULT_TARGETS),
        metadata={"help": "module names that get adapters"},
    )
    layers: list[int] | None = field(
        default=None,
        metadata={
            "help": "indices of the transformer blocks that get adapters (None: all); "
            "adapting only the upper blocks skips the backward pass below them"
        },
    )
    lr: float = field(default=3e-4, metadata={"help": "peak learning rate (AdamW)"})
    weight_decay: float = field(default=0.0, metadata={"help": "AdamW weight decay"})
    warmup_steps: int = field(default=20, metadata={"help": "linear warm-up steps"})
    epochs: float = field(default=2.0, metadata={"help": "passes over the training data"})
    batch_size: int = field(default=8, metadata={"help": "examples per optimizer step"})
    micro_batch: int | None = field(
        default=None,
        metadata={
            "help": "examples per forward pass (gradients are accumulated up to batch_size); "
            "None: the whole batch at once. Lower it when memory is short"
        },
    )
    max_length: int = field(default=640, metadata={"help": "tokens per example (cut at start)"})
    seed: int = field(default=0, metadata={"help": "shuffling and initialisation seed"})
    checkpoint_every: int = field(default=50, metadata={"help": "steps between checkpoints"})
    threads: int | None = field(default=None, metadata={"help": "torch CPU threads"})
    bf16: str = field(
        default="auto",
        metadata={
            "help": "bfloat16 autocast of the matmuls: 'auto' (on where the hardware has fast "
            "bf16: a GPU, or a CPU with AVX512-BF16/AMX), 'on', 'off'. Weights, "
            "gradients and AdamW state stay float32"
        },
    )
    init_adapter: str | None = field(
        default=None,
        metadata={
            "help": "a peft adapter directory to continue training from (same r, alpha, "
            "target_modules and layers); None: a fresh LoRA initialisation"
        },
    )
    mix: dict[str, float] | None = field(
        default=None,
        metadata={
            "help": "share of the training rows kept, by group: a row's group is its task "
            "name up to the first '/' ('followup' for follow-up turns); '*' is the pool "
            "of every row no named group takes (default share 1); rows are drawn with "
            "the seed. None: every row"
        },
    )
    max_steps: int | None = field(
        default=None,
        metadata={"help": "stop after this many optimizer steps in total (for smoke runs)"},
    )

    def __post_init__(self):
        if self.r < 1 or self.alpha < 1:
            raise BadInputError("r and alpha must be >= 1")
        if not 0 <= self.dropout < 1:
            raise BadInputError("dropout must be in [0, 1)")
        if self.bf16 not in ("auto", "on", "off"):
            raise BadInputError(f"bf16 must be 'auto', 'on' or 'off', got {self.bf16!r}")
        if self.lr <= 0 or self.epochs <= 0 or self.batch_size < 1 or self.max_length < 16:
            raise BadInputError("lr and epochs must be > 0, batch_size >= 1, max_length >= 16")
        if self.init_adapter and not (Path(self.init_adapter) / "adapter_config.json").exists():
            raise BadInputError(
                f"init_adapter {self.init_adapter} has no adapter_config.json; "
                "give a peft adapter directory (see finetune/README.md)"
            )
        if self.mix is not None and not (
            isinstance(self.mix, dict)
            and all(isinstance(v, (int, float)) and 0 <= v <= 1 for v in self.mix.values())
        ):
            raise BadInputError(f"mix shares must be in [0, 1], got {self.mix}")
        if not Path(self.train_file).exists():
            raise BadInputError(
                f"train_file {self.train_file} not found; build the data "
                "first (see finetune/README.md)"
            )

    @classmethod
    def from_json(cls, path: str | Path, overrides: Sequence[str] = ()) -> "LoraTrainConfig":
        return read_config(cls, path, overrides)


def _batches(
    encoded: list[tuple[list[int], list[int]]], batch_size: int, pad_id: int, rng: random.Random
):
    """Shuffled, right-padded batches: input_ids, labels, attention_mask, each (B, T).

    Examples are shuffled, then sorted by length within pools of 16 batches, so a batch
    holds similar lengths (little padding: on CPU, padding is most of the cost).
    """
    import torch

    order = list(range(len(encoded)))
    rng.shuffle(order)
    pool = 16 * batch_size
    groups = []
    for p in range(0, len(order), pool):
        part = sorted(order[p : p + pool], key=lambda i: len(encoded[i][0]))
        groups += [part[s : s + batch_size] for s in range(0, len(part), batch_size)]
    rng.shuffle(groups)
    for group in groups:
        chunk = [encoded[i] for i in group]
        width = max(len(ids) for ids, _ in chunk)
        ids = torch.full((len(chunk), width), pad_id)
        labels = torch.full((len(chunk), width), IGNORE)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for row, (x, y) in enumerate(chunk):
            ids[row, : len(x)] = torch.tensor(x)
            labels[row, : len(y)] = torch.tensor(y)
            mask[row, : len(x)] = 1
        yield ids, labels, mask


def mixed(rows: list[dict], mix: dict[str, float] | None, seed: int) -> list[dict]:
    """The rows a ``mix`` keeps (see :class:`LoraTrainConfig`), in their file order: of
    each named group, and of the pool of the rest ('*'), the first round(share * n) of a
    seeded shuffle."""
    if mix is None:
        return rows
    groups: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        name = str(row.get("task", "")).split("/")[0]
        groups.setdefault(name if name in mix else "*", []).append(i)
    rng = random.Random(seed)
    keep: list[int] = []
    for name in sorted(groups):
        share = mix.get(name, 1.0)
        members = groups[name]
        rng.shuffle(members)
        keep += members[: round(share * len(members))]
    return [rows[i] for i in sorted(keep)]


def _encode_file(path: str, tokenizer, max_length: int, mix=None, seed: int = 0):
    rows = mixed(read_jsonl(path), mix, seed)
    return [encode_example(tokenizer, ex["messages"], max_length) for ex in rows]


def token_loss(model, ids, mask, labels):
    """(summed cross-entropy, token count) over the labelled (assistant) tokens only.

    The output layer runs on those positions alone: full-vocabulary logits for every
    prompt token would be most of the memory (49k x tokens x batch floats) for nothing.
    """
    import torch.nn.functional as F

    lm = model.get_base_model() if hasattr(model, "get_base_model") else model
    hidden = lm.base_model(input_ids=ids, attention_mask=mask).last_hidden_state
    target = labels[:, 1:]
    keep = target != IGNORE
    logits = lm.get_output_embeddings()(hidden[:, :-1][keep])
    return F.cross_entropy(logits.float(), target[keep], reduction="sum"), int(keep.sum())


def bf16_enabled(setting: str, device: str) -> bool:
    """Whether to autocast to bfloat16: ``setting`` is 'auto', 'on' or 'off'.

    'auto' turns it on for a GPU and for CPUs whose oneDNN has native bf16 (AVX512-BF16 or
    AMX), where bf16 matmuls run several times faster than float32; elsewhere bf16 would
    be emulated and slower.
    """
    import torch

    if setting != "auto":
        return setting == "on"
    if device != "cpu":
        return True
    return bool(
        torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()
    )


def evaluate_loss(model, encoded, pad_id: int, batch_size: int = 8) -> float:
    """Mean token cross-entropy on the assistant tokens of ``encoded``."""
    import torch

    total, count = 0.0, 0
    model.eval()
    with torch.inference_mode():
        for ids, labels, mask in _batches(encoded, batch_size, pad_id, random.Random(0)):
            loss, n = token_loss(model, ids, mask, labels)
            total += float(loss)
            count += n
    model.train()
    return total / max(count, 1)


def _save_checkpoint(model, optimizer, step: int, ckpt: Path) -> None:
    from safetensors.torch import save_file

    def write(tmp: Path) -> None:
        model.save_pretrained(tmp)
        params = [p for g in optimizer.param_groups for p in g["params"]]
        save_file(adam_state(optimizer, params), tmp / "optimizer.safetensors")
        (tmp / "trainer_state.json").write_text(json.dumps({"step": step}))

    write_dir_atomically(ckpt, write)


def _load_checkpoint(model, optimizer, ckpt: Path) -> int:
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file as load

    set_peft_model_state_dict(model, load(ckpt / "adapter_model.safetensors"))
    params = [p for g in optimizer.param_groups for p in g["params"]]
    restore_adam_state(optimizer, params, load(ckpt / "optimizer.safetensors"))
    return json.loads((ckpt / "trainer_state.json").read_text())["step"]


def _lora_shape(c) -> dict[str, Any]:
    """What a LoRA config fixes about the adapter's tensors: rank, scale, where they sit."""
    return {
        "r": c.r,
        "lora_alpha": c.lora_alpha,
        "target_modules": set(c.target_modules),
        "layers_to_transform": list(c.layers_to_transform or []) or None,
    }


def _continue_from(model, lora, path: str):
    """``model`` with the trainable adapter at ``path``, which must match ``lora``."""
    from peft import PeftConfig, PeftModel

    mine, theirs = _lora_shape(lora), _lora_shape(PeftConfig.from_pretrained(path))
    if mine != theirs:
        diff = {k: (theirs[k], mine[k]) for k in mine if mine[k] != theirs[k]}
        raise BadInputError(
            f"init_adapter {path} does not match this config "
            f"(adapter, config): {diff}; set r, alpha, target_modules and "
            "layers to the adapter's values"
        )
    return PeftModel.from_pretrained(model, path, is_trainable=True)


def train(config: LoraTrainConfig, model=None, tokenizer=None, log=print) -> dict[str, Any]:
    """Train (or resume) a LoRA adapter; returns measured figures (losses, seconds).

    ``model``/``tokenizer`` may be given (tests pass a tiny random Llama); otherwise
    ``config.base_model`` is loaded.
    """
    import torch
    from peft import LoraConfig, get_peft_model
    from tqdm import tqdm

    torch.manual_seed(config.seed)
    if config.threads:
        torch.set_num_threads(config.threads)
    if model is None:
        model, tokenizer = load_causal_lm(ModelConfig(model=config.base_model, adapter="none"))
    device = "cuda" if torch.cuda.is_available() else "cpu"
    use_bf16 = bf16_enabled(config.bf16, device)
    pad_id = (
        tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    )
    train_set = _encode_file(
        config.train_file, tokenizer, config.max_length, config.mix, config.seed
    )
    val_set = _encode_file(config.val_file, tokenizer, config.max_length) if config.val_file else []
    lora = LoraConfig(
        r=config.r,
        lora_alpha=config.alpha,
        lora_dropout=config.dropout,
        target_modules=config.target_modules,
        task_type="CAUSAL_LM",
        layers_to_transform=config.layers,
    )
    model = (
        _continue_from(model, lora, config.init_adapter)
        if config.init_adapter
        else get_peft_model(model, lora)
    ).to(device)
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=config.lr, weight_decay=config.weight_decay)
    steps_per_epoch = math.ceil(len(train_set) / config.batch_size)
    planned = math.ceil(steps_per_epoch * config.epochs)
    # max_steps cuts a run short without changing its schedule, like an interruption
    total = min(planned, config.max_steps) if config.max_steps else planned
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda s: (
            min(1.0, (s + 1) / max(config.warmup_steps, 1))
            * max(0.0, 1 - s / max(planned, 1)) ** 0.5
        ),
    )
    out = Path(config.output_dir)
    ckpt = out / "checkpoint"
    step = 0
    if (recover_dir(ckpt) / "trainer_state.json").exists():
        step = _load_checkpoint(model, optimizer, ckpt)
        for _ in range(step):
            schedule.step()
        log(f"resuming from step {step} of {total}")
    rng = random.Random(config.seed)
    for _ in range(step // steps_per_epoch):  # replay finished epochs' shuffles on resume
        for _ in _batches(train_set, config.batch_size, pad_id, rng):
            pass
    batches = list(_batches(train_set, config.batch_size, pad_id, rng))[step % steps_per_epoch :]
    t0 = time.perf_counter()
    losses: list[float] = []
    bar = tqdm(total=total, initial=step, desc="LoRA", unit="step")
    while step < total:
        if not batches:
            batches = list(_batches(train_set, config.batch_size, pad_id, rng))
        ids, labels, mask = batches.pop(0)
        micro = config.micro_batch or len(ids)
        n_tokens = int((labels[:, 1:] != -100).sum())
        loss_sum = 0.0
        for a in range(0, len(ids), micro):
            part = [t[a : a + micro].to(device) for t in (ids, mask, labels)]
            width = int(part[1].sum(1).max())  # drop the padding this slice does not need
            with torch.autocast(device, dtype=torch.bfloat16, enabled=use_bf16):
                loss, _ = token_loss(model, *(t[:, :width] for t in part))
            (loss / max(n_tokens, 1)).backward()
            loss_sum += float(loss.detach())
        loss = torch.tensor(loss_sum / max(n_tokens, 1))
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        losses.append(float(loss.detach()))
        bar.update(1)
        bar.set_postfix(loss=f"{losses[-1]:.3f}")
        if step % config.checkpoint_every == 0 and step < total:
            _save_checkpoint(model, optimizer, step, ckpt)
    bar.close()
    seconds = time.perf_counter() - t0
    if config.base_model == "embedded":  # name the public base, not this machine's cache
        for pc in model.peft_config.values():
            pc.base_model_name_or_path = EMBEDDED_HF_ID
    model.save_pretrained(out)
    (out / "train_config.json").write_text(json.dumps(asdict(config), indent=1))
    report = {
        "steps": step,
        "train_examples": len(train_set),
        "seconds": round(seconds, 1),
        "device": device,
        "bf16": use_bf16,
        "final_train_loss": round(sum(losses[-10:]) / max(len(losses[-10:]), 1), 4)
        if losses
        else None,
        "trainable_params": sum(p.numel() for p in trainable),
    }
    if val_set:
        report["val_loss"] = round(evaluate_loss(model, val_set, pad_id), 4)
    (out / "train_report.json").write_text(json.dumps(report, indent=1))
    log(json.dumps(report))
    return report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Train the geofm LoRA adapter.")
    p.add_argument("--config", required=True, help="JSON file of LoraTrainConfig fields")
    p.add_argument(
        "--set",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="override settings, e.g. epochs=1 lr=1e-4",
    )
    args = p.parse_args(argv)
    train(LoraTrainConfig.from_json(args.config, args.set))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
