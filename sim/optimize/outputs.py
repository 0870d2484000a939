"""What ``sim optimize`` writes beside its study: trials.parquet, pareto.csv, best.json, report.md and the
figures (convergence, Pareto front, marginal return curves). Every file is written atomically."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd

from sim.experiments.store import write_text_atomically
from sim.optimize.spec import Optimization
from sim.optimize.study import lever_label, overrides
from sim.output import glossary as G

__all__ = ["trials_table", "write_trials", "convergence_figure", "pareto_outputs", "marginal_table", "marginal_figure"]


def trials_table(opt: Optimization, study: optuna.Study) -> pd.DataFrame:
    """One row per trial: number, state, objective values, parameters, the spends they mean, metrics."""
    rows = []
    for t in study.get_trials(deepcopy=False):
        row: dict[str, Any] = {"trial": t.number, "state": t.state.name}
        for o, v in zip(opt.objectives, t.values or [np.nan] * len(opt.objectives), strict=True):
            row[f"objective:{o.metric}"] = v
        row |= {f"param:{k}": v for k, v in t.params.items()}
        if t.params and opt.budget is not None and all(f"w:{k}" in t.params for k in opt.budget.levers):
            row |= {f"spend:{k}": v for k, v in overrides(opt, dict(t.params)).items() if k in opt.budget.levers}
        row |= {f"metric:{k}": v for k, v in t.user_attrs.items() if isinstance(v, float) and k != "shortfall"}
        row["retention_shortfall"] = t.user_attrs.get("shortfall", np.nan)
        row["interrupted"] = bool(t.user_attrs.get("interrupted", False))
        row["error"] = t.user_attrs.get("error", "")
        rows.append(row)
    return pd.DataFrame(rows)


def _atomic_parquet(df: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    df.to_parquet(tmp, index=False)
    tmp.replace(path)


def write_trials(df: pd.DataFrame, folder: Path) -> None:
    _atomic_parquet(df, folder / "trials.parquet")


def _save(fig: Any, path: Path) -> None:
    import matplotlib.pyplot as plt

    path.parent.mkdir(exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.png")
    fig.savefig(tmp, dpi=110, bbox_inches="tight")
    plt.close(fig)
    tmp.replace(path)


def convergence_figure(opt: Optimization, df: pd.DataFrame, path: Path) -> None:
    """Each trial's first objective and the best so far (feasible trials) against the trial number."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    o = opt.objectives[0]
    col = f"objective:{o.metric}"
    ok = df[(df["state"] == "COMPLETE") & ~(df["retention_shortfall"] > 0)]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(df["trial"], df[col], "o", ms=3, alpha=0.5, label="trial")
    best = ok[col].cummax() if o.direction == "maximize" else ok[col].cummin()
    ax.step(ok["trial"], best, where="post", color="C3", label="best so far (feasible)")
    ax.set_xlabel("trial")
    ax.set_ylabel(f"{G.label_with_unit(o.metric)}, mean of {opt.replications} replications")
    ax.set_title(f"{opt.name}: convergence")
    ax.legend()
    _save(fig, path)


def pareto_outputs(opt: Optimization, study: optuna.Study, df: pd.DataFrame, folder: Path) -> pd.DataFrame:
    """The Pareto-optimal trials (pareto.csv) and the figure of every trial with the front (two objectives)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    front = df[df["trial"].isin([t.number for t in study.best_trials])]
    tmp = folder / ".pareto.csv.tmp"
    front.to_csv(tmp, index=False)
    tmp.replace(folder / "pareto.csv")
    a, b = (f"objective:{o.metric}" for o in opt.objectives[:2])
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    done = df[df["state"] == "COMPLETE"]
    ax.plot(done[a], done[b], "o", ms=3, alpha=0.4, color="grey", label="trial")
    f = front.sort_values(a)
    ax.plot(f[a], f[b], "o-", color="C3", label="Pareto front")
    ax.set_xlabel(G.label_with_unit(opt.objectives[0].metric))
    ax.set_ylabel(G.label_with_unit(opt.objectives[1].metric))
    ax.set_title(f"{opt.name}: Pareto front ({len(front)} of {len(done)} trials)")
    ax.legend()
    _save(fig, folder / "figures" / "pareto.png")
    return front


def marginal_table(arms: pd.DataFrame, comparison: pd.DataFrame) -> pd.DataFrame:
    """Per lever and step: profit difference against the optimum (paired, 95% CI) and per unit of spend."""
    prof = comparison[comparison["metric"] == "profit_total"].set_index("strategy")
    spend = comparison[comparison["metric"] == "relationship_spend_total"].set_index("strategy")
    out = arms.copy()
    out["profit_diff"] = out["strategy"].map(prof["diff_vs_baseline"])
    out["profit_diff_ci_low"] = out["strategy"].map(prof["diff_ci_low"])
    out["profit_diff_ci_high"] = out["strategy"].map(prof["diff_ci_high"])
    extra = out["strategy"].map(spend["diff_vs_baseline"])
    out["return_per_unit"] = out["profit_diff"] / extra.where(extra.abs() > 1e-9)
    return out


def marginal_figure(table: pd.DataFrame, path: Path, name: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    levers = list(dict.fromkeys(table["lever"]))
    cols = 3
    rows = -(-len(levers) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 2.8 * rows), squeeze=False, sharey=True)
    for ax, k in zip(axes.flat, levers, strict=False):
        g = pd.concat([table[table["lever"] == k], pd.DataFrame([{"spend_change": 0.0, "profit_diff": 0.0}])])
        g = g.sort_values("spend_change")
        lo = g["profit_diff"] - g["profit_diff_ci_low"].fillna(g["profit_diff"])
        hi = g["profit_diff_ci_high"].fillna(g["profit_diff"]) - g["profit_diff"]
        ax.errorbar(g["spend_change"], g["profit_diff"], yerr=[lo, hi], fmt="o-", capsize=3)
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_title(lever_label(k))
        ax.set_xlabel("spend change (currency per week at budget_reference)")
    for ax in axes[:, 0]:
        ax.set_ylabel("profit vs optimum\n(currency over the run)")
    for ax in list(axes.flat)[len(levers) :]:
        ax.axis("off")
    fig.suptitle(f"{name}: marginal return of each lever around the optimum (others fixed; 95% paired CI)")
    fig.tight_layout()
    _save(fig, path)


def write_json(path: Path, data: dict[str, Any]) -> None:
    write_text_atomically(path, json.dumps(data, indent=2, default=_plain) + "\n")


def _plain(x: Any) -> Any:
    if isinstance(x, np.generic):
        return x.item()
    return str(x)
