"""Choose the fault head's probability threshold on validation sections.

    python -m finetune.geofm_calibrate                      # writes the shipped card
    python -m finetune.geofm_calibrate --weights DIR --dry-run

A segmentation head's logits are trained with a weighted loss, so 0.5 is not
necessarily its best operating point. This script scores the ``faults`` head on
synthetic sections whose seeds (``HELDOUT_SEED + 1000`` up) occur neither in training
(seeds below ``HELDOUT_SEED``) nor in ``benchmarks.geofm`` (``HELDOUT_SEED`` to
``HELDOUT_SEED + 999``), clean and with 10 dB random noise. It picks the threshold with
the best mean pixel F1 and writes it, with the whole curve, into the head's
``card.json``. ``geofm_faults`` and the benchmark use that threshold by default.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from tools.geofm.data import HELDOUT_SEED
from tools.geofm.heldout import HELDOUT_OVERSAMPLE, f1_scores, fault_inputs, held_out_section
from tools.geofm.infer import fault_probability
from tools.geofm.tools import head, weights_dir

__all__ = ["VALIDATION_SEED", "THRESHOLDS", "calibrate", "main"]

VALIDATION_SEED = HELDOUT_SEED + 1000  # after the benchmark's held-out seeds
THRESHOLDS = tuple(round(0.3 + 0.05 * i, 2) for i in range(13))  # 0.30 ... 0.90


def calibrate(
    model,
    sections: int = 12,
    size: tuple[int, int] = (200, 300),
    progress: bool = True,
    oversample: int | None = None,
) -> dict[str, Any]:
    """Mean pixel F1 per threshold over ``sections`` validation sections, each clean and
    at 10 dB, modelled like the benchmark's (``oversample``; None: its
    ``HELDOUT_OVERSAMPLE``); returns {"threshold", "f1", "curve",
    "sections", "seeds", "oversample"}."""
    oversample = HELDOUT_OVERSAMPLE if oversample is None else oversample
    scores: dict[float, list[float]] = {t: [] for t in THRESHOLDS}
    for k in range(sections):
        seed = VALIDATION_SEED + k
        s = held_out_section(seed, k, size, oversample)
        for _, data in fault_inputs(s, seed):
            prob = fault_probability(model, data)
            for t in THRESHOLDS:
                scores[t].append(f1_scores(prob, s.fault_mask, threshold=t)[0])
        if progress:
            print(f"\r  calibrating faults threshold {k + 1}/{sections}", end="", file=sys.stderr)
    if progress:
        print(file=sys.stderr)
    curve = {str(t): round(float(np.mean(v)), 4) for t, v in scores.items()}
    best = max(THRESHOLDS, key=lambda t: (curve[str(t)], -abs(t - 0.5)))
    return {
        "threshold": best,
        "f1": curve[str(best)],
        "curve": curve,
        "sections": f"{sections} synthetic {size[0]}x{size[1]}, clean and 10 dB",
        "seeds": f"{VALIDATION_SEED}-{VALIDATION_SEED + sections - 1}",
        "oversample": oversample,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m finetune.geofm_calibrate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--weights", help="folder holding faults/ (default: the shipped weights)")
    ap.add_argument("--sections", type=int, default=12)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument(
        "--oversample",
        type=int,
        default=None,
        help="sections modelled this many times finer in time (default: the benchmark's)",
    )
    ap.add_argument("--dry-run", action="store_true", help="print, do not write the card")
    args = ap.parse_args(argv)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch

    if args.weights:
        os.environ["GEOFM_VISION_WEIGHTS"] = str(Path(args.weights).resolve())
    torch.set_num_threads(args.threads)
    # the ignore: transformers wraps .to with functools.wraps, whose typeshed type binds
    # no self
    model = head("faults").to("cpu")  # type: ignore[arg-type]
    result = calibrate(model, args.sections, oversample=args.oversample)
    print(json.dumps(result, indent=1))
    if not args.dry_run:
        card_file = weights_dir("faults") / "card.json"
        card = json.loads(card_file.read_text()) if card_file.exists() else {"task": "faults"}
        card["threshold"] = result["threshold"]
        card["calibration"] = {**result, "reproduce": "python -m finetune.geofm_calibrate"}
        card_file.write_text(json.dumps(card, indent=1) + "\n")
        print(f"wrote threshold {result['threshold']} to {card_file}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
