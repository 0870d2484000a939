"""The classroom dashboard's speed at 10,000 customers: where a played week's time goes, then weeks per
second while playing in Chromium (the default speed, then as fast as possible).

    python -m benchmarks.dashboard            # needs Debian's chromium and playwright (the test extras)

Prints the host line first; run it on an idle machine (``flock``/``cpu -x`` where the machine is shared).
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.host import describe, line

ROOT = Path(__file__).resolve().parents[1]
N = 10_000


def parts() -> None:
    """A model week, the dashboard's timeseries and drawing every view once (no browser)."""
    from sim.dashboard import views as V
    from sim.dashboard.session import Run, build_market

    run = Run(build_market("baseline", {"population": N}))
    run.step()
    t0 = time.perf_counter()
    for _ in range(20):
        run.step()
    step = (time.perf_counter() - t0) / 20
    ts = run.timeseries()
    t0 = time.perf_counter()
    figs = [view(ts, big=True, firm="focal") for view in V.VIEWS.values()] + [V.network(run.a, True)]
    for fig in figs:
        V.figure_png(fig)
    draw = time.perf_counter() - t0
    print(f"model week {step * 1000:.1f} ms; drawing all {len(figs)} views once {draw * 1000:.0f} ms")


def playing() -> None:
    """Weeks per second shown by the page while it plays, over 6 s after 2 s of warm-up, per speed."""
    sys.path.insert(0, str(ROOT / "tests"))
    import test_dashboard_browser as T  # the tests' server start-up and page helpers
    from playwright.sync_api import sync_playwright

    T.SCENARIO = T.SCENARIO.replace("3000", str(N)) + "steps: 1000\n"
    proc, url, _log = T.start_server(Path(tempfile.mkdtemp(prefix="dash_bench_")))
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=T.CHROMIUM, args=T.FLAGS)
            page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
            page.goto(url, timeout=120_000)
            page.get_by_text("Week 0 of 1000").wait_for(timeout=120_000)
            page.get_by_role("button", name="▶ Play").click()
            page.wait_for_function("() => !document.body.innerText.includes('Week 0 of')", timeout=60_000)
            for label in ("default speed (10 weeks/s)", "as fast as possible"):
                if label == "as fast as possible":
                    page.locator(".v-select", has_text="Play speed").click()
                    page.locator(".v-list-item", has_text="as fast as possible").click()
                time.sleep(2)
                w0, t0 = T.week(page), time.time()
                time.sleep(6)
                w1, t1 = T.week(page), time.time()
                print(f"playing, {label}: {(w1 - w0) / (t1 - t0):.1f} weeks/s ({w1 - w0} weeks in {t1 - t0:.1f} s)")
            browser.close()
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def main() -> None:
    print(line(describe(measure_bandwidth=False)))
    parts()
    playing()


if __name__ == "__main__":
    main()
