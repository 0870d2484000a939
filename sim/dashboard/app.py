"""The classroom dashboard: a Mesa SolaraViz app of the six relationship markets.

    sim dashboard [SCENARIO] [--port P] [--host H]     (or: solara run sim/dashboard/app.py)

Sliders and switches set the main levers of the focal firm and of one competitor, the population size
and the seed; Mesa's controller gives play / step / reset and speed. The views draw aggregates (and, for
the word-of-mouth network, a sample of at most 2,000 customers), never every customer, so large
populations stay responsive.
"""

from __future__ import annotations

import os
from typing import Any

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import solara  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from mesa.visualization import SolaraViz  # noqa: E402
from mesa.visualization.utils import update_counter  # noqa: E402

from sim.customers import registry as L  # noqa: E402
from sim.library import scenario_path  # noqa: E402
from sim.model import RelationshipMarket
from sim.scenario.levers import RELATIONSHIP_LEVELS  # noqa: E402

__all__ = ["DashboardMarket", "MODEL_PARAMS", "page", "NETWORK_SAMPLE"]

NETWORK_SAMPLE = 2000
LEVELS = list(RELATIONSHIP_LEVELS)


class DashboardMarket(RelationshipMarket):
    """A RelationshipMarket built from the dashboard's controls (flat keyword arguments, as SolaraViz
    passes them on reset). The scenario file comes from ``SIM_DASHBOARD_SCENARIO`` (default: baseline)."""

    def __init__(
        self,
        scenario: Any = None,
        *,
        seed: int = 0,
        population_size: int = 5000,
        structural_spend: float = 0.0,
        social_spend: float = 0.0,
        loyalty_programme: bool = False,
        relationship_level: str = "basic",
        recovery_rate: float = 0.2,
        internal_marketing: float = 0.0,
        public_relations: float = 0.0,
        supplier_squeeze: float = 0.0,
        rival_price_war: bool = False,
        rival_poaching: float = 0.0,
        rival: str = "rival_1",
        **params: Any,
    ) -> None:
        path = os.environ.get("SIM_DASHBOARD_SCENARIO") or str(scenario_path("baseline"))
        overrides = {
            "population.size": int(population_size),
            "firms.focal.levers.structural.spend": float(structural_spend),
            "firms.focal.levers.social.spend": float(social_spend),
            "firms.focal.levers.relationship_level": relationship_level,
            "firms.focal.recovery_rate": float(recovery_rate),
            "firms.focal.levers.internal_marketing.spend": float(internal_marketing),
            "firms.focal.levers.public_relations.spend": float(public_relations),
            "firms.focal.levers.supplier.squeeze": float(supplier_squeeze),
            f"firms.{rival}.levers.poaching.spend": float(rival_poaching),
        }
        if loyalty_programme:
            overrides["firms.focal.levers.financial"] = {"rebate": 0.02, "spend": 6000.0}
        extra_events = (
            [{"kind": "price_war", "firm": rival, "step": 0, "duration": 100_000, "severity": 0.15}]
            if rival_price_war
            else []
        )
        super().__init__(path, rng=int(seed), overrides=overrides, **params)
        if extra_events:
            from sim.market.shocks import EventSchedule
            from sim.scenario.markets import EventConfig

            events = [*self.config.events, *(EventConfig.model_validate(e) for e in extra_events)]
            self.events = EventSchedule(events, self.shock_rng)


MODEL_PARAMS: dict[str, Any] = {
    "seed": {"type": "SliderInt", "value": 0, "label": "Seed", "min": 0, "max": 99, "step": 1},
    "population_size": {
        "type": "SliderInt",
        "value": 5000,
        "label": "Population",
        "min": 1000,
        "max": 200_000,
        "step": 1000,
    },
    "structural_spend": {
        "type": "SliderFloat",
        "value": 0.0,
        "label": "Focal: structural bonds (per week, D3/M7)",
        "min": 0.0,
        "max": 20_000.0,
        "step": 500.0,
    },
    "social_spend": {
        "type": "SliderFloat",
        "value": 0.0,
        "label": "Focal: social bonds (per week, D3)",
        "min": 0.0,
        "max": 20_000.0,
        "step": 500.0,
    },
    "loyalty_programme": {"type": "Checkbox", "value": False, "label": "Focal: loyalty programme (M6)"},
    "relationship_level": {"type": "Select", "value": "basic", "label": "Focal: relationship level (D4)", "values": LEVELS},
    "recovery_rate": {
        "type": "SliderFloat",
        "value": 0.2,
        "label": "Focal: complaints recovered (D10)",
        "min": 0.0,
        "max": 1.0,
        "step": 0.05,
    },
    "internal_marketing": {
        "type": "SliderFloat",
        "value": 0.0,
        "label": "Focal: internal marketing (M8)",
        "min": 0.0,
        "max": 10_000.0,
        "step": 500.0,
    },
    "public_relations": {
        "type": "SliderFloat",
        "value": 0.0,
        "label": "Focal: public relations (M12)",
        "min": 0.0,
        "max": 10_000.0,
        "step": 500.0,
    },
    "supplier_squeeze": {
        "type": "SliderFloat",
        "value": 0.0,
        "label": "Focal: supplier squeeze (M9)",
        "min": 0.0,
        "max": 0.3,
        "step": 0.05,
    },
    "rival_price_war": {"type": "Checkbox", "value": False, "label": "Rival: price war"},
    "rival_poaching": {
        "type": "SliderFloat",
        "value": 0.0,
        "label": "Rival: poaching (per week)",
        "min": 0.0,
        "max": 10_000.0,
        "step": 500.0,
    },
}


# ---------------------------------------------------------------- views (aggregates only)
def _series(model: RelationshipMarket):
    """The model's timeseries, built once per step and shared by every view (seven views render per step)."""
    cached = getattr(model, "_dashboard_series", None)
    if cached is None or cached[0] != model.steps:
        cached = (model.steps, model.timeseries())
        model._dashboard_series = cached
    return cached[1]


def _lines(ax, ts, col: str, title: str, skip0: bool = False) -> None:
    for name, g in ts.groupby("firm", observed=True, sort=False):
        g = g[g["step"] > 0] if skip0 else g
        ax.plot(g["step"], g[col], lw=2 if name == "focal" else 1.2, label=str(name))
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)


@solara.component
def CustomersView(model: RelationshipMarket):
    update_counter.get()
    ts = _series(model)
    fig = Figure(figsize=(6, 3.4))
    ax = fig.subplots()
    _lines(ax, ts, "customers", "Customers per firm")
    ax.legend(fontsize=8)
    solara.FigureMatplotlib(fig, format="png")


@solara.component
def RetentionView(model: RelationshipMarket):
    update_counter.get()
    ts = _series(model)
    fig = Figure(figsize=(6, 3.4))
    ax1, ax2 = fig.subplots(1, 2)
    _lines(ax1, ts, "retention_rate", "Retention per week", skip0=True)
    f = ts[(ts["firm"] == "focal") & (ts["step"] > 0)]
    causes = ["churn_dissatisfaction", "churn_competition", "churn_staff", "churn_own", "ended_by_firm"]
    ax2.stackplot(f["step"], *[f[c] for c in causes], labels=[c.replace("churn_", "") for c in causes])
    ax2.set_title("Focal churn by cause (D12)", fontsize=10)
    ax2.legend(fontsize=6)
    fig.tight_layout()
    solara.FigureMatplotlib(fig, format="png")


@solara.component
def AttitudesView(model: RelationshipMarket):
    update_counter.get()
    ts = _series(model)
    fig = Figure(figsize=(6, 3.4))
    ax = fig.subplots()
    styles = {"satisfaction": "-", "trust": "--", "loyalty": ":"}
    for col, ls in styles.items():
        for name, g in ts.groupby("firm", observed=True, sort=False):
            ax.plot(g["step"], g[col], ls=ls, lw=2 if name == "focal" else 1, label=f"{name} {col}")
    ax.set_title("Satisfaction (—), trust (--), loyalty (··) (M1, M4, M3)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6, ncol=3)
    solara.FigureMatplotlib(fig, format="png")


@solara.component
def MoneyView(model: RelationshipMarket):
    update_counter.get()
    ts = _series(model)
    fig = Figure(figsize=(6, 3.4))
    ax1, ax2 = fig.subplots(1, 2)
    _lines(ax1, ts, "profit", "Profit per week", skip0=True)
    _lines(ax2, ts, "customer_equity", "Customer equity (CLV)")
    fig.tight_layout()
    solara.FigureMatplotlib(fig, format="png")


@solara.component
def MarketsView(model: RelationshipMarket):
    update_counter.get()
    ts = _series(model)
    fig = Figure(figsize=(9, 4.5))
    axes = fig.subplots(2, 3)
    for ax, (col, title) in zip(
        axes.flat,
        [
            ("supplier_rung", "Supplier rung (D5)"),
            ("distributor_reach", "Distributor reach (M10)"),
            ("employee_satisfaction", "Employee satisfaction (M8)"),
            ("image", "Image (M12)"),
            ("in_alliance", "Alliances (M11)"),
            ("price", "Price index"),
        ],
        strict=True,
    ):
        _lines(ax, ts, col, title, skip0=True)
    fig.tight_layout()
    solara.FigureMatplotlib(fig, format="png")


@solara.component
def StagesView(model: RelationshipMarket):
    update_counter.get()
    ts = _series(model)
    f = ts[ts["firm"] == "focal"]
    stages = [s for s in L.STAGES if s not in ("prospect", "lapsed")]
    fig = Figure(figsize=(6, 3.4))
    ax = fig.subplots()
    ax.stackplot(f["step"], *[f[f"stage_{s}"] for s in stages], labels=stages)
    ax.set_title("Focal customers by lifecycle stage (D10)", fontsize=10)
    ax.legend(fontsize=7, loc="upper left")
    solara.FigureMatplotlib(fig, format="png")


def network_sample(model: RelationshipMarket, size: int = NETWORK_SAMPLE):
    """A contiguous block of at most ``size`` customers (a community of the contact network) with its
    internal ties and a layout computed once per model."""
    cached = getattr(model, "_dashboard_network", None)
    if cached is not None:
        return cached
    import networkx as nx

    net = model.population.network
    k = min(size, model.population.n)
    g = nx.Graph()
    g.add_nodes_from(range(k))
    for i in range(k):
        for j in net.indices[net.indptr[i] : net.indptr[i + 1]]:
            if j < k and j > i:
                g.add_edge(i, int(j))
    pos = nx.circular_layout(g)  # O(n): a force layout of 2,000 nodes takes seconds per page load
    xy = np.array([pos[i] for i in range(k)])
    edges = np.array(list(g.edges()), dtype=np.int64).reshape(-1, 2)
    model._dashboard_network = (xy, edges)
    return model._dashboard_network


@solara.component
def NetworkView(model: RelationshipMarket):
    update_counter.get()
    xy, edges = network_sample(model)
    pop = model.population
    k = len(xy)
    firm = pop.firm[:k]
    fig = Figure(figsize=(6, 5))
    ax = fig.subplots()
    if len(edges):
        seg = xy[edges]
        from matplotlib.collections import LineCollection

        ax.add_collection(LineCollection(seg, colors="#ccc", linewidths=0.3))
    palette = np.array(["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"])
    colors = np.where(firm >= 0, palette[np.maximum(firm, 0) % len(palette)], "#bbbbbb")
    sizes = 4 + 30 * pop.satisfaction[:k] * (firm >= 0)
    ax.scatter(xy[:, 0], xy[:, 1], c=colors, s=sizes, linewidths=0)
    names = [f.name for f in model.firms]
    for i, name in enumerate(names):
        ax.scatter([], [], c=palette[i % len(palette)], label=name)
    ax.scatter([], [], c="#bbbbbb", label="prospect / lapsed")
    ax.legend(fontsize=7, loc="lower left")
    ax.set_title(f"Word-of-mouth network: {k:,} of {pop.n:,} customers (size = satisfaction)", fontsize=10)
    ax.set_axis_off()
    solara.FigureMatplotlib(fig, format="png")


COMPONENTS = [
    (CustomersView, 0),
    (NetworkView, 0),
    (RetentionView, 0),
    (AttitudesView, 0),
    (MoneyView, 0),
    (MarketsView, 0),
    (StagesView, 0),
]


def make_page(model: DashboardMarket | None = None):
    model = model or DashboardMarket()
    return SolaraViz(
        model,
        components=COMPONENTS,
        model_params=MODEL_PARAMS,
        name="Relationship marketing: the six markets",
        play_interval=150,
    )


page = make_page()
