"""The annual report: its paragraph in the county report's style, its tables, and the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from doorplate.db import db
from doorplate.places.models import Town
from doorplate.stats.charts import PLOT_HEIGHT
from doorplate.stats.report import (
    AnnualReport,
    Basis,
    annual_report,
    paragraph,
    render_html,
    render_text,
    visits_chart,
)
from doorplate.stats.tallies import Published, Tally

from .conftest import County

SEED_PARAGRAPH = (
    "截至2021年底，智慧门牌已覆盖全县42万户运行，群众访问总量近50万人次，"
    "公开村（社）三务信息6531条，累计办结各项惠民服务申请需求32227件次。"
)


def seed_figures() -> Tally:
    """The seed report's figures (too many rows to generate here; the tallies are tested on
    the generated county, the wording here)."""
    return Tally(
        households_registered=421_307,
        households_covered=420_000,
        visits=496_310,
        unique_visitors=301_122,
        published=Published(affairs=3_100, party=1_431, finance=2_000, policy=88, notice=40),
        bookings_received=20_000,
        requests_received=13_500,
        completed=32_227,
        cancelled=900,
        no_show=373,
        median_handling=None,
    )


def seed_report(basis: Basis) -> AnnualReport:
    figures = seed_figures()
    return AnnualReport(2021, basis, in_year=figures, cumulative=figures, towns=(), months=())


def test_the_seed_reports_paragraph(app: Flask) -> None:
    assert paragraph(seed_report(Basis.CUMULATIVE), "zh") == SEED_PARAGRAPH
    assert paragraph(seed_report(Basis.CUMULATIVE), "en") == (
        "By the end of 2021, smart doorplates covered 420,000 households across the county; "
        "residents had visited them nearly 500,000 times in all, 6,531 items of village, party "
        "and financial affairs had been published, and 32,227 service requests had been "
        "completed since launch."
    )
    assert paragraph(seed_report(Basis.IN_YEAR), "zh") == (
        "截至2021年底，智慧门牌已覆盖全县42万户运行；2021年，群众访问近50万人次，"
        "公开村（社）三务信息6531条，办结各项惠民服务申请需求32227件次。"
    )


def test_the_generated_countys_paragraph_cumulative_and_in_year(county: County) -> None:
    cumulative = annual_report(2021)
    assert cumulative.basis is Basis.CUMULATIVE  # the default, as the county's report words it
    assert paragraph(cumulative, "zh") == (
        "截至2021年底，智慧门牌已覆盖全县5户运行，群众访问总量14人次，"
        "公开村（社）三务信息6条，累计办结各项惠民服务申请需求4件次。"
    )
    in_year = annual_report(2021, Basis.IN_YEAR)
    assert paragraph(in_year, "zh") == (
        "截至2021年底，智慧门牌已覆盖全县5户运行；2021年，群众访问13人次，"
        "公开村（社）三务信息6条，办结各项惠民服务申请需求4件次。"
    )
    assert paragraph(in_year, "en") == (
        "By the end of 2021, smart doorplates covered 5 households across the county; in 2021, "
        "residents visited them 13 times, 6 items of village, party and financial affairs were "
        "published, and 4 service requests were completed."
    )
    # The towns follow the paragraph's basis; the months are always the year's.
    assert [town.tally.visits for town in cumulative.towns] == [10, 4]
    assert [town.tally.visits for town in in_year.towns] == [9, 4]
    assert sum(m.tally.visits for m in cumulative.months) == 13


def test_the_text_report_has_the_paragraph_and_every_table(county: County) -> None:
    text = render_text(annual_report(2021), "en")
    lines = text.splitlines()
    assert lines[0] == "苍南县 smart doorplates: annual report 2021"
    assert "cumulative figures: everything since launch up to 31 December 2021" in text
    assert paragraph(annual_report(2021), "en") in lines
    assert row(lines, "Visits") == ["Visits", "13", "14"]
    assert row(lines, "Households covered (at year end)")[-2:] == ["5", "5"]
    assert row(lines, "Items published: village, party and financial affairs")[-2:] == ["6", "6"]
    assert row(lines, "Median handling time (hours)")[-2:] == ["25.5", "25.5"]
    assert row(lines, "灵溪镇") == ["灵溪镇", "330327100", "5", "4", "10", "8", "3", "7", "3"]
    assert row(lines, "钱库镇") == ["钱库镇", "330327101", "3", "1", "4", "4", "2", "4", "1"]
    assert row(lines, "County total") == ["County", "total", "8", "5", "14", "11", "6", "11", "4"]
    assert row(lines, "2021-03") == ["2021-03", "2", "1", "0", "2", "2"]
    assert "count in the county total only" in text


def row(lines: list[str], label: str) -> list[str]:
    """The cells of the one table line starting with ``label``, split on spaces."""
    (found,) = [line for line in lines if line.startswith(label + " ")]
    return found.split()


def test_the_chart_scales_to_the_busiest_month(county: County) -> None:
    chart = visits_chart(annual_report(2021))
    heights = [bar.height for bar in chart.bars]
    assert heights[0] == PLOT_HEIGHT  # January: 3 visits, the most
    assert heights[1] == heights[2] == pytest.approx(PLOT_HEIGHT * 2 / 3)
    assert heights[3] == 0
    assert [bar.value for bar in chart.bars][:4] == ["3", "2", "2", "0"]
    assert all(bar.y + bar.height == chart.baseline for bar in chart.bars)


def test_the_cli_prints_the_report(county: County, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["report", "--year", "2021"])
    assert result.exit_code == 0, result.output
    assert "residents had visited them 14 times in all" in result.output
    assert "灵溪镇" in result.output
    result = runner.invoke(args=["report", "--year", "2021", "--in-year", "--lang", "zh"])
    assert result.exit_code == 0, result.output
    assert "；2021年，群众访问13人次，" in result.output


def test_the_cli_writes_html_that_escapes_place_names(
    county: County, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    db.session.add(Town(code="330327102", name="<script>alert(1)</script>&镇"))
    db.session.commit()
    out = tmp_path / "report.html"
    result = runner.invoke(
        args=["report", "--year", "2021", "--format", "html", "--lang", "zh", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert str(out) in result.output
    html = out.read_text(encoding="utf-8")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&amp;镇" in html
    assert '<html lang="zh-CN">' in html
    assert "群众访问总量14人次" in html
    assert html.count('<rect class="bar"') == 12


def test_the_cli_offers_every_format_and_refuses_others(runner: FlaskCliRunner) -> None:
    help_text = " ".join(runner.invoke(args=["report", "--help"]).output.split())
    assert "[html|pdf|text|xlsx]" in help_text
    result = runner.invoke(args=["report", "--year", "2021", "--format", "docx"])
    assert result.exit_code == 2
    assert "'docx' is not one of 'html', 'pdf', 'text', 'xlsx'" in result.output


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_empty_county_still_reports(app: Flask, lang: str) -> None:
    html = render_html(annual_report(2030), lang)
    assert ("全县0户" if lang == "zh" else "covered 0 households") in html
    assert html.count('height="0.0"') == 12
