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
    edges = np.array(g.edges(), dtype=np.int64).reshape(-1, 2)
    return edges


@numba.njit(cache=True)
def _csr(n, src, dst):
    counts = np.zeros(n + 1, dtype=np.int64)
    for k in range(src.shape[0]):
        counts[src[k] + 1] += 1
    for i in range(n):
        counts[i + 1] += counts[i]
    fill = counts[:-1].copy()
    out = np.empty(src.shape[0], dtype=np.int32)
    for k in range(src.shape[0]):
        out[fill[src[k]]] = dst[k]
        fill[src[k]] += 1
    return counts, out


def build_network(cfg: Network, n: int, rng: np.random.Generator) -> ContactNetwork:
    """Build the contact network for ``n`` customers; deterministic given ``rng``."""
    if cfg.kind == "none" or n < 3:
        return ContactNetwork(np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int32))
    size = min(cfg.community_size, n)
    seeds = rng.integers(0, 2**31 - 1, size=_TEMPLATES + 1)
    templates = [_template(cfg.kind, size, cfg.degree, int(s)) for s in seeds[:_TEMPLATES]]
    parts = []
    full = n // size
    for c in range(full):
        parts.append(templates[c % _TEMPLATES] + c * size)
    rest = n - full * size
    if rest >= 3:
        parts.append(_template(cfg.kind, rest, cfg.degree, int(seeds[-1])) + full * size)
    edges = np.concatenate(parts) if parts else np.zeros((0, 2), dtype=np.int64)
    # small world: rewire one end of a share of ties to anyone in the population
    if cfg.rewire > 0 and len(edges):
        flip = rng.random(len(edges)) < cfg.rewire
        new_end = rng.integers(0, n, size=int(flip.sum()))
        src_flip = edges[flip, 0]
        new_end = np.where(new_end == src_flip, edges[flip, 1], new_end)  # no self-loops
        edges[flip, 1] = new_end
    src = np.concatenate([edges[:, 0], edges[:, 1]])
    dst = np.concatenate([edges[:, 1], edges[:, 0]])
    indptr, indices = _csr(n, src, dst)
    return ContactNetwork(indptr, indices)
