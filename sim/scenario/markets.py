"""Scenario sections for the six relationship markets (D1): each firm's supplier, distributor and
employees, the influence market, alliances between rivals, and events. The strategy levers (L) are in
``sim.scenario.levers`` and re-exported here.

Every effect size the source documents do not quantify is an *assumption* with a plausible range;
every field carries its meaning, unit and source (see ``sim.scenario.fields``). Money amounts are
currency per step (one week); spends are booked as costs in the firm's profit.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from sim.scenario.fields import MAX_STEPS, Money, NonNeg, PosMoney, Prob, SignedMoney, Step, Strict, param
from sim.scenario.levers import (
    RELATIONSHIP_LEVELS,
    CopyLever,
    DistributorLever,
    FinancialLever,
    LeverEffects,
    Levers,
    Spend,
    SupplierLever,
    TieredService,
    Window,
)

__all__ = [
    "Window",
    "Spend",
    "FinancialLever",
    "SupplierLever",
    "DistributorLever",
    "TieredService",
    "CopyLever",
    "Levers",
    "LeverEffects",
    "SupplierConfig",
    "DistributorConfig",
    "EmployeeConfig",
    "Stakeholders",
    "AllianceConfig",
    "EventConfig",
    "RELATIONSHIP_LEVELS",
    "EVENT_KINDS",
]

EVENT_KINDS = ("supply_disruption", "regulation", "media_crisis", "staff_departure", "price_war", "monopoly")
_HALF = "per step giving half the effect"


# ---------------------------------------------------------------- market actors (per firm)
class SupplierConfig(Strict):
    """The firm's main supplier (D5 ladder, M9)."""

    rung: Annotated[float, Field(ge=0.0, le=4.0, allow_inf_nan=False)] = param(
        1.0, "rung 0-4", "D5; setting", "initial rung: 0 pure transaction, 1 repeat, 2 long-term, 3 partnership, 4 alliance"
    )
    input_share: Prob = param(0.5, "share of product value", "M9", "share of product value bought in (M9: Boeing ~50%)")
    climb: NonNeg = param(
        0.02, "rungs per step", "D5; assumption", "rungs climbed per step at saturating investment", (0.005, 0.05)
    )
    spend_unit: PosMoney = param(500.0, "currency per step", "assumption", f"supplier investment {_HALF}", (100.0, 2000.0))
    drift: Prob = param(
        0.005, "share per step", "assumption", "share of the distance to the initial rung lost per step", (0.0, 0.02)
    )
    squeeze_drop: NonNeg = param(
        0.05,
        "rungs per step per unit of squeeze",
        "M9; assumption",
        "rungs lost per step per unit of price squeeze",
        (0.01, 0.1),
    )
    quality_per_rung: NonNeg = param(
        0.05, "quality score per rung", "M9; assumption", "input quality gained per rung", (0.02, 0.1)
    )
    squeeze_quality: NonNeg = param(
        1.0,
        "quality score per unit of squeeze",
        "M9; assumption",
        "input quality lost per unit of squeeze, after the lag",
        (0.5, 2.0),
    )
    lag: Annotated[int, Field(ge=0, le=520)] = param(
        12, "steps", "M9; assumption", "steps before a squeeze shows in input quality", (4.0, 26.0)
    )
    cost_per_rung: Annotated[float, Field(ge=0.0, le=0.2, allow_inf_nan=False)] = param(
        0.01, "share of unit cost per rung", "assumption", "unit-cost saving per rung climbed", (0.0, 0.03)
    )
    disruption_rate: Prob = param(
        0.005, "probability per step", "M9; assumption", "chance of a supply disruption per step at rung 0", (0.001, 0.02)
    )
    disruption_severity: Prob = param(
        0.3, "share of product quality", "M9; assumption", "share of product quality lost during a disruption", (0.1, 0.5)
    )
    disruption_duration: Annotated[int, Field(ge=1, le=520)] = param(
        4, "steps", "assumption", "steps a random supply disruption lasts", (1.0, 12.0)
    )
    protection_per_rung: Annotated[float, Field(ge=0.0, le=0.25, allow_inf_nan=False)] = param(
        0.2, "share of damage per rung", "D5, M9; assumption", "share of disruption damage avoided per rung", (0.1, 0.25)
    )


class DistributorConfig(Strict):
    """The firm's distributor (M10)."""

    partnership: Prob = param(0.0, "depth 0-1", "M10; setting", "initial partnership depth")
    speed: Prob = param(
        0.05, "share per step", "assumption", "adjustment per step toward the depth the investment sustains", (0.01, 0.2)
    )
    spend_unit: PosMoney = param(
        500.0, "currency per step", "M10; assumption", f"partnership spend {_HALF}", (100.0, 2000.0)
    )
    reach_gain: NonNeg = param(
        0.2, "multiplier", "M10; assumption", "acquisition reach x (1 + this) at full partnership", (0.1, 0.6)
    )
    convenience: Prob = param(
        0.1,
        "share of time and energy cost",
        "M10; assumption",
        "time and energy cost removed at full partnership",
        (0.05, 0.3),
    )
    pos_service: Prob = param(
        0.05, "service score", "M10; assumption", "point-of-sale service value added at full partnership", (0.0, 0.1)
    )
    territory: Prob = param(
        0.2,
        "share of prospects",
        "M10; assumption",
        "prospects in its territory that rivals cannot reach if exclusive",
        (0.1, 0.5),
    )
    exclusivity_fee: Money = param(
        1000.0, "currency per step", "M10; assumption", "fee per step while the contract is exclusive", (200.0, 5000.0)
    )


class EmployeeConfig(Strict):
    """The firm's employees (internal market, M8)."""

    satisfaction: Prob = param(
        0.5, "score 0-1", "M8; assumption", "initial (and baseline) employee satisfaction", (0.3, 0.7)
    )
    speed: Prob = param(0.05, "share per step", "assumption", "adjustment of employee satisfaction per step", (0.01, 0.2))
    spend_unit: PosMoney = param(
        500.0, "currency per step", "M8; assumption", f"internal-marketing spend {_HALF}", (100.0, 2000.0)
    )
    max_gain: Prob = param(0.4, "score 0-1", "M8; assumption", "employee satisfaction gain at saturating spend", (0.1, 0.5))
    service_effect: NonNeg = param(
        0.1,
        "quality score per unit of satisfaction",
        "M8; Brown & Lam 2008 (J. Retailing): positive, mediated by service quality; size: assumption",
        "service and personnel quality gained per unit of employee satisfaction",
        (0.05, 0.2),
    )
    turnover: Prob = param(
        0.005, "share per step", "assumption", "staff turnover per step at baseline satisfaction (~23%/year)", (0.002, 0.01)
    )
    follow: Prob = param(
        0.1, "share of customers", "D12, M8; assumption", "share of a departing employee's customers who follow", (0.02, 0.3)
    )


# ---------------------------------------------------------------- stakeholders, alliances, events (global)
class Stakeholders(Strict):
    """Influence markets (D1, M12): media, consumer groups, financial institutions, government."""

    image_speed: Prob = param(0.05, "share per step", "M12; assumption", "image adjustment per step", (0.01, 0.2))
    media_amplification: NonNeg = param(
        0.02,
        "image score per complaint per customer",
        "M5, M12; assumption",
        "image lost per extra complaint heard",
        (0.005, 0.05),
    )
    consumer_group_threshold: NonNeg = param(
        0.01,
        "complaints per customer-step",
        "M12; assumption",
        "complaint rate that mobilises consumer groups",
        (0.005, 0.03),
    )
    consumer_group_amplification: NonNeg = param(
        1.0, "multiplier", "M5, M12; assumption", "extra share of negative word of mouth when mobilised", (0.5, 2.0)
    )
    interest_rate: Prob = param(  # at most 100% a year: it compounds on debt
        0.08, "per year", "D1; assumption", "interest on a negative cash balance (financial institutions)", (0.03, 0.15)
    )
    image_premium: Annotated[float, Field(ge=0.0, le=2.0, allow_inf_nan=False)] = param(  # 2: free at image 1
        0.5, "multiplier", "M12; assumption", "interest rate x (1 + this x (0.5 - image)): banks read image", (0.0, 1.0)
    )
    initial_cash: SignedMoney = param(0.0, "currency", "setting", "each firm's cash at step 0 (negative cash pays interest)")
    monopoly: list[str] = param(
        unit="firm names",
        source="M16; setting",
        description="licensed monopolies: no rival may serve their customers (they cannot switch)",
        default_factory=list,
    )
    monopoly_lockin: Prob = param(
        0.8,
        "share of hazard",
        "M16, D9; assumption (no published magnitude used)",
        "cost of leaving a licensed monopoly's category: the dissatisfaction hazard of its customers x (1 - this); "
        "1 = nobody ever leaves",
        (0.5, 0.95),
    )


class AllianceConfig(Window):
    """Co-opetition (M11): rivals share R&D, channel or purchasing costs."""

    name: str = param(unit="text", source="setting", description="name of the alliance (unique)")
    members: Annotated[list[str], Field(min_length=2)] = param(
        unit="firm names", source="M11; setting", description="at least two distinct firms"
    )
    kind: Literal["rd", "channel", "purchasing"] = param(
        "rd", "choice", "M11; setting", "what the members share: R&D, channel or purchasing"
    )
    spend: Money = param(500.0, "currency per step", "M11; setting", "each member's contribution per step")
    quality_gain: Prob = param(0.1, "quality score", "M11; assumption", "rd: product quality gain at maturity", (0.02, 0.2))
    speed: Prob = param(
        0.02, "share per step", "assumption", "rd: share of the remaining gain realised per step", (0.005, 0.1)
    )
    saving: Prob = param(
        0.3,
        "share of cost",
        "M11; assumption",
        "channel: cut in cost per contact; purchasing: a fifth of it off unit cost",
        (0.1, 0.5),
    )


class EventConfig(Strict):
    """A scheduled (``step``) or random (``rate`` per step) event."""

    kind: Literal["supply_disruption", "regulation", "media_crisis", "staff_departure", "price_war", "monopoly"] = param(
        unit="choice",
        source="M9, M7, M12, D12, D1, M16; setting",
        description="supply disruption (M9), regulation change (M7), media crisis (M12), staff departure (D12), "
        "price war (D1), monopoly licence (M16)",
    )
    firm: str | None = param(
        None, "firm name", "setting", "the firm it hits (all firms when omitted, where that makes sense)"
    )
    step: Step | None = param(None, "step", "setting", "step of a scheduled event (give step or rate)")
    rate: Prob | None = param(
        None, "probability per step", "setting", "chance per step of a random event (give step or rate)"
    )
    duration: Annotated[int, Field(ge=1, le=MAX_STEPS)] = param(1, "steps", "setting", "steps the event lasts")
    severity: Prob = param(
        0.5, "share 0-1", "setting", "share of quality, bonds or image lost, staff leaving, or price cut, by kind"
    )

    @model_validator(mode="after")
    def _when(self) -> EventConfig:
        if (self.step is None) == (self.rate is None):
            raise ValueError("give exactly one of step (scheduled) or rate (random)")
        if self.kind == "price_war" and self.severity >= 1.0:  # a price of 0 sells no measurable units
            raise ValueError("price_war: severity (the price cut) must be below 1")
        return self
