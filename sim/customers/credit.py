"""Credit grades on the customer arrays (F9): every person's payment behaviour, drawn once, and the counts per grade."""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.scenario import Scenario
from sim.scenario.credit import GRADES, grade_of

__all__ = ["draw_credit", "credit_counts"]


def draw_credit(pop: Any, sc: Scenario, rng: np.random.Generator) -> None:
    """F9: every person's payment behaviour (collection rate ~ Beta, days to pay ~ lognormal, 1-365) and the
    grade it gives (``sim.scenario.credit.grade_of``), into the population's columns."""
    cr, n = sc.credit, pop.n
    k = cr.collection_concentration
    a, b = cr.collection_mean * k, (1.0 - cr.collection_mean) * k
    pop.collection_rate[:] = rng.beta(a, b, size=n)
    days = np.rint(cr.term_median_days * np.exp(cr.term_sigma * rng.standard_normal(n)))
    pop.payment_term[:] = np.clip(days, 1, 365)
    pop.credit_grade[:] = grade_of(pop.collection_rate, pop.payment_term)


def credit_counts(pop: Any, n_firms: int) -> np.ndarray:
    """``[n_firms, 4]``: each firm's customers by credit grade A..D (F9)."""
    cust = pop.firm >= 0
    idx = pop.firm[cust].astype(np.int64) * len(GRADES) + pop.credit_grade[cust]
    return np.bincount(idx, minlength=n_firms * len(GRADES)).reshape(n_firms, len(GRADES)).astype(np.float64)
