"""Statistics of a comparison: means with 95% confidence intervals, paired differences against the
baseline (replication k of every strategy shares seed k: common random numbers), and a ranking.

Confidence intervals are Student-t intervals over replications (scipy.stats.t); a paired difference is
the mean of the per-replication differences with its own t interval, which is narrower than the
difference of two independent intervals when the strategies share their random numbers. Pairs use
the replications both strategies have (a sequential compare gives strategies different counts).
Return on relationship spend is a ratio of mean paired differences with a delta-method interval
(``ratios.return_on_spend``). Which strategy to pick, and how sure: ``sim.experiments.decision``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["per_run", "mean_ci", "compare_table", "rank"]


def per_run(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (strategy, replication) with the ``m_*`` metrics (from the firm's rows of the runs)."""
    cols = [c for c in df.columns if c.startswith("m_")]
    keep = ["strategy", "replication", "seed", "point", *[c for c in df.columns if c.startswith("param:")], *cols]
    runs = df[df["step"] == df["step"].max()][keep].drop_duplicates(["strategy", "replication"])
    return runs.rename(columns={c: c[2:] for c in cols}).reset_index(drop=True)


def half_width(x: np.ndarray, level: float = 0.95) -> float:
    """Half-width of the t-interval of the mean of ``x`` (finite values, at least two)."""
    return float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))


def mean_ci(x: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return np.nan, np.nan, np.nan
    m = float(x.mean())
    if x.size < 2:
        return m, np.nan, np.nan
    half = half_width(x, level)
    return m, m - half, m + half


def compare_table(runs: pd.DataFrame, baseline: str, metrics: list[str], order: list[str]) -> pd.DataFrame:
    """Rows: strategy x metric with n, mean, 95% CI, paired difference vs ``baseline`` and its 95% CI."""
    base = runs[runs["strategy"] == baseline].set_index("replication")
    rows = []
    for s in order:
        g = runs[runs["strategy"] == s].set_index("replication")
        for m in metrics:
            mean, lo, hi = mean_ci(g[m].to_numpy())
            common = g.index.intersection(base.index)
            note, ratio = "", m == "return_on_relationship_spend"
            if ratio:  # paired by replication: a ratio of mean differences
                mean, lo, hi, note = _return_on_spend(g, base, common, s == baseline)
                d = (np.nan, np.nan, np.nan)
            elif s == baseline:
                d = (np.nan, np.nan, np.nan)
            else:
                d = mean_ci((g.loc[common, m] - base.loc[common, m]).to_numpy())
            rows.append(
                {
                    "strategy": s,
                    "metric": m,
                    "n": int(len(common) if ratio else np.isfinite(g[m].to_numpy(dtype=float)).sum()),
                    "mean": mean,
                    "ci_low": lo,
                    "ci_high": hi,
                    "diff_vs_baseline": d[0],
                    "diff_ci_low": d[1],
                    "diff_ci_high": d[2],
                    "note": note,
                }
            )
    return pd.DataFrame(rows)


def _return_on_spend(
    g: pd.DataFrame, base: pd.DataFrame, common: pd.Index, is_baseline: bool
) -> tuple[float, float, float, str]:
    """Extra profit per unit of extra relationship spend against the baseline: mean(Δprofit) / mean(Δspend)
    over the paired replications, delta-method 95% interval; "n/a — no extra spend" when the extra spend's
    interval includes 0 (a ratio with a denominator inside the noise has no meaning)."""
    if is_baseline:
        return np.nan, np.nan, np.nan, "baseline"
    from sim.experiments.ratios import return_on_spend

    dp = (g.loc[common, "profit_total"] - base.loc[common, "profit_total"]).to_numpy(dtype=np.float64)
    spend = "relationship_spend_total"
    ds = (g.loc[common, spend] - base.loc[common, spend]).to_numpy(dtype=np.float64)
    return return_on_spend(dp, ds)


def rank(table: pd.DataFrame, metric: str = "profit_total") -> pd.DataFrame:
    """Strategies by mean ``metric`` (best first), with whether the paired difference is significant."""
    t = table[table["metric"] == metric].copy()
    t["significant"] = (t["diff_ci_low"] > 0) | (t["diff_ci_high"] < 0)
    t = t.sort_values("mean", ascending=False).reset_index(drop=True)
    t.insert(0, "rank", np.arange(1, len(t) + 1))
    return t[
        ["rank", "strategy", "mean", "ci_low", "ci_high", "diff_vs_baseline", "diff_ci_low", "diff_ci_high", "significant"]
    ]
