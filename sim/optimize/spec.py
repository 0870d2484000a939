"""Optimisation files: a typed schema (pydantic) for ``sim optimize``.

An optimisation names a base scenario, decision variables (dotted scenario keys with bounds or choices),
an optional *budget* (a total spend per week split across lever spends: each lever gets a weight in
[0, 1] and its spend is ``total * weight / sum(weights)``, so every trial spends exactly the total), an
optional minimum annual retention (Optuna's ``constraints_func``: an infeasible trial never ranks above a
feasible one), one or more objectives, replications per trial and the rivals' reactions to average over.
Bad input raises ``ScenarioError`` with one line naming the file and field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from sim.experiments.spec import RivalReaction, read_spec
from sim.optimize import OBJECTIVES
from sim.output.glossary import unknown_metric
from sim.scenario.fields import Name, Strict

__all__ = ["Variable", "Budget", "Objective", "Optimization", "load_optimization"]


class Variable(Strict):
    """One decision variable: a dotted scenario key with a range (``low``/``high``) or ``choices``."""

    name: str  # dotted scenario path, e.g. firms.focal.levers.tiered_service.targeting
    low: float | None = None
    high: float | None = None
    choices: Annotated[list[Any], Field(min_length=1)] | None = None  # levels or switches
    integer: bool = False
    log: bool = False

    @model_validator(mode="after")
    def _range_or_choices(self) -> Variable:
        if self.choices is None and (self.low is None or self.high is None):
            raise ValueError(f"{self.name}: give low and high, or choices")
        if self.choices is not None and (self.low is not None or self.high is not None):
            raise ValueError(f"{self.name}: give low and high, or choices, not both")
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"{self.name}: low must be below high")
        if self.log and (self.low is None or self.low <= 0):
            raise ValueError(f"{self.name}: a log range needs low > 0")
        return self


class Budget(Strict):
    """A total spend per week (currency per step, at ``population.budget_reference`` people, like every
    money amount of a scenario) split across lever spends (dotted keys); the total is always spent."""

    total: Annotated[float, Field(gt=0)]
    levers: Annotated[list[str], Field(min_length=2)]

    @model_validator(mode="after")
    def _distinct(self) -> Budget:
        twice = next((n for n in self.levers if self.levers.count(n) > 1), None)
        if twice is not None:
            raise ValueError(f"{twice!r} is listed twice")
        return self


class Objective(Strict):
    metric: str = "profit_total"  # a run metric of the firm (OBJECTIVES)
    direction: Literal["maximize", "minimize"] = "maximize"

    @model_validator(mode="after")
    def _known(self) -> Objective:
        if self.metric not in OBJECTIVES:
            raise ValueError(unknown_metric(self.metric, OBJECTIVES))
        return self


class Sampler(Strict):
    method: Literal["auto", "tpe", "nsga2", "cmaes", "random"] = "auto"  # auto: TPE for one objective, NSGA-II for several
    seed: Annotated[int, Field(ge=0)] = 0
    startup_trials: Annotated[int, Field(ge=1, le=10_000)] = 10  # random trials before TPE models the history


class Final(Strict):
    """The re-evaluation of the best candidates with more replications, beside the base and shipped strategies."""

    top: Annotated[int, Field(ge=1, le=50)] = 5
    replications: Annotated[int, Field(ge=2, le=10_000)] = 20
    compare_with: str | None = "retention_strategies"  # a library experiment whose strategies are the shipped ones
    marginal_steps: list[float] = Field(default_factory=lambda: [-0.1, -0.05, 0.05, 0.1])  # x budget total per lever
    marginal_replications: Annotated[int, Field(ge=2, le=10_000)] = 6


class Optimization(Strict):
    name: Name
    description: str = ""
    kind: Literal["optimize"] = "optimize"  # tells it from a compare / sweep experiment of the library
    scenario: str  # the base scenario: a library name or a path relative to the optimisation file
    firm: str = "focal"
    set: dict[str, Any] = Field(default_factory=dict)  # overrides applied to every run
    steps: Annotated[int, Field(ge=1, le=100_000)] | None = None
    seed: Annotated[int, Field(ge=0)] = 0  # replication k of every trial uses seed + k (common random numbers)
    replications: Annotated[int, Field(ge=1, le=1_000)] = 2  # per trial (and per reaction)
    trials: Annotated[int, Field(ge=1, le=100_000)] = 40
    batch: Annotated[int, Field(ge=1, le=1_000)] = 4  # trials asked per round (fixes the result, not the workers)
    budget: Budget | None = None
    variables: list[Variable] = Field(default_factory=list)
    min_retention: Annotated[float, Field(ge=0, le=1)] | None = None  # annual retention, share per year
    objectives: Annotated[list[Objective], Field(min_length=1)] = Field(default_factory=lambda: [Objective()])
    reactions: list[RivalReaction] = Field(default_factory=list)  # averaged over (each with every replication)
    sampler: Sampler = Sampler()
    final: Final = Final()

    @model_validator(mode="after")
    def _check(self) -> Optimization:
        if self.budget is None and not self.variables:
            raise ValueError("give a budget to split or variables (nothing to optimise)")
        names = [v.name for v in self.variables] + (self.budget.levers if self.budget else [])
        twice = next((n for n in names if names.count(n) > 1), None)
        if twice is not None:
            raise ValueError(f"{twice!r} is a decision variable twice")
        metrics = [o.metric for o in self.objectives]
        if len(set(metrics)) != len(metrics):
            raise ValueError("objectives: each metric once")
        if self.sampler.method == "cmaes" and (len(self.objectives) > 1 or any(v.choices for v in self.variables)):
            raise ValueError("sampler: cmaes takes one objective and no choices")
        rnames = [r.name for r in self.reactions]
        if len(set(rnames)) != len(rnames):
            raise ValueError("reactions: names must be unique")
        return self

    @property
    def multi(self) -> bool:
        return len(self.objectives) > 1


def load_optimization(path: str | Path, overrides: dict[str, Any] | None = None) -> tuple[Optimization, Path]:
    """Read and validate an optimisation file (or a library experiment by name, e.g. ``budget_split``);
    ``overrides`` (``--set``) join its ``set``. Returns it and the folder relative scenario paths start from."""
    opt, path = read_spec(path, Optimization, "optimisation file")
    if overrides:
        opt = opt.model_copy(update={"set": {**opt.set, **overrides}})
    return opt, path.parent
