"""The decision that leads a compare report (issue 18): best strategy, how sure, runner-up, gap, ties;
``decision.json`` and the ``prob_best`` / ``group`` columns of ``ranking.csv``. The statistics are in
``sim.experiments.decision``; this module only writes them down."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.decision import decide
from sim.experiments.store import write_text_atomically

__all__ = ["lead", "METRIC"]

METRIC = "profit_total"  # the metric the decision is made on (the ranking's)


def _money(x: float | None, unit: str) -> str:
    if x is None or not np.isfinite(x):
        return "–"
    return f"{x:+,.0f} {unit}".strip() if abs(x) >= 1000 else f"{x:+.4g} {unit}".strip()


def _gap(g: dict[str, Any] | None, unit: str) -> str:
    if not g:
        return "–"
    return f"{_money(g['mean'], unit)} [95% CI {_money(g['ci_low'], '')}, {_money(g['ci_high'], '')}]"


def _horizon(steps: int, steps_per_year: float) -> str:
    from sim.output import glossary

    return f"{steps} {glossary.step_name(steps_per_year)}s ({steps / steps_per_year:.1f} years)"


def lead(
    folder: Path, runs: pd.DataFrame, order: list[str], meta: dict[str, Any], ranking: pd.DataFrame, steps: int
) -> tuple[pd.DataFrame, list[str]]:
    """Decide, write ``decision.json``, and return the ranking with ``prob_best``, ``group`` (and the MCB
    and Holm columns) and the markdown lines that open the report."""
    baseline = meta["baseline"]
    d, t = decide(runs, order, baseline, METRIC, folder=folder)
    d["horizon_weeks"] = steps
    from sim.output import glossary

    d["unit"] = glossary.unit(METRIC, meta.get("currency"), float(meta.get("steps_per_year") or 52.0)) or d["unit"]
    write_text_atomically(folder / "decision.json", json.dumps(d, indent=2) + "\n")
    cols = ["strategy", "prob_best", "group", "mcb_low", "mcb_high", "p_holm", "adj_ci_low", "adj_ci_high"]
    ranking = ranking.merge(t[[c for c in cols if c in t.columns]], on="strategy", how="left")
    return ranking, _lines(d, t, steps, float(meta.get("steps_per_year") or 52.0))


def _lines(d: dict[str, Any], t: pd.DataFrame, steps: int, steps_per_year: float) -> list[str]:
    unit, best = d["unit"], d["best"]
    tied = d["tied_for_best"]
    metric = d["metric"].replace("_", " ")
    sure = f"probability of being best {d['prob_best']:.0%}"
    if d["best_declared"]:
        verdict = f"MCB at {d['level']:.0%} declares it the best (every other strategy is below it)"
    elif len(tied) > 1:
        others = ", ".join(s for s in tied if s != best)
        verdict = f"MCB at {d['level']:.0%} cannot separate it from {others} (tied for best)"
    else:
        verdict = f"MCB at {d['level']:.0%} cannot rule out that another strategy is as good"
    over = _horizon(steps, steps_per_year)
    text = f"**Decision: {best}** has the highest {metric} of the focal firm over {over} ({sure}; {verdict}). "
    if d["runner_up"]:
        text += f"It beats the runner-up, {d['runner_up']}, by {_gap(d['gap_to_runner_up'], unit)}"
    if d["gap_to_baseline"]:
        text += f", and the baseline ({d['baseline']}) by {_gap(d['gap_to_baseline'], unit)}"
    elif d["best"] == d["baseline"]:
        text += "; the best is the baseline itself: no strategy beats it"
    text += " (paired by replication)."
    runs = d["runs_per_strategy"]
    lo, hi = min(runs.values()), max(runs.values())
    why = d["stopped"]
    seq = d.get("sequential") or {}
    if why != "fixed replications":
        target = (
            f"probability of correct selection {seq.get('confidence')} with an indifference zone of "
            f"{_money(seq.get('indifference'), unit)}"
            if seq.get("mode") == "confidence"
            else f"95% half-widths at most {seq.get('precision')} x the baseline's mean"
        )
        how = (
            f"Replications were added in rounds (target: {target}; at most {seq.get('max_replications')} "
            f"per strategy) and the comparison stopped because: **{why}**. "
        )
    else:
        how = "The number of replications was fixed (**fixed replications**). "
    groups = "; ".join(f"group {i + 1}: {', '.join(g)}" for i, g in enumerate(d["groups"]))
    lines = [
        "## Decision",
        "",
        text,
        "",
        how + f"Runs used: {d['runs_total']} ({lo}" + (f"–{hi}" if hi != lo else "") + " per strategy; "
        f"a fixed 30 replications would be {30 * len(runs)} runs).",
        "",
        f"Strategies the replications cannot separate are grouped ({groups}).",
        "",
        "| strategy | group | P(best) | mean | MCB interval (vs best of the others) | runs | Δ vs baseline, Holm p |",
        "|---|---|---|---|---|---|---|",
    ]
    for _, r in t.iterrows():
        p = r.get("p_holm", np.nan)
        lines.append(
            f"| {r['strategy']} | {r['group']} | {r['prob_best']:.2f} | {_money(r['mean'], '').lstrip('+')} | "
            f"[{_money(r['mcb_low'], '')}, {_money(r['mcb_high'], '')}] | {r['n']} | "
            + ("baseline" if r["strategy"] == d["baseline"] else f"{p:.3g}" if np.isfinite(p) else "–")
            + " |"
        )
    lines += [
        "",
        "How this is decided: MCB = Hsu's multiple comparisons with the best, paired by replication, "
        "Bonferroni critical value (an interval ending at 0 rules the strategy out as best); P(best) = share "
        "of Bayesian-bootstrap draws over replications (the same weights for every strategy) in which the "
        "strategy has the highest mean; group 1 = cannot be ruled out as best, later groups open when the "
        "Holm-adjusted paired test against the group's first member is significant; differences against the "
        "baseline: paired t-tests with Holm's adjustment. `decision.json` holds all of it.",
        "",
    ]
    return lines
