"""Alternative (a) of the benchmark: the same customer dynamics written idiomatically in Mesa — one
``mesa.Agent`` per customer, advanced with ``model.agents.shuffle_do("step")``.

It reads the same per-firm / per-segment parameter arrays the numba kernel receives (so the work per
customer is the same: disconfirmation, trust, bonds, loyalty, three-cause churn, purchase, adoption),
and draws its random numbers from the model's generator, as a Mesa user would. Used only for timing.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim import kernels as K


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
            h = [sf[s, g, K.SF_ACQ] for g in range(m.n_firms)]
            total = sum(h)
            if rnd.random() < min(total, 1.0):
                self.firm = rnd.choices(range(m.n_firms), weights=h)[0]
                self.satisfaction, self.trust, self.loyalty = p[K.P_SAT0], p[K.P_TRUST0], p[K.P_LOY0]
                self.expectation = sf[s, self.firm, K.SF_VALUE]
                self.tenure = 0
            return
        f = self.firm
        perf = sf[s, f, K.SF_VALUE] + fp[f, K.FP_CARE] + p[K.P_NOISE] * rnd.gauss(0.0, 1.0)
        d = perf - self.expectation
        x = d / p[K.P_TOL]
        target = 0.5 + 0.5 * x / (1.0 + abs(x))
        self.satisfaction = min(1.0, max(0.0, self.satisfaction + p[K.P_SAT_SPEED] * (target - self.satisfaction)))
        anchored = (1 - p[K.P_ANCHOR]) * perf + p[K.P_ANCHOR] * seg[s, K.SEG_REF]
        self.expectation += p[K.P_EXP_SPEED] * (anchored - self.expectation)
        delighted = d > p[K.P_DELIGHT]
        if d < -p[K.P_BREAK]:
            self.trust *= 1.0 - p[K.P_TRUST_DROP]
        elif d >= 0:
            self.trust += p[K.P_TRUST_GAIN] * (1.0 - self.trust)
        if self.satisfaction < p[K.P_COMPLAIN_TH] and rnd.random() < p[K.P_COMPLAIN_P]:
            if rnd.random() < fp[f, K.FP_RECOVERY]:
                self.satisfaction += p[K.P_RECOVERY_BOOST] * (1.0 - self.satisfaction)
            else:
                self.trust *= 1.0 - p[K.P_TRUST_DROP]
        decays = (p[K.P_DECAY_FIN], p[K.P_DECAY_SOC], p[K.P_DECAY_STR])
        invest = (fp[f, K.FP_INV_FIN], fp[f, K.FP_INV_SOC], fp[f, K.FP_INV_STR])
        self.bonds = [b * (1 - dk) + inv * (1 - b) for b, dk, inv in zip(self.bonds, decays, invest, strict=True)]
        bf, bs, bt = self.bonds
        lt = (p[K.P_W_SAT] * self.satisfaction ** int(p[K.P_SAT_POW]) + p[K.P_W_DELIGHT] * delighted
              + p[K.P_W_TRUST] * self.trust + p[K.P_W_FIN] * bf + p[K.P_W_SOC] * bs + p[K.P_W_STR] * bt)
        self.loyalty += p[K.P_LOY_SPEED] * (min(1.0, lt) - self.loyalty)
        floor = p[K.P_SAT_FLOOR]
        h_dis = p[K.P_CH_DIS] * max(0.0, floor - self.satisfaction) / floor * (1 - self.loyalty)
        h_comp = p[K.P_CH_COMP] * sf[s, f, K.SF_GAP] * (1 - self.loyalty) if sf[s, f, K.SF_BEST] >= 0 else 0.0
        damp = (1 - p[K.P_SWITCH_COST] * bt) * (1 - p[K.P_FIN_DAMP] * bf)
        if rnd.random() < (h_dis + h_comp) * damp + fp[f, K.FP_STAFF] + self.own_churn:
            best = int(sf[s, f, K.SF_BEST])
            self.firm = best if best >= 0 and rnd.random() < 0.5 else -1
            self.tenure = 0
            return
        pbuy = min(1.0, seg[s, K.SEG_RATE] * self.freq * (1 + p[K.P_LOY_FREQ] * self.loyalty))
        if rnd.random() < pbuy:
            sow = p[K.P_SOW_FLOOR] + (1 - p[K.P_SOW_FLOOR]) * self.loyalty
            self.revenue += seg[s, K.SEG_BASKET] * self.wallet * fp[f, K.FP_PRICE] * sow
        self.tenure += 1


class MesaCustomers(mesa.Model):
    """Every customer of a ``RelationshipMarket`` as a Mesa agent, stepped with shuffle_do."""

    def __init__(self, source_model, seed: int = 0) -> None:
        super().__init__(rng=seed)
        self.source = source_model.population
        for firm in source_model.firms:  # this step's spending, as the model would set it
            firm.plan(0, source_model.config.dynamics.levers)
        wom = np.zeros((source_model.n_firms + 1, len(K.T)))
        self.fp, self.sf, self.seg = source_model._market_arrays(wom)
        self.p = source_model._p
        self.n_firms = source_model.n_firms
        for i in range(self.source.n):
            CustomerAgent(self, i)

    def step(self) -> None:
        self.agents.shuffle_do("step")
