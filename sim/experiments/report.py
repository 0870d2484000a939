"""Reports of experiments: comparison.csv / sweep.csv / indices.csv, report.md and PNG figures.

Everything is computed from the runs dataset on disk, so a partial experiment can be reported too
(``sim results DIR``), and the report of a resumed experiment equals that of an uninterrupted one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.experiments import stats  # noqa: E402
from sim.experiments.store import read_runs, write_text_atomically  # noqa: E402

__all__ = ["compare_report", "sweep_report", "KEY_METRICS"]

KEY_METRICS = (
    "profit_total",
    "annual_retention",
    "churn_rate",
    "customers_final",
    "customer_equity_final",
    "relationship_spend_total",
    "return_on_relationship_spend",
)
LABELS = {
    "customers": "Customers",
    "retention_rate": "Retention rate per week",
    "profit": "Profit per week",
    "satisfaction": "Mean satisfaction (M1)",
    "loyalty": "Mean loyalty (M3)",
}


# what every compare report says about the economics under the numbers (issue 16)
ECONOMICS = [
    "## How the money is counted",
    "",
    "Profit is revenue (units sold x the price customers pay after rebates and price cuts) minus the cost of "
    "goods (a cost per unit sold, so a price cut or rebate lowers the margin on every unit), the cost of "
    "serving each customer, and every budget and lever spend. Each lever's effect saturates with its spend "
    "and is sized from published evidence where it exists, otherwise an assumption with a stated range "
    "(docs/effects.md in the project: source, measured effect and profit per unit of extra spend per lever). "
    "Rivals do what their scenario's reaction policy says (by default they ignore the strategy). The "
    "intervals cover simulation noise only, not the uncertainty of the assumed effect sizes.",
    "",
]


def _fmt(x: float) -> str:
    if not np.isfinite(x):
        return "–"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def compare_report(folder: Path, meta: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    """Write comparison.csv, ranking.csv, report.md and figures/ for a compare experiment."""
    firm, baseline = meta["firm"], meta["baseline"]
    df = read_runs(folder, keys, firm=firm)
    if df.empty:
        return {"runs": 0}
    order = [s for s in meta["strategies"] if s in set(df["strategy"])]
    runs = stats.per_run(df)
    n_reps = runs.groupby("strategy")["replication"].nunique()
    lo, hi = int(n_reps.min()), int(n_reps.max())
    reps = f"{lo}" if lo == hi else f"{lo}–{hi}"
    if meta.get("reaction_names"):  # every strategy under each reaction of the rivals (issue 16)
        from sim.experiments.reactions import reaction_tables, report_lines

        table, ranking = reaction_tables(runs, meta)
        reacting = report_lines(ranking, meta, reps, runs) if len(ranking) else []
    else:
        table = stats.compare_table(runs, baseline, meta["metrics"], order)
        ranking, reacting = stats.rank(table), []
    lead: list[str] = []
    if not meta.get("reaction_names"):  # the decision leads the report (issue 18; sim.experiments.decision_report)
        from sim.experiments.decision_report import lead as decision

        ranking, lead = decision(folder, runs, order, meta, ranking, int(df["step"].max()))
    table.to_csv(folder / "comparison.csv", index=False)
    ranking.to_csv(folder / "ranking.csv", index=False)
    from sim.experiments import robustness_report, uncertainty_report  # issue 18: futures, parameter draws

    reacting += robustness_report.sections(folder, meta, runs) + uncertainty_report.sections(folder, meta, runs)
    figdir = folder / "figures"
    figdir.mkdir(exist_ok=True)
    _timeseries_figure(df, order, figdir / "timeseries.png")
    _differences_figure(table[~table["strategy"].isin(_baselines(meta))], baseline, figdir / "differences.png")
    _survival_figure(df, order, figdir / "survival.png")
    lines = [
        f"# {meta['name']}: strategy comparison",
        "",
        *lead,
        meta.get("description", "").strip(),
        "",
        f"Firm reported: **{firm}**. Baseline: **{baseline}**. Replications per strategy: "
        f"{reps} (common random numbers: replication k of every strategy "
        f"uses seed {meta['seed']} + k). Means with 95% t-intervals; *difference* = paired difference "
        "against the baseline with its 95% interval.",
        "",
        *reacting,
        "## Ranking by cumulative profit",
        "",
        "| rank | strategy | profit | 95% CI | difference vs baseline | 95% CI | significant |",
        "|---|---|---|---|---|---|---|",
    ]
    for _, r in ranking.iterrows():
        where = f" (rivals {r['reaction']})" if "reaction" in ranking.columns else ""
        lines.append(
            f"| {r['rank']} | {r['strategy']}{where} | {_fmt(r['mean'])} | {_fmt(r['ci_low'])} – {_fmt(r['ci_high'])}"
            f" | {_fmt(r['diff_vs_baseline'])} | {_fmt(r['diff_ci_low'])} – {_fmt(r['diff_ci_high'])} | "
            f"{'yes' if r['significant'] else 'no'} |"
        )
    lines += ["", "## Key metrics (mean [95% CI]; paired difference vs baseline)", ""]
    shown = [m for m in KEY_METRICS if m in meta["metrics"]]
    lines.append("| strategy | " + " | ".join(shown) + " |")
    lines.append("|---|" + "---|" * len(shown))
    for s in (s for s in order if s in set(table["strategy"])):
        cells = []
        for m in shown:
            r = table[(table["strategy"] == s) & (table["metric"] == m)].iloc[0]
            cell = f"{_fmt(r['mean'])} [{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]"
            if r.get("note") and r["note"] != "baseline":  # e.g. a return on spend with no extra spend
                cell = r["note"]
            if np.isfinite(r["diff_vs_baseline"]):
                cell += f"<br>Δ {_fmt(r['diff_vs_baseline'])} [{_fmt(r['diff_ci_low'])}, {_fmt(r['diff_ci_high'])}]"
            cells.append(cell)
        lines.append(f"| {s} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "All metrics for every strategy: `comparison.csv`. Per-run data: `runs/` (Parquet).",
        "",
        *ECONOMICS,
        "## Figures",
        "",
        "![time series](figures/timeseries.png)",
        "",
        "![paired differences](figures/differences.png)",
        "",
        "![survival](figures/survival.png)",
        "",
    ]
    from sim.experiments.migration import migration_lines  # D8 pyramid migration (its own module)

    lines += migration_lines(df, order, baseline, firm, figdir / "migration.png")
    write_text_atomically(folder / "report.md", "\n".join(lines))
    changes = [x[2:] for x in reacting if x.startswith("- ")]
    return {"runs": int(len(runs)), "ranking": ranking, "rank_changes": changes}


def _baselines(meta: dict[str, Any]) -> set[str]:
    """The baseline's labels: one per reaction of the rivals, or the baseline alone."""
    from sim.experiments.spec import label_of

    return {label_of(meta["baseline"], r) for r in meta.get("reaction_names") or [None]}


def _band(df: pd.DataFrame, col: str) -> pd.DataFrame:
    g = df.groupby("step")[col]
    m, s, n = g.mean(), g.std(ddof=1), g.count()
    half = 1.96 * s / np.sqrt(n.clip(lower=1))
    return pd.DataFrame({"mean": m, "lo": m - half.fillna(0), "hi": m + half.fillna(0)})


def _colors(n: int) -> list:
    cmap = plt.get_cmap("tab20" if n > 10 else "tab10")
    return [cmap(i % cmap.N) for i in range(n)]


def _timeseries_figure(df: pd.DataFrame, order: list[str], path: Path) -> None:
    fig, axes = plt.subplots(2, 2, figsize=(14, 8.5), sharex=True)
    for ax, col in zip(axes.flat, ("customers", "retention_rate", "profit", "satisfaction"), strict=True):
        for s, c in zip(order, _colors(len(order)), strict=True):
            g = df[df["strategy"] == s]
            if col in ("retention_rate", "profit"):
                g = g[g["step"] > 0]
            b = _band(g, col)
            ax.plot(b.index, b["mean"], color=c, lw=1.4, label=s)
            ax.fill_between(b.index, b["lo"], b["hi"], color=c, alpha=0.2, lw=0)
        ax.set_title(LABELS[col] + " (mean, 95% band)")
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("week")
    axes[0, 1].legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.0))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _differences_figure(table: pd.DataFrame, baseline: str, path: Path) -> None:
    metrics = [m for m in ("profit_total", "annual_retention", "customer_equity_final") if m in set(table["metric"])]
    if not metrics:  # a partial folder whose complete runs give no paired metric yet: no figure
        return
    fig, axes = plt.subplots(1, len(metrics), figsize=(6 * len(metrics), 0.45 * table["strategy"].nunique() + 2))
    axes = np.atleast_1d(axes)
    for ax, m in zip(axes, metrics, strict=True):
        t = table[(table["metric"] == m) & (table["strategy"] != baseline)].sort_values("diff_vs_baseline")
        err = np.vstack([t["diff_vs_baseline"] - t["diff_ci_low"], t["diff_ci_high"] - t["diff_vs_baseline"]])
        colors = [
            "tab:green" if lo > 0 else "tab:red" if hi < 0 else "tab:gray"
            for lo, hi in zip(t["diff_ci_low"], t["diff_ci_high"], strict=True)
        ]
        ax.barh(t["strategy"], t["diff_vs_baseline"], xerr=err, color=colors, capsize=3)
        ax.axvline(0, color="k", lw=0.8)
        ax.set_title(f"{m}: paired difference vs {baseline} (95% CI)", fontsize=10)
        ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _survival_figure(df: pd.DataFrame, order: list[str], path: Path) -> None:
    """Share of the customer base retained: cumulative product of the weekly retention rates."""
    fig, ax = plt.subplots(figsize=(10, 6))
    for s, c in zip(order, _colors(len(order)), strict=True):
        g = df[(df["strategy"] == s) & (df["step"] > 0)].sort_values(["replication", "step"]).copy()
        g["survival"] = g.groupby("replication")["retention_rate"].cumprod()
        b = _band(g, "survival")
        ax.plot(b.index, b["mean"], color=c, lw=1.4, label=s)
        ax.fill_between(b.index, b["lo"], b["hi"], color=c, alpha=0.2, lw=0)
    ax.set_title("Retention curve: share of customers kept (product of weekly retention; mean, 95% band)")
    ax.set_xlabel("week")
    ax.set_ylabel("share retained")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# ---------------------------------------------------------------- sweeps
def sweep_report(folder: Path, meta: dict[str, Any], keys: set[str], exp: Any, problem: dict, X: np.ndarray) -> dict:
    from sim.experiments.design import analyze

    df = read_runs(folder, keys, firm=meta["firm"])
    if df.empty:
        return {"runs": 0}
    runs = stats.per_run(df)
    params = [p.name for p in exp.parameters]
    points = runs.groupby("point")[exp.outputs].mean()
    complete = len(points) == len(X)
    table = pd.DataFrame(X, columns=params)
    table.index.name = "point"
    table = table.join(points)
    table.to_csv(folder / "sweep.csv")
    figdir = folder / "figures"
    figdir.mkdir(exist_ok=True)
    lines = [
        f"# {meta['name']}: parameter sweep ({exp.design.method})",
        "",
        meta.get("description", "").strip(),
        "",
        f"{len(X)} design points × {exp.replications} replications; outputs are means over replications "
        f"of the **{meta['firm']}** firm's metrics. Design and indices: SALib.",
        "",
    ]
    indices = []
    if complete:
        for out in exp.outputs:
            for row in analyze(exp, problem, X, table[out].to_numpy(dtype=np.float64)):
                indices.append({"output": out, **row})
        ind = pd.DataFrame(indices)
        ind.to_csv(folder / "indices.csv", index=False)
        for out in exp.outputs:
            _indices_figure(ind[ind["output"] == out], exp.design.method, out, figdir / f"indices_{out}.png")
            lines += [
                f"## {out}",
                "",
                _markdown(ind[ind["output"] == out].drop(columns="output")),
                "",
                f"![indices](figures/indices_{out}.png)",
                "",
            ]
        if exp.design.method == "grid" and len(params) == 2:
            for out in exp.outputs:
                _heatmap(table, params, out, figdir / f"heatmap_{out}.png")
                lines += [f"![heatmap {out}](figures/heatmap_{out}.png)", ""]
    else:
        lines += [f"Partial: {len(points)} of {len(X)} design points complete; indices need all of them.", ""]
    write_text_atomically(folder / "report.md", "\n".join(lines))
    return {"runs": int(len(runs)), "indices": indices, "complete": complete}


def _markdown(df: pd.DataFrame) -> str:
    head = "| " + " | ".join(df.columns) + " |\n|" + "---|" * len(df.columns)
    body = [
        "| " + " | ".join(v if isinstance(v, str) else _fmt(float(v)) for v in row) + " |"
        for row in df.itertuples(index=False)
    ]
    return "\n".join([head, *body])


def _indices_figure(ind: pd.DataFrame, method: str, output: str, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(ind) + 2))
    if method == "sobol":
        y = np.arange(len(ind))
        ax.barh(y - 0.2, ind["S1"], 0.4, xerr=ind["S1_conf"], label="first order S1", capsize=3)
        ax.barh(y + 0.2, ind["ST"], 0.4, xerr=ind["ST_conf"], label="total ST", capsize=3)
        ax.set_yticks(y, ind["parameter"])
        ax.legend()
        ax.set_title(f"Sobol indices of {output} (95% CI)")
    elif method == "morris":
        ax.scatter(ind["mu_star"], ind["sigma"])
        for _, r in ind.iterrows():
            ax.annotate(r["parameter"], (r["mu_star"], r["sigma"]), fontsize=8)
        ax.set_xlabel("mu* (mean |elementary effect|)")
        ax.set_ylabel("sigma")
        ax.set_title(f"Morris screening of {output}")
    else:
        t = ind.reindex(ind["src"].abs().sort_values().index)
        ax.barh(t["parameter"], t["src"], color=["tab:green" if v > 0 else "tab:red" for v in t["src"]])
        ax.axvline(0, color="k", lw=0.8)
        ax.set_title(f"Tornado: standardised regression coefficients of {output}")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _heatmap(table: pd.DataFrame, params: list[str], output: str, path: Path) -> None:
    grid = table.pivot_table(index=params[0], columns=params[1], values=output)
    fig, ax = plt.subplots(figsize=(8, 6))
    im = ax.imshow(grid.to_numpy(), origin="lower", aspect="auto", cmap="viridis")
    ax.set_xticks(range(grid.shape[1]), [f"{v:g}" for v in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [f"{v:g}" for v in grid.index])
    ax.set_xlabel(params[1])
    ax.set_ylabel(params[0])
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            ax.text(j, i, _fmt(grid.iat[i, j]), ha="center", va="center", color="w", fontsize=8)
    fig.colorbar(im, label=output)
    ax.set_title(f"{output} over the grid (mean over replications)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
