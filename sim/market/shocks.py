"""Events: scheduled (``step``) or random (``rate`` per step) shocks to the market.

supply_disruption (supplier market, D5), regulation (government breaks structural bonds, M7),
media_crisis (image falls, M12), staff_departure (key staff leave and take customers, D12),
price_war (a competitor cuts its price), monopoly (government grants a monopoly, M16).
Random events draw one number per event per step whatever happens, so two strategies run with the
same seed see the same shocks (common random numbers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

from sim.scenario.markets import EventConfig

if TYPE_CHECKING:
    from sim.customers.population import CustomerPopulation
    from sim.market.firm import Firm
    from sim.market.influencers import Government, Media

__all__ = ["EventSchedule", "ShockTarget"]


class ShockTarget(Protocol):
    """What a shock acts on: the market's firms, customers, government and media (the model, seen
    from below: this floor never imports the model)."""

    firms: list[Firm]
    population: CustomerPopulation
    government: Government
    media: Media


class EventSchedule:
    def __init__(self, events: list[EventConfig], rng: np.random.Generator) -> None:
        self.events = events
        self.rng = rng
        self.log: list[tuple[int, str, str]] = []  # (step, kind, firm or "all")

    def fire(self, model: ShockTarget, now: int) -> None:
        """Apply the events that happen in the step after ``now`` steps have elapsed."""
        draws = self.rng.random(len(self.events))
        for event, u in zip(self.events, draws, strict=True):
            happens = event.step == now if event.step is not None else u < event.rate
            if happens:
                self._apply(model, event, now)

    def _apply(self, model: ShockTarget, e: EventConfig, now: int) -> None:
        firms = [f for f in model.firms if e.firm is None or f.name == e.firm]
        self.log.append((now, e.kind, e.firm or "all"))
        if e.kind == "regulation":
            bonds = model.population.bond_str
            if e.firm is None:
                model.government.regulation_change(bonds, e.severity)
            else:
                mask = model.population.firm == firms[0].index
                sub = bonds[mask]
                model.government.regulation_change(sub, e.severity)
                bonds[mask] = sub
            return
        for f in firms:
            if e.kind == "supply_disruption":
                f.supplier.disrupt(e.severity, e.duration)
            elif e.kind == "media_crisis":
                model.media.crisis(f, e.severity)
            elif e.kind == "staff_departure":
                f.employees.staff_departure(e.severity, e.duration)
            elif e.kind == "price_war":
                f.price_war(e.severity, e.duration)
                for rival in model.firms:
                    if rival is not f and rival.config.levers.match_price_war:
                        rival.price_war(e.severity, e.duration)
            elif e.kind == "monopoly":
                model.government.grant(f.name, e.duration)
