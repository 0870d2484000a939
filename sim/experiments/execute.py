"""Running many runs: one run's table (``run_one``, what a worker executes) and three backends that give
identical per-run results — serial, a local process pool, and a Dask distributed cluster.

Workers only compute; the parent process is the only writer. It stores each result as it arrives
(``store.write_run``, atomically) and keeps nothing else in memory, so memory stays bounded whatever the
number of runs. A run that raises is retried once, then reported as a failure while the rest continue.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.spec import RunSpec

__all__ = ["run_one", "execute", "TS_COLUMNS"]

# the per-step columns kept in every run file (all firms)
TS_COLUMNS = (
    "customers",
    "market_share",
    "retention_rate",
    "churned",
    "acquired",
    "satisfaction",
    "trust",
    "loyalty",
    "revenue",
    "cost",
    "profit",
    "customer_equity",
    "acquisition_spend",
    "retention_spend",
    "recovery_cost",
    "relationship_spend",
    "gross_margin",
    "margin_returning",
    "image",
    "employee_satisfaction",
    "supplier_rung",
    "distributor_partnership",
    "bond_financial",
    "bond_social",
    "bond_structural",
)


def _worker_init() -> None:
    """Inside pool workers: one numba thread each (the pool provides the parallelism)."""
    import numba

    numba.set_num_threads(1)


def run_one(spec: RunSpec) -> pd.DataFrame:
    """Run one specification; return its table: one row per step x firm with the run's labels, seed,
    parameters and run-level metrics (per firm) in every row. Deterministic in ``spec`` alone."""
    from sim.experiments.metrics import run_metrics
    from sim.model import RelationshipMarket
    from sim.scenario import Scenario

    t0 = time.perf_counter()
    sc = Scenario.model_validate(spec.scenario)
    model = RelationshipMarket(sc, rng=spec.seed)
    model.run()
    ts = model.timeseries()
    table = ts[["step", "firm", *TS_COLUMNS]].copy()
    table["firm"] = table["firm"].astype(str)
    metrics = run_metrics(ts, model.customers(), sc.steps_per_year)
    for name in next(iter(metrics.values())):
        table[f"m_{name}"] = table["firm"].map({f: m[name] for f, m in metrics.items()}).astype(np.float64)
    table.insert(0, "strategy", spec.label)
    table.insert(1, "replication", np.int64(spec.replication))
    table.insert(2, "seed", np.int64(spec.seed))
    table.insert(3, "run_key", spec.key)
    table.insert(4, "point", np.int64(spec.point))
    table["overrides"] = spec.overrides
    for name, value in spec.params.items():
        table[f"param:{name}"] = value
    table["runtime_seconds"] = time.perf_counter() - t0
    return table


def _attempt(spec: RunSpec) -> tuple[str, pd.DataFrame | None, str]:
    """Run with one retry; never raises (the error text comes back instead)."""
    err = ""
    for _ in range(2):
        try:
            return spec.key, run_one(spec), ""
        except Exception as exc:  # noqa: BLE001 - reported in failures.csv, the rest continue
            err = f"{type(exc).__name__}: {exc}"
    return spec.key, None, err


def execute(
    specs: Iterable[RunSpec],
    on_result: Callable[[RunSpec, pd.DataFrame | None, str], None],
    workers: int = 1,
    scheduler: str | None = None,
) -> None:
    """Run ``specs``; call ``on_result(spec, table_or_None, error)`` in the parent as each finishes.

    workers=1 and no scheduler: serial, in this process. workers>1: a process pool. scheduler:
    "local" starts a Dask LocalCluster with ``workers`` workers; "tcp://host:port" uses an existing one.
    """
    specs = list(specs)
    by_key = {s.key: s for s in specs}
    if scheduler:
        _execute_dask(specs, by_key, on_result, workers, scheduler)
    elif workers <= 1:
        for s in specs:
            _, table, err = _attempt(s)
            on_result(s, table, err)
    else:
        _execute_pool(specs, by_key, on_result, workers)


def _execute_pool(specs: list[RunSpec], by_key: dict[str, RunSpec], on_result: Callable, workers: int) -> None:
    import multiprocessing as mp

    ctx = mp.get_context("spawn")  # clean workers: no inherited numba threads or open files
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init) as pool:
        pending: set[Future] = set()
        queue = iter(specs)
        for s in queue:  # keep at most 2 per worker in flight: bounded memory, early progress
            pending.add(pool.submit(_attempt, s))
            if len(pending) >= 2 * workers:
                break
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                key, table, err = fut.result()
                on_result(by_key[key], table, err)
                nxt = next(queue, None)
                if nxt is not None:
                    pending.add(pool.submit(_attempt, nxt))


def _execute_dask(
    specs: list[RunSpec], by_key: dict[str, RunSpec], on_result: Callable, workers: int, scheduler: str
) -> None:
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(
            n_workers=max(1, workers),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            env={"NUMBA_NUM_THREADS": "1"},
        )
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        client.run(_worker_init)
        window = max(2 * sum(client.nthreads().values()), 2)
        queue = iter(specs)
        futures = [client.submit(_attempt, s, pure=False, key=f"run-{s.key}") for s in _take(queue, window)]
        ac = as_completed(futures)
        for fut in ac:
            key, table, err = fut.result()
            fut.release()
            on_result(by_key[key], table, err)
            nxt = next(queue, None)
            if nxt is not None:
                ac.add(client.submit(_attempt, nxt, pure=False, key=f"run-{nxt.key}"))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _take(it: Any, n: int) -> list:
    out = []
    for _ in range(n):
        x = next(it, None)
        if x is None:
            break
        out.append(x)
    return out


def default_workers() -> int:
    return os.cpu_count() or 1
