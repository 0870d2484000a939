"""The optimiser core: an Optuna study in SQLite, asked and told in rounds; the evaluation is injected.

Every round asks ``batch`` trials from a sampler seeded with (seed, trials so far), evaluates them
together (on however many workers) and tells them in trial order, so the sampler sees the same history
whatever the number of workers, and a resumed study continues exactly as an uninterrupted one: trials
asked but not told when the process died are evaluated and told on resume if their round was asked
whole, and otherwise marked failed ("interrupted") and their round asked again with the same seed.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna

from sim.optimize.spec import Optimization

__all__ = ["Outcome", "Evaluate", "overrides", "open_study", "run_study", "ranked", "lever_label"]

INTERRUPTED = "interrupted"


@dataclass
class Outcome:
    """What one trial's evaluation returns: objective values (None: failed), metrics, retention shortfall."""

    values: list[float] | None
    attrs: dict[str, float] = field(default_factory=dict)
    shortfall: float = 0.0  # min_retention - annual retention (> 0: infeasible)
    error: str = ""


Evaluate = Callable[[list[dict[str, Any]]], list[Outcome]]  # one scenario-override dict per trial


def lever_label(key: str) -> str:
    """A short name for a dotted lever key: ``firms.focal.levers.social.spend`` -> ``social``."""
    parts = [p for p in key.split(".") if p not in ("spend", "levers", "budget", "firms")]
    return parts[-1] if parts else key


def overrides(opt: Optimization, params: dict[str, Any]) -> dict[str, Any]:
    """The scenario overrides of a trial's parameters: budget weights become spends summing to the total."""
    over = {k: v for k, v in params.items() if not k.startswith("w:")}
    if opt.budget is not None:
        w = [float(params[f"w:{k}"]) for k in opt.budget.levers]
        s = sum(w)
        shares = [x / s for x in w] if s > 0 else [1 / len(w)] * len(w)
        for k, share in zip(opt.budget.levers, shares, strict=True):
            over[k] = round(opt.budget.total * share, 2)
    return over


def _suggest(trial: optuna.Trial, opt: Optimization) -> dict[str, Any]:
    if opt.budget is not None:
        for k in opt.budget.levers:
            trial.suggest_float(f"w:{k}", 0.0, 1.0)
    for v in opt.variables:
        if v.choices is not None:
            trial.suggest_categorical(v.name, v.choices)
        elif v.integer:
            trial.suggest_int(v.name, int(v.low), int(v.high), log=v.log)
        else:
            trial.suggest_float(v.name, float(v.low), float(v.high), log=v.log)
    return dict(trial.params)


def _sampler(opt: Optimization, seed: int) -> optuna.samplers.BaseSampler:
    method = opt.sampler.method
    if method == "auto":
        method = "nsga2" if opt.multi else "tpe"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        if method == "tpe":
            return optuna.samplers.TPESampler(seed=seed, n_startup_trials=opt.sampler.startup_trials, multivariate=True)
        if method == "nsga2":
            return optuna.samplers.NSGAIISampler(seed=seed, population_size=max(opt.batch, 4))
        if method == "cmaes":
            return optuna.samplers.CmaEsSampler(seed=seed, n_startup_trials=opt.sampler.startup_trials)
        return optuna.samplers.RandomSampler(seed=seed)


def open_study(opt: Optimization, path: Path) -> optuna.Study:
    """Create or load the study stored in ``path`` (SQLite)."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    directions = [o.direction for o in opt.objectives]
    return optuna.create_study(study_name=opt.name, storage=f"sqlite:///{path}", directions=directions, load_if_exists=True)


def _counted(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    return [t for t in study.get_trials(deepcopy=False) if INTERRUPTED not in t.user_attrs]


def _tell(study: optuna.Study, opt: Optimization, numbers: list[int], outcomes: list[Outcome]) -> None:
    storage = study._storage
    for n, out in zip(numbers, outcomes, strict=True):
        tid = storage.get_trial_id_from_study_id_trial_number(study._study_id, n)
        attrs = {**out.attrs, "shortfall": float(out.shortfall), **({"error": out.error} if out.error else {})}
        for k, v in attrs.items():
            storage.set_trial_user_attr(tid, k, v)
        if opt.min_retention is not None and out.values is not None:  # feasible when <= 0 (TPE, NSGA-II read it)
            optuna.trial.Trial(study, tid).set_constraint("retention", float(out.shortfall))
        if out.values is None:
            study.tell(n, state=optuna.trial.TrialState.FAIL)
        else:
            study.tell(n, out.values)


def run_study(
    opt: Optimization,
    study: optuna.Study,
    evaluate: Evaluate,
    trials: int,
    on_round: Callable[[optuna.Study], None] | None = None,
) -> optuna.Study:
    """Ask, evaluate and tell in rounds of ``opt.batch`` until ``trials`` trials are counted (resuming)."""
    _recover(opt, study, evaluate, trials, on_round)
    while len(_counted(study)) < trials:
        done = len(_counted(study))
        study.sampler = _sampler(opt, opt.sampler.seed * 1_000_003 + done)
        asked = [study.ask() for _ in range(min(opt.batch, trials - done))]
        params = [_suggest(t, opt) for t in asked]
        outcomes = evaluate([overrides(opt, p) for p in params])
        _tell(study, opt, [t.number for t in asked], outcomes)
        if on_round is not None:
            on_round(study)
    return study


def _recover(opt: Optimization, study: optuna.Study, evaluate: Evaluate, trials: int, on_round: Callable | None) -> None:
    """Trials left running by a killed process: finish their round if it was asked whole, else redo it."""
    running = [t for t in study.get_trials(deepcopy=False) if t.state == optuna.trial.TrialState.RUNNING]
    if not running:
        return
    counted = _counted(study)
    done = len([t for t in counted if t.state != optuna.trial.TrialState.RUNNING])
    whole = len(running) == min(opt.batch, trials - done)
    numbers = sorted(t.number for t in running)
    if whole and numbers == [t.number for t in counted[-len(running) :]]:
        by = {t.number: t for t in running}
        outcomes = evaluate([overrides(opt, dict(by[n].params)) for n in numbers])
        _tell(study, opt, numbers, outcomes)
        if on_round is not None:
            on_round(study)
        return
    for t in running:
        study._storage.set_trial_user_attr(t._trial_id, INTERRUPTED, True)
        study.tell(t.number, state=optuna.trial.TrialState.FAIL)


def ranked(opt: Optimization, study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """Complete trials, feasible first, best first on the first objective (multi: Pareto-optimal first)."""
    done = [t for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))]
    sign = 1.0 if opt.objectives[0].direction == "minimize" else -1.0
    front = {t.number for t in study.best_trials} if opt.multi else set()
    return sorted(
        done,
        key=lambda t: (
            t.user_attrs.get("shortfall", 0.0) > 0,
            t.number not in front if opt.multi else False,
            sign * t.values[0],
            t.number,
        ),
    )
