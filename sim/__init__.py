"""sim: an agent-based simulation engine for relationship marketing.

Public names are imported lazily so that ``sim --help`` does not pay for Mesa, numba and pandas.
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
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
