"""`geofm finetune lora --config FILE [--set KEY=VALUE ...]`: train the LoRA adapter.
`geofm finetune reproduce [--dry-run] [--from-stage N] [--install]`: rebuild the shipped
adapter from the base model, every stage of finetune/configs/shipped.json."""

from __future__ import annotations

import argparse

from finetune import reproduce
from finetune.lora import main as train_lora

__all__ = ["add_parser"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("finetune", help="instruction tuning (LoRA)")
    fsub = p.add_subparsers(dest="finetune_command", metavar="ACTION", required=True)
    lora = fsub.add_parser(
        "lora",
        help="train (or resume) a LoRA adapter from a JSON config",
        description="Same as `python -m finetune.lora`.",
    )
    lora.add_argument("--config", required=True, help="JSON file of LoraTrainConfig fields")
    lora.add_argument(
        "--set",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="override settings, e.g. epochs=1 lr=1e-4",
    )
    lora.set_defaults(func=run_lora)
    again = fsub.add_parser(
        "reproduce",
        help="rebuild the shipped adapter from the base model, stage by stage",
        description="Same as `python -m finetune.reproduce`: builds each stage's data and "
        "trains it, skipping finished stages (see finetune/README.md).",
    )
    reproduce.add_arguments(again)
    again.set_defaults(func=reproduce.run_from_args)


def run_lora(args: argparse.Namespace) -> int:
    return train_lora(["--config", args.config, "--set", *args.set])
