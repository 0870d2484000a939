"""Run-level metrics of every firm in one run (stored in each run file as ``m_<metric>`` columns).

Definitions (``sim.output.headlines`` has the single-run headlines they build on):
- annual_retention: product of the last year's per-step retention rates;
- churn_rate: customers lost per customer-year over the run;
- profit_per_period: mean profit per step; relationship_spend_total: retention (after-sales care) +
  recovery + every lever's spend;
- return_on_relationship_spend: NaN in a run file; the comparison (``stats.compare_table``) fills it in
  per strategy as a ratio of mean paired differences against the baseline, mean(Δprofit) /
  mean(Δrelationship spend), with a delta-method interval, or "n/a — no extra spend" when the extra
  spend is within noise (``ratios.return_on_spend``) — not a mean of per-run ratios, whose near-zero
  denominators gave meaningless values (issue 18).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.output.headlines import firm_headlines

__all__ = ["run_metrics"]


def run_metrics(ts: pd.DataFrame, customers: pd.DataFrame, steps_per_year: float) -> dict[str, dict[str, float]]:
    heads = firm_headlines(ts, customers, steps_per_year)
    flows = ts[ts["step"] > 0]
    out: dict[str, dict[str, float]] = {}
    for name, g in flows.groupby("firm", observed=True, sort=False):
        h = heads[str(name)]
        customer_years = g["customers"].sum() / steps_per_year
        rel = g["retention_spend"].sum() + g["recovery_cost"].sum() + g["relationship_spend"].sum()
        out[str(name)] = {
            "annual_retention": h["annual_retention"],
            "churn_rate": float(g["churned"].sum() / customer_years) if customer_years else np.nan,
            "customers_final": h["customers_final"],
            "market_share_final": h["market_share_final"],
            "satisfaction_final": h["satisfaction_final"],
            "loyalty_final": h["loyalty_final"],
            "profit_total": h["profit_total"],
            "profit_per_period": float(g["profit"].mean()),
            "customer_equity_final": h["customer_equity_final"],
            "acquisition_spend_total": h["acquisition_spend_total"],
            "retention_spend_total": h["retention_spend_total"],
            "relationship_spend_total": float(rel),
            "return_on_relationship_spend": np.nan,
            "returning_margin_share": h["returning_margin_share"],
            "top20_revenue_share": h["top20_revenue_share"],
        }
    return out
