"""The wheel works outside the checkout: build it, install it into a new virtual environment and run
``sim run``, ``sim compare``, ``sim validate`` and ``sim dashboard`` by library name from an empty folder.

Installing the dependencies into the new environment would take minutes, so the wheel is built and
installed with ``--no-deps`` and the environment sees the test environment's site-packages through a
``.pth`` path line. Python does not process ``.pth`` files inside a folder added that way, so an editable
install of ``sim`` there does not leak in; the test checks that ``sim`` is imported from the new
environment. Runs are tiny (a few hundred customers, a few weeks); ``sim validate`` (quick mode) is the
longest part.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--set", "population.size=300"]


def _test_env_paths() -> list[str]:
    import site

    paths = [*site.getsitepackages(), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    return list(dict.fromkeys(p for p in paths if Path(p).is_dir()))


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """A venv with the wheel installed (no dependencies of its own), an empty working folder and the
    environment for its commands."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"  # a clean copy: no build artefacts in the checkout, nothing outside the package
    shutil.copytree(ROOT / "sim", src / "sim", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    dist = tmp / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(dist), str(src)], check=True, cwd=tmp)
    (wheel,) = dist.glob("sim-*.whl")
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    subprocess.run([*pip, "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)], check=True)
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(purelib) / "sim_test_dependencies.pth").write_text("\n".join(_test_env_paths()) + "\n")
    work = tmp / "empty"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["NUMBA_CACHE_DIR"] = str(tmp / "numba_cache")  # numba caches compiled kernels; the install is read-only to it
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # the dependencies' Jupyter data files (ipyvue's, ipyvuetify's, ipywidgets' front-end configuration, which
    # solara reads) are in the test environment's prefix; a full install would put them in the venv's
    prefix = Path(sysconfig.get_paths()["data"])
    env["JUPYTER_CONFIG_PATH"] = str(prefix / "etc" / "jupyter")
    env["JUPYTER_PATH"] = str(prefix / "share" / "jupyter")
    return {"python": python, "sim": python.with_name("sim"), "work": work, "env": env, "purelib": Path(purelib)}


def _sim(installed: dict, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(installed["sim"]), *args],
        cwd=installed["work"],
        env=installed["env"],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_the_wheel_ships_the_library_and_imports_from_the_venv(installed):
    probe = (
        "import json, sim, sim.library as lib; "
        "print(json.dumps([sim.__file__, lib.scenario_names(), lib.experiment_names(), str(lib.scenario_path('baseline'))]))"
    )
    out = subprocess.run(
        [str(installed["python"]), "-c", probe],
        cwd=installed["work"],
        env=installed["env"],
        capture_output=True,
        text=True,
        check=True,
    )
    where, scenarios, experiments, baseline = json.loads(out.stdout)
    assert Path(where).is_relative_to(installed["purelib"]), where  # not the checkout's editable install
    assert Path(baseline).is_relative_to(installed["purelib"]) and Path(baseline).is_file()
    assert scenarios == sorted(p.stem for p in (ROOT / "sim/library/scenarios").glob("*.yaml"))
    assert experiments == sorted(p.stem for p in (ROOT / "sim/library/experiments").glob("*.yaml"))
    # a calibrated scenario's start state (issue 17) is package data too
    assert (Path(baseline).parent / "cdnow_start.parquet").is_file()


def test_run_by_name(installed):
    res = _sim(installed, "run", "baseline", *TINY, "--steps", "3", "--quiet")
    assert res.returncode == 0, res.stderr[-3000:]
    summary = json.loads((installed["work"] / "results" / "baseline-seed0" / "summary.json").read_text())
    assert summary["steps"] == 3 and summary["population"] == 300
    bad = _sim(installed, "run", "basline", "--quiet")
    assert bad.returncode == 2 and "not a scenario of the library" in bad.stderr and "baseline, " in bad.stderr


def test_compare_by_name(installed):
    args = ["compare", "retention_strategies", "--replications", "2", *TINY, "--set", "steps=3", "--workers", "1"]
    res = _sim(installed, *args, "--quiet")
    assert res.returncode == 0, res.stderr[-3000:]
    folder = installed["work"] / "results" / "retention_strategies"
    assert (folder / "report.md").exists() and "0 failed" in res.stdout


def test_validate(installed):
    res = _sim(installed, "validate", "--json", "--out", "validation")
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    result = json.loads((installed["work"] / "validation" / "validation.json").read_text())
    assert result["mode"] == "quick" and result["passed"] and result["checks"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(os.name == "nt", reason="stops the server's process group (POSIX)")
def test_dashboard_by_name(installed, tmp_path):
    port = _free_port()
    log_path = tmp_path / "dashboard.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [str(installed["sim"]), "dashboard", "social_bonds", "--port", str(port)],
            cwd=installed["work"],
            env=installed["env"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # sim starts solara as a child: stop the whole group
        )
        try:
            page, deadline = None, time.time() + 180
            while page is None and time.time() < deadline and server.poll() is None:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
                        page = resp.read().decode("utf-8", "replace") if resp.status == 200 else None
                except OSError:
                    time.sleep(0.5)
            assert page is not None, "the dashboard did not serve its page:\n" + log_path.read_text()[-3000:]
            assert "solara" in page.lower()
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=30)
