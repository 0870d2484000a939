"""The classroom dashboard, tested as people use it: `sim dashboard` serving a small market, opened in
headless Chromium (Debian's, driven by Playwright). One server for the module; each test opens its own
browser context (a separate visitor).

Skips with a reason where Chromium or Playwright is missing; .ci/run installs Chromium so CI runs it.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium installed (apt-get install chromium); .ci/run installs it"
)
SCENARIO = "extends: baseline\nname: small_class\npopulation:\n  size: 3000\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(tmp: Path) -> tuple[subprocess.Popen, str, Path]:
    (tmp / "small_class.yaml").write_text(SCENARIO)
    port = _free_port()
    log = tmp / f"server-{port}.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", "dashboard", str(tmp / "small_class.yaml"), "--port", str(port)],
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 120
    while time.time() < deadline and server.poll() is None:
        try:
            if urllib.request.urlopen(url, timeout=2).status == 200:
                return server, url, log
        except OSError:
            time.sleep(0.3)
    os.killpg(server.pid, signal.SIGKILL)
    pytest.fail("the dashboard did not start:\n" + log.read_text()[-3000:])


def _group(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "-g", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def _cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    proc, url, log = start_server(tmp_path_factory.mktemp("dash"))
    yield proc, url, log
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def open_page(browser, url, width=1600, height=1200):
    ctx = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
    page = ctx.new_page()
    page.goto(url, timeout=120_000)
    page.get_by_text("Week 0 of 104").wait_for(timeout=120_000)
    return ctx, page


def week(page) -> int:
    return int(page.locator(".week-label").inner_text().split()[1])


def test_two_visitors_have_their_own_market_and_closed_tabs_leave_the_server_idle(server, browser):
    proc, url, _ = server
    (c1, p1), (c2, p2) = open_page(browser, url), open_page(browser, url)
    for _ in range(3):
        p1.get_by_role("button", name="Step").click()
        p1.wait_for_timeout(300)
    p2.get_by_role("button", name="Step").click()
    p1.get_by_text("Week 3 of 104").wait_for(timeout=30_000)
    p2.get_by_text("Week 1 of 104").wait_for(timeout=30_000)
    p2.reload()
    p2.get_by_text("Week 0 of 104").wait_for(timeout=60_000)  # a new page is a new market
    assert week(p1) == 3
    assert "Scenario: small_class" in p1.content() and "3,000 customers" in p1.content()
    assert "pyramid" in p1.locator(".sim-caption").all_inner_texts()  # the live customer pyramid (D8)
    # then one of the same pages plays and both close (one pair of pages for both cases: a page costs seconds)
    pids = _group(proc.pid)
    p1.get_by_role("button", name="▶ Play").click()
    p1.wait_for_function("() => !document.body.innerText.includes('Week 3 of')", timeout=60_000)
    w0 = week(p1)
    p1.wait_for_function(f"() => !document.body.innerText.includes('Week {w0} of')", timeout=30_000)
    assert week(p1) > w0, "the tab plays"
    c1.close()
    c2.close()
    time.sleep(2)
    t0 = _cpu_seconds(pids)
    time.sleep(2)
    busy = (_cpu_seconds(pids) - t0) / 2
    assert busy < 0.1, f"the server still uses {busy:.0%} of a core with no page open"


def test_slider_shows_its_value_and_unit_and_a_preset_loads_its_scenario(server, browser):
    _, url, _ = server
    ctx, page = open_page(browser, url)  # one page for both (a page costs seconds)
    value = page.locator(".lever-structural .lever-value")
    assert value.inner_text() == "0.00 per week, per 100,000 people"
    page.locator(".lever-structural [role=slider]").focus()
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    page.get_by_text("2,000 per week, per 100,000 people").wait_for(timeout=30_000)
    assert page.locator(".lever-population .lever-value").inner_text() == "3,000 people"
    page.locator(".v-select", has_text="Preset").click()
    page.locator(".v-list-item", has_text="Scenario: cdnow").click()
    page.wait_for_function("() => document.body.innerText.includes('Scenario: cdnow (2,357 customers')", timeout=60_000)
    assert page.locator(".lever-population .lever-value").inner_text() == "2,357 people"
    assert page.locator(".lever-structural .lever-value").inner_text() == "0.00 per week, per 100,000 people"
    assert "dashboard" in page.title() and "cdnow" in page.title()
    ctx.close()


def test_ab_mode_draws_both_markets_and_the_difference_and_exports(server, browser, tmp_path):
    _, url, _ = server
    ctx, page = open_page(browser, url)
    page.get_by_text("A/B: compare with another preset").click()
    page.locator(".sim-caption", has_text="difference A - B").wait_for(timeout=60_000)
    for _ in range(2):
        page.get_by_role("button", name="Step").click()
        page.wait_for_timeout(300)
    page.get_by_text("Week 2 of 104").wait_for(timeout=30_000)
    captions = page.locator(".sim-caption").all_inner_texts()
    assert {"your strategy: customers", "Scenario: baseline: customers", "difference A - B"} <= set(captions)
    assert {"your strategy: pyramid", "Scenario: baseline: pyramid"} <= set(captions)
    with page.expect_download(timeout=60_000) as dl:
        page.get_by_text("Download timeseries (CSV)").click()
    table = pd.read_csv(io.BytesIO(Path(dl.value.path()).read_bytes()))
    assert {"market", "step", "firm", "customers", "profit", "retention_rate", "pyramid_gold_customers"} <= set(
        table.columns
    )
    assert table["step"].max() == 2 and table["market"].nunique() == 2
    ctx.close()


def test_sigterm_and_sigint_stop_the_whole_server(tmp_path):
    for sig in (signal.SIGTERM, signal.SIGINT):
        proc, url, log = start_server(tmp_path)
        pids = _group(proc.pid)
        assert len(pids) >= 2  # sim dashboard and its solara child
        os.kill(proc.pid, sig)  # the sim process only, as a service manager or `kill` would
        assert proc.wait(timeout=30) == 0
        deadline = time.time() + 15
        while any(Path(f"/proc/{p}").exists() for p in pids) and time.time() < deadline:
            time.sleep(0.2)
        assert not any(Path(f"/proc/{p}").exists() for p in pids), f"{sig.name} left a server process"
        text = log.read_text()
        assert "samesite" not in text and "Cookies" not in text, text  # no cookie warning after a page load
