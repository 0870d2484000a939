"""The engine core: invariants, reproducibility, kernel == reference, serial == parallel, directions."""

from __future__ import annotations

import json

import mesa
import numba
import numpy as np
import pandas as pd
import pytest
from conftest import ACTIVE

from sim import RelationshipMarket
from sim.cli import main
from sim.customers.population import CustomerPopulation
from sim.market.columns import FIRM_COLUMNS
from sim.output.run import run_scenario
from sim.scenario import load_scenario

STATE = [n for n in CustomerPopulation.__dataclass_fields__ if n != "network"]


def _model(seed=3, engine="numba", **extra):
    return RelationshipMarket(rng=seed, overrides={**ACTIVE, **extra}, engine=engine)


def test_every_mechanism_is_exercised_and_invariants_hold():
    m = _model()
    m.debug = True  # check(): valid states, conservation, exact money identity, every step
    m.run(40)
    ts = m.timeseries()
    for col in (
        "churn_dissatisfaction",
        "churn_competition",
        "churn_own",
        "complaints",
        "recoveries",
        "positive_episodes",
        "negative_episodes",
        "referral_acquisitions",
        "acquired_from_rival",
    ):
        assert ts[col].sum() > 0, f"{col} never happened: the test would not exercise it"
    # customer-level margins add up to the firms' gross margin (two independent tallies)
    total_customer_margin = float(m.population.cum_margin.astype(np.float64).sum())
    firm_margin = float((ts["revenue"] - ts["cogs"] - ts["serve_cost"]).sum())
    assert total_customer_margin == pytest.approx(firm_margin, rel=1e-4)
    assert np.allclose(ts["gross_margin"], ts["revenue"] - ts["cogs"] - ts["serve_cost"], rtol=1e-9, atol=1e-6)
    # conservation in the table too
    per_step = (
        ts.groupby("step")["customers"].sum()
        + ts.groupby("step")["prospects"].first()
        + ts.groupby("step")["lapsed_customers"].first()
    )
    assert (per_step == m.population.n).all()


# every lever that reaches the kernel on, plus the BG/NBD purchase-triggered dropout
LEVERS_ON = {
    "firms.focal.levers": {
        "financial": {"spend": 100},
        "social": {"spend": 100},
        "structural": {"spend": 100},
        "one_to_one": {"spend": 100},
        "database": {"spend": 100},
        "tiered_service": {"targeting": 0.6, "end_unprofitable": True},
    },
    "firms.rival_1.levers.poaching.spend": 300,
    "population.segments.all.network_value": 0.5,
    "firms.focal.cost_to_serve": 3.0,
}
DROPOUT = {
    "dynamics.churn.own_after_purchase": True,
    "dynamics.churn.own_circumstances": 0.05,
    "population.frequency_gamma": [2.0, 4.0],
}


# prospects adopt so readily that the vector loop's bound sends every one to the event loop; linear and
# the most convex loyalty (the power is a chain of selects in the kernel)
EAGER = {"dynamics.acquisition.spontaneous": 0.9, "dynamics.loyalty.satisfaction_power": 1}
CONVEX = {"dynamics.loyalty.satisfaction_power": 8}


@pytest.mark.parametrize(
    "extra", [{}, LEVERS_ON, DROPOUT, EAGER, CONVEX], ids=["active", "levers", "bgnbd", "eager", "convex"]
)
def test_kernel_matches_numpy_reference(extra):
    a, b = _model(engine="numba", **extra), _model(engine="numpy", **extra)
    for _ in range(25):
        a.step()
        b.step()
        np.testing.assert_allclose(a.totals.array, b.totals.array, rtol=1e-9, atol=1e-6)
    for name in STATE:
        np.testing.assert_allclose(getattr(a.population, name), getattr(b.population, name), rtol=1e-6, err_msg=name)
    ts = a.timeseries()
    exercised = {
        "levers": ("ended_by_firm", "churn_staff", "bond_structural", "acquired_from_rival"),
        "bgnbd": ("churn_own",),
    }.get("levers" if extra is LEVERS_ON else "bgnbd" if extra else "", ())
    for col in exercised:
        assert ts[col].sum() > 0, f"{col} never happened"


def _many_firms_scenario(tmp_path, baseline_path, extra_firms=2):
    """The baseline with MASKED_TALLY_MAX_FIRMS + extra_firms firms: above that many the kernel tallies by
    a scalar scatter; at exactly that many, the packed counts use their last field."""
    import yaml

    from sim.customers.kernel import MASKED_TALLY_MAX_FIRMS

    doc = yaml.safe_load(baseline_path.read_text())
    n_firms = MASKED_TALLY_MAX_FIRMS + extra_firms
    doc["firms"] = [{**doc["firms"][k % 3], "name": f"firm_{k}", "initial_share": 0.8 / n_firms} for k in range(n_firms)]
    path = tmp_path / "many_firms.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path, n_firms


@pytest.mark.parametrize("extra_firms", [0, 2], ids=["most_packed", "scattered"])
def test_kernel_matches_numpy_reference_with_many_firms(extra_firms, tmp_path, baseline_path):
    path, n_firms = _many_firms_scenario(tmp_path, baseline_path, extra_firms)
    extra = {k: v for k, v in ACTIVE.items() if not k.startswith("firms.")}
    a, b = (RelationshipMarket(path, rng=4, overrides=extra, engine=e) for e in ("numba", "numpy"))
    for _ in range(20):
        a.step()
        b.step()
        np.testing.assert_allclose(a.totals.array, b.totals.array, rtol=1e-9, atol=1e-6)
    for name in STATE:
        np.testing.assert_allclose(getattr(a.population, name), getattr(b.population, name), rtol=1e-6, err_msg=name)
    ts = a.timeseries()
    assert ts["firm"].nunique() == n_firms and ts["complaints"].sum() > 0 and ts["churned"].sum() > 0


def test_word_of_mouth_kernel_matches_reference_with_hubs(baseline_path):
    """Hubs whose neighbour lists overflow the batch buffers, many talkers of both signs, repeated
    receivers: the batched kernel delivers exactly what the plain loop of the reference does."""
    import copy

    from sim.customers.network import ContactNetwork
    from sim.customers.reference import wom_pass_ref
    from sim.customers.registry import T_POS_EPISODES

    m = RelationshipMarket(baseline_path, rng=2, overrides={"population.size": 30_000})
    pop = m.population
    rng = np.random.default_rng(5)
    deg = rng.integers(0, 12, pop.n)
    deg[[3, 700, 20_000]] = [25_000, 9_000, 9_000]
    indptr = np.concatenate([[0], np.cumsum(deg)]).astype(np.int64)
    pop.network = ContactNetwork(indptr, rng.integers(0, pop.n, indptr[-1]).astype(np.int32))
    pop.voice[:] = np.where(rng.random(pop.n) < 0.05, rng.choice([1, 2, 3, -1, -3], pop.n), 0)
    pop.voice[[3, 700, 20_000]] = [1, -2, 3]
    ref = copy.deepcopy(pop)
    got = pop.deliver_wom(np.uint64(11), 8.0, 25.0, m.n_firms).array
    want = wom_pass_ref(ref, np.uint64(11), 8.0, 25.0, m.n_firms)
    np.testing.assert_array_equal(got, want)
    for name in ("voice", "wom_pos_firm", "wom_pos_n", "wom_neg_firm", "wom_neg_n"):
        np.testing.assert_array_equal(getattr(pop, name), getattr(ref, name), err_msg=name)
    assert pop.wom_pos_n.max() > 1 and got[:, T_POS_EPISODES].sum() > 0  # told twice; praise delivered


@pytest.mark.parametrize("many_firms", [False, True], ids=["masked_tallies", "scattered_tallies"])
def test_serial_and_parallel_kernels_are_bit_identical(many_firms, tmp_path, baseline_path):
    path = _many_firms_scenario(tmp_path, baseline_path)[0] if many_firms else None
    results = []
    before = numba.get_num_threads()
    try:
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(threads)
            extra = {k: v for k, v in ACTIVE.items() if not (many_firms and k.startswith("firms."))}
            m = RelationshipMarket(path, rng=11, overrides={**extra, "population.size": 20000})  # several chunks
            m.run(15)
            results.append((m.totals.array.copy(), {n: getattr(m.population, n).copy() for n in STATE}))
    finally:
        numba.set_num_threads(before)
    (t1, s1), (t2, s2) = results
    assert np.array_equal(t1, t2)
    for name in STATE:
        assert np.array_equal(s1[name], s2[name]), name


def test_same_seed_same_parquet_different_seed_different(tmp_path, baseline_path):
    sc = load_scenario(baseline_path, {"population.size": 3000, "steps": 20})
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        run_scenario(sc, seed, tmp_path / name)
    for f in ("timeseries.parquet", "customers.parquet"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
        assert (tmp_path / "a" / f).read_bytes() != (tmp_path / "c" / f).read_bytes()


def test_much_better_competitor_takes_customers():
    base = {"population.size": 6000, "steps": 52}
    better = {
        **base,
        "firms.rival_1.offer.product": 1.0,
        "firms.rival_1.offer.service": 1.0,
        "firms.rival_1.offer.price": 0.7,
    }
    shares = {}
    for label, o in (("equal", base), ("better", better)):
        m = RelationshipMarket(rng=1, overrides=o).run()
        ts = m.timeseries()
        last = ts[ts.step == ts.step.max()].set_index("firm")
        shares[label] = last["market_share"]
        if label == "better":
            won = ts[ts.firm == "rival_1"]["acquired_from_rival"].sum()
            lost = ts[ts.firm == "focal"]["switched_to_rival"].sum()
    assert shares["better"]["rival_1"] > shares["equal"]["rival_1"] + 0.1
    assert shares["better"]["focal"] < shares["equal"]["focal"]
    assert won > 0 and lost > 0


def test_no_churn_causes_means_no_churn():
    m = _model(
        **{
            "dynamics.churn.dissatisfaction": 0.0,
            "dynamics.churn.competition": 0.0,
            "dynamics.churn.own_circumstances": 0.0,
            "dynamics.wom.referral_pull": 0.0,
            **{f"firms.{f}.employees.follow": 0.0 for f in ("focal", "rival_1", "rival_2")},
        }
    )
    m.run(30)
    ts = m.timeseries()
    assert ts["churned"].sum() == 0 and (ts.loc[ts.step > 0, "retention_rate"] == 1.0).all()
    assert ts["acquired"].sum() > 0  # the model still moved


def test_timeseries_and_customer_tables(tmp_path, baseline_path):
    out = tmp_path / "run"
    code = main(
        [
            "run",
            str(baseline_path),
            "--seed",
            "7",
            "--steps",
            "12",
            "--out",
            str(out),
            "--quiet",
            "--set",
            "population.size=2000",
        ]
    )
    assert code == 0
    ts = pd.read_parquet(out / "timeseries.parquet")
    required = {
        "step",
        "firm",
        "customers",
        "acquired",
        "churned",
        "retention_rate",
        "satisfaction",
        "trust",
        "loyalty",
        "revenue",
        "cost",
        "profit",
        "customer_equity",
    }
    assert required <= set(ts.columns)
    assert len(ts) == 13 * 3 and set(ts["firm"]) == {"focal", "rival_1", "rival_2"}
    assert np.allclose(ts["profit"], ts["revenue"] - ts["cost"])
    cust = pd.read_parquet(out / "customers.parquet")
    assert {"firm", "segment", "stage", "tenure", "satisfaction", "trust", "loyalty", "cumulative_margin"} <= set(
        cust.columns
    )
    assert len(cust) == 2000
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 7 and summary["resolved_scenario"]["population"]["size"] == 2000
    assert summary["resolved_scenario"]["steps"] == 12 and "mesa" in summary["versions"]
    assert (out / "overview.png").stat().st_size > 10_000
    # --force replaces atomically; nothing temporary is left beside it
    assert (
        main(
            [
                "run",
                str(baseline_path),
                "--out",
                str(out),
                "--quiet",
                "--force",
                "--steps",
                "3",
                "--set",
                "population.size=500",
            ]
        )
        == 0
    )
    assert len(pd.read_parquet(out / "customers.parquet")) == 500
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_customer_snapshot_is_a_copy_unless_views_are_asked_for(baseline_path):
    m = RelationshipMarket(baseline_path, rng=3, overrides={"population.size": 3000})
    m.run(4)
    copied, views = m.customers(), m.customers(copy=False)
    before = copied.copy(deep=True)
    m.run(4)
    pd.testing.assert_frame_equal(copied, before)  # a snapshot does not move with the model
    assert not views["satisfaction"].equals(before["satisfaction"])  # views do (what `sim run` writes)


def test_mesa_batch_run_accepts_the_model():
    rows = mesa.batch_run(
        RelationshipMarket,
        parameters={"population__size": [500, 800], "steps": 5},
        rng=[1, 2],
        max_steps=5,
        number_processes=1,
        display_progress=False,
    )
    df = pd.DataFrame(rows)
    assert set(df["population__size"]) == {500, 800} and len(df["RunId"].unique()) == 4
    assert set(FIRM_COLUMNS[:5]) <= set(df.columns)


def test_memory_per_customer_within_bound():
    m = RelationshipMarket(rng=0, overrides={"population.size": 50_000})
    assert m.population.nbytes / m.population.n <= 150


def test_kernels_are_cached_on_disk():
    """A second process must not recompile (issue: cached kernels): after a step, each kernel was loaded
    from numba's on-disk cache or compiled and written to it; a kernel numba cannot cache (one using
    something it cannot pickle, say) has no index file there."""
    from pathlib import Path

    from sim.customers.kernel import customer_pass
    from sim.customers.network import _csr
    from sim.customers.wom import _wom_batch, wom_pass

    _model(seed=1, **{"population.size": 300}).step()
    for kernel in (customer_pass, wom_pass, _wom_batch, _csr):
        cache = kernel.stats.cache_path
        assert cache is not None, f"{kernel.__name__} is not compiled with cache=True"
        assert list(Path(cache).glob(f"*.{kernel.__name__}-*.nbi")), f"no cache index for {kernel.__name__} in {cache}"
