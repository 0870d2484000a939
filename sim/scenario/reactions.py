"""How a firm reacts to its rivals' strategies (competitor market, D1; M6; M11): ``firms[].reaction``.

A rival that reacts can make a strategy that wins against passive rivals lose. Four policies
(implemented in ``sim.market.rivals``):

- ``ignore`` (default): no reaction — a firm keeps the levers of its scenario (the old copy and
  price-war switches ``levers.copy_financial`` and ``levers.match_price_war`` still work on their own);
- ``match``: after ``lag`` steps, copy a relationship lever (or all of them) of the rival that gained
  the most market share while running it, and pay for it (M6: level-1 bonds are the easiest to copy);
- ``undercut``: cut the price in proportion to the market share lost over ``window`` steps, at most
  ``max_cut``, held ``hold`` steps (D1: the competitor market; the cut costs margin);
- ``best_response``: every ``review`` steps pick, among a few candidate lever settings, the one a
  simple forecast fitted on the firm's own recent history says earns most over the next review period.

The effect sizes and time scales are **assumptions**: the source documents say rivals copy level-1
incentives (M6) and compete and co-operate (M11), but give no lags or magnitudes (no published
magnitude used).
"""

from __future__ import annotations

import typing
from typing import Annotated, Literal

from pydantic import Field

from sim.scenario.fields import Prob, Strict, param

__all__ = ["Reaction", "REACTION_POLICIES", "MATCHABLE_LEVERS"]

Policy = Literal["ignore", "match", "undercut", "best_response"]
REACTION_POLICIES: tuple[str, ...] = typing.get_args(Policy)
MatchLever = Literal["all", "financial", "social", "structural", "one_to_one", "poaching", "relationship_level"]
# the relationship levers a rival can copy (``all`` copies every one of them)
MATCHABLE_LEVERS: tuple[str, ...] = typing.get_args(MatchLever)[1:]
_A = "assumption"
Steps = Annotated[int, Field(ge=1, le=520)]


class Reaction(Strict):
    """How a firm responds to its rivals (D1 competitor market, M6, M11). Fields apply to the policy named."""

    policy: Policy = param(
        "ignore",
        "choice",
        "D1, M6; setting",
        "ignore, match (copy a rival's lever), undercut (cut price after losing share), best_response",
    )
    lever: MatchLever = param(
        "all",
        "choice",
        "M6; setting",
        "match: the lever copied (financial = rebate and programme spend; all = every relationship lever)",
    )
    lag: Steps = param(8, "steps", f"M6; {_A}", "match: steps between seeing a rival's lever and copying it", (2.0, 26.0))
    window: Steps = param(
        13, "steps", f"D1; {_A}", "match, undercut: steps over which a firm's share gain or loss is measured", (4.0, 26.0)
    )
    min_gain: Annotated[float, Field(ge=-1.0, le=1.0, allow_inf_nan=False)] = param(
        0.0,
        "share of population",
        f"M6; {_A}",
        "match: a rival's lever is copied only if it gained more share than this over the window",
        (-0.01, 0.02),
    )
    cut_per_share: Annotated[float, Field(ge=0.0, le=100.0, allow_inf_nan=False)] = param(
        1.0,
        "share of price per share of population lost",
        f"D1; {_A}",
        "undercut: price cut per unit of market share lost over the window (1: 2 points lost -> 2% cut)",
        (0.5, 3.0),
    )
    min_loss: Prob = param(
        0.005,
        "share of population",
        f"D1; {_A}",
        "undercut: the share loss over the window that triggers a cut (below it: noise, no cut)",
        (0.002, 0.02),
    )
    max_cut: Annotated[float, Field(ge=0.0, lt=1.0, allow_inf_nan=False)] = param(
        0.1, "share of price", f"D1; {_A}", "undercut: the largest price cut", (0.05, 0.2)
    )
    hold: Steps = param(13, "steps", f"D1; {_A}", "undercut: steps a cut is held before it is reviewed", (4.0, 26.0))
    review: Steps = param(13, "steps", f"D1; {_A}", "best_response: steps between reviews (13 = a quarter)", (4.0, 26.0))
    budget_step: Annotated[float, Field(gt=0.0, lt=1.0, allow_inf_nan=False)] = param(
        0.25,
        "share of budget",
        _A,
        "best_response: a candidate raises or lowers the acquisition or retention budget by this share",
        (0.1, 0.5),
    )
    acquisition_exponent: Annotated[float, Field(gt=0.0, le=1.0, allow_inf_nan=False)] = param(
        0.5,
        "elasticity",
        _A,
        "best_response forecast: customers acquired ~ acquisition spend ^ this (diminishing returns)",
        (0.3, 0.8),
    )
    retention_elasticity: Annotated[float, Field(ge=0.0, le=2.0, allow_inf_nan=False)] = param(
        0.2,
        "elasticity",
        f"M14; {_A}",
        "best_response forecast: churn ~ retention spend ^ -this (after-sales care keeps customers)",
        (0.05, 0.5),
    )
