"""The holdout backtest: the engine, started from each customer's posterior state at the calibration end,
run over the holdout period (replications with common seeds, a fresh posterior draw each), next to the
fitted BG/NBD and Pareto/NBD forecasts and the actuals (issue 17)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.fit import Fits, holdout_forecasts, tracking_curves, weekly_forecasts
from sim.calibration.logs import LogSummary
from sim.calibration.posterior import start_state

__all__ = ["Backtest", "engine_replications", "backtest"]


@dataclass
class Backtest:
    """Everything the report and ``backtest.json`` show."""

    summary: LogSummary
    fits: Fits
    process: str
    per_customer: pd.DataFrame  # actual, bgnbd, pareto_nbd, engine (mean over replications)
    weekly: pd.DataFrame  # week -> actual, bgnbd, pareto_nbd, engine mean, lo, hi
    tracking: pd.DataFrame  # week -> the models' unconditional cumulative curves
    engine_totals: np.ndarray  # holdout total per replication
    engine_hist: np.ndarray  # replications x 0..max bins of holdout transactions per customer
    extra: dict[str, Any] = field(default_factory=dict)

    def metrics(self) -> dict[str, Any]:
        pc = self.per_customer
        actual = float(pc["actual"].sum())
        out: dict[str, Any] = {"actual_holdout": actual, "customers": len(pc), "process": self.process}
        for key in ("engine", "bgnbd", "pareto_nbd"):
            tot = float(pc[key].sum()) if key != "engine" else float(self.engine_totals.mean())
            out[key] = {
                "holdout": tot,
                "error": (tot - actual) / actual,
                "correlation": float(np.corrcoef(pc[key], pc["actual"])[0, 1]),
            }
        lo, hi = np.percentile(self.engine_totals, [2.5, 97.5])
        out["engine"]["holdout_band_95"] = [float(lo), float(hi)]
        out["engine"]["replications"] = len(self.engine_totals)
        out["engine"]["correlation_counts"] = float(np.corrcoef(pc["engine_counts"], pc["actual"])[0, 1])
        # the models' unconditional forecast of the same holdout (each customer's own first purchase on, no
        # history used): the aggregate that Fader, Hardie & Lee 2005 report (1,669 for BG/NBD on CDNOW)
        w = self.summary.calibration_week
        last = self.tracking.index.max()
        for key in ("bgnbd", "pareto_nbd"):
            tot = float(self.tracking.loc[last, key] - self.tracking.loc[w, key])
            out[key]["holdout_unconditional"] = tot
            out[key]["error_unconditional"] = (tot - actual) / actual
        return out

    def conditional(self, top: int = 7) -> pd.DataFrame:
        """Mean holdout transactions by number of calibration repeat transactions 0, 1, ..., ``top``+."""
        pc = self.per_customer
        k = np.minimum(self.summary.customers["frequency"].to_numpy().astype(int), top)
        g = pc.assign(k=k).groupby("k")[["actual", "bgnbd", "pareto_nbd", "engine"]].mean()
        g["customers"] = pd.Series(k).value_counts().sort_index().to_numpy()
        g.index = [str(i) if i < top else f"{top}+" for i in g.index]
        return g


def _model(scenario: Any, state: pd.DataFrame, seed: int, folder: Path):
    from sim.model import RelationshipMarket

    path = folder / f"start_{seed}.parquet"
    state.to_parquet(path, index=False)
    pop = scenario.population.model_copy(update={"start_state": str(path)})
    return RelationshipMarket(scenario.model_copy(update={"population": pop}), rng=seed)


def engine_replications(
    scenario: Any,
    fits: Fits,
    summary: LogSummary,
    process: str,
    reps: int,
    dt: float,
    basket: float,
    progress: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run the calibrated ``scenario`` ``reps`` times (replication k: stratified posterior draw k of k = 0..reps-1
    and engine seed k, so two scenarios compared with the same seeds share both). Returns holdout purchases per customer
    ``[reps, customers]``, per step ``[reps, steps]``, and the expected purchases per customer given each
    run's simulated path ``[reps, customers]`` (Rao-Blackwellised: the purchase draw averaged out)."""
    import tempfile

    import numba

    threads = numba.get_num_threads()
    numba.set_num_threads(1)  # a few thousand customers: thread start-up per step costs more than it saves
    try:
        return _replications(scenario, fits, summary, process, reps, dt, basket, progress, tempfile)
    finally:
        numba.set_num_threads(threads)


def _replications(scenario, fits, summary, process, reps, dt, basket, progress, tempfile):  # noqa: ANN001, ANN202
    steps = scenario.steps
    firm = scenario.firms[0].name
    n = len(summary.customers)
    rate = np.array([s.purchase_rate for s in scenario.population.segments])
    per_c = np.zeros((reps, n), dtype=np.int32)
    expected = np.zeros((reps, n))
    per_s = np.zeros((reps, steps), dtype=np.int64)
    with tempfile.TemporaryDirectory(prefix="sim-calibrate-") as tmp:
        for k in range(reps):
            state = start_state(fits, summary, 0, process, dt, firm, basket, replication=k, replications=reps)
            model = _model(scenario, state, k, Path(tmp))
            pop = model.population
            start = pop.n_purchases.astype(np.int64)
            prev = start.copy()
            for j in range(steps):
                # E[purchase | state] = min(1, rate x freq) for the firm's customers (loyalty_frequency 0 and
                # no financial bond, as calibrated): the same forecast with the purchase draw averaged out
                buyer = pop.firm[:n] == 0
                expected[k] += np.where(buyer, np.minimum(1.0, rate[pop.segment[:n]] * pop.freq[:n]), 0.0)
                model.step()
                now = pop.n_purchases.astype(np.int64)
                per_s[k, j] = int((now - prev).sum())
                prev = now
            per_c[k] = (prev - start)[:n]
            if progress is not None:
                progress(1)
    return per_c, per_s, expected


def backtest(
    scenario: Any,
    fits: Fits,
    summary: LogSummary,
    process: str,
    reps: int = 30,
    dt: float = 1.0,
    basket: float = 1.0,
    progress: Callable[[int], None] | None = None,
) -> Backtest:
    per_c, per_s, expected = engine_replications(scenario, fits, summary, process, reps, dt, basket, progress)
    c = summary.customers
    closed = holdout_forecasts(fits, summary)
    pc = pd.DataFrame({"actual": c["holdout"].to_numpy(), **{k: closed[k].to_numpy() for k in closed}}, index=c.index)
    pc["engine"] = expected.mean(axis=0)
    pc["engine_counts"] = per_c.mean(axis=0)
    wf = weekly_forecasts(fits, summary)
    weeks = wf.index
    if dt != 1.0:  # steps shorter than a week: sum them into weeks
        per_w = int(round(1.0 / dt))
        n_w = per_s.shape[1] // per_w
        per_s = per_s[:, : n_w * per_w].reshape(per_s.shape[0], n_w, per_w).sum(axis=2)
    n = min(len(weeks), per_s.shape[1])
    weekly = pd.DataFrame(index=weeks[:n])
    weekly["actual"] = summary.weekly.reindex(weekly.index, fill_value=0).to_numpy()
    weekly["bgnbd"], weekly["pareto_nbd"] = wf["bgnbd"].to_numpy()[:n], wf["pareto_nbd"].to_numpy()[:n]
    weekly["engine"] = per_s[:, :n].mean(axis=0)
    cum = np.cumsum(per_s[:, :n], axis=1)
    weekly["engine_cum_lo"], weekly["engine_cum_hi"] = np.percentile(cum, [2.5, 97.5], axis=0)
    weekly["engine_lo"], weekly["engine_hi"] = np.percentile(per_s[:, :n], [2.5, 97.5], axis=0)
    top = int(max(per_c.max(), c["holdout"].max())) + 1
    hist = np.stack([np.bincount(row, minlength=top) for row in per_c])
    return Backtest(summary, fits, process, pc, weekly, tracking_curves(fits, summary), per_c.sum(axis=1), hist)
