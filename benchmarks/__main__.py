"""The performance suite: the engine side by side with its alternatives, on the same dynamics and seed.

    python -m benchmarks            # 10 k .. 10 M customers, sweeps of 64 x 100 k x 104 weeks (~5 min)
    python -m benchmarks --quick    # 10 k and 100 k, small sweeps, no cold compile (under a minute)
    python -m benchmarks --long     # also runs 10 M customers x 520 weeks on all cores (~2 min more)

Implementations: (a) one mesa.Agent per customer with shuffle_do (benchmarks/mesa_agents.py, N <= 50 k),
(b) the numpy reference (sim/reference.py), (c) the numba kernels on one thread, (d) on all threads.
Throughput = customers / median seconds per step of the two kernel passes (3 timed blocks after a
warm-up; 5 for the numba kernels); each case runs in its own process for clean peak memory. Also: model
build time, compile time cold and cached, memory bandwidth and the kernel's distance from its memory
floor, the kernel with the six markets on (alone, and alternating with the baseline), sweep
throughput (serial, 2 processes, Dask LocalCluster) and scheduling overhead, `sim --help` time.
Writes benchmarks/results.json (atomically) and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.host import BYTES_PER_CUSTOMER_STEP, line

ROOT = Path(__file__).resolve().parents[1]
MESA_MAX = 50_000
NUMPY_MAX = 1_000_000


def _case(*args: str, env: dict | None = None) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.cases", *args]
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{res.stderr[-2000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def _say(text: str) -> None:
    print(text, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks")
    ap.add_argument("--quick", action="store_true", help="10 k and 100 k only, small sweeps")
    ap.add_argument("--long", action="store_true", help="also run 10 M customers x 520 weeks")
    args = ap.parse_args()
    import numba

    cores = numba.config.NUMBA_NUM_THREADS
    sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000, 10_000_000]
    result: dict = {
        "machine": {
            "cpus": os.cpu_count(),
            "numba_threads": cores,
            "python": platform.python_version(),
            "processor": platform.processor() or platform.machine(),
        },
        "date": time.strftime("%Y-%m-%d"),
        "quick": args.quick,
        "skipped": [],
    }
    # the host every figure below comes from (in its own process, as a user's run would choose the width)
    host = _case("host")
    result["machine"]["host"] = host
    _say(line(host))

    # ---- compile time: cold (empty cache dir), then cached (a second process reuses it); --quick does
    # not force a cold compile (~25 s) but uses the project's own cache, which a first run fills
    if args.quick:
        first = _case("compile")
        cached = _case("compile")
        result["compile"] = {
            "first_process_first_step_seconds": first["first_step_seconds"],
            "cached_first_step_seconds": cached["first_step_seconds"],
        }
        result["skipped"].append("forced cold compile (--quick)")
        _say(
            f"compile: first step {first['first_step_seconds']:.2f} s in a first process (cold only if the "
            f"project's numba cache was empty), {cached['first_step_seconds']:.2f} s in a second"
        )
    else:
        cache = Path(tempfile.mkdtemp(prefix="numba-cache-"))
        cold = _case("compile", env={"NUMBA_CACHE_DIR": str(cache)})
        cached = _case("compile", env={"NUMBA_CACHE_DIR": str(cache)})
        shutil.rmtree(cache, ignore_errors=True)
        result["compile"] = {
            "cold_first_step_seconds": cold["first_step_seconds"],
            "cached_first_step_seconds": cached["first_step_seconds"],
        }
        _say(f"compile: first step {cold['first_step_seconds']:.1f} s cold, {cached['first_step_seconds']:.2f} s cached")

    # ---- the four implementations
    rows = []
    for n in sizes:
        steps = "5" if n <= 100_000 else ("3" if n <= 1_000_000 else "2")
        impls = ["mesa", "numpy", "numba1", "numbaN"]
        for impl in impls:
            if impl == "mesa" and n > MESA_MAX:
                result["skipped"].append(f"(a) Mesa agents at {n:,}: > {MESA_MAX:,} (one Python object per customer)")
                continue
            if impl == "numpy" and n > NUMPY_MAX:
                result["skipped"].append(f"(b) numpy at {n:,}: > {NUMPY_MAX:,} (seconds per step; time budget)")
                continue
            if impl.startswith("numba"):  # steps are milliseconds: more of them, or the VM's noise dominates
                r = _case("engine", "--n", str(n), "--impl", impl, "--reps", "5", "--steps", "10" if n <= 1_000_000 else "3")
            else:
                r = _case("engine", "--n", str(n), "--impl", impl, "--steps", "1" if impl == "mesa" else steps)
            rows.append(r)
            _say(
                f"{impl:>7} {n:>11,} customers  {r['threads']} thr  {r['customer_steps_per_second'] / 1e6:8.2f} M/s"
                f"  build {r['build_seconds']:6.2f} s  peak {r['peak_rss_mb']:7.0f} MB"
                f"  (+{r['rss_over_start_mb']:.0f} MB)  {r['bytes_per_customer']:.0f} B/customer"
            )
    result["engine"] = rows

    def rate(impl: str, n: int) -> float | None:
        return next((r["customer_steps_per_second"] for r in rows if r["impl"] == impl and r["customers"] == n), None)

    ratios = {}
    for n in sizes:
        a, b, c, d = (rate(i, n) for i in ("mesa", "numpy", "numba1", "numbaN"))
        ratios[str(n)] = {
            "c_over_a": c / a if a and c else None,
            "c_over_b": c / b if b and c else None,
            "d_over_c": d / c if d and c else None,
        }
    result["ratios"] = ratios
    per_cs = [1.0 / rate("numba1", n) for n in sizes if rate("numba1", n)]
    result["numba1_time_per_customer_step_spread"] = max(per_cs) / min(per_cs)

    # ---- (c) with all six markets and their levers on (issue target: >= 50 M/s at 1 M)
    big = sizes[-1] if args.quick else 1_000_000
    full = _case(
        "engine",
        "--n",
        str(big),
        "--impl",
        "numba1",
        "--reps",
        "5",
        "--steps",
        "10",
        "--scenario",
        "full_relationship_marketing",
    )
    result["numba1_all_markets"] = full
    _say(
        f"numba1 {big:>11,} customers, all six markets on (full_relationship_marketing): "
        f"{full['customer_steps_per_second'] / 1e6:.2f} M/s (target >= 50 at 1 M); whole model step "
        f"{full['model_steps_per_second'] / 1e6:.2f} M/s"
    )

    # ---- markets on vs off (issue: within 25%)
    pair = _case("markets", "--n", str(big), "--reps", "7", "--steps", "3")
    result["markets_on"] = pair
    result["markets_on_over_off"] = pair["ratio"]
    _say(f"markets on / off, {big:,} customers, 1 thread, alternating: {pair['ratio']:.2f}")

    # ---- memory bandwidth and the kernel's distance from its floor
    bw = _case("bandwidth")
    floor = bw["gb_per_second"] * 1e9 / BYTES_PER_CUSTOMER_STEP
    result["bandwidth"] = {
        **bw,
        "bytes_per_customer_step": BYTES_PER_CUSTOMER_STEP,
        "floor_customer_steps_per_second": round(floor),
        "numba1_times_floor": floor / rate("numba1", big),
    }
    _say(
        f"bandwidth {bw['gb_per_second']:.1f} GB/s -> floor {floor / 1e6:.0f} M customer-steps/s; "
        f"numba 1 thread is {floor / rate('numba1', big):.1f}x from it"
    )

    # ---- sweeps: serial vs 2 processes vs Dask LocalCluster
    runs, n_sweep = (8, 20_000) if args.quick else (64, 100_000)
    sw = {}
    for label, extra in (
        ("serial", ["--workers", "1"]),
        ("pool2", ["--workers", "2"]),
        ("dask2", ["--workers", "2", "--scheduler", "local"]),
    ):
        sw[label] = _case("sweep", "--runs", str(runs), "--n", str(n_sweep), *extra)
        _say(f"sweep {label}: {runs} runs x {n_sweep:,} customers x 104 weeks in {sw[label]['wall_seconds']:.1f} s")
    for label in ("pool2", "dask2"):
        sw[label]["efficiency"] = sw["serial"]["wall_seconds"] / (2 * sw[label]["wall_seconds"])
    # scheduling overhead: the extra wall time of 64 more tiny runs, beyond their compute (start-up cancels)
    t64 = _case("sweep", "--runs", "64", "--n", "200", "--workers", "2")
    t128 = _case("sweep", "--runs", "128", "--n", "200", "--workers", "2")
    extra_wall = (t128["wall_seconds"] - t64["wall_seconds"]) * 2 / 64
    extra_compute = (t128["compute_seconds"] - t64["compute_seconds"]) / 64
    sw["scheduling_overhead_ms_per_run"] = max(0.0, (extra_wall - extra_compute) * 1e3)
    sw["estimated_1000_runs_100k_minutes"] = sw["pool2"]["wall_seconds"] / runs * 1000 / 60 * (100_000 / n_sweep)
    result["sweep"] = sw

    # ---- sim --help, and 10 M x 520 weeks
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sim.cli", "--help"], cwd=ROOT, capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    result["help_seconds"] = min(times)
    ten = next((r for r in rows if r["impl"] == "numbaN" and r["customers"] == 10_000_000), None)
    if ten is not None:
        result["ten_million_520_weeks_minutes_estimated"] = 520 * 10_000_000 / ten["model_steps_per_second"] / 60
        result["ten_million_fits_2gb"] = ten["rss_over_start_mb"] < 2048
    if args.long:
        result["ten_million_520_weeks"] = _long_run(10_000_000, 520)

    _report(result, sizes)
    # the full suite's figures (quoted in the README) are not replaced by a --quick run's
    out = Path(__file__).with_name("results-quick.json" if args.quick else "results.json")
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=2) + "\n")
    tmp.replace(out)
    _say(f"written {out}")


def _long_run(n: int, steps: int) -> dict:
    """What a user runs: ``sim run`` of the baseline with n customers for ``steps`` weeks, all cores.
    Returns the wall time of the whole command and the run's own build-and-run time."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        t0 = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "sim.cli",
                "run",
                "scenarios/baseline.yaml",
                "--quiet",
                "--set",
                f"population.size={n}",
                "--steps",
                str(steps),
                "--out",
                str(out),
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        wall = time.perf_counter() - t0
        summary = json.loads((out / "summary.json").read_text())
    return {
        "customers": n,
        "steps": steps,
        "wall_minutes": wall / 60,
        "build_and_run_minutes": summary["runtime_seconds"] / 60,
    }


def _report(r: dict, sizes: list[int]) -> None:
    _say("\n" + line(r["machine"]["host"]))
    _say(
        "\nratios (target): (a)/(c) = Mesa agents vs numba 1 thread (>= 100); (b)/(c) numpy vs numba (>= 2); (d)/(c) threads"
    )
    for n in sizes:
        q = r["ratios"][str(n)]
        cells = [f"{k}={v:.1f}" if v else f"{k}=–" for k, v in q.items()]
        _say(f"  {n:>11,}: " + "  ".join(cells))
    s = r["sweep"]
    _say(
        f"time per customer-step, 10 k .. {sizes[-1]:,} (numba 1 thread): max/min = "
        f"{r['numba1_time_per_customer_step_spread']:.2f} (target < 1.5)"
    )
    _say(f"markets on / off at 1 thread: {r['markets_on_over_off']:.2f} (target >= 0.75)")
    _say(
        f"sweep efficiency, 2 processes: {s['pool2']['efficiency']:.2f}; Dask LocalCluster: "
        f"{s['dask2']['efficiency']:.2f} (target >= 0.85); scheduling overhead "
        f"{s['scheduling_overhead_ms_per_run']:.0f} ms/run (target < 50); 1,000 runs x 100 k x 104 weeks "
        f"~{s['estimated_1000_runs_100k_minutes']:.1f} min (target < 10)"
    )
    if r["quick"]:
        _say(
            "  (--quick: 8 runs of 20 k take seconds, so process start-up dominates these sweep figures; "
            "the targets are judged on the full suite's 64 x 100 k)"
        )
    _say(f"sim --help: {r['help_seconds']:.2f} s (target < 0.5)")
    if "ten_million_520_weeks_minutes_estimated" in r:
        _say(
            f"10 M customers x 520 weeks, all cores: ~{r['ten_million_520_weeks_minutes_estimated']:.1f} min "
            f"(estimated from the 10 M model step; target < 3); fits in 2 GB: {r['ten_million_fits_2gb']}"
        )
    if "ten_million_520_weeks" in r:
        t = r["ten_million_520_weeks"]
        _say(
            f"10 M customers x 520 weeks, measured with sim run: {t['build_and_run_minutes']:.2f} min build and run, "
            f"{t['wall_minutes']:.2f} min with import and writing the results (target < 3)"
        )
    for item in r["skipped"]:
        _say(f"skipped: {item}")


if __name__ == "__main__":
    main()
