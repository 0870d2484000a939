"""Robustness across futures (issue 18): regret and min-max regret, satisficing, PRIM boxes (against the
baseline and the robust choice), futures that are the same for every strategy, bit-identical results on
the serial, pool, Dask local and Dask tcp backends and after a kill, and one-line errors for bad inputs."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.cli import main
from sim.experiments import robustness_report, store
from sim.experiments.discovery import describe, find_box
from sim.experiments.robustness import Target, regret_table, sample_futures, satisficing
from sim.experiments.spec import expand, load_experiment

# futures (rows) x strategies: regret by hand: A [0, 5, 0] (max 5), B [2, 0, 9] (max 9), C [1, 3, 4] (max 4)
VALUES = pd.DataFrame({"A": [10.0, 0.0, 7.0], "B": [8.0, 5.0, -2.0], "C": [9.0, 2.0, 3.0]})


def test_regret_and_min_max_regret_match_a_hand_computation():
    t = regret_table(VALUES).set_index("strategy")
    assert t.loc["A", "max_regret"] == 5 and t.loc["B", "max_regret"] == 9 and t.loc["C", "max_regret"] == 4
    assert t.loc["A", "mean_regret"] == pytest.approx(5 / 3) and t.loc["C", "mean_regret"] == pytest.approx(8 / 3)
    assert t.loc["A", "share_best"] == pytest.approx(2 / 3) and t.loc["C", "share_best"] == 0
    assert t["robust"].sum() == 1 and t.loc["C", "robust"]  # C never wins, yet has the least worst regret
    low = regret_table(VALUES, higher_is_better=False).set_index("strategy")  # e.g. churn: less is better
    # less is better: regret A [2, 0, 9], B [0, 5, 0], C [1, 2, 5]; B and C tie on max regret, B's mean is lower
    assert low.loc["B", "max_regret"] == 5 and low.loc["C", "max_regret"] == 5 and low.loc["A", "max_regret"] == 9
    assert low.loc["B", "robust"]


def test_satisficing_against_the_baseline_or_an_absolute_target():
    rel = satisficing(VALUES, Target(), "A")  # at least the baseline A in the same future
    assert rel.to_dict() == pytest.approx({"A": 1.0, "B": 1 / 3, "C": 1 / 3})
    absolute = satisficing(VALUES, Target(min=4, relative_to="absolute"), "A")
    assert absolute.to_dict() == pytest.approx({"A": 2 / 3, "B": 2 / 3, "C": 1 / 3})
    capped = satisficing(VALUES, Target(max=-1), "A")  # at least 1 below the baseline
    assert capped.to_dict() == pytest.approx({"A": 0.0, "B": 2 / 3, "C": 2 / 3})


def test_prim_finds_a_planted_box():
    rng = np.random.default_rng(3)
    x = pd.DataFrame(rng.random((400, 4)), columns=["x1", "x2", "x3", "x4"])
    x["rivals"] = rng.choice(["ignore", "match", "undercut"], 400)
    y = ((x["x1"] < 0.3) & (x["x2"] > 0.6)).to_numpy()
    box = find_box(x, y)
    assert box["coverage"] > 0.9 and box["density"] > 0.9
    assert set(box["limits"]) == {"x1", "x2"}
    assert box["limits"]["x1"][1] == pytest.approx(0.3, abs=0.03) and box["limits"]["x2"][0] == pytest.approx(0.6, abs=0.03)
    cat = find_box(x, ((x["rivals"] == "match") & (x["x3"] > 0.5)).to_numpy())
    assert cat["limits"]["rivals"] == ["match"] and cat["coverage"] > 0.9 and cat["density"] > 0.9
    assert "rivals is match" in describe(cat)
    assert find_box(x, np.zeros(400, dtype=bool)) is None


def test_prim_boxes_against_the_robust_choice_on_a_constructed_futures_table(tmp_path):
    """200 futures over x1, x2 (uniform) and a categorical rival reaction. ``steady`` earns 5 everywhere;
    ``bold`` earns 8, except in the box x1 < 0.3 and x2 > 0.6 where it earns -20; ``base`` earns 0.
    Regret: steady max 3, bold max 25, base max 8, so steady is the robust choice and bold loses to it
    exactly in the box. ``copycat`` earns 6 when rivals ignore, else 4: it loses to steady exactly when the
    rivals match. ``twin`` is steady again (same values, a later name): it never loses to it."""
    rng = np.random.default_rng(7)
    n = 200
    x = pd.DataFrame({"x1": rng.random(n), "x2": rng.random(n), "reaction": rng.choice(["ignore", "match"], n)})
    in_box = ((x["x1"] < 0.3) & (x["x2"] > 0.6)).to_numpy()
    value = {
        "base": np.zeros(n),
        "steady": np.full(n, 5.0),
        "bold": np.where(in_box, -20.0, 8.0),
        "copycat": np.where(x["reaction"] == "ignore", 6.0, 4.0),
        "twin": np.full(n, 5.0),
    }
    runs = pd.concat(
        pd.DataFrame({"point": np.arange(n), "strategy": s, "profit_total": v, **{f"param:{c}": x[c] for c in x}})
        for s, v in value.items()
    )
    meta = {
        "futures": n,
        "replications": 1,
        "baseline": "base",
        "strategies": list(value),
        "target": None,
        "uncertainties": [
            {"name": "x1", "low": 0.0, "high": 1.0},
            {"name": "x2", "low": 0.0, "high": 1.0},
            {"name": "reaction", "values": ["ignore", "match"]},
        ],
    }
    text = "\n".join(robustness_report.sections(tmp_path, meta, runs))
    assert "**Robust choice (least maximum regret): steady**" in text
    boxes = pd.read_csv(tmp_path / "boxes.csv").set_index(["strategy", "against"])
    bold = boxes.loc[("bold", "steady")]
    assert bold["cases"] == in_box.sum() and bold["coverage"] > 0.9 and bold["density"] > 0.9
    limits = re.fullmatch(r"x1 is at most ([\d.]+) and x2 is at least ([\d.]+)", bold["box"])
    assert limits, bold["box"]  # the box's edges lie between the futures nearest to x1 = 0.3 and x2 = 0.6
    assert float(limits[1]) == pytest.approx(0.3, abs=0.04) and float(limits[2]) == pytest.approx(0.6, abs=0.04)
    assert boxes.loc[("copycat", "steady")]["box"] == "reaction is match"
    assert boxes.loc[("copycat", "steady"), "coverage"] == 1 and boxes.loc[("copycat", "steady"), "density"] == 1
    robust_part = text.split("loses to the robust choice, steady")[1]
    assert "**twin** never loses to steady in these 200 futures: no case, no box." in robust_part
    assert "**base** loses to steady in every one of the 200 futures (it never beats it): no box." in robust_part
    assert (tmp_path / "figures" / "prim_bold_vs_robust.png").stat().st_size > 10_000
    # against the baseline: bold loses exactly in the box too, the others never
    assert boxes.loc[("bold", "base")]["cases"] == in_box.sum()
    assert "**steady** never loses to base" in text.split("loses to the robust choice")[0]


def _write(tmp_path: Path, **fields) -> Path:
    data = {
        "name": "rob",
        "kind": "compare",
        "replications": 1,
        "set": {"population.size": 600, "steps": 6},
        "baseline": {"name": "base", "scenario": "baseline"},
        "strategies": [
            {"name": "loyalty", "scenario": "loyalty_program"},
            {"name": "care", "scenario": "baseline", "set": {"firms.focal.budget.retention": 3000}},
        ],
        "futures": 3,
        "uncertainties": [
            {"name": "reaction", "values": ["ignore", "match"]},
            {"name": "reaction.lag", "low": 2, "high": 6, "integer": True},
            {"name": "dynamics.levers.financial_rate", "low": 0.03, "high": 0.15},
        ],
    }
    data.update(fields)
    path = tmp_path / "rob.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_futures_are_latin_hypercube_and_shared_by_every_strategy(tmp_path):
    exp, base = load_experiment(_write(tmp_path, futures=6, replications=2))
    f = sample_futures(exp)
    assert len(f) == 6 and f["reaction.lag"].between(2, 6).all()
    rate = np.sort(f["dynamics.levers.financial_rate"].to_numpy())
    strata = np.floor((rate - 0.03) / 0.12 * 6)  # LHS: one future in each sixth of the range
    assert sorted(strata) == list(range(6))
    specs, _ = expand(exp, base)
    assert len(specs) == 3 * 6 * 2
    for point in range(6):
        mine = [s for s in specs if s.point == point]
        assert len({s.seed for s in mine}) == 2 and len({json_key(s.params) for s in mine}) == 1
        reacting = mine[0].scenario["firms"][1]["reaction"]
        assert reacting["policy"] == f["reaction"][point] and reacting["lag"] == f["reaction.lag"][point]


def json_key(d: dict) -> str:
    return repr(sorted(d.items()))


@contextmanager
def no_figures() -> Iterator[None]:
    """Figures drawn but not rendered (an empty file each): these tests check results, and rendering a
    report's figures costs seconds (the PRIM figure is rendered in the constructed-table test above)."""
    from matplotlib.figure import Figure

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Figure, "savefig", lambda self, path, *a, **k: Path(path).touch())
        yield


@pytest.fixture(scope="module")
def futures_compare(tmp_path_factory) -> tuple[Path, Path]:
    """One serial futures experiment (3 strategies x 3 futures), shared by the end-to-end tests
    below; like them it renders no figures."""
    tmp = tmp_path_factory.mktemp("rob")
    path = _write(tmp)
    out = tmp / "serial"
    with no_figures():
        assert main(["compare", str(path), "--quiet", "--workers", "1", "--out", str(out)]) == 0
    return path, out


FUTURE_FILES = ("regret.csv", "futures.csv", "boxes.csv", "comparison.csv", "ranking.csv", "decision.json")


def _same(a: Path, b: Path) -> None:
    """Bit-identical results: the robustness tables, the decision and every run table (but its wall time)."""
    for name in FUTURE_FILES:
        assert (a / name).exists() == (b / name).exists(), name
        if (a / name).exists():
            assert (a / name).read_text() == (b / name).read_text(), name
    ra, rb = (store.read_runs(f).drop(columns="runtime_seconds") for f in (a, b))
    assert len(ra) == 3 * 3 * 7 * 3  # strategies x futures x (steps + 1) x firms
    pd.testing.assert_frame_equal(ra, rb, check_exact=True)


def test_the_futures_report(futures_compare):
    _, out = futures_compare
    text = (out / "report.md").read_text()
    assert "Robust choice (least maximum regret)" in text and "loses to the robust choice" in text
    assert "param:reaction" in store.read_runs(out).columns


def test_a_killed_futures_experiment_resumes_to_the_same_results(futures_compare, tmp_path):
    path, out = futures_compare
    killed = tmp_path / "killed"
    shutil.copytree(out, killed)
    for p in sorted((killed / "runs").glob("*.parquet"))[1::2]:  # the runs a kill would have lost
        p.unlink()
    for name in FUTURE_FILES:
        (killed / name).unlink(missing_ok=True)
    with no_figures():
        assert main(["compare", str(path), "--quiet", "--workers", "1", "--out", str(killed)]) == 0
    _same(out, killed)


@pytest.mark.parametrize("backend", ["pool", "dask tcp"])
def test_futures_are_identical_on_every_backend(futures_compare, backend, tmp_path, request):
    """Dask's local cluster differs from a tcp one only in how the client is made (``connect``), which the
    sequential compare's test (tests/test_decision.py) and tests/test_experiments.py run: not again here."""
    path, out = futures_compare
    there = tmp_path / backend.replace(" ", "_")
    if backend == "dask tcp":  # a cluster reached by its address (tests/conftest.py); only this case starts it
        address = request.getfixturevalue("tcp_scheduler")
        with no_figures():
            assert main(["compare", str(path), "--quiet", "--scheduler", address, "--out", str(there)]) == 0
    else:
        with no_figures():
            assert main(["compare", str(path), "--quiet", "--workers", "2", "--out", str(there)]) == 0
    _same(out, there)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"uncertainties": [{"name": "dynamics.levers.financial_rate", "low": 0.2, "high": 0.1}]}, "low must be below"),
        ({"uncertainties": [{"name": "dynamics.nowhere", "low": 0.1, "high": 0.2}]}, "nowhere"),
        ({"uncertainties": [{"name": "reaction", "values": ["ignore", "sulk"]}]}, "sulk"),
        ({"uncertainties": [{"name": "reaction.speed", "low": 1, "high": 2}]}, "reaction.speed"),
        ({"target": {"metric": "happiness"}}, "happiness"),
        ({"futures": None}, "futures"),
        ({"reactions": ["match"]}, "futures"),
    ],
)
def test_bad_robustness_inputs_fail_with_one_line_and_write_nothing(tmp_path, capsys, change, field):
    path = _write(tmp_path, **change)
    out = tmp_path / "out"
    assert main(["compare", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and field in err and path.name in err, err
    assert not out.exists()
