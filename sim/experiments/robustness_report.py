"""The robustness sections of a compare report (issue 18): regret table, satisficing, the robust choice
and PRIM boxes of the futures in which a strategy loses to the baseline or to the robust choice. Writes
``futures.csv``, ``regret.csv``, ``boxes.csv``, ``figures/prim_<strategy>.png`` (against the baseline) and
``figures/prim_<strategy>_vs_robust.png``; returns report.md lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiments.robustness import LOWER_IS_BETTER, Target, future_values, regret_table, satisficing
from sim.experiments.store import write_text_atomically
from sim.output.numbers import fmt as _fmt

__all__ = ["sections"]


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
    return lines + _discovery(folder, values, futures, table, baseline, metric, higher)


def _span(u: dict[str, Any]) -> str:
    if u.get("values") is not None:
        return " / ".join(map(str, u["values"]))
    return f"{u['low']:g} to {u['high']:g}"


def _discovery(
    folder: Path, values: pd.DataFrame, futures: pd.DataFrame, table: pd.DataFrame, baseline: str, metric: str, higher: bool
) -> list[str]:
    """PRIM boxes of "S loses to the baseline" for every strategy, then of "S loses to the robust choice"
    for the others in the order of the regret table (runner-up first); boxes.csv holds both kinds."""
    robust = str(table["strategy"].iloc[0])
    (folder / "figures").mkdir(exist_ok=True)
    rows: list[dict[str, Any]] = []
    lines = ["## When a strategy loses to the baseline (scenario discovery, PRIM)", ""]
    others = [s for s in values.columns if s != baseline]
    lines += _boxes(folder, values, futures, others, baseline, "", metric, higher, rows)
    lines += ["", f"## When a strategy loses to the robust choice, {robust} (scenario discovery, PRIM)", ""]
    if robust == baseline:
        lines.append(
            "The robust choice is the baseline: the boxes above are the futures in which each strategy loses to it."
        )
    else:
        runners = [s for s in table["strategy"] if s != robust]
        lines += _boxes(folder, values, futures, runners, robust, "_vs_robust", metric, higher, rows)
    if rows:
        write_text_atomically(folder / "boxes.csv", pd.DataFrame(rows).to_csv(index=False))
    else:
        (folder / "boxes.csv").unlink(missing_ok=True)
    lines += [
        "",
        "Boxes by the EMA Workbench's PRIM (peeling, 5% per step); the box shown is, among the boxes of "
        "the peeling trajectory that restrict at most three uncertainties, the one with the most coverage "
        "and density at least 0.8, else the one with the highest coverage x density. *Coverage*: share of the "
        "losing futures inside the box; *density*: share of the futures in the box where the strategy loses; "
        "*mass*: share of all futures in the box. A strategy that loses in no future, or in every one, has no "
        "box. With a few dozen futures a box is a hint to test, not a finding. Table: `boxes.csv` (column "
        "`against`: the baseline or the robust choice).",
        "",
    ]
    return lines


def _boxes(
    folder: Path,
    values: pd.DataFrame,
    futures: pd.DataFrame,
    strategies: list[str],
    against: str,
    suffix: str,
    metric: str,
    higher: bool,
    rows: list[dict[str, Any]],
) -> list[str]:
    """One line per strategy: the PRIM box of the futures in which it loses to ``against`` (strictly worse
    on ``metric``), or a plain "no case"; a figure ``figures/prim_<strategy><suffix>.png`` per box."""
    from sim.experiments.discovery import box_figure, describe, find_box

    lines = []
    for s in strategies:
        gap = values[s] - values[against]
        loses = (gap < 0 if higher else gap > 0).to_numpy()
        n = len(loses)
        box = find_box(futures, loses)
        if box is None:
            if loses.any():
                lines.append(f"* **{s}** loses to {against} in every one of the {n} futures (it never beats it): no box.")
            else:
                lines.append(f"* **{s}** never loses to {against} in these {n} futures: no case, no box.")
            continue
        words = describe(box)
        fig = f"figures/prim_{s}{suffix}.png"
        event = f"{s} loses to {against} on {metric}"
        box_figure(box, f"{event} ({box['cases']} of {box['n']} futures)", folder / fig)
        rows.append(
            {
                "strategy": s,
                "against": against,
                "event": event,
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
            f"* **{s}** loses to {against} in {box['cases']} of {box['n']} futures; mostly when {words} "
            f"(coverage {box['coverage']:.2f}, density {box['density']:.2f}, mass {box['mass']:.2f}). ![{s}]({fig})"
        )
    return lines
