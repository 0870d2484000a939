"""Alternative (a) of the benchmark: the same customer dynamics written idiomatically in Mesa — one
``mesa.Agent`` per customer, advanced with ``model.agents.shuffle_do("step")``.

It reads the same per-firm / per-segment parameter arrays the numba kernel receives (so the work per
customer is the same: disconfirmation, trust, bonds, loyalty, three-cause churn, purchase, adoption),
and draws its random numbers from the model's generator, as a Mesa user would. Used only for timing.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.customers import registry as L
from sim.customers.population import Totals


class CustomerAgent(mesa.Agent):
    def __init__(self, model: MesaCustomers, i: int) -> None:
        super().__init__(model)
        pop = model.source
        self.firm = int(pop.firm[i])
        self.segment = int(pop.segment[i])
        self.expectation = float(pop.expectation[i])
        self.satisfaction = float(pop.satisfaction[i])
        self.trust = float(pop.trust[i])
        self.loyalty = float(pop.loyalty[i])
        self.bonds = [float(pop.bond_fin[i]), float(pop.bond_soc[i]), float(pop.bond_str[i])]
        self.wallet = float(pop.wallet[i])
        self.freq = float(pop.freq[i])
        self.own_churn = float(pop.own_churn[i])
        self.tenure = int(pop.tenure[i])
        self.revenue = 0.0

    def step(self) -> None:
        m = self.model
        p, fp, sf, seg = m.p, m.fp, m.sf, m.seg
        rnd = m.random
        s = self.segment
        if self.firm < 0:
            h = [sf[s, g, L.SF_ACQ] for g in range(m.n_firms)]
            total = sum(h)
            if rnd.random() < min(total, 1.0):
                self.firm = rnd.choices(range(m.n_firms), weights=h)[0]
                self.satisfaction, self.trust, self.loyalty = p[L.P_SAT0], p[L.P_TRUST0], p[L.P_LOY0]
                self.expectation = sf[s, self.firm, L.SF_VALUE]
                self.tenure = 0
            return
        f = self.firm
        perf = sf[s, f, L.SF_VALUE] + fp[f, L.FP_CARE] + p[L.P_NOISE] * rnd.gauss(0.0, 1.0)
        d = perf - self.expectation
        x = d / p[L.P_TOL]
        target = 0.5 + 0.5 * x / (1.0 + abs(x))
        self.satisfaction = min(1.0, max(0.0, self.satisfaction + p[L.P_SAT_SPEED] * (target - self.satisfaction)))
        anchored = (1 - p[L.P_ANCHOR]) * perf + p[L.P_ANCHOR] * seg[s, L.SEG_REF]
        self.expectation += p[L.P_EXP_SPEED] * (anchored - self.expectation)
        delighted = d > p[L.P_DELIGHT]
        if d < -p[L.P_BREAK]:
            self.trust *= 1.0 - p[L.P_TRUST_DROP]
        elif d >= 0:
            self.trust += p[L.P_TRUST_GAIN] * (1.0 - self.trust)
        if self.satisfaction < p[L.P_COMPLAIN_TH] and rnd.random() < p[L.P_COMPLAIN_P]:
            if rnd.random() < fp[f, L.FP_RECOVERY]:
                self.satisfaction += p[L.P_RECOVERY_BOOST] * (1.0 - self.satisfaction)
            else:
                self.trust *= 1.0 - p[L.P_TRUST_DROP]
        decays = (p[L.P_DECAY_FIN], p[L.P_DECAY_SOC], p[L.P_DECAY_STR])
        invest = (fp[f, L.FP_INV_FIN], fp[f, L.FP_INV_SOC], fp[f, L.FP_INV_STR])
        self.bonds = [b * (1 - dk) + inv * (1 - b) for b, dk, inv in zip(self.bonds, decays, invest, strict=True)]
        bf, bs, bt = self.bonds
        lt = (
            p[L.P_W_SAT] * self.satisfaction ** int(p[L.P_SAT_POW])
            + p[L.P_W_DELIGHT] * delighted
            + p[L.P_W_TRUST] * self.trust
            + p[L.P_W_FIN] * bf
            + p[L.P_W_SOC] * bs
            + p[L.P_W_STR] * bt
        )
        self.loyalty += p[L.P_LOY_SPEED] * (min(1.0, lt) - self.loyalty)
        floor = p[L.P_SAT_FLOOR]
        h_dis = p[L.P_CH_DIS] * max(0.0, floor - self.satisfaction) / floor * (1 - self.loyalty)
        h_comp = p[L.P_CH_COMP] * sf[s, f, L.SF_GAP] * (1 - self.loyalty) if sf[s, f, L.SF_BEST] >= 0 else 0.0
        damp = (1 - p[L.P_SWITCH_COST] * bt) * (1 - p[L.P_FIN_DAMP] * bf)
        if rnd.random() < (h_dis + h_comp) * damp + fp[f, L.FP_STAFF] + self.own_churn:
            best = int(sf[s, f, L.SF_BEST])
            self.firm = best if best >= 0 and rnd.random() < 0.5 else -1
            self.tenure = 0
            return
        pbuy = min(1.0, seg[s, L.SEG_RATE] * self.freq * (1 + p[L.P_LOY_FREQ] * self.loyalty))
        if rnd.random() < pbuy:
            sow = p[L.P_SOW_FLOOR] + (1 - p[L.P_SOW_FLOOR]) * self.loyalty
            self.revenue += seg[s, L.SEG_BASKET] * self.wallet * fp[f, L.FP_PRICE] * sow
        self.tenure += 1


class MesaCustomers(mesa.Model):
    """Every customer of a ``RelationshipMarket`` as a Mesa agent, stepped with shuffle_do."""

    def __init__(self, source_model, seed: int = 0) -> None:
        super().__init__(rng=seed)
        self.source = source_model.population
        for firm in source_model.firms:  # this step's spending, as the model would set it
            firm.plan(0, source_model.config.dynamics.levers)
        inputs = source_model.step_inputs(Totals(np.zeros((source_model.n_firms + 1, len(L.T)))), np.uint64(0))
        self.p, self.fp, self.sf, self.seg = inputs.p, inputs.fp, inputs.sf, inputs.seg
        self.n_firms = source_model.n_firms
        for i in range(self.source.n):
            CustomerAgent(self, i)

    def step(self) -> None:
        self.agents.shuffle_do("step")
