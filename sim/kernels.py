"""numba kernels that advance the customer arrays by one step.

Two passes per step, both called from ``CustomerPopulation.step``:

1. ``wom_pass`` (serial, touches only last step's talkers): each word-of-mouth episode reaches its
   talker's network neighbours and, beyond the network, random people (counted as per-firm totals that
   the model turns into well-mixed rates).
2. ``customer_pass`` (parallel over fixed chunks): every customer's satisfaction, trust, bonds,
   loyalty, complaints, churn, purchases and lifecycle stage; every prospect's adoption.

Per-firm totals are summed per chunk and then over chunks in a fixed order, and every random number is
a hash of (seed, step, customer, draw) — so the result is bit-identical for any thread count.
The customer pass compiles with fast-math (+20-25%): bits are then the same on machines with the same
CPU features, and ``NUMBA_CPU_NAME=generic`` makes them portable (docs/architecture.md).
The loops are kept flat on purpose (an inlined helper returning a tuple was 2.4x slower here; what
else was tried and measured is listed in docs/architecture.md).
The same dynamics in plain numpy live in ``sim.reference``; tests compare the two.
"""

from __future__ import annotations

import numba
import numpy as np

from sim.rng import customer_key, draw, normal4, u_hi, u_lo

__all__ = ["customer_pass", "wom_pass", "n_chunks_for", "P", "FP", "SF", "SEG", "T", "STAGES"]

# ----------------------------------------------------------------- lifecycle stages (D10)
PROSPECT, NEW, GROWING, LOYAL, AT_RISK, LAPSED, WON_BACK = range(7)
STAGES = ("prospect", "new", "growing", "loyal", "at_risk", "lapsed", "won_back")


class _Idx:
    """Named column indices into the small parameter arrays (numba sees them as constants)."""

    def __init__(self, *names: str) -> None:
        self.names = names
        for k, name in enumerate(names):
            setattr(self, name, k)

    def __len__(self) -> int:
        return len(self.names)


# scalar kernel parameters
P = _Idx("NOISE", "TOL", "SAT_SPEED", "EXP_SPEED", "ANCHOR", "DELIGHT", "BREAK", "TRUST_DROP", "TRUST_GAIN",
         "SAT_POW", "W_SAT", "W_DELIGHT", "W_TRUST", "W_FIN", "W_SOC", "W_STR", "LOY_SPEED", "LOYAL_TH",
         "COMPLAIN_TH", "COMPLAIN_P", "RECOVERY_BOOST", "POS_P", "REF_CONV", "REF_PULL", "NEG_IMPACT",
         "NEG_BLOCK", "CH_DIS", "SAT_FLOOR", "CH_COMP", "SWITCH_SHARE", "SWITCH_COST", "FIN_DAMP",
         "DECAY_FIN", "DECAY_SOC", "DECAY_STR", "NEW_STEPS", "SOW_FLOOR", "LOY_FREQ", "DISC",
         "SAT0", "TRUST0", "LOY0", "INV_TOL", "INV_FLOOR", "FIN_FREQ", "OWN_ON_PURCHASE", "RETURNING")
# per-firm parameters
FP = _Idx("CARE", "RECOVERY", "MARGIN", "PRICE", "SERVE", "INV_FIN", "INV_SOC", "INV_STR", "NEG_RAND",
          "LOCKIN", "TIER", "PRUNE", "STAFF", "SOW", "RISK")
# per (segment, firm) parameters
SF = _Idx("VALUE", "ACQ", "ACQ_REF", "ATTRACT", "GAP", "BEST", "PULL", "POACH", "POACHER")
# per-segment parameters
SEG = _Idx("REF", "BASKET", "RATE", "NETWORK")
# per-firm totals returned each step (the extra last row, index F, holds non-customers)
T = _Idx("CUSTOMERS", "SERVED", "ACQUIRED", "ACQ_REFERRAL", "WON_BACK", "FROM_RIVAL", "CHURN_DIS",
         "CHURN_COMP", "CHURN_OWN", "TO_RIVAL", "LAPSED", "PURCHASES", "REVENUE", "REV_RETURNING",
         "MARGIN", "MARGIN_RETURNING", "SAT", "TRUST", "LOYALTY", "BOND_FIN", "BOND_SOC", "BOND_STR",
         "COMPLAINTS", "RECOVERIES", "DELIGHTED", "CLV", "POS_EPISODES", "POS_CONTACTS", "NEG_EPISODES",
         "NEG_CONTACTS", "POS_RANDOM", "NEG_RANDOM", "CHURN_STAFF", "PRUNED", "POS_DEALS", "FROM_PRAISE",
         "ST_PROSPECT", "ST_NEW", "ST_GROWING", "ST_LOYAL", "ST_AT_RISK", "ST_LAPSED", "ST_WON_BACK")


# module-level constants: numba folds them into the compiled code
(P_NOISE, P_TOL, P_SAT_SPEED, P_EXP_SPEED, P_ANCHOR, P_DELIGHT, P_BREAK, P_TRUST_DROP, P_TRUST_GAIN,
 P_SAT_POW, P_W_SAT, P_W_DELIGHT, P_W_TRUST, P_W_FIN, P_W_SOC, P_W_STR, P_LOY_SPEED, P_LOYAL_TH,
 P_COMPLAIN_TH, P_COMPLAIN_P, P_RECOVERY_BOOST, P_POS_P, P_REF_CONV, P_REF_PULL, P_NEG_IMPACT,
 P_NEG_BLOCK, P_CH_DIS, P_SAT_FLOOR, P_CH_COMP, P_SWITCH_SHARE, P_SWITCH_COST, P_FIN_DAMP, P_DECAY_FIN,
 P_DECAY_SOC, P_DECAY_STR, P_NEW_STEPS, P_SOW_FLOOR, P_LOY_FREQ, P_DISC, P_SAT0, P_TRUST0, P_LOY0,
 P_INV_TOL, P_INV_FLOOR, P_FIN_FREQ, P_OWN_ON_PURCHASE, P_RETURNING) = range(47)
(FP_CARE, FP_RECOVERY, FP_MARGIN, FP_PRICE, FP_SERVE, FP_INV_FIN, FP_INV_SOC, FP_INV_STR, FP_NEG_RAND,
 FP_LOCKIN, FP_TIER, FP_PRUNE, FP_STAFF, FP_SOW, FP_RISK) = range(15)
SF_VALUE, SF_ACQ, SF_ACQ_REF, SF_ATTRACT, SF_GAP, SF_BEST, SF_PULL, SF_POACH, SF_POACHER = range(9)
SEG_REF, SEG_BASKET, SEG_RATE, SEG_NETWORK = range(4)
(T_CUSTOMERS, T_SERVED, T_ACQUIRED, T_ACQ_REFERRAL, T_WON_BACK, T_FROM_RIVAL, T_CHURN_DIS,
 T_CHURN_COMP, T_CHURN_OWN, T_TO_RIVAL, T_LAPSED, T_PURCHASES, T_REVENUE, T_REV_RETURNING, T_MARGIN,
 T_MARGIN_RETURNING, T_SAT, T_TRUST, T_LOYALTY, T_BOND_FIN, T_BOND_SOC, T_BOND_STR, T_COMPLAINTS,
 T_RECOVERIES, T_DELIGHTED, T_CLV, T_POS_EPISODES, T_POS_CONTACTS, T_NEG_EPISODES, T_NEG_CONTACTS,
 T_POS_RANDOM, T_NEG_RANDOM, T_CHURN_STAFF, T_PRUNED, T_POS_DEALS, T_FROM_PRAISE, T_ST_PROSPECT, T_ST_NEW,
 T_ST_GROWING, T_ST_LOYAL, T_ST_AT_RISK, T_ST_LAPSED, T_ST_WON_BACK) = range(43)

for _prefix, _idx in (("P", P), ("FP", FP), ("SF", SF), ("SEG", SEG), ("T", T)):  # the two lists must agree
    for _k, _name in enumerate(_idx.names):
        if globals().get(f"{_prefix}_{_name}") != _k:
            raise ImportError(f"kernels: constant {_prefix}_{_name} does not match its name list")

_CHUNK = 8192  # customers per chunk: fixed, so chunking never depends on the thread count


def n_chunks_for(n: int) -> int:
    return max(1, (n + _CHUNK - 1) // _CHUNK)


_WOM_BATCH = 512  # talkers handled together: their scattered loads are issued as one burst


@numba.njit(cache=True)
def wom_pass(key, voice, firm, indptr, indices, wom_pos_firm, wom_pos_n, wom_neg_firm, wom_neg_n,
             reach_pos, reach_neg, tot):
    """Deliver last step's word-of-mouth episodes (M5). ``voice[j]`` is +(f+1) for a positive episode
    about firm f, -(f+1) for a negative one. A talker reaches each neighbour with probability R/degree
    (all of them when R >= degree) and R - degree random people beyond the network, so an episode's
    expected reach is R: F4's 8 for praise, F5's 25 for complaints. Writes the receivers' buffers and
    per-firm totals ``tot[f, T.POS_EPISODES..T.NEG_RANDOM]``; praised neighbours who buy from nobody yet
    (prospects, lapsed) are F4's "potential deals" (``T.POS_DEALS``).

    Talkers are few (a few % of people) and scattered, so the pass is bound by memory latency, not
    arithmetic: they are gathered in batches, and each batch's lookups run as separate tight loops whose
    loads the CPU overlaps (2x faster at 10 M customers than one talker at a time). Deliveries happen
    in talker order, so the result is the same as the plain loop in ``sim.reference``."""
    n = voice.shape[0]
    batch = np.empty(_WOM_BATCH, dtype=np.int64)
    starts = np.empty(_WOM_BATCH, dtype=np.int64)
    recv = np.empty(16 * _WOM_BATCH, dtype=np.int32)
    code = np.empty(16 * _WOM_BATCH, dtype=np.int8)
    nb = 0
    for j in range(n):
        if voice[j] != 0:
            batch[nb] = j
            nb += 1
            if nb == _WOM_BATCH:
                _wom_batch(key, nb, batch, voice, firm, indptr, indices, wom_pos_firm, wom_pos_n, wom_neg_firm,
                           wom_neg_n, reach_pos, reach_neg, tot, starts, recv, code)
                nb = 0
    if nb:
        _wom_batch(key, nb, batch, voice, firm, indptr, indices, wom_pos_firm, wom_pos_n, wom_neg_firm,
                   wom_neg_n, reach_pos, reach_neg, tot, starts, recv, code)


@numba.njit(cache=True)
def _wom_batch(key, nb, batch, voice, firm, indptr, indices, wom_pos_firm, wom_pos_n, wom_neg_firm, wom_neg_n,
               reach_pos, reach_neg, tot, starts, recv, code):
    """One batch of talkers: 1) where their neighbour lists start, 2) which neighbours each reaches
    (into ``recv``/``code``), 3) the deliveries. Touching each neighbour list's first line early made
    the pass 25% faster at 10 M; the checksum is returned so the compiler keeps those loads."""
    touch = 0
    for t in range(nb):
        starts[t] = indptr[batch[t]]
    need = 0
    for t in range(nb):
        need += indptr[batch[t] + 1] - starts[t]
        touch += indices[starts[t]] if indptr[batch[t] + 1] > starts[t] else 0  # fetch each list's first line
    if need > recv.shape[0]:
        recv = np.empty(need, dtype=np.int32)
        code = np.empty(need, dtype=np.int8)
    kk = 0
    for t in range(nb):
        j = batch[t]
        v = voice[j]
        voice[j] = 0
        positive = v > 0
        g = (v if positive else -v) - 1
        r = reach_pos if positive else reach_neg
        a = starts[t]
        b = indptr[j + 1]
        deg = b - a
        contacts = 0.0
        if deg > 0:
            q = r / deg
            ck = customer_key(key, j)
            for e in range(a, b):  # branch-free: whether a neighbour is reached is a coin flip
                hit = (q >= 1.0) | (u_hi(draw(ck, e - a)) < q)
                recv[kk] = indices[e]
                code[kk] = v
                kk += 1 if hit else 0
                contacts += 1.0 if hit else 0.0
        rest = r - deg if r > deg else 0.0
        if positive:
            tot[g, T_POS_EPISODES] += 1.0
            tot[g, T_POS_CONTACTS] += contacts + rest
            tot[g, T_POS_RANDOM] += rest
        else:
            tot[g, T_NEG_EPISODES] += 1.0
            tot[g, T_NEG_CONTACTS] += contacts + rest
            tot[g, T_NEG_RANDOM] += rest
    for x in range(kk):
        m = recv[x]
        v = code[x]
        if v > 0:
            g = v - 1
            if firm[m] < 0:
                tot[g, T_POS_DEALS] += 1.0
            wom_pos_firm[m] = g
            if wom_pos_n[m] < 255:
                wom_pos_n[m] += 1
        else:
            wom_neg_firm[m] = -v - 1
            if wom_neg_n[m] < 255:
                wom_neg_n[m] += 1
    return touch


@numba.njit(parallel=True, cache=True, fastmath=True)
def customer_pass(key, firm, segment, stage, last_firm, voice, tenure, n_purchases,
                  expectation, satisfaction, trust, loyalty, bond_fin, bond_soc, bond_str,
                  cum_margin, cum_revenue, wallet, freq, own_churn,
                  wom_pos_firm, wom_pos_n, wom_neg_firm, wom_neg_n,
                  p, fp, sf, seg, out):
    """Advance every customer one step; ``out[chunk, firm_or_F, T]`` receives the per-chunk totals."""
    n = firm.shape[0]
    nf = fp.shape[0]
    nchunks = out.shape[0]
    for c in numba.prange(nchunks):
        lo = c * _CHUNK
        hi = min(n, lo + _CHUNK)
        acc = out[c]
        # parameters as locals: stores into `out` could alias `p` and would force reloads
        k_noise = p[P_NOISE]
        k_inv_tol = p[P_INV_TOL]
        k_sat_speed = p[P_SAT_SPEED]
        k_neg_impact = p[P_NEG_IMPACT]
        k_exp_speed = p[P_EXP_SPEED]
        k_anchor = p[P_ANCHOR]
        k_delight = p[P_DELIGHT]
        k_break = p[P_BREAK]
        k_trust_drop = p[P_TRUST_DROP]
        k_trust_gain = p[P_TRUST_GAIN]
        k_complain_th = p[P_COMPLAIN_TH]
        k_complain_p = p[P_COMPLAIN_P]
        k_recovery_boost = p[P_RECOVERY_BOOST]
        k_decay_fin = p[P_DECAY_FIN]
        k_decay_soc = p[P_DECAY_SOC]
        k_decay_str = p[P_DECAY_STR]
        k_sat_pow = p[P_SAT_POW]
        k_w_sat = p[P_W_SAT]
        k_w_delight = p[P_W_DELIGHT]
        k_w_trust = p[P_W_TRUST]
        k_w_fin = p[P_W_FIN]
        k_w_soc = p[P_W_SOC]
        k_w_str = p[P_W_STR]
        k_loy_speed = p[P_LOY_SPEED]
        k_sat_floor = p[P_SAT_FLOOR]
        k_ch_dis = p[P_CH_DIS]
        k_inv_floor = p[P_INV_FLOOR]
        k_ref_pull = p[P_REF_PULL]
        k_ch_comp = p[P_CH_COMP]
        k_switch_cost = p[P_SWITCH_COST]
        k_fin_damp = p[P_FIN_DAMP]
        k_switch_share = p[P_SWITCH_SHARE]
        k_sat0 = p[P_SAT0]
        k_trust0 = p[P_TRUST0]
        k_loy0 = p[P_LOY0]
        k_loy_freq = p[P_LOY_FREQ]
        k_sow_floor = p[P_SOW_FLOOR]
        k_pos_p = p[P_POS_P]
        k_disc = p[P_DISC]
        k_new_steps = p[P_NEW_STEPS]
        k_loyal_th = p[P_LOYAL_TH]
        k_ref_conv = p[P_REF_CONV]
        k_neg_block = p[P_NEG_BLOCK]
        k_fin_freq = p[P_FIN_FREQ]
        k_own_on_purchase = p[P_OWN_ON_PURCHASE]
        k_returning = p[P_RETURNING]
        for i in range(lo, hi):
            # unsigned indices: numba wraps negative indices with a select on every access, which
            # made this loop ~2x slower; every index here is known to be non-negative
            ui = np.uint64(i)
            ck = customer_key(key, i)
            f = np.int64(firm[ui])
            s = np.int64(segment[ui])
            us = np.uint64(s)
            npos = np.int64(wom_pos_n[ui])
            posf = np.int64(wom_pos_firm[ui])
            nneg = np.int64(wom_neg_n[ui])
            negf = np.int64(wom_neg_firm[ui])
            wom_pos_n[ui] = 0
            wom_neg_n[ui] = 0
            if f >= 0:
                # ---------------------------------------------------------------- a customer of firm f
                uf = np.uint64(f)
                r2 = draw(ck, 2)
                r3 = draw(ck, 3)
                r4 = draw(ck, 4)
                # tiered service (D8): a firm's care and bond investment per customer scale with the
                # customer's value (spend multiplier x frequency multiplier, mean 1) by the firm's
                # targeting weight; 0 = everyone alike
                w = 1.0 + fp[uf, FP_TIER] * (np.float64(wallet[ui]) * np.float64(freq[ui]) - 1.0)
                # D6/D7: perceived performance = delivered value + after-sales care (M14) + database
                # marketing's attention to at-risk customers (M15) + noise
                at_risk = 1.0 if satisfaction[ui] < k_sat_floor else 0.0
                perf = (sf[us, uf, SF_VALUE] + fp[uf, FP_CARE] * w + fp[uf, FP_RISK] * at_risk
                        + k_noise * normal4(r3))
                heard_neg = 0.0
                if nneg > 0 and negf == f:
                    heard_neg = np.float64(nneg)
                if u_hi(r4) < fp[uf, FP_NEG_RAND]:  # well-mixed negative word of mouth about f (M5, F5)
                    heard_neg += 1.0
                # M1: satisfaction by disconfirmation against the (adaptive) expectation
                d = perf - expectation[ui]
                x = d * k_inv_tol
                target = 0.5 + 0.5 * x / (1.0 + abs(x))
                sat = (satisfaction[ui] + k_sat_speed * (target - satisfaction[ui])
                       - k_neg_impact * heard_neg)
                sat = min(1.0, max(0.0, sat))
                anchored = (1.0 - k_anchor) * perf + k_anchor * seg[us, SEG_REF]
                expectation[ui] = expectation[ui] + k_exp_speed * (anchored - expectation[ui])
                delighted = d > k_delight  # M2: only exceeding expectations delights
                # M4: trust collapses on a broken promise, is rebuilt slowly when expectations are met
                # (branch-free: the sign of d is a coin flip, and mispredicted branches cost more than this)
                broken = 1.0 if d < -k_break else 0.0
                met = 1.0 if d >= 0.0 else 0.0
                tr = trust[ui] * (1.0 - k_trust_drop * broken)
                tr = tr + k_trust_gain * met * (1.0 - tr)
                # D10 recovery: dissatisfied customers complain; recovered ones regain satisfaction,
                # unrecovered ones lose trust and complain to others (M5)
                new_voice = 0
                r1 = draw(ck, 1) if sat < k_complain_th else np.uint64(0)  # drawn only when needed
                if sat < k_complain_th and u_hi(r1) < k_complain_p:
                    acc[uf, T_COMPLAINTS] += 1.0
                    if u_lo(r1) < fp[uf, FP_RECOVERY]:
                        sat = sat + k_recovery_boost * (1.0 - sat)
                        acc[uf, T_RECOVERIES] += 1.0
                    else:
                        tr = tr * (1.0 - k_trust_drop)
                        new_voice = -(f + 1)
                # D3: bond stocks, built by the firm's per-customer investment, decaying at their own pace
                bf = bond_fin[ui] * (1.0 - k_decay_fin) + min(1.0, fp[uf, FP_INV_FIN] * w) * (1.0 - bond_fin[ui])
                bs = bond_soc[ui] * (1.0 - k_decay_soc) + min(1.0, fp[uf, FP_INV_SOC] * w) * (1.0 - bond_soc[ui])
                bt = bond_str[ui] * (1.0 - k_decay_str) + min(1.0, fp[uf, FP_INV_STR] * w) * (1.0 - bond_str[ui])
                # M2/M3: loyalty from satisfaction (convex), delight, trust and bonds
                sp = sat  # M2: convex in satisfaction (integer power: pow() cost 17 ns per customer)
                for _ in range(np.int64(k_sat_pow) - 1):
                    sp *= sat
                lt = (k_w_sat * sp + k_w_delight * (1.0 if delighted else 0.0) + k_w_trust * tr
                      + k_w_fin * bf + k_w_soc * bs + k_w_str * bt)
                loy = loyalty[ui] + k_loy_speed * (min(1.0, lt) - loyalty[ui])
                # D12: churn from dissatisfaction, competition and own circumstances
                h_dis = k_ch_dis * max(0.0, k_sat_floor - sat) * k_inv_floor * (1.0 - loy)  # branch-free
                best = np.int64(sf[us, uf, SF_BEST])
                pull = 0.0
                if npos > 0 and posf != f:
                    pull = k_ref_pull * npos  # a rival praised by a friend pulls (M5)
                comp_base = 0.0
                poach = sf[us, uf, SF_POACH]  # a rival's acquisition offers aimed at f's customers
                if best >= 0:
                    comp_base = k_ch_comp * sf[us, uf, SF_GAP] + pull + sf[us, uf, SF_PULL] + poach
                h_comp = comp_base * (1.0 - loy)
                # M7 switching costs from structural bonds, D3 level-1 damping, M16 lock-in
                damp = (1.0 - k_switch_cost * bt) * (1.0 - k_fin_damp * bf) * (1.0 - fp[uf, FP_LOCKIN])
                h_dis *= damp
                h_comp *= damp
                h_own = np.float64(own_churn[ui]) * (1.0 - k_own_on_purchase)  # BG/NBD: only after a purchase
                h_staff = fp[uf, FP_STAFF]  # D12/M8: departing staff take customers to rivals
                pch = h_dis + h_comp + h_staff + h_own
                uch = u_hi(r2)
                if uch < pch:
                    dest = -1
                    if uch < h_dis:
                        acc[uf, T_CHURN_DIS] += 1.0
                        if best >= 0 and u_lo(r2) < k_switch_share:
                            dest = best
                        new_voice = -(f + 1)
                    elif uch < h_dis + h_comp:
                        acc[uf, T_CHURN_COMP] += 1.0
                        dest = best
                        uc = u_lo(r2) * comp_base
                        if pull > 0.0 and uc < pull:  # a praised rival wins
                            dest = posf
                            acc[dest, T_FROM_PRAISE] += 1.0
                        elif poach > 0.0 and uc < pull + poach:  # the poacher wins
                            dest = np.int64(sf[us, uf, SF_POACHER])
                    elif uch < h_dis + h_comp + h_staff:
                        acc[uf, T_CHURN_STAFF] += 1.0
                        dest = best
                    else:
                        acc[uf, T_CHURN_OWN] += 1.0
                    voice[ui] = new_voice
                    last_firm[ui] = f
                    if dest >= 0:  # switches to a rival: a new relationship starts
                        acc[uf, T_TO_RIVAL] += 1.0
                        acc[dest, T_ACQUIRED] += 1.0
                        acc[dest, T_FROM_RIVAL] += 1.0
                        firm[ui] = dest
                        stage[ui] = NEW
                        tenure[ui] = 0
                        satisfaction[ui] = k_sat0
                        trust[ui] = k_trust0
                        loyalty[ui] = k_loy0
                        expectation[ui] = sf[us, dest, SF_VALUE]
                        bond_fin[ui] = 0.0
                        bond_soc[ui] = 0.0
                        bond_str[ui] = 0.0
                    else:
                        acc[uf, T_LAPSED] += 1.0
                        firm[ui] = -1
                        stage[ui] = LAPSED
                    continue_tally = dest >= 0
                else:
                    # ------------------------------------------------------------ stays: buys, is served
                    # M3/D11: loyalty raises purchase frequency and share of wallet
                    # F6: members of a rewards programme (financial bond) buy more often
                    pbuy = seg[us, SEG_RATE] * freq[ui] * (1.0 + k_loy_freq * loy + k_fin_freq * bf)
                    if pbuy > 1.0:
                        pbuy = 1.0
                    sow = k_sow_floor + (1.0 - k_sow_floor) * loy
                    sow = sow + fp[uf, FP_SOW] * (1.0 - sow)  # D11 one-to-one: a larger share of wallet
                    spend_if = seg[us, SEG_BASKET] * wallet[ui] * fp[uf, FP_PRICE] * sow
                    exp_margin = pbuy * spend_if * fp[uf, FP_MARGIN] - fp[uf, FP_SERVE]
                    if fp[uf, FP_PRUNE] > 0.0 and exp_margin < 0.0 and tenure[ui] >= k_new_steps:
                        # D8: the firm ends a relationship with a negative-value customer
                        acc[uf, T_PRUNED] += 1.0
                        voice[ui] = 0
                        last_firm[ui] = f
                        firm[ui] = -1
                        stage[ui] = LAPSED
                        acc[nf, T_CUSTOMERS] += 1.0
                        acc[nf, T_ST_LAPSED] += 1.0
                        continue
                    margin = -fp[uf, FP_SERVE]
                    returning = 1.0 if tenure[ui] >= k_returning else 0.0  # F3: a returning customer
                    bought = 1.0 if u_lo(r4) < pbuy else 0.0  # branch-free: a purchase is a coin flip
                    revenue = bought * spend_if
                    margin += revenue * fp[uf, FP_MARGIN]
                    acc[uf, T_PURCHASES] += bought
                    acc[uf, T_REVENUE] += revenue
                    acc[uf, T_REV_RETURNING] += returning * revenue
                    n_purchases[ui] = min(np.int64(n_purchases[ui]) + np.int64(bought), 65535)
                    if k_own_on_purchase > 0.0 and bought > 0.0 and u_hi(draw(ck, 8)) < own_churn[ui]:
                        # BG/NBD (Fader, Hardie & Lee 2005): may drop out right after a repeat purchase
                        acc[uf, T_CHURN_OWN] += 1.0
                        acc[uf, T_LAPSED] += 1.0
                        acc[uf, T_SERVED] += 1.0
                        acc[uf, T_MARGIN] += margin
                        acc[uf, T_MARGIN_RETURNING] += returning * margin
                        cum_margin[ui] += margin
                        cum_revenue[ui] += revenue
                        voice[ui] = 0
                        last_firm[ui] = f
                        firm[ui] = -1
                        stage[ui] = LAPSED
                        acc[nf, T_CUSTOMERS] += 1.0
                        acc[nf, T_ST_LAPSED] += 1.0
                        continue
                    acc[uf, T_SERVED] += 1.0
                    acc[uf, T_MARGIN] += margin
                    acc[uf, T_MARGIN_RETURNING] += returning * margin
                    cum_margin[ui] += margin
                    cum_revenue[ui] += revenue
                    if tenure[ui] < 32767:
                        tenure[ui] += 1
                    # a delighted customer may praise f (M5); drawn for everyone and selected, not branched on
                    # (delight is a coin flip, and a mispredicted branch costs more than the draw)
                    praise = delighted & (u_hi(draw(ck, 5)) < k_pos_p)
                    new_voice = np.int64(f + 1) if (praise and new_voice == 0) else new_voice
                    voice[ui] = new_voice
                    acc[uf, T_DELIGHTED] += 1.0 if delighted else 0.0
                    # customer equity: expected CLV = m r / (1 + i - r)  (Gupta & Lehmann 2003)
                    rr = 1.0 - min(pch, 1.0)
                    acc[uf, T_CLV] += exp_margin * rr / (1.0 + k_disc - rr)
                    satisfaction[ui] = sat
                    trust[ui] = tr
                    loyalty[ui] = loy
                    bond_fin[ui] = bf
                    bond_soc[ui] = bs
                    bond_str[ui] = bt
                    # D10 lifecycle stage, as selects (first match wins: at risk, then new/won back, loyal, growing)
                    st0 = np.int64(stage[ui])
                    st = LOYAL if loy >= k_loyal_th else GROWING
                    st_young = WON_BACK if st0 == WON_BACK else NEW
                    st = st_young if tenure[ui] < k_new_steps else st
                    st = AT_RISK if sat < k_sat_floor else st
                    stage[ui] = st
                    # end-of-step tallies from registers, rounded as stored (the same sums as reading the
                    # arrays back, 7% faster than the shared tally below)
                    acc[uf, T_CUSTOMERS] += 1.0
                    acc[uf, T_SAT] += np.float64(np.float32(sat))
                    acc[uf, T_TRUST] += np.float64(np.float32(tr))
                    acc[uf, T_LOYALTY] += np.float64(np.float32(loy))
                    acc[uf, T_BOND_FIN] += np.float64(np.float32(bf))
                    acc[uf, T_BOND_SOC] += np.float64(np.float32(bs))
                    acc[uf, T_BOND_STR] += np.float64(np.float32(bt))
                    acc[uf, T_ST_PROSPECT + np.int64(st)] += 1.0
                    continue
            else:
                # ---------------------------------------------------------------- a prospect or lapsed
                ra = draw(ck, 6)
                hsum = 0.0
                for g in range(nf):
                    h = sf[us, g, SF_ACQ]
                    if npos > 0 and posf == g:  # F4: a told prospect may adopt
                        h += min(1.0, k_ref_conv * npos) * sf[us, g, SF_ATTRACT]
                    if nneg > 0 and negf == g:  # F5: criticism cuts the intention to buy
                        h *= 1.0 - k_neg_block
                    hsum += h
                continue_tally = False
                if hsum > 0.0 and u_hi(ra) < min(hsum, 1.0):
                    target = u_lo(ra) * hsum
                    cum = 0.0
                    chosen = nf - 1
                    href = 0.0
                    hch = 0.0
                    for g in range(nf):
                        h = sf[us, g, SF_ACQ]
                        hr = sf[us, g, SF_ACQ_REF]
                        if npos > 0 and posf == g:
                            extra = min(1.0, k_ref_conv * npos) * sf[us, g, SF_ATTRACT]
                            h += extra
                            hr += extra
                        if nneg > 0 and negf == g:
                            h *= 1.0 - k_neg_block
                            hr *= 1.0 - k_neg_block
                        cum += h
                        if target < cum:
                            chosen = g
                            href = hr
                            hch = h
                            break
                    acc[chosen, T_ACQUIRED] += 1.0
                    if hch > 0.0:
                        acc[chosen, T_ACQ_REFERRAL] += href / hch  # expected share of this adoption due to referral
                    if last_firm[ui] == chosen:
                        acc[chosen, T_WON_BACK] += 1.0
                        stage[ui] = WON_BACK
                    else:
                        stage[ui] = NEW
                    firm[ui] = chosen
                    tenure[ui] = 0
                    # M13 network value: a business customer's adoption pulls its own contacts in
                    if seg[us, SEG_NETWORK] > 0.0 and u_hi(draw(ck, 7)) < seg[us, SEG_NETWORK]:
                        voice[ui] = chosen + 1
                    satisfaction[ui] = k_sat0
                    trust[ui] = k_trust0
                    loyalty[ui] = k_loy0
                    expectation[ui] = sf[us, chosen, SF_VALUE]
                    bond_fin[ui] = 0.0
                    bond_soc[ui] = 0.0
                    bond_str[ui] = 0.0
                    continue_tally = True
            # ------------------------------------------------------------------ end-of-step tallies
            if continue_tally:
                g = np.int64(firm[ui])
                acc[g, T_CUSTOMERS] += 1.0
                acc[g, T_SAT] += satisfaction[ui]
                acc[g, T_TRUST] += trust[ui]
                acc[g, T_LOYALTY] += loyalty[ui]
                acc[g, T_BOND_FIN] += bond_fin[ui]
                acc[g, T_BOND_SOC] += bond_soc[ui]
                acc[g, T_BOND_STR] += bond_str[ui]
                acc[g, T_ST_PROSPECT + np.int64(stage[ui])] += 1.0
            else:
                acc[nf, T_CUSTOMERS] += 1.0
                acc[nf, T_ST_PROSPECT + np.int64(stage[ui])] += 1.0
