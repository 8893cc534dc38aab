"""Well tie at F3 inline 362, well F02-1, and the absolute impedance it leads to.

Usage::

    .venv/bin/python -m benchmarks.well_tie                 # prints, writes the report
    .venv/bin/python -m benchmarks.well_tie --out r.json

``tie_well`` (sonic and density of F02-1 through its checkshot, well at crossline 336
as ``locate_well`` finds it on the F3 crop) with each wavelet ("statistical", "well")
on the nearest trace and on the mean of 5 traces. Defaults were fixed before the tool
first ran on these data; every setting tried is in the report. Target (issue 26): tie
correlation >= 0.6 after a bulk shift and a stretch of at most 3 %.

The tied log is also set against every trace of the line (a bulk shift and a constant
phase; the best traces with the stretch too): how high a tie this line allows anywhere.

Then ``invert_impedance`` with the tied AI log as the low-frequency model and the tie's
wavelet, compared at the well with the log band-limited to the wavelet's band (target
>= 0.7). The same well builds the background and judges the result: this is not a
blind test (F3 inline 362 has no second well).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from benchmarks.report import provenance
from common.paths import geofm_data
from tools import ALL, REGISTRY, Workspace

DATA = geofm_data() / "data" / "f3_inline362"
CROSSLINE = 336


WINDOW_MS, WINDOW_STEP_MS, WINDOW_SHIFT_MS = 400.0, 200.0, 60.0


def window_shifts(ws: Workspace, sec: str, tie: Any) -> list[dict[str, float]]:
    """The tied log's best residual shift and correlation in overlapping windows."""
    import numpy as np

    from tools.section import load_section
    from tools.welltie import impedance_in_time, tie_trace

    s = load_section(ws, sec, ndim=(2,))
    dt, t0 = s.dt_ms, float(s.meta.get("t0_ms", 0.0))
    trace = s.data[int(tie.details["well_trace"])]
    wavelet = ws.load_array(tie.artifacts[1].id)
    ai = ws.load_array(tie.artifacts[3].id)
    t_ai = tie.details["window_top_ms"] + dt * np.arange(len(ai))
    out = []
    top = float(t_ai[0])
    while top + WINDOW_MS <= t_ai[-1] + dt:
        m = (t_ai >= top) & (t_ai < top + WINDOW_MS)
        t_fine, ln_ai = impedance_in_time(t_ai[m], ai[m], dt)
        w = tie_trace(trace, dt, t0, t_fine, ln_ai, wavelet, "statistical", WINDOW_SHIFT_MS, 0.0)
        out.append(
            {
                "top_ms": top,
                "base_ms": top + WINDOW_MS,
                "shift_ms": w.shift_ms,
                "correlation": round(w.corr_shift, 4),
            }
        )
        top += WINDOW_STEP_MS
    return out


SCAN_SHIFT_MS, SCAN_RETIE = 60.0, 3


def line_scan(ws: Workspace, sec: str, tie: Any, first_crossline: int = 0) -> dict[str, Any]:
    """The tied log against every trace of the line: each trace's best correlation after
    a bulk shift (within ±60 ms) and a constant phase, with the default tie's wavelet;
    the best traces then re-tied with the 3 % stretch too. A tie that no trace of the
    line reaches is beyond a shift, a phase and a stretch, wherever the well sits. Traces
    are named by crossline, the first trace's being ``first_crossline``."""
    import numpy as np

    from tools.section import load_section
    from tools.welltie import impedance_in_time, tie_trace

    s = load_section(ws, sec, ndim=(2,))
    dt, t0 = s.dt_ms, float(s.meta.get("t0_ms", 0.0))
    wavelet = ws.load_array(tie.artifacts[1].id)
    ai = ws.load_array(tie.artifacts[3].id)
    t_ai = tie.details["window_top_ms"] + dt * np.arange(len(ai))
    t_fine, ln_ai = impedance_in_time(t_ai, ai, dt)
    corr = [
        tie_trace(trace, dt, t0, t_fine, ln_ai, wavelet, "statistical", SCAN_SHIFT_MS, 0.0)
        for trace in s.data
    ]
    shift = np.array([c.corr_shift for c in corr])
    best = [int(k) for k in np.argsort(shift)[::-1][:SCAN_RETIE]]
    retied = [
        tie_trace(s.data[k], dt, t0, t_fine, ln_ai, wavelet, "statistical", SCAN_SHIFT_MS, 0.03)
        for k in best
    ]
    return {
        "traces": int(len(shift)),
        "max_correlation_shift": round(float(shift.max()), 4),
        "median_correlation_shift": round(float(np.median(shift)), 4),
        "traces_reaching_target": int((shift >= 0.6).sum()),
        "best": [
            {
                "crossline": first_crossline + k,
                "correlation_shift": round(float(shift[k]), 4),
                "correlation_after_stretch": round(r.corr_after, 4),
            }
            for k, r in zip(best, retied, strict=True)
        ],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="docs/results/well_tie.json")
    args = p.parse_args(argv)
    started = provenance()  # the revision that runs
    warnings.simplefilter("ignore", FutureWarning)  # PyLops' convmtx notice
    if not DATA.is_dir():
        print(f"{DATA} is absent; set GEOFM_DATA")
        return 1
    ws = Workspace(tempfile.mkdtemp(prefix="geofm-welltie-"))
    ids = [
        ws.add_file(DATA / n).id
        for n in ("export_inline362.ascii", "F02-1_logs.las", "F02-1_checkshot_TD.txt")
    ]
    sec = REGISTRY.call("read_ascii_section", {"file": ids[0]}, ws).artifacts[0].id
    base = {"data": sec, "file": ids[1], "checkshot": ids[2], "well_position": CROSSLINE}
    rows: list[dict[str, Any]] = []
    results = {}
    print(
        f"{'wavelet':<13}{'traces':>7}{'before':>8}{'shift':>8}{'after':>8}"
        f"{'shift ms':>10}{'stretch %':>11}{'phase':>7}{'time s':>8}"
    )
    for wavelet in ("statistical", "well"):
        for around in (0, 2):
            t0 = time.perf_counter()
            r = ALL.call("tie_well", dict(base, wavelet=wavelet, traces_around=around), ws)
            dt = time.perf_counter() - t0
            if not r.ok:
                raise SystemExit(f"tie_well failed: {r.summary}")
            m = r.metrics
            print(
                f"{wavelet:<13}{2 * around + 1:>7}{m['correlation_before']:>8.3f}"
                f"{m['correlation_shift']:>8.3f}{m['correlation_after']:>8.3f}"
                f"{m['shift_ms']:>10.1f}{m['stretch_pct']:>11.2f}"
                f"{m['wavelet_phase_deg']:>7.0f}{dt:>8.2f}"
            )
            rows.append(
                dict(
                    wavelet=wavelet,
                    traces=2 * around + 1,
                    **{k: round(v, 4) for k, v in m.items()},
                    window_ms=[r.details["window_top_ms"], r.details["window_base_ms"]],
                    density_samples_replaced=int(r.details["density_samples_replaced"]),
                    time_s=round(dt, 2),
                )
            )
            results[(wavelet, around)] = r
    default = rows[0]
    windows = window_shifts(ws, sec, results[("statistical", 0)])
    print(f"\n{'window ms':<14}{'shift ms':>9}{'correlation':>13}   (after the default tie)")
    for w in windows:
        print(
            f"{w['top_ms']:>5.0f}-{w['base_ms']:<8.0f}{w['shift_ms']:>9.1f}{w['correlation']:>13.3f}"
        )
    default_tie = results[("statistical", 0)]
    first = CROSSLINE - int(default_tie.details["well_trace"])  # one trace per crossline
    scan = line_scan(ws, sec, default_tie, first)
    top = scan["best"][0]
    print(
        f"\nevery trace of the line (shift within ±{SCAN_SHIFT_MS:g} ms, constant phase): "
        f"best {scan['max_correlation_shift']:.3f} at crossline {top['crossline']} "
        f"({top['correlation_after_stretch']:.3f} with the stretch), median "
        f"{scan['median_correlation_shift']:.3f}; traces at 0.6 or more: "
        f"{scan['traces_reaching_target']} of {scan['traces']}"
    )
    inversions: list[dict[str, Any]] = []
    for wavelet in ("statistical", "well"):
        tie = results[(wavelet, 0)]
        t0 = time.perf_counter()
        inv = REGISTRY.call(
            "invert_impedance",
            {
                "data": sec,
                "well_log": tie.artifacts[3].id,
                "wavelet": tie.artifacts[1].id,
                "well_position": CROSSLINE,
            },
            ws,
        )
        dt = time.perf_counter() - t0
        if not inv.ok:
            raise SystemExit(f"invert_impedance failed: {inv.summary}")
        m = inv.metrics
        print(
            f"\ninversion with the {wavelet} tie (tied AI log as background, tie wavelet): "
            f"well correlation {m['well_correlation']:.3f} (0-{m['well_band_hz']:.0f} Hz), "
            f"relative {m['well_relative_correlation']:.3f}, data fit "
            f"{m['data_fit_correlation']:.3f}, {dt:.1f} s"
        )
        inversions.append(
            dict(
                tie_wavelet=wavelet,
                well_correlation=round(m["well_correlation"], 4),
                well_relative_correlation=round(m["well_relative_correlation"], 4),
                well_band_hz=round(m["well_band_hz"], 1),
                data_fit_correlation=round(m["data_fit_correlation"], 4),
                time_s=round(dt, 2),
            )
        )
    best = max(float(r["correlation_after"]) for r in rows)
    tie_default = float(rows[0]["correlation_after"])
    well_corr = float(inversions[0]["well_correlation"])
    report = {
        **started,
        "command": "python -m benchmarks.well_tie",
        "data": "F3 inline 362 (crosslines 300-1250, 4 ms), well F02-1 at crossline 336",
        "default": default,
        "rows": rows,
        "inversion": inversions,
        "windows": windows,
        "line_scan": scan,
        "line_scan_note": (
            "the default tie's AI log and wavelet against every trace of the inline: each "
            f"trace's best correlation after a bulk shift within ±{SCAN_SHIFT_MS:g} ms and "
            f"a constant phase; the {SCAN_RETIE} best traces re-tied with a stretch of at "
            "most 3 % too"
        ),
        "windows_note": (
            "the default tie's AI log re-tied in 400 ms windows, each with its own bulk "
            f"shift (within ±{WINDOW_SHIFT_MS:g} ms) and constant phase: the residual shift "
            "and the correlation each window reaches on its own"
        ),
        "targets": {
            "tie_correlation": 0.6,
            "tie_met_default": tie_default >= 0.6,
            "tie_met_any_setting": best >= 0.6,
            "well_correlation": 0.7,
            "well_met": well_corr >= 0.7,
        },
        "blind": False,
        "note": "the inversion is judged at the well whose log built its background",
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1) + "\n")
    print(f"\nreport: {args.out}\nworkspace: {ws.root}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
