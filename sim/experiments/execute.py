"""Running many runs: one run's table (``run_one``, what a worker executes) and three backends that give
identical per-run results — serial, a local process pool, and a Dask distributed cluster.

Workers only compute; the parent process is the only writer. It stores each result as it arrives
(``store.write_run``, atomically) and keeps nothing else in memory, so memory stays bounded whatever the
number of runs. A run that raises is retried once, then reported as a failure while the rest continue. A
pool worker that dies (kill -9, out of memory) breaks the pool: it is replaced and the lost runs retried.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.spec import RunSpec

__all__ = [
    "run_one",
    "expected_rows",
    "execute",
    "kept_pools",
    "worker_pool",
    "connect",
    "SchedulerUnavailable",
    "TS_COLUMNS",
]

# the per-step columns kept in every run file (all firms)
TS_COLUMNS = (
    "customers",
    "market_share",
    "retention_rate",
    "churned",
    "ended_by_firm",
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
    from sim.experiments.migration import run_migration
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
    migration = run_migration(model)  # D8: pyramid class counts start -> end per firm (``mig:`` columns)
    for name in next(iter(migration.values()), {}):
        table[name] = table["firm"].map({f: m[name] for f, m in migration.items()}).astype(np.float64)
    table.insert(0, "strategy", spec.label)
    table.insert(1, "replication", np.int64(spec.replication))
    table.insert(2, "seed", np.int64(spec.seed))
    table.insert(3, "run_key", spec.key)
    table.insert(4, "point", np.int64(spec.point))
    table["overrides"] = spec.overrides
    if spec.params:  # one block, not a column at a time (~80 columns with parameter uncertainty)
        params = pd.DataFrame({f"param:{name}": value for name, value in spec.params.items()}, index=table.index)
        table = pd.concat([table, params], axis=1)
    table["runtime_seconds"] = time.perf_counter() - t0
    return table


def expected_rows(spec: RunSpec) -> int:
    """Rows of ``run_one(spec)``'s table: steps 0..steps, one row per firm (checks a run file on resume)."""
    return (int(spec.scenario["steps"]) + 1) * len(spec.scenario["firms"])


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
    client: Any = None,
    attempt: Callable[[RunSpec], tuple[str, pd.DataFrame | None, str]] = _attempt,
) -> None:
    """Run ``specs``; call ``on_result(spec, table_or_None, error)`` in the parent as each finishes.

    workers=1 and no scheduler: serial, in this process. workers>1: a process pool. scheduler:
    "local" starts a Dask LocalCluster with ``workers`` workers; "tcp://host:port" uses an existing one
    (or pass an open ``client``, see :func:`connect`). ``attempt`` runs one spec (default: ``run_one``
    with one retry); it must be picklable for the pool and Dask.
    """
    specs = list(specs)
    by_key = {s.key: s for s in specs}
    if client is not None:
        _execute_dask(specs, by_key, on_result, client, attempt)
    elif scheduler:
        with connect(scheduler, workers) as cl:
            _execute_dask(specs, by_key, on_result, cl, attempt)
    elif workers <= 1:
        for s in specs:
            _, table, err = attempt(s)
            on_result(s, table, err)
    else:
        _execute_pool(specs, by_key, on_result, workers, attempt)


SOLO_RETRIES = 2  # a run lost with a dead worker is retried alone this many times, then reported


def _execute_pool(
    specs: list[RunSpec], by_key: dict[str, RunSpec], on_result: Callable, workers: int, attempt: Callable
) -> None:
    """A process pool; when a worker dies (kill -9, out of memory) the pool breaks and every run in flight
    is lost. The lost runs are then retried alone, each in a fresh one-worker pool (so a death names its
    run), up to ``SOLO_RETRIES`` times, then reported as failed; the rest go on in a fresh pool."""
    queue: deque[RunSpec] = deque(specs)
    while queue:
        lost = _run_pool(queue, by_key, on_result, workers, attempt)
        for spec in lost:
            for _ in range(SOLO_RETRIES):
                if not _run_pool(deque([spec]), by_key, on_result, 1, attempt):
                    break
            else:
                on_result(
                    spec,
                    None,
                    f"worker process died (killed or out of memory), also when retried alone {SOLO_RETRIES} times",
                )


_KEPT: dict[int, ProcessPoolExecutor] | None = None  # pools kept between calls inside ``kept_pools()``


@contextmanager
def kept_pools() -> Iterator[None]:
    """Within this block process pools outlive one :func:`execute` call (one per number of workers) and are
    shut down at its end: the rounds of a sequential compare (or the study and re-evaluations of ``sim
    optimize``) then start their worker processes once, not once a round (each start imports the engine,
    seconds). A broken pool is replaced as before."""
    global _KEPT
    if _KEPT is not None:  # nested: the outer block keeps them
        yield
        return
    _KEPT = {}
    try:
        yield
    finally:
        pools, _KEPT = _KEPT, None
        for pool in pools.values():
            pool.shutdown(cancel_futures=True)


@contextmanager
def worker_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``workers`` spawned processes: a new one, or inside :func:`kept_pools` the kept one."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")  # clean workers: no inherited numba threads or open files
    if _KEPT is None:
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init) as pool:
            yield pool
        return
    if workers not in _KEPT:
        _KEPT[workers] = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init)
    pool = _KEPT[workers]
    try:
        yield pool
    except BaseException:
        _forget(pool)
        raise


def _forget(pool: ProcessPoolExecutor) -> None:
    """A broken (or interrupted) kept pool is shut down and not kept."""
    if _KEPT is not None:
        for w, kept in list(_KEPT.items()):
            if kept is pool:
                del _KEPT[w]
    pool.shutdown(wait=False, cancel_futures=True)


def _run_pool(
    queue: deque[RunSpec], by_key: dict[str, RunSpec], on_result: Callable, workers: int, attempt: Callable
) -> list[RunSpec]:
    """Run from ``queue`` in one pool until it is empty or the pool breaks; return the runs lost in a break."""
    with worker_pool(workers) as pool:
        pending: dict[Future, RunSpec] = {}
        while queue or pending:
            while queue and len(pending) < 2 * workers:  # at most 2 per worker in flight: bounded memory
                spec = queue.popleft()
                pending[pool.submit(attempt, spec)] = spec
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            lost: list[RunSpec] = []
            for fut in done:
                spec = pending.pop(fut)
                try:
                    key, table, err = fut.result()
                except BrokenProcessPool:
                    lost.append(spec)
                    continue
                on_result(by_key[key], table, err)
            if lost:  # the pool is broken: every run still in flight is lost too
                for fut in wait(pending).done:
                    spec = pending.pop(fut)
                    if fut.exception() is None:
                        key, table, err = fut.result()
                        on_result(by_key[key], table, err)
                    else:
                        lost.append(spec)
                _forget(pool)
                return lost
    return []


class SchedulerUnavailable(ConnectionError):
    """``--scheduler ADDRESS`` cannot be reached (one-line message naming the address)."""


CONNECT_TIMEOUT = 5  # seconds to reach a --scheduler before giving up (Dask's default is 30)


@contextmanager
def connect(scheduler: str, workers: int = 1) -> Iterator[Any]:
    """A Dask client: ``"local"`` starts a LocalCluster of ``workers`` single-threaded worker processes
    without a dashboard (no port opened); an address connects to a running scheduler within
    :data:`CONNECT_TIMEOUT` seconds or raises :class:`SchedulerUnavailable`."""
    from dask.distributed import Client, LocalCluster

    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(
            n_workers=max(1, workers),
            threads_per_worker=1,
            processes=True,
            # Dask's scheduler always serves HTTP (health routes); no dashboard on it, and on a random
            # loopback port instead of 8787 on every interface (dashboard_address=None alone keeps 8787)
            dashboard_address="127.0.0.1:0",
            scheduler_kwargs={"dashboard": False},
            env={"NUMBA_NUM_THREADS": "1"},
        )
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError, TypeError) as err:
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise SchedulerUnavailable(
                f"--scheduler {scheduler}: cannot connect within {CONNECT_TIMEOUT} s ({reason})"
            ) from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _execute_dask(
    specs: list[RunSpec], by_key: dict[str, RunSpec], on_result: Callable, client: Any, attempt: Callable
) -> None:
    from dask.distributed import as_completed

    client.run(_worker_init)
    window = max(2 * sum(client.nthreads().values()), 2)
    queue = iter(specs)
    futures = [client.submit(attempt, s, pure=False, key=f"run-{s.key}") for s in _take(queue, window)]
    ac = as_completed(futures)
    for fut in ac:
        key, table, err = fut.result()
        fut.release()
        on_result(by_key[key], table, err)
        nxt = next(queue, None)
        if nxt is not None:
            ac.add(client.submit(attempt, nxt, pure=False, key=f"run-{nxt.key}"))


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
