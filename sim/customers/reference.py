"""The customer dynamics of ``sim.customers.kernel`` and ``sim.customers.wom`` written again in plain, vectorised numpy.

Slow and simple on purpose: it is the specification the tests hold the numba kernels to, with the
same counter-based random numbers (``sim.customers.rng``), so on a small population the two agree to float
precision. The customer pass is built from the numpy twins of the kernel's helpers
(``sim.customers.reference_mechanisms``, same names and arguments as ``sim.customers.mechanisms``), called in
the kernel's order, so the two can be compared mechanism by mechanism; the event loop's helpers
(``_churn_destination``, ``_adoption``, ``_lapse``, ``_start_relationship``) have their namesakes here too.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from sim.customers import reference_mechanisms as R
from sim.customers import registry as L
from sim.customers.population import CustomerPopulation
from sim.customers.rng import customer_key_np, draw_np, u_hi_np, u_lo_np

__all__ = ["wom_pass_ref", "customer_pass_ref"]


def wom_pass_ref(pop: CustomerPopulation, key: np.uint64, reach_pos: float, reach_neg: float, n_firms: int) -> np.ndarray:
    """Deliver last step's word-of-mouth episodes (M5, F4, F5); talkers in index order."""
    tot = np.zeros((n_firms + 1, len(L.T)))
    indptr, indices = pop.network.indptr, pop.network.indices
    for j in np.flatnonzero(pop.voice):
        v = int(pop.voice[j])
        pop.voice[j] = 0
        positive = v > 0
        g = abs(v) - 1
        r = reach_pos if positive else reach_neg
        nb = indices[indptr[j] : indptr[j + 1]]
        deg = len(nb)
        contacts = 0.0
        if deg:
            q = r / deg
            ck = customer_key_np(key, np.array([j]))
            u = u_hi_np(_draws(ck[0], deg))
            hit = nb[(u < q) | (q >= 1.0)]
            contacts = float(len(hit))
            if positive:
                tot[g, L.T_POS_DEALS] += float((pop.firm[hit] < 0).sum())
            for m in hit:
                if positive:
                    pop.wom_pos_firm[m] = g
                    pop.wom_pos_n[m] = min(255, int(pop.wom_pos_n[m]) + 1)
                else:
                    pop.wom_neg_firm[m] = g
                    pop.wom_neg_n[m] = min(255, int(pop.wom_neg_n[m]) + 1)
        rest = r - deg if r > deg else 0.0
        ep, co, ra = (
            (L.T_POS_EPISODES, L.T_POS_CONTACTS, L.T_POS_RANDOM)
            if positive
            else (L.T_NEG_EPISODES, L.T_NEG_CONTACTS, L.T_NEG_RANDOM)
        )
        tot[g, ep] += 1.0
        tot[g, co] += contacts + rest
        tot[g, ra] += rest
    return tot


def _draws(ck: np.uint64, count: int) -> np.ndarray:
    """Draws 0..count-1 of one customer key (the kernel's ``draw(ck, e - a)`` per neighbour)."""
    return np.array([draw_np(np.array([ck], dtype=np.uint64), k)[0] for k in range(count)], dtype=np.uint64)


def customer_pass_ref(
    pop: CustomerPopulation, key: np.uint64, p: np.ndarray, fp: np.ndarray, sf: np.ndarray, seg: np.ndarray, now: int = 0
) -> np.ndarray:
    """One customer step in numpy; returns the totals ``[F + 1, len(T)]`` like ``CustomerPopulation.advance``.

    The kernel's sequence: every customer's mechanisms and what happens to it (``row_event``, the vector loop);
    the new state of the stayers and the purchases; the events (churn and where to, pruning, dropout); the
    prospects' adoption; the end-of-step tallies."""
    tot = np.zeros((fp.shape[0] + 1, len(L.T)))
    ck = customer_key_np(key, np.arange(pop.n))
    wom = _take_word_of_mouth(pop)
    c = np.flatnonzero(pop.firm >= 0)
    q = np.flatnonzero(pop.firm < 0)
    r = _customer_rows(pop, c, ck[c], wom, p, fp, sf, seg)
    _add(tot, L.T_COMPLAINTS, r.f[r.complained])  # D10: churners complain too
    _add(tot, L.T_RECOVERIES, r.f[r.recovered])
    _purchases_and_stayers(tot, pop, r, p, fp, seg)
    pop.last_purchase[r.c[r.bought & ((r.ev == R.EV_STAY) | (r.ev == R.EV_DROPOUT))]] = now  # this step's number
    _events(tot, pop, r, p, sf)
    _adoption(tot, pop, q, ck[q], wom, p, sf, seg)
    _tally_end_of_step(tot, pop)
    return tot


def _add(tot: np.ndarray, col: int, firms: np.ndarray, values: np.ndarray | float = 1.0) -> None:
    """Adds ``values`` to column ``col`` of the totals of ``firms``, row by row in index order."""
    np.add.at(tot[:, col], firms, values)


def _take_word_of_mouth(pop: CustomerPopulation) -> tuple[np.ndarray, ...]:
    """The word of mouth received last step (``npos, posf, nneg, negf`` per row); the counts are reset."""
    wom = tuple(a.astype(np.int64) for a in (pop.wom_pos_n, pop.wom_pos_firm, pop.wom_neg_n, pop.wom_neg_firm))
    pop.wom_pos_n[:] = 0
    pop.wom_neg_n[:] = 0
    return wom


def _customer_rows(
    pop: CustomerPopulation,
    c: np.ndarray,
    ckc: np.ndarray,
    wom: tuple[np.ndarray, ...],
    p: np.ndarray,
    fp: np.ndarray,
    sf: np.ndarray,
    seg: np.ndarray,
) -> SimpleNamespace:
    """The kernel's vector loop for the customers ``c`` (keys ``ckc``): every mechanism, in the kernel's order,
    and what happens to each row (``row_event``). Changes nothing."""
    f, us = pop.firm[c].astype(np.int64), pop.segment[c].astype(np.int64)
    npos, posf, nneg, negf = (a[c] for a in wom)
    sat0, exp0 = pop.satisfaction[c].astype(np.float64), pop.expectation[c].astype(np.float64)
    r1, r2, r3, r4, r6 = (draw_np(ckc, k) for k in (1, 2, 3, 4, 6))
    w = R.tier_weight(fp, f, pop.wallet[c], pop.freq[c])
    wb = w * R.class_weight(fp, f, pop.pclass[c])  # D8: bond investment by class
    perf = R.perceived_performance(p, fp, sf, us, f, w, sat0, r3)
    d = perf - exp0
    sat = R.satisfaction(p, sat0, d, R.heard_criticism(fp, f, f, nneg, negf, r4))
    delighted = R.delight(p, d)
    tr = R.trust(p, pop.trust[c].astype(np.float64), d)
    complained = R.complains(p, sat, r1)
    recovered = R.recovered(fp, f, complained, r1)
    unrecovered = complained & ~recovered
    sat = R.recovery_satisfaction(p, sat, recovered)
    tr = R.recovery_trust(p, tr, unrecovered)
    bf = R.bond(pop.bond_fin[c].astype(np.float64), p[L.P_DECAY_FIN], fp[f, L.FP_INV_FIN], wb)
    bs = R.bond(pop.bond_soc[c].astype(np.float64), p[L.P_DECAY_SOC], fp[f, L.FP_INV_SOC], wb)
    bt = R.bond(pop.bond_str[c].astype(np.float64), p[L.P_DECAY_STR], fp[f, L.FP_INV_STR], wb)
    loy = R.loyalty(p, pop.loyalty[c].astype(np.float64), sat, delighted, tr, bf, bs, bt)
    damp = R.churn_damping(p, fp, f, bf, bt)
    h_dis = R.dissatisfaction_hazard(p, sat, loy, damp)
    pull = R.referral_pull(p, npos, posf, f)
    comp = R.competition(p, sf, us, f, pull)
    h_comp = R.competition_hazard(comp, loy, damp)
    h_staff = R.staff_hazard(fp, f)
    pch = h_dis + h_comp + h_staff + R.own_hazard(p, pop.own_churn[c])
    uch = u_hi_np(r2)
    kind = R.churn_kind(uch, h_dis, h_comp, h_staff)
    pbuy = R.purchase_probability(p, seg, us, pop.freq[c], loy, bf)
    pbuy = pbuy * R.credit_purchase_factor(fp, f, pop.credit_grade[c])  # F9 credit terms (1.0: not cut)
    spend_if = R.spend_if_buying(p, fp, seg, us, f, pop.wallet[c], loy)
    exp_margin = pbuy * spend_if * fp[f, L.FP_MARGIN] - fp[f, L.FP_SERVE]
    ten = pop.tenure[c].astype(np.int64)
    pruned = R.pruned(p, fp, f, exp_margin, ten)
    bought = u_lo_np(r4) < pbuy
    revenue = np.where(bought, spend_if, 0.0)
    ev = R.row_event(True, uch < pch, kind, pruned, R.drops_out(p, bought, r6, pop.own_churn[c]), True)
    return SimpleNamespace(
        c=c, f=f, us=us, ev=ev, posf=posf, r2=r2, r6=r6, exp0=exp0, perf=perf, sat=sat, tr=tr, loy=loy,
        bf=bf, bs=bs, bt=bt, delighted=delighted, complained=complained, recovered=recovered,
        unrecovered=unrecovered, pull=pull, comp=comp, pch=pch, exp_margin=exp_margin, ten=ten,
        returning=ten >= p[L.P_RETURNING], bought=bought, revenue=revenue,
        margin=revenue * fp[f, L.FP_MARGIN] - fp[f, L.FP_SERVE],
    )  # fmt: skip


def _purchases_and_stayers(
    tot: np.ndarray, pop: CustomerPopulation, r: SimpleNamespace, p: np.ndarray, fp: np.ndarray, seg: np.ndarray
) -> None:
    """The kernel's write-back: every customer's expectation; the purchase of a stayer or a dropout (which buys
    before it leaves, BG/NBD); a stayer's new state, word of mouth and stage (D10); their tallies."""
    pop.expectation[r.c] = R.expectation(p, seg, r.us, r.exp0, r.perf)
    b = (r.ev == R.EV_STAY) | (r.ev == R.EV_DROPOUT)
    cb, fb, bought, revenue, margin = r.c[b], r.f[b], r.bought[b], r.revenue[b], r.margin[b]
    returning = np.where(r.returning[b], 1.0, 0.0)  # F3
    _add(tot, L.T_PURCHASES, fb, np.where(bought, 1.0, 0.0))
    _add(tot, L.T_REVENUE, fb, revenue)
    _add(tot, L.T_REV_RETURNING, fb, returning * revenue)
    _add(tot, L.T_SERVED, fb)
    _add(tot, L.T_MARGIN, fb, margin)
    _add(tot, L.T_MARGIN_RETURNING, fb, returning * margin)
    if p[L.P_CREDIT] > 0.0:  # F9: bad debt and receivables (currency-days) of the purchases
        grade, term = pop.credit_grade[cb], pop.payment_term[cb]
        granted = R.credit_term(fp, fb, grade, term)
        _add(tot, L.T_BAD_DEBT, fb, R.bad_debt(revenue, pop.collection_rate[cb], term, granted))
        _add(tot, L.T_RECEIVABLE_DAYS, fb, revenue * granted)
    pop.n_purchases[cb] = np.minimum(pop.n_purchases[cb].astype(np.int64) + bought, 65535)
    pop.cum_margin[cb] = pop.cum_margin[cb] + margin
    pop.cum_revenue[cb] = pop.cum_revenue[cb] + revenue
    s = r.ev == R.EV_STAY
    cs, fs = r.c[s], r.f[s]
    ten1 = np.minimum(r.ten[s] + 1, 32767)
    pop.tenure[cs] = ten1
    pop.voice[cs] = R.voice(fs, r.unrecovered[s], R.praises(p, r.delighted[s], r.r6[s]))
    pop.satisfaction[cs] = r.sat[s]
    pop.trust[cs] = r.tr[s]
    pop.loyalty[cs] = r.loy[s]
    pop.bond_fin[cs], pop.bond_soc[cs], pop.bond_str[cs] = r.bf[s], r.bs[s], r.bt[s]
    pop.stage[cs] = R.lifecycle_stage(p, pop.stage[cs], r.loy[s], ten1, r.sat[s])
    _add(tot, L.T_DELIGHTED, fs[r.delighted[s]])
    _add(tot, L.T_CLV, fs, R.clv(p[L.P_DISC], r.exp_margin[s], r.pch[s]))


def _events(tot: np.ndarray, pop: CustomerPopulation, r: SimpleNamespace, p: np.ndarray, sf: np.ndarray) -> None:
    """The kernel's event loop for its customers: pruning (D8), dropout after a purchase (BG/NBD), churn (D12)
    to a rival (a new relationship) or out of the market (lapsed, D10)."""
    ev, c, f = r.ev, r.c, r.f
    e = ev == R.EV_PRUNED
    _add(tot, L.T_PRUNED, f[e])
    _lapse(pop, c[e], f[e], 0)
    e = ev == R.EV_DROPOUT
    _add(tot, L.T_CHURN_OWN, f[e])
    _add(tot, L.T_LAPSED, f[e])
    _lapse(pop, c[e], f[e], 0)
    e = (ev >= R.EV_CHURN_DIS) & (ev <= R.EV_CHURN_OWN)
    ev, c, f, us = ev[e], c[e], f[e], r.us[e]
    dest = _churn_destination(tot, ev, f, us, r.r2[e], p, sf, r.pull[e], r.comp[e], r.posf[e])
    new_voice = np.where(r.unrecovered[e] | (ev == R.EV_CHURN_DIS), -(f + 1), 0)  # D10/M5: says so to others
    out = dest < 0
    _add(tot, L.T_LAPSED, f[out])
    _lapse(pop, c[out], f[out], new_voice[out])
    sw = ~out
    pop.voice[c[sw]] = new_voice[sw]
    pop.last_firm[c[sw]] = f[sw]
    _add(tot, L.T_TO_RIVAL, f[sw])
    _add(tot, L.T_ACQUIRED, dest[sw])
    _add(tot, L.T_FROM_RIVAL, dest[sw])
    _start_relationship(pop, c[sw], dest[sw], us[sw], sf, p)


def _churn_destination(
    tot: np.ndarray,
    ev: np.ndarray,
    f: np.ndarray,
    us: np.ndarray,
    r2: np.ndarray,
    p: np.ndarray,
    sf: np.ndarray,
    pull: np.ndarray,
    comp: np.ndarray,
    posf: np.ndarray,
) -> np.ndarray:
    """D12, the kernel's ``_churn_destination`` for many churners: the best rival (competition, staff, a share
    of the dissatisfied), a praised rival or a poacher (by their parts of the competition term ``comp``), or
    -1 (leaves the market); tallies the churn by cause."""
    _add(tot, L.T_CHURN_DIS, f[ev == R.EV_CHURN_DIS])
    _add(tot, L.T_CHURN_COMP, f[ev == R.EV_CHURN_COMP])
    _add(tot, L.T_CHURN_STAFF, f[ev == R.EV_CHURN_STAFF])
    _add(tot, L.T_CHURN_OWN, f[ev == R.EV_CHURN_OWN])
    best = sf[us, f, L.SF_BEST].astype(np.int64)
    u2 = u_lo_np(r2)
    dest = np.where((ev == R.EV_CHURN_DIS) & (best >= 0) & (u2 < p[L.P_SWITCH_SHARE]), best, -1)
    dest = np.where((ev == R.EV_CHURN_COMP) | (ev == R.EV_CHURN_STAFF), best, dest)
    uc = u2 * comp
    poach = sf[us, f, L.SF_POACH]
    praised = (ev == R.EV_CHURN_COMP) & (pull > 0.0) & (uc < pull)  # a praised rival wins
    poached = (ev == R.EV_CHURN_COMP) & ~praised & (poach > 0.0) & (uc < pull + poach)  # the poacher wins
    _add(tot, L.T_FROM_PRAISE, posf[praised])
    dest = np.where(praised, posf, dest)
    return np.where(poached, sf[us, f, L.SF_POACHER].astype(np.int64), dest)


def _adoption(
    tot: np.ndarray,
    pop: CustomerPopulation,
    q: np.ndarray,
    ckq: np.ndarray,
    wom: tuple[np.ndarray, ...],
    p: np.ndarray,
    sf: np.ndarray,
    seg: np.ndarray,
) -> None:
    """D10 acquisition of the prospects and lapsed ``q``: whether each adopts (the firms' hazards summed,
    ``adoption_hazard``) and which firm it picks (in proportion to the hazards); a lapsed customer may be won
    back; M13: a business customer's adoption starts praise to its contacts."""
    nf = sf.shape[1]
    us = pop.segment[q].astype(np.int64)
    npos, posf, nneg, negf = (a[q, None] for a in wom)
    g = np.arange(nf)[None, :]
    h = R.adoption_hazard(p, sf, us[:, None], g, npos, posf, nneg, negf, L.SF_ACQ)
    hr = R.adoption_hazard(p, sf, us[:, None], g, npos, posf, nneg, negf, L.SF_ACQ_REF)  # its referral part
    hsum = np.zeros(len(q))
    for k in range(nf):  # summed in firm order, as in the kernel
        hsum = hsum + h[:, k]
    ra = draw_np(ckq, 6)
    a = np.flatnonzero((hsum > 0.0) & (u_hi_np(ra) < np.minimum(hsum, 1.0)))
    chosen = np.minimum((np.cumsum(h, axis=1) <= (u_lo_np(ra) * hsum)[:, None]).sum(axis=1), nf - 1)
    qa, ch = q[a], chosen[a]
    _add(tot, L.T_ACQUIRED, ch)
    hch = h[a, ch]
    _add(tot, L.T_ACQ_REFERRAL, ch, np.where(hch > 0.0, hr[a, ch] / np.where(hch > 0, hch, 1.0), 0.0))
    back = pop.last_firm[qa] == ch
    _add(tot, L.T_WON_BACK, ch[back])
    _start_relationship(pop, qa, ch, us[a], sf, p)
    pop.stage[qa[back]] = L.WON_BACK
    netv = seg[us[a], L.SEG_NETWORK]
    talks = (netv > 0.0) & (u_hi_np(draw_np(ckq[a], 7)) < netv)
    pop.voice[qa[talks]] = ch[talks] + 1


def _tally_end_of_step(tot: np.ndarray, pop: CustomerPopulation) -> None:
    """Who is where at the end of the step: each firm's customers, their state and stages; row ``F`` counts the
    rest (prospects and lapsed)."""
    nf = tot.shape[0] - 1
    t_idx = np.flatnonzero(pop.firm >= 0)
    ft = pop.firm[t_idx].astype(np.int64)
    _add(tot, L.T_CUSTOMERS, ft)
    for col, arr in (
        (L.T_SAT, pop.satisfaction),
        (L.T_TRUST, pop.trust),
        (L.T_LOYALTY, pop.loyalty),
        (L.T_BOND_FIN, pop.bond_fin),
        (L.T_BOND_SOC, pop.bond_soc),
        (L.T_BOND_STR, pop.bond_str),
    ):
        _add(tot, col, ft, arr[t_idx].astype(np.float64))
    np.add.at(tot, (ft, L.T_ST_PROSPECT + pop.stage[t_idx].astype(np.int64)), 1.0)
    o_idx = np.flatnonzero(pop.firm < 0)
    tot[nf, L.T_CUSTOMERS] += len(o_idx)
    np.add.at(tot, (np.full(len(o_idx), nf), L.T_ST_PROSPECT + pop.stage[o_idx].astype(np.int64)), 1.0)


def _lapse(pop: CustomerPopulation, who: np.ndarray, firms: np.ndarray, new_voice: np.ndarray | int) -> None:
    """Customers ``who`` leave ``firms`` for the pool of lapsed customers (D10), saying ``new_voice``."""
    pop.voice[who] = new_voice
    pop.last_firm[who] = firms
    pop.firm[who] = -1
    pop.stage[who] = L.LAPSED


def _start_relationship(
    pop: CustomerPopulation, who: np.ndarray, firms: np.ndarray, segs: np.ndarray, sf: np.ndarray, p: np.ndarray
) -> None:
    """A new relationship with ``firms`` (an adoption or a switch) starts afresh, as a new customer."""
    pop.firm[who] = firms
    pop.stage[who] = L.NEW
    pop.tenure[who] = 0
    pop.satisfaction[who] = p[L.P_SAT0]
    pop.trust[who] = p[L.P_TRUST0]
    pop.loyalty[who] = p[L.P_LOY0]
    pop.expectation[who] = sf[segs, firms, L.SF_VALUE]
    pop.bond_fin[who] = 0.0
    pop.bond_soc[who] = 0.0
    pop.bond_str[who] = 0.0
