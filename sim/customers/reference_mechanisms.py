"""The customer mechanisms of ``sim.customers.mechanisms`` in plain numpy, one function each, under the same names.

Each function takes the same arguments, with the same meaning, as its numba helper, but for many customers at
once: what is one customer's value there (``uf``, ``us``, ``sat0``, a draw ``r1``...) is an array of customers'
values here, and a select ``a if c else b`` is ``np.where(c, a, b)``. The arithmetic is written in the same
order, so a function and its helper's plain-Python version (``helper.py_func``) agree bit for bit
(tests/test_reference_mechanisms.py). ``sim.customers.reference`` builds the numpy customer pass from them.

Not mirrored: ``may_adopt`` and ``row_flags``, the kernel's bookkeeping between its vector loop and its event
loop and tallies (the reference decides every prospect's adoption exactly and tallies directly), and the
selects ``_min``/``_max``/``_abs`` (``np.minimum``/``np.maximum``/``np.abs``).
"""

from __future__ import annotations

import numpy as np

from sim.customers import registry as L
from sim.customers.mechanisms import (
    EV_CHURN_COMP,
    EV_CHURN_DIS,
    EV_CHURN_OWN,
    EV_CHURN_STAFF,
    EV_DROPOUT,
    EV_IDLE,
    EV_PROSPECT,
    EV_PRUNED,
    EV_STAY,
)
from sim.customers.rng import normal4_np, u_hi_np, u_lo_np

A = np.ndarray


def _f64(x: A) -> A:
    return np.asarray(x).astype(np.float64)


def tier_weight(fp: A, uf: A, wallet: A, freq: A) -> A:
    """D8 tiered service: care and bond investment per customer scale with the customer's value (spend x
    frequency multiplier, mean 1) by the firm's targeting weight; 0 = everyone alike."""
    return 1.0 + fp[uf, L.FP_TIER] * (_f64(wallet) * _f64(freq) - 1.0)


def class_weight(fp: A, uf: A, pc: A) -> A:
    """D8 class targeting: the firm's factor on the bond investment of a customer of pyramid class ``pc``
    (-1: none); 1 for every class when the firm targets none."""
    return fp[uf, L.FP_CLASS_NONE + 1 + np.asarray(pc).astype(np.int64)]


def perceived_performance(p: A, fp: A, sf: A, us: A, uf: A, w: A, sat0: A, r3: A) -> A:
    """D6/D7: delivered value + after-sales care (M14) + database marketing's attention to at-risk customers
    (M15) + perception noise (from draw 3)."""
    at_risk = np.where(sat0 < p[L.P_SAT_FLOOR], 1.0, 0.0)
    return sf[us, uf, L.SF_VALUE] + fp[uf, L.FP_CARE] * w + fp[uf, L.FP_RISK] * at_risk + p[L.P_NOISE] * normal4_np(r3)


def heard_criticism(fp: A, uf: A, f: A, nneg: A, negf: A, r4: A) -> A:
    """M5/F5: complaints about firm ``f`` heard from contacts, plus well-mixed criticism (high half of draw 4)."""
    heard = np.where((nneg > 0) & (negf == f), _f64(nneg), 0.0)
    return heard + np.where(u_hi_np(r4) < fp[uf, L.FP_NEG_RAND], 1.0, 0.0)


def satisfaction(p: A, sat0: A, d: A, heard_neg: A) -> A:
    """M1: satisfaction moves toward a logistic-like target of the disconfirmation ``d``, falls with the
    criticism heard (M5); clipped to [0, 1]."""
    x = d * p[L.P_INV_TOL]
    target = 0.5 + 0.5 * x / (1.0 + np.abs(x))
    sat = sat0 + p[L.P_SAT_SPEED] * (target - sat0) - p[L.P_NEG_IMPACT] * heard_neg
    return np.minimum(1.0, np.maximum(0.0, sat))


def expectation(p: A, seg: A, us: A, exp0: A, perf: A) -> A:
    """M1: the expectation adapts toward the performance, anchored to the segment's market reference."""
    anchored = (1.0 - p[L.P_ANCHOR]) * perf + p[L.P_ANCHOR] * seg[us, L.SEG_REF]
    return exp0 + p[L.P_EXP_SPEED] * (anchored - exp0)


def delight(p: A, d: A) -> A:
    """M2: only exceeding expectations (by more than the delight margin) delights."""
    return d > p[L.P_DELIGHT]


def trust(p: A, tr0: A, d: A) -> A:
    """M4: trust collapses on a broken promise, is rebuilt slowly when expectations are met."""
    broken = np.where(d < -p[L.P_BREAK], 1.0, 0.0)
    met = np.where(d >= 0.0, 1.0, 0.0)
    tr = tr0 * (1.0 - p[L.P_TRUST_DROP] * broken)
    return tr + p[L.P_TRUST_GAIN] * met * (1.0 - tr)


def complains(p: A, sat: A, r1: A) -> A:
    """D10: a dissatisfied customer (below the threshold) complains with a probability (high half of draw 1)."""
    return (sat < p[L.P_COMPLAIN_TH]) & (u_hi_np(r1) < p[L.P_COMPLAIN_P])


def recovered(fp: A, uf: A, complained: A, r1: A) -> A:
    """D10 recovery: the firm recovers a complaint with its recovery rate (low half of draw 1)."""
    return complained & (u_lo_np(r1) < fp[uf, L.FP_RECOVERY])


def recovery_satisfaction(p: A, sat: A, is_recovered: A) -> A:
    """D10: a recovered complainer regains part of the missing satisfaction."""
    return np.where(is_recovered, sat + p[L.P_RECOVERY_BOOST] * (1.0 - sat), sat)


def recovery_trust(p: A, tr: A, unrecovered: A) -> A:
    """D10/M5: an unrecovered complainer loses trust."""
    return np.where(unrecovered, tr * (1.0 - p[L.P_TRUST_DROP]), tr)


def bond(b0: A, decay: float, invest: A, w: A) -> A:
    """D3: a bond stock decays at its rate and is built by the firm's per-customer investment (times the tier
    weight ``w``, capped at 1) toward 1."""
    return b0 * (1.0 - decay) + np.minimum(1.0, invest * w) * (1.0 - b0)


def satisfaction_power(sat: A, k: int) -> A:
    """M2: satisfaction to the integer power ``k`` (1..8; the helper's chain of selects gives ``sat`` otherwise)."""
    sp = sat
    if 2 <= k <= 8:
        for _ in range(k - 1):
            sp = sp * sat
    return sp


def loyalty(p: A, loy0: A, sat: A, delighted: A, tr: A, bf: A, bs: A, bt: A) -> A:
    """M2/M3: loyalty moves toward a weighted sum of (convex) satisfaction, delight, trust and the three bonds."""
    sp = satisfaction_power(sat, int(p[L.P_SAT_POW]))
    lt = (
        p[L.P_W_SAT] * sp
        + p[L.P_W_DELIGHT] * np.where(delighted, 1.0, 0.0)
        + p[L.P_W_TRUST] * tr
        + p[L.P_W_FIN] * bf
        + p[L.P_W_SOC] * bs
        + p[L.P_W_STR] * bt
    )
    return loy0 + p[L.P_LOY_SPEED] * (np.minimum(1.0, lt) - loy0)


def churn_kind(u: A, h_dis: A, h_comp: A, h_staff: A) -> A:
    """D12: which churn hazard fired: the first whose cumulative sum passes the draw ``u`` (own circumstances
    if none of the others)."""
    kind = np.full(np.shape(u), EV_CHURN_OWN)
    kind = np.where(u < h_dis + h_comp + h_staff, EV_CHURN_STAFF, kind)
    kind = np.where(u < h_dis + h_comp, EV_CHURN_COMP, kind)
    return np.where(u < h_dis, EV_CHURN_DIS, kind)


def churn_damping(p: A, fp: A, uf: A, bf: A, bt: A) -> A:
    """M7 switching costs (structural bonds), D3 damping by financial bonds, M16 the cost of leaving a licensed
    monopoly (damps, not zeroes): the factor on the dissatisfaction and competition hazards."""
    return (1.0 - p[L.P_SWITCH_COST] * bt) * (1.0 - p[L.P_FIN_DAMP] * bf) * (1.0 - fp[uf, L.FP_LOCKIN])


def dissatisfaction_hazard(p: A, sat: A, loy: A, damp: A) -> A:
    """D12: churn because the firm does not satisfy: grows below the satisfaction floor, cut by loyalty."""
    return p[L.P_CH_DIS] * np.maximum(0.0, p[L.P_SAT_FLOOR] - sat) * p[L.P_INV_FLOOR] * (1.0 - loy) * damp


def referral_pull(p: A, npos: A, posf: A, f: A) -> A:
    """M5: a rival praised by a contact pulls the customer of firm ``f`` toward it."""
    return np.where((npos > 0) & (posf != f), p[L.P_REF_PULL] * npos, 0.0)


def competition(p: A, sf: A, us: A, uf: A, pull: A) -> A:
    """D12 competition term: the best rival's value gap, a praised rival's pull, rivals' pull (alliances,
    channels) and poaching offers aimed at the firm's customers; 0 without a rival (as for a
    licensed monopolist's customers, M16)."""
    base = p[L.P_CH_COMP] * sf[us, uf, L.SF_GAP] + pull + sf[us, uf, L.SF_PULL] + sf[us, uf, L.SF_POACH]
    return np.where(sf[us, uf, L.SF_BEST].astype(np.int64) >= 0, base, 0.0)


def competition_hazard(comp: A, loy: A, damp: A) -> A:
    """D12: churn to a rival, cut by loyalty and the damping of bonds and lock-in."""
    return comp * (1.0 - loy) * damp


def own_hazard(p: A, own: A) -> A:
    """D12 own circumstances (BG/NBD): applied every step, or only right after a purchase (``drops_out``)."""
    return _f64(own) * (1.0 - p[L.P_OWN_ON_PURCHASE])


def staff_hazard(fp: A, uf: A) -> A:
    """D12/M8: departing staff take customers with them to rivals."""
    return fp[uf, L.FP_STAFF]


def purchase_probability(p: A, seg: A, us: A, freq: A, loy: A, bf: A) -> A:
    """M3: loyalty raises purchase frequency; F6: members of a rewards programme buy more often."""
    return np.minimum(1.0, seg[us, L.SEG_RATE] * _f64(freq) * (1.0 + p[L.P_LOY_FREQ] * loy + p[L.P_FIN_FREQ] * bf))


def spend_if_buying(p: A, fp: A, seg: A, us: A, uf: A, wallet: A, loy: A) -> A:
    """M3/D11: the basket bought: loyalty raises the share of wallet, one-to-one marketing (D11) raises it more."""
    sow = p[L.P_SOW_FLOOR] + (1.0 - p[L.P_SOW_FLOOR]) * loy
    sow = sow + fp[uf, L.FP_SOW] * (1.0 - sow)
    return seg[us, L.SEG_BASKET] * _f64(wallet) * fp[uf, L.FP_PRICE] * sow


def pruned(p: A, fp: A, uf: A, exp_margin: A, tenure: A) -> A:
    """D8: a pruning firm ends the relationship with a customer past the new stage whose expected margin is negative."""
    return (fp[uf, L.FP_PRUNE] > 0.0) & (exp_margin < 0.0) & (tenure >= p[L.P_NEW_STEPS])


def drops_out(p: A, bought: A, r6: A, own: A) -> A:
    """BG/NBD (Fader, Hardie & Lee 2005): may drop out right after a purchase (low half of draw 6)."""
    return (p[L.P_OWN_ON_PURCHASE] > 0.0) & bought & (u_lo_np(r6) < _f64(own))


def praises(p: A, delighted: A, r6: A) -> A:
    """M5: a delighted customer may praise the firm (high half of draw 6)."""
    return delighted & (u_hi_np(r6) < p[L.P_POS_P])


def row_event(cust: A, churned: A, kind: A, is_pruned: A, dropout: A, maybe_adopts: A) -> A:
    """What happens to a row this step (``EV_*``): churn beats pruning (D8) beats a dropout (BG/NBD) beats
    staying; a prospect is ``EV_PROSPECT`` if it may adopt."""
    ev = np.where(dropout, EV_DROPOUT, EV_STAY)
    ev = np.where(is_pruned, EV_PRUNED, ev)
    ev = np.where(churned, kind, ev)
    return np.where(cust, ev, np.where(maybe_adopts, EV_PROSPECT, EV_IDLE))


def voice(f: A, unrecovered: A, praise: A) -> A:
    """M5: the word of mouth a staying customer spreads next step: -(f+1) an unrecovered complaint, else
    +(f+1) praise, else 0."""
    v = np.where(unrecovered, -(f + 1), 0)
    return np.where(praise & (v == 0), f + 1, v)


def lifecycle_stage(p: A, st0: A, loy: A, tenure: A, sat: A) -> A:
    """D10: the stage of a staying customer; first match wins: at risk, then new/won back, loyal, growing."""
    st = np.where(loy >= p[L.P_LOYAL_TH], L.LOYAL, L.GROWING)
    st_young = np.where(st0 == L.WON_BACK, L.WON_BACK, L.NEW)
    st = np.where(tenure < p[L.P_NEW_STEPS], st_young, st)
    return np.where(sat < p[L.P_SAT_FLOOR], L.AT_RISK, st)


def clv(disc: float, exp_margin: A, pch: A) -> A:
    """Customer equity: expected CLV = m r / (1 + i - r), r = 1 - churn probability, i = ``disc`` per step
    (Gupta & Lehmann 2003)."""
    rr = 1.0 - np.minimum(pch, 1.0)
    return exp_margin * rr / (1.0 + disc - rr)


def adoption_hazard(p: A, sf: A, us: A, g: A, npos: A, posf: A, nneg: A, negf: A, col: int) -> A:
    """D10 acquisition of a prospect by firm ``g``: the hazard ``sf[., ., col]`` (``SF_ACQ``, or its referral
    part ``SF_ACQ_REF``), raised by praise of ``g`` (F4), cut by criticism of ``g`` (F5). Broadcasts: prospects
    as a column (``us[:, None]``...) and firms as a row give the [prospect, firm] matrix."""
    h = sf[us, g, col]
    told = (npos > 0) & (posf == g)
    h = np.where(told, h + np.minimum(1.0, p[L.P_REF_CONV] * npos) * sf[us, g, L.SF_ATTRACT], h)
    warned = (nneg > 0) & (negf == g)
    return np.where(warned, h * (1.0 - p[L.P_NEG_BLOCK]), h)


def credit_purchase_factor(fp: A, uf: A, grade: A) -> A:
    """F9: a customer whose grade's credit term the firm cut buys less often (``BUY_A`` + grade; 1.0 when not cut)."""
    return fp[uf, L.FP_BUY_A + np.asarray(grade).astype(np.int64)]


def credit_term(fp: A, uf: A, grade: A, term_days: A) -> A:
    """F9: the days a customer's invoice stays unpaid: its own term, capped by the firm's term for its grade."""
    return np.minimum(_f64(term_days), fp[uf, L.FP_TERM_A + np.asarray(grade).astype(np.int64)])


def bad_debt(revenue: A, collection: A, term_days: A, granted: A) -> A:
    """F9: the uncollected share (1 - collection rate) of the credit the firm grants (``granted`` / own term)."""
    d = _f64(term_days)
    exposure = np.where(d > 0, granted / np.where(d > 0, d, 1.0), 0.0)
    return revenue * (1.0 - _f64(collection)) * exposure
