"""The rows of ``sim validate``: :class:`Check`, and what a row's figure is (its ``kind``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Check", "KINDS", "INPUT", "CALIBRATED", "EMERGENT", "NOT_MODELLED", "TABLE_NOTE"]

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
