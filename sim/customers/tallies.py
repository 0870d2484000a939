"""The tallies of one block of the customer pass (``sim.customers.kernel``): each row's contribution to
its firm's per-chunk totals ``out[c, firm, T_*]`` (row ``nf`` holds the non-customers), from what the
vector loop left in the per-thread scratch rows (event, flags, revenue, margin, CLV) and the end-of-step
state. Inlined into the pass; see its module docstring for why the forms below vectorise.

An edit here recompiles the pass: its disk cache is stamped with every module of the floor
(``sim/customers/cache.py``).
"""

from __future__ import annotations

import numba
import numpy as np

from sim.customers import mechanisms as M
from sim.customers import registry as L
from sim.customers.mechanisms import (
    EV_DROPOUT,
    EV_IDLE,
    EV_STAY,
    FL_BOUGHT,
    FL_COMPLAINED,
    FL_DELIGHTED,
    FL_RECOVERED,
    FL_RETURNING,
)

MASKED_TALLY_MAX_FIRMS = 4  # above this the scalar scatter of the tallies is faster (measured: 3 and 8 firms)
COUNT_BITS = 12  # width of one firm's field in the packed counts: a block's count of anything fits
COUNT_MASK = (1 << COUNT_BITS) - 1
if (MASKED_TALLY_MAX_FIRMS + 1) * COUNT_BITS > 63:
    raise ImportError("tallies: the packed counts cannot hold every firm's field")


@numba.njit(inline="always", cache=True)
def count_packed(out, c, t, b0, nb, nf, firm, stage, ev_of, flags_of):
    """Tallies, counts: every firm's counts at once, packed as one COUNT_BITS-bit field per firm (and one,
    ``nf``, for the non-customers) in each int64 sum (vectorised, and one pass instead of one per firm).
    A block's rows must number at most COUNT_MASK."""
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


@numba.njit(inline="always", cache=True)
def sum_masked(
    out,
    c,
    t,
    b0,
    nb,
    nf,
    firm,
    ev_of,
    flags_of,
    rev_of,
    margin_of,
    clv_of,
    satisfaction,
    trust,
    loyalty,
    bond_fin,
    bond_soc,
    bond_str,
):
    """Tallies, sums of money and state: one masked, vectorised pass per firm (about 0.7 ns per customer
    per firm, so used up to MASKED_TALLY_MAX_FIRMS firms)."""
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


@numba.njit(inline="always", cache=True)
def scatter(
    out,
    c,
    t,
    b0,
    nb,
    nf,
    firm,
    stage,
    ev_of,
    flags_of,
    rev_of,
    margin_of,
    clv_of,
    satisfaction,
    trust,
    loyalty,
    bond_fin,
    bond_soc,
    bond_str,
):
    """Tallies with many firms: one scalar pass adding each row into its firm's totals."""
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


@numba.njit(inline="always", cache=True)
def sum_credit(out, c, t, b0, nb, nf, firm, rev_of, fp, credit_grade, collection_rate, payment_term):
    """Tallies of credit (F9), with ``credit.enabled`` only: per firm, the bad debt of the block's purchases
    (``bad_debt``) and their receivables in currency-days (revenue x the days it stays unpaid, ``credit_term``).
    One masked pass per firm, for any number of firms (the revenue is zero unless the row buys)."""
    for g in range(nf):
        a_bad = 0.0
        a_days = 0.0
        for j in range(nb):
            uj = np.uint64(j)
            ui = np.uint64(b0 + j)
            rev = rev_of[t, uj] if np.int64(firm[ui]) == g else 0.0
            granted = M.credit_term(fp, np.uint64(g), credit_grade[ui], payment_term[ui])
            a_bad += M.bad_debt(rev, collection_rate[ui], payment_term[ui], granted)
            a_days += rev * granted
        out[c, g, L.T_BAD_DEBT] += a_bad
        out[c, g, L.T_RECEIVABLE_DAYS] += a_days
