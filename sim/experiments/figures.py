"""Figures of experiments, sized for a slide: a handful of strategies highlighted (baseline, best, worst and
the experiment's ``highlight:`` list) in the Okabe-Ito palette with the rest in light grey, legends below
the plot, units on the axes from the glossary, no offset exponents, constrained layout (no clipped
titles), and no text under 10 pt when a figure is placed 1280 px wide (``sim.output.palette``).

Every figure goes through :func:`save_figure`, so a test can walk the Figure before it is written.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import PercentFormatter  # noqa: E402

from sim.output import glossary as G  # noqa: E402
from sim.output.palette import GREY, OKABE_ITO, RC, highlight_colors, human_formatter  # noqa: E402

__all__ = ["DPI", "save_figure", "timeseries_figure", "differences_figure", "survival_figure", "indices_figure"]
__all__ += ["heatmap_figure", "param_label", "param_unit", "param_axis_label"]

DPI = 100
WIDTH = 12.0  # inches: 1200 px at DPI, so a figure placed 1280 px wide keeps its point sizes


def save_figure(fig: Figure, path: Path) -> None:
    """Write ``fig`` as PNG at :data:`DPI` and close it."""
    with plt.rc_context(RC):
        fig.savefig(path, dpi=DPI)
    plt.close(fig)


def _styled[**P, R](build: Callable[P, R]) -> Callable[P, R]:
    """Build the figure under the slide-size text sizes (``palette.RC``)."""

    @functools.wraps(build)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with plt.rc_context(RC):
            return build(*args, **kwargs)

    return wrapper


def _figure(height: float, nrows: int = 1, ncols: int = 1, **kw: Any) -> tuple[Figure, Any]:
    return plt.subplots(nrows, ncols, figsize=(WIDTH, height), layout="constrained", **kw)


def _band(df: pd.DataFrame, col: str) -> pd.DataFrame:
    g = df.groupby("step")[col]
    m, s, n = g.mean(), g.std(ddof=1), g.count()
    half = 1.96 * s / np.sqrt(n.clip(lower=1))
    return pd.DataFrame({"mean": m, "lo": m - half.fillna(0), "hi": m + half.fillna(0)})


def _legend(fig: Figure, colors: dict[str, str], names: dict[str, str] | None = None) -> None:
    """One compact legend below the plots: the highlighted series, then "others" in grey."""
    shown = [s for s, c in colors.items() if c != GREY]
    handles = [Line2D([], [], color=colors[s], lw=3) for s in shown]
    labels = [(names or {}).get(s, s) for s in shown]
    if len(shown) < len(colors):
        handles.append(Line2D([], [], color=GREY, lw=3))
        labels.append(f"other strategies ({len(colors) - len(shown)})")
    fig.legend(handles, labels, loc="outside lower center", ncols=min(4, len(labels)), fontsize=RC["legend.fontsize"])


def _robust_ylim(ax: Any, values: list[np.ndarray], whole: list[np.ndarray]) -> None:
    """Y-range from the 0.5th to 99.5th percentile of the series (after week 1), widened to show the
    ``whole`` (highlighted) series, with a margin: a one-week dip does not flatten the others."""
    v = np.concatenate([x[np.isfinite(x)] for x in values if len(x)]) if values else np.array([])
    w = np.concatenate([x[np.isfinite(x)] for x in whole if len(x)]) if whole else np.array([])
    if v.size:
        lo, hi = np.quantile(v, [0.005, 0.995])
        if w.size:
            lo, hi = min(lo, w.min()), max(hi, w.max())
        pad = 0.08 * (hi - lo) if hi > lo else max(abs(hi), 1.0) * 0.05
        ax.set_ylim(lo - pad, hi + pad)


def _formatter(name: str) -> Any:
    """Shares as percentages (99.8%), everything else without an offset (1.2 M)."""
    if G.unit(name).startswith("share"):
        return PercentFormatter(1.0, decimals=1)
    return human_formatter


@_styled
def timeseries_figure(
    df: pd.DataFrame, order: list[str], highlighted: list[str], names: dict[str, str], currency: str, spy: float
) -> Figure:
    """Customers, weekly retention, weekly profit and satisfaction: mean over replications (95% band for
    the highlighted strategies). Retention and profit start at week 2 (week 1 holds one-off start-up moves)."""
    colors = highlight_colors(order, highlighted)
    fig, axes = _figure(7.5, 2, 2, sharex=True)
    for ax, col in zip(axes.flat, ("customers", "retention_rate", "profit", "satisfaction"), strict=True):
        flow = col in ("retention_rate", "profit")
        kept, whole = [], []
        for s in sorted(order, key=lambda s: colors[s] != GREY):  # grey first, underneath
            g = df[(df["strategy"] == s) & (df["step"] > (1 if flow else -1))]
            b = _band(g, col)
            hl = colors[s] != GREY
            ax.plot(b.index, b["mean"], color=colors[s], lw=2.2 if hl else 1.0, zorder=3 if hl else 2)
            if hl:
                ax.fill_between(b.index, b["lo"], b["hi"], color=colors[s], alpha=0.18, lw=0, zorder=1)
            kept.append(b["mean"].to_numpy())
            if hl:
                whole.append(b["mean"].to_numpy())
        if flow:
            _robust_ylim(ax, kept, whole)
        ax.set_title(G.label(col))
        ax.set_ylabel(G.unit(col, currency, spy))
        ax.yaxis.set_major_formatter(_formatter(col))
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel(G.step_name(spy))
    _legend(fig, colors, names)
    return fig


@_styled
def differences_figure(
    table: pd.DataFrame,
    baseline: str,
    names: dict[str, str],
    currency: str,
    spy: float,
    titles: dict[str, str] | None = None,
) -> Figure | None:
    """Paired difference against the baseline with its 95% interval, one panel per key metric; blue: better
    (interval above 0), vermillion: worse, grey: not distinguishable from the baseline."""
    metrics = [m for m in ("profit_total", "annual_retention", "customer_equity_final") if m in set(table["metric"])]
    if not metrics:  # a partial folder whose complete runs give no paired metric yet: no figure
        return None
    t0 = table[(table["metric"] == metrics[0]) & (table["strategy"] != baseline)].sort_values("diff_vs_baseline")
    ystrat = list(t0["strategy"])
    fig, axes = _figure(0.42 * len(ystrat) + 2.2, 1, len(metrics), sharey=True)
    axes = np.atleast_1d(axes)
    y = np.arange(len(ystrat))
    for ax, m in zip(axes, metrics, strict=True):
        t = table[table["metric"] == m].set_index("strategy").reindex(ystrat)
        d, lo, hi = t["diff_vs_baseline"], t["diff_ci_low"], t["diff_ci_high"]
        err = np.vstack([(d - lo).fillna(0), (hi - d).fillna(0)])
        colors = [OKABE_ITO[0] if a > 0 else OKABE_ITO[1] if b < 0 else GREY for a, b in zip(lo, hi, strict=True)]
        ax.barh(y, d, xerr=err, color=colors, capsize=3)
        ax.axvline(0, color="k", lw=0.8)
        ax.set_title((titles or {}).get(m, G.label(m)), loc="left")
        share = G.unit(m).startswith("share")
        ax.set_xlabel(f"difference ({'percentage points' if share else G.unit(m, currency, spy)})")
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0) if share else human_formatter)
        ax.xaxis.set_major_locator(plt.MaxNLocator(4))
        ax.grid(alpha=0.3, axis="x")
    axes[0].set_yticks(y, [names.get(s, s) for s in ystrat])
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in (OKABE_ITO[0], OKABE_ITO[1], GREY)]
    fig.legend(
        handles,
        ["better than baseline", "worse", "not distinguishable"],
        loc="outside lower center",
        ncols=3,
        fontsize=RC["legend.fontsize"],
    )
    fig.suptitle(f"Paired difference vs {baseline} (95% interval)", fontsize=RC["figure.titlesize"])
    return fig


@_styled
def survival_figure(df: pd.DataFrame, order: list[str], highlighted: list[str], names: dict[str, str], spy: float) -> Figure:
    """Share of the customer base retained: cumulative product of the weekly retention rates."""
    colors = highlight_colors(order, highlighted)
    fig, ax = _figure(6.0)
    for s in sorted(order, key=lambda s: colors[s] != GREY):
        g = df[(df["strategy"] == s) & (df["step"] > 0)].sort_values(["replication", "step"]).copy()
        g["survival"] = g.groupby("replication")["retention_rate"].cumprod()
        b = _band(g, "survival")
        hl = colors[s] != GREY
        ax.plot(b.index, b["mean"], color=colors[s], lw=2.2 if hl else 1.0, zorder=3 if hl else 2)
        if hl:
            ax.fill_between(b.index, b["lo"], b["hi"], color=colors[s], alpha=0.18, lw=0)
    ax.set_title("Share of the starting customers still with the firm (mean, 95% band)")
    ax.set_xlabel(G.step_name(spy))
    ax.set_ylabel("share of starting customers")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.grid(alpha=0.3)
    _legend(fig, colors, names)
    return fig


# ---------------------------------------------------------------- sweeps
def param_label(name: str) -> str:
    """A parameter's dotted key in words: "firms.focal.levers.social.spend" -> "social spend (focal)"."""
    parts = name.split(".")
    who = ""
    if parts[0] == "firms" and len(parts) > 2:
        who, parts = parts[1], parts[2:]
    words = [p for p in parts if p not in ("levers", "dynamics")][-2:]
    text = " ".join(w.replace("_", " ") for w in words)
    return f"{text} ({who})" if who else text


@_styled
def param_unit(name: str, currency: str = "", spy: float = 52.0) -> str:
    """A swept parameter's unit from the scenario schema ("" when not found): "currency units per week"."""
    from sim.scenario import Scenario
    from sim.scenario.fields import submodel

    model: Any = Scenario
    parts, i = name.split("."), 0
    while i < len(parts):
        f = model.model_fields.get(parts[i])
        if f is None:
            return ""
        sub = submodel(f.annotation)
        if sub is None:
            if i < len(parts) - 1:
                return ""
            raw = str((f.json_schema_extra or {}).get("unit", ""))
            return raw.replace("currency", G.currency_name(currency)).replace("step", G.step_name(spy))
        model, i = sub, i + 1
        if i < len(parts) and parts[i] not in model.model_fields:  # a list item named by its name
            i += 1
    return ""


def param_axis_label(name: str, currency: str = "", spy: float = 52.0) -> str:
    u = param_unit(name, currency, spy)
    return f"{param_label(name)}, {u}" if u else param_label(name)


def indices_figure(ind: pd.DataFrame, method: str, output: str, currency: str, spy: float) -> Figure:
    fig, ax = _figure(0.55 * len(ind) + 2.5)
    what = G.label(output)
    params = [param_label(p) for p in ind["parameter"]]
    if method == "sobol":
        y = np.arange(len(ind))
        ax.barh(y - 0.2, ind["S1"], 0.4, xerr=ind["S1_conf"], label="S1: alone", capsize=3, color=OKABE_ITO[0])
        ax.barh(y + 0.2, ind["ST"], 0.4, xerr=ind["ST_conf"], label="ST: with interactions", capsize=3, color=OKABE_ITO[1])
        ax.set_yticks(y, params)
        ax.set_xlabel("share of the output's variance")
        ax.legend(loc="lower right")
        ax.set_title(f"What drives {what.lower()} (Sobol indices, 95% interval)")
    elif method == "morris":
        ax.scatter(ind["mu_star"], ind["sigma"], color=OKABE_ITO[0], s=50)
        for p, (_, r) in zip(params, ind.iterrows(), strict=True):
            ax.annotate(
                p, (r["mu_star"], r["sigma"]), fontsize=RC["font.size"] - 1, xytext=(4, 4), textcoords="offset points"
            )
        ax.set_xlabel(f"mu*: mean absolute effect ({G.unit(output, currency, spy)})")
        ax.set_ylabel("sigma: non-linearity / interactions")
        ax.xaxis.set_major_formatter(human_formatter)
        ax.yaxis.set_major_formatter(human_formatter)
        ax.set_title(f"What drives {what.lower()} (Morris screening)")
    else:
        t = ind.assign(label=params).reindex(ind["src"].abs().sort_values().index)
        ax.barh(t["label"], t["src"], color=[OKABE_ITO[0] if v > 0 else OKABE_ITO[1] for v in t["src"]])
        ax.axvline(0, color="k", lw=0.8)
        ax.set_xlabel("standard deviations of output per standard deviation of parameter")
        ax.set_title(f"What drives {what.lower()} (standardised regression)")
    ax.grid(alpha=0.3)
    return fig


def _text_color(rgba: tuple) -> str:
    """Black on light cells, white on dark ones (relative luminance, WCAG)."""
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(rgba))
    return "black" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.3 else "white"


@_styled
def heatmap_figure(table: pd.DataFrame, params: list[str], output: str, currency: str, spy: float) -> Figure:
    from sim.output.palette import human

    grid = table.pivot_table(index=params[0], columns=params[1], values=output)
    fig, ax = _figure(7.0)
    im = ax.imshow(grid.to_numpy(), origin="lower", aspect="auto", cmap="viridis")
    ax.set_xticks(range(grid.shape[1]), [human(v) for v in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [human(v) for v in grid.index])
    ax.set_xlabel(param_axis_label(params[1], currency, spy))
    ax.set_ylabel(param_axis_label(params[0], currency, spy))
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            v = grid.iat[i, j]
            ax.text(j, i, human(v), ha="center", va="center", color=_text_color(im.cmap(im.norm(v))), fontsize=12)
    cb = fig.colorbar(im, label=G.label_with_unit(output, currency, spy))
    cb.formatter = human_formatter
    cb.update_ticks()
    ax.set_title(f"{G.label(output)}: mean over replications")
    return fig
