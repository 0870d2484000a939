"""`sim optimize` (issue 20): the optimiser core on a cheap synthetic response with a known optimum,
kill-and-resume, independence of the number of workers, bad files, and a tiny end-to-end run."""

from __future__ import annotations

import json
import math

import numpy as np
import optuna
import pandas as pd
import pytest

from sim.cli import main
from sim.optimize.spec import Optimization
from sim.optimize.study import Outcome, open_study, overrides, ranked, run_study

LEVERS = ["a.spend", "b.spend", "c.spend"]
WEIGHTS = {"a.spend": 0.5, "b.spend": 0.3, "c.spend": 0.2}  # the optimum's shares (concave response)


def _opt(**kw) -> Optimization:
    base = {
        "name": "synthetic",
        "scenario": "baseline",
        "budget": {"total": 100.0, "levers": LEVERS},
        "variables": [{"name": "switch", "choices": [False, True]}],
        "trials": 12,
        "batch": 4,
        "sampler": {"method": "tpe", "seed": 3, "startup_trials": 8},
    }
    return Optimization.model_validate({**base, **kw})


def synthetic(trials: list[dict]) -> list[Outcome]:
    """sum_i sqrt(c_i x_i), maximal at x_i = total * c_i (sum c = 1), plus 1 when the switch is on."""
    out = []
    for over in trials:
        v = sum(math.sqrt(WEIGHTS[k] * over[k]) for k in LEVERS) + (1.0 if over["switch"] else 0.0)
        out.append(Outcome([v], {"profit_total": v}))
    return out


def test_synthetic_optimum_found_within_tolerance(tmp_path):
    opt = _opt(trials=100, batch=5)
    study = run_study(opt, open_study(opt, tmp_path / "s.db"), synthetic, opt.trials)
    best = ranked(opt, study)[0]
    over = overrides(opt, dict(best.params))
    shares = np.array([over[k] for k in LEVERS]) / 100.0
    assert sum(over[k] for k in LEVERS) == pytest.approx(100.0, abs=0.05)  # the budget is spent exactly
    assert over["switch"] is True
    assert np.abs(shares - np.array([0.5, 0.3, 0.2])).max() < 0.1, shares
    assert best.values[0] > 0.99 * (10.0 + 1.0)  # sqrt(100) * sum(c) + switch


def test_min_retention_keeps_infeasible_trials_out_of_the_best(tmp_path):
    opt = _opt(trials=16, min_retention=0.8)

    def constrained(trials):  # the switch adds 1 to the objective but breaks the retention floor
        return [
            o.__class__(o.values, o.attrs, 0.05 if t["switch"] else -0.05)
            for o, t in zip(synthetic(trials), trials, strict=True)
        ]

    study = run_study(opt, open_study(opt, tmp_path / "c.db"), constrained, opt.trials)
    on = [t for t in study.trials if t.params["switch"]]
    assert on and max(t.values[0] for t in on) > ranked(opt, study)[0].values[0]  # the best value is infeasible
    assert ranked(opt, study)[0].params["switch"] is False


def _table(study: optuna.Study) -> list[tuple]:
    done = [t for t in study.get_trials() if t.state == optuna.trial.TrialState.COMPLETE]
    return [(tuple(sorted(t.params.items())), tuple(t.values)) for t in done]


class Killed(Exception):
    pass


@pytest.mark.parametrize("where", ["evaluating", "asking"])
def test_kill_and_resume_ends_with_the_same_study(tmp_path, where):
    from sim.optimize.study import _sampler, _suggest

    opt = _opt()
    whole = run_study(opt, open_study(opt, tmp_path / "whole.db"), synthetic, opt.trials)
    db = tmp_path / "killed.db"
    if where == "evaluating":  # the process dies while round 2 runs: its 4 trials stay RUNNING
        calls = []

        def dies(trials):
            calls.append(1)
            if len(calls) == 2:
                raise Killed
            return synthetic(trials)

        with pytest.raises(Killed):
            run_study(opt, open_study(opt, db), dies, opt.trials)
    else:  # the process dies half-way through asking round 2: 1 of its 4 trials asked
        study = run_study(opt, open_study(opt, db), synthetic, opt.batch)
        study.sampler = _sampler(opt, opt.sampler.seed * 1_000_003 + opt.batch)
        _suggest(study.ask(), opt)
    running = [t for t in open_study(opt, db).get_trials() if t.state == optuna.trial.TrialState.RUNNING]
    assert len(running) == (4 if where == "evaluating" else 1)
    resumed = run_study(opt, open_study(opt, db), synthetic, opt.trials)
    assert _table(resumed) == _table(whole)
    assert len(_table(whole)) == opt.trials


def test_results_independent_of_workers(tmp_path):
    from sim.optimize.engine import EngineEvaluator, Runner

    opt = _opt(
        budget={"total": 4000.0, "levers": ["firms.focal.levers.social.spend", "firms.focal.levers.distributor.spend"]},
        variables=[],
        set={"population.size": 400},
        steps=6,
        replications=2,
    )
    trials = [
        overrides(opt, {"w:firms.focal.levers.social.spend": w, "w:firms.focal.levers.distributor.spend": 1 - w})
        for w in (0.2, 0.9)
    ]
    base = tmp_path
    with Runner(1) as serial:
        one = EngineEvaluator(opt, base, serial)(trials)
    with Runner(2) as pool:
        two = EngineEvaluator(opt, base, pool)(trials)
    assert [o.values for o in one] == [o.values for o in two]
    assert one[0].values != one[1].values  # the two allocations differ in profit
    assert one[0].attrs["relationship_spend_total"] > 0


BAD = {
    "metric": ("objectives: [{metric: profitt}]", "objectives"),
    "range": ("variables: [{name: x, low: 2, high: 1}]", "variables"),
    "lever": ("budget: {total: 100, levers: [firms.focal.levers.nonsense.spend, firms.focal.budget.retention]}", "nonsense"),
    "total": (
        "budget: {total: -5, levers: [firms.focal.levers.social.spend, firms.focal.budget.retention]}",
        "budget.total",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_files_exit_2_one_line_nothing_written(tmp_path, capsys, case):
    text, field = BAD[case]
    body = "name: bad\nkind: optimize\nscenario: baseline\n"
    if not text.startswith("budget"):
        body += "budget: {total: 100, levers: [firms.focal.levers.social.spend, firms.focal.budget.retention]}\n"
    path = tmp_path / "bad.yaml"
    path.write_text(body + text + "\n")
    out = tmp_path / "out"
    assert main(["optimize", str(path), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(path) in err and field in err, err
    assert case != "metric" or "did you mean profit_total" in err, err  # the closest glossary names
    assert not out.exists()


TINY = """
name: tiny
kind: optimize
scenario: baseline
set: {population.size: 300}
steps: 5
replications: 1
trials: 4
batch: 2
budget:
  total: 3400
  levers: [firms.focal.budget.retention, firms.focal.levers.distributor.spend, firms.focal.levers.social.spend]
sampler: {method: tpe, seed: 0, startup_trials: 2}
final: {top: 2, replications: 2, marginal_steps: [0.1], marginal_replications: 2}
"""


def test_tiny_end_to_end(tmp_path, capsys):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    out = tmp_path / "out"
    assert main(["optimize", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    best = json.loads((out / "best.json").read_text())
    trials = pd.read_parquet(out / "trials.parquet")
    assert len(trials) == 4 and (trials["state"] == "COMPLETE").all()
    assert sum(best["best"]["allocation"].values()) == pytest.approx(3400, abs=0.1)
    shipped = {r["strategy"] for r in best["vs_shipped"]}
    assert "distributor_partnership" in shipped and "loyalty_program" not in shipped  # 3,400 vs 11,400 a week
    assert np.isfinite(best["vs_base"]["diff"]) and best["vs_base"]["replications"] == 2
    for f in ("report.md", "figures/convergence.png", "figures/marginal.png", "marginal.csv", "study.db"):
        assert (out / f).exists(), f
    # a finished study is extended by more trials
    assert main(["optimize", str(path), "--out", str(out), "--workers", "1", "--quiet", "--trials", "6"]) == 0
    assert len(pd.read_parquet(out / "trials.parquet")) == 6
