"""Reliability of experiments (issue 23): bad experiment files and folders, oversized designs, damaged run
files, concurrent writers, dying workers and unreachable schedulers. Each test reproduced its failure first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
BASELINE = str(ROOT / "scenarios" / "baseline.yaml")
SMALL = {"population.size": 2000, "steps": 8}


def _compare(tmp_path: Path, name: str = "exp", **fields) -> Path:
    data = {
        "name": name,
        "kind": "compare",
        "replications": 2,
        "set": SMALL,
        "baseline": {"name": "base", "scenario": BASELINE},
        "strategies": [{"name": "recovery", "scenario": BASELINE, "set": {"firms.focal.recovery_rate": 0.9}}],
    }
    data.update(fields)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _one_line(capsys) -> str:
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    return err


# ---------------------------------------------------------------- 1. bad experiment files and folders
@pytest.mark.parametrize("broken", [{"kind": None}, {"name": None}, {"kind": "nonsense"}, None])
def test_results_on_a_folder_with_a_broken_experiment_json_is_one_line(tmp_path, capsys, broken):
    folder = tmp_path / "res"
    (folder / "runs").mkdir(parents=True)
    if broken is None:
        (folder / "experiment.json").write_text("[1, 2]")
    else:
        meta = {"name": "x", "kind": "compare", "firm": "focal", "baseline": "base", **broken}
        (folder / "experiment.json").write_text(json.dumps({k: v for k, v in meta.items() if v is not None}))
    assert main(["results", str(folder)]) == 2
    err = _one_line(capsys)
    assert str(folder) in err and "experiment.json" in err


@pytest.mark.parametrize("what", ["folder", "latin-1", "nested"])
def test_unreadable_experiment_files_fail_with_one_line_and_write_nothing(tmp_path, capsys, what):
    if what == "folder":
        path = tmp_path / "adir"
        path.mkdir()
    elif what == "latin-1":
        path = tmp_path / "bad.yaml"
        path.write_bytes("name: caf\xe9\nkind: compare\n".encode("latin-1"))
    else:
        path = tmp_path / "deep.yaml"
        path.write_text("name: " + "[" * 20000 + "]" * 20000 + "\n")
    out = tmp_path / "out"
    assert main(["compare", str(path), "--out", str(out)]) == 2
    err = _one_line(capsys)
    assert path.name in err
    assert not out.exists()


# ---------------------------------------------------------------- 2. sweep designs checked before running
def _sweep(tmp_path: Path, parameters: list, design: dict | None = None, name: str = "sw") -> Path:
    data = {
        "name": name,
        "kind": "sweep",
        "scenario": BASELINE,
        "replications": 1,
        "set": SMALL,
        "parameters": parameters,
        "design": design or {"method": "grid"},
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    "parameters, design, field",
    [
        ([{"name": "firms.focal.budget.retention", "values": []}], None, "values"),
        (
            [
                {"name": "firms.focal.budget.retention", "values": [0, 100]},
                {"name": "firms.focal.budget.retention", "values": [0, 200]},
            ],
            None,
            "firms.focal.budget.retention",
        ),
        (
            [
                {"name": "dynamics.churn.competition", "low": 0.0, "high": 0.3},
                {"name": "dynamics.churn.competition", "low": 0.0, "high": 0.2},
            ],
            {"method": "sobol", "samples": 2},
            "dynamics.churn.competition",
        ),
    ],
)
def test_bad_sweep_designs_fail_before_any_run(tmp_path, capsys, parameters, design, field):
    path = _sweep(tmp_path, parameters, design)
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--quiet", "--workers", "1", "--out", str(out)]) == 2
    err = _one_line(capsys)
    assert field in err and path.name in err and "parameters" in err
    assert not out.exists()  # nothing ran, nothing written


# ---------------------------------------------------------------- 3. the size of a design, told and capped
def test_the_run_count_is_computed_without_sampling_and_matches_the_design(tmp_path):
    from sim.experiments.design import sample, size
    from sim.experiments.spec import load_experiment

    ranged = [
        {"name": "dynamics.churn.competition", "low": 0.0, "high": 0.3},
        {"name": "dynamics.wom.negative_impact", "low": 0.0, "high": 0.2},
        {"name": "firms.focal.budget.retention", "low": 0.0, "high": 900.0},
    ]
    designs = [
        ([{"name": "a.b", "values": [1, 2, 3]}, {"name": "a.c", "values": [1, 2]}], {"method": "grid"}),
        (ranged, {"method": "lhs", "samples": 7}),
        (ranged, {"method": "sobol", "samples": 4}),
        (ranged, {"method": "sobol", "samples": 4, "second_order": True}),
        (ranged, {"method": "morris", "samples": 3}),
    ]
    for i, (parameters, design) in enumerate(designs):
        exp, _ = load_experiment(_sweep(tmp_path, parameters, design, name=f"d{i}"))
        assert size(exp) == len(sample(exp)[1]), design


@pytest.mark.parametrize(
    "parameters, design, runs",
    [
        (
            [
                {"name": "dynamics.churn.competition", "low": 0.0, "high": 0.3},
                {"name": "dynamics.wom.negative_impact", "low": 0.0, "high": 0.2},
            ],
            {"method": "sobol", "samples": 1_000_000},
            "4,000,000 runs",
        ),
        ([{"name": f"p{i}.x", "values": list(range(10))} for i in range(7)], None, "10,000,000 runs"),
    ],
)
def test_huge_designs_are_refused_at_once_with_their_size(tmp_path, capsys, parameters, design, runs):
    import time

    path = _sweep(tmp_path, parameters, design)
    out = tmp_path / "out"
    t0 = time.perf_counter()
    assert main(["sweep", str(path), "--quiet", "--out", str(out)]) == 2
    assert time.perf_counter() - t0 < 10
    err = _one_line(capsys)
    assert runs in err and "--max-runs" in err and "--yes" in err and path.name in err
    assert not out.exists()


def test_the_cap_is_configurable_and_yes_overrides_it(tmp_path, capsys):
    params = [{"name": "firms.focal.budget.retention", "values": [0, 100, 200, 300]}]
    path = _sweep(tmp_path, params)
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--quiet", "--workers", "1", "--max-runs", "3", "--out", str(out)]) == 2
    assert "4 runs" in _one_line(capsys) and not out.exists()
    assert main(["sweep", str(path), "--quiet", "--workers", "1", "--max-runs", "3", "--yes", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "4 design points x 1 replications = 4 runs" in said  # told before the first run
    assert len(list((out / "runs").glob("*.parquet"))) == 4


# ---------------------------------------------------------------- 4. damaged run files are redone
def _runs(folder: Path) -> list[Path]:
    return sorted((folder / "runs").glob("*.parquet"))


def test_zero_byte_truncated_or_short_run_files_are_redone_on_resume(tmp_path, capsys):
    import pandas as pd

    from sim.experiments import store

    path = _compare(tmp_path)
    out = tmp_path / "out"
    assert main(["compare", str(path), "--quiet", "--workers", "1", "--out", str(out)]) == 0
    whole = store.read_runs(out).drop(columns=["runtime_seconds"])
    files = _runs(out)
    assert len(files) == 4
    files[0].write_bytes(b"")  # zero bytes
    files[1].write_bytes(files[1].read_bytes()[: files[1].stat().st_size // 2])  # truncated: no footer
    short = pd.read_parquet(files[2]).head(5)  # a readable file with too few rows
    short.to_parquet(files[2], index=False)
    capsys.readouterr()
    assert main(["results", str(out)]) == 0  # a partial folder is summarised, not a traceback
    said = capsys.readouterr()
    assert "Traceback" not in said.err and "2 runs on disk" in said.out
    assert main(["compare", str(path), "--quiet", "--workers", "1", "--out", str(out)]) == 0
    assert "3 damaged run files" in capsys.readouterr().out
    assert [p.name for p in _runs(out)] == [p.name for p in files]
    pd.testing.assert_frame_equal(whole, store.read_runs(out).drop(columns=["runtime_seconds"]))


# ---------------------------------------------------------------- 5. one writer per results folder
def test_a_folder_in_use_is_refused_with_one_line(tmp_path, capsys):
    from sim.experiments import store

    path = _compare(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    with store.lock_folder(out):
        assert main(["compare", str(path), "--quiet", "--workers", "1", "--out", str(out)]) == 2
        err = _one_line(capsys)
        assert str(out) in err and "in use" in err
    assert list(out.iterdir()) == []  # the refused process wrote nothing


def test_two_compares_into_one_folder_one_runs_one_is_refused(tmp_path):
    import subprocess
    import sys

    path = _compare(tmp_path, replications=4)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "sim.cli", "compare", str(path), "--quiet", "--workers", "1", "--out", str(out)]
    procs = [subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in "ab"]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    assert sorted(rc for rc, _ in results) == [0, 2], results
    refused = next(err for rc, err in results if rc == 2)
    assert len(refused.strip().splitlines()) == 1 and "in use" in refused
    assert len(_runs(out)) == 8


def test_temporary_files_have_unique_names(tmp_path, monkeypatch):
    import os

    import pandas as pd

    from sim.experiments import store

    (tmp_path / "runs").mkdir()
    sources: list[str] = []
    real = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: (sources.append(str(a)), real(a, b)))
    table = pd.DataFrame({"x": [1]})
    store.write_run(tmp_path, "k", table)
    store.write_run(tmp_path, "k", table)
    store.write_text_atomically(tmp_path / "a.txt", "1")
    store.write_text_atomically(tmp_path / "a.txt", "2")
    store.write_failures(tmp_path, [{"run_key": "k"}])
    store.write_failures(tmp_path, [{"run_key": "k"}])
    assert len(set(sources)) == len(sources) == 6
    assert all(Path(s).name.startswith(".") for s in sources)  # hidden from dataset globs


# ---------------------------------------------------------------- 6. a pool worker killed mid-run
def _spec(i: int, label: str = "ok"):
    from sim.experiments.spec import RunSpec

    return RunSpec(f"k{i}", label, 0, i, {}, {}, "focal")


def _die_once(marker_dir: str, spec):
    """A run whose worker is killed (SIGKILL) the first time it runs it."""
    import os
    import signal

    import pandas as pd

    marker = Path(marker_dir) / spec.key
    if spec.label == "die" and not marker.exists():
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return spec.key, pd.DataFrame({"seed": [spec.seed]}), ""


def _always_die(spec):
    import os
    import signal

    import pandas as pd

    if spec.label == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    return spec.key, pd.DataFrame({"seed": [spec.seed]}), ""


def test_a_killed_pool_worker_is_replaced_and_its_runs_retried(tmp_path):
    from functools import partial

    from sim.experiments.execute import execute

    specs = [_spec(i, "die" if i == 2 else "ok") for i in range(6)]
    got: list = []
    execute(specs, lambda s, t, e: got.append((s.key, t, e)), workers=2, attempt=partial(_die_once, str(tmp_path)))
    assert sorted(k for k, _, _ in got) == [s.key for s in specs]  # each once, none lost
    assert all(t is not None and t["seed"].iloc[0] == int(k[1:]) for k, t, _ in got)


def test_a_run_that_keeps_killing_its_worker_is_listed_as_failed(tmp_path):
    from sim.experiments.execute import execute

    specs = [_spec(i, "die" if i == 1 else "ok") for i in range(5)]
    got: list = []
    execute(specs, lambda s, t, e: got.append((s.key, t, e)), workers=2, attempt=_always_die)
    assert sorted(k for k, _, _ in got) == [s.key for s in specs]
    failed = [(k, e) for k, t, e in got if t is None]
    assert [k for k, _ in failed] == ["k1"] and "worker" in failed[0][1]


# ---------------------------------------------------------------- 7. Dask schedulers
def test_an_unreachable_scheduler_is_one_line_quickly(tmp_path, capsys):
    import time

    path = _compare(tmp_path)
    out = tmp_path / "out"
    t0 = time.perf_counter()
    assert main(["compare", str(path), "--quiet", "--scheduler", "tcp://127.0.0.1:1", "--out", str(out)]) == 2
    assert time.perf_counter() - t0 < 15
    err = _one_line(capsys)
    assert "tcp://127.0.0.1:1" in err and "--scheduler" in err
    assert not out.exists()


def test_a_local_cluster_opens_no_dashboard():
    import urllib.error
    import urllib.request

    from sim.experiments.execute import connect

    with connect("local", 1) as client:
        port = client.scheduler_info()["services"].get("dashboard")
        assert port != 8787  # Dask's fixed dashboard port stays free
        if port is not None:  # the scheduler's plain HTTP server (health routes) serves no dashboard
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=5)
            assert err.value.code == 404


# ---------------------------------------------------------------- a full disk during sim compare
def test_a_full_disk_during_compare_is_one_line_keeps_the_complete_runs_and_resumes(tmp_path, capsys, monkeypatch):
    import errno

    import pandas as pd

    from sim.experiments import store

    path = _compare(tmp_path)
    out = tmp_path / "out"
    real = pd.DataFrame.to_parquet
    written = []

    def fills_up(self, target, *args, **kwargs):  # the third run file hits a full disk half-way
        if len(written) == 2:
            Path(target).write_bytes(b"PAR1 half a file")
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(target)
        return real(self, target, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", fills_up)
    assert main(["compare", str(path), "--quiet", "--workers", "1", "--out", str(out)]) == 2
    err = _one_line(capsys)
    assert "No space left on device" in err and "run again to resume" in err
    assert len(_runs(out)) == 2  # the complete runs; no half-written file, visible or hidden
    assert not [p for p in (out / "runs").iterdir() if p.name.startswith(".")]
    monkeypatch.setattr(pd.DataFrame, "to_parquet", real)
    assert main(["compare", str(path), "--quiet", "--workers", "1", "--out", str(out)]) == 0
    assert len(_runs(out)) == 4 and store.read_runs(out)["replication"].nunique() == 2
