"""The registry: one table of every name that crosses the boundary between the market and the arrays.

Everything else is built from these tables (in the spirit of Covasim's ``defaults.py``):

- ``STATE``: the customer columns of :class:`~sim.customers.population.CustomerPopulation`, with their
  dtypes, in the order the customer kernel takes them;
- ``PARAMS``: the scalar kernel parameters ``p``, each with where its value comes from in the scenario
  (a dotted path, or a small function for a derived value); :func:`kernel_params` builds ``p``;
- ``FIRM_INPUTS`` (``fp``), ``SEGMENT_INPUTS`` (``seg``), ``SEGMENT_FIRM_INPUTS`` (``sf``): the small
  arrays the market side fills each step (``sim.market.inputs``);
- ``TOTALS``: the per-firm totals the two passes return (``T``), each with the timeseries column it
  feeds (or None) and whether the firm divides it by its customers to get a mean.

For Python the names are ``_Idx`` objects (``T.SAT``, ``T.names``); for numba they are module-level
ints generated from the same tables (``T_SAT``, ``P_NOISE``...), which numba folds into the compiled
code as constants. Adding a scalar parameter = a schema field + one line in ``PARAMS`` + its use in
the kernel and the reference.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from sim.scenario import Scenario

__all__ = [
    "STAGES",
    "STATE",
    "NEVER_BOUGHT",
    "PARAMS",
    "FIRM_INPUTS",
    "SEGMENT_INPUTS",
    "SEGMENT_FIRM_INPUTS",
    "TOTALS",
    "P",
    "FP",
    "SF",
    "SEG",
    "T",
    "Total",
    "kernel_params",
    "check_stage_columns",
    "constants",
    "n_chunks_for",
    "CHUNK",
]

# ----------------------------------------------------------------- lifecycle stages (D10)
STAGES = ("prospect", "new", "growing", "loyal", "at_risk", "lapsed", "won_back")

# ----------------------------------------------------------------- customer state (one array each)
STATE: tuple[tuple[str, str], ...] = (
    ("firm", "int8"),  # firm index, -1 = not a customer
    ("segment", "int8"),
    ("stage", "int8"),  # STAGES (D10)
    ("last_firm", "int8"),  # the firm most recently left (-1 none); for win-back (D10)
    ("voice", "int8"),  # word of mouth to deliver next step: +(f+1) praise, -(f+1) complaint (M5)
    ("tenure", "int16"),  # steps with the current firm
    ("n_purchases", "uint16"),
    ("last_purchase", "int32"),  # step of the last purchase (0 = the step before step 1), NEVER_BOUGHT if none
    ("expectation", "float32"),  # (M1)
    ("satisfaction", "float32"),  # [0, 1] (M1)
    ("trust", "float32"),  # [0, 1] (M4)
    ("loyalty", "float32"),  # [0, 1] (M3)
    ("bond_fin", "float32"),  # financial bond stock (D3 level 1)
    ("bond_soc", "float32"),  # social bond stock (D3 level 2)
    ("bond_str", "float32"),  # structural bond stock (D3 level 3)
    ("cum_margin", "float32"),  # margin earned from this person over the run (F7, CLV)
    ("cum_revenue", "float32"),  # revenue from this person over the run (F7)
    ("wallet", "float32"),  # spend multiplier, lognormal with mean 1 (F7)
    ("freq", "float32"),  # purchase-frequency multiplier
    ("own_churn", "float32"),  # per-step probability of leaving for own reasons (D12)
    ("wom_pos_firm", "int8"),  # receive buffers filled by the word-of-mouth pass (M5)
    ("wom_pos_n", "uint8"),
    ("wom_neg_firm", "int8"),
    ("wom_neg_n", "uint8"),
    ("pclass", "int8"),  # D8 pyramid class with its firm, 0 platinum .. 3 lead, -1 none (sim.customers.portfolio)
    ("credit_grade", "int8"),  # F9 grade, 0 = A .. 3 = D (sim.scenario.credit.grade_of); 0 with credit off
    ("collection_rate", "float32"),  # F9: share of invoiced revenue paid within 24 months; 1 with credit off
    ("payment_term", "int16"),  # F9: days the customer takes to pay; 0 with credit off
)


NEVER_BOUGHT = -(2**31)  # ``last_purchase`` of a person who never bought (int32's minimum)


# ----------------------------------------------------------------- scalar kernel parameters ``p``
def _disc(sc: Scenario) -> float:  # per-step discount rate of CLV (F7)
    return (1.0 + sc.discount_rate) ** (1.0 / sc.steps_per_year) - 1.0


def _inv_floor(sc: Scenario) -> float:
    return 1.0 / max(sc.dynamics.churn.satisfaction_floor, 1e-12)


Source = str | Callable[["Scenario"], float]
PARAMS: tuple[tuple[str, Source], ...] = (
    ("NOISE", "dynamics.satisfaction.perception_noise"),
    ("TOL", "dynamics.satisfaction.tolerance"),
    ("SAT_SPEED", "dynamics.satisfaction.speed"),
    ("EXP_SPEED", "dynamics.satisfaction.expectation_speed"),
    ("ANCHOR", "dynamics.satisfaction.market_anchor"),
    ("DELIGHT", "dynamics.satisfaction.delight_margin"),
    ("BREAK", "dynamics.trust.break_margin"),
    ("TRUST_DROP", "dynamics.trust.drop"),
    ("TRUST_GAIN", "dynamics.trust.gain"),
    ("SAT_POW", "dynamics.loyalty.satisfaction_power"),
    ("W_SAT", "dynamics.loyalty.w_satisfaction"),
    ("W_DELIGHT", "dynamics.loyalty.w_delight"),
    ("W_TRUST", "dynamics.loyalty.w_trust"),
    ("W_FIN", "dynamics.loyalty.w_financial"),
    ("W_SOC", "dynamics.loyalty.w_social"),
    ("W_STR", "dynamics.loyalty.w_structural"),
    ("LOY_SPEED", "dynamics.loyalty.speed"),
    ("LOYAL_TH", "dynamics.loyalty.loyal_threshold"),
    ("COMPLAIN_TH", "dynamics.complaints.threshold"),
    ("COMPLAIN_P", "dynamics.complaints.probability"),
    ("RECOVERY_BOOST", "dynamics.complaints.recovery_boost"),
    ("POS_P", "dynamics.wom.positive_probability"),
    ("REF_CONV", "dynamics.wom.referral_conversion"),
    ("REF_PULL", "dynamics.wom.referral_pull"),
    ("NEG_IMPACT", "dynamics.wom.negative_impact"),
    ("NEG_BLOCK", "dynamics.wom.negative_block"),
    ("CH_DIS", "dynamics.churn.dissatisfaction"),
    ("SAT_FLOOR", "dynamics.churn.satisfaction_floor"),
    ("CH_COMP", "dynamics.churn.competition"),
    ("SWITCH_SHARE", "dynamics.churn.switch_share"),
    ("SWITCH_COST", "dynamics.churn.switching_cost"),
    ("FIN_DAMP", "dynamics.churn.financial_damping"),
    ("DECAY_FIN", "dynamics.bonds.decay_financial"),
    ("DECAY_SOC", "dynamics.bonds.decay_social"),
    ("DECAY_STR", "dynamics.bonds.decay_structural"),
    ("NEW_STEPS", "dynamics.new_steps"),
    ("SOW_FLOOR", "dynamics.share_of_wallet_floor"),
    ("LOY_FREQ", "dynamics.loyalty_frequency"),
    ("DISC", _disc),
    ("SAT0", "dynamics.satisfaction.initial"),
    ("TRUST0", "dynamics.trust.initial"),
    ("LOY0", "dynamics.loyalty.initial"),
    ("INV_TOL", lambda sc: 1.0 / sc.dynamics.satisfaction.tolerance),
    ("INV_FLOOR", _inv_floor),
    ("FIN_FREQ", "dynamics.levers.financial_frequency"),
    ("OWN_ON_PURCHASE", "dynamics.churn.own_after_purchase"),
    ("RETURNING", "dynamics.returning_after"),
    ("CREDIT", lambda sc: 1.0 if sc.credit.enabled else 0.0),  # F9: tally bad debt and receivables
)

# ----------------------------------------------------------------- per-step inputs from the market
FIRM_INPUTS = (  # fp[f, :], filled by Firm.kernel_row
    "CARE",  # care per customer: retention spend, relationship level, one-to-one (M14, D4, D11)
    "RECOVERY",  # probability a complaint is recovered (D10, M5)
    "MARGIN",  # margin rate at this step's price: 1 - unit cost / price (negative below cost)
    "PRICE",  # price as customers pay it
    "SERVE",  # cost to serve per purchase
    "INV_FIN",  # bond investment rates (D3)
    "INV_SOC",
    "INV_STR",
    "NEG_RAND",  # share of people reached by complaints about the firm, amplified (M5, M12)
    "LOCKIN",  # government lock-in of the firm's customers (M12)
    "TIER",  # tiered-service targeting (D8)
    "PRUNE",  # 1 = end unprofitable relationships (D8)
    "STAFF",  # hazard of following a leaving employee (M8)
    "SOW",  # extra share of wallet from one-to-one (D11)
    "RISK",  # care aimed at at-risk customers by database marketing (M15)
    # D8 class targeting: the factor on bond investment of a customer with no class, then of each pyramid class
    # (contiguous, in sim.scenario.portfolio.PYRAMID_CLASSES order; all 1 without targeting)
    "CLASS_NONE",
    "CLASS_PLATINUM",
    "CLASS_GOLD",
    "CLASS_IRON",
    "CLASS_LEAD",
    # F9 credit terms by grade, days (contiguous, A..D: read as FP_TERM_A + grade), and each grade's
    # purchase-probability factor under them (1 = not cut; contiguous, A..D)
    "TERM_A",
    "TERM_B",
    "TERM_C",
    "TERM_D",
    "BUY_A",
    "BUY_B",
    "BUY_C",
    "BUY_D",
)
SEGMENT_FIRM_INPUTS = (  # sf[s, f, :]
    "VALUE",  # delivered value (D6)
    "ACQ",  # adoption hazard of a prospect (F4, F5)
    "ACQ_REF",  # its part owed to word of mouth (M5)
    "ATTRACT",  # attractiveness to prospects
    "GAP",  # value gap to the best rival (M7)
    "BEST",  # index of the best rival (-1 none)
    "PULL",  # pull of rivals' praise (M5)
    "POACH",  # poaching hazard aimed at the firm's customers (M6)
    "POACHER",  # the firm that poaches
)
SEGMENT_INPUTS = (  # seg[s, :]
    "REF",  # market-average delivered value (M1's anchor)
    "BASKET",
    "RATE",  # purchase rate
    "NETWORK",  # network value
)


# ----------------------------------------------------------------- per-firm totals ``T``
class Total(NamedTuple):
    """A per-firm total: the timeseries column it feeds (None: used otherwise), whether the firm
    divides it by its customers (a mean), and which pass fills it ("customers" or "wom")."""

    name: str
    column: str | None = None
    mean: bool = False
    source: str = "customers"


TOTALS: tuple[Total, ...] = (
    Total("CUSTOMERS", "customers"),
    Total("SERVED"),  # purchases served: the cost to serve
    Total("ACQUIRED", "acquired"),
    Total("ACQ_REFERRAL", "referral_acquisitions"),
    Total("WON_BACK", "won_back"),
    Total("FROM_RIVAL", "acquired_from_rival"),
    Total("CHURN_DIS", "churn_dissatisfaction"),
    Total("CHURN_COMP", "churn_competition"),
    Total("CHURN_OWN", "churn_own"),
    Total("TO_RIVAL", "switched_to_rival"),
    Total("LAPSED", "lapsed"),
    Total("PURCHASES", "purchases"),
    Total("REVENUE", "revenue"),
    Total("REV_RETURNING", "revenue_returning"),
    Total("MARGIN", "gross_margin"),
    Total("MARGIN_RETURNING", "margin_returning"),
    Total("SAT", "satisfaction", mean=True),
    Total("TRUST", "trust", mean=True),
    Total("LOYALTY", "loyalty", mean=True),
    Total("BOND_FIN", "bond_financial", mean=True),
    Total("BOND_SOC", "bond_social", mean=True),
    Total("BOND_STR", "bond_structural", mean=True),
    Total("COMPLAINTS", "complaints"),
    Total("RECOVERIES", "recoveries"),
    Total("DELIGHTED", "delighted"),
    Total("CLV", "customer_equity"),
    Total("POS_EPISODES", "positive_episodes", source="wom"),
    Total("POS_CONTACTS", "positive_contacts", source="wom"),
    Total("NEG_EPISODES", "negative_episodes", source="wom"),
    Total("NEG_CONTACTS", "negative_contacts", source="wom"),
    Total("POS_RANDOM", source="wom"),  # praise to random people (M5): market inputs, positive_deals
    Total("NEG_RANDOM", source="wom"),
    Total("CHURN_STAFF", "churn_staff"),
    Total("PRUNED", "ended_by_firm"),
    Total("POS_DEALS", source="wom"),  # praised non-customers (F4): positive_deals
    Total("FROM_PRAISE", "won_by_praise"),
    # the customers in each stage (D10), contiguous and in STAGES order; prospects and lapsed
    # people count in the non-customers' row
    *(Total(f"ST_{s.upper()}", None if s in ("prospect", "lapsed") else f"stage_{s}") for s in STAGES),
    Total("BAD_DEBT", "bad_debt"),  # F9: invoiced revenue that will not be collected, currency
    Total("RECEIVABLE_DAYS"),  # F9: invoiced revenue x the days it stays unpaid (currency-days): financing
)


class _Idx:
    """Named column indices into one of the small arrays (numba sees them as constants)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        if len(set(self.names)) != len(self.names):
            raise ImportError(f"registry: duplicate names in {self.names}")
        for k, name in enumerate(self.names):
            setattr(self, name, k)

    def __len__(self) -> int:
        return len(self.names)


P = _Idx([name for name, _ in PARAMS])
FP = _Idx(FIRM_INPUTS)
SF = _Idx(SEGMENT_FIRM_INPUTS)
SEG = _Idx(SEGMENT_INPUTS)
T = _Idx([t.name for t in TOTALS])


def constants() -> dict[str, int]:
    """The module-level ints numba folds in: ``P_NOISE``, ``FP_CARE``, ``T_CUSTOMERS``, ``PROSPECT``..."""
    out = {stage.upper(): k for k, stage in enumerate(STAGES)}
    for prefix, idx in (("P", P), ("FP", FP), ("SF", SF), ("SEG", SEG), ("T", T)):
        out.update({f"{prefix}_{name}": k for k, name in enumerate(idx.names)})
    return out


def check_stage_columns(names: Sequence[str], stages: Sequence[str] = STAGES) -> None:
    """The kernels tally a customer's stage as ``T_ST_PROSPECT + stage``: the stage totals must be
    contiguous and in ``STAGES`` order. Raise ImportError if they are not."""
    want = [f"ST_{s.upper()}" for s in stages]
    try:
        first = list(names).index(want[0])
    except ValueError:
        raise ImportError(f"registry: no total {want[0]}") from None
    got = list(names[first : first + len(want)])
    if got != want:
        raise ImportError(f"registry: stage totals must be contiguous and in STAGES order: {want}, got {got}")


check_stage_columns(T.names)
globals().update(constants())


def kernel_params(sc: Scenario) -> np.ndarray:
    """The scalar parameter vector ``p`` of the kernel, in the order of ``P``, from ``PARAMS``."""
    values = [float(src(sc) if callable(src) else operator.attrgetter(src)(sc)) for _, src in PARAMS]
    return np.array(values, dtype=np.float64)


CHUNK = 8192  # customers per chunk: fixed, so chunking never depends on the thread count


def n_chunks_for(n: int) -> int:
    """Chunks of ``n`` customers; per-chunk totals are summed in this fixed order."""
    return max(1, (n + CHUNK - 1) // CHUNK)
