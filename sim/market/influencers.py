"""Influencers: the stakeholder / influence market (D1, M12) — media, consumer groups, financial
institutions and government, one Mesa agent each, acting on all firms.

- ``Media`` moves each firm's image (image value, D6) toward its base image plus the effect of its
  public-relations spend, minus media amplification of the complaints it draws beyond the market's
  average (M5, M12). A media crisis knocks image down at once.
- ``ConsumerGroup`` mobilises against a firm whose complaint rate passes a threshold and spreads its
  customers' complaints further (more well-mixed negative word of mouth).
- ``FinancialInstitution`` charges interest on a firm's negative cash balance, cheaper for a firm
  with a good image (banks read reputation), and, with credit on (F9), finances the firms' receivables
  at the same rate, booking the interest as its income.
- ``Government`` grants monopolies (M16, D9) and changes regulations, which breaks structural bonds (M7).
  Under a licence no rival may serve the monopolist's customers (they see no rival to switch to:
  ``MarketInputs.build``), and leaving the category altogether is costly: the lock-in damps, without
  zeroing, their dissatisfaction hazard (``stakeholders.monopoly_lockin``). Their loyalty is then the
  "false" monopoly loyalty of D9: kept whatever their satisfaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.scenario.markets import LeverEffects, Stakeholders

if TYPE_CHECKING:
    from sim.market.firm import Firm

__all__ = ["Media", "ConsumerGroup", "FinancialInstitution", "Government"]


class Media(mesa.Agent):
    """Sets every firm's image from PR spend and amplified complaints."""

    def __init__(self, model: mesa.Model, config: Stakeholders, effects: LeverEffects) -> None:
        super().__init__(model)
        self.config = config
        self.effects = effects

    def react(self, firms: list[Firm]) -> None:
        """After the step's outcomes are booked: move image for the next step."""
        heard = np.array([f.negative_contacts / max(f.customers, 1.0) for f in firms])
        excess = heard - heard.mean()  # media report on the firms drawing more complaints than the rest
        e = self.effects
        for f, x in zip(firms, excess, strict=True):
            pr = f.spend_pr / (f.spend_pr + e.pr_unit)
            target = f.offer.image + e.pr_image * pr - self.config.media_amplification * x
            f.image = float(np.clip(f.image + self.config.image_speed * (target - f.image), 0.0, 1.0))

    def crisis(self, firm: Firm, severity: float) -> None:
        firm.image = max(0.0, firm.image - severity)


class ConsumerGroup(mesa.Agent):
    """Mobilises against firms with many complaints: their bad word of mouth travels further."""

    def __init__(self, model: mesa.Model, config: Stakeholders) -> None:
        super().__init__(model)
        self.config = config

    def react(self, firms: list[Firm]) -> None:
        for f in firms:
            rate = f.complaints / max(f.customers, 1.0)
            f.consumer_campaign = 1.0 if rate > self.config.consumer_group_threshold else 0.0

    def amplification(self, firm: Firm) -> float:
        return 1.0 + self.config.consumer_group_amplification * firm.consumer_campaign


class FinancialInstitution(mesa.Agent):
    """Lends to firms with negative cash; the rate depends on the firm's image."""

    def __init__(self, model: mesa.Model, config: Stakeholders, steps_per_year: float) -> None:
        super().__init__(model)
        self.config = config
        self.step_rate = (1.0 + config.interest_rate) ** (1.0 / steps_per_year) - 1.0
        self.interest_income = 0.0  # interest booked on the firms' receivables over the run (F9), currency

    def financing_cost(self, firm: Firm) -> float:
        """Interest due this step on last step's closing cash."""
        if firm.cash >= 0.0:
            return 0.0
        return -firm.cash * self.step_rate * self.premium(firm)

    def premium(self, firm: Firm) -> float:
        """The factor on the rate a firm pays: 1 + image_premium x (0.5 - image), at least 0 (banks read image)."""
        return max(0.0, 1.0 + self.config.image_premium * (0.5 - firm.image))

    def receivables_interest(self, firm: Firm, currency_days: float) -> float:
        """F9: interest this step on the receivables of this step's sales, ``currency_days`` = invoiced revenue
        x the days it stays unpaid: currency-days / 365 x the annual rate x the firm's premium. Booked as the
        institution's income (``interest_income``); 0.0 without credit sales."""
        if currency_days <= 0.0:
            return 0.0
        interest = currency_days / 365.0 * self.config.interest_rate * self.premium(firm)
        self.interest_income += interest
        return interest


class Government(mesa.Agent):
    """Licenses monopolies (M16) and changes regulations (M7)."""

    def __init__(self, model: mesa.Model, config: Stakeholders) -> None:
        super().__init__(model)
        self.licensed = set(config.monopoly)
        self.switching_cost = config.monopoly_lockin
        self.temporary: dict[str, int] = {}  # firm -> steps left of an event-granted monopoly

    def grant(self, firm_name: str, duration: int) -> None:
        self.temporary[firm_name] = duration

    def step(self) -> None:
        self.temporary = {k: v - 1 for k, v in self.temporary.items() if v > 1}

    def lockin(self, firm_name: str) -> float:
        """The share by which a licensed monopoly damps its customers' hazard of leaving (M16); 0 without one."""
        return self.switching_cost if firm_name in self.licensed or firm_name in self.temporary else 0.0

    def regulation_change(self, bond_str: np.ndarray, severity: float) -> None:
        """A legal or technical change makes structural bonds obsolete (M7)."""
        bond_str *= np.float32(1.0 - severity)
