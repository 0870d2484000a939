"""One browser session's markets: the run behind a dashboard page, without any user interface.

A :class:`Run` holds one market (or two, in A/B mode: "your strategy" and a comparison preset built
with the same seed and population, so their difference is paired, common random numbers) and steps
them together. Each page builds its own Run, so two visitors never share a model.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any

import pandas as pd

from sim.dashboard.controls import Preset, lever_defaults, overrides_for
from sim.library import is_path, scenario_path
from sim.model import RelationshipMarket
from sim.scenario import Scenario, load_scenario

__all__ = ["Run", "build_market", "scenario_config", "paired_difference", "with_pyramid"]

PRICE_WAR = {"kind": "price_war", "step": 0, "duration": 100_000, "severity": 0.15}


def scenario_config(ref: str | Path) -> Scenario:
    """The scenario of a library name or a YAML path."""
    return load_scenario(ref if is_path(ref) else scenario_path(str(ref)))


def rival_of(cfg: Scenario) -> str:
    """The competitor the competitor-market levers act on: the first firm that is not the focal one."""
    names = [f.name for f in cfg.firms]
    return next((n for n in names if n != "focal"), names[0])


def build_market(ref: str | Path, values: dict[str, Any] | None = None) -> RelationshipMarket:
    """The market of scenario ``ref`` with the lever ``values`` that differ from the scenario's own."""
    cfg = scenario_config(ref)
    rival = rival_of(cfg)
    defaults = lever_defaults(cfg, rival)
    values = {**defaults, **(values or {})}
    if cfg.population.start_state is not None:  # a start state fixes the smallest population (its rows)
        values["population"] = max(int(values["population"]), cfg.population.size)
    over, price_war = overrides_for(values, defaults, rival)
    if price_war:
        over["events"] = [*(e.model_dump() for e in cfg.events), {**PRICE_WAR, "firm": rival}]
    return RelationshipMarket(cfg, rng=int(values["seed"]), overrides=over)


def preset_values(p: Preset, seed: int | None = None) -> dict[str, Any]:
    """The lever values a preset starts from: its scenario's, then the preset's own."""
    cfg = scenario_config(p.scenario)
    vals = lever_defaults(cfg, rival_of(cfg))
    vals.update(dict(p.levers))
    if seed is not None:
        vals["seed"] = seed
    return vals


def paired_difference(a: pd.DataFrame, b: pd.DataFrame, firm: str = "focal") -> pd.DataFrame:
    """Per week: A minus B for ``firm``'s profit and retention, and the cumulative profit difference."""
    cols = ["step", "profit", "retention_rate", "customers"]
    fa = a.loc[a["firm"] == firm, cols].set_index("step")
    fb = b.loc[b["firm"] == firm, cols].set_index("step")
    d = (fa - fb).dropna().reset_index()
    d["cum_profit"] = d["profit"].cumsum()
    return d


def with_pyramid(model: RelationshipMarket, ts: pd.DataFrame) -> pd.DataFrame:
    """``ts`` with each firm's customer pyramid (D8) as of its latest classing: customers and forward value per
    class (``pyramid_<class>_customers`` / ``_value``, the columns ``sim run`` writes) and ``pyramid_week``, the
    week it was classed at. The model classes every ``portfolio.update_every`` weeks (sim.market.portfolio)."""
    book = pd.DataFrame(model.portfolio.timeseries([f.name for f in model.firms]))
    if book.empty:  # nothing classed before the first step
        return ts
    book["pyramid_week"] = book["step"].astype(float)
    book["firm"] = pd.Categorical(book["firm"], categories=ts["firm"].cat.categories)
    out = ts.merge(book, on=["step", "firm"], how="left")
    latest = [c for c in book.columns if c not in ("step", "firm")]
    out[latest] = out.groupby("firm", observed=True)[latest].ffill()
    return out


class Run:
    """The market(s) of one page: ``a`` (your strategy) and, in A/B mode, ``b`` (the comparison)."""

    def __init__(self, a: RelationshipMarket, b: RelationshipMarket | None = None, labels: tuple[str, str] = ("A", "B")):
        self.a, self.b, self.labels = a, b, labels
        self._ts: dict[str, tuple[int, pd.DataFrame]] = {}
        # play steps in its own thread while a click redraws in another: one at a time
        self.lock = threading.RLock()

    @property
    def week(self) -> int:
        return int(self.a.steps)

    @property
    def horizon(self) -> int:
        return int(self.a.horizon)

    @property
    def done(self) -> bool:
        return self.week >= self.horizon

    def step(self) -> None:
        """One week of every market (together, so A/B stays paired)."""
        with self.lock:
            if self.done:
                return
            self.a.step()
            if self.b is not None:
                self.b.step()

    def timeseries(self, which: str = "a") -> pd.DataFrame:
        """A market's timeseries with its customer pyramid, built once per week (every view shares it)."""
        model = self.a if which == "a" else self.b
        assert model is not None
        with self.lock:
            cached = self._ts.get(which)
            if cached is None or cached[0] != model.steps:
                cached = (model.steps, with_pyramid(model, model.timeseries()))
                self._ts[which] = cached
            return cached[1]

    def table(self) -> pd.DataFrame:
        """The run's timeseries with a ``market`` column (both markets in A/B mode)."""
        parts = [self.timeseries("a").assign(market=self.labels[0])]
        if self.b is not None:
            parts.append(self.timeseries("b").assign(market=self.labels[1]))
        df = pd.concat(parts, ignore_index=True)
        return df[["market", *[c for c in df.columns if c != "market"]]]

    def csv_bytes(self) -> bytes:
        buf = io.StringIO()
        self.table().to_csv(buf, index=False)
        return buf.getvalue().encode()
