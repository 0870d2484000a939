"""Mutation checks (issue 16): break one mechanism in a temporary copy of the repository, run the tests that
should catch it, and report whether they do. Nothing in the working tree is changed.

    python tests/mutants.py              # every mutation (a few minutes: each copy compiles its kernels)
    python tests/mutants.py m7_switching d10_boost   # some of them
    python tests/mutants.py --list

A mutation is *killed* when at least one of its tests fails on the mutated copy. Before the mutations the
same tests are run once on an unmutated copy (the control), which must pass. Not collected by pytest (its
name does not start with ``test_``); the table of results is in docs/validation.md ("Mutation checks").
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
MECH = "sim/customers/mechanisms.py"
KERNEL = "sim/customers/kernel.py"
ABL = "tests/test_ablation.py::"
MKT = "tests/test_markets.py::"


class Mutant(NamedTuple):
    name: str
    what: str
    file: str
    old: str
    new: str
    tests: tuple[str, ...]


MUTANTS = (
    Mutant(
        "m7_switching",
        "M7: structural bonds no longer damp churn (switching cost removed)",
        MECH,
        "return (1.0 - p[L.P_SWITCH_COST] * bt) * (1.0 - p[L.P_FIN_DAMP] * bf)",
        "return (1.0 - p[L.P_FIN_DAMP] * bf)",
        (
            ABL + "test_m7_structural_bonds_are_switching_costs",
            MKT + "test_structural_bonds_cut_churn_more_than_financial_bonds_of_the_same_cost",
        ),
    ),
    Mutant(
        "d10_boost",
        "D10: a recovery no longer restores satisfaction",
        MECH,
        "return sat + p[L.P_RECOVERY_BOOST] * (1.0 - sat) if is_recovered else sat",
        "return sat",
        (ABL + "test_d10_recovery_restores_satisfaction", MKT + "test_complaint_recovery_raises_retention"),
    ),
    Mutant(
        "d10_trust",
        "D10/M4: recovered complainers lose trust too",
        KERNEL,
        "tr = M.recovery_trust(p, tr, unrecovered)",
        "tr = M.recovery_trust(p, tr, complained)",
        (ABL + "test_d10_recovery_keeps_complainers_trust", MKT + "test_complaint_recovery_raises_retention"),
    ),
    Mutant(
        "m4_inverted",
        "M4: trust's asymmetry inverted (lost at the slow rate, regained at the fast one)",
        MECH,
        "tr = tr0 * (1.0 - p[L.P_TRUST_DROP] * broken)\n    return tr + p[L.P_TRUST_GAIN] * met * (1.0 - tr)",
        "tr = tr0 * (1.0 - p[L.P_TRUST_GAIN] * broken)\n    return tr + p[L.P_TRUST_DROP] * met * (1.0 - tr)",
        (ABL + "test_m4_trust_is_lost_quickly", ABL + "test_m4_trust_is_regained_slowly"),
    ),
    Mutant(
        "m2_delight",
        "M2: delight dropped from loyalty",
        MECH,
        "        + p[L.P_W_DELIGHT] * (1.0 if delighted else 0.0)\n",
        "",
        (ABL + "test_m2_delight_wins_loyalty",),
    ),
    Mutant(
        "d3_financial",
        "D3: financial bonds no longer damp churn",
        MECH,
        " * (1.0 - p[L.P_FIN_DAMP] * bf) * ",
        " * ",
        (ABL + "test_d3_financial_bonds_damp_churn",),
    ),
    Mutant(
        "m8_staff",
        "M8/D12: customers no longer follow departing staff",
        MECH,
        "    return fp[uf, L.FP_STAFF]\n",
        "    return 0.0\n",
        (ABL + "test_d12_departing_staff_take_customers", MKT + "test_departing_staff_take_customers_to_rivals"),
    ),
    Mutant(
        "m3_frequency",
        "M3: loyalty no longer raises purchase frequency",
        MECH,
        "(1.0 + p[L.P_LOY_FREQ] * loy + p[L.P_FIN_FREQ] * bf)",
        "(1.0 + p[L.P_FIN_FREQ] * bf)",
        (ABL + "test_m3_loyal_customers_buy_more_often",),
    ),
)


def _copy() -> Path:
    """A copy of the repository's sources and tests (no virtual environment, results or caches)."""
    tmp = Path(tempfile.mkdtemp(prefix="sim-mutant-"))
    ignore = shutil.ignore_patterns(".venv", ".git", "results", "__pycache__", "*.egg-info", ".pytest_cache", ".ruff_cache")
    for name in os.listdir(ROOT):
        src = ROOT / name
        if name in (".venv", ".git", "results"):
            continue
        if src.is_dir() and not src.is_symlink():
            shutil.copytree(src, tmp / name, symlinks=True, ignore=ignore)
        else:
            shutil.copy2(src, tmp / name, follow_symlinks=False)
    return tmp


def _pytest(copy: Path, tests: tuple[str, ...]) -> tuple[bool, str]:
    """Run ``tests`` on the copy (its ``sim`` first on the path); (passed, the names of failing tests)."""
    env = {**os.environ, "PYTHONPATH": str(copy), "NUMBA_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", "--tb=no", "-rf", *tests]
    r = subprocess.run(cmd, cwd=copy, env=env, capture_output=True, text=True)
    failed = [line.split("::")[-1].split(" ")[0] for line in r.stdout.splitlines() if line.startswith("FAILED")]
    return r.returncode == 0, ", ".join(failed)


def run(mutant: Mutant) -> tuple[bool, str]:
    copy = _copy()
    try:
        path = copy / mutant.file
        text = path.read_text()
        if text.count(mutant.old) != 1:
            raise SystemExit(f"{mutant.name}: the line to mutate is not found once in {mutant.file} (the code moved)")
        path.write_text(text.replace(mutant.old, mutant.new))
        return _pytest(copy, mutant.tests)
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def main(argv: list[str]) -> int:
    chosen = [m for m in MUTANTS if not argv or m.name in argv]
    if "--list" in argv:
        for m in MUTANTS:
            print(f"{m.name:14} {m.what}")
        return 0
    copy = _copy()
    try:
        control, failed = _pytest(copy, tuple(t for m in chosen for t in m.tests))
    finally:
        shutil.rmtree(copy, ignore_errors=True)
    print(f"control (no mutation): {'tests pass' if control else 'TESTS FAIL: ' + failed}", flush=True)
    if not control:
        return 1
    alive = 0
    for m in chosen:
        passed, failed = run(m)
        alive += passed
        print(f"{m.name:14} {'LIVES' if passed else 'killed by ' + failed}  ({m.what})", flush=True)
    return 1 if alive else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
