"""The independent evaluation set of the GeoFM interpolation and fault heads: 24 frozen
sections from two generators that share nothing with ``tools.synthetic`` (the heads'
training generator), each with three frozen dead-trace masks.

Usage::

    .venv/bin/python -m benchmarks.geofm_sections --check     # sha256 + regenerate, compare
    .venv/bin/python -m benchmarks.geofm_sections --write benchmarks/data/geofm_independent
    .venv/bin/python -m benchmarks.geofm_sections --figure docs/figures/geofm_independent_sections.png

    from benchmarks.geofm_sections import load_independent
    for s in load_independent():              # the manifest's sha256 checked first
        s.clean, s.labels, s.masks["runs"]    # (128, 256) float32, uint8, (128,) bool

- ``wave_section`` (``benchmarks.geofm_wave``): exploding-reflector 2-D acoustic finite
  differences through a faulted depth model with an angular unconformity; unmigrated,
  so terminations diffract.
- ``layered_section`` (``benchmarks.geofm_layered``): a convolutional model built from
  horizons, with pinch-outs, onlap, four wavelet families and mild noise on some.

Masks (``tools.geofm.heldout.dead_trace_masks``, seeded ``[MASK_SEED, generator, seed]``):
``random30`` (30 % single dead traces), ``runs`` (runs of 2-6, 30 %), ``decimate``
(every third trace dead, 33 %). The set is never used for training or tuning; it lives
in ``benchmarks/``, which ``finetune/`` cannot import (the import-linter layers).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.geofm_layered import layered_section
from benchmarks.geofm_modelling import GeneratedSection
from benchmarks.geofm_wave import wave_section
from tools.geofm.heldout import MASK_SEED, dead_trace_masks, real_heldout_layout

__all__ = [
    "wave_section",
    "layered_section",
    "GENERATORS",
    "SEEDS",
    "IndependentSection",
    "build_section",
    "write_set",
    "check_set",
    "load_independent",
    "ROOT",
]

GENERATORS = {"wave": wave_section, "layered": layered_section}
SEEDS = tuple(range(12))
SHAPE = (128, 256)
ROOT = Path(__file__).resolve().parent / "data" / "geofm_independent"
DATE_FROZEN = "2026-12-05"
COMMAND = "python -m benchmarks.geofm_sections --write benchmarks/data/geofm_independent"
MASKS = {
    "random30": "30 % of the traces (rounded) dead at random, no two adjacent",
    "runs": "runs of 2-6 adjacent dead traces, >= 2 live traces apart, 30 % in all",
    "decimate": "every third trace dead (indices 2, 5, 8, ...), 33 %",
}
_TOLERANCE = 1e-3  # largest |difference| of regenerated amplitudes (unit-RMS sections)


@dataclass(frozen=True)
class IndependentSection:
    """One frozen section of the set.

    Attributes:
        name: file stem, e.g. "wave_03".
        generator: "wave" or "layered".
        clean: (n_traces, n_samples) float32, unit RMS (before the mild noise some
            layered sections carry).
        labels: (n_traces, n_samples) uint8, 1 within one trace of a fault plane.
        dt_ms: sample interval, ms.
        masks: "random30", "runs", "decimate": (n_traces,) bool, True = dead trace.
        seed: the generator's seed.
        parameters: the generator's draws (from the manifest).
    """

    name: str
    generator: str
    clean: np.ndarray
    labels: np.ndarray
    dt_ms: float
    masks: dict[str, np.ndarray]
    seed: int
    parameters: dict[str, Any] = field(default_factory=dict)


def _name(generator: str, seed: int) -> str:
    return f"{generator}_{seed:02d}"


def build_section(generator: str, seed: int) -> tuple[dict[str, np.ndarray], GeneratedSection]:
    """The arrays stored for one section (clean, labels, dt_ms, mask_*) and the section."""
    s = GENERATORS[generator](seed, *SHAPE)
    code = list(GENERATORS).index(generator)
    masks = dead_trace_masks(SHAPE[0], [MASK_SEED, code, seed])
    arrays = {"clean": s.clean, "labels": s.labels, "dt_ms": np.array(s.dt_ms, np.float64)}
    arrays.update({f"mask_{k}": v for k, v in masks.items()})
    return arrays, s


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """A compressed .npz that np.load reads, with fixed zip timestamps: the same arrays
    give the same bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for key, value in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asarray(value), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(2026, 12, 5, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue())


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _real_masks() -> dict[str, dict[str, Any]]:
    return {
        w.name: {
            "source": w.source,
            "traces": [int(w.traces[0]), int(w.traces[-1]) + 1],
            **{k: np.flatnonzero(m).tolist() for k, m in w.masks.items()},
        }
        for w in real_heldout_layout()
    }


def write_set(root: Path, names: list[str] | None = None, verbose: bool = True) -> dict:
    """Generate the sections (all, or ``names``) into ``root`` with a manifest.json;
    returns the manifest."""
    import scipy

    root.mkdir(parents=True, exist_ok=True)
    files: dict[str, Any] = {}
    for generator in GENERATORS:
        for seed in SEEDS:
            name = _name(generator, seed)
            if names is not None and name not in names:
                continue
            t0 = time.perf_counter()
            arrays, s = build_section(generator, seed)
            seconds = time.perf_counter() - t0
            path = root / f"{name}.npz"
            _write_npz(path, arrays)
            files[path.name] = {
                "sha256": _sha256(path),
                "generator": generator,
                "seed": seed,
                "dt_ms": s.dt_ms,
                "shapes": {k: list(np.shape(v)) for k, v in arrays.items()},
                "dead_traces": {k[5:]: int(v.sum()) for k, v in arrays.items() if "mask" in k},
                "fault_samples": int(s.labels.sum()),
                "seconds": round(seconds, 2),
                "parameters": s.parameters,
            }
            if verbose:
                print(f"{path.name}: {seconds:.1f} s, dt {s.dt_ms:g} ms", flush=True)
    manifest = {
        "what": "independent evaluation set of the GeoFM interpolation and fault heads",
        "date_frozen": DATE_FROZEN,
        "command": COMMAND,
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__},
        "mask_seed": MASK_SEED,
        "masks": MASKS,
        "labels": "1 within one trace of a fault plane where the fault exists, else 0",
        "files": files,
        "real_heldout": _real_masks(),
    }
    (root / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def _verify_sha(root: Path, manifest: dict) -> list[str]:
    problems = []
    for file, entry in manifest["files"].items():
        path = root / file
        if not path.is_file():
            problems.append(f"{file}: missing")
        elif _sha256(path) != entry["sha256"]:
            problems.append(f"{file}: sha256 differs from the manifest")
    return problems


def check_set(root: Path = ROOT, names: list[str] | None = None) -> list[str]:
    """Verify the frozen files' sha256, then regenerate the sections (all, or ``names``)
    into a temporary folder and compare: amplitudes within 1e-3 (unit-RMS sections),
    labels, masks, dt and parameters equal; the real windows' masks as frozen. Returns
    the problems found (empty: the set is intact and reproducible)."""
    manifest = json.loads((root / "manifest.json").read_text())
    problems = _verify_sha(root, manifest)
    if manifest["real_heldout"] != _real_masks():
        problems.append("real hold-out windows or masks differ from tools.geofm.heldout")
    with tempfile.TemporaryDirectory(prefix="geofm-independent-") as tmp:
        fresh = write_set(Path(tmp), names, verbose=False)
        for file, entry in fresh["files"].items():
            if entry["parameters"] != manifest["files"][file]["parameters"]:
                problems.append(f"{file}: parameters differ")
            with (
                np.load(root / file, allow_pickle=False) as old,
                np.load(Path(tmp) / file, allow_pickle=False) as new,
            ):
                for key in old.files:
                    a, b = old[key], new[key]
                    if key == "clean":
                        diff = float(np.max(np.abs(a - b)))
                        if diff > _TOLERANCE:
                            problems.append(f"{file}: clean differs by up to {diff:.2e}")
                    elif a.shape != b.shape or not np.array_equal(a, b):
                        problems.append(f"{file}: {key} differs")
    return problems


def load_independent(root: str | Path | None = None) -> list[IndependentSection]:
    """The frozen sections, after checking every file's sha256 against the manifest.

    Raises:
        ValueError: a file is missing or differs from the manifest.
    """
    root = Path(root) if root is not None else ROOT
    manifest = json.loads((root / "manifest.json").read_text())
    problems = _verify_sha(root, manifest)
    if problems:
        raise ValueError(
            f"the frozen set in {root} is damaged ({'; '.join(problems)}); restore it "
            "with git (never regenerate a frozen evaluation set in place)"
        )
    out = []
    for file, entry in manifest["files"].items():
        with np.load(root / file, allow_pickle=False) as z:
            masks = {k[5:]: z[k] for k in z.files if k.startswith("mask_")}
            out.append(
                IndependentSection(
                    Path(file).stem,
                    entry["generator"],
                    z["clean"],
                    z["labels"],
                    float(z["dt_ms"]),
                    masks,
                    int(entry["seed"]),
                    entry["parameters"],
                )
            )
    return out


def figure(path: Path, per_generator: int = 4) -> None:
    """A quick look: the first sections of each generator, fault labels outlined."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sections = load_independent()
    fig, axes = plt.subplots(2, per_generator, figsize=(3.0 * per_generator, 7.2), dpi=62)
    for row, generator in enumerate(GENERATORS):
        chosen = [s for s in sections if s.generator == generator][:per_generator]
        for ax, s in zip(axes[row], chosen):
            clip = float(np.percentile(np.abs(s.clean), 99))
            t_max = s.clean.shape[1] * s.dt_ms
            extent = (0, s.clean.shape[0], t_max, 0)
            ax.imshow(s.clean.T, cmap="gray", vmin=-clip, vmax=clip, aspect="auto", extent=extent)
            t = (np.arange(s.clean.shape[1]) + 0.5) * s.dt_ms
            x = np.arange(s.clean.shape[0]) + 0.5
            ax.contour(x, t, s.labels.T, levels=[0.5], colors="red", linewidths=0.7)
            wavelet = s.parameters["wavelet"]["kind"]
            ax.set_title(f"{s.name} ({s.dt_ms:g} ms, {wavelet})", fontsize=9)
            ax.tick_params(labelsize=7)
        axes[row][0].set_ylabel("two-way time (ms)", fontsize=8)
    for ax in axes[-1]:
        ax.set_xlabel("trace", fontsize=8)
    fig.suptitle("Independent GeoFM evaluation sections; red: fault labels", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--write", metavar="DIR", help="generate the set into DIR (with manifest)")
    p.add_argument("--check", action="store_true", help="verify sha256 and regenerate")
    p.add_argument("--only", nargs="*", metavar="NAME", help="with --check: e.g. wave_03")
    p.add_argument("--figure", metavar="PNG", help="write the quick-look figure")
    args = p.parse_args(argv)
    if not (args.write or args.check or args.figure):
        p.error("give --write DIR, --check or --figure PNG")
    if args.write:
        t0 = time.perf_counter()
        write_set(Path(args.write))
        print(f"written to {args.write} in {time.perf_counter() - t0:.0f} s")
    if args.check:
        problems = check_set(ROOT, args.only)
        for problem in problems:
            print(problem)
        print("frozen set: " + ("intact and reproducible" if not problems else "PROBLEMS"))
        if problems:
            return 1
    if args.figure:
        figure(Path(args.figure))
        print(f"figure: {args.figure}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
