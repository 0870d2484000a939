"""Parameter uncertainty (issue 18): the assumed parameters drawn from their declared ranges, one draw per
replication, the same draw for every strategy in that replication (common random numbers extended to the
parameters).

Every schema field whose source is **assumption** declares a plausible range (``param(..., range=...)`` in
sim/scenario/). With ``uncertainty:`` in an experiment (or ``sim compare --uncertainty``) each
replication k draws every chosen parameter *uniformly* on its range, from a numpy Generator seeded with
``(seed, k, crc32(key))``: deterministic from the seed and the replication index alone (identical on every
backend, after a resume, and when more replications are added later — which Latin hypercube sampling
across replications would not be), and one parameter's draw does not change when another is added to
the list. The draws are overrides applied after the experiment's ``set`` and before a strategy's own
``set`` (a strategy that sets a parameter itself keeps its value). They are recorded per run as
``param:<key>`` columns of the run table.
"""

from __future__ import annotations

import json
import re
import zlib
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, field_validator

from sim.scenario import Scenario, ScenarioError
from sim.scenario.fields import Strict, iter_fields

__all__ = [
    "UncertaintySpec",
    "assumption_ranges",
    "range_of",
    "uncertain_parameters",
    "draw_overrides",
    "expand_uncertain",
    "ALL",
]

ALL = "all-assumptions"


@cache
def assumption_ranges() -> dict[str, tuple[float, float, bool]]:
    """Schema path -> (low, high, integer) of every scalar assumption with a declared range (``firms[].x``
    for fields of list items; list-valued fields such as ``level_cost`` are left out)."""
    out: dict[str, tuple[float, float, bool]] = {}
    for path, field, sub in iter_fields(Scenario):
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        rng = extra.get("range")
        if sub is not None or "assumption" not in str(extra.get("source", "")) or not rng:
            continue
        if field.annotation not in (int, float):
            continue
        out[path] = (float(rng[0]), float(rng[1]), field.annotation is int)
    return out


@cache
def _patterns() -> list[tuple[re.Pattern[str], str]]:
    # firms[].cost_per_unit matches firms.focal.cost_per_unit and firms.0.cost_per_unit
    return [(re.compile(re.escape(p).replace(r"\[\]", r"\.[^.]+")), p) for p in assumption_ranges()]


def range_of(key: str) -> tuple[float, float, bool]:
    """The declared range of a dotted scenario key (list items by name or index), or ValueError."""
    for pattern, path in _patterns():
        if pattern.fullmatch(key):
            return assumption_ranges()[path]
    raise ValueError(f"{key!r} is not an assumption with a declared range (see docs/parameters.md)")


class UncertaintySpec(Strict):
    """``uncertainty:`` of a compare experiment: which assumptions are drawn, and the seed of the draws."""

    parameters: Literal["all-assumptions"] | list[str] = ALL
    seed: Annotated[int, Field(ge=0)] | None = None  # default: the experiment's seed

    @field_validator("parameters")
    @classmethod
    def _known(cls, value: Any) -> Any:
        if isinstance(value, list):
            if not value:
                raise ValueError("name at least one parameter, or all-assumptions")
            for key in value:
                range_of(key)
            if len(set(value)) != len(value):
                raise ValueError("a parameter is listed twice")
        return value


def uncertain_parameters(exp: Any) -> list[tuple[str, float, float, bool]]:
    """(key, low, high, integer) of every parameter drawn in ``exp`` (sorted by key). ``all-assumptions``:
    every scalar assumption outside the lists of firms, segments and alliances (the market's dynamics,
    network, stakeholders, discount rate), except what the experiment's ``set`` fixes."""
    spec = exp.uncertainty
    if spec is None:
        return []
    if spec.parameters == ALL:
        keys = [p for p in assumption_ranges() if "[]" not in p and p not in exp.set]
    else:
        keys = list(spec.parameters)
    return [(k, *range_of(k)) for k in sorted(keys)]


def draw_overrides(exp: Any, replication: int, seed: int | None = None) -> dict[str, Any]:
    """The drawn value of every uncertain parameter in replication ``replication``: a dict of dotted-key
    overrides, the same for every strategy. Uniform on each declared range; integers rounded. Seeded
    from (seed, replication, crc32(key)); ``seed`` defaults to ``uncertainty.seed``, else ``exp.seed``."""
    if seed is None:
        seed = exp.uncertainty.seed if exp.uncertainty is not None and exp.uncertainty.seed is not None else exp.seed
    out: dict[str, Any] = {}
    for key, low, high, integer in uncertain_parameters(exp):
        u = np.random.default_rng([int(seed), int(replication), zlib.crc32(key.encode())]).random()
        value = low + u * (high - low)
        out[key] = int(round(value)) if integer else float(value)
    return out


def expand_uncertain(exp: Any, base: Path, source: str, spec: Any) -> list[Any]:
    """The compare experiment's runs with each replication's draws applied (spec.expand calls this when
    ``uncertainty`` is set): replication-major, every strategy (and rival reaction) of replication k under
    the same draw and the same seed. ``spec`` is the module sim.experiments.spec (no import cycle)."""
    RunSpec, _content, _key, _resolve, label_of = spec.RunSpec, spec._content, spec._key, spec._resolve, spec.label_of  # noqa: N806

    arms = [exp.baseline, *exp.strategies]
    seen: set[Any] = set()
    files: dict[str, str] = {}
    specs = []
    for k in range(exp.replications):
        draws = draw_overrides(exp, k)
        for r in exp.reactions or [None]:
            for s in arms:
                where = f"{source}: strategy {s.name}, replication {k}"
                try:
                    sc = _resolve(exp, base, s.scenario, {**draws, **s.set}, where, r, seen)
                except ScenarioError as err:
                    raise ScenarioError(f"{err} (drawn: uncertainty)") from None
                seed = exp.seed + k
                label = label_of(s.name, None if r is None else r.name)
                extra = {} if r is None else {"reaction": r.model_dump(mode="json")}
                over = json.dumps({"scenario": s.scenario, **exp.set, **draws, **s.set, **extra}, sort_keys=True)
                key = _key(exp.name, label, sc, seed, *_content(sc, files))
                params = {name: value for name, value in draws.items() if name not in s.set}
                specs.append(RunSpec(key, label, k, seed, sc, params, exp.firm, overrides=over))
    return specs
