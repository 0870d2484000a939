"""Notes of a compare report on strategies whose numbers need explaining, found in the data (never by a
strategy's name)."""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.output import glossary as G

__all__ = ["pruning_notes", "EARLY_WEEKS", "EARLY_PRUNED"]

EARLY_WEEKS = 4  # "the first weeks" of the early-pruning note
EARLY_PRUNED = 0.02  # ... a note when the firm ended more than this share of its customers in them


def pruning_notes(ctx: Any) -> list[str]:
    """Strategies whose numbers need explaining, found in the data (not by name): relationships the firm
    ended in the first weeks (pruning unprofitable customers) lower retention while profit may rise.
    ``ctx`` is the report's ``ReportContext`` (not imported here: report.py imports this module)."""
    df = ctx.df
    if "ended_by_firm" not in df.columns:
        return []
    start = df[df["step"] == 0].groupby("strategy")["customers"].mean()
    early = df[(df["step"] > 0) & (df["step"] <= EARLY_WEEKS)]
    ended = early.groupby(["strategy", "replication"])["ended_by_firm"].sum().groupby("strategy").mean()
    share = (ended / start).dropna()
    out = []
    for s, v in share.items():
        if v <= EARLY_PRUNED:
            continue
        wk = df[(df["strategy"] == s) & (df["step"] > 0) & (df["step"] <= EARLY_WEEKS)]
        peak = int(wk.groupby("step")["ended_by_firm"].mean().idxmax())
        ret = ctx.table[(ctx.table["strategy"] == s) & (ctx.table["metric"] == "annual_retention")]
        tail = ""
        if len(ret) and np.isfinite(ret.iloc[0]["diff_vs_baseline"]):
            tail = (
                f" Its annual retention differs from the baseline by {ret.iloc[0]['diff_vs_baseline'] * 100:+.1f} "
                "points partly for that reason: the customers it let go count as lost, although ending them "
                "was the strategy's choice."
            )
        out.append(
            f"- **{s}**: the firm itself ended {v:.0%} of its starting relationships in the first {EARLY_WEEKS} "
            f"{G.step_name(ctx.steps_per_year)}s (most in {G.step_name(ctx.steps_per_year)} {peak}): unprofitable "
            f"customers let go (column `ended_by_firm`).{tail}"
        )
    return ["## Notes", "", *out, ""] if out else []
