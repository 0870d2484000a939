"""Unit economics and monopoly loyalty (issue 16).

- The cost of goods is per unit sold (``firms[].cost_per_unit``, currency per unit), not a share of revenue:
  revenue = units x price and cogs = units x unit cost in every step, so a price cut or a rebate lowers the
  margin per unit by the whole cut.
- The older ``unit_cost`` (a share of revenue at the base price) keeps its meaning.
- A licensed monopolist (M16, D9) that raises its price and cuts care keeps its customers (no rival may
  serve them, leaving is costly) while they grow less satisfied: false loyalty, emergent, no hazard zeroed.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim import RelationshipMarket
from sim.customers import registry as L
from sim.market.columns import COST_COLUMNS
from sim.scenario import ScenarioError, load_scenario, scenario_from_dict

SMALL = {"population.size": 2000}


def _flows(scenario: str, overrides: dict | None = None, steps: int = 60, seed: int = 3):
    m = RelationshipMarket(scenario, rng=seed, overrides={**SMALL, **(overrides or {})}, debug=True)
    m.run(steps)  # debug: check() asserts the money identity exactly after every step
    ts = m.timeseries()
    return m, ts[ts["step"] > 0].reset_index(drop=True)


@pytest.mark.parametrize(
    "scenario, overrides",
    [
        ("baseline", {}),
        ("price_war", {}),
        ("financial_bonds", {}),
        ("supplier_squeeze", {}),
        ("monopoly", {}),
        ("baseline", {"alliances": [{"name": "buy", "members": ["focal", "rival_2"], "kind": "purchasing"}]}),
    ],
)
def test_the_ledger_adds_up_in_every_step(scenario, overrides):
    _, f = _flows(scenario, overrides)
    rel = dict(rel=1e-9, abs=1e-9)
    assert f["revenue"].to_numpy() == pytest.approx((f["units_sold"] * f["price"]).to_numpy(), **rel)
    assert f["cogs"].to_numpy() == pytest.approx((f["units_sold"] * f["unit_cost_effective"]).to_numpy(), **rel)
    assert f["gross_margin_per_unit"].to_numpy() == pytest.approx((f["price"] - f["unit_cost_effective"]).to_numpy())
    parts = np.zeros(len(f))
    for col in COST_COLUMNS:  # in the identity's order: exact to the bit (bad_debt: only with credit on)
        parts = parts + (f[col].to_numpy() if col in f.columns else 0.0)
    assert (f["profit"].to_numpy() == f["revenue"].to_numpy() - parts).all()
    assert (f["units_sold"] > 0).all()


def _book_at(price: float, units: float):
    """Book the same volume (``units``) at ``price``: the margin per unit and the cost of goods."""
    m = RelationshipMarket("baseline", rng=0, overrides=SMALL)
    m.step()
    firm = m.firms[0]
    firm.current = firm.current.model_copy(update={"price": price})
    totals, wom = m.totals, m.totals
    totals.array[firm.index, L.T.REVENUE] = units * price
    firm.book(totals, wom, m.population.n)
    row = np.zeros(len(L.FP))
    firm.kernel_row(row, m.config.dynamics.levers, 0.0, 1.0, 0.0, 0.0)
    return (firm.revenue - firm.cogs) / firm.units_sold, firm.cogs, row[L.FP.MARGIN]


def test_a_price_cut_with_the_same_volume_lowers_the_margin_per_unit_by_the_whole_cut():
    units = 12_345.0
    full, cogs_full, rate_full = _book_at(1.0, units)
    cut, cogs_cut, rate_cut = _book_at(0.9, units)
    assert cogs_cut == pytest.approx(cogs_full, rel=1e-12)  # the goods cost the same whatever the price
    assert full == pytest.approx(1.0 - 0.6, rel=1e-12)
    assert cut == pytest.approx(0.9 - 0.6, rel=1e-12)  # a share-of-revenue cost would give 0.36
    assert rate_cut == pytest.approx((0.9 - 0.6) / 0.9, rel=1e-12) and rate_cut < rate_full
    deep, _, rate_deep = _book_at(0.5, units)  # below cost: a negative margin, still finite
    assert deep == pytest.approx(-0.1, rel=1e-9) and rate_deep == pytest.approx(-0.2, rel=1e-9)


def test_a_rebate_lowers_the_margin_per_unit_sold():
    _, base = _flows("baseline", steps=30)
    _, reb = _flows("baseline", {"firms.focal.levers.financial.rebate": 0.1}, steps=30)
    b, r = base[base["firm"] == "focal"], reb[reb["firm"] == "focal"]
    per_unit = lambda x: (x["revenue"].sum() - x["cogs"].sum()) / x["units_sold"].sum()  # noqa: E731
    assert per_unit(b) == pytest.approx(0.4, rel=1e-9)
    assert per_unit(r) == pytest.approx(0.9 - 0.6, rel=1e-9)  # a share-of-revenue cost would give 0.36
    assert (r["gross_margin_per_unit"] < b["gross_margin_per_unit"] - 0.099).all()


def test_a_price_war_sells_at_a_thinner_margin_per_unit_while_it_lasts():
    _, f = _flows("price_war", steps=50)
    r1 = f[f["firm"] == "rival_1"].set_index("step")
    assert r1.loc[19, "gross_margin_per_unit"] == pytest.approx(0.9 - 0.558)
    assert r1.loc[30, "gross_margin_per_unit"] == pytest.approx(0.9 * 0.85 - 0.558)
    assert r1.loc[30, "unit_cost_effective"] == r1.loc[19, "unit_cost_effective"]


def test_price_war_has_no_other_event():
    sc = load_scenario("price_war")
    assert [e.kind for e in sc.events] == ["price_war"]
    assert [e.kind for e in load_scenario("supply_disruption").events] == ["supply_disruption"]


# ------------------------------------------------------------------ the schema: cost per unit, the older share
def test_the_older_unit_cost_share_keeps_its_meaning_at_the_base_price(tmp_path):
    old = tmp_path / "old.yaml"
    old.write_text("extends: baseline\nfirms:\n  - name: rival_2\n    unit_cost: 0.5\n")
    sc = load_scenario(old)
    by = {f.name: f for f in sc.firms}
    assert by["rival_2"].cost_per_unit == pytest.approx(0.5 * 1.25)  # share x base price
    assert by["rival_2"].unit_cost is None and by["focal"].cost_per_unit == 0.6
    assert load_scenario("baseline", {"firms.rival_2.unit_cost": 0.5}).firms[2].cost_per_unit == pytest.approx(0.625)
    assert scenario_from_dict({}).firms[0].cost_per_unit == pytest.approx(0.6)  # the old default share, 0.6
    again = scenario_from_dict(sc.to_dict())  # the resolved scenario reads back the same
    assert [f.cost_per_unit for f in again.firms] == [f.cost_per_unit for f in sc.firms]
    both = tmp_path / "both.yaml"
    both.write_text("firms:\n  - name: focal\n    unit_cost: 0.5\n    cost_per_unit: 0.5\n")
    with pytest.raises(ScenarioError, match=r"both.yaml: firms.focal: give cost_per_unit .* not both"):
        load_scenario(both)


# ------------------------------------------------------------------ monopoly: false loyalty (D9, M16)
MONO_SEEDS = range(8)
MONO_N = 10_000


def _focal(scenario: str, seed: int, overrides: dict | None = None) -> tuple[float, float, float, float]:
    """The focal firm's mean satisfaction at week 104, annual retention over year 2, dissatisfaction churn
    and switches to rivals."""
    m = RelationshipMarket(scenario, rng=seed, overrides={"population.size": MONO_N, **(overrides or {})})
    ts = m.run().timeseries()
    f = ts[(ts["firm"] == "focal") & (ts["step"] > 0)]
    year2 = f[f["step"] > 52]
    return (
        float(f["satisfaction"].iloc[-1]),
        float(np.prod(year2["retention_rate"])),
        float(f["churn_dissatisfaction"].sum()),
        float(f["switched_to_rival"].sum()),
    )


def test_a_monopolist_keeps_customers_it_dissatisfies():  # D9 false loyalty, M16
    base = np.array([_focal("baseline", s) for s in MONO_SEEDS])
    mono = np.array([_focal("monopoly", s) for s in MONO_SEEDS])
    sat_b, sat_m, ret_b, ret_m = base[:, 0], mono[:, 0], base[:, 1], mono[:, 1]
    # satisfaction falls well below the baseline's, paired over seeds
    assert (sat_b - sat_m).mean() > 0.05
    assert stats.ttest_rel(sat_m, sat_b, alternative="less").pvalue < 0.01
    # while retention stays above it
    assert stats.ttest_rel(ret_m, ret_b, alternative="greater").pvalue < 0.01
    # emergent, not by fiat: dissatisfied customers still leave (the category), none leaves for a rival
    assert (mono[:, 2] > 0).all() and (mono[:, 3] == 0).all()
