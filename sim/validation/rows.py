"""The rows of ``sim validate``: :class:`Check`, and what a row's figure is (its ``kind``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = [
    "Check",
    "KINDS",
    "INPUT",
    "CALIBRATED",
    "EMERGENT",
    "NOT_MODELLED",
    "TABLE_NOTE",
    "print_table",
    "short_reference",
    "tally",
]

# what a row's figure is (issue 16; docs/validation.md, "What a row's figure is")
INPUT = "input read back"  # a parameter sets it; the check shows the engine's machinery returns it
CALIBRATED = "calibrated target"  # a scenario's assumptions were tuned so that it comes out
EMERGENT = "emergent output"  # no parameter sets it or was tuned to it: it comes from the mechanisms together
KINDS = (INPUT, CALIBRATED, EMERGENT)
NOT_MODELLED = "not modelled yet (portfolio issue)"
TABLE_NOTE = (
    "kind: input read back = a parameter sets the figure; calibrated target = a scenario was tuned to it; "
    "emergent output = neither. F6: members vs non-members (selection) is mostly who joins; the same "
    "customers with and without the programme (causal) show the programme's own, smaller effect."
)


@dataclass
class Check:
    check: str
    engine: float
    reference: str
    tolerance: str
    passed: bool
    group: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    kind: str = INPUT  # KINDS, or NOT_MODELLED; the known-model checks read their parameters back

    def row(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("detail")
        return d


# the kind column's short forms (the table's caption spells them out)
SHORT_KIND = {INPUT: "input", CALIBRATED: "calib", EMERGENT: "emerg", NOT_MODELLED: "n/m"}


def tally(checks: list[Check]) -> str:
    """The last line of ``sim validate``: "21/21 checks passed" or "2 of 21 checks failed" (rows of a
    figure that is not modelled yet are not checks and are counted apart)."""
    judged = [c for c in checks if c.kind in KINDS]
    failed = sum(not c.passed for c in judged)
    skipped = len(checks) - len(judged)
    line = f"{len(judged)}/{len(judged)} checks passed" if not failed else f"{failed} of {len(judged)} checks failed"
    return line + (f" ({skipped} figure{'s' * (skipped > 1)} not modelled yet)" if skipped else "")


def short_reference(reference: str) -> str:
    """The reference without its explanation (the part before " (" or "; "), for the terminal table;
    validation.json and validation.csv keep the whole text."""
    for sep in (" (", "; "):
        head = reference.split(sep, 1)[0].strip()
        if head:
            reference = head
    return reference


def print_table(checks: list[Check], title: str, out: str = "") -> None:
    """The table of ``sim validate``, compact enough for an 80-column terminal: the check's name wraps
    in its column; the verdict sits over the kind and the reference over the tolerance, so a row takes
    the lines its name needs and no more. Then the kinds' legend and :func:`tally`."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    table = Table(title=title, box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False)
    table.add_column("check", overflow="fold")
    table.add_column("engine", justify="right", no_wrap=True)
    table.add_column("reference\ntolerance", max_width=22, overflow="fold")
    table.add_column("ok\nkind", no_wrap=True)
    for c in checks:
        judged = c.kind in KINDS
        verdict = Text("pass", "green") if c.passed else Text("FAIL", "bold red")
        ok = Text.assemble(verdict if judged else "n/a", "\n", SHORT_KIND.get(c.kind, c.kind))
        ref = Text(short_reference(c.reference))
        if c.tolerance not in ("", "not checked"):
            ref.append(f"\n{c.tolerance}", "dim")
        table.add_row(Text(c.check), f"{c.engine:.4g}" if judged else "-", ref, ok)
    console.print(table)
    console.print(
        "kind: input = a parameter sets the figure (read back); calib = a scenario was tuned to it; "
        f"emerg = emergent, neither; n/m = not modelled yet. Full references: {out}validation.csv",
        style="dim",
        highlight=False,
    )
    console.print(tally(checks), style="bold")
