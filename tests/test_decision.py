"""Selection of the best strategy (issue 18): Holm, MCB, probability of being best, groups, the return on
spend ratio, the sequential procedure on a synthetic problem, and ``sim compare --confidence --uncertainty``
end to end: resumed after a kill, and bit-identical on the serial, pool, Dask local and Dask tcp backends."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.cli import main
from sim.experiments import decision, sequential, store

ROOT = Path(__file__).resolve().parents[1]
BASELINE = str(ROOT / "scenarios" / "baseline.yaml")


def test_holm_matches_the_textbook_example_and_statsmodels():
    """Holm's worked example, four hypotheses at alpha = 0.05: the Wikipedia article "Holm-Bonferroni
    method" (section "Example") gives the unadjusted p-values 0.01, 0.03, 0.04 and 0.005 for hypotheses one
    to four; GeeksforGeeks' "Holm-Bonferroni Method" the same values as H1 0.01, H2 0.04, H3 0.03, H4 0.005.
    Both reject hypotheses one and four (0.005 < 0.05/4, 0.01 < 0.05/3) and not the other two (the next,
    0.03, is above 0.05/2, which stops the procedure). They print the verdicts, not adjusted p-values; those
    are checked against statsmodels' ``multipletests(method="holm")`` (an independent implementation),
    here and on random families with ties."""
    from statsmodels.stats.multitest import multipletests

    np.testing.assert_array_equal(decision.holm(np.array([0.01, 0.03, 0.04, 0.005])) < 0.05, [True, False, False, True])
    p = np.array([0.01, 0.04, 0.03, 0.005])
    got = decision.holm(p)
    np.testing.assert_array_equal(got < 0.05, [True, False, False, True])  # the published verdicts
    np.testing.assert_allclose(got, [0.03, 0.06, 0.06, 0.02])  # by hand: 4 x 0.005, 3 x 0.01, max(2 x 0.03, .)
    np.testing.assert_allclose(got, multipletests(p, method="holm")[1])
    rng = np.random.default_rng(18)
    for m in (2, 5, 14):
        q = np.round(rng.uniform(0, 0.2, m), 3)  # rounding makes ties
        np.testing.assert_allclose(decision.holm(q), multipletests(q, method="holm")[1])
    # capped at 1, NaN outside the family (m = 2 here)
    np.testing.assert_allclose(decision.holm(np.array([0.6, np.nan, 0.4])), [0.8, np.nan, 0.8])


# Three strategies, four paired replications. Computed by hand, not a published example: the textbook MCB
# examples we found (Hsu 1996's one-way layouts, as reproduced by JMP's and Real Statistics' help pages)
# pool the variance over independent groups and use Dunnett's one-sided constant, while this is the paired
# (common random numbers) form with Bonferroni's constant of Nelson & Matejcik (1995), whose numerical
# example we could not read; no published MCB number is used. The differences 0-1 are [2,3,2,3] (mean 2.5, sd
# sqrt(1/3)), 0-2 are [0,1,0,1] (mean 0.5, same sd), 2-1 are [2,2,2,2] (mean 2, sd 0). Bonferroni
# critical value over k-1 = 2 comparisons at 95%: t(0.975, 3) = 3.182446, so w = 3.182446 * sqrt(1/3) / 2
# = 0.918694 for the pairs with spread and 0 for 2-1.
V = np.array([[10.0, 12, 11, 13], [8, 9, 9, 10], [10, 11, 11, 12]])


def test_mcb_intervals_match_a_hand_computation():
    low, high = decision.mcb(V, 0.95)
    w = 0.918694
    np.testing.assert_allclose(low, [min(0.5 - w, 2.5 - w), -2.5 - w, -0.5 - w], atol=1e-5)
    np.testing.assert_allclose(high, [0.5 + w, 0.0, -0.5 + w], atol=1e-5)
    # 1 is ruled out as best (its upper end is 0); 0 and 2 cannot be separated: tied for best
    np.testing.assert_array_equal(decision.groups(V, high), [1, 2, 1])


def test_probability_of_being_best_follows_the_paired_means():
    rng = np.random.default_rng(1)
    common = rng.normal(0, 10, 40)  # a large shared component: pairing must remove it
    v = np.vstack([common, common + 1 + rng.normal(0, 0.5, 40), common + 0.9 + rng.normal(0, 0.5, 40)])
    pb = decision.prob_best(v)
    assert pb.sum() == pytest.approx(1.0)
    assert pb[0] < 0.01  # one unit below, far beyond the noise of the paired differences
    assert 0.2 < pb[2] < pb[1] < 0.95  # 0.1 apart with noise 0.5 / sqrt(40) per mean: not separable
    # unpaired (each row shuffled) the shared component is noise again: strategy 0, ruled out when paired,
    # keeps a real chance (about 0.17 on this draw)
    shuffled = np.vstack([rng.permutation(r) for r in v])
    assert decision.prob_best(shuffled)[0] > 0.1


def test_groups_do_not_chain():
    # one clear best (row 4); below it 0 > 1 > 2 > 3 in steps of 0.5 that neighbours cannot resolve
    # (paired se ~0.26), while 0 and 3 (1.5 apart) can: 0 and 3 must not end in one group
    rng = np.random.default_rng(3)
    base = rng.normal(0, 5, 30)
    v = np.vstack([base - 0.5 * i + rng.normal(0, 1.0, 30) for i in range(4)] + [base + 20 + rng.normal(0, 1.0, 30)])
    _, high = decision.mcb(v)
    g = decision.groups(v, high)
    assert g[4] == 1 and g[0] == 2 and g[3] > g[0]


def test_return_on_spend_is_a_ratio_of_mean_differences_with_a_delta_interval():
    # by hand: r = mean(dp)/mean(ds) = 13/6; residuals dp - r ds = [-5/6, 1, 7/6, -4/3], sd = 1.269296;
    # half-width = t(0.975, 3) * 1.269296 / sqrt(4) / 6 = 3.182446 * 0.105775 = 0.336622
    r, lo, hi, note = decision.return_on_spend(np.array([10.0, 14, 12, 16]), np.array([5.0, 6, 5, 8]))
    assert note == ""
    assert r == pytest.approx(13 / 6)
    assert (lo, hi) == pytest.approx((13 / 6 - 0.336622, 13 / 6 + 0.336622), abs=1e-5)
    # spend difference within noise (its interval includes 0): no ratio
    r, lo, hi, note = decision.return_on_spend(np.array([5.0, 6, 7, 8]), np.array([1.0, -1, 2, -2]))
    assert np.isnan(r) and note == "n/a — no extra spend"
    assert decision.return_on_spend(np.array([1.0, 2]), np.array([0.0, 0]))[3] == "n/a — no extra spend"
    # a precise but tiny extra spend (0.5) under a profit difference with a half-width of ~3: no ratio
    small = decision.return_on_spend(np.array([-100.0, -102, -98, -101]), np.array([0.5, 0.5, 0.51, 0.49]))
    assert small[3] == "n/a — no extra spend"


MEANS = {"base": 0.0, "a": 1.0, "b": 2.0, "c": 3.0, "best": 5.0}


def _sampler(seed: int):
    def sample(strategy: str, k: int) -> float:  # replication k shares a common component (CRN)
        common = np.random.default_rng([seed, k]).normal(0, 3)
        own = np.random.default_rng([seed, k, list(MEANS).index(strategy)]).normal(0, 2)
        return MEANS[strategy] + common + own

    return sample


def test_sequential_selection_finds_the_known_best_with_fewer_runs():
    found, runs = 0, []
    for seed in range(30):
        res = sequential.run(
            list(MEANS), "base", sequential.one_by_one(_sampler(seed)), n0=8, max_n=100, confidence=0.9, indifference=1.0
        )
        assert res.stopped == sequential.STOP_CONFIDENCE
        found += res.best == "best"
        runs.append(sum(res.counts().values()))
    assert found >= 27  # P = 0.9 of correct selection; KN is conservative
    assert np.mean(runs) < 0.6 * 30 * len(MEANS)  # a fixed 30 replications: 150 runs (measured: 77 on average)


def test_sequential_results_do_not_depend_on_the_order_runs_come_back():
    def shuffled(jobs):  # a backend returns the round in any order
        got = sequential.one_by_one(_sampler(4))(list(reversed(jobs)))
        return dict(reversed(list(got.items())))

    a = sequential.run(list(MEANS), "base", sequential.one_by_one(_sampler(4)), n0=6, confidence=0.9, indifference=1.0)
    b = sequential.run(list(MEANS), "base", shuffled, n0=6, confidence=0.9, indifference=1.0)
    assert a.values == b.values and a.rounds == b.rounds


def test_sequential_precision_and_the_cap():
    res = sequential.run(list(MEANS), "base", sequential.one_by_one(_sampler(0)), n0=4, max_n=200, precision=1.0)
    assert res.stopped == sequential.STOP_PRECISION
    counts = res.counts()
    assert counts["base"] == max(counts.values())  # the baseline keeps pace with its paired comparisons
    # two equal best strategies never separate: the cap stops it
    tie = {"x": 1.0, "y": 1.0}

    def same(s: str, k: int) -> float:
        return tie[s] + np.random.default_rng([k, s == "x"]).normal(0, 1)

    res = sequential.run(["x", "y"], "x", sequential.one_by_one(same), n0=4, max_n=12, confidence=0.95, indifference=0.01)
    assert res.stopped == sequential.STOP_MAX and res.counts() == {"x": 12, "y": 12}


def _experiment(tmp_path: Path) -> Path:
    data = {
        "name": "decide",
        "kind": "compare",
        "replications": 2,
        "steps": 6,
        "set": {"population.size": 600},
        "baseline": {"name": "base", "scenario": BASELINE},
        "strategies": [
            {"name": "recovery", "scenario": BASELINE, "set": {"firms.focal.recovery_rate": 0.9}},
            {"name": "structural", "scenario": BASELINE, "set": {"firms.focal.levers.structural.spend": 20000}},
        ],
    }
    path = tmp_path / "decide.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


# sequential replications (KN, indifference zone of 1 currency unit: a second round runs) with parameter
# uncertainty on: one draw of every assumption per replication, shared by the strategies
SEQ = ["--confidence", "0.9", "--indifference", "1", "--max-replications", "3", "--uncertainty", "--quiet"]
SAME_FILES = ("decision.json", "sequential.json", "ranking.csv", "comparison.csv", "draws.csv")


@contextmanager
def no_figures() -> Iterator[None]:
    """Figures drawn but not rendered (an empty file each): these tests check results, and rendering a
    report's figures costs seconds (tests/test_experiments.py renders a compare report's figures)."""
    from matplotlib.figure import Figure

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Figure, "savefig", lambda self, path, *a, **k: Path(path).touch())
        yield


@pytest.fixture(scope="module")
def sequential_compare(tmp_path_factory) -> tuple[Path, Path]:
    """One serial sequential compare (with --uncertainty), shared by the end-to-end tests below;
    like them it renders no figures."""
    tmp = tmp_path_factory.mktemp("decide")
    path = _experiment(tmp)
    out = tmp / "serial"
    with no_figures():
        assert main(["compare", str(path), *SEQ, "--workers", "1", "--out", str(out)]) == 0
    return path, out


def assert_same_results(a: Path, b: Path, files: tuple[str, ...] = SAME_FILES) -> None:
    """Bit-identical results: the decision files and every run table (all but the run's wall time)."""
    for name in files:
        assert (a / name).read_text() == (b / name).read_text(), name
    ra, rb = (store.read_runs(f).drop(columns="runtime_seconds") for f in (a, b))
    assert len(ra) and sorted(p.name for p in (a / "runs").glob("*.parquet")) == sorted(
        p.name for p in (b / "runs").glob("*.parquet")
    )
    pd.testing.assert_frame_equal(ra, rb, check_exact=True)


def test_compare_confidence_end_to_end(sequential_compare):
    _, out = sequential_compare
    d = json.loads((out / "decision.json").read_text())
    for field in ("metric", "unit", "best", "prob_best", "runner_up", "gap_to_runner_up", "groups", "runs_per_strategy"):
        assert field in d
    assert d["metric"] == "profit_total" and d["stopped"] in (sequential.STOP_CONFIDENCE, sequential.STOP_MAX)
    assert (
        sum(d["runs_per_strategy"].values())
        == d["runs_total"]
        == len(json.loads((out / "sequential.json").read_text())["keys"])
    )
    assert max(d["runs_per_strategy"].values()) == 3  # a second round ran (indifference zone of 1 currency unit)
    report = (out / "report.md").read_text()
    assert report.index("## Decision") < report.index("## Ranking") and d["best"] in report.split("## Ranking")[0]
    assert "what the decision hinges on" in report and "hinges most on" in report  # draws reached runs and report
    assert (out / "hinges.csv").exists()
    ranking = (out / "ranking.csv").read_text().splitlines()[0]
    assert "prob_best" in ranking and "group" in ranking
    draws = pd.read_csv(out / "draws.csv", index_col=0)
    assert len(draws) == max(d["runs_per_strategy"].values()) and draws.shape[1] > 50


def test_a_killed_sequential_compare_resumes_to_the_same_decision(sequential_compare, tmp_path):
    """A kill loses the runs not yet written: remove every other run file (of every round) and the
    decision; the compare run again replays the rounds, redoes the missing runs and decides the same."""
    path, out = sequential_compare
    killed = tmp_path / "killed"
    shutil.copytree(out, killed)
    for p in sorted((killed / "runs").glob("*.parquet"))[::2]:
        p.unlink()
    (killed / "decision.json").unlink()
    with no_figures():
        assert main(["compare", str(path), *SEQ, "--workers", "1", "--out", str(killed)]) == 0
    assert_same_results(out, killed)
    # sim results reads the same runs back
    with no_figures():
        assert main(["results", str(killed)]) == 0
    assert (killed / "decision.json").read_text() == (out / "decision.json").read_text()


@pytest.mark.parametrize("backend", ["pool", "dask local", "dask tcp"])
def test_sequential_compare_is_identical_on_every_backend(sequential_compare, backend, request, tmp_path):
    path, out = sequential_compare
    args = {
        "pool": ["--workers", "2"],
        "dask local": ["--scheduler", "local", "--workers", "1"],
        "dask tcp": ["--scheduler", request.getfixturevalue("tcp_scheduler")] if backend == "dask tcp" else [],
    }[backend]
    there = tmp_path / backend.replace(" ", "_")
    with no_figures():
        assert main(["compare", str(path), *SEQ, *args, "--out", str(there)]) == 0
    assert_same_results(out, there)


def test_sequential_flags_are_checked(tmp_path, capsys):
    path = _experiment(tmp_path)
    out = tmp_path / "bad"
    assert main(["compare", str(path), "--confidence", "0.9", "--precision", "0.1", "--out", str(out)]) == 2
    assert main(["compare", str(path), "--confidence", "1.5", "--out", str(out)]) == 2
    assert main(["compare", str(path), "--precision", "0.1", "--max-replications", "1", "--out", str(out)]) == 2
    assert not out.exists()
    assert "--confidence" in capsys.readouterr().err


def _pid_or_die_once(marker_dir: str, spec):
    """A run returning its worker's process id; a run labelled "die" kills its worker the first time."""
    import os
    import signal

    marker = Path(marker_dir) / spec.key
    if spec.label == "die" and not marker.exists():
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return spec.key, pd.DataFrame({"pid": [os.getpid()]}), ""


def test_kept_pools_serve_every_round_and_a_broken_one_is_replaced(tmp_path):
    """Inside ``kept_pools`` (a sequential compare's rounds) the worker processes outlive one ``execute``
    call; a pool broken by a killed worker is not kept (its runs are retried as without kept pools)."""
    from functools import partial

    from sim.experiments import execute as execute_module
    from sim.experiments.execute import execute, kept_pools
    from sim.experiments.spec import RunSpec

    attempt = partial(_pid_or_die_once, str(tmp_path))

    def run(labels: list[str], start: int) -> dict[str, int | None]:
        specs = [RunSpec(f"k{start + i}", label, 0, i, {}, {}, "focal") for i, label in enumerate(labels)]
        got: dict[str, int | None] = {}
        execute(specs, lambda s, t, e: got.update({s.key: None if t is None else int(t["pid"].iloc[0])}), 2, attempt=attempt)
        assert sorted(got) == sorted(s.key for s in specs)
        return got

    with kept_pools():
        first = set(run(["ok"] * 4, 0).values())
        assert set(run(["ok"] * 4, 10).values()) <= first  # round 2 ran in the same processes
        survived = run(["ok", "die"], 20)  # a worker killed: its runs retried (alone, in a 1-worker pool)
        assert None not in survived.values() and not set(survived.values()) <= first
        assert 2 not in execute_module._KEPT  # the broken pool is not kept: the next call starts a new one
    assert execute_module._KEPT is None  # every kept pool shut down at the end


def test_the_decision_states_the_horizon_in_the_scenarios_own_steps():
    from sim.experiments.decision_report import _horizon

    assert _horizon(104, 52) == "104 weeks (2.0 years)"
    assert _horizon(24, 12) == "24 months (2.0 years)"  # a monthly scenario (it said "24 weeks (0.5 years)")
