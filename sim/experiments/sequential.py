"""Sequential replications (issue 18): add replications in rounds, only to the strategies that need them,
until a target is met or a cap is reached.

The procedure knows nothing of the engine: it asks ``sample_round(jobs)`` for the metric of each
(strategy, replication) in ``jobs`` and decides the next round from the values of completed rounds alone,
so its result depends on the runs' values only — not on the backend, the number of workers or the order
in which runs finish — and replaying it over runs already on disk reproduces it (resuming). Replication
k of every strategy is seed k (common random numbers); strategies are replicated as prefixes 0..n-1, so
any two compare over the replications they have in common (the shorter prefix).

- ``confidence=P``: Kim & Nelson's (2001, *ACM TOMACS* 11(3)) fully sequential procedure KN for
  selecting the best with probability of correct selection >= P whenever the best beats the others by at
  least the indifference zone ``delta``. After a first round of ``n0`` replications it fixes the variance
  S2_il of every paired difference; after each later round (all survivors have r replications) it drops
  strategy i when ``mean_i < mean_l - max(0, delta / (2 r) * (h2 * S2_il / delta**2 - r))`` for a
  survivor l, with ``h2 = (n0 - 1) * ((2 (1 - P) / (k - 1)) ** (-2 / (n0 - 1)) - 1)``. Dropped
  strategies get no more runs; it stops when one survivor is left ("confidence reached"). Checking after
  rounds rather than after every replication only checks less often (the continuation region is the
  same). The baseline is a contender like any other.
- ``precision=X``: every strategy's paired difference against the baseline gets replications until its
  95% interval's half-width is at most X times the baseline's mean |metric| ("target precision reached");
  the baseline keeps pace with the longest strategy, so every pair has all its replications in common.
- Either stops at ``max_n`` replications of a strategy ("max replications").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.experiments.stats import half_width

__all__ = ["Result", "run", "kn_h2", "one_by_one", "STOP_CONFIDENCE", "STOP_PRECISION", "STOP_MAX"]

STOP_CONFIDENCE = "confidence reached"
STOP_PRECISION = "target precision reached"
STOP_MAX = "max replications"

Job = tuple[str, int]


@dataclass
class Result:
    values: dict[str, list[float]]  # per strategy, replications 0..n-1
    stopped: str
    best: str
    rounds: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {s: len(x) for s, x in self.values.items()}

    def record(self) -> dict[str, Any]:
        """What ``sequential.json`` keeps: why it stopped, the settings and every round's allocation."""
        return {"stopped": self.stopped, "best": self.best, **self.settings, "rounds": self.rounds}


def kn_h2(k: int, n0: int, confidence: float) -> float:
    """KN's h^2 for k strategies, first-stage size n0 and probability of correct selection ``confidence``
    (Kim & Nelson 2001, with c = 1)."""
    alpha = 1.0 - confidence
    eta = 0.5 * ((2.0 * alpha / (k - 1)) ** (-2.0 / (n0 - 1)) - 1.0)
    return 2.0 * eta * (n0 - 1)


def one_by_one(sample: Callable[[str, int], float]) -> Callable[[list[Job]], dict[Job, float]]:
    """A ``sample_round`` from a ``sample(strategy, replication) -> float`` callable."""
    return lambda jobs: {j: float(sample(*j)) for j in jobs}


def run(
    strategies: list[str],
    baseline: str,
    sample_round: Callable[[list[Job]], dict[Job, float]],
    n0: int,
    max_n: int = 100,
    confidence: float | None = None,
    precision: float | None = None,
    indifference: float | None = None,
    increment: int | None = None,
) -> Result:
    """Run the sequential procedure (see the module docstring). ``indifference`` is KN's delta in the
    metric's units (default: 1% of the baseline's first-round mean |metric|, an **assumption** of what
    difference is too small to matter). ``increment``: replications added per round (default n0 // 2)."""
    if (confidence is None) == (precision is None):
        raise ValueError("give exactly one of confidence and precision")
    if n0 < 2:
        raise ValueError("the first round needs at least 2 replications")
    max_n = max(max_n, n0)
    inc = increment or max(1, n0 // 2)
    values: dict[str, list[float]] = {s: [] for s in strategies}

    def grow(targets: dict[str, int]) -> None:
        jobs = [(s, k) for s, n in targets.items() for k in range(len(values[s]), n)]
        got = sample_round(jobs)
        for s, k in sorted(jobs, key=lambda j: j[1]):
            values[s].append(float(got[(s, k)]))

    grow({s: n0 for s in strategies})
    base_level = abs(float(np.mean(values[baseline])))
    settings: dict[str, Any] = {"first_round": n0, "increment": inc, "max_replications": max_n}
    rounds: list[dict[str, Any]] = [{"round": 1, "replications": {s: n0 for s in strategies}}]
    if confidence is not None:
        delta = indifference if indifference is not None else 0.01 * base_level
        settings.update(mode="confidence", confidence=confidence, indifference=delta)
        stopped = _kn(strategies, values, grow, rounds, n0, max_n, inc, confidence, delta)
    else:
        settings.update(mode="precision", precision=precision, reference=base_level)
        stopped = _precise(strategies, baseline, values, grow, rounds, max_n, inc, precision, base_level)
    alive = rounds[-1].get("survivors", strategies)
    best = max(alive, key=lambda s: (float(np.mean(values[s])), s))
    return Result(values, stopped, best, rounds, settings)


def _kn(
    strategies: list[str],
    values: dict[str, list[float]],
    grow: Callable[[dict[str, int]], None],
    rounds: list[dict[str, Any]],
    n0: int,
    max_n: int,
    inc: int,
    confidence: float,
    delta: float,
) -> str:
    k = len(strategies)
    if k < 2:
        rounds[-1]["survivors"] = list(strategies)
        return STOP_CONFIDENCE
    h2 = kn_h2(k, n0, confidence)
    first = {s: np.asarray(values[s][:n0]) for s in strategies}
    s2 = {(a, b): float(np.var(first[a] - first[b], ddof=1)) for a in strategies for b in strategies if a != b}
    alive = list(strategies)
    r = n0
    while True:
        means = {s: float(np.mean(values[s][:r])) for s in alive}
        out = []
        for i in alive:
            for j in alive:
                if i == j:
                    continue
                w = max(0.0, delta / (2.0 * r) * (h2 * s2[(i, j)] / delta**2 - r)) if delta > 0 else math.inf
                if means[i] < means[j] - w:
                    out.append(i)
                    break
        alive = [s for s in alive if s not in out]
        rounds[-1].update(eliminated=out, survivors=list(alive))
        if len(alive) == 1:
            return STOP_CONFIDENCE
        if r >= max_n:
            return STOP_MAX
        r = min(r + inc, max_n)
        grow({s: r for s in alive})
        rounds.append({"round": len(rounds) + 1, "replications": {s: r for s in alive}})


def _half_width(d: np.ndarray) -> float:
    return half_width(d) if d.size > 1 else math.inf


def _precise(
    strategies: list[str],
    baseline: str,
    values: dict[str, list[float]],
    grow: Callable[[dict[str, int]], None],
    rounds: list[dict[str, Any]],
    max_n: int,
    inc: int,
    precision: float,
    reference: float,
) -> str:
    while True:
        base = np.asarray(values[baseline])
        short = []
        for s in strategies:
            if s == baseline:
                continue
            x = np.asarray(values[s])
            n = min(x.size, base.size)
            if _half_width(x[:n] - base[:n]) > precision * reference:
                short.append(s)
        rounds[-1]["imprecise"] = short
        if not short:
            return STOP_PRECISION
        if all(len(values[s]) >= max_n for s in short):
            return STOP_MAX
        targets = {s: min(len(values[s]) + inc, max_n) for s in short}
        targets[baseline] = max(len(values[baseline]), *targets.values())  # the baseline keeps pace
        grow(targets)
        rounds.append({"round": len(rounds) + 1, "replications": dict(targets)})


# ---------------------------------------------------------------- on the engine (``sim compare``)
class RunsFailed(RuntimeError):
    """Some runs of a round failed (listed in failures.csv): the procedure cannot go on without them."""


def drive(
    specs: list[Any],
    folder: Any,
    firm: str,
    baseline: str,
    n0: int,
    run_todo: Callable[[list[Any], str], int],
    metric: str = "profit_total",
    **options: Any,
) -> tuple[Result, set[str]]:
    """Run the procedure on the engine: ``specs`` are every run up to the cap (``expand`` with
    ``replications = max_n``), ``run_todo(specs, description)`` runs those not on disk yet and returns
    how many failed. Returns the result and the keys of the runs it used."""
    from sim.experiments.execute import kept_pools
    from sim.experiments.recording import runs_to_do
    from sim.experiments.store import read_runs

    index = {(s.label, s.replication): s for s in specs}
    strategies = list(dict.fromkeys(s.label for s in specs))
    used: set[str] = set()
    count = [0]

    def sample_round(jobs: list[Job]) -> dict[Job, float]:
        need = [index[j] for j in jobs]
        todo, _ = runs_to_do(folder, need)
        count[0] += 1
        if todo and run_todo(todo, f"round {count[0]}"):
            raise RunsFailed(f"{folder}/failures.csv: runs of round {count[0]} failed; run again to retry them")
        keys = {s.key for s in need}
        used.update(keys)
        df = read_runs(folder, keys, firm=firm, columns=["strategy", "replication", "step", f"m_{metric}"])
        last = df[df["step"] == df["step"].max()].drop_duplicates(["strategy", "replication"])
        got = {(str(r.strategy), int(r.replication)): float(getattr(r, f"m_{metric}")) for r in last.itertuples()}
        return {j: got[j] for j in jobs}

    with kept_pools():  # a pool's worker processes serve every round
        result = run(strategies, baseline, sample_round, n0, **options)
    return result, used


def write_record(folder: Any, result: Result, keys: set[str]) -> None:
    """``sequential.json``: why it stopped, the settings, every round, and the runs it used (so ``sim
    results`` reports the same runs even when a killed later round left extra ones on disk)."""
    import json

    from sim.experiments.store import write_text_atomically

    rec = {**result.record(), "replications": result.counts(), "keys": sorted(keys)}
    write_text_atomically(folder / "sequential.json", json.dumps(rec, indent=1, default=float) + "\n")
