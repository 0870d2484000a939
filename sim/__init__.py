"""sim: an agent-based simulation engine for relationship marketing.

Start here (``help(sim.RelationshipMarket)`` and the other names of ``dir(sim)`` say more)::

    import sim

    scenario = sim.load_scenario("baseline", overrides={"population.size": 5000})
    model = sim.RelationshipMarket(scenario, rng=7)
    model.run_for(52)  # 52 weekly steps
    model.timeseries()  # one row per step x firm
    sim.plots.overview_figure(model.timeseries())  # a matplotlib Figure
    sim.results("results/retention_strategies").ranking  # a sim compare folder

Public names are imported lazily so that ``sim --help`` does not pay for Mesa, numba and pandas.
docs/tutorial.md walks through a first session.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "RelationshipMarket",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "Firm",
    "CustomerPopulation",
    "run_scenario",
    "results",
    "Results",
    "plots",
    "__version__",
]
__version__ = "0.1.0"

_LAZY = {
    "RelationshipMarket": "sim.model",
    "Scenario": "sim.scenario",
    "ScenarioError": "sim.scenario",
    "load_scenario": "sim.scenario",
    "Firm": "sim.market.firm",
    "CustomerPopulation": "sim.customers.population",
    "run_scenario": "sim.output.run",
    "results": "sim.experiments.results",
    "Results": "sim.experiments.results",
}
_MODULES = {"plots": "sim.output.plots"}  # sim.plots: the run's figures, returned as matplotlib Figures


def __getattr__(name: str) -> Any:
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _MODULES:
        return importlib.import_module(_MODULES[name])
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public API (lazily imported names included), so that ``dir(sim)`` and tab completion show it."""
    return sorted({*__all__, *(n for n in globals() if n.startswith("__") and n.endswith("__"))})
