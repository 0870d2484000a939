"""Faults and bad input around one run (``sim run``) and the Python API (issue 23).

Each test reproduced its failure before the fix. Faults that need a real device (disk full, a
read-only mount) are simulated by raising the OS error (ENOSPC, EROFS) where the write happens.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from sim.cli import main

SMALL = ("--set", "population.size=300", "--steps", "5")  # under a year: annual retention is undefined


def _run(tmp_path: Path, capsys, *extra: str, out: Path | None = None) -> tuple[int, str, Path]:
    out = out if out is not None else tmp_path / "out"
    code = main(["run", "baseline", "--out", str(out), "--quiet", *SMALL, *extra])
    return code, capsys.readouterr().err, out


def _refuse_constants(name: str) -> float:
    raise ValueError(f"non-strict JSON constant {name}")


# 1. summary.json is strict JSON -------------------------------------------------------------


def test_summary_json_is_strict_json_for_a_run_under_a_year(tmp_path, capsys):
    code, err, out = _run(tmp_path, capsys)
    assert code == 0, err
    summary = json.loads((out / "summary.json").read_text(), parse_constant=_refuse_constants)
    assert summary["firms"]["focal"]["annual_retention"] is None
    assert math.isfinite(summary["firms"]["focal"]["profit_total"])


def test_strict_json_writes_null_for_nan_and_inf():
    from sim.output.run import strict_json

    text = strict_json({"a": float("nan"), "b": [float("inf"), -float("inf"), 1.5], "c": {"d": float("nan")}})
    assert json.loads(text, parse_constant=_refuse_constants) == {"a": None, "b": [None, None, 1.5], "c": {"d": None}}


def test_cli_summary_table_prints_an_undefined_retention(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", "baseline", "--out", str(out), *SMALL])
    assert code == 0
    assert "n/a" in capsys.readouterr().out
