"""``sim optimize``: the engine as the response function of an Optuna study (issue 20).

``spec`` reads an optimisation file; ``study`` runs the ask/tell rounds (the evaluation is injectable);
``engine`` evaluates trials by running the model (common random numbers); ``final`` re-evaluates the best
candidates against the base scenario and the shipped strategies through ``sim.experiments``;
``outputs`` writes trials.parquet, best.json, report.md and the figures; ``cli`` is the command.
"""

from sim.output.glossary import RUN_METRICS

__all__ = ["OBJECTIVES"]

# the run metrics an objective may name (the return on spend is a ratio against a baseline: no value per trial)
OBJECTIVES = tuple(m for m in RUN_METRICS if m != "return_on_relationship_spend")
