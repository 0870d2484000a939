"""The backtest report: figures (tracking, histogram, conditional expectations), ``report.md`` and the
JSON files (``backtest.json``, ``fit.json``) of ``sim calibrate`` (issue 17)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from sim.calibration.backtest import Backtest

__all__ = ["FIGURES", "write_figures", "report_markdown", "fit_json"]

FIGURES = ("tracking_weekly.png", "tracking_cumulative.png", "holdout_histogram.png", "conditional_expectations.png")
_LABEL = {"actual": "actual", "bgnbd": "BG/NBD", "pareto_nbd": "Pareto/NBD", "engine": "engine (mean)"}
_STYLE = {"actual": "k-", "bgnbd": "b--", "pareto_nbd": "g:", "engine": "-"}


def _tracking(bt: Backtest, folder: Path, plt: Any) -> None:
    s, w = bt.summary, bt.weekly
    obs = s.weekly
    for cumulative, name in ((False, FIGURES[0]), (True, FIGURES[1])):
        fig, ax = plt.subplots(figsize=(7.5, 4))
        if cumulative:
            ax.plot(obs.index, obs.cumsum(), "k-", label="actual")
            for key in ("bgnbd", "pareto_nbd"):
                ax.plot(bt.tracking.index, bt.tracking[key], _STYLE[key], label=f"{_LABEL[key]} (unconditional)")
            base = float(obs.loc[: s.calibration_week].sum())
            ax.plot(w.index, base + w["engine"].cumsum(), color="tab:orange", label="engine (mean, from week end)")
            ax.fill_between(
                w.index,
                base + w["engine_cum_lo"],
                base + w["engine_cum_hi"],
                color="tab:orange",
                alpha=0.25,
                label="engine 95%",
            )
            ax.set_ylabel("cumulative repeat transactions")
        else:
            ax.plot(obs.index, obs.to_numpy(), "k-", label="actual")
            for key in ("bgnbd", "pareto_nbd"):
                ax.plot(w.index, w[key], _STYLE[key], label=f"{_LABEL[key]} (conditional)")
            ax.plot(w.index, w["engine"], color="tab:orange", label="engine (mean)")
            ax.fill_between(w.index, w["engine_lo"], w["engine_hi"], color="tab:orange", alpha=0.25, label="engine 95%")
            ax.set_ylabel("repeat transactions per week")
        ax.axvline(s.calibration_week + 0.5, color="grey", lw=1)
        ax.set_xlabel("week")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(folder / name, dpi=110)
        plt.close(fig)


def write_figures(bt: Backtest, folder: Path) -> list[str]:
    """The four figures of the report as PNG files in ``folder``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _tracking(bt, folder, plt)
    pc = bt.per_customer
    top = 7
    fig, ax = plt.subplots(figsize=(7, 4))
    k = np.arange(top + 1)
    actual = np.bincount(np.minimum(pc["actual"].to_numpy().astype(int), top), minlength=top + 1)
    hist = bt.engine_hist
    eng = np.concatenate([hist[:, :top], hist[:, top:].sum(axis=1, keepdims=True)], axis=1)
    ax.bar(k - 0.2, actual, width=0.4, color="grey", label="actual")
    ax.bar(k + 0.2, eng.mean(axis=0), width=0.4, color="tab:orange", label="engine (mean)")
    lo, hi = np.percentile(eng, [2.5, 97.5], axis=0)
    ax.errorbar(k + 0.2, eng.mean(axis=0), yerr=[eng.mean(axis=0) - lo, hi - eng.mean(axis=0)], fmt="none", color="k")
    ax.set_xticks(k, [str(i) for i in range(top)] + [f"{top}+"])
    ax.set_xlabel("holdout repeat transactions per customer")
    ax.set_ylabel("customers")
    ax.legend()
    fig.tight_layout()
    fig.savefig(folder / FIGURES[2], dpi=110)
    plt.close(fig)
    ce = bt.conditional()
    fig, ax = plt.subplots(figsize=(7, 4))
    for key in ("actual", "bgnbd", "pareto_nbd", "engine"):
        ax.plot(
            ce.index,
            ce[key],
            _STYLE[key],
            marker="o",
            label=_LABEL[key],
            **({"color": "tab:orange"} if key == "engine" else {}),
        )
    ax.set_xlabel("repeat transactions in the calibration period")
    ax.set_ylabel("mean holdout transactions per customer")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(folder / FIGURES[3], dpi=110)
    plt.close(fig)
    return list(FIGURES)


def fit_json(bt: Backtest) -> dict[str, Any]:
    s = bt.summary
    return {
        "models": bt.fits.table(),
        "time_unit": "week",
        "calibration": {"start": str(s.start.date()), "end": str(s.calibration_end.date()), "weeks": s.calibration_weeks},
        "holdout": {"end": str(s.holdout_end.date()), "weeks": s.holdout_weeks},
        "customers": len(s.customers),
        "repeat_transactions_calibration": float(s.customers["frequency"].sum()),
        "repeaters": int((s.customers["frequency"] > 0).sum()),
        "new_customers_in_holdout": s.new_in_holdout,
    }


def _params_md(fit: dict[str, Any]) -> list[str]:
    lines = ["| model | parameter | estimate | standard error |", "|---|---|---|---|"]
    names = {"bgnbd": "BG/NBD", "pareto_nbd": "Pareto/NBD", "gamma_gamma": "Gamma-Gamma (spend, repeaters)"}
    for key, m in fit["models"].items():
        for p, v in m["params"].items():
            lines.append(f"| {names[key]} | {p} | {v['value']:.4g} | {v['se']:.3g} |")
        if "log_likelihood" in m:
            lines.append(f"| {names[key]} | log-likelihood | {m['log_likelihood']:.1f} | |")
    return lines


def report_markdown(bt: Backtest, metrics: dict[str, Any], fit: dict[str, Any], command: str, notes: list[str]) -> str:
    """``report.md``: the command, the fitted parameters, the holdout table and the figures."""
    s = bt.summary
    m = metrics
    out = [
        "# Calibration and holdout backtest",
        "",
        f"    {command}",
        "",
        f"{len(s.customers):,} customers who bought by {s.calibration_end.date()}; calibration {s.start.date()} to "
        f"{s.calibration_end.date()} ({s.calibration_weeks:.1f} weeks), holdout to {s.holdout_end.date()} "
        f"({s.holdout_weeks:.1f} weeks). Repeat transactions are distinct purchase days after a customer's first. "
        f"Time unit: weeks; the α and β parameters are per week.",
        "",
        "## Fitted parameters (maximum likelihood, calibration period)",
        "",
        *_params_md(fit),
        "",
        "## Holdout: repeat transactions of the calibration customers",
        "",
        "| forecast | holdout total (transactions) | error (relative) | per-customer correlation |",
        "|---|---|---|---|",
        f"| actual | {m['actual_holdout']:,.0f} | | |",
    ]
    lo, hi = m["engine"]["holdout_band_95"]
    for key in ("engine", "bgnbd", "pareto_nbd"):
        band = f" (95%: {lo:,.0f}–{hi:,.0f}, {m['engine']['replications']} runs)" if key == "engine" else ""
        out.append(
            f"| {_LABEL[key]} | {m[key]['holdout']:,.0f}{band} | {m[key]['error']:+.1%} | {m[key]['correlation']:.3f} |"
        )
    ce = bt.conditional()
    uncond = ", ".join(
        f"{_LABEL[k]} {m[k]['holdout_unconditional']:,.0f} ({m[k]['error_unconditional']:+.1%})"
        for k in ("bgnbd", "pareto_nbd")
    )
    out += [
        "",
        "The totals above are conditional forecasts (each customer's own calibration history). The models' "
        f"unconditional forecasts of the same holdout (from each customer's first purchase, history unused) are: "
        f"{uncond}; published aggregates (e.g. Fader, Hardie & Lee 2005's 1,669 on the CDNOW sample) are of this kind.",
        "",
        f"The engine runs the process `{bt.process}` (the model with the higher calibration log-likelihood unless "
        "`--process` says otherwise), each customer starting from a draw of their posterior state; each replication "
        "k draws the posterior with seed k and runs the engine with seed k (common seeds). The engine's per-customer "
        "correlation uses its mean over the replications.",
        "",
        "## Conditional expectations: mean holdout transactions by calibration repeat transactions",
        "",
        "| calibration transactions | customers | actual | BG/NBD | Pareto/NBD | engine |",
        "|---|---|---|---|---|---|",
        *[
            f"| {i} | {int(r.customers):,} | {r.actual:.3f} | {r.bgnbd:.3f} | {r.pareto_nbd:.3f} | {r.engine:.3f} |"
            for i, r in ce.iterrows()
        ],
        "",
        "## Figures",
        "",
        *[f"![{f[:-4]}]({f})" for f in FIGURES],
        "",
        "## Notes",
        "",
        *[f"- {n}" for n in notes],
        "",
    ]
    return "\n".join(out)
