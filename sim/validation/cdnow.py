"""The CDNOW holdout backtest in ``sim validate --full`` (issue 17): ``sim calibrate``'s pipeline on the CDNOW
sample shipped with lifetimes, against the published fit (Fader, Hardie & Lee 2005) and the actual holdout.

The checks: the fitted parameters reproduce the published ones within their standard errors; the engine,
started from each customer's posterior state, forecasts the holdout as the fitted model does (it runs the
same process); and it is at least as accurate as the closed-form BG/NBD forecast (aggregate error and
per-customer correlation, within the Monte-Carlo noise of the replications).
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path
from typing import Any

__all__ = ["PUBLISHED", "cdnow_options", "check_cdnow"]

# Fader, Hardie & Lee (2005), Marketing Science 24(2): CDNOW sample, calibration weeks 1-39, holdout 40-78
PUBLISHED = {
    "bgnbd": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
    "pareto_nbd": {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669},
    "gamma_gamma": {"p": 6.25, "q": 3.74, "v": 15.44},
}
ACTUAL_HOLDOUT = 1882


def cdnow_options(reps: int = 30, master: bool = False) -> Any:
    """``sim calibrate``'s options for the CDNOW file shipped with lifetimes (sample or master)."""
    from sim.calibration.run import Options

    name = "CDNOW_master.txt" if master else "CDNOW_sample.txt"
    path = Path(str(importlib.resources.files("lifetimes") / "datasets" / name))
    # the sample has no header: master id, sample id, date, CDs, dollars; the master has one
    return Options(
        log=path,
        customer="customer_id" if master else "id",
        date="date",
        amount="dollar_value" if master else "dollars",
        names=None if master else ["master_id", "id", "date", "cds", "dollars"],
        date_format="%Y%m%d",
        calibration_end="1997-09-30",
        reps=reps,
        name="cdnow",
    )


def check_cdnow(full: bool) -> list[dict[str, Any]]:
    """The CDNOW backtest (``--full`` only: about half a minute), as the fields of ``checks.Check`` rows
    (``checks`` wraps them; importing it here would be a cycle)."""
    if not full:
        return []
    from sim.calibration.backtest import backtest
    from sim.calibration.run import prepare

    def Check(check: str, engine: float, reference: str, tolerance: str, passed: bool, group: str) -> dict:  # noqa: N802
        return {"check": check, "engine": float(engine), "reference": reference, "tolerance": tolerance} | {
            "passed": bool(passed),
            "group": group,
        }

    p = prepare(cdnow_options())
    table = p.fits.table()
    out = []
    for model, params in PUBLISHED.items():
        for name, published in params.items():
            est = table[model]["params"][name]
            ok = abs(est["value"] - published) <= est["se"]
            out.append(
                Check(
                    f"CDNOW {model} {name} (Fader, Hardie & Lee 2005)",
                    est["value"],
                    f"{published}",
                    f"1 SE = {est['se']:.3g}",
                    ok,
                    "calibration",
                )
            )
    bt = backtest(p.scenario, p.fits, p.summary, p.process, 30, p.dt, p.basket)
    m = bt.metrics()
    eng, ref = m["engine"], m[p.process]
    gap = eng["holdout"] / ref["holdout"] - 1
    out.append(
        Check(
            f"CDNOW engine holdout vs its fitted {p.process} forecast (relative)",
            gap,
            "0",
            "±3%",
            abs(gap) < 0.03,
            "calibration",
        )
    )
    bg = m["bgnbd"]
    out.append(
        Check(
            f"CDNOW engine holdout error vs actual {ACTUAL_HOLDOUT:,} (BG/NBD: {bg['error']:+.1%}; paper -11% uncond.)",
            eng["error"],
            f"|error| <= BG/NBD's {abs(bg['error']):.3f} + 0.02",
            "2 points",
            abs(eng["error"]) <= abs(bg["error"]) + 0.02,
            "calibration",
        )
    )
    out.append(
        Check(
            f"CDNOW engine per-customer correlation (BG/NBD {bg['correlation']:.3f}; published 0.626)",
            eng["correlation"],
            f">= BG/NBD's {bg['correlation']:.3f} - 0.02",
            "0.02",
            eng["correlation"] >= bg["correlation"] - 0.02,
            "calibration",
        )
    )
    return out
