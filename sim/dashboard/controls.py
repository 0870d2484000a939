"""The dashboard's controls and presets, without any user interface (so that they are unit-tested).

A *lever* is one control: a dotted scenario key, its label, unit, claim and the market it belongs to.
Its starting value is always the chosen scenario's own (a scenario of 30,000 people stays 30,000), and
only the levers a user moves away from the scenario's value become overrides, so an untouched preset
runs exactly the shipped scenario.

A *preset* is a shipped scenario (every one of ``scenarios/``) or a classroom exercise of
docs/teaching.md: its scenario, the question to predict before pressing Play, the firm whose churn the
exercise watches, and the preset the A/B mode compares it with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sim.library import scenario_names, scenario_path
from sim.scenario import Scenario, load_scenario

__all__ = ["GROUPS", "LEVERS", "PRESETS", "Lever", "Preset", "lever_defaults", "overrides_for", "preset"]

MONEY = "per week, per 100,000 people"
GROUPS = ("customer", "supplier", "distributor", "competitor", "internal", "influence", "market")


@dataclass(frozen=True)
class Lever:
    """One control: ``key`` is a dotted scenario key below ``firms.<firm>.`` (or a top-level key when
    ``firm`` is None); ``kind`` is "float", "int", "bool" or a tuple of choices."""

    name: str
    key: str
    label: str
    unit: str
    group: str
    source: str
    kind: Any = "float"
    lo: float = 0.0
    hi: float = 1.0
    step: float = 1.0
    firm: str | None = "focal"


LEVELS = ("basic", "reactive", "accountable", "proactive", "partnership")
LEVERS: tuple[Lever, ...] = (
    Lever("structural", "levers.structural.spend", "Structural bonds", MONEY, "customer", "D3, M7", hi=20_000, step=500),
    Lever("social", "levers.social.spend", "Social bonds", MONEY, "customer", "D3", hi=20_000, step=500),
    Lever(
        "financial", "levers.financial.spend", "Loyalty programme (points)", MONEY, "customer", "D3, M6", hi=20_000, step=500
    ),
    Lever("rebate", "levers.financial.rebate", "Loyalty rebate", "share of price", "customer", "D3, M6", hi=0.1, step=0.01),
    Lever("level", "levers.relationship_level", "Relationship level", "rung", "customer", "D4", kind=LEVELS),
    Lever("recovery", "recovery_rate", "Complaints recovered", "share of complaints", "customer", "D10", step=0.05),
    Lever("supplier", "levers.supplier.spend", "Supplier partnership", MONEY, "supplier", "D5, M9", hi=10_000, step=500),
    Lever(
        "squeeze", "levers.supplier.squeeze", "Supplier price squeeze", "share of price", "supplier", "M9", hi=0.5, step=0.05
    ),
    Lever(
        "distributor",
        "levers.distributor.spend",
        "Distributor partnership",
        MONEY,
        "distributor",
        "M10",
        hi=10_000,
        step=500,
    ),
    Lever("exclusive", "levers.distributor.exclusive", "Exclusive distributor", "switch", "distributor", "M10", kind="bool"),
    Lever("price_war", "price_war", "Rival price war (15% cut)", "switch", "competitor", "D1", kind="bool", firm=None),
    Lever("poaching", "levers.poaching.spend", "Rival poaching", MONEY, "competitor", "D1", hi=10_000, step=500, firm=None),
    Lever("internal", "levers.internal_marketing.spend", "Internal marketing", MONEY, "internal", "M8", hi=10_000, step=500),
    Lever("pr", "levers.public_relations.spend", "Public relations", MONEY, "influence", "M12", hi=10_000, step=500),
    Lever("population", "population.size", "Population", "people", "market", "setting", "int", 1000, 200_000, 1000, None),
    Lever("seed", "seed", "Seed", "random stream", "market", "setting", "int", 0, 99, 1, None),
)
BY_NAME = {lv.name: lv for lv in LEVERS}


def _get(tree: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        tree = tree[part]
    return tree


def lever_defaults(cfg: Scenario, rival: str, seed: int = 0) -> dict[str, Any]:
    """Every lever's value in scenario ``cfg`` (rival levers read from firm ``rival``)."""
    d = cfg.to_dict()
    firms = {f["name"]: f for f in d["firms"]}
    out: dict[str, Any] = {}
    for lv in LEVERS:
        if lv.name == "seed":
            out[lv.name] = seed
        elif lv.name == "price_war":
            out[lv.name] = False
        elif lv.firm is None and lv.group == "competitor":
            out[lv.name] = _get(firms[rival], lv.key) if rival in firms else 0.0
        elif lv.firm is None:
            out[lv.name] = _get(d, lv.key)
        else:
            out[lv.name] = _get(firms[lv.firm], lv.key) if lv.firm in firms else 0.0
    return out


def overrides_for(values: dict[str, Any], defaults: dict[str, Any], rival: str) -> tuple[dict[str, Any], bool]:
    """The dotted overrides for the levers whose value differs from the scenario's, and whether the
    rival's price war is switched on (an event, not an override)."""
    over: dict[str, Any] = {}
    for lv in LEVERS:
        v = values.get(lv.name, defaults[lv.name])
        if lv.name in ("seed", "price_war") or v == defaults[lv.name]:
            continue
        if lv.firm is None and lv.group == "competitor":
            over[f"firms.{rival}.{lv.key}"] = v
        elif lv.firm is None:
            over[lv.key] = int(v) if lv.kind == "int" else v
        else:
            over[f"firms.{lv.firm}.{lv.key}"] = v
    return over, bool(values.get("price_war", False))


@dataclass(frozen=True)
class Preset:
    name: str  # shown in the menu
    scenario: str  # library scenario name
    description: str
    question: str = ""  # "predict, then run": the exercise's question
    churn_firm: str = "focal"  # whose churn by cause the exercise watches
    compare: str = "baseline"  # the A/B mode's other market
    levers: tuple[tuple[str, Any], ...] = ()  # lever values set on top of the scenario


# The five exercises of docs/teaching.md (the questions are theirs, shortened)
EXERCISES: tuple[Preset, ...] = (
    Preset(
        "Exercise 1: word of mouth",
        "teaching_word_of_mouth",
        "rival_2 has the best product but has cut its service staff (F4, F5, M5).",
        "rival_2's customers complain. How far do complaints travel compared with praise, and what happens "
        "to rival_2's new business? Predict, then press Play and watch rival_2's churn by cause.",
        churn_firm="rival_2",
    ),
    Preset(
        "Exercise 2: structural bonds",
        "baseline",
        "The baseline market with 5,000 a week spent on structural bonds (D3, M7); compare social bonds.",
        "5,000 a week on structural bonds: how much retention does it buy, and when does it pay? Predict, "
        "then run in A/B mode against the baseline; try the same money on social bonds.",
        levers=(("structural", 5000.0),),
    ),
    Preset(
        "Exercise 3: the funnel",
        "teaching_funnel",
        "A hotel that spends on winning guests and nothing on keeping them (M14, F8).",
        "Its guest count barely moves from week to week. Is it doing well? Predict the weekly gains and "
        "losses, then press Play and watch customers and churn by cause.",
    ),
    Preset(
        "Exercise 4: employees first",
        "internal_marketing",
        "The focal firm spends 3,000 a week on its employees (M8).",
        "Spending on employees, not customers: what happens to the customers? Predict retention, then "
        "run in A/B mode against the baseline.",
    ),
    Preset(
        "Exercise 5: loyalty programme stopped",
        "loyalty_program_stopped",
        "The loyalty programme runs for a year and stops at week 52 (M6).",
        "What is left of the loyalty the programme bought a few months after it stops? Predict, then run "
        "in A/B mode against the programme that never stops.",
        compare="loyalty_program",
    ),
)


def _scenario_presets() -> tuple[Preset, ...]:
    out = []
    for name in scenario_names():
        cfg = load_scenario(scenario_path(name))
        out.append(Preset(f"Scenario: {name}", name, cfg.description))
    return tuple(out)


PRESETS: dict[str, Preset] = {p.name: p for p in (*EXERCISES, *_scenario_presets())}


def preset(name: str) -> Preset:
    """The preset called ``name``: a menu entry, an exercise or a library scenario name."""
    if name in PRESETS:
        return PRESETS[name]
    if f"Scenario: {name}" in PRESETS:
        return PRESETS[f"Scenario: {name}"]
    raise KeyError(f"no dashboard preset {name!r}")
