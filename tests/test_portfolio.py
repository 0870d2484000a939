"""The customer portfolio (D8, D9): classes on constructed populations with known classes (band edges included),
the migration matrix, targeting off = unchanged results, and class-targeted bond spend doing what it says."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.customers import registry as L
from sim.customers.portfolio import class_multipliers, pyramid_codes
from sim.experiments.migration import CLASSES, migration_counts
from sim.output.portfolio import classify
from sim.scenario.portfolio import Portfolio


def _table(n: int, **cols) -> pd.DataFrame:
    """A customers table of ``n`` customers of firm "a" (columns of the snapshot and the outlook)."""
    base = {
        "firm": pd.Categorical(["a"] * n, categories=["a", "none"]),
        "stage": pd.Categorical(["growing"] * n, categories=list(L.STAGES)),
        "purchases": np.ones(n, np.uint16),
        "last_purchase": np.zeros(n, np.int32),
        "cumulative_revenue": np.zeros(n, np.float32),
        "trust": np.full(n, 0.5, np.float32),
        "bond_financial": np.zeros(n, np.float32),
        "bond_social": np.zeros(n, np.float32),
        "bond_structural": np.zeros(n, np.float32),
        "forward_value": np.zeros(n),
        "expected_margin": np.zeros(n),
        "churn_probability": np.full(n, 0.01),
        "growth_potential": np.zeros(n),
    }
    base.update(cols)
    return pd.DataFrame(base)


def test_pyramid_bands_and_their_edges():
    """100 customers with values 100..1: platinum = ranks 0-4, gold 5-19, iron 20-69, lead 70-99 (defaults);
    a negative value is lead whatever its rank; the arrays' codes agree with the table's classes."""
    value = np.arange(100, 0, -1).astype(float)
    value[3] = -1.0  # negative: ranked last, lead, flagged negative value
    out = classify(_table(100, forward_value=value), 10, Portfolio())
    rank = np.argsort(np.argsort(-value, kind="stable"), kind="stable")
    want = np.select([rank < 5, rank < 20, rank < 70], ["platinum", "gold", "iron"], "lead")
    assert (out["pyramid"].to_numpy() == want).all()
    by_rank = dict(zip(rank, out["pyramid"], strict=True))
    assert [by_rank[r] for r in (4, 5, 19, 20, 69, 70)] == ["platinum", "gold", "gold", "iron", "iron", "lead"]
    assert out["pyramid"].iloc[3] == "lead" and out["value_flag"].iloc[3] == "negative value"
    codes = pyramid_codes(np.zeros(100, np.int8), value, 1, (0.05, 0.15, 0.5), 0.0)
    assert (np.asarray(["platinum", "gold", "iron", "lead"])[codes] == out["pyramid"].to_numpy()).all()
    # lead_below: a positive value below it is lead even at the top
    out2 = classify(_table(100, forward_value=value), 10, Portfolio(lead_below=100.5))
    assert out2["pyramid"].iloc[0] == "lead"


def test_abc_by_the_80_20_rule_at_its_edges():
    """Values 50, 30, 10, 5, 5 (total 100): the better customers before each make 0, 50, 80, 90, 95% of value:
    A while below 80% (the customer who crosses 80% is A), B while below 95%, C after; 0 value is C."""
    out = classify(_table(6, forward_value=np.array([50.0, 30, 10, 5, 5, 0])), 10, Portfolio())
    assert list(out["abc"]) == ["A", "A", "B", "B", "C", "C"]


def test_rfm_quintile_scores_at_their_edges():
    """Ten customers with 0..9 purchases: 1 + 5 x the share strictly below, rounded down (exactly 20% below: 2);
    recency: the most recent buyer scores 5, a never-buyer 1; a non-customer gets 0s and "000"."""
    n = 10
    last = np.arange(n, dtype=np.int32)
    last[0] = L.NEVER_BOUGHT
    t = _table(n, purchases=np.arange(n, dtype=np.uint16), last_purchase=last, cumulative_revenue=np.arange(n) * 1.0)
    out = classify(t, 20, Portfolio())
    assert list(out["rfm_f"]) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert list(out["rfm_m"]) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert list(out["rfm_r"]) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert out["rfm"].iloc[9] == "555"
    t2 = t.copy()
    t2["firm"] = pd.Categorical(["a"] * (n - 1) + ["none"], categories=["a", "none"])
    out2 = classify(t2, 20, Portfolio())
    row = out2.iloc[-1]
    assert (row["rfm"], row["rfm_r"], row["pyramid"], row["abc"], row["kotler"]) == ("000", 0, "none", "none", "none")
    assert (row["value_flag"], row["loyalty_type"], row["loyalty_stage"]) == ("—", "none", "none")


def test_kotler_flags_loyalty_types_and_stages():
    """Kotler by expected margin x expected duration split at the median; most valuable = top 20% of value,
    most growth potential = top 20% of growth among the others; the dominant loyalty term; the D9 stages."""
    margin = np.array([5.0, 5.0, 1.0, 1.0])
    churn = np.array([0.001, 0.1, 0.001, 0.1])  # long, short, long, short
    value = np.array([10.0, 8.0, 6.0, 4.0, 2.0])
    t = _table(
        5,
        expected_margin=np.append(margin, 0.0),
        churn_probability=np.append(churn, 0.5),
        forward_value=value,
        growth_potential=np.array([0.0, 0.0, 0.0, 9.0, 1.0]),
        bond_social=np.array([0.9, 0, 0, 0, 0], np.float32),
        bond_structural=np.array([0, 0.9, 0, 0, 0], np.float32),
        trust=np.array([0.1, 0.1, 0.8, 0.5, 0.5], np.float32),
        stage=pd.Categorical(["loyal", "loyal", "growing", "new", "at_risk"], categories=list(L.STAGES)),
        purchases=np.array([3, 1, 1, 1, 1], np.uint16),
    )
    out = classify(t, 10, Portfolio())
    assert list(out["kotler"])[:4] == ["true friend", "butterfly", "barnacle", "stranger"]
    assert list(out["value_flag"]) == ["most valuable", "—", "—", "most growth potential", "—"]
    assert list(out["loyalty_type"])[:3] == ["social/kin bond", "inertia", "trust"]
    assert list(out["loyalty_stage"]) == ["behavioural", "conative", "affective", "cognitive", "cognitive"]
    locked = classify(t.assign(lockin=0.5), 10, Portfolio())
    assert set(locked["loyalty_type"]) == {"lock-in/monopoly"}


def test_class_multipliers_keep_the_total_and_target_the_classes():
    codes = np.array([0, 1, 1, 2, 2, 2, 3, 3, 3, 3, -1], np.int8)
    firm = np.array([0] * 10 + [-1], np.int8)
    w = np.array([[1.0, 1.0, 0.0, 0.0], [np.nan] * 4])
    m = class_multipliers(codes, np.concatenate([firm[:10], [1]]).astype(np.int8), w)
    assert m[0, 0] == 1.0 and m[0, 3] == m[0, 4] == 0.0
    assert m[0, 1] == m[0, 2] == pytest.approx(10 / 3)  # 10 customers' spend over the 3 platinum and gold
    assert (m[0, 1 + codes[:10]]).sum() == pytest.approx(10.0)
    assert (m[1] == 1.0).all()  # a firm that targets nothing


def test_migration_matrix_on_constructed_classes():
    """Firm 0: 2 platinum stay, 1 platinum falls to gold, 1 gold leaves (to firm 1), 1 prospect joins as iron."""
    start_firm = np.array([0, 0, 0, 0, -1, 1], np.int8)
    start = np.array([0, 0, 0, 1, -1, 3], np.int8)
    end_firm = np.array([0, 0, 0, 1, 0, 1], np.int8)
    end = np.array([0, 0, 1, 2, 2, 3], np.int8)
    m = migration_counts(start_firm, start, end_firm, end, 2)
    i = {c: k for k, c in enumerate(CLASSES)}
    assert m[0, i["platinum"], i["platinum"]] == 2 and m[0, i["platinum"], i["gold"]] == 1
    assert m[0, i["gold"], i["none"]] == 1 and m[0, i["none"], i["iron"]] == 1
    assert m[0].sum() == 5 and m[1, i["lead"], i["lead"]] == 1 and m[1, i["none"], i["iron"]] == 1
    assert m[1, i["none"], i["none"]] == 0


def _run(overrides: dict, engine: str = "numba", steps: int = 12):
    import sim
    from sim import library

    sc = sim.load_scenario(library.scenario_path("social_bonds"), overrides={"population.size": 2000, **overrides})
    m = sim.RelationshipMarket(sc, rng=7, engine=engine)
    m.run_for(steps)
    return m


_EQUAL = {"portfolio.targets": [{"name": "focal"}]}  # every class weight 1: the same spend per customer
_TOP = {"portfolio.targets": [{"name": "focal", "bonds": {"platinum": 1.0, "gold": 1.0, "iron": 0.0, "lead": 0.0}}]}


def test_targeting_off_or_equal_changes_nothing():
    """No targets, or a target with equal weights (factors exactly 1), give bit-identical results."""
    a, b = _run({}), _run(_EQUAL)
    pd.testing.assert_frame_equal(a.timeseries(), b.timeseries(), check_exact=True)
    pd.testing.assert_frame_equal(a.customers(), b.customers(), check_exact=True)
    assert (a.population.pclass == -1).all()  # off: the kernel never sees a class


def test_targeting_numba_equals_the_numpy_reference():
    a, b = _run(_TOP, "numba", 6), _run(_TOP, "numpy", 6)
    ta, tb = a.timeseries().select_dtypes("number"), b.timeseries().select_dtypes("number")
    np.testing.assert_allclose(ta.to_numpy(float), tb.to_numpy(float), rtol=1e-9, atol=1e-9)


def test_targeted_bonds_go_to_the_targeted_classes():
    """Social-bond spend on platinum and gold only: their social bond ends above what the same spend spread
    over everyone gives them, and the iron and lead customers' bond ends below it (paired seed)."""
    spread, top = _run({}, steps=16), _run(_TOP, steps=16)

    def mean_bond(m, classes):
        pop = m.population
        codes, _ = m.portfolio.classify(pop, m.portfolio.last_inputs)
        sel = (pop.firm == 0) & np.isin(codes, classes)
        return float(pop.bond_soc[sel].mean())

    assert mean_bond(top, [0, 1]) > 1.5 * mean_bond(spread, [0, 1])
    assert mean_bond(top, [2, 3]) < 0.5 * mean_bond(spread, [2, 3])


def test_residual_value_only_for_start_customers_who_stayed():
    """Issue 19: a start-state row keeps the calibrated residual value (x the margin rate) as its forward value
    while it stays with its start firm at every step; one who left (even if back by now), joined later, or is
    past the start state's rows gets the engine's value."""
    from types import SimpleNamespace

    from sim.customers.portfolio import Outlook, with_residual_value
    from sim.market.portfolio import PortfolioBook
    from sim.scenario import Scenario

    book = PortfolioBook(Scenario(firms=[{"name": "a"}, {"name": "b"}]))
    pop = SimpleNamespace(firm=np.array([0, 1, 0, -1, 0], np.int8), residual_value=np.array([10.0, 20, 30, 40]))
    book._follow_start(pop)  # step 0
    pop.firm[2] = -1  # row 2 lapses ...
    book._follow_start(pop)
    pop.firm[2], pop.firm[3], pop.firm[1] = 0, 0, 0  # ... and comes back; row 3 joins; row 1 switches to a
    book._follow_start(pop)
    fp = np.zeros((2, len(L.FP.names)))
    fp[:, L.FP_MARGIN] = (0.5, 0.25)
    engine = Outlook(*(np.full(5, -1.0) for _ in range(4)))
    kept = book._kept & (pop.firm[:4] == book._firm0)
    value = with_residual_value(engine, pop.firm, fp, pop.residual_value, kept).value
    np.testing.assert_array_equal(value, [5.0, -1, -1, -1, -1])


def test_pyramid_codes_equal_ranking_by_a_stable_sort_with_ties():
    """The pyramid without a full sort (partition at the band cuts) classes exactly as ranking every firm's
    customers by value with a stable sort: ties in row order, NaN last, bands empty or past everyone."""
    rng = np.random.default_rng(7)
    for it in range(400):
        n, nf = int(rng.integers(0, 50)), int(rng.integers(1, 4))
        firm = rng.integers(-1, nf, n).astype(np.int8)
        value = rng.integers(-2, 4, n).astype(float) if it % 2 else rng.normal(size=n)  # many ties / none
        if it % 5 == 0 and n:
            value[rng.integers(0, n)] = np.nan
        shares = tuple(rng.choice([0.0, 0.05, 0.15, 0.5, 0.9], 3))
        want = np.full(n, -1, np.int8)
        for g in range(nf):
            rows = np.flatnonzero(firm == g)
            rank = np.empty(len(rows), np.int64)
            rank[np.argsort(-value[rows], kind="stable")] = np.arange(len(rows))
            cuts = np.floor(np.minimum(1.0, np.cumsum(shares)) * len(rows) + 1e-9)
            want[rows] = np.searchsorted(cuts, rank, side="right")
        want[(want >= 0) & (value < 0.0)] = 3
        np.testing.assert_array_equal(pyramid_codes(firm, value, nf, shares, 0.0), want, err_msg=str(it))
