"""Distributor: the distributor market (D1, M10) — one channel partner per firm.

Partnership depth (0..1) follows the firm's investment. It multiplies the reach of acquisition
campaigns, cuts the customer's time and energy cost (convenience) and adds point-of-sale service.
An exclusive contract blocks rivals' acquisition in the distributor's territory ("owning the channel
means owning the market", M10) for a fee.
"""

from __future__ import annotations

import mesa

from sim.scenario.markets import DistributorConfig, DistributorLever

__all__ = ["Distributor"]


class Distributor(mesa.Agent):
    def __init__(self, model: mesa.Model, config: DistributorConfig, firm_name: str) -> None:
        super().__init__(model)
        self.config = config
        self.firm_name = firm_name
        self.partnership = config.partnership
        self.partnership0 = config.partnership
        self.exclusive = False
        self.spend = 0.0

    def step(self, lever: DistributorLever, now: int) -> None:
        c = self.config
        on = lever.active(now)
        invest = lever.spend if on else 0.0
        self.exclusive = on and lever.exclusive
        self.spend = invest + (c.exclusivity_fee if self.exclusive else 0.0)
        sustained = max(self.partnership0, invest / (invest + c.spend_unit))
        self.partnership += c.speed * (sustained - self.partnership)

    def reach_factor(self) -> float:
        return 1.0 + self.config.reach_gain * self.partnership

    def convenience_factor(self) -> float:
        """Multiplier on the customer's time and energy cost (D6), relative to the start."""
        return 1.0 - self.config.convenience * (self.partnership - self.partnership0)

    def service_delta(self) -> float:
        return self.config.pos_service * (self.partnership - self.partnership0)

    def blocked_share(self) -> float:
        """Share of prospects rivals cannot reach (M10)."""
        return self.config.territory if self.exclusive else 0.0
