"""Parameters of the customer kernel: satisfaction, trust, loyalty, complaints, word of mouth, churn,
acquisition and bonds (``scenario.dynamics``). The documents name these mechanisms (M1-M16, D3, D10,
D12) but give few numbers: most are *assumptions*, each with a plausible range.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from sim.scenario.fields import MAX_TENURE, NonNeg, Pair, Pos, Prob, Strict, Unit, param, section
from sim.scenario.levers import LeverEffects

__all__ = [
    "SatisfactionParams",
    "TrustParams",
    "LoyaltyParams",
    "ComplaintParams",
    "WomParams",
    "ChurnParams",
    "AcquisitionParams",
    "BondParams",
    "Dynamics",
]

_A = "assumption"


class SatisfactionParams(Strict):
    """M1: satisfaction by disconfirmation against an adaptive expectation."""

    perception_noise: NonNeg = param(
        0.08, "value score (sd)", f"M1; {_A}", "sd of perceived performance around delivered value", (0.02, 0.2)
    )
    tolerance: Pos = param(0.1, "value score", f"M1; {_A}", "disconfirmation that moves satisfaction halfway", (0.05, 0.2))
    speed: Prob = param(0.2, "share per step", _A, "smoothing of satisfaction toward its target per step", (0.05, 0.5))
    expectation_speed: Prob = param(
        0.05, "share per step", f"M1; {_A}", "adaptation of expectations to experience per step", (0.01, 0.2)
    )
    market_anchor: Prob = param(
        0.5, "weight 0-1", f"Thibaut & Kelley 1959; {_A}", "weight of the market average in expectations", (0.2, 0.8)
    )
    delight_margin: NonNeg = param(
        0.05, "value score", f"M2; {_A}", "disconfirmation above which the customer is delighted", (0.02, 0.15)
    )
    initial: Unit = param(0.6, "score 0-1", _A, "satisfaction at step 0", (0.4, 0.8))


class TrustParams(Strict):
    """M4: trust collapses on a broken promise and is rebuilt slowly."""

    break_margin: NonNeg = param(
        0.15, "value score", f"M4; {_A}", "negative disconfirmation that counts as a broken promise", (0.05, 0.3)
    )
    drop: Prob = param(0.4, "share of trust", f"M4; {_A}", "share of trust lost on a broken promise", (0.2, 0.7))
    gain: Prob = param(
        0.01,
        "share per step",
        f"M4; {_A}",
        "share of the remaining gap regained per step when expectations are met",
        (0.005, 0.05),
    )
    initial: Unit = param(0.5, "score 0-1", _A, "trust at step 0", (0.3, 0.7))


class LoyaltyParams(Strict):
    """M2, M3, D3: loyalty from satisfaction (convex: delight matters), trust and bonds."""

    satisfaction_power: Annotated[int, Field(ge=1, le=8)] = param(
        3, "exponent", f"M2, Jones & Sasser 1995; {_A}", "convexity of loyalty in satisfaction", (1.0, 5.0)
    )
    w_satisfaction: NonNeg = param(0.35, "weight", f"M3; {_A}", "weight of satisfaction^power in target loyalty", (0.2, 0.5))
    w_delight: NonNeg = param(0.2, "weight", f"M2, M3; {_A}", "weight of delight in target loyalty", (0.1, 0.3))
    w_trust: NonNeg = param(0.25, "weight", f"M3, M4; {_A}", "weight of trust in target loyalty", (0.1, 0.4))
    w_financial: NonNeg = param(
        0.05, "weight", f"D3, M6; {_A}", "weight of the financial bond in target loyalty", (0.0, 0.1)
    )
    w_social: NonNeg = param(0.1, "weight", f"D3; {_A}", "weight of the social bond in target loyalty", (0.05, 0.2))
    w_structural: NonNeg = param(
        0.05, "weight", f"D3, M7; {_A}", "weight of the structural bond in target loyalty", (0.0, 0.15)
    )
    speed: Prob = param(0.05, "share per step", _A, "adjustment of loyalty toward its target per step", (0.01, 0.2))
    initial: Unit = param(0.3, "score 0-1", _A, "loyalty at step 0", (0.1, 0.5))
    loyal_threshold: Unit = param(
        0.6, "score 0-1", f"D10; {_A}", "loyalty at or above which the lifecycle stage is 'loyal'", (0.5, 0.8)
    )


class ComplaintParams(Strict):
    """D10 recovery stage: dissatisfied customers complain; the firm recovers some."""

    # complaints are rare at 0.35 (~0.003 per customer-year at the baseline) but the threshold cannot rise
    # much: from ~0.38 (teaching_funnel) and ~0.4 (baseline without care) the market tips into a cascade
    # (unrecovered complaints -> negative word of mouth -> more complaints). Plausible complaint rates need
    # complaints triggered by a perceived failure, not a satisfaction level: a kernel change, not made here
    threshold: Unit = param(0.35, "score 0-1", f"D10; {_A}", "satisfaction below which a customer may complain", (0.3, 0.42))
    probability: Prob = param(
        0.1,
        "probability per step",
        f"D10; Goodman (TARP): about half of consumers with a problem complain to a front-line person; {_A}",
        "chance of a complaint per step when below threshold (0.1: half complain within 7 weeks below it)",
        (0.05, 0.3),
    )
    recovery_boost: Prob = param(
        0.5, "share of the gap", f"D10; {_A}", "share of the gap to full satisfaction closed by a recovery", (0.2, 0.8)
    )


class WomParams(Strict):
    """M5, F4, F5: word of mouth in episodes, over the network and to the wider population."""

    positive_reach: NonNeg = param(8.0, "people per episode", "F4", "people a delighted customer tells per episode")
    negative_reach: NonNeg = param(25.0, "people per episode", "F5", "people a dissatisfied customer affects per episode")
    positive_probability: Prob = param(
        0.05, "probability per step", f"M5; {_A}", "chance a delighted customer starts an episode per step", (0.01, 0.15)
    )
    referral_conversion: Prob = param(
        0.3, "probability", f"F4; {_A}", "chance a told prospect adopts (F4: at least 1 of 8 closes)", (0.125, 0.5)
    )
    referral_pull: Prob = param(
        0.02,
        "probability per contact",
        f"M5; {_A}",
        "extra switching hazard of a rival's customer told about a firm",
        (0.0, 0.05),
    )
    negative_impact: Prob = param(
        0.05, "score per contact", f"M5; {_A}", "satisfaction lost per negative contact heard about one's firm", (0.01, 0.1)
    )
    negative_block: Prob = param(
        0.5, "share of hazard", f"M5; {_A}", "cut in a prospect's adoption hazard for a firm criticised to them", (0.2, 0.8)
    )
    imitation: NonNeg = param(
        0.0, "hazard per unit of market share", "Bass 1969; setting", "Bass q: adoption hazard per unit of the firm's share"
    )


class ChurnParams(Strict):
    """D12: three causes of churn; structural bonds are switching costs (M7)."""

    dissatisfaction: Prob = param(
        0.05, "probability per step", f"D12; {_A}", "churn hazard at zero satisfaction and zero loyalty", (0.02, 0.1)
    )
    satisfaction_floor: Unit = param(
        0.45, "score 0-1", f"D12; {_A}", "satisfaction below which dissatisfaction churn starts", (0.3, 0.6)
    )
    competition: NonNeg = param(
        0.06,
        "hazard per unit of value gap",
        f"D12; {_A}",
        "churn hazard per unit of delivered-value gap to the best rival",
        (0.02, 0.12),
    )
    own_circumstances: Prob = param(
        0.001, "probability per step", f"D12; {_A}", "churn for the customer's own reasons, per step", (0.0, 0.005)
    )
    own_circumstances_beta: Pair | None = param(
        None,
        "[alpha, beta]",
        "Fader & Hardie 2007; setting",
        "each customer draws its own-circumstance churn once from Beta(alpha, beta) (shifted-beta-geometric); none: off",
    )
    own_after_purchase: bool = param(
        False, "switch", "Fader et al. 2005; setting", "own-circumstance churn only right after a purchase (BG/NBD)"
    )
    switch_share: Prob = param(
        0.6,
        "share of leavers",
        f"D12; {_A}",
        "share of dissatisfied leavers who go to the best rival (rest lapse)",
        (0.3, 0.9),
    )
    switching_cost: Prob = param(
        0.8, "share of hazard", f"M7; {_A}", "damping of churn at full structural bond (switching cost)", (0.5, 0.95)
    )
    financial_damping: Prob = param(
        0.2, "share of hazard", f"D3, M6; {_A}", "damping of churn at full financial bond", (0.05, 0.4)
    )


class AcquisitionParams(Strict):
    """Winning prospects: campaigns paid from the acquisition budget, spontaneous adoption, referrals."""

    cost_per_contact: Pos = param(8.0, "currency per contact", _A, "campaign cost per prospect reached", (2.0, 20.0))
    conversion: Prob = param(
        0.3, "probability", _A, "chance a reached prospect adopts at average attractiveness", (0.1, 0.5)
    )
    spontaneous: Prob = param(
        0.002, "probability per step", f"Bass 1969; {_A}", "adoption by outside influence per step (Bass p)", (0.0, 0.01)
    )
    hazard_step: Annotated[float, Field(gt=0.0, le=1.0, allow_inf_nan=False)] | None = param(
        None,
        "time units per step",
        "Bass 1969; setting",
        "if set, adoption hazards are rates per unit time and a step lasts this long: 1 - exp(-h dt); none: per step",
    )
    value_sensitivity: Annotated[float, Field(ge=0.0, le=40.0, allow_inf_nan=False)] = param(  # exp() stays finite
        3.0, "per unit of value score", _A, "how strongly the choice among firms follows delivered value", (1.0, 6.0)
    )


class BondParams(Strict):
    """D3 bond stocks: built by investment per customer, decaying at their own pace (M6, M7)."""

    decay_financial: Prob = param(
        0.1,
        "share per step",
        f"M6; {_A}",
        "decay of the financial bond: loyalty bought with rewards fades fast",
        (0.05, 0.2),
    )
    decay_social: Prob = param(0.02, "share per step", f"D3; {_A}", "decay of the social bond", (0.01, 0.05))
    decay_structural: Prob = param(
        0.005, "share per step", f"M7; {_A}", "decay of the structural bond: slowest, most stable", (0.001, 0.01)
    )
    care_effect: NonNeg = param(
        0.02,
        "performance score",
        f"M14; {_A}",
        "perceived-performance gain from after-sales care at saturation",
        (0.01, 0.1),
    )
    care_unit: Pos = param(
        0.05,
        "currency per customer-step",
        f"M14; {_A}",
        "care (retention) spend per customer-step giving half the effect",
        (0.02, 0.2),
    )


class Dynamics(Strict):
    """The customer kernel's parameters, and the effect sizes of the levers."""

    satisfaction: SatisfactionParams = section(SatisfactionParams(), "M1, M2", "satisfaction by disconfirmation")
    trust: TrustParams = section(TrustParams(), "M4", "trust: collapses on a broken promise, rebuilt slowly")
    loyalty: LoyaltyParams = section(LoyaltyParams(), "M2, M3", "loyalty from satisfaction, delight, trust and bonds")
    complaints: ComplaintParams = section(ComplaintParams(), "D10", "complaints and service recovery")
    wom: WomParams = section(WomParams(), "M5, F4, F5", "word of mouth over the network and beyond")
    churn: ChurnParams = section(ChurnParams(), "D12, M7", "churn: dissatisfaction, competition, own circumstances")
    acquisition: AcquisitionParams = section(
        AcquisitionParams(), "D10", "winning prospects: campaigns, spontaneous, referrals"
    )
    bonds: BondParams = section(BondParams(), "D3, M6, M7", "bond stocks and after-sales care")
    new_steps: Annotated[int, Field(ge=1, le=MAX_TENURE)] = param(
        8, "steps", f"D10; {_A}", "tenure below which a customer is 'new'", (4.0, 13.0)
    )
    returning_after: Annotated[int, Field(ge=0, le=MAX_TENURE)] = param(
        52, "steps", f"F3; {_A}", "tenure from which a customer counts as returning", (26.0, 104.0)
    )
    share_of_wallet_floor: Prob = param(
        0.4, "share of wallet", f"D11; {_A}", "share of wallet at zero loyalty (grows to 1 with loyalty)", (0.2, 0.7)
    )
    loyalty_frequency: NonNeg = param(0.5, "multiplier", f"M3; {_A}", "extra purchase frequency at full loyalty", (0.2, 1.0))
    levers: LeverEffects = section(
        LeverEffects(), "L", "how strongly each lever acts (sizes: docs/effects.md gives sources and measured effects)"
    )
