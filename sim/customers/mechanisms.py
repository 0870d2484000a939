"""The customer mechanisms, one small numba helper each, inlined into the customer pass (``sim.customers.kernel``).

Each helper computes one mechanism for one customer and returns a scalar (a tuple returned from an inlined
helper can stop the loop vectorising). They are written as selects, not branches, and call nothing but
each other, so the pass's vector loop stays one branch-free body after inlining: ``_min``/``_max``/``_abs``
are selects because numba's ``min``/``max``/``abs`` are calls. Parameters are read from ``p`` (scalars),
``fp[firm]``, ``sf[segment, firm]`` and ``seg[segment]`` by the helpers themselves; inside the pass they
are loop-invariant loads of non-aliasing arrays, which LLVM hoists out of the loop.

The same mechanisms in numpy, under the same names, are in ``sim.customers.reference_mechanisms`` (used
by ``sim.customers.reference``); every helper is also plain Python (``helper.py_func``), which
tests/test_kernel_helpers.py exercises.

An edit here recompiles the pass: its disk cache is stamped with every module of the floor
(``sim/customers/cache.py``).
"""

from __future__ import annotations

import numba
import numpy as np

from sim.customers import registry as L
from sim.customers.rng import normal4, u_hi, u_lo

_inline = numba.njit(inline="always", cache=True)

# what happens to a row this step, decided by the vector loop (EV_STAY and EV_IDLE rows are finished there)
(EV_STAY, EV_PROSPECT, EV_CHURN_DIS, EV_CHURN_COMP, EV_CHURN_STAFF, EV_CHURN_OWN, EV_PRUNED, EV_DROPOUT, EV_IDLE) = range(9)
# what a row counts toward in the tallies
FL_BOUGHT, FL_RETURNING, FL_DELIGHTED, FL_COMPLAINED, FL_RECOVERED = 1, 2, 4, 8, 16


@_inline
def _min(a, b):
    return a if a < b else b  # a select: numba's min() is a call, and a call stops LLVM vectorising


@_inline
def _max(a, b):
    return a if a > b else b


@_inline
def _abs(a):
    return a if a >= 0.0 else -a


@_inline
def tier_weight(fp, uf, wallet, freq):
    """D8 tiered service: the firm's care and bond investment per customer scale with the customer's value
    (spend x frequency multiplier, mean 1) by the firm's targeting weight; 0 = everyone alike."""
    return 1.0 + fp[uf, L.FP_TIER] * (np.float64(wallet) * np.float64(freq) - 1.0)


@_inline
def class_weight(fp, uf, pc):
    """D8 class targeting: the firm's factor on the bond investment of a customer of pyramid class ``pc``
    (-1: none); 1 for every class when the firm targets none."""
    return fp[uf, np.uint64(L.FP_CLASS_NONE + 1 + pc)]


@_inline
def _tier_weights(fp, uf, wallet, freq, pc):
    """D8: the tier weight (care) and the tier weight times the class weight (bond investment)."""
    w = tier_weight(fp, uf, wallet, freq)
    return w, w * class_weight(fp, uf, pc)


@_inline
def perceived_performance(p, fp, sf, us, uf, w, sat0, r3):
    """D6/D7: perceived performance = delivered value + after-sales care (M14) + database marketing's
    attention to at-risk customers (M15) + perception noise (from draw 3)."""
    at_risk = 1.0 if sat0 < p[L.P_SAT_FLOOR] else 0.0
    return sf[us, uf, L.SF_VALUE] + fp[uf, L.FP_CARE] * w + fp[uf, L.FP_RISK] * at_risk + p[L.P_NOISE] * normal4(r3)


@_inline
def heard_criticism(fp, uf, f, nneg, negf, r4):
    """M5/F5: complaints about firm ``f`` heard from contacts, plus well-mixed criticism (high half of draw 4)."""
    heard = np.float64(nneg) if (nneg > 0) & (negf == f) else 0.0
    return heard + (1.0 if u_hi(r4) < fp[uf, L.FP_NEG_RAND] else 0.0)


@_inline
def satisfaction(p, sat0, d, heard_neg):
    """M1: satisfaction moves toward a logistic-like target of the disconfirmation ``d`` = performance -
    expectation, and falls with the criticism heard (M5); clipped to [0, 1]."""
    x = d * p[L.P_INV_TOL]
    target = 0.5 + 0.5 * x / (1.0 + _abs(x))
    sat = sat0 + p[L.P_SAT_SPEED] * (target - sat0) - p[L.P_NEG_IMPACT] * heard_neg
    return _min(1.0, _max(0.0, sat))


@_inline
def expectation(p, seg, us, exp0, perf):
    """M1: the expectation adapts toward the performance, anchored to the segment's market reference."""
    anchored = (1.0 - p[L.P_ANCHOR]) * perf + p[L.P_ANCHOR] * seg[us, L.SEG_REF]
    return exp0 + p[L.P_EXP_SPEED] * (anchored - exp0)


@_inline
def delight(p, d):
    """M2: only exceeding expectations (by more than the delight margin) delights."""
    return d > p[L.P_DELIGHT]


@_inline
def trust(p, tr0, d):
    """M4: trust collapses on a broken promise (``d`` below -break margin), is rebuilt slowly when
    expectations are met."""
    broken = 1.0 if d < -p[L.P_BREAK] else 0.0
    met = 1.0 if d >= 0.0 else 0.0
    tr = tr0 * (1.0 - p[L.P_TRUST_DROP] * broken)
    return tr + p[L.P_TRUST_GAIN] * met * (1.0 - tr)


@_inline
def complains(p, sat, r1):
    """D10: a dissatisfied customer (below the threshold) complains with a probability (high half of draw 1)."""
    return (sat < p[L.P_COMPLAIN_TH]) & (u_hi(r1) < p[L.P_COMPLAIN_P])


@_inline
def recovered(fp, uf, complained, r1):
    """D10 recovery: the firm recovers a complaint with its recovery rate (low half of draw 1)."""
    return complained & (u_lo(r1) < fp[uf, L.FP_RECOVERY])


@_inline
def recovery_satisfaction(p, sat, is_recovered):
    """D10: a recovered complainer regains part of the missing satisfaction."""
    return sat + p[L.P_RECOVERY_BOOST] * (1.0 - sat) if is_recovered else sat


@_inline
def recovery_trust(p, tr, unrecovered):
    """D10/M5: an unrecovered complainer loses trust (and complains to others: ``voice``)."""
    return tr * (1.0 - p[L.P_TRUST_DROP]) if unrecovered else tr


@_inline
def bond(b0, decay, invest, w):
    """D3: a bond stock decays at its rate and is built by the firm's per-customer investment (times the
    tier weight ``w``, capped at 1) toward 1."""
    return b0 * (1.0 - decay) + _min(1.0, invest * w) * (1.0 - b0)


@_inline
def satisfaction_power(sat, k):
    """M2: satisfaction to the integer power ``k`` (1..8), a chain of selects (a loop would stop vectorising)."""
    s2 = sat * sat
    s3 = s2 * sat
    s4 = s3 * sat
    s5 = s4 * sat
    s6 = s5 * sat
    s7 = s6 * sat
    s8 = s7 * sat
    sp = sat
    sp = s2 if k == 2 else sp
    sp = s3 if k == 3 else sp
    sp = s4 if k == 4 else sp
    sp = s5 if k == 5 else sp
    sp = s6 if k == 6 else sp
    sp = s7 if k == 7 else sp
    return s8 if k == 8 else sp


@_inline
def loyalty(p, loy0, sat, delighted, tr, bf, bs, bt):
    """M2/M3: loyalty moves toward a weighted sum of (convex) satisfaction, delight, trust and the three bonds."""
    sp = satisfaction_power(sat, np.int64(p[L.P_SAT_POW]))
    lt = (
        p[L.P_W_SAT] * sp
        + p[L.P_W_DELIGHT] * (1.0 if delighted else 0.0)
        + p[L.P_W_TRUST] * tr
        + p[L.P_W_FIN] * bf
        + p[L.P_W_SOC] * bs
        + p[L.P_W_STR] * bt
    )
    return loy0 + p[L.P_LOY_SPEED] * (_min(1.0, lt) - loy0)


@_inline
def churn_kind(u, h_dis, h_comp, h_staff):
    """D12: which churn hazard fired: the first whose cumulative sum passes the draw ``u`` (own circumstances
    if none of the others)."""
    kind = EV_CHURN_OWN
    kind = EV_CHURN_STAFF if u < h_dis + h_comp + h_staff else kind
    kind = EV_CHURN_COMP if u < h_dis + h_comp else kind
    return EV_CHURN_DIS if u < h_dis else kind


@_inline
def churn_damping(p, fp, uf, bf, bt):
    """M7 switching costs from structural bonds, D3 level-1 damping by financial bonds, M16 the cost of leaving a
    licensed monopoly (``stakeholders.monopoly_lockin``, below 1: it damps, not zeroes): the factor on the
    dissatisfaction and competition hazards. (A monopolist's customers have no rival to switch to: ``competition``.)"""
    return (1.0 - p[L.P_SWITCH_COST] * bt) * (1.0 - p[L.P_FIN_DAMP] * bf) * (1.0 - fp[uf, L.FP_LOCKIN])


@_inline
def dissatisfaction_hazard(p, sat, loy, damp):
    """D12: churn because the firm does not satisfy: grows below the satisfaction floor, cut by loyalty."""
    return p[L.P_CH_DIS] * _max(0.0, p[L.P_SAT_FLOOR] - sat) * p[L.P_INV_FLOOR] * (1.0 - loy) * damp


@_inline
def referral_pull(p, npos, posf, f):
    """M5: a rival praised by a contact pulls the customer of firm ``f`` toward it."""
    return p[L.P_REF_PULL] * npos if (npos > 0) & (posf != f) else 0.0


@_inline
def competition(p, sf, us, uf, pull):
    """D12 competition term: the best rival's value gap, a praised rival's pull (``referral_pull``), rivals'
    pull (alliances, channels) and poaching offers aimed at the firm's customers; 0 without a rival (as for a
    licensed monopolist's customers, M16)."""
    base = p[L.P_CH_COMP] * sf[us, uf, L.SF_GAP] + pull + sf[us, uf, L.SF_PULL] + sf[us, uf, L.SF_POACH]
    return base if np.int64(sf[us, uf, L.SF_BEST]) >= 0 else 0.0


@_inline
def competition_hazard(comp, loy, damp):
    """D12: churn to a rival, cut by loyalty and the damping of bonds and lock-in."""
    return comp * (1.0 - loy) * damp


@_inline
def own_hazard(p, own):
    """D12 own circumstances (BG/NBD): applied every step, or only right after a purchase (``drops_out``)."""
    return np.float64(own) * (1.0 - p[L.P_OWN_ON_PURCHASE])


@_inline
def staff_hazard(fp, uf):
    """D12/M8: departing staff take customers with them to rivals."""
    return fp[uf, L.FP_STAFF]


@_inline
def purchase_probability(p, seg, us, freq, loy, bf):
    """M3: loyalty raises purchase frequency; F6: members of a rewards programme (financial bond) buy more often."""
    return _min(1.0, seg[us, L.SEG_RATE] * np.float64(freq) * (1.0 + p[L.P_LOY_FREQ] * loy + p[L.P_FIN_FREQ] * bf))


@_inline
def spend_if_buying(p, fp, seg, us, uf, wallet, loy):
    """M3/D11: the basket bought: loyalty raises the share of wallet, one-to-one marketing (D11) raises it more."""
    sow = p[L.P_SOW_FLOOR] + (1.0 - p[L.P_SOW_FLOOR]) * loy
    sow = sow + fp[uf, L.FP_SOW] * (1.0 - sow)
    return seg[us, L.SEG_BASKET] * np.float64(wallet) * fp[uf, L.FP_PRICE] * sow


@_inline
def pruned(p, fp, uf, exp_margin, tenure):
    """D8: a pruning firm ends the relationship with a customer past the new stage whose expected margin is negative."""
    return (fp[uf, L.FP_PRUNE] > 0.0) & (exp_margin < 0.0) & (tenure >= p[L.P_NEW_STEPS])


@_inline
def drops_out(p, bought, r6, own):
    """BG/NBD (Fader, Hardie & Lee 2005): may drop out right after a purchase (low half of draw 6)."""
    return (p[L.P_OWN_ON_PURCHASE] > 0.0) & bought & (u_lo(r6) < np.float64(own))


@_inline
def praises(p, delighted, r6):
    """M5: a delighted customer may praise the firm (high half of draw 6)."""
    return delighted & (u_hi(r6) < p[L.P_POS_P])


@_inline
def may_adopt(npos, nneg, r6, bound):
    """F4/F5: a prospect told nothing whose draw is above ``adoption_bound`` certainly stays a prospect."""
    return (npos > 0) | (nneg > 0) | (u_hi(r6) < bound)


@_inline
def row_event(cust, churned, kind, is_pruned, dropout, maybe_adopts):
    """What happens to a row this step (``EV_*``): churn beats pruning (D8) beats a dropout (BG/NBD) beats
    staying; a prospect goes to the event loop only if it may adopt."""
    ev = EV_DROPOUT if dropout else EV_STAY
    ev = EV_PRUNED if is_pruned else ev
    ev = kind if churned else ev
    return ev if cust else (EV_PROSPECT if maybe_adopts else EV_IDLE)


@_inline
def row_flags(bought, returning, delighted, complained, is_recovered):
    """What a row counts toward in the tallies (``FL_*`` bits)."""
    return (
        (FL_BOUGHT if bought else 0)
        | (FL_RETURNING if returning else 0)
        | (FL_DELIGHTED if delighted else 0)
        | (FL_COMPLAINED if complained else 0)
        | (FL_RECOVERED if is_recovered else 0)
    )


@_inline
def voice(f, unrecovered, praise):
    """M5: the word of mouth a staying customer spreads next step: -(f+1) an unrecovered complaint, else
    +(f+1) praise, else 0."""
    v = -(f + 1) if unrecovered else 0
    return f + 1 if praise & (v == 0) else v


@_inline
def lifecycle_stage(p, st0, loy, tenure, sat):
    """D10: the stage of a staying customer; first match wins: at risk, then new/won back, loyal, growing."""
    st = L.LOYAL if loy >= p[L.P_LOYAL_TH] else L.GROWING
    st_young = L.WON_BACK if st0 == L.WON_BACK else L.NEW
    st = st_young if tenure < p[L.P_NEW_STEPS] else st
    return L.AT_RISK if sat < p[L.P_SAT_FLOOR] else st


@_inline
def clv(disc, exp_margin, pch):
    """Customer equity: expected CLV = m r / (1 + i - r), r = 1 - churn probability, i = ``disc`` per step
    (Gupta & Lehmann 2003)."""
    rr = 1.0 - _min(pch, 1.0)
    return exp_margin * rr / (1.0 + disc - rr)


@_inline
def adoption_hazard(p, sf, us, g, npos, posf, nneg, negf, col):
    """D10 acquisition of a prospect by firm ``g``: the hazard ``sf[., ., col]`` (``SF_ACQ``, or its referral
    part ``SF_ACQ_REF``), raised by praise of ``g`` (F4), cut by criticism of ``g`` (F5). Scalar: event loop."""
    h = sf[us, g, col]
    if npos > 0 and posf == g:
        h += min(1.0, p[L.P_REF_CONV] * npos) * sf[us, g, L.SF_ATTRACT]
    if nneg > 0 and negf == g:
        h *= 1.0 - p[L.P_NEG_BLOCK]
    return h


@_inline
def credit_purchase_factor(fp, uf, grade):
    """F9: a customer whose grade's credit term the firm cut buys less often (``BUY_A`` + grade; 1.0 when not cut)."""
    return fp[uf, L.FP_BUY_A + np.int64(grade)]


@_inline
def credit_term(fp, uf, grade, term_days):
    """F9: the days a customer's invoice stays unpaid: its own payment term, capped by the firm's term for its grade."""
    return _min(np.float64(term_days), fp[uf, L.FP_TERM_A + np.int64(grade)])


@_inline
def bad_debt(revenue, collection, term_days, granted):
    """F9: the invoiced revenue never collected: the uncollected share (1 - collection rate) of the credit the
    firm grants (``granted`` / the customer's own term: a cash-only customer owes nothing)."""
    exposure = granted / np.float64(term_days) if term_days > 0 else 0.0
    return revenue * (1.0 - np.float64(collection)) * exposure
