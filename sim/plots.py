"""Figures of one run. matplotlib with the Agg backend: no display needed."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

__all__ = ["overview_figure"]


def overview_figure(ts: pd.DataFrame, path: Path, title: str) -> None:
    """Customers, retention, satisfaction and profit per firm over time (``overview.png``)."""
    fig, axes = plt.subplots(2, 2, figsize=(12, 7.5), sharex=True)
    panels = [("customers", "Customers", "customers"),
              ("retention_rate", "Retention rate per week", "share retained"),
              ("satisfaction", "Mean satisfaction (M1)", "score 0-1"),
              ("profit", "Profit per week", "currency")]
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
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
