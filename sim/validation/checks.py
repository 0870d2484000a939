"""The validation suite behind ``sim validate``: the engine against known models and the documents' figures.

Each check returns rows (check, engine value, reference, tolerance, pass, and ``kind``: what the figure is —
an input read back, a calibrated target or an emergent output, :data:`KINDS`; docs/validation.md).
``quick`` (the test suite's subset) uses smaller populations and fewer runs with wider — but still
failing — tolerances; ``full`` uses the sizes named in the issue. Figures of simulated vs closed-form
curves are drawn by :func:`write_figures`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from scipy import special

from sim.validation import configs as v
from sim.validation.figures import check_figures
from sim.validation.rows import CALIBRATED, EMERGENT, INPUT, KINDS, NOT_MODELLED, TABLE_NOTE, Check

__all__ = [
    "Check",
    "run_checks",
    "write_figures",
    "CHECKS",
    "KINDS",
    "INPUT",
    "CALIBRATED",
    "EMERGENT",
    "NOT_MODELLED",
    "TABLE_NOTE",
]


# ---------------------------------------------------------------- known models
def check_clv(full: bool) -> list[Check]:
    m, r, i, periods = 10.0, 0.8, 0.1, 60
    n = 100_000 if full else 20_000
    measured = v.clv_constant_retention(m, r, i, n, periods, seed=1)
    expected = v.clv_closed_form(m, r, i, periods)
    x = 1.0 / (1.0 + i)
    lives = np.arange(periods + 1)
    prob = np.where(lives < periods, r**lives * (1.0 - r), r**periods)
    value = m * x * (1.0 - x**lives) / (1.0 - x)
    se = float(np.sqrt(((prob * value**2).sum() - (prob * value).sum() ** 2) / n))
    return [
        Check(
            "CLV, constant retention (Gupta & Lehmann 2003): m r/(1+i-r), m=10 r=0.8 i=0.1",
            measured,
            f"{expected:.4f}",
            f"3 SE = {3 * se:.4f}",
            abs(measured - expected) < 3 * se,
            "model",
        )
    ]


def check_sbg(full: bool) -> list[Check]:
    a, b, n = 0.704, 1.182, 100_000
    s = v.sbg_survival(a, b, n, 12, seed=3)
    c = v.sbg_survival_closed_form(a, b, 12)
    se = np.sqrt(c * (1 - c) / n)
    z = float(np.max(np.abs(s[1:] - c[1:]) / se[1:]))
    fa, fb = v.sbg_fit(s)
    observed = np.array([100, 63.1, 46.8, 38.2, 32.6, 28.9, 26.2, 24.1]) / 100
    pa, pb = v.sbg_fit(observed)
    projected = v.sbg_survival_closed_form(pa, pb, 12)[8:] * 100
    published = np.array([22.3, 20.7, 19.4, 18.3, 17.3])
    dev = float(np.max(np.abs(projected - published)))
    return [
        Check(
            "sBG survival S(1..12), alpha=0.704 beta=1.182 (Fader & Hardie 2007), max |z|",
            z,
            "< 3 (|engine - closed form| / SE at each t)",
            "3 SE",
            z < 3,
            "model",
            {"engine": s.tolist(), "closed_form": c.tolist()},
        ),
        Check("sBG refit alpha from the engine's cohort (scipy ML)", fa, "0.704", "5%", abs(fa / a - 1) < 0.05, "model"),
        Check("sBG refit beta from the engine's cohort (scipy ML)", fb, "1.182", "5%", abs(fb / b - 1) < 0.05, "model"),
        Check(
            "sBG projection years 8-12 from published years 1-7, max deviation (points)",
            dev,
            "22.3 20.7 19.4 18.3 17.3 %",
            "0.5 points",
            dev < 0.5,
            "model",
        ),
    ]


def check_bass(full: bool) -> list[Check]:
    p, q = 0.03, 0.38
    runs, n = (50, 10_000) if full else (10, 5_000)
    steps = 30
    curves = np.array([v.bass_adoption(p, q, n, steps, seed=k) for k in range(runs)])
    rec = v.bass_recursion(p, q, steps)
    d1 = float(np.max(np.abs(curves.mean(axis=0) - rec)))
    tol1 = 0.005 if full else 0.01
    dt = 0.05
    horizon = 20.0
    csteps = int(round(horizon / dt))
    cruns, cn = (20, 10_000) if full else (5, 5_000)
    ccurves = np.array([v.bass_adoption(p, q, cn, csteps, dt=dt, seed=100 + k) for k in range(cruns)])
    t = np.arange(csteps + 1) * dt
    cf = v.bass_closed_form(p, q, t)
    d2 = float(np.max(np.abs(ccurves.mean(axis=0) - cf)))
    tol2 = 0.015 if full else 0.02
    return [
        Check(
            f"Bass docking: mean of {runs} runs vs discrete recursion, p=0.03 q=0.38, max |diff|",
            d1,
            "0",
            f"{tol1}",
            d1 < tol1,
            "model",
            {"engine": curves.mean(axis=0).tolist(), "reference": rec.tolist()},
        ),
        Check(
            f"Bass docking: dt={dt}, mean of {cruns} runs vs closed form, max |diff|",
            d2,
            "0",
            f"{tol2}",
            d2 < tol2,
            "model",
            {"t": t.tolist(), "engine": ccurves.mean(axis=0).tolist(), "reference": cf.tolist()},
        ),
    ]


def _bgnbd_theory(r: float, alpha: float, a: float, b: float, t: float) -> tuple[float, float, float]:
    """P(X(t) = 0), E[X(t)] and Var[X(t)]-free SE helper inputs (Fader, Hardie & Lee 2005, eq. 8-9)."""
    p0 = (alpha / (alpha + t)) ** r
    z = t / (alpha + t)
    mean = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * special.hyp2f1(r, b, a + b - 1, z))
    return float(p0), float(mean), z


def check_bgnbd(full: bool) -> list[Check]:
    from lifetimes import BetaGeoFitter

    r, alpha, a, b, T = 0.243, 4.414, 0.793, 2.426, 38.86
    n = 100_000 if full else 20_000
    df = v.bgnbd_sample(r, alpha, a, b, n, T, seed=1, dt=1.0 / 14.0 if full else 1.0 / 7.0)
    fitter = BetaGeoFitter(penalizer_coef=0.0)
    fitter.fit(df["frequency"], df["recency"], df["T"])
    tol = 0.10 if full else 0.15
    out = []
    for name, true in (("r", r), ("alpha", alpha), ("a", a), ("b", b)):
        est = float(fitter.params_[name])
        out.append(
            Check(
                f"BG/NBD refit {name} with lifetimes.BetaGeoFitter (CDNOW: Fader et al. 2005)",
                est,
                f"{true}",
                f"{tol:.0%}",
                abs(est / true - 1) < tol,
                "model",
            )
        )
    p0, mean, _ = _bgnbd_theory(r, alpha, a, b, T)
    zero = float((df["frequency"] == 0).mean())
    se0 = float(np.sqrt(p0 * (1 - p0) / n))
    mx = float(df["frequency"].mean())
    se_m = float(df["frequency"].std(ddof=1) / np.sqrt(n))
    out.append(Check("BG/NBD P(X(T)=0)", zero, f"{p0:.4f}", f"3 SE = {3 * se0:.4f}", abs(zero - p0) < 3 * se0, "model"))
    out.append(
        Check(
            "BG/NBD mean repeat purchases E[X(T)]",
            mx,
            f"{mean:.4f}",
            f"3 SE = {3 * se_m:.4f}",
            abs(mx - mean) < 3 * se_m,
            "model",
        )
    )
    return out


def check_cdnow(full: bool) -> list[Check]:
    """The CDNOW backtest of ``sim calibrate`` (issue 17, ``--full`` only): the fitted parameters are calibrated
    to the log; the holdout forecasts are emergent (nothing was tuned to the holdout)."""
    from sim.validation.cdnow import check_cdnow as cdnow

    return [
        Check(**row, kind=EMERGENT if "holdout" in row["check"] or "correlation" in row["check"] else CALIBRATED)
        for row in cdnow(full)
    ]


CHECKS = {
    "clv": check_clv,
    "sbg": check_sbg,
    "bass": check_bass,
    "bgnbd": check_bgnbd,
    "figures": check_figures,
    "cdnow": check_cdnow,
}


def run_checks(full: bool = False, only: list[str] | None = None, progress: Any = None) -> list[Check]:
    out: list[Check] = []
    for name, fn in CHECKS.items():
        if only and name not in only:
            continue
        out.extend(fn(full))
        if progress is not None:
            progress(name)
    return out


def write_figures(checks: list[Check], folder: Path) -> list[str]:
    """Simulated vs closed-form curves (sBG survival, Bass adoption) as PNG files in ``folder``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    for c in checks:
        if "engine" not in c.detail:
            continue
        fig, ax = plt.subplots(figsize=(6.5, 4))
        eng = np.asarray(c.detail["engine"])
        ref = np.asarray(c.detail.get("closed_form", c.detail.get("reference")))
        t = np.asarray(c.detail.get("t", np.arange(len(eng))))
        ax.plot(t, ref, "k-", lw=2, label="closed form / recursion")
        ax.plot(t, eng, "o" if len(t) < 40 else "-", color="tab:orange", ms=4, label="engine")
        ax.set_title(c.check[:70], fontsize=9)
        ax.set_xlabel("period" if "sBG" in c.check else "time")
        ax.set_ylabel("survival" if "sBG" in c.check else "adopters' share F")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        name = (
            "sbg_survival.png"
            if "sBG" in c.check
            else ("bass_discrete.png" if "discrete" in c.check else "bass_continuous.png")
        )
        fig.savefig(folder / name, dpi=110)
        plt.close(fig)
        written.append(name)
    return written
