"""The closing re-evaluation, through the compare machinery of ``sim.experiments`` (spec, execute, store,
stats, report): the best candidates of the study with more replications, beside the base scenario and
every shipped strategy whose weekly relationship spend fits the same budget, all on the same seeds; then
the marginal-return sweep around the re-evaluated best (each lever's spend moved, the others fixed).

Each is an ordinary compare results folder inside the optimisation folder (``final-<hash>/``,
``marginal-<hash>/``): resumable, content-addressed, never overwritten by a different experiment.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiments.spec import Experiment, Strategy, expand, experiment_hash, load_experiment
from sim.optimize.spec import Optimization
from sim.optimize.study import lever_label

__all__ = ["weekly_spend", "shipped_that_fit", "final_experiment", "marginal_experiment", "run_compare"]


def weekly_spend(sc: dict[str, Any], firm: str) -> float:
    """A firm's relationship spend per week in a resolved scenario (currency per step at the scenario's
    ``budget_reference``): after-sales care + every lever's spend + the tiers' running cost + its
    alliance contributions."""
    f = next(x for x in sc["firms"] if x["name"] == firm)
    total = float(f["budget"]["retention"])
    for lever in f["levers"].values():
        if isinstance(lever, dict):
            total += float(lever.get("spend", 0.0)) + float(lever.get("cost", 0.0))
    total += sum(float(a["spend"]) for a in sc.get("alliances", []) if firm in a["members"])
    return total


def _resolved(opt: Optimization, base: Path, s: Strategy) -> dict[str, Any]:
    exp = Experiment(name=opt.name, firm=opt.firm, replications=1, steps=opt.steps, set=opt.set, baseline=s)
    return expand(exp, base, "optimisation")[0][0].scenario


def shipped_that_fit(opt: Optimization, base: Path) -> list[tuple[Strategy, float]]:
    """The strategies of ``final.compare_with`` whose weekly relationship spend is within the budget."""
    if opt.final.compare_with is None or opt.budget is None:
        return []
    exp, where = load_experiment(opt.final.compare_with)
    out = []
    for s in exp.strategies:
        s = s.model_copy(
            update={"scenario": str(where / s.scenario) if s.scenario.endswith((".yaml", ".yml")) else s.scenario}
        )
        spend = weekly_spend(_resolved(opt, base, s), opt.firm)
        if spend <= opt.budget.total + 1e-6:
            out.append((s.model_copy(update={"name": f"shipped:{s.name}"}), spend))
    return out


def _compare(opt: Optimization, suffix: str, description: str, replications: int, baseline: Strategy,
             strategies: list[Strategy], reactions: list | None = None) -> Experiment:  # fmt: skip
    """A compare experiment in the optimisation's market (its firm, seed, horizon and overrides)."""
    return Experiment(
        name=f"{opt.name}_{suffix}",
        description=description,
        kind="compare",
        firm=opt.firm,
        replications=replications,
        seed=opt.seed,
        steps=opt.steps,
        set=opt.set,
        baseline=baseline,
        strategies=strategies,
        reactions=reactions or [],
    )


def final_experiment(
    opt: Optimization, base: Path, candidates: list[tuple[str, dict[str, Any]]], shipped: list[Strategy]
) -> Experiment:
    """Base scenario (the baseline), the candidates and the shipped strategies that fit, more replications."""
    return _compare(
        opt,
        "final",
        f"The best candidates of the optimisation {opt.name}, re-evaluated with more replications.",
        opt.final.replications,
        Strategy(name="base", scenario=opt.scenario),
        [Strategy(name=n, scenario=opt.scenario, set=o) for n, o in candidates] + shipped,
        opt.reactions,
    )


def marginal_experiment(opt: Optimization, best: dict[str, Any]) -> tuple[Experiment, pd.DataFrame]:
    """The best allocation (the baseline) and each lever's spend moved by ``final.marginal_steps`` x total."""
    assert opt.budget is not None
    arms, rows = [], []
    for k in opt.budget.levers:
        for step in opt.final.marginal_steps:
            spend = round(max(0.0, best[k] + step * opt.budget.total), 2)
            if abs(spend - best[k]) < 1e-9:
                continue
            name = f"{lever_label(k)}{step:+.0%}"
            arms.append(Strategy(name=name, scenario=opt.scenario, set={**best, k: spend}))
            rows.append({"strategy": name, "lever": k, "spend": spend, "spend_change": spend - best[k]})
    exp = _compare(
        opt,
        "marginal",
        "Marginal return of each lever around the best allocation (the others fixed).",
        opt.final.marginal_replications,
        Strategy(name="optimum", scenario=opt.scenario, set=best),
        arms,
    )
    return exp, pd.DataFrame(rows)


def run_compare(
    exp: Experiment,
    base: Path,
    folder_of: Callable[[str], Path],
    workers: int,
    scheduler: str | None,
    client: Any,
    on_run: Callable[[], None] | None = None,
) -> tuple[Path, dict[str, Any]]:
    """Expand, run what is not on disk and report a compare experiment, as ``sim compare`` does."""
    from sim.experiments import report, store
    from sim.experiments.execute import execute
    from sim.experiments.recording import Recorder, experiment_meta, runs_to_do

    specs, _ = expand(exp, base, "optimisation")
    ident = experiment_hash(exp, specs)
    meta = experiment_meta(exp)
    folder, _, lock = store.prepare(folder_of(ident[:10]), folder_of(ident[:10]), ident, meta)
    with lock:
        todo, _ = runs_to_do(folder, specs)
        record = Recorder(folder, on_run)
        t0 = time.perf_counter()
        execute(todo, record, workers, scheduler, client)
        out = report.compare_report(folder, meta, {s.key for s in specs})
    out |= {
        "runs_done": len(todo),
        "seconds": time.perf_counter() - t0,
        "failures": len(record.failures),
        "specs": len(specs),
    }
    return folder, out
