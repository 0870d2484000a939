"""The scenario floor: what a market is (``schema``, ``markets``) and how it is read (``loading``).

Nothing here imports the rest of ``sim``; every other floor imports from here.
"""

from sim.scenario.loading import (
    apply_overrides,
    describe_error,
    load_scenario,
    merge,
    parse_set_options,
    scenario_from_dict,
)
from sim.scenario.reactions import MATCHABLE_LEVERS, REACTION_POLICIES, Reaction
from sim.scenario.schema import FirmConfig, Network, Offer, Scenario, ScenarioError, Segment

__all__ = [
    "Scenario",
    "ScenarioError",
    "FirmConfig",
    "Offer",
    "Segment",
    "Reaction",
    "REACTION_POLICIES",
    "MATCHABLE_LEVERS",
    "Network",
    "load_scenario",
    "scenario_from_dict",
    "apply_overrides",
    "parse_set_options",
    "merge",
    "describe_error",
]
