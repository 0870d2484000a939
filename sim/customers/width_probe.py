"""The probe behind ``sim.codegen``'s choice of vector width: the customer pass, compiled at one setting,
timed on a small synthetic population that stays in the caches.

Run by ``sim.codegen`` as ``python -m sim.customers.width_probe`` in a child process whose environment
holds the setting (``NUMBA_CPU_FEATURES``) and one thread. The child compiles the pass (into the
project's numba cache, so the parent reuses the winner's code), prints ``ready`` and then, for every
line ``k`` it reads, runs the pass ``k`` times and prints the nanoseconds per customer. The parent
alternates two such children and compares medians. Synthetic inputs (every customer with one of three
firms, small random parameters, so that few rows leave the vector loop): what a vector width changes is
the vector loop and the tallies, which do the same work for any values. Not part of the kernels' cache
stamp (``sim.codegen.floor_digest``): no kernel uses it.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from sim.customers import registry as L
from sim.customers.kernel import adoption_bound, customer_pass, customer_scratch
from sim.customers.rng import step_key

PROBE_CUSTOMERS = L.CHUNK  # ~0.9 MB of state: in the L2 cache of any AVX-512 CPU
PROBE_FIRMS = 3


def probe_inputs(n: int = PROBE_CUSTOMERS, n_firms: int = PROBE_FIRMS) -> tuple:
    """The customer pass's arguments for ``n`` synthetic customers (state in registry order, then parameters)."""
    rng = np.random.default_rng(12345)
    state = []
    for name, dtype in L.STATE:
        if name == "firm":
            col = (np.arange(n) % n_firms).astype(dtype)
        elif name in ("wom_pos_firm", "wom_neg_firm", "last_firm"):
            col = np.full(n, -1, dtype)
        elif name == "stage":
            col = np.full(n, L.GROWING, dtype)
        elif name == "own_churn":
            col = np.full(n, 0.001, dtype)  # a weekly churn of the order of the scenarios'
        elif np.dtype(dtype).kind == "f":
            col = rng.uniform(0.2, 0.8, n).astype(dtype)
        else:
            col = np.zeros(n, dtype)
        state.append(col)
    # small parameters: hazards of ~1% a step, so most rows stay (the event loop is not what is compared)
    p = rng.uniform(0.0, 0.01, len(L.P))
    fp = rng.uniform(0.0, 0.01, (n_firms, len(L.FP)))
    sf = rng.uniform(0.0, 0.01, (1, n_firms, len(L.SF)))
    seg = rng.uniform(0.0, 0.01, (1, len(L.SEG)))
    p[L.P_CREDIT] = 0.0  # credit off (F9), as in every scenario by default: terms not cut
    fp[:, L.FP_BUY_A : L.FP_BUY_D + 1] = 1.0
    out = np.zeros((L.n_chunks_for(n), n_firms + 1, len(L.T)))
    now = np.int64(1)  # this step's number (the population passes it the same way)
    return (step_key(1, 0, 1), *state, now, p, fp, sf, seg, adoption_bound(sf), out, *customer_scratch())


def main() -> None:
    """Compile, say ``ready``, then time ``k`` passes for every line ``k`` on stdin (until it closes) and
    print the ns per customer."""
    args = probe_inputs()
    customer_pass(*args)  # compile (or load from the cache) and warm up
    print("ready", flush=True)
    for line in sys.stdin:
        k = int(line)
        t0 = time.perf_counter()
        for _ in range(k):
            customer_pass(*args)
        print(1e9 * (time.perf_counter() - t0) / (k * PROBE_CUSTOMERS), flush=True)


if __name__ == "__main__":
    main()
