"""The customer portfolio (D8, D9): how a firm's customers are classed, and which classes a lever targets.

Classes are computed per firm over the firm's own customers, ranked by forward value (the expected
residual margin of the relationship; docs/model.md, customer portfolio):

- **pyramid** (D8, platinum / gold / iron / lead by current value x growth potential): the top
  ``platinum`` share of the firm's customers by forward value are platinum, the next ``gold`` share gold,
  the next ``iron`` share iron, the rest lead (the cumulative shares are capped at 1: bands past it are
  empty); a customer whose forward value is below ``lead_below`` is lead whatever its rank (negative value, D8).
- **ABC** (D8, 80/20 rule): A = the customers who, ranked by forward value, make up the first
  ``abc_a`` of the firm's positive forward value; B the next ones up to ``abc_b`` (empty when ``abc_b`` <=
  ``abc_a``); C the rest.
- **Kotler** (D8, profit potential x expected duration): both split at the firm's ``kotler_split`` quantile.
- **value flag** (D8): most valuable = top ``most_valuable`` share by forward value; most growth potential =
  top ``most_growth`` share by growth potential among the others; negative value = forward value < 0.

``targets`` (D8: the firm differentiates its customers by value and treats each class accordingly) gives,
per firm, a weight per pyramid class on its bond spend: the same total spend is shared over the firm's
customers in proportion to the weight of their class (weight 0: that class gets no bond spend; all 0:
nobody gets any, the spend is wasted).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, model_validator

from sim.scenario.fields import NonNeg, Prob, Strict, param, section

__all__ = ["Portfolio", "ClassWeights", "ClassTarget", "PYRAMID_CLASSES"]

_A = "assumption"
# the pyramid classes, best first; their codes in the kernel's int8 class column are 0..3 (NO_CLASS = -1)
PYRAMID_CLASSES = ("platinum", "gold", "iron", "lead")
_LEAD = "a customer whose forward value is below this is lead whatever its rank (negative value, D8)"
_KOTLER = "high profit potential / long expected duration: above this quantile of the firm's customers"
_GROWTH = "top share by growth potential (wallet not spent with the firm) flagged most growth potential"
_UPDATE = (
    "steps between recomputations of the pyramid class the kernel's targeting and the timeseries use"
    " (a classing of 100,000 customers takes about 14 ms, some 6-7 model steps, on 2 idle cores)"
)


def _d8(default: float, unit: str, description: str, bounds: tuple[float, float], **kwargs: Any) -> Any:
    """A setting of the portfolio that D8 names without a value: an **assumption** with plausible ``bounds``."""
    return param(default, unit, f"D8; {_A}", description, bounds, **kwargs)


def _share(default: float, of: str, description: str, bounds: tuple[float, float]) -> Any:
    """A band of the portfolio (D8): a share of the firm's ``of`` (customers or forward value)."""
    return _d8(default, f"share of the firm's {of}", description, bounds)


def _weight(cls: str) -> Any:
    """The weight of one pyramid class on a lever's spend (D8)."""
    article = "an" if cls[0] in "aeiou" else "a"
    return param(1.0, "weight", "D8; setting", f"weight of {article} {cls} customer")


class ClassWeights(Strict):
    """A weight per pyramid class (D8): the share of a lever's spend per customer of that class, relative to
    the others (all 1: untargeted; 0: that class gets none)."""

    platinum: NonNeg = _weight("platinum")
    gold: NonNeg = _weight("gold")
    iron: NonNeg = _weight("iron")
    lead: NonNeg = _weight("lead")

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.platinum, self.gold, self.iron, self.lead)


class ClassTarget(Strict):
    """One firm's class targeting of its bond spend (social, structural and financial programme spend)."""

    name: str = param(unit="text", source="setting", description="name of the firm whose spend is targeted")
    bonds: ClassWeights = section(ClassWeights(), "D8", "weights per pyramid class on the firm's bond spend")


class Portfolio(Strict):
    """Customer portfolio classes (D8, D9) and class-targeted spending (D8)."""

    platinum: Prob = _share(0.05, "customers", "top share by forward value that is platinum", (0.01, 0.1))
    gold: Prob = _share(0.15, "customers", "next share by forward value that is gold", (0.1, 0.3))
    iron: Prob = _share(0.5, "customers", "next share that is iron (rest: lead)", (0.3, 0.6))
    lead_below: float = _d8(0.0, "currency (forward value)", _LEAD, (-10.0, 10.0), ge=-1e6, le=1e6, allow_inf_nan=False)
    abc_a: Prob = param(
        0.8, "share of the firm's forward value", "D8 (80/20 rule)", "A: the best customers making this share of value"
    )
    abc_b: Prob = _share(0.95, "forward value", "B: the next ones up to this share; C: the rest", (0.9, 0.99))
    kotler_split: Prob = _d8(0.5, "quantile", _KOTLER, (0.3, 0.7))
    most_valuable: Prob = _share(0.2, "customers", "top share by forward value flagged most valuable", (0.1, 0.3))
    most_growth: Prob = _share(0.2, "customers", _GROWTH, (0.1, 0.3))
    update_every: Annotated[int, Field(ge=1, le=520)] = _d8(13, "steps", _UPDATE, (1.0, 26.0))
    targets: list[ClassTarget] = section(
        source="D8",
        description="per firm, weights per pyramid class on its bond spend (none: spend spread as without classes)",
        default_factory=list,
    )

    @model_validator(mode="after")
    def _bands(self) -> Portfolio:
        firms = [t.name for t in self.targets]
        if len(set(firms)) != len(firms):
            raise ValueError("targets: one entry per firm")
        return self
