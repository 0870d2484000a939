"""The dashboard's figures, drawn from a run's aggregates (and a sample of the contact network), never
from every customer. Plain functions from data to a matplotlib Figure, so they are tested without a
browser and the same figures go into the PNG export.

``big`` is the projector mode: larger fonts and thicker lines. Weeks tick at whole numbers, and a view
with nothing to draw yet says "press Play" instead of showing empty axes.
"""

from __future__ import annotations

import io
import textwrap

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402
from matplotlib.transforms import offset_copy  # noqa: E402

from sim.customers import registry as L  # noqa: E402
from sim.model import RelationshipMarket  # noqa: E402
from sim.scenario.portfolio import PYRAMID_CLASSES  # noqa: E402

__all__ = ["VIEWS", "AB_VIEWS", "network_sample", "pyramid_table", "same_scale", "figure_png", "composite_png", "PALETTE"]

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")
CAUSES = ("churn_dissatisfaction", "churn_competition", "churn_staff", "churn_own", "ended_by_firm")
PYRAMID_COLORS = ("#7f8fa6", "#d4a017", "#7b6f63", "#45455a")  # platinum, gold, iron, lead
NETWORK_SAMPLE = 400  # customers drawn in the network view (a few communities' worth)


def _fig(big: bool, h: float = 3.6) -> Figure:
    # projector mode: drawn at about the width a view gets on a 1280-pixel screen (two per row), so the
    # browser does not shrink its fonts
    fig = Figure(figsize=(5.4, h + 0.4) if big else (6.4, h), dpi=80 if big else 72)
    fig.set_layout_engine("tight")  # a third cheaper than "constrained" here
    return fig


def _wrap(fig: Figure, text: str, size: float) -> str:
    """``text`` broken into lines that fit the figure's width at font ``size`` (points)."""
    chars = max(20, int(fig.get_figwidth() * 72 / (0.62 * size)))
    return "\n".join(textwrap.wrap(text, chars)) if len(text) > chars else text


def _short(v: float, _pos: object = None) -> str:
    """A tick label without matplotlib's "1e6" offset text: 2.5M, 300k, 0.95."""
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:g}M"
    if a >= 1e4:
        return f"{v / 1e3:g}k"
    return f"{v:g}"


def _fs(big: bool) -> dict[str, float]:
    return {"title": 17 if big else 11, "label": 14 if big else 9, "legend": 12 if big else 8}


def _style(ax, title: str, big: bool, ylabel: str = "") -> None:
    fs = _fs(big)
    ax.set_title(_wrap(ax.figure, title, fs["title"]), fontsize=fs["title"])
    ax.set_xlabel("week", fontsize=fs["label"])
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=fs["label"])
    ax.tick_params(labelsize=fs["label"])
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)


def _empty(ts: pd.DataFrame) -> bool:
    return int(ts["step"].max()) < 1


def _press_play(fig: Figure, title: str, big: bool) -> Figure:
    ax = fig.subplots()
    ax.set_axis_off()
    ax.set_title(_wrap(fig, title, _fs(big)["title"]), fontsize=_fs(big)["title"])
    ax.text(0.5, 0.5, "press ▶ Play (or Step)", ha="center", va="center", fontsize=_fs(big)["title"], color="#666")
    return fig


def _lines(ax, ts: pd.DataFrame, col: str, big: bool, skip0: bool = False) -> None:
    for i, (name, g) in enumerate(ts.groupby("firm", observed=True, sort=False)):
        g = g[g["step"] > 0] if skip0 else g
        focal = name == "focal"
        ax.plot(g["step"], g[col], color=PALETTE[i % 7], lw=(3 if big else 2) if focal else 1.5, label=str(name))


def _legend_below(ax, big: bool, ncol: int = 3, labelled: bool = True) -> None:
    """The legend under the axes (and their week label if ``labelled``), outside them, so that it never
    covers a line."""
    gap = 2.4 * _fs(big)["label"] + 12 if labelled else 4
    below = offset_copy(ax.transAxes, fig=ax.figure, y=-gap, units="points")
    ax.legend(
        fontsize=_fs(big)["legend"],
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        bbox_transform=below,
        ncol=ncol,
        frameon=False,
    )


def _one_axes(ts: pd.DataFrame, title: str, big: bool, h: float = 3.6) -> tuple[Figure, object | None]:
    """A figure with one axes to draw on, or the "press Play" figure and None before the first week."""
    fig = _fig(big, h)
    return (_press_play(fig, title, big), None) if _empty(ts) else (fig, fig.subplots())


def _finish(ax, title: str, big: bool, ylabel: str) -> Figure:
    _style(ax, title, big, ylabel)
    _legend_below(ax, big)
    return ax.figure


def _per_firm(ts: pd.DataFrame, col: str, title: str, ylabel: str, big: bool, skip0: bool = False) -> Figure:
    """One line per firm of column ``col`` (the focal firm's thicker)."""
    fig, ax = _one_axes(ts, title, big)
    if ax is None:
        return fig
    _lines(ax, ts, col, big, skip0)
    return _finish(ax, title, big, ylabel)


def customers(ts: pd.DataFrame, big: bool = False, **_) -> Figure:
    return _per_firm(ts, "customers", "Customers per firm", "customers", big)


def churn(ts: pd.DataFrame, big: bool = False, firm: str = "focal", **_) -> Figure:
    title = f"{firm}: customers lost per week, by cause (D12)"
    fig, ax = _one_axes(ts, title, big, 4.0)
    if ax is None:
        return fig
    f = ts[(ts["firm"] == firm) & (ts["step"] > 0)]
    ax.stackplot(f["step"], *[f[c] for c in CAUSES], labels=[c.replace("churn_", "") for c in CAUSES])
    ax.plot(f["step"], f["acquired"], color="k", lw=2, label="acquired")
    return _finish(ax, title, big, "customers / week")


def retention(ts: pd.DataFrame, big: bool = False, **_) -> Figure:
    return _per_firm(ts, "retention_rate", "Retention per week (share kept)", "share", big, skip0=True)


def attitudes(ts: pd.DataFrame, big: bool = False, **_) -> Figure:
    title = "Focal: satisfaction, trust, loyalty (M1, M4, M3)"
    fig, ax = _one_axes(ts, title, big)
    if ax is None:
        return fig
    f = ts[ts["firm"] == "focal"]
    for col, c in zip(("satisfaction", "trust", "loyalty"), PALETTE, strict=False):
        ax.plot(f["step"], f[col], lw=3 if big else 2, color=c, label=col)
    return _finish(ax, title, big, "score (0-1)")


def money(ts: pd.DataFrame, big: bool = False, **_) -> Figure:
    return _per_firm(ts, "profit", "Profit per week (currency)", "currency / week", big, skip0=True)


def markets(ts: pd.DataFrame, big: bool = False, **_) -> Figure:
    title = "The other markets"
    fig = _fig(big, 6.2 if big else 4.2)
    if _empty(ts):
        return _press_play(fig, title, big)
    panels = [
        ("supplier_rung", "Supplier rung (D5)"),
        ("distributor_reach", "Distributor reach (M10)"),
        ("employee_satisfaction", "Employee satisfaction (M8)"),
        ("image", "Image (M12)"),
        ("price", "Price index"),
        ("customer_equity", "Customer equity, currency"),
    ]
    axes = fig.subplots(3, 2) if big else fig.subplots(2, 3)  # projector: two panels a row, titles fit
    fig.set_layout_engine(None)  # a fixed layout: "tight" doubled this view's drawing time (six panels)
    fig.subplots_adjust(
        left=0.1, right=0.97, bottom=0.06 if big else 0.08, top=0.95 if big else 0.91, wspace=0.35, hspace=0.45
    )
    for ax, (col, t) in zip(axes.flat, panels, strict=True):
        _lines(ax, ts, col, big, skip0=True)
        ax.set_title(t, fontsize=_fs(big)["label"] - (2 if big else 0))
        ax.tick_params(labelsize=_fs(big)["label"] - (3 if big else 1))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
        ax.yaxis.set_major_formatter(FuncFormatter(_short))
        ax.grid(alpha=0.3)
    return fig


def stages(ts: pd.DataFrame, big: bool = False, **_) -> Figure:
    names = [s for s in L.STAGES if s not in ("prospect", "lapsed")]  # the firm's own customers
    title = "Focal customers by lifecycle stage (D10)"
    fig, ax = _one_axes(ts, title, big)
    if ax is None:
        return fig
    f = ts.loc[ts["firm"] == "focal", ["step", *(f"stage_{s}" for s in names)]]
    ax.stackplot(f["step"], *[f[f"stage_{s}"] for s in names], labels=names)
    return _finish(ax, title, big, "customers")


def pyramid_table(ts: pd.DataFrame, firm: str = "focal") -> pd.DataFrame | None:
    """The firm's latest customer pyramid (D8) in a dashboard timeseries (``pyramid_*`` columns, see
    ``sim.dashboard.session.with_pyramid``): per class, platinum first, its ``customers``, forward ``value``
    (currency) and ``value_share`` (% of the firm's forward value), and the ``week`` it was classed at;
    None before the first classing."""
    if "pyramid_week" not in ts.columns:
        return None
    f = ts[(ts["firm"] == firm) & ts["pyramid_week"].notna()]
    if f.empty:
        return None
    row = f.iloc[-1]
    count = np.array([row[f"pyramid_{c}_customers"] for c in PYRAMID_CLASSES], dtype=float)
    value = np.array([row[f"pyramid_{c}_value"] for c in PYRAMID_CLASSES], dtype=float)
    total = value.sum()
    share = 100.0 * value / total if total > 0 else np.full(len(value), np.nan)
    return pd.DataFrame(
        {
            "class": PYRAMID_CLASSES,
            "customers": count,
            "value": value,
            "value_share": share,
            "week": int(row["pyramid_week"]),
        }
    )


def pyramid(ts: pd.DataFrame, big: bool = False, **_) -> Figure:
    """The focal firm's customer pyramid (D8) as of its latest classing: customers and share of forward value
    per class, platinum at the top."""
    title = "Focal: customer pyramid by forward value (D8)"
    fig = _fig(big, 4.0)
    t = pyramid_table(ts)
    if t is None:
        return _press_play(fig, title, big)
    fs = _fs(big)
    y = np.arange(len(t))[::-1]  # platinum at the top
    axes = fig.subplots(1, 2, sharey=True)
    columns = (("customers", "customers", "{:,.0f}"), ("value_share", "% of forward value", "{:.0f} %"))
    for ax, (col, unit, fmt) in zip(axes, columns, strict=True):
        x = t[col].fillna(0.0).to_numpy()
        ax.barh(y, x, color=PYRAMID_COLORS)
        for yi, v in zip(y, x, strict=True):
            ax.text(v if v > 0 else 0, yi, " " + fmt.format(v), va="center", fontsize=fs["legend"])
        hi = max(float(x.max()), 1e-9)
        ax.set_xlim(min(0.0, float(x.min()) * 1.1), hi * 1.6)  # room for the numbers
        ax.axvline(0, color="k", lw=0.8)
        ax.set_xticks([])
        ax.set_xlabel(unit, fontsize=fs["label"])
        for side in ("top", "right", "bottom"):
            ax.spines[side].set_visible(False)
    axes[0].set_yticks(y, list(t["class"]), fontsize=fs["label"])
    for ax in axes:
        ax.tick_params(axis="y", length=0)
    week = int(t["week"].iloc[0])
    fig.suptitle(_wrap(fig, f"{title}, classed at week {week}", fs["title"]), fontsize=fs["title"])
    return fig


def network_sample(model: RelationshipMarket, size: int = NETWORK_SAMPLE) -> tuple[np.ndarray, np.ndarray]:
    """The first ``size`` customers (the population is a chain of communities, so these are one
    community's members) with their ties among themselves, laid out once per model by a force layout
    (clusters of the community show as groups)."""
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
            if i < j < k:
                g.add_edge(i, int(j))
    pos = nx.spring_layout(g, seed=1, iterations=40)
    xy = np.array([pos[i] for i in range(k)])
    edges = np.array(list(g.edges()), dtype=np.int64).reshape(-1, 2)
    model._dashboard_network = (xy, edges)
    return model._dashboard_network


def network(model: RelationshipMarket, big: bool = False) -> Figure:
    """Word-of-mouth ties in a sample, coloured by the firm each customer buys from, sized by satisfaction."""
    from matplotlib.collections import LineCollection

    xy, edges = network_sample(model)
    pop = model.population
    k = len(xy)
    firm = pop.firm[:k]
    fig = _fig(big, 4.2)
    ax = fig.subplots()
    if len(edges):
        ax.add_collection(LineCollection(xy[edges], colors="#bbb", linewidths=0.4))
    pal = np.array(PALETTE)
    colors = np.where(firm >= 0, pal[np.maximum(firm, 0) % len(pal)], "#dddddd")
    sizes = (8 if big else 5) + (90 if big else 60) * pop.satisfaction[:k] * (firm >= 0)
    ax.scatter(xy[:, 0], xy[:, 1], c=colors, s=sizes, linewidths=0.3, edgecolors="#555")
    for i, f in enumerate(model.firms):
        ax.scatter([], [], c=PALETTE[i % 7], label=f"{f.name}: {int((firm == i).sum())}")
    ax.scatter([], [], c="#dddddd", label="no firm")
    _legend_below(ax, big, ncol=2, labelled=False)
    title = f"Word of mouth: {k} of {pop.n:,} customers (dot size = satisfaction)"
    ax.set_title(_wrap(fig, title, _fs(big)["title"]), fontsize=_fs(big)["title"])
    ax.set_axis_off()
    return fig


def ab_difference(d: pd.DataFrame, big: bool = False, labels: tuple[str, str] = ("A", "B")) -> Figure:
    """The paired difference A − B of the focal firm: cumulative profit and weekly retention."""
    title = f"{labels[0]} minus {labels[1]} (focal firm, same seed)"
    fig = _fig(big, 4.2)
    if len(d) < 2:
        return _press_play(fig, title, big)
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    fig.suptitle(_wrap(fig, title, _fs(big)["title"]), fontsize=_fs(big)["title"])
    ax1.plot(d["step"], d["cum_profit"], lw=3 if big else 2, color=PALETTE[0])
    _style(ax1, "cumulative profit, currency", big)
    ax1.set_xlabel("")
    dd = d[d["step"] > 0]
    ax2.bar(dd["step"], 100 * dd["retention_rate"], color=PALETTE[2])
    _style(ax2, "retention per week, % points", big)
    for ax in (ax1, ax2):  # panel titles, not y labels: two y labels of this length overlap
        ax.title.set_fontsize(_fs(big)["label"])
        ax.axhline(0, color="k", lw=0.8)
        ax.yaxis.set_major_formatter(FuncFormatter(_short))
    return fig


def same_scale(a: Figure, b: Figure) -> None:
    """Give the axes of two figures of the same view (A and B) the same limits, so that the two markets
    side by side compare by eye."""
    if len(a.axes) != len(b.axes):
        return
    for x, y in zip(a.axes, b.axes, strict=True):
        (x0, x1), (u0, u1) = x.get_xlim(), y.get_xlim()
        (y0, y1), (v0, v1) = x.get_ylim(), y.get_ylim()
        for ax in (x, y):
            ax.set_xlim(min(x0, u0), max(x1, u1))
            ax.set_ylim(min(y0, v0), max(y1, v1))


VIEWS = {
    "customers": customers,
    "churn": churn,
    "pyramid": pyramid,
    "retention": retention,
    "attitudes": attitudes,
    "money": money,
    "stages": stages,
    "markets": markets,
}
AB_VIEWS = ("customers", "money", "churn", "pyramid")


def figure_png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def composite_png(figs: list[Figure]) -> bytes:
    """The current figures stacked into one PNG (the export)."""
    from PIL import Image

    images = [Image.open(io.BytesIO(figure_png(f))).convert("RGB") for f in figs]
    w = max(i.width for i in images)
    out = Image.new("RGB", (w, sum(i.height for i in images)), "white")
    y = 0
    for im in images:
        out.paste(im, (0, y))
        y += im.height
    buf = io.BytesIO()
    out.save(buf, format="PNG")
    return buf.getvalue()
