"""The tables ``sim compare``, ``sim sweep`` and ``sim results`` print: the ranking, one metric per strategy,
a sweep's design points with their labelled inputs (mean and 95% interval of each output, with its unit),
and a sweep's sensitivity indices with a line saying what they mean. Labels and units: the glossary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from sim.output import glossary as G

__all__ = ["print_ranking", "print_metric", "print_sweep", "print_indices", "INDEX_LINE", "MAX_PRINTED_POINTS"]

MAX_PRINTED_POINTS = 20  # design points printed (all are in sweep.csv)

# what a sweep's indices mean, in one line each (report.md explains them at more length)
INDEX_LINE = {
    "sobol": "S1: share of the output's variance due to the parameter alone; ST: with its interactions "
    "(ST near 0: the parameter can be fixed anywhere in its range); ± : 95% half-width.",
    "morris": "mu*: mean absolute change of the output when the parameter moves one step of the design "
    "(output's unit); sigma: spread of those changes (non-linear effects, interactions).",
    "regression": "standardised coefficient: standard deviations the output moves when the parameter moves "
    "one standard deviation, the others fixed (linear fit over the design; the sign is the direction).",
}


def _units(meta: dict[str, Any]) -> tuple[str, float]:
    return meta.get("currency") or "", float(meta.get("steps_per_year") or 52.0)


def _ci(lo: float, hi: float) -> str:
    from sim.output.numbers import human

    return f"{human(lo)} to {human(hi)}" if lo == lo and hi == hi else "–"


def print_ranking(ranking: Any, changes: list[str] | None = None, meta: dict[str, Any] | None = None) -> None:
    """Strategies by total profit, with the paired difference against the baseline (and P(best) if known), as
    a table that fits the terminal (cells wrap on an 80-column one; the numbers stay exact)."""
    if ranking is None or not len(ranking):
        return
    from rich import box
    from rich.console import Console
    from rich.table import Table

    cur, spy = _units(meta or {})
    reacting = "reaction" in ranking.columns  # ranks within each reaction of the rivals
    decided = "prob_best" in ranking.columns  # issue 18: probability of being best and the group of ties
    t = Table(
        title=f"Ranked by {G.label_with_unit('profit_total', cur, spy)}; vs baseline: the paired difference ± the "
        "half-width of its 95% confidence interval",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    if reacting:
        t.add_column("rivals")
    t.add_column("rank", justify="right")
    t.add_column("strategy", overflow="fold")
    for name in ("profit", "vs baseline ± CI") + ("P(best)", "group") * decided:
        t.add_column(name, justify="right")
    for _, r in ranking.iterrows():
        diff = "baseline"
        if r["diff_vs_baseline"] == r["diff_vs_baseline"]:  # the paired t-interval is symmetric: mean ± half-width
            half = (r["diff_ci_high"] - r["diff_ci_low"]) / 2
            diff = f"{r['diff_vs_baseline']:,.0f}" + (f" ± {half:,.0f}" if half == half else "")
        cells = [str(r["rank"]), str(r["strategy"]), f"{r['mean']:,.0f}", diff]
        cells += [f"{r['prob_best']:.2f}", str(r["group"])] * decided
        t.add_row(*([str(r["reaction"])] if reacting else []), *cells)
    Console().print(t)
    for sentence in changes or []:
        print(sentence)


def print_metric(folder: Path, keys: set[str], meta: dict[str, Any], metric: str) -> None:
    """One metric of a compare folder (``--metric``): per strategy its mean and 95% interval, and the paired
    difference against the baseline (under the same reaction of the rivals) with its interval."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from sim.experiments import stats
    from sim.experiments.spec import label_of
    from sim.experiments.store import read_runs

    runs = stats.per_run(read_runs(folder, keys, firm=meta["firm"]))

    cur, spy = _units(meta)
    t = Table(title=G.label_with_unit(metric, cur, spy), title_justify="left", box=box.SIMPLE_HEAD)
    for col in ("strategy", "runs", "mean", "95% interval", "vs baseline", "95% interval "):
        t.add_column(col, justify="left" if col == "strategy" else "right", no_wrap=col != "strategy")
    from sim.output.numbers import human

    present = set(runs["strategy"])
    for r in meta.get("reaction_names") or [None]:
        order = [s for s in (label_of(a, r) for a in meta["arms"]) if s in present]
        base = label_of(meta["baseline"], r)
        if not order or base not in present:
            continue
        table = stats.compare_table(runs, base, [metric], order)
        for _, row in table.iterrows():
            diff = "baseline" if row["strategy"] == base else human(row["diff_vs_baseline"])
            t.add_row(
                row["strategy"],
                str(row["n"]),
                human(row["mean"]),
                _ci(row["ci_low"], row["ci_high"]),
                diff,
                _ci(row["diff_ci_low"], row["diff_ci_high"]),
            )
    Console().print(t)
    print(f"{G.label(metric)}: {G.term(metric).definition}.")


def print_sweep(table: pd.DataFrame | None, meta: dict[str, Any], outputs: list[str] | None = None) -> None:
    """A sweep's result, one table per output (they fit 80 columns): per design point the parameters, in
    words with their units, then the output's mean over replications and its 95% interval."""
    if table is None or not len(table):
        return
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from sim.experiments.figures import param_label, param_unit
    from sim.output.numbers import human

    cur, spy = _units(meta)
    params = [p["name"] for p in meta["parameters"]]
    shown = table.head(MAX_PRINTED_POINTS)
    for o in outputs or meta["outputs"]:
        t = Table(
            title=f"{G.label_with_unit(o, cur, spy)}: mean over {meta['replications']} replications",
            title_justify="left",
            box=box.SIMPLE_HEAD,
        )
        t.add_column("point", justify="right")
        for p in params:
            u = param_unit(p, cur, spy)
            t.add_column(f"{param_label(p)}\n{u}" if u else param_label(p), justify="right")
        t.add_column("mean", justify="right")
        t.add_column("95% interval", justify="right")
        for i, row in shown.iterrows():
            t.add_row(str(i), *[human(row[p]) for p in params], human(row[o]), _ci(row[f"{o}_ci_low"], row[f"{o}_ci_high"]))
        Console().print(t)
    if len(table) > MAX_PRINTED_POINTS:
        print(f"... {len(table) - MAX_PRINTED_POINTS} more design points in sweep.csv")


def print_indices(folder: Path, meta: dict[str, Any], outputs: list[str] | None = None) -> None:
    """The sensitivity indices of ``indices.csv`` (when the sweep is complete), one table per output."""
    path = folder / "indices.csv"
    if not path.is_file():
        return
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from sim.experiments.figures import param_label
    from sim.output.numbers import human

    ind = pd.read_csv(path)
    method = meta.get("design", {}).get("method", "grid")
    kind = method if method in ("sobol", "morris") else "regression"
    cur, spy = _units(meta)
    shown = False
    for o in outputs or meta["outputs"]:
        part = ind[ind["output"] == o]
        if part.empty:
            continue
        shown = True
        t = Table(title=f"Sensitivity of {G.label_with_unit(o, cur, spy)}", title_justify="left", box=box.SIMPLE_HEAD)
        cols = {"sobol": ["S1", "ST"], "morris": ["mu_star", "sigma"], "regression": ["src"]}[kind]
        t.add_column("parameter")
        for c in cols:
            t.add_column({"mu_star": "mu*", "src": "standardised coefficient"}.get(c, c), justify="right")
        for _, row in part.iterrows():
            cells = [human(row[c]) + (f" ± {human(row[c + '_conf'])}" if f"{c}_conf" in part else "") for c in cols]
            t.add_row(param_label(row["parameter"]), *cells)
        Console().print(t)
    if shown:
        import textwrap

        print(textwrap.fill(INDEX_LINE[kind], 79))
