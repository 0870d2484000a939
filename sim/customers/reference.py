"""The customer dynamics of ``sim.customers.kernel`` and ``sim.customers.wom`` written again in plain, vectorised numpy.

Slow and simple on purpose: it is the specification the tests hold the numba kernels to, with the
same counter-based random numbers (``sim.customers.rng``), so on a small population the two agree to float
precision. Each block names the claim it implements, as in the kernel.
"""

from __future__ import annotations

import numpy as np

from sim.customers import registry as L
from sim.customers.population import CustomerPopulation
from sim.customers.rng import customer_key_np, draw_np, normal4_np, u_hi_np, u_lo_np

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
    pop: CustomerPopulation, key: np.uint64, p: np.ndarray, fp: np.ndarray, sf: np.ndarray, seg: np.ndarray
) -> np.ndarray:
    """One customer step in numpy; returns the totals ``[F + 1, len(T)]`` like ``CustomerPopulation.advance``."""
    nf = fp.shape[0]
    tot = np.zeros((nf + 1, len(L.T)))
    n = pop.n
    idx = np.arange(n)
    ck = customer_key_np(key, idx)
    f0 = pop.firm.astype(np.int64)
    s0 = pop.segment.astype(np.int64)
    npos = pop.wom_pos_n.astype(np.int64)
    posf = pop.wom_pos_firm.astype(np.int64)
    nneg = pop.wom_neg_n.astype(np.int64)
    negf = pop.wom_neg_firm.astype(np.int64)
    pop.wom_pos_n[:] = 0
    pop.wom_neg_n[:] = 0
    tally = np.zeros(n, dtype=bool)

    def add(col: int, firms: np.ndarray, values: np.ndarray | float = 1.0) -> None:
        np.add.at(tot[:, col], firms, values)

    # ---------------------------------------------------------------- customers
    c = np.flatnonzero(f0 >= 0)
    f, s, ckc = f0[c], s0[c], ck[c]
    r2, r3, r4 = draw_np(ckc, 2), draw_np(ckc, 3), draw_np(ckc, 4)
    # D6/D7 perceived performance
    value = pop.wallet[c].astype(np.float64) * pop.freq[c].astype(np.float64)
    w = 1.0 + fp[f, L.FP_TIER] * (value - 1.0)  # D8 tiered service
    at_risk = np.where(pop.satisfaction[c] < p[L.P_SAT_FLOOR], 1.0, 0.0)  # M15 database marketing
    perf = sf[s, f, L.SF_VALUE] + fp[f, L.FP_CARE] * w + fp[f, L.FP_RISK] * at_risk + p[L.P_NOISE] * normal4_np(r3)
    heard_neg = np.where((nneg[c] > 0) & (negf[c] == f), nneg[c].astype(np.float64), 0.0)
    heard_neg = heard_neg + np.where(u_hi_np(r4) < fp[f, L.FP_NEG_RAND], 1.0, 0.0)
    # M1 disconfirmation
    sat_old = pop.satisfaction[c].astype(np.float64)
    exp_old = pop.expectation[c].astype(np.float64)
    d = perf - exp_old
    x = d * p[L.P_INV_TOL]
    target = 0.5 + 0.5 * x / (1.0 + np.abs(x))
    sat = sat_old + p[L.P_SAT_SPEED] * (target - sat_old) - p[L.P_NEG_IMPACT] * heard_neg
    sat = np.minimum(1.0, np.maximum(0.0, sat))
    anchor = p[L.P_ANCHOR]
    anchored = (1.0 - anchor) * perf + anchor * seg[s, L.SEG_REF]
    pop.expectation[c] = exp_old + p[L.P_EXP_SPEED] * (anchored - exp_old)
    delighted = d > p[L.P_DELIGHT]  # M2
    # M4 trust
    broken = np.where(d < -p[L.P_BREAK], 1.0, 0.0)
    met = np.where(d >= 0.0, 1.0, 0.0)
    tr = pop.trust[c].astype(np.float64) * (1.0 - p[L.P_TRUST_DROP] * broken)
    tr = tr + p[L.P_TRUST_GAIN] * met * (1.0 - tr)
    # D10 complaints and recovery
    new_voice = np.zeros(len(c), dtype=np.int64)
    r1 = draw_np(ckc, 1)
    complains = (sat < p[L.P_COMPLAIN_TH]) & (u_hi_np(r1) < p[L.P_COMPLAIN_P])
    recovered = complains & (u_lo_np(r1) < fp[f, L.FP_RECOVERY])
    unrecovered = complains & ~recovered
    add(L.T_COMPLAINTS, f[complains])
    add(L.T_RECOVERIES, f[recovered])
    sat = np.where(recovered, sat + p[L.P_RECOVERY_BOOST] * (1.0 - sat), sat)
    tr = np.where(unrecovered, tr * (1.0 - p[L.P_TRUST_DROP]), tr)
    new_voice[unrecovered] = -(f[unrecovered] + 1)
    # D3 bonds
    bfo, bso, bto = (
        pop.bond_fin[c].astype(np.float64),
        pop.bond_soc[c].astype(np.float64),
        pop.bond_str[c].astype(np.float64),
    )
    bf = bfo * (1.0 - p[L.P_DECAY_FIN]) + np.minimum(1.0, fp[f, L.FP_INV_FIN] * w) * (1.0 - bfo)
    bs = bso * (1.0 - p[L.P_DECAY_SOC]) + np.minimum(1.0, fp[f, L.FP_INV_SOC] * w) * (1.0 - bso)
    bt = bto * (1.0 - p[L.P_DECAY_STR]) + np.minimum(1.0, fp[f, L.FP_INV_STR] * w) * (1.0 - bto)
    # M2/M3 loyalty
    sp = sat.copy()
    for _ in range(int(p[L.P_SAT_POW]) - 1):
        sp = sp * sat
    lt = (
        p[L.P_W_SAT] * sp
        + p[L.P_W_DELIGHT] * np.where(delighted, 1.0, 0.0)
        + p[L.P_W_TRUST] * tr
        + p[L.P_W_FIN] * bf
        + p[L.P_W_SOC] * bs
        + p[L.P_W_STR] * bt
    )
    loy_old = pop.loyalty[c].astype(np.float64)
    loy = loy_old + p[L.P_LOY_SPEED] * (np.minimum(1.0, lt) - loy_old)
    # D12 churn
    floor = p[L.P_SAT_FLOOR]
    h_dis = np.where(sat < floor, p[L.P_CH_DIS] * (floor - sat) * p[L.P_INV_FLOOR] * (1.0 - loy), 0.0)
    best = sf[s, f, L.SF_BEST].astype(np.int64)
    pulled = (npos[c] > 0) & (posf[c] != f)
    pull = np.where(pulled, p[L.P_REF_PULL] * npos[c], 0.0)
    poach = sf[s, f, L.SF_POACH]
    comp_base = np.where(best >= 0, p[L.P_CH_COMP] * sf[s, f, L.SF_GAP] + pull + sf[s, f, L.SF_PULL] + poach, 0.0)
    h_comp = comp_base * (1.0 - loy)
    damp = (1.0 - p[L.P_SWITCH_COST] * bt) * (1.0 - p[L.P_FIN_DAMP] * bf) * (1.0 - fp[f, L.FP_LOCKIN])
    h_dis = h_dis * damp
    h_comp = h_comp * damp
    h_staff = fp[f, L.FP_STAFF]  # D12/M8 departing staff
    h_own = pop.own_churn[c].astype(np.float64) * (1.0 - p[L.P_OWN_ON_PURCHASE])
    pch = h_dis + h_comp + h_staff + h_own
    uch, u2 = u_hi_np(r2), u_lo_np(r2)
    leaves = uch < pch
    by_dis = leaves & (uch < h_dis)
    by_comp = leaves & ~by_dis & (uch < h_dis + h_comp)
    by_staff = leaves & ~by_dis & ~by_comp & (uch < h_dis + h_comp + h_staff)
    by_own = leaves & ~by_dis & ~by_comp & ~by_staff
    dest = np.full(len(c), -1, dtype=np.int64)
    dis_switch = by_dis & (best >= 0) & (u2 < p[L.P_SWITCH_SHARE])
    dest[dis_switch] = best[dis_switch]
    new_voice[by_dis] = -(f[by_dis] + 1)
    dest[by_comp] = best[by_comp]
    to_praised = by_comp & (pull > 0.0) & (u2 * comp_base < pull)
    dest[to_praised] = posf[c][to_praised]
    add(L.T_FROM_PRAISE, posf[c][to_praised])
    to_poacher = by_comp & ~to_praised & (poach > 0.0) & (u2 * comp_base < pull + poach)
    dest[to_poacher] = sf[s, f, L.SF_POACHER].astype(np.int64)[to_poacher]
    dest[by_staff] = best[by_staff]
    add(L.T_CHURN_DIS, f[by_dis])
    add(L.T_CHURN_COMP, f[by_comp])
    add(L.T_CHURN_STAFF, f[by_staff])
    add(L.T_CHURN_OWN, f[by_own])
    switch = leaves & (dest >= 0)
    lapse = leaves & (dest < 0)
    add(L.T_TO_RIVAL, f[switch])
    add(L.T_ACQUIRED, dest[switch])
    add(L.T_FROM_RIVAL, dest[switch])
    add(L.T_LAPSED, f[lapse])
    # stayers: purchases (M3, D11), service, word of mouth, CLV, stage (D10)
    st_ = ~leaves
    fs, ss, cs = f[st_], s[st_], c[st_]
    loy_s = loy[st_]
    pbuy = np.minimum(
        seg[ss, L.SEG_RATE] * pop.freq[cs].astype(np.float64) * (1.0 + p[L.P_LOY_FREQ] * loy_s + p[L.P_FIN_FREQ] * bf[st_]),
        1.0,
    )  # F6
    sow = p[L.P_SOW_FLOOR] + (1.0 - p[L.P_SOW_FLOOR]) * loy_s
    sow = sow + fp[fs, L.FP_SOW] * (1.0 - sow)  # D11
    spend_if = seg[ss, L.SEG_BASKET] * pop.wallet[cs].astype(np.float64) * fp[fs, L.FP_PRICE] * sow
    exp_margin = pbuy * spend_if * fp[fs, L.FP_MARGIN] - fp[fs, L.FP_SERVE]
    # D8: ending relationships with negative-value customers
    pruned = (fp[fs, L.FP_PRUNE] > 0.0) & (exp_margin < 0.0) & (pop.tenure[cs] >= p[L.P_NEW_STEPS])
    add(L.T_PRUNED, fs[pruned])
    _lapse(pop, cs[pruned], fs[pruned])
    st_ = np.flatnonzero(st_)
    st_, fs, ss, cs, loy_s, pbuy, spend_if, exp_margin = (
        x[~pruned] for x in (st_, fs, ss, cs, loy_s, pbuy, spend_if, exp_margin)
    )
    returning = np.where(pop.tenure[cs] >= p[L.P_RETURNING], 1.0, 0.0)  # F3
    bought = np.where(u_lo_np(r4[st_]) < pbuy, 1.0, 0.0)
    revenue = bought * spend_if
    margin = -fp[fs, L.FP_SERVE] + revenue * fp[fs, L.FP_MARGIN]
    add(L.T_PURCHASES, fs, bought)
    add(L.T_REVENUE, fs, revenue)
    add(L.T_REV_RETURNING, fs, returning * revenue)
    pop.n_purchases[cs] = np.minimum(pop.n_purchases[cs].astype(np.int64) + bought.astype(np.int64), 65535)
    add(L.T_SERVED, fs)
    add(L.T_MARGIN, fs, margin)
    add(L.T_MARGIN_RETURNING, fs, returning * margin)
    pop.cum_margin[cs] = pop.cum_margin[cs] + margin
    pop.cum_revenue[cs] = pop.cum_revenue[cs] + revenue
    # BG/NBD: a customer may drop out right after a purchase (then skips the rest of the step)
    drop = (
        (p[L.P_OWN_ON_PURCHASE] > 0.0)
        & (bought > 0.0)
        & (u_lo_np(draw_np(ckc[st_], 6)) < pop.own_churn[cs].astype(np.float64))
    )  # low half of draw 6
    add(L.T_CHURN_OWN, fs[drop])
    add(L.T_LAPSED, fs[drop])
    _lapse(pop, cs[drop], fs[drop])
    st_, fs, ss, cs, loy_s, pbuy, spend_if, exp_margin = (
        x[~drop] for x in (st_, fs, ss, cs, loy_s, pbuy, spend_if, exp_margin)
    )
    pop.tenure[cs] = np.minimum(pop.tenure[cs].astype(np.int64) + 1, 32767)
    nv = new_voice[st_]
    talk = delighted[st_] & (nv == 0) & (u_hi_np(draw_np(ckc[st_], 6)) < p[L.P_POS_P])  # high half of draw 6
    nv[talk] = fs[talk] + 1
    add(L.T_DELIGHTED, fs[delighted[st_]])
    rr = 1.0 - np.minimum(pch[st_], 1.0)
    add(L.T_CLV, fs, exp_margin * rr / (1.0 + p[L.P_DISC] - rr))
    pop.voice[cs] = nv
    pop.satisfaction[cs] = sat[st_]
    pop.trust[cs] = tr[st_]
    pop.loyalty[cs] = loy_s
    pop.bond_fin[cs], pop.bond_soc[cs], pop.bond_str[cs] = bf[st_], bs[st_], bt[st_]
    old_stage = pop.stage[cs]
    young = pop.tenure[cs] < p[L.P_NEW_STEPS]
    stage = np.where(loy_s >= p[L.P_LOYAL_TH], L.LOYAL, L.GROWING)
    stage = np.where(young, np.where(old_stage == L.WON_BACK, L.WON_BACK, L.NEW), stage)
    stage = np.where(sat[st_] < floor, L.AT_RISK, stage)
    pop.stage[cs] = stage
    tally[cs] = True
    # leavers
    cl = c[leaves]
    pop.voice[cl] = new_voice[leaves]
    pop.last_firm[cl] = f[leaves]
    sw = c[switch]
    _start_relationship(pop, sw, dest[switch], s[switch], sf, p, L.NEW)
    tally[sw] = True
    pop.firm[c[lapse]] = -1
    pop.stage[c[lapse]] = L.LAPSED

    # ---------------------------------------------------------------- prospects and lapsed
    q = np.flatnonzero(f0 < 0)
    sq = s0[q]
    ra = draw_np(ck[q], 6)
    h = sf[sq, :, L.SF_ACQ].copy()
    hr = sf[sq, :, L.SF_ACQ_REF].copy()
    g = np.arange(nf)[None, :]
    told = (npos[q, None] > 0) & (posf[q, None] == g)
    extra = np.where(told, np.minimum(1.0, p[L.P_REF_CONV] * npos[q, None]) * sf[sq, :, L.SF_ATTRACT], 0.0)
    h = h + extra
    hr = hr + extra
    warned = (nneg[q, None] > 0) & (negf[q, None] == g)
    h = np.where(warned, h * (1.0 - p[L.P_NEG_BLOCK]), h)
    hr = np.where(warned, hr * (1.0 - p[L.P_NEG_BLOCK]), hr)
    hsum = np.zeros(len(q))
    for k in range(nf):  # summed in firm order, as in the kernel
        hsum = hsum + h[:, k]
    adopt = (hsum > 0.0) & (u_hi_np(ra) < np.minimum(hsum, 1.0))
    cum = np.cumsum(h, axis=1)
    tgt = u_lo_np(ra) * hsum
    chosen = np.minimum((cum <= tgt[:, None]).sum(axis=1), nf - 1)
    a = np.flatnonzero(adopt)
    qa, ch = q[a], chosen[a]
    add(L.T_ACQUIRED, ch)
    hch = h[a, ch]
    add(L.T_ACQ_REFERRAL, ch, np.where(hch > 0.0, hr[a, ch] / np.where(hch > 0, hch, 1.0), 0.0))
    back = pop.last_firm[qa] == ch
    add(L.T_WON_BACK, ch[back])
    _start_relationship(pop, qa, ch, sq[a], sf, p, L.NEW)
    pop.stage[qa[back]] = L.WON_BACK
    # M13 network value: a business customer's adoption starts praise to its contacts
    netv = seg[sq[a], L.SEG_NETWORK]
    talks = (netv > 0.0) & (u_hi_np(draw_np(ck[qa], 7)) < netv)
    pop.voice[qa[talks]] = ch[talks] + 1
    tally[qa] = True

    # ---------------------------------------------------------------- end-of-step tallies
    t_idx = np.flatnonzero(tally)
    ft = pop.firm[t_idx].astype(np.int64)
    add(L.T_CUSTOMERS, ft)
    for col, arr in (
        (L.T_SAT, pop.satisfaction),
        (L.T_TRUST, pop.trust),
        (L.T_LOYALTY, pop.loyalty),
        (L.T_BOND_FIN, pop.bond_fin),
        (L.T_BOND_SOC, pop.bond_soc),
        (L.T_BOND_STR, pop.bond_str),
    ):
        add(col, ft, arr[t_idx].astype(np.float64))
    np.add.at(tot, (ft, L.T_ST_PROSPECT + pop.stage[t_idx].astype(np.int64)), 1.0)
    o_idx = np.flatnonzero(~tally)
    tot[nf, L.T_CUSTOMERS] += len(o_idx)
    np.add.at(tot, (np.full(len(o_idx), nf), L.T_ST_PROSPECT + pop.stage[o_idx].astype(np.int64)), 1.0)
    return tot


def _lapse(pop: CustomerPopulation, who: np.ndarray, firms: np.ndarray) -> None:
    """Customers ``who`` leave ``firms`` for the pool of lapsed customers, silently."""
    pop.voice[who] = 0
    pop.last_firm[who] = firms
    pop.firm[who] = -1
    pop.stage[who] = L.LAPSED


def _start_relationship(
    pop: CustomerPopulation, who: np.ndarray, firms: np.ndarray, segs: np.ndarray, sf: np.ndarray, p: np.ndarray, stage: int
) -> None:
    pop.firm[who] = firms
    pop.stage[who] = stage
    pop.tenure[who] = 0
    pop.satisfaction[who] = p[L.P_SAT0]
    pop.trust[who] = p[L.P_TRUST0]
    pop.loyalty[who] = p[L.P_LOY0]
    pop.expectation[who] = sf[segs, firms, L.SF_VALUE]
    pop.bond_fin[who] = 0.0
    pop.bond_soc[who] = 0.0
    pop.bond_str[who] = 0.0
