"""Money fields are marked in the schema, and ``Scenario.scaled()`` scales exactly those.

``_legacy_scaled`` is the hand-written list ``scaled()`` used before the Money type; the tests prove
the marked fields are exactly that list and that both give bit-identical scenarios.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sim.scenario import Scenario, load_scenario, scenario_from_dict
from sim.scenario.fields import is_money, iter_fields

LIBRARY = Path(__file__).resolve().parents[1] / "sim" / "library" / "scenarios"
SPEND_LEVERS = (
    "financial",
    "social",
    "structural",
    "one_to_one",
    "database",
    "internal_marketing",
    "supplier",
    "distributor",
    "public_relations",
    "poaching",
)
HAND_LIST = {
    "firms[].budget.acquisition",
    "firms[].budget.retention",
    *(f"firms[].levers.{lever}.spend" for lever in SPEND_LEVERS),
    "firms[].levers.tiered_service.cost",
    "firms[].supplier.spend_unit",
    "firms[].distributor.spend_unit",
    "firms[].distributor.exclusivity_fee",
    "firms[].employees.spend_unit",
    "alliances[].spend",
    "dynamics.levers.database_unit",
    "dynamics.levers.pr_unit",
    "stakeholders.initial_cash",
}


def _legacy_scaled(sc: Scenario) -> dict[str, Any]:
    """Scenario.scaled() as it was before the Money type (the hand-written list), as a dict."""
    k = sc.money_scale()
    d = sc.to_dict()
    for f in d["firms"]:
        for key in ("acquisition", "retention"):
            f["budget"][key] *= k
        for lever in f["levers"].values():
            if isinstance(lever, dict) and "spend" in lever:
                lever["spend"] *= k
        f["levers"]["tiered_service"]["cost"] *= k
        f["supplier"]["spend_unit"] *= k
        f["distributor"]["spend_unit"] *= k
        f["distributor"]["exclusivity_fee"] *= k
        f["employees"]["spend_unit"] *= k
    for a in d["alliances"]:
        a["spend"] *= k
    lv = d["dynamics"]["levers"]
    lv["database_unit"] *= k
    lv["pr_unit"] *= k
    d["stakeholders"]["initial_cash"] *= k
    d["population"]["budget_reference"] = sc.population.size
    return Scenario.model_validate(d).to_dict()


def _rich(size: int) -> Scenario:
    """Every money field non-zero and different per firm, two alliances, negative initial cash."""
    firms = []
    for i, name in enumerate(("focal", "rival_1", "rival_2")):
        levers = {lever: {"spend": 101.7 * (i + 1) + j} for j, lever in enumerate(SPEND_LEVERS)}
        levers["tiered_service"] = {"cost": 33.3 * (i + 1)}
        firms.append(
            {
                "name": name,
                "budget": {"acquisition": 2999.9 + i, "retention": 777.7 * (i + 1)},
                "levers": levers,
                "supplier": {"spend_unit": 411.1 + i},
                "distributor": {"spend_unit": 433.3 + i, "exclusivity_fee": 999.1 + i},
                "employees": {"spend_unit": 455.5 + i},
            }
        )
    return scenario_from_dict(
        {
            "population": {"size": size},
            "firms": firms,
            "alliances": [
                {"name": "rd", "members": ["focal", "rival_1"], "spend": 321.9},
                {"name": "ch", "members": ["rival_1", "rival_2"], "kind": "channel", "spend": 87.3},
            ],
            "dynamics": {"levers": {"database_unit": 1234.5, "pr_unit": 987.6}},
            "stakeholders": {"initial_cash": -2500.25},
        }
    )


def _leaves(d: Any, prefix: str = "") -> dict[str, Any]:
    """Flatten a scenario dict to {path with [] for lists of sections: [values]}."""
    out: dict[str, Any] = {}
    if isinstance(d, dict):
        for k, v in d.items():
            for p, vals in _leaves(v, f"{prefix}{k}.").items():
                out.setdefault(p, []).extend(vals)
    elif isinstance(d, list) and d and all(isinstance(x, dict) for x in d):
        for item in d:
            for p, vals in _leaves(item, f"{prefix[:-1]}[].").items():
                out.setdefault(p, []).extend(vals)
    else:
        out[prefix[:-1]] = [d]
    return out


def _money_paths() -> set[str]:
    return {path for path, field, _sub in iter_fields(Scenario) if is_money(field)}


def test_money_fields_are_exactly_the_old_hand_list():
    assert _money_paths() == HAND_LIST


@pytest.mark.parametrize("size", [37_000, 310_000, 100_001, 3])
def test_scaled_is_bit_identical_to_the_hand_list(size):
    sc = _rich(size)
    assert sc.scaled().to_dict() == _legacy_scaled(sc)


def test_scaled_changes_exactly_the_money_fields():
    sc = _rich(250_000)
    before, after = _leaves(sc.to_dict()), _leaves(sc.scaled().to_dict())
    changed = {p for p in before if before[p] != after[p]}
    assert changed == _money_paths() | {"population.budget_reference"}
    assert after["population.budget_reference"] == [250_000]
    # (b) unmarked money-like amounts per customer or per contact keep their value
    for path in ("firms[].cost_to_serve", "firms[].recovery_cost", "dynamics.acquisition.cost_per_contact"):
        assert not any(f.startswith(path) for f in changed) and before[path] == after[path]
    assert not is_money(Scenario.model_fields["steps"])


def test_money_inside_lists_is_scaled_item_by_item():
    sc = _rich(50_000)
    out = sc.scaled()
    assert [f.budget.retention for f in out.firms] == [f.budget.retention * 0.5 for f in sc.firms]
    assert [f.levers.social.spend for f in out.firms] == [f.levers.social.spend * 0.5 for f in sc.firms]
    assert [a.spend for a in out.alliances] == [321.9 * 0.5, 87.3 * 0.5]
    assert out.stakeholders.initial_cash == -2500.25 * 0.5


def test_scaled_is_identity_at_the_reference_size():
    sc = _rich(100_000)
    assert sc.scaled() is sc


@pytest.mark.parametrize("path", sorted(LIBRARY.glob("*.yaml")), ids=lambda p: p.stem)
def test_library_scenarios_scale_as_before(path):
    sc = load_scenario(path, {"population.size": 12_345})
    assert sc.scaled().to_dict() == _legacy_scaled(sc)


def test_money_is_in_the_json_schema():
    schema = Scenario.model_json_schema()
    assert schema["$defs"]["Budget"]["properties"]["acquisition"]["money"] is True
    assert "money" not in schema["$defs"]["FirmConfig"]["properties"]["cost_to_serve"]
