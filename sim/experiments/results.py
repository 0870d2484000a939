"""``sim.results(folder)``: a results folder opened for a notebook (``sim results DIR`` prints the same).

A folder of ``sim compare`` or ``sim sweep`` gives its ranking / comparison / sweep tables and the per-run
dataset; a folder of ``sim run`` gives its summary and tables. In a notebook the object shows itself as a
small HTML table with units (money in currency units, time in the scenario's steps: weeks by default).
"""

from __future__ import annotations

import html
import json
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["Results", "results"]

_CURRENCY = "currency units"


class Results:
    """The results in ``folder``: ``kind`` is "compare", "sweep" or "run".

    Attributes (None where a folder has no such table):
        ranking: strategies ranked by the focal firm's cumulative profit (compare), with the paired difference
            against the baseline and its 95% interval, in currency units.
        comparison: every metric for every strategy (compare); sweep: one row per design point (sweep).
        runs: every run's rows (experiments: ``runs/*.parquet``; a run: its ``timeseries.parquet``).
        summary: headline metrics per firm (``summary.json`` of a run) or the experiment's settings.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        if (self.folder / "experiment.json").is_file():
            from sim.experiments.store import read_meta

            self.summary: dict[str, Any] = read_meta(self.folder)
            self.kind: str = self.summary["kind"]
        elif (self.folder / "summary.json").is_file():
            self.summary = json.loads((self.folder / "summary.json").read_text())
            self.kind = "run"
        else:
            raise FileNotFoundError(f"{self.folder}: not a results folder (no experiment.json or summary.json)")

    def _csv(self, name: str) -> pd.DataFrame | None:
        path = self.folder / name
        return pd.read_csv(path) if path.is_file() else None

    @cached_property
    def ranking(self) -> pd.DataFrame | None:
        return self._csv("ranking.csv")

    @cached_property
    def comparison(self) -> pd.DataFrame | None:
        return self._csv("comparison.csv")

    @cached_property
    def sweep(self) -> pd.DataFrame | None:
        return self._csv("sweep.csv")

    @cached_property
    def runs(self) -> pd.DataFrame:
        if self.kind == "run":
            return pd.read_parquet(self.folder / "timeseries.parquet")
        return pd.read_parquet(self.folder / "runs")

    def _labelled_sweep(self) -> pd.DataFrame | None:
        if self.sweep is None:
            return None
        return self.sweep.rename(columns=_sweep_headers(list(self.sweep.columns), self.summary))

    def __repr__(self) -> str:
        return f"Results({str(self.folder)!r}, kind={self.kind!r})"

    def _repr_html_(self) -> str:
        name = html.escape(str(self.summary.get("name") or self.summary.get("scenario")))
        head = f"<div><b>{self.kind}</b> <code>{name}</code> &mdash; <code>{html.escape(str(self.folder))}</code>"
        if self.kind == "run":
            firms = pd.DataFrame(self.summary["firms"]).T
            cols = {
                "customers_final": "customers at the end",
                "annual_retention": "annual retention (0-1)",
                "profit_total": f"profit over the run ({_CURRENCY})",
                "customer_equity_final": f"customer equity ({_CURRENCY})",
            }
            table = firms[list(cols)].rename(columns=cols)
            steps = f", {self.summary['steps']} {self.summary.get('units', {}).get('steps', 'steps')}"
            return f"{head}{steps}{table.to_html(float_format=lambda x: f'{x:,.3g}' if abs(x) < 10 else f'{x:,.0f}')}</div>"
        table = self.ranking if self.kind == "compare" else self._labelled_sweep()
        if table is None:
            return f"{head}: no report yet (run <code>sim results {html.escape(str(self.folder))}</code>)</div>"
        note = ""
        if self.kind == "compare":
            note = f"<br><small>mean: profit per run; diff: paired difference vs the baseline, 95% CI; {_CURRENCY}</small>"
        return f"{head}{note}{table.head(30).to_html(index=False, float_format=lambda x: f'{x:,.4g}')}</div>"


def _sweep_headers(columns: list[str], meta: dict[str, Any]) -> dict[str, str]:
    """sweep.csv's headers in words: parameters by their label, outputs with label and unit, intervals."""
    from sim.experiments.figures import param_label
    from sim.output import glossary as G

    cur, spy = meta.get("currency") or "", float(meta.get("steps_per_year") or 52.0)
    out = {p["name"]: param_label(p["name"]) for p in meta.get("parameters", [])}
    for o in meta.get("outputs", []):
        out |= {o: G.label_with_unit(o, cur, spy), f"{o}_ci_low": "95% from", f"{o}_ci_high": "95% to"}
    return {c: out.get(c, c) for c in columns}


def results(folder: str | Path) -> Results:
    """Open a results folder of ``sim compare``, ``sim sweep`` or ``sim run`` (see :class:`Results`)."""
    return Results(folder)
