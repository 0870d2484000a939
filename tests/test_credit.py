"""Credit grades (F9, issue 19): grade bands, bad debt and the financing of receivables in the accounts, and
the credit-terms lever.

- The grade bands at their edges (90 / 75 / 60 / 30 % collection; 45 / 75 / 105 / 255 days), the worse of
  the two measures.
- Bad debt and the financing of receivables equal a hand computation on a constructed population, and the
  financial institution books the interest.
- Cutting the credit terms lowers bad debt and purchases (paired seeds).
- With credit off nothing moves: a firm's credit terms are ignored and the timeseries has no credit column.
- The kernel and the numpy reference agree with credit on and terms cut.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import RelationshipMarket
from sim.market.columns import CREDIT_COLUMNS
from sim.scenario.credit import NO_LIMIT_DAYS, grade_of

ON = {"population.size": 2000, "credit.enabled": True}
TIGHT = {"A": 30, "B": 15, "C": 0, "D": 0}  # days


def _terms(terms: dict) -> dict:
    return {f"firms.{f}.levers.credit_terms": terms for f in ("focal", "rival_1", "rival_2")}


def test_grade_bands_at_their_edges():
    # collection alone (term 1 day): 90 % is A, just below is B; 75 % B; 60 % C; 30 % and below D
    c = np.array([1.0, 0.9, 0.8999, 0.75, 0.7499, 0.6, 0.5999, 0.3, 0.2999, 0.0])
    assert grade_of(c, np.ones_like(c)).tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 3, 3]
    assert grade_of(np.float32(c), np.ones_like(c)).tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 3, 3]  # as stored
    # term alone (collection 1): 45 days is A, 46 B; 75 B; 105 C; 255 and beyond D
    d = np.array([0, 45, 46, 75, 76, 105, 106, 255, 256, 365])
    assert grade_of(np.ones(len(d)), d).tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 3, 3]
    # the worse of the two
    assert grade_of(np.array([0.95, 0.8, 0.65, 0.95]), np.array([100, 30, 80, 300])).tolist() == [2, 1, 2, 3]


def test_a_scenario_draws_grades_consistent_with_the_bands():
    m = RelationshipMarket(rng=1, overrides=ON)
    pop = m.population
    assert pop.payment_term.min() >= 1 and pop.payment_term.max() <= 365
    assert ((pop.collection_rate > 0) & (pop.collection_rate < 1)).all()
    np.testing.assert_array_equal(pop.credit_grade, grade_of(pop.collection_rate, pop.payment_term))
    assert set(np.unique(pop.credit_grade)) >= {0, 1, 2}  # the default mix reaches at least three grades
    ts = m.timeseries()
    grades = ts[["credit_grade_a", "credit_grade_b", "credit_grade_c", "credit_grade_d"]].sum(axis=1)
    np.testing.assert_array_equal(grades, ts["customers"])


def test_bad_debt_and_financing_equal_a_hand_computation():
    """A constructed population: every person's collection rate, term and grade set by hand, the terms of grade
    B capped at 30 days and grade C cash only; after one step, each firm's bad debt and receivables financing
    from this step's revenue per customer (cum_revenue starts at 0) by hand."""
    terms = {"A": None, "B": 30, "C": 0, "D": 10}
    m = RelationshipMarket(
        rng=5, overrides={**ON, "population.size": 600, "stakeholders.image_premium": 0.0, **_terms(terms)}
    )
    pop, n = m.population, m.population.n
    k = np.arange(n)
    pop.collection_rate[:] = np.array([1.0, 0.9, 0.8, 0.7, 0.5], np.float32)[k % 5]
    pop.payment_term[:] = np.array([10, 40, 60, 90, 200, 300], np.int16)[k % 6]
    pop.credit_grade[:] = grade_of(pop.collection_rate, pop.payment_term)
    firm0 = pop.firm.astype(np.int64).copy()
    m.step()
    rev = pop.cum_revenue.astype(np.float64)  # this step's revenue per person (0 for those who did not buy)
    cap = np.array([NO_LIMIT_DAYS if v is None else v for v in terms.values()])[pop.credit_grade]
    granted = np.minimum(pop.payment_term.astype(np.float64), cap)
    bad = rev * (1.0 - pop.collection_rate.astype(np.float64)) * granted / pop.payment_term
    rate = m.config.stakeholders.interest_rate
    ts = m.timeseries()
    for f in m.firms:
        mine = firm0 == f.index
        row = ts[(ts["step"] == 1) & (ts["firm"] == f.name)].iloc[0]
        assert row["revenue"] > 0
        assert row["bad_debt"] == pytest.approx(bad[mine].sum(), rel=1e-6)
        assert row["receivables_financing"] == pytest.approx((rev * granted)[mine].sum() / 365.0 * rate, rel=1e-6)
        assert row["profit"] == pytest.approx(row["revenue"] - row["cost"], rel=1e-12)
        assert row["financing_cost"] >= row["receivables_financing"] > 0
    assert m.financial.interest_income == pytest.approx(ts["receivables_financing"].sum(), rel=1e-12)
    m.check()  # the money identity, exactly


def _run(seed: int, extra: dict) -> pd.DataFrame:
    m = RelationshipMarket(rng=seed, overrides={**ON, **extra})
    m.run(26)
    ts = m.timeseries()
    return ts[ts["step"] > 0]


def test_tightening_credit_terms_cuts_bad_debt_and_purchases_paired_seeds():
    """Paired seeds (common random numbers): with the terms cut, every seed has less bad debt and less
    receivables financing, and fewer purchases (the cut customers buy less: credit.purchase_penalty)."""
    for seed in (11, 12, 13):
        base, tight = _run(seed, {}), _run(seed, _terms(TIGHT))
        assert tight["bad_debt"].sum() < 0.7 * base["bad_debt"].sum(), seed
        assert tight["receivables_financing"].sum() < 0.7 * base["receivables_financing"].sum(), seed
        assert tight["purchases"].sum() < base["purchases"].sum(), seed


def test_credit_off_moves_nothing():
    """Credit off (the default): a firm's credit terms are ignored, nothing is drawn, no column added."""
    plain = RelationshipMarket(rng=2, overrides={"population.size": 1000}).run(8)
    terms = RelationshipMarket(rng=2, overrides={"population.size": 1000, **_terms(TIGHT)}).run(8)
    a, b = plain.timeseries(), terms.timeseries()
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    pd.testing.assert_frame_equal(plain.customers(), terms.customers(), check_exact=True)
    assert not set(CREDIT_COLUMNS) & set(a.columns)
    assert (a["financing_cost"] == 0).all() or plain.config.stakeholders.initial_cash < 0
    assert (terms.population.collection_rate == 1).all() and (terms.population.credit_grade == 0).all()


def test_kernel_matches_numpy_reference_with_credit_on():
    extra = {**ON, "population.size": 1500, **_terms({"A": 40, "B": 20, "C": 0})}
    a, b = (RelationshipMarket(rng=7, overrides=extra, engine=e) for e in ("numba", "numpy"))
    for _ in range(8):
        a.step()
        b.step()
        np.testing.assert_allclose(a.totals.array, b.totals.array, rtol=1e-9, atol=1e-6)
    assert a.totals["BAD_DEBT"].sum() > 0 and a.totals["RECEIVABLE_DAYS"].sum() > 0


def test_customers_parquet_has_the_grades(tmp_path):
    from sim.output.run import run_scenario
    from sim.scenario import scenario_from_dict

    sc = scenario_from_dict({}, "credit", {**ON, "population.size": 500, "steps": 3})
    run_scenario(sc, seed=1, out=tmp_path / "run")
    cust = pd.read_parquet(tmp_path / "run" / "customers.parquet")
    assert {"credit_grade", "collection_rate", "payment_term_days"} <= set(cust.columns)
    assert set(cust["credit_grade"].astype(str)) <= {"A", "B", "C", "D"}
