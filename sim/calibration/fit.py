"""Maximum-likelihood fits of the standard customer-base models to the calibration period, with lifetimes:
BG/NBD (Fader, Hardie & Lee 2005), Pareto/NBD (Schmittlein, Morrison & Colombo 1987) and Gamma-Gamma spend
(Fader, Hardie & Lee 2005b, on repeaters), and their closed-form holdout forecasts (conditional expectations).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.logs import DAYS_PER_WEEK, CalibrationError, LogSummary

__all__ = ["Fits", "fit_models", "holdout_forecasts", "weekly_forecasts", "tracking_curves"]


@dataclass
class Fits:
    """The fitted lifetimes models (``gg`` is None for a log without amounts or without repeaters)."""

    bgnbd: Any
    pareto: Any
    gg: Any | None

    def table(self) -> dict[str, dict[str, Any]]:
        """Parameters with standard errors (lifetimes' ``summary``), and the log-likelihood, per model."""
        out: dict[str, dict[str, Any]] = {}
        for key, m in (("bgnbd", self.bgnbd), ("pareto_nbd", self.pareto), ("gamma_gamma", self.gg)):
            if m is None:
                continue
            se = m.standard_errors_ if key != "pareto_nbd" else _pareto_se(m)
            params = {str(k): {"value": float(m.params_[k]), "se": float(se[k])} for k in m.params_.index}
            entry: dict[str, Any] = {"params": params}
            if key == "bgnbd":
                entry["log_likelihood"] = _bgnbd_ll(m.params_.to_numpy(), m.data)
            elif key == "pareto_nbd":
                entry["log_likelihood"] = _pareto_ll(m.params_.to_numpy(), m.data)
            out[key] = entry
        return out


def _bgnbd_ll(params: np.ndarray, data: pd.DataFrame) -> float:
    """The BG/NBD log-likelihood in full (FHL 2005 eq. 6; lifetimes drops the constant terms)."""
    from scipy.special import betaln, gammaln

    r, alpha, a, b = params
    x, tx, T = (data[k].to_numpy(dtype=float) for k in ("frequency", "recency", "T"))
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a1 = betaln(a, b + x) - betaln(a, b) + common - (r + x) * np.log(alpha + T)
    a2 = np.where(
        x > 0, betaln(a + 1, b + np.maximum(x, 1) - 1) - betaln(a, b) + common - (r + x) * np.log(alpha + tx), -np.inf
    )
    return float(np.logaddexp(a1, a2).sum())


def _pareto_ll(params: np.ndarray, data: pd.DataFrame) -> float:
    from lifetimes import ParetoNBDFitter

    x, tx, T = (data[k].to_numpy(dtype=float) for k in ("frequency", "recency", "T"))
    return float(np.sum(ParetoNBDFitter._conditional_log_likelihood(params, x, tx, T)))


def _pareto_se(m: Any) -> pd.Series:
    """Standard errors of the Pareto/NBD parameters (lifetimes gives none): the inverse of the observed
    information, a central-difference Hessian of the log-likelihood in log-parameters, by the delta method."""
    theta = np.log(m.params_.to_numpy(dtype=float))
    f = lambda th: _pareto_ll(np.exp(th), m.data)  # noqa: E731
    k, h = len(theta), 1e-4
    hess = np.zeros((k, k))
    for i in range(k):
        for j in range(i, k):
            e_i, e_j = np.eye(k)[i] * h, np.eye(k)[j] * h
            v = (f(theta + e_i + e_j) - f(theta + e_i - e_j) - f(theta - e_i + e_j) + f(theta - e_i - e_j)) / (4 * h * h)
            hess[i, j] = hess[j, i] = v
    try:
        cov = np.linalg.inv(-hess)
        se = np.exp(theta) * np.sqrt(np.maximum(np.diag(cov), 0.0))
    except np.linalg.LinAlgError:
        se = np.full(k, np.nan)
    return pd.Series(se, index=m.params_.index)


def fit_models(summary: LogSummary, source: str = "log") -> Fits:
    """Fit BG/NBD and Pareto/NBD to (frequency, recency, T) in weeks, and Gamma-Gamma to the repeaters' mean
    spend per repeat purchase day."""
    from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter

    c = summary.customers
    if int((c["frequency"] > 0).sum()) < 2:
        raise CalibrationError(f"{source}: --calibration-end: fewer than 2 repeat buyers in the calibration period")
    f, r, T = c["frequency"], c["recency"], c["T"]
    bg = _fit(BetaGeoFitter, "BG/NBD", source, f, r, T)
    pn = _fit(ParetoNBDFitter, "Pareto/NBD", source, f, r, T, tols=(1e-4, 1e-3))  # lifetimes' default 1e-4
    gg = None
    rep = c[(c["frequency"] > 0) & (c["monetary_value"] > 0)]
    if summary.has_amounts and len(rep) >= 10:
        gg = _fit(GammaGammaFitter, "Gamma-Gamma", source, rep["frequency"], rep["monetary_value"])
    return Fits(bg, pn, gg)


def _fit(cls: Any, label: str, source: str, *data: Any, tols: tuple[float, ...] = (1e-7, 1e-5, 1e-4)) -> Any:
    """Fit a lifetimes model by maximum likelihood, loosening the optimiser's tolerance if scipy stops on
    "precision loss" at the optimum (seen with Gamma-Gamma on the CDNOW master file); lifetimes prints the
    failed optimiser result, which is kept off the terminal."""
    import contextlib
    import io

    from lifetimes.utils import ConvergenceError

    last = ""
    for tol in tols:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            try:
                return cls(penalizer_coef=0.0).fit(*data, tol=tol)
            except ConvergenceError as err:
                last = str(err).strip()
    raise CalibrationError(f"{source}: {label} fit did not converge ({last[:80]})")


def holdout_forecasts(fits: Fits, summary: LogSummary) -> pd.DataFrame:
    """Per customer, expected repeat purchase days in the holdout given the calibration history (conditional
    expectations, FHL 2005 eq. 10), for BG/NBD and Pareto/NBD."""
    c = summary.customers
    t = summary.holdout_weeks
    f, r, T = c["frequency"], c["recency"], c["T"]
    return pd.DataFrame(
        {
            "bgnbd": np.asarray(fits.bgnbd.conditional_expected_number_of_purchases_up_to_time(t, f, r, T), float),
            "pareto_nbd": np.asarray(fits.pareto.conditional_expected_number_of_purchases_up_to_time(t, f, r, T), float),
        },
        index=c.index,
    )


def weekly_forecasts(fits: Fits, summary: LogSummary) -> pd.DataFrame:
    """Expected repeat transactions per holdout week (the sum over customers of the differences of the
    conditional expectations at the week's end and start), for BG/NBD and Pareto/NBD."""
    c = summary.customers
    f, r, T = c["frequency"].to_numpy(), c["recency"].to_numpy(), c["T"].to_numpy()
    steps = summary.holdout_steps
    ends = np.minimum(np.arange(steps + 1, dtype=float), summary.holdout_weeks)
    out = {}
    for key, m in (("bgnbd", fits.bgnbd), ("pareto_nbd", fits.pareto)):
        cum = [0.0] + [float(np.sum(m.conditional_expected_number_of_purchases_up_to_time(t, f, r, T))) for t in ends[1:]]
        out[key] = np.diff(np.asarray(cum))
    weeks = summary.calibration_week + np.arange(1, steps + 1)
    return pd.DataFrame(out, index=pd.Index(weeks, name="week"))


def tracking_curves(fits: Fits, summary: LogSummary) -> pd.DataFrame:
    """Expected cumulative repeat transactions of the calibration customers by the end of each week since the
    log's start, unconditional (the models' own forecast from each customer's first purchase; FHL 2005 Fig. 2)."""
    c = summary.customers
    weeks = summary.weekly.index.to_numpy()
    # time of each customer's first purchase, in weeks after the end of week 0 of the grid
    grid0 = summary.calibration_end - pd.Timedelta(days=int(summary.calibration_week * DAYS_PER_WEEK))
    t0 = (summary.calibration_end - grid0).days / DAYS_PER_WEEK - c["T"].to_numpy()
    starts, counts = np.unique(np.round(t0 * DAYS_PER_WEEK).astype(int), return_counts=True)
    out = {}
    for key, m in (("bgnbd", fits.bgnbd), ("pareto_nbd", fits.pareto)):
        total = np.zeros(len(weeks))
        for s0, k in zip(starts, counts, strict=True):
            t = np.maximum(weeks - s0 / DAYS_PER_WEEK, 0.0)
            total += k * np.asarray(m.expected_number_of_purchases_up_to_time(t), dtype=float)
        out[key] = total
    return pd.DataFrame(out, index=pd.Index(weeks, name="week"))
