"""Statistics of a comparison: means with 95% confidence intervals, paired differences against the
baseline (replication k of every strategy shares seed k: common random numbers), and a ranking.

Confidence intervals are Student-t intervals over replications (scipy.stats.t); a paired difference is
the mean of the per-replication differences with its own t interval, which is narrower than the
difference of two independent intervals when the strategies share their random numbers.
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


def mean_ci(x: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return np.nan, np.nan, np.nan
    m = float(x.mean())
    if x.size < 2:
        return m, np.nan, np.nan
    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    return m, m - half, m + half


def compare_table(runs: pd.DataFrame, baseline: str, metrics: list[str], order: list[str]) -> pd.DataFrame:
    """Rows: strategy x metric with n, mean, 95% CI, paired difference vs ``baseline`` and its 95% CI."""
    runs = runs.copy()
    base = runs[runs["strategy"] == baseline].set_index("replication")
    # return on relationship spend: extra profit per extra relationship spend, paired by replication
    ror = []
    for _, r in runs.iterrows():
        b = base.loc[r["replication"]] if r["replication"] in base.index else None
        extra = np.nan if b is None else r["relationship_spend_total"] - b["relationship_spend_total"]
        ror.append(
            np.nan
            if b is None or r["strategy"] == baseline or abs(extra) < 1e-9
            else (r["profit_total"] - b["profit_total"]) / extra
        )
    runs["return_on_relationship_spend"] = ror
    base = runs[runs["strategy"] == baseline].set_index("replication")
    rows = []
    for s in order:
        g = runs[runs["strategy"] == s].set_index("replication")
        for m in metrics:
            mean, lo, hi = mean_ci(g[m].to_numpy())
            common = g.index.intersection(base.index)
            if s == baseline or m == "return_on_relationship_spend":
                d = (np.nan, np.nan, np.nan)
            else:
                d = mean_ci((g.loc[common, m] - base.loc[common, m]).to_numpy())
            rows.append(
                {
                    "strategy": s,
                    "metric": m,
                    "n": int(np.isfinite(g[m].to_numpy(dtype=float)).sum()),
                    "mean": mean,
                    "ci_low": lo,
                    "ci_high": hi,
                    "diff_vs_baseline": d[0],
                    "diff_ci_low": d[1],
                    "diff_ci_high": d[2],
                }
            )
    return pd.DataFrame(rows)


def rank(table: pd.DataFrame, metric: str = "profit_total") -> pd.DataFrame:
    """Strategies by mean ``metric`` (best first), with whether the paired difference is significant."""
    t = table[table["metric"] == metric].copy()
    t["significant"] = (t["diff_ci_low"] > 0) | (t["diff_ci_high"] < 0)
    t = t.sort_values("mean", ascending=False).reset_index(drop=True)
    t.insert(0, "rank", np.arange(1, len(t) + 1))
    return t[
        ["rank", "strategy", "mean", "ci_low", "ci_high", "diff_vs_baseline", "diff_ci_low", "diff_ci_high", "significant"]
    ]
