"""A transaction log out of the engine: who bought from a firm at which step, and for how much.

:func:`purchase_log` steps a model and records, each step, the customers of one firm whose purchase this step
set ``last_purchase`` to the step's number, with what they spent (the change in ``cum_revenue``): the kind
of log a firm keeps and that BG/NBD, Pareto/NBD and Gamma-Gamma are fitted on (Fader, Hardie & Lee 2005).
Vectorised per step; the cost is a few array passes per step over the whole population.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["purchase_log"]


def purchase_log(model: Any, firm: str = "focal", steps: int | None = None) -> pd.DataFrame:
    """Run ``model`` (a :class:`~sim.model.RelationshipMarket`) ``steps`` more steps (default: to its horizon)
    and return one row per purchase from ``firm``: ``customer`` (the person's row in the population; a start
    state's own ids are ``model.population.customer_ids[row]``), ``step`` (the step's number, 1 = the first,
    as ``last_purchase``) and ``amount`` (currency, what the purchase added to the person's revenue). A
    customer who buys and then drops out (BG/NBD) in the same step is in the log; a customer buys at most once
    per step."""
    names = [f.name for f in model.firms]
    if firm not in names:
        raise ValueError(f"firm {firm!r} is not in the scenario (firms: {', '.join(names)})")
    index = names.index(firm)
    n_steps = model.horizon - model.steps if steps is None else steps
    pop = model.population
    customers: list[np.ndarray] = []
    step_of: list[np.ndarray] = []
    amounts: list[np.ndarray] = []
    for _ in range(max(0, n_steps)):
        was = np.flatnonzero(pop.firm == index)  # who buys this step buys from the firm it starts the step with
        before = pop.cum_revenue[was].astype(np.float64)
        model.step()
        now = model.steps
        bought = pop.last_purchase[was] == now
        customers.append(was[bought])
        step_of.append(np.full(int(bought.sum()), now, dtype=np.int64))
        amounts.append(pop.cum_revenue[was[bought]].astype(np.float64) - before[bought])
    if not customers:
        return pd.DataFrame({"customer": np.empty(0, np.int64), "step": np.empty(0, np.int64), "amount": []})
    return pd.DataFrame(
        {
            "customer": np.concatenate(customers).astype(np.int64),
            "step": np.concatenate(step_of),
            "amount": np.concatenate(amounts),
        }
    )
