"""The chat app end to end: a real server, headless Chromium driven by Playwright, and an
MCP client.

The chat model is scripted (agent/fake.py) so the tool plan is exact; everything else is
real: uploads, the agent loop, the tools, the default literature index that `make prepare`
built under $GEOFM_HOME, streaming into the browser, downloads, MCP over HTTP.

Needs Chromium from the system (`apt-get install -y chromium`; Playwright's own browser
download is not used). Without it the browser tests skip, unless GEOFM_REQUIRE_E2E=1
(set by .ci/run), which turns the skip into a failure. GEOFM_SCREENSHOTS=DIR saves
screenshots of each step there (`make screenshots` refreshes docs/screenshots). The
`slow` test does the same with the embedded model instead of the scripted one.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import re
import shutil
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REAL_GEOFM_HOME, SHARED

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

CHROMIUM = os.environ.get("GEOFM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REQUIRED = os.environ.get("GEOFM_REQUIRE_E2E") == "1"
MAX_UPLOAD_MB = 1
LITERATURE_Q = "What does normal moveout correction do?"
WAIT_MS = 45_000


def unavailable(why: str):
    """Skip, or fail when CI says the end-to-end tests must run."""
    if REQUIRED:
        pytest.fail(f"{why} (GEOFM_REQUIRE_E2E=1)")
    pytest.skip(why)


def shot(page, name: str) -> None:
    """Save a screenshot when GEOFM_SCREENSHOTS names a folder (256 colours: small PNGs)."""
    out = os.environ.get("GEOFM_SCREENSHOTS")
    if out:
        from PIL import Image

        Path(out).mkdir(parents=True, exist_ok=True)
        image = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
        image.quantize(256).save(Path(out) / f"{name}.png", optimize=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(sessions):
    """The app for ``sessions`` on a free port, in this process; yields its URL."""
    import app

    demo = app.build_app(sessions, mcp=True, max_upload_mb=MAX_UPLOAD_MB)
    port = free_port()
    demo.queue(default_concurrency_limit=2).launch(
        server_name="127.0.0.1",
        server_port=port,
        prevent_thread_lock=True,
        quiet=True,
        max_file_size=f"{MAX_UPLOAD_MB}mb",
        mcp_server=True,
        allowed_paths=[str(sessions.chat_root)],
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        demo.close()
        shutil.rmtree(sessions.root, ignore_errors=True)


# ---- fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def default_index():
    """The real default literature index, read where `make prepare` built it."""
    from corpus import Index, _default_hash

    d = REAL_GEOFM_HOME / "index" / "default"
    m = d / "manifest.json"
    if not m.exists() or json.loads(m.read_text()).get("corpus_hash") != _default_hash():
        unavailable(f"no up-to-date default index at {d}; run `make prepare` first")
    return Index.load(d)


@pytest.fixture(scope="module")
def server(default_index):
    """The app on a free port, in this process: (url, scripted model, index, sessions)."""
    import app
    from agent.fake import ScriptedChatModel

    model = ScriptedChatModel()
    sessions = app.Sessions(chat_model=model, index=default_index)
    with serve(sessions) as url:
        yield url, model, default_index, sessions


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        unavailable(
            f"no Chromium at {CHROMIUM}; install it with `sudo apt-get install -y "
            "chromium` (Debian/Ubuntu) or point GEOFM_CHROMIUM at a Chromium binary"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed; `pip install -e '.[dev]'`")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@contextlib.contextmanager
def open_page(browser, url: str, timeout_ms: int = WAIT_MS):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    page.goto(url)
    page.locator("#ask textarea").wait_for()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def page(browser, server):
    with open_page(browser, server[0]) as page:
        yield page


@pytest.fixture
def segy() -> Path:
    f = SHARED / "data" / "segy" / "f3_crop.sgy"
    if not f.exists():
        unavailable(f"{f} is absent (a fresh user clone; set GEOFM_DATA); CI has it")
    return f


def ask(page, text: str, files: list[Path] = ()) -> None:
    box = page.locator("#ask")
    if files:
        box.locator("input[type=file]").set_input_files([str(f) for f in files])
        # the upload finished when each file has its thumbnail
        box.locator("[aria-label='File thumbnail']").nth(len(files) - 1).wait_for()
    box.locator("textarea").fill(text)
    box.locator("textarea").press("Enter")


def finished(page) -> None:
    """Wait until the answer has finished streaming: the submit button, hidden while the
    app answers, is back."""
    page.wait_for_timeout(1000)
    page.locator("#ask [data-testid=submit-button]").wait_for()


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# ---- tests -------------------------------------------------------------------------------


def test_upload_denoise_plot_then_cited_literature_answer(page, server, segy):
    url, model, index, _ = server
    chat = page.locator("#chat")
    model.enqueue_tool_call("read_segy", {"file": "ws-1"})
    model.enqueue_tool_call("fx_decon", {"data": "ws-2"})  # figure ws-4
    model.enqueue_tool_call("plot_section", {"data": "ws-3"})  # figure ws-5
    model.enqueue(
        "I read the cube, attenuated the random noise with f-x deconvolution and "
        "plotted the result."
    )
    ask(
        page, "Remove the random noise from this section with f-x deconvolution and plot it", [segy]
    )

    # each tool call is a finished, collapsible step; both figures appear inline
    for name in ("read_segy", "fx_decon", "plot_section"):
        chat.get_by_text(f"🛠 {name} ✅").wait_for()
    # the answer is the tools' own report, not the model's closing text
    chat.get_by_text("f-x deconvolution", exact=False).last.wait_for()
    chat.get_by_text("Next, you could ask", exact=False).wait_for()
    assert chat.get_by_text("plotted the result").count() == 0
    images = chat.locator("img[src*='ws-4'], img[src*='ws-5']")
    assert images.count() == 2
    for i in range(2):
        assert images.nth(i).evaluate("img => img.complete && img.naturalWidth > 100")
    chat.get_by_text("📚 Sources (4)").first.wait_for()

    # open the f-x decon step: its arguments, result and a download of the array
    chat.get_by_text("🛠 fx_decon ✅").click()
    step = chat.locator("[data-testid=bot]").filter(has_text="f-x decon ws-2 -> ws-3")
    step.get_by_text('"data": "ws-2"').wait_for()
    link = step.get_by_role("link", name="ws-3.npy")
    href = link.get_attribute("href")
    response = page.request.get(url + href if href.startswith("/") else href)
    assert response.ok
    assert np.load(io.BytesIO(response.body())).shape == (23, 18, 75)  # inline x xline x t
    step.scroll_into_view_if_needed()
    shot(page, "tool-step-scripted")

    # a literature question: the answer's [n] are passages the real index retrieved
    hits = index.search(LITERATURE_Q, k=4)
    model.enqueue(
        "Normal moveout correction removes the offset-dependent part of the "
        "reflection traveltime [1], so that events line up for stacking [2]."
    )
    ask(page, LITERATURE_Q)
    chat.get_by_text("line up for stacking [2]").wait_for()
    answer = squash(chat.locator("[data-testid=bot]").last.inner_text())
    assert "References" in answer
    for n, hit in ((1, hits[0]), (2, hits[1])):
        assert f"[{n}] {squash(hit.citation)[:50]}" in answer
    assert "[3]" not in answer  # only cited passages are listed
    prompt = " ".join(str(m.content) for m in model.seen[-1])
    assert hits[0].text[:80] in prompt  # the model was given the retrieved passages


def test_file_example_runs(page, server):
    """The example on the bundled synthetic SEG-Y fills in text and file, and runs."""
    model = server[1]
    model.enqueue_tool_call("read_segy", {"file": "ws-1"})
    model.enqueue_tool_call("plot_section", {"data": "ws-2"})
    model.enqueue("Here is the section.")
    page.get_by_text("Plot this section (a noisy synthetic SEG-Y line)").click()
    page.locator("#ask [aria-label='File thumbnail']").wait_for()
    page.locator("#ask textarea").press("Enter")
    chat = page.locator("#chat")
    chat.get_by_text("🛠 plot_section ✅").wait_for()
    chat.get_by_text("Next, you could ask", exact=False).wait_for()
    assert chat.locator("img[src*='ws-3']").count() == 1
    step = chat.locator("[data-testid=bot]").filter(has_text="read_segy").first
    assert "n_traces = 80" in step.get_attribute("aria-label")  # the example's 80-trace line


def test_upload_limit_and_pdf_get_clear_messages(page, server, tmp_path):
    big = tmp_path / "big.sgy"
    big.write_bytes(b"\0" * (MAX_UPLOAD_MB * 2**20 + 1))
    page.locator("#ask input[type=file]").set_input_files(str(big))
    page.get_by_text(re.compile("exceed the maximum allowed size")).wait_for()

    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    ask(page, "", [pdf])
    page.locator("#chat").get_by_text("PDFs are not read in the chat yet").wait_for()
    # the chat still works after both
    server[1].enqueue("Still here.")
    ask(page, "Are you there?")
    page.locator("#chat").get_by_text("Still here.").wait_for()


def test_closing_the_tab_deletes_its_workspace(browser, server):
    chat_root = server[3].chat_root
    before = set(chat_root.iterdir())
    with open_page(browser, server[0]) as page:
        server[1].enqueue("Hello.")
        ask(page, "Hi?")
        page.locator("#chat").get_by_text("Hello.").wait_for()
        (mine,) = set(chat_root.iterdir()) - before
        assert mine.is_dir()
    for _ in range(50):  # the server hears of the closed tab within a moment
        if not mine.exists():
            break
        time.sleep(0.2)
    assert not mine.exists()


def test_tools_over_mcp(server):
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    from tools import REGISTRY

    async def session() -> dict:
        async with (
            streamablehttp_client(server[0] + "/gradio_api/mcp/") as (r, w, _),
            ClientSession(r, w) as s,
        ):
            await s.initialize()
            tools = {t.name: t for t in (await s.list_tools()).tools}
            mine = (await s.call_tool("geofm_new_session", {})).content[0].text
            other = (await s.call_tool("geofm_new_session", {})).content[0].text
            calls = {}
            for name, args in [
                ("make_synthetic", {"n_traces": 48, "n_samples": 100}),
                ("fx_decon", {"data": "ws-1", "fmax_hz": None}),
                ("geofm_get_file", {"item_id": "ws-6"}),
                ("read_segy", {"file": "ws-1", "session": other}),
                ("segy_info", {"file": "ws-1", "session": "e2e"}),
            ]:
                calls[name] = await s.call_tool(name, {"session": mine, **args})
            return {"tools": tools, "calls": calls, "token": mine}

    out: dict = {}
    # its own thread: the Playwright fixtures own an event loop in this one
    t = threading.Thread(target=lambda: out.update(asyncio.run(session())))
    t.start()
    t.join(timeout=120)
    tools, calls = out["tools"], out["calls"]
    assert set(REGISTRY.names()) <= set(tools)
    fx = tools["fx_decon"]
    assert "Canales" in fx.description
    assert fx.inputSchema["required"] == ["data"]
    assert "in Hz" in fx.inputSchema["properties"]["fmin_hz"]["description"]
    assert "session" in fx.inputSchema["properties"]
    assert "artifact ws-6 (figure)" in calls["fx_decon"].content[0].text
    assert calls["geofm_get_file"].content[0].type == "image"
    assert calls["read_segy"].content[0].text.startswith("Error: unknown workspace id 'ws-1'")
    assert calls["segy_info"].content[0].text.startswith("Error: unknown session token")
    assert len(out["token"]) >= 43  # 256 random bits, URL-safe base64


@contextlib.contextmanager
def app_process(port: int, env: dict, log: Path):
    """`python app.py` in a subprocess (as `make app` runs it); yields its URL when up."""
    import subprocess
    import sys
    import urllib.request

    root = Path(__file__).resolve().parents[1]
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "app.py", "--port", str(port), "--max-upload-mb", str(MAX_UPLOAD_MB)],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        t0 = time.monotonic()
        while True:
            try:
                urllib.request.urlopen(url, timeout=5)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() - t0 > 180:
                    pytest.fail(f"app.py did not come up:\n{log.read_text()[-3000:]}")
                time.sleep(1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.mark.slow
def test_embedded_model_in_the_browser(browser, default_index, segy, monkeypatch, tmp_path):
    """`python app.py` with the embedded model (SmolLM2-135M + geofm LoRA) that `make
    prepare` converted: a cited literature answer, then a plot of an uploaded file. The
    server runs in its own process, as `make app` runs it."""
    from agent.config import ModelConfig
    from agent.models import embedded_gguf, resolve_model_dir

    monkeypatch.setenv("GEOFM_HOME", str(REAL_GEOFM_HOME))  # read the prepared model there
    if not (resolve_model_dir(ModelConfig(), prepare=False) / "config.json").exists():
        unavailable(f"{embedded_gguf().stem} is not prepared; run `make prepare` first")
    hits = default_index.search(LITERATURE_Q, k=4)
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    with (
        app_process(free_port(), env, tmp_path / "app.log") as url,
        open_page(browser, url, timeout_ms=300_000) as page,
    ):
        chat = page.locator("#chat")
        ask(page, LITERATURE_Q)
        chat.get_by_text("References").wait_for()
        answer = squash(chat.locator("[data-testid=bot]").last.inner_text())
        cited = [n for n, h in enumerate(hits, 1) if f"[{n}] {squash(h.citation)[:50]}" in answer]
        assert cited, answer  # the reference list names passages the index retrieved
        shot(page, "literature")

        ask(page, "Plot this section", [segy])
        chat.get_by_text("🛠 plot_section ✅").wait_for()
        chat.locator("img[src$='.png']").first.wait_for()
        finished(page)
        shot(page, "plot")
