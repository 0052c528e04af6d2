"""Horizontal bar charts as plain geometry, drawn as inline SVG by a template (no JavaScript, nothing
fetched from elsewhere).

The caller gives each bar its label, its value and the value as a person reads it (Persian digits,
rials …); this module only places things. Coordinates are whole numbers in the SVG's own units
(the drawing scales to the page's width through its ``viewBox``). Right to left, the labels stand
at the right edge and the bars grow leftwards; the template sets the SVG's ``direction`` so that
``text-anchor="start"`` anchors every text at the side it grows from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 720
PAD = 8
LABEL_WIDTH = 270
VALUE_WIDTH = 140
ROW_HEIGHT = 30
BAR_HEIGHT = 18
COMPACT_ROW_HEIGHT = 22
COMPACT_BAR_HEIGHT = 15
LABEL_MAX_CHARS = 40
PLOT_WIDTH = WIDTH - 2 * PAD - LABEL_WIDTH - VALUE_WIDTH


@dataclass(frozen=True)
class ChartItem:
    label: str
    value: float
    value_text: str
    short_label: str = ""  # drawn beside the bar when given (the whole label is its tooltip)


@dataclass(frozen=True)
class Bar:
    label: str  # shortened to fit
    full_label: str
    value_text: str
    label_x: int
    bar_x: int
    bar_width: int
    value_x: int
    bar_y: int
    text_y: int


@dataclass(frozen=True)
class BarChart:
    key: str  # unique on the page: ids of the title and description
    title: str
    description: str  # every bar in words, for screen readers
    rtl: bool
    width: int
    height: int
    bar_height: int
    bars: tuple[Bar, ...]

    @property
    def direction(self) -> str:
        return "rtl" if self.rtl else "ltr"

    @property
    def is_empty(self) -> bool:
        return not self.bars


def _shorten(text: str) -> str:
    return text if len(text) <= LABEL_MAX_CHARS else text[: LABEL_MAX_CHARS - 1].rstrip() + "…"


def bar_chart(
    *,
    key: str,
    title: str,
    items: Sequence[ChartItem],
    rtl: bool,
    max_value: float | None = None,
    compact: bool = False,
) -> BarChart:
    """Bars in the order given, scaled to ``max_value`` (default: the largest value); a negative or
    zero value draws no bar but still shows its value. ``compact`` packs the rows closer (a small
    chart of many rows)."""
    row_height, bar_height = (COMPACT_ROW_HEIGHT, COMPACT_BAR_HEIGHT) if compact else (ROW_HEIGHT, BAR_HEIGHT)
    top = max_value if max_value is not None else max((item.value for item in items), default=0)
    bars = []
    for row, item in enumerate(items):
        share = max(0.0, min(1.0, item.value / top)) if top > 0 else 0.0
        width = round(PLOT_WIDTH * share)
        if rtl:
            label_x = WIDTH - PAD
            bar_x = WIDTH - PAD - LABEL_WIDTH - width
            value_x = bar_x - 6
        else:
            label_x = PAD
            bar_x = PAD + LABEL_WIDTH
            value_x = bar_x + width + 6
        bar_y = PAD + row * row_height
        bars.append(
            Bar(
                label=_shorten(item.short_label or item.label),
                full_label=item.label,
                value_text=item.value_text,
                label_x=label_x,
                bar_x=bar_x,
                bar_width=width,
                value_x=value_x,
                bar_y=bar_y,
                text_y=bar_y + bar_height - 3,
            )
        )
    description = (
        "؛ ".join(f"{item.label}: {item.value_text}" for item in items)
        if rtl
        else "; ".join(f"{item.label}: {item.value_text}" for item in items)
    )
    return BarChart(
        key=key,
        title=title,
        description=description,
        rtl=rtl,
        width=WIDTH,
        height=2 * PAD + max(1, len(items)) * row_height,
        bar_height=bar_height,
        bars=tuple(bars),
    )
