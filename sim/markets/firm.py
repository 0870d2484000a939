"""Firm: an actor of the customer and competitor markets (D1) — the focal firm and its rivals.

A firm holds its offer (D6) and budget, plans its spending each step, and books its accounts from the
per-firm totals that the customer kernel returns. It never loops over customers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from sim import kernels as K
from sim.scenario import FirmConfig

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Firm", "FIRM_COLUMNS"]

# what the DataCollector records for every firm every step (the timeseries columns)
FIRM_COLUMNS = (
    "customers", "acquired", "churned", "retention_rate", "market_share", "satisfaction", "trust", "loyalty",
    "revenue", "cost", "profit", "customer_equity",
    "churn_dissatisfaction", "churn_competition", "churn_own", "switched_to_rival", "lapsed",
    "acquired_from_rival", "referral_acquisitions", "won_back", "purchases", "revenue_returning",
    "gross_margin", "margin_returning", "cogs", "serve_cost", "acquisition_spend", "retention_spend",
    "recovery_cost", "complaints", "recoveries", "delighted", "bond_financial", "bond_social",
    "bond_structural", "positive_episodes", "positive_contacts", "negative_episodes", "negative_contacts",
    *(f"stage_{s}" for s in K.STAGES if s not in ("prospect", "lapsed")),
)


class Firm(mesa.Agent):
    """A firm in the market; ``index`` is its column in the customer arrays."""

    def __init__(self, model: mesa.Model, config: FirmConfig, index: int) -> None:
        super().__init__(model)
        self.config = config
        self.name = config.name
        self.index = index
        self.offer = config.offer.model_copy()
        for col in FIRM_COLUMNS:
            setattr(self, col, 0.0)
        self.customers_at_start = 0.0

    # ------------------------------------------------------------------ decisions
    def plan(self) -> None:
        """Set this step's spending. Fixed budgets here; strategies (levers) refine it."""
        self.customers_at_start = self.customers
        self.acquisition_spend = self.config.budget.acquisition
        self.retention_spend = self.config.budget.retention

    def care_per_customer(self) -> float:
        """After-sales care spend per customer this step (M14)."""
        return self.retention_spend / max(self.customers_at_start, 1.0)

    # ------------------------------------------------------------------ accounts
    def book(self, t: np.ndarray, wom: np.ndarray, population_size: int) -> None:
        """Record this step's totals ``t`` (one row of the kernel totals) and close the accounts.

        profit = revenue - (cost of goods + cost to serve + acquisition + retention + recovery), exactly.
        """
        cfg = self.config
        self.customers = t[K.T_CUSTOMERS]
        self.acquired = t[K.T_ACQUIRED]
        self.churn_dissatisfaction = t[K.T_CHURN_DIS]
        self.churn_competition = t[K.T_CHURN_COMP]
        self.churn_own = t[K.T_CHURN_OWN]
        self.churned = self.churn_dissatisfaction + self.churn_competition + self.churn_own
        self.retention_rate = 1.0 - self.churned / self.customers_at_start if self.customers_at_start else 1.0
        self.market_share = self.customers / population_size
        self.switched_to_rival = t[K.T_TO_RIVAL]
        self.lapsed = t[K.T_LAPSED]
        self.acquired_from_rival = t[K.T_FROM_RIVAL]
        self.referral_acquisitions = t[K.T_ACQ_REFERRAL]
        self.won_back = t[K.T_WON_BACK]
        self.purchases = t[K.T_PURCHASES]
        self.revenue = t[K.T_REVENUE]
        self.revenue_returning = t[K.T_REV_RETURNING]
        self.gross_margin = t[K.T_MARGIN]
        self.margin_returning = t[K.T_MARGIN_RETURNING]
        n = max(self.customers, 1.0)
        self.satisfaction = t[K.T_SAT] / n
        self.trust = t[K.T_TRUST] / n
        self.loyalty = t[K.T_LOYALTY] / n
        self.bond_financial = t[K.T_BOND_FIN] / n
        self.bond_social = t[K.T_BOND_SOC] / n
        self.bond_structural = t[K.T_BOND_STR] / n
        self.complaints = t[K.T_COMPLAINTS]
        self.recoveries = t[K.T_RECOVERIES]
        self.delighted = t[K.T_DELIGHTED]
        self.customer_equity = t[K.T_CLV]
        for s in K.STAGES:
            if s not in ("prospect", "lapsed"):
                setattr(self, f"stage_{s}", t[K.T_ST_PROSPECT + K.STAGES.index(s)])
        self.positive_episodes = wom[K.T_POS_EPISODES]
        self.positive_contacts = wom[K.T_POS_CONTACTS]
        self.negative_episodes = wom[K.T_NEG_EPISODES]
        self.negative_contacts = wom[K.T_NEG_CONTACTS]
        # money
        self.cogs = self.revenue * cfg.unit_cost
        self.serve_cost = t[K.T_SERVED] * cfg.cost_to_serve
        self.recovery_cost = self.recoveries * cfg.recovery_cost
        self.cost = (self.cogs + self.serve_cost + self.acquisition_spend + self.retention_spend
                     + self.recovery_cost)
        self.profit = self.revenue - self.cost
