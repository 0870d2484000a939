"""Fuzzing the scenario input (issue 23): random keys, types, nesting and values — NaN, infinities, huge and
negative numbers, odd strings — in a scenario file and in ``--set`` overrides. Every outcome is either
exit 0 with finite outputs, or exit 2 with one line and nothing written; never a traceback, never a file
outside the output folder. A bounded number of examples keeps it within the suite's time; set
``SIM_FUZZ_EXAMPLES`` for a longer, nightly-style run.

Excluded from the random keys: ``population.size`` and ``network.*`` (a valid but large market is slow
rather than wrong; the memory check has its own tests) — every run is forced to 200 people and 2 weeks.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from sim.cli import main
from sim.scenario.schema import Scenario

EXAMPLES = int(os.environ.get("SIM_FUZZ_EXAMPLES", "25"))


def _leaf_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    out = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        sub = field.annotation
        if isinstance(sub, type) and issubclass(sub, BaseModel):
            out += _leaf_paths(sub, f"{path}.")
        else:
            out.append(path)
    return out


KEYS = [k for k in _leaf_paths(Scenario) if k != "population.size" and not k.startswith("network.")]
KEYS += ["no_such_key", "dynamics.no_such", "firms.focal.budget.retention", "firms.nobody.budget.retention"]
ODD = [float("nan"), float("inf"), -float("inf"), 1e308, -1e308, -1.0, 0.0, 0.5, 1.0, 7.0, 1e6, 2**40, -3, 0, 1, 3]
PLAUSIBLE = st.one_of(st.floats(0.0, 1.0), st.integers(0, 10), st.booleans())  # so that many runs are valid
VALUES = st.one_of(
    PLAUSIBLE,
    PLAUSIBLE,
    PLAUSIBLE,
    st.sampled_from(ODD),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.sampled_from(["", "x", "../../etc", "/etc/hostname", "1e999", "nan", "true", "basic"]),
    st.booleans(),
    st.none(),
    st.lists(st.sampled_from(ODD), max_size=3),
    st.dictionaries(st.sampled_from(["a", "name", "spend"]), st.sampled_from(ODD), max_size=2),
)
OVERRIDES = st.dictionaries(st.sampled_from(KEYS), VALUES, min_size=1, max_size=2)


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in flat.items():
        node = out
        *parents, last = key.split(".")
        for part in parents:
            nxt = node.setdefault(part, {})
            if not isinstance(nxt, dict):
                break
            node = nxt
        else:
            node[last] = value
    return out


def _check(rc: int, err: str, folder: Path, out: Path, inputs: set[str]) -> None:
    assert rc in (0, 2), err
    assert "Traceback" not in err
    if rc == 2:
        assert err.strip().count("\n") == 0, err
        assert {p.name for p in folder.iterdir()} == inputs, "bad input wrote something"
        return
    summary = json.loads((out / "summary.json").read_text(), parse_constant=lambda c: pytest.fail(f"bare {c}"))
    assert summary["seed"] == 0
    ts = pd.read_parquet(out / "timeseries.parquet").select_dtypes("number")
    assert np.isfinite(ts.to_numpy(dtype=float)).all(), "a valid scenario gave a non-finite output"
    assert {p.name for p in folder.iterdir()} == inputs | {"out"}


FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
FORCED = ["--steps", "2", "--set", "population.size=200", "--quiet", "--seed", "0"]


@FUZZ
@given(flat=OVERRIDES)
def test_fuzzed_scenario_files(tmp_path_factory, capsys, flat) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    data = {"extends": "baseline", **_nest(flat)}
    (folder / "s.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    capsys.readouterr()
    rc = main(["run", str(folder / "s.yaml"), "--out", str(folder / "out"), *FORCED])
    _check(rc, capsys.readouterr().err, folder, folder / "out", {"s.yaml"})


@FUZZ
@given(flat=OVERRIDES)
def test_fuzzed_set_overrides(tmp_path_factory, capsys, flat) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    sets = []
    for key, value in flat.items():
        text = value if isinstance(value, str) else json.dumps(value) if not _nonfinite(value) else repr(value)
        sets += ["--set", f"{key}={text}"]
    capsys.readouterr()
    rc = main(["run", "baseline", "--out", str(folder / "out"), *sets, *FORCED])
    _check(rc, capsys.readouterr().err, folder, folder / "out", set())


def _nonfinite(value: Any) -> bool:
    return isinstance(value, float) and not math.isfinite(value)
