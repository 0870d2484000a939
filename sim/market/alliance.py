"""Alliance: co-opetition in the competitor market (M11) — rivals share R&D, channel or purchasing
costs (IBM + Microsoft). Each member pays its share every step the alliance is on.

- ``rd``: the members' product quality rises toward ``quality_gain`` (and falls back when it ends);
- ``channel``: the members' cost per acquisition contact falls by ``saving``;
- ``purchasing``: the members' unit cost falls by a fifth of ``saving``.
"""

from __future__ import annotations

import mesa

from sim.scenario.markets import AllianceConfig

__all__ = ["Alliance"]


class Alliance(mesa.Agent):
    def __init__(self, model: mesa.Model, config: AllianceConfig) -> None:
        super().__init__(model)
        self.config = config
        self.name = config.name
        self.active = False
        self.rd_bonus = 0.0

    def step(self, now: int) -> None:
        c = self.config
        self.active = c.active(now)
        if c.kind == "rd":
            goal = c.quality_gain if self.active else 0.0
            self.rd_bonus += c.speed * (goal - self.rd_bonus)

    def spend_per_member(self) -> float:
        return self.config.spend if self.active else 0.0

    def product_delta(self) -> float:
        return self.rd_bonus if self.config.kind == "rd" else 0.0

    def contact_cost_factor(self) -> float:
        return 1.0 - self.config.saving if self.active and self.config.kind == "channel" else 1.0

    def unit_cost_factor(self) -> float:
        return 1.0 - 0.2 * self.config.saving if self.active and self.config.kind == "purchasing" else 1.0
