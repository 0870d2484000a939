"""A ratio of two paired means with its interval, and the return on relationship spend built on it: what the
lever-effects table (``effects.py``), the comparison table (``stats.py``) and the decision (``decision.py``)
need, kept on its own so that none of them imports another's floor-mates (no import cycle)."""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["ratio_ci", "return_on_spend"]


def ratio_ci(num: np.ndarray, den: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Ratio of means mean(num)/mean(den) with a delta-method interval over paired replications."""
    n = num.size
    r = float(num.mean() / den.mean()) if abs(den.mean()) > 1e-12 else np.nan
    if n < 2 or not np.isfinite(r):
        return r, np.nan, np.nan
    resid = num - r * den
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * resid.std(ddof=1) / np.sqrt(n) / abs(den.mean()))
    return r, r - half, r + half


def return_on_spend(dprofit: np.ndarray, dspend: np.ndarray, level: float = 0.95) -> tuple[float, float, float, str]:
    """Return on relationship spend as a ratio of mean paired differences, mean(Δprofit) / mean(Δspend),
    with a delta-method interval (``ratios.ratio_ci``). "n/a — no extra spend" when the extra spend is
    within noise: its own interval includes 0, or it is smaller than the half-width of the profit
    difference's interval (a spend the profit comparison cannot resolve explains none of the profit
    difference; e.g. a supplier squeeze that moves spend by 0.04% of its profit effect)."""
    dprofit, dspend = np.asarray(dprofit, dtype=np.float64), np.asarray(dspend, dtype=np.float64)
    n = dspend.size
    if n == 0:
        return np.nan, np.nan, np.nan, "n/a"
    m = float(dspend.mean())
    if n > 1:
        t = float(stats.t.ppf(0.5 + level / 2, n - 1)) / np.sqrt(n)
        noisy = abs(m) <= t * dspend.std(ddof=1) or abs(m) < t * dprofit.std(ddof=1)
    else:
        noisy = abs(m) < 1e-9
    if noisy:
        return np.nan, np.nan, np.nan, "n/a — no extra spend"
    r, lo, hi = ratio_ci(dprofit, dspend, level)
    return r, lo, hi, ""
