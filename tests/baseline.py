"""The stored baseline: key outputs of bundled scenarios at a fixed seed, kept in ``tests/baseline.json``.

``tests/test_baseline.py`` fails on any unintended change of these numbers. To change them on purpose
(a mechanism changed, a bug was fixed), regenerate and read the diff it prints:

    python tests/baseline.py              # compare with the stored baseline, print the differences
    python tests/baseline.py --regenerate # write tests/baseline.json anew (and print what changed)

Besides the per-column sums of three scenarios (compared with a relative tolerance of 1e-9, because the
kernels compile with fast-math for the host CPU), the file keeps an exact digest of the whole timeseries
and customer table of every bundled scenario; ``python tests/baseline.py`` reports which digests moved,
which is how a refactoring proves it changed no bit on this machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BASELINE = Path(__file__).with_name("baseline.json")
SEED = 20261129
SIZE = 3000
STEPS = 52
DETAILED = ("baseline", "full_relationship_marketing", "price_war")
RTOL = 1e-9


def _scenario_files() -> list[Path]:
    return sorted((ROOT / "scenarios").glob("*.yaml"))


def run_one(path: Path) -> tuple[Any, Any]:
    """(timeseries, customers) of one scenario at the baseline's seed, size and horizon."""
    import sim

    sc = sim.load_scenario(path, overrides={"population.size": SIZE})
    model = sim.RelationshipMarket(sc, rng=SEED)
    model.run_for(STEPS)
    return model.timeseries(), model.customers()


def digest(ts: Any, cust: Any) -> str:
    h = hashlib.sha256()
    for df in (ts, cust):
        for col in df.columns:
            values = df[col]
            if hasattr(values, "cat"):
                data = values.cat.codes.to_numpy().tobytes()
            elif values.dtype.kind == "O" or str(values.dtype).startswith("str"):  # ids: the text, not pointers
                data = "\x1f".join("" if v is None else str(v) for v in values.to_numpy()).encode()
            else:
                data = values.to_numpy().tobytes()
            h.update(col.encode())
            h.update(data)
    return h.hexdigest()


def column_sums(ts: Any) -> dict[str, dict[str, float]]:
    """Per firm, every numeric timeseries column summed over the steps."""
    out: dict[str, dict[str, float]] = {}
    for firm, rows in ts.groupby("firm", observed=True):
        num = rows.drop(columns=["step", "firm"]).select_dtypes("number")
        out[str(firm)] = {col: float(num[col].sum()) for col in num.columns}
    return out


def compute() -> dict[str, Any]:
    digests: dict[str, str] = {}
    detailed: dict[str, Any] = {}
    for path in _scenario_files():
        ts, cust = run_one(path)
        digests[path.stem] = digest(ts, cust)
        if path.stem in DETAILED:
            detailed[path.stem] = column_sums(ts)
    return {"seed": SEED, "population_size": SIZE, "steps": STEPS, "scenarios": detailed, "digests": digests}


def differences(old: dict[str, Any], new: dict[str, Any], rtol: float = RTOL) -> list[str]:
    """One line per number of ``old`` that ``new`` lacks or changes by more than ``rtol``."""
    lines = []
    for sc, firms in old["scenarios"].items():
        for firm, cols in firms.items():
            got = new["scenarios"].get(sc, {}).get(firm, {})
            for col, a in cols.items():
                b = got.get(col)
                if b is None:
                    lines.append(f"{sc} {firm} {col}: missing (was {a!r})")
                elif not math.isclose(a, b, rel_tol=rtol, abs_tol=rtol):
                    rel = (b - a) / abs(a) if a else float("inf")
                    lines.append(f"{sc} {firm} {col}: {a!r} -> {b!r} ({rel:+.3g})")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Compare with, or regenerate, the stored baseline.")
    ap.add_argument("--regenerate", action="store_true", help="write tests/baseline.json anew")
    args = ap.parse_args(argv)
    new = compute()
    old = json.loads(BASELINE.read_text()) if BASELINE.exists() else None
    if old is not None:
        diff = differences(old, new)
        moved = sorted(k for k, v in new["digests"].items() if old["digests"].get(k) != v)
        print("\n".join(diff) if diff else "key outputs: no change beyond 1e-9 relative")
        print(f"exact digests changed: {', '.join(moved) if moved else 'none'} (of {len(new['digests'])} scenarios)")
    if args.regenerate:
        BASELINE.write_text(json.dumps(new, indent=1, sort_keys=True) + "\n")
        print(f"wrote {BASELINE}")
        return 0
    return 0 if old is not None and not differences(old, new) else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
