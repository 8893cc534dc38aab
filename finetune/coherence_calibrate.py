"""Choose the discontinuity threshold of ``coherence_faults`` on synthetic sections.

    python -m finetune.coherence_calibrate                  # the F1 curve and the best
    python -m finetune.coherence_calibrate --sections 24 --json

Scores :func:`tools.discontinuity.discontinuity` (its defaults) against the fault labels
of ``tools.synthetic`` sections modelled as the GeoFM's evaluation sections
(:func:`tools.geofm.heldout.held_out_section`: 200x400 samples at 4 ms, 20/30/40 Hz,
2 or 3 faults, 8 times finer in time) but with seeds from ``CALIBRATION_SEED`` (below
2**31, so never a benchmark's), clean and with 10 dB random noise
(:func:`tools.geofm.heldout.fault_inputs`). The threshold with the best mean pixel F1
is ``tools.discontinuity.FAULT_THRESHOLD``.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from tools.discontinuity import discontinuity
from tools.geofm.heldout import f1_scores, fault_inputs, held_out_section

__all__ = ["CALIBRATION_SEED", "THRESHOLDS", "calibrate", "main"]

CALIBRATION_SEED = 5000
THRESHOLDS = tuple(round(0.05 + 0.025 * i, 3) for i in range(31))  # 0.05 ... 0.8


def calibrate(sections: int = 12, size: tuple[int, int] = (200, 400)) -> dict:
    """Pixel F1 per threshold, clean and at 10 dB, and the threshold with the best mean.

    Returns:
        {"thresholds", "f1_clean", "f1_10db", "f1_mean" (lists, one per threshold),
        "best_threshold", "sections", "seeds"}.
    """
    scores = {"clean": np.zeros(len(THRESHOLDS)), "10 dB": np.zeros(len(THRESHOLDS))}
    for k in range(sections):
        seed = CALIBRATION_SEED + k
        section = held_out_section(seed, k, size)
        for label, data in fault_inputs(section, seed):
            disc = discontinuity(data)
            for i, t in enumerate(THRESHOLDS):
                scores[label][i] += f1_scores(disc, section.fault_mask, t)[0] / sections
    mean = (scores["clean"] + scores["10 dB"]) / 2
    return {
        "thresholds": list(THRESHOLDS),
        "f1_clean": [round(float(x), 4) for x in scores["clean"]],
        "f1_10db": [round(float(x), 4) for x in scores["10 dB"]],
        "f1_mean": [round(float(x), 4) for x in mean],
        "best_threshold": THRESHOLDS[int(np.argmax(mean))],
        "sections": sections,
        "seeds": [CALIBRATION_SEED, CALIBRATION_SEED + sections - 1],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m finetune.coherence_calibrate", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--sections", type=int, default=12, help="synthetic sections scored")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    result = calibrate(args.sections)
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(f"{'threshold':>9}{'F1 clean':>10}{'F1 10 dB':>10}{'mean':>8}")
    for row in zip(result["thresholds"], result["f1_clean"], result["f1_10db"], result["f1_mean"]):
        print(f"{row[0]:>9.3f}{row[1]:>10.3f}{row[2]:>10.3f}{row[3]:>8.3f}")
    print(f"best mean pixel F1 at threshold {result['best_threshold']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
