"""Chart geometry for server-rendered SVG: bars of (label, value) and lines of monthly series.

Charts are drawn by the server (no JavaScript, nothing from a CDN) with the macros in
``templates/stats/_charts.html``. Geometry is computed here, in plain numbers a test can check,
so templates only place what they are given.

Sizes are in SVG user units with :data:`EM` units to the em, and the template sets the picture's
width to ``width / EM`` em: its text is then exactly the size of the page's text, and grows with
it at large text sizes instead of staying a fixed tiny pixel size. A chart wider than the screen
scrolls sideways rather than shrinking its text.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

EM = 16  # user units per em: text is drawn at this size
PLOT_HEIGHT = 10 * EM  # the tallest bar or highest point
TOP = 2 * EM  # room above the plot for the values over the bars
BOTTOM = 2 * EM  # room below the baseline for the labels
BAR_MIN_WIDTH = 3 * EM
GAP = EM
LEGEND_LINE = 1.75 * EM

Format = Callable[[float], str]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: str  # the value as written over the bar

    @property
    def centre(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class BarChart:
    title: str
    description: str
    width: float
    height: float
    baseline: float
    bars: tuple[Bar, ...]

    @property
    def width_em(self) -> float:
        return self.width / EM

    @property
    def height_em(self) -> float:
        return self.height / EM


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: str


@dataclass(frozen=True)
class Line:
    name: str
    points: tuple[Point, ...]
    style: int  # 0, 1, 2...: which stroke pattern, so lines differ without relying on colour

    @property
    def path(self) -> str:
        """The ``points`` attribute of an SVG polyline."""
        return " ".join(f"{point.x:g},{point.y:g}" for point in self.points)


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class LineChart:
    title: str
    description: str
    width: float
    height: float
    baseline: float
    legend_top: float  # where the legend's first line sits, under the labels
    ticks: tuple[Tick, ...]
    lines: tuple[Line, ...]

    @property
    def width_em(self) -> float:
        return self.width / EM

    @property
    def height_em(self) -> float:
        return self.height / EM


def bar_chart(
    points: Sequence[tuple[str, float]],
    *,
    title: str,
    description: str = "",
    formatter: Format = lambda value: f"{value:g}",
) -> BarChart:
    """Vertical bars, heights proportional to the values, the largest ``PLOT_HEIGHT`` tall.

    Bars are wide enough for the longest label under them and value over them. All zeros (or no
    points) draw zero-height bars, never a division by zero.
    """
    values = [_checked(value) for _label, value in points]
    written = [formatter(value) for value in values]
    peak = max(values, default=0.0)
    texts = [label for label, _value in points] + written
    width = max([BAR_MIN_WIDTH, *(text_width(text) + EM / 2 for text in texts)])
    baseline = TOP + PLOT_HEIGHT
    bars = []
    for index, ((label, _value), value) in enumerate(zip(points, values, strict=True)):
        height = PLOT_HEIGHT * value / peak if peak else 0.0
        bars.append(
            Bar(
                x=GAP + index * (width + GAP),
                y=baseline - height,
                width=width,
                height=height,
                label=label,
                value=written[index],
            )
        )
    return BarChart(
        title=title,
        description=description,
        width=GAP + len(bars) * (width + GAP),
        height=baseline + BOTTOM,
        baseline=baseline,
        bars=tuple(bars),
    )


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    title: str,
    description: str = "",
    formatter: Format = lambda value: f"{value:g}",
) -> LineChart:
    """One line per named series over shared ``labels`` (months, say), all on one scale.

    Put only series of the same kind together (visits and unique visitors, say): a small series
    beside a large one would lie flat along the baseline.
    """
    for name, values in series:
        if len(values) != len(labels):
            raise ValueError(f"{name}: {len(values)} values for {len(labels)} labels")
    peak = max((_checked(value) for _name, values in series for value in values), default=0.0)
    step = max([BAR_MIN_WIDTH, *(text_width(label) + EM / 2 for label in labels)])
    baseline = TOP + PLOT_HEIGHT

    def x(index: int) -> float:
        return GAP + step / 2 + index * step

    def y(value: float) -> float:
        return baseline - (PLOT_HEIGHT * value / peak if peak else 0.0)

    lines = tuple(
        Line(
            name=name,
            points=tuple(
                Point(x(index), y(value), formatter(value)) for index, value in enumerate(values)
            ),
            style=number,
        )
        for number, (name, values) in enumerate(series)
    )
    return LineChart(
        title=title,
        description=description,
        width=2 * GAP + len(labels) * step,
        height=baseline + BOTTOM + len(series) * LEGEND_LINE,
        baseline=baseline,
        legend_top=baseline + BOTTOM + EM,
        ticks=tuple(Tick(x(index), label) for index, label in enumerate(labels)),
        lines=lines,
    )


def text_width(text: str) -> float:
    """A generous estimate of ``text``'s drawn width: wide (CJK) characters one em, others
    0.6 em, since the server cannot measure the reader's font."""
    return sum(EM if unicodedata.east_asian_width(c) in "WF" else 0.6 * EM for c in text)


def _checked(value: float) -> float:
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"a chart shows counts: {value} cannot be drawn")
    return value
