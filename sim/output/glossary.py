"""One glossary of every number the outputs show: run metrics, timeseries columns and headlines.

Each entry has a plain label, a unit, a one-line definition and a kind:
- ``emergent``: produced by the simulated customers and firms (what the model is for);
- ``input``: an input of the scenario read back (a price, a spend set by the strategy);
- ``calibrated``: computed with a calibrated or assumed parameter (customer equity uses the discount rate).

Units may hold two placeholders filled from the scenario: ``{currency}`` (the scenario's ``currency``
key, shown as "currency units" when unset) and ``{step}`` (the time step: "week" when
``steps_per_year`` is 52). Reports, figures, the labelled CSV and ``summary.json`` all read this module;
``tests/test_report_readable.py`` fails when an output carries a name without an entry here.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

__all__ = [
    "Term",
    "GLOSSARY",
    "RUN_METRICS",
    "term",
    "label",
    "unit",
    "label_with_unit",
    "step_name",
    "currency_name",
    "units_of",
    "closest",
    "unknown_metric",
    "metric_lines",
]

Kind = Literal["emergent", "input", "calibrated"]


class Term(NamedTuple):
    label: str
    unit: str  # may hold {currency} and {step}
    definition: str
    kind: Kind = "emergent"


_C, _CS = "{currency}", "{currency} per {step}"
_P, _PS = "people", "people per {step}"
_S = "score 0-1"
_F = "flag 0/1"

GLOSSARY: dict[str, Term] = {
    # ---- run metrics (sim.experiments.metrics.run_metrics), one value per firm and run
    "annual_retention": Term("Annual retention", "share of customers", "product of the last year's weekly retention rates"),
    "churn_rate": Term("Churn rate", "customers lost per customer-year", "customers who left, per customer-year served"),
    "customers_final": Term("Customers at the end", "people", "customers of the firm at the last step"),
    "market_share_final": Term("Market share at the end", "share of population", "customers / population, last step"),
    "satisfaction_final": Term("Satisfaction at the end", _S, "mean satisfaction of the firm's customers (M1)"),
    "loyalty_final": Term("Loyalty at the end", _S, "mean loyalty of the firm's customers (M3)"),
    "trust_final": Term("Trust at the end", _S, "mean trust of the firm's customers (M2)"),
    "profit_total": Term("Total profit over the run", _C, "revenue minus every cost, summed over the horizon"),
    "profit_per_period": Term("Profit per period", _CS, "mean profit per step"),
    "customer_equity_final": Term(
        "Customer equity at the end", _C, "discounted expected margin of today's customers (CLV sum)", "calibrated"
    ),
    "acquisition_spend_total": Term("Acquisition spend", _C, "spend on winning new customers over the run", "input"),
    "retention_spend_total": Term("Retention spend", _C, "after-sales care spend over the run", "input"),
    "relationship_spend_total": Term(
        "Relationship spend", _C, "retention + recovery + every lever's spend over the run", "input"
    ),
    "return_on_relationship_spend": Term(
        "Return on relationship spend",
        f"{_C} of profit per {_C} spent",
        "extra profit / extra relationship spend against the baseline, same replication",
    ),
    "returning_margin_share": Term(
        "Margin from returning customers", "share of gross margin", "gross margin from customers in their 2nd year+ (F3)"
    ),
    "top20_revenue_share": Term("Revenue share of the top 20%", "share of revenue", "revenue of the top 20% customers (F7)"),
    # ---- headlines of one run (sim.output.headlines.firm_headlines), summary.json
    "retention_rate_mean": Term("Mean weekly retention", "share per {step}", "mean of the per-step retention rates"),
    "acquired_total": Term("Customers acquired", "people", "new customers over the run"),
    "churned_total": Term("Customers lost", "people", "customers who left over the run (all four causes)"),
    "revenue_total": Term("Total revenue", _C, "revenue over the run"),
    "cost_total": Term("Total cost", _C, "every cost over the run"),
    "acquisition_cost": Term("Cost per acquired customer", f"{_C} per customer", "acquisition spend / customers acquired"),
    "retention_cost_per_customer_year": Term(
        "Retention cost per customer-year", f"{_C} per customer-year", "retention spend / customer-years served"
    ),
    "referral_share_of_acquisitions": Term(
        "Acquisitions by referral", "share of acquisitions", "new customers won by word of mouth (M5)"
    ),
    # ---- summary.json market section (sim.output.headlines.market_summary)
    "spend_total": Term("Spend in the market", _C, "spend on one of the six markets over the run (D1)", "input"),
    "spend_share_of_revenue": Term("Spend share of revenue", "share of revenue", "that spend / revenue (D1)", "input"),
    # ---- timeseries columns (one row per step and firm)
    "step": Term("Time", "{step}s since the start", "the step of the simulation (0 = the start state)", "input"),
    "firm": Term("Firm", "name", "the firm the row describes", "input"),
    "customers": Term("Customers", "people", "customers of the firm at the end of the step"),
    "acquired": Term("Customers acquired", _PS, "new customers this step"),
    "churned": Term("Customers lost", _PS, "customers who left this step (dissatisfaction, rivals, staff, own)"),
    "retention_rate": Term("Retention rate", "share per {step}", "1 - (lost + ended by the firm) / customers at start"),
    "market_share": Term("Market share", "share of population", "customers / population"),
    "satisfaction": Term("Satisfaction", _S, "mean satisfaction of the firm's customers (M1)"),
    "trust": Term("Trust", _S, "mean trust of the firm's customers (M2)"),
    "loyalty": Term("Loyalty", _S, "mean loyalty of the firm's customers (M3)"),
    "revenue": Term("Revenue", _CS, "what customers paid after rebates and price cuts"),
    "units_sold": Term("Units sold", "units per {step}", "revenue / price"),
    "cost": Term("Cost", _CS, "every cost of the step"),
    "profit": Term("Profit", _CS, "revenue minus cost"),
    "customer_equity": Term("Customer equity", _C, "discounted expected margin of current customers", "calibrated"),
    "churn_dissatisfaction": Term("Lost: dissatisfied", _PS, "customers who left because they were dissatisfied"),
    "churn_competition": Term("Lost: to competition", _PS, "customers who left for a rival's offer"),
    "churn_staff": Term("Lost: with departing staff", _PS, "customers who followed departing staff (D12)"),
    "churn_own": Term("Lost: own reasons", _PS, "customers who left for reasons of their own"),
    "ended_by_firm": Term("Relationships ended by the firm", _PS, "unprofitable customers the firm let go (pruning)"),
    "switched_to_rival": Term("Switched to a rival", _PS, "lost customers who bought from a rival next"),
    "lapsed": Term("Lapsed", _PS, "lost customers who bought from nobody next"),
    "acquired_from_rival": Term("Won from rivals", _PS, "new customers who came from a rival"),
    "referral_acquisitions": Term("Won by referral", _PS, "new customers won by word of mouth (M5)"),
    "won_back": Term("Won back", _PS, "former customers who returned"),
    "purchases": Term("Purchases", "purchases per {step}", "purchases by the firm's customers"),
    "revenue_returning": Term("Revenue from returning customers", _CS, "revenue from customers in their 2nd year+"),
    "gross_margin": Term("Gross margin", _CS, "revenue minus the cost of goods"),
    "margin_returning": Term("Margin from returning customers", _CS, "gross margin from customers in 2nd year+ (F3)"),
    "cogs": Term("Cost of goods", _CS, "units sold x unit cost"),
    "serve_cost": Term("Cost to serve", _CS, "purchases served x cost to serve", "input"),
    "acquisition_spend": Term("Acquisition spend", _CS, "spend on winning new customers", "input"),
    "retention_spend": Term("Retention spend", _CS, "after-sales care spend", "input"),
    "recovery_cost": Term("Service recovery cost", _CS, "recoveries x cost per recovery", "input"),
    "relationship_spend": Term("Lever spend", _CS, "sum of the relationship levers' spends", "input"),
    "financing_cost": Term("Financing cost", _CS, "interest on negative cash", "input"),
    "complaints": Term("Complaints", "complaints per {step}", "complaints by customers (M1)"),
    "recoveries": Term("Service recoveries", "recoveries per {step}", "complaints the firm put right"),
    "delighted": Term("Delighted customers", _PS, "customers delighted by a recovery or service"),
    "bond_financial": Term("Financial bond", _S, "mean financial bond of customers (Berry level 1)"),
    "bond_social": Term("Social bond", _S, "mean social bond of customers (Berry level 2)"),
    "bond_structural": Term("Structural bond", _S, "mean structural bond of customers (Berry level 3)"),
    "positive_episodes": Term("Praise episodes", "episodes per {step}", "customers who praised the firm (M5)"),
    "positive_contacts": Term("People praised to", _PS, "contacts reached by praise (M5)"),
    "positive_deals": Term("Praised non-customers", _PS, "praised people who buy from nobody yet (F4)"),
    "won_by_praise": Term("Won by praise", _PS, "new customers won through praise (F4)"),
    "negative_episodes": Term("Complaint episodes", "episodes per {step}", "customers who spoke badly of the firm"),
    "negative_contacts": Term("People warned off", _PS, "contacts reached by negative word of mouth"),
    "stage_new": Term("Customers: new", "people", "customers in the first stage of the relationship"),
    "stage_growing": Term("Customers: growing", "people", "customers whose relationship is growing"),
    "stage_loyal": Term("Customers: loyal", "people", "customers in the loyal stage"),
    "stage_at_risk": Term("Customers: at risk", "people", "customers at risk of leaving"),
    "stage_won_back": Term("Customers: won back", "people", "customers who returned after leaving"),
    "price": Term("Price index", "index (1 = list price)", "price the firm charges", "input"),
    "rebate": Term("Rebate", "share of price", "rebate of the loyalty or financial lever", "input"),
    "unit_cost_effective": Term("Unit cost", f"{_C} per unit", "cost of goods per unit sold"),
    "gross_margin_per_unit": Term("Margin per unit", f"{_C} per unit", "price minus unit cost"),
    "product_quality": Term("Product quality", "quality 0-1", "quality of the product offered", "input"),
    "service_quality": Term("Service quality", "quality 0-1", "quality of the service offered"),
    "personnel_quality": Term("Personnel quality", "quality 0-1", "quality of the staff's service (M8)"),
    "image": Term("Image", _S, "the firm's public image (M12)"),
    "supplier_rung": Term("Supplier ladder rung", "rung 0-4", "0 transaction .. 4 alliance (D5, M9)"),
    "input_quality": Term("Input quality", "quality 0-1", "quality of the supplier's inputs (M9)"),
    "supply_disrupted": Term("Supply disrupted", _F, "1 while a supply disruption lasts (M9)"),
    "distributor_partnership": Term("Distributor partnership", _S, "depth of the distributor relationship (M10)"),
    "distributor_reach": Term("Distributor reach", "multiplier", "factor on acquisition from the distributor (M10)"),
    "exclusive": Term("Exclusive distribution", _F, "1 while the distributor is exclusive (M10)"),
    "employee_satisfaction": Term("Employee satisfaction", _S, "satisfaction of the firm's staff (M8)"),
    "staff_turnover": Term("Staff turnover", "share of staff per {step}", "staff who left this step (D12)"),
    "consumer_campaign": Term("Consumer campaign", _F, "1 while a consumer campaign targets the firm (M12)"),
    "lockin": Term("Regulatory lock-in", _F, "1 while customers cannot switch (monopoly)", "input"),
    "in_alliance": Term("In an alliance", _F, "1 while the firm is in an alliance (M11)", "input"),
    "cash": Term("Cash", _C, "cumulative profit since the start"),
    "prospects": Term("Prospects", "people", "people who buy from no firm yet"),
    "lapsed_customers": Term("Lapsed people", "people", "people who bought before and buy from nobody now"),
    "population": Term("Population", "people", "people in the market", "input"),
}
# the run metrics an experiment reports (sim.experiments.metrics), in the order of its tables; the names
# an experiment's metrics: / outputs:, an optimisation's objectives and the CLI's --metric accept
RUN_METRICS: tuple[str, ...] = (
    "annual_retention",
    "churn_rate",
    "customers_final",
    "market_share_final",
    "satisfaction_final",
    "loyalty_final",
    "profit_total",
    "profit_per_period",
    "customer_equity_final",
    "acquisition_spend_total",
    "retention_spend_total",
    "relationship_spend_total",
    "return_on_relationship_spend",
    "returning_margin_share",
    "top20_revenue_share",
)
# the lever spends: one entry each (sim.market.columns.SPEND_COLUMNS)
for _lever, _what in (
    ("financial", "financial bonds (rebates, Berry level 1)"),
    ("social", "social bonds (Berry level 2)"),
    ("structural", "structural bonds (Berry level 3)"),
    ("relationship_level", "the relationship level programme"),
    ("one_to_one", "one-to-one marketing"),
    ("database", "the customer database"),
    ("tiering", "customer tiering"),
    ("internal", "internal marketing (M8)"),
    ("supplier", "the supplier partnership (M9)"),
    ("distributor", "the distributor partnership (M10)"),
    ("pr", "public relations (M12)"),
    ("poaching", "poaching rivals' customers"),
    ("alliance", "the alliance with rivals (M11)"),
):
    GLOSSARY[f"spend_{_lever}"] = Term(f"Spend: {_lever.replace('_', ' ')}", _CS, f"spend on {_what}", "input")

_STEPS = {1.0: "year", 4.0: "quarter", 12.0: "month", 52.0: "week", 365.0: "day", 8760.0: "hour"}


def step_name(steps_per_year: float = 52.0) -> str:
    """The time step in words: "week" when there are 52 steps a year."""
    return _STEPS.get(float(steps_per_year), "step")


def currency_name(currency: str | None = None) -> str:
    """The scenario's currency, or "currency units" when it has none."""
    return currency or "currency units"


def term(name: str) -> Term:
    """The entry of ``name`` (a metric or a column; ``m_`` prefixes are dropped); KeyError if unknown."""
    return GLOSSARY[name[2:] if name.startswith("m_") else name]


def label(name: str) -> str:
    """The plain label, or the name itself when the glossary has none."""
    try:
        return term(name).label
    except KeyError:
        return name


def unit(name: str, currency: str | None = None, steps_per_year: float = 52.0) -> str:
    """The unit with the currency and the time step filled in ("" for unknown names)."""
    try:
        raw = term(name).unit
    except KeyError:
        return ""
    return raw.format(currency=currency_name(currency), step=step_name(steps_per_year))


def label_with_unit(name: str, currency: str | None = None, steps_per_year: float = 52.0) -> str:
    """ "Total profit over the run (EUR)": a table header or an axis label."""
    u = unit(name, currency, steps_per_year)
    return f"{label(name)} ({u})" if u else label(name)


def units_of(names: list[str], currency: str | None = None, steps_per_year: float = 52.0) -> dict[str, str]:
    """name -> unit for the names the glossary knows (``summary.json``'s metadata)."""
    return {n: unit(n, currency, steps_per_year) for n in names if n in GLOSSARY}


def closest(name: str, names: list[str] | tuple[str, ...], n: int = 3) -> list[str]:
    """The ``n`` names nearest to a misspelt ``name`` by spelling (difflib), whole or word by word, so that
    "proft" finds profit_total and "retention" finds annual_retention."""
    from difflib import SequenceMatcher

    def score(m: str) -> float:
        return max(SequenceMatcher(None, name, part).ratio() for part in (m, *m.split("_")))

    scored = sorted(((score(m), m) for m in names), key=lambda x: -x[0])
    return [m for s, m in scored if s >= 0.6][:n]


def unknown_metric(name: str, names: list[str] | tuple[str, ...] = RUN_METRICS) -> str:
    """ "unknown metric 'proft'; did you mean profit_total, profit_per_period? (sim glossary lists them)"."""
    near = closest(name, names)
    hint = f"did you mean {', '.join(near)}?" if near else f"one of {', '.join(names)}"
    return f"unknown metric {name!r}; {hint} (sim glossary lists every name with its label and unit)"


def metric_lines(names: list[str] | tuple[str, ...] = RUN_METRICS, width: int = 80) -> list[str]:
    """One line per metric for a ``--help`` text: name, plain label and unit, wrapped to ``width``."""
    import textwrap

    pad = max(map(len, names)) + 4
    out = []
    for n in names:
        text = f"{label(n)} ({unit(n)})" if unit(n) else label(n)
        wrapped = textwrap.wrap(text, width - pad) or [""]
        out.append(f"  {n:<{pad - 2}}{wrapped[0]}")
        out += [" " * pad + w for w in wrapped[1:]]
    return out
