"""One ``sim optimize``: the study (resumed or extended), then the re-evaluation of the best candidates
against the base and the shipped strategies that fit the budget, the marginal returns, and the outputs."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.spec import Strategy, expand
from sim.optimize import outputs
from sim.optimize.engine import EngineEvaluator, Runner, trial_experiment
from sim.optimize.final import final_experiment, marginal_experiment, run_compare, shipped_that_fit
from sim.optimize.spec import Optimization
from sim.optimize.study import open_study, overrides, ranked, run_study

__all__ = ["check", "identity", "meta_of", "run"]


def _probe(opt: Optimization) -> dict[str, Any]:
    """Parameters at the corners of the space: equal budget shares, each variable at low / first choice."""
    p: dict[str, Any] = {f"w:{k}": 1.0 for k in (opt.budget.levers if opt.budget else [])}
    for v in opt.variables:
        p[v.name] = v.choices[0] if v.choices is not None else (int(v.low) if v.integer else v.low)
    return p


def check(opt: Optimization, base: Path, source: str) -> list[tuple[Strategy, float]]:
    """Resolve the base scenario with a trial's overrides (and the other corner of every variable) and the
    shipped strategies, so a bad key or scenario fails before anything is written. Returns the shipped
    strategies that fit the budget, with their weekly spend."""
    from sim.scenario import ScenarioError

    if opt.sampler.method == "cmaes":
        try:
            import cmaes  # noqa: F401 - Optuna's CMA-ES sampler needs it; not a dependency of sim
        except ImportError:
            raise ScenarioError(f"{source}: sampler.method: cmaes needs the cmaes package (pip install cmaes)") from None
    probes = [_probe(opt)]
    other = {v.name: (v.choices[-1] if v.choices is not None else v.high) for v in opt.variables}
    probes.append({**probes[0], **other})
    for p in probes:
        try:
            expand(trial_experiment(opt, "trial", overrides(opt, p), 1), base, "trial")
        except ScenarioError as err:
            raise ScenarioError(f"{source}: {err}") from None
    try:
        return shipped_that_fit(opt, base)
    except ScenarioError as err:
        raise ScenarioError(f"{source}: final.compare_with: {err}") from None


def identity(opt: Optimization) -> str:
    """The study's identity: everything but the description, the number of trials (more extends it) and the
    closing re-evaluation (each of which gets its own folder)."""
    blob = json.dumps(opt.model_dump(mode="json", exclude={"description", "trials", "final"}), sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def meta_of(opt: Optimization) -> dict[str, Any]:
    from sim.output.run import versions

    return {**opt.model_dump(mode="json"), "kind": "optimize", "versions": versions()}


def _bar(total: int, quiet: bool) -> Any:
    if quiet:
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())


def run(
    opt: Optimization,
    base: Path,
    folder: Path,
    shipped: list[tuple[Strategy, float]],
    workers: int,
    scheduler: str | None,
    client: Any,
    quiet: bool = False,
) -> int:
    """The study, then the re-evaluation of its best candidates and the marginal returns (inside the caller's
    ``execute.kept_pools()`` they share one set of worker processes)."""
    t0 = time.perf_counter()
    study = open_study(opt, folder / "study.db")
    o = opt.objectives[0]
    sign = 1 if o.direction == "maximize" else -1
    print(
        f"{opt.name}: {opt.trials} trials in rounds of {opt.batch}, {opt.replications} replications each -> {folder}/",
        flush=True,
    )
    bar = _bar(opt.trials, quiet)
    with Runner(workers if client is None else 1, client) as runner:
        evaluate = EngineEvaluator(opt, base, runner)
        if bar is None:
            run_study(opt, study, evaluate, opt.trials)
        else:
            with bar:
                task = bar.add_task(opt.name, total=opt.trials)

                def on_round(st: Any) -> None:
                    done = [
                        t for t in st.get_trials(deepcopy=False) if t.values and not t.user_attrs.get("shortfall", 0) > 0
                    ]
                    best = max((sign * t.values[0] for t in done), default=np.nan) * sign
                    n = len([t for t in st.get_trials(deepcopy=False) if "interrupted" not in t.user_attrs])
                    bar.update(task, completed=n, description=f"{opt.name} best {o.metric} {best:,.0f}")

                on_round(study)
                run_study(opt, study, evaluate, opt.trials, on_round)
    t_study = time.perf_counter() - t0
    trials = outputs.trials_table(opt, study)
    outputs.write_trials(trials, folder)
    outputs.convergence_figure(opt, trials, folder / "figures" / "convergence.png")
    front = outputs.pareto_outputs(opt, study, trials, folder) if opt.multi else None
    best_trials = ranked(opt, study)[: opt.final.top]
    if not best_trials:
        print("no trial completed; see trials.parquet (error column)")
        return 1
    cands = [(f"trial_{t.number}", overrides(opt, dict(t.params))) for t in best_trials]
    print(
        f"re-evaluating {len(cands)} candidates, the base and {len(shipped)} shipped strategies within the budget "
        f"({opt.final.replications} replications each)",
        flush=True,
    )
    exp = final_experiment(opt, base, cands, [s for s, _ in shipped])
    ffolder, fout = run_compare(exp, base, lambda h: folder / f"final-{h}", workers, scheduler, client)
    from sim.experiments import stats, store

    runs = stats.per_run(store.read_runs(ffolder, firm=opt.firm))
    means = runs.groupby("strategy")[o.metric].mean()
    best_name = max((n for n, _ in cands), key=lambda n: sign * means.get(n, -np.inf * sign))
    best_over = dict(cands)[best_name]
    marginal = None
    if opt.budget is not None and opt.final.marginal_steps:
        print("marginal returns around the optimum", flush=True)
        mexp, arms = marginal_experiment(opt, best_over)
        mfolder, _ = run_compare(mexp, base, lambda h: folder / f"marginal-{h}", workers, scheduler, client)
        marginal = outputs.marginal_table(arms, pd.read_csv(mfolder / "comparison.csv"))
        outputs.marginal_figure(marginal, folder / "figures" / "marginal.png", opt.name)
        tmp = folder / ".marginal.csv.tmp"
        marginal.to_csv(tmp, index=False)
        tmp.replace(folder / "marginal.csv")
    from sim.optimize.summary import write_summary

    write_summary(
        opt, folder, ffolder, runs, best_name, best_over, shipped, trials, front, marginal, time.perf_counter() - t0, t_study
    )
    print(f"done in {time.perf_counter() - t0:.0f} s; report: {folder}/report.md")
    return 0
