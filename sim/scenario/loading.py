"""Loading scenarios: YAML files (with ``extends:``), ``--set`` overrides, and one-line error messages
naming the file and the field path."""

from __future__ import annotations

import copy
import os
import stat
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim import library
from sim.scenario.schema import Scenario, ScenarioError

__all__ = [
    "load_scenario",
    "locate_scenario",
    "read_yaml_file",
    "scenario_from_dict",
    "apply_overrides",
    "parse_set_options",
    "merge",
    "describe_error",
]


def _field_path(loc: tuple[Any, ...], data: Any) -> str:
    """Dotted path of a pydantic error location; list items are named by their `name` when they have one."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int) and isinstance(node, list) and 0 <= item < len(node):
            node = node[item]
            label = node.get("name") if isinstance(node, dict) else None
            parts.append(str(label) if isinstance(label, str) else str(item))
            continue
        if isinstance(item, str) and item.startswith(("function-", "tagged-union")):
            continue
        parts.append(str(item))
        node = node.get(item) if isinstance(node, dict) else None
    return ".".join(parts) or "(top level)"


def describe_error(err: ValidationError, data: Any, source: str) -> str:
    first = err.errors()[0]
    path = _field_path(tuple(first["loc"]), data)
    msg = first["msg"].replace("Value error, ", "")
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
    elif "input" in first and not isinstance(first["input"], dict | list):
        msg = f"{msg} (got {first['input']!r})"
    more = f" (+{len(err.errors()) - 1} more)" if len(err.errors()) > 1 else ""
    return f"{source}: {path}: {msg}{more}"


def parse_set_options(items: list[str] | None) -> dict[str, Any]:
    """``["a.b=3", "c=x"]`` -> ``{"a.b": 3, "c": "x"}``; values are parsed as YAML scalars (safely)."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ScenarioError(f"--set {item}: expected dotted.key=value")
        try:
            out[key.strip()] = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            out[key.strip()] = raw
    return out


def apply_overrides(data: dict[str, Any], overrides: dict[str, Any], source: str = "--set") -> dict[str, Any]:
    """Return a copy of ``data`` with dotted-key overrides applied. List items (firms, segments) are
    addressed by name or index: ``firms.focal.budget.retention``."""
    data = copy.deepcopy(data)
    for dotted, value in overrides.items():
        keys = dotted.split(".")
        node: Any = data
        for depth, key in enumerate(keys):
            last = depth == len(keys) - 1
            where = ".".join(keys[: depth + 1])
            if isinstance(node, list):
                idx = next((i for i, x in enumerate(node) if isinstance(x, dict) and x.get("name") == key), None)
                if idx is None and key.isdigit() and int(key) < len(node):
                    idx = int(key)
                if idx is None:
                    raise ScenarioError(f"{source}: {where}: no list item with that name or index")
                if last:
                    node[idx] = value
                else:
                    node = node[idx]
            elif isinstance(node, dict):
                if last:
                    node[key] = value
                else:
                    node = node.setdefault(key, {})
            else:
                raise ScenarioError(f"{source}: {where}: cannot set a key inside a {type(node).__name__}")
    return data


def _defaults_with_lists(data: dict[str, Any]) -> dict[str, Any]:
    """Materialise default firm/segment lists so that overrides can address them by name."""
    data = dict(data)
    defaults = Scenario().to_dict()
    data.setdefault("firms", defaults["firms"])
    pop = dict(data.get("population") or {})
    if isinstance(pop, dict):
        pop.setdefault("segments", defaults["population"]["segments"])
        data["population"] = pop
    return data


def scenario_from_dict(data: Any, source: str = "<dict>", overrides: dict[str, Any] | None = None) -> Scenario:
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: (top level): expected a mapping of keys, got {type(data).__name__}")
    if overrides:
        data = apply_overrides(_defaults_with_lists(data), overrides, source=f"{source} --set")
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(describe_error(err, data, source)) from None


def merge(base: Any, over: Any) -> Any:
    """Deep-merge ``over`` onto ``base``: mappings key by key, lists of named items (firms, segments,
    alliances) item by item by name, anything else replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = merge(base[k], v) if k in base else v
        return out
    named = lambda xs: isinstance(xs, list) and all(isinstance(x, dict) and "name" in x for x in xs)  # noqa: E731
    if named(base) and named(over) and over:
        out = list(base)
        names = [x["name"] for x in base]
        for item in over:
            if item["name"] in names:
                i = names.index(item["name"])
                out[i] = merge(out[i], item)
            else:
                out.append(item)
        return out
    return over


def _safe_loader() -> type:
    """PyYAML's safe loader, libyaml's C one when PyYAML was built with it (a large file parses ~4x faster;
    tags stay refused and errors carry the same line marks), else the pure-Python one."""
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


MAX_BYTES = 1_000_000  # a scenario or experiment file is a few kB; anything larger is not one


def read_yaml_file(path: Path, what: str = "file") -> Any:
    """Parse one YAML file safely, reading only a regular file of at most :data:`MAX_BYTES` (so ``/dev/zero``
    or a FIFO fails at once instead of hanging or filling memory). Errors are one line naming the file."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise ScenarioError(f"{path}: {what} not found") from None
    except OSError as err:
        raise ScenarioError(f"{path}: cannot read {what} ({err.__class__.__name__})") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kinds = {stat.S_ISDIR: "a folder", stat.S_ISFIFO: "a FIFO", stat.S_ISSOCK: "a socket"}
        kind = next((k for test, k in kinds.items() if test(mode)), "a device")
        raise ScenarioError(f"{path}: cannot read {what} (not a regular file: {kind})")
    with os.fdopen(fd, "rb") as fh:
        raw = fh.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise ScenarioError(f"{path}: {what} too large (over {MAX_BYTES:,} bytes; a scenario is a few kB)")
    try:
        return yaml.load(raw.decode("utf-8"), Loader=_safe_loader())  # noqa: S506 - a safe loader
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: cannot read {what} (not UTF-8 text)") from None
    except RecursionError:  # the pure-Python loader on deeply nested input (libyaml stops at depth 1000)
        raise ScenarioError(f"{path}: (parse): malformed YAML (nested too deeply)") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(parse)"
        raise ScenarioError(f"{path}: {where}: malformed YAML ({getattr(err, 'problem', 'syntax error')})") from None


def locate_scenario(ref: str | Path) -> Path:
    """The file a command-line reference names: a path as given, or a library scenario by name
    (``baseline``); an unknown name is a one-line :class:`ScenarioError` listing the names there are."""
    if library.is_path(ref):
        return Path(ref)
    try:
        return library.scenario_path(str(ref))
    except library.UnknownName as err:
        raise ScenarioError(str(err)) from None


def _parent_file(path: Path, parent: Any) -> Path:
    """Where ``extends: parent`` of ``path`` points: a file inside the folder of ``path``, else a library
    scenario by name (``baseline`` or ``baseline.yaml``). Nothing outside those two places is read."""
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError(f"{path}: extends: expected a file name (got {parent!r})")
    folder = path.parent.resolve()
    if not Path(parent).is_absolute():
        for name in (parent, f"{parent}.yaml") if not parent.endswith((".yaml", ".yml")) else (parent,):
            candidate = (folder / name).resolve()
            if candidate.is_relative_to(folder) and candidate.exists():
                return candidate
        try:
            return library.scenario_path(parent).resolve()
        except library.UnknownName:
            pass
    if Path(parent).is_absolute() or not (folder / parent).resolve().is_relative_to(folder):
        raise ScenarioError(
            f"{path}: extends: {parent!r} is outside the file's folder (name a file beside it, or a library scenario)"
        )
    names = ", ".join(library.scenario_names())
    raise ScenarioError(f"{path}: extends: file not found ({parent}), nor a library scenario (names: {names})")


START_STATE = "population.start_state"


def _start_state_path(path: Path, value: Any) -> Any:
    """Where ``population.start_state`` of the scenario file ``path`` points, as an absolute path: a relative
    path is taken from the file's folder and must stay inside it (as ``extends:``); an absolute one is kept.
    Anything but a non-empty string is left for the schema to refuse."""
    if not isinstance(value, str) or not value.strip():
        return value
    if Path(value).is_absolute():
        return value
    folder = path.parent.resolve()
    candidate = (folder / value).resolve()
    if not candidate.is_relative_to(folder):
        raise ScenarioError(
            f"{path}: {START_STATE}: {value!r} is outside the file's folder (name a file beside it, or an absolute path)"
        )
    return str(candidate)


def _resolve_start_state(path: Path, data: Any) -> Any:
    """``data`` with its ``population.start_state`` (if any) resolved from the folder of ``path``."""
    pop = data.get("population") if isinstance(data, dict) else None
    if isinstance(pop, dict) and "start_state" in pop:
        data = {**data, "population": {**pop, "start_state": _start_state_path(path, pop["start_state"])}}
    return data


def _read_yaml(path: Path, chain: tuple[Path, ...] = ()) -> Any:
    """Read one scenario file, resolving ``extends:`` (see :func:`_parent_file`) recursively, and each file's
    ``population.start_state`` from that file's own folder."""
    data = read_yaml_file(path)
    data = _resolve_start_state(path, {} if data is None else data)
    if not isinstance(data, dict) or "extends" not in data:
        return data
    parent = data.pop("extends")
    parent_path = _parent_file(path, parent)
    if parent_path in chain or parent_path == path.resolve():
        raise ScenarioError(f"{path}: extends: circular ({parent})")
    try:
        base = _read_yaml(parent_path, (*chain, path.resolve()))
    except ScenarioError as err:
        raise ScenarioError(f"{path}: extends: {err}") from None
    if not isinstance(base, dict):
        raise ScenarioError(f"{path}: extends: {parent} is not a scenario (its top level is not a mapping)")
    return merge(base, data)


def load_scenario(path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Read, validate and return a scenario: a file, or a library scenario by name (``"baseline"``); raises
    :class:`ScenarioError` with a one-line message. A file may start from another with ``extends: baseline``
    and change only what differs."""
    path = locate_scenario(path)
    if overrides and START_STATE in overrides:  # a --set path is taken from the scenario file's folder too
        overrides = {**overrides, START_STATE: _start_state_path(path, overrides[START_STATE])}
    return scenario_from_dict(_read_yaml(path), str(path), overrides)
