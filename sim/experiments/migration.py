"""Migration between pyramid classes (D8) over a run, per strategy: the run-level counts a worker adds to its
table, and the report section of ``sim compare`` (tables and a heatmap figure).

A run's migration of firm g: of the customers of class k of g at the first step (before it), how many end the
run in class j of g, or not with g (``none``: they left, or switched to a rival); the ``none`` row counts the
people who were not g's customers at the start and end as g's customers of class j (acquired). The report
gives, per strategy, the share of each start class that ends in each class (mean over replications with a 95%
t-interval) and, for every other strategy, the paired difference against the baseline (same replication,
common random numbers) with its 95% interval.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments import stats

__all__ = ["CLASSES", "migration_counts", "run_migration", "migration_lines", "mig_column"]

CLASSES = ("platinum", "gold", "iron", "lead", "none")
_NONE = len(CLASSES) - 1


def mig_column(a: str, b: str) -> str:
    """The run-table column of the count of firm customers moving from class ``a`` to class ``b``."""
    return f"mig:{a}>{b}"


def migration_counts(
    start_firm: np.ndarray, start_codes: np.ndarray, end_firm: np.ndarray, end_codes: np.ndarray, n_firms: int
) -> np.ndarray:
    """``[F, 5, 5]``: per firm, people by class at the start (rows) and the end (columns), classes 0..3 and
    ``none`` (4: not a customer of that firm). Codes are ``sim.customers.portfolio`` codes (-1 none)."""
    out = np.zeros((n_firms, len(CLASSES), len(CLASSES)))
    sf, ef = start_firm.astype(np.int64), end_firm.astype(np.int64)
    for g in range(n_firms):
        a = np.where((sf == g) & (start_codes >= 0), start_codes, _NONE).astype(np.int64)
        b = np.where((ef == g) & (end_codes >= 0), end_codes, _NONE).astype(np.int64)
        out[g] = np.bincount(a * len(CLASSES) + b, minlength=len(CLASSES) ** 2).reshape(len(CLASSES), len(CLASSES))
    out[:, _NONE, _NONE] = 0.0  # people who were never the firm's customers: not counted
    return out


def run_migration(model: Any) -> dict[str, dict[str, float]]:
    """Per firm name, the migration counts of a finished run as ``{mig_column(a, b): count}``."""
    book = model.portfolio
    if book.start is None or book.last_inputs is None:
        return {}
    end, _ = book.classify(model.population, book.last_inputs)
    counts = migration_counts(book.start_firm, book.start, model.population.firm, end, book.n_firms)
    return {
        name: {mig_column(a, b): float(counts[g, i, j]) for i, a in enumerate(CLASSES) for j, b in enumerate(CLASSES)}
        for g, name in enumerate(model.config.firm_names)
    }


def _shares(runs: pd.DataFrame) -> pd.DataFrame:
    """Per run (strategy, replication), the share of each start class ending in each class (NaN: none started)."""
    rows = []
    for (s, rep), g in runs.groupby(["strategy", "replication"], sort=False):
        r = g.iloc[0]
        for a in CLASSES[:-1]:
            total = sum(float(r[mig_column(a, b)]) for b in CLASSES)
            for b in CLASSES:
                share = float(r[mig_column(a, b)]) / total if total > 0 else np.nan
                rows.append({"strategy": s, "replication": rep, "start": a, "end": b, "share": share})
    return pd.DataFrame(rows)


def _cell(m: float, lo: float, hi: float, sign: bool = False) -> str:
    if not np.isfinite(m):
        return "–"
    fmt = "{:+.1f}" if sign else "{:.1f}"
    ci = f" [{fmt.format(100 * lo)}, {fmt.format(100 * hi)}]" if np.isfinite(lo) else ""
    return fmt.format(100 * m) + ci


def migration_lines(df: pd.DataFrame, order: list[str], baseline: str, firm: str, figure: Path) -> list[str]:
    """The report section (markdown lines) and its figure, from the firm's rows of the runs; none when the runs
    have no migration columns (run files written before portfolios)."""
    if mig_column("platinum", "platinum") not in df.columns:
        return []
    runs = df.drop_duplicates(["strategy", "replication"])
    shares = _shares(runs)
    lines = [
        "## Migration between customer classes (D8 pyramid)",
        "",
        f"Of the **{firm}** firm's customers in each class at the start (rows), the share in each class at the "
        "end (columns; *none* = no longer its customer), in % of the start class: mean over replications "
        "[95% CI]; for the other strategies also the paired difference against the baseline in percentage "
        "points [95% CI]. Classes: forward value rank within the firm (docs/model.md, customer portfolio).",
        "",
    ]
    base = shares[shares["strategy"] == baseline].set_index(["replication", "start", "end"])["share"]
    mean = {}
    for s in order:
        g = shares[shares["strategy"] == s]
        lines += [f"**{s}**", "", "| start \\ end | " + " | ".join(CLASSES) + " |", "|---|" + "---|" * len(CLASSES)]
        for a in CLASSES[:-1]:
            cells = []
            for b in CLASSES:
                x = g[(g["start"] == a) & (g["end"] == b)].set_index("replication")["share"]
                m, lo, hi = stats.mean_ci(x.to_numpy())
                mean[(s, a, b)] = m
                cell = _cell(m, lo, hi)
                if s != baseline:
                    common = [r for r in x.index if (r, a, b) in base.index]
                    d = x.loc[common].to_numpy() - base.loc[[(r, a, b) for r in common]].to_numpy()
                    cell += "; Δ " + _cell(*stats.mean_ci(d), sign=True)
                cells.append(cell)
            lines.append(f"| {a} | " + " | ".join(cells) + " |")
        lines.append("")
    _figure(mean, order, figure)
    lines += [f"![migration](figures/{figure.name})", ""]
    return lines


def _figure(mean: dict[tuple[str, str, str], float], order: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(order)
    cols = min(n, 3)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.9 * rows + 0.4), squeeze=False)
    for ax in axes.flat[n:]:
        ax.axis("off")
    for ax, s in zip(axes.flat, order, strict=False):
        m = np.array([[100 * mean.get((s, a, b), np.nan) for b in CLASSES] for a in CLASSES[:-1]])
        ax.imshow(m, vmin=0, vmax=100, cmap="Blues")
        for i in range(m.shape[0]):
            for j in range(m.shape[1]):
                if np.isfinite(m[i, j]):
                    ax.text(j, i, f"{m[i, j]:.0f}", ha="center", va="center", color="white" if m[i, j] > 60 else "black")
        ax.set_xticks(range(len(CLASSES)), CLASSES, rotation=30)
        ax.set_yticks(range(len(CLASSES) - 1), CLASSES[:-1])
        ax.set_title(s, fontsize=10)
        ax.set_xlabel("class at the end")
        ax.set_ylabel("class at the start")
    fig.suptitle("Migration between pyramid classes, % of the start class (mean over replications)")
    fig.tight_layout(rect=(0.0, 0.0, 1.0, 0.94))
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
