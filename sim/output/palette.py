"""Shared looks of every figure: a colour-blind-safe palette, which lines to highlight, number formats
without offsets ("1.2 M", not "1e6"), and the slide-size font check.

Okabe & Ito (2008) "Color Universal Design": eight colours told apart by the common colour-vision
deficiencies. Highlighted series take them in order; the rest are drawn in light grey.
"""

from __future__ import annotations

from collections.abc import Iterable

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from sim.output.numbers import human  # noqa: E402  (re-exported: tick labels and tables share it)

__all__ = [
    "OKABE_ITO",
    "GREY",
    "SLIDE_WIDTH_PX",
    "MIN_SLIDE_PT",
    "highlight_colors",
    "human",
    "human_formatter",
    "slide_font_sizes",
    "too_small_texts",
    "RC",
]

# black is kept for reference lines; the order puts the most distinct colours first
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
GREY = "#BBBBBB"
SLIDE_WIDTH_PX = 1280  # a figure placed this wide on a slide ...
MIN_SLIDE_PT = 10.0  # ... shows no text smaller than this
MAX_HIGHLIGHTED = 6

# base sizes: a 12 x 7 in figure placed 1280 px wide shrinks 12 pt text to about 12 * 1280 / 1200 pt
RC = {
    "font.size": 13,
    "axes.titlesize": 14,
    "axes.labelsize": 13,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "legend.fontsize": 12,
    "figure.titlesize": 15,
}


def highlight_colors(series: list[str], highlighted: Iterable[str]) -> dict[str, str]:
    """A colour per series: the highlighted ones (at most six, in the order given) Okabe-Ito, the rest grey."""
    chosen = [s for s in dict.fromkeys(highlighted) if s in series][:MAX_HIGHLIGHTED]
    colors = {s: GREY for s in series}
    for s, c in zip(chosen, OKABE_ITO, strict=False):
        colors[s] = c
    return colors


human_formatter = FuncFormatter(human)


def slide_font_sizes(fig: Figure, dpi: float, width_px: int = SLIDE_WIDTH_PX) -> list[tuple[float, str]]:
    """Every visible text of ``fig`` as (size in pt when the figure saved at ``dpi`` is placed ``width_px``
    wide, the text). The scale is width_px / (figure width in inches x dpi)."""
    scale = width_px / (fig.get_figwidth() * dpi)
    out = []
    for t in fig.findobj(Text):
        if t.get_visible() and t.get_text().strip():
            out.append((t.get_fontsize() * scale, t.get_text()))
    return out


def too_small_texts(fig: Figure, dpi: float, minimum: float = MIN_SLIDE_PT) -> list[tuple[float, str]]:
    """The texts that would be smaller than ``minimum`` pt at slide size (empty: the figure is readable)."""
    return [(s, t) for s, t in slide_font_sizes(fig, dpi) if s < minimum - 1e-9]
