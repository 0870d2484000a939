"""Special configurations of the real engine whose answers are known in closed form (issue: validation).

Each function builds a scenario that switches every mechanism off except the one under test, runs
``RelationshipMarket`` (the same numba kernel as every other run) and returns what the engine measured.
Implemented so far: constant-retention CLV (Gupta & Lehmann 2003) and shifted-beta-geometric churn
(Fader & Hardie 2007). Still to come: Bass docking, BG/NBD, the documents' figures, ``sim validate``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import optimize, special

__all__ = ["cohort_overrides", "clv_constant_retention", "clv_closed_form", "sbg_survival",
           "sbg_survival_closed_form", "sbg_fit"]


def cohort_overrides(n_customers: int, periods: int, margin: float = 1.0) -> dict[str, Any]:
    """One firm, everybody its customer at t = 0, no acquisition, no word of mouth, no churn but the
    customer's own circumstances, and exactly ``margin`` earned per period survived."""
    return {
        "population.size": n_customers, "steps": periods, "population.wallet_sigma": 0.0,
        "population.segments": [{"name": "all", "share": 1.0, "basket": margin, "purchase_rate": 1.0}],
        "firms": [{"name": "focal", "initial_share": 1.0, "unit_cost": 0.0, "cost_to_serve": 0.0,
                   "budget": {"acquisition": 0.0, "retention": 0.0}}],
        "network.kind": "none",
        "dynamics.share_of_wallet_floor": 1.0, "dynamics.loyalty_frequency": 0.0,
        "dynamics.churn.dissatisfaction": 0.0, "dynamics.churn.competition": 0.0,
        "dynamics.wom.referral_conversion": 0.0, "dynamics.wom.referral_pull": 0.0,
        "dynamics.wom.positive_probability": 0.0, "dynamics.complaints.probability": 0.0,
        "dynamics.acquisition.spontaneous": 0.0, "dynamics.acquisition.conversion": 0.0,
    }


def _run(overrides: dict[str, Any], seed: int):
    from sim.model import RelationshipMarket

    model = RelationshipMarket(None, rng=seed, overrides=overrides)
    model.run()
    return model.timeseries()


def clv_closed_form(margin: float, retention: float, discount: float, periods: int | None = None) -> float:
    """m r / (1 + i - r) (Gupta & Lehmann 2003); truncated after ``periods`` if given."""
    x = retention / (1.0 + discount)
    if periods is None:
        return margin * retention / (1.0 + discount - retention)
    return margin * x * (1.0 - x**periods) / (1.0 - x)


def clv_constant_retention(margin: float, retention: float, discount: float, n_customers: int,
                           periods: int, seed: int) -> float:
    """Mean discounted margin per initial customer, measured by the engine: homogeneous retention r,
    margin m paid at the end of each period survived, discount rate i per period."""
    o = cohort_overrides(n_customers, periods, margin)
    o["dynamics.churn.own_circumstances"] = 1.0 - retention
    ts = _run(o, seed)
    flows = ts[ts["step"] > 0]
    t = flows["step"].to_numpy(dtype=np.float64)
    return float((flows["gross_margin"].to_numpy() / (1.0 + discount) ** t).sum() / n_customers)


def sbg_survival(alpha: float, beta: float, n_customers: int, periods: int, seed: int) -> np.ndarray:
    """S(0..periods) measured by the engine: each customer draws theta ~ Beta(alpha, beta) once and
    leaves with probability theta each period (Fader & Hardie 2007)."""
    o = cohort_overrides(n_customers, periods)
    o["dynamics.churn.own_circumstances_beta"] = [alpha, beta]
    ts = _run(o, seed)
    return ts["customers"].to_numpy(dtype=np.float64) / n_customers


def sbg_survival_closed_form(alpha: float, beta: float, periods: int) -> np.ndarray:
    t = np.arange(periods + 1)
    return np.exp(special.betaln(alpha, beta + t) - special.betaln(alpha, beta))


def sbg_fit(survival: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood (alpha, beta) from a cohort's survival curve S(0..T) (Fader & Hardie 2007, eq. 6):
    P(T = t) = B(a + 1, b + t - 1) / B(a, b) for t = 1..T, and the survivors at T are censored."""
    s = np.asarray(survival, dtype=np.float64)
    lost = -np.diff(s)
    t = np.arange(1, len(s))

    def nll(log_ab: np.ndarray) -> float:
        a, b = np.exp(log_ab)
        base = special.betaln(a, b)
        p = np.exp(special.betaln(a + 1.0, b + t - 1.0) - base)
        surv = np.exp(special.betaln(a, b + t[-1]) - base)
        return -float((lost * np.log(np.maximum(p, 1e-300))).sum() + s[-1] * np.log(max(surv, 1e-300)))

    res = optimize.minimize(nll, x0=np.log([1.0, 1.0]), method="Nelder-Mead",
                            options={"xatol": 1e-8, "fatol": 1e-12, "maxiter": 4000})
    a, b = np.exp(res.x)
    return float(a), float(b)
