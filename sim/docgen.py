"""Generated documentation: the parameter table (docs/parameters.md) and the six-markets diagram
(docs/markets.png). Run ``python -m sim.docgen`` after changing a scenario field; a test fails when
docs/parameters.md is out of date.

The table is read from the scenario schema itself: every field, its default, and the comment beside
it in the source (meaning and source claim), so the code stays the single place where a parameter
and its justification are written down.
"""

from __future__ import annotations

import inspect
import re
import typing
from pathlib import Path

from pydantic import BaseModel

from sim.scenario import schema as S

__all__ = ["parameter_rows", "parameter_table", "markets_diagram", "main"]

_CLAIM = re.compile(r"\b([DMFL]\d{1,2})\b")
_MONEY = ("spend", "fee", "budget", "cost", "cash", "unit", "acquisition", "retention")


def _comments(cls: type) -> dict[str, str]:
    """``name: type = default  # comment`` lines of a class body -> {name: comment}."""
    out: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not (isinstance(klass, type) and issubclass(klass, BaseModel)) or klass is BaseModel:
            continue
        try:
            src = inspect.getsource(klass)
        except (OSError, TypeError):
            continue
        for m in re.finditer(r"^\s{4}(\w+): [^\n#]*?(?:#\s*(.+))?$", src, flags=re.M):
            if m.group(2):
                out[m.group(1)] = m.group(2).strip()
    return out


def _submodel(annotation: typing.Any) -> type[BaseModel] | None:
    """The pydantic model inside ``X``, ``list[X]`` or ``X | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _submodel(arg)
        if found is not None:
            return found
    return None


def _unit(path: str, field: typing.Any, default: typing.Any) -> str:
    bounds = {type(m).__name__: getattr(m, type(m).__name__.lower(), None) for m in field.metadata}
    text = "ge=0.0, le=1.0" if bounds.get("Ge") == 0 and bounds.get("Le") == 1 else ""
    leaf = path.rsplit(".", 1)[-1]
    if isinstance(default, bool):
        return "switch"
    if leaf == "budget_reference":
        return "people"
    if "lag" in leaf or "steps" in leaf or "duration" in leaf or leaf in ("start", "stop", "step"):
        return "steps (weeks)"
    if leaf in ("price",):
        return "price index"
    if any(k in leaf for k in _MONEY) and not leaf.endswith(("_rate", "share")) and "per_rung" not in leaf:
        return (
            "currency per customer-step"
            if leaf
            in (
                "cost_to_serve",
                "recovery_cost",
                "level_cost",
                "financial_unit",
                "social_unit",
                "structural_unit",
                "one_to_one_unit",
                "care_unit",
            )
            else "currency (per step)"
        )
    if text:
        return "0-1 (share, probability or score)"
    if isinstance(default, int) and not isinstance(default, bool):
        return "count"
    return "number" if isinstance(default, float) else "text"


_GENERIC = ("spend", "start", "stop")


def parameter_rows(
    model: type[BaseModel] = S.Scenario, prefix: str = "", context: str = ""
) -> list[tuple[str, str, str, str, str]]:
    """(path, default, unit, meaning, source) for every leaf field of the scenario schema."""
    rows = []
    notes = _comments(model)
    context = context or (model.__doc__ or "").strip().split("\n")[0]
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        sub = _submodel(field.annotation)
        is_list = typing.get_origin(field.annotation) is list
        if sub is not None and name not in ("own_circumstances_beta",):
            label = f"{path}[]" if is_list else path
            rows.extend(parameter_rows(sub, f"{label}.", notes.get(name, "")))
            continue
        default = field.get_default(call_default_factory=True)
        note = notes.get(name, "")
        if name in _GENERIC and context:
            note = f"{note} — {context}" if note else f"{name} — {context}"
        claims = sorted(set(_CLAIM.findall(note)), key=lambda c: (c[0], int(c[1:])))
        source = ", ".join(claims)
        numeric = isinstance(default, int | float | list) and not isinstance(default, bool)
        assumed_class = "assumption" in (model.__doc__ or "").lower()
        setting = name in ("size", "steps", "start", "budget_reference")
        if "assumption" in note.lower() or (numeric and assumed_class) or (numeric and not claims and not setting):
            source = f"{source}; assumption" if source else "assumption"
        meaning = re.sub(r"\s*\((?:[^()]*assumption[^()]*)\)", "", note).strip() or name.replace("_", " ")
        rows.append((path, _fmt(default), _unit(path, field, default), meaning, source or "—"))
    return rows


def _fmt(value: typing.Any) -> str:
    if isinstance(value, BaseModel):
        return "(group)"
    if isinstance(value, list):
        return "[" + ", ".join(_fmt(v) for v in value) + "]" if len(value) <= 5 else f"{len(value)} items"
    if value is None:
        return "none"
    if type(value).__name__ == "PydanticUndefinedType":
        return "(required)"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def parameter_table() -> str:
    lines = [
        "# Parameters",
        "",
        "Every field of a scenario file, generated from `sim/scenario.py` and `sim/scenario_markets.py` by",
        "`python -m sim.docgen` (a test fails when this page is out of date). *Source* gives the claim IDs",
        "of `../shared/domain.md`; **assumption** marks a number the source documents do not give — each is a",
        "parameter so that it can be varied (`--set path=value`, `sim sweep`). Paths with `[]` are lists: firms",
        "and segments are addressed by name in `--set` (`firms.focal.budget.retention=2000`).",
        "Money amounts per step are for a market of `population.budget_reference` people and scale with",
        "`population.size`.",
        "",
        "| parameter | default | unit | meaning | source |",
        "|---|---|---|---|---|",
    ]
    for path, default, unit, meaning, source in parameter_rows():
        lines.append(f"| `{path}` | {default} | {unit} | {meaning.replace('|', '/')} | {source} |")
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
    root = Path(__file__).resolve().parents[1] / "docs"
    (root / "parameters.md").write_text(parameter_table(), encoding="utf-8")
    markets_diagram(root / "markets.png")
    print(f"wrote {root / 'parameters.md'} and {root / 'markets.png'}")


if __name__ == "__main__":
    main()
