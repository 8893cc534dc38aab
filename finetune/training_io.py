"""What both trainers (LoRA and GeoFM) share: JSON config files with ``--set``
overrides, and AdamW state as safetensors-ready tensors (never pickle)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from common.errors import BadInputError

__all__ = ["read_config", "config_data", "adam_state", "restore_adam_state"]


def read_config(cls, path: str | Path, overrides: Sequence[str] = (), drop_comments: bool = False):
    """``cls(**json)`` from a config file, with ``key=value`` overrides (JSON values, or
    strings); unknown keys are refused. ``drop_comments`` ignores keys starting with _.
    ``"extends": "other.json"`` (relative to the file) starts from that config; the
    file's own keys replace the base's."""
    return cls(**config_data(cls, path, overrides, drop_comments))


def config_data(
    cls, path: str | Path, overrides: Sequence[str] = (), drop_comments: bool = False
) -> dict[str, Any]:
    """The settings :func:`read_config` would pass to ``cls``, checked for unknown keys
    but not yet given to it (``cls`` may check that files exist)."""
    data = _read_json(Path(path))
    if drop_comments:
        data = {k: v for k, v in data.items() if not k.startswith("_")}
    known = {f.name for f in fields(cls)}
    for item in overrides:
        key, _, value = item.partition("=")
        if key not in known:
            raise BadInputError(f"unknown setting {key!r}; known: {sorted(known)}")
        try:
            data[key] = json.loads(value)
        except json.JSONDecodeError:
            data[key] = value
    unknown = set(data) - known
    if unknown:
        raise BadInputError(f"unknown settings {sorted(unknown)} in {path}")
    return data


def _read_json(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise BadInputError(f"cannot read the training config {path}: {e}") from None
    if not isinstance(data, dict):
        raise BadInputError(f"the training config {path} must be a JSON object")
    base = data.pop("extends", None)
    if base is None:
        return data
    seen += (path.resolve(),)
    base_path = (path.parent / base).resolve()
    if base_path in seen:
        raise BadInputError(f"{path} extends {base}, which leads back to itself")
    return {**_read_json(base_path, seen), **data}


def adam_state(optimizer, params) -> dict[str, Any]:
    """The AdamW state of ``params`` as flat CPU tensors keyed ``"{i}.{name}"``."""
    state = {}
    for i, p in enumerate(params):
        for k, v in optimizer.state.get(p, {}).items():
            state[f"{i}.{k}"] = (
                v.detach().reshape(-1).cpu() if k == "step" else v.detach().cpu().contiguous()
            )
    return state


def restore_adam_state(optimizer, params, saved: dict[str, Any]) -> None:
    """Put back what :func:`adam_state` saved (tensors already on the params' device)."""
    for i, p in enumerate(params):
        if f"{i}.exp_avg" in saved:
            optimizer.state[p] = {
                "step": saved[f"{i}.step"].reshape(()).cpu(),
                "exp_avg": saved[f"{i}.exp_avg"],
                "exp_avg_sq": saved[f"{i}.exp_avg_sq"],
            }
