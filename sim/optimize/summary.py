"""best.json and report.md of ``sim optimize``: the re-evaluated best allocation, its metrics with 95%
intervals, and paired comparisons (common random numbers) with the base scenario and with every shipped
strategy that fits the same budget. Under several reactions of the rivals, each replication's metrics
are first averaged over the reactions (as the study's objective is)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiments.spec import Strategy
from sim.experiments.stats import mean_ci
from sim.experiments.store import write_text_atomically
from sim.optimize.outputs import write_json
from sim.optimize.spec import Optimization
from sim.optimize.study import lever_label
from sim.output import glossary as G

__all__ = ["write_summary", "by_arm"]

SHOWN = ("profit_total", "customer_equity_final", "market_share_final", "annual_retention", "relationship_spend_total")


def by_arm(runs: pd.DataFrame) -> pd.DataFrame:
    """Per (arm, replication) means over the rivals' reactions (labels ``arm@reaction``)."""
    runs = runs.assign(strategy=runs["strategy"].str.split("@").str[0])
    num = [c for c in runs.columns if c not in ("strategy", "replication", "seed", "point") and runs[c].dtype.kind == "f"]
    return runs.groupby(["strategy", "replication"], as_index=False)[num].mean()


def _paired(runs: pd.DataFrame, a: str, b: str, metric: str) -> dict[str, float]:
    x = runs[runs["strategy"] == a].set_index("replication")[metric]
    y = runs[runs["strategy"] == b].set_index("replication")[metric]
    common = x.index.intersection(y.index)
    m, lo, hi = mean_ci((x.loc[common] - y.loc[common]).to_numpy())
    return {"diff": m, "ci_low": lo, "ci_high": hi, "replications": int(len(common))}


def _yes(x: bool) -> str:
    return "yes" if x else "no"


def _fmt(x: float) -> str:
    return "–" if x != x else (f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3f}")


def write_summary(
    opt: Optimization,
    folder: Path,
    ffolder: Path,
    runs: pd.DataFrame,
    best: str,
    allocation: dict[str, Any],
    shipped: list[tuple[Strategy, float]],
    trials: pd.DataFrame,
    front: pd.DataFrame | None,
    marginal: pd.DataFrame | None,
    seconds: float,
    study_seconds: float,
) -> dict[str, Any]:
    runs = by_arm(runs)
    metric = opt.objectives[0].metric
    sign = 1 if opt.objectives[0].direction == "maximize" else -1
    means = runs.groupby("strategy")[metric].mean()
    metrics = {}
    for m in SHOWN:
        mean, lo, hi = mean_ci(runs[runs["strategy"] == best][m].to_numpy())
        vs_base = _paired(runs, best, "base", m)
        metrics[m] = {"mean": mean, "ci_low": lo, "ci_high": hi, "unit": G.unit(m), "vs_base": vs_base}
    vs = []
    for s, spend in shipped:
        d = _paired(runs, best, s.name, metric)
        vs.append(
            {
                "strategy": s.name.removeprefix("shipped:"),
                "weekly_spend": spend,
                "mean": float(means[s.name]),
                **d,
                "better": bool(d["ci_low"] > 0 if sign > 0 else d["ci_high"] < 0),
                "worse": bool(d["ci_high"] < 0 if sign > 0 else d["ci_low"] > 0),
            }
        )
    top = max(vs, key=lambda r: sign * r["mean"]) if vs else None
    trial = int(best.removeprefix("trial_"))
    data = {
        "optimization": opt.name,
        "firm": opt.firm,
        "objective": {"metric": metric, "direction": opt.objectives[0].direction, "unit": G.unit(metric)},
        "units": {
            "allocation": "currency per week (step) at population.budget_reference people (scaled to the run's size)",
            "metrics": "money at the run's population.size",
            **G.units_of(list(SHOWN)),
        },
        "budget_total": opt.budget.total if opt.budget else None,
        "best": {"candidate": best, "trial": trial, "allocation": allocation},
        "replications": opt.final.replications,
        "metrics": metrics,
        "vs_base": _paired(runs, best, "base", metric),
        "vs_best_shipped": top,
        "vs_shipped": vs,
        "significantly_better_than_best_shipped": None if top is None else top["better"],
        "not_worse_than_any_shipped": None if not vs else not any(r["worse"] for r in vs),
        "candidates": {n: float(v) for n, v in means.items() if n.startswith("trial_")},
        "final_comparison": ffolder.name,
        "trials": int((trials["state"] == "COMPLETE").sum()),
        "seconds": round(seconds, 1),
        "study_seconds": round(study_seconds, 1),
    }
    write_json(folder / "best.json", data)
    write_text_atomically(folder / "report.md", _report(opt, data, runs, front, marginal))
    return data


def _report(opt: Optimization, d: dict[str, Any], runs: pd.DataFrame, front: Any, marginal: Any) -> str:
    metric, unit = d["objective"]["metric"], d["objective"]["unit"]
    lines = [f"# {opt.name}: optimisation", "", opt.description.strip(), ""]
    lines += [
        f"{d['trials']} trials ({opt.replications} replications each, common random numbers: replication k of "
        f"every trial uses seed {opt.seed} + k), sampler {opt.sampler.method} (seed {opt.sampler.seed}); "
        f"the {opt.final.top} best re-evaluated with {opt.final.replications} replications beside the base "
        f"scenario and the shipped strategies whose weekly relationship spend fits the budget "
        f"(`{d['final_comparison']}/report.md`). Took {d['seconds']:,.0f} s ({d['study_seconds']:,.0f} s the study).",
        "",
        f"## Best allocation: {d['best']['candidate']}",
        "",
        "| decision variable | value |",
        "|---|---|",
    ]
    for k, v in d["best"]["allocation"].items():
        lines.append(f"| {k} | {v:,.2f} currency per week |" if isinstance(v, float) else f"| {k} | {v} |")
    vb = d["vs_base"]
    lines += [
        "",
        f"Objective: {metric} ({unit}). Against the base: {_fmt(vb['diff'])} "
        f"[{_fmt(vb['ci_low'])}, {_fmt(vb['ci_high'])}] (paired, 95%).",
        "",
    ]
    if d["vs_shipped"]:
        better = d["significantly_better_than_best_shipped"]
        top = d["vs_best_shipped"]
        lines += [
            f"Best shipped strategy within the budget: **{top['strategy']}**; the optimum is "
            f"{'significantly better' if better else 'NOT significantly better'} "
            f"({_fmt(top['diff'])} [{_fmt(top['ci_low'])}, {_fmt(top['ci_high'])}]) and "
            f"{'not worse than any' if d['not_worse_than_any_shipped'] else 'WORSE than at least one'} "
            "shipped strategy that fits.",
            "",
            f"| shipped strategy | weekly spend (currency) | {metric} mean | optimum minus it | 95% CI | better | worse |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in sorted(d["vs_shipped"], key=lambda r: -r["mean"]):
            lines.append(
                f"| {r['strategy']} | {r['weekly_spend']:,.0f} | {_fmt(r['mean'])} | {_fmt(r['diff'])} | "
                f"{_fmt(r['ci_low'])} – {_fmt(r['ci_high'])} | {_yes(r['better'])} | {_yes(r['worse'])} |"
            )
    lines += [
        "",
        "## Metrics of the best allocation (mean [95% CI]; paired difference vs base)",
        "",
        "| metric | unit | mean | vs base |",
        "|---|---|---|---|",
    ]
    for m, r in d["metrics"].items():
        b = r["vs_base"]
        lines.append(
            f"| {m} | {r['unit']} | {_fmt(r['mean'])} [{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}] | "
            f"{_fmt(b['diff'])} [{_fmt(b['ci_low'])}, {_fmt(b['ci_high'])}] |"
        )
    lines += ["", "## Convergence", "", "![convergence](figures/convergence.png)", ""]
    if front is not None:
        lines += [f"## Pareto front ({len(front)} trials, `pareto.csv`)", "", "![Pareto front](figures/pareto.png)", ""]
    if marginal is not None:
        lines += [
            "## Marginal returns around the optimum (`marginal.csv`)",
            "",
            "Each lever's spend moved alone (the budget no longer exactly spent), paired against the optimum "
            f"over {opt.final.marginal_replications} replications. A return per unit above 1 means the next unit "
            "of spend on that lever pays for itself.",
            "",
            "| lever | spend change (currency per week) | profit vs optimum (currency, run) | 95% CI | return per unit |",
            "|---|---|---|---|---|",
        ]
        for _, r in marginal.iterrows():
            lines.append(
                f"| {lever_label(r['lever'])} | {r['spend_change']:+,.0f} | {_fmt(r['profit_diff'])} | "
                f"{_fmt(r['profit_diff_ci_low'])} – {_fmt(r['profit_diff_ci_high'])} | {_fmt(r['return_per_unit'])} |"
            )
        lines += ["", "![marginal returns](figures/marginal.png)", ""]
    lines += ["Every trial: `trials.parquet`. The study: `study.db` (Optuna, SQLite; re-running resumes or extends it).", ""]
    return "\n".join(lines)
