"""The registry of names at the boundary between the market and the customer arrays, and the step
interface built on it (StepInputs -> Totals, booking, the collector)."""

from __future__ import annotations

import subprocess
import sys

import mesa
import numpy as np
import pytest
from conftest import ACTIVE

from sim import RelationshipMarket
from sim.customers import kernel, reference, wom
from sim.customers import registry as L
from sim.customers.population import CustomerPopulation, StepInputs, Totals
from sim.market import columns
from sim.market.columns import FIRM_COLUMNS
from sim.market.firm import Firm
from sim.scenario import load_scenario

TABLES = {"P": [n for n, _ in L.PARAMS], "FP": L.FIRM_INPUTS, "SF": L.SEGMENT_FIRM_INPUTS, "SEG": L.SEGMENT_INPUTS}
TABLES["T"] = [t.name for t in L.TOTALS]


@pytest.mark.parametrize("prefix", list(TABLES))
def test_generated_constants_match_the_tables(prefix):
    names = TABLES[prefix]
    assert len(names) > 3
    idx = getattr(L, prefix)
    assert idx.names == tuple(names) and len(idx) == len(names)
    for k, name in enumerate(names):
        const = getattr(L, f"{prefix}_{name}")
        assert type(const) is int and const == k == getattr(idx, name), f"{prefix}_{name}"
    # what the kernels see, whichever way they import it (numba folds these ints in)
    for module in (kernel, wom, reference):
        seen = {k: v for k, v in vars(module).items() if k.startswith(f"{prefix}_") and isinstance(v, int)}
        seen |= {f"{prefix}_{n}": getattr(module.L, f"{prefix}_{n}") for n in names if hasattr(module, "L")}
        assert all(getattr(L, k) == v for k, v in seen.items()), module.__name__


def test_stage_constants_and_columns_follow_stages():
    for k, stage in enumerate(L.STAGES):
        assert getattr(L, stage.upper()) == k
        assert L.T_ST_PROSPECT + k == getattr(L, f"T_ST_{stage.upper()}")
    L.check_stage_columns(L.T.names)  # the registry as shipped passes


@pytest.mark.parametrize(
    "change",
    [
        lambda n: [x for x in n if x != "ST_LOYAL"],  # a stage missing
        lambda n: (
            [*[x for x in n if x != "ST_WON_BACK"], "ST_WON_BACK"] if n[-1] != "ST_WON_BACK" else n[:-2] + n[-1:] + n[-2:-1]
        ),
        lambda n: [*n[: n.index("ST_NEW")], "GAP", *n[n.index("ST_NEW") :]],  # not contiguous
        lambda n: [x for x in n if not x.startswith("ST_")],  # no stage columns at all
    ],
    ids=["missing", "out_of_order", "gap", "none"],
)
def test_stage_check_rejects_broken_layouts(change):
    with pytest.raises(ImportError):
        L.check_stage_columns(change(list(L.T.names)))


def test_customer_columns_follow_the_registry(baseline_path):
    m = RelationshipMarket(baseline_path, rng=1, overrides={"population.size": 500})
    pop = m.population
    assert pop.array_fields() == [name for name, _ in L.STATE]
    for name, dtype in L.STATE:
        assert getattr(pop, name).dtype == np.dtype(dtype), name
    arrays = {name: getattr(pop, name) for name in pop.array_fields()}
    arrays["tenure"] = arrays["tenure"].astype(np.int32)
    with pytest.raises(TypeError, match="tenure"):
        CustomerPopulation(**arrays)


def test_kernel_params_come_from_their_scenario_sources(baseline_path):
    sc = load_scenario(baseline_path, {"dynamics.satisfaction.tolerance": 0.3, "dynamics.returning_after": 40})
    p = L.kernel_params(sc)
    assert p.shape == (len(L.P),) and p.dtype == np.float64
    assert p[L.P_TOL] == 0.3 and p[L.P_INV_TOL] == 1.0 / 0.3 and p[L.P_RETURNING] == 40.0
    for k, (name, src) in enumerate(L.PARAMS):
        if isinstance(src, str):  # a dotted path: the value of that scenario field
            obj = sc
            for part in src.split("."):
                obj = getattr(obj, part)
            assert p[k] == float(obj), name


def test_totals_by_name_equal_the_raw_array():
    n_firms = 3
    raw = np.arange((n_firms + 1) * len(L.T), dtype=np.float64).reshape(n_firms + 1, len(L.T))
    t = Totals(raw)
    for k, name in enumerate(L.T.names):
        np.testing.assert_array_equal(t[name], raw[:n_firms, k])
        assert t.outside(name) == raw[n_firms, k]
    assert t.firm(1) == dict(zip(L.T.names, raw[1], strict=True))
    with pytest.raises(AttributeError):
        t["NO_SUCH_TOTAL"]
    with pytest.raises(ValueError):
        Totals(raw[:, :-1])


def test_booking_uses_every_total_the_registry_maps_to_a_column(baseline_path):
    m = RelationshipMarket(baseline_path, rng=1, overrides={"population.size": 500})
    firm = m.firms[1]
    shape = (m.n_firms + 1, len(L.T))
    t = Totals(np.arange(shape[0] * shape[1], dtype=np.float64).reshape(shape) + 7.0)
    w = Totals(1000.0 + np.arange(shape[0] * shape[1], dtype=np.float64).reshape(shape))
    firm.book(t, w, 500, 0.25)
    customers = t["CUSTOMERS"][1]
    fed = [total for total in L.TOTALS if total.column is not None]
    assert len(fed) > 30
    for k, total in enumerate(L.TOTALS):
        if total.column is None:
            continue
        src = w if total.source == "wom" else t
        want = src.array[1, k] / customers if total.mean else src.array[1, k]
        assert getattr(firm, total.column) == want, total.name
    assert firm.positive_deals == w["POS_DEALS"][1] + w["POS_RANDOM"][1] * 0.25
    assert firm.serve_cost == t["SERVED"][1] * firm.config.cost_to_serve
    assert firm.profit == firm.revenue - firm.cost
    # every mapped total is booked exactly once, and every booked column is a timeseries column
    booked = [col for _, col in (*columns.BOOK_SUMS, *columns.BOOK_MEANS, *columns.BOOK_WOM)]
    assert sorted(booked) == sorted(total.column for total in fed)
    assert set(booked) <= set(FIRM_COLUMNS)


def test_step_inputs_are_public_and_shaped_by_the_registry(baseline_path):
    m = RelationshipMarket(baseline_path, rng=2, overrides={"population.size": 800})
    m.run(2)
    for firm in m.firms:
        firm.plan(2, m.config.dynamics.levers)
    wom = m.deliver_wom(np.uint64(5))
    inputs = m.step_inputs(wom, np.uint64(6))
    assert isinstance(inputs, StepInputs) and inputs.wom is wom and inputs.n_firms == m.n_firms
    n_seg = len(m.config.population.segments)
    assert inputs.p.shape == (len(L.P),)
    assert inputs.fp.shape == (m.n_firms, len(L.FP))
    assert inputs.sf.shape == (n_seg, m.n_firms, len(L.SF))
    assert inputs.seg.shape == (n_seg, len(L.SEG))
    np.testing.assert_array_equal(inputs.sf[:, :, L.SF_VALUE], m.delivered_value())
    before = m.population.firm.copy()
    totals = m.population.step(inputs, m.kernels)
    assert totals["CUSTOMERS"].sum() + totals.outside("ST_PROSPECT") + totals.outside("ST_LAPSED") == 800
    assert totals["CUSTOMERS"].sum() == (m.population.firm >= 0).sum()
    assert not np.array_equal(before, m.population.firm) or totals["ACQUIRED"].sum() == 0


def test_the_population_does_not_import_the_reference():
    code = (
        "import sys; import sim.customers.population; from sim import RelationshipMarket; "
        "RelationshipMarket(rng=1, overrides={'population.size': 300}).step(); "
        "assert 'sim.customers.reference' not in sys.modules, 'reference imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    m = RelationshipMarket(rng=1, overrides={"population.size": 300}, engine="numpy")
    assert m.engine == "numpy" and m.kernels.customers is reference.customer_pass_ref
    with pytest.raises(ValueError, match="engine"):
        RelationshipMarket(rng=1, overrides={"population.size": 300}, engine="cuda")


def test_firm_collector_records_what_mesa_would():
    m = RelationshipMarket(rng=4, overrides={**ACTIVE, "population.size": 1500})
    from sim.model import FIRM_REPORTERS  # the firm's name, then FIRM_COLUMNS

    stock = mesa.DataCollector(agenttype_reporters={Firm: dict(FIRM_REPORTERS)})
    stock.collect(m)
    for _ in range(6):
        m.step()
        stock.collect(m)
    ours = m.datacollector.get_agenttype_vars_dataframe(Firm)
    theirs = stock.get_agenttype_vars_dataframe(Firm)
    assert ours.shape == (7 * m.n_firms, 1 + len(FIRM_COLUMNS))
    assert ours.equals(theirs)
    assert (ours["complaints"] > 0).any()


def _best_rival_loop(value, allowed=None):
    """The per-firm loop best_rival replaced (kept here as its specification)."""
    n_seg, n_firms = value.shape
    best = np.full((n_seg, n_firms), -1, dtype=np.int64)
    gap = np.zeros((n_seg, n_firms))
    masked = value.copy()
    if allowed is not None:
        masked[:, ~allowed] = -np.inf
    for f in range(n_firms):
        others = masked.copy()
        others[:, f] = -np.inf
        g = np.argmax(others, axis=1)
        ok = np.isfinite(others[np.arange(n_seg), g])
        best[ok, f] = g[ok]
        gap[ok, f] = np.maximum(0.0, value[ok, g[ok]] - value[ok, f])
    return best, gap


@pytest.mark.parametrize("n_firms", [1, 2, 3, 7])
def test_vectorised_best_rival_matches_the_loop(n_firms):
    from sim.market.value import best_rival

    rng = np.random.default_rng(n_firms)
    for trial in range(50):
        value = rng.normal(size=(4, n_firms)).round(1)  # rounded: ties happen
        allowed = rng.random(n_firms) < 0.7 if trial % 2 else None
        got, want = best_rival(value, allowed), _best_rival_loop(value, allowed)
        for a, b in zip(got, want, strict=True):
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_array_equal(a, b)


def test_value_terms_are_computed_again_when_an_offer_changes(baseline_path):
    m = RelationshipMarket(baseline_path, rng=2, overrides={"population.size": 800})
    m.run(1)
    wom = Totals(np.zeros((m.n_firms + 1, len(L.T))))
    first = m.step_inputs(wom, np.uint64(1))
    again = m.step_inputs(wom, np.uint64(1))
    np.testing.assert_array_equal(first.sf, again.sf)
    firm = m.firms[0]
    firm.current = firm.current.model_copy(update={"price": firm.current.price * 0.8})  # a price cut
    cut = m.step_inputs(wom, np.uint64(1))
    np.testing.assert_array_equal(cut.sf[:, :, L.SF_VALUE], m.delivered_value())
    assert (cut.sf[:, 0, L.SF_VALUE] > first.sf[:, 0, L.SF_VALUE]).all()
    assert (cut.sf[:, 0, L.SF_ATTRACT] > first.sf[:, 0, L.SF_ATTRACT]).all()
    assert (cut.seg[:, L.SEG_REF] > first.seg[:, L.SEG_REF]).all()
