"""Ablation tests (issue 16): one per mechanism. Each turns one mechanism off with a parameter at its
neutral value and asserts the direction and the size of the change it makes.

Design:

- **paired seeds** (common random numbers): every seed runs with the mechanism on and off, so the
  difference ``off - on`` is measured per seed and its noise is the spread of paired differences;
- **sizes relative to the noise and to the effect, never today's magnitudes**: a test asserts that
  turning the mechanism off moves its outcome in the claimed direction by more than ``rel`` of the
  outcome's value *and* by more than ``Z`` standard errors of the paired difference. Where the size of
  an effect depends on a parameter other helpers may resize (lever effects, scenario spends, complaint
  defaults), the test sets that parameter explicitly;
- **fast**: small populations (the per-step cost is Python's, not the customers'), one numba thread
  (results are bit-identical for any thread count), horizons just long enough for the mechanism to show,
  and the "on" arm shared by the tests of a scenario.

Each docstring gives the claim ID (docs/claims.md) and the expected direction. The mutations these tests
kill are listed in docs/validation.md ("Mutation checks"); ``python tests/mutants.py`` repeats them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache

import numba
import numpy as np
import pandas as pd
import pytest

from sim import RelationshipMarket
from sim.library import scenario_path

N = 5000  # customers
SEEDS = (11, 12, 13, 14)
STEPS = 52  # weeks
Z = 4.0  # standard errors of the paired difference an effect must exceed

Metric = Callable[[pd.DataFrame], float]


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    """One numba thread: many small runs are faster serially, and the results do not depend on it."""
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(before)


@cache
def _run(scenario: str, key: str, seed: int, steps: int, n: int) -> pd.DataFrame:
    overrides = {"population.size": n, **json.loads(key)}
    m = RelationshipMarket(scenario_path(scenario), rng=seed, overrides=overrides)
    m.run(steps)
    return m.timeseries()


def arm(scenario: str, overrides: dict, metric: Metric, firm: str = "focal", steps: int = STEPS, n: int = N) -> np.ndarray:
    """``metric`` of ``firm``'s rows (step > 0) in one run per seed."""
    key = json.dumps(overrides, sort_keys=True)
    out = []
    for seed in SEEDS:
        ts = _run(scenario, key, seed, steps, n)
        out.append(metric(ts[(ts["firm"] == firm) & (ts["step"] > 0)].reset_index(drop=True)))
    return np.asarray(out, dtype=np.float64)


def ablate(scenario: str, on: dict, off: dict, metric: Metric, **kw) -> tuple[np.ndarray, np.ndarray]:
    """The metric per seed with the mechanism on (``on``) and off (``on`` updated by ``off``)."""
    return arm(scenario, on, metric, **kw), arm(scenario, {**on, **off}, metric, **kw)


def assert_moves(on: np.ndarray, off: np.ndarray, direction: int, rel: float, z: float = Z) -> None:
    """Turning the mechanism off moves the metric in ``direction`` (+1 up, -1 down) by more than ``rel``
    of its value with the mechanism on and by more than ``z`` standard errors of the paired difference."""
    d = off - on
    mean = float(d.mean())
    se = float(d.std(ddof=1) / np.sqrt(len(d)))
    scale = abs(float(on.mean()))
    sign = "up" if direction > 0 else "down"
    msg = (
        f"turning the mechanism off moved the metric by {mean:+.4g} (on: {on.mean():.4g}, off: {off.mean():.4g}, "
        f"SE {se:.2g}); expected {sign} by > {rel:.0%} of its value and > {z:g} SE"
    )
    assert direction * mean > rel * scale, msg
    assert direction * mean > z * se, msg


def churn(f: pd.DataFrame) -> float:
    """Customers lost per customer-week."""
    return float(f["churned"].sum() / f["customers"].sum())


def col(name: str, start: int = 0, stop: int | None = None) -> Metric:
    """The mean of a timeseries column over steps ``start + 1 .. stop``."""
    return lambda f: float(f[name].iloc[start:stop].mean())


def total(name: str, start: int = 0, stop: int | None = None) -> Metric:
    return lambda f: float(f[name].iloc[start:stop].sum())


def avoidable(f: pd.DataFrame, start: int = 0) -> float:
    """Customers lost to dissatisfaction or competition (D12) per customer-week from step ``start + 1``: the
    hazards that loyalty, bonds (D3, M7) and lock-in (M16) damp."""
    g = f.iloc[start:]
    return float((g["churn_dissatisfaction"] + g["churn_competition"]).sum() / g["customers"].sum())


def avoidable_late(f: pd.DataFrame) -> float:
    """``avoidable`` in the second half-year, once bonds have been built."""
    return avoidable(f, 26)


def per_customer(name: str) -> Metric:
    """A flow per customer-week."""
    return lambda f: float(f[name].sum() / f["customers"].sum())


# ---------------------------------------------------------------- M1-M5: the customer's mind
POOR = {"firms.focal.offer.service": 0.2, "firms.focal.offer.personnel": 0.2}  # a firm that disappoints


def test_m1_satisfaction_is_disconfirmation():
    """M1: satisfaction follows performance minus expectation. Off (``satisfaction.speed`` = 0: satisfaction
    no longer moves toward its disconfirmation target), the customers of a firm that disappoints are
    more satisfied: up."""
    on, off = ablate(
        "baseline",
        {**POOR, "dynamics.satisfaction.speed": 0.2},
        {"dynamics.satisfaction.speed": 0.0},
        col("satisfaction", 26),
    )
    assert_moves(on, off, +1, rel=0.10)


def test_m2_delight_wins_loyalty():
    """M2: exceeding expectations (delight) wins loyalty. Off (``loyalty.w_delight`` = 0): loyalty down."""
    on, off = ablate(
        "baseline", {"dynamics.loyalty.w_delight": 0.2}, {"dynamics.loyalty.w_delight": 0.0}, col("loyalty", 26)
    )
    assert_moves(on, off, -1, rel=0.03)


def test_m2_the_satisfaction_loyalty_link_is_convex():
    """M2 (Jones & Sasser 1995): loyalty grows with satisfaction to a power > 1, so merely satisfied customers
    are not yet loyal. Off (``loyalty.satisfaction_power`` = 1, linear): loyalty up."""
    on, off = ablate(
        "baseline",
        {"dynamics.loyalty.satisfaction_power": 3},
        {"dynamics.loyalty.satisfaction_power": 1},
        col("loyalty", 26),
    )
    assert_moves(on, off, +1, rel=0.05)


def test_m3_loyal_customers_buy_more_often():
    """M3: loyalty pays: loyal customers buy more often. Off (``loyalty_frequency`` = 0): purchases per
    customer-week down."""
    on, off = ablate(
        "baseline", {"dynamics.loyalty_frequency": 0.5}, {"dynamics.loyalty_frequency": 0.0}, per_customer("purchases")
    )
    assert_moves(on, off, -1, rel=0.05)


def test_m3_loyalty_keeps_customers():
    """M3: loyalty keeps customers, through trust (M4) and satisfaction. Off (``loyalty.w_trust`` = 0 and
    ``w_satisfaction`` = 0): loyalty down and churn up."""
    on = {"dynamics.loyalty.w_trust": 0.25, "dynamics.loyalty.w_satisfaction": 0.35}
    off = {"dynamics.loyalty.w_trust": 0.0, "dynamics.loyalty.w_satisfaction": 0.0}
    assert_moves(*ablate("baseline", on, off, col("loyalty", 26)), -1, rel=0.2)
    assert_moves(*ablate("baseline", on, off, churn), +1, rel=0.05)


def test_m4_trust_is_lost_quickly():
    """M4: a broken promise destroys trust at once. Off (``trust.drop`` = 0; also the trust an unrecovered
    complaint costs, D10): trust up."""
    on, off = ablate("baseline", {"dynamics.trust.drop": 0.4}, {"dynamics.trust.drop": 0.0}, col("trust", 26))
    assert_moves(on, off, +1, rel=0.05)


def test_m4_trust_is_regained_slowly():
    """M4: trust is rebuilt, slowly, while expectations are met. Off (``trust.gain`` = 0): trust down — and
    the loss from one broken promise (``drop``) outweighs many steps of regain: with a disruption that
    breaks promises for two weeks, trust falls by more in those weeks than it regains in the next four."""
    on, off = ablate("baseline", {"dynamics.trust.gain": 0.01}, {"dynamics.trust.gain": 0.0}, col("trust", 26))
    assert_moves(on, off, -1, rel=0.05)
    shock = {
        "events": [{"kind": "supply_disruption", "firm": "focal", "step": 20, "duration": 2, "severity": 0.6}],
        "dynamics.trust.drop": 0.4,
        "dynamics.trust.gain": 0.01,
    }
    fall = arm("baseline", shock, lambda f: f["trust"].iloc[18] - f["trust"].iloc[20], steps=30)
    regain = arm("baseline", shock, lambda f: f["trust"].iloc[25] - f["trust"].iloc[21], steps=30)
    assert (fall > 0).all() and (fall > 3 * np.abs(regain)).all(), (fall, regain)


def test_m5_praise_brings_referrals():
    """M5/F4: delighted customers tell others, and praised prospects adopt. Off
    (``wom.positive_probability`` = 0): no praise episodes, referral acquisitions down to almost none."""
    on, off = ablate(
        "baseline",
        {"dynamics.wom.positive_probability": 0.05},
        {"dynamics.wom.positive_probability": 0.0},
        total("referral_acquisitions"),
    )
    assert_moves(on, off, -1, rel=0.8)


def test_m5_criticism_lowers_satisfaction():
    """M5/F5: complaints heard about one's firm lower satisfaction. Off (``wom.negative_impact`` = 0), the
    customers of a firm that disappoints (rival_2 in ``teaching_word_of_mouth``) are more satisfied: up."""
    on, off = ablate(
        "teaching_word_of_mouth",
        {"dynamics.wom.negative_impact": 0.05},
        {"dynamics.wom.negative_impact": 0.0},
        col("satisfaction", 13),
        firm="rival_2",
    )
    assert_moves(on, off, +1, rel=0.02)


def test_m5_criticism_blocks_prospects():
    """M5/F5: criticised firms win fewer prospects. Off (``wom.negative_block`` = 0): the disappointing
    firm's acquisitions up."""
    on, off = ablate(
        "teaching_word_of_mouth",
        {"dynamics.wom.negative_block": 0.8, "dynamics.complaints.threshold": 0.6, "dynamics.complaints.probability": 0.3},
        {"dynamics.wom.negative_block": 0.0},
        total("acquired"),
        firm="rival_2",
    )
    assert_moves(on, off, +1, rel=0.03)


# ---------------------------------------------------------------- D3 bond levels, M6, M7
# the bond levers with their effect sizes set here, so that resizing the defaults does not move the tests
FIN = {
    "firms.focal.levers.financial.spend": 4000,
    "firms.focal.levers.financial.rebate": 0.03,
    "dynamics.levers.financial_unit": 0.5,
    "dynamics.levers.financial_rate": 0.15,
}
SOC = {"firms.focal.levers.social.spend": 5000, "dynamics.levers.social_unit": 0.5, "dynamics.levers.social_rate": 0.05}
STR = {
    "firms.focal.levers.structural.spend": 5000,
    "dynamics.levers.structural_unit": 0.5,
    "dynamics.levers.structural_rate": 0.02,
}


def test_d3_financial_bonds_damp_churn():
    """D3 level 1: financial bonds damp churn a little. Off (``churn.financial_damping`` = 0): churn to
    dissatisfaction and competition (the hazards the damping acts on) up."""
    on, off = ablate(
        "financial_bonds",
        {**FIN, **POOR, "dynamics.churn.financial_damping": 0.3},
        {"dynamics.churn.financial_damping": 0.0},
        avoidable,
    )
    assert_moves(on, off, +1, rel=0.05)


def test_d3_financial_bonds_raise_loyalty():
    """D3 level 1/M6: the financial bond adds to loyalty. Off (``loyalty.w_financial`` = 0): loyalty down."""
    on, off = ablate(
        "financial_bonds",
        {**FIN, "dynamics.loyalty.w_financial": 0.05},
        {"dynamics.loyalty.w_financial": 0.0},
        col("loyalty", 26),
    )
    assert_moves(on, off, -1, rel=0.02)


def test_d3_social_bonds_raise_loyalty_and_personnel_value():
    """D3 level 2: social bonds add loyalty and personnel value. Off (``loyalty.w_social`` = 0): loyalty
    down; off (``levers.social_value`` = 0): the firm's personnel quality down."""
    on = {**SOC, "dynamics.loyalty.w_social": 0.1, "dynamics.levers.social_value": 0.1}
    assert_moves(*ablate("social_bonds", on, {"dynamics.loyalty.w_social": 0.0}, col("loyalty", 26)), -1, rel=0.02)
    quality = col("personnel_quality", 26)
    assert_moves(*ablate("social_bonds", on, {"dynamics.levers.social_value": 0.0}, quality), -1, rel=0.01)


def test_d3_structural_bonds_raise_loyalty():
    """D3 level 3: structural bonds add loyalty. Off (``loyalty.w_structural`` = 0): loyalty down."""
    on, off = ablate(
        "structural_bonds",
        {**STR, "dynamics.loyalty.w_structural": 0.05},
        {"dynamics.loyalty.w_structural": 0.0},
        col("loyalty", 26),
    )
    assert_moves(on, off, -1, rel=0.01)


def test_m6_loyalty_bought_with_rewards_fades():
    """M6: a rewards programme's bond fades when the reward stops. Off (``bonds.decay_financial`` = 0): the
    financial bond half a year after the stop up — it no longer fades (with it on, it falls below 5% of
    its level at the stop)."""
    on = {**FIN, "firms.focal.levers.financial.stop": 20, "dynamics.bonds.decay_financial": 0.1}
    at_stop = arm("financial_bonds", on, lambda f: f["bond_financial"].iloc[18])
    on, off = ablate("financial_bonds", on, {"dynamics.bonds.decay_financial": 0.0}, lambda f: f["bond_financial"].iloc[-1])
    assert (on < 0.05 * at_stop).all()
    assert_moves(on, off, +1, rel=5.0)


def test_m7_structural_bonds_are_switching_costs():
    """M7: structural bonds hold customers as switching costs. Off (``churn.switching_cost`` = 0): churn to
    dissatisfaction and competition (the hazards the switching cost damps) up by at least 10%, once the bonds
    are built (second half-year)."""
    on = {**STR, **POOR, "dynamics.churn.switching_cost": 0.8}
    on_, off_ = ablate("structural_bonds", on, {"dynamics.churn.switching_cost": 0.0}, avoidable_late)
    assert_moves(on_, off_, +1, rel=0.10)


def test_m7_structural_bonds_draw_rivals_customers():
    """M7: structural bonds' customised service draws customers from rivals. Off
    (``levers.structural_value`` = 0): customers won from rivals down."""
    on, off = ablate(
        "structural_bonds",
        {**STR, "dynamics.levers.structural_value": 0.3},
        {"dynamics.levers.structural_value": 0.0},
        total("acquired_from_rival"),
    )
    assert_moves(on, off, -1, rel=0.03)


# ---------------------------------------------------------------- D10 recovery
RECOVERY = {
    "firms.focal.recovery_rate": 0.7,
    "dynamics.complaints.threshold": 0.45,
    "dynamics.complaints.probability": 0.1,
    "dynamics.complaints.recovery_boost": 0.5,
    **POOR,
}


def test_d10_recovery_restores_satisfaction():
    """D10: a recovered complainer regains part of the missing satisfaction. Off
    (``complaints.recovery_boost`` = 0): satisfaction down, churn up."""
    off = {"dynamics.complaints.recovery_boost": 0.0}
    assert_moves(*ablate("service_recovery", RECOVERY, off, col("satisfaction", 13)), -1, rel=0.01)
    assert_moves(*ablate("service_recovery", RECOVERY, off, churn), +1, rel=0.02)


def test_d10_recovery_keeps_complainers_trust():
    """D10/M4: only an unrecovered complaint costs trust; a recovered complainer keeps it. Off (no recovery:
    ``recovery_rate`` = 0 and no recovery from the relationship level): trust down. The recovery's
    satisfaction boost, word of mouth's effect on satisfaction and the media's on image are off in both arms:
    through them recovery also raises trust indirectly (fewer complaints spread, a better image, fewer
    broken promises), and the test passed with recovered complainers losing trust too."""
    on = {
        **RECOVERY,
        "dynamics.complaints.recovery_boost": 0.0,
        "dynamics.wom.negative_impact": 0.0,
        "dynamics.wom.negative_block": 0.0,
        "stakeholders.media_amplification": 0.0,
        "stakeholders.consumer_group_amplification": 0.0,
    }
    off = {"firms.focal.recovery_rate": 0.0, "dynamics.levers.level_recovery": [0.0] * 5}
    on_, off_ = ablate("service_recovery", on, off, col("trust", 13))
    assert_moves(on_, off_, -1, rel=0.03)


# ---------------------------------------------------------------- D12 the causes of churn
def _cause(name: str) -> Metric:
    return per_customer(name)


@pytest.mark.parametrize(
    ("cause", "path", "value"),
    [
        ("churn_dissatisfaction", "dynamics.churn.dissatisfaction", 0.05),
        ("churn_own", "dynamics.churn.own_circumstances", 0.002),
    ],
    ids=["dissatisfaction", "own_circumstances"],
)
def test_d12_each_churn_cause_adds_churn(cause, path, value):
    """D12: customers leave because the firm does not satisfy, or for their own circumstances. Off (that
    hazard at 0): that cause's churn to nothing, and total churn down by at least half of what that
    cause took."""
    on = {**POOR, path: value}
    c_on, c_off = ablate("baseline", on, {path: 0.0}, _cause(cause))
    assert (c_on > 0).all() and (c_off == 0).all()
    t_on, t_off = ablate("baseline", on, {path: 0.0}, churn)
    assert_moves(t_on, t_off, -1, rel=0.5 * float(c_on.mean() / t_on.mean()))


def test_d12_competition_takes_customers():
    """D12: customers leave for a rival with better terms. Off (``churn.competition`` = 0: the value gap to the
    best rival no longer pulls): competition churn down, total churn down."""
    on = {"firms.rival_1.offer.product": 0.9, "dynamics.churn.competition": 0.06}
    off = {"dynamics.churn.competition": 0.0}
    c_on, c_off = ablate("baseline", on, off, _cause("churn_competition"))
    assert_moves(c_on, c_off, -1, rel=0.3)
    t_on, t_off = ablate("baseline", on, off, churn)
    assert_moves(t_on, t_off, -1, rel=0.5 * float((c_on - c_off).mean() / t_on.mean()))


def test_d12_departing_staff_take_customers():
    """D12/M8: customers follow departing staff. Off (``employees.follow`` = 0): staff churn to nothing."""
    leave = {
        "events": [{"kind": "staff_departure", "firm": "focal", "step": 10, "duration": 2, "severity": 0.3}],
        "firms.focal.employees.follow": 0.1,
    }
    on, off = ablate("baseline", leave, {"firms.focal.employees.follow": 0.0}, per_customer("churn_staff"), steps=26)
    assert (off == 0).all()
    assert_moves(on, off, -1, rel=0.99)
    t_on, t_off = ablate("baseline", leave, {"firms.focal.employees.follow": 0.0}, churn, steps=26)
    assert_moves(t_on, t_off, -1, rel=0.5 * float(on.mean() / t_on.mean()))


# ---------------------------------------------------------------- M8-M16: the other markets and levers
def test_m8_satisfied_employees_serve_better():
    """M8: internal marketing raises employee satisfaction, which raises service quality and retention.
    Off (``employees.service_effect`` = 0): service quality down, churn up."""
    on = {"firms.focal.levers.internal_marketing.spend": 3000, "firms.focal.employees.service_effect": 0.4}
    off = {"firms.focal.employees.service_effect": 0.0}
    assert_moves(*ablate("internal_marketing", on, off, col("service_quality", 26)), -1, rel=0.05)
    assert_moves(*ablate("internal_marketing", on, off, churn), +1, rel=0.02)


def test_m9_suppliers_shape_product_quality():
    """M9: the bought-in share of the product follows the supplier's input quality, so a squeeze lowers
    product quality after its lag. Off (``supplier.input_share`` = 0): the fall in product quality after
    the lag down to nothing."""
    on = {"firms.focal.levers.supplier.squeeze": 0.15, "firms.focal.supplier.input_share": 0.5}
    fall = lambda f: float(f["product_quality"].iloc[2] - f["product_quality"].iloc[-1])  # noqa: E731
    on_, off_ = ablate("supplier_squeeze", on, {"firms.focal.supplier.input_share": 0.0}, fall, steps=26)
    assert (on_ > 0.05).all()
    assert_moves(on_, off_, -1, rel=0.9)


def test_m10_distributors_widen_reach():
    """M10: a distributor partnership reaches more prospects. Off (``distributor.reach_gain`` = 0):
    acquisitions down."""
    on = {"firms.focal.levers.distributor.spend": 2000, "firms.focal.distributor.reach_gain": 1.0}
    on_, off_ = ablate("distributor_partnership", on, {"firms.focal.distributor.reach_gain": 0.0}, total("acquired", 0, 26))
    assert_moves(on_, off_, -1, rel=0.05)


def test_m11_an_rd_alliance_raises_members_quality():
    """M11: co-opetition; an R&D alliance raises its members' product quality. Off (the alliance's
    ``quality_gain`` = 0): the members' product quality down."""
    alliance = {"name": "shared_rd", "members": ["focal", "rival_1"], "kind": "rd", "spend": 1500}
    on, off = ablate(
        "coopetition",
        {"alliances": [{**alliance, "quality_gain": 0.1}]},
        {"alliances": [{**alliance, "quality_gain": 0.0}]},
        col("product_quality", 26),
    )
    assert_moves(on, off, -1, rel=0.03)


def test_m12_public_relations_raise_image():
    """M12: public relations move the firm's image. Off (``levers.pr_image`` = 0): image down."""
    on = {"firms.focal.levers.public_relations.spend": 4000, "dynamics.levers.pr_image": 0.15}
    on_, off_ = ablate("public_relations", on, {"dynamics.levers.pr_image": 0.0}, col("image", 26))
    assert_moves(on_, off_, -1, rel=0.05)


def test_m12_media_amplify_complaints():
    """M12/M5: the media lower the image of a firm its customers complain about. Off
    (``stakeholders.media_amplification`` = 0): the disappointing firm's image up."""
    on, off = ablate(
        "teaching_word_of_mouth",
        {"stakeholders.media_amplification": 0.05},
        {"stakeholders.media_amplification": 0.0},
        col("image", 13),
        firm="rival_2",
    )
    assert_moves(on, off, +1, rel=0.01)


def test_m13_business_customers_pull_their_contacts_in():
    """M13: an adopting business customer brings its contacts. Off (``network_value`` = 0): praise episodes
    in the first half-year down."""
    seg = "population.segments.value_seekers.network_value"
    on, off = ablate("baseline", {seg: 0.5}, {seg: 0.0}, total("positive_episodes", 0, 26), steps=26)
    assert_moves(on, off, -1, rel=0.05)


def test_m14_after_sales_care_plugs_the_leaky_funnel():
    """M14: after-sales care keeps customers. Off (``bonds.care_effect`` = 0): satisfaction down, churn to
    dissatisfaction and competition up."""
    on, off = {**POOR, "dynamics.bonds.care_effect": 0.2}, {"dynamics.bonds.care_effect": 0.0}
    assert_moves(*ablate("baseline", on, off, col("satisfaction", 26)), -1, rel=0.02)
    assert_moves(*ablate("baseline", on, off, avoidable_late), +1, rel=0.05)


def test_m15_database_marketing_finds_prospects():
    """M15: a customer database finds the prospects most likely to buy. Off (``levers.database_efficiency``
    = 0): acquisitions down."""
    on = {"firms.focal.levers.database.spend": 2000, "dynamics.levers.database_efficiency": 1.0}
    on_, off_ = ablate("one_to_one", on, {"dynamics.levers.database_efficiency": 0.0}, total("acquired", 0, 26))
    assert_moves(on_, off_, -1, rel=0.05)


def test_m15_database_marketing_keeps_customers_at_risk():
    """M15: the database's attention to customers at risk keeps them from switching. Off
    (``levers.database_risk_care`` = 0): churn up."""
    on = {**POOR, "firms.focal.levers.database.spend": 2000, "dynamics.levers.database_risk_care": 0.1}
    on_, off_ = ablate("one_to_one", on, {"dynamics.levers.database_risk_care": 0.0}, churn)
    assert_moves(on_, off_, +1, rel=0.02)


def test_m16_a_monopoly_locks_customers_in():
    """M16: a monopoly keeps its customers however they feel. Off (``stakeholders.monopoly`` = []): the
    churn of a disappointing monopolist's customers up."""
    on, off = ablate("monopoly", {**POOR, "stakeholders.monopoly": ["focal"]}, {"stakeholders.monopoly": []}, churn)
    assert_moves(on, off, +1, rel=0.5)
