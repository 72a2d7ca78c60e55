"""The demo county answers the issue's three searches with its own posts, through the synonym
list the demo seeds as the migration does."""

from __future__ import annotations

import pytest
from flask import Flask

from doorplate import demo
from doorplate.places import registry
from doorplate.search import service


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("医保", "一图读懂：2027年度城乡居民基本医疗保险参保缴费政策"),
        ("上垟路停水", "12月3日上垟路段停水通知"),
        ("低保怎么办", "城乡居民最低生活保障申请指南"),
    ],
)
def test_the_demo_finds_what_residents_type(app: Flask, query: str, title: str) -> None:
    demo.seed_if_empty()
    village = registry.village_by_code("330327100201")
    assert village is not None
    assert [post.title for post in service.find_posts(village, query).posts][0] == title
