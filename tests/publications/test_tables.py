"""Finance and disbursement tables: stored as JSON, validated for shape and size."""

from __future__ import annotations

from typing import Any

import pytest

from doorplate.db import db
from doorplate.publications import service
from doorplate.publications.models import Category, Post, PostStatus, Table

from .conftest import County, draft


def test_a_table_is_stored_and_read_back(county: County) -> None:
    table = Table(header=("项目", "收入", "支出"), rows=(("村集体租金", "12,000.00", ""),))
    post = draft(county.editor_a, village=county.a, category=Category.FINANCE, table=table)
    db.session.expire_all()
    stored = db.session.get(Post, post.id)
    assert stored is not None
    assert stored.table_data == {
        "header": ["项目", "收入", "支出"],
        "rows": [["村集体租金", "12,000.00", ""]],
    }
    assert stored.table == table


def test_a_post_without_a_table_stores_null(county: County) -> None:
    post = draft(county.editor_a, village=county.a)
    db.session.expire_all()
    assert db.session.get(Post, post.id).table_data is None  # type: ignore[union-attr]


def test_a_table_alone_may_be_submitted(county: County) -> None:
    table = Table(header=("项目",), rows=(("修路",),))
    post = draft(county.editor_a, village=county.a, body="", table=table)
    service.submit(county.editor_a, post)
    assert post.status is PostStatus.SUBMITTED


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"header": ["a"]}, "header row and a list of rows"),
        ({"header": "a", "rows": []}, "header row and a list of rows"),
        ({"header": [], "rows": []}, "1 to 20 columns"),
        ({"header": [f"c{i}" for i in range(21)], "rows": []}, "1 to 20 columns"),
        ({"header": ["a"], "rows": [["x"]] * 2001}, "at most 2000 rows"),
        ({"header": ["a", "b"], "rows": [["x"]]}, "row 1 does not have 2 cells"),
        ({"header": ["a"], "rows": ["x"]}, "row 1 does not have 1 cells"),
        ({"header": ["a"], "rows": [[1]]}, "row 1, column 1: a cell is text of at most 200"),
        ({"header": ["a"], "rows": [["长" * 201]]}, "row 1, column 1: a cell is text"),
        ({"header": ["a", " "], "rows": []}, "column 2 needs a heading"),
    ],
)
def test_bad_tables_are_refused(data: dict[str, Any], message: str) -> None:
    with pytest.raises(service.PublicationError, match=message):
        service.validate_table(data)


def test_the_limits_themselves_are_allowed() -> None:
    data = {
        "header": [f"列{i}" for i in range(20)],
        "rows": [["长" * 200] * 20] * 2000,
    }
    table = service.validate_table(data)
    assert len(table.rows) == 2000 and len(table.header) == 20


def test_cells_are_trimmed() -> None:
    assert service.validate_table({"header": [" 项目 "], "rows": [[" 修路\n"]]}) == Table(
        header=("项目",), rows=(("修路",),)
    )
