"""The firm-level columns: what the DataCollector records for every firm every step (the timeseries),
the money columns of the accounts, and which of the six markets (D1) each spend serves.

A plain module (no agent): the output floor reads it without importing the Firm. The columns fed by
the kernels' totals come from the registry (``registry.TOTALS``); an import-time check keeps the two
in step.
"""

from __future__ import annotations

from sim.customers import registry as L

__all__ = [
    "FIRM_COLUMNS",
    "SPEND_COLUMNS",
    "COST_COLUMNS",
    "CREDIT_COLUMNS",
    "MARKET_SPEND",
    "MARKET_STATE",
    "BOOK_SUMS",
    "BOOK_MEANS",
    "BOOK_WOM",
]

# lever spends (currency per step), summed into `relationship_spend`
SPEND_COLUMNS = (
    "spend_financial",
    "spend_social",
    "spend_structural",
    "spend_relationship_level",
    "spend_one_to_one",
    "spend_database",
    "spend_tiering",
    "spend_internal",
    "spend_supplier",
    "spend_distributor",
    "spend_pr",
    "spend_poaching",
    "spend_alliance",
)
# profit = revenue - the sum of these, in this order (the money identity)
COST_COLUMNS = (
    "cogs",
    "serve_cost",
    "acquisition_spend",
    "retention_spend",
    "recovery_cost",
    "relationship_spend",
    "financing_cost",
    "bad_debt",  # F9: invoiced revenue never collected (0 with credit off)
)
# F9, recorded only with credit.enabled (the model drops them from the timeseries otherwise): the part of
# financing_cost that finances receivables, and each firm's customers by credit grade
CREDIT_COLUMNS = (
    "bad_debt",
    "receivables_financing",
    "credit_grade_a",
    "credit_grade_b",
    "credit_grade_c",
    "credit_grade_d",
)
# which of the six markets (D1) each spend serves
MARKET_SPEND = {
    "customer": (
        "acquisition_spend",
        "retention_spend",
        "recovery_cost",
        "spend_financial",
        "spend_social",
        "spend_structural",
        "spend_relationship_level",
        "spend_one_to_one",
        "spend_database",
        "spend_tiering",
    ),
    "competitor": ("spend_poaching", "spend_alliance"),
    "supplier": ("spend_supplier",),
    "distributor": ("spend_distributor",),
    "internal": ("spend_internal",),
    "stakeholder": ("spend_pr", "financing_cost"),
}
# the state of the firm's other markets, recorded every step
MARKET_STATE = (
    "price",
    "rebate",
    "unit_cost_effective",  # cost of goods per unit sold, currency per unit
    "gross_margin_per_unit",  # price - unit cost, currency per unit
    "product_quality",
    "service_quality",
    "personnel_quality",
    "image",
    "supplier_rung",
    "input_quality",
    "supply_disrupted",
    "distributor_partnership",
    "distributor_reach",
    "exclusive",
    "employee_satisfaction",
    "staff_turnover",
    "consumer_campaign",
    "lockin",
    "in_alliance",
    "cash",
)


def _fed(name: str) -> str:
    """The timeseries column the registry says total ``name`` feeds."""
    column = L.TOTALS[getattr(L.T, name)].column
    if column is None:
        raise ImportError(f"columns: total {name} feeds no column in the registry")
    return column


STAGE_COLUMNS = tuple(t.column for t in L.TOTALS if t.name.startswith("ST_") and t.column is not None)

# what the DataCollector records for every firm every step (the timeseries columns, in this order)
FIRM_COLUMNS = (
    _fed("CUSTOMERS"),
    _fed("ACQUIRED"),
    "churned",  # the four churn causes
    "retention_rate",
    "market_share",
    _fed("SAT"),
    _fed("TRUST"),
    _fed("LOYALTY"),
    _fed("REVENUE"),
    "units_sold",  # revenue / price: units of basket sold (currency at price index 1)
    "cost",
    "profit",
    _fed("CLV"),
    _fed("CHURN_DIS"),
    _fed("CHURN_COMP"),
    _fed("CHURN_STAFF"),
    _fed("CHURN_OWN"),
    _fed("PRUNED"),
    _fed("TO_RIVAL"),
    _fed("LAPSED"),
    _fed("FROM_RIVAL"),
    _fed("ACQ_REFERRAL"),
    _fed("WON_BACK"),
    _fed("PURCHASES"),
    _fed("REV_RETURNING"),
    _fed("MARGIN"),
    _fed("MARGIN_RETURNING"),
    *COST_COLUMNS,
    *SPEND_COLUMNS,
    _fed("COMPLAINTS"),
    _fed("RECOVERIES"),
    _fed("DELIGHTED"),
    _fed("BOND_FIN"),
    _fed("BOND_SOC"),
    _fed("BOND_STR"),
    _fed("POS_EPISODES"),
    _fed("POS_CONTACTS"),
    "positive_deals",  # praised non-customers (F4)
    _fed("FROM_PRAISE"),
    _fed("NEG_EPISODES"),
    _fed("NEG_CONTACTS"),
    *STAGE_COLUMNS,
    *MARKET_STATE,
    *CREDIT_COLUMNS[1:],  # bad_debt is a cost column
)

# how a firm books the totals: (index into T, column) of sums and of means per customer, by pass
BOOK_SUMS = tuple((k, t.column) for k, t in enumerate(L.TOTALS) if t.column and not t.mean and t.source == "customers")
BOOK_MEANS = tuple((k, t.column) for k, t in enumerate(L.TOTALS) if t.column and t.mean)
BOOK_WOM = tuple((k, t.column) for k, t in enumerate(L.TOTALS) if t.column and t.source == "wom")


def _check() -> None:
    fed = [t.column for t in L.TOTALS if t.column is not None]
    if len(set(FIRM_COLUMNS)) != len(FIRM_COLUMNS):
        raise ImportError("columns: a firm column is listed twice")
    if missing := set(fed) - set(FIRM_COLUMNS):
        raise ImportError(f"columns: totals feed columns missing from FIRM_COLUMNS: {sorted(missing)}")
    if any(t.mean and t.source != "customers" for t in L.TOTALS):
        raise ImportError("columns: only the customer pass's totals are averaged per customer")
    if len(BOOK_SUMS) + len(BOOK_MEANS) + len(BOOK_WOM) != len(fed):
        raise ImportError("columns: every total that feeds a column is booked exactly once")


_check()
