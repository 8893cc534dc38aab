"""The GeoFM interpolation and fault heads on data they were not trained on, against the
classical methods.

Usage::

    .venv/bin/python -m benchmarks.geofm_independent --out docs/results/geofm_independent.json \\
        --figures docs/figures
    .venv/bin/python -m benchmarks.geofm_independent --weights DIR --no-real   # other heads

- **Interpolation**, on the 24 frozen sections of ``benchmarks/data/geofm_independent``
  (two generators that share nothing with ``tools.synthetic``, the heads' training
  generator; :mod:`benchmarks.geofm_sections`), each with its three frozen dead-trace
  masks (``random30``, ``runs`` of 2-6, ``decimate`` every third trace): linear, POCS and
  MSSA (``tools.interpolation``) and the GeoFM head alone and with its self-check
  (``tools.fill_check.check_fills``: hide live traces, keep the method that restores
  them best). SNR of the whole section against the clean one, dB; means with a 95 %
  t-interval; the best classical method is the one with the highest mean over all
  sections and masks, also compared section by section.
- **Held-out real windows** (``tools.geofm.heldout.real_heldout_windows``: the last third
  of NPRA 31-81 and of F3 inline 362, whole F3 crop lines), each its own reference,
  with their frozen ``random30`` and ``runs`` masks.
- **Faults** on the 24 clean sections: the GeoFM head at its calibrated threshold, and
  the semblance discontinuity (``tools.discontinuity``) at its default threshold and at
  the threshold that is best for it on this very set (an upper bound for the
  attribute); pixel F1 and F1 within 2 traces, per generator (the wave sections are
  unmigrated: their labels mark the fault plane at its vertical time, see the set's
  README). On F3 inline 362, a figure with the GeoFM picks beside the attribute.
- **Throughput** on a 534x1501 section, traces/s (the best of 3 runs each), beside f-x
  deconvolution's.

Prints measured tables and, with ``--out``, writes them; nothing is hard-coded.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.geofm_sections import load_independent
from benchmarks.report import provenance
from common.errors import ModelError
from tools.denoise import fx_deconvolution
from tools.discontinuity import FAULT_THRESHOLD, discontinuity
from tools.fill_check import Fill, check_fills, fill_checked
from tools.geofm.heldout import f1_scores, real_heldout_windows
from tools.geofm.infer import fault_probability
from tools.geofm.precision import inference_dtype
from tools.geofm.tools import fault_threshold, head, interpolation_fills, refine_head, weights_dir
from tools.interpolation import FILLS
from tools.metrics import snr_db
from tools.synthetic import make_section

CLASSICAL = tuple(FILLS)  # linear, POCS, MSSA: the classical candidates
THRESHOLDS = tuple(np.round(np.arange(0.05, 0.951, 0.025), 3))


def ci95(values: list[float]) -> tuple[float, float, float]:
    """(mean, low, high): the mean and its 95 % t-interval."""
    from scipy import stats

    v = np.asarray(values, float)
    m = float(v.mean())
    if len(v) < 2:
        return m, m, m
    half = float(stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)))
    return m, m - half, m + half


def _fills(models: dict) -> dict[str, Fill]:
    """The candidates of ``geofm_interpolate``'s self-check, in its order: the GeoFM
    head, linear, POCS, MSSA."""
    return interpolation_fills(models["interpolate"], models.get("refine"))


def fill_case(
    clean: np.ndarray, dead: np.ndarray, dt_ms: float, fills: dict, seed: int
) -> dict[str, Any]:
    """Every method's SNR on one section with dead traces ``dead``, and the self-check's
    choice among the classical methods and GeoFM."""
    holed = np.where(dead[:, None], 0.0, clean)
    row: dict[str, Any] = {"input": snr_db(clean, holed)}
    outs = {}
    for name, fill in fills.items():
        t0 = time.perf_counter()
        outs[name] = fill(holed, dead, dt_ms)
        row[f"{name}_s"] = time.perf_counter() - t0
        row[name] = snr_db(clean, outs[name])
    check = check_fills(holed, dead, fills, dt_ms, seed=seed)
    row["checked_choice"] = check.best
    row["checked"] = row[check.best]
    row["check_scores_db"] = check.scores_db
    return row


def _interpolation(models: dict, sections: list) -> list[dict[str, Any]]:
    fills = _fills(models)
    rows = []
    for k, s in enumerate(sections):
        for mask_name, dead in s.masks.items():
            row = fill_case(s.clean, dead, s.dt_ms, fills, seed=k)
            rows.append({"section": s.name, "generator": s.generator, "mask": mask_name, **row})
            print(
                f"{s.name:<12}{mask_name:<10}"
                + "".join(f"{row[m]:>8.1f}" for m in (*CLASSICAL, "geofm", "checked"))
                + f"  {row['checked_choice']}"
            )
    return rows


def compare(rows: list[dict[str, Any]], methods: tuple[str, ...] = ("geofm", "checked")) -> dict:
    """Means with 95 % intervals per method; the best classical method on the mean; each
    learned method's gain over it (mean, interval, worst section) and over the best
    classical method of each section."""
    out: dict[str, Any] = {"n": len(rows)}
    for m in (*CLASSICAL, *methods):
        out[m] = dict(zip(("mean", "low", "high"), ci95([r[m] for r in rows])))
    best = max(CLASSICAL, key=lambda m: out[m]["mean"])
    out["best_classical"] = best
    out["best_classical_mean"] = out[best]["mean"]
    for m in methods:
        gain = [r[m] - r[best] for r in rows]
        oracle = [r[m] - max(r[c] for c in CLASSICAL) for r in rows]
        out[f"{m}_gain"] = {
            **dict(zip(("mean", "low", "high"), ci95(gain))),
            "worst": float(min(gain)),
            "worse_by_over_0.5_db": int(sum(g < -0.5 for g in gain)),
            "vs_best_per_section_mean": float(np.mean(oracle)),
            "vs_best_per_section_worst": float(min(oracle)),
        }
    choices = [r["checked_choice"] for r in rows if "checked_choice" in r]
    out["checked_wins"] = {c: choices.count(c) for c in sorted(set(choices))}
    return out


def _print_compare(title: str, c: dict) -> None:
    print(f"\n### {title} (n = {c['n']})")
    for m in (*CLASSICAL, "geofm", "checked"):
        if m in c:
            print(f"  {m:<8}{c[m]['mean']:>7.2f} dB  [{c[m]['low']:.2f}, {c[m]['high']:.2f}]")
    b = c["best_classical"]
    for m in ("geofm", "checked"):
        g = c.get(f"{m}_gain")
        if g:
            print(
                f"  {m} - {b}: {g['mean']:+.2f} dB [{g['low']:+.2f}, {g['high']:+.2f}], worst "
                f"{g['worst']:+.2f}, {g['worse_by_over_0.5_db']} cases below -0.5 dB; vs the "
                f"best classical of each case {g['vs_best_per_section_mean']:+.2f} (worst "
                f"{g['vs_best_per_section_worst']:+.2f})"
            )
    if c.get("checked_wins"):
        print(f"  self-check chose: {c['checked_wins']}")


def _summaries(rows: list[dict[str, Any]]) -> dict[str, Any]:
    groups: dict[str, list] = {"all": rows}
    for key in ("generator", "mask"):
        for v in sorted({r[key] for r in rows}):
            groups[f"{key}={v}"] = [r for r in rows if r[key] == v]
    out = {}
    for name, rs in groups.items():
        out[name] = compare(rs)
        _print_compare(name, out[name])
    return out


def _real(models: dict) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    fills = _fills(models)
    rows = []
    for k, w in enumerate(real_heldout_windows()):
        assert w.data is not None
        line = w.data / np.std(w.data)
        for mask_name, dead in w.masks.items():
            row = fill_case(line, dead, w.dt_ms, fills, seed=1000 + k)
            rows.append({"window": w.name, "mask": mask_name, "shape": list(line.shape), **row})
            print(
                f"{w.name:<26}{mask_name:<10}"
                + "".join(f"{row[m]:>8.1f}" for m in (*CLASSICAL, "geofm", "checked"))
                + f"  {row['checked_choice']}"
            )
    lines = [r for r in rows if not r["window"].startswith("f3_crop")]
    summary = {"lines": compare(lines), "all_windows": compare(rows)}
    _print_compare("held-out real lines (NPRA, F3 inline 362)", summary["lines"])
    _print_compare("all held-out real windows (with the F3 crop lines)", summary["all_windows"])
    return rows, summary


def _faults(models: dict, sections: list) -> dict[str, Any]:
    threshold = fault_threshold()
    rows = []
    for s in sections:
        prob = fault_probability(models["faults"], s.clean)
        att = discontinuity(s.clean)
        px, tol = f1_scores(prob, s.labels, threshold)
        apx, atol = f1_scores(att, s.labels, FAULT_THRESHOLD)
        rows.append(
            {
                "section": s.name,
                "generator": s.generator,
                "geofm_f1_pixel": px,
                "geofm_f1_2traces": tol,
                "attribute_f1_pixel": apx,
                "attribute_f1_2traces": atol,
                "attribute_scan": [f1_scores(att, s.labels, t) for t in THRESHOLDS],
                "geofm_scan": [f1_scores(prob, s.labels, t) for t in THRESHOLDS],
            }
        )
        print(f"{s.name:<12}GeoFM {px:.2f} ({tol:.2f})   attribute {apx:.2f} ({atol:.2f})")
    out: dict[str, Any] = {"geofm_threshold": threshold, "attribute_threshold": FAULT_THRESHOLD}
    for gen in ("all", "wave", "layered"):
        rs = [r for r in rows if gen in ("all", r["generator"])]
        if not rs:
            continue
        scan = np.mean([r["attribute_scan"] for r in rs], axis=0)  # (thresholds, 2)
        gscan = np.mean([r["geofm_scan"] for r in rs], axis=0)
        i, j = int(np.argmax(scan[:, 0])), int(np.argmax(gscan[:, 0]))
        out[gen] = {
            "n": len(rs),
            "geofm_f1_pixel": ci95([r["geofm_f1_pixel"] for r in rs]),
            "geofm_f1_2traces": ci95([r["geofm_f1_2traces"] for r in rs]),
            "attribute_f1_pixel": ci95([r["attribute_f1_pixel"] for r in rs]),
            "attribute_f1_2traces": ci95([r["attribute_f1_2traces"] for r in rs]),
            "attribute_best_threshold": float(THRESHOLDS[i]),
            "attribute_best_f1_pixel": float(scan[i, 0]),
            "attribute_best_f1_2traces": float(scan[i, 1]),
            "geofm_best_threshold": float(THRESHOLDS[j]),
            "geofm_best_f1_pixel": float(gscan[j, 0]),
        }
        o = out[gen]
        print(
            f"\n{gen} (n = {o['n']}): GeoFM F1 {o['geofm_f1_pixel'][0]:.2f} pixel, "
            f"{o['geofm_f1_2traces'][0]:.2f} within 2 traces (p > {threshold:g}; its best "
            f"threshold here {o['geofm_best_threshold']:g}: {o['geofm_best_f1_pixel']:.2f}); "
            f"attribute {o['attribute_f1_pixel'][0]:.2f} / {o['attribute_f1_2traces'][0]:.2f} "
            f"at {FAULT_THRESHOLD:g}, at its best threshold here "
            f"{o['attribute_best_threshold']:g}: {o['attribute_best_f1_pixel']:.2f} / "
            f"{o['attribute_best_f1_2traces']:.2f}"
        )
    out["rows"] = [
        {k: v for k, v in r.items() if not k.endswith("_scan")} for r in rows
    ]  # the scans are summarised above
    return out


def _fault_figure(models: dict, path: Path) -> str:
    """F3 inline 362: GeoFM picks beside the discontinuity attribute's."""
    from common.paths import geofm_data
    from tools.loaders import read_trace_ascii
    from tools.plotting import pyplot

    line, _ = read_trace_ascii(geofm_data() / "data" / "f3_inline362" / "export_inline362.ascii")
    prob = fault_probability(models["faults"], line)
    att = discontinuity(line)
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(16, 5.5), sharey=True)
    clip = np.percentile(np.abs(line), 99)
    for ax, p, t, title in (
        (axes[0], prob, fault_threshold(), f"GeoFM faults, p > {fault_threshold():g}"),
        (axes[1], att, FAULT_THRESHOLD, f"semblance discontinuity > {FAULT_THRESHOLD:g}"),
    ):
        ext = (300, 1250, line.shape[1] * 4.0, 0)
        ax.imshow(line.T, cmap="gray", vmin=-clip, vmax=clip, aspect="auto", extent=ext)
        ax.imshow(
            np.ma.masked_less_equal(p, t).T,
            cmap="autumn_r",
            vmin=t,
            vmax=1,
            alpha=0.7,
            aspect="auto",
            extent=ext,
            interpolation="nearest",
        )
        ax.set_title(f"{title} ({100 * np.mean(p > t):.1f} % of samples)")
        ax.set_xlabel("crossline")
    axes[0].set_ylabel("two-way time (ms)")
    fig.suptitle("F3 inline 362: fault picks (no labels on real data: a picture, not a score)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=60, bbox_inches="tight")
    plt.close(fig)
    return str(path)


def _best_time(fn: Any, repeats: int = 3) -> float:
    """The shortest of ``repeats`` wall-clock runs of ``fn()``, s (the least disturbed)."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _throughput(models: dict) -> dict[str, Any]:
    data = make_section(534, 1501, 4.0, seed=2**31 + 999).clean
    rng = np.random.default_rng(0)
    dead = rng.random(534) < 0.3
    dead[[0, -1]] = False
    holed = np.where(dead[:, None], 0.0, data)
    r: dict[str, Any] = {"shape": [534, 1501], "timing": "best of 3 runs"}
    r["fx_decon_traces_per_s"] = 534 / _best_time(lambda: fx_deconvolution(data, 4.0))
    fills = _fills(models)
    for name, fill in fills.items():
        r[f"{name}_traces_per_s"] = 534 / _best_time(lambda f=fill: f(holed, dead, 4.0))
    r["checked_traces_per_s"] = 534 / _best_time(lambda: fill_checked(holed, dead, fills, 4.0))
    for k in ("geofm", "checked"):
        r[f"{k}_vs_fx"] = r[f"{k}_traces_per_s"] / r["fx_decon_traces_per_s"]
    print(
        "\n## Throughput, 534x1501, traces/s: "
        + ", ".join(
            f"{k.removesuffix('_traces_per_s')} {v:.0f}"
            for k, v in r.items()
            if k.endswith("_per_s")
        )
        + f"; GeoFM / f-x {r['geofm_vs_fx']:.2f}, checked / f-x {r['checked_vs_fx']:.2f}"
    )
    return r


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--weights", help="folder with interpolate/ and faults/ heads")
    p.add_argument("--out", help="write the measured figures to this JSON file")
    p.add_argument("--figures", help="write the F3 fault-pick figure into this folder")
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    p.add_argument("--no-real", action="store_true", help="skip the held-out real windows")
    p.add_argument("--no-throughput", action="store_true", help="skip the timing section")
    p.add_argument("--limit", type=int, help="only the first N sections (a quick look)")
    args = p.parse_args(argv)
    warnings.simplefilter("ignore", FutureWarning)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch

    meta = provenance()
    if args.weights:
        os.environ["GEOFM_VISION_WEIGHTS"] = str(Path(args.weights).resolve())
    torch.set_num_threads(args.threads)
    try:
        # the ignore: transformers wraps .to with functools.wraps (no self in its type)
        models = {t: head(t).to("cpu") for t in ("interpolate", "faults")}  # type: ignore[arg-type]
        refine = refine_head("interpolate")
        if refine is not None:
            models["refine"] = refine.to("cpu")
    except ModelError as e:
        print(f"cannot load the GeoFM heads: {e}")
        return 1
    sections = load_independent()[: args.limit]
    report: dict[str, Any] = {
        **meta,
        "command": " ".join(
            ["python -m benchmarks.geofm_independent", *(sys.argv[1:] if argv is None else argv)]
        ),
        "weights": {t: str(weights_dir(t)) for t in ("interpolate", "faults")},
        "threads": args.threads,
        "precision": str(inference_dtype()).removeprefix("torch."),
    }
    print("## Interpolation, independent sections: SNR dB")
    print(
        f"{'section':<12}{'mask':<10}"
        + "".join(f"{m:>8}" for m in (*CLASSICAL, "geofm", "checked"))
    )
    rows = _interpolation(models, sections)
    report["interpolation"] = {"summary": _summaries(rows), "rows": rows}
    print("\n## Faults, independent sections (clean): F1 pixel (within 2 traces)")
    report["faults"] = _faults(models, sections)
    if not args.no_real:
        try:
            print("\n## Interpolation, held-out real windows: SNR dB")
            real_rows, real_summary = _real(models)
            report["real"] = {"summary": real_summary, "rows": real_rows}
            if args.figures:
                report["fault_figure"] = _fault_figure(
                    models, Path(args.figures) / "geofm_faults_vs_attribute_f3_inline362.png"
                )
        except FileNotFoundError as e:
            print(f"(real windows skipped: {e})")
    if not args.no_throughput:
        report["throughput"] = _throughput(models)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(report, indent=1, default=float))
        print(f"\nresults: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
