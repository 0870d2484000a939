"""Parameter uncertainty (issue 18): assumptions drawn from their declared ranges, one draw per replication
shared by every strategy; the report names the parameters the decision hinges on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.figure import Figure

from sim.cli import main
from sim.experiments.execute import run_one
from sim.experiments.spec import expand, load_experiment
from sim.experiments.uncertainty import assumption_ranges, draw_overrides, range_of, uncertain_parameters
from sim.experiments.uncertainty_report import hinges

SMALL = {"population.size": 1500, "steps": 26}


def _write(tmp_path: Path, **fields) -> Path:
    data = {
        "name": "unc",
        "kind": "compare",
        "replications": 8,
        "set": SMALL,
        "baseline": {"name": "base", "scenario": "baseline"},
        "strategies": [{"name": "loyalty", "scenario": "loyalty_program"}],
    }
    data.update(fields)
    path = tmp_path / "unc.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_draws_are_shared_by_strategies_differ_by_replication_and_stay_in_range(tmp_path):
    exp, base = load_experiment(_write(tmp_path, uncertainty={"parameters": "all-assumptions"}))
    specs, _ = expand(exp, base)
    params = uncertain_parameters(exp)
    assert len(params) > 50 and all("[]" not in k for k, *_ in params)
    assert not any(k in SMALL for k, *_ in params)  # what the experiment's set fixes is not drawn
    by_rep: dict[int, list[dict]] = {}
    for s in specs:
        by_rep.setdefault(s.replication, []).append(s.params)
    for rep, draws in by_rep.items():
        assert draws[0] == draws[1] and draws[0] == draw_overrides(exp, rep)  # same draw for every strategy
    assert by_rep[0] != by_rep[1]
    # deterministic: a fresh expansion gives the same draws and keys
    again, _ = expand(*load_experiment(_write(tmp_path, uncertainty={"parameters": "all-assumptions"})))
    assert [s.key for s in again] == [s.key for s in specs]
    for k in range(exp.replications):
        for key, value in draw_overrides(exp, k).items():
            low, high, integer = range_of(key)
            assert low <= value <= high and (isinstance(value, int) if integer else isinstance(value, float))
    # the draws reach the scenario each run is built from
    key = "dynamics.levers.financial_rate"
    assert specs[0].scenario["dynamics"]["levers"]["financial_rate"] == specs[0].params[key]
    # one parameter's draw does not move when the list changes
    one, _ = load_experiment(_write(tmp_path, uncertainty={"parameters": [key]}))
    assert draw_overrides(one, 3)[key] == draw_overrides(exp, 3)[key]


def test_every_declared_range_is_reachable_by_name():
    assert range_of("firms.focal.employees.service_effect") == assumption_ranges()["firms[].employees.service_effect"]
    with pytest.raises(ValueError, match="not an assumption"):
        range_of("population.size")


def _paired_halfwidth(specs) -> tuple[float, pd.DataFrame]:
    runs = pd.DataFrame(
        [{"strategy": s.label, "replication": s.replication, **s.params, "profit": _profit(s)} for s in specs]
    )
    wide = runs.pivot_table(index="replication", columns="strategy", values="profit")
    d = (wide["loyalty"] - wide["base"]).to_numpy()
    return float(d.std(ddof=1)), runs


def _profit(spec) -> float:
    t = run_one(spec)
    return float(t.loc[t["firm"] == "focal", "m_profit_total"].iloc[0])


def test_uncertainty_widens_the_paired_interval_and_names_the_parameter(tmp_path):
    """Same seeds with and without drawn parameters: the spread of the paired difference grows, and the
    slope analysis puts first the spend a unit of the loyalty programme's effect costs (its saturation)."""
    key = "dynamics.levers.financial_unit"
    plain, base = load_experiment(_write(tmp_path))
    fixed, _ = _paired_halfwidth(expand(plain, base)[0])
    others = ["dynamics.levers.financial_rate", "dynamics.loyalty_frequency", "dynamics.loyalty.w_financial"]
    drawn_exp, _ = load_experiment(_write(tmp_path, uncertainty={"parameters": [key, *others]}))
    drawn, runs = _paired_halfwidth(expand(drawn_exp, base)[0])
    assert drawn > 1.25 * fixed, (drawn, fixed)
    wide = runs.pivot_table(index="replication", columns="strategy", values="profit")
    draws = runs[runs["strategy"] == "base"].set_index("replication")[[key, *others]]
    h = hinges(wide["loyalty"] - wide["base"], draws)
    assert h["parameter"].iloc[0] == key and h["p"].iloc[0] < 0.05


def test_hinges_recover_a_planted_slope():
    rng = np.random.default_rng(1)
    draws = pd.DataFrame({"a": rng.uniform(0, 1, 40), "b": rng.uniform(0, 10, 40)})
    diff = pd.Series(100 * draws["b"] + rng.normal(0, 5, 40))
    h = hinges(diff, draws)
    assert h["parameter"].iloc[0] == "b"
    assert h["effect_per_sd"].iloc[0] == pytest.approx(100 * draws["b"].std(ddof=1), rel=0.05)


@pytest.mark.parametrize(
    ("uncertainty", "field"),
    [
        ({"parameters": ["population.size"]}, "population.size"),
        ({"parameters": ["dynamics.nowhere"]}, "dynamics.nowhere"),
        ({"parameters": []}, "parameters"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_uncertainty_fails_with_one_line_and_writes_nothing(tmp_path, capsys, uncertainty, field):
    path = _write(tmp_path, uncertainty=uncertainty)
    out = tmp_path / "out"
    assert main(["compare", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and field in err and path.name in err
    assert not out.exists()


def test_the_flag_turns_uncertainty_on_and_the_report_names_the_hinges(tmp_path):
    path = _write(tmp_path, replications=4, set={"population.size": 800, "steps": 8})
    out = tmp_path / "out"
    with pytest.MonkeyPatch.context() as mp:  # the report's figures are drawn, not rendered: seconds saved
        mp.setattr(Figure, "savefig", lambda self, path, *a, **k: Path(path).touch())
        assert main(["compare", str(path), "--uncertainty", "--quiet", "--workers", "1", "--out", str(out)]) == 0
    text = (out / "report.md").read_text()
    assert "what the decision hinges on" in text and "hinges most on" in text
    draws = pd.read_csv(out / "draws.csv", index_col=0)
    assert len(draws) == 4 and draws.shape[1] > 50
    assert (out / "hinges.csv").exists()
