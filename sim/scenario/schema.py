"""The scenario schema: the typed, validated description of one market (pydantic models).

Every number the engine uses comes from here. Defaults the source documents do not give are
*assumptions* (marked so in the field descriptions and in docs/model.md) and can be overridden in a
file or with ``--set dotted.key=value``. Bad input raises :class:`ScenarioError` whose message is one
line naming the file and the field path.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.scenario.markets import (
    AllianceConfig,
    DistributorConfig,
    EmployeeConfig,
    EventConfig,
    LeverEffects,
    Levers,
    Stakeholders,
    SupplierConfig,
)

__all__ = ["Scenario", "ScenarioError", "FirmConfig", "Offer", "Segment", "Network", "Population", "Dynamics"]

Prob = Annotated[float, Field(ge=0.0, le=1.0)]
Unit = Annotated[float, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, Field(ge=0.0)]


class ScenarioError(ValueError):
    """A scenario (or override) that cannot be used; ``str(err)`` is a one-line message."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, validate_default=True)


# ---------------------------------------------------------------- segments (D6: weights differ by segment)
class ValueWeights(_Strict):
    """Weights on the four components of total customer value (D6)."""

    product: NonNeg = 0.4
    service: NonNeg = 0.25
    personnel: NonNeg = 0.15
    image: NonNeg = 0.2


class CostWeights(_Strict):
    """Weights on the four components of total customer cost (D6); price is a price index (1 = market)."""

    price: NonNeg = 0.5
    time: NonNeg = 0.2
    energy: NonNeg = 0.15
    psychic: NonNeg = 0.15


class Segment(_Strict):
    name: str
    share: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0
    value_weights: ValueWeights = ValueWeights()
    cost_weights: CostWeights = CostWeights()
    basket: Annotated[float, Field(gt=0.0)] = 40.0  # spend per purchase at price index 1 (assumption)
    purchase_rate: Prob = 0.5  # probability of a purchase per step (assumption)
    network_value: Prob = 0.0  # M13: chance that an adopting (business) customer pulls its contacts in


class Population(_Strict):
    size: Annotated[int, Field(ge=1, le=200_000_000)] = 100_000
    segments: list[Segment] = Field(default_factory=lambda: [Segment(name="all")])
    wallet_sigma: Annotated[float, Field(ge=0.0, le=3.0)] = 1.0  # lognormal spend dispersion, F7 (assumption)
    # money amounts per step in the scenario (budgets, lever spends, fees, spend units) are for a market
    # of this many people; they scale with size / budget_reference, so a smaller quick-look run keeps
    # the same spend per person
    budget_reference: Annotated[int, Field(ge=1)] = 100_000
    frequency_gamma: Annotated[list[Annotated[float, Field(gt=0.0)]], Field(min_length=2, max_length=2)] | None = None
    # ^ [shape, rate]: per-customer purchase-frequency multiplier ~ Gamma (NBD heterogeneity); None: all 1

    @model_validator(mode="after")
    def _shares_sum_to_one(self) -> Population:
        total = sum(s.share for s in self.segments)
        if not self.segments:
            raise ValueError("needs at least one segment")
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"segment shares must sum to 1 (they sum to {total:g})")
        names = [s.name for s in self.segments]
        if len(set(names)) != len(names):
            raise ValueError("segment names must be unique")
        return self


# ---------------------------------------------------------------- firms (customer and competitor markets)
class Offer(_Strict):
    """A firm's offer: value components on [0, 1], price index, non-price costs on [0, 1] (D6, D7)."""

    product: Unit = 0.6
    service: Unit = 0.5
    personnel: Unit = 0.5
    image: Unit = 0.5
    price: Annotated[float, Field(gt=0.0, le=10.0)] = 1.0
    time: Unit = 0.4
    energy: Unit = 0.4
    psychic: Unit = 0.3


class Budget(_Strict):
    acquisition: NonNeg = 3000.0  # currency per step spent on winning prospects
    retention: NonNeg = 1000.0  # currency per step spent on after-sales care of customers (M14)


class FirmConfig(_Strict):
    name: str
    initial_share: Prob = 0.2  # share of the population that are its customers at step 0
    offer: Offer = Offer()
    unit_cost: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.6  # cost of goods as a share of revenue
    cost_to_serve: NonNeg = 0.5  # currency per customer per step
    budget: Budget = Budget()
    recovery_rate: Prob = 0.2  # share of complaints recovered (D10 recovery stage; assumption)
    recovery_cost: NonNeg = 10.0  # currency per recovered complaint (assumption)
    levers: Levers = Levers()
    supplier: SupplierConfig = SupplierConfig()
    distributor: DistributorConfig = DistributorConfig()
    employees: EmployeeConfig = EmployeeConfig()


# ---------------------------------------------------------------- contact network (M5)
class Network(_Strict):
    kind: Literal["watts_strogatz", "erdos_renyi", "barabasi_albert", "none"] = "watts_strogatz"
    degree: Annotated[int, Field(ge=2, le=100)] = 10
    rewire: Prob = 0.1  # share of ties rewired to anyone in the population (small world)
    community_size: Annotated[int, Field(ge=50, le=100_000)] = 5000


# ---------------------------------------------------------------- kernel parameters
class SatisfactionParams(_Strict):
    """M1: satisfaction by disconfirmation against an adaptive expectation."""

    perception_noise: NonNeg = 0.08  # sd of perceived performance around delivered value (assumption)
    tolerance: Annotated[float, Field(gt=0.0)] = 0.1  # disconfirmation that moves satisfaction halfway
    speed: Prob = 0.2  # smoothing of satisfaction toward its target per step (assumption)
    expectation_speed: Prob = 0.05  # adaptation of expectations to experience (assumption)
    market_anchor: Prob = 0.5  # weight of market average in expectations (Thibaut & Kelley 1959; assumption)
    delight_margin: NonNeg = 0.05  # disconfirmation above which the customer is delighted (M2)
    initial: Unit = 0.6


class TrustParams(_Strict):
    """M4: trust collapses on a broken promise and is rebuilt slowly."""

    break_margin: NonNeg = 0.15  # negative disconfirmation that counts as a broken promise (assumption)
    drop: Prob = 0.4  # share of trust lost on a broken promise (assumption)
    gain: Prob = 0.01  # share of the remaining gap regained per step when expectations are met
    initial: Unit = 0.5


class LoyaltyParams(_Strict):
    """M2, M3, D3: loyalty from satisfaction (convex: delight matters), trust and bonds."""

    satisfaction_power: Annotated[int, Field(ge=1, le=8)] = 3  # convexity, M2 (Jones & Sasser 1995; exponent: assumption)
    w_satisfaction: NonNeg = 0.35
    w_delight: NonNeg = 0.2
    w_trust: NonNeg = 0.25
    w_financial: NonNeg = 0.05
    w_social: NonNeg = 0.1
    w_structural: NonNeg = 0.05
    speed: Prob = 0.05
    initial: Unit = 0.3
    loyal_threshold: Unit = 0.6  # lifecycle stage "loyal" at or above (D10)


class ComplaintParams(_Strict):
    """D10 recovery stage: dissatisfied customers complain; the firm recovers some."""

    threshold: Unit = 0.35  # satisfaction below which a customer may complain
    probability: Prob = 0.1  # per step, when below threshold (assumption)
    recovery_boost: Prob = 0.5  # share of the gap to full satisfaction closed by a recovery (assumption)


class WomParams(_Strict):
    """M5, F4, F5: word of mouth in episodes, over the network and to the wider population."""

    positive_reach: NonNeg = 8.0  # people a delighted customer tells per episode (F4)
    negative_reach: NonNeg = 25.0  # people a dissatisfied customer affects per episode (F5)
    positive_probability: Prob = 0.05  # chance a delighted customer starts an episode per step (assumption)
    referral_conversion: Prob = 0.3  # chance a told prospect adopts (F4: >= 1 of 8 closes; assumption)
    referral_pull: Prob = 0.02  # extra switching hazard of a rival's customer told about a firm
    negative_impact: Prob = 0.05  # satisfaction lost per negative contact heard about one's firm
    negative_block: Prob = 0.5  # cut in a prospect's adoption hazard for a firm criticised to them
    imitation: NonNeg = 0.0  # Bass (1969) q: adoption hazard per unit of the firm's market share (well mixed)


class ChurnParams(_Strict):
    """D12: three causes of churn; structural bonds are switching costs (M7)."""

    dissatisfaction: Prob = 0.05  # hazard at zero satisfaction and zero loyalty (assumption)
    satisfaction_floor: Unit = 0.45  # satisfaction below which dissatisfaction churn starts
    competition: NonNeg = 0.06  # hazard per unit of delivered-value gap to the best rival (assumption)
    own_circumstances: Prob = 0.001  # per step; the customer's own reasons (D12; assumption)
    own_circumstances_beta: Annotated[list[Annotated[float, Field(gt=0.0)]], Field(min_length=2, max_length=2)] | None = None
    # ^ [alpha, beta]: each customer draws its own-circumstance churn once from Beta (sBG, Fader & Hardie 2007)
    own_after_purchase: bool = False  # own-circumstance churn only right after a purchase (BG/NBD, Fader et al. 2005)
    switch_share: Prob = 0.6  # share of dissatisfied leavers who go to the best rival (rest lapse)
    switching_cost: Prob = 0.8  # damping of churn at full structural bond (M7)
    financial_damping: Prob = 0.3  # damping of churn at full financial bond (D3 level 1)


class AcquisitionParams(_Strict):
    """Winning prospects: campaigns paid from the acquisition budget, spontaneous adoption, referrals."""

    cost_per_contact: Annotated[float, Field(gt=0.0)] = 8.0  # currency per prospect reached (assumption)
    conversion: Prob = 0.3  # chance a reached prospect adopts at average attractiveness (assumption)
    spontaneous: Prob = 0.002  # per step, outside influence (Bass 1969 p; assumption)
    hazard_step: Annotated[float, Field(gt=0.0, le=1.0)] | None = None
    # ^ if set, adoption hazards are rates per unit time and a step lasts this long: probability 1 - exp(-h dt)
    value_sensitivity: NonNeg = 3.0  # how strongly choice follows delivered value (assumption)


class BondParams(_Strict):
    """D3 bond stocks: built by investment per customer, decaying at their own pace (M6, M7)."""

    decay_financial: Prob = 0.1  # fast: loyalty bought with rewards fades (M6)
    decay_social: Prob = 0.02
    decay_structural: Prob = 0.005  # slow: most stable (M7)
    care_effect: NonNeg = 0.1  # perceived-performance gain from after-sales care at saturation (M14)
    care_unit: Annotated[float, Field(gt=0.0)] = 0.2  # care spend per customer-step giving half the effect


class Dynamics(_Strict):
    satisfaction: SatisfactionParams = SatisfactionParams()
    trust: TrustParams = TrustParams()
    loyalty: LoyaltyParams = LoyaltyParams()
    complaints: ComplaintParams = ComplaintParams()
    wom: WomParams = WomParams()
    churn: ChurnParams = ChurnParams()
    acquisition: AcquisitionParams = AcquisitionParams()
    bonds: BondParams = BondParams()
    new_steps: Annotated[int, Field(ge=1)] = 8  # tenure below which a customer is "new" (D10)
    returning_after: Annotated[int, Field(ge=0)] = 52  # tenure from which a customer counts as returning (F3)
    share_of_wallet_floor: Prob = 0.4  # share of wallet at zero loyalty (D11; grows to 1 with loyalty)
    loyalty_frequency: NonNeg = 0.5  # extra purchase frequency at full loyalty (M3; assumption)
    levers: LeverEffects = LeverEffects()


class Scenario(_Strict):
    name: str = "unnamed"
    description: str = ""
    steps: Annotated[int, Field(ge=1, le=100_000)] = 104  # one step = one week
    discount_rate: Annotated[float, Field(ge=0.0, le=1.0)] = 0.1  # per year, for CLV (assumption)
    steps_per_year: Annotated[float, Field(gt=0.0)] = 52.0
    population: Population = Population()
    firms: list[FirmConfig] = Field(
        default_factory=lambda: [FirmConfig(name="focal"), FirmConfig(name="rival_1"), FirmConfig(name="rival_2")]
    )
    network: Network = Network()
    dynamics: Dynamics = Dynamics()
    stakeholders: Stakeholders = Stakeholders()
    alliances: list[AllianceConfig] = Field(default_factory=list)
    events: list[EventConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_firms(self) -> Scenario:
        if not 1 <= len(self.firms) <= 100:
            raise ValueError("needs between 1 and 100 firms")
        names = [f.name for f in self.firms]
        if len(set(names)) != len(names):
            raise ValueError("firm names must be unique")
        if sum(f.initial_share for f in self.firms) > 1.0 + 1e-9:
            raise ValueError("firms' initial_share values sum to more than 1")
        known = set(names)
        for name in self.stakeholders.monopoly:
            if name not in known:
                raise ValueError(f"stakeholders.monopoly: no firm named {name!r}")
        for a in self.alliances:
            bad = [m for m in a.members if m not in known]
            if bad or len(set(a.members)) != len(a.members):
                raise ValueError(f"alliance {a.name!r}: members must be distinct firm names (bad: {bad})")
        if len({a.name for a in self.alliances}) != len(self.alliances):
            raise ValueError("alliance names must be unique")
        for e in self.events:
            if e.firm is not None and e.firm not in known:
                raise ValueError(f"event {e.kind}: no firm named {e.firm!r}")
        return self

    @property
    def firm_names(self) -> list[str]:
        return [f.name for f in self.firms]

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def money_scale(self) -> float:
        return self.population.size / self.population.budget_reference

    def scaled(self) -> Scenario:
        """A copy with every money-per-step amount scaled to the population (see ``budget_reference``)."""
        k = self.money_scale()
        if k == 1.0:
            return self
        d = self.to_dict()
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
        d["population"]["budget_reference"] = self.population.size
        return Scenario.model_validate(d)
