"""The vision GeoFM as agent tools: denoise, fill missing traces, segment faults.

Each tool loads a task head from ``weights_dir(task)`` (our shipped weights in
``tools/geofm/weights/<task>/``, or ``$GEOFM_VISION_WEIGHTS/<task>/`` when that variable
names a folder of checkpoints in the Hugging Face ViTMAE format), runs blended tiled
inference (``tools.geofm.infer``) on 2D lines or each inline of a cube, and saves the
result plus a figure in the workspace. The interpolation head also uses the refine
network stored beside its ViT (``refine.safetensors``, :mod:`tools.geofm.refine`) when
the folder has one. Models load once per process; torch loads on first use.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
from pydantic import Field

from common.atomic import recover_dir
from common.errors import BadInputError, ModelError
from tools.fill_check import Fill, FillCheck, fill_checked
from tools.geofm.infer import dead_traces, denoise_section, fault_probability, head_fill
from tools.geofm.model import MAE_CITATION, VIT_CITATION, load_model
from tools.geofm.refine import DILATED_CONV_CITATION, REFINE_CONFIG, REFINE_WEIGHTS, load_refine
from tools.interpolation import FILL_CITATIONS, FILL_NAMES, FILLS, check_dead
from tools.processing import fault_result, processing_result
from tools.registry import ArrayId
from tools.result import ToolResult
from tools.section import apply_2d, load_section
from tools.workspace import Workspace

if TYPE_CHECKING:  # loaded on first use at run time
    from transformers import ViTMAEForPreTraining

    from tools.geofm.refine import RefineNet

__all__ = [
    "WEIGHTS_DIR",
    "TRAIN_COMMANDS",
    "weights_dir",
    "checked_weights",
    "load_head",
    "head",
    "load_refine_head",
    "refine_head",
    "fault_threshold",
    "geofm_denoise",
    "CANDIDATE_NAMES",
    "interpolation_fills",
    "geofm_interpolate",
    "geofm_faults",
]

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
_TRAIN = "python -m finetune.geofm_train --config finetune/configs/geofm_{}.json"
# the interpolation head's refine stage takes its features from the fault head
TRAIN_COMMANDS = {
    task: " && ".join(_TRAIN.format(t) for t in chain)
    for task, chain in (
        ("denoise", ("pretrain", "denoise")),
        ("faults", ("pretrain", "faults")),
        ("interpolate", ("pretrain", "faults", "interpolate")),
    )
}
_LOADED: dict[tuple[str, float], ViTMAEForPreTraining] = {}
_REFINES: dict[tuple[str | float | None, ...], RefineNet] = {}


def weights_dir(task: str) -> Path:
    """Folder of the ``task`` head: ``$GEOFM_VISION_WEIGHTS/<task>`` if that variable is
    set, else the shipped ``tools/geofm/weights/<task>``."""
    root = os.environ.get("GEOFM_VISION_WEIGHTS")
    return (Path(root).expanduser() if root else WEIGHTS_DIR) / task


def checked_weights(task: str) -> Path:
    """The folder of the ``task`` head, checked to hold weights trained for that task;
    nothing is loaded.

    Raises:
        ModelError: no weights there (the message gives the command that trains them),
            or weights of another task.
    """
    path = recover_dir(weights_dir(task))  # a training run killed mid-swap
    if not (path / "model.safetensors").exists():
        raise ModelError(
            f"no GeoFM {task} weights in {path}. Train them (from the project "
            f"root) with: {TRAIN_COMMANDS[task]} — or set GEOFM_VISION_WEIGHTS "
            f"to a folder holding {task}/config.json + model.safetensors"
        )
    card_file = path / "card.json"
    if card_file.exists():
        trained_for = json.loads(card_file.read_text()).get("task", task)
        if trained_for != task:
            raise ModelError(
                f"{path} holds GeoFM weights trained for {trained_for!r}, not "
                f"{task!r}; train the head with: {TRAIN_COMMANDS[task]}"
            )
    return path


def load_head(path: str | Path) -> ViTMAEForPreTraining:
    """The head in folder ``path``, loaded once per process (cached per folder and file
    time), on GPU if present; chunked volume workers call this with a checked folder.

    Raises:
        ModelError: the checkpoint does not fit.
    """
    path = Path(path)
    key = (str(path), (path / "model.safetensors").stat().st_mtime)
    if key not in _LOADED:
        import torch

        model = load_model(path, mask_ratio=0.0)
        device = "cuda" if torch.cuda.is_available() else "cpu"
        # transformers wraps .to with functools.wraps, whose typeshed type binds no self
        _LOADED[key] = model.to(device)  # type: ignore[arg-type]
    return _LOADED[key]


def head(task: str) -> ViTMAEForPreTraining:
    """The loaded ``task`` head (cached per folder and file time), on GPU if present.

    Raises:
        ModelError: no weights there (the message gives the command that trains them),
            weights of another task, or a checkpoint that does not fit.
    """
    return load_head(checked_weights(task))


def load_refine_head(path: str | Path) -> RefineNet | None:
    """The refine network in head folder ``path`` (cached per folder and file times), on
    GPU if present; None when the folder has none (the ViT head is used alone).

    Raises:
        ModelError: a refine file that does not fit its config, or no config.
    """
    path = Path(path)
    weights = path / REFINE_WEIGHTS
    if not weights.exists():
        return None
    key = (str(path),) + tuple(
        f.stat().st_mtime if f.exists() else None for f in (weights, path / REFINE_CONFIG)
    )
    if key not in _REFINES:
        import torch

        refine = load_refine(path)
        assert refine is not None  # its weights exist (checked above)
        _REFINES[key] = refine.to("cuda" if torch.cuda.is_available() else "cpu")
    return _REFINES[key]


def refine_head(task: str = "interpolate") -> RefineNet | None:
    """The refine network of the ``task`` head's folder, or None when it has none.

    Raises:
        ModelError: as :func:`checked_weights` and :func:`load_refine_head`.
    """
    return load_refine_head(checked_weights(task))


def fault_threshold() -> float:
    """The fault head's calibrated probability threshold (``threshold`` in its
    card.json, written by ``python -m finetune.geofm_calibrate``), else 0.5."""
    card_file = weights_dir("faults") / "card.json"
    if card_file.exists():
        value = json.loads(card_file.read_text()).get("threshold")
        if isinstance(value, (int, float)) and 0 < value < 1:
            return float(value)
    return 0.5


def _provenance(task: str) -> dict:
    return {"model": "GeoFM ViT-MAE", "task": task, "weights": str(weights_dir(task))}


def geofm_denoise(workspace: Workspace, data: ArrayId, figure: bool = True) -> ToolResult:
    """Attenuate random noise with the GeoFM vision foundation model (a ViT masked autoencoder fine-tuned on synthetic seismic).

    Args:
        data: workspace id of the section (traces x samples) or cube (time on the last
            axis); amplitudes in any unit, the model scales each 64x64 tile itself.
        figure: also save a before/after/difference PNG.
    """
    sec = load_section(workspace, data)
    model = head("denoise")
    out = apply_2d(lambda d: denoise_section(model, d), sec.data)
    return processing_result(
        workspace,
        sec,
        out,
        "GeoFM denoise",
        _provenance("denoise"),
        figure,
        (MAE_CITATION, VIT_CITATION),
    )


# how a summary names each candidate of the self-check
CANDIDATE_NAMES = {"geofm": "GeoFM", **FILL_NAMES}


def interpolation_fills(model: ViTMAEForPreTraining, refine: RefineNet | None) -> dict[str, Fill]:
    """The candidates ``geofm_interpolate`` checks, in the order that breaks ties: the
    interpolation head, then ``tools.interpolation.FILLS`` (linear, POCS, MSSA)."""
    return {"geofm": head_fill(model, refine), **FILLS}


def geofm_interpolate(workspace: Workspace, data: ArrayId, figure: bool = True) -> ToolResult:
    """Fill dead or missing (all-zero) traces with the GeoFM vision foundation model; live traces are kept unchanged.

    The tool checks itself on each line: it hides some live traces in gaps shaped like
    the dead ones, restores them with the GeoFM head and with the linear, POCS and MSSA
    fills (``tools.interpolation``), and fills the dead traces with whichever restored
    the hidden ones best (``tools.fill_check``); the summary says which and by how much.

    Args:
        data: workspace id of the section (traces x samples) or cube (time on the last
            axis) whose missing traces are zero; amplitudes in any unit.
        figure: also save a before/after/difference PNG.
    """
    sec = load_section(workspace, data)
    n_dead = check_dead(sec.data, data)  # none, all, or one live trace: refused
    refine = refine_head("interpolate")
    fills = interpolation_fills(head("interpolate"), refine)
    checks: list[FillCheck] = []

    def fill_line(d: np.ndarray) -> np.ndarray:
        dead = dead_traces(d)
        if not dead.any():
            return d
        filled, check = fill_checked(d, dead, fills, sec.dt_ms, seed=len(checks))
        checks.append(check)
        return filled

    out = apply_2d(fill_line, sec.data)
    chosen = sorted({c.best for c in checks}, key=list(fills).index)
    citations = (MAE_CITATION, VIT_CITATION) + ((DILATED_CONV_CITATION,) if refine else ())
    citations += tuple(c for m in chosen if m != "geofm" for c in FILL_CITATIONS[m])
    scores = {
        m: float(np.mean(v)) if (v := [c.scores_db[m] for c in checks if c.hidden]) else np.nan
        for m in fills
    }
    result = processing_result(
        workspace,
        sec,
        out,
        "GeoFM interpolation" if chosen == ["geofm"] else "interpolation (self-checked)",
        {
            **_provenance("interpolate"),
            "refine": refine is not None,
            "self_check": {"chosen": chosen, "hidden_traces": sum(c.hidden for c in checks)},
        },
        figure,
        citations,
    )
    n = int(np.prod(sec.data.shape[:-1]))
    wins = ", ".join(
        f"{CANDIDATE_NAMES[m]} on {sum(c.best == m for c in checks)} of {len(checks)} lines"
        for m in chosen
    )
    used = CANDIDATE_NAMES[chosen[0]] if len(chosen) == 1 else wins
    text = (
        f"{result.summary}; filled {n_dead} of {n} traces with {used}, the best at restoring "
        f"{sum(c.hidden for c in checks)} live traces hidden as a check ("
        + ", ".join(f"{CANDIDATE_NAMES[m]} {v:.1f} dB" for m, v in scores.items() if np.isfinite(v))
        + ")"
    )
    return ToolResult(
        text,
        result.artifacts,
        {
            **result.metrics,
            "traces_filled": float(n_dead),
            **{f"check_{m}_db": v for m, v in scores.items() if np.isfinite(v)},
        },
        result.citations,
        details={**result.details, "n_traces": float(n)},
    )


def geofm_faults(
    workspace: Workspace,
    data: ArrayId,
    threshold: Annotated[float | None, Field(gt=0, lt=1)] = None,
    figure: bool = True,
) -> ToolResult:
    """Segment faults with the GeoFM vision foundation model: a fault-probability section and an overlay figure.

    Args:
        data: workspace id of the section (traces x samples) or cube (time on the last
            axis); amplitudes in any unit.
        threshold: probability (0 to 1, dimensionless) above which a sample counts as
            fault in the overlay and the fault fraction; default: the head's threshold
            calibrated on validation sections (see its card).
        figure: also save the section with faults overlaid in red (PNG).
    """
    if threshold is None:
        threshold = fault_threshold()
    if not 0 < threshold < 1:
        raise BadInputError(f"threshold must be between 0 and 1, got {threshold}")
    sec = load_section(workspace, data)
    model = head("faults")
    return fault_result(
        workspace,
        sec,
        apply_2d(lambda d: fault_probability(model, d), sec.data),
        threshold,
        "GeoFM faults",
        "probability",
        f"GeoFM fault probability of {sec.id}",
        _provenance("faults"),
        "GeoFM fault segmentation",
        figure,
        (MAE_CITATION, VIT_CITATION),
    )
