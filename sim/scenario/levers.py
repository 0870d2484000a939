"""The strategy levers of a firm (the levers L1–L14 of docs/claims.md) and how strongly each acts (``LeverEffects``).

A lever's spend is a strategy *setting*; its effect sizes are anchored to published evidence where it
exists (named in the field's source; docs/effects.md measures each lever against it) and are otherwise
*assumptions* (the documents rank the levers but give no numbers), each with a plausible range. Money amounts are
currency per step (one week) and are booked as costs in the firm's profit.
"""

from __future__ import annotations

import typing
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from sim.scenario.credit import CreditTerms
from sim.scenario.fields import Money, NonNeg, Pos, PosMoney, Prob, Step, Strict, param, section

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
    "RELATIONSHIP_LEVELS",
]

RelationshipLevel = Literal["basic", "reactive", "accountable", "proactive", "partnership"]  # D4, in order
RELATIONSHIP_LEVELS: tuple[str, ...] = typing.get_args(RelationshipLevel)
_LEVELS = "by relationship level basic, reactive, accountable, proactive, partnership (D4)"


class Window(Strict):
    """When a lever (or alliance) is on: from ``start`` up to, not including, ``stop``."""

    start: Step = param(0, "step", "setting", "first step it is on")
    stop: Step | None = param(None, "step", "setting", "first step it is off again (none: never)")

    @model_validator(mode="after")
    def _order(self) -> Window:
        if self.stop is not None and self.stop <= self.start:
            raise ValueError("stop must be after start")
        return self

    def active(self, step: int) -> bool:
        return step >= self.start and (self.stop is None or step < self.stop)


# ---------------------------------------------------------------- levers (per firm)
class Spend(Window):
    """A lever that is a spend per step while it is on."""

    spend: Money = param(0.0, "currency per step", "L; setting", "spend per step while the lever is on (booked as a cost)")


class FinancialLever(Spend):
    """Level-1 financial bond (D3): a rebate on the price plus a points/frequency programme (spend)."""

    rebate: Annotated[float, Field(ge=0.0, lt=1.0, allow_inf_nan=False)] = param(
        0.0, "share of price", "D3; setting", "share of the price returned to customers (level-1 price incentive)"
    )


class SupplierLever(Spend):
    """Supplier market (D5, M9): relationship investment (spend) and price squeeze."""

    squeeze: Annotated[float, Field(ge=0.0, le=0.5, allow_inf_nan=False)] = param(
        0.0, "share of supplier price", "M9; setting", "share cut from the supplier's price (M9: squeezing does not last)"
    )


class DistributorLever(Spend):
    """Distributor market (M10): partnership investment (spend) and an exclusive contract."""

    exclusive: bool = param(
        False, "switch", "M10; setting", "exclusive contract: rivals cannot reach the distributor's territory (fee)"
    )


class TieredService(Strict):
    """D8 tiered service by customer value, and ending relationships with negative-value customers."""

    targeting: Prob = param(
        0.0, "share 0-1", "D8; setting", "0: care and bonds spread evenly; 1: in proportion to the customer's value"
    )
    end_unprofitable: bool = param(
        False,
        "switch",
        "D8; setting",
        "end relationships with customers past the new stage whose expected margin is negative",
    )
    cost: Money = param(
        0.0, "currency per step", "assumption", "database/analytics cost per step of running the tiers", (0.0, 2000.0)
    )


class CopyLever(Strict):
    """Competitor behaviour (M6): copy the largest rival level-1 incentive after a lag."""

    enabled: bool = param(False, "switch", "M6; setting", "copy the largest rival level-1 incentive (M6: easiest to copy)")
    lag: Annotated[int, Field(ge=1, le=520)] = param(
        8, "steps", "M6; assumption", "steps before a rival's incentive is copied", (2.0, 26.0)
    )


class Levers(Strict):
    """Every strategy lever of one firm (the levers L1–L14 of docs/claims.md). All off by default (transactional)."""

    financial: FinancialLever = section(FinancialLever(), "D3, M6", "level-1 financial bond: rebate plus points programme")
    social: Spend = section(Spend(), "D3", "level-2 social bonds: personal contact, clubs, membership")
    structural: Spend = section(Spend(), "D3, M7", "level-3 structural bonds: integration, customised service")
    relationship_level: RelationshipLevel = param(
        "basic", "choice", "D4; setting", "relationship level, basic -> reactive -> accountable -> proactive -> partnership"
    )
    one_to_one: Spend = section(Spend(), "D11", "one-to-one customisation and dialogue: share of wallet")
    database: Spend = section(Spend(), "M15", "database marketing: targeted acquisition, attention to at-risk customers")
    tiered_service: TieredService = section(TieredService(), "D8", "tiered service by customer value")
    internal_marketing: Spend = section(Spend(), "M8", "internal marketing: training, pay, involvement")
    supplier: SupplierLever = section(SupplierLever(), "D5, M9", "supplier partnership (spend) and price squeeze")
    distributor: DistributorLever = section(DistributorLever(), "M10", "distributor partnership (spend) and exclusivity")
    public_relations: Spend = section(Spend(), "M12", "public relations with media, government and community")
    poaching: Spend = section(Spend(), "D1", "acquisition offers aimed at rivals' customers (competitor market)")
    copy_financial: CopyLever = section(CopyLever(), "M6", "copying rivals' level-1 incentives")
    match_price_war: bool = param(
        False, "switch", "D1; setting", "cut price when a rival starts a price war (competitor market)"
    )
    credit_terms: CreditTerms = section(CreditTerms(), "F9", "credit terms by grade (with credit.enabled)")


def _levels(default: list[float], unit: str, what: str, rng: tuple[float, float]) -> Any:
    return param(
        unit=unit,
        source="D4; assumption",
        description=f"{what}, {_LEVELS}",
        range=rng,
        default_factory=lambda: list(default),
        min_length=5,
        max_length=5,
    )


def _unit(what: str, claim: str, rng: tuple[float, float], default: float = 0.5) -> Any:
    return param(
        default,
        "currency per customer-step",
        f"{claim}; assumption",
        f"{what} per customer-step giving half the effect",
        rng,
    )


# ---------------------------------------------------------------- effect sizes of the levers (assumptions)
class LeverEffects(Strict):
    """How strongly each lever acts: a saturating response x / (x + unit) to the spend per customer-step x
    (a bond stock grows by rate * x / (x + unit) per step, D3), times the size of its effect. Sizes with a
    published source name it; the rest are assumptions with ranges (``python -m sim.experiments.effects``
    measures them all)."""

    financial_unit: Pos = _unit("financial-bond spend", "D3", (0.1, 2.0))
    financial_rate: Prob = param(
        0.08, "share per step", "D3; assumption", "financial bond built per step at saturating spend", (0.03, 0.15)
    )
    social_unit: Pos = _unit("social-bond spend", "D3", (0.1, 2.0))
    social_rate: Prob = param(
        0.05, "share per step", "D3; assumption", "social bond built per step at saturating spend", (0.01, 0.15)
    )
    structural_unit: Pos = _unit("structural-bond spend", "D3", (0.1, 2.0))
    structural_rate: Prob = param(
        0.02, "share per step", "D3, M7; assumption", "structural bond built per step at saturating spend", (0.005, 0.05)
    )
    financial_frequency: NonNeg = param(
        0.3,
        "multiplier",
        "F6; Leenheer, van Heerde, Bijmolt & Smidts 2007 (IJRM): causal effect 1/7 of the naive member gap",
        "extra purchase frequency at full financial bond caused by the reward (F6's >3x member gap is mostly "
        "self-selection: +200% / 7 ~ 0.3)",
        (0.1, 0.5),
    )
    structural_value: NonNeg = param(
        0.15,
        "value score",
        "M7; assumption",
        "service value of the customised service at full structural bond (M7 pull)",
        (0.05, 0.3),
    )
    social_value: NonNeg = param(
        0.1, "value score", "D3; assumption", "personnel value of personal contact at full social bond (level 2)", (0.0, 0.2)
    )
    level_cost: list[NonNeg] = _levels([0.0, 0.02, 0.05, 0.1, 0.2], "currency per customer-step", "cost", (0.0, 0.5))
    level_recovery: list[Prob] = _levels(
        [0.0, 0.3, 0.4, 0.45, 0.5], "share of complaints", "recovery rate added to the firm's", (0.0, 0.8)
    )
    level_care: list[NonNeg] = _levels([0.0, 0.0, 0.01, 0.02, 0.03], "performance score", "perceived care", (0.0, 0.15))
    level_social: list[Prob] = _levels([0.0, 0.0, 0.0, 0.01, 0.02], "share per step", "social bond built", (0.0, 0.05))
    level_structural: list[Prob] = _levels(
        [0.0, 0.0, 0.0, 0.0, 0.002], "share per step", "structural bond built", (0.0, 0.02)
    )
    one_to_one_unit: Pos = _unit("one-to-one spend", "D11", (0.1, 2.0))
    one_to_one_wallet: Prob = param(
        0.3, "share of wallet", "D11; assumption", "share-of-wallet gain at saturating spend", (0.1, 0.5)
    )
    one_to_one_value: NonNeg = param(
        0.03, "performance score", "D11; assumption", "perceived-value gain (customisation) at saturating spend", (0.0, 0.1)
    )
    database_unit: PosMoney = param(
        1000.0,
        "currency per step",
        "M15; assumption",
        "database-marketing spend per step giving half the effect",
        (200.0, 5000.0),
    )
    database_efficiency: NonNeg = param(
        1.0, "multiplier", "M15; assumption", "acquisition contacts per currency x (1 + this) at saturation", (0.2, 2.0)
    )
    database_risk_care: NonNeg = param(
        0.1,
        "performance score",
        "M15; assumption",
        "perceived-performance gain of at-risk customers at saturation",
        (0.0, 0.2),
    )
    poaching_conversion: Prob = param(
        0.2, "probability", "assumption", "chance a reached rival customer switches (before loyalty damping)", (0.05, 0.4)
    )
    pr_unit: PosMoney = param(
        1000.0,
        "currency per step",
        "M12; assumption",
        "public-relations spend per step giving half the effect",
        (200.0, 5000.0),
    )
    pr_image: Prob = param(
        0.15, "image score", "M12; assumption", "image gain at saturating public-relations spend", (0.05, 0.3)
    )
