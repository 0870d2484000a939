"""How a scenario field is declared: its meaning, unit and source live in the schema itself.

Every field is declared with :func:`param` (a leaf: a number, switch or name) or :func:`section` (a
group of fields, or a list of them). Both return a pydantic ``Field`` whose ``description`` is the
meaning and whose ``json_schema_extra`` holds ``unit``, ``source`` and, for an assumption, a plausible
``range``. A *source* is one of: claim IDs of the source documents (D, M, F, L — see docs/claims.md),
a paper (author and year), **assumption** (a number the documents do not give; then a range is
required), or **setting** (a choice of whoever writes the scenario — size, horizon, names, strategy —
not a claim about the world). ``sim.docgen`` writes docs/parameters.md from this metadata only.

Money amounts per step that scale with the population are typed :data:`Money` (or :data:`PosMoney`,
:data:`SignedMoney`); :func:`scale_money` multiplies exactly those fields, wherever they sit.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

__all__ = [
    "MAX_AMOUNT",
    "MAX_MONEY",
    "MAX_STEPS",
    "MAX_TENURE",
    "MAX_SEGMENTS",
    "Strict",
    "Prob",
    "Unit",
    "NonNeg",
    "Pos",
    "Step",
    "Name",
    "Money",
    "PosMoney",
    "SignedMoney",
    "Pair",
    "MoneyMarker",
    "param",
    "section",
    "is_money",
    "submodel",
    "iter_fields",
    "scale_money",
]


class Strict(BaseModel):
    """Base of every scenario section: unknown keys are errors, types are not coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, validate_default=True)


@dataclass(frozen=True)
class MoneyMarker:
    """Marks a money amount per step that scales with population.size / population.budget_reference."""

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict[str, Any]:
        schema = handler(core_schema)
        schema["money"] = True
        return schema


MONEY = MoneyMarker()

# Bounds (issue 23): every float is finite (NaN and +-inf refused) and bounded, so no value a scenario can
# hold drives profit or a customer column to inf. MAX_AMOUNT bounds a number that is not money per step
# (a weight, score, multiplier, hazard, reach or currency per customer); MAX_MONEY a money amount per step
# for population.budget_reference people (it is scaled by at most population.size, 2e8: sums stay far
# below float64's 1.8e308 and a customer's float32 totals below 3.4e38).
MAX_AMOUNT = 1e6
MAX_MONEY = 1e9

Prob = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Unit = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
NonNeg = Annotated[float, Field(ge=0.0, le=MAX_AMOUNT, allow_inf_nan=False)]
Pos = Annotated[float, Field(gt=0.0, le=MAX_AMOUNT, allow_inf_nan=False)]
# integers fit what stores them: a step number is at most the horizon (Scenario.steps <= 100,000); tenure is
# int16 (MAX_TENURE), the firm and segment columns int8 (at most 127 of each)
MAX_STEPS = 100_000
MAX_TENURE = 32_767
MAX_SEGMENTS = 127
Step = Annotated[int, Field(ge=0, le=MAX_STEPS)]
# a name that becomes part of an output path: one plain path component (no "/", not hidden, not "..")
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")]
Money = Annotated[float, Field(ge=0.0, le=MAX_MONEY, allow_inf_nan=False), MONEY]
PosMoney = Annotated[float, Field(gt=0.0, le=MAX_MONEY, allow_inf_nan=False), MONEY]
# the two parameters of a Gamma or Beta distribution: far enough from 0 and inf that numpy's draws stay finite
Pair = Annotated[list[Annotated[float, Field(ge=0.01, le=1000.0, allow_inf_nan=False)]], Field(min_length=2, max_length=2)]
SignedMoney = Annotated[float, Field(ge=-MAX_MONEY, le=MAX_MONEY, allow_inf_nan=False), MONEY]


def param(
    default: Any = PydanticUndefined,
    unit: str = "",
    source: str = "",
    description: str = "",
    range: tuple[float, float] | None = None,  # noqa: A002 - the metadata key it fills
    **kwargs: Any,
) -> Any:
    """A leaf field: default (or ``default_factory=`` in kwargs), unit, source, meaning and, for an
    assumption, a plausible range. Extra kwargs (``ge``, ``min_length`` …) go to ``Field``."""
    extra: dict[str, Any] = {"unit": unit, "source": source}
    if range is not None:
        extra["range"] = list(range)
    return Field(default, description=description, json_schema_extra=extra, **kwargs)


def section(default: Any = PydanticUndefined, source: str = "", description: str = "", **kwargs: Any) -> Any:
    """A field holding a group of fields (a sub-model, or a list of them): meaning and source, no unit."""
    return Field(default, description=description, json_schema_extra={"source": source}, **kwargs)


def is_money(field: FieldInfo) -> bool:
    """True when the field is typed Money (a per-step amount that scales with the population)."""
    return any(isinstance(m, MoneyMarker) for m in field.metadata)


def submodel(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside ``X``, ``list[X]`` or ``X | None`` (None for plain values)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = submodel(arg)
        if found is not None:
            return found
    return None


def iter_fields(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, FieldInfo, type[BaseModel] | None]]:
    """Every field under ``model``, depth first, as (dotted path, field, sub-model or None); a list of
    sections is written ``firms[]``, so its fields are ``firms[].name`` …"""
    for name, field in model.model_fields.items():
        sub = submodel(field.annotation)
        path = f"{prefix}{name}"
        yield path, field, sub
        if sub is not None:
            label = f"{path}[]" if typing.get_origin(field.annotation) is list else path
            yield from iter_fields(sub, f"{label}.")


def scale_money(model: type[BaseModel], data: dict[str, Any], k: float) -> None:
    """Multiply, in place, every Money field of ``data`` (a dump of ``model``) by ``k``, walking into
    sections and lists of sections (firms, alliances)."""
    for name, field in model.model_fields.items():
        value = data.get(name)
        if value is None:
            continue
        if is_money(field):
            data[name] = value * k
            continue
        sub = submodel(field.annotation)
        if sub is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                scale_money(sub, item, k)
