"""The customer portfolio of one run (D8, D9): every customer's value class and loyalty type, as columns of
``customers.parquet`` (pure functions of the per-customer table; docs/model.md, customer portfolio).

:func:`classify` adds, per customer, classes computed over the customers of its own firm:

- ``abc``: A / B / C by the 80/20 rule on forward value (D8); ``rfm_r``, ``rfm_f``, ``rfm_m`` (1-5) and ``rfm``
  ("545"): quintile scores of recency (steps since the last purchase; never bought: 1), frequency (purchases)
  and monetary value (revenue over the run) (D8). A score is 1 + 5 x the share of the firm's customers strictly
  worse, rounded down (ties share the lower score);
- ``pyramid``: platinum / gold / iron / lead by rank of forward value (D8; bands in ``portfolio``);
- ``kotler``: true friend (high profit potential, long expected duration), butterfly (high, short), barnacle
  (low, long), stranger (low, short) (D8); profit potential = expected margin per step, expected duration =
  1 / churn probability per step, "high" = at least ``kotler_split`` of the firm's customers strictly below;
- ``value_flag``: negative value (forward value < 0), most valuable (top ``most_valuable`` by forward value),
  most growth potential (top ``most_growth`` by growth potential among the rest), or "—" (D8);
- ``loyalty_type`` (D9): lock-in/monopoly when the firm's customers are locked in (a licensed monopoly, M16:
  kept whatever the satisfaction); otherwise the largest of the customer's loyalty terms other than
  satisfaction: inertia (financial and structural bonds: points, habit and switching cost), social/kin bond
  (social bond) and trust, each weighted as in the loyalty target (M3);
- ``loyalty_stage`` (D9): cognitive (new, won back or at risk: held by what it knows of the offer), affective
  (growing: satisfied, not yet loyal), conative (loyal, has not bought again) and behavioural (loyal and has
  bought again).

People who are not customers of a firm get ``none`` in every class (``rfm`` "000", scores 0, value flag "—").
Needed columns: those of ``CustomerPopulation.snapshot`` plus ``forward_value``, ``expected_margin``,
``churn_probability`` and ``growth_potential`` (:func:`outlook_columns`); optional ``lockin`` (0-1).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.customers import registry as L
from sim.customers.portfolio import pyramid_codes
from sim.scenario.portfolio import PYRAMID_CLASSES, Portfolio

__all__ = ["classify", "outlook_columns", "with_portfolio", "class_labels", "CLASS_COLUMNS", "NONE"]

NONE = "none"
CLASS_COLUMNS = ("abc", "rfm_r", "rfm_f", "rfm_m", "rfm", "pyramid", "kotler", "value_flag", "loyalty_type", "loyalty_stage")
_EPS = 1e-9


def outlook_columns(o: Any) -> dict[str, np.ndarray]:
    """The columns :func:`classify` needs from a ``sim.customers.portfolio.Outlook``."""
    return {
        "forward_value": o.value,
        "expected_margin": o.margin,
        "churn_probability": o.churn,
        "growth_potential": o.growth,
    }


def _share_below(x: np.ndarray) -> np.ndarray:
    """For each element, the share of the elements strictly below it."""
    s = np.sort(x)
    return np.searchsorted(s, x, side="left") / max(len(x), 1)


def _score(x: np.ndarray) -> np.ndarray:
    return np.minimum(5, 1 + np.floor(5.0 * _share_below(x) + _EPS)).astype(np.int8)


def _rank_best_first(x: np.ndarray) -> np.ndarray:
    """0-based rank of each element, largest first, ties in row order."""
    order = np.argsort(-x, kind="stable")
    rank = np.empty(len(x), dtype=np.int64)
    rank[order] = np.arange(len(x))
    return rank


def _abc(value: np.ndarray, pf: Portfolio) -> np.ndarray:
    order = np.argsort(-value, kind="stable")
    pos = np.maximum(value[order], 0.0)
    total = pos.sum()
    out = np.full(len(value), "C", dtype=object)
    if total <= 0.0:
        return out
    before = (np.cumsum(pos) - pos) / total  # share of value made by the better customers
    cls = np.where(before < pf.abc_a - _EPS, "A", np.where(before < max(pf.abc_b, pf.abc_a) - _EPS, "B", "C"))
    out[order] = np.where(pos > 0.0, cls, "C")
    return out


def _pyramid(value: np.ndarray, pf: Portfolio) -> np.ndarray:
    """One firm's customers by the engine's own pyramid rule (``sim.customers.portfolio.pyramid_codes``)."""
    one_firm = np.zeros(len(value), dtype=np.int64)
    return class_labels(pyramid_codes(one_firm, value, 1, (pf.platinum, pf.gold, pf.iron), pf.lead_below))


def _kotler(margin: np.ndarray, churn: np.ndarray, pf: Portfolio) -> np.ndarray:
    duration = 1.0 / np.maximum(churn, 1e-12)
    high_profit = _share_below(margin) >= pf.kotler_split - _EPS
    long_stay = _share_below(duration) >= pf.kotler_split - _EPS
    return np.where(
        high_profit,
        np.where(long_stay, "true friend", "butterfly"),
        np.where(long_stay, "barnacle", "stranger"),
    ).astype(object)


def _flag(value: np.ndarray, growth: np.ndarray, pf: Portfolio) -> np.ndarray:
    n = len(value)
    out = np.full(n, "—", dtype=object)
    top = _rank_best_first(value) < np.floor(pf.most_valuable * n + _EPS)
    rest = np.flatnonzero(~top)
    grow = np.zeros(n, dtype=bool)
    grow[rest[_rank_best_first(growth[rest]) < np.floor(pf.most_growth * n + _EPS)]] = True
    out[grow] = "most growth potential"
    out[top] = "most valuable"
    out[value < 0.0] = "negative value"
    return out


def _loyalty_type(g: pd.DataFrame, w: tuple[float, float, float, float]) -> np.ndarray:
    w_fin, w_str, w_soc, w_trust = w
    terms = np.column_stack(
        [
            w_fin * g["bond_financial"].to_numpy(np.float64) + w_str * g["bond_structural"].to_numpy(np.float64),
            w_soc * g["bond_social"].to_numpy(np.float64),
            w_trust * g["trust"].to_numpy(np.float64),
        ]
    )
    kind = np.array(["inertia", "social/kin bond", "trust"], dtype=object)[np.argmax(terms, axis=1)]
    lock = g["lockin"].to_numpy(np.float64) if "lockin" in g.columns else np.zeros(len(g))
    return np.where(lock > 0.0, "lock-in/monopoly", kind).astype(object)


def _loyalty_stage(g: pd.DataFrame) -> np.ndarray:
    stage = g["stage"].astype(str).to_numpy()
    repeat = g["purchases"].to_numpy(np.int64) >= 2
    out = np.where(repeat, "behavioural", "conative").astype(object)
    out[stage == "growing"] = "affective"
    out[np.isin(stage, ("new", "won_back", "at_risk"))] = "cognitive"
    return out


def classify(customers: pd.DataFrame, now: int, params: Portfolio | Any) -> pd.DataFrame:
    """A copy of ``customers`` with the class columns (module docstring). ``now``: the step number the table is
    at (``last_purchase`` counts steps the same way); ``params``: the scenario's ``portfolio`` section, or the
    scenario (its loyalty weights then weigh the loyalty types; equal weights otherwise)."""
    pf: Portfolio = params if isinstance(params, Portfolio) else params.portfolio
    lw = (1.0, 1.0, 1.0, 1.0)
    if not isinstance(params, Portfolio):
        lo = params.dynamics.loyalty
        lw = (lo.w_financial, lo.w_structural, lo.w_social, lo.w_trust)
    out = customers.copy(deep=False)  # new columns only: the rows are not copied
    n = len(out)
    cols: dict[str, np.ndarray] = {c: np.full(n, NONE, dtype=object) for c in CLASS_COLUMNS}
    for c in ("rfm_r", "rfm_f", "rfm_m"):
        cols[c] = np.zeros(n, dtype=np.int8)
    cols["rfm"] = np.full(n, "000", dtype=object)
    cols["value_flag"] = np.full(n, "—", dtype=object)
    firm = out["firm"].astype(str).to_numpy()
    for name in pd.unique(firm):
        if name == NONE:
            continue
        rows = np.flatnonzero(firm == name)
        g = out.iloc[rows]
        value = g["forward_value"].to_numpy(np.float64)
        last = g["last_purchase"].to_numpy(np.int64)
        recency = np.where(last == L.NEVER_BOUGHT, np.inf, now - last)
        r, f = _score(-recency), _score(g["purchases"].to_numpy(np.float64))
        m = _score(g["cumulative_revenue"].to_numpy(np.float64))
        cols["rfm_r"][rows], cols["rfm_f"][rows], cols["rfm_m"][rows] = r, f, m
        cols["rfm"][rows] = (r.astype(np.int16) * 100 + f * 10 + m).astype(str)  # scores 1..5: three digits
        cols["abc"][rows] = _abc(value, pf)
        cols["pyramid"][rows] = _pyramid(value, pf)
        margin, churn = g["expected_margin"].to_numpy(np.float64), g["churn_probability"].to_numpy(np.float64)
        cols["kotler"][rows] = _kotler(margin, churn, pf)
        cols["value_flag"][rows] = _flag(value, g["growth_potential"].to_numpy(np.float64), pf)
        cols["loyalty_type"][rows] = _loyalty_type(g, lw)
        cols["loyalty_stage"][rows] = _loyalty_stage(g)
    for c, v in cols.items():
        out[c] = v
    return out


def class_labels(codes: np.ndarray) -> np.ndarray:
    """Pyramid class names of the codes of ``sim.customers.portfolio`` (-1: ``none``)."""
    return np.asarray([*PYRAMID_CLASSES, NONE], dtype=object)[np.where(codes < 0, len(PYRAMID_CLASSES), codes)]


def with_portfolio(model: Any, customers: pd.DataFrame, ts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The end-of-run tables with the portfolio: ``customers`` gains the outlook, ``start_pyramid`` (the class
    at the first step) and :func:`classify`'s columns; ``ts`` gains the pyramid counts and forward value per
    class as of the latest classing (every ``portfolio.update_every`` steps, from step 0)."""
    book = model.portfolio
    if book.last_inputs is None:  # no step run: nothing classed
        return customers, ts
    codes, o = book.classify(model.population, book.last_inputs)
    pop_firm = model.population.firm.astype(np.int64)
    lock = book.last_inputs.fp[:, L.FP_LOCKIN]
    extra = outlook_columns(o)
    extra["lockin"] = np.where(pop_firm >= 0, lock[np.maximum(pop_firm, 0)], 0.0)
    extra["start_pyramid"] = class_labels(book.start)
    cust = classify(customers.assign(**extra), int(model.steps), model.config)
    rows = pd.DataFrame(book.timeseries(list(model.config.firm_names)))
    if len(rows):
        rows["firm"] = pd.Categorical(rows["firm"], categories=ts["firm"].cat.categories)
        ts = ts.merge(rows, on=["step", "firm"], how="left")
        cols = [c for c in rows.columns if c.startswith("pyramid_")]
        ts[cols] = ts.groupby("firm", observed=True)[cols].ffill()  # as of the latest classing
    return cust, ts
