"""Time the customer pass of the working tree against the one of an older commit, alternately, in one process.

    NUMBA_NUM_THREADS=1 flock -x /tmp/cpu.lock python -m benchmarks.compare_kernels OLD_REV [--n 1000000] [--reps 9]

``git show OLD_REV:sim/customers/kernel.py`` (and, if that commit has it, ``sim/customers/mechanisms.py``) is
written to a temporary package and imported next to the current kernel. One population of the all-markets
scenario (``full_relationship_marketing``) is built and stepped a few times; then each repetition runs the old
and the new customer pass, in alternating order, on identical copies of the same state and the same
per-firm arrays, timing the pass only. The machine's drift hits both equally; the medians are compared.
Every repetition also checks that the two passes leave identical state and totals (bit for bit).
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

import numpy as np

from benchmarks.host import describe, line

ROOT = Path(__file__).resolve().parents[1]
KERNEL_FILES = ("kernel.py", "mechanisms.py")  # the pass and, since the split, its helpers


def load_old_kernel(rev: str, into: Path) -> ModuleType:
    """Import ``sim/customers/kernel.py`` as of ``rev`` as a module of a temporary package; the commit's
    helper modules of the kernel, if any, go into the same package and its imports of them are redirected."""
    pkg = f"old_kernel_{abs(hash(rev)) % 10**8}"
    root = into / pkg
    root.mkdir()
    (root / "__init__.py").write_text("")
    for name in KERNEL_FILES:
        show = subprocess.run(
            ["git", "show", f"{rev}:sim/customers/{name}"], cwd=ROOT, capture_output=True, text=True, check=False
        )
        if show.returncode != 0:
            if name == "kernel.py":
                raise SystemExit(f"git show {rev}:sim/customers/kernel.py failed: {show.stderr.strip()}")
            continue
        src = show.stdout.replace("from sim.customers.mechanisms", f"from {pkg}.mechanisms")
        src = src.replace("from sim.customers import mechanisms", f"from {pkg} import mechanisms")
        (root / name).write_text(src)
    sys.path.insert(0, str(into))
    spec = importlib.util.find_spec(f"{pkg}.kernel")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _state(pop) -> dict[str, np.ndarray]:
    return {name: getattr(pop, name).copy() for name in pop.array_fields()}


def _run(kernel: ModuleType, state: dict[str, np.ndarray], key, p, fp, sf, seg) -> tuple[float, np.ndarray]:
    """One customer pass of ``kernel`` on ``state`` (changed in place); returns (seconds, summed totals)."""
    from sim.customers import registry as L

    n = state["firm"].shape[0]
    out = np.zeros((L.n_chunks_for(n), fp.shape[0] + 1, len(L.T)))
    # the arguments by the kernel's own parameter names, so kernels with different state columns compare
    named = {"key": key, "now": 1, "p": p, "fp": fp, "sf": sf, "seg": seg, "acq_bound": kernel.adoption_bound(sf)}
    named["out"] = out
    params = list(inspect.signature(kernel.customer_pass.py_func).parameters)
    scratch = kernel.customer_scratch()
    args = (*(state[k] if k in state else named[k] for k in params[: -len(scratch)]), *scratch)
    t0 = time.perf_counter()
    kernel.customer_pass(*args)
    return time.perf_counter() - t0, out.sum(axis=0)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old_rev", help="git revision of the old kernel, e.g. main or HEAD~1")
    ap.add_argument("--n", type=int, default=1_000_000, help="customers (default 1 M)")
    ap.add_argument("--reps", type=int, default=9, help="timed repetitions of each (default 9)")
    ap.add_argument("--scenario", default="full_relationship_marketing")
    args = ap.parse_args(argv)

    import numba

    from sim import RelationshipMarket
    from sim.customers import kernel as new
    from sim.customers import registry as L
    from sim.customers.rng import step_key

    numba.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        old = load_old_kernel(args.old_rev, Path(tmp))
        m = RelationshipMarket(
            ROOT / "scenarios" / f"{args.scenario}.yaml", rng=1, overrides={"population.size": args.n, "steps": 10_000}
        )
        m.run(3)
        wom = m.deliver_wom(step_key(99, 0))
        inputs = m.step_inputs(wom, step_key(99, 0, 1))
        key, p, fp, sf, seg = inputs.key, inputs.p, inputs.fp, inputs.sf, inputs.seg
        base = _state(m.population)
        kernels = {"old": old, "new": new}
        for k in kernels.values():  # compile (or load from the cache) and warm up
            _run(k, _state_copy(base), key, p, fp, sf, seg)
        times: dict[str, list[float]] = {name: [] for name in kernels}
        for r in range(args.reps):
            order = ("old", "new") if r % 2 == 0 else ("new", "old")
            results = {}
            for name in order:
                st = _state_copy(base)
                dt, tot = _run(kernels[name], st, key, p, fp, sf, seg)
                times[name].append(dt)
                results[name] = (st, tot)
            (s_old, t_old), (s_new, t_new) = results["old"], results["new"]
            differ = [k for k in s_old if not np.array_equal(s_old[k], s_new[k])]
            differ += [
                f"totals[{L.T.names[j]}]" for j in range(t_old.shape[1]) if not np.array_equal(t_old[:, j], t_new[:, j])
            ]
            if differ:
                print(f"repetition {r}: the old and new passes DIFFER in {', '.join(differ)}")
    n = args.n
    print(line(describe()))
    print(f"threads: {numba.get_num_threads()}; customers: {n:,}; scenario: {args.scenario}")
    print(f"old = {args.old_rev}, new = working tree; {args.reps} alternating repetitions, customer pass only")
    med = {}
    for name, ts in times.items():
        med[name] = statistics.median(ts)
        ns = 1e9 * med[name] / n
        print(
            f"{name}: median {ns:6.2f} ns per customer-step ({n / med[name] / 1e6:6.2f} M customer-steps/s); "
            f"min {1e9 * min(ts) / n:6.2f} ns"
        )
    print(f"new / old time (median): {med['new'] / med['old']:.4f}")


def _state_copy(state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: v.copy() for k, v in state.items()}


if __name__ == "__main__":
    main()
