"""Firm: an actor of the customer and competitor markets (D1) — the focal firm and its rivals.

A firm runs its strategy (the levers of ``scenario_markets.Levers``), pays for it, and books its accounts
from the per-firm totals the customer kernel returns. It never loops over customers. Its offer as
customers experience it is the scenario's base offer moved by its partners in the other markets:
supplier input quality (M9), employee satisfaction (M8), distributor convenience (M10), image
(M12), alliances (M11), rebates and price wars.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import mesa
import numpy as np

from sim.customers import registry as L
from sim.market.columns import BOOK_MEANS, BOOK_SUMS, BOOK_WOM, COST_COLUMNS, FIRM_COLUMNS, SPEND_COLUMNS
from sim.scenario import FirmConfig, Offer
from sim.scenario.credit import CreditTerms
from sim.scenario.markets import RELATIONSHIP_LEVELS, LeverEffects

if TYPE_CHECKING:
    from sim.customers.population import Totals
    from sim.market.alliance import Alliance
    from sim.market.distributor import Distributor
    from sim.market.employees import EmployeePool
    from sim.market.supplier import Supplier

__all__ = ["Firm"]

NO_TERMS = CreditTerms()  # no grade's term limited (F9)


class Reaction(Protocol):
    """A reaction policy of ``sim.market.rivals`` (which imports this module, not the other way round)."""

    def react(self, firm: Firm, firms: list[Firm], now: int) -> None: ...


def _saturating(x: float, unit: float) -> float:
    return x / (x + unit) if x > 0.0 else 0.0


class Firm(mesa.Agent):
    """A firm in the market; ``index`` is its column in the customer arrays."""

    supplier: Supplier
    distributor: Distributor
    employees: EmployeePool

    def __init__(self, model: mesa.Model, config: FirmConfig, index: int) -> None:
        super().__init__(model)
        self.config = config
        self.name = config.name
        self.index = index
        self.offer = config.offer.model_copy()  # the base offer of the scenario
        self.current = self.offer  # the offer as customers experience it this step
        self.alliances: list[Alliance] = []
        for col in FIRM_COLUMNS:
            setattr(self, col, 0.0)
        self.customers_at_start = 0.0
        self.image = self.offer.image
        self.cash = model.config.stakeholders.initial_cash
        self.price_cut = 0.0
        self.price_cut_for = 0
        # how it reacts to rivals (D1, M6; sim.market.rivals) and the lever settings its reaction chose:
        # budgets ("acquisition", "retention") replace the scenario's; relationship levers only raise them
        self.reaction: Reaction | None = None  # set by the model (sim.market.rivals.policy_for)
        self.adjust: dict[str, float] = {}
        self.fin_rebate = 0.0
        self.fin_per_customer = 0.0
        self.level = 0  # relationship level (D4), set by plan()

    # ------------------------------------------------------------------ decisions
    def price_war(self, cut: float, duration: int) -> None:
        """Cut the price by ``cut`` for ``duration`` steps (a price war; matched by rivals that match)."""
        if cut > self.price_cut or self.price_cut_for == 0:
            self.price_cut = cut
        self.price_cut_for = max(self.price_cut_for, duration)

    def plan(self, now: int, effects: LeverEffects) -> None:
        """Set this step's spending and the offer customers experience. ``now`` = steps elapsed."""
        cfg, lv = self.config, self.config.levers
        n = max(self.customers, 1.0)
        self.customers_at_start = self.customers
        adj, up = self.adjust, self._raised
        self.acquisition_spend = adj.get("acquisition", cfg.budget.acquisition)
        self.retention_spend = adj.get("retention", cfg.budget.retention)
        # level-1 financial bond (D3), possibly copied from rivals (M6)
        fin_on = lv.financial.active(now)
        rebate = up("rebate", lv.financial.rebate if fin_on else 0.0)
        fin_pc = up("financial_per_customer", lv.financial.spend / n if fin_on else 0.0)
        spend_fin = fin_pc * n
        if adj.get("financial", 0.0) > spend_fin:  # a matched programme: the rival's spend per step (M6)
            spend_fin = adj["financial"]
            fin_pc = spend_fin / n
        self.fin_rebate, self.fin_per_customer = rebate, fin_pc
        self.rebate = rebate
        self.spend_financial = spend_fin
        self.spend_social = up("social", lv.social.spend if lv.social.active(now) else 0.0)
        self.spend_structural = up("structural", lv.structural.spend if lv.structural.active(now) else 0.0)
        self.level = int(up("relationship_level", RELATIONSHIP_LEVELS.index(lv.relationship_level)))
        self.spend_relationship_level = effects.level_cost[self.level] * self.customers_at_start
        self.spend_one_to_one = up("one_to_one", lv.one_to_one.spend if lv.one_to_one.active(now) else 0.0)
        self.spend_database = lv.database.spend if lv.database.active(now) else 0.0
        self.spend_tiering = lv.tiered_service.cost
        self.spend_internal = self.employees.spend
        self.spend_supplier = self.supplier.spend
        self.spend_distributor = self.distributor.spend
        self.spend_pr = lv.public_relations.spend if lv.public_relations.active(now) else 0.0
        self.spend_poaching = up("poaching", lv.poaching.spend if lv.poaching.active(now) else 0.0)
        self.spend_alliance = sum(a.spend_per_member() for a in self.alliances)
        self.relationship_spend = 0.0
        for col in SPEND_COLUMNS:  # fixed order: the money identity is checked exactly
            self.relationship_spend += getattr(self, col)
        self.financing_cost = self.model.financial.financing_cost(self)
        # the experienced offer (D6)
        if self.price_cut_for > 0:
            self.price_cut_for -= 1
        else:
            self.price_cut = 0.0
        o, sup, dis, emp = self.offer, self.supplier, self.distributor, self.employees
        rd = sum(a.product_delta() for a in self.alliances)
        clip = lambda v: float(min(1.0, max(0.0, v)))  # noqa: E731
        self.current = Offer.model_construct(
            product=clip((o.product + sup.product_delta() + rd) * sup.product_factor()),
            # the firm's customers' bonds are part of what it offers: customised service (M7: structural
            # bonds pull customers from rivals) and personal contact (D3 level 2)
            service=clip(
                o.service + emp.service_delta() + dis.service_delta() + effects.structural_value * self.bond_structural
            ),
            personnel=clip(o.personnel + emp.service_delta() + effects.social_value * self.bond_social),
            image=clip(self.image),
            price=o.price * (1.0 - rebate) * (1.0 - self.price_cut),
            time=clip(o.time * dis.convenience_factor()),
            energy=clip(o.energy * dis.convenience_factor()),
            psychic=o.psychic,
        )
        # cost of goods per unit sold (currency per unit), whatever the price: a supplier squeeze or partnership
        # (M9) and a purchasing alliance (M11) move it; rebates and price cuts do not
        unit = cfg.cost_per_unit * sup.unit_cost_factor(sup.config.rung)
        for a in self.alliances:
            unit *= a.unit_cost_factor()
        self.unit_cost_effective = float(max(0.0, unit))

    def contact_cost_factor(self) -> float:
        out = 1.0
        for a in self.alliances:
            out *= a.contact_cost_factor()
        return out

    def kernel_row(
        self, row: np.ndarray, effects: LeverEffects, care_effect: float, care_unit: float, neg_rate: float, lockin: float
    ) -> None:
        """Fill this firm's row of the kernel's per-firm parameters (``registry.FIRM_INPUTS``)."""
        cfg, lv, e = self.config, self.config.levers, effects
        n = max(self.customers_at_start, 1.0)
        care = self.retention_spend / n
        lvl = self.level
        row[L.FP_CARE] = (
            care_effect * care / (care + care_unit)
            + e.level_care[lvl]  # M14, D4
            + e.one_to_one_value * _saturating(self.spend_one_to_one / n, e.one_to_one_unit)
        )
        row[L.FP_RECOVERY] = min(1.0, cfg.recovery_rate + e.level_recovery[lvl])
        # margin rate at this step's price, (price - unit cost) / price: negative when a price war sells below cost
        row[L.FP_MARGIN] = 1.0 - self.unit_cost_effective / self.current.price
        row[L.FP_PRICE] = self.current.price
        row[L.FP_SERVE] = cfg.cost_to_serve
        row[L.FP_INV_FIN] = e.financial_rate * _saturating(self.fin_per_customer, e.financial_unit)
        row[L.FP_INV_SOC] = e.social_rate * _saturating(self.spend_social / n, e.social_unit) + e.level_social[lvl]
        row[L.FP_INV_STR] = (
            e.structural_rate * _saturating(self.spend_structural / n, e.structural_unit) + e.level_structural[lvl]
        )
        row[L.FP_NEG_RAND] = min(1.0, neg_rate * self.model.consumer_group.amplification(self))
        row[L.FP_LOCKIN] = lockin
        row[L.FP_TIER] = lv.tiered_service.targeting
        row[L.FP_PRUNE] = 1.0 if lv.tiered_service.end_unprofitable else 0.0
        row[L.FP_STAFF] = self.employees.customer_hazard()
        row[L.FP_SOW] = e.one_to_one_wallet * _saturating(self.spend_one_to_one / n, e.one_to_one_unit)
        row[L.FP_RISK] = e.database_risk_care * _saturating(self.spend_database, e.database_unit)
        credit = self.model.config.credit  # F9: credit terms by grade and what they cost in purchases
        terms = lv.credit_terms if credit.enabled else NO_TERMS  # credit off: terms not cut, buying as before
        row[L.FP_TERM_A : L.FP_TERM_D + 1] = terms.days()
        row[L.FP_BUY_A : L.FP_BUY_D + 1] = terms.purchase_factors(credit.purchase_penalty)
        self.lockin = lockin

    def _raised(self, lever: str, own: float) -> float:
        """A relationship lever's setting: the scenario's, raised (never lowered) by the firm's reaction."""
        adj = self.adjust
        return max(own, adj[lever]) if lever in adj else own

    def observe_rivals(self, firms: list[Firm], now: int) -> None:
        """React to the rivals after this step's accounts (D1, M6): the policy of ``config.reaction``
        (or the older ``levers.copy_financial``) sets ``adjust`` or starts a price cut for the next steps."""
        if self.reaction is not None:
            self.reaction.react(self, firms, now)

    # ------------------------------------------------------------------ accounts
    def book(self, totals: Totals, wom: Totals, population_size: int, non_customer_share: float = 0.0) -> None:
        """Record this step's totals (by the registry's names: ``registry.TOTALS``) and close the accounts.

        profit = revenue - (cogs + cost to serve + acquisition + retention + recovery + relationship
        spend + financing + bad debt), exactly; financing is the interest on negative cash plus, with credit
        on (F9), the financing of receivables (``receivables_financing``). Every buyer of the firm pays this
        step's price per unit of basket, so the units sold are the revenue / price, and the cost of goods is units
        sold x unit cost.
        """
        cfg = self.config
        t = totals.array[self.index].tolist()
        w = wom.array[self.index].tolist()
        for k, col in BOOK_SUMS:
            setattr(self, col, t[k])
        n = max(self.customers, 1.0)
        for k, col in BOOK_MEANS:
            setattr(self, col, t[k] / n)
        for k, col in BOOK_WOM:
            setattr(self, col, w[k])
        self.churned = self.churn_dissatisfaction + self.churn_competition + self.churn_staff + self.churn_own
        lost = self.churned + self.ended_by_firm
        self.retention_rate = 1.0 - lost / self.customers_at_start if self.customers_at_start else 1.0
        self.market_share = self.customers / population_size
        # F4's potential deals: praised people who buy from nobody yet (random contacts pro rata)
        self.positive_deals = w[L.T_POS_DEALS] + w[L.T_POS_RANDOM] * non_customer_share
        # money
        self.units_sold = self.revenue / self.current.price
        self.cogs = self.units_sold * self.unit_cost_effective
        self.serve_cost = t[L.T_SERVED] * cfg.cost_to_serve
        self.recovery_cost = self.recoveries * cfg.recovery_cost
        # F9: receivables are financed at the financial institution's rate (0.0 with credit off: same bits)
        self.receivables_financing = self.model.financial.receivables_interest(self, t[L.T_RECEIVABLE_DAYS])
        self.financing_cost += self.receivables_financing
        cost = 0.0
        for col in COST_COLUMNS:
            cost += getattr(self, col)
        self.cost = cost
        self.profit = self.revenue - cost
        self.cash += self.profit
        self._record_markets()

    def _record_markets(self) -> None:
        c = self.current
        self.price, self.product_quality, self.service_quality = c.price, c.product, c.service
        self.gross_margin_per_unit = c.price - self.unit_cost_effective  # before the cost to serve
        self.personnel_quality = c.personnel
        self.supplier_rung = self.supplier.rung
        self.input_quality = self.supplier.input_quality
        self.supply_disrupted = 1.0 if self.supplier.disruption_damage > 0 else 0.0
        self.distributor_partnership = self.distributor.partnership
        self.distributor_reach = self.distributor.reach_factor()
        self.exclusive = 1.0 if self.distributor.exclusive else 0.0
        self.employee_satisfaction = self.employees.satisfaction
        self.staff_turnover = self.employees.turnover
        self.in_alliance = float(sum(1 for a in self.alliances if a.active))
