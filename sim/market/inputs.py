"""The inputs of one step of the customer pass, built by the market side from the firms' offers and
spending, the other markets' actors and the word of mouth just delivered.

``MarketInputs.build`` turns them into a :class:`~sim.customers.population.StepInputs`: the scalar
parameters (``registry.PARAMS``), one row per firm (``Firm.kernel_row``), one per segment and one per
segment and firm (columns: ``sim.customers.registry``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.customers import registry as L
from sim.customers.population import StepInputs, Totals
from sim.market.value import best_rival, delivered_value, offer_matrix, weight_matrices

if TYPE_CHECKING:
    from sim.market.firm import Firm
    from sim.scenario import Scenario

__all__ = ["MarketInputs"]


class MarketInputs:
    """Builds the customer pass's inputs of every step for one scenario (what does not change is
    computed once: the scalar parameters, the value weights, the segments' fixed columns)."""

    def __init__(self, cfg: Scenario) -> None:
        self.config = cfg
        self.p = L.kernel_params(cfg)
        segments = cfg.population.segments
        self.wv, self.wc = weight_matrices(segments)
        self.seg = np.zeros((len(segments), len(L.SEG)))
        self.seg[:, L.SEG_BASKET] = [s.basket for s in segments]
        self.seg[:, L.SEG_RATE] = [s.purchase_rate for s in segments]
        self.seg[:, L.SEG_NETWORK] = [s.network_value for s in segments]
        self._offers_key: bytes | None = None
        self._value_terms_cache: tuple[np.ndarray, ...] = ()

    def delivered_value(self, firms: list[Firm]) -> np.ndarray:
        """``[S, F]`` delivered value of the firms' current offers (D6)."""
        return delivered_value(self.wv, self.wc, offer_matrix([f.current for f in firms]))

    def _value_terms(self, firms: list[Firm]) -> tuple[np.ndarray, ...]:
        """Delivered value (D6), its segment mean, the attractiveness to prospects and the best rival
        (M7). Offers rarely change from one step to the next: the same offers give the same arrays,
        so they are computed again only when the offer matrix changed (read-only, never written)."""
        offers = offer_matrix([f.current for f in firms])
        key = offers.tobytes()
        if key != self._offers_key:
            value = delivered_value(self.wv, self.wc, offers)
            ref = value.mean(axis=1, keepdims=True)
            # attractiveness to prospects: 1 at the market average, rising with delivered value (D6)
            attract = 2.0 / (1.0 + np.exp(-self.config.dynamics.acquisition.value_sensitivity * (value - ref)))
            best, gap = best_rival(value)
            for a in (value, ref, attract, best, gap):
                a.flags.writeable = False
            self._offers_key, self._value_terms_cache = key, (value, ref, attract, best, gap)
        return self._value_terms_cache

    def build(self, model: Any, key: np.uint64, wom: Totals) -> StepInputs:
        """The inputs of this step's customer pass. ``model`` gives the firms, the government, the
        population size and the people outside the market (prospects, lapsed customers)."""
        d = self.config.dynamics
        e = d.levers
        firms: list[Firm] = model.firms
        n = float(model.population.n)
        nf = len(firms)
        value, ref, attract, best, gap = self._value_terms(firms)
        lockin = np.array([model.government.lockin(f.name) for f in firms])
        customers = np.array([f.customers for f in firms])
        non_customers = max(model.prospects + model.lapsed_customers, 1.0)
        # campaign contacts: budget / cost per contact, cheaper in a channel alliance (M11), better aimed
        # with database marketing (M15), further with a distributor partnership (M10)
        contacts = np.array(
            [
                f.acquisition_spend
                / (d.acquisition.cost_per_contact * f.contact_cost_factor())
                * (1.0 + e.database_efficiency * (f.spend_database / (f.spend_database + e.database_unit)))
                * f.distributor.reach_factor()
                for f in firms
            ]
        )
        reach = np.minimum(1.0, contacts / non_customers)
        choice = attract / attract.sum(axis=1, keepdims=True)
        pos_rate = wom["POS_RANDOM"] / n  # well-mixed praise per person (M5)
        neg_rate = np.minimum(1.0, wom["NEG_RANDOM"] / n)  # well-mixed complaints per person
        word = d.wom.imitation * customers / n + d.wom.referral_conversion * pos_rate * attract
        acq = d.acquisition.spontaneous * choice + reach * d.acquisition.conversion * attract + word
        dt = d.acquisition.hazard_step
        if dt is not None:  # hazards as rates: P(adopt) = 1 - exp(-H dt), split in proportion (Bass docking)
            total = acq.sum(axis=1, keepdims=True)
            prob = 1.0 - np.exp(-total * dt)
            share = np.divide(prob, total, out=np.zeros_like(total), where=total > 0)
            acq, word = acq * share, word * share
        block = 1.0 - d.wom.negative_block * neg_rate
        # M10: an exclusive distributor keeps rivals out of its territory
        open_share = np.ones(nf)
        for f in firms:
            share = f.distributor.blocked_share()
            if share > 0.0:
                open_share[np.arange(nf) != f.index] *= 1.0 - share
        sf = np.zeros((value.shape[0], nf, len(L.SF)))
        sf[:, :, L.SF_VALUE] = value
        sf[:, :, L.SF_ACQ] = acq * block * open_share
        sf[:, :, L.SF_ACQ_REF] = word * block * open_share
        sf[:, :, L.SF_ATTRACT] = attract
        sf[:, :, L.SF_GAP] = gap
        sf[:, :, L.SF_BEST] = best
        locked = lockin > 0.0  # M16: no rival may serve a licensed monopolist's customers (no switching)
        sf[:, locked, L.SF_GAP] = 0.0
        sf[:, locked, L.SF_BEST] = -1.0
        sf[:, :, L.SF_PULL] = d.wom.referral_pull * (pos_rate.sum() - pos_rate)
        # poaching: a firm's acquisition offers aimed at its rivals' customers (M6)
        for g in firms:
            if g.spend_poaching <= 0.0:
                continue
            rivals = customers.sum() - customers[g.index]
            h = min(0.5, g.spend_poaching / d.acquisition.cost_per_contact / max(rivals, 1.0) * e.poaching_conversion)
            for f in range(nf):
                if f != g.index and h > sf[0, f, L.SF_POACH]:
                    sf[:, f, L.SF_POACH] = h
                    sf[:, f, L.SF_POACHER] = g.index
        fp = np.zeros((nf, len(L.FP)))
        b = d.bonds
        for firm in firms:
            firm.kernel_row(fp[firm.index], e, b.care_effect, b.care_unit, neg_rate[firm.index], lockin[firm.index])
        fp[:, L.FP_CLASS_NONE : L.FP_CLASS_LEAD + 1] = 1.0  # D8 class targeting off; sim.market.portfolio sets it
        seg = self.seg.copy()
        seg[:, L.SEG_REF] = ref[:, 0]
        return StepInputs(key, self.p, fp, sf, seg, wom, model.steps)
