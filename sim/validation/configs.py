"""Special configurations of the real engine whose answers are known in closed form (issue: validation).

Each function builds a scenario that switches every mechanism off except the one under test, runs
``RelationshipMarket`` (the same numba kernel as every other run) and returns what the engine measured.
Constant-retention CLV (Gupta & Lehmann 2003), shifted-beta-geometric churn (Fader & Hardie 2007),
Bass diffusion docking (Rand & Rust 2011) and the BG/NBD generative process (Fader, Hardie & Lee 2005).
The checks that compare them with their references, and the documents' figures, are in
``sim.validation.checks``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import optimize, special

__all__ = [
    "cohort_overrides",
    "clv_constant_retention",
    "clv_closed_form",
    "sbg_survival",
    "sbg_survival_closed_form",
    "sbg_fit",
    "bass_adoption",
    "bass_recursion",
    "bass_closed_form",
    "bgnbd_sample",
]


def cohort_overrides(n_customers: int, periods: int, margin: float = 1.0) -> dict[str, Any]:
    """One firm, everybody its customer at t = 0, no acquisition, no word of mouth, no churn but the
    customer's own circumstances, and exactly ``margin`` earned per period survived."""
    return {
        "population.size": n_customers,
        "steps": periods,
        "population.wallet_sigma": 0.0,
        "population.segments": [{"name": "all", "share": 1.0, "basket": margin, "purchase_rate": 1.0}],
        "firms": [
            {
                "name": "focal",
                "initial_share": 1.0,
                "unit_cost": 0.0,
                "cost_to_serve": 0.0,
                "budget": {"acquisition": 0.0, "retention": 0.0},
            }
        ],
        "network.kind": "none",
        "dynamics.share_of_wallet_floor": 1.0,
        "dynamics.loyalty_frequency": 0.0,
        "dynamics.churn.dissatisfaction": 0.0,
        "dynamics.churn.competition": 0.0,
        "dynamics.wom.referral_conversion": 0.0,
        "dynamics.wom.referral_pull": 0.0,
        "dynamics.wom.positive_probability": 0.0,
        "dynamics.complaints.probability": 0.0,
        "dynamics.acquisition.spontaneous": 0.0,
        "dynamics.acquisition.conversion": 0.0,
        "firms.focal.employees.follow": 0.0,
        "firms.focal.supplier.disruption_rate": 0.0,
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


def clv_constant_retention(
    margin: float, retention: float, discount: float, n_customers: int, periods: int, seed: int
) -> float:
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

    res = optimize.minimize(
        nll, x0=np.log([1.0, 1.0]), method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-12, "maxiter": 4000}
    )
    a, b = np.exp(res.x)
    return float(a), float(b)


# ---------------------------------------------------------------- Bass diffusion docking (Rand & Rust 2011)
def bass_adoption(p: float, q: float, n_customers: int, steps: int, dt: float = 1.0, seed: int = 0) -> np.ndarray:
    """F(0..steps), the adopters' share measured by the engine: one firm, nobody a customer at t = 0,
    adoption only by outside influence (Bass p, ``acquisition.spontaneous``) and well-mixed imitation
    (Bass q, ``wom.imitation``), no churn. With ``dt < 1`` a step lasts dt time units and the adoption
    probability is 1 - exp(-(p + q F) dt) (``acquisition.hazard_step``)."""
    o = cohort_overrides(n_customers, steps)
    o["firms"][0]["initial_share"] = 0.0
    o["dynamics.churn.own_circumstances"] = 0.0
    o["dynamics.acquisition.spontaneous"] = p
    o["dynamics.wom.imitation"] = q
    if dt != 1.0:
        o["dynamics.acquisition.hazard_step"] = dt
    ts = _run(o, seed)
    return ts["customers"].to_numpy(dtype=np.float64) / n_customers


def bass_recursion(p: float, q: float, steps: int) -> np.ndarray:
    """The discrete Bass model F(t+1) = F(t) + (p + q F(t)) (1 - F(t)), F(0) = 0."""
    f = np.zeros(steps + 1)
    for t in range(steps):
        f[t + 1] = f[t] + (p + q * f[t]) * (1.0 - f[t])
    return f


def bass_closed_form(p: float, q: float, t: np.ndarray) -> np.ndarray:
    """Bass (1969): F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t})."""
    e = np.exp(-(p + q) * np.asarray(t, dtype=np.float64))
    return (1.0 - e) / (1.0 + (q / p) * e)


# ---------------------------------------------------------------- BG/NBD (Fader, Hardie & Lee 2005)
def bgnbd_sample(r: float, alpha: float, a: float, b: float, n_customers: int, T: float, seed: int, dt: float = 1.0 / 7.0):
    """A cohort simulated by the engine under the BG/NBD process, as lifetimes' (frequency, recency, T):
    everyone buys at t = 0; while alive, purchases are Poisson with rate lambda ~ Gamma(r, alpha)
    (``population.frequency_gamma``; one step lasts ``dt`` time units, so a step's purchase chance is
    lambda dt); after each repeat purchase the customer drops out with probability p ~ Beta(a, b)
    (``churn.own_circumstances_beta`` with ``churn.own_after_purchase``)."""
    import pandas as pd

    from sim.model import RelationshipMarket

    steps = int(round(T / dt))
    o = cohort_overrides(n_customers, steps)
    o["population.frequency_gamma"] = [r, alpha / dt]  # lambda dt ~ Gamma(r, rate alpha / dt)
    o["dynamics.churn.own_circumstances_beta"] = [a, b]
    o["dynamics.churn.own_after_purchase"] = True
    model = RelationshipMarket(None, rng=seed, overrides=o)
    pop = model.population
    last = np.zeros(n_customers)
    for k in range(steps):
        before = pop.n_purchases.copy()
        model.step()
        bought = pop.n_purchases != before
        last[bought] = (k + 1) * dt
    frequency = pop.n_purchases.astype(np.float64) - 1.0  # repeat purchases (the first is at t = 0)
    return pd.DataFrame({"frequency": frequency, "recency": last, "T": np.full(n_customers, steps * dt)})
