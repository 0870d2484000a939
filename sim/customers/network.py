"""The customers' contact network (M5 word of mouth), stored as CSR arrays.

networkx generates the graph of one community (Watts-Strogatz, Erdős-Rényi or Barabási-Albert); the
population is a chain of such communities, and a share ``rewire`` of all ties is rewired to anyone in
the population, which makes the whole a small world. Generating one networkx graph of a million nodes
takes tens of seconds in pure Python; a few community templates plus numpy keep construction within a
second while the local structure is still networkx's.
"""

from __future__ import annotations

import networkx as nx
import numba
import numpy as np

from sim.scenario import Network

__all__ = ["build_network", "ContactNetwork"]

_TEMPLATES = 4  # distinct community graphs per population; communities cycle through them


class ContactNetwork:
    """Undirected contact network in CSR form: neighbours of i are ``indices[indptr[i]:indptr[i+1]]``."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray) -> None:
        self.indptr = indptr
        self.indices = indices

    @property
    def n(self) -> int:
        return self.indptr.shape[0] - 1

    def degree(self) -> np.ndarray:
        return np.diff(self.indptr)

    @property
    def nbytes(self) -> int:
        return self.indptr.nbytes + self.indices.nbytes


def _template(kind: str, size: int, degree: int, seed: int) -> np.ndarray:
    if kind == "watts_strogatz":
        g = nx.watts_strogatz_graph(size, min(degree, size - 1), 0.0, seed=seed)
    elif kind == "erdos_renyi":
        g = nx.gnm_random_graph(size, size * degree // 2, seed=seed)
    else:  # barabasi_albert: mean degree ~ 2m
        g = nx.barabasi_albert_graph(size, max(1, min(degree // 2, size - 1)), seed=seed)
    edges = np.array(g.edges(), dtype=np.int32).reshape(-1, 2)
    return edges


@numba.njit(cache=True)
def _csr(n, edges):
    """Both directions of every tie, without materialising them: first (a -> b) for every edge, then
    (b -> a), so each node's neighbours keep that order."""
    m = edges.shape[0]
    counts = np.zeros(n + 1, dtype=np.int64)
    for k in range(m):
        counts[edges[k, 0] + 1] += 1
        counts[edges[k, 1] + 1] += 1
    for i in range(n):
        counts[i + 1] += counts[i]
    fill = counts[:-1].copy()
    out = np.empty(2 * m, dtype=np.int32)
    for side in range(2):
        for k in range(m):
            a = edges[k, side]
            out[fill[a]] = edges[k, 1 - side]
            fill[a] += 1
    return counts, out


def build_network(cfg: Network, n: int, rng: np.random.Generator) -> ContactNetwork:
    """Build the contact network for ``n`` customers; deterministic given ``rng``."""
    if cfg.kind == "none" or n < 3:
        return ContactNetwork(np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int32))
    if n >= 2**31 - 1:
        raise ValueError("the contact network indexes customers with int32: fewer than 2**31 customers")
    size = min(cfg.community_size, n)
    seeds = rng.integers(0, 2**31 - 1, size=_TEMPLATES + 1)
    templates = [_template(cfg.kind, size, cfg.degree, int(s)) for s in seeds[:_TEMPLATES]]
    full = n // size
    rest = n - full * size
    tail = _template(cfg.kind, rest, cfg.degree, int(seeds[-1])) if rest >= 3 else np.zeros((0, 2), np.int32)
    total = sum(len(templates[c % _TEMPLATES]) for c in range(full)) + len(tail)
    edges = np.empty((total, 2), dtype=np.int32)  # filled in place: peak memory ~ the final arrays
    at = 0
    for c in range(full):
        t = templates[c % _TEMPLATES]
        np.add(t, np.int32(c * size), out=edges[at : at + len(t)])
        at += len(t)
    if len(tail):
        np.add(tail, np.int32(full * size), out=edges[at:])
    # small world: rewire one end of a share of ties to anyone in the population
    if cfg.rewire > 0 and len(edges):
        flip = rng.random(len(edges)) < cfg.rewire
        new_end = rng.integers(0, n, size=int(flip.sum()))
        src_flip = edges[flip, 0]
        new_end = np.where(new_end == src_flip, edges[flip, 1], new_end)  # no self-loops
        edges[flip, 1] = new_end
    indptr, indices = _csr(n, edges)
    return ContactNetwork(indptr, indices)
