"""Figures of one run, as matplotlib Figures: shown in a notebook, saved only when given a ``path``.

They are built with ``matplotlib.figure.Figure`` directly, not pyplot, so drawing them never changes the
notebook's backend, needs no display and leaves no figure open in pyplot's registry.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from sim.market.columns import MARKET_SPEND

__all__ = ["overview_figure", "markets_figure", "RunFigure"]


class RunFigure(Figure):
    """A matplotlib Figure that also shows itself as PNG in a notebook where pyplot was never imported
    (with pyplot's inline backend active, IPython's own Figure display is used instead)."""

    def _repr_png_(self) -> bytes:
        import io

        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=80)
        return buf.getvalue()


def _caption(fig: Figure, text: str) -> None:
    """Lay the figure out, leaving a line at the bottom for ``text`` (claim codes go there, not in titles)."""
    fig.tight_layout(rect=(0, 0.035, 1, 1))
    fig.text(0.01, 0.01, text, fontsize=9, color="0.3")


def _save(fig: Figure, path: str | Path | None, dpi: int) -> Figure:
    if path is not None:
        fig.savefig(path, dpi=dpi)
    return fig


def overview_figure(ts: pd.DataFrame, path: str | Path | None = None, title: str = "") -> Figure:
    """Customers, retention, satisfaction and profit per firm over time (``overview.png`` of ``sim run``).

    ``ts`` is ``model.timeseries()`` (or a run's ``timeseries.parquet``); the figure is written to
    ``path`` only if one is given, and returned either way."""
    fig = RunFigure(figsize=(12, 7.5))
    axes = fig.subplots(2, 2, sharex=True)
    panels = [
        ("customers", "Customers", "customers"),
        ("retention_rate", "Retention rate per week", "share retained"),
        ("satisfaction", "Mean satisfaction", "score 0-1"),
        ("profit", "Profit per week", "currency units per week"),
    ]
    flows = {"retention_rate", "profit"}
    for ax, (col, label, unit) in zip(axes.flat, panels, strict=True):
        for name, g in ts.groupby("firm", observed=True, sort=False):
            g = g[g["step"] > 0] if col in flows else g
            ax.plot(g["step"], g[col], label=str(name), lw=1.6 if name == "focal" else 1.1)
        ax.set_title(label)
        ax.set_ylabel(unit)
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("week")
    axes[0, 0].legend(title="firm", fontsize=9)
    fig.suptitle(title)
    _caption(fig, "One step = one week. Satisfaction: M1 (docs/claims.md).")
    return _save(fig, path, 110)


def markets_figure(ts: pd.DataFrame, path: str | Path | None = None, title: str = "") -> Figure:
    """The six relationship markets (D1) over time, one panel each, and spend by market (``markets.png``);
    written to ``path`` only if one is given, and returned either way."""
    panels = [
        ("customer", "Customer market: loyalty", "loyalty", "score 0-1"),
        ("competitor", "Competitor market: price index", "price", "index"),
        ("supplier", "Supplier market: input quality", "input_quality", "quality 0-1"),
        ("distributor", "Distributor market: acquisition reach", "distributor_reach", "multiplier"),
        ("internal", "Internal market: employee satisfaction", "employee_satisfaction", "score 0-1"),
        ("stakeholder", "Influence market: image", "image", "score 0-1"),
    ]
    fig = RunFigure(figsize=(15, 10))
    axes = fig.subplots(3, 3)
    flows = ts[ts["step"] > 0]
    for ax, (_, label, col, unit) in zip(axes.flat[:6], panels, strict=True):
        for name, g in flows.groupby("firm", observed=True, sort=False):
            ax.plot(g["step"], g[col], label=str(name), lw=1.6 if name == "focal" else 1.1)
        ax.set_title(label, fontsize=10)
        ax.set_ylabel(unit)
        ax.grid(alpha=0.3)
    extra = [
        ("supplier_rung", "Supplier ladder rung (0 transaction .. 4 alliance)"),
        ("staff_turnover", "Staff turnover per week"),
    ]
    for ax, (col, label) in zip(axes.flat[6:8], extra, strict=True):
        for name, g in flows.groupby("firm", observed=True, sort=False):
            ax.plot(g["step"], g[col], label=str(name), lw=1.6 if name == "focal" else 1.1)
        ax.set_title(label, fontsize=10)
        ax.grid(alpha=0.3)
    ax = axes.flat[8]
    spend = {
        m: [float(sum(g[c].sum() for c in cols)) for _, g in flows.groupby("firm", observed=True, sort=False)]
        for m, cols in MARKET_SPEND.items()
    }
    names = [str(n) for n in flows["firm"].cat.categories]
    bottom = [0.0] * len(names)
    for market, values in spend.items():
        ax.bar(names, values, bottom=bottom, label=market)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_title("Spend by market over the run", fontsize=10)
    ax.set_ylabel("currency units")
    ax.legend(fontsize=8)
    axes.flat[0].legend(title="firm", fontsize=8)
    for ax in axes.flat[:8]:
        ax.set_xlabel("week")
    fig.suptitle(title)
    _caption(
        fig,
        "The six relationship markets (D1) - claims (docs/claims.md): loyalty M3; input quality D5, M9; "
        "acquisition reach M10; employee satisfaction M8; image M12; staff turnover D12. One step = one week.",
    )
    return _save(fig, path, 100)
