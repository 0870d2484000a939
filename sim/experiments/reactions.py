"""Strategies under several reactions of the rivals (issue 16; sim.market.rivals): tables and sentences.

An experiment with ``reactions:`` runs every strategy once per reaction, with the same seeds (common
random numbers); its runs are labelled ``strategy@reaction``. Here each reaction's runs are compared
with that reaction's baseline, the strategies are ranked by mean cumulative profit under each reaction,
and the strategies whose rank changes are named in a plain sentence.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.experiments import stats
from sim.experiments.spec import label_of

__all__ = ["reaction_tables", "rank_pivot", "rank_changes", "profits", "clear_swap", "report_lines", "ordinal"]


def ordinal(n: int) -> str:
    """1 -> 1st, 2 -> 2nd, 11 -> 11th, 23 -> 23rd."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def reaction_tables(runs: pd.DataFrame, meta: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The comparison table (every label) and the ranking (a ``reaction`` column first, ranks within it),
    each reaction's strategies against that reaction's baseline, paired by replication."""
    tables, rankings = [], []
    present = set(runs["strategy"])
    for r in meta["reaction_names"]:
        labels = [label_of(a, r) for a in meta["arms"] if label_of(a, r) in present]
        base = label_of(meta["baseline"], r)
        if base not in labels:
            continue
        t = stats.compare_table(runs[runs["strategy"].isin(labels)], base, meta["metrics"], labels)
        ranking = stats.rank(t)
        ranking["strategy"] = ranking["strategy"].str.slice(0, -len(r) - 1)
        ranking.insert(0, "reaction", r)
        tables.append(t)
        rankings.append(ranking)
    if not tables:
        return pd.DataFrame(), pd.DataFrame()
    return pd.concat(tables, ignore_index=True), pd.concat(rankings, ignore_index=True)


def rank_pivot(ranking: pd.DataFrame, reactions: list[str], arms: list[str]) -> pd.DataFrame:
    """One row per strategy: its mean profit and rank under each reaction (columns ``profit:<r>``, ``rank:<r>``)."""
    rows = []
    for s in arms:
        row: dict[str, Any] = {"strategy": s}
        for r in reactions:
            hit = ranking[(ranking["reaction"] == r) & (ranking["strategy"] == s)]
            row[f"profit:{r}"] = float(hit["mean"].iloc[0]) if len(hit) else float("nan")
            row[f"rank:{r}"] = float(hit["rank"].iloc[0]) if len(hit) else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


def profits(runs: pd.DataFrame, meta: dict[str, Any]) -> dict[tuple[str, str], pd.Series]:
    """Cumulative profit per replication of each (strategy, reaction)."""
    out = {}
    for r in meta["reaction_names"]:
        for a in meta["arms"]:
            g = runs[runs["strategy"] == label_of(a, r)]
            out[(a, r)] = g.set_index("replication")["profit_total"]
    return out


def clear_swap(p: dict[tuple[str, str], pd.Series], s: str, t: str, r0: str, r: str) -> bool:
    """True when ``s`` and ``t`` change order between reactions ``r0`` and ``r`` beyond noise: the change in
    their paired profit difference (the same seed k under every reaction and strategy: common random
    numbers) has a 95% t-interval excluding 0."""
    d0, d = p[(s, r0)] - p[(t, r0)], p[(s, r)] - p[(t, r)]
    change = (d - d0).dropna().to_numpy()
    if change.size < 2 or np.sign(d0.mean()) == np.sign(d.mean()):
        return False
    _, lo, hi = stats.mean_ci(change)
    return bool(lo > 0 or hi < 0)


def _noise(row: Any, pivot: pd.DataFrame, reactions: list[str], p: dict) -> str:
    """Which of a strategy's rank changes (against the first reaction) are beyond noise."""
    s, r0 = row["strategy"], reactions[0]
    clear = []
    for r in reactions[1:]:
        for _, other in pivot.iterrows():
            t = other["strategy"]
            if t != s and (t, r) in p and (s, r) in p and clear_swap(p, s, t, r0, r):
                clear.append(f"when rivals {r} (vs {t})")
    if clear:
        return " Beyond noise " + ", ".join(clear) + "; paired 95% intervals."
    return " Within noise: no swap's paired 95% interval excludes 0."


def rank_changes(pivot: pd.DataFrame, reactions: list[str], p: dict[tuple[str, str], pd.Series] | None = None) -> list[str]:
    """A sentence per strategy whose rank differs between reactions (with ``p``, the per-replication
    profits, whether each swap against the first reaction is beyond noise); one sentence when none does."""
    out = []
    for _, row in pivot.iterrows():
        ranks = [(r, row[f"rank:{r}"]) for r in reactions if pd.notna(row[f"rank:{r}"])]
        if len({k for _, k in ranks}) > 1:
            parts = [f"{ordinal(int(k))} when rivals {r}" for r, k in ranks]
            noise = _noise(row, pivot, reactions, p) if p is not None else ""
            out.append(f"{row['strategy']} is " + ", ".join(parts) + "." + noise)
    if not out and len(reactions) > 1:
        out.append("No strategy's rank changes with the rivals' reaction.")
    return out


def report_lines(ranking: pd.DataFrame, meta: dict[str, Any], n_reps: str, runs: pd.DataFrame) -> list[str]:
    """The report.md section: the rank-change sentences, then profit and rank under each reaction."""
    reactions, arms = meta["reaction_names"], meta["arms"]
    pivot = rank_pivot(ranking, reactions, arms)
    lines = [
        "## When the rivals react",
        "",
        f"Every strategy ran under each reaction of the rivals ({', '.join(reactions)}; `firms[].reaction`), "
        f"with the same seeds (common random numbers), {n_reps} replications each. Ranks are by mean "
        "cumulative profit of the reported firm (currency) within each reaction; the 95% intervals are in "
        "`ranking.csv`.",
        "",
        *[f"- {s}" for s in rank_changes(pivot, reactions, profits(runs, meta))],
        "",
        "| strategy | " + " | ".join(f"profit when rivals {r} (rank)" for r in reactions) + " |",
        "|---|" + "---|" * len(reactions),
    ]
    for _, row in pivot.iterrows():
        cells = [
            f"{row[f'profit:{r}']:,.0f} ({ordinal(int(row[f'rank:{r}']))})" if pd.notna(row[f"rank:{r}"]) else "–"
            for r in reactions
        ]
        lines.append(f"| {row['strategy']} | " + " | ".join(cells) + " |")
    return [*lines, ""]
