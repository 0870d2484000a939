"""A real Dask cluster on this machine (issue 23): a ``dask scheduler`` and two ``dask worker`` processes of
their own on 127.0.0.1, as on a multi-machine cluster. ``sim compare --scheduler tcp://...`` runs against
it, one worker is killed (SIGKILL, no nanny to restart it) while runs are in flight, and the experiment
still completes with a dataset identical to the process pool's."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import yaml

from sim.experiments import store

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, seconds: float = 30.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


def _experiment(folder: Path) -> Path:
    data = {
        "name": "cluster",
        "kind": "compare",
        "replications": 5,
        "set": {"population.size": 20000, "steps": 52},
        "baseline": {"name": "base", "scenario": "baseline"},
        "strategies": [{"name": "bonds", "scenario": "social_bonds"}],
    }
    path = folder / "cluster.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_compare_on_a_real_cluster_survives_a_killed_worker(tmp_path) -> None:
    env = {**os.environ, "NUMBA_NUM_THREADS": "1", "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    port = _free_port()
    procs: list[subprocess.Popen] = []

    def start(*cmd: str) -> subprocess.Popen:
        p = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(p)
        return p

    try:
        start(str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard")
        _wait_for_port(port)
        address = f"tcp://127.0.0.1:{port}"
        workers = [
            start(
                str(BIN / "dask"),
                "worker",
                address,
                "--nthreads",
                "1",
                "--no-nanny",
                "--no-dashboard",
                "--host",
                "127.0.0.1",
            )
            for _ in range(2)
        ]
        path = _experiment(tmp_path)
        out = tmp_path / "on_cluster"
        compare = subprocess.Popen(
            [sys.executable, "-m", "sim.cli", "compare", str(path), "--quiet", "--scheduler", address, "--out", str(out)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        end = time.monotonic() + 120
        while time.monotonic() < end and len(list((out / "runs").glob("*.parquet"))) < 2 and compare.poll() is None:
            time.sleep(0.1)
        workers[0].send_signal(signal.SIGKILL)  # mid-run: some runs are done, others in flight
        done_before_kill = len(list((out / "runs").glob("*.parquet")))
        stdout, stderr = compare.communicate(timeout=240)
        assert compare.returncode == 0, stderr[-3000:]
        assert done_before_kill < 10, "the experiment finished before the worker was killed"
        pool = tmp_path / "in_pool"
        done = subprocess.run(
            [sys.executable, "-m", "sim.cli", "compare", str(path), "--quiet", "--workers", "2", "--out", str(pool)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        a = store.read_runs(out).drop(columns=["runtime_seconds"]).sort_values(["run_key", "step", "firm"])
        b = store.read_runs(pool).drop(columns=["runtime_seconds"]).sort_values(["run_key", "step", "firm"])
        assert len(a) == len(b) == 10 * 53 * 3
        import pandas as pd

        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait(timeout=30)
