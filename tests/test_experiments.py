"""Experiments: common random numbers, confidence intervals, backends, resumability, bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.cli import main
from sim.experiments import stats, store
from sim.experiments.execute import execute, run_one
from sim.experiments.spec import expand, load_experiment

ROOT = Path(__file__).resolve().parents[1]
BASELINE = str(ROOT / "scenarios" / "baseline.yaml")
SMALL = {"population.size": 3000, "steps": 20}


def _write(tmp_path: Path, name: str = "exp", **fields) -> Path:
    data = {
        "name": name,
        "kind": "compare",
        "replications": 3,
        "set": SMALL,
        "baseline": {"name": "base", "scenario": BASELINE},
        "strategies": [
            {"name": "recovery", "scenario": BASELINE, "set": {"firms.focal.recovery_rate": 0.9}},
            {"name": "structural", "scenario": BASELINE, "set": {"firms.focal.levers.structural.spend": 20000}},
        ],
    }
    data.update(fields)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _dataset(folder: Path) -> pd.DataFrame:
    return store.read_runs(folder).drop(columns=["runtime_seconds"])


def test_common_random_numbers_pair_the_strategies(tmp_path):
    path = _write(
        tmp_path,
        strategies=[
            {"name": "same", "scenario": BASELINE, "set": {"description": "a copy"}},
            {"name": "structural", "scenario": BASELINE, "set": {"firms.focal.levers.structural.spend": 20000}},
        ],
    )
    exp, base = load_experiment(path)
    specs, _ = expand(exp, base)
    assert [s.seed for s in specs if s.label == "base"] == [s.seed for s in specs if s.label == "structural"] == [0, 1, 2]
    tables = {(s.label, s.replication): run_one(s) for s in specs}
    # a strategy identical to the baseline follows exactly the baseline's path in every replication
    for k in range(3):
        a = tables[("base", k)].drop(columns=["strategy", "run_key", "runtime_seconds", "overrides"])
        b = tables[("same", k)].drop(columns=["strategy", "run_key", "runtime_seconds", "overrides"])
        pd.testing.assert_frame_equal(a, b)
    runs = stats.per_run(pd.concat(tables.values()).query("firm == 'focal'"))
    table = stats.compare_table(runs, "base", ["profit_total"], ["base", "same", "structural"])
    same = table[table["strategy"] == "same"].iloc[0]
    assert same["diff_vs_baseline"] == 0 and same["diff_ci_low"] == 0 and same["diff_ci_high"] == 0
    # pairing narrows the interval: the paired CI is narrower than the strategy's own CI
    rec = table[table["strategy"] == "structural"].iloc[0]
    assert rec["diff_ci_high"] < 0  # a real, paired effect (the spend is not recovered in 20 weeks)
    assert rec["diff_ci_high"] - rec["diff_ci_low"] < rec["ci_high"] - rec["ci_low"]


def test_confidence_intervals_cover_a_known_answer():
    """A cohort of 1000 with own-circumstance churn q only: E[customers after T] = 1000 (1 - q)^T exactly.
    20 experiments of 5 replications: the 95% t-intervals should cover the truth ~19 times in 20."""
    from sim.experiments.spec import RunSpec
    from sim.scenario import scenario_from_dict
    from sim.validation.configs import cohort_overrides

    q, steps, n = 0.05, 20, 1000
    o = cohort_overrides(n, steps)
    o["dynamics.churn.own_circumstances"] = q
    sc = scenario_from_dict({}, "cohort", o).to_dict()
    finals = []
    for seed in range(100):
        t = run_one(RunSpec(f"k{seed}", "cohort", seed, seed, sc, {}, "focal"))
        finals.append(t.loc[t["step"] == steps, "m_customers_final"].iloc[0])
    truth = n * (1 - q) ** steps
    finals = np.array(finals)
    assert abs(finals.mean() - truth) < 4 * finals.std() / 10  # unbiased
    covered = sum(lo <= truth <= hi for _, lo, hi in (stats.mean_ci(g) for g in finals.reshape(20, 5)))
    assert covered >= 16


def test_serial_pool_and_dask_give_identical_runs(tmp_path):
    path = _write(tmp_path, replications=2)
    folders = {}
    for label, args in (
        ("serial", ["--workers", "1"]),
        ("pool", ["--workers", "2"]),
        ("dask", ["--scheduler", "local", "--workers", "2"]),
    ):
        folders[label] = tmp_path / label
        assert main(["compare", str(path), "--quiet", "--out", str(folders[label]), *args]) == 0
    ref = _dataset(folders["serial"])
    assert len(ref) == 3 * 2 * 21 * 3  # strategies x replications x steps x firms
    for label in ("pool", "dask"):
        pd.testing.assert_frame_equal(ref, _dataset(folders[label]))
    report = (folders["serial"] / "report.md").read_text()
    assert "Ranking by" in report and "profit" in report and "recovery" in report
    assert "How the money is counted" in report and "cost per unit sold" in report  # the economics, in words
    figures = {p.name for p in (folders["serial"] / "figures").iterdir()}
    assert {"timeseries.png", "differences.png", "survival.png"} <= figures
    table = pd.read_csv(folders["serial"] / "comparison.csv")
    assert set(table["strategy"]) == {"base", "recovery", "structural"}


def test_a_killed_experiment_resumes_to_the_uninterrupted_dataset(tmp_path):
    path = _write(tmp_path, replications=6)
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    assert main(["compare", str(path), "--quiet", "--workers", "1", "--out", str(whole)]) == 0
    cmd = [sys.executable, "-m", "sim.cli", "compare", str(path), "--quiet", "--workers", "2", "--out", str(killed)]
    proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and len(list((killed / "runs").glob("*.parquet"))) < 3:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the parent and its workers, mid-experiment
    proc.wait()
    partial = len(list((killed / "runs").glob("*.parquet")))
    assert 3 <= partial < 18, "the kill must land mid-experiment"
    assert main(["compare", str(path), "--quiet", "--workers", "2", "--out", str(killed)]) == 0
    assert sorted(p.name for p in (killed / "runs").glob("*.parquet")) == sorted(
        p.name for p in (whole / "runs").glob("*.parquet")
    )
    pd.testing.assert_frame_equal(_dataset(whole), _dataset(killed))
    # a changed experiment never mixes into the folder
    changed = _write(tmp_path, replications=6, set={**SMALL, "population.size": 2500})
    assert main(["compare", str(changed), "--quiet", "--out", str(killed)]) == 2


def test_a_failing_run_is_retried_then_reported_while_the_rest_continue(tmp_path):
    path = _write(tmp_path, replications=2)
    exp, base = load_experiment(path)
    specs, _ = expand(exp, base)
    broken = specs[1].__class__(**{**specs[1].__dict__, "scenario": {**specs[1].scenario, "steps": -1}})
    results = []
    execute([specs[0], broken, specs[2]], lambda s, t, e: results.append((s.key, t is None, e)), workers=1)
    assert [r[1] for r in results] == [False, True, False]
    assert "ValidationError" in results[1][2]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"replicatons": 3}, "replicatons"),
        ({"replications": "many"}, "replications"),
        ({"metrics": ["profit", "x"]}, "metrics"),
        ({"baseline": {"name": "base", "scenario": "nowhere.yaml"}}, "nowhere.yaml"),
        ({"strategies": [{"name": "x", "scenario": BASELINE, "set": {"firms.focal.recovery_rate": 2}}]}, "recovery_rate"),
        ({"kind": "sweep"}, "scenario"),
    ],
)
def test_bad_experiment_files_fail_with_one_line_and_write_nothing(tmp_path, capsys, change, field):
    path = _write(tmp_path, **change)
    out = tmp_path / "out"
    assert main(["compare", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and field in err and str(path.name) in err
    assert not out.exists()


def test_missing_experiment_file(tmp_path, capsys):
    assert main(["compare", str(tmp_path / "none.yaml")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_sweeps_use_salib_designs_and_indices(tmp_path):
    grid = {
        "name": "g",
        "kind": "sweep",
        "scenario": BASELINE,
        "replications": 1,
        "set": SMALL,
        "parameters": [
            {"name": "firms.focal.levers.structural.spend", "values": [0, 30000]},
            {"name": "firms.focal.budget.retention", "values": [0, 5000]},
        ],
        "design": {"method": "grid"},
        "outputs": ["profit_total", "churn_rate"],
    }
    sobol = {
        **grid,
        "name": "s",
        "parameters": [
            {"name": "dynamics.churn.competition", "low": 0.0, "high": 0.3},
            {"name": "dynamics.wom.negative_impact", "low": 0.0, "high": 0.2},
        ],
        "design": {"method": "sobol", "samples": 4},
    }
    for data in (grid, sobol):
        path = tmp_path / f"{data['name']}.yaml"
        path.write_text(yaml.safe_dump(data))
        assert main(["sweep", str(path), "--quiet", "--workers", "1", "--out", str(tmp_path / data["name"])]) == 0
    sweep = pd.read_csv(tmp_path / "g" / "sweep.csv")
    assert len(sweep) == 4 and (tmp_path / "g" / "figures" / "heatmap_profit_total.png").exists()
    ind = pd.read_csv(tmp_path / "s" / "indices.csv")
    assert {"S1", "S1_conf", "ST", "ST_conf"} <= set(ind.columns) and len(ind) == 4  # 2 params x 2 outputs
    assert len(pd.read_csv(tmp_path / "s" / "sweep.csv")) == 4 * (2 + 2)  # Saltelli: N (k + 2)
    # competition churn must matter more for retention than negative word of mouth here
    ret = ind[ind["output"] == "churn_rate"].set_index("parameter")
    assert ret.loc["dynamics.churn.competition", "ST"] > ret.loc["dynamics.wom.negative_impact", "ST"]


def test_sim_results_summarises_a_folder(tmp_path, capsys):
    path = _write(tmp_path, replications=2)
    out = tmp_path / "r"
    assert main(["compare", str(path), "--quiet", "--workers", "1", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["results", str(out)]) == 0
    text = capsys.readouterr().out
    assert "6 runs on disk" in text and "recovery" in text
    meta = json.loads((out / "experiment.json").read_text())
    assert meta["baseline"] == "base"
    assert main(["results", str(tmp_path)]) == 2
