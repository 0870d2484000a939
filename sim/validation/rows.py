"""The rows of ``sim validate``: :class:`Check`, and what a row's figure is (its ``kind``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Check", "KINDS", "INPUT", "CALIBRATED", "EMERGENT", "NOT_MODELLED", "TABLE_NOTE", "print_table", "tally"]

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


def print_table(checks: list[Check], title: str) -> None:
    """The table of ``sim validate``, compact enough for an 80-column terminal (rich wraps the check's
    name and the reference within their columns), then :func:`tally`."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=title, box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False, expand=False)
    table.add_column("check", ratio=5, overflow="fold")
    table.add_column("engine", justify="right", no_wrap=True)
    table.add_column("reference (tolerance)", ratio=3, overflow="fold")
    table.add_column("kind", no_wrap=True)
    table.add_column("ok", no_wrap=True)
    for c in checks:
        judged = c.kind in KINDS
        verdict = ("[green]pass" if c.passed else "[red]FAIL") if judged else "n/a"
        engine = f"{c.engine:.4g}" if judged else "-"
        ref = c.reference if c.tolerance in ("", "not checked") else f"{c.reference} ({c.tolerance})"
        table.add_row(c.check, engine, ref, SHORT_KIND.get(c.kind, c.kind), verdict)
    console.print(table)
    console.print(
        "kind: input = a parameter sets the figure (read back); calib = a scenario was tuned to it; "
        "emerg = emergent, neither; n/m = not modelled yet. F6: members vs non-members (selection) is "
        "mostly who joins; the same customers with and without the programme (causal) show its own, "
        "smaller effect.",
        style="dim",
    )
    console.print(tally(checks), style="bold")
