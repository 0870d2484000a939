"""The word-of-mouth pass (M5, F4, F5): last step's talkers reach their network neighbours and, beyond
the network, random people. Serial: it touches only the talkers (a few % of people), and delivering in
talker order keeps the result identical to the plain loop in ``sim.customers.reference``.
"""

from __future__ import annotations

import numba
import numpy as np

from sim.customers.prefetch import prefetch
from sim.customers.registry import (
    T_NEG_CONTACTS,
    T_NEG_EPISODES,
    T_NEG_RANDOM,
    T_POS_CONTACTS,
    T_POS_DEALS,
    T_POS_EPISODES,
    T_POS_RANDOM,
)
from sim.customers.rng import customer_key, draw, u_hi

__all__ = ["wom_pass"]

_WOM_BATCH = 512  # talkers handled together: their scattered loads are issued as one burst


@numba.njit(cache=True)
def wom_pass(key, voice, firm, indptr, indices, wom_pos_firm, wom_pos_n, wom_neg_firm, wom_neg_n, reach_pos, reach_neg, tot):
    """Deliver last step's word-of-mouth episodes (M5). ``voice[j]`` is +(f+1) for a positive episode
    about firm f, -(f+1) for a negative one. A talker reaches each neighbour with probability R/degree
    (all of them when R >= degree) and R - degree random people beyond the network, so an episode's
    expected reach is R: F4's 8 for praise, F5's 25 for complaints. Writes the receivers' buffers and
    per-firm totals ``tot[f, T.POS_EPISODES..T.NEG_RANDOM]``; praised neighbours who buy from nobody yet
    (prospects, lapsed) are F4's "potential deals" (``T.POS_DEALS``).

    Talkers are few (a few % of people) and scattered, so the pass is bound by memory latency, not
    arithmetic: they are gathered in batches, and each batch's lookups run as separate tight loops whose
    loads the CPU overlaps (2x faster at 10 M customers than one talker at a time), with the lines each
    loop will need prefetched by the loop before. Deliveries happen in talker order, so the result is
    the same as the plain loop in ``sim.customers.reference``."""
    n = voice.shape[0]
    batch = np.empty(_WOM_BATCH, dtype=np.int64)
    starts = np.empty(_WOM_BATCH, dtype=np.int64)
    recv = np.empty(16 * _WOM_BATCH, dtype=np.int32)
    code = np.empty(16 * _WOM_BATCH, dtype=np.int8)
    nb = 0
    for j in range(n):
        if voice[j] != 0:
            prefetch(indptr, j)  # where its neighbour list is: read when the batch is full
            batch[nb] = j
            nb += 1
            if nb == _WOM_BATCH:
                _wom_batch(
                    key,
                    nb,
                    batch,
                    voice,
                    firm,
                    indptr,
                    indices,
                    wom_pos_firm,
                    wom_pos_n,
                    wom_neg_firm,
                    wom_neg_n,
                    reach_pos,
                    reach_neg,
                    tot,
                    starts,
                    recv,
                    code,
                )
                nb = 0
    if nb:
        _wom_batch(
            key,
            nb,
            batch,
            voice,
            firm,
            indptr,
            indices,
            wom_pos_firm,
            wom_pos_n,
            wom_neg_firm,
            wom_neg_n,
            reach_pos,
            reach_neg,
            tot,
            starts,
            recv,
            code,
        )


@numba.njit(cache=True)
def _wom_batch(
    key,
    nb,
    batch,
    voice,
    firm,
    indptr,
    indices,
    wom_pos_firm,
    wom_pos_n,
    wom_neg_firm,
    wom_neg_n,
    reach_pos,
    reach_neg,
    tot,
    starts,
    recv,
    code,
):
    """One batch of talkers: 1) where their neighbour lists are, 2) which neighbours each reaches
    (into ``recv``/``code``), 3) the deliveries. Each step prefetches the lines the next one reads
    (measured in the model at 1 M, where the customer pass has just flushed the caches: fetching each
    neighbour list's first line early made the pass 25% faster, its last line too another 25%, and
    prefetching instead of loading, plus prefetching the receivers' lines, another 10%)."""
    need = 0
    for t in range(nb):
        a = indptr[batch[t]]
        b = indptr[batch[t] + 1]
        starts[t] = a
        need += b - a
        if b > a:  # a list of 10 int32 crosses a line boundary more often than not: fetch both ends
            prefetch(indices, a)
            prefetch(indices, b - 1)
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
    for x in range(kk):  # start fetching every receiver's lines, then deliver
        m = recv[x]
        prefetch(firm, m)
        if code[x] > 0:
            prefetch(wom_pos_n, m)
            prefetch(wom_pos_firm, m)
        else:
            prefetch(wom_neg_n, m)
            prefetch(wom_neg_firm, m)
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
