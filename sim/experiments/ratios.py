"""A ratio of two paired means with its interval: the one statistic that both the lever-effects table
(``effects.py``) and the decision's return on spend (``decision.py``) need, kept on its own so neither
imports the other's floor-mates (no import cycle)."""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["ratio_ci"]


def ratio_ci(num: np.ndarray, den: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Ratio of means mean(num)/mean(den) with a delta-method interval over paired replications."""
    n = num.size
    r = float(num.mean() / den.mean()) if abs(den.mean()) > 1e-12 else np.nan
    if n < 2 or not np.isfinite(r):
        return r, np.nan, np.nan
    resid = num - r * den
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * resid.std(ddof=1) / np.sqrt(n) / abs(den.mean()))
    return r, r - half, r + half
