"""CustomerPopulation: the customers as columns of arrays (struct of arrays), never as Mesa agents.

One row per person in the market. ``firm[i]`` is the firm customer i buys from, or -1 for a prospect
(never a customer) or a lapsed customer (left the market, may be won back). The arrays are advanced
by the numba kernels in ``sim.customers.wom`` and ``sim.customers.kernel``; the Mesa side passes small
per-firm and per-segment arrays in and reads per-firm totals back, so the Python cost of a step does
not grow with the population.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from sim.customers import registry as L
from sim.customers.kernel import adoption_bound, customer_pass, customer_scratch
from sim.customers.network import ContactNetwork, build_network
from sim.customers.wom import wom_pass
from sim.scenario import Scenario

__all__ = ["CustomerPopulation", "kernel_params"]


def kernel_params(sc: Scenario) -> np.ndarray:
    """The scalar parameter vector ``p`` of the kernel, in the order of ``layout.P``."""
    d = sc.dynamics
    s, t, lo, c, w, ch, b = d.satisfaction, d.trust, d.loyalty, d.complaints, d.wom, d.churn, d.bonds
    disc = (1.0 + sc.discount_rate) ** (1.0 / sc.steps_per_year) - 1.0
    values = {
        "NOISE": s.perception_noise,
        "TOL": s.tolerance,
        "SAT_SPEED": s.speed,
        "EXP_SPEED": s.expectation_speed,
        "ANCHOR": s.market_anchor,
        "DELIGHT": s.delight_margin,
        "BREAK": t.break_margin,
        "TRUST_DROP": t.drop,
        "TRUST_GAIN": t.gain,
        "SAT_POW": float(lo.satisfaction_power),
        "W_SAT": lo.w_satisfaction,
        "W_DELIGHT": lo.w_delight,
        "W_TRUST": lo.w_trust,
        "W_FIN": lo.w_financial,
        "W_SOC": lo.w_social,
        "W_STR": lo.w_structural,
        "LOY_SPEED": lo.speed,
        "LOYAL_TH": lo.loyal_threshold,
        "COMPLAIN_TH": c.threshold,
        "COMPLAIN_P": c.probability,
        "RECOVERY_BOOST": c.recovery_boost,
        "POS_P": w.positive_probability,
        "REF_CONV": w.referral_conversion,
        "REF_PULL": w.referral_pull,
        "NEG_IMPACT": w.negative_impact,
        "NEG_BLOCK": w.negative_block,
        "CH_DIS": ch.dissatisfaction,
        "SAT_FLOOR": ch.satisfaction_floor,
        "CH_COMP": ch.competition,
        "SWITCH_SHARE": ch.switch_share,
        "SWITCH_COST": ch.switching_cost,
        "FIN_DAMP": ch.financial_damping,
        "DECAY_FIN": b.decay_financial,
        "DECAY_SOC": b.decay_social,
        "DECAY_STR": b.decay_structural,
        "NEW_STEPS": float(d.new_steps),
        "SOW_FLOOR": d.share_of_wallet_floor,
        "LOY_FREQ": d.loyalty_frequency,
        "DISC": disc,
        "SAT0": s.initial,
        "TRUST0": t.initial,
        "LOY0": lo.initial,
        "INV_TOL": 1.0 / s.tolerance,
        "INV_FLOOR": 1.0 / max(ch.satisfaction_floor, 1e-12),
        "FIN_FREQ": d.levers.financial_frequency,
        "OWN_ON_PURCHASE": 1.0 if ch.own_after_purchase else 0.0,
        "RETURNING": float(d.returning_after),
    }
    assert set(values) == set(L.P.names)
    return np.array([values[name] for name in L.P.names], dtype=np.float64)


@dataclass
class CustomerPopulation:
    """The arrays of every person in the market (see module docstring). ~60 bytes per person."""

    firm: np.ndarray  # int8: firm index, -1 = not a customer
    segment: np.ndarray  # int8
    stage: np.ndarray  # int8: layout.STAGES
    last_firm: np.ndarray  # int8: the firm most recently left (-1 none); for win-back (D10)
    voice: np.ndarray  # int8: word-of-mouth episode to deliver next step: +(f+1) praise, -(f+1) complaint
    tenure: np.ndarray  # int16: steps with the current firm
    n_purchases: np.ndarray  # uint16
    expectation: np.ndarray  # float32 (M1)
    satisfaction: np.ndarray  # float32 [0, 1]
    trust: np.ndarray  # float32 [0, 1] (M4)
    loyalty: np.ndarray  # float32 [0, 1] (M3)
    bond_fin: np.ndarray  # float32 [0, 1]: financial bond stock (D3 level 1)
    bond_soc: np.ndarray  # float32 [0, 1]: social bond stock (D3 level 2)
    bond_str: np.ndarray  # float32 [0, 1]: structural bond stock (D3 level 3)
    cum_margin: np.ndarray  # float32: margin earned from this person over the run (F7, CLV)
    cum_revenue: np.ndarray  # float32: revenue from this person over the run (F7)
    wallet: np.ndarray  # float32: spend multiplier, lognormal with mean 1 (F7)
    freq: np.ndarray  # float32: purchase-frequency multiplier
    own_churn: np.ndarray  # float32: per-step probability of leaving for own reasons (D12)
    wom_pos_firm: np.ndarray  # int8: receive buffers filled by the word-of-mouth pass
    wom_pos_n: np.ndarray  # uint8
    wom_neg_firm: np.ndarray  # int8
    wom_neg_n: np.ndarray  # uint8
    network: ContactNetwork = field(repr=False, default=None)  # type: ignore[assignment]

    # ------------------------------------------------------------------ construction
    @classmethod
    def create(cls, sc: Scenario, rng: np.random.Generator, value: np.ndarray) -> CustomerPopulation:
        """Draw the initial population. ``value[s, f]`` is the delivered value of firm f to segment s,
        which new and initial customers expect (M1)."""
        n = sc.population.size
        n_firms = len(sc.firms)
        if n_firms > 127:
            raise ValueError("at most 127 firms fit the int8 firm column")
        shares = np.array([s.share for s in sc.population.segments])
        segment = np.searchsorted(np.cumsum(shares)[:-1], rng.random(n), side="right").astype(np.int8)
        init = np.array([f.initial_share for f in sc.firms])
        u = rng.random(n)
        firm = np.searchsorted(np.cumsum(init), u, side="right")
        firm = np.where(firm >= n_firms, -1, firm).astype(np.int8)
        is_cust = firm >= 0
        sigma = sc.population.wallet_sigma
        wallet = rng.lognormal(-0.5 * sigma * sigma, sigma, size=n).astype(np.float32)
        ch = sc.dynamics.churn
        if ch.own_circumstances_beta is not None:
            a, b = ch.own_circumstances_beta
            own = rng.beta(a, b, size=n).astype(np.float32)
        else:
            own = np.full(n, ch.own_circumstances, dtype=np.float32)
        new_steps = sc.dynamics.new_steps
        if sc.population.frequency_gamma is not None:
            shape, rate = sc.population.frequency_gamma
            freq = rng.gamma(shape, 1.0 / rate, size=n).astype(np.float32)
        else:
            freq = np.ones(n, dtype=np.float32)
        tenure = np.where(is_cust, rng.integers(0, 2 * sc.steps_per_year, size=n), 0).astype(np.int16)
        stage = np.where(is_cust, np.where(tenure < new_steps, L.NEW, L.GROWING), L.PROSPECT).astype(np.int8)
        seg_ref = value.mean(axis=1)
        expectation = np.where(is_cust, value[segment, np.maximum(firm, 0)], seg_ref[segment]).astype(np.float32)
        d = sc.dynamics
        pop = cls(
            firm=firm,
            segment=segment,
            stage=stage,
            last_firm=np.full(n, -1, dtype=np.int8),
            voice=np.zeros(n, dtype=np.int8),
            tenure=tenure,
            n_purchases=is_cust.astype(np.uint16),
            expectation=expectation,
            satisfaction=np.full(n, d.satisfaction.initial, dtype=np.float32),
            trust=np.full(n, d.trust.initial, dtype=np.float32),
            loyalty=np.full(n, d.loyalty.initial, dtype=np.float32),
            bond_fin=np.zeros(n, dtype=np.float32),
            bond_soc=np.zeros(n, dtype=np.float32),
            bond_str=np.zeros(n, dtype=np.float32),
            cum_margin=np.zeros(n, dtype=np.float32),
            cum_revenue=np.zeros(n, dtype=np.float32),
            wallet=wallet,
            freq=freq,
            own_churn=own,
            wom_pos_firm=np.full(n, -1, dtype=np.int8),
            wom_pos_n=np.zeros(n, dtype=np.uint8),
            wom_neg_firm=np.full(n, -1, dtype=np.int8),
            wom_neg_n=np.zeros(n, dtype=np.uint8),
        )
        pop.network = build_network(sc.network, n, rng)
        return pop

    # ------------------------------------------------------------------ the two kernel passes
    @property
    def n(self) -> int:
        return self.firm.shape[0]

    def array_fields(self) -> list[str]:
        return [f.name for f in fields(self) if f.name != "network"]

    def deliver_wom(
        self, key: np.uint64, reach_pos: float, reach_neg: float, n_firms: int, engine: str = "numba"
    ) -> np.ndarray:
        """Run the word-of-mouth pass; returns per-firm totals (columns of ``layout.T``).
        ``engine="numpy"`` runs the plain-numpy reference instead of the kernel."""
        if engine == "numpy":
            from sim.customers.reference import wom_pass_ref

            return wom_pass_ref(self, key, reach_pos, reach_neg, n_firms)
        tot = np.zeros((n_firms + 1, len(L.T)), dtype=np.float64)
        wom_pass(
            key,
            self.voice,
            self.firm,
            self.network.indptr,
            self.network.indices,
            self.wom_pos_firm,
            self.wom_pos_n,
            self.wom_neg_firm,
            self.wom_neg_n,
            float(reach_pos),
            float(reach_neg),
            tot,
        )
        return tot

    def advance(
        self, key: np.uint64, p: np.ndarray, fp: np.ndarray, sf: np.ndarray, seg: np.ndarray, engine: str = "numba"
    ) -> np.ndarray:
        """Run the customer pass; returns totals ``[n_firms + 1, len(layout.T)]`` (last row: non-customers)."""
        if engine == "numpy":
            from sim.customers.reference import customer_pass_ref

            return customer_pass_ref(self, key, p, fp, sf, seg)
        n_firms = fp.shape[0]
        out = np.zeros((L.n_chunks_for(self.n), n_firms + 1, len(L.T)), dtype=np.float64)
        customer_pass(
            key,
            self.firm,
            self.segment,
            self.stage,
            self.last_firm,
            self.voice,
            self.tenure,
            self.n_purchases,
            self.expectation,
            self.satisfaction,
            self.trust,
            self.loyalty,
            self.bond_fin,
            self.bond_soc,
            self.bond_str,
            self.cum_margin,
            self.cum_revenue,
            self.wallet,
            self.freq,
            self.own_churn,
            self.wom_pos_firm,
            self.wom_pos_n,
            self.wom_neg_firm,
            self.wom_neg_n,
            p,
            fp,
            sf,
            seg,
            adoption_bound(sf),
            out,
            *customer_scratch(),
        )
        return out.sum(axis=0)  # fixed chunk order: the same sum whatever the thread count

    # ------------------------------------------------------------------ views and checks
    @property
    def nbytes(self) -> int:
        return sum(getattr(self, name).nbytes for name in self.array_fields()) + self.network.nbytes

    def snapshot(self, firm_names: list[str], segment_names: list[str], copy: bool = True) -> pd.DataFrame:
        """The per-customer table: firm, segment, stage, tenure, satisfaction, trust, loyalty, margin.
        ``copy=False`` returns views of the live arrays (no second copy of 10 M rows); they change
        when the model steps on."""
        firm_labels = np.array([*firm_names, "none"], dtype=object)
        return pd.DataFrame(
            {
                "firm": pd.Categorical.from_codes(
                    np.where(self.firm < 0, len(firm_names), self.firm), categories=firm_labels
                ),
                "segment": pd.Categorical.from_codes(self.segment, categories=segment_names),
                "stage": pd.Categorical.from_codes(self.stage, categories=list(L.STAGES)),
                "tenure": self.tenure,
                "satisfaction": self.satisfaction,
                "trust": self.trust,
                "loyalty": self.loyalty,
                "cumulative_margin": self.cum_margin,
                "cumulative_revenue": self.cum_revenue,
                "purchases": self.n_purchases,
                "wallet": self.wallet,
                "bond_financial": self.bond_fin,
                "bond_social": self.bond_soc,
                "bond_structural": self.bond_str,
            },
            copy=copy,
        )

    def check_invariants(self, n_firms: int) -> None:
        """Raise AssertionError if any customer is in an impossible state (used in debug mode and tests)."""
        f = self.firm
        assert ((f >= -1) & (f < n_firms)).all(), "firm index out of range"
        cust = f >= 0
        st = self.stage
        assert np.isin(st[~cust], (L.PROSPECT, L.LAPSED)).all(), "non-customer in a customer stage"
        assert not np.isin(st[cust], (L.PROSPECT, L.LAPSED)).any(), "customer in a non-customer stage"
        for name in ("satisfaction", "trust", "loyalty", "bond_fin", "bond_soc", "bond_str"):
            a = getattr(self, name)
            assert np.isfinite(a).all() and (a >= 0).all() and (a <= 1).all(), f"{name} outside [0, 1]"
        assert (self.tenure >= 0).all(), "negative tenure"
        assert (self.wom_pos_n == 0).all() and (self.wom_neg_n == 0).all(), "undelivered word of mouth"
