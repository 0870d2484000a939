"""Benchmark cases, each run in its own process (``python -m benchmarks.cases CASE ...``) so that peak
memory and compile times are clean. Each prints one JSON object on its last line."""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

from benchmarks.host import bandwidth, describe, line

ROOT = Path(__file__).resolve().parents[1]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def _current_rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def engine(n: int, impl: str, scenario: str, reps: int, steps: int) -> dict:
    """Customer-steps per second of one implementation: (a) mesa, (b) numpy, (c) numba1, (d) numbaN."""
    import numba

    from sim import RelationshipMarket
    from sim.customers.rng import step_key

    threads = 1 if impl in ("numba1", "numpy", "mesa") else numba.config.NUMBA_NUM_THREADS
    numba.set_num_threads(threads)
    base_rss = _current_rss_mb()
    t0 = time.perf_counter()
    m = RelationshipMarket(ROOT / "scenarios" / f"{scenario}.yaml", rng=1, overrides={"population.size": n, "steps": 10_000})
    build = time.perf_counter() - t0
    out = {
        "impl": impl,
        "customers": n,
        "scenario": scenario,
        "threads": threads,
        "build_seconds": round(build, 3),
        "bytes_per_customer": round(m.population.nbytes / n, 1),
    }
    if impl == "mesa":
        from benchmarks.mesa_agents import MesaCustomers

        t0 = time.perf_counter()
        mm = MesaCustomers(m, seed=1)
        out["build_seconds"] = round(time.perf_counter() - t0, 3)
        mm.step()  # warm-up
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            mm.step()
            times.append(time.perf_counter() - t0)
    else:
        m.engine = "numpy" if impl == "numpy" else "numba"
        m.run(2)  # warm-up (and compile, on a cold cache)
        times = []
        for r in range(reps):
            spent = 0.0  # the two kernel passes only; the model's per-step Python is timed below
            for k in range(steps):
                key = step_key(99, 1000 * r + k)
                t0 = time.perf_counter()
                wom = m.deliver_wom(key)
                spent += time.perf_counter() - t0
                inputs = m.step_inputs(wom, key)  # the inputs of this step (public API of the model)
                t0 = time.perf_counter()
                m.population.step(inputs, m.kernels)
                spent += time.perf_counter() - t0
            times.append(spent / steps)
        if impl != "numpy":  # the whole model step (actors, accounts, DataCollector) too
            t0 = time.perf_counter()
            m.run(steps)
            out["model_steps_per_second"] = round(n / ((time.perf_counter() - t0) / steps))
    per_step = statistics.median(times)
    out["seconds_per_step"] = per_step
    out["customer_steps_per_second"] = round(n / per_step)
    out["peak_rss_mb"] = round(_rss_mb(), 1)
    out["rss_over_start_mb"] = round(_rss_mb() - base_rss, 1)
    return out


def markets_pair(n: int, reps: int, steps: int) -> dict:
    """Kernel passes with all six markets and levers on vs the baseline, timed alternately in one process
    (the machine's drift hits both equally)."""
    import numba

    from sim import RelationshipMarket
    from sim.customers.rng import step_key

    numba.set_num_threads(1)
    models = {
        sc: RelationshipMarket(ROOT / "scenarios" / f"{sc}.yaml", rng=1, overrides={"population.size": n, "steps": 10_000})
        for sc in ("baseline", "full_relationship_marketing")
    }
    for m in models.values():
        m.run(3)
    times: dict[str, list[float]] = {sc: [] for sc in models}
    for r in range(reps):
        for sc, m in models.items():
            t0 = time.perf_counter()
            for k in range(steps):
                key = step_key(99, 1000 * r + k)
                m.population.step(m.step_inputs(m.deliver_wom(key), key), m.kernels)
            times[sc].append((time.perf_counter() - t0) / steps)
    rates = {sc: n / statistics.median(t) for sc, t in times.items()}
    return {
        "customers": n,
        "baseline": round(rates["baseline"]),
        "full_relationship_marketing": round(rates["full_relationship_marketing"]),
        "ratio": rates["full_relationship_marketing"] / rates["baseline"],
    }


def compile_time() -> dict:
    """Import + first call of the kernels (cold or cached, depending on NUMBA_CACHE_DIR's contents)."""
    t0 = time.perf_counter()
    from sim import RelationshipMarket

    m = RelationshipMarket(ROOT / "scenarios" / "baseline.yaml", rng=1, overrides={"population.size": 2000})
    m.step()
    return {"first_step_seconds": round(time.perf_counter() - t0, 3), "cache_dir": os.environ.get("NUMBA_CACHE_DIR")}


def sweep(runs: int, n: int, workers: int, scheduler: str | None) -> dict:
    """``runs`` runs of the baseline through the experiment runner; wall time and per-run compute time."""
    import tempfile

    import numba

    from sim.experiments.execute import execute
    from sim.experiments.spec import RunSpec
    from sim.scenario import load_scenario

    numba.set_num_threads(1)  # serial = one worker with one thread; pool and Dask workers set the same
    sc = load_scenario(ROOT / "scenarios" / "baseline.yaml", {"population.size": n}).to_dict()
    specs = [RunSpec(f"b{k}", "baseline", k, k, sc, {}, "focal") for k in range(runs)]
    compute = []
    with tempfile.TemporaryDirectory():
        t0 = time.perf_counter()
        execute(specs, lambda s, t, e: compute.append(float(t["runtime_seconds"].iloc[0])), workers, scheduler)
        wall = time.perf_counter() - t0
    return {
        "runs": runs,
        "customers": n,
        "workers": workers,
        "scheduler": scheduler,
        "wall_seconds": round(wall, 2),
        "compute_seconds": round(sum(compute), 2),
        "failed": runs - len(compute),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--impl", default="numba1")
    ap.add_argument("--scenario", default="baseline")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--scheduler", default=None)
    a = ap.parse_args()
    if a.case == "engine":
        out = engine(a.n, a.impl, a.scenario, a.reps, a.steps)
    elif a.case == "markets":
        out = markets_pair(a.n, a.reps, a.steps)
    elif a.case == "compile":
        out = compile_time()
    elif a.case == "bandwidth":
        out = bandwidth()
    elif a.case == "host":
        out = describe()
    elif a.case == "sweep":
        out = sweep(a.runs, a.n, a.workers, a.scheduler)
    else:
        sys.exit(f"unknown case {a.case}")
    if a.case in ("engine", "markets"):  # the host beside the figure (the JSON stays the last line)
        host = describe(measure_bandwidth=False)
        out["host"] = host
        print(line(host))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
