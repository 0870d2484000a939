"""Each existing customer's starting state, drawn from the fitted model's posterior given their own history
(the start-state Parquet of ``population.start_state``).

BG/NBD (Fader, Hardie & Lee 2005): given a history (x repeat purchases, last at t_x, observed for T weeks),
the customer is alive with P(alive) (lifetimes' ``conditional_probability_alive``); if alive, the purchase
rate is lambda ~ Gamma(r + x, alpha + T) and the dropout probability after a purchase p ~ Beta(a, b + x)
(the likelihood of staying alive through x purchases is (1 - p)^x). Pareto/NBD (Schmittlein et al. 1987):
alive with P(alive), lambda ~ Gamma(r + x, alpha + T), dropout rate mu ~ Gamma(s, beta + T), applied every
step as 1 - exp(-mu dt). Spend: the Gamma-Gamma posterior mean spend per transaction (FHL 2005b) -> wallet.

The engine buys at most once per step with chance freq x ``purchase_rate`` (= 1 here), so freq = lambda dt
(dt: weeks per step) has the Poisson model's mean as long as lambda dt < 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.calibration.fit import Fits
from sim.calibration.logs import LogSummary

__all__ = ["PROCESSES", "start_state", "mean_spend"]

PROCESSES = ("bgnbd", "pareto_nbd")


def mean_spend(fits: Fits, summary: LogSummary) -> pd.Series | None:
    """Gamma-Gamma posterior mean spend per transaction per customer (the population mean for one-time buyers),
    or None without a spend model."""
    if fits.gg is None:
        return None
    c = summary.customers
    mv = c["monetary_value"].where(c["frequency"] > 0, 0.0)
    return pd.Series(np.asarray(fits.gg.conditional_expected_average_profit(c["frequency"], mv), dtype=float), index=c.index)


def start_state(
    fits: Fits,
    summary: LogSummary,
    seed: int,
    process: str = "bgnbd",
    dt: float = 1.0,
    firm: str = "focal",
    basket: float = 1.0,
    replication: int = 0,
    replications: int = 1,
) -> pd.DataFrame:
    """One row per calibration customer, in the columns of ``population.start_state``: alive customers are
    the firm's (``firm``), dead ones lapsed (``last_firm``); ``freq`` = lambda dt, ``own_churn`` = the
    dropout probability (per purchase for BG/NBD, per step for Pareto/NBD), ``wallet`` = posterior mean
    spend / ``basket``; tenure and the last purchase in steps before the start (the calibration end).

    Draws are by inversion of uniforms (``seed``) shifted by ``replication / replications`` modulo 1: each
    replication is a posterior draw, and over ``replications`` of them every customer's draws are stratified
    (alive in a share P(alive) of them to within 1 / replications), so the mean over replications has much
    less Monte-Carlo noise than independent draws."""
    from scipy import stats

    if process not in PROCESSES:
        raise ValueError(f"process must be one of {PROCESSES}")
    c = summary.customers
    x, tx, T = (c[k].to_numpy(dtype=np.float64) for k in ("frequency", "recency", "T"))
    n = len(c)
    u = (np.random.default_rng(seed).random((3, n)) + replication / replications) % 1.0
    u = np.clip(u, 1e-12, 1.0 - 1e-12)
    if process == "bgnbd":
        pr = fits.bgnbd.params_
        p_alive = np.asarray(fits.bgnbd.conditional_probability_alive(x, tx, T), dtype=float)
        lam = stats.gamma.ppf(u[1], pr["r"] + x, scale=1.0 / (pr["alpha"] + T))
        own = stats.beta.ppf(u[2], pr["a"], pr["b"] + x)
    else:
        pr = fits.pareto.params_
        p_alive = np.asarray(fits.pareto.conditional_probability_alive(x, tx, T), dtype=float)
        lam = stats.gamma.ppf(u[1], pr["r"] + x, scale=1.0 / (pr["alpha"] + T))
        mu = stats.gamma.ppf(u[2], pr["s"], scale=1.0 / (pr["beta"] + T))
        own = -np.expm1(-mu * dt)
    alive = u[0] < p_alive
    spend = mean_spend(fits, summary)
    wallet = np.ones(n) if spend is None else np.maximum(spend.to_numpy() / basket, 1e-6)
    last = -np.round((T - tx) / dt).astype(np.int64)
    return pd.DataFrame(
        {
            "customer": c.index.astype(str),
            "firm": pd.array(np.where(alive, firm, None), dtype="string"),
            "last_firm": pd.array(np.where(alive, None, firm), dtype="string"),
            "stage": np.where(alive, np.where(x > 0, "growing", "new"), "lapsed"),
            "tenure": np.where(alive, np.round(T / dt), 0).astype(np.int64),
            "n_purchases": (x + 1).astype(np.int64),
            "last_purchase": last,
            "freq": np.clip(lam * dt, 0.0, 1e6),
            "own_churn": np.clip(own, 0.0, 1.0),
            "wallet": wallet,
        }
    )
