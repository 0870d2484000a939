"""The firms' customer portfolios during a run (D8): the pyramid every ``portfolio.update_every`` steps, the
start class of every customer (for the migration matrix), and class-targeted bond spend.

:class:`PortfolioBook` is called by the model once per step, after the step's inputs are built and before the
customer pass. Every ``update_every`` steps (and at the first step) it classes every firm's customers
(``sim.customers.portfolio``: forward value, pyramid) and records the count and forward value per class and
firm; a firm with ``portfolio.targets`` then gets its class factors on bond investment and its customers'
classes in the population's ``pclass`` column, which the kernel reads (one gather: ``class_weight``). Between
updates a customer who changed firm loses its class (it is the old firm's), so it gets the no-class factor, 1.
Without targets nothing the kernel reads changes: results are bit-identical to a run without portfolios.

A population whose start state carries ``residual_value`` (``sim calibrate``) is classed by it: a row that has
been with the same firm since the first step has the calibrated model's expected residual value (times the
firm's margin rate) as its forward value; everyone else, including customers who join or come back later,
the engine's CLV (issue 19). The book checks every step which start customers are still with their firm.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.customers import registry as L
from sim.customers.portfolio import (
    N_CLASSES,
    NO_CLASS,
    Outlook,
    class_multipliers,
    outlook,
    pyramid_codes,
    with_residual_value,
)
from sim.scenario import Scenario
from sim.scenario.portfolio import PYRAMID_CLASSES

__all__ = ["PortfolioBook", "pyramid_columns"]


def pyramid_columns() -> list[str]:
    """The timeseries columns the book fills: customers and forward value per pyramid class."""
    return [f"pyramid_{c}_{what}" for c in PYRAMID_CLASSES for what in ("customers", "value")]


class PortfolioBook:
    """The portfolio of every firm over a run (see module docstring)."""

    def __init__(self, cfg: Scenario) -> None:
        pf = cfg.portfolio
        self.config = pf
        self.n_firms = len(cfg.firms)
        self.weights = np.full((self.n_firms, N_CLASSES), np.nan)
        index = {name: i for i, name in enumerate(cfg.firm_names)}
        for t in pf.targets:
            self.weights[index[t.name]] = t.bonds.as_tuple()
        self.targeting = bool(pf.targets)
        self.factors = np.ones((self.n_firms, 1 + N_CLASSES))
        self.start: np.ndarray | None = None  # every row's class at the first step (before it)
        self.start_firm: np.ndarray | None = None  # and its firm then
        self.history: list[tuple[int, np.ndarray, np.ndarray]] = []  # (step, counts [F, 4], value [F, 4])
        self._firm_at: np.ndarray | None = None  # each row's firm when it was classed (targeting only)
        self.last_inputs: Any = None
        self._firm0: np.ndarray | None = None  # start-state rows with a residual value: their firm at the first step
        self._kept: np.ndarray | None = None  # and whether they have been with it at every step since

    def classify(self, pop: Any, inputs: Any, growth: bool = True) -> tuple[np.ndarray, Outlook]:
        """Every row's pyramid class (``NO_CLASS`` for non-customers) and outlook, on the step's inputs
        (``growth`` False: without the growth potential, which only the end-of-run classes use)."""
        pf = self.config
        o = outlook(pop, inputs.p, inputs.fp, inputs.sf, inputs.seg, growth)
        if self._kept is not None:
            r = self._kept.shape[0]
            kept = self._kept & (pop.firm[:r] == self._firm0)
            o = with_residual_value(o, pop.firm, inputs.fp, pop.residual_value, kept)
        return pyramid_codes(pop.firm, o.value, self.n_firms, (pf.platinum, pf.gold, pf.iron), pf.lead_below), o

    def before_step(self, pop: Any, inputs: Any, now: int) -> None:
        """Called with the step's inputs (``now``: steps done before this one); see module docstring."""
        self.last_inputs = inputs
        self._follow_start(pop)
        if now % self.config.update_every == 0:
            codes, o = self.classify(pop, inputs, growth=False)
            if self.start is None:
                self.start, self.start_firm = codes.copy(), pop.firm.copy()
            self.history.append((now, *self._per_class(pop.firm, codes, o.value)))
            if self.targeting:
                pop.pclass[:] = codes
                self._firm_at = pop.firm.copy()
                self.factors = class_multipliers(codes, pop.firm, self.weights)
        elif self.targeting and self._firm_at is not None:
            pop.pclass[pop.firm != self._firm_at] = NO_CLASS  # switched since it was classed: not classed here
        if self.targeting:
            inputs.fp[:, L.FP_CLASS_NONE : L.FP_CLASS_LEAD + 1] = self.factors

    def _follow_start(self, pop: Any) -> None:
        """Keep track of which start-state rows with a residual value are still with their start firm."""
        rv = getattr(pop, "residual_value", None)
        if rv is None:
            return
        firm = pop.firm[: rv.shape[0]]
        if self._kept is None:
            self._firm0, self._kept = firm.copy(), firm >= 0
        else:
            self._kept &= firm == self._firm0

    def _per_class(self, firm: np.ndarray, codes: np.ndarray, value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        classed = codes != NO_CLASS
        at = firm[classed].astype(np.int64) * N_CLASSES + codes[classed]
        size = self.n_firms * N_CLASSES
        counts = np.bincount(at, minlength=size).astype(np.float64).reshape(self.n_firms, N_CLASSES)
        total = np.bincount(at, weights=value[classed], minlength=size).reshape(self.n_firms, N_CLASSES)
        return counts, total

    def timeseries(self, firm_names: list[str]) -> list[dict[str, Any]]:
        """One row per recorded step and firm: ``step``, ``firm`` and :func:`pyramid_columns`."""
        rows = []
        for step, counts, value in self.history:
            for g, name in enumerate(firm_names):
                row: dict[str, Any] = {"step": step, "firm": name}
                for k, c in enumerate(PYRAMID_CLASSES):
                    row[f"pyramid_{c}_customers"] = float(counts[g, k])
                    row[f"pyramid_{c}_value"] = float(value[g, k])
                rows.append(row)
        return rows
