"""A post's HTML on its way to a phone: tables in labelled scroll regions with the hint, total
rows marked, office numbers as tel: links (never in a link, a table cell or an attribute), time
ranges unbroken; tags and attributes come out exactly as the sanitiser wrote them."""

from __future__ import annotations

import re

import pytest

from doorplate.publications import markdown
from doorplate.resident.post_html import Labels, for_phone, is_total, keep_time_ranges

LABELS = Labels(region=lambda n: f"表格{n}：停水", hint="左右滑动查看")


def _phone(source: str, office: str | None = None) -> str:
    return str(for_phone(markdown.render(source, 1), LABELS, office))


def test_each_table_gets_its_own_labelled_region_and_hint() -> None:
    source = "| 项目 | 金额 |\n|---|--:|\n| 甲 | 1 |\n\n文字\n\n| A | B |\n|---|---|\n| x | y |\n"
    html = _phone(source)
    regions = re.findall(
        r'<div class="table-scroll" role="region" aria-label="([^"]+)" tabindex="0">'
        r'<p class="swipe-hint">左右滑动查看</p><table>',
        html,
    )
    assert regions == ["表格1：停水", "表格2：停水"]
    assert html.count("</table></div>") == 2
    assert '<td class="align-right">1</td>' in html  # the sanitiser's own markup kept


@pytest.mark.parametrize("word", ["合计", "总计", "小计", "结余", "Total", "合 计", "合计："])
def test_a_total_row_is_marked(word: str) -> None:
    html = _phone(f"| 项目 | 金额 |\n|---|---|\n| 甲 | 1 |\n| {word} | 1 |\n")
    assert re.search(rf"<tr class=\"total\">\s*<td>{re.escape(word.strip())}</td>", html)
    assert html.count('class="total"') == 1  # a negative control: the row of 甲 is not


def test_only_the_first_cell_makes_a_total_row() -> None:
    assert "total" not in _phone("| 项目 | 说明 |\n|---|---|\n| 甲 | 合计 |\n")
    assert not is_total("合计金额") and is_total(" 合计 ")


def test_office_numbers_in_the_text_become_tel_links() -> None:
    html = _phone("咨询 0577-64711234 或村委会 13912345678，工作日 8:30-17:30。", "13912345678")
    assert '<a class="tel" href="tel:057764711234">0577-64711234</a>' in html
    assert '<a class="tel" href="tel:13912345678">13912345678</a>' in html  # its own line
    assert '<span class="nowrap">8:30-17:30</span>' in html


def test_a_mobile_that_is_not_the_office_line_stays_text() -> None:
    html = _phone("联系 13912345678。", "0577-64711234")
    assert "tel:" not in html


def test_numbers_in_links_cells_and_attributes_are_left_alone() -> None:
    source = (
        '<a href="https://example.org/" title="x>0577-64711234<y">0577-64711235</a>\n\n'
        "| 电话 |\n|---|\n| 0577-64711236 |\n"
    )
    html = _phone(source)
    assert "tel:" not in html
    assert 'title="x&gt;0577-64711234&lt;y"' in html or 'title="x>0577-64711234<y"' in html
    assert "<td>0577-64711236</td>" in html


def test_without_tables_or_numbers_the_html_is_unchanged() -> None:
    source = "## 标题\n\n段落 **粗体** &amp; <em>斜体</em>\n\n- 一\n- 二\n"
    rendered = markdown.render(source, 1)
    assert str(for_phone(rendered, LABELS)) == rendered


def test_office_hours_keep_each_time_range_on_one_line() -> None:
    hours = keep_time_ranges("周一至周五 8:30-12:00，14:00—17:30 <b>")
    assert str(hours) == (
        '周一至周五 <span class="nowrap">8:30-12:00</span>，'
        '<span class="nowrap">14:00—17:30</span> &lt;b&gt;'
    )
