"""Strategies under several reactions of the rivals (issue 16; sim.market.rivals): tables and sentences.

An experiment with ``reactions:`` runs every strategy once per reaction, with the same seeds (common
random numbers); its runs are labelled ``strategy@reaction``. Here each reaction's runs are compared
with that reaction's baseline, the strategies are ranked by mean cumulative profit under each reaction,
and the strategies whose rank changes are named in a plain sentence.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sim.experiments import stats
from sim.experiments.spec import label_of

__all__ = ["reaction_tables", "rank_pivot", "rank_changes", "report_lines", "ordinal"]


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


def rank_changes(pivot: pd.DataFrame, reactions: list[str]) -> list[str]:
    """A sentence per strategy whose rank differs between reactions; one sentence saying so when none does."""
    out = []
    for _, row in pivot.iterrows():
        ranks = [(r, row[f"rank:{r}"]) for r in reactions if pd.notna(row[f"rank:{r}"])]
        if len({k for _, k in ranks}) > 1:
            parts = [f"{ordinal(int(k))} when rivals {r}" for r, k in ranks]
            out.append(f"{row['strategy']} is " + ", ".join(parts) + ".")
    if not out and len(reactions) > 1:
        out.append("No strategy's rank changes with the rivals' reaction.")
    return out


def report_lines(ranking: pd.DataFrame, meta: dict[str, Any], n_reps: str) -> list[str]:
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
        *[f"- {s}" for s in rank_changes(pivot, reactions)],
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
