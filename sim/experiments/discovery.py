"""Scenario discovery (issue 18): PRIM boxes over the uncertainties of a robustness experiment, with the
EMA Workbench's PRIM (``ema_workbench.analysis.prim``; Friedman & Fisher 1999, as used for scenario
discovery by Bryant & Lempert 2010). Nothing here peels by hand: this module chooses a box from the
workbench's peeling trajectory and puts it into words and a figure.

A box is a set of limits on the uncertainties. Its *coverage* is the share of the cases of interest (e.g.
futures in which a strategy loses to the baseline) that fall inside it; its *density* the share of the
futures inside it that are cases of interest; its *mass* the share of all futures inside it. From the
peeling trajectory the box chosen is the one with the highest coverage among those with density at least
``min_density`` (0.8 by default), else the one with the highest coverage x density — both among the boxes
that restrict at most ``max_dims`` (3) uncertainties (any number if none does).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["find_box", "describe", "box_figure"]


def _prim() -> Any:
    with warnings.catch_warnings():  # the workbench warns at import about optional parallel back-ends
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim
    return prim


def find_box(
    x: pd.DataFrame, y: np.ndarray, min_density: float = 0.8, mass_min: float = 0.05, max_dims: int = 3
) -> dict[str, Any] | None:
    """The PRIM box of the cases ``y`` (bool per row of ``x``, the uncertainties: numbers, or strings as
    categories). Returns coverage, density, mass, the box's limits per restricted uncertainty
    (``(low, high)`` for numbers, a sorted list of kept values for categories), the peeling trajectory and
    the chosen step; None when there are no cases, or only cases."""
    y = np.asarray(y, dtype=bool)
    if y.sum() == 0 or y.all():
        return None
    x = x.reset_index(drop=True).copy()
    for c in x.columns:
        if not pd.api.types.is_numeric_dtype(x[c]):
            x[c] = x[c].astype(str).astype("category")
        else:
            x[c] = x[c].astype(np.float64)
    prim = _prim()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        box = prim.Prim(x, y, mass_min=mass_min).find_box()
    traj = box.peeling_trajectory.reset_index(drop=True)
    if (traj["res_dim"] <= max_dims).any():  # a box in a few uncertainties says more, and overfits less
        traj = traj[traj["res_dim"] <= max_dims]
    dense = traj[traj["density"] >= min_density]
    if len(dense):
        i = int(dense.sort_values(["coverage", "density"], ascending=False).index[0])
    else:
        i = int((traj["coverage"] * traj["density"]).idxmax())
    traj = box.peeling_trajectory.reset_index(drop=True)
    lims, first = box.box_lims[i], box.box_lims[0]
    limits: dict[str, Any] = {}
    for c in x.columns:
        lo, hi = lims[c].iloc[0], lims[c].iloc[1]
        if isinstance(lo, set):
            if lo != first[c].iloc[0]:
                limits[c] = sorted(lo)
        elif lo > first[c].iloc[0] or hi < first[c].iloc[1]:
            limits[c] = (float(lo), float(hi))
    inside = np.ones(len(x), dtype=bool)
    for c, lim in limits.items():
        inside &= x[c].astype(str).isin(lim).to_numpy() if isinstance(lim, list) else x[c].between(*lim).to_numpy()
    return {
        "coverage": float((inside & y).sum() / y.sum()),
        "density": float((inside & y).sum() / max(inside.sum(), 1)),
        "mass": float(inside.mean()),
        "cases": int(y.sum()),
        "n": int(len(y)),
        "limits": limits,
        "ranges": {c: _range(x[c]) for c in x.columns},
        "trajectory": traj[["coverage", "density", "mass", "res_dim"]],
        "step": i,
    }


def _range(col: pd.Series) -> Any:
    if isinstance(col.dtype, pd.CategoricalDtype):
        return sorted(map(str, col.unique()))
    return (float(col.min()), float(col.max()))


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


def describe(box: dict[str, Any]) -> str:
    """The box's limits in words: "reaction is match or undercut and dynamics.x is below 0.2"."""
    parts = []
    for c, lim in box["limits"].items():
        if isinstance(lim, list):
            parts.append(f"{c} is {' or '.join(lim)}")
            continue
        lo, hi = lim
        rlo, rhi = box["ranges"][c]
        if lo <= rlo:
            parts.append(f"{c} is at most {_num(hi)}")
        elif hi >= rhi:
            parts.append(f"{c} is at least {_num(lo)}")
        else:
            parts.append(f"{c} is between {_num(lo)} and {_num(hi)}")
    return " and ".join(parts) if parts else "(no restriction: the cases are spread over the whole space)"


def box_figure(box: dict[str, Any], title: str, path: Path) -> None:
    """Left: the peeling trajectory (coverage against density, the chosen box marked). Right: the box's
    limits as a share of each uncertainty's range (grey: the whole range; categories: kept values)."""
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(13, 4.8), gridspec_kw={"width_ratios": [1, 1.3]})
    t = box["trajectory"]
    sc = a.scatter(t["coverage"], t["density"], c=t["res_dim"], cmap="viridis", s=18)
    a.scatter([t["coverage"].iloc[box["step"]]], [t["density"].iloc[box["step"]]], s=140, facecolors="none", edgecolors="r")
    a.set_xlabel("coverage (share of the cases inside the box)")
    a.set_ylabel("density (share of the box that are cases)")
    a.set_title("PRIM peeling trajectory (red: chosen box)", fontsize=10)
    a.grid(alpha=0.3)
    fig.colorbar(sc, ax=a, label="restricted uncertainties")
    names = list(box["ranges"])
    for i, c in enumerate(names):
        b.barh(i, 1.0, color="0.88")
        lim = box["limits"].get(c)
        if lim is None:
            continue
        if isinstance(lim, list):
            cats = box["ranges"][c]
            for v in lim:
                j = cats.index(v)
                b.barh(i, 1 / len(cats), left=j / len(cats), color="tab:red", alpha=0.7)
            b.text(1.01, i, ", ".join(lim), va="center", fontsize=8)
        else:
            rlo, rhi = box["ranges"][c]
            lo, hi = max(lim[0], rlo), min(lim[1], rhi)
            b.barh(i, (hi - lo) / (rhi - rlo), left=(lo - rlo) / (rhi - rlo), color="tab:red", alpha=0.7)
            b.text(1.01, i, f"{_num(lo)} – {_num(hi)}", va="center", fontsize=8)
    b.set_yticks(range(len(names)), names, fontsize=8)
    b.set_xlim(0, 1.35)
    b.set_xlabel("share of the uncertainty's range (red: inside the box)")
    b.set_title(f"coverage {box['coverage']:.2f}, density {box['density']:.2f}, mass {box['mass']:.2f}", fontsize=10)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
