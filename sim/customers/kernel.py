"""The customer pass: every customer's satisfaction, trust, bonds, loyalty, complaints, churn, purchases
and lifecycle stage, and every prospect's adoption, for one step.

The pass runs over fixed chunks of customers in parallel (``prange``); per-firm totals are summed per
chunk and then over chunks in a fixed order, and every random number is a hash of (seed, step,
customer, draw), so the result is bit-identical for any thread count.

Each block of rows inside a chunk goes through three loops, so that the common case vectorises:

1. **the vector loop** (branch-free, vectorised by LLVM): the whole step of a customer who stays with
   their firm, and for every row the decision of what else happens to it (``EV_*``);
2. **the tallies**, also vectorised: the counts of every firm at once, packed as ``COUNT_BITS``-bit
   fields of int64 sums, then the sums of money and state in one masked pass per firm (about 0.7 ns
   per customer per firm, so above ``MASKED_TALLY_MAX_FIRMS`` firms a scalar loop adds each row into
   its firm's totals instead);
3. **the events**, scalar, over the few rows the vector loop handed on: prospects that may adopt,
   churn and where the customer goes, pruning, dropout after a purchase.

What makes loop 1 vectorise (measured; docs/architecture.md): numba marks the arguments of a ``prange``
body as non-aliasing only if the body makes no views of them, so the body indexes ``out[c, ...]`` and
the per-thread scratch arrays (arguments too: memory allocated inside the body may alias anything)
directly; ``min``/``max``/``abs`` are calls in numba, so they are written as selects (``_min``...);
``error_model="numpy"`` drops the division-by-zero branch; and no loop runs inside it.
The pass compiles with fast-math: bits are the same on machines with the same CPU features;
``NUMBA_CPU_NAME=x86-64-v3`` makes them the same on every AVX2 machine (docs/architecture.md).
The same dynamics in plain numpy live in ``sim.customers.reference``; tests compare the two.
"""

from __future__ import annotations

import numba
import numpy as np

from sim.customers import registry as L
from sim.customers.rng import customer_key, draw, normal4, u_hi, u_lo

__all__ = ["customer_pass", "customer_scratch", "adoption_bound", "BLOCK"]

BLOCK = 1024  # rows per block: the block's scratch stays in the L1/L2 caches (512 and 2048 were slower)

# what happens to a row this step, decided by the vector loop (EV_STAY and EV_IDLE rows are finished there)
(EV_STAY, EV_PROSPECT, EV_CHURN_DIS, EV_CHURN_COMP, EV_CHURN_STAFF, EV_CHURN_OWN, EV_PRUNED, EV_DROPOUT, EV_IDLE) = range(9)
# what a row counts toward in the tallies
FL_BOUGHT, FL_RETURNING, FL_DELIGHTED, FL_COMPLAINED, FL_RECOVERED = 1, 2, 4, 8, 16

MASKED_TALLY_MAX_FIRMS = 4  # above this the scalar scatter of the tallies is faster (measured: 3 and 8 firms)
COUNT_BITS = 12  # width of one firm's field in the packed counts: a block's count of anything fits
COUNT_MASK = (1 << COUNT_BITS) - 1
if BLOCK > COUNT_MASK or (MASKED_TALLY_MAX_FIRMS + 1) * COUNT_BITS > 63:
    raise ImportError("customer_kernel: the packed counts cannot hold a block's counts")
ADOPTION_MARGIN = 1e-9  # relative headroom of adoption_bound over any rounding of the hazard sum


def customer_scratch() -> tuple[np.ndarray, ...]:
    """Per-thread scratch rows for ``customer_pass`` (a few kB per thread): event, flags, revenue,
    margin, CLV of each row of the block being processed."""
    nt = numba.config.NUMBA_NUM_THREADS
    return (
        np.empty((nt, BLOCK), np.uint8),
        np.empty((nt, BLOCK), np.uint8),
        np.empty((nt, BLOCK)),
        np.empty((nt, BLOCK)),
        np.empty((nt, BLOCK)),
    )


def adoption_bound(sf: np.ndarray) -> np.ndarray:
    """Per segment, an upper bound of a prospect's adoption probability when nobody told it anything
    (F4, F5): prospects whose draw is above it certainly stay prospects, decided in the vector loop;
    the rest get the exact decision in the event loop."""
    return np.minimum(1.0, sf[:, :, L.SF_ACQ].sum(axis=1) * (1.0 + ADOPTION_MARGIN))


@numba.njit(inline="always", cache=True)
def _min(a, b):
    return a if a < b else b  # a select: numba's min() is a call, and a call stops LLVM vectorising


@numba.njit(inline="always", cache=True)
def _max(a, b):
    return a if a > b else b


@numba.njit(inline="always", cache=True)
def _abs(a):
    return a if a >= 0.0 else -a


@numba.njit(parallel=True, cache=True, fastmath=True, error_model="numpy")
def customer_pass(
    key,
    firm,
    segment,
    stage,
    last_firm,
    voice,
    tenure,
    n_purchases,
    expectation,
    satisfaction,
    trust,
    loyalty,
    bond_fin,
    bond_soc,
    bond_str,
    cum_margin,
    cum_revenue,
    wallet,
    freq,
    own_churn,
    wom_pos_firm,
    wom_pos_n,
    wom_neg_firm,
    wom_neg_n,
    p,
    fp,
    sf,
    seg,
    acq_bound,
    out,
    ev_of,
    flags_of,
    rev_of,
    margin_of,
    clv_of,
):
    """Advance every customer one step; ``out[chunk, firm_or_F, T]`` receives the per-chunk totals.
    ``acq_bound`` is ``adoption_bound(sf)``; the last five arguments are ``customer_scratch()``."""
    n = firm.shape[0]
    nf = fp.shape[0]
    nchunks = out.shape[0]
    for c in numba.prange(nchunks):
        lo = c * L.CHUNK
        hi = min(n, lo + L.CHUNK)
        t = numba.get_thread_id()  # this thread's row of the scratch arrays
        # parameters as locals: stores into `out` could alias `p` and would force reloads
        k_noise = p[L.P_NOISE]
        k_inv_tol = p[L.P_INV_TOL]
        k_sat_speed = p[L.P_SAT_SPEED]
        k_neg_impact = p[L.P_NEG_IMPACT]
        k_exp_speed = p[L.P_EXP_SPEED]
        k_anchor = p[L.P_ANCHOR]
        k_delight = p[L.P_DELIGHT]
        k_break = p[L.P_BREAK]
        k_trust_drop = p[L.P_TRUST_DROP]
        k_trust_gain = p[L.P_TRUST_GAIN]
        k_complain_th = p[L.P_COMPLAIN_TH]
        k_complain_p = p[L.P_COMPLAIN_P]
        k_recovery_boost = p[L.P_RECOVERY_BOOST]
        k_decay_fin = p[L.P_DECAY_FIN]
        k_decay_soc = p[L.P_DECAY_SOC]
        k_decay_str = p[L.P_DECAY_STR]
        k_sat_pow = np.int64(p[L.P_SAT_POW])
        k_w_sat = p[L.P_W_SAT]
        k_w_delight = p[L.P_W_DELIGHT]
        k_w_trust = p[L.P_W_TRUST]
        k_w_fin = p[L.P_W_FIN]
        k_w_soc = p[L.P_W_SOC]
        k_w_str = p[L.P_W_STR]
        k_loy_speed = p[L.P_LOY_SPEED]
        k_sat_floor = p[L.P_SAT_FLOOR]
        k_ch_dis = p[L.P_CH_DIS]
        k_inv_floor = p[L.P_INV_FLOOR]
        k_ref_pull = p[L.P_REF_PULL]
        k_ch_comp = p[L.P_CH_COMP]
        k_switch_cost = p[L.P_SWITCH_COST]
        k_fin_damp = p[L.P_FIN_DAMP]
        k_switch_share = p[L.P_SWITCH_SHARE]
        k_sat0 = p[L.P_SAT0]
        k_trust0 = p[L.P_TRUST0]
        k_loy0 = p[L.P_LOY0]
        k_loy_freq = p[L.P_LOY_FREQ]
        k_sow_floor = p[L.P_SOW_FLOOR]
        k_pos_p = p[L.P_POS_P]
        k_disc = p[L.P_DISC]
        k_new_steps = p[L.P_NEW_STEPS]
        k_loyal_th = p[L.P_LOYAL_TH]
        k_ref_conv = p[L.P_REF_CONV]
        k_neg_block = p[L.P_NEG_BLOCK]
        k_fin_freq = p[L.P_FIN_FREQ]
        k_own_on_purchase = p[L.P_OWN_ON_PURCHASE]
        k_returning = p[L.P_RETURNING]
        for b0 in range(lo, hi, BLOCK):
            b1 = min(hi, b0 + BLOCK)
            # ------------------------------------------------------------ 1. the vector loop (every row)
            for i in range(b0, b1):
                # unsigned indices: numba wraps negative indices with a select on every access
                ui = np.uint64(i)
                uj = np.uint64(i - b0)
                ck = customer_key(key, i)
                f = np.int64(firm[ui])
                cust = f >= 0
                uf = np.uint64(f if cust else 0)  # a prospect computes firm 0's numbers and keeps none
                us = np.uint64(segment[ui])
                npos = np.int64(wom_pos_n[ui])
                posf = np.int64(wom_pos_firm[ui])
                nneg = np.int64(wom_neg_n[ui])
                negf = np.int64(wom_neg_firm[ui])
                sat0 = np.float64(satisfaction[ui])
                exp0 = np.float64(expectation[ui])
                r1 = draw(ck, 1)
                r2 = draw(ck, 2)
                r3 = draw(ck, 3)
                r4 = draw(ck, 4)
                # tiered service (D8): a firm's care and bond investment per customer scale with the
                # customer's value (spend multiplier x frequency multiplier, mean 1) by the firm's
                # targeting weight; 0 = everyone alike
                w = 1.0 + fp[uf, L.FP_TIER] * (np.float64(wallet[ui]) * np.float64(freq[ui]) - 1.0)
                # D6/D7: perceived performance = delivered value + after-sales care (M14) + database
                # marketing's attention to at-risk customers (M15) + noise
                at_risk = 1.0 if sat0 < k_sat_floor else 0.0
                perf = sf[us, uf, L.SF_VALUE] + fp[uf, L.FP_CARE] * w + fp[uf, L.FP_RISK] * at_risk + k_noise * normal4(r3)
                heard_neg = np.float64(nneg) if (nneg > 0) & (negf == f) else 0.0
                heard_neg += 1.0 if u_hi(r4) < fp[uf, L.FP_NEG_RAND] else 0.0  # well-mixed criticism (M5, F5)
                # M1: satisfaction by disconfirmation against the (adaptive) expectation
                d = perf - exp0
                x = d * k_inv_tol
                target = 0.5 + 0.5 * x / (1.0 + _abs(x))
                sat = sat0 + k_sat_speed * (target - sat0) - k_neg_impact * heard_neg
                sat = _min(1.0, _max(0.0, sat))
                anchored = (1.0 - k_anchor) * perf + k_anchor * seg[us, L.SEG_REF]
                delighted = d > k_delight  # M2: only exceeding expectations delights
                # M4: trust collapses on a broken promise, is rebuilt slowly when expectations are met
                broken = 1.0 if d < -k_break else 0.0
                met = 1.0 if d >= 0.0 else 0.0
                tr = np.float64(trust[ui]) * (1.0 - k_trust_drop * broken)
                tr = tr + k_trust_gain * met * (1.0 - tr)
                # D10 recovery: dissatisfied customers complain; recovered ones regain satisfaction,
                # unrecovered ones lose trust and complain to others (M5)
                complained = (sat < k_complain_th) & (u_hi(r1) < k_complain_p)
                recovered = complained & (u_lo(r1) < fp[uf, L.FP_RECOVERY])
                unrecovered = complained & ~recovered
                sat = sat + k_recovery_boost * (1.0 - sat) if recovered else sat
                tr = tr * (1.0 - k_trust_drop) if unrecovered else tr
                # D3: bond stocks, built by the firm's per-customer investment, decaying at their own pace
                bf0 = np.float64(bond_fin[ui])
                bs0 = np.float64(bond_soc[ui])
                bt0 = np.float64(bond_str[ui])
                bf = bf0 * (1.0 - k_decay_fin) + _min(1.0, fp[uf, L.FP_INV_FIN] * w) * (1.0 - bf0)
                bs = bs0 * (1.0 - k_decay_soc) + _min(1.0, fp[uf, L.FP_INV_SOC] * w) * (1.0 - bs0)
                bt = bt0 * (1.0 - k_decay_str) + _min(1.0, fp[uf, L.FP_INV_STR] * w) * (1.0 - bt0)
                # M2/M3: loyalty from satisfaction (convex: an integer power 1..8, as selects, since a
                # loop in here would stop the vectorising), delight, trust and bonds
                s2 = sat * sat
                s3 = s2 * sat
                s4 = s3 * sat
                s5 = s4 * sat
                s6 = s5 * sat
                s7 = s6 * sat
                s8 = s7 * sat
                sp = sat
                sp = s2 if k_sat_pow == 2 else sp
                sp = s3 if k_sat_pow == 3 else sp
                sp = s4 if k_sat_pow == 4 else sp
                sp = s5 if k_sat_pow == 5 else sp
                sp = s6 if k_sat_pow == 6 else sp
                sp = s7 if k_sat_pow == 7 else sp
                sp = s8 if k_sat_pow == 8 else sp
                lt = (
                    k_w_sat * sp
                    + k_w_delight * (1.0 if delighted else 0.0)
                    + k_w_trust * tr
                    + k_w_fin * bf
                    + k_w_soc * bs
                    + k_w_str * bt
                )
                loy0 = np.float64(loyalty[ui])
                loy = loy0 + k_loy_speed * (_min(1.0, lt) - loy0)
                # D12: churn from dissatisfaction, competition and own circumstances
                h_dis = k_ch_dis * _max(0.0, k_sat_floor - sat) * k_inv_floor * (1.0 - loy)
                best = np.int64(sf[us, uf, L.SF_BEST])
                pull = k_ref_pull * npos if (npos > 0) & (posf != f) else 0.0  # a rival praised by a friend (M5)
                poach = sf[us, uf, L.SF_POACH]  # a rival's acquisition offers aimed at f's customers
                comp_base = k_ch_comp * sf[us, uf, L.SF_GAP] + pull + sf[us, uf, L.SF_PULL] + poach
                comp_base = comp_base if best >= 0 else 0.0
                h_comp = comp_base * (1.0 - loy)
                # M7 switching costs from structural bonds, D3 level-1 damping, M16 lock-in
                damp = (1.0 - k_switch_cost * bt) * (1.0 - k_fin_damp * bf) * (1.0 - fp[uf, L.FP_LOCKIN])
                h_dis *= damp
                h_comp *= damp
                h_own = np.float64(own_churn[ui]) * (1.0 - k_own_on_purchase)  # BG/NBD: only after a purchase
                h_staff = fp[uf, L.FP_STAFF]  # D12/M8: departing staff take customers to rivals
                pch = h_dis + h_comp + h_staff + h_own
                uch = u_hi(r2)
                churned = uch < pch
                kind = EV_CHURN_OWN  # which hazard fired: the first whose cumulative sum passes the draw
                kind = EV_CHURN_STAFF if uch < h_dis + h_comp + h_staff else kind
                kind = EV_CHURN_COMP if uch < h_dis + h_comp else kind
                kind = EV_CHURN_DIS if uch < h_dis else kind
                # M3/D11: loyalty raises purchase frequency and share of wallet; F6: members of a rewards
                # programme (financial bond) buy more often
                pbuy = _min(1.0, seg[us, L.SEG_RATE] * np.float64(freq[ui]) * (1.0 + k_loy_freq * loy + k_fin_freq * bf))
                sow = k_sow_floor + (1.0 - k_sow_floor) * loy
                sow = sow + fp[uf, L.FP_SOW] * (1.0 - sow)  # D11 one-to-one: a larger share of wallet
                spend_if = seg[us, L.SEG_BASKET] * np.float64(wallet[ui]) * fp[uf, L.FP_PRICE] * sow
                exp_margin = pbuy * spend_if * fp[uf, L.FP_MARGIN] - fp[uf, L.FP_SERVE]
                ten = np.int64(tenure[ui])
                # D8: the firm ends a relationship with a negative-value customer
                pruned = (fp[uf, L.FP_PRUNE] > 0.0) & (exp_margin < 0.0) & (ten >= k_new_steps)
                returning = ten >= k_returning  # F3: a returning customer
                bought = u_lo(r4) < pbuy
                revenue = spend_if if bought else 0.0
                margin = revenue * fp[uf, L.FP_MARGIN] - fp[uf, L.FP_SERVE]
                # BG/NBD (Fader, Hardie & Lee 2005): may drop out right after a repeat purchase
                # draw 6 serves a prospect's adoption (here and in loop 3) or, since a row is a prospect or a
                # customer, a customer's praise (high half) and dropout (low half): two hashes fewer per row
                r6 = draw(ck, 6)
                dropout = (k_own_on_purchase > 0.0) & bought & (u_lo(r6) < np.float64(own_churn[ui]))
                praise = delighted & (u_hi(r6) < k_pos_p)  # a delighted customer may praise f (M5)
                # a prospect told nothing whose draw is above the bound stays a prospect (F4, F5)
                maybe_adopts = (npos > 0) | (nneg > 0) | (u_hi(r6) < acq_bound[us])
                ev = EV_DROPOUT if dropout else EV_STAY
                ev = EV_PRUNED if pruned else ev
                ev = kind if churned else ev
                ev = ev if cust else (EV_PROSPECT if maybe_adopts else EV_IDLE)
                stay = ev == EV_STAY
                buys = stay | (ev == EV_DROPOUT)
                # write back, as selects; an event row keeps its state for loop 3, except what happened
                # before the event (expectation; the purchase before a dropout)
                expectation[ui] = exp0 + k_exp_speed * (anchored - exp0) if cust else exp0
                satisfaction[ui] = sat if stay else sat0
                trust[ui] = tr if stay else trust[ui]
                loyalty[ui] = loy if stay else loy0
                bond_fin[ui] = bf if stay else bf0
                bond_soc[ui] = bs if stay else bs0
                bond_str[ui] = bt if stay else bt0
                cum_margin[ui] = np.float64(cum_margin[ui]) + margin if buys else cum_margin[ui]
                cum_revenue[ui] = np.float64(cum_revenue[ui]) + revenue if buys else cum_revenue[ui]
                npur = np.int64(n_purchases[ui])
                n_purchases[ui] = _min(npur + (1 if bought else 0), 65535) if buys else npur
                ten1 = ten + 1 if ten < 32767 else ten
                tenure[ui] = ten1 if stay else ten
                own_voice = -(f + 1) if unrecovered else 0
                own_voice = f + 1 if praise & (own_voice == 0) else own_voice
                voice[ui] = own_voice if stay else voice[ui]
                # D10 lifecycle stage (first match wins: at risk, then new/won back, loyal, growing)
                st0 = np.int64(stage[ui])
                st = L.LOYAL if loy >= k_loyal_th else L.GROWING
                st_young = L.WON_BACK if st0 == L.WON_BACK else L.NEW
                st = st_young if ten1 < k_new_steps else st
                st = L.AT_RISK if sat < k_sat_floor else st
                stage[ui] = st if stay else st0
                wom_pos_n[ui] = 0 if stay else npos  # an event row's buffers are read in loop 3
                wom_neg_n[ui] = 0 if stay else nneg
                # customer equity: expected CLV = m r / (1 + i - r)  (Gupta & Lehmann 2003)
                rr = 1.0 - _min(pch, 1.0)
                ev_of[t, uj] = ev
                flags_of[t, uj] = (
                    (FL_BOUGHT if bought else 0)
                    | (FL_RETURNING if returning else 0)
                    | (FL_DELIGHTED if delighted else 0)
                    | (FL_COMPLAINED if complained else 0)
                    | (FL_RECOVERED if recovered else 0)
                )
                rev_of[t, uj] = revenue if buys else 0.0  # what the tallies add: only a purchase counts
                margin_of[t, uj] = margin if buys else 0.0
                clv_of[t, uj] = exp_margin * rr / (1.0 + k_disc - rr)
            # ------------------------------------------------------------ 2. the block's tallies
            nb = b1 - b0
            if nf <= MASKED_TALLY_MAX_FIRMS:
                # the counts of every firm at once: one COUNT_BITS-bit field per firm, and one (nf) for
                # the non-customers, in each int64 (vectorised, and one pass instead of one per firm)
                n_cmp = 0
                n_rec = 0
                n_buy = 0
                n_served = 0
                n_del = 0
                n_st0 = 0
                n_st1 = 0
                n_st2 = 0
                n_st3 = 0
                n_st4 = 0
                n_st5 = 0
                n_st6 = 0
                for j in range(nb):
                    uj = np.uint64(j)
                    ui = np.uint64(b0 + j)
                    f = np.int64(firm[ui])
                    ev = ev_of[t, uj]
                    fl = flags_of[t, uj]
                    cust = f >= 0
                    one = np.int64(1) << (COUNT_BITS * (f if cust else nf))  # 1 in this row's field
                    stay = ev == EV_STAY
                    buys = stay | (ev == EV_DROPOUT)  # a dropout buys first (BG/NBD)
                    counted = stay | (ev == EV_IDLE)  # who is where at the end of the step
                    n_cmp += one if cust & ((fl & FL_COMPLAINED) != 0) else 0  # churners complain too
                    n_rec += one if cust & ((fl & FL_RECOVERED) != 0) else 0
                    n_buy += one if buys & ((fl & FL_BOUGHT) != 0) else 0
                    n_served += one if buys else 0
                    n_del += one if stay & ((fl & FL_DELIGHTED) != 0) else 0
                    st = stage[ui]
                    n_st0 += one if counted & (st == L.PROSPECT) else 0
                    n_st1 += one if counted & (st == L.NEW) else 0
                    n_st2 += one if counted & (st == L.GROWING) else 0
                    n_st3 += one if counted & (st == L.LOYAL) else 0
                    n_st4 += one if counted & (st == L.AT_RISK) else 0
                    n_st5 += one if counted & (st == L.LAPSED) else 0
                    n_st6 += one if counted & (st == L.WON_BACK) else 0
                for g in range(nf + 1):
                    sh = COUNT_BITS * g
                    out[c, g, L.T_COMPLAINTS] += (n_cmp >> sh) & COUNT_MASK
                    out[c, g, L.T_RECOVERIES] += (n_rec >> sh) & COUNT_MASK
                    out[c, g, L.T_PURCHASES] += (n_buy >> sh) & COUNT_MASK
                    out[c, g, L.T_SERVED] += (n_served >> sh) & COUNT_MASK
                    out[c, g, L.T_DELIGHTED] += (n_del >> sh) & COUNT_MASK
                    k0 = (n_st0 >> sh) & COUNT_MASK
                    k1 = (n_st1 >> sh) & COUNT_MASK
                    k2 = (n_st2 >> sh) & COUNT_MASK
                    k3 = (n_st3 >> sh) & COUNT_MASK
                    k4 = (n_st4 >> sh) & COUNT_MASK
                    k5 = (n_st5 >> sh) & COUNT_MASK
                    k6 = (n_st6 >> sh) & COUNT_MASK
                    out[c, g, L.T_ST_PROSPECT] += k0
                    out[c, g, L.T_ST_NEW] += k1
                    out[c, g, L.T_ST_GROWING] += k2
                    out[c, g, L.T_ST_LOYAL] += k3
                    out[c, g, L.T_ST_AT_RISK] += k4
                    out[c, g, L.T_ST_LAPSED] += k5
                    out[c, g, L.T_ST_WON_BACK] += k6
                    out[c, g, L.T_CUSTOMERS] += k0 + k1 + k2 + k3 + k4 + k5 + k6
                # the sums, one masked pass per firm (revenue and margin are already zero unless the row buys)
                for g in range(nf):
                    a_rev_new = 0.0
                    a_rev_ret = 0.0
                    a_margin_new = 0.0
                    a_margin_ret = 0.0
                    a_clv = 0.0
                    a_sat = 0.0
                    a_tr = 0.0
                    a_loy = 0.0
                    a_bf = 0.0
                    a_bs = 0.0
                    a_bt = 0.0
                    for j in range(nb):
                        uj = np.uint64(j)
                        ui = np.uint64(b0 + j)
                        mine = np.int64(firm[ui]) == g
                        mine_stay = mine & (ev_of[t, uj] == EV_STAY)
                        returning = (flags_of[t, uj] & FL_RETURNING) != 0
                        # split by returning, not "all" and "returning": LLVM vectorises this form
                        mine_new = mine & ~returning
                        mine_ret = mine & returning
                        rev = rev_of[t, uj]
                        mg = margin_of[t, uj]
                        a_rev_new += rev if mine_new else 0.0
                        a_rev_ret += rev if mine_ret else 0.0
                        a_margin_new += mg if mine_new else 0.0
                        a_margin_ret += mg if mine_ret else 0.0
                        a_clv += clv_of[t, uj] if mine_stay else 0.0
                        # end-of-step state of those who stay, as stored (float32)
                        a_sat += np.float64(satisfaction[ui]) if mine_stay else 0.0
                        a_tr += np.float64(trust[ui]) if mine_stay else 0.0
                        a_loy += np.float64(loyalty[ui]) if mine_stay else 0.0
                        a_bf += np.float64(bond_fin[ui]) if mine_stay else 0.0
                        a_bs += np.float64(bond_soc[ui]) if mine_stay else 0.0
                        a_bt += np.float64(bond_str[ui]) if mine_stay else 0.0
                    out[c, g, L.T_REVENUE] += a_rev_new + a_rev_ret
                    out[c, g, L.T_REV_RETURNING] += a_rev_ret
                    out[c, g, L.T_MARGIN] += a_margin_new + a_margin_ret
                    out[c, g, L.T_MARGIN_RETURNING] += a_margin_ret
                    out[c, g, L.T_CLV] += a_clv
                    out[c, g, L.T_SAT] += a_sat
                    out[c, g, L.T_TRUST] += a_tr
                    out[c, g, L.T_LOYALTY] += a_loy
                    out[c, g, L.T_BOND_FIN] += a_bf
                    out[c, g, L.T_BOND_SOC] += a_bs
                    out[c, g, L.T_BOND_STR] += a_bt
            else:  # many firms: one scalar pass adding each row into its firm's totals
                for j in range(nb):
                    uj = np.uint64(j)
                    ui = np.uint64(b0 + j)
                    f = np.int64(firm[ui])
                    ev = ev_of[t, uj]
                    if f < 0:
                        if ev == EV_IDLE:
                            out[c, nf, L.T_CUSTOMERS] += 1.0
                            out[c, nf, L.T_ST_PROSPECT + np.int64(stage[ui])] += 1.0
                        continue
                    uf = np.uint64(f)
                    fl = flags_of[t, uj]
                    out[c, uf, L.T_COMPLAINTS] += 1.0 if (fl & FL_COMPLAINED) != 0 else 0.0
                    out[c, uf, L.T_RECOVERIES] += 1.0 if (fl & FL_RECOVERED) != 0 else 0.0
                    if ev != EV_STAY and ev != EV_DROPOUT:
                        continue
                    ret = 1.0 if (fl & FL_RETURNING) != 0 else 0.0
                    rev = rev_of[t, uj]
                    mg = margin_of[t, uj]
                    out[c, uf, L.T_PURCHASES] += 1.0 if (fl & FL_BOUGHT) != 0 else 0.0
                    out[c, uf, L.T_REVENUE] += rev
                    out[c, uf, L.T_REV_RETURNING] += ret * rev
                    out[c, uf, L.T_SERVED] += 1.0
                    out[c, uf, L.T_MARGIN] += mg
                    out[c, uf, L.T_MARGIN_RETURNING] += ret * mg
                    if ev != EV_STAY:
                        continue
                    out[c, uf, L.T_DELIGHTED] += 1.0 if (fl & FL_DELIGHTED) != 0 else 0.0
                    out[c, uf, L.T_CLV] += clv_of[t, uj]
                    out[c, uf, L.T_CUSTOMERS] += 1.0
                    out[c, uf, L.T_SAT] += np.float64(satisfaction[ui])
                    out[c, uf, L.T_TRUST] += np.float64(trust[ui])
                    out[c, uf, L.T_LOYALTY] += np.float64(loyalty[ui])
                    out[c, uf, L.T_BOND_FIN] += np.float64(bond_fin[ui])
                    out[c, uf, L.T_BOND_SOC] += np.float64(bond_soc[ui])
                    out[c, uf, L.T_BOND_STR] += np.float64(bond_str[ui])
                    out[c, uf, L.T_ST_PROSPECT + np.int64(stage[ui])] += 1.0
            # ------------------------------------------------------------ 3. the rows with an event
            for i in range(b0, b1):
                ui = np.uint64(i)
                uj = np.uint64(i - b0)
                ev = np.int64(ev_of[t, uj])
                if ev == EV_STAY or ev == EV_IDLE:
                    continue
                ck = customer_key(key, i)
                f = np.int64(firm[ui])
                us = np.uint64(segment[ui])
                npos = np.int64(wom_pos_n[ui])
                posf = np.int64(wom_pos_firm[ui])
                nneg = np.int64(wom_neg_n[ui])
                negf = np.int64(wom_neg_firm[ui])
                wom_pos_n[ui] = 0
                wom_neg_n[ui] = 0
                if ev == EV_PROSPECT:
                    # adoption (D10 acquisition): each firm's hazard, raised by praise (F4), cut by criticism (F5)
                    ra = draw(ck, 6)
                    hsum = 0.0
                    for g in range(nf):
                        h = sf[us, g, L.SF_ACQ]
                        if npos > 0 and posf == g:
                            h += min(1.0, k_ref_conv * npos) * sf[us, g, L.SF_ATTRACT]
                        if nneg > 0 and negf == g:
                            h *= 1.0 - k_neg_block
                        hsum += h
                    if not (hsum > 0.0 and u_hi(ra) < min(hsum, 1.0)):
                        out[c, nf, L.T_CUSTOMERS] += 1.0
                        out[c, nf, L.T_ST_PROSPECT + np.int64(stage[ui])] += 1.0
                        continue
                    target = u_lo(ra) * hsum
                    cum = 0.0
                    dest = nf - 1
                    href = 0.0
                    hch = 0.0
                    for g in range(nf):
                        h = sf[us, g, L.SF_ACQ]
                        hr = sf[us, g, L.SF_ACQ_REF]
                        if npos > 0 and posf == g:
                            extra = min(1.0, k_ref_conv * npos) * sf[us, g, L.SF_ATTRACT]
                            h += extra
                            hr += extra
                        if nneg > 0 and negf == g:
                            h *= 1.0 - k_neg_block
                            hr *= 1.0 - k_neg_block
                        cum += h
                        if target < cum:
                            dest = g
                            href = hr
                            hch = h
                            break
                    out[c, dest, L.T_ACQUIRED] += 1.0
                    if hch > 0.0:
                        out[c, dest, L.T_ACQ_REFERRAL] += href / hch  # expected share of this adoption due to referral
                    if last_firm[ui] == dest:
                        out[c, dest, L.T_WON_BACK] += 1.0
                        stage[ui] = L.WON_BACK
                    else:
                        stage[ui] = L.NEW
                    firm[ui] = dest
                    tenure[ui] = 0
                    # M13 network value: a business customer's adoption pulls its own contacts in
                    if seg[us, L.SEG_NETWORK] > 0.0 and u_hi(draw(ck, 7)) < seg[us, L.SEG_NETWORK]:
                        voice[ui] = dest + 1
                else:
                    uf = np.uint64(f)
                    if ev == EV_PRUNED or ev == EV_DROPOUT:
                        if ev == EV_PRUNED:  # D8: the firm ends a relationship with a negative-value customer
                            out[c, uf, L.T_PRUNED] += 1.0
                        else:  # BG/NBD: dropped out after this step's purchase
                            out[c, uf, L.T_CHURN_OWN] += 1.0
                            out[c, uf, L.T_LAPSED] += 1.0
                        voice[ui] = 0
                        last_firm[ui] = f
                        firm[ui] = -1
                        stage[ui] = L.LAPSED
                        out[c, nf, L.T_CUSTOMERS] += 1.0
                        out[c, nf, L.T_ST_LAPSED] += 1.0
                        continue
                    # churn (D12): which hazard fired decides where the customer goes
                    r2 = draw(ck, 2)
                    best = np.int64(sf[us, uf, L.SF_BEST])
                    fl = flags_of[t, uj]
                    new_voice = -(f + 1) if (fl & (FL_COMPLAINED | FL_RECOVERED)) == FL_COMPLAINED else 0
                    dest = -1
                    if ev == EV_CHURN_DIS:
                        out[c, uf, L.T_CHURN_DIS] += 1.0
                        if best >= 0 and u_lo(r2) < k_switch_share:
                            dest = best
                        new_voice = -(f + 1)
                    elif ev == EV_CHURN_COMP:
                        out[c, uf, L.T_CHURN_COMP] += 1.0
                        dest = best
                        pull = k_ref_pull * npos if npos > 0 and posf != f else 0.0  # as in loop 1
                        poach = sf[us, uf, L.SF_POACH]
                        comp_base = k_ch_comp * sf[us, uf, L.SF_GAP] + pull + sf[us, uf, L.SF_PULL] + poach
                        uc = u_lo(r2) * comp_base
                        if pull > 0.0 and uc < pull:  # a praised rival wins
                            dest = posf
                            out[c, dest, L.T_FROM_PRAISE] += 1.0
                        elif poach > 0.0 and uc < pull + poach:  # the poacher wins
                            dest = np.int64(sf[us, uf, L.SF_POACHER])
                    elif ev == EV_CHURN_STAFF:
                        out[c, uf, L.T_CHURN_STAFF] += 1.0
                        dest = best
                    else:
                        out[c, uf, L.T_CHURN_OWN] += 1.0
                    voice[ui] = new_voice
                    last_firm[ui] = f
                    if dest < 0:
                        out[c, uf, L.T_LAPSED] += 1.0
                        firm[ui] = -1
                        stage[ui] = L.LAPSED
                        out[c, nf, L.T_CUSTOMERS] += 1.0
                        out[c, nf, L.T_ST_LAPSED] += 1.0
                        continue
                    out[c, uf, L.T_TO_RIVAL] += 1.0  # switches to a rival
                    out[c, dest, L.T_ACQUIRED] += 1.0
                    out[c, dest, L.T_FROM_RIVAL] += 1.0
                    firm[ui] = dest
                    stage[ui] = L.NEW
                    tenure[ui] = 0
                # a new relationship with firm `dest` (an adoption or a switch) starts afresh
                ud = np.uint64(dest)
                satisfaction[ui] = k_sat0
                trust[ui] = k_trust0
                loyalty[ui] = k_loy0
                expectation[ui] = sf[us, ud, L.SF_VALUE]
                bond_fin[ui] = 0.0
                bond_soc[ui] = 0.0
                bond_str[ui] = 0.0
                out[c, ud, L.T_CUSTOMERS] += 1.0
                out[c, ud, L.T_SAT] += np.float64(satisfaction[ui])
                out[c, ud, L.T_TRUST] += np.float64(trust[ui])
                out[c, ud, L.T_LOYALTY] += np.float64(loyalty[ui])
                out[c, ud, L.T_ST_PROSPECT + np.int64(stage[ui])] += 1.0
