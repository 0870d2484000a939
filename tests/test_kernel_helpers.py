"""The customer pass's helpers, one mechanism each, run as plain Python (``.py_func``) on hand-made inputs."""

from __future__ import annotations

import numpy as np
import pytest

from sim.customers import kernel as K
from sim.customers import mechanisms as M
from sim.customers import registry as L
from sim.customers import tallies as T

LOW, HIGH = np.uint64(0), np.uint64(0xFFFFFFFFFFFFFFFF)  # draws whose halves give u ~ 0 and u ~ 1


def _p(**values: float) -> np.ndarray:
    p = np.zeros(len(L.P))
    p[L.P_SAT_POW] = 1.0
    for name, v in values.items():
        p[getattr(L, f"P_{name}")] = v
    return p


def _fp(n_firms: int = 1, **values: float) -> np.ndarray:
    fp = np.zeros((n_firms, len(L.FP)))
    for name, v in values.items():
        fp[:, getattr(L, f"FP_{name}")] = v
    return fp


def _sf(n_firms: int = 1, **values: float) -> np.ndarray:
    sf = np.zeros((1, n_firms, len(L.SF)))
    for name, v in values.items():
        sf[:, :, getattr(L, f"SF_{name}")] = v
    return sf


def test_bond_without_investment_decays_at_its_rate_and_investment_builds_it():
    assert M.bond.py_func(0.5, 0.1, 0.0, 1.0) == pytest.approx(0.45)  # D3
    assert M.bond.py_func(0.5, 0.1, 0.2, 1.0) == pytest.approx(0.45 + 0.2 * 0.5)
    assert M.bond.py_func(0.5, 0.0, 0.8, 2.0) == pytest.approx(1.0)  # investment x tier weight capped at 1


def test_satisfaction_follows_disconfirmation_and_criticism():
    p = _p(INV_TOL=1.0, SAT_SPEED=0.5, NEG_IMPACT=0.1)
    sat = M.satisfaction.py_func
    assert sat(p, 0.5, 0.3, 0.0) > 0.5 > sat(p, 0.5, -0.3, 0.0)  # M1
    assert sat(p, 0.5, 0.0, 0.0) == pytest.approx(0.5)
    assert sat(p, 0.5, 0.0, 2.0) == pytest.approx(0.3)  # M5: criticism heard
    assert sat(p, 0.01, -5.0, 3.0) == 0.0 and sat(_p(INV_TOL=1.0, SAT_SPEED=1.0), 1.0, 1e9, 0.0) <= 1.0


def test_only_exceeding_expectations_delights():
    p = _p(DELIGHT=0.1)
    assert M.delight.py_func(p, 0.2) and not M.delight.py_func(p, 0.05)  # M2


def test_trust_collapses_on_a_broken_promise_and_is_rebuilt_slowly():
    p = _p(BREAK=0.2, TRUST_DROP=0.5, TRUST_GAIN=0.1)
    assert M.trust.py_func(p, 0.8, -0.3) == pytest.approx(0.4)  # M4
    assert M.trust.py_func(p, 0.8, 0.0) == pytest.approx(0.82)
    assert M.trust.py_func(p, 0.8, -0.1) == pytest.approx(0.8)  # neither broken nor met


def test_complaints_and_recovery():
    p = _p(COMPLAIN_TH=0.4, COMPLAIN_P=0.5, RECOVERY_BOOST=0.5, TRUST_DROP=0.5)
    fp = _fp(RECOVERY=0.5)
    assert M.complains.py_func(p, 0.3, LOW) and not M.complains.py_func(p, 0.3, HIGH)  # D10
    assert not M.complains.py_func(p, 0.5, LOW)
    assert M.recovered.py_func(fp, 0, True, LOW) and not M.recovered.py_func(fp, 0, True, HIGH)
    assert not M.recovered.py_func(fp, 0, False, LOW)
    assert M.recovery_satisfaction.py_func(p, 0.2, True) == pytest.approx(0.6)
    assert M.recovery_satisfaction.py_func(p, 0.2, False) == 0.2
    assert M.recovery_trust.py_func(p, 0.6, True) == pytest.approx(0.3)  # M5: an unrecovered complaint


def test_loyalty_is_convex_in_satisfaction_and_driven_by_trust_and_bonds():
    assert M.satisfaction_power.py_func(0.5, 3) == pytest.approx(0.125)
    assert M.satisfaction_power.py_func(0.5, 1) == 0.5
    p = _p(W_SAT=1.0, LOY_SPEED=1.0, SAT_POW=2.0)
    assert M.loyalty.py_func(p, 0.0, 0.5, False, 0.0, 0.0, 0.0, 0.0) == pytest.approx(0.25)  # M2
    p = _p(W_DELIGHT=0.3, W_TRUST=0.2, W_STR=0.5, LOY_SPEED=0.5)
    assert M.loyalty.py_func(p, 0.2, 0.0, True, 1.0, 0.0, 0.0, 1.0) == pytest.approx(0.6)  # toward min(1, 1.0)


def test_lock_in_of_one_zeroes_the_dissatisfaction_and_competition_hazards():
    p = _p(CH_DIS=0.5, SAT_FLOOR=0.4, INV_FLOOR=2.5, SWITCH_COST=0.5, FIN_DAMP=0.5)
    damp = M.churn_damping.py_func(p, _fp(LOCKIN=1.0), 0, 0.0, 0.0)
    assert damp == 0.0  # M16
    assert M.dissatisfaction_hazard.py_func(p, 0.1, 0.0, damp) == 0.0
    assert M.competition_hazard.py_func(0.3, 0.0, damp) == 0.0
    free = M.churn_damping.py_func(p, _fp(), 0, 0.0, 0.0)
    bonded = M.churn_damping.py_func(p, _fp(), 0, 1.0, 1.0)  # M7, D3: bonds lower both hazards
    assert free == 1.0 and bonded == pytest.approx(0.25)
    assert M.dissatisfaction_hazard.py_func(p, 0.1, 0.0, free) == pytest.approx(0.5 * 0.3 * 2.5)  # D12
    assert M.dissatisfaction_hazard.py_func(p, 0.5, 0.0, free) == 0.0  # above the floor


def test_competition_term_needs_a_rival_and_adds_a_praised_rivals_pull():
    p = _p(CH_COMP=2.0, REF_PULL=0.1)
    sf = _sf(GAP=0.1, PULL=0.01, POACH=0.02, BEST=1.0)
    pull = M.referral_pull.py_func(p, 3, 1, 0)
    assert pull == pytest.approx(0.3) and M.referral_pull.py_func(p, 3, 0, 0) == 0.0  # praise of its own firm
    assert M.competition.py_func(p, sf, 0, 0, pull) == pytest.approx(0.2 + 0.3 + 0.01 + 0.02)
    assert M.competition.py_func(p, _sf(GAP=0.1, BEST=-1.0), 0, 0, pull) == 0.0  # no rival
    assert M.staff_hazard.py_func(_fp(STAFF=0.03), 0) == 0.03  # M8
    assert M.own_hazard.py_func(p, 0.05) == pytest.approx(0.05)
    assert M.own_hazard.py_func(_p(OWN_ON_PURCHASE=1.0), 0.05) == 0.0  # BG/NBD: only after a purchase


def test_the_first_hazard_past_the_draw_decides_the_churn_kind():
    kind = M.churn_kind.py_func
    assert kind(0.05, 0.1, 0.1, 0.1) == M.EV_CHURN_DIS
    assert kind(0.15, 0.1, 0.1, 0.1) == M.EV_CHURN_COMP
    assert kind(0.25, 0.1, 0.1, 0.1) == M.EV_CHURN_STAFF
    assert kind(0.35, 0.1, 0.1, 0.1) == M.EV_CHURN_OWN


def test_loyalty_and_bonds_raise_purchases_and_share_of_wallet():
    p = _p(LOY_FREQ=1.0, FIN_FREQ=1.0, SOW_FLOOR=0.5)
    seg = np.array([[0.0, 10.0, 0.2, 0.0]])
    buy = M.purchase_probability.py_func
    assert buy(p, seg, 0, 1.0, 0.0, 0.0) == pytest.approx(0.2)  # M3
    assert buy(p, seg, 0, 1.0, 1.0, 0.0) == pytest.approx(0.4)
    assert buy(p, seg, 0, 1.0, 0.0, 1.0) == pytest.approx(0.4)  # F6: rewards-programme members buy more often
    assert buy(p, seg, 0, 10.0, 1.0, 1.0) == 1.0
    spend = M.spend_if_buying.py_func
    assert spend(p, _fp(PRICE=1.0), seg, 0, 0, 1.0, 0.0) == pytest.approx(5.0)
    assert spend(p, _fp(PRICE=1.0), seg, 0, 0, 1.0, 1.0) == pytest.approx(10.0)
    assert spend(p, _fp(PRICE=1.0, SOW=0.5), seg, 0, 0, 1.0, 0.0) == pytest.approx(7.5)  # D11 one-to-one


def test_pruning_ends_only_established_negative_value_relationships():
    p = _p(NEW_STEPS=4.0)
    pr = M.pruned.py_func
    assert pr(p, _fp(PRUNE=1.0), 0, -1.0, 10)  # D8
    assert not pr(p, _fp(PRUNE=1.0), 0, 1.0, 10) and not pr(p, _fp(PRUNE=1.0), 0, -1.0, 2)
    assert not pr(p, _fp(), 0, -1.0, 10)


def test_adoption_hazard_is_raised_by_praise_and_cut_by_criticism():
    p = _p(REF_CONV=0.1, NEG_BLOCK=0.5)
    sf = _sf(2, ACQ=0.01, ATTRACT=0.2)
    h = M.adoption_hazard.py_func
    assert h(p, sf, 0, 1, 0, -1, 0, -1, L.SF_ACQ) == pytest.approx(0.01)
    assert h(p, sf, 0, 1, 3, 1, 0, -1, L.SF_ACQ) == pytest.approx(0.01 + 0.3 * 0.2)  # F4
    assert h(p, sf, 0, 1, 3, 0, 0, -1, L.SF_ACQ) == pytest.approx(0.01)  # praise of another firm
    assert h(p, sf, 0, 1, 0, -1, 2, 1, L.SF_ACQ) == pytest.approx(0.005)  # F5


def test_stage_voice_event_and_clv():
    p = _p(LOYAL_TH=0.6, NEW_STEPS=4.0, SAT_FLOOR=0.3, DISC=0.01)
    st = M.lifecycle_stage.py_func
    assert st(p, L.GROWING, 0.7, 10, 0.5) == L.LOYAL  # D10
    assert st(p, L.GROWING, 0.5, 10, 0.5) == L.GROWING
    assert st(p, L.WON_BACK, 0.7, 2, 0.5) == L.WON_BACK and st(p, L.NEW, 0.7, 2, 0.5) == L.NEW
    assert st(p, L.LOYAL, 0.9, 10, 0.2) == L.AT_RISK
    assert M.voice.py_func(2, True, True) == -3 and M.voice.py_func(2, False, True) == 3  # M5
    assert M.voice.py_func(2, False, False) == 0
    ev = M.row_event.py_func
    assert ev(True, True, M.EV_CHURN_COMP, True, True, False) == M.EV_CHURN_COMP
    assert ev(True, False, M.EV_CHURN_OWN, True, True, False) == M.EV_PRUNED
    assert ev(True, False, M.EV_CHURN_OWN, False, True, False) == M.EV_DROPOUT
    assert ev(True, False, M.EV_CHURN_OWN, False, False, True) == M.EV_STAY
    assert ev(False, True, M.EV_CHURN_DIS, True, True, True) == M.EV_PROSPECT
    assert ev(False, True, M.EV_CHURN_DIS, True, True, False) == M.EV_IDLE
    assert M.clv.py_func(0.01, 10.0, 0.1) == pytest.approx(10.0 * 0.9 / (1.01 - 0.9))  # Gupta & Lehmann
    assert M.clv.py_func(0.01, 10.0, 2.0) == 0.0


def test_lapse_and_start_of_a_relationship():
    out = np.zeros((1, 3, len(L.T)))
    firm, stage = np.array([1], np.int8), np.array([L.LOYAL], np.int8)
    last, voice = np.array([-1], np.int8), np.array([5], np.int8)
    K._lapse.py_func(out, 0, 2, 0, 1, -2, firm, stage, last, voice)
    assert (firm[0], stage[0], last[0], voice[0]) == (-1, L.LAPSED, 1, -2)
    assert out[0, 2, L.T_CUSTOMERS] == 1.0 and out[0, 2, L.T_ST_LAPSED] == 1.0
    p = _p(SAT0=0.6, TRUST0=0.5, LOY0=0.2)
    state = [np.array([0.9], np.float32) for _ in range(7)]  # sat, trust, loy, expectation, three bonds
    stage[0] = L.NEW
    K._start_relationship.py_func(out, 0, 0, 1, 0, p, _sf(2, VALUE=0.7), stage, *state)
    assert [float(a[0]) for a in state] == pytest.approx([0.6, 0.5, 0.2, 0.7, 0.0, 0.0, 0.0])
    assert out[0, 1, L.T_CUSTOMERS] == 1.0 and out[0, 1, L.T_SAT] == pytest.approx(0.6)
    assert out[0, 1, L.T_ST_NEW] == 1.0


def test_packed_and_masked_tallies_equal_the_scalar_scatter():
    rng = np.random.default_rng(1)
    nb, nf = 500, 3
    firm = rng.integers(-1, nf, nb).astype(np.int8)
    stage = np.where(firm < 0, rng.choice([L.PROSPECT, L.LAPSED], nb), rng.integers(1, 5, nb)).astype(np.int8)
    ev = np.where(firm < 0, M.EV_IDLE, rng.choice([M.EV_STAY, M.EV_STAY, M.EV_DROPOUT, M.EV_CHURN_DIS], nb))
    scratch = [ev.astype(np.uint8)[None], rng.integers(0, 32, nb).astype(np.uint8)[None]]
    buys = (ev == M.EV_STAY) | (ev == M.EV_DROPOUT)
    scratch += [np.where(buys, rng.random(nb), 0.0)[None] for _ in range(2)]  # the vector loop zeroes them
    scratch += [rng.random(nb)[None]]
    state = [rng.random(nb).astype(np.float32) for _ in range(6)]
    a, b = np.zeros((1, nf + 1, len(L.T))), np.zeros((1, nf + 1, len(L.T)))
    T.count_packed.py_func(a, 0, 0, 0, nb, nf, firm, stage, *scratch[:2])
    T.sum_masked.py_func(a, 0, 0, 0, nb, nf, firm, *scratch, *state)
    T.scatter.py_func(b, 0, 0, 0, nb, nf, firm, stage, *scratch, *state)
    assert a[0, :, L.T_CUSTOMERS].sum() > 0 and a[0, :nf, L.T_REVENUE].sum() > 0
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
