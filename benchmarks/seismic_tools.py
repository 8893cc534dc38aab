"""Measure the seismic tools: denoiser SNR gains and run times, inversion accuracy, real files.

Usage::

    .venv/bin/python -m benchmarks.seismic_tools            # everything (~30 s on 2 cores)
    .venv/bin/python -m benchmarks.seismic_tools --no-real  # synthetic parts only

Prints measured tables; nothing is hard-coded. Real data are read from $GEOFM_DATA/data
(default ../shared/data beside the project root) and skipped, with a note, when absent.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings

import numpy as np

from common.paths import geofm_data
from tools import REGISTRY, Workspace
from tools.denoise import dip_median, fx_deconvolution, fx_rank_reduction
from tools.filters import bandpass_traces
from tools.inversion import background_from_model, invert_poststack, wavelet_band_hz
from tools.metrics import correlation, estimate_snr_db, snr_db
from tools.synthetic import add_noise, make_section

DATA = geofm_data() / "data"


def _denoisers(n_traces: int, n_samples: int, seed: int) -> None:
    s = make_section(n_traces, n_samples, 4.0, seed=seed)
    noisy, _ = add_noise(s.clean, "random", 0.0, seed=seed + 1)
    base = snr_db(s.clean, noisy)
    print(
        f"\n## Denoisers: synthetic {n_traces}x{n_samples} (4 ms, 25 Hz Ricker, folds + "
        f"faults), white noise, input SNR {base:.1f} dB"
    )
    print(f"{'method':<34}{'SNR out dB':>11}{'gain dB':>9}{'est. gain':>10}{'time s':>8}")
    cases = [
        ("bandpass 3-60 Hz (baseline)", lambda d: bandpass_traces(d, 4.0, 3, 60)),
        ("f-x decon (Canales), L=4", lambda d: fx_deconvolution(d, 4.0)),
        ("f-x rank reduction, rank 1", lambda d: fx_rank_reduction(d, 4.0, rank=1)),
        ("f-x rank reduction, rank 2", lambda d: fx_rank_reduction(d, 4.0, rank=2)),
        ("median 5x3", lambda d: dip_median(d, 2, 1, dip_steered=False)),
        ("dip-steered median 5x3", lambda d: dip_median(d, 2, 1, dip_steered=True)),
    ]
    est0 = estimate_snr_db(noisy)
    for name, fn in cases:
        t0 = time.perf_counter()
        out = fn(noisy)
        dt = time.perf_counter() - t0
        snr = snr_db(s.clean, out)
        print(
            f"{name:<34}{snr:>11.1f}{snr - base:>+9.1f}{estimate_snr_db(out) - est0:>+10.1f}"
            f"{dt:>8.2f}"
        )


def _inversion_synthetic(seed: int) -> None:
    s = make_section(200, 300, 4.0, seed=seed)
    m0 = background_from_model(s.impedance, 4.0, 4.0)
    band = bandpass_traces(np.log(s.impedance) - m0, 4.0, 0, wavelet_band_hz(s.wavelet, 4.0))
    print("\n## Inversion of a noise-free synthetic 200x300 (true wavelet, 4 Hz background)")
    print(
        f"{'mode':<10}{'corr rel. (band)':>17}{'corr rel. (full)':>17}{'corr AI':>9}{'time s':>8}"
    )
    print(f"{'background only':<27}{'':>17}{correlation(np.exp(m0), s.impedance):>9.3f}")
    for mode in ("trace", "spatial"):
        t0 = time.perf_counter()
        ai = invert_poststack(s.clean, s.wavelet, m0, mode)
        dt = time.perf_counter() - t0
        rel = np.log(ai) - m0
        print(
            f"{mode:<10}{correlation(rel, band):>17.3f}"
            f"{correlation(rel, np.log(s.impedance) - m0):>17.3f}"
            f"{correlation(ai, s.impedance):>9.3f}{dt:>8.2f}"
        )


def _real_f3(ws) -> None:
    d = DATA / "f3_inline362"
    ids = [
        ws.add_file(d / n).id
        for n in ("export_inline362.ascii", "F02-1_logs.las", "F02-1_checkshot_TD.txt")
    ]
    crop = ws.add_file(DATA / "segy" / "f3_crop.sgy").id
    sec = REGISTRY.call("read_ascii_section", {"file": ids[0]}, ws)
    log = REGISTRY.call("read_well_log", {"file": ids[1], "checkshot": ids[2]}, ws)
    loc = REGISTRY.call("locate_well", {"survey": crop, "x": 606554.0, "y": 6080126.0}, ws)
    print("\n## Real: F3 inline 362, well F02-1")
    print(f"- {loc.summary}")
    xl = int(round(loc.metrics["crossline"]))
    print(
        f"{'regularization':<16}{'tie corr':>9}{'well corr AI':>13}{'well corr rel.':>15}"
        f"{'band Hz':>8}{'time s':>8}  figure"
    )
    for reg in ("trace", "spatial"):
        t0 = time.perf_counter()
        r = REGISTRY.call(
            "invert_impedance",
            {
                "data": sec.artifacts[0].id,
                "well_log": log.artifacts[1].id,
                "well_position": xl,
                "regularization": reg,
            },
            ws,
        )
        dt = time.perf_counter() - t0
        if not r.ok:
            print(f"{reg:<16} failed: {r.summary}")
            continue
        m = r.metrics
        print(
            f"{reg:<16}{m['well_tie_correlation']:>9.2f}{m['well_correlation']:>13.2f}"
            f"{m['well_relative_correlation']:>15.2f}{m['well_band_hz']:>8.0f}{dt:>8.2f}  "
            f"{r.artifacts[-1].path}"
        )


def _real_files(ws) -> None:
    print("\n## Real SEG-Y files: open, read, plot; bad files must fail clearly")
    for name in (
        "f3_crop.sgy",
        "npra_31_81.sgy",
        "land_shot_gather.sgy",
        "broken_truncated.sgy",
        "long_no_geometry.sgy",
    ):
        fid = ws.add_file(DATA / "segy" / name).id
        t0 = time.perf_counter()
        info = REGISTRY.call("segy_info", {"file": fid}, ws)
        if not info.ok:
            print(f"- {name}: refused -> {info.summary[:200]}")
            continue
        args = {"file": fid, "inline": 122} if name == "f3_crop.sgy" else {"file": fid}
        arr = REGISTRY.call("read_segy", args, ws)
        fig = REGISTRY.call("plot_section", {"data": arr.artifacts[0].id}, ws)
        print(
            f"- {name}: {info.summary.split(': ', 1)[1]}; plot {fig.ok} "
            f"({time.perf_counter() - t0:.2f} s) {fig.artifacts[0].path if fig.ok else ''}"
        )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--no-real", action="store_true", help="skip the real-data cases ($GEOFM_DATA/data)"
    )
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    warnings.simplefilter("ignore", FutureWarning)  # PyLops' convmtx notice

    _denoisers(300, 500, args.seed)
    _inversion_synthetic(args.seed)
    if args.no_real:
        return 0
    if not DATA.is_dir():
        print(f"\n(real-data cases skipped: {DATA} is absent)")
        return 0
    ws = Workspace(tempfile.mkdtemp(prefix="geofm-bench-"))
    _real_f3(ws)
    _real_files(ws)
    print(f"\nworkspace: {ws.root}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
