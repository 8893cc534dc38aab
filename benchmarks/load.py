"""Load test of the chat app: N simulated users for M minutes against the real app.

    python -m benchmarks.load --users 8 --minutes 5 --out results/load.json
    python -m benchmarks.load --users 2 --minutes 1 --no-browser       # a smoke run
    python -m benchmarks.load --concurrency 1 --max-queue 2 ...         # app options

It starts `python app.py` (the embedded model, the default index under $GEOFM_HOME) in a
subprocess on a free loopback port, warms it up (not counted: one literature question
while the model and index load, then each processing request on every tool worker; see
:func:`warmup`), then runs the users, each in its own session as in its own browser tab,
through the HTTP API a browser's chat uses (gradio_client: uploads to /gradio_api/upload,
then the chat handler through Gradio's queue, streamed back). Half the users attach a
SEG-Y from $GEOFM_DATA (copied under a name unique to the user) and ask for processing;
the others ask literature questions. Each waits for its answer, then thinks for a random
0-2 s (seeded) before the next. With Chromium and Playwright, one browser tab also asks
one question through the chat box during the run (--no-browser skips it).

Measured: per kind, requests, answers, busy replies (the app's "server is busy" reply, or
Gradio's queue-full refusal), errors, p50/p95/max latency of the answers; the resident
memory of the app's process tree every second (peak, the first and second half's maxima,
the second half's slope); isolation: every file name, workspace path and user marker in a
reply must be the user's own. Bounded: --minutes, --max-requests, --request-timeout; the
app listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.load_memory import RssSampler, memory_report
from benchmarks.report import ROOT, provenance
from common.paths import geofm_data

__all__ = [
    "LITERATURE",
    "PROCESSING",
    "find_leaks",
    "classify",
    "failure",
    "summarize",
    "table",
    "run",
    "main",
]

# Written for this benchmark, apart from the routing and QA sets.
LITERATURE = [
    "How does normal moveout correction flatten reflections in a CMP gather?",
    "What sets the vertical resolution of seismic data?",
    "Why is acoustic impedance useful when characterising a reservoir?",
    "How do P-waves and S-waves differ?",
    "How does a magnetic survey find buried bodies?",
    "What is the idea behind a DC resistivity survey?",
    "Why would you apply automatic gain control to seismic traces?",
    "How does ground-penetrating radar image the shallow subsurface?",
    "What does full waveform inversion try to minimise?",
    "How is a synthetic seismogram built from well logs?",
]
PROCESSING = [
    "Bandpass this between 10 and 40 Hz and plot it",
    "Denoise this with f-x deconvolution and plot the result",
    "Plot this section",
    "Apply AGC to this and plot it",
    "Remove the random noise from this section and show it",
]
# a user's marker: in its uploaded file's name, so a reply naming it is traced to the user
MARKER = re.compile(r"load-u\d+-[0-9a-f]{8}")
# a chat workspace (app.Sessions: <root>/chat/<session hash>/)
WORKSPACE = re.compile(r"/chat/([A-Za-z0-9_-]{1,64})/")
APP_CONCURRENCY = 2  # app.py's --concurrency default
BUSY_TEXTS = ("The server is busy", "currently busy", "Queue is full")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
CHROMIUM_ARGS += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]


# ---- pure parts ----------------------------------------------------------------------


def strings(obj: Any) -> list[str]:
    """Every string inside a reply (message texts, titles, file paths), depth first."""
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in strings(v)]
    if isinstance(obj, list | tuple):
        return [s for v in obj for s in strings(v)]
    return []


def find_leaks(texts: list[str], own_marker: str, own_session: str | None) -> list[str]:
    """What in ``texts`` belongs to someone else: a user marker other than ``own_marker``,
    a chat workspace other than ``own_session``'s (any, when it is None)."""
    leaks = set()
    for s in texts:
        for m in MARKER.finditer(s):
            if m.group(0) != own_marker:
                leaks.add(f"another user's file {m.group(0)}")
        for m in WORKSPACE.finditer(s):
            if m.group(1) != own_session:
                leaks.add(f"another session's workspace {m.group(1)}")
    return sorted(leaks)


def classify(messages: Any) -> tuple[str, str]:
    """(outcome, detail) of a final chat reply: ``busy`` (the busy reply), ``error`` (an
    internal error, or no answer at all) or ``ok``."""
    texts = strings(messages)
    joined = "\n".join(texts)
    if any(b in joined for b in BUSY_TEXTS):
        return "busy", ""
    if "Something went wrong" in joined:
        line = next(t for t in texts if "Something went wrong" in t)
        return "error", line[:300]
    answers = [
        m
        for m in (messages if isinstance(messages, list) else [])
        if isinstance(m, dict) and isinstance(m.get("content"), str) and not m.get("metadata")
    ]
    if not any(m["content"].strip() for m in answers):
        return "error", "no answer in the reply"
    return "ok", ""


def failure(messages: Any) -> str:
    """The first failed tool step of a reply, as the user sees it (title and result)."""
    for m in messages if isinstance(messages, list) else []:
        title = str((m.get("metadata") or {}).get("title", "")) if isinstance(m, dict) else ""
        if "failed" in title:
            result = str(m.get("content", "")).split("**failed**")[-1]
            return f"{title}: {' '.join(result.split())}"[:300]
    return ""


def _pct(xs: list[float], q: float) -> float | None:
    return round(float(np.percentile(xs, q)), 2) if xs else None


def summarize(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per kind: requests, outcomes, leaks, and p50/p95/max latency of the answers (ok)."""
    out = {}
    for kind in sorted({r["kind"] for r in rows}):
        rs = [r for r in rows if r["kind"] == kind]
        lat = [r["latency_s"] for r in rs if r["outcome"] == "ok"]
        count = {o: sum(r["outcome"] == o for r in rs) for o in ("ok", "busy", "error")}
        out[kind] = {
            "requests": len(rs),
            "answers": count["ok"],
            "busy": count["busy"],
            # of which Gradio's queue-full refusal rather than the app's busy reply
            "queue_full": sum(r.get("detail") == "queue full" for r in rs),
            "errors": count["error"],
            "leaks": sum(bool(r["leaks"]) for r in rs),
            "tool_failures": sum(r.get("tool_failures", 0) for r in rs),
            "p50_s": _pct(lat, 50),
            "p95_s": _pct(lat, 95),
            "max_s": round(max(lat), 2) if lat else None,
        }
    return out


def targets(summary: dict[str, Any], rss: dict[str, Any], max_rss_mb: float) -> dict[str, bool]:
    """The issue's targets: no errors but busy replies, no leaks, peak RSS, flat memory."""
    kinds = summary.values()
    return {
        "no_errors": all(k["errors"] == 0 for k in kinds),
        "no_leaks": all(k["leaks"] == 0 for k in kinds),
        # the warm-up (model and index loading) counts for the peak, not for the plateau
        "peak_rss_ok": max(rss.get("peak_mb", float("inf")), rss.get("peak_mb_with_warmup", 0))
        <= max_rss_mb,
        "rss_flat": bool(rss.get("flat")),
    }


def table(report: dict[str, Any]) -> str:
    """The report as a Markdown table, memory and targets below."""
    rows = [
        "| kind | requests | answers | busy (queue full) | errors | leaks | p50 s | p95 s | max s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for kind, s in report["summary"].items():
        cells = [s["requests"], s["answers"], f"{s['busy']} ({s['queue_full']})"]
        cells += [s["errors"], s["leaks"]]
        cells += [s[k] if s[k] is not None else "—" for k in ("p50_s", "p95_s", "max_s")]
        rows.append(f"| {kind} | " + " | ".join(str(c) for c in cells) + " |")
    m = report["rss"]
    if m.get("flat") is not None:
        rows += [
            "",
            f"app RSS: peak {m['peak_mb']} MB; max {m['first_half_max_mb']} MB in the first "
            f"half, {m['second_half_max_mb']} MB in the second; slope over the second half "
            f"{m['second_half_slope_mb_per_min']} MB/min; flat: {m['flat']}",
        ]
    p = report.get("pss") or {}
    if p.get("flat") is not None:
        rows.append(
            f"app PSS (shared pages counted once): peak {p['peak_mb']} MB; max "
            f"{p['first_half_max_mb']} / {p['second_half_max_mb']} MB in the first / second "
            f"half; slope {p['second_half_slope_mb_per_min']} MB/min; flat: {p['flat']}"
        )
    for key, name in (("rss_app_process", "the app process"), ("rss_workers", "tool workers")):
        q = report.get(key) or {}
        if q.get("flat") is not None:
            rows.append(
                f"RSS of {name}: peak {q['peak_mb']} MB; max {q['first_half_max_mb']} / "
                f"{q['second_half_max_mb']} MB in the first / second half; slope "
                f"{q['second_half_slope_mb_per_min']} MB/min"
            )
    rows.append("targets: " + ", ".join(f"{k} {v}" for k, v in report["targets"].items()))
    return "\n".join(rows)


# ---- the app and its users -----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(app_args: list[str], log: Path, timeout_s: float = 300) -> tuple[Any, str]:
    """`python app.py` on a free loopback port; (process, URL) once the page answers."""
    port = free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    cmd = [sys.executable, "app.py", "--host", "127.0.0.1", "--port", str(port), *app_args]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    t0 = time.monotonic()
    while True:
        try:
            urllib.request.urlopen(url, timeout=5)
            return proc, url
        except OSError:
            if proc.poll() is not None or time.monotonic() - t0 > timeout_s:
                stop_app(proc)
                raise RuntimeError(f"app.py did not come up:\n{log.read_text()[-3000:]}") from None
            time.sleep(1)


def stop_app(proc: Any) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def ask(client: Any, text: str, files: list[str], timeout_s: float) -> tuple[str, str, Any]:
    """One chat request through the app's queue: (outcome, detail, reply)."""
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    message = {"text": text, "files": [handle_file(f) for f in files]}
    try:
        job = client.submit(message, True, 4, 4, api_name="/respond")
        reply = job.result(timeout=timeout_s)
    except FutureTimeout:
        return "error", f"no answer within {timeout_s:g} s", None
    except (AppError, ValueError, OSError) as e:
        if any(b in str(e) for b in BUSY_TEXTS):  # Gradio's queue-full refusal
            return "busy", "queue full", None
        return "error", f"{type(e).__name__}: {e}"[:300], None
    except Exception as e:
        if type(e).__name__ == "QueueError" or any(b in str(e) for b in BUSY_TEXTS):
            return "busy", "queue full", None
        return "error", f"{type(e).__name__}: {e}"[:300], None
    outcome, detail = classify(reply)
    return outcome, detail, reply


def warmup(url: str, segy: Path, scratch: Path, cfg: argparse.Namespace) -> None:
    """Bring the app to its working state before the timed part: one literature question
    (the model and index load), then every processing request as many times at once as
    the app runs requests (its --concurrency, 2 by default), so that each tool worker has
    loaded what each kind of request needs. Memory taken then is a one-time cost, not
    growth under load.

    Raises:
        RuntimeError: a warm-up request did not get an answer (the run stops).
    """
    from gradio_client import Client

    warm = scratch / f"warmup{segy.suffix}"
    shutil.copyfile(segy, warm)
    jobs: list[tuple[str, list[str]]] = [(LITERATURE[0], [])] + [
        (q, [str(warm)]) for q in PROCESSING
    ]

    def one(job: tuple[str, list[str]]) -> tuple[str, str, Any]:
        return ask(Client(url, verbose=False), job[0], job[1], cfg.request_timeout)

    at_once = cfg.concurrency or APP_CONCURRENCY
    with ThreadPoolExecutor(max_workers=at_once) as pool:
        for text, files in jobs:
            out = list(pool.map(one, [(text, files)] * (at_once if files else 1)))
            failed = [detail for outcome, detail, _ in out if outcome != "ok"]
            if failed:
                raise RuntimeError(f"the warm-up request {text!r} failed: {failed}")


def user(
    i: int,
    kind: str,
    url: str,
    segy: Path,
    scratch: Path,
    cfg: argparse.Namespace,
    deadline: float,
    budget: dict[str, Any],
    rows: list[dict[str, Any]],
    t_start: float,
) -> None:
    """One simulated user in its own session until the deadline or the request budget."""
    from gradio_client import Client

    rng = random.Random(cfg.seed * 1000 + i)
    marker = f"load-u{i}-{rng.getrandbits(32):08x}"
    mine = scratch / f"{marker}{segy.suffix}"
    shutil.copyfile(segy, mine)
    client = Client(url, verbose=False, download_files=False)
    session = client.session_hash
    questions = PROCESSING if kind == "processing" else LITERATURE
    while time.monotonic() < deadline:
        with budget["lock"]:
            if budget["left"] <= 0:
                return
            budget["left"] -= 1
        text = rng.choice(questions)
        files = [str(mine)] if kind == "processing" else []
        t0 = time.monotonic()
        outcome, detail, reply = ask(client, text, files, cfg.request_timeout)
        texts = strings(reply)
        rows.append(
            {
                "user": i,
                "kind": kind,
                "t_s": round(t0 - t_start, 2),
                "latency_s": round(time.monotonic() - t0, 3),
                "question": text,
                "outcome": outcome,
                "detail": detail,
                "leaks": find_leaks(texts, marker, session),
                "own_marker": any(marker in s for s in texts),
                "tool_failures": sum("⚠️ failed" in s for s in texts),
                "first_failure": failure(reply),
            }
        )
        time.sleep(rng.uniform(*cfg.think))


def browser_request(url: str, cfg: argparse.Namespace, t_start: float) -> dict[str, Any]:
    """One visible question in a real Chromium tab through the chat box."""
    chromium = os.environ.get("GEOFM_CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).exists():
        return {"skipped": f"no Chromium at {chromium}"}
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"skipped": "playwright is not installed (pip install -e '.[dev]')"}
    question = LITERATURE[0]
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = b.new_page(viewport={"width": 1280, "height": 900})
            # loopback only: the page's requests elsewhere (web fonts) are dropped
            page.route(
                "**/*",
                lambda r: r.continue_() if r.request.url.startswith(url) else r.abort(),
            )
            page.set_default_timeout(cfg.request_timeout * 1000)
            page.goto(url)
            page.locator("#ask textarea").wait_for()
            t0 = time.monotonic()
            page.locator("#ask textarea").fill(question)
            page.locator("#ask textarea").press("Enter")
            page.wait_for_timeout(1000)
            page.locator("#ask [data-testid=submit-button]").wait_for()  # answer done
            latency = time.monotonic() - t0
            chat = page.locator("#chat")
            text, html = chat.inner_text(), chat.inner_html()
            toast = page.locator("body").inner_text()
            if cfg.screenshot:
                page.screenshot(path=cfg.screenshot)
        finally:
            b.close()
    outcome, detail = "ok", ""
    if any(s in text for s in BUSY_TEXTS):
        outcome = "busy"
    elif any(s in toast for s in BUSY_TEXTS):  # Gradio's refusal, in a pop-up
        outcome, detail = "busy", "queue full"
    elif "Something went wrong" in text:
        outcome, detail = "error", text[-300:]
    elif question not in text or len(text.split(question, 1)[1].strip()) < 20:
        outcome, detail = "error", "no answer in the chat"
    return {
        "kind": "browser",
        "user": "browser",
        "t_s": round(t0 - t_start, 2),
        "latency_s": round(latency, 3),
        "question": question,
        "outcome": outcome,
        "detail": detail,
        # a literature question: no file or workspace of anyone's may show
        "leaks": find_leaks([text, html], "", None),
        "tool_failures": 0,
    }


def run(cfg: argparse.Namespace) -> dict[str, Any]:
    """Start the app, warm it up, run the users (and the browser), stop it; the report."""
    segy = Path(cfg.segy)
    if not segy.exists():
        raise SystemExit(f"{segy} is absent: set GEOFM_DATA to the shared data (or --segy)")
    app_args = []
    if cfg.concurrency is not None:
        app_args += ["--concurrency", str(cfg.concurrency)]
    if cfg.max_queue is not None:
        app_args += ["--max-queue", str(cfg.max_queue)]
    scratch = Path(tempfile.mkdtemp(prefix="geofm-load-"))
    load_before = os.getloadavg()[0]
    proc, url = start_app(app_args, scratch / "app.log")
    sampler = RssSampler(proc.pid)
    sampler.start()
    rows: list[dict[str, Any]] = []
    try:
        t0 = time.monotonic()
        warmup(url, segy, scratch, cfg)
        warmup_s = time.monotonic() - t0
        t_start = time.monotonic()
        deadline = t_start + cfg.minutes * 60
        budget: dict[str, Any] = {"left": cfg.max_requests, "lock": threading.Lock()}
        kinds = ["processing" if i % 2 == 0 else "literature" for i in range(cfg.users)]
        threads = [
            threading.Thread(
                target=user,
                args=(i, k, url, segy, scratch, cfg, deadline, budget, rows, t_start),
                daemon=True,
            )
            for i, k in enumerate(kinds)
        ]
        for t in threads:
            t.start()
        browser: dict[str, Any] = {"skipped": "--no-browser"}
        if not cfg.no_browser:
            time.sleep(min(cfg.minutes * 60 / 3, 60))  # in the thick of it
            try:
                browser = browser_request(url, cfg, t_start)
            except Exception as e:  # a browser that fails is reported, not fatal
                browser = {"kind": "browser", "user": "browser", "outcome": "error"}
                browser.update(detail=f"{type(e).__name__}: {e}"[:300], leaks=[], t_s=0)
                browser.update(latency_s=0.0)
            if "skipped" not in browser:
                rows.append(browser)
        for t in threads:
            t.join(timeout=max(0.0, deadline - time.monotonic()) + cfg.request_timeout + 30)
        t_end = time.monotonic()
    finally:
        sampler.done.set()
        stop_app(proc)
        sampler.join(timeout=5)
        log_tail = (scratch / "app.log").read_text(errors="replace")[-2000:]
        shutil.rmtree(scratch, ignore_errors=True)
    memory = memory_report(sampler, t_start, t_end)
    summary = summarize(rows)
    report = {
        "users": cfg.users,
        "minutes": cfg.minutes,
        "app_args": app_args or "app defaults",
        "think_s": list(cfg.think),
        "seed": cfg.seed,
        "segy": segy.name,
        "warmup_s": round(warmup_s, 1),
        "wall_s": round(t_end - t_start, 1),
        # other work on the machine slows every answer: latency is comparable only
        # between runs on an otherwise quiet machine (1-minute load average, 2 cores)
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
        "summary": summary,
        **memory,
        "targets": targets(summary, memory["rss"], cfg.max_rss_mb),
        "browser": "skipped: " + browser["skipped"] if "skipped" in browser else "ran",
        "leak_examples": [r["leaks"] for r in rows if r["leaks"]][:10],
        "error_examples": [r["detail"] for r in rows if r["outcome"] == "error"][:10],
        "rows": sorted(rows, key=lambda r: r["t_s"]),
    }
    if report["error_examples"]:
        report["app_log_tail"] = log_tail
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.load",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--users", type=int, default=8, help="simulated users (half processing)")
    ap.add_argument("--minutes", type=float, default=5.0, help="how long the users ask")
    ap.add_argument("--think", type=float, nargs=2, default=(0.0, 2.0), metavar=("MIN", "MAX"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-requests", type=int, default=2000, help="stop after this many")
    ap.add_argument("--request-timeout", type=float, default=600.0, help="seconds per answer")
    ap.add_argument("--concurrency", type=int, default=None, help="app.py --concurrency")
    ap.add_argument("--max-queue", type=int, default=None, help="app.py --max-queue")
    ap.add_argument(
        "--segy",
        default=str(geofm_data() / "data" / "segy" / "npra_31_81.sgy"),
        help="the SEG-Y the processing users upload",
    )
    ap.add_argument("--no-browser", action="store_true", help="no Playwright Chromium tab")
    ap.add_argument("--screenshot", default=None, help="save the browser tab's screenshot")
    ap.add_argument("--max-rss-mb", type=float, default=4096, help="the peak RSS target")
    ap.add_argument("--out", default=None, help="write the JSON report here")
    cfg = ap.parse_args(argv)
    if cfg.users < 1 or cfg.minutes <= 0 or cfg.think[0] < 0 or cfg.think[1] < cfg.think[0]:
        ap.error("need --users >= 1, --minutes > 0 and 0 <= --think MIN <= MAX")
    started = provenance()  # the revision that runs
    command = " ".join(["python -m benchmarks.load", *(sys.argv[1:] if argv is None else argv)])
    report = {**started, "command": command, **run(cfg)}
    if cfg.out:
        Path(cfg.out).parent.mkdir(parents=True, exist_ok=True)
        Path(cfg.out).write_text(json.dumps(report, indent=1, ensure_ascii=False))
    print(table(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
