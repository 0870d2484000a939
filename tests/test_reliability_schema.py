"""Issue 23, the scenario slice: every number a scenario holds is finite and bounded to what the model and
its storage can take, big files load fast, and a population that cannot fit in memory is refused before
anything is allocated. Bad input is one line naming the file and field (ScenarioError; exit 2 from the CLI).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import typing
from typing import Any

import numpy as np
import pytest
from annotated_types import Ge, Gt, Le, Lt

from sim.scenario import Scenario, ScenarioError, scenario_from_dict
from sim.scenario.fields import iter_fields

# one item in each list section, so that every field has a place to be set
_LISTS = {
    "alliances": [{"name": "a", "members": ["focal", "rival_1"]}],
    "events": [{"kind": "price_war", "step": 3}],
    "portfolio": {"targets": [{"name": "focal"}]},
}
_ITEM = {"firms[]": "firms.focal", "population.segments[]": "population.segments.all", "alliances[]": "alliances.a"}
_ITEM["events[]"] = "events.0"
_ITEM["portfolio.targets[]"] = "portfolio.targets.focal"


def _dotted(path: str) -> str:
    for pattern, item in _ITEM.items():
        path = path.replace(pattern, item)
    return path


def _holds_float(annotation: Any) -> bool:
    return annotation is float or any(_holds_float(a) for a in typing.get_args(annotation))


def _float_leaves() -> list[tuple[str, Any]]:
    """(dotted --set path, field) of every leaf that holds a float (alone, in a list, or optional)."""
    return [
        (_dotted(path), field)
        for path, field, sub in iter_fields(Scenario)
        if sub is None and _holds_float(field.annotation)
    ]


def _bad_value(field: Any, bad: float) -> Any:
    """``bad`` in the field's shape: a scalar, or a list of the default's length (two for a pair)."""
    default = field.get_default(call_default_factory=True)
    if isinstance(default, list):
        return [bad] * len(default)
    if any(typing.get_origin(a) is list for a in _flat_args(field.annotation)):
        return [bad, bad]
    return bad


def _flat_args(annotation: Any) -> list[Any]:
    out = [annotation]
    for a in typing.get_args(annotation):
        out.extend(_flat_args(a))
    return out


def test_every_float_field_is_found():
    paths = [p for p, _f in _float_leaves()]
    assert len(paths) > 150
    for expected in (
        "firms.focal.budget.acquisition",
        "firms.focal.cost_to_serve",
        "population.segments.all.basket",
        "population.segments.all.value_weights.product",
        "population.segments.all.cost_weights.price",
        "steps_per_year",
        "stakeholders.initial_cash",
        "alliances.a.spend",
        "events.0.severity",
    ):
        assert expected in paths


@pytest.mark.parametrize("bad", [math.inf, -math.inf, 1e308, math.nan], ids=["inf", "-inf", "1e308", "nan"])
def test_no_float_field_takes_inf_or_huge_values(bad):
    """The probe: `.inf` or 1e308 for budgets, cost_to_serve, basket, weights made profit -inf with exit 0."""
    accepted = []
    for path, field in _float_leaves():
        try:
            scenario_from_dict(dict(_LISTS), "probe.yaml", {path: _bad_value(field, bad)})
        except ScenarioError as err:
            message = str(err)
            assert message.startswith("probe.yaml") and "\n" not in message, message
            assert path.rsplit(".", 1)[-1] in message or path.rsplit(".", 2)[-2] in message, (path, message)
            continue
        accepted.append(path)
    assert accepted == []


def test_inf_is_named_as_not_finite():
    with pytest.raises(ScenarioError, match=r"probe.yaml: firms.focal.cost_to_serve: .*finite"):
        scenario_from_dict({}, "probe.yaml", {"firms.focal.cost_to_serve": math.inf})


def _bounds(field: Any) -> tuple[float | None, float | None]:
    """The (lowest, highest) value a float field accepts, from its constraints (also inside X | None)."""
    lo = hi = None
    metadata = list(field.metadata)
    for arg in _flat_args(field.annotation):
        metadata.extend(getattr(arg, "__metadata__", ()))
    flat = []
    for m in metadata:
        flat.extend(getattr(m, "metadata", [m]))
    for m in flat:
        if isinstance(m, Ge):
            lo = float(m.ge)
        elif isinstance(m, Gt):
            lo = float(np.nextafter(m.gt, np.inf)) if m.gt != 0 else 1e-300
        elif isinstance(m, Le):
            hi = float(m.le)
        elif isinstance(m, Lt):
            hi = float(m.lt) * (1 - 1e-9)
    return lo, hi


def _at(end: int) -> dict[str, Any]:
    """Overrides that put every float field at its lowest (end=0) or highest (end=1) allowed value."""
    out = {}
    for path, field in _float_leaves():
        value = _bounds(field)[end]
        assert value is not None and math.isfinite(value), (path, value)
        if path == "events.0.rate":  # an event has a step or a rate
            continue
        if path == "events.0.severity" and end == 1:  # a price war's cut is below 1 (a price of 0 sells no units)
            value = float(np.nextafter(1.0, 0.0))
        out[path] = _bad_value(field, value)
    out["population.segments.all.share"] = 1.0
    for firm in ("focal", "rival_1", "rival_2"):
        out[f"firms.{firm}.initial_share"] = 0.3
    return out


@pytest.mark.parametrize("end", [0, 1], ids=["lowest", "highest"])
def test_every_float_at_its_bound_gives_finite_results(end):
    """Every bound is one the model can take: a short run with all floats at their limit stays finite."""
    from sim.model import RelationshipMarket

    overrides = {**_at(end), "population.size": 300, "steps": 20, "network.community_size": 100}
    scenario = scenario_from_dict(dict(_LISTS), "limits.yaml", overrides)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        ts = RelationshipMarket(scenario, rng=1).run().timeseries()
    numbers = ts.select_dtypes("number")
    bad = [c for c in numbers.columns if not np.isfinite(numbers[c].to_numpy(dtype=float)).all()]
    assert bad == []


def test_the_longest_horizon_at_the_highest_values_stays_finite():
    """Compounding (interest on negative cash) over the longest horizon: 200 years of one step each."""
    from sim.model import RelationshipMarket

    overrides = {**_at(1), "population.size": 300, "network.community_size": 100, "steps_per_year": 1.0, "steps": 200}
    scenario = scenario_from_dict(dict(_LISTS), "limits.yaml", overrides)
    ts = RelationshipMarket(scenario, rng=1).run().timeseries()
    numbers = ts.select_dtypes("number")
    assert [c for c in numbers.columns if not np.isfinite(numbers[c].to_numpy(dtype=float)).all()] == []


def test_the_horizon_is_at_most_200_years():
    assert scenario_from_dict({"steps": 10_400}).steps == 10_400
    with pytest.raises(ScenarioError, match=r"^probe.yaml: \(top level\): .*at most 200 years"):
        scenario_from_dict({"steps": 10_401}, "probe.yaml")
    with pytest.raises(ScenarioError, match=r"at most 200 years"):
        scenario_from_dict({"steps": 201, "steps_per_year": 1.0}, "probe.yaml")


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("firms:\n  - name: focal\n    cost_to_serve: .inf\n", "firms.focal.cost_to_serve"),
        ("firms:\n  - name: focal\n    budget: {acquisition: 1.0e+308}\n", "firms.focal.budget.acquisition"),
        ("population:\n  segments:\n    - name: all\n      basket: .inf\n", "population.segments.all.basket"),
        ("population:\n  segments:\n    - {name: all, value_weights: {image: 1.0e+308}}\n", "value_weights.image"),
    ],
)
def test_cli_refuses_inf_in_one_line_and_writes_nothing(tmp_path, capsys, text, field):
    from sim.cli import main

    path = tmp_path / "bad.yaml"
    path.write_text(text)
    out = tmp_path / "out"
    code = main(["run", str(path), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and str(path) in err and field in err, err
    assert not out.exists()


# ---------------------------------------------------------------- item 2: integers fit their storage
@pytest.mark.parametrize("value", [1e9, math.inf, 1e-308, 0.001], ids=["1e9", "inf", "1e-308", "0.001"])
def test_steps_per_year_is_bounded(value):
    """The probe: 1e9 overflowed the int16 tenure (690 of 2,000 customers negative); inf, 1e-308 and 0.001
    ended in tracebacks."""
    with pytest.raises(ScenarioError, match=r"^probe.yaml: steps_per_year: "):
        scenario_from_dict({"steps_per_year": value}, "probe.yaml")


def test_tenure_fits_int16_at_the_most_steps_per_year():
    from sim.model import RelationshipMarket

    model = RelationshipMarket(overrides={"steps_per_year": 8760.0, "population.size": 2000}, rng=1)
    tenure = model.population.tenure
    assert tenure.dtype == np.int16 and (tenure >= 0).all() and tenure.max() > 8760


def _int_leaves() -> list[tuple[str, Any]]:
    return [
        (_dotted(path), field)
        for path, field, sub in iter_fields(Scenario)
        if sub is None and any(a is int for a in _flat_args(field.annotation))
    ]


def test_every_integer_field_has_an_upper_bound_its_storage_holds():
    """Tenure is int16 (new_steps, returning_after are compared with it), purchases uint16, the firm and
    segment columns int8; steps and step numbers are at most the 100,000-step horizon."""
    unbounded = [path for path, field in _int_leaves() if _bounds(field)[1] is None or _bounds(field)[1] > 2**31]
    assert unbounded == []
    assert len(_int_leaves()) >= 12


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("dynamics.new_steps", 40_000),
        ("dynamics.returning_after", 40_000),
        ("population.budget_reference", 10**12),
        ("firms.focal.levers.financial.start", 10**12),
        ("firms.focal.levers.financial.stop", 2**63),
        ("events.0.step", 10**12),
        ("alliances.a.stop", 10**9),
    ],
)
def test_integers_beyond_their_storage_are_refused(path, value):
    with pytest.raises(ScenarioError, match=rf"^probe.yaml: {path.replace('.0.', '.0.')}: .*less than or equal"):
        scenario_from_dict(dict(_LISTS), "probe.yaml", {path: value})


def _segments(n: int) -> list[dict[str, Any]]:
    return [{"name": f"s{i}", "share": 1.0 / n} for i in range(n)]


def test_at_most_127_segments_fit_the_int8_segment_column():
    assert len(scenario_from_dict({"population": {"segments": _segments(127)}}).population.segments) == 127
    with pytest.raises(ScenarioError, match=r"^probe.yaml: population.segments: .*at most 127"):
        scenario_from_dict({"population": {"segments": _segments(128)}}, "probe.yaml")


# ---------------------------------------------------------------- item 3: the C YAML loader
def _spy_loaders(monkeypatch) -> list[str]:
    """Record which of PyYAML's safe loaders parses each document."""
    import yaml

    used: list[str] = []

    def spy(name: str) -> type:
        base = getattr(yaml, name)

        def init(self: Any, stream: Any) -> None:
            used.append(name)
            base.__init__(self, stream)

        return type(name, (base,), {"__init__": init})

    for name in ("CSafeLoader", "SafeLoader"):
        monkeypatch.setattr(yaml, name, spy(name))
    return used


def test_scenarios_are_parsed_by_libyaml(tmp_path, monkeypatch):
    """The probe: a 40 MB YAML took > 400 s in the pure-Python loader. libyaml's is ~4x faster (the
    1 MB size limit does the rest); extends: parents are read the same way."""
    from sim.scenario import load_scenario

    used = _spy_loaders(monkeypatch)
    (tmp_path / "parent.yaml").write_text("population: {size: 1234}\n")
    path = tmp_path / "child.yaml"
    path.write_text("extends: parent\nname: child\n")
    sc = load_scenario(path)
    assert (sc.name, sc.population.size) == ("child", 1234)
    assert used == ["CSafeLoader", "CSafeLoader"]


def test_without_libyaml_the_pure_safe_loader_is_used(tmp_path, monkeypatch):
    import yaml

    from sim.scenario import load_scenario

    used = _spy_loaders(monkeypatch)
    monkeypatch.delattr(yaml, "CSafeLoader")
    path = tmp_path / "s.yaml"
    path.write_text("name: pure\n")
    assert load_scenario(path).name == "pure" and used == ["SafeLoader"]
    path.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")  # Python's recursion limit, not libyaml's depth
    with pytest.raises(ScenarioError, match=r"s.yaml: \(parse\): malformed YAML \(nested too deeply\)$"):
        load_scenario(path)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("name: !!python/object/apply:os.system ['touch pwned']\n", "line 1: malformed YAML"),
        ("name: !custom x\n", "line 1: malformed YAML"),
        ("population:\n  size: [1, 2\n", "malformed YAML"),
        ("a: " + "[" * 5000 + "]" * 5000 + "\n", "line 1: malformed YAML"),
    ],
    ids=["python-tag", "unknown-tag", "unclosed", "deep"],
)
def test_the_c_loader_keeps_tags_refused_and_errors_one_line(tmp_path, text, words):
    from sim.scenario import load_scenario

    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert str(err.value).startswith(f"{path}: ") and words in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "pwned").exists()


# ---------------------------------------------------------------- item 4: the population's memory
def _population(n: int, **more: Any) -> tuple[Any, Any]:
    from sim.customers.population import CustomerPopulation

    sc = scenario_from_dict({}, "mem.yaml", {"population.size": n, "network.kind": "erdos_renyi", **more})
    value = np.full((len(sc.population.segments), len(sc.firms)), 0.5)
    return sc, lambda: CustomerPopulation.create(sc, np.random.default_rng(1), value)


@pytest.mark.parametrize("degree", [10, 30])
def test_the_estimate_is_the_arrays_measured_at_two_sizes(degree):
    """Bytes per customer from CustomerPopulation.nbytes at two sizes (the slope; 121 B at degree 10, as the
    README says); the estimate of the build is twice that, which covers its measured peak."""
    from sim.customers.population import BUILD_FACTOR, memory_needed

    sizes = (20_000, 60_000)
    built = [_population(n, **{"network.degree": degree})[1]().nbytes for n in sizes]
    per_customer = (built[1] - built[0]) / (sizes[1] - sizes[0])
    assert per_customer == pytest.approx(81 + 4 * degree, abs=0.5)
    for n in sizes:
        sc, _ = _population(n, **{"network.degree": degree})
        assert memory_needed(sc) == pytest.approx(BUILD_FACTOR * per_customer * n, rel=0.01)


def test_the_estimate_covers_the_peak_of_the_build():
    import tracemalloc

    from sim.customers.population import memory_needed

    sc, build = _population(100_000)
    tracemalloc.start()
    try:
        pop = build()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert pop.nbytes < peak <= memory_needed(sc)


def test_a_population_that_does_not_fit_is_refused_before_anything_is_allocated(monkeypatch):
    """The probe: population.size 200,000,000 was accepted and passed 8 GB during the build."""
    import tracemalloc

    from sim.customers import population
    from sim.model import RelationshipMarket

    monkeypatch.setattr(population, "available_memory", lambda: 8 * 10**9)
    tracemalloc.start()
    try:
        with pytest.raises(ScenarioError) as err:
            RelationshipMarket(overrides={"population.size": 200_000_000}, rng=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(err.value)
    assert "population.size: 200,000,000 people need about 48.4 GB" in message and "8.0 GB" in message, message
    assert "\n" not in message
    assert peak < 50 * 2**20  # nothing of the population's size was allocated


def test_available_memory_reads_the_machine_and_the_address_space_limit():
    import resource

    from sim.customers.population import available_memory

    total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert 0 < available_memory() <= total
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    code = (
        "import resource; from sim.customers.population import available_memory; "
        "resource.setrlimit(resource.RLIMIT_AS, (2**36, resource.RLIM_INFINITY)); print(available_memory())"
    )
    if hard == resource.RLIM_INFINITY:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        assert int(out) < 2**36


_UNDER_A_LIMIT = """
import resource, sys
from sim.cli import main
import networkx, scipy.linalg, sim.model, sim.output.plots, sim.output.run  # mapped before the limit
vm = next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmSize:"))
resource.setrlimit(resource.RLIMIT_AS, (vm + 300 * 2**20, resource.RLIM_INFINITY))
sys.exit(main(["run", "baseline", "--quiet", "--out", sys.argv[1], "--set", "population.size=5000000"]))
"""


def test_cli_under_an_address_space_limit_refuses_in_one_line(tmp_path):
    """A real fault at a small size: 300 MB of address space left, 5 M people need ~1.1 GB."""
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-c", _UNDER_A_LIMIT, str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.count("\n") == 1 and "population.size: 5,000,000 people need about" in done.stderr
    assert not out.exists()
