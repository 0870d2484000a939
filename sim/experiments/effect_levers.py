"""The levers whose effect sizes ``sim.experiments.effects`` measures: each as its scenario file ships it,
with what the cited source states, the engine parameters that carry it, the modelling step from one to the
other, and the band of return per unit of extra spend the source supports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Lever", "LEVERS", "MULTIPLES"]

MULTIPLES = (1.0, 2.0, 10.0)
_F = "firms.focal."


@dataclass(frozen=True)
class Lever:
    """One lever as the scenario library ships it, and what backs its size."""

    name: str
    scenario: str
    spend: dict[str, float]  # dotted key -> value at 1x (multiplied by 2 and 10; 0 in the 0 arm)
    intermediate: str  # what the spend moves
    params: str  # engine parameters that set the size
    evidence: str  # what the source states, as it states it
    translation: str  # the modelling step from the source to the parameter
    band: tuple[float, float]  # return per unit of extra spend the source supports (lo, hi)
    band_why: str
    zero: dict[str, Any] | None = None  # overrides making the 0 arm (None: the shared baseline)
    multiples: tuple[float, ...] = MULTIPLES
    extra_arms: dict[str, dict[str, Any]] = field(default_factory=dict)  # more 1x variants (name -> overrides)


_RM = "Palmatier, Dant, Grewal & Evans 2006 (J. Marketing)"
_RMB2B = "Palmatier, Gopalakrishna & Houston 2006 (Marketing Science)"
_NO = "no published magnitude used (assumption)"

LEVERS: tuple[Lever, ...] = (
    Lever(
        "financial_bonds",
        "financial_bonds",
        {_F + "levers.financial.spend": 4000.0},
        "financial bond stock (share per step) -> purchase frequency, churn damping",
        "levers.financial_rate, financial_unit, financial_frequency; churn.financial_damping",
        f"{_RMB2B}: financial relationship-marketing investments do not pay off. Leenheer, van Heerde, Bijmolt & "
        "Smidts 2007 (IJRM): loyalty-programme membership has a small positive effect on share of wallet, seven "
        "times smaller than a model ignoring self-selection suggests (Dorotic, Bijmolt & Verhoef 2012: modest, "
        "often short-lived effects).",
        "financial_frequency = F6's member/non-member visit gap (> 3x, i.e. +200%) divided by Leenheer's 7 "
        "(self-selection): ~0.3 extra frequency at a full bond (range 0.1-0.5); the rebate (3%) is held fixed.",
        (-np.inf, 1.0),
        "does not pay off (Palmatier et al. 2006, Marketing Science)",
    ),
    Lever(
        "loyalty_program",
        "loyalty_program",
        {_F + "levers.financial.spend": 10000.0},
        "financial bond, targeted by value -> purchase frequency (F6)",
        "levers.financial_rate, financial_unit, financial_frequency",
        "Leenheer et al. 2007 (IJRM): causal effect on share of wallet small, 1/7 of the naive member gap; "
        "Dorotic et al. 2012 (IJMR review): modest, often short-lived effects, strong self-selection.",
        "as financial_bonds; tiered targeting (D8) puts the bond on high-value customers (self-selection).",
        (-np.inf, 3.0),
        "small positive causal effect (Leenheer et al. 2007), no profit magnitude: under the 3-per-unit cap",
    ),
    Lever(
        "social_bonds",
        "social_bonds",
        {_F + "levers.social.spend": 5000.0},
        "social bond stock -> loyalty, personnel value",
        "levers.social_rate, social_unit, social_value; loyalty.w_social",
        f"{_RMB2B}: social relationship-marketing investments pay off handsomely (B2B, customer-specific, "
        f"short-term profit). {_RM}: relationship investment has a large direct effect on objective "
        "performance; effects are larger where relationships are built with a person.",
        "the bond's weight in loyalty and its personnel value are assumptions sized so that the return lies "
        "in the band; the papers give the sign and the ranking (social > structural > financial), not our units.",
        (1.0, 3.0),
        "pays off (Palmatier et al. 2006, Marketing Science); above 3 not backed for a consumer market",
    ),
    Lever(
        "structural_bonds",
        "structural_bonds",
        {_F + "levers.structural.spend": 5000.0},
        "structural bond stock -> switching cost, service value (M7)",
        "levers.structural_rate, structural_unit, structural_value; churn.switching_cost",
        f"{_RMB2B}: structural investments are economically viable for customers serviced frequently.",
        "switching-cost damping and customised-service value are assumptions; sized so the return is near "
        "break-even (viable, not a windfall).",
        (-np.inf, 3.0),
        "viable only for customers serviced frequently (Palmatier et al. 2006, Marketing Science, B2B): no lower "
        "bound in a consumer market",
    ),
    Lever(
        "one_to_one",
        "one_to_one",
        {
            _F + "levers.one_to_one.spend": 4000.0,
            _F + "levers.database.spend": 2000.0,
            _F + "levers.tiered_service.cost": 500.0,
        },
        "share of wallet, perceived customisation, at-risk care (D11, M15)",
        "levers.one_to_one_wallet, one_to_one_unit, one_to_one_value, database_*",
        f"{_NO}. Gupta & Zeithaml 2006 (Marketing Science): customer metrics link to financial performance; "
        "no size for one-to-one programmes.",
        "share-of-wallet gain at saturating spend is an assumption (range 0.05-0.3).",
        (-np.inf, 3.0),
        "no source magnitude: held under the 3-per-unit cap",
        zero={
            _F + "levers.one_to_one.spend": 0.0,
            _F + "levers.database.spend": 0.0,
            _F + "levers.tiered_service.cost": 0.0,
        },
    ),
    Lever(
        "internal_marketing",
        "internal_marketing",
        {_F + "levers.internal_marketing.spend": 3000.0},
        "employee satisfaction -> service and personnel quality (M8) -> customer satisfaction",
        "employees.max_gain, spend_unit, service_effect",
        "Brown & Lam 2008 (J. Retailing meta-analysis): employee job satisfaction relates positively to customer "
        "satisfaction and perceived service quality; service quality completely mediates the link.",
        "the link runs only through service and personnel quality (Brown & Lam's mediation); its size "
        "(service_effect) is an assumption, range 0.05-0.2.",
        (-np.inf, 3.0),
        "positive satisfaction effect (Brown & Lam 2008); no profit magnitude: under the 3-per-unit cap",
    ),
    Lever(
        "supplier_partnership",
        "supplier_partnership",
        {_F + "levers.supplier.spend": 2000.0},
        "supplier rung (D5) -> input quality, unit cost, disruption protection",
        "supplier.climb, spend_unit, quality_per_rung, cost_per_rung",
        f"{_NO}.",
        "rung climb and quality per rung are assumptions.",
        (-np.inf, 3.0),
        "no source magnitude: held under the 3-per-unit cap",
    ),
    Lever(
        "distributor_partnership",
        "distributor_partnership",
        {_F + "levers.distributor.spend": 2000.0},
        "distributor partnership depth -> reach, convenience, point-of-sale service (M10)",
        "distributor.spend_unit, reach_gain, convenience, pos_service (exclusivity fee fixed)",
        f"{_NO}. {_RM}: relationship marketing is more effective in channel exchanges (sign only).",
        "reach, convenience and point-of-sale gains are assumptions; the exclusive contract is held fixed.",
        (-np.inf, 3.0),
        "no source magnitude: held under the 3-per-unit cap",
    ),
    Lever(
        "public_relations",
        "public_relations",
        {_F + "levers.public_relations.spend": 4000.0},
        "image score (D6, M12)",
        "levers.pr_unit, pr_image",
        f"{_NO}.",
        "image gain at saturating spend is an assumption.",
        (-np.inf, 3.0),
        "no source magnitude: held under the 3-per-unit cap",
    ),
    Lever(
        "coopetition",
        "coopetition",
        {"alliances.shared_rd.spend": 1500.0, "alliances.shared_channel.spend": 500.0},
        "product quality (shared R&D), cost per acquisition contact (M11)",
        "alliance quality_gain, speed, saving",
        f"{_NO}.",
        "quality gain and contact saving are scenario settings with assumed ranges.",
        (-np.inf, 3.0),
        "no source magnitude: held under the 3-per-unit cap",
    ),
    Lever(
        "retention_care",
        "baseline",
        {_F + "budget.retention": 1400.0},
        "perceived performance from after-sales care (M14)",
        "bonds.care_effect, care_unit",
        "Gupta, Lehmann & Stuart 2004 (J. Marketing Research): a 1% better retention raises customer value by "
        "about 5% (and a 1% better margin by 1%).",
        "care moves perceived performance, hence satisfaction and churn; its size is an assumption; the 0 arm "
        "is the baseline without care.",
        (-np.inf, 3.0),
        "no magnitude for care spend itself: under the 3-per-unit cap",
        zero={_F + "budget.retention": 0.0},
    ),
    Lever(
        "service_recovery",
        "service_recovery",
        {_F + "recovery_cost": 15.0},
        "recovered complaints -> satisfaction gap closed (D10)",
        "firms[].recovery_rate, complaints.threshold, probability, recovery_boost",
        "de Matos, Henrique & Rossi 2007 (J. Service Research meta-analysis): the recovery paradox is "
        "significant and positive on satisfaction, not significant on repurchase intention, word of mouth or "
        "image. Goodman (TARP): about half of consumers with a problem complain to a front-line person.",
        "a recovery closes recovery_boost (assumption, 0.2-0.8) of the complainer's gap to full satisfaction and "
        "touches nothing else (no loyalty or word-of-mouth bonus: de Matos et al.); complaints start below "
        "satisfaction 0.35, 0.1 per step (about half within 7 weeks: TARP's ~50%) -- rare at the baseline, "
        "so recovery alone moves little. recovery_only is the same "
        "recovery without the accountable relationship level the scenario bundles",
        (-np.inf, 3.0),
        "satisfaction up, repurchase not beyond that (de Matos et al. 2007)",
        multiples=(1.0,),
        extra_arms={"recovery_only": {_F + "levers.relationship_level": "basic"}},
    ),
    Lever(
        "full_relationship_marketing",
        "full_relationship_marketing",
        {},
        "every lever above at once",
        "all of the above",
        f"{_RM}: effects on objective performance are smaller than on relational mediators.",
        "the sum of the levers, each sized as above.",
        (-np.inf, 3.0),
        "no source magnitude: held under the 3-per-unit cap",
        multiples=(1.0,),
    ),
)
