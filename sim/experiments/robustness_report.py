"""The robustness sections of a compare report (issue 18): regret table, satisficing, the robust choice
and PRIM boxes of the futures in which a strategy loses to the baseline. Writes ``futures.csv``,
``regret.csv``, ``boxes.csv`` and ``figures/prim_<strategy>.png``; returns report.md lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiments.robustness import LOWER_IS_BETTER, Target, future_values, regret_table, satisficing
from sim.experiments.store import write_text_atomically

__all__ = ["sections"]


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def sections(folder: Path, meta: dict[str, Any], runs: pd.DataFrame) -> list[str]:
    """Report lines for an experiment with futures ([] otherwise)."""
    if not meta.get("futures"):
        return []
    target = Target.model_validate(meta.get("target") or {})
    metric, baseline = target.metric, meta["baseline"]
    higher = metric not in LOWER_IS_BETTER
    values = future_values(runs, metric)
    names = [u["name"] for u in meta["uncertainties"]]
    if values.empty or baseline not in values.columns:
        return ["## Robustness across futures", "", "No future is complete yet.", ""]
    order = [s for s in meta["strategies"] if s in values.columns]
    values = values[order]
    futures = runs.drop_duplicates("point").set_index("point")[[f"param:{n}" for n in names]]
    futures.columns = names
    futures = futures.loc[values.index]
    write_text_atomically(folder / "futures.csv", futures.join(values).to_csv())
    table = regret_table(values, higher)
    table["satisficing"] = table["strategy"].map(satisficing(values, target, baseline))
    write_text_atomically(folder / "regret.csv", table.to_csv(index=False))
    robust = table["strategy"].iloc[0]
    if target.max is not None:
        goal = f"at most {_fmt(target.max)}"
    else:
        goal = f"at least {_fmt(0.0 if target.min is None else target.min)}"
    if target.relative_to == "baseline":
        goal = f"{metric} - the baseline's {metric} in the same future {goal}"
    else:
        goal = f"{metric} {goal}"
    n = len(values)
    reps = int(meta["replications"])
    lines = [
        "## Robustness across futures",
        "",
        f"{n} of {meta['futures']} futures complete, sampled by Latin hypercube over: "
        + ", ".join(f"`{u['name']}` ({_span(u)})" for u in meta["uncertainties"])
        + f". Every strategy runs in every future with the same seeds ({reps} replication(s) per future; "
        "the values below are means over a future's replications). *Regret* = the loss of "
        f"{metric} against the best strategy of that future (same unit as {metric}: currency units for "
        f"money); *satisficing* = share of futures with {goal}. The sampled futures and each strategy's "
        "value in them: `futures.csv`.",
        "",
        f"**Robust choice (least maximum regret): {robust}** — its regret is at most "
        f"{_fmt(table['max_regret'].iloc[0])} and {_fmt(table['mean_regret'].iloc[0])} on average; it meets "
        f"the target in {table['satisficing'].iloc[0]:.0%} of futures.",
        "",
        f"| strategy | mean {metric} | mean regret | max regret | best in | satisficing |",
        "|---|---|---|---|---|---|",
    ]
    for _, r in table.iterrows():
        lines.append(
            f"| {r['strategy']}{' (robust)' if r['robust'] else ''} | {_fmt(r['mean'])} | {_fmt(r['mean_regret'])} | "
            f"{_fmt(r['max_regret'])} | {r['share_best']:.0%} | {r['satisficing']:.0%} |"
        )
    lines += ["", "Table: `regret.csv`.", ""]
    return lines + _discovery(folder, values, futures, baseline, metric, higher)


def _span(u: dict[str, Any]) -> str:
    if u.get("values") is not None:
        return " / ".join(map(str, u["values"]))
    return f"{u['low']:g} to {u['high']:g}"


def _discovery(
    folder: Path, values: pd.DataFrame, futures: pd.DataFrame, baseline: str, metric: str, higher: bool
) -> list[str]:
    """PRIM boxes of "S loses to the baseline" for every strategy that loses in some futures, not all."""
    from sim.experiments.discovery import box_figure, describe, find_box

    rows, lines = [], ["## When a strategy loses to the baseline (scenario discovery, PRIM)", ""]
    (folder / "figures").mkdir(exist_ok=True)
    for s in values.columns:
        if s == baseline:
            continue
        gap = values[s] - values[baseline]
        loses = (gap < 0 if higher else gap > 0).to_numpy()
        box = find_box(futures, loses)
        if box is None:
            verdict = "never" if not loses.any() else "always"
            lines.append(f"* **{s}** {verdict} loses to {baseline} in these futures: no box to find.")
            continue
        words = describe(box)
        fig = f"figures/prim_{s}.png"
        box_figure(box, f"{s} loses to {baseline} on {metric} ({box['cases']} of {box['n']} futures)", folder / fig)
        rows.append(
            {
                "strategy": s,
                "event": f"{s} loses to {baseline} on {metric}",
                "cases": box["cases"],
                "futures": box["n"],
                "coverage": box["coverage"],
                "density": box["density"],
                "mass": box["mass"],
                "box": words,
            }
        )
        if box["mass"] >= 0.8:
            words += " — nearly the whole space: it loses almost whatever the future"
        lines.append(
            f"* **{s}** loses to {baseline} in {box['cases']} of {box['n']} futures; mostly when {words} "
            f"(coverage {box['coverage']:.2f}, density {box['density']:.2f}, mass {box['mass']:.2f}). ![{s}]({fig})"
        )
    if rows:
        write_text_atomically(folder / "boxes.csv", pd.DataFrame(rows).to_csv(index=False))
    lines += [
        "",
        "Boxes by the EMA Workbench's PRIM (peeling, 5% per step); the box shown is, among the boxes of "
        "the peeling trajectory that restrict at most three uncertainties, the one with the most coverage "
        "and density at least 0.8, else the one with the highest coverage x density. *Coverage*: share of the "
        "losing futures inside the box; *density*: share of the futures in the box where the strategy loses; "
        "*mass*: share of all futures in the box. With a few dozen futures a box is a hint to test, not a "
        "finding. Table: `boxes.csv`.",
        "",
    ]
    return lines
