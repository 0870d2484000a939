"""EmployeePool: the internal market (D1, M8) — the firm's customer-facing staff, as one agent.

Internal marketing (training, pay, involvement) raises employee satisfaction; satisfied employees
deliver better service and personnel quality ("to satisfy external customers, first satisfy
employees", M8) and stay longer. Departing staff take some of their customers with them (D12).
"""

from __future__ import annotations

import mesa

from sim.scenario.markets import EmployeeConfig, Spend

__all__ = ["EmployeePool"]


class EmployeePool(mesa.Agent):
    def __init__(self, model: mesa.Model, config: EmployeeConfig, firm_name: str) -> None:
        super().__init__(model)
        self.config = config
        self.firm_name = firm_name
        self.satisfaction = config.satisfaction
        self.turnover = config.turnover
        self.spend = 0.0
        self.extra_turnover = 0.0  # a key-staff departure event adds to this step's turnover
        self.extra_for = 0

    def step(self, lever: Spend, now: int) -> None:
        c = self.config
        self.spend = lever.spend if lever.active(now) else 0.0
        target = min(1.0, c.satisfaction + c.max_gain * self.spend / (self.spend + c.spend_unit))
        self.satisfaction += c.speed * (target - self.satisfaction)
        # turnover falls as satisfaction rises: baseline rate at the initial satisfaction
        base = c.turnover * (1.0 - self.satisfaction) / max(1.0 - c.satisfaction, 1e-9)
        extra = 0.0
        if self.extra_for > 0:
            extra = self.extra_turnover
            self.extra_for -= 1
        self.turnover = min(1.0, base + extra)

    def staff_departure(self, share: float, duration: int) -> None:
        """Key staff leave: ``share`` of the workforce over ``duration`` steps (D12)."""
        self.extra_turnover = share / duration
        self.extra_for = duration

    def service_delta(self) -> float:
        """Change in service and personnel quality from employee satisfaction (M8)."""
        return self.config.service_effect * (self.satisfaction - self.config.satisfaction)

    def customer_hazard(self) -> float:
        """Per-customer, per-step chance of following departing staff to a rival (D12)."""
        return min(1.0, self.turnover * self.config.follow)
