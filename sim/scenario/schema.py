"""The scenario schema: the typed, validated description of one market (pydantic models).

Every number the engine uses comes from here, and every field carries its meaning, unit and source
(claim ID, paper, **assumption** with a plausible range, or **setting**; see ``sim.scenario.fields``).
Kernel parameters are in ``sim.scenario.dynamics``, market actors and levers in ``sim.scenario.markets``.
Any value can be overridden in a file or with ``--set dotted.key=value``. Bad input raises
:class:`ScenarioError` whose message is one line naming the file and the field path.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from sim.scenario.credit import Credit
from sim.scenario.dynamics import Dynamics
from sim.scenario.fields import (
    MAX_AMOUNT,
    MAX_SEGMENTS,
    MAX_STEPS,
    Money,
    Name,
    NonNeg,
    Pair,
    Prob,
    Strict,
    Unit,
    param,
    scale_money,
    section,
)
from sim.scenario.markets import (
    AllianceConfig,
    DistributorConfig,
    EmployeeConfig,
    EventConfig,
    Levers,
    Stakeholders,
    SupplierConfig,
)
from sim.scenario.portfolio import Portfolio
from sim.scenario.reactions import Reaction

__all__ = [
    "ALTERNATIVE_KEYS",
    "Scenario",
    "ScenarioError",
    "FirmConfig",
    "Offer",
    "Segment",
    "Network",
    "Population",
    "Dynamics",
]

_A = "assumption"


MAX_YEARS = 200
DEFAULT_UNIT_COST_SHARE = 0.6  # cost of goods per unit / base price when a firm gives neither cost field (assumption)
# keys that say the same thing in two ways: a file (or --set) that gives one replaces the other it extends
ALTERNATIVE_KEYS = {
    "cost_per_unit": "unit_cost",
    "unit_cost": "cost_per_unit",
}  # the longest horizon, in years (steps / steps_per_year)


class ScenarioError(ValueError):
    """A scenario (or override) that cannot be used; ``str(err)`` is a one-line message."""


# ---------------------------------------------------------------- segments (D6: weights differ by segment)
class ValueWeights(Strict):
    """Weights on the four components of total customer value (D6), each 0-1 (a share of what counts)."""

    product: Unit = param(0.4, "weight", f"D6; {_A}", "weight of product value", (0.2, 0.6))
    service: Unit = param(0.25, "weight", f"D6; {_A}", "weight of service value", (0.1, 0.4))
    personnel: Unit = param(0.15, "weight", f"D6; {_A}", "weight of personnel value", (0.05, 0.3))
    image: Unit = param(0.2, "weight", f"D6; {_A}", "weight of image value", (0.05, 0.3))


class CostWeights(Strict):
    """Weights on the four components of total customer cost (D6), each 0-1; price is a price index (1 = market)."""

    price: Unit = param(0.5, "weight", f"D6; {_A}", "weight of the monetary cost (price index)", (0.3, 0.7))
    time: Unit = param(0.2, "weight", f"D6; {_A}", "weight of the time cost", (0.05, 0.3))
    energy: Unit = param(0.15, "weight", f"D6; {_A}", "weight of the energy cost", (0.05, 0.3))
    psychic: Unit = param(0.15, "weight", f"D6; {_A}", "weight of the psychic cost", (0.05, 0.3))


class Segment(Strict):
    """A customer segment: its share of the population, D6 weights, basket and purchase rate."""

    name: str = param(unit="text", source="setting", description="name of the segment (unique)")
    share: Annotated[float, Field(gt=0.0, le=1.0, allow_inf_nan=False)] = param(
        1.0, "share of population", "D6; setting", "share of the population in this segment (shares sum to 1)"
    )
    value_weights: ValueWeights = section(ValueWeights(), "D6", "weights on total customer value")
    cost_weights: CostWeights = section(CostWeights(), "D6", "weights on total customer cost")
    basket: Annotated[float, Field(gt=0.0, le=MAX_AMOUNT, allow_inf_nan=False)] = param(
        40.0, "currency per purchase", _A, "spend per purchase at price index 1", (10.0, 100.0)
    )
    purchase_rate: Prob = param(0.5, "probability per step", _A, "probability of a purchase per step", (0.2, 0.9))
    network_value: Prob = param(
        0.0, "probability", f"M13; {_A}", "chance that an adopting (business) customer pulls its contacts in", (0.0, 0.3)
    )


class Population(Strict):
    """The market's people: how many, their segments and spend dispersion."""

    size: Annotated[int, Field(ge=1, le=200_000_000)] = param(100_000, "people", "setting", "people in the market")
    segments: list[Segment] = section(
        source="D6",
        description="customer segments (D6: weights differ by segment)",
        default_factory=lambda: [Segment(name="all")],
        max_length=MAX_SEGMENTS,
    )
    wallet_sigma: Annotated[float, Field(ge=0.0, le=3.0, allow_inf_nan=False)] = param(
        1.0, "log-sd", f"F7; {_A}", "lognormal spend dispersion (F7: a minority carries most value)", (0.5, 1.5)
    )
    budget_reference: Annotated[int, Field(ge=1, le=200_000_000)] = param(
        100_000,
        "people",
        "setting",
        "market size the money amounts per step are written for; they scale with size / budget_reference",
    )
    frequency_gamma: Pair | None = param(
        None,
        "[shape, rate]",
        "Fader et al. 2005; setting",
        "per-customer purchase-frequency multiplier ~ Gamma(shape, rate) (NBD heterogeneity); none: all 1",
    )
    start_state: str | None = param(
        None,
        "path",
        "setting",
        "Parquet file of the firms' own customers (one row each; docs/model.md, start state), relative to the"
        " scenario file that names it; the other people are prospects and firms[].initial_share is not used",
    )

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
class Offer(Strict):
    """A firm's offer: value components on [0, 1], price index, non-price costs on [0, 1] (D6, D7)."""

    product: Unit = param(0.6, "score 0-1", "D6; setting", "product value")
    service: Unit = param(0.5, "score 0-1", "D6; setting", "service value")
    personnel: Unit = param(0.5, "score 0-1", "D6; setting", "personnel value")
    image: Unit = param(0.5, "score 0-1", "D6; setting", "image value")
    price: Annotated[float, Field(gt=0.0, le=10.0, allow_inf_nan=False)] = param(
        1.0, "price index (1 = market)", "D6; setting", "price"
    )
    time: Unit = param(0.4, "score 0-1", "D6; setting", "time cost")
    energy: Unit = param(0.4, "score 0-1", "D6; setting", "energy cost")
    psychic: Unit = param(0.3, "score 0-1", "D6; setting", "psychic cost")


class Budget(Strict):
    """The firm's marketing budgets per step."""

    acquisition: Money = param(3000.0, "currency per step", "L; setting", "spent on campaigns to win prospects")
    retention: Money = param(1000.0, "currency per step", "M14; setting", "spent on after-sales care of customers")


class FirmConfig(Strict):
    """One firm (customer and competitor markets) with its offer, costs, budgets, levers and partners."""

    name: str = param(unit="text", source="setting", description="name of the firm (unique)")
    initial_share: Prob = param(
        0.2, "share of population", "setting", "share of the population that are its customers at step 0"
    )
    offer: Offer = section(Offer(), "D6, D7", "the offer: value components, price and non-price costs")
    cost_per_unit: Annotated[float, Field(ge=0.0, le=MAX_AMOUNT, allow_inf_nan=False)] = param(
        DEFAULT_UNIT_COST_SHARE,
        "currency per unit",
        _A,
        "cost of goods per unit sold (a unit sells for the price paid: one unit of basket at price index 1); "
        "fixed whatever the price, so rebates and price cuts lower the margin per unit; when not given: "
        "0.6 x offer.price (or unit_cost x offer.price)",
        (0.4, 0.8),
    )
    unit_cost: Annotated[float, Field(ge=0.0, lt=1.0, allow_inf_nan=False)] | None = param(
        None,
        "share of revenue at the base price",
        "setting: the older way to give cost_per_unit",
        "cost of goods as a share of revenue at the base price: cost_per_unit = unit_cost x offer.price "
        "(give one of the two)",
    )
    cost_to_serve: NonNeg = param(0.5, "currency per customer-step", _A, "cost of serving one customer per step", (0.1, 2.0))
    budget: Budget = section(Budget(), "L", "acquisition and retention budgets")
    recovery_rate: Prob = param(
        0.2, "share of complaints", f"D10; {_A}", "share of complaints recovered (service recovery)", (0.0, 0.6)
    )
    recovery_cost: NonNeg = param(10.0, "currency per recovered complaint", _A, "cost of one recovery", (2.0, 30.0))
    levers: Levers = section(Levers(), "L", "the firm's strategy levers (all off by default)")
    supplier: SupplierConfig = section(SupplierConfig(), "D5, M9", "the firm's main supplier")
    distributor: DistributorConfig = section(DistributorConfig(), "M10", "the firm's distributor")
    employees: EmployeeConfig = section(EmployeeConfig(), "M8", "the firm's employees (internal market)")
    reaction: Reaction = section(Reaction(), "D1, M6, M11", "how the firm reacts to its rivals' strategies")

    @model_validator(mode="after")
    def _one_reaction(self) -> FirmConfig:
        # levers.copy_financial is the older form of a financial-lever match (kept; see sim.market.rivals)
        if self.levers.copy_financial.enabled and self.reaction.policy != "ignore":
            raise ValueError("levers.copy_financial and reaction: use one (reaction.policy match copies levers too)")
        return self

    @model_validator(mode="after")
    def _cost_of_goods(self) -> FirmConfig:
        """One cost of goods per unit sold: ``cost_per_unit``, or the older ``unit_cost`` (a share of revenue at the
        base price) converted to it, so a file written before unit costs keeps its meaning at the base price;
        neither: the former default share, 0.6, of the base price."""
        given = "cost_per_unit" in self.model_fields_set
        if given and self.unit_cost is not None:
            raise ValueError(
                "give cost_per_unit (currency per unit) or unit_cost (share of revenue at the base price), not both"
            )
        if not given:
            share = DEFAULT_UNIT_COST_SHARE if self.unit_cost is None else self.unit_cost
            self.cost_per_unit = share * self.offer.price
            self.unit_cost = None
        return self


# ---------------------------------------------------------------- contact network (M5)
class Network(Strict):
    """The contact network word of mouth travels over (M5)."""

    kind: Literal["watts_strogatz", "erdos_renyi", "barabasi_albert", "none"] = param(
        "watts_strogatz", "choice", "Watts & Strogatz 1998; setting", "graph family of the communities (none: no network)"
    )
    degree: Annotated[int, Field(ge=2, le=100)] = param(
        10, "contacts", _A, "mean number of contacts per person", (4.0, 20.0)
    )
    rewire: Prob = param(
        0.1,
        "share of ties",
        f"Watts & Strogatz 1998; {_A}",
        "ties rewired to anyone in the population (small world)",
        (0.01, 0.3),
    )
    community_size: Annotated[int, Field(ge=50, le=100_000)] = param(
        5000, "people", _A, "people per community graph; the graphs are chained over the population", (500.0, 20000.0)
    )


class Scenario(Strict):
    """One market: its people, firms and their strategies, network, dynamics, stakeholders and events."""

    name: Name = param(
        "unnamed", "text", "setting", "name of the scenario (letters, digits, _ . -: it names the default output folder)"
    )
    description: str = param("", "text", "setting", "what the scenario shows")
    currency: Annotated[str, Field(max_length=20)] = param(
        "", "text", "setting", "currency of every money amount, e.g. EUR (shown in reports; empty: 'currency units')"
    )
    steps: Annotated[int, Field(ge=1, le=MAX_STEPS)] = param(
        104, "steps", "setting", "horizon; one step = one week; at most 200 years (steps / steps_per_year)"
    )
    discount_rate: Annotated[float, Field(ge=0.001, le=1.0, allow_inf_nan=False)] = param(  # 0: infinite CLV
        0.1, "per year", f"Gupta & Lehmann 2003; {_A}", "discount rate for customer lifetime value", (0.05, 0.15)
    )
    steps_per_year: Annotated[float, Field(ge=1.0, le=8760.0, allow_inf_nan=False)] = param(
        52.0, "steps per year", "setting", "one step = one week; 1 (a year) to 8760 (an hour)"
    )
    population: Population = section(Population(), "D6, F7", "the market's people")
    firms: list[FirmConfig] = section(
        source="D1",
        description="the firms competing for the customers (customer and competitor markets)",
        default_factory=lambda: [FirmConfig(name="focal"), FirmConfig(name="rival_1"), FirmConfig(name="rival_2")],
    )
    network: Network = section(Network(), "M5", "contact network for word of mouth")
    dynamics: Dynamics = section(Dynamics(), "M1, M3, M5, D3, D12", "how customers respond (kernel parameters)")
    stakeholders: Stakeholders = section(Stakeholders(), "D1, M12", "influence markets")
    alliances: list[AllianceConfig] = section(source="M11", description="alliances between rivals", default_factory=list)
    events: list[EventConfig] = section(source="setting", description="scheduled and random events", default_factory=list)
    portfolio: Portfolio = section(Portfolio(), "D8, D9", "customer portfolio classes and class-targeted spending")
    credit: Credit = section(Credit(), "F9", "customers' payment behaviour and credit grades (off by default)")

    @model_validator(mode="after")
    def _check_firms(self) -> Scenario:
        if self.steps > MAX_YEARS * self.steps_per_year:  # interest compounds on debt: keep it finite
            raise ValueError(f"steps: a horizon of at most {MAX_YEARS} years ({self.steps} steps is longer)")
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
        for t in self.portfolio.targets:
            if t.name not in known:
                raise ValueError(f"portfolio.targets: no firm named {t.name!r}")
        return self

    @property
    def firm_names(self) -> list[str]:
        return [f.name for f in self.firms]

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def money_scale(self) -> float:
        return self.population.size / self.population.budget_reference

    def scaled(self) -> Scenario:
        """A copy with every money-per-step amount scaled to the population (see ``budget_reference``):
        exactly the fields typed Money, wherever they sit (firms, levers, alliances, ...)."""
        k = self.money_scale()
        if k == 1.0:
            return self
        d = self.to_dict()
        scale_money(Scenario, d, k)
        d["population"]["budget_reference"] = self.population.size
        return Scenario.model_validate(d)
