"""Reports of sweeps: sweep.csv (per design point: mean and 95% interval over replications), indices.csv,
report.md / report.html with the indices explained, and slide-size figures (``sim.experiments.figures``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments import figures as F
from sim.experiments import stats
from sim.experiments.html import write_html
from sim.experiments.store import read_runs, write_text_atomically
from sim.output import glossary as G
from sim.output.numbers import fmt as _fmt

__all__ = ["sweep_report", "INDEX_MEANING", "point_table"]

# what each sensitivity method's columns mean, in a sentence (printed above its table)
INDEX_MEANING = {
    "sobol": "**S1** (first-order Sobol index) is the share of the output's variance due to the parameter alone; "
    "**ST** (total index) adds its interactions with the others; `_conf` columns are their 95% half-widths. "
    "A parameter with ST near 0 can be fixed anywhere in its range.",
    "morris": "**mu\\*** is the mean absolute change of the output when the parameter moves one step of the design "
    "(in the output's unit): how much it matters; **sigma** is the spread of those changes: large when the effect "
    "is non-linear or depends on other parameters.",
    "regression": "**standardised coefficient** (`src`): how many standard deviations the output moves when the "
    "parameter moves one standard deviation, the others held fixed (a linear fit over the design); its sign "
    "gives the direction.",
}


def point_table(runs: pd.DataFrame, X: np.ndarray, params: list[str], outputs: list[str]) -> pd.DataFrame:
    """Per design point: the parameters, then each output's mean and 95% t-interval over replications."""
    table = pd.DataFrame(X, columns=params)
    table.index.name = "point"
    for out in outputs:
        rows = {p: stats.mean_ci(g[out].to_numpy()) for p, g in runs.groupby("point")}
        cis = pd.DataFrame.from_dict(rows, orient="index", columns=[out, f"{out}_ci_low", f"{out}_ci_high"])
        table = table.join(cis)
    return table


def _markdown(df: pd.DataFrame) -> str:
    head = "| " + " | ".join(str(c) for c in df.columns) + " |\n|" + "---|" * len(df.columns)
    body = [
        "| " + " | ".join(v if isinstance(v, str) else _fmt(float(v)) for v in row) + " |"
        for row in df.itertuples(index=False)
    ]
    return "\n".join([head, *body])


def sweep_report(folder: Path, meta: dict[str, Any], keys: set[str], exp: Any, problem: dict, X: np.ndarray) -> dict:
    """Write sweep.csv, indices.csv, report.md, report.html and figures/; return the per-point table too."""
    from sim.experiments.design import analyze

    df = read_runs(folder, keys, firm=meta["firm"])
    if df.empty:
        return {"runs": 0}
    runs = stats.per_run(df)
    params = [p.name for p in exp.parameters]
    cur, spy = meta.get("currency") or "", float(meta.get("steps_per_year") or 52.0)
    table = point_table(runs, X, params, exp.outputs)
    complete = runs["point"].nunique() == len(X)
    table.to_csv(folder / "sweep.csv")
    figdir = folder / "figures"
    figdir.mkdir(exist_ok=True)
    method = exp.design.method
    lines = [
        f"# {meta['name']}: parameter sweep ({method})",
        "",
        meta.get("description", "").strip(),
        "",
        f"{len(X)} design points × {exp.replications} replications; outputs are means over replications "
        f"of the **{meta['firm']}** firm's metrics, with 95% t-intervals in `sweep.csv`. Design and indices: SALib.",
        "",
        "Parameters: " + "; ".join(f"`{p}` ({F.param_axis_label(p, cur, spy)})" for p in params) + ".",
        "",
    ]
    indices = []
    if complete:
        for out in exp.outputs:
            for row in analyze(exp, problem, X, table[out].to_numpy(dtype=np.float64)):
                indices.append({"output": out, **row})
        ind = pd.DataFrame(indices)
        ind.to_csv(folder / "indices.csv", index=False)
        kind = method if method in ("sobol", "morris") else "regression"
        lines += ["## What the indices mean", "", INDEX_MEANING[kind], ""]
        for out in exp.outputs:
            part = ind[ind["output"] == out].drop(columns="output")
            F.save_figure(F.indices_figure(part, method, out, cur, spy), figdir / f"indices_{out}.png")
            shown = part.assign(parameter=[F.param_label(p) for p in part["parameter"]])
            shown = shown.rename(columns={"src": "standardised coefficient", "mu_star": "mu*"})
            lines += [
                f"## {G.label_with_unit(out, cur, spy)}",
                "",
                _markdown(shown),
                "",
                f"![indices](figures/indices_{out}.png)",
                "",
            ]
        if method == "grid" and len(params) == 2:
            for out in (o for o in exp.outputs if table[o].notna().any()):  # all NaN (a short run): no map
                F.save_figure(F.heatmap_figure(table, params, out, cur, spy), figdir / f"heatmap_{out}.png")
                lines += [f"![heatmap {out}](figures/heatmap_{out}.png)", ""]
    else:
        lines += [f"Partial: {runs['point'].nunique()} of {len(X)} design points complete; indices need all of them.", ""]
    text = "\n".join(lines)
    write_text_atomically(folder / "report.md", text)
    write_html(folder / "report.html", text, folder, title=f"{meta['name']}: parameter sweep")
    return {"runs": int(len(runs)), "indices": indices, "complete": complete, "table": table}
