"""docs/parameters.md is generated from the schema's metadata (``python -m sim.docgen``): it must be
current, and every field must carry its meaning, unit and source (an assumption also a range)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from sim.docgen import check_metadata, parameter_rows, parameter_table
from sim.scenario import Scenario
from sim.scenario.fields import NonNeg, Strict, iter_fields, param, section


def test_parameter_table_is_current(root):
    assert (root / "docs" / "parameters.md").read_text() == parameter_table(), "run: python -m sim.docgen"


def test_every_field_has_description_unit_and_source():
    assert check_metadata() == []


def test_every_field_is_in_the_table():
    rows = parameter_rows()
    assert len(rows) > 200
    assert [r[0] for r in rows] == [path for path, _f, _s in iter_fields(Scenario)]
    by_path = {r[0]: r for r in rows}
    assert by_path["dynamics.wom.negative_reach"][2:5] == (
        "people per episode",
        "people a dissatisfied customer affects per episode",
        "F5",
    )
    assert by_path["firms[].budget.retention"][2] == "currency per step (scales with population)"
    assert by_path["firms[].cost_to_serve"][2] == "currency per customer-step"
    assert by_path["dynamics.churn.competition"][5] == "0.02 – 0.12"


def test_the_page_links_only_inside_the_repository(root):
    page = (root / "docs" / "parameters.md").read_text()
    assert "../" not in page and "domain.md" not in page and "claims.md" in page


class _Sub(Strict):
    ok: NonNeg = param(1.0, "weight", "M3", "a weight")
    no_unit: NonNeg = param(1.0, "", "M3", "no unit")
    no_source: NonNeg = param(1.0, "weight", "", "no source")
    vague_source: NonNeg = param(1.0, "weight", "the textbook", "names no claim")
    no_range: NonNeg = param(1.0, "weight", "assumption", "an assumption without a range")
    outside: Annotated[float, Field(ge=0.0)] = param(5.0, "weight", "assumption", "default outside", (0.0, 1.0))
    bare: float = 1.0


class _Top(Strict):
    sub: _Sub = section(_Sub(), "D1", "a section")
    nameless: _Sub = _Sub()


def test_check_metadata_names_each_gap():
    problems = check_metadata(_Top)
    for expected in (
        "sub.no_unit: no unit",
        "sub.no_source: no source",
        "sub.vague_source: no source",
        "sub.no_range: an assumption needs a range",
        "sub.outside: default 5.0 outside its range",
        "sub.bare: no description",
        "sub.bare: no unit",
        "nameless: no description",
        "nameless: no source",
    ):
        assert any(p.startswith(expected) for p in problems), (expected, problems)
    assert not any(p.startswith(("sub.ok", "sub:")) for p in problems), problems
