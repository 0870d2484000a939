"""Reports of experiments: comparison.csv (and its labelled twin), ranking.csv, report.md, a self-contained
report.html and slide-size PNG figures. Sweeps: ``sim.experiments.sweep_report``.

A compare report is a list of sections, each a list of markdown lines, in this order: the answer first (the
decision section of another module when it has one, else a plain lead paragraph from the ranking), the
set-up, the rivals' reactions, the ranking, the sections other modules add (:func:`_hooked`), one compact
table per key metric, notes on strategies whose numbers need explaining, how the money is counted, figures.

Everything is computed from the runs dataset on disk, so a partial experiment can be reported too
(``sim results DIR``), and the report of a resumed experiment equals that of an uninterrupted one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments import figures as F
from sim.experiments import stats
from sim.experiments.html import write_html
from sim.experiments.notes import pruning_notes
from sim.experiments.store import read_runs, write_text_atomically
from sim.output import glossary as G
from sim.output.numbers import fmt

__all__ = ["compare_report", "sweep_report", "KEY_METRICS", "ReportContext", "lead_paragraph", "fmt"]

KEY_METRICS = (
    "profit_total",
    "annual_retention",
    "churn_rate",
    "customers_final",
    "customer_equity_final",
    "relationship_spend_total",
    "return_on_relationship_spend",
)
BASELINE_CELL = "baseline (reference)"

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
_YEARS = {1: "one-year", 2: "two-year", 3: "three-year", 4: "four-year", 5: "five-year", 10: "ten-year"}


@dataclass
class ReportContext:
    """Everything a section of a compare report may read (hooks of other modules receive it)."""

    folder: Path
    meta: dict[str, Any]
    df: pd.DataFrame  # the reported firm's rows of every run (one per step)
    runs: pd.DataFrame  # one row per (strategy, replication) with the run metrics
    table: pd.DataFrame  # stats.compare_table: strategy x metric, means, intervals, paired differences
    ranking: pd.DataFrame  # stats.rank: by total profit, best first
    order: list[str]
    reps: str  # replications per strategy, in words ("8", or "6 to 8" for a partial folder)
    currency: str
    steps_per_year: float
    steps: int
    highlighted: list[str] = field(default_factory=list)

    @property
    def horizon(self) -> str:
        """ "two-year" (or "30-week" when the run is not whole years)."""
        years = self.steps / self.steps_per_year
        if abs(years - round(years)) < 1e-9 and round(years) in _YEARS:
            return _YEARS[round(years)]
        return f"{self.steps}-{G.step_name(self.steps_per_year)}"

    def unit(self, name: str) -> str:
        return G.unit(name, self.currency, self.steps_per_year)

    def label(self, name: str) -> str:
        """A metric's label with its unit, profit with the horizon: "two-year profit (currency units)"."""
        if name == "profit_total":
            return f"{self.horizon.capitalize()} profit ({self.unit(name)})"
        return G.label_with_unit(name, self.currency, self.steps_per_year)


def compare_report(folder: Path, meta: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    """Write comparison.csv, comparison_labelled.csv, ranking.csv, report.md, report.html and figures/."""
    ctx = _context(folder, meta, keys)
    if ctx is None:
        return {"runs": 0}
    reacting = []
    if meta.get("reaction_names"):
        from sim.experiments.reactions import report_lines

        reacting = report_lines(ctx.ranking, meta, ctx.reps, ctx.runs) if len(ctx.ranking) else []
    lead: list[str] = []
    if not meta.get("reaction_names"):  # the decision leads the report (issue 18; sim.experiments.decision_report)
        from sim.experiments.decision_report import lead as decision

        ctx.ranking, lead = decision(folder, ctx.runs, ctx.order, meta, ctx.ranking, int(ctx.df["step"].max()))
    ctx.table.to_csv(folder / "comparison.csv", index=False)
    _labelled(ctx).to_csv(folder / "comparison_labelled.csv", index=False)
    ctx.ranking.to_csv(folder / "ranking.csv", index=False)
    figs = _figures(ctx)
    hooked = _hooked(ctx, lead)
    sections = [
        [f"# {meta['name']}: strategy comparison", ""],
        hooked["decision"] or lead_paragraph(ctx),  # the answer first
        _setup(ctx),
        reacting,
        _ranking_section(ctx),
        hooked["uncertainty"],
        hooked["portfolio"],
        _metric_tables(ctx),
        pruning_notes(ctx),
        _economics(meta),
        _figure_section(figs),
    ]
    lines = [line for section in sections for line in section]
    write_text_atomically(folder / "report.md", "\n".join(lines))
    write_html(folder / "report.html", "\n".join(lines), folder, title=f"{meta['name']}: strategy comparison")
    changes = [x[2:] for x in reacting if x.startswith("- ")]
    return {"runs": int(len(ctx.runs)), "ranking": ctx.ranking, "rank_changes": changes}


def _economics(meta: dict[str, Any]) -> list[str]:
    """How the money is counted; with parameter draws the intervals also cover the assumed effect sizes."""
    if not meta.get("uncertainty"):
        return ECONOMICS
    old = "intervals cover simulation noise only, not the uncertainty of the assumed effect sizes."
    new = "intervals cover simulation noise and the assumed parameters drawn from their ranges (--uncertainty)."
    return [line.replace(old, new) for line in ECONOMICS]


def _hooked(ctx: ReportContext, lead: list[str]) -> dict[str, list[str]]:
    """The sections other modules write, by slot: one call each, returning markdown lines ([] for none).

    - ``decision`` (first in the report; replaces the plain lead paragraph when not empty): best strategy
      and how sure;
    - ``uncertainty``: uncertainty and robustness of the ranking (after the ranking table);
    - ``portfolio``: customer-portfolio migration (after the uncertainty section).
    """
    from sim.experiments import robustness_report, uncertainty_report  # issue 18: futures, parameter draws
    from sim.experiments.migration import migration_lines  # D8 pyramid migration (issue 19)

    folder, meta = ctx.folder, ctx.meta
    robust = robustness_report.sections(folder, meta, ctx.runs) + uncertainty_report.sections(folder, meta, ctx.runs)
    figdir = folder / "figures"
    figdir.mkdir(exist_ok=True)
    migration = migration_lines(ctx.df, ctx.order, meta["baseline"], meta["firm"], figdir / "migration.png")
    return {"decision": lead, "uncertainty": robust, "portfolio": migration}


def _context(folder: Path, meta: dict[str, Any], keys: set[str]) -> ReportContext | None:
    baseline = meta["baseline"]
    df = read_runs(folder, keys, firm=meta["firm"])
    if df.empty:
        return None
    order = [s for s in meta["strategies"] if s in set(df["strategy"])]
    runs = stats.per_run(df)
    n_reps = runs.groupby("strategy")["replication"].nunique()
    lo, hi = int(n_reps.min()), int(n_reps.max())
    reps = f"{lo}" if lo == hi else f"{lo} to {hi}"
    if meta.get("reaction_names"):  # every strategy under each reaction of the rivals (issue 16)
        from sim.experiments.reactions import reaction_tables

        table, ranking = reaction_tables(runs, meta)
    else:
        table = stats.compare_table(runs, baseline, meta["metrics"], order)
        ranking = stats.rank(table)
    ctx = ReportContext(
        folder=folder,
        meta=meta,
        df=df,
        runs=runs,
        table=table,
        ranking=ranking,
        order=order,
        reps=reps,
        currency=meta.get("currency") or "",
        steps_per_year=float(meta.get("steps_per_year") or 52.0),
        steps=int(meta.get("steps") or df["step"].max()),
    )
    ctx.highlighted = _highlighted(ctx)
    return ctx


def _highlighted(ctx: ReportContext) -> list[str]:
    """Baseline, best and worst by profit, then the experiment's ``highlight:`` list (figures show <= 6)."""
    r = ctx.ranking
    ranked = [s for s in r["strategy"] if s in ctx.order] if "reaction" not in r.columns else []
    best_worst = [ranked[0], ranked[-1]] if ranked else []
    extra = [s for s in ctx.meta.get("highlight") or [] if s in ctx.order]
    second = ranked[1:2]
    return list(dict.fromkeys([ctx.meta["baseline"], *best_worst, *extra, *second]))


def _baselines(meta: dict[str, Any]) -> set[str]:
    """The baseline's labels: one per reaction of the rivals, or the baseline alone."""
    from sim.experiments.spec import label_of

    return {label_of(meta["baseline"], r) for r in meta.get("reaction_names") or [None]}


def lead_paragraph(ctx: ReportContext) -> list[str]:
    """The answer in plain words: the best strategy against the baseline, by how much, with unit and horizon."""
    r = ctx.ranking[~ctx.ranking["strategy"].isin(_baselines(ctx.meta))]
    if r.empty or not np.isfinite(r.iloc[0]["diff_vs_baseline"]):
        return ["Not enough complete runs yet to compare the strategies with the baseline.", ""]
    best, worst = r.iloc[0], r.iloc[-1]
    cur, base = G.currency_name(ctx.currency), ctx.meta["baseline"]
    where = f" (rivals {best['reaction']})" if "reaction" in r.columns else ""
    base_mean = best["mean"] - best["diff_vs_baseline"]
    pct = f" ({best['diff_vs_baseline'] / abs(base_mean):+.0%})" if base_mean else ""
    if best["diff_ci_low"] > 0:
        sure = (
            f"The paired 95% interval of the gain, {fmt(best['diff_ci_low'])} to {fmt(best['diff_ci_high'])} {cur}, "
            "excludes zero: the gain is beyond simulation noise."
        )
    else:
        sure = (
            f"The paired 95% interval of the gain, {fmt(best['diff_ci_low'])} to {fmt(best['diff_ci_high'])} {cur}, "
            "includes zero: no strategy beats the baseline beyond simulation noise."
        )
    text = (
        f"**Answer.** Over the {ctx.horizon} horizon, **{best['strategy']}**{where} earns the "
        f"{ctx.meta['firm']} firm the most: a {ctx.horizon} profit of {fmt(best['mean'])} {cur}, "
        f"{fmt(best['diff_vs_baseline'])} {cur}{pct} more than the baseline **{base}** "
        f"({ctx.reps} replications per strategy). {sure}"
    )
    if len(r) > 1 and worst["diff_vs_baseline"] < 0:
        text += (
            f" The weakest, **{worst['strategy']}**, earns {fmt(-worst['diff_vs_baseline'])} {cur} less than the baseline."
        )
    return [text, ""]


def _setup(ctx: ReportContext) -> list[str]:
    m = ctx.meta
    return [
        "## Set-up",
        "",
        m.get("description", "").strip(),
        "",
        f"Firm reported: **{m['firm']}**. Baseline: **{m['baseline']}**. Horizon: {ctx.steps} "
        f"{G.step_name(ctx.steps_per_year)}s ({ctx.horizon}). Money in {G.currency_name(ctx.currency)}.",
        "",
        f"Replications per strategy: {ctx.reps} (common random numbers: replication k of every strategy uses "
        f"seed {m['seed']} + k). Means with 95% t-intervals; *difference* = the paired difference against the "
        "baseline (same seeds) with its own 95% interval.",
        "",
    ]


def _interval(lo: float, hi: float) -> str:
    return f"{fmt(lo)} to {fmt(hi)}" if np.isfinite(lo) and np.isfinite(hi) else "–"


def _ranking_section(ctx: ReportContext) -> list[str]:
    r = ctx.ranking
    lines = [
        f"## Ranking by {ctx.horizon} profit",
        "",
        f"| rank | strategy | {ctx.label('profit_total')} | 95% interval | difference vs baseline | 95% interval |"
        + (" P(best) | group |" if "prob_best" in r.columns else ""),
        "|---|---|---|---|---|---|" + ("---|---|" if "prob_best" in r.columns else ""),
    ]
    for _, row in r.iterrows():
        where = f" (rivals {row['reaction']})" if "reaction" in r.columns else ""
        if np.isfinite(row["diff_vs_baseline"]):
            diff = fmt(row["diff_vs_baseline"]) + ("" if row["significant"] else " (within noise)")
            diff_ci = _interval(row["diff_ci_low"], row["diff_ci_high"])
        else:
            diff, diff_ci = BASELINE_CELL, ""
        lines.append(
            f"| {row['rank']} | {row['strategy']}{where} | {fmt(row['mean'])} | "
            f"{_interval(row['ci_low'], row['ci_high'])} | {diff} | {diff_ci} |"
            + (f" {row['prob_best']:.2f} | {row['group']} |" if "prob_best" in r.columns else "")
        )
    return [*lines, ""]


def _metric_tables(ctx: ReportContext) -> list[str]:
    """One compact table per key metric: mean, interval, paired difference vs the baseline."""
    lines = ["## Key metrics", "", "One table per metric; all metrics for every strategy: `comparison.csv` "]
    lines[-1] += "(raw names) and `comparison_labelled.csv` (labels and units). Per-run data: `runs/` (Parquet)."
    lines.append("")
    t = ctx.table
    for m in (m for m in KEY_METRICS if m in set(t["metric"]) and m != "profit_total"):  # profit: the ranking
        term = G.term(m)
        lines += [
            f"### {ctx.label(m)}",
            "",
            f"{term.definition[0].upper()}{term.definition[1:]}.",
            "",
            "| strategy | mean | 95% interval | difference vs baseline | 95% interval |",
            "|---|---|---|---|---|",
        ]
        for _, r in t[t["metric"] == m].iterrows():
            if r.get("note") and r["note"] != "baseline":  # e.g. a return on spend with no extra spend (issue 18)
                diff, ci = str(r["note"]), ""
            elif np.isfinite(r["diff_vs_baseline"]):
                diff, ci = fmt(r["diff_vs_baseline"]), _interval(r["diff_ci_low"], r["diff_ci_high"])
            elif r["strategy"] in _baselines(ctx.meta):
                diff, ci = BASELINE_CELL, ""
            else:
                diff, ci = "–", ""
            lines.append(f"| {r['strategy']} | {fmt(r['mean'])} | {_interval(r['ci_low'], r['ci_high'])} | {diff} | {ci} |")
        lines.append("")
    return lines


def _figures(ctx: ReportContext) -> dict[str, str]:
    """Draw the figures; return file name -> caption (claim codes belong in captions, not titles)."""
    figdir = ctx.folder / "figures"
    figdir.mkdir(exist_ok=True)
    names = {s: s for s in ctx.order}
    cur, spy = ctx.currency, ctx.steps_per_year
    out: dict[str, str] = {}
    F.save_figure(F.timeseries_figure(ctx.df, ctx.order, ctx.highlighted, names, cur, spy), figdir / "timeseries.png")
    out["timeseries.png"] = (
        "Customers, weekly retention, weekly profit and mean satisfaction (M1) of the reported firm: mean over "
        "replications with its 95% band for the highlighted strategies (baseline, best, worst and the "
        "experiment's `highlight:` list), the others in grey. Retention and profit start at week 2 and their "
        "axes cover the highlighted lines and the 0.5th to 99.5th percentile of the rest, so a one-week "
        "start-up move (see Notes) does not flatten the others."
    )
    diff = F.differences_figure(
        ctx.table[~ctx.table["strategy"].isin(_baselines(ctx.meta))],
        ctx.meta["baseline"],
        names,
        cur,
        spy,
        {"profit_total": f"{ctx.horizon.capitalize()} profit"},
    )
    if diff is not None:
        F.save_figure(diff, figdir / "differences.png")
        out["differences.png"] = (
            "Paired difference of each strategy against the baseline (same seeds) with its 95% interval: total "
            "profit, annual retention and customer equity (discounted expected margin, Gupta & Lehmann 2003)."
        )
    F.save_figure(F.survival_figure(ctx.df, ctx.order, ctx.highlighted, names, spy), figdir / "survival.png")
    out["survival.png"] = (
        "Retention curve: the product of the weekly retention rates, i.e. the share of the starting customers "
        "still with the firm (mean, 95% band), highlighted strategies as above."
    )
    return out


def _figure_section(figs: dict[str, str]) -> list[str]:
    lines = ["## Figures", ""]
    for i, (name, caption) in enumerate(figs.items(), 1):
        lines += [f"![{name}](figures/{name})", "", f"*Figure {i}.* {caption}", ""]
    return lines


def _labelled(ctx: ReportContext) -> pd.DataFrame:
    """comparison.csv with plain headers, metric labels and units (for a spreadsheet)."""
    t = ctx.table.copy()
    t.insert(2, "unit", [ctx.unit(m) for m in t["metric"]])
    t["metric"] = [G.label(m) for m in t["metric"]]
    return t.rename(
        columns={
            "strategy": "Strategy",
            "metric": "Metric",
            "unit": "Unit",
            "n": "Replications",
            "mean": "Mean",
            "ci_low": "95% interval, low",
            "ci_high": "95% interval, high",
            "diff_vs_baseline": "Difference vs baseline (paired)",
            "diff_ci_low": "Difference 95% interval, low",
            "diff_ci_high": "Difference 95% interval, high",
        }
    )


def sweep_report(folder: Path, meta: dict[str, Any], keys: set[str], exp: Any, problem: dict, X: np.ndarray) -> dict:
    """See :func:`sim.experiments.sweep_report.sweep_report`."""
    from sim.experiments.sweep_report import sweep_report as _sweep

    return _sweep(folder, meta, keys, exp, problem, X)
