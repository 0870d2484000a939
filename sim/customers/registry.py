"""The layout shared by the kernels and the Python side: named column indices of the small parameter
arrays the model passes in (``p``, ``fp``, ``sf``, ``seg``), of the per-firm totals it reads back (``T``),
and the lifecycle stages (D10).

The names exist twice on purpose: as ``_Idx`` lists for Python (``T.SAT``, ``T.names``) and as
module-level ints for numba (``T_SAT``), which folds them into the compiled code; an import-time check
keeps the two in step.
"""

from __future__ import annotations

__all__ = ["P", "FP", "SF", "SEG", "T", "STAGES", "n_chunks_for", "CHUNK"]

# ----------------------------------------------------------------- lifecycle stages (D10)
PROSPECT, NEW, GROWING, LOYAL, AT_RISK, LAPSED, WON_BACK = range(7)
STAGES = ("prospect", "new", "growing", "loyal", "at_risk", "lapsed", "won_back")


class _Idx:
    """Named column indices into the small parameter arrays (numba sees them as constants)."""

    def __init__(self, *names: str) -> None:
        self.names = names
        for k, name in enumerate(names):
            setattr(self, name, k)

    def __len__(self) -> int:
        return len(self.names)


# scalar kernel parameters
P = _Idx(
    "NOISE",
    "TOL",
    "SAT_SPEED",
    "EXP_SPEED",
    "ANCHOR",
    "DELIGHT",
    "BREAK",
    "TRUST_DROP",
    "TRUST_GAIN",
    "SAT_POW",
    "W_SAT",
    "W_DELIGHT",
    "W_TRUST",
    "W_FIN",
    "W_SOC",
    "W_STR",
    "LOY_SPEED",
    "LOYAL_TH",
    "COMPLAIN_TH",
    "COMPLAIN_P",
    "RECOVERY_BOOST",
    "POS_P",
    "REF_CONV",
    "REF_PULL",
    "NEG_IMPACT",
    "NEG_BLOCK",
    "CH_DIS",
    "SAT_FLOOR",
    "CH_COMP",
    "SWITCH_SHARE",
    "SWITCH_COST",
    "FIN_DAMP",
    "DECAY_FIN",
    "DECAY_SOC",
    "DECAY_STR",
    "NEW_STEPS",
    "SOW_FLOOR",
    "LOY_FREQ",
    "DISC",
    "SAT0",
    "TRUST0",
    "LOY0",
    "INV_TOL",
    "INV_FLOOR",
    "FIN_FREQ",
    "OWN_ON_PURCHASE",
    "RETURNING",
)
# per-firm parameters
FP = _Idx(
    "CARE",
    "RECOVERY",
    "MARGIN",
    "PRICE",
    "SERVE",
    "INV_FIN",
    "INV_SOC",
    "INV_STR",
    "NEG_RAND",
    "LOCKIN",
    "TIER",
    "PRUNE",
    "STAFF",
    "SOW",
    "RISK",
)
# per (segment, firm) parameters
SF = _Idx("VALUE", "ACQ", "ACQ_REF", "ATTRACT", "GAP", "BEST", "PULL", "POACH", "POACHER")
# per-segment parameters
SEG = _Idx("REF", "BASKET", "RATE", "NETWORK")
# per-firm totals returned each step (the extra last row, index F, holds non-customers)
T = _Idx(
    "CUSTOMERS",
    "SERVED",
    "ACQUIRED",
    "ACQ_REFERRAL",
    "WON_BACK",
    "FROM_RIVAL",
    "CHURN_DIS",
    "CHURN_COMP",
    "CHURN_OWN",
    "TO_RIVAL",
    "LAPSED",
    "PURCHASES",
    "REVENUE",
    "REV_RETURNING",
    "MARGIN",
    "MARGIN_RETURNING",
    "SAT",
    "TRUST",
    "LOYALTY",
    "BOND_FIN",
    "BOND_SOC",
    "BOND_STR",
    "COMPLAINTS",
    "RECOVERIES",
    "DELIGHTED",
    "CLV",
    "POS_EPISODES",
    "POS_CONTACTS",
    "NEG_EPISODES",
    "NEG_CONTACTS",
    "POS_RANDOM",
    "NEG_RANDOM",
    "CHURN_STAFF",
    "PRUNED",
    "POS_DEALS",
    "FROM_PRAISE",
    "ST_PROSPECT",
    "ST_NEW",
    "ST_GROWING",
    "ST_LOYAL",
    "ST_AT_RISK",
    "ST_LAPSED",
    "ST_WON_BACK",
)


# module-level constants: numba folds them into the compiled code
(
    P_NOISE,
    P_TOL,
    P_SAT_SPEED,
    P_EXP_SPEED,
    P_ANCHOR,
    P_DELIGHT,
    P_BREAK,
    P_TRUST_DROP,
    P_TRUST_GAIN,
    P_SAT_POW,
    P_W_SAT,
    P_W_DELIGHT,
    P_W_TRUST,
    P_W_FIN,
    P_W_SOC,
    P_W_STR,
    P_LOY_SPEED,
    P_LOYAL_TH,
    P_COMPLAIN_TH,
    P_COMPLAIN_P,
    P_RECOVERY_BOOST,
    P_POS_P,
    P_REF_CONV,
    P_REF_PULL,
    P_NEG_IMPACT,
    P_NEG_BLOCK,
    P_CH_DIS,
    P_SAT_FLOOR,
    P_CH_COMP,
    P_SWITCH_SHARE,
    P_SWITCH_COST,
    P_FIN_DAMP,
    P_DECAY_FIN,
    P_DECAY_SOC,
    P_DECAY_STR,
    P_NEW_STEPS,
    P_SOW_FLOOR,
    P_LOY_FREQ,
    P_DISC,
    P_SAT0,
    P_TRUST0,
    P_LOY0,
    P_INV_TOL,
    P_INV_FLOOR,
    P_FIN_FREQ,
    P_OWN_ON_PURCHASE,
    P_RETURNING,
) = range(47)
(
    FP_CARE,
    FP_RECOVERY,
    FP_MARGIN,
    FP_PRICE,
    FP_SERVE,
    FP_INV_FIN,
    FP_INV_SOC,
    FP_INV_STR,
    FP_NEG_RAND,
    FP_LOCKIN,
    FP_TIER,
    FP_PRUNE,
    FP_STAFF,
    FP_SOW,
    FP_RISK,
) = range(15)
SF_VALUE, SF_ACQ, SF_ACQ_REF, SF_ATTRACT, SF_GAP, SF_BEST, SF_PULL, SF_POACH, SF_POACHER = range(9)
SEG_REF, SEG_BASKET, SEG_RATE, SEG_NETWORK = range(4)
(
    T_CUSTOMERS,
    T_SERVED,
    T_ACQUIRED,
    T_ACQ_REFERRAL,
    T_WON_BACK,
    T_FROM_RIVAL,
    T_CHURN_DIS,
    T_CHURN_COMP,
    T_CHURN_OWN,
    T_TO_RIVAL,
    T_LAPSED,
    T_PURCHASES,
    T_REVENUE,
    T_REV_RETURNING,
    T_MARGIN,
    T_MARGIN_RETURNING,
    T_SAT,
    T_TRUST,
    T_LOYALTY,
    T_BOND_FIN,
    T_BOND_SOC,
    T_BOND_STR,
    T_COMPLAINTS,
    T_RECOVERIES,
    T_DELIGHTED,
    T_CLV,
    T_POS_EPISODES,
    T_POS_CONTACTS,
    T_NEG_EPISODES,
    T_NEG_CONTACTS,
    T_POS_RANDOM,
    T_NEG_RANDOM,
    T_CHURN_STAFF,
    T_PRUNED,
    T_POS_DEALS,
    T_FROM_PRAISE,
    T_ST_PROSPECT,
    T_ST_NEW,
    T_ST_GROWING,
    T_ST_LOYAL,
    T_ST_AT_RISK,
    T_ST_LAPSED,
    T_ST_WON_BACK,
) = range(43)

for _prefix, _idx in (("P", P), ("FP", FP), ("SF", SF), ("SEG", SEG), ("T", T)):  # the two lists must agree
    for _k, _name in enumerate(_idx.names):
        if globals().get(f"{_prefix}_{_name}") != _k:
            raise ImportError(f"layout: constant {_prefix}_{_name} does not match its name list")

CHUNK = 8192  # customers per chunk: fixed, so chunking never depends on the thread count


def n_chunks_for(n: int) -> int:
    """Chunks of ``n`` customers; per-chunk totals are summed in this fixed order."""
    return max(1, (n + CHUNK - 1) // CHUNK)
