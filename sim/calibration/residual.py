"""Each calibration customer's expected residual value under the fitted model (issue 19, D8): the forward value
the portfolio classes a calibrated start state by.

Residual value = the fitted purchase model's conditional expected purchases in each month of the value
horizon, given the customer's own history (x, t_x, T; BG/NBD, Fader, Hardie & Lee 2005 eq. 10, or
Pareto/NBD, whichever process the scenario runs), times the expected spend per purchase, discounted monthly
at the scenario's discount rate. lifetimes' customer lifetime value (``lifetimes.utils``, which
``GammaGammaFitter.customer_lifetime_value`` calls) does the sum and the discounting, at a spend of 1 per
distinct history (the value is linear in the spend); the spend is then, with a Gamma-Gamma fit, the
Gamma-Gamma posterior mean per customer (Fader, Hardie & Lee 2005b; the spend the start state's wallet
gives, and what ``GammaGammaFitter.customer_lifetime_value`` uses), and without one (no amounts, or fewer
than 10 repeaters) the customer's own mean spend per repeat purchase (the log's mean for a customer without
repeat purchases; 1 without amounts).

It is in the log's currency, which is the calibrated scenario's (the engine's spend per purchase is wallet x
basket, in the log's units). It is the model's expectation given the history, not given the start state's
draw (alive or not, the purchase rate): the firm classes its customers by what their history tells it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.calibration.fit import Fits
from sim.calibration.logs import LogSummary

__all__ = ["VALUE_YEARS", "residual_values", "monthly_rate"]

VALUE_YEARS = 10.0  # default value horizon, years: **assumption** (range 5-20); no published magnitude used


def monthly_rate(per_year: float) -> float:
    """The monthly discount rate equivalent to ``per_year`` (lifetimes discounts month k by (1 + rate)^k)."""
    return (1.0 + per_year) ** (1.0 / 12.0) - 1.0


def residual_values(
    fits: Fits, summary: LogSummary, process: str, discount_per_year: float, years: float = VALUE_YEARS
) -> tuple[np.ndarray, str]:
    """Per calibration customer (the order of ``summary.customers``): the expected residual value over
    ``years`` (currency), and a one-line note of the spend used (see module docstring)."""
    import warnings

    from lifetimes.utils import _customer_lifetime_value

    model = fits.bgnbd if process == "bgnbd" else fits.pareto
    c = summary.customers
    months = max(1, round(years * 12.0))
    kw = {"time": months, "discount_rate": monthly_rate(discount_per_year), "freq": "W"}  # the fits are in weeks
    if fits.gg is not None:
        mv = c["monetary_value"].where(c["frequency"] > 0, 0.0).astype(np.float64)
        # what GammaGammaFitter.customer_lifetime_value multiplies the expected purchases by
        spend = np.asarray(fits.gg.conditional_expected_average_profit(c["frequency"], mv), dtype=np.float64)
        note = "Gamma-Gamma posterior mean spend per purchase"
    elif summary.has_amounts:
        rep = (c["frequency"] > 0).to_numpy()
        fallback = float(c.loc[rep, "monetary_value"].mean()) if rep.any() else 1.0
        spend = np.where(rep, c["monetary_value"].to_numpy(np.float64), fallback)
        note = "each customer's mean spend per repeat purchase (no Gamma-Gamma fit)"
    else:
        spend = np.ones(len(c))
        note = "1 currency unit per purchase (the log has no amounts)"
    # the value is linear in the spend: lifetimes' sum at spend 1, once per distinct history (x, t_x, T)
    # (8,685 of the 23,570 CDNOW master customers), times each customer's spend
    hist, inv = np.unique(c[["frequency", "recency", "T"]].to_numpy(np.float64), axis=0, return_inverse=True)
    f, r, T = (pd.Series(hist[:, k]) for k in range(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        per_purchase = np.asarray(_customer_lifetime_value(model, f, r, T, pd.Series(1.0, index=f.index), **kw), float)
    out = np.maximum(per_purchase[inv.reshape(-1)] * spend, 0.0)
    return out, f"{note}, {months} months, discount {discount_per_year:.1%} a year"
