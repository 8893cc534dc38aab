"""Measure the classical references to the GeoFM heads on held-out synthetic sections.

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.classical
    .venv/bin/python -m benchmarks.classical --sections 12 --out results/classical.json

- Missing traces: the linear fill, f-k POCS and f-x MSSA (``tools.interpolation`` at
  their defaults), SNR of the output against the clean section, on the held-out sections
  of ``benchmarks.geofm`` with the same 30 % of traces zeroed (so its GeoFM rows compare
  with these), and on the same sections sheared to dip 1 sample per trace with every
  second trace dead (dipping beds, which the linear fill smears).
- Faults: pixel F1 of ``tools.discontinuity`` at ``FAULT_THRESHOLD`` (and F1 within 2
  traces), clean and with 10 dB random noise, against the fault labels.
- Time of each method on one 534x1501 section.

Section seeds from ``HELDOUT_SEED`` (2**31) up; the defaults were chosen on seeds below
it. Prints measured tables; nothing is hard-coded.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.report import provenance
from tools.discontinuity import FAULT_THRESHOLD, discontinuity
from tools.geofm.data import HELDOUT_SEED
from tools.geofm.heldout import f1_scores, fault_inputs, held_out_section
from tools.interpolation import FILLS
from tools.metrics import snr_db
from tools.synthetic import add_noise, shift_samples

__all__ = ["interpolation_rows", "fault_rows", "timings", "main"]

DIP = 1.0  # samples per trace of the sheared sections


def _holed(clean: np.ndarray, seed: int, case: str) -> tuple[np.ndarray, np.ndarray]:
    if case == "30 % missing":
        return add_noise(clean, "none", seed=seed, missing_fraction=0.3)
    dead = np.zeros(len(clean), bool)
    dead[1::2] = True
    return np.where(dead[:, None], 0.0, clean), dead


def interpolation_rows(sections: int, size: tuple[int, int]) -> list[dict]:
    """SNR (dB) of each fill against the clean section, per section and case."""
    rows = []
    for k in range(sections):
        seed = HELDOUT_SEED + k
        clean = held_out_section(seed, k, size).clean
        sheared = shift_samples(clean, DIP * np.arange(size[0])[:, None])
        for case, reference in (("30 % missing", clean), ("dip 1, every 2nd dead", sheared)):
            holed, dead = _holed(reference, seed, case)
            row: dict = {"seed": seed, "case": case, "input": snr_db(reference, holed)}
            for name, fill in FILLS.items():
                row[name] = snr_db(reference, fill(holed, dead, 4.0))
            rows.append(row)
    return rows


def fault_rows(sections: int, size: tuple[int, int]) -> list[dict]:
    """Pixel F1 and F1 within 2 traces at ``FAULT_THRESHOLD``, clean and at 10 dB."""
    rows = []
    for k in range(sections):
        seed = HELDOUT_SEED + k
        section = held_out_section(seed, k, size)
        for label, data in fault_inputs(section, seed):
            pixel, tol = f1_scores(discontinuity(data), section.fault_mask, FAULT_THRESHOLD)
            rows.append({"seed": seed, "input": label, "f1_pixel": pixel, "f1_2traces": tol})
    return rows


def timings(size: tuple[int, int] = (534, 1501)) -> dict[str, float]:
    """Seconds each method takes on one held-out section of ``size``, 30 % missing."""
    clean = held_out_section(HELDOUT_SEED, 0, size).clean
    holed, dead = _holed(clean, HELDOUT_SEED, "30 % missing")
    out = {}
    for name, fill in FILLS.items():
        t0 = time.perf_counter()
        fill(holed, dead, 4.0)
        out[f"{name}_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    discontinuity(clean)
    out["discontinuity_s"] = time.perf_counter() - t0
    return out


def _mean(rows: list[dict], key: str, **where: str) -> float:
    return float(np.mean([r[key] for r in rows if all(r[k] == v for k, v in where.items())]))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sections", type=int, default=12, help="held-out synthetic sections")
    p.add_argument(
        "--size",
        type=int,
        nargs=2,
        default=(200, 300),
        metavar=("TRACES", "SAMPLES"),
        help="held-out section size (benchmarks.geofm's)",
    )
    p.add_argument("--out", help="write all measured figures to this JSON file")
    p.add_argument("--no-timing", action="store_true", help="skip the 534x1501 timing")
    args = p.parse_args(argv)
    results: dict = {
        **provenance(),
        "command": "python -m benchmarks.classical " + " ".join(argv or sys.argv[1:]),
    }
    size = (args.size[0], args.size[1])
    rows = interpolation_rows(args.sections, size)
    print(f"## Missing traces, {args.sections} held-out sections {size[0]}x{size[1]} (4 ms)")
    print(f"{'case':<24}{'input dB':>9}" + "".join(f"{m:>9}" for m in FILLS))
    for case in ("30 % missing", "dip 1, every 2nd dead"):
        print(
            f"{case:<24}{_mean(rows, 'input', case=case):>9.1f}"
            + "".join(f"{_mean(rows, m, case=case):>9.1f}" for m in FILLS)
        )
    faults = fault_rows(args.sections, size)
    print(f"\n## Faults, discontinuity > {FAULT_THRESHOLD:g}")
    for label in ("clean", "10 dB"):
        print(
            f"{label:<8} pixel F1 {_mean(faults, 'f1_pixel', input=label):.3f}, "
            f"within 2 traces {_mean(faults, 'f1_2traces', input=label):.3f}"
        )
    results.update(size=size, interpolation=rows, faults=faults, threshold=FAULT_THRESHOLD)
    if not args.no_timing:
        results["timing_534x1501"] = t = timings()
        print(
            "\n## Seconds on one 534x1501 section: "
            + ", ".join(f"{k} {v:.2f}" for k, v in t.items())
        )
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
