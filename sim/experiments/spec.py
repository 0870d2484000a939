"""Experiment files: what to run. A typed schema (pydantic) and its expansion into run specifications.

A *compare* experiment names a baseline and strategies (scenario files plus overrides); a *sweep*
names one scenario, parameters with ranges or values, and a design (grid, LHS, Sobol, Morris — sampled
with SALib). Both expand into :class:`RunSpec` objects: a fully resolved scenario, a seed and a content
hash. Replication k of every strategy or design point uses the same seed (common random numbers).
Bad input raises ``ScenarioError`` with a one-line message naming the file and field.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from sim import library
from sim.experiments.robustness import Target, UncertainInput
from sim.experiments.uncertainty import UncertaintySpec
from sim.output.glossary import RUN_METRICS, unknown_metric
from sim.scenario import ScenarioError, describe_error, load_scenario
from sim.scenario.fields import Name, Strict
from sim.scenario.loading import locate_scenario, read_yaml_file

__all__ = [
    "Experiment",
    "Strategy",
    "RivalReaction",
    "label_of",
    "SweepParameter",
    "Design",
    "RunSpec",
    "load_experiment",
    "read_spec",
    "expand",
    "METRICS",
]

# per-run metrics of the focal firm (computed in sim.experiments.metrics; labels and units in the glossary)
METRICS = RUN_METRICS


class Strategy(Strict):
    name: str
    scenario: str  # library scenario name, or path relative to the experiment file
    set: dict[str, Any] = Field(default_factory=dict)  # dotted-key overrides, as --set
    description: str = ""


class RivalReaction(Strict):
    """One way the rivals react (``firms[].reaction``, sim.market.rivals), under which every strategy runs."""

    name: Name  # names the policy in the report ("... when rivals match")
    reaction: dict[str, Any] = Field(default_factory=dict)  # fields of firms[].reaction (policy, lag, ...)
    firms: list[str] | None = None  # the firms that react; default: every firm but the reported one

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        # ``reactions: [ignore, match]``: a policy's name stands for that policy with its defaults
        return {"name": data, "reaction": {"policy": data}} if isinstance(data, str) else data


def label_of(strategy: str, reaction: str | None) -> str:
    """The label of a strategy's runs under one reaction of the rivals (the runs' ``strategy`` column)."""
    return strategy if reaction is None else f"{strategy}@{reaction}"


class SweepParameter(Strict):
    name: str  # dotted scenario path, e.g. firms.focal.levers.structural.spend
    low: float | None = None  # range (lhs, sobol, morris)
    high: float | None = None
    values: Annotated[list[float], Field(min_length=1)] | None = None  # levels (grid); an empty list has no runs
    integer: bool = False  # round sampled values (for integer fields)

    @model_validator(mode="after")
    def _range_or_values(self) -> SweepParameter:
        if self.values is None and (self.low is None or self.high is None):
            raise ValueError(f"{self.name}: give values (grid) or low and high")
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"{self.name}: low must be below high")
        return self


class Design(Strict):
    method: Literal["grid", "lhs", "sobol", "morris"] = "grid"
    samples: Annotated[int, Field(ge=1, le=1_000_000)] = 16  # lhs: points; sobol: N (base); morris: trajectories
    levels: Annotated[int, Field(ge=2, le=20)] = 4  # morris grid levels
    second_order: bool = False  # sobol
    seed: int = 0  # of the design's sampler


class Experiment(Strict):
    name: Name  # names the default output folder: one plain path component
    description: str = ""
    kind: Literal["compare", "sweep"] = "compare"
    firm: str = "focal"  # whose metrics are reported
    replications: Annotated[int, Field(ge=1, le=100_000)] = 10
    seed: Annotated[int, Field(ge=0)] = 0  # replication k uses seed + k, for every strategy (CRN)
    steps: Annotated[int, Field(ge=1, le=100_000)] | None = None  # overrides every scenario's horizon
    set: dict[str, Any] = Field(default_factory=dict)  # overrides applied to every strategy / point
    metrics: list[str] = Field(default_factory=lambda: list(METRICS))
    highlight: list[str] = Field(default_factory=list)  # strategies the figures colour besides baseline, best, worst
    # compare
    baseline: Strategy | None = None
    strategies: list[Strategy] = Field(default_factory=list)
    # compare: every strategy again under each way the rivals react (common random numbers throughout)
    reactions: list[RivalReaction] = Field(default_factory=list)
    # compare: assumptions drawn per replication (sim.experiments.uncertainty), or futures sampled by LHS
    # over declared uncertainties with regret, satisficing and PRIM boxes (sim.experiments.robustness)
    uncertainty: UncertaintySpec | None = None
    futures: Annotated[int, Field(ge=2, le=100_000)] | None = None
    uncertainties: list[UncertainInput] = Field(default_factory=list)
    target: Target | None = None
    # sweep
    scenario: str | None = None
    parameters: list[SweepParameter] = Field(default_factory=list)
    design: Design = Design()
    outputs: list[str] = Field(default_factory=lambda: ["profit_total", "annual_retention"])

    @field_validator("parameters")
    @classmethod
    def _each_parameter_once(cls, value: list[SweepParameter]) -> list[SweepParameter]:
        # SALib needs distinct names; checked here, before any run, not after the whole design ran
        names = [p.name for p in value]
        twice = next((n for n in names if names.count(n) > 1), None)
        if twice is not None:
            raise ValueError(f"{twice!r} is swept twice (name each parameter once)")
        return value

    @field_validator("metrics", "outputs")
    @classmethod
    def _known_metrics(cls, value: list[str]) -> list[str]:
        bad = [m for m in value if m not in METRICS]
        if bad:
            raise ValueError(unknown_metric(bad[0]))
        return value

    @model_validator(mode="after")
    def _check(self) -> Experiment:
        _check_robust(self)
        if self.kind == "compare":
            if self.baseline is None:
                raise ValueError("a compare experiment needs a baseline")
            names = [self.baseline.name, *[s.name for s in self.strategies]]
            if len(set(names)) != len(names):
                raise ValueError("strategy names must be unique (the baseline's too)")
            if any("@" in n for n in names) and self.reactions:
                raise ValueError("strategy names cannot hold '@' when reactions are listed")
            rnames = [r.name for r in self.reactions]
            if len(set(rnames)) != len(rnames):
                raise ValueError("reactions: names must be unique")
        else:
            if self.reactions:
                raise ValueError("reactions: only a compare experiment runs strategies under rivals' reactions")
            if self.scenario is None or not self.parameters:
                raise ValueError("a sweep needs a scenario and parameters")
            if self.design.method == "grid" and any(p.values is None for p in self.parameters):
                raise ValueError("a grid design needs values for every parameter")
            if self.design.method != "grid" and any(p.low is None for p in self.parameters):
                raise ValueError(f"a {self.design.method} design needs low and high for every parameter")
        return self


def _check_robust(exp: Experiment) -> None:
    if exp.kind != "compare" and (exp.uncertainty is not None or exp.futures is not None):
        raise ValueError("uncertainty and futures: only a compare experiment draws them")
    if (exp.futures is None) != (not exp.uncertainties):
        raise ValueError("futures and uncertainties go together (a number of futures and what varies in them)")
    if exp.futures is not None and (exp.reactions or exp.uncertainty is not None):
        raise ValueError("futures: declare the rivals' reaction and assumptions as uncertainties instead")
    names = [u.name for u in exp.uncertainties]
    if len(set(names)) != len(names):
        raise ValueError("uncertainties: each name once")
    if any(n.startswith("reaction.") for n in names) and "reaction" not in names:
        raise ValueError("uncertainties: reaction.<field> needs a reaction uncertainty (the rivals' policies)")
    if exp.target is not None and exp.target.metric not in METRICS:
        raise ValueError(f"target: {unknown_metric(exp.target.metric)}")
    if exp.target is not None and exp.futures is None:
        raise ValueError("target: only an experiment with futures is scored against a target")


@dataclass(frozen=True)
class RunSpec:
    """One run: the resolved scenario (a dict, so workers need no files), its seed, and labels."""

    key: str  # content hash: same content -> same key -> same file
    label: str  # strategy name, or design point id
    replication: int
    seed: int
    scenario: dict[str, Any]
    params: dict[str, Any]  # the swept parameter values (sweep) or {} (compare)
    firm: str
    point: int = -1  # design-point index (sweep)
    overrides: str = "{}"  # JSON of the overrides that made this run's scenario (recorded in every row)


def read_spec[M: Strict](path: str | Path, model: type[M], what: str) -> tuple[M, Path]:
    """A file of the library by name (``"retention_strategies"``) or a YAML path, validated as ``model``
    (an experiment, an optimisation); bad input raises ``ScenarioError`` naming the file and field."""
    if library.is_path(path):
        path = Path(path)
    else:
        try:
            path = library.experiment_path(str(path))
        except library.UnknownName as err:
            raise ScenarioError(str(err)) from None
    data: Any = None
    try:
        data = read_yaml_file(path, what)
        if not isinstance(data, dict):
            raise ScenarioError(f"{path}: (top level): expected a mapping of keys")
        return model.model_validate(data), path
    except ValidationError as err:
        raise ScenarioError(describe_error(err, data, str(path))) from None
    except RecursionError:  # PyYAML's composer recurses once per nesting level
        raise ScenarioError(f"{path}: (parse): malformed YAML (nested too deeply)") from None


def load_experiment(
    path: str | Path, overrides: dict[str, Any] | None = None, replications: int | None = None
) -> tuple[Experiment, Path]:
    """Read and validate an experiment file, or a library experiment by name (``"retention_strategies"``);
    ``overrides`` (``--set``) are added to its ``set``. Returns the experiment and the folder its relative
    scenario paths start from."""
    exp, path = read_spec(path, Experiment, "experiment file")
    if overrides:
        exp = exp.model_copy(update={"set": {**exp.set, **overrides}})
    if replications is not None:
        if replications < 1:
            raise ScenarioError(f"--replications {replications}: must be at least 1")
        exp = exp.model_copy(update={"replications": replications})
    return exp, path.parent


def _reaction_overrides(exp: Experiment, firms: list[str], r: RivalReaction, where: str) -> dict[str, Any]:
    """``firms.<name>.reaction`` for every firm that reacts under ``r`` (default: all but the reported one)."""
    who = r.firms if r.firms is not None else [f for f in firms if f != exp.firm]
    bad = [f for f in who if f not in firms]
    if bad:
        raise ScenarioError(f"{where}: reactions: {r.name}: no firm named {bad[0]!r}")
    return {f"firms.{f}.reaction": dict(r.reaction) for f in who}


def _resolve(
    exp: Experiment,
    base: Path,
    scenario: str,
    extra: dict[str, Any],
    where: str,
    reaction: RivalReaction | None = None,
    seen: set[Any] | None = None,
) -> dict[str, Any]:
    over = {**exp.set, **extra}
    if exp.steps is not None:
        over["steps"] = exp.steps
    try:
        # a library scenario by name (``scenario: baseline``), or a path relative to the experiment file
        path = (base / scenario).resolve() if library.is_path(scenario, base) else locate_scenario(scenario)
        sc = load_scenario(path, over)
    except ScenarioError as err:
        raise ScenarioError(f"{where}: {err}") from None
    if exp.firm not in sc.firm_names:
        raise ScenarioError(f"{where}: firm {exp.firm!r} is not in {path.name}")
    if reaction is not None:  # the same scenario with the rivals reacting (sim.market.rivals)
        where = f"{where} under reaction {reaction.name}"
        reacting = _reaction_overrides(exp, sc.firm_names, reaction, where)
        try:
            sc = load_scenario(path, {**over, **reacting})
        except ScenarioError as err:
            raise ScenarioError(f"{where}: {err}") from None
    if sc.population.start_state is not None:  # checked here, before any run starts or anything is written
        try:
            _check_start_state(sc, set() if seen is None else seen)
        except ScenarioError as err:
            raise ScenarioError(f"{where}: {err}") from None
    return sc.to_dict()


def _check_start_state(sc: Any, seen: set[Any]) -> None:
    """Read and check a scenario's start-state file, once per (file, firms, segments, size) in one expansion."""
    from sim.customers.start_state import read_start_state

    what = (sc.population.start_state, tuple(sc.firm_names), tuple(x.name for x in sc.population.segments))
    if (*what, sc.population.size) not in seen:
        read_start_state(sc)
        seen.add((*what, sc.population.size))


def _content(sc: dict[str, Any], digests: dict[str, str]) -> tuple[str, ...]:
    """What a run's content hash adds for files its scenario reads: the start state's SHA-256 (so a changed
    Parquet file is new content and stored runs are not reused); nothing without one (keys unchanged).
    ``digests`` holds the files already read by this expansion (a sweep's design points share one file)."""
    from sim.customers.start_state import file_digest

    path = (sc.get("population") or {}).get("start_state")
    if path is None:
        return ()
    if path not in digests:
        digests[path] = file_digest(path)
    return (digests[path],)


def _key(*parts: Any) -> str:
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:20]


def expand(exp: Experiment, base: Path, source: str = "experiment") -> tuple[list[RunSpec], Any]:
    """All runs of the experiment, in a fixed order, and (for sweeps) the design (SALib problem, X)."""
    specs: list[RunSpec] = []
    if exp.kind == "compare" and (exp.uncertainty is not None or exp.futures is not None):
        from sim.experiments.robustness import expand_futures
        from sim.experiments.uncertainty import expand_uncertain

        return (expand_futures if exp.futures else expand_uncertain)(exp, base, source, sys.modules[__name__]), None
    if exp.kind == "compare":
        arms = [exp.baseline, *exp.strategies]
        seen: set[Any] = set()
        resolved = [
            (s, r, _resolve(exp, base, s.scenario, s.set, f"{source}: strategy {s.name}", r, seen))
            for r in (exp.reactions or [None])
            for s in arms
        ]
        files: dict[str, str] = {}
        digests = [_content(sc, files) for _, _, sc in resolved]
        for k in range(exp.replications):  # replication-major: partial results cover every strategy
            for (s, r, sc), digest in zip(resolved, digests, strict=True):
                seed = exp.seed + k  # the same seeds under every reaction too (common random numbers)
                label = label_of(s.name, None if r is None else r.name)
                extra = {} if r is None else {"reaction": r.model_dump(mode="json")}
                over = json.dumps({"scenario": s.scenario, **exp.set, **s.set, **extra}, sort_keys=True, default=str)
                key = _key(exp.name, label, sc, seed, *digest)
                specs.append(RunSpec(key, label, k, seed, sc, {}, exp.firm, overrides=over))
        return specs, None
    from sim.experiments.design import sample

    problem, X = sample(exp)
    files: dict[str, str] = {}
    seen = set()
    for i, row in enumerate(X):
        params = {p.name: (int(round(x)) if p.integer else float(x)) for p, x in zip(exp.parameters, row, strict=True)}
        try:
            sc = _resolve(exp, base, exp.scenario, params, f"{source}: design point {i}", seen=seen)
        except ScenarioError as err:
            raise ScenarioError(str(err)) from None
        content = _content(sc, files)
        for k in range(exp.replications):
            seed = exp.seed + k
            over = json.dumps({"scenario": exp.scenario, **exp.set, **params}, sort_keys=True, default=str)
            specs.append(RunSpec(_key(exp.name, i, sc, seed, *content), f"p{i}", k, seed, sc, params, exp.firm, i, over))
    return specs, (problem, X)


def experiment_hash(exp: Experiment, specs: list[RunSpec]) -> str:
    """Identity of an experiment's content (not comments, and not the number of replications: more
    replications extend the same results folder, since every run is stored under its own content hash)."""
    first = sorted({s.key for s in specs if s.replication == 0})
    # older folders stay valid; highlight only colours the figures
    skip = {"description", "replications", "highlight"} | (set() if exp.reactions else {"reactions"})
    skip |= {k for k in ("uncertainty", "futures", "uncertainties", "target") if getattr(exp, k) in (None, [])}
    return _key(exp.model_dump(mode="json", exclude=skip), first)
