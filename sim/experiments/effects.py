"""Lever effect sizes, measured: paired single-lever comparisons written to ``docs/effects.md``.

    python -m sim.experiments.effects [--replications 4] [--size 20000] [--workers 2] [--out docs/effects.md]

Every spend lever of the scenario library runs at 0, 1x, 2x and 10x the spend of its scenario file against
its 0 arm (the transactional baseline, or the baseline with that spend at 0), replication k of every arm on
seed k (common random numbers), through the experiment runner (``execute.execute`` and its process pool).
Per lever the file gives what the cited source states, the engine parameters that carry it, the measured
effect at 1x (satisfaction, churn, final customers, with 95% intervals), the return per unit of extra
spend (two-year focal profit difference / extra relationship spend: a ratio of means, delta-method
interval), whether that lies in the band the source supports, and the saturation checks (2x adds fewer
customers than 1x added; 10x earns less two-year profit than 1x). The file says which command made it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from sim.experiments.effect_levers import LEVERS, MULTIPLES, Lever
from sim.experiments.execute import execute
from sim.experiments.ratios import ratio_ci
from sim.experiments.spec import Experiment, Strategy, expand

__all__ = ["Lever", "LEVERS", "MULTIPLES", "measure", "summarise", "render", "main"]

KEEP = ("customers_final", "profit_total", "relationship_spend_total", "satisfaction_final", "churn_rate")


def _arms(lever: Lever) -> list[tuple[str, Strategy]]:
    """(arm name, strategy) of a lever: its 0 arm (unless shared), its multiples, its extra 1x variants."""
    out = []
    if lever.zero is not None:
        out.append((f"{lever.name}@0", Strategy(name=f"{lever.name}@0", scenario=lever.scenario, set=lever.zero)))
    for m in lever.multiples:
        name = f"{lever.name}@{m:g}"
        out.append((name, Strategy(name=name, scenario=lever.scenario, set={k: v * m for k, v in lever.spend.items()})))
    for extra, over in lever.extra_arms.items():
        out.append((extra, Strategy(name=extra, scenario=lever.scenario, set=over)))
    return out


def measure(
    levers: tuple[Lever, ...] = LEVERS,
    replications: int = 4,
    size: int = 20000,
    steps: int | None = None,
    workers: int = 1,
    progress: bool = True,
) -> dict[str, dict[str, np.ndarray]]:
    """Run every arm of ``levers`` (and the baseline) ``replications`` times; per arm, per kept metric,
    the focal firm's values by replication."""
    strategies = [s for lv in levers for _, s in _arms(lv)]
    exp = Experiment(
        name="effects",
        kind="compare",
        firm="focal",
        replications=replications,
        seed=0,
        steps=steps,
        set={"population.size": size},
        baseline=Strategy(name="baseline", scenario="baseline"),
        strategies=strategies,
    )
    specs, _ = expand(exp, Path("."), "effects")
    out: dict[str, dict[str, np.ndarray]] = {}
    done = [0]

    def on_result(spec: Any, table: Any, err: str) -> None:
        if table is None:
            raise RuntimeError(f"run {spec.label} replication {spec.replication} failed: {err}")
        row = table[(table["firm"] == "focal")].iloc[-1]
        arm = out.setdefault(spec.label, {k: np.full(replications, np.nan) for k in KEEP})
        for k in KEEP:
            arm[k][spec.replication] = float(row[f"m_{k}"])
        done[0] += 1
        if progress:
            print(f"\r  {done[0]}/{len(specs)} runs", end="", file=sys.stderr, flush=True)

    execute(specs, on_result, workers=workers)
    if progress:
        print(file=sys.stderr)
    return out


def _diff(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    d = a - b
    m = float(d.mean())
    if d.size < 2:
        return m, np.nan, np.nan
    half = float(stats.t.ppf(0.5 + level / 2, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size))
    return m, m - half, m + half


def summarise(results: dict[str, dict[str, np.ndarray]], levers: tuple[Lever, ...] = LEVERS) -> list[dict[str, Any]]:
    """Per lever (and per extra arm): paired differences against its 0 arm, the return per unit of extra
    spend, the band check and the saturation checks."""
    rows = []
    for lv in levers:
        zero = results[f"{lv.name}@0" if lv.zero is not None else "baseline"]
        one = results[f"{lv.name}@1"]
        arms = [(lv.name, one)] + [(f"{lv.name}: {x}", results[x]) for x in lv.extra_arms]
        for label, arm in arms:
            row: dict[str, Any] = {"lever": lv, "label": label}
            for k in ("satisfaction_final", "churn_rate", "customers_final", "profit_total"):
                row[k] = _diff(arm[k], zero[k])
            extra = arm["relationship_spend_total"] - zero["relationship_spend_total"]
            row["extra_spend"] = float(extra.mean())
            row["return"] = ratio_ci(arm["profit_total"] - zero["profit_total"], extra)
            row["in_band"] = lv.band[0] <= row["return"][0] <= lv.band[1]
            rows.append(row)
        r = rows[-1 - len(lv.extra_arms)]
        if 2.0 in lv.multiples:
            two, ten = results[f"{lv.name}@2"], results[f"{lv.name}@10"]
            added1 = float((one["customers_final"] - zero["customers_final"]).mean())
            added2 = float((two["customers_final"] - one["customers_final"]).mean())
            r["doubling"] = (added1, added2, added2 < added1)
            p1 = float((one["profit_total"] - zero["profit_total"]).mean())
            p10 = float((ten["profit_total"] - zero["profit_total"]).mean())
            r["tenfold"] = (p1, p10, p10 < p1)
    return rows


def _num(x: float, d: int = 0) -> str:
    return "n/a" if not np.isfinite(x) else f"{x:,.{d}f}"


def _ci(t: tuple[float, float, float], d: int = 0) -> str:
    return f"{_num(t[0], d)} [{_num(t[1], d)}, {_num(t[2], d)}]"


def render(rows: list[dict[str, Any]], command: str, replications: int, size: int) -> str:
    """The markdown of docs/effects.md."""
    out = [
        "# Lever effect sizes: sources and measured effects",
        "",
        f"Generated by `{command}` ({replications} paired seeds, {size:,} people, 104 weeks, the focal firm;",
        "money scales with the population, see `population.budget_reference`). Do not edit by hand: change the",
        "parameters (`sim/scenario/levers.py`, `markets.py`, `dynamics.py`) or the scenario spends and rerun it.",
        "",
        "Each lever runs at 0, 1x, 2x and 10x the spend of its scenario file, every arm on the same seeds (common",
        "random numbers); differences are paired against the lever's 0 arm (the transactional baseline, or for",
        "after-sales care the baseline without it). *Return* is the two-year focal profit difference divided by",
        "the extra relationship spend (a ratio of means, 95% delta-method interval): 1 means the lever pays for",
        "itself. *Band* is the return the cited source supports (a sign or ranking where the source gives no",
        "number; 3 per unit is the cap for any lever without evidence of more). *2x* checks that doubling the",
        "spend adds fewer final customers than the scenario spend added; *10x* that ten times the spend earns",
        "less two-year profit than the scenario spend. 95% intervals in brackets.",
        "",
        "## Measured effects at the scenario spend",
        "",
        "| lever | extra spend (currency, 2 years) | satisfaction (score 0-1) | churn (per customer-year) "
        "| final customers | profit (currency, 2 years) | return (per unit) | in band | 2x | 10x |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        dbl = r.get("doubling")
        ten = r.get("tenfold")
        dcell = "n/a" if dbl is None else f"{'yes' if dbl[2] else 'NO'} (+{_num(dbl[1])} vs +{_num(dbl[0])})"
        tcell = "n/a" if ten is None else f"{'yes' if ten[2] else 'NO'} ({_num(ten[1])} vs {_num(ten[0])})"
        out.append(
            f"| {r['label']} | {_num(r['extra_spend'])} | {_ci(r['satisfaction_final'], 3)} | "
            f"{_ci(r['churn_rate'], 3)} | {_ci(r['customers_final'])} | {_ci(r['profit_total'])} | "
            f"{_ci(r['return'], 2)} | {'yes' if r['in_band'] else 'no'} | {dcell} | {tcell} |"
        )
    out += ["", "## Sources, parameters and the modelling step", ""]
    seen = set()
    for r in rows:
        lv = r["lever"]
        if lv.name in seen:
            continue
        seen.add(lv.name)
        lo, hi = lv.band
        band = f"{'-inf' if not np.isfinite(lo) else f'{lo:g}'} to {hi:g}"
        out += [
            f"### {lv.name}",
            "",
            f"- Moves: {lv.intermediate}.",
            f"- Engine parameters: {lv.params}.",
            f"- Source: {lv.evidence}",
            f"- Modelling step: {lv.translation}",
            f"- Band for the return: {band} per unit ({lv.band_why}); measured {_ci(r['return'], 2)}: "
            f"{'inside' if r['in_band'] else 'OUTSIDE'}.",
            "",
        ]
    return "\n".join(out)


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sim.experiments.effects", description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=4, help="paired seeds per arm (at least 2)")
    ap.add_argument("--size", type=int, default=20000, help="people in the market")
    ap.add_argument("--workers", type=int, default=1, help="processes (the experiment runner's pool)")
    ap.add_argument("--out", default="docs/effects.md", help="markdown file to write")
    a = ap.parse_args(argv)
    if a.replications < 2 or a.size < 100 or a.workers < 1:
        print("effects: --replications >= 2, --size >= 100 and --workers >= 1 are required", file=sys.stderr)
        return 2
    print(f"effects: {len(LEVERS)} levers, {a.replications} seeds, {a.size:,} people", file=sys.stderr)
    results = measure(replications=a.replications, size=a.size, workers=a.workers)
    cmd = f"python -m sim.experiments.effects --replications {a.replications} --size {a.size} --out {a.out}"
    write_atomic(Path(a.out), render(summarise(results), cmd, a.replications, a.size) + "\n")
    print(f"effects: wrote {a.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
