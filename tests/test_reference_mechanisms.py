"""The numpy reference's mechanisms against the kernel's helpers, one by one: each numpy function of
``sim.customers.reference_mechanisms`` on arrays of random customers (with the edge cases of every branch)
equals, element by element and bit for bit, its numba helper's plain-Python version (``helper.py_func``)
called row by row."""

from __future__ import annotations

import inspect
import re
from types import SimpleNamespace

import numpy as np
import pytest

from sim.customers import mechanisms as M
from sim.customers import reference_mechanisms as R
from sim.customers import registry as L

N = 200  # rows
NF, NS = 3, 2  # firms, segments
NOT_MIRRORED = {"may_adopt", "row_flags"}  # the kernel's bookkeeping between its loops, no mechanism


def _edges(rng: np.random.Generator, values: np.ndarray, edges: list, share: float = 0.3) -> np.ndarray:
    """``values`` with a ``share`` of the rows replaced by the edge cases ``edges`` (cycled)."""
    out = values.copy()
    rows = np.flatnonzero(rng.random(len(out)) < share)
    out[rows] = np.resize(np.asarray(edges, dtype=out.dtype), len(rows))
    return out


@pytest.fixture(scope="module")
def d() -> SimpleNamespace:
    """Random parameters and customers; the edge cases: satisfaction at the floor, zero investment (firm 1),
    lock-in 1 (firm 2), no best rival (-1), disconfirmation at the delight and break margins, tenure at the
    new-stage and returning limits, word of mouth about the customer's own firm, draws of 0 and 2**64-1."""
    rng = np.random.default_rng(20261129)
    p = rng.uniform(0.05, 0.6, len(L.P))
    p[L.P_SAT_POW] = 3.0
    p[L.P_INV_TOL] = 4.0
    p[L.P_INV_FLOOR] = 1.0 / p[L.P_SAT_FLOOR]
    p[L.P_NEW_STEPS], p[L.P_RETURNING], p[L.P_DISC] = 4.0, 8.0, 0.01
    fp = rng.uniform(0.0, 0.5, (NF, len(L.FP)))
    fp[:, L.FP_PRICE], fp[:, L.FP_PRUNE] = 1.0, [1.0, 0.0, 1.0]
    fp[1, [L.FP_INV_FIN, L.FP_INV_SOC, L.FP_INV_STR, L.FP_CARE, L.FP_TIER]] = 0.0  # zero investment
    fp[2, L.FP_LOCKIN] = 1.0
    sf = rng.uniform(0.0, 0.4, (NS, NF, len(L.SF)))
    sf[:, :, L.SF_BEST] = [[-1, 0, 0], [2, -1, 1]]  # no best rival = -1
    sf[:, :, L.SF_POACHER] = [[1, 2, 0], [2, 0, 1]]
    seg = rng.uniform(0.1, 1.0, (NS, len(L.SEG)))
    draws = rng.integers(0, 2**63, (8, N), dtype=np.uint64) * np.uint64(2) + rng.integers(0, 2, (8, N), dtype=np.uint64)
    uf = rng.integers(0, NF, N).astype(np.uint64)
    f = _edges(rng, uf.astype(np.int64), [-1])
    sat0 = _edges(rng, rng.uniform(0, 1, N), [p[L.P_SAT_FLOOR], 0.0, 1.0, p[L.P_COMPLAIN_TH]])
    dd = _edges(rng, rng.normal(0, 0.3, N), [0.0, -p[L.P_BREAK], p[L.P_DELIGHT], 1e9, -1e9])
    h = rng.uniform(0, 0.4, (3, N))
    return SimpleNamespace(
        p=p, fp=fp, sf=sf, seg=seg,
        uf=uf, us=rng.integers(0, NS, N).astype(np.uint64), f=f, g=rng.integers(0, NF, N),
        r=[_edges(rng, draws[k], [0, 2**64 - 1], 0.1) for k in range(8)],
        wallet=rng.gamma(2.0, 0.5, N).astype(np.float32), freq=rng.gamma(2.0, 0.5, N).astype(np.float32),
        own=rng.uniform(0, 0.1, N).astype(np.float32),
        sat0=sat0, sat=np.clip(sat0 + rng.normal(0, 0.1, N), 0, 1), d=dd,
        x=rng.uniform(0, 1, (6, N)), w=_edges(rng, rng.uniform(0, 2, N), [0.0]),
        npos=_edges(rng, rng.integers(0, 4, N), [0]), posf=_edges(rng, rng.integers(0, NF, N), [0]),
        nneg=_edges(rng, rng.integers(0, 4, N), [0]), negf=_edges(rng, rng.integers(0, NF, N), [0]),
        b=[rng.random(N) < 0.5 for _ in range(4)],
        u=_edges(rng, rng.uniform(0, 1, N), [h[0, 0], h[0, 1] + h[1, 1], 0.0]), h=h,
        kind=rng.integers(M.EV_CHURN_DIS, M.EV_CHURN_OWN + 1, N),
        tenure=_edges(rng, rng.integers(0, 12, N), [4, 8, 0]), st0=rng.integers(0, 7, N),
        pch=_edges(rng, rng.uniform(0, 1.5, N), [0.0, 1.0]),
        margin=rng.normal(0, 1, N),
    )  # fmt: skip


def _cases(d: SimpleNamespace) -> dict[str, tuple]:
    """Each mirrored helper's arguments: arrays of N rows are per customer, the rest shared."""
    p, fp, sf, seg, r, x, b = d.p, d.fp, d.sf, d.seg, d.r, d.x, d.b
    return {
        "tier_weight": (fp, d.uf, d.wallet, d.freq),
        "class_weight": (fp, d.uf, d.st0 % 5 - 1),  # D8: pyramid class -1..3
        "perceived_performance": (p, fp, sf, d.us, d.uf, d.w, d.sat0, r[3]),
        "heard_criticism": (fp, d.uf, d.f, d.nneg, d.negf, r[4]),
        "satisfaction": (p, d.sat0, d.d, x[0] * 2),
        "expectation": (p, seg, d.us, x[1], x[2]),
        "delight": (p, d.d),
        "trust": (p, x[0], d.d),
        "complains": (p, d.sat0, r[1]),
        "recovered": (fp, d.uf, b[0], r[1]),
        "recovery_satisfaction": (p, d.sat, b[1]),
        "recovery_trust": (p, x[3], b[2]),
        "bond": (x[4], 0.05, fp[d.uf, L.FP_INV_STR], d.w),
        "satisfaction_power": (d.sat, 3),  # every exponent: test_satisfaction_power_for_every_exponent
        "loyalty": (p, x[5], d.sat, b[0], x[0], x[1], x[2], x[3]),
        "churn_kind": (d.u, d.h[0], d.h[1], d.h[2]),
        "churn_damping": (p, fp, d.uf, x[1], x[2]),
        "dissatisfaction_hazard": (p, d.sat0, x[0], x[1]),
        "referral_pull": (p, d.npos, d.posf, d.f),
        "competition": (p, sf, d.us, d.uf, x[4]),
        "competition_hazard": (x[3], x[4], x[5]),
        "own_hazard": (p, d.own),
        "staff_hazard": (fp, d.uf),
        "purchase_probability": (p, seg, d.us, d.freq * 3, x[0], x[1]),
        "spend_if_buying": (p, fp, seg, d.us, d.uf, d.wallet, x[2]),
        "pruned": (p, fp, d.uf, d.margin, d.tenure),
        "drops_out": (p, b[3], r[6], d.own * 10),
        "praises": (p, b[2], r[6]),
        "row_event": (b[0], b[1], d.kind, b[2], b[3], d.x[0] < 0.5),
        "voice": (d.f, b[0], b[1]),
        "lifecycle_stage": (p, d.st0, x[0], d.tenure, d.sat0),
        "clv": (p[L.P_DISC], d.margin, d.pch),
        "adoption_hazard": (p, sf, d.us, d.g, d.npos, d.posf, d.nneg, d.negf, L.SF_ACQ),
        # F9: grades 0-3, terms of 0 (cash) to 300 days against the firms' terms (random, some below the term)
        "credit_purchase_factor": (fp, d.uf, d.g % 4),
        "credit_term": (fp * 400, d.uf, (d.g + d.tenure) % 4, d.tenure * 30),
        "bad_debt": (d.margin, x[0], d.tenure * 30, x[1] * 200),
    }


def _row_by_row(helper, args: tuple) -> np.ndarray:
    """``helper.py_func`` on each row: an argument of N rows gives its row's element, the others are shared."""
    per_row = [isinstance(a, np.ndarray) and a.shape == (N,) for a in args]
    return np.array([helper.py_func(*(a[i] if pr else a for a, pr in zip(args, per_row, strict=True))) for i in range(N)])


def _mirrored() -> list[str]:
    public = (n for n, v in vars(M).items() if not n.startswith("_") and getattr(v, "__module__", "") == M.__name__)
    return sorted(n for n in public if n not in NOT_MIRRORED)


@pytest.mark.parametrize("name", _mirrored())
def test_numpy_mechanism_equals_the_kernel_helper_row_by_row(name, d):
    args = _cases(d)[name]
    got = getattr(R, name)(*args)
    want = _row_by_row(getattr(M, name), args)
    assert got.shape == (N,)
    np.testing.assert_array_equal(got, want, err_msg=name)
    assert len(np.unique(want)) > 1, f"{name}: every row gives the same value; the inputs cover no branch"


@pytest.mark.parametrize("k", range(10))
def test_satisfaction_power_for_every_exponent(k, d):
    want = np.array([M.satisfaction_power.py_func(s, k) for s in d.sat])
    np.testing.assert_array_equal(R.satisfaction_power(d.sat, k), want)


@pytest.mark.parametrize("sat_pow", range(1, 9))
def test_loyalty_for_every_satisfaction_power(sat_pow, d):
    p = d.p.copy()
    p[L.P_SAT_POW] = sat_pow
    args = (p, d.x[5], d.sat, d.b[0], d.x[0], d.x[1], d.x[2], d.x[3])
    np.testing.assert_array_equal(R.loyalty(*args), _row_by_row(M.loyalty, args))


def test_adoption_hazard_broadcasts_prospects_by_firms(d):
    """As the reference calls it: prospects as a column, firms as a row, the [prospect, firm] matrix."""
    g = np.arange(NF)
    col = (d.us[:, None], g[None, :], d.npos[:, None], d.posf[:, None], d.nneg[:, None], d.negf[:, None])
    got = R.adoption_hazard(d.p, d.sf, *col, L.SF_ACQ_REF)
    want = [[M.adoption_hazard.py_func(d.p, d.sf, d.us[i], k, d.npos[i], d.posf[i], d.nneg[i], d.negf[i], L.SF_ACQ_REF)
             for k in g] for i in range(N)]  # fmt: skip
    np.testing.assert_array_equal(got, np.array(want))


def test_the_edge_cases_are_reached(d):
    """The inputs reach the branches the edge cases are there for."""
    fp, sf = d.fp, d.sf
    assert (R.churn_damping(d.p, fp, d.uf, d.x[1], d.x[2])[d.uf == 2] == 0.0).all()  # lock-in 1
    assert (R.competition(d.p, sf, d.us, d.uf, d.x[4]) == 0.0).any()  # no best rival
    assert (R.bond(d.x[4], 0.05, fp[d.uf, L.FP_INV_STR], d.w) == d.x[4] * 0.95).any()  # zero investment
    assert set(R.churn_kind(d.u, *d.h)) == {M.EV_CHURN_DIS, M.EV_CHURN_COMP, M.EV_CHURN_STAFF, M.EV_CHURN_OWN}
    assert set(R.lifecycle_stage(d.p, d.st0, d.x[0], d.tenure, d.sat0)) == {L.NEW, L.GROWING, L.LOYAL, L.AT_RISK, L.WON_BACK}
    assert (d.sat0 == d.p[L.P_SAT_FLOOR]).any() and (R.referral_pull(d.p, d.npos, d.posf, d.f) > 0).any()
    trust = R.trust(d.p, d.x[0], d.d)
    assert (trust < d.x[0]).any() and (trust > d.x[0]).any() and (trust == d.x[0]).any()


def test_every_helper_has_a_numpy_twin_with_the_same_arguments_and_claims():
    """A new helper in mechanisms.py needs its numpy twin (and a row in ``_cases``) to pass."""
    claims = re.compile(r"\b[DMFL]\d{1,2}\b")
    for name in _mirrored():
        helper, twin = getattr(M, name).py_func, getattr(R, name, None)
        assert twin is not None, f"reference_mechanisms.{name} is missing"
        assert list(inspect.signature(twin).parameters) == list(inspect.signature(helper).parameters), name
        assert set(claims.findall(twin.__doc__)) == set(claims.findall(helper.__doc__)), name
