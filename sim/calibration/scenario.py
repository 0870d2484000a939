"""The calibrated scenario: the base scenario with the purchase, dropout and spend processes set to the fitted
ones, and every mechanism a transaction log cannot identify switched off (issue 17).

What a log identifies: when each customer bought and what they spent. It does not identify satisfaction,
complaints, word of mouth, competition between firms, staff or supplier effects, nor (for a cohort log such
as CDNOW, whose customers all first bought in one quarter) the arrival of new customers. Those are set
neutral here, so the calibrated base reproduces the fitted model; the levers keep the base's effect sizes, so
a retention strategy tried on the calibrated base acts through them as on any other scenario.
"""

from __future__ import annotations

from typing import Any

from sim.calibration.fit import Fits
from sim.calibration.logs import LogSummary

__all__ = ["NEUTRAL", "calibrated_overrides", "scenario_document"]

# mechanisms the log cannot identify, switched off (values as in sim/validation/configs.py cohort_overrides)
NEUTRAL: dict[str, Any] = {
    "share_of_wallet_floor": 1.0,  # spend = the fitted spend, not a loyalty-driven share of it (D11 off)
    "loyalty_frequency": 0.0,  # purchase rate = the fitted rate, not raised by loyalty (M3 off)
    "churn": {"dissatisfaction": 0.0, "competition": 0.0},  # D12: only the fitted dropout
    "wom": {"referral_conversion": 0.0, "referral_pull": 0.0, "positive_probability": 0.0, "imitation": 0.0},
    "complaints": {"probability": 0.0},
    "acquisition": {"spontaneous": 0.0, "conversion": 0.0},  # a cohort: no arrivals (see the report)
}


def calibrated_overrides(
    base: dict[str, Any], fits: Fits, summary: LogSummary, process: str, dt: float, basket: float, state_file: str
) -> dict[str, Any]:
    """The keys to merge over ``base`` (a resolved scenario dict): the population is the log's customers
    (the start state), every segment buys at the fitted rate (``purchase_rate`` 1, the per-customer rate in
    ``freq``), spends ``basket`` x wallet, and the dropout follows the chosen process."""
    firms = base.get("firms") or [{"name": "focal"}]
    segs = (base.get("population") or {}).get("segments") or [{"name": "all", "share": 1.0}]
    if process == "bgnbd":
        pr = fits.bgnbd.params_
        churn = {"own_after_purchase": True, "own_circumstances_beta": [float(pr["a"]), float(pr["b"])]}
    else:
        pr = fits.pareto.params_
        mean_mu = float(pr["s"] / pr["beta"])
        churn = {"own_after_purchase": False, "own_circumstances_beta": None, "own_circumstances": mean_mu * dt}
    neutral = {k: (dict(v) if isinstance(v, dict) else v) for k, v in NEUTRAL.items()}
    neutral["churn"].update(churn)
    return {
        "steps": int(summary.holdout_steps if dt == 1.0 else round(summary.holdout_weeks / dt)),
        "steps_per_year": 52.0 / dt,
        "population": {
            "size": len(summary.customers),
            "start_state": state_file,
            # prospects (none when size = the log's customers) would draw the fitted heterogeneity
            "frequency_gamma": [float(fits.bgnbd.params_["r"]), float(fits.bgnbd.params_["alpha"]) / dt],
            "segments": [{"name": s["name"], "basket": float(basket), "purchase_rate": 1.0} for s in segs],
        },
        "firms": [  # no arrivals are modelled, so no acquisition budget is spent on them
            {
                "name": f["name"],
                "budget": {"acquisition": 0.0},
                "employees": {"follow": 0.0},
                "supplier": {"disruption_rate": 0.0},
            }
            for f in firms
        ],
        "network": {"kind": "none"},
        "dynamics": neutral,
    }


def scenario_document(
    name: str, extends: str, overrides: dict[str, Any], summary: LogSummary, process: str, source: str
) -> str:
    """The YAML text of ``calibrated.yaml`` with a header saying where it came from."""
    import yaml

    head = (
        f"# Calibrated by `sim calibrate` from {source}: {len(summary.customers):,} customers, calibration\n"
        f"# {summary.start.date()} to {summary.calibration_end.date()}, process {process} (fit.json has the\n"
        "# parameters and standard errors). Purchase, dropout and spend follow the fitted model per customer\n"
        "# (the start-state Parquet); satisfaction-driven churn, competition, word of mouth, complaints and\n"
        "# acquisition are off: a transaction log cannot identify them. Horizon = the holdout period.\n"
    )
    body = {"extends": extends, "name": name, "description": f"calibrated to {source}", **overrides}
    return head + yaml.safe_dump(body, sort_keys=False, default_flow_style=None, width=110)
