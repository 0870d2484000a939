"""Trials evaluated by the engine: every trial runs the base scenario with its overrides, replication k on
seed ``seed + k`` (common random numbers: trials are compared on the same luck), under each reaction of
the rivals, and its objectives are the means over those runs. Runs go to a process pool kept for the
whole optimisation, a Dask cluster, or this process; results do not depend on which.
"""

from __future__ import annotations

import math
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from sim.experiments.spec import Experiment, RunSpec, Strategy, expand
from sim.optimize.spec import Optimization
from sim.optimize.study import Outcome

__all__ = ["trial_experiment", "trial_metrics", "Runner", "EngineEvaluator"]


def trial_experiment(opt: Optimization, label: str, over: dict[str, Any], replications: int) -> Experiment:
    """A one-arm compare experiment in memory: the base scenario with ``over``, under each reaction."""
    return Experiment(
        name=opt.name,
        kind="compare",
        firm=opt.firm,
        replications=replications,
        seed=opt.seed,
        steps=opt.steps,
        set=opt.set,
        baseline=Strategy(name=label, scenario=opt.scenario, set=over),
        reactions=opt.reactions,
    )


def trial_metrics(spec: RunSpec) -> dict[str, float]:
    """Run one spec (``sim.experiments.execute.run_one``) and return the firm's run metrics."""
    from sim.experiments.execute import run_one

    table = run_one(spec)
    row = table[(table["firm"] == spec.firm) & (table["step"] == table["step"].max())].iloc[0]
    return {c[2:]: float(row[c]) for c in table.columns if c.startswith("m_")}


class Runner:
    """Maps run specs to their metrics, in order: serially, on a process pool held open, or on Dask. The pool
    is the experiments' (``execute.worker_pool``): inside ``execute.kept_pools()`` the re-evaluations that
    follow the study reuse its worker processes."""

    def __init__(self, workers: int = 1, client: Any = None) -> None:
        from sim.experiments.execute import worker_pool

        self.client = client
        self._hold = worker_pool(workers) if client is None and workers > 1 else None
        self.pool: ProcessPoolExecutor | None = self._hold.__enter__() if self._hold is not None else None

    def map(self, specs: list[RunSpec]) -> list[dict[str, float] | str]:
        """Metrics per spec, or the error text of a run that raised."""
        if self.client is not None:
            futures = self.client.map(_safe, specs, pure=False)
            return list(self.client.gather(futures))
        if self.pool is not None:
            return list(self.pool.map(_safe, specs))
        return [_safe(s) for s in specs]

    def close(self, *exc: Any) -> None:
        """Give the pool back (shut down, or kept inside ``kept_pools``; a pool broken by ``exc`` is not kept)."""
        if self._hold is not None:
            self._hold.__exit__(*(exc or (None, None, None)))
            self._hold = self.pool = None

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close(*exc)


def _safe(spec: RunSpec) -> dict[str, float] | str:
    try:
        return trial_metrics(spec)
    except Exception as exc:  # noqa: BLE001 - the trial is told as failed, the study goes on
        return f"{type(exc).__name__}: {exc}"


class EngineEvaluator:
    """The engine as the study's response function (``sim.optimize.study.Evaluate``)."""

    def __init__(self, opt: Optimization, base: Path, runner: Runner) -> None:
        self.opt, self.base, self.runner = opt, base, runner

    def specs(self, over: dict[str, Any], label: str = "trial") -> list[RunSpec]:
        return expand(trial_experiment(self.opt, label, over, self.opt.replications), self.base, "optimisation")[0]

    def __call__(self, trials: list[dict[str, Any]]) -> list[Outcome]:
        per = [self.specs(over) for over in trials]
        flat = self.runner.map([s for group in per for s in group])
        outcomes, i = [], 0
        for group in per:
            results = flat[i : i + len(group)]
            i += len(group)
            outcomes.append(self._outcome(results))
        return outcomes

    def _outcome(self, results: list[dict[str, float] | str]) -> Outcome:
        errors = [r for r in results if isinstance(r, str)]
        if errors:
            return Outcome(None, error=errors[0])
        means = {k: float(np.mean([r[k] for r in results])) for k in results[0] if k != "return_on_relationship_spend"}
        values = [means[o.metric] for o in self.opt.objectives]
        if any(not math.isfinite(v) for v in values):
            return Outcome(None, means, error="an objective is not finite")
        short = 0.0 if self.opt.min_retention is None else self.opt.min_retention - means["annual_retention"]
        return Outcome(values, means, short)
