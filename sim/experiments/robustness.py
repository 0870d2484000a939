"""Robustness across futures (issue 18): strategies scored in futures sampled over declared uncertainties.

A compare experiment with ``futures: N`` and ``uncertainties:`` samples N futures by Latin hypercube
(scipy.stats.qmc.LatinHypercube, seeded with the experiment's seed) over the uncertainties — a dotted
scenario key with ``low``/``high`` (``integer: true`` rounds), a dotted key with a list of categorical
``values``, or ``name: reaction`` with rival reaction policies as values (``firms[].reaction`` of every firm
but the reported one; sim.market.rivals), whose fields may vary too (``reaction.lag``: how many weeks
the rivals take to copy). Every strategy runs in every future with the same seeds: future
f, replication k uses seed ``seed + f * replications + k`` (run column ``point`` = f, ``replication`` =
f * replications + k), and the future's values are recorded as ``param:<name>`` columns.

Scores (Lempert et al. 2003's robust decision making, in the plain form used here): in each future the
objective (``target.metric``, mean over the future's replications) of each strategy; its *regret* is its
loss against the best strategy of that future (0 for that strategy); the robust choice minimises the
largest regret. *Satisficing*: the share of futures in which a strategy meets the target — by default its
profit at least that of the baseline in the same future (``target: {metric, min | max, relative_to:
baseline | absolute}``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from sim.scenario import REACTION_POLICIES, Reaction
from sim.scenario.fields import Strict

__all__ = [
    "UncertainInput",
    "Target",
    "LOWER_IS_BETTER",
    "sample_futures",
    "expand_futures",
    "future_values",
    "regret_table",
    "satisficing",
]

# metrics for which less is better (regret and the target's direction follow)
LOWER_IS_BETTER = {"churn_rate", "acquisition_spend_total", "retention_spend_total", "relationship_spend_total"}
REACTION = "reaction"


class UncertainInput(Strict):
    """One uncertainty of a robustness experiment: a range, categorical values, or the rivals' reaction."""

    name: str  # dotted scenario key (list items by name: firms.rival_a.…), or "reaction"
    low: float | None = None
    high: float | None = None
    values: Annotated[list[Any], Field(min_length=1)] | None = None
    integer: bool = False

    @model_validator(mode="after")
    def _range_or_values(self) -> UncertainInput:
        if (self.values is None) == (self.low is None or self.high is None):
            raise ValueError(f"{self.name}: give low and high, or values (not both)")
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"{self.name}: low must be below high")
        if self.name.startswith(REACTION + ".") and self.name[len(REACTION) + 1 :] not in Reaction.model_fields:
            raise ValueError(f"{self.name}: no such field of firms[].reaction (known: {', '.join(Reaction.model_fields)})")
        if self.name == REACTION:
            bad = [v for v in self.values or [None] if v not in REACTION_POLICIES]
            if bad:
                raise ValueError(f"reaction: unknown policy {bad[0]!r} (known: {', '.join(REACTION_POLICIES)})")
        return self


class Target(Strict):
    """What a strategy must achieve in a future to count as satisficing."""

    metric: str = "profit_total"
    min: float | None = None  # at least this (default 0 when neither is given)
    max: float | None = None  # at most this
    relative_to: Literal["baseline", "absolute"] = "baseline"  # the gap to the baseline in that future, or the value

    @model_validator(mode="after")
    def _check(self) -> Target:  # the metric's name is checked by the experiment (spec.METRICS)
        if self.min is not None and self.max is not None:
            raise ValueError("give min or max, not both")
        return self


def sample_futures(exp: Any) -> pd.DataFrame:
    """The experiment's futures: one row per future, one column per uncertainty (LHS over [0, 1) mapped
    to each range or list of values). Deterministic in the experiment's seed."""
    from scipy.stats.qmc import LatinHypercube

    us = exp.uncertainties
    u = LatinHypercube(d=len(us), seed=np.random.default_rng([exp.seed, 18])).random(exp.futures)
    cols: dict[str, list[Any]] = {}
    for j, x in enumerate(us):
        if x.values is not None:
            cols[x.name] = [x.values[min(int(v * len(x.values)), len(x.values) - 1)] for v in u[:, j]]
        else:
            vals = x.low + u[:, j] * (x.high - x.low)
            cols[x.name] = [int(round(v)) for v in vals] if x.integer else [float(v) for v in vals]
    return pd.DataFrame(cols)


def expand_futures(exp: Any, base: Path, source: str, spec: Any) -> list[Any]:
    """Every strategy in every future (future-major, so a partial folder covers whole futures). ``spec`` is
    the module sim.experiments.spec (passed by its ``expand``: no import cycle)."""
    RivalReaction, RunSpec, _content, _key, _resolve = (  # noqa: N806
        spec.RivalReaction,
        spec.RunSpec,
        spec._content,
        spec._key,
        spec._resolve,
    )

    futures = sample_futures(exp)
    arms = [exp.baseline, *exp.strategies]
    seen: set[Any] = set()
    files: dict[str, str] = {}
    specs = []
    for f, row in enumerate(futures.to_dict("records")):
        over = {k: v for k, v in row.items() if k != REACTION and not k.startswith(REACTION + ".")}
        how = {k[len(REACTION) + 1 :]: v for k, v in row.items() if k.startswith(REACTION + ".")}
        reaction = None
        if REACTION in row:
            reaction = RivalReaction(name=str(row[REACTION]), reaction={"policy": row[REACTION], **how})
        for s in arms:
            where = f"{source}: strategy {s.name} in future {f}"
            sc = _resolve(exp, base, s.scenario, {**over, **s.set}, where, reaction, seen)
            content = _content(sc, files)
            for k in range(exp.replications):
                rep = f * exp.replications + k
                seed = exp.seed + rep  # the same in future f for every strategy (common random numbers)
                text = json.dumps({"scenario": s.scenario, **exp.set, **row, **s.set}, sort_keys=True, default=str)
                key = _key(exp.name, s.name, sc, seed, *content)
                specs.append(RunSpec(key, s.name, rep, seed, sc, dict(row), exp.firm, f, text))
    return specs


def future_values(runs: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Mean ``metric`` per future (rows, the ``point`` column) and strategy (columns), over the future's
    replications; only futures in which every strategy has a run."""
    table = runs.pivot_table(index="point", columns="strategy", values=metric, aggfunc="mean")
    return table.dropna(how="any")


def regret_table(values: pd.DataFrame, higher_is_better: bool = True) -> pd.DataFrame:
    """Per strategy (a column of ``values``: futures x strategies): mean value, mean and max regret against
    the best strategy of each future, how often it is that best, and ``robust`` = it has the least max
    regret (ties: the least mean regret, then the name). Sorted by max regret."""
    v = values if higher_is_better else -values
    regret = v.max(axis=1).to_numpy()[:, None] - v.to_numpy()
    best = regret == 0
    out = pd.DataFrame(
        {
            "strategy": values.columns,
            "mean": values.mean(axis=0).to_numpy(),
            "mean_regret": regret.mean(axis=0),
            "max_regret": regret.max(axis=0),
            "share_best": best.mean(axis=0),
        }
    )
    out = out.sort_values(["max_regret", "mean_regret", "strategy"]).reset_index(drop=True)
    out["robust"] = out.index == 0
    return out


def satisficing(values: pd.DataFrame, target: Any, baseline: str) -> pd.Series:
    """Share of futures in which each strategy meets ``target`` (relative to ``baseline``'s value in the
    same future, or absolute). ``values`` holds ``target.metric`` (futures x strategies)."""
    v = values.sub(values[baseline], axis=0) if target.relative_to == "baseline" else values
    if target.max is not None:
        ok = v <= target.max
    else:
        ok = v >= (0.0 if target.min is None else target.min)
    return ok.mean(axis=0)
