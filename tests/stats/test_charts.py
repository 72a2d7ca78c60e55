"""Chart geometry: bars and points proportional to the values, nothing undrawable on no data."""

from __future__ import annotations

import math
import re

import pytest
from flask import Flask, render_template_string

from doorplate.stats.charts import EM, PLOT_HEIGHT, bar_chart, line_chart, text_width


def test_bar_heights_are_proportional_to_the_values() -> None:
    chart = bar_chart([("1", 40), ("2", 10), ("3", 0), ("4", 30)], title="t")
    heights = [bar.height for bar in chart.bars]
    assert heights == [PLOT_HEIGHT, PLOT_HEIGHT / 4, 0, PLOT_HEIGHT * 3 / 4]
    assert all(bar.y + bar.height == chart.baseline for bar in chart.bars)
    xs = [bar.x for bar in chart.bars]
    assert xs == sorted(xs) and len(set(xs)) == 4
    assert chart.width >= chart.bars[-1].x + chart.bars[-1].width


def test_bars_are_wide_enough_for_their_labels_and_values() -> None:
    narrow = bar_chart([("1", 5)], title="t")
    wide = bar_chart([("灵溪镇江南社区", 5)], title="t")
    assert wide.bars[0].width >= text_width("灵溪镇江南社区") > narrow.bars[0].width
    valued = bar_chart([("1", 5)], title="t", formatter=lambda value: "1,234,567")
    assert valued.bars[0].width >= text_width("1,234,567")


@pytest.mark.parametrize("points", [[("1", 0), ("2", 0)], []])
def test_no_data_draws_flat_bars_not_nan(points: list[tuple[str, float]]) -> None:
    chart = bar_chart(points, title="t")
    numbers = [chart.width, chart.height, chart.baseline]
    numbers += [n for bar in chart.bars for n in (bar.x, bar.y, bar.width, bar.height)]
    assert all(math.isfinite(n) for n in numbers)
    assert all(bar.height == 0 for bar in chart.bars)


@pytest.mark.parametrize("value", [-1, math.nan, math.inf])
def test_values_a_count_cannot_take_are_refused(value: float) -> None:
    with pytest.raises(ValueError, match="cannot be drawn"):
        bar_chart([("1", value)], title="t")


def test_line_points_share_one_scale() -> None:
    chart = line_chart(["1", "2", "3"], [("a", [0, 50, 100]), ("b", [25, 0, 0])], title="t")
    first, second = chart.lines
    rises = [chart.baseline - point.y for point in first.points]
    assert rises == [0, PLOT_HEIGHT / 2, PLOT_HEIGHT]
    assert chart.baseline - second.points[0].y == PLOT_HEIGHT / 4
    assert [point.x for point in first.points] == [tick.x for tick in chart.ticks]
    assert (first.style, second.style) == (0, 1)
    assert first.path.split()[0] == f"{first.points[0].x:g},{first.points[0].y:g}"


def test_a_line_chart_of_zeros_lies_on_the_baseline() -> None:
    chart = line_chart(["1", "2"], [("a", [0, 0])], title="t")
    assert [point.y for point in chart.lines[0].points] == [chart.baseline] * 2
    assert "nan" not in chart.lines[0].path


def test_each_series_needs_a_value_per_label() -> None:
    with pytest.raises(ValueError, match="2 values for 3 labels"):
        line_chart(["1", "2", "3"], [("a", [1, 2])], title="t")


def test_the_svg_is_sized_in_em_so_its_text_is_the_page_text(app: Flask) -> None:
    chart = bar_chart([("1", 0), ("2", 0)], title="Visits", description="None yet")
    with app.test_request_context():
        svg = render_template_string(
            '{% from "stats/_charts.html" import bar_chart %}{{ bar_chart(chart, "c") }}',
            chart=chart,
        )
    assert f'width="{chart.width / EM}em"' in svg
    assert f'viewBox="0 0 {chart.width} {chart.height}"' in svg
    assert 'font-size="16"' in svg and EM == 16
    assert '<title id="c-title">Visits</title>' in svg
    assert '<desc id="c-desc">None yet</desc>' in svg
    assert not re.search(r"nan|inf", svg, re.IGNORECASE)
