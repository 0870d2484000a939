from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist each worker process runs its models on one numba thread: two workers on two cores
    already use the machine, and a second thread per worker only waits at every step's barrier for a core
    the other worker holds (a 20,000-customer, 104-week run took 0.8 s on two threads against 0.2 s on one
    while the other core was busy). Tests that check thread counts set them themselves.
    (Not through ``NUMBA_NUM_THREADS`` in the environment, for the children too: numba re-reads it at every
    compile, and a count below the one its threads started with is an error.)"""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        import importlib

        importlib.import_module("sim.customers")  # chooses the code generation before numba builds it
        import numba

        numba.set_num_threads(1)


# A small market with every customer mechanism active: unequal offers (competition churn),
# a low complaint threshold (complaints, recovery, negative word of mouth), delight (praise).
ACTIVE = {
    "population.size": 4000,
    "firms.rival_1.offer.product": 0.9,
    "firms.rival_2.offer.service": 0.2,
    "firms.focal.recovery_rate": 0.5,
    "dynamics.complaints.threshold": 0.55,
    "dynamics.wom.positive_probability": 0.3,
    "dynamics.churn.competition": 0.3,
}


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def baseline_path() -> Path:
    return ROOT / "scenarios" / "baseline.yaml"


@pytest.fixture(scope="module")
def tcp_scheduler() -> Iterator[str]:
    """A Dask cluster reached by its tcp:// address, as a remote one (one per test module). Its one worker
    runs in this process (a thread: no interpreter to start, and one thread, so never two numba kernels at
    once); the runs and results still go through the scheduler over tcp. tests/test_cluster.py runs
    separate worker processes."""
    from dask.distributed import LocalCluster

    with LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        protocol="tcp://",
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        scheduler_kwargs={"dashboard": False},
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        yield cluster.scheduler_address
