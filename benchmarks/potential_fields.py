"""Measure the gravity and magnetic tools (issue 28) on forward-modelled prisms.

Usage::

    .venv/bin/python -m benchmarks.potential_fields                 # ~1 min on 2 cores
    .venv/bin/python -m benchmarks.potential_fields --out docs/results/potential_fields.json

Every number comes from the tools as shipped (``tools.ALL.call`` on a workspace), each
model made by the ``model_prisms`` tool (Harmonica) on a 101 x 101 grid at 200 m (20 km
square), cubes centred under the middle:

- upward continuation: the ``upward_continue`` result against the field modelled at the
  new height; RMS of the difference over the RMS of the modelled field (target < 2 %).
- reduction to the pole: ``reduce_to_pole`` of an induced total-field anomaly at
  inclination 45 deg against the anomaly modelled at the pole (inclination 90 deg);
  Pearson correlation (target >= 0.95).
- Euler deconvolution: ``euler_deconvolution`` depth against the cube's centre depth
  (target within 10 %), structural index 2 for gravity and 3 for the reduced-to-pole
  magnetic anomaly, the whole grid as one window and an 8 km window on the peak.
- prompt size: characters (and tokens of the router's tokenizer, when cached) the nine
  tools would add to the routing prompt (``agent.constrained.tools_prompt``) and to the
  JSON schemas an API model is sent.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.report import provenance
from common.paths import geofm_home
from tools import ALL, POTENTIAL_FIELDS, REGISTRY, Registry, Workspace

GRID = {"n_nodes": 101, "spacing_m": 200.0}


def _call(ws: Workspace, name: str, args: dict[str, Any]) -> tuple[str, np.ndarray, dict]:
    r = ALL.call(name, args, ws)
    if not r.ok:
        raise SystemExit(f"{name} {args}: {r.summary}")
    item = r.artifacts[0].id if r.artifacts else ""
    return item, (ws.load_array(item) if item else np.empty(0)), r.metrics


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x**2)))


def upward(ws: Workspace) -> list[dict[str, Any]]:
    rows = []
    for quantity, size, depth in (
        ("gravity", 1000.0, 1500.0),
        ("gravity", 2000.0, 3000.0),
        ("magnetic", 1000.0, 1500.0),
    ):
        model = {**GRID, "quantity": quantity, "size_m": size, "depth_m": depth}
        ground, _, _ = _call(ws, "model_prisms", model)
        for h in (250.0, 500.0, 1000.0):
            _, truth, _ = _call(ws, "model_prisms", {**model, "height_m": h})
            _, up, _ = _call(ws, "upward_continue", {"data": ground, "height_m": h})
            err = _rms(up - truth) / _rms(truth)
            rows.append(
                {
                    "quantity": quantity,
                    "size_m": size,
                    "depth_m": depth,
                    "height_m": h,
                    "rms_error_pct": 100 * err,
                }
            )
    return rows


def rtp(ws: Workspace) -> list[dict[str, Any]]:
    rows = []
    for depth, dec in ((1500.0, 0.0), (1500.0, 10.0), (3000.0, -30.0)):
        model = {**GRID, "quantity": "magnetic", "depth_m": depth}
        tilted, t, _ = _call(
            ws, "model_prisms", {**model, "inclination_deg": 45.0, "declination_deg": dec}
        )
        _, pole, _ = _call(
            ws, "model_prisms", {**model, "inclination_deg": 90.0, "declination_deg": 0.0}
        )
        _, out, _ = _call(
            ws, "reduce_to_pole", {"data": tilted, "inclination_deg": 45.0, "declination_deg": dec}
        )
        rows.append(
            {
                "depth_m": depth,
                "inclination_deg": 45.0,
                "declination_deg": dec,
                "correlation": float(np.corrcoef(out.ravel(), pole.ravel())[0, 1]),
                "correlation_without_rtp": float(np.corrcoef(t.ravel(), pole.ravel())[0, 1]),
                "rms_error_pct": 100 * _rms(out - pole) / _rms(pole),
            }
        )
    return rows


def euler(ws: Workspace) -> list[dict[str, Any]]:
    rows = []
    cases = [("gravity", 1000.0, d) for d in (1500.0, 2500.0, 3500.0)]
    cases += [
        ("gravity", 2000.0, 3000.0),
        ("magnetic", 1000.0, 2000.0),
        ("magnetic", 1000.0, 3000.0),
    ]
    for quantity, size, depth in cases:
        model = {**GRID, "quantity": quantity, "size_m": size, "depth_m": depth}
        if quantity == "magnetic":
            tilted, _, _ = _call(
                ws, "model_prisms", {**model, "inclination_deg": 45.0, "declination_deg": 10.0}
            )
            grid, _, _ = _call(ws, "reduce_to_pole", {"data": tilted})
            si = 3
        else:
            grid, _, _ = _call(ws, "model_prisms", model)
            si = 2
        for window in (0.0, 8000.0):
            _, _, m = _call(
                ws,
                "euler_deconvolution",
                {"data": grid, "structural_index": si, "window_m": window},
            )
            got = m["source_depth_m"]
            rows.append(
                {
                    "quantity": quantity if quantity == "gravity" else "magnetic (reduced to pole)",
                    "size_m": size,
                    "depth_m": depth,
                    "structural_index": si,
                    "window_m": window or "whole grid (20 km)",
                    "euler_depth_m": got,
                    "depth_error_pct": 100 * (got - depth) / depth,
                    "horizontal_error_m": float(
                        np.hypot(m["source_easting_m"], m["source_northing_m"])
                    ),
                }
            )
    return rows


def prompt_size() -> dict[str, Any]:
    from agent.constrained import tools_prompt

    with_pf = Registry([*REGISTRY, *POTENTIAL_FIELDS])  # the router's tools and these nine
    base, full = tools_prompt(REGISTRY.schemas()), tools_prompt(with_pf.schemas())
    out: dict[str, Any] = {
        "routing_prompt_chars_now": len(base),
        "routing_prompt_chars_with_pf": len(full),
        "routing_prompt_chars_added": len(full) - len(base),
        "json_schema_chars_now": len(json.dumps(REGISTRY.schemas())),
        "json_schema_chars_added": len(json.dumps(POTENTIAL_FIELDS.schemas())),
    }
    found = sorted(geofm_home().glob("models/SmolLM2-135M-Instruct*/tokenizer.json"))
    if found:
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(found[0]))
        n_base, n_full = len(tok.encode(base).ids), len(tok.encode(full).ids)
        out.update(routing_prompt_tokens_now=n_base, routing_prompt_tokens_added=n_full - n_base)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=None, help="write the JSON report here")
    args = p.parse_args(argv)
    run: dict[str, Any] = {
        **provenance(),
        "command": "python -m benchmarks.potential_fields"
        + (f" --out {args.out}" if args.out else ""),
        "grid": "101 x 101 nodes at 200 m (20 km square), observation height 0",
        "padding": "FFT filters pad half the grid size on each side, ramping linearly "
        "from the edge values to the mean of the border nodes (tools.potential_fields)",
    }
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="geofm-pf-bench-") as tmp:
        ws = Workspace(tmp)
        run["upward_continuation"] = up = upward(ws)
        run["reduction_to_pole"] = rt = rtp(ws)
        run["euler"] = eu = euler(ws)
    run["prompt"] = prompt_size()
    run["seconds"] = time.perf_counter() - t0
    run["targets"] = {
        "upward_max_rms_error_pct": max(r["rms_error_pct"] for r in up),
        "upward_pass": all(r["rms_error_pct"] < 2.0 for r in up),
        "rtp_min_correlation": min(r["correlation"] for r in rt),
        "rtp_pass": all(r["correlation"] >= 0.95 for r in rt),
        "euler_max_abs_depth_error_pct": max(abs(r["depth_error_pct"]) for r in eu),
        "euler_pass": all(abs(r["depth_error_pct"]) <= 10.0 for r in eu),
    }
    print("upward continuation (RMS error / RMS of the modelled field):")
    for r in up:
        print(
            f"  {r['quantity']:<8} cube {r['size_m']:>5.0f} m at {r['depth_m']:>5.0f} m, up {r['height_m']:>5.0f} m: {r['rms_error_pct']:.2f} %"
        )
    print("reduction to the pole (inclination 45 deg) vs modelled at the pole:")
    for r in rt:
        print(
            f"  depth {r['depth_m']:.0f} m, declination {r['declination_deg']:g}: r = {r['correlation']:.4f} (input alone {r['correlation_without_rtp']:.3f})"
        )
    print("Euler deconvolution depth:")
    for r in eu:
        print(
            f"  {r['quantity']:<27} cube {r['size_m']:.0f} m at {r['depth_m']:.0f} m, SI {r['structural_index']}, "
            f"window {r['window_m']}: {r['euler_depth_m']:.0f} m ({r['depth_error_pct']:+.1f} %)"
        )
    print("prompt:", json.dumps(run["prompt"]))
    print("targets:", json.dumps(run["targets"]))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(run, indent=1) + "\n")
        print(f"wrote {args.out}")
    ok = (
        run["targets"]["upward_pass"]
        and run["targets"]["rtp_pass"]
        and run["targets"]["euler_pass"]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
