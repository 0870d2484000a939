"""Selection of the best strategy (issue 18): which strategy to pick, how sure that is, and which
strategies the replications cannot separate.

All comparisons are paired by replication (replication k of every strategy runs on seed k: common random
numbers). Strategies may have different numbers of replications (sequential compares stop replicating the
ones that are clearly worse), so every pair is compared over the replications the two have in common.

- **MCB** (Hsu's multiple comparisons with the best; Hsu 1996, *Multiple Comparisons*, ch. 4): for each
  strategy i an interval for mu_i - max_{j != i} mu_j, larger is better:
  ``[min(0, min_j(d_ij - w_ij)), max(0, min_j(d_ij + w_ij))]`` with d_ij the mean paired difference and
  ``w_ij = t(1 - alpha/(k-1), n_ij - 1) * s_ij / sqrt(n_ij)``. The critical value is Bonferroni's over the
  k-1 comparisons with the best, the form Nelson & Matejcik (1995, *Management Science* 41(12)) give for
  paired (common-random-number) simulation output; it is conservative against the exact multivariate-t
  value. An upper end of 0 means "not the best"; a lower end of 0 means "the best".
- **Against the baseline**: paired t-tests with Holm's step-down adjustment of the p-values (strong
  family-wise error control at ``1 - level``) and Bonferroni-simultaneous intervals (which contain every
  difference Holm calls significant, so interval and verdict never disagree in the cautious direction).
- **Probability of being best**: a Bayesian bootstrap (Rubin 1981) over replication indices: each draw
  weighs the replications by Dirichlet(1, ..., 1) weights, the *same* weights for every strategy (so the
  pairing is kept), and the strategy with the highest weighted mean wins that draw. It needs no normality,
  is the posterior of the means under a non-parametric model, and carries whatever varies between
  replications — with parameter draws per replication, the parameter uncertainty too. With few
  replications it is optimistic (it cannot see variation the replications did not show).
- **Groups** (ranking that does not over-claim): group 1 = the strategies MCB cannot rule out as best
  (upper end > 0). The rest, by mean, best first: a strategy joins the current group unless its
  Holm-adjusted paired test (family: all pairs) against the group's first member is significant, in which
  case it opens the next group. Comparing with the group's first member, not the neighbour, avoids chains
  (A~B, B~C, A≠C in one group).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.experiments.ratios import return_on_spend  # noqa: F401  (re-exported: part of the decision's API)
from sim.experiments.stats import mean_ci

__all__ = [
    "holm",
    "matrix",
    "mcb",
    "prob_best",
    "versus",
    "groups",
    "return_on_spend",
    "decide",
    "STOP_FIXED",
    "BOOTSTRAP_DRAWS",
]

STOP_FIXED = "fixed replications"
BOOTSTRAP_DRAWS = 4000
BOOTSTRAP_SEED = 18  # fixed: the decision is a function of the runs alone (same on every backend)


def holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (Holm 1979): sort ascending, multiply the i-th smallest by
    (m - i), take the running maximum, cap at 1. NaN p-values are left out of the family."""
    p = np.asarray(p, dtype=np.float64)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = ok.size
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out[order] = np.minimum(adj, 1.0)
    return out


def matrix(runs: pd.DataFrame, metric: str, order: list[str]) -> np.ndarray:
    """Strategies x replication indices of ``metric`` (NaN where a strategy has no such replication)."""
    reps = int(runs["replication"].max()) + 1 if len(runs) else 0
    v = np.full((len(order), reps), np.nan)
    for i, s in enumerate(order):
        g = runs[runs["strategy"] == s]
        v[i, g["replication"].to_numpy(dtype=int)] = g[metric].to_numpy(dtype=np.float64)
    return v


def _pair(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The paired differences a - b over the replications both have."""
    both = np.isfinite(a) & np.isfinite(b)
    return a[both] - b[both]


def _diff_stats(d: np.ndarray) -> tuple[float, float, int]:
    n = d.size
    return (float(d.mean()) if n else np.nan), (float(d.std(ddof=1)) if n > 1 else np.nan), n


def mcb(v: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Hsu's constrained MCB intervals (larger is better) for mu_i - max_{j != i} mu_j, paired by
    replication, Bonferroni critical value over the k-1 comparisons. Returns (low, high)."""
    k = v.shape[0]
    low, high = np.zeros(k), np.zeros(k)
    if k < 2:
        return low, high + np.inf
    alpha = 1.0 - level
    for i in range(k):
        lo_terms, hi_terms = [], []
        for j in range(k):
            if j == i:
                continue
            m, s, n = _diff_stats(_pair(v[i], v[j]))
            w = stats.t.ppf(1.0 - alpha / (k - 1), n - 1) * s / np.sqrt(n) if n > 1 and s > 0 else np.inf
            if n > 1 and s == 0:
                w = 0.0
            lo_terms.append(m - w if np.isfinite(m) else -np.inf)
            hi_terms.append(m + w if np.isfinite(m) else np.inf)
        low[i] = min(0.0, min(lo_terms))
        high[i] = max(0.0, min(hi_terms))
    return low, high


def prob_best(v: np.ndarray, draws: int = BOOTSTRAP_DRAWS, seed: int = BOOTSTRAP_SEED) -> np.ndarray:
    """Each strategy's share of Bayesian-bootstrap draws (shared Dirichlet weights over replication
    indices) in which its weighted mean is the highest."""
    k = v.shape[0]
    if k == 1:
        return np.ones(1)
    have = np.isfinite(v)
    w = np.random.default_rng(seed).dirichlet(np.ones(v.shape[1]), size=draws)
    num = w @ np.where(have, v, 0.0).T
    den = w @ have.T.astype(np.float64)
    means = np.where(den > 0, num / np.where(den > 0, den, 1.0), -np.inf)
    wins = np.bincount(np.argmax(means, axis=1), minlength=k)
    return wins / draws


def versus(v: np.ndarray, base: int, level: float = 0.95) -> pd.DataFrame:
    """Paired differences of every row against row ``base``: mean, Holm-adjusted p-value (paired
    t-test, family = the other rows) and the Bonferroni-simultaneous interval."""
    k = v.shape[0]
    rows = []
    for i in range(k):
        d = _pair(v[i], v[base])
        m, s, n = _diff_stats(d)
        p = _p_value(d) if i != base else np.nan
        rows.append({"n_pairs": n, "diff": m if i != base else np.nan, "p": p, "sd": s})
    t = pd.DataFrame(rows)
    t["p_holm"] = holm(t["p"].to_numpy())
    fam = max(int(np.isfinite(t["p"]).sum()), 1)
    crit = np.array([stats.t.ppf(1 - (1 - level) / (2 * fam), n - 1) if n > 1 else np.nan for n in t["n_pairs"]])
    half = crit * t["sd"].to_numpy() / np.sqrt(t["n_pairs"].clip(lower=1).to_numpy())
    t["adj_ci_low"], t["adj_ci_high"] = t["diff"] - half, t["diff"] + half
    return t.drop(columns=["sd"])


def _p_value(d: np.ndarray) -> float:
    """Two-sided paired t-test p-value of the differences ``d`` (NaN with fewer than 2; with no spread,
    0 for a non-zero difference and 1 for none)."""
    _, s, n = _diff_stats(d)
    if n < 2:
        return np.nan
    if s == 0:
        return 0.0 if d[0] != 0 else 1.0
    return float(stats.ttest_1samp(d, 0.0).pvalue)


def _pairwise_holm(v: np.ndarray) -> np.ndarray:
    """Holm-adjusted p-values of the paired t-tests of all pairs (a symmetric matrix, NaN diagonal)."""
    k = v.shape[0]
    pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
    raw = []
    for i, j in pairs:
        d = _pair(v[i], v[j])
        raw.append(_p_value(d))
    adj = holm(np.array(raw))
    out = np.full((k, k), np.nan)
    for (i, j), p in zip(pairs, adj, strict=True):
        out[i, j] = out[j, i] = p
    return out


def groups(v: np.ndarray, high: np.ndarray, level: float = 0.95) -> np.ndarray:
    """Group number per row (1 = cannot be ruled out as best, by MCB); see the module docstring."""
    k = v.shape[0]
    means = np.nanmean(v, axis=1)
    g = np.zeros(k, dtype=int)
    top = high > 0
    g[top] = 1
    rest = [i for i in np.argsort(-means, kind="stable") if not top[i]]
    if not rest:
        return g
    p = _pairwise_holm(v)
    current, leader = 2 if top.any() else 1, rest[0]
    for i in rest:
        if i != leader and np.isfinite(p[i, leader]) and p[i, leader] < 1 - level:
            current, leader = current + 1, i
        g[i] = current
    return g


def _stop_info(folder: Path | None) -> dict[str, Any]:
    """How the replications were decided: ``sequential.json`` of a sequential compare, else fixed."""
    if folder is not None and (folder / "sequential.json").exists():
        return json.loads((folder / "sequential.json").read_text())
    return {"stopped": STOP_FIXED}


def decide(
    runs: pd.DataFrame,
    order: list[str],
    baseline: str,
    metric: str = "profit_total",
    level: float = 0.95,
    folder: Path | None = None,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """The decision (a JSON-able dict) and a per-strategy table (strategy, n, mean, prob_best, group,
    mcb_low, mcb_high, diff vs baseline with Holm p and simultaneous interval), best first."""
    order = [s for s in order if s in set(runs["strategy"])]
    v = matrix(runs, metric, order)
    means = np.nanmean(v, axis=1)
    low, high = mcb(v, level)
    pb = prob_best(v)
    grp = groups(v, high, level)
    vs = versus(v, order.index(baseline), level) if baseline in order else None
    t = pd.DataFrame(
        {
            "strategy": order,
            "n": np.isfinite(v).sum(axis=1),
            "mean": means,
            "prob_best": pb,
            "group": grp,
            "mcb_low": low,
            "mcb_high": high,
        }
    )
    if vs is not None:
        t = pd.concat([t, vs[["p_holm", "adj_ci_low", "adj_ci_high"]]], axis=1)
    t = t.sort_values(["group", "mean"], ascending=[True, False], kind="stable").reset_index(drop=True)
    best, second = t.iloc[0], (t.iloc[1] if len(t) > 1 else None)
    ib = order.index(best["strategy"])

    def gap(j: int) -> dict[str, float]:
        d = _pair(v[ib], v[j])
        m, lo, hi = mean_ci(d, level)
        return {"mean": m, "ci_low": lo, "ci_high": hi, "n_pairs": int(d.size)}

    tied = t.loc[t["group"] == 1, "strategy"].tolist()
    info = _stop_info(folder)
    decision = {
        "metric": metric,
        "unit": "currency" if "profit" in metric or "spend" in metric or "equity" in metric else "",
        "level": level,
        "best": best["strategy"],
        "prob_best": float(best["prob_best"]),
        "mcb_best": [float(best["mcb_low"]), float(best["mcb_high"])],
        "best_declared": bool(best["mcb_low"] >= 0 and len(tied) == 1),
        "runner_up": None if second is None else second["strategy"],
        "gap_to_runner_up": None if second is None else gap(order.index(second["strategy"])),
        "baseline": baseline,
        "gap_to_baseline": gap(order.index(baseline)) if baseline in order and baseline != best["strategy"] else None,
        "tied_for_best": tied,
        "groups": [t.loc[t["group"] == g, "strategy"].tolist() for g in sorted(set(t["group"]))],
        "runs_per_strategy": {s: int(n) for s, n in zip(order, np.isfinite(v).sum(axis=1), strict=True)},
        "runs_total": int(np.isfinite(v).sum()),
        "stopped": info.get("stopped", STOP_FIXED),
        "sequential": {k: x for k, x in info.items() if k not in ("stopped", "keys", "best")} or None,
        "methods": {
            "mcb": "Hsu's constrained MCB, paired by replication, Bonferroni critical value over k-1 comparisons",
            "prob_best": f"Bayesian bootstrap over replication indices ({BOOTSTRAP_DRAWS} draws, shared weights)",
            "versus_baseline": "paired t-tests, Holm-adjusted p; Bonferroni-simultaneous intervals",
            "groups": "group 1: MCB cannot rule out as best; then a new group when the Holm-adjusted "
            "paired test (all pairs) against the group's first member is significant",
        },
    }
    return _clean(decision), t


def _clean(x: Any) -> Any:
    """JSON-safe: numpy scalars to Python, NaN and infinities to None."""
    if isinstance(x, dict):
        return {k: _clean(y) for k, y in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(y) for y in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not np.isfinite(x):
        return None
    return x
