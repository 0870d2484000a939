"""Key outputs of three bundled scenarios at a fixed seed equal the stored baseline (tests/baseline.json).

A deliberate change regenerates it: ``python tests/baseline.py --regenerate`` prints what moved.
"""

from __future__ import annotations

import json

from baseline import BASELINE, DETAILED, column_sums, differences, run_one


def test_key_outputs_equal_the_stored_baseline(root) -> None:
    stored = json.loads(BASELINE.read_text())
    new = {"scenarios": {name: column_sums(run_one(root / "scenarios" / f"{name}.yaml")[0]) for name in DETAILED}}
    diff = differences(stored, new)
    assert not diff, "outputs moved from tests/baseline.json:\n" + "\n".join(diff[:30])


def test_the_baseline_comparison_catches_a_change() -> None:
    stored = json.loads(BASELINE.read_text())
    moved = json.loads(json.dumps(stored))
    firms = moved["scenarios"]["baseline"]
    firm = next(iter(firms))
    firms[firm]["profit"] *= 1.0 + 1e-6
    assert differences(stored, moved) and not differences(stored, stored)
