"""The resident pages' presentation rules: which table columns are numbers, the office's phone
link, the last day of a post, paging and the search text."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from doorplate.publications.models import Post, Table
from doorplate.resident import content


def test_columns_of_amounts_counts_and_percentages_are_numeric() -> None:
    table = Table(
        header=("序号", "姓名", "金额（元）", "比例", "备注", "日期"),
        rows=(
            ("1", "张*明", "1,234.50", "12%", "", "2026-11-01"),
            ("2", "陈*娟", "-300", "8.5%", "因病", "2026-11-02"),
            ("3", "林*强", "￥2,000.00", "100%", "3500元", "2026-11-03"),
            ("10", "欧**英", "3500元", "0%", "", "2026-11-04"),
        ),
    )
    assert content.numeric_columns(table) == {0, 2, 3}


def test_an_empty_column_or_one_odd_cell_is_not_numeric() -> None:
    table = Table(header=("项目", "金额"), rows=(("A", ""), ("B", "1,000"), ("C", "待定")))
    assert content.numeric_columns(table) == frozenset()
    assert content.numeric_columns(Table(header=("空",), rows=(("",),))) == frozenset()
    assert content.numeric_columns(Table(header=("x",), rows=(("1,2345",),))) == frozenset()


@pytest.mark.parametrize(
    ("written", "uri"),
    [
        ("0577-68710001", "tel:057768710001"),
        ("(0577) 6871 0001", "tel:057768710001"),
        ("+86 577 6871 0001 转 8012", "tel:+8657768710001,8012"),
        ("0577-68712345 ext. 12", "tel:057768712345,12"),
    ],
)
def test_office_phone_links_dial_the_number(written: str, uri: str) -> None:
    assert content.tel_uri(written) == uri


def test_the_last_day_is_the_day_before_a_midnight_expiry() -> None:
    midnight_shanghai = datetime(2026, 12, 8, 16, 0, tzinfo=UTC)  # 9 December, 00:00 county time
    post = Post(expires_at=midnight_shanghai)
    last = content.last_day(post)
    assert last is not None
    assert last.astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat() == "2026-12-08"
    assert content.last_day(Post(expires_at=None)) is None


@pytest.mark.parametrize(("total", "pages"), [(0, 1), (1, 1), (20, 1), (21, 2), (45, 3)])
def test_pages_are_twenty_posts_each(total: int, pages: int) -> None:
    assert content.Pager(page=1, total=total).pages == pages


def test_search_text_is_trimmed_and_cut() -> None:
    assert content.search_text(None) == ""
    assert content.search_text("  低保  ") == "低保"
    assert content.search_text("长" * 500) == "长" * content.QUERY_MAX_LENGTH
