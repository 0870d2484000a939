"""Lever effect sizes (issue 16): on paired seeds, no shipped single-lever strategy returns more than 3 units
of two-year profit per unit of extra spend; for every spend lever doubling its scenario spend adds fewer
final customers than the scenario spend added, and ten times the spend earns less two-year profit than the
scenario spend. Small market (4,000 people, 104 weeks, 4 seeds): every lever's arms run in one batch through
the experiment runner (``sim.experiments.effects.measure``). Every schema assumption carries a range.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.experiments.effect_levers import LEVERS
from sim.experiments.effects import measure as run_levers
from sim.experiments.effects import render, summarise
from sim.experiments.ratios import ratio_ci
from sim.scenario import Scenario
from sim.scenario.fields import iter_fields

SIZE, SEEDS = 4000, 4
CAP = 3.0  # units of two-year profit per unit of extra spend, for a lever without cited evidence of more
SPEND_LEVERS = [lv for lv in LEVERS if 2.0 in lv.multiples]
SINGLE = [lv for lv in LEVERS if lv.name != "full_relationship_marketing"]


@pytest.fixture(scope="module")
def rows() -> dict[str, dict]:
    results = run_levers(replications=SEEDS, size=SIZE, workers=1, progress=False)
    return {r["label"]: r for r in summarise(results)}


@pytest.mark.parametrize("lever", [lv.name for lv in SINGLE])
def test_return_per_unit_of_spend_is_capped(rows: dict[str, dict], lever: str) -> None:
    r = rows[lever]
    assert r["return"][0] <= CAP, f"{lever}: {r['return'][0]:.2f} units of profit per unit of extra spend"


@pytest.mark.parametrize("lever", [lv.name for lv in SPEND_LEVERS])
def test_doubling_adds_fewer_customers_than_the_scenario_spend(rows: dict[str, dict], lever: str) -> None:
    added1, added2, ok = rows[lever]["doubling"]
    assert ok, f"{lever}: 1x added {added1:.0f} final customers, doubling added {added2:.0f} more"


@pytest.mark.parametrize("lever", [lv.name for lv in SPEND_LEVERS])
def test_ten_times_the_spend_earns_less_than_the_scenario_spend(rows: dict[str, dict], lever: str) -> None:
    p1, p10, ok = rows[lever]["tenfold"]
    assert ok, f"{lever}: two-year profit vs its 0 arm at 1x {p1:,.0f}, at 10x {p10:,.0f}"


def test_financial_bonds_do_not_pay_off(rows: dict[str, dict]) -> None:
    """Palmatier, Gopalakrishna & Houston 2006: financial relationship investments do not pay off;
    Leenheer et al. 2007: the causal loyalty-programme effect is small once self-selection is removed."""
    assert rows["financial_bonds"]["return"][0] < 1.0
    # the programme's frequency effect is the causal one: the loyalty programme earns less per unit than it
    # did when F6's whole member gap was causal, and no more than the cap
    assert rows["loyalty_program"]["return"][0] < CAP


def test_doing_everything_does_not_win_by_a_mile(rows: dict[str, dict]) -> None:
    """All levers at once earn per unit of extra spend no more than the cap and not far above the best single
    lever (the old sizes gave it 3.9 per unit against 2-3 for the best single levers)."""
    full = rows["full_relationship_marketing"]["return"][0]
    best = max(rows[lv.name]["return"][0] for lv in SINGLE)
    assert full <= CAP and full <= 1.25 * best, (full, best)


def test_the_report_renders_every_lever(rows: dict[str, dict]) -> None:
    text = render(list(rows.values()), "cmd", SEEDS, SIZE)
    for lv in LEVERS:
        assert f"### {lv.name}" in text and f"| {lv.name} |" in text


def test_ratio_of_means_not_mean_of_ratios() -> None:
    num, den = np.array([10.0, 0.0, 2.0]), np.array([1.0, 10.0, 1.0])
    r, lo, hi = ratio_ci(num, den)
    assert r == pytest.approx(12.0 / 12.0) and lo < r < hi  # the mean of ratios would be 4


def test_every_assumption_has_a_range() -> None:
    missing = []
    for path, field, sub in iter_fields(Scenario):
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        if sub is None and "assumption" in str(extra.get("source", "")):
            rng = extra.get("range")
            if not (isinstance(rng, list | tuple) and len(rng) == 2 and rng[0] < rng[1]):
                missing.append(path)
    assert not missing, missing


def test_evidence_backed_sizes_name_their_paper_and_range() -> None:
    fields = {path: field for path, field, _ in iter_fields(Scenario)}
    for path, paper in {
        "dynamics.levers.financial_frequency": "Leenheer",
        "firms[].employees.service_effect": "Brown & Lam 2008",
    }.items():
        extra = fields[path].json_schema_extra
        assert isinstance(extra, dict) and paper in extra["source"] and extra.get("range"), path
