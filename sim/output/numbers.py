"""Numbers for people: "1.2 M", not "1200000" or "1e6". Light (no matplotlib), for the printed tables too;
``sim.output.palette`` wraps it as the figures' tick formatter."""

from __future__ import annotations

__all__ = ["human", "fmt"]


def fmt(x: float) -> str:
    """A number for a table: thousands separated, small numbers to 3 significant digits, "–" if not finite."""
    if x != x or abs(x) == float("inf"):
        return "–"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def human(x: float, _pos: object = None) -> str:
    """1234567 -> "1.2 M", 45300 -> "45.3 k", 0.25 -> "0.25": tick labels without a 1e6 offset."""
    if x != x or abs(x) == float("inf"):
        return "–"
    a = abs(x)
    for div, suffix in ((1e9, " bn"), (1e6, " M"), (1e3, " k")):
        if a >= div:
            v = x / div
            return f"{v:.1f}{suffix}" if abs(v) < 100 else f"{v:.0f}{suffix}"
    if a == 0:
        return "0"
    return f"{x:.3g}"
