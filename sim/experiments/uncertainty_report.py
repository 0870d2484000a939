"""Which drawn parameters the decision hinges on (issue 18): with ``uncertainty`` on, each paired
difference (every strategy against the baseline, and the best against the runner-up, by mean profit) is
regressed on each drawn parameter, standardised — a plain least-squares slope per parameter
(scipy.stats.linregress of the difference on the z-scored draw), i.e. "a one-SD rise in X moves the gap by
b". One parameter at a time: the draws are independent and uniform, so each slope estimates that
parameter's linear main effect while the others average out; a joint regression would need more
replications than the ~80 parameters drawn. SALib's given-sample methods (delta, rbd_fast) need hundreds of
samples, which a comparison of a few dozen replications does not have. Writes ``hinges.csv`` and
``draws.csv``; returns report.md lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.experiments.store import write_text_atomically
from sim.output.numbers import fmt as _fmt

__all__ = ["sections", "hinges"]

TOP = 3  # parameters named per comparison


def hinges(diff: pd.Series, draws: pd.DataFrame) -> pd.DataFrame:
    """Per parameter (a column of ``draws``, rows aligned with ``diff``): the change of the difference for a
    one-SD rise of the parameter (``effect_per_sd``), the correlation r and its p-value; sorted by |r|."""
    rows = []
    for c in draws.columns:
        x = draws[c].to_numpy(dtype=np.float64)
        ok = np.isfinite(x) & np.isfinite(diff.to_numpy(dtype=np.float64))
        if ok.sum() < 3 or np.std(x[ok]) == 0:
            continue
        z = (x[ok] - x[ok].mean()) / x[ok].std(ddof=1)
        fit = stats.linregress(z, diff.to_numpy(dtype=np.float64)[ok])
        sd = float(x[ok].std(ddof=1))
        rows.append({"parameter": c, "sd": sd, "effect_per_sd": fit.slope, "r": fit.rvalue, "p": fit.pvalue})
    out = pd.DataFrame(rows, columns=["parameter", "sd", "effect_per_sd", "r", "p"])
    return out.reindex(out["r"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def sections(folder: Path, meta: dict[str, Any], runs: pd.DataFrame, metric: str = "profit_total") -> list[str]:
    """Report lines for an experiment with parameter uncertainty ([] otherwise)."""
    if not meta.get("uncertainty") or meta.get("reaction_names"):
        return []
    baseline = meta["baseline"]
    cols = [c for c in runs.columns if c.startswith("param:")]
    # a replication's draw is the same for every strategy; a sequential compare gives strategies different
    # numbers of replications (even the baseline may stop early), so take each from any strategy's run
    draws = runs.drop_duplicates("replication").set_index("replication").sort_index()[cols]
    if not cols or len(draws) < 3:
        return []
    draws = draws.rename(columns=lambda c: c[len("param:") :])
    write_text_atomically(folder / "draws.csv", draws.to_csv())
    wide = runs.pivot_table(index="replication", columns="strategy", values=metric)
    means = wide.mean().sort_values(ascending=False)
    pairs = [(s, baseline) for s in wide.columns if s != baseline]
    if len(means) >= 2:
        pairs.insert(0, (means.index[0], means.index[1]))
    rows = []
    for a, b in pairs:  # each pair over the replications the two have in common
        both = wide[[a, b]].dropna()
        h = hinges(both[a] - both[b], draws.loc[both.index])
        rows += [{"strategy": a, "against": b, **r} for r in h.to_dict("records")]
    table = pd.DataFrame(rows, columns=["strategy", "against", "parameter", "sd", "effect_per_sd", "r", "p"])
    write_text_atomically(folder / "hinges.csv", table.to_csv(index=False))
    n = len(wide)
    lines = [
        "## Parameter uncertainty: what the decision hinges on",
        "",
        f"{draws.shape[1]} assumed parameters drawn uniformly on their declared ranges, one draw per "
        f"replication shared by every strategy ({n} replications; `draws.csv`, and a `param:` column per "
        "parameter in the run table). The intervals above therefore cover the uncertainty of these "
        "assumptions as well as simulation noise. Each paired difference in "
        f"{metric} regressed on each standardised draw, one at a time: *effect per SD* = change of the gap "
        "(currency units) for a one-standard-deviation rise of the parameter. With few replications the "
        "leading parameters are candidates, not findings (p-values are not corrected for the many "
        "parameters). All slopes: `hinges.csv`.",
        "",
    ]
    if len(means) >= 2:
        a, b = means.index[0], means.index[1]
        top = table[(table["strategy"] == a) & (table["against"] == b)].head(TOP)
        if len(top):
            r0 = top.iloc[0]
            lines += [
                f"**The choice between {a} and {b} hinges most on `{r0['parameter']}`**: a one-SD rise "
                f"(SD {_fmt(r0['sd'])}) moves the gap by {_fmt(r0['effect_per_sd'])} (r = {r0['r']:.2f}, "
                f"p = {r0['p']:.2g}); the gap averages {_fmt(float((wide[a] - wide[b]).mean()))}.",
                "",
            ]
    lines += ["| strategy | against | parameter | effect per SD | r | p |", "|---|---|---|---|---|---|"]
    for (a, b), g in table.groupby(["strategy", "against"], sort=False):
        for _, r in g.head(TOP).iterrows():
            lines.append(f"| {a} | {b} | `{r['parameter']}` | {_fmt(r['effect_per_sd'])} | {r['r']:.2f} | {r['p']:.2g} |")
    return [*lines, ""]
