"""Scenario sections for the six relationship markets (D1) and the strategy levers (L).

``sim.scenario`` assembles these into the whole scenario. Every effect size the source documents do
not quantify is an *assumption*: named so here and in docs/model.md, and a parameter. Money amounts
are currency per step (one week); spends are booked as costs in the firm's profit.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
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

Prob = Annotated[float, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, Field(ge=0.0)]
Pos = Annotated[float, Field(gt=0.0)]
Step = Annotated[int, Field(ge=0)]

RELATIONSHIP_LEVELS = ("basic", "reactive", "accountable", "proactive", "partnership")  # D4
EVENT_KINDS = ("supply_disruption", "regulation", "media_crisis", "staff_departure", "price_war", "monopoly")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, validate_default=True)


class _Window(_Strict):
    start: Step = 0  # first step the lever is on
    stop: Step | None = None  # first step it is off again (None: never)

    @model_validator(mode="after")
    def _order(self) -> _Window:
        if self.stop is not None and self.stop <= self.start:
            raise ValueError("stop must be after start")
        return self

    def active(self, step: int) -> bool:
        return step >= self.start and (self.stop is None or step < self.stop)


# ---------------------------------------------------------------- levers (per firm)
class Spend(_Window):
    """A lever that is a spend per step while it is on."""

    spend: NonNeg = 0.0


class FinancialLever(Spend):
    """Level-1 financial bond (D3): a rebate on the price plus a points/frequency programme (spend)."""

    rebate: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0  # share of the price returned to customers


class SupplierLever(Spend):
    """Supplier market (D5, M9): relationship investment (spend) and price squeeze."""

    squeeze: Annotated[float, Field(ge=0.0, le=0.5)] = 0.0  # share cut from the supplier's price


class DistributorLever(Spend):
    """Distributor market (M10): partnership investment (spend) and an exclusive contract."""

    exclusive: bool = False


class TieredService(_Strict):
    """D8 tiered service by customer value, and ending relationships with negative-value customers."""

    targeting: Prob = 0.0  # 0: care and bonds spread evenly; 1: in proportion to the customer's value
    end_unprofitable: bool = False
    cost: NonNeg = 0.0  # database/analytics cost per step of running the tiers (assumption)


class CopyLever(_Strict):
    """Competitor behaviour (M6): copy the largest rival level-1 incentive after a lag."""

    enabled: bool = False
    lag: Annotated[int, Field(ge=1, le=520)] = 8


class Levers(_Strict):
    """Every strategy lever of one firm (domain.md, section L). All off by default (transactional)."""

    financial: FinancialLever = FinancialLever()
    social: Spend = Spend()  # level-2 social bonds: personal contact, clubs, membership (D3)
    structural: Spend = Spend()  # level-3 structural bonds: integration, customised service (D3, M7)
    relationship_level: Literal["basic", "reactive", "accountable", "proactive", "partnership"] = "basic"  # D4
    one_to_one: Spend = Spend()  # customisation and dialogue: share of wallet (D11)
    database: Spend = Spend()  # database marketing: targeted acquisition, at-risk retention (M15)
    tiered_service: TieredService = TieredService()
    internal_marketing: Spend = Spend()  # training, pay, involvement (M8)
    supplier: SupplierLever = SupplierLever()
    distributor: DistributorLever = DistributorLever()
    public_relations: Spend = Spend()  # stakeholder market (M12)
    poaching: Spend = Spend()  # acquisition offers aimed at rivals' customers (competitor market)
    copy_financial: CopyLever = CopyLever()
    match_price_war: bool = False  # cut price when a rival starts a price war


# ---------------------------------------------------------------- effect sizes of the levers (assumptions)
class LeverEffects(_Strict):
    """How strongly each lever acts. The documents rank the levers but give no numbers: assumptions."""

    # bonds (D3): per-customer spend x builds the stock at rate max_rate * x / (x + unit)
    financial_unit: Pos = 0.5
    financial_rate: Prob = 0.15
    social_unit: Pos = 0.5
    social_rate: Prob = 0.05
    structural_unit: Pos = 0.5
    structural_rate: Prob = 0.02
    financial_frequency: NonNeg = 1.0  # extra purchase frequency at full financial bond (F6: members visit more)
    structural_value: NonNeg = 0.15  # service value of the customised service at full structural bond (M7 pull)
    social_value: NonNeg = 0.1  # personnel value of personal contact at full social bond (D3 level 2)
    # D4 relationship levels basic..partnership: cost per customer-step and effects
    level_cost: list[NonNeg] = Field(default_factory=lambda: [0.0, 0.02, 0.05, 0.1, 0.2], min_length=5, max_length=5)
    level_recovery: list[Prob] = Field(default_factory=lambda: [0.0, 0.3, 0.4, 0.45, 0.5], min_length=5, max_length=5)
    level_care: list[NonNeg] = Field(default_factory=lambda: [0.0, 0.0, 0.02, 0.04, 0.06], min_length=5, max_length=5)
    level_social: list[Prob] = Field(default_factory=lambda: [0.0, 0.0, 0.0, 0.01, 0.02], min_length=5, max_length=5)
    level_structural: list[Prob] = Field(default_factory=lambda: [0.0, 0.0, 0.0, 0.0, 0.005], min_length=5, max_length=5)
    # one-to-one (D11) and database marketing (M15)
    one_to_one_unit: Pos = 0.5
    one_to_one_wallet: Prob = 0.3  # share-of-wallet gain at saturating spend
    one_to_one_value: NonNeg = 0.03  # perceived-value gain (customisation) at saturating spend
    database_unit: Pos = 1000.0  # spend per step giving half the effect
    database_efficiency: NonNeg = 1.0  # acquisition contacts per currency multiplied by 1 + this at saturation
    database_risk_care: NonNeg = 0.1  # perceived-performance gain of at-risk customers at saturation
    # poaching: a reached rival customer switches with this probability (before loyalty damping)
    poaching_conversion: Prob = 0.2
    # public relations (M12): image gain at saturating spend
    pr_unit: Pos = 1000.0
    pr_image: Prob = 0.15


# ---------------------------------------------------------------- market actors (per firm)
class SupplierConfig(_Strict):
    """The firm's main supplier (D5 ladder, M9)."""

    rung: Annotated[float, Field(ge=0.0, le=4.0)] = 1.0  # 0 pure transaction ... 4 strategic alliance
    input_share: Prob = 0.5  # share of product value bought in (M9: Boeing ~50%)
    climb: NonNeg = 0.02  # rungs per step at saturating investment (assumption)
    spend_unit: Pos = 500.0  # investment per step giving half the climb rate
    drift: Prob = 0.005  # share of the distance to the initial rung lost per step (assumption)
    squeeze_drop: NonNeg = 0.05  # rungs lost per step per unit of price squeeze (assumption)
    quality_per_rung: NonNeg = 0.05  # input quality gained per rung (assumption)
    squeeze_quality: NonNeg = 1.0  # input quality lost per unit of squeeze, after the lag (M9; assumption)
    lag: Annotated[int, Field(ge=0, le=520)] = 12  # steps before a squeeze shows in quality (M9)
    cost_per_rung: Annotated[float, Field(ge=0.0, le=0.2)] = 0.01  # unit-cost saving per rung climbed
    disruption_rate: Prob = 0.005  # chance of a supply disruption per step at rung 0 (assumption)
    disruption_severity: Prob = 0.3  # share of product quality lost during a disruption
    disruption_duration: Annotated[int, Field(ge=1, le=520)] = 4
    protection_per_rung: Annotated[float, Field(ge=0.0, le=0.25)] = 0.2  # share of damage avoided per rung


class DistributorConfig(_Strict):
    """The firm's distributor (M10)."""

    partnership: Prob = 0.0  # initial partnership depth
    speed: Prob = 0.05  # adjustment per step toward the level the investment sustains
    spend_unit: Pos = 500.0
    reach_gain: NonNeg = 1.0  # acquisition reach multiplied by 1 + this at full partnership (assumption)
    convenience: Prob = 0.3  # share of time and energy cost removed at full partnership (assumption)
    pos_service: Prob = 0.1  # point-of-sale service value added at full partnership (assumption)
    territory: Prob = 0.3  # share of prospects in its territory that rivals cannot reach if exclusive
    exclusivity_fee: NonNeg = 1000.0  # per step while exclusive


class EmployeeConfig(_Strict):
    """The firm's employees (internal market, M8)."""

    satisfaction: Prob = 0.5  # initial (and baseline) employee satisfaction
    speed: Prob = 0.05
    spend_unit: Pos = 500.0  # internal-marketing spend per step giving half the gain
    max_gain: Prob = 0.4  # employee satisfaction gain at saturating spend (assumption)
    service_effect: NonNeg = 0.4  # service and personnel quality per unit of employee satisfaction (assumption)
    turnover: Prob = 0.005  # staff turnover per step at baseline satisfaction (~23%/year; assumption)
    follow: Prob = 0.1  # share of a departing employee's customers who follow them (D12; assumption)


# ---------------------------------------------------------------- stakeholders, alliances, events (global)
class Stakeholders(_Strict):
    """Influence markets (D1, M12): media, consumer groups, financial institutions, government."""

    image_speed: Prob = 0.05  # image adjustment per step
    media_amplification: NonNeg = 0.02  # image lost per extra complaint heard per customer (vs the market)
    consumer_group_threshold: NonNeg = 0.01  # complaints per customer-step that mobilise consumer groups
    consumer_group_amplification: NonNeg = 1.0  # extra share of negative word of mouth when mobilised
    interest_rate: NonNeg = 0.08  # per year on a negative cash balance (financial institutions)
    image_premium: NonNeg = 0.5  # interest rate multiplied by 1 + this * (0.5 - image): banks read image
    initial_cash: float = 0.0
    monopoly: list[str] = Field(default_factory=list)  # firms whose customers cannot switch (M16)


class AllianceConfig(_Window):
    """Co-opetition (M11): rivals share R&D, channel or purchasing costs."""

    name: str
    members: Annotated[list[str], Field(min_length=2)]
    kind: Literal["rd", "channel", "purchasing"] = "rd"
    spend: NonNeg = 500.0  # per member per step
    quality_gain: Prob = 0.1  # rd: product quality gain at maturity (assumption)
    speed: Prob = 0.02  # rd: share of the remaining gain realised per step
    saving: Prob = 0.3  # channel: cut in cost per contact; purchasing: a fifth of it off unit cost


class EventConfig(_Strict):
    """A scheduled (``step``) or random (``rate`` per step) event."""

    kind: Literal["supply_disruption", "regulation", "media_crisis", "staff_departure", "price_war", "monopoly"]
    firm: str | None = None  # the firm it hits (all firms when omitted, where that makes sense)
    step: Step | None = None
    rate: Prob | None = None
    duration: Annotated[int, Field(ge=1, le=100_000)] = 1
    severity: Prob = 0.5

    @model_validator(mode="after")
    def _when(self) -> EventConfig:
        if (self.step is None) == (self.rate is None):
            raise ValueError("give exactly one of step (scheduled) or rate (random)")
        return self
