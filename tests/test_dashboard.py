"""The classroom dashboard, tested as a person uses it: start `sim dashboard`, open it in headless
Chromium (Debian's, driven by Playwright), move a slider, reset, step, and see a plot change.

Skips with a reason where Chromium or Playwright is missing; .ci/run installs Chromium so CI runs it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_dashboard_views_render_for_a_model():
    """The views draw from a model's aggregates, for a small and a large population (no browser needed)."""
    from sim.dashboard.app import COMPONENTS, DashboardMarket, network_sample

    m = DashboardMarket(population_size=3000, structural_spend=5000.0, loyalty_programme=True, rival_price_war=True)
    m.run(5)
    xy, edges = network_sample(m)
    assert len(xy) == 2000 and len(edges) > 1000  # a sample, never every customer
    assert m.timeseries()["price"].min() < 0.9  # the rival's price war is on
    assert {c.__name__ for c, _ in COMPONENTS} >= {"CustomersView", "MarketsView", "NetworkView", "StagesView"}
    big = DashboardMarket(population_size=200_000)
    assert len(network_sample(big)[0]) == 2000


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (apt-get install chromium); .ci/run installs it")
def test_dashboard_in_a_real_browser(tmp_path):
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", "dashboard", "--port", str(port)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(url, timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the dashboard did not start:\n" + (tmp_path / "server.log").read_text()[-3000:])
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1400})
            page.goto(url, timeout=120_000)
            page.wait_for_function("() => document.querySelectorAll('img').length >= 7", timeout=120_000)
            page.get_by_role("button", name="Step").wait_for(timeout=60_000)

            def plots() -> list[str]:
                return page.eval_on_selector_all("img", "els => els.map(e => e.src)")

            before = plots()
            assert len(before) >= 6, "every view draws a figure"
            # move a slider: the focal firm's structural-bond spend (keyboard on the slider thumb, as a person
            # without a mouse would), then reset so the model is rebuilt with it
            slider = page.locator(".v-input", has_text="structural bonds").locator("[role=slider]")
            slider.focus()
            for _ in range(10):
                page.keyboard.press("ArrowRight")
            assert slider.get_attribute("aria-valuenow") == "5000"
            page.get_by_role("button", name="Reset").click()
            page.wait_for_timeout(2000)
            for _ in range(3):
                page.get_by_role("button", name="Step").click()
                page.wait_for_timeout(1500)
            page.wait_for_function("n => document.querySelectorAll('img').length >= n", arg=len(before))
            deadline = time.time() + 60
            after = plots()
            while after == before and time.time() < deadline:
                page.wait_for_timeout(500)
                after = plots()
            assert after != before, "stepping the model must change the plots"
            page.get_by_text("Time: 3.0").wait_for(timeout=30_000)  # three steps were taken
            shot = tmp_path / "dashboard.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 50_000
            if os.environ.get("SIM_UPDATE_SCREENSHOT"):
                shutil.copy(shot, ROOT / "docs" / "dashboard.png")
            browser.close()
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
        log.close()
