"""The customer portfolio on the arrays (D8): each customer's outlook and the firm's value pyramid.

- :func:`outlook`: per customer of a firm, the forward value the engine books as customer equity (expected
  CLV = m r / (1 + i - r), Gupta & Lehmann 2003, the kernel's ``clv``), its parts (expected margin per step,
  churn probability per step) and the growth potential (the spend the customer would make at full loyalty
  minus the spend it makes now: the share of wallet not yet won, D11). They are evaluated on the customer's
  state as it is, with the firm's current inputs and without this step's random draws or word of mouth;
  so they are what the kernel books at the customer's expected perception, not a second simulation.
- :func:`with_residual_value`: for a start state from ``sim calibrate``, the forward value of the rows that
  are still with their start firm is the calibrated model's expected residual value (``residual_value``)
  times the firm's current margin rate, in place of the engine's CLV (issue 19).
- :func:`pyramid_codes`: platinum / gold / iron / lead (0..3; ``NO_CLASS`` = -1 for non-customers) by rank
  of forward value within each firm (``sim.scenario.portfolio``).
- :func:`class_multipliers`: per firm, the factor on a customer's bond investment by its class, so that a
  firm's class weights (``portfolio.targets``) share the same total bond spend over fewer customers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.customers import reference_mechanisms as R
from sim.customers import registry as L

__all__ = [
    "NO_CLASS",
    "N_CLASSES",
    "Outlook",
    "outlook",
    "with_residual_value",
    "pyramid_codes",
    "class_multipliers",
    "band_cuts",
]

NO_CLASS = -1  # not a customer, or not classed since it joined its firm
N_CLASSES = 4  # platinum, gold, iron, lead (sim.scenario.portfolio.PYRAMID_CLASSES)
_EPS = 1e-9


@dataclass(frozen=True)
class Outlook:
    """Per row of the population (NaN for people who are not customers): forward value (currency), expected
    margin (currency per step), churn probability (per step) and growth potential (currency per step)."""

    value: np.ndarray
    margin: np.ndarray
    churn: np.ndarray
    growth: np.ndarray


def outlook(pop, p: np.ndarray, fp: np.ndarray, sf: np.ndarray, seg: np.ndarray, growth: bool = True) -> Outlook:
    """Each customer's outlook with its firm (see module docstring); ``p, fp, sf, seg`` as the kernel takes them.
    ``growth`` False leaves the growth potential NaN (a classing during the run needs only the value)."""
    n = pop.firm.shape[0]
    out = [np.full(n, np.nan) for _ in range(4)]
    c = np.flatnonzero(pop.firm >= 0)
    f = pop.firm[c].astype(np.int64)
    us = pop.segment[c].astype(np.int64)
    loy = pop.loyalty[c].astype(np.float64)
    bf = pop.bond_fin[c].astype(np.float64)
    damp = R.churn_damping(p, fp, f, bf, pop.bond_str[c].astype(np.float64))
    h_dis = R.dissatisfaction_hazard(p, pop.satisfaction[c].astype(np.float64), loy, damp)
    h_comp = R.competition_hazard(R.competition(p, sf, us, f, 0.0), loy, damp)
    pch = h_dis + h_comp + R.staff_hazard(fp, f) + R.own_hazard(p, pop.own_churn[c])
    freq, wallet = pop.freq[c], pop.wallet[c]
    spend = R.purchase_probability(p, seg, us, freq, loy, bf) * R.spend_if_buying(p, fp, seg, us, f, wallet, loy)
    margin = spend * fp[f, L.FP_MARGIN] - fp[f, L.FP_SERVE]
    out[0][c] = R.clv(p[L.P_DISC], margin, pch)
    out[1][c] = margin
    out[2][c] = np.minimum(pch, 1.0)
    if growth:
        full = np.ones_like(loy)
        spend_full = R.purchase_probability(p, seg, us, freq, full, bf) * R.spend_if_buying(p, fp, seg, us, f, wallet, full)
        out[3][c] = np.maximum(0.0, spend_full - spend)
    return Outlook(*out)


def with_residual_value(o: Outlook, firm: np.ndarray, fp: np.ndarray, residual: np.ndarray, kept: np.ndarray) -> Outlook:
    """``o`` with the forward value of rows ``kept`` (a mask over the first ``len(residual)`` rows: customers
    still with the firm they had at the start) replaced by ``residual`` (expected residual revenue, currency)
    times their firm's margin rate, so that it is a margin as the engine's CLV is (D8; the cost to serve is not
    subtracted: the fitted model gives purchases, not the steps a customer stays). Other rows keep theirs."""
    rows = np.flatnonzero(kept)
    value = o.value.copy()
    value[rows] = residual[rows] * fp[firm[rows].astype(np.int64), L.FP_MARGIN]
    return Outlook(value, o.margin, o.churn, o.growth)


def band_cuts(n: int, shares: tuple[float, ...]) -> np.ndarray:
    """The ranks (0-based, best first) where each band ends, for ``n`` customers and band shares taken in order:
    cumulative shares capped at 1, times ``n``, rounded down (a band of 5% of 100 customers is ranks 0..4)."""
    cum = np.minimum(1.0, np.cumsum(np.asarray(shares, dtype=np.float64)))
    return np.floor(cum * n + _EPS).astype(np.int64)


def _top(v: np.ndarray, k: int, kth: float) -> np.ndarray:
    """Mask of the ``k`` best of ``v`` (best first, ties in row order) given ``kth``, the k-th largest value."""
    top = v > kth
    tied = np.flatnonzero(v == kth)
    top[tied[: k - int(top.sum())]] = True
    return top


def pyramid_codes(
    firm: np.ndarray, value: np.ndarray, n_firms: int, shares: tuple[float, float, float], lead_below: float
) -> np.ndarray:
    """D8 pyramid: per firm, its customers ranked by ``value`` (best first, ties in row order) fall in platinum,
    gold, iron by the band ``shares`` and lead after them; value below ``lead_below`` is lead whatever the rank.

    No full sort: a band's members are the values above the value at its last rank (``np.partition``, all the
    cuts at once), plus the first in row order of the ones equal to it. The same classes as ranking by a
    stable sort; a firm with a NaN value (not ordered) is ranked by a stable sort."""
    codes = np.full(firm.shape[0], NO_CLASS, dtype=np.int8)
    rows = np.flatnonzero(firm >= 0)
    by_firm = rows[np.argsort(firm[rows], kind="stable")]  # row order within each firm (radix sort of int8)
    starts = np.searchsorted(firm[by_firm], np.arange(n_firms + 1))
    for g in range(n_firms):
        members = by_firm[starts[g] : starts[g + 1]]
        n = members.shape[0]
        v = value[members]
        cuts = band_cuts(n, shares)
        if np.isnan(v).any():
            rank = np.empty(n, dtype=np.int64)
            rank[np.argsort(-v, kind="stable")] = np.arange(n)
            codes[members] = np.searchsorted(cuts, rank, side="right").astype(np.int8)
            continue
        inner = np.unique(cuts[(cuts > 0) & (cuts < n)])  # cuts at 0 or n split nobody
        kth = dict(zip(inner.tolist(), np.partition(v, n - inner)[n - inner].tolist(), strict=True))
        code = np.zeros(n, dtype=np.int8)
        for c in cuts:  # a customer's class = the number of bands (by cumulative share) it is not in
            if c < n:
                code += ~_top(v, int(c), kth[int(c)]) if c > 0 else np.int8(1)
        codes[members] = code
    neg = (codes != NO_CLASS) & (value < lead_below)
    codes[neg] = 3
    return codes


def class_multipliers(codes: np.ndarray, firm: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``[F, 1 + N_CLASSES]``: per firm, the factor on a customer's bond investment for no class (column 0: 1)
    and each class. A firm with weights ``w_k`` and ``n_k`` customers per class gets ``w_k N / sum n_k w_k``,
    so its bond investment summed over its classed customers is the same as without targeting (the spend
    is concentrated, not raised); a row of NaN weights (the firm targets nothing) gets all 1."""
    nf = weights.shape[0]
    out = np.ones((nf, 1 + N_CLASSES))
    classed = codes >= 0
    counts = np.zeros((nf, N_CLASSES))
    np.add.at(counts, (firm[classed].astype(np.int64), codes[classed].astype(np.int64)), 1.0)
    for g in range(nf):
        if np.isnan(weights[g]).any():
            continue
        spent = float(counts[g] @ weights[g])
        out[g, 1:] = weights[g] * counts[g].sum() / spent if spent > 0.0 else 0.0
    return out
