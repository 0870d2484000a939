"""Headline metrics of one run, computed from its own tables (never from parameters).

Used by ``summary.json`` of ``sim run`` and by the experiment layer. Definitions:
- retention_rate: 1 - churned / customers at the start of the step (per step);
  annual_retention = product of the last year's per-step rates.
- acquisition_cost: acquisition spend / customers acquired (F1, F2 compare it with the next one);
- retention_cost_per_customer_year: retention spend / customer-years served.
- returning_margin_share: share of gross margin from returning customers — with the firm for at least
  `dynamics.returning_after` steps (52: in their second year or later) (F3).
- top20_revenue_share: revenue share of the top 20% of the firm's final customers by revenue (F7).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.market.columns import MARKET_SPEND

__all__ = ["firm_headlines", "top_share", "market_summary"]

# what each market's state is measured by (start -> end of run) in summary.json
MARKET_STATE = {
    "customer": ("customers", "retention_rate", "loyalty", "bond_financial", "bond_social", "bond_structural"),
    "competitor": ("market_share", "in_alliance", "price"),
    "supplier": ("supplier_rung", "input_quality", "unit_cost_effective", "supply_disrupted"),
    "distributor": ("distributor_partnership", "distributor_reach", "exclusive"),
    "internal": ("employee_satisfaction", "staff_turnover", "service_quality"),
    "stakeholder": ("image", "consumer_campaign", "lockin", "cash"),
}


def top_share(values: np.ndarray, top: float = 0.2) -> float:
    """Share of the total carried by the largest ``top`` fraction of ``values`` (F7's 80/20)."""
    v = np.sort(np.asarray(values, dtype=np.float64))[::-1]
    if v.size == 0 or v.sum() <= 0:
        return float("nan")
    k = max(1, int(round(top * v.size)))
    return float(v[:k].sum() / v.sum())


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b else float("nan")


def firm_headlines(ts: pd.DataFrame, customers: pd.DataFrame, steps_per_year: float) -> dict[str, dict]:
    """Per-firm headline metrics from a run's timeseries and final customer snapshot."""
    out: dict[str, dict] = {}
    flows = ts[ts["step"] > 0]
    year = int(round(steps_per_year))
    for name, g in flows.groupby("firm", observed=True, sort=False):
        last = g.iloc[-1]
        tail = g.iloc[-year:]
        cust = customers[customers["firm"] == name]
        customer_steps = g["customers"].sum()
        out[str(name)] = {
            "customers_final": float(last["customers"]),
            "market_share_final": float(last["market_share"]),
            "retention_rate_mean": float(g["retention_rate"].mean()),
            "annual_retention": float(np.prod(tail["retention_rate"])) if len(tail) >= year else float("nan"),
            "acquired_total": float(g["acquired"].sum()),
            "churned_total": float(g["churned"].sum()),
            "revenue_total": float(g["revenue"].sum()),
            "cost_total": float(g["cost"].sum()),
            "profit_total": float(g["profit"].sum()),
            "customer_equity_final": float(last["customer_equity"]),
            "satisfaction_final": float(last["satisfaction"]),
            "trust_final": float(last["trust"]),
            "loyalty_final": float(last["loyalty"]),
            "acquisition_spend_total": float(g["acquisition_spend"].sum()),
            "retention_spend_total": float(g["retention_spend"].sum()),
            "acquisition_cost": _ratio(g["acquisition_spend"].sum(), g["acquired"].sum()),
            "retention_cost_per_customer_year": _ratio(g["retention_spend"].sum(), customer_steps / steps_per_year),
            "returning_margin_share": _ratio(g["margin_returning"].sum(), g["gross_margin"].sum()),
            "referral_share_of_acquisitions": _ratio(g["referral_acquisitions"].sum(), g["acquired"].sum()),
            "top20_revenue_share": top_share(cust["cumulative_revenue"].to_numpy()),
        }
    return out


def market_summary(ts: pd.DataFrame) -> dict[str, dict]:
    """Per firm and market (D1): total spend, its share of revenue, and the market's state at the start
    and end of the run. The return of a market's spend against a baseline is a paired comparison of
    two runs with the same seed (``sim compare``); one run can only show where the money went."""
    out: dict[str, dict] = {}
    for name, g in ts.groupby("firm", observed=True, sort=False):
        flows = g[g["step"] > 0]
        first, last = flows.iloc[0], flows.iloc[-1]
        revenue = float(flows["revenue"].sum())
        firm: dict[str, dict] = {}
        for market, cols in MARKET_SPEND.items():
            spend = float(sum(flows[c].sum() for c in cols))
            firm[market] = {
                "spend_total": spend,
                "spend_share_of_revenue": _ratio(spend, revenue),
                "state_start": {c: float(first[c]) for c in MARKET_STATE[market]},
                "state_end": {c: float(last[c]) for c in MARKET_STATE[market]},
            }
        out[str(name)] = firm
    return out
