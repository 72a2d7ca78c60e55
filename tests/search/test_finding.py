"""What residents type finds the posts it means: words, not exact strings, synonyms both ways,
particles ignored, ranked, and only among the posts the village sees now.

The negative controls: each query below is checked to be absent, as typed, from the post it finds
(the old exact-string search could not have found it), and a query whose words no post has finds
nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskCliRunner
from publications.conftest import County
from resident.conftest import T0
from sqlalchemy import delete, func, select

from doorplate.db import db
from doorplate.publications import service as publications
from doorplate.publications.models import Category, Post, Table
from doorplate.search import index, service
from doorplate.search.models import PostTerm, Synonym
from doorplate.search.service import Concept

from .conftest import post_in

WATER = "12月3日上垟路段停水通知"
INSURANCE = "2027年度城乡居民基本医疗保险参保缴费政策"
MINIMUM = "城乡居民最低生活保障申请指南"


@pytest.fixture
def posts(county: County, synonyms: list[tuple[str, ...]]) -> dict[str, Post]:
    """The issue's three posts and two unrelated ones, in village A's sight."""
    return {
        WATER: post_in(
            county,
            "a",
            WATER,
            category=Category.NOTICE,
            body="因自来水管网改造，12月3日8:00至17:00上垟路、埭头巷停水，请提前储水。",
            day=3,
        ),
        INSURANCE: post_in(
            county,
            "county",
            INSURANCE,
            category=Category.POLICY,
            body="个人缴费每人每年400元，住院报销比例最高85%。",
            day=1,
        ),
        MINIMUM: post_in(
            county,
            "town1",
            MINIMUM,
            category=Category.POLICY,
            body="户主带身份证、户口簿到村便民服务中心提出申请。",
            day=2,
        ),
        "礼堂": post_in(county, "a", "村文化礼堂开放时间", body="每周二至周日开放。"),
        "路灯": post_in(county, "a", "关于上垟路路灯改造的公示", body="更换太阳能路灯36盏。"),
    }


def found(county: County, query: str, village: str = "a", **kwargs: object) -> list[str]:
    page = service.find_posts(getattr(county, village), query, **kwargs)  # type: ignore[arg-type]
    return [post.title for post in page.posts]


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("医保", INSURANCE),
        ("医疗保险", INSURANCE),
        ("低保怎么办", MINIMUM),
        ("低保", MINIMUM),
        ("最低生活保障", MINIMUM),
        ("新农合", INSURANCE),  # 新农合 = 城乡居民医疗保险 = 新型农村合作医疗
    ],
)
def test_a_word_or_its_synonym_finds_the_post(
    county: County, posts: dict[str, Post], query: str, title: str
) -> None:
    assert found(county, query) == [title]


@pytest.mark.parametrize(
    ("query", "title"), [("医保", INSURANCE), ("低保怎么办", MINIMUM), ("上垟路停水", WATER)]
)
def test_the_exact_string_is_not_in_the_post_it_finds(
    county: County, posts: dict[str, Post], query: str, title: str
) -> None:
    """The control: what the old search looked for (the query as typed) is not in the post."""
    post = posts[title]
    assert query not in post.title and query not in post.body
    assert found(county, query)[0] == title


def test_a_street_and_what_happened_to_it(county: County, posts: dict[str, Post]) -> None:
    """上垟路停水: jieba does not know the street (上, 垟, 路), the title says 路段; the notice
    comes first, the street-light notice (the street, not the water) after it."""
    assert found(county, "上垟路停水") == [WATER, "关于上垟路路灯改造的公示"]


@pytest.mark.parametrize("query", ["低保怎么办呢？", "请问低保怎么办", "低保 的 吗"])
def test_particles_and_question_words_do_not_make_a_search_fail(
    county: County, posts: dict[str, Post], query: str
) -> None:
    assert found(county, query) == [MINIMUM]


@pytest.mark.parametrize("query", ["公积金提取", "怎么办", "的了吗", "%_", "  "])
def test_words_no_post_has_find_nothing(county: County, posts: dict[str, Post], query: str) -> None:
    page = service.find_posts(county.a, query)
    assert page.posts == [] and page.total == 0


def test_without_the_list_a_word_finds_only_itself(county: County, posts: dict[str, Post]) -> None:
    """The control for the synonyms: an emptied list, and 医保 is just a word no post has."""
    db.session.execute(delete(Synonym))
    db.session.commit()
    assert found(county, "医保") == []
    assert found(county, "医疗保险") == [INSURANCE]


def test_a_phrase_of_the_list_is_read_before_its_shorter_words(
    synonyms: list[tuple[str, ...]],
) -> None:
    """社保卡 is the card (社会保障卡), not 社保 and a stray 卡."""
    assert service.concepts("社保卡怎么办", synonyms) == [
        Concept((("社保卡",), ("社会保障", "卡")))
    ]
    assert service.concepts("最低生活保障 停水", synonyms) == [
        Concept((("低保",), ("最低", "生活", "保障"))),
        Concept((("停水",),)),
    ]


def test_title_matches_come_first_then_newer(county: County, synonyms: object) -> None:
    post_in(county, "a", "停水通知（一）", day=0)
    post_in(county, "a", "管网改造", body="改造期间停水一天。", day=5)  # newest, in the text only
    post_in(county, "a", "停水通知（二）", day=2)
    assert found(county, "停水") == ["停水通知（二）", "停水通知（一）", "管网改造"]


def test_more_words_matched_come_first(county: County, synonyms: object) -> None:
    post_in(county, "a", "路灯停水", day=0)
    post_in(county, "a", "停水", day=3)  # newer, but one word of two
    post_in(county, "a", "路灯", day=4)
    assert found(county, "路灯 停水")[0] == "路灯停水"
    assert set(found(county, "路灯 停水")) == {"路灯停水", "停水", "路灯"}  # half is enough


def test_rarer_words_weigh_more(county: County, synonyms: object) -> None:
    """In the title either way, but 停水 is rare and 通知 is everywhere."""
    for day in range(5):
        post_in(county, "a", f"会议通知{day}", day=day)
    post_in(county, "a", "停水安排", day=0)
    assert found(county, "停水通知")[0] == "停水安排"


def test_only_what_the_village_sees(county: County, synonyms: object) -> None:
    post_in(county, "a", "渡龙村停水")
    post_in(county, "a2", "坑垟村停水")  # a neighbour in the same town
    post_in(county, "b", "南岙村停水")  # another town
    post_in(county, "town1", "灵溪镇停水")
    post_in(county, "town2", "矾山镇停水")
    post_in(county, "county", "全县停水")
    assert set(found(county, "停水")) == {"渡龙村停水", "灵溪镇停水", "全县停水"}
    assert set(found(county, "停水", village="b")) == {"南岙村停水", "矾山镇停水", "全县停水"}
    assert found(county, "停水", category=Category.NOTICE) == []  # category filter applies


def test_withdrawn_scheduled_and_expired_posts_are_not_found(
    county: County, synonyms: object
) -> None:
    withdrawn = post_in(county, "a", "停水（撤回）")
    publications.withdraw(county.reviewer_a, withdrawn)
    db.session.commit()
    post_in(county, "a", "停水（已过期）", expires_at=T0 + timedelta(days=1))
    post_in(county, "a", "停水（明年）", day=400)
    post_in(county, "a", "停水（现行）")
    assert found(county, "停水") == ["停水（现行）"]
    assert found(county, "停水", now=T0 + timedelta(days=401))[0] == "停水（明年）"
    # A withdrawn post is out of the index itself, not only filtered out.
    rows = db.session.scalar(select(func.count()).where(PostTerm.post_id == withdrawn.id))
    assert rows == 0


def test_paging_counts_every_match(county: County, synonyms: object) -> None:
    for day in range(25):
        post_in(county, "a", f"第{day}次停水", day=day)
    first = service.find_posts(county.a, "停水", page=1, per_page=20)
    second = service.find_posts(county.a, "停水", page=2, per_page=20)
    beyond = service.find_posts(county.a, "停水", page=3, per_page=20)
    assert (first.total, second.total, beyond.total) == (25, 25, 25)
    assert len(first.posts) == 20 and len(second.posts) == 5 and beyond.posts == []
    assert {p.id for p in first.posts}.isdisjoint(p.id for p in second.posts)


def test_table_cells_are_searched(county: County, synonyms: object) -> None:
    table = Table(header=("项目", "金额（元）"), rows=(("路灯电费", "1,200.00"),))
    post_in(county, "a", "十月财务收支", category=Category.FINANCE, table=table)
    assert found(county, "电费") == ["十月财务收支"]


def test_reindex_rebuilds_the_index(county: County, posts: dict[str, Post]) -> None:
    before = db.session.execute(select(PostTerm.post_id, PostTerm.term, PostTerm.weight)).all()
    db.session.execute(delete(PostTerm))
    assert found(county, "医保") == []
    assert index.reindex() == len(posts)
    after = db.session.execute(select(PostTerm.post_id, PostTerm.term, PostTerm.weight)).all()
    assert sorted(after) == sorted(before)
    assert found(county, "医保") == [INSURANCE]


def test_the_reindex_command(
    runner: FlaskCliRunner, county: County, posts: dict[str, Post]
) -> None:
    db.session.execute(delete(PostTerm))
    db.session.commit()
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert result.output == f"Indexed {len(posts)} published posts.\n"
    assert found(county, "医保") == [INSURANCE]
