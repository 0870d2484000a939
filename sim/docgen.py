"""Generated documentation: the parameter table (docs/parameters.md) and the six-markets diagram
(docs/markets.png). Run ``python -m sim.docgen`` after changing a scenario field; a test fails when
docs/parameters.md is out of date.

The table is read from the scenario schema's metadata only: every field's default, and the
description, unit, source and plausible range declared with it (``sim.scenario.fields.param``), so
the schema is the single place where a parameter and its justification are written down.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Any

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from sim.scenario import Scenario
from sim.scenario.fields import is_money, iter_fields

__all__ = ["parameter_rows", "parameter_table", "check_metadata", "markets_diagram", "main"]

Row = tuple[str, str, str, str, str, str, str]
# a source names a claim (D, M, F, L IDs), a paper (a year), an assumption or a setting
_SOURCE = re.compile(r"\b[DMFL]\d{0,2}\b|\b(19|20)\d\d\b|\bassumption\b|\bsetting\b")


def _extra(field: FieldInfo) -> dict[str, Any]:
    extra = field.json_schema_extra
    return extra if isinstance(extra, dict) else {}


def _default(field: FieldInfo) -> Any:
    return field.get_default(call_default_factory=True)


def check_metadata(model: type[BaseModel] = Scenario) -> list[str]:
    """Problems with the schema's metadata, one line each: a field without a description or source, a
    value without a unit, a source that names no claim, paper, assumption or setting, an assumption
    without a plausible range [lo, hi] that holds its default."""
    problems = []
    for path, field, sub in iter_fields(model):
        extra = _extra(field)
        source = str(extra.get("source", ""))
        if not field.description:
            problems.append(f"{path}: no description")
        if not source or not _SOURCE.search(source):
            problems.append(f"{path}: no source (claim ID, paper, assumption or setting): {source!r}")
        if sub is None and not extra.get("unit"):
            problems.append(f"{path}: no unit")
        if "assumption" not in source:
            continue
        rng = extra.get("range")
        if not (isinstance(rng, list) and len(rng) == 2 and rng[0] < rng[1]):
            problems.append(f"{path}: an assumption needs a range [lo, hi], has {rng!r}")
            continue
        default = _default(field)
        values = default if isinstance(default, list) else [default]
        if not all(isinstance(v, int | float) and rng[0] <= v <= rng[1] for v in values):
            problems.append(f"{path}: default {default!r} outside its range {rng}")
    return problems


def _fmt(value: Any) -> str:
    if value is PydanticUndefined:
        return "(required)"
    if isinstance(value, list):
        if value and isinstance(value[0], BaseModel):
            return f"{len(value)} item" + ("s" if len(value) > 1 else "")
        return "[" + ", ".join(_fmt(v) for v in value) + "]" if len(value) <= 5 else f"{len(value)} items"
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _allowed(field: FieldInfo) -> str:
    """The values the schema accepts, as an interval (``[0, 1]``, ``(0, 1e+06]``); also for the items of a
    list or an optional value. Empty for a field without numeric bounds."""
    found: dict[type, Any] = {}
    stack: list[Any] = [*field.metadata, field.annotation]
    while stack:
        item = stack.pop()
        stack.extend(getattr(item, "metadata", []) if isinstance(item, FieldInfo) else [])
        stack.extend(getattr(item, "__metadata__", ()))
        stack.extend(typing.get_args(item) if not isinstance(item, FieldInfo) else ())
        for kind in (Ge, Gt, Le, Lt):
            if isinstance(item, kind):
                found.setdefault(kind, getattr(item, kind.__name__.lower()))
    lo = f"[{_fmt(found[Ge])}" if Ge in found else f"({_fmt(found[Gt])}" if Gt in found else ""
    hi = f"{_fmt(found[Le])}]" if Le in found else f"{_fmt(found[Lt])})" if Lt in found else ""
    if not lo and not hi:
        return ""
    return f"{lo or '(-inf'}, {hi or 'inf)'}"


def parameter_rows(model: type[BaseModel] = Scenario) -> list[Row]:
    """(path, default, unit, meaning, source, range, allowed) for every field of the scenario schema, sections
    included, read from the fields' metadata only."""
    rows = []
    for path, field, sub in iter_fields(model):
        extra = _extra(field)
        rng = extra.get("range")
        if sub is not None:
            default = _default(field)
            shown = _fmt(default) if isinstance(default, list) else "(section)"
            rows.append((path, shown, "section", field.description or "", extra.get("source", ""), "", ""))
            continue
        unit = str(extra.get("unit", ""))
        if is_money(field):
            unit += " (scales with population)"
        span = f"{_fmt(rng[0])} – {_fmt(rng[1])}" if rng else ""
        rows.append(
            (
                path,
                _fmt(field.get_default(call_default_factory=True)),
                unit,
                field.description or "",
                extra.get("source", ""),
                span,
                _allowed(field),
            )
        )
    return rows


def _cell(text: str) -> str:
    return re.sub(r"\bassumption\b", "**assumption**", text.replace("|", "/"))


def parameter_table() -> str:
    lines = [
        "# Parameters",
        "",
        "Every field of a scenario file, generated from the metadata of the scenario schema (`sim/scenario/`:",
        "`schema.py`, `dynamics.py`, `levers.py`, `markets.py`) by `python -m sim.docgen`; a test fails when this",
        "page is out of date or a field lacks its meaning, unit or source. *Source* is a claim ID of the source",
        "documents (D, M, F, L — described in [claims.md](claims.md)), a paper, **assumption** (a number the",
        "documents do not give, with a plausible *range*) or *setting* (a choice of whoever writes the scenario:",
        "size, horizon, names, strategy). Every value can be varied (`--set path=value`, `sim sweep`). Paths",
        "with `[]` are lists: firms and segments are addressed by name in `--set`",
        "(`firms.focal.budget.retention=2000`). Money amounts per step marked *scales with population* are for a",
        "market of `population.budget_reference` people and are multiplied by `population.size /",
        "population.budget_reference` when a run starts. *Allowed* is what a scenario may hold (anything else",
        "is refused with a one-line error): numbers are finite and bounded to what the model and its storage take.",
        "",
        "| parameter | default | unit | meaning | source | range | allowed |",
        "|---|---|---|---|---|---|---|",
    ]
    for path, default, unit, meaning, source, span, allowed in parameter_rows():
        lines.append(f"| `{path}` | {default} | {unit} | {_cell(meaning)} | {_cell(source)} | {span} | {allowed} |")
    return "\n".join(lines) + "\n"


def markets_diagram(path: Path) -> None:
    """Draw the six relationship markets (D1) and what flows between them (docs/markets.png)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    nodes = {
        "Customer market\n(customer arrays, numba)": (0.5, 0.5),
        "Supplier market\n(Supplier: ladder D5)": (0.12, 0.85),
        "Distributor market\n(Distributor: M10)": (0.88, 0.85),
        "Internal market\n(EmployeePool: M8)": (0.12, 0.15),
        "Influence market\n(Media, Government,\nConsumerGroup, Bank: M12)": (0.88, 0.15),
        "Competitor market\n(Firms, Alliances: M11)": (0.5, 0.92),
    }
    firm = (0.5, 0.68)
    edges = [
        ("Supplier market\n(Supplier: ladder D5)", firm, "input quality, unit cost,\ndisruptions (M9)"),
        ("Distributor market\n(Distributor: M10)", firm, "reach, convenience,\nexclusivity"),
        ("Internal market\n(EmployeePool: M8)", firm, "service & personnel quality,\nstaff departures (D12)"),
        (
            "Influence market\n(Media, Government,\nConsumerGroup, Bank: M12)",
            firm,
            "image, lock-in (M16),\nregulation (M7), interest",
        ),
        ("Competitor market\n(Firms, Alliances: M11)", firm, "rival offers, price wars,\ncopying (M6), R&D"),
    ]
    fig, ax = plt.subplots(figsize=(12, 8))
    ax.set_axis_off()
    for label, (x, y) in nodes.items():
        ax.text(
            x,
            y,
            label,
            ha="center",
            va="center",
            fontsize=10,
            bbox={"boxstyle": "round,pad=0.6", "fc": "#e8f0fe" if "Customer" in label else "#f5f5f5", "ec": "#334"},
        )
    ax.text(
        *firm,
        "Firm (focal and rivals)\nlevers, budget, offer (D6)",
        ha="center",
        va="center",
        fontsize=10,
        bbox={"boxstyle": "round,pad=0.5", "fc": "#fff4d6", "ec": "#a70"},
    )
    for src, dst, what in edges:
        x0, y0 = nodes[src]
        ax.annotate(
            "", xy=dst, xytext=(x0, y0), arrowprops={"arrowstyle": "->", "color": "#555", "shrinkA": 38, "shrinkB": 30}
        )
        ax.text((x0 + dst[0]) / 2, (y0 + dst[1]) / 2, what, fontsize=8, ha="center", color="#333")
    cx, cy = nodes["Customer market\n(customer arrays, numba)"]
    ax.annotate(
        "", xy=(cx, cy + 0.06), xytext=(firm[0], firm[1] - 0.04), arrowprops={"arrowstyle": "<->", "color": "#a70", "lw": 2}
    )
    ax.text(
        0.53,
        0.6,
        "delivered value, care, bonds (D3) ->\n<- revenue, churn, complaints, word of mouth",
        fontsize=8,
        color="#a70",
    )
    ax.annotate("", xy=(0.84, 0.2), xytext=(0.58, 0.45), arrowprops={"arrowstyle": "->", "color": "#c33"})
    ax.text(0.74, 0.35, "complaints -> media,\nconsumer groups (M5)", fontsize=8, color="#c33")
    ax.set_title("The six relationship markets (D1) and what flows between them", fontsize=13)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    problems = check_metadata()
    if problems:
        raise SystemExit("incomplete schema metadata:\n" + "\n".join(problems))
    root = Path(__file__).resolve().parents[1] / "docs"
    (root / "parameters.md").write_text(parameter_table(), encoding="utf-8")
    markets_diagram(root / "markets.png")
    print(f"wrote {root / 'parameters.md'} and {root / 'markets.png'}")


if __name__ == "__main__":
    main()
