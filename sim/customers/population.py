"""CustomerPopulation: the customers as columns of arrays (struct of arrays), never as Mesa agents.

One row per person in the market. ``firm[i]`` is the firm customer i buys from, or -1 for a prospect
(never a customer) or a lapsed customer (left the market, may be won back). The arrays are advanced
by the numba kernels in ``sim.customers.wom`` and ``sim.customers.kernel``.

The boundary with the market is two calls, each taking and returning named objects built from the
registry (``sim.customers.registry``), so the Python cost of a step does not grow with the population:

- ``deliver_wom(key, reach_pos, reach_neg, n_firms) -> Totals``: last step's word of mouth (M5);
- ``step(StepInputs) -> Totals``: the customer pass, with the inputs the market built from this
  step's offers, spending and the word of mouth just delivered (``sim.market.inputs``).

Which implementation runs is an :class:`Engine` chosen by the caller (the numba kernels by default,
or the numpy reference the model passes in for tests); this module never imports the reference.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import NamedTuple

import numpy as np
import pandas as pd

from sim.customers import registry as L
from sim.customers.credit import draw_credit
from sim.customers.kernel import adoption_bound, customer_pass, customer_scratch
from sim.customers.network import ContactNetwork, build_network
from sim.customers.registry import kernel_params
from sim.customers.start_state import BYTES_PER_CELL, read_start_state, start_state_rows
from sim.customers.wom import wom_pass
from sim.scenario import Scenario, ScenarioError

__all__ = [
    "CustomerPopulation",
    "StepInputs",
    "Totals",
    "Engine",
    "NUMBA",
    "kernel_params",
    "memory_needed",
    "available_memory",
    "BUILD_FACTOR",
]


@dataclass(frozen=True, slots=True)
class StepInputs:
    """What the customer pass of one step needs from the market, by name (columns: ``registry``)."""

    key: np.uint64  # the customer pass's random key (``rng.step_key(seed, step, 1)``)
    p: np.ndarray  # [len(P)] scalar parameters (``registry.PARAMS``)
    fp: np.ndarray  # [F, len(FP)] per firm (``registry.FIRM_INPUTS``)
    sf: np.ndarray  # [S, F, len(SF)] per segment and firm (``registry.SEGMENT_FIRM_INPUTS``)
    seg: np.ndarray  # [S, len(SEG)] per segment (``registry.SEGMENT_INPUTS``)
    wom: Totals | None = None  # the word of mouth delivered this step, which the arrays were built from
    step: int = 0  # this step's number (1 = the first); a purchase records it in ``last_purchase``

    @property
    def n_firms(self) -> int:
        return self.fp.shape[0]


class Totals:
    """Per-firm totals of one pass, by name: ``totals["REVENUE"]`` is one value per firm,
    ``totals.outside("ST_LAPSED")`` the non-customers' value. The array ``[F + 1, len(T)]`` (last row:
    non-customers) stays inside, as ``array``."""

    __slots__ = ("array", "n_firms")

    def __init__(self, array: np.ndarray) -> None:
        if array.ndim != 2 or array.shape[1] != len(L.T):
            raise ValueError(f"totals must be [n_firms + 1, {len(L.T)}], not {array.shape}")
        self.array = array
        self.n_firms = array.shape[0] - 1

    def __getitem__(self, name: str) -> np.ndarray:
        return self.array[: self.n_firms, getattr(L.T, name)]

    def outside(self, name: str) -> float:
        """The total of the people who buy from no firm (prospects and lapsed customers)."""
        return float(self.array[self.n_firms, getattr(L.T, name)])

    def firm(self, index: int) -> dict[str, float]:
        """All totals of one firm, by name."""
        return dict(zip(L.T.names, self.array[index].tolist(), strict=True))


class Engine(NamedTuple):
    """An implementation of the two passes: ``wom(pop, key, reach_pos, reach_neg, n_firms)`` and
    ``customers(pop, key, p, fp, sf, seg, now)`` (``now``: the step's number), each returning the raw totals array."""

    name: str
    wom: Callable[..., np.ndarray]
    customers: Callable[..., np.ndarray]


def _wom_numba(pop: CustomerPopulation, key: np.uint64, reach_pos: float, reach_neg: float, n_firms: int) -> np.ndarray:
    tot = np.zeros((n_firms + 1, len(L.T)), dtype=np.float64)
    net = pop.network
    wom_pass(
        key,
        pop.voice,
        pop.firm,
        net.indptr,
        net.indices,
        pop.wom_pos_firm,
        pop.wom_pos_n,
        pop.wom_neg_firm,
        pop.wom_neg_n,
        float(reach_pos),
        float(reach_neg),
        tot,
    )
    return tot


def _customers_numba(
    pop: CustomerPopulation, key: np.uint64, p: np.ndarray, fp: np.ndarray, sf: np.ndarray, seg: np.ndarray, now: int = 0
) -> np.ndarray:
    out = np.zeros((L.n_chunks_for(pop.n), fp.shape[0] + 1, len(L.T)), dtype=np.float64)
    state = [getattr(pop, name) for name, _ in L.STATE]  # the kernel takes the columns in registry order
    customer_pass(key, *state, np.int64(now), p, fp, sf, seg, adoption_bound(sf), out, *customer_scratch())
    return out.sum(axis=0)  # fixed chunk order: the same sum whatever the thread count


NUMBA = Engine("numba", _wom_numba, _customers_numba)


# ---------------------------------------------------------------- memory, checked before anything is allocated
# The build's peak over the arrays it leaves (its random draws and the network's edge lists), measured with
# tracemalloc at 50 k and 200 k people: 1.5x at degree 10, 1.9x at degree 100.
BUILD_FACTOR = 2.0


def memory_needed(sc: Scenario) -> int:
    """Bytes the build of ``sc``'s population needs at its peak: :data:`BUILD_FACTOR` x its arrays, which are
    the columns of ``registry.STATE`` (73 B per person) and the contact network (the CSR row index, 8 B per
    person, and 4 B per contact: 121 B per person in all at degree 10, as ``CustomerPopulation.nbytes``), plus
    a start state's table while it is read."""
    state = sum(np.dtype(dtype).itemsize for _, dtype in L.STATE)
    contacts = 0 if sc.network.kind == "none" else sc.network.degree
    per_person = state + np.dtype(np.int64).itemsize + contacts * np.dtype(np.int32).itemsize
    rows, columns = start_state_rows(sc)  # a start state's table and its conversion, while building
    return int(BUILD_FACTOR * per_person * sc.population.size) + rows * columns * BYTES_PER_CELL


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


def _cgroup_room() -> int | None:
    try:
        limit = open("/sys/fs/cgroup/memory.max").read().strip()
        used = open("/sys/fs/cgroup/memory.current").read().strip()
        return None if limit == "max" else int(limit) - int(used)
    except (OSError, ValueError):
        return None


def _address_space_room() -> int | None:
    """What an address-space limit (``ulimit -v``, RLIMIT_AS) leaves beyond this process's mappings."""
    try:
        import resource

        soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
        if soft == resource.RLIM_INFINITY:
            return None
        with open("/proc/self/status") as fh:
            vm = next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmSize:"))
        return soft - vm
    except (ImportError, OSError, ValueError, StopIteration):
        return None


def available_memory() -> int:
    """Bytes this process can still allocate: the machine's available memory (/proc/meminfo MemAvailable,
    else its physical memory), capped by a cgroup memory limit and an address-space limit if any."""
    machine = _meminfo_available() or os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return max(0, min(x for x in (machine, _cgroup_room(), _address_space_room()) if x is not None))


def _check_memory(sc: Scenario) -> None:
    needed, available = memory_needed(sc), available_memory()
    if needed > available:
        raise ScenarioError(
            f"scenario {sc.name!r}: population.size: {sc.population.size:,} people need about {needed / 1e9:.1f} GB"
            f" of memory to build (with the contact network), but {available / 1e9:.1f} GB is available"
        )


@dataclass
class CustomerPopulation:
    """The arrays of every person in the market (see module docstring). ~73 bytes per person."""

    # the columns, names and dtypes of ``registry.STATE`` (checked at import and on construction)
    firm: np.ndarray
    segment: np.ndarray
    stage: np.ndarray
    last_firm: np.ndarray
    voice: np.ndarray
    tenure: np.ndarray
    n_purchases: np.ndarray
    last_purchase: np.ndarray
    expectation: np.ndarray
    satisfaction: np.ndarray
    trust: np.ndarray
    loyalty: np.ndarray
    bond_fin: np.ndarray
    bond_soc: np.ndarray
    bond_str: np.ndarray
    cum_margin: np.ndarray
    cum_revenue: np.ndarray
    wallet: np.ndarray
    freq: np.ndarray
    own_churn: np.ndarray
    wom_pos_firm: np.ndarray
    wom_pos_n: np.ndarray
    wom_neg_firm: np.ndarray
    wom_neg_n: np.ndarray
    pclass: np.ndarray
    credit_grade: np.ndarray
    collection_rate: np.ndarray
    payment_term: np.ndarray
    network: ContactNetwork = field(repr=False, default=None)  # type: ignore[assignment]
    # a start state's own ids of its rows (not a field: set by ``start_state.StartState.apply``), or None
    customer_ids = None
    # a start state's residual values of its rows (``sim calibrate``; the portfolio's forward value, D8), or None
    residual_value = None

    # ------------------------------------------------------------------ construction
    @classmethod
    def create(cls, sc: Scenario, rng: np.random.Generator, value: np.ndarray) -> CustomerPopulation:
        """Draw the initial population. ``value[s, f]`` is the delivered value of firm f to segment s,
        which new and initial customers expect (M1). A population that does not fit in the memory available
        is refused (:class:`ScenarioError`) before anything is allocated."""
        _check_memory(sc)
        state = read_start_state(sc)  # a start state (None without): the first rows are the firms' customers
        n = sc.population.size
        n_firms = len(sc.firms)
        if n_firms > 127:
            raise ValueError("at most 127 firms fit the int8 firm column")
        shares = np.array([s.share for s in sc.population.segments])
        segment = np.searchsorted(np.cumsum(shares)[:-1], rng.random(n), side="right").astype(np.int8)
        init = np.array([f.initial_share for f in sc.firms])
        u = rng.random(n)
        firm = np.searchsorted(np.cumsum(init), u, side="right")
        firm = np.where(firm >= n_firms, -1, firm).astype(np.int8)
        if state is not None:  # its firm and segment columns; firms[].initial_share is not used
            state.first(firm, segment)
        is_cust = firm >= 0
        sigma = sc.population.wallet_sigma
        wallet = rng.lognormal(-0.5 * sigma * sigma, sigma, size=n).astype(np.float32)
        ch = sc.dynamics.churn
        if ch.own_circumstances_beta is not None:
            a, b = ch.own_circumstances_beta
            own = rng.beta(a, b, size=n).astype(np.float32)
        else:
            own = np.full(n, ch.own_circumstances, dtype=np.float32)
        new_steps = sc.dynamics.new_steps
        if sc.population.frequency_gamma is not None:
            shape, rate = sc.population.frequency_gamma
            freq = rng.gamma(shape, 1.0 / rate, size=n).astype(np.float32)
        else:
            freq = np.ones(n, dtype=np.float32)
        tenure = np.where(is_cust, rng.integers(0, 2 * sc.steps_per_year, size=n), 0).astype(np.int16)
        stage = np.where(is_cust, np.where(tenure < new_steps, L.NEW, L.GROWING), L.PROSPECT).astype(np.int8)
        seg_ref = value.mean(axis=1)
        expectation = np.where(is_cust, value[segment, np.maximum(firm, 0)], seg_ref[segment]).astype(np.float32)
        d = sc.dynamics
        pop = cls(
            firm=firm,
            segment=segment,
            stage=stage,
            last_firm=np.full(n, -1, dtype=np.int8),
            voice=np.zeros(n, dtype=np.int8),
            tenure=tenure,
            n_purchases=is_cust.astype(np.uint16),
            last_purchase=np.where(is_cust, 0, L.NEVER_BOUGHT).astype(np.int32),  # a customer bought just before
            expectation=expectation,
            satisfaction=np.full(n, d.satisfaction.initial, dtype=np.float32),
            trust=np.full(n, d.trust.initial, dtype=np.float32),
            loyalty=np.full(n, d.loyalty.initial, dtype=np.float32),
            bond_fin=np.zeros(n, dtype=np.float32),
            bond_soc=np.zeros(n, dtype=np.float32),
            bond_str=np.zeros(n, dtype=np.float32),
            cum_margin=np.zeros(n, dtype=np.float32),
            cum_revenue=np.zeros(n, dtype=np.float32),
            wallet=wallet,
            freq=freq,
            own_churn=own,
            wom_pos_firm=np.full(n, -1, dtype=np.int8),
            wom_pos_n=np.zeros(n, dtype=np.uint8),
            wom_neg_firm=np.full(n, -1, dtype=np.int8),
            wom_neg_n=np.zeros(n, dtype=np.uint8),
            pclass=np.full(n, -1, dtype=np.int8),  # D8: classed by the market (sim.market.portfolio)
            credit_grade=np.zeros(n, dtype=np.int8),
            collection_rate=np.ones(n, dtype=np.float32),
            payment_term=np.zeros(n, dtype=np.int16),
        )
        pop.network = build_network(sc.network, n, rng)
        if sc.credit.enabled:  # drawn last, so that credit on or off leaves every other draw as it was
            draw_credit(pop, sc, rng)
        if state is not None:
            state.apply(pop, new_steps)
        return pop

    # ------------------------------------------------------------------ the two kernel passes
    @property
    def n(self) -> int:
        return self.firm.shape[0]

    def array_fields(self) -> list[str]:
        return [name for name, _ in L.STATE]

    def __post_init__(self) -> None:
        for name, dtype in L.STATE:
            if getattr(self, name).dtype != dtype:
                raise TypeError(f"CustomerPopulation.{name} must be {dtype}, not {getattr(self, name).dtype}")

    def deliver_wom(
        self, key: np.uint64, reach_pos: float, reach_neg: float, n_firms: int, engine: Engine = NUMBA
    ) -> Totals:
        """Deliver last step's word-of-mouth episodes (M5); per-firm totals of the ``wom`` columns."""
        return Totals(engine.wom(self, key, reach_pos, reach_neg, n_firms))

    def step(self, inputs: StepInputs, engine: Engine = NUMBA) -> Totals:
        """Advance every customer one step (the customer pass); per-firm totals by name."""
        return Totals(engine.customers(self, inputs.key, inputs.p, inputs.fp, inputs.sf, inputs.seg, inputs.step))

    # ------------------------------------------------------------------ views and checks
    @property
    def nbytes(self) -> int:
        return sum(getattr(self, name).nbytes for name in self.array_fields()) + self.network.nbytes

    def snapshot(self, firm_names: list[str], segment_names: list[str], copy: bool = True) -> pd.DataFrame:
        """The per-customer table: firm, segment, stage, tenure, satisfaction, trust, loyalty, margin.
        ``copy=False`` returns views of the live arrays (no second copy of 10 M rows); they change
        when the model steps on."""
        firm_labels = np.array([*firm_names, "none"], dtype=object)
        table = pd.DataFrame(
            {
                "firm": pd.Categorical.from_codes(
                    np.where(self.firm < 0, len(firm_names), self.firm), categories=firm_labels
                ),
                "segment": pd.Categorical.from_codes(self.segment, categories=segment_names),
                "stage": pd.Categorical.from_codes(self.stage, categories=list(L.STAGES)),
                "tenure": self.tenure,
                "satisfaction": self.satisfaction,
                "trust": self.trust,
                "loyalty": self.loyalty,
                "cumulative_margin": self.cum_margin,
                "cumulative_revenue": self.cum_revenue,
                "purchases": self.n_purchases,
                "last_purchase": self.last_purchase,  # step of the last purchase; registry.NEVER_BOUGHT: none
                "wallet": self.wallet,
                "bond_financial": self.bond_fin,
                "bond_social": self.bond_soc,
                "bond_structural": self.bond_str,
            },
            copy=copy,
        )
        ids = self.customer_ids
        if ids is not None:  # a start state's own ids first; the people after its rows have none
            col = pd.Series(pd.NA, index=table.index, dtype="string" if ids.dtype == object else "Int64")
            col.iloc[: len(ids)] = ids
            table.insert(0, "customer", col)
        return table

    def check_invariants(self, n_firms: int) -> None:
        """Raise AssertionError if any customer is in an impossible state (used in debug mode and tests)."""
        f = self.firm
        assert ((f >= -1) & (f < n_firms)).all(), "firm index out of range"
        cust = f >= 0
        st = self.stage
        assert np.isin(st[~cust], (L.PROSPECT, L.LAPSED)).all(), "non-customer in a customer stage"
        assert not np.isin(st[cust], (L.PROSPECT, L.LAPSED)).any(), "customer in a non-customer stage"
        for name in ("satisfaction", "trust", "loyalty", "bond_fin", "bond_soc", "bond_str"):
            a = getattr(self, name)
            assert np.isfinite(a).all() and (a >= 0).all() and (a <= 1).all(), f"{name} outside [0, 1]"
        assert (self.tenure >= 0).all(), "negative tenure"
        assert (self.wom_pos_n == 0).all() and (self.wom_neg_n == 0).all(), "undelivered word of mouth"


if [f.name for f in fields(CustomerPopulation) if f.name != "network"] != [name for name, _ in L.STATE]:
    raise ImportError("CustomerPopulation's columns must be registry.STATE, in its order")
