"""Supplier: the supplier market (D1) — one supplier per firm, on the B2B relationship ladder (D5).

Rungs: 0 pure transaction, 1 repeat transactions, 2 long-term transactional, 3 partnership,
4 strategic alliance. Relationship investment climbs the ladder; squeezing the supplier's price lowers
the firm's unit cost at once but drops the rung and, after a lag, the input quality (M9: "squeezing
suppliers to win consumers does not last"). Supply disruptions hurt less high on the ladder.
Input quality flows into the firm's product value in proportion to the bought-in share (M9, Boeing).
"""

from __future__ import annotations

from collections import deque

import mesa
import numpy as np

from sim.scenario.markets import SupplierConfig, SupplierLever

__all__ = ["Supplier"]


class Supplier(mesa.Agent):
    def __init__(self, model: mesa.Model, config: SupplierConfig, firm_name: str) -> None:
        super().__init__(model)
        self.config = config
        self.firm_name = firm_name
        self.rung = config.rung
        self.quality_target0 = self._quality_target(config.rung, 0.0)
        self.input_quality = self.quality_target0
        self._pipeline: deque[float] = deque([self.quality_target0] * config.lag, maxlen=max(config.lag, 1))
        self.disrupted_for = 0
        self.disruption_damage = 0.0
        self.spend = 0.0
        self.squeeze = 0.0

    def _quality_target(self, rung: float, squeeze: float) -> float:
        c = self.config
        return float(np.clip(0.5 + c.quality_per_rung * rung - c.squeeze_quality * squeeze, 0.0, 1.0))

    def step(self, lever: SupplierLever, now: int, u: float) -> None:
        """Advance one step under the firm's supplier lever; ``u`` is this step's uniform draw for
        a random disruption (always drawn, so strategies share their random numbers)."""
        c = self.config
        on = lever.active(now)
        self.spend = lever.spend if on else 0.0
        self.squeeze = lever.squeeze if on else 0.0
        climb = c.climb * self.spend / (self.spend + c.spend_unit)
        # without investment the relationship relaxes back to where it started
        drift = c.drift * (self.rung - c.rung)
        self.rung = float(np.clip(self.rung + climb - drift - c.squeeze_drop * self.squeeze, 0.0, 4.0))
        # M9: the quality the supplier delivers follows its goodwill with a lag
        target = self._quality_target(self.rung, self.squeeze)
        if c.lag > 0:
            delayed = self._pipeline[0]
            self._pipeline.append(target)
        else:
            delayed = target
        self.input_quality = delayed
        if self.disrupted_for > 0:
            self.disrupted_for -= 1
        elif u < c.disruption_rate * max(0.0, 1.0 - self.rung / 4.0):
            self.disrupt(c.disruption_severity, c.disruption_duration)
        if self.disrupted_for == 0:
            self.disruption_damage = 0.0

    def disrupt(self, severity: float, duration: int) -> None:
        """A supply disruption; partnership protects (D5)."""
        protect = min(1.0, self.config.protection_per_rung * self.rung)
        self.disruption_damage = severity * (1.0 - protect)
        self.disrupted_for = duration

    def product_delta(self) -> float:
        """Change in the firm's product quality from input quality (relative to the start)."""
        return self.config.input_share * (self.input_quality - self.quality_target0)

    def product_factor(self) -> float:
        return 1.0 - self.disruption_damage

    def unit_cost_factor(self, rung0: float) -> float:
        """Squeeze lowers cost at once; partnership efficiencies lower it per rung climbed."""
        c = self.config
        return (1.0 - c.input_share * self.squeeze) * (1.0 - c.cost_per_rung * (self.rung - rung0))
