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

from sim.customers import mechanisms as M
from sim.customers import registry as L
from sim.customers.mechanisms import (
    EV_CHURN_COMP,
    EV_CHURN_DIS,
    EV_CHURN_STAFF,
    EV_DROPOUT,
    EV_IDLE,
    EV_PROSPECT,
    EV_PRUNED,
    EV_STAY,
    FL_COMPLAINED,
    FL_RECOVERED,
)
from sim.customers.rng import customer_key, draw, u_hi, u_lo
from sim.customers.tallies import COUNT_MASK, MASKED_TALLY_MAX_FIRMS, count_packed, scatter, sum_credit, sum_masked

__all__ = ["customer_pass", "customer_scratch", "adoption_bound", "BLOCK", "MASKED_TALLY_MAX_FIRMS"]

BLOCK = 1024  # rows per block: the block's scratch stays in the L1/L2 caches (512 and 2048 were slower)
if BLOCK > COUNT_MASK:
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


# fmt: off
@numba.njit(parallel=True, cache=True, fastmath=True, error_model="numpy")
def customer_pass(
    key, firm, segment, stage, last_firm, voice, tenure, n_purchases, last_purchase, expectation, satisfaction,
    trust, loyalty, bond_fin, bond_soc, bond_str, cum_margin, cum_revenue, wallet, freq, own_churn,
    wom_pos_firm, wom_pos_n, wom_neg_firm, wom_neg_n, pclass, credit_grade, collection_rate, payment_term, now, p,
    fp, sf, seg, acq_bound, out, ev_of, flags_of, rev_of, margin_of, clv_of,
):
    # fmt: on
    """Advance every customer one step; ``out[chunk, firm_or_F, T]`` receives the per-chunk totals.
    ``acq_bound`` is ``adoption_bound(sf)``; the last five arguments are ``customer_scratch()``."""
    n = firm.shape[0]
    nf = fp.shape[0]
    for c in numba.prange(out.shape[0]):
        lo = c * L.CHUNK
        hi = min(n, lo + L.CHUNK)
        t = numba.get_thread_id()  # this thread's row of the scratch arrays
        k_disc = p[L.P_DISC]  # loaded here, as before the split: inside the loop LLVM rounds the CLV differently
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
                sat0 = np.float64(satisfaction[ui])
                exp0 = np.float64(expectation[ui])
                r1, r2, r3, r4 = draw(ck, 1), draw(ck, 2), draw(ck, 3), draw(ck, 4)
                w, wb = M._tier_weights(fp, uf, wallet[ui], freq[ui], np.int64(pclass[ui]))  # D8: wb for bonds
                perf = M.perceived_performance(p, fp, sf, us, uf, w, sat0, r3)
                d = perf - exp0
                heard_neg = M.heard_criticism(fp, uf, f, nneg, np.int64(wom_neg_firm[ui]), r4)
                sat = M.satisfaction(p, sat0, d, heard_neg)
                delighted = M.delight(p, d)
                tr = M.trust(p, np.float64(trust[ui]), d)
                complained = M.complains(p, sat, r1)
                recovered = M.recovered(fp, uf, complained, r1)
                unrecovered = complained & ~recovered
                sat = M.recovery_satisfaction(p, sat, recovered)
                tr = M.recovery_trust(p, tr, unrecovered)
                bf0 = np.float64(bond_fin[ui])
                bs0 = np.float64(bond_soc[ui])
                bt0 = np.float64(bond_str[ui])
                bf = M.bond(bf0, p[L.P_DECAY_FIN], fp[uf, L.FP_INV_FIN], wb)
                bs = M.bond(bs0, p[L.P_DECAY_SOC], fp[uf, L.FP_INV_SOC], wb)
                bt = M.bond(bt0, p[L.P_DECAY_STR], fp[uf, L.FP_INV_STR], wb)
                loy0 = np.float64(loyalty[ui])
                loy = M.loyalty(p, loy0, sat, delighted, tr, bf, bs, bt)
                damp = M.churn_damping(p, fp, uf, bf, bt)
                h_dis = M.dissatisfaction_hazard(p, sat, loy, damp)
                h_comp = M.competition_hazard(M.competition(p, sf, us, uf, M.referral_pull(p, npos, posf, f)), loy, damp)
                h_staff = M.staff_hazard(fp, uf)
                pch = h_dis + h_comp + h_staff + M.own_hazard(p, own_churn[ui])
                uch = u_hi(r2)
                churned = uch < pch
                kind = M.churn_kind(uch, h_dis, h_comp, h_staff)
                pbuy = M.purchase_probability(p, seg, us, freq[ui], loy, bf)
                pbuy = pbuy * M.credit_purchase_factor(fp, uf, credit_grade[ui])  # F9 credit terms (1.0: not cut)
                spend_if = M.spend_if_buying(p, fp, seg, us, uf, wallet[ui], loy)
                exp_margin = pbuy * spend_if * fp[uf, L.FP_MARGIN] - fp[uf, L.FP_SERVE]
                ten = np.int64(tenure[ui])
                pruned = M.pruned(p, fp, uf, exp_margin, ten)
                returning = ten >= p[L.P_RETURNING]  # F3: a returning customer
                bought = u_lo(r4) < pbuy
                revenue = spend_if if bought else 0.0
                margin = revenue * fp[uf, L.FP_MARGIN] - fp[uf, L.FP_SERVE]
                # draw 6 serves a prospect's adoption (here and in loop 3) or, since a row is a prospect or a
                # customer, a customer's praise (high half) and dropout (low half): two hashes fewer per row
                r6 = draw(ck, 6)
                dropout = M.drops_out(p, bought, r6, own_churn[ui])
                ev = M.row_event(cust, churned, kind, pruned, dropout, M.may_adopt(npos, nneg, r6, acq_bound[us]))
                stay = ev == EV_STAY
                buys = stay | (ev == EV_DROPOUT)  # a dropout buys first (BG/NBD)
                # write back, as selects; an event row keeps its state for loop 3, except what happened
                # before the event (expectation; the purchase before a dropout)
                exp1 = M.expectation(p, seg, us, exp0, perf)
                expectation[ui] = exp1 if cust else exp0
                satisfaction[ui] = sat if stay else sat0
                trust[ui] = tr if stay else trust[ui]
                loyalty[ui] = loy if stay else loy0
                bond_fin[ui] = bf if stay else bf0
                bond_soc[ui] = bs if stay else bs0
                bond_str[ui] = bt if stay else bt0
                cum_margin[ui] = np.float64(cum_margin[ui]) + margin if buys else cum_margin[ui]
                cum_revenue[ui] = np.float64(cum_revenue[ui]) + revenue if buys else cum_revenue[ui]
                npur = np.int64(n_purchases[ui])
                n_purchases[ui] = M._min(npur + (1 if bought else 0), 65535) if buys else npur
                last_purchase[ui] = now if buys and bought else last_purchase[ui]  # this step's number (RFM recency)
                ten1 = ten + 1 if ten < 32767 else ten
                tenure[ui] = ten1 if stay else ten
                own_voice = M.voice(f, unrecovered, M.praises(p, delighted, r6))
                voice[ui] = own_voice if stay else voice[ui]
                st0 = np.int64(stage[ui])
                st = M.lifecycle_stage(p, st0, loy, ten1, sat)
                stage[ui] = st if stay else st0
                wom_pos_n[ui] = 0 if stay else npos  # an event row's buffers are read in loop 3
                wom_neg_n[ui] = 0 if stay else nneg
                ev_of[t, uj] = ev
                flags_of[t, uj] = M.row_flags(bought, returning, delighted, complained, recovered)
                rev_of[t, uj] = revenue if buys else 0.0  # what the tallies add: only a purchase counts
                margin_of[t, uj] = margin if buys else 0.0
                clv_of[t, uj] = M.clv(k_disc, exp_margin, pch)
            # ------------------------------------------------------------ 2. the block's tallies
            _tally_block(out, c, t, b0, b1, nf, firm, stage, ev_of, flags_of, rev_of, margin_of, clv_of,
                         satisfaction, trust, loyalty, bond_fin, bond_soc, bond_str)  # fmt: skip
            if p[L.P_CREDIT] > 0.0:  # F9: bad debt and receivables, only with credit on (a branch per block)
                sum_credit(out, c, t, b0, b1 - b0, nf, firm, rev_of, fp, credit_grade, collection_rate, payment_term)
            # ------------------------------------------------------------ 3. the rows with an event
            for i in range(b0, b1):
                ev = np.int64(ev_of[t, np.uint64(i - b0)])
                if ev != EV_STAY and ev != EV_IDLE:
                    _event(out, c, t, i, b0, ev, key, nf, firm, segment, stage, last_firm, voice, tenure, expectation,
                           satisfaction, trust, loyalty, bond_fin, bond_soc, bond_str, wom_pos_firm, wom_pos_n,
                           wom_neg_firm, wom_neg_n, p, sf, seg, flags_of)  # fmt: skip


@numba.njit(inline="always", cache=True)
def _tally_block(out, c, t, b0, b1, nf, firm, stage, ev_of, flags_of, rev_of, margin_of, clv_of,
                 satisfaction, trust, loyalty, bond_fin, bond_soc, bond_str):  # fmt: skip
    """Loop 2, the tallies of rows ``b0:b1``: packed counts and masked sums up to ``MASKED_TALLY_MAX_FIRMS``
    firms, a scalar scatter above."""
    if nf <= MASKED_TALLY_MAX_FIRMS:
        count_packed(out, c, t, b0, b1 - b0, nf, firm, stage, ev_of, flags_of)
        sum_masked(out, c, t, b0, b1 - b0, nf, firm, ev_of, flags_of, rev_of, margin_of, clv_of,
                   satisfaction, trust, loyalty, bond_fin, bond_soc, bond_str)  # fmt: skip
    else:
        scatter(out, c, t, b0, b1 - b0, nf, firm, stage, ev_of, flags_of, rev_of, margin_of, clv_of,
                satisfaction, trust, loyalty, bond_fin, bond_soc, bond_str)  # fmt: skip


# ---------------------------------------------------------------- the event loop's helpers (scalar code)
@numba.njit(inline="always", cache=True)
def _event(out, c, t, i, b0, ev, key, nf, firm, segment, stage, last_firm, voice, tenure, expectation,
           satisfaction, trust, loyalty, bond_fin, bond_soc, bond_str, wom_pos_firm, wom_pos_n,
           wom_neg_firm, wom_neg_n, p, sf, seg, flags_of):  # fmt: skip
    """Loop 3, one row the vector loop handed on: a prospect that may adopt, a churner and where it goes,
    a pruned customer (D8), a dropout after a purchase (BG/NBD)."""
    ui = np.uint64(i)
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
        dest = _adoption(out, c, nf, ck, p, sf, us, npos, posf, nneg, negf)
        if dest < 0:
            _tally_outside(out, c, nf, np.int64(stage[ui]))
            return
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
            _lapse(out, c, nf, ui, f, 0, firm, stage, last_firm, voice)
            return
        fl = flags_of[t, np.uint64(i - b0)]
        dest = _churn_destination(out, c, ev, f, uf, us, ck, p, sf, npos, posf)
        # D10/M5: a churner who complained and was not recovered, or left dissatisfied, complains to others
        complained = (fl & (FL_COMPLAINED | FL_RECOVERED)) == FL_COMPLAINED
        new_voice = -(f + 1) if complained or ev == EV_CHURN_DIS else 0
        if dest < 0:
            out[c, uf, L.T_LAPSED] += 1.0
            _lapse(out, c, nf, ui, f, new_voice, firm, stage, last_firm, voice)
            return
        voice[ui] = new_voice
        last_firm[ui] = f
        out[c, uf, L.T_TO_RIVAL] += 1.0  # switches to a rival
        out[c, dest, L.T_ACQUIRED] += 1.0
        out[c, dest, L.T_FROM_RIVAL] += 1.0
        firm[ui] = dest
        stage[ui] = L.NEW
        tenure[ui] = 0
    _start_relationship(out, c, ui, dest, us, p, sf, stage, satisfaction, trust, loyalty, expectation,
                        bond_fin, bond_soc, bond_str)  # fmt: skip


@numba.njit(inline="always", cache=True)
def _adoption(out, c, nf, ck, p, sf, us, npos, posf, nneg, negf):
    """D10 acquisition: whether a prospect adopts (the firms' hazards summed, ``adoption_hazard``) and which
    firm it picks (in proportion to the hazards); tallies the adoption. Returns the firm, or -1."""
    ra = draw(ck, 6)
    hsum = 0.0
    for g in range(nf):
        hsum += M.adoption_hazard(p, sf, us, g, npos, posf, nneg, negf, L.SF_ACQ)
    if not (hsum > 0.0 and u_hi(ra) < min(hsum, 1.0)):
        return -1
    target = u_lo(ra) * hsum
    cum = 0.0
    dest = nf - 1
    href = 0.0
    hch = 0.0
    for g in range(nf):
        h = M.adoption_hazard(p, sf, us, g, npos, posf, nneg, negf, L.SF_ACQ)
        hr = M.adoption_hazard(p, sf, us, g, npos, posf, nneg, negf, L.SF_ACQ_REF)  # its referral part
        cum += h
        if target < cum:
            dest = g
            href = hr
            hch = h
            break
    out[c, dest, L.T_ACQUIRED] += 1.0
    if hch > 0.0:
        out[c, dest, L.T_ACQ_REFERRAL] += href / hch  # expected share of this adoption due to referral
    return dest


@numba.njit(inline="always", cache=True)
def _churn_destination(out, c, ev, f, uf, us, ck, p, sf, npos, posf):
    """D12: where a churner goes, by the hazard that fired (``ev``): the best rival (competition, staff, a share
    of the dissatisfied), a praised rival or a poacher (by their parts of the competition term), or -1 (leaves
    the market); tallies the churn by cause."""
    r2 = draw(ck, 2)
    best = np.int64(sf[us, uf, L.SF_BEST])
    dest = -1
    if ev == EV_CHURN_DIS:
        out[c, uf, L.T_CHURN_DIS] += 1.0
        if best >= 0 and u_lo(r2) < p[L.P_SWITCH_SHARE]:
            dest = best
    elif ev == EV_CHURN_COMP:
        out[c, uf, L.T_CHURN_COMP] += 1.0
        dest = best
        pull = M.referral_pull(p, npos, posf, f)
        poach = sf[us, uf, L.SF_POACH]
        uc = u_lo(r2) * M.competition(p, sf, us, uf, pull)  # as in the vector loop (there is a rival: best >= 0)
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
    return dest


@numba.njit(inline="always", cache=True)
def _tally_outside(out, c, nf, st):
    """A row that ends the step outside every firm (prospect or lapsed) counts in row ``nf``."""
    out[c, nf, L.T_CUSTOMERS] += 1.0
    out[c, nf, L.T_ST_PROSPECT + st] += 1.0


@numba.njit(inline="always", cache=True)
def _lapse(out, c, nf, ui, f, new_voice, firm, stage, last_firm, voice):
    """A customer of firm ``f`` leaves the market (lapsed: may be won back, D10), saying ``new_voice``."""
    voice[ui] = new_voice
    last_firm[ui] = f
    firm[ui] = -1
    stage[ui] = L.LAPSED
    _tally_outside(out, c, nf, L.LAPSED)


@numba.njit(inline="always", cache=True)
def _start_relationship(out, c, ui, dest, us, p, sf, stage, satisfaction, trust, loyalty, expectation,
                        bond_fin, bond_soc, bond_str):  # fmt: skip
    """A new relationship with firm ``dest`` (an adoption or a switch) starts afresh; the row counts for it."""
    ud = np.uint64(dest)
    satisfaction[ui] = p[L.P_SAT0]
    trust[ui] = p[L.P_TRUST0]
    loyalty[ui] = p[L.P_LOY0]
    expectation[ui] = sf[us, ud, L.SF_VALUE]
    bond_fin[ui] = 0.0
    bond_soc[ui] = 0.0
    bond_str[ui] = 0.0
    out[c, ud, L.T_CUSTOMERS] += 1.0
    out[c, ud, L.T_SAT] += np.float64(satisfaction[ui])
    out[c, ud, L.T_TRUST] += np.float64(trust[ui])
    out[c, ud, L.T_LOYALTY] += np.float64(loyalty[ui])
    out[c, ud, L.T_ST_PROSPECT + np.int64(stage[ui])] += 1.0
