"""What a resident of a village sees: its own, its town's and the county's published posts, from
their publishing time until their expiry, newest first, by category, searched and paged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from doorplate.db import db
from doorplate.publications import service
from doorplate.publications.models import Category, Post, PostState

from .conftest import County, draft, published, submitted

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # approvals in these tests happen at T0


def titles(page: service.PostPage) -> list[str]:
    return [post.title for post in page.posts]


def visible(county: County, village: str = "a", **kwargs: object) -> list[str]:
    return titles(service.visible_posts(getattr(county, village), now=T0, **kwargs))  # type: ignore[arg-type]


def test_a_village_sees_its_own_its_towns_and_the_countys_posts(county: County) -> None:
    published(county.editor_a, county.reviewer_a, village=county.a, title="A村", now=T0)
    published(county.editor_a2, county.reviewer_a2, village=county.a2, title="A2村", now=T0)
    published(county.editor_b, county.reviewer_town2, village=county.b, title="B村", now=T0)
    published(county.reviewer_town1, county.county, town=county.town1, title="一镇", now=T0)
    published(county.reviewer_town2, county.county, town=county.town2, title="二镇", now=T0)
    published(county.county, county.admin, title="全县", now=T0)
    assert sorted(visible(county, "a")) == sorted(["A村", "一镇", "全县"])
    assert sorted(visible(county, "a2")) == sorted(["A2村", "一镇", "全县"])
    assert sorted(visible(county, "b")) == sorted(["B村", "二镇", "全县"])


def test_unpublished_and_withdrawn_posts_are_not_shown(county: County) -> None:
    draft(county.editor_a, village=county.a, title="草稿")
    submitted(county.editor_a, village=county.a, title="待审")
    rejected = submitted(county.editor_a, village=county.a, title="退回")
    service.reject(county.reviewer_a, rejected, "不行")
    withdrawn = published(
        county.editor_a, county.reviewer_a, village=county.a, title="撤回", now=T0
    )
    service.withdraw(county.reviewer_a, withdrawn)
    published(county.editor_a, county.reviewer_a, village=county.a, title="已发布", now=T0)
    db.session.commit()
    assert visible(county) == ["已发布"]
    assert service.visible_post(county.a, withdrawn.id, now=T0) is None
    assert service.visible_post(county.a, rejected.id, now=T0) is None


def test_a_scheduled_post_appears_at_its_publishing_time(county: County) -> None:
    at = T0 + timedelta(days=1)
    post = published(
        county.editor_a, county.reviewer_a, village=county.a, title="预定", publish_at=at, now=T0
    )
    assert post.published_at == T0
    assert post.publish_at == at
    for moment, shown, state in [
        (T0, False, PostState.SCHEDULED),
        (at - timedelta(seconds=1), False, PostState.SCHEDULED),
        (at, True, PostState.LIVE),
    ]:
        page = service.visible_posts(county.a, now=moment)
        assert (titles(page) == ["预定"]) is shown
        assert (service.visible_post(county.a, post.id, now=moment) is not None) is shown
        assert post.state_at(moment) is state


def test_a_post_disappears_at_its_expiry(county: County) -> None:
    until = T0 + timedelta(days=5)
    post = published(
        county.editor_a, county.reviewer_a, village=county.a, title="限时", expires_at=until, now=T0
    )
    for moment, shown, state in [
        (T0, True, PostState.LIVE),
        (until - timedelta(seconds=1), True, PostState.LIVE),
        (until, False, PostState.EXPIRED),
        (until + timedelta(days=365), False, PostState.EXPIRED),
    ]:
        assert (titles(service.visible_posts(county.a, now=moment)) == ["限时"]) is shown
        assert (service.visible_post(county.a, post.id, now=moment) is not None) is shown
        assert post.state_at(moment) is state


def test_visible_post_is_only_for_the_villages_it_applies_to(county: County) -> None:
    own = published(county.editor_a, county.reviewer_a, village=county.a, now=T0)
    town = published(county.reviewer_town1, county.county, town=county.town1, now=T0)
    assert service.visible_post(county.a, own.id, now=T0) == own
    assert service.visible_post(county.a2, own.id, now=T0) is None
    assert service.visible_post(county.a2, town.id, now=T0) == town
    assert service.visible_post(county.b, town.id, now=T0) is None
    assert service.visible_post(county.a, 999_999, now=T0) is None


def _publish_series(county: County, count: int, **fields: object) -> list[Post]:
    return [
        published(
            county.editor_a,
            county.reviewer_a,
            village=county.a,
            publish_at=T0 + timedelta(minutes=n),
            now=T0,
            **{"title": f"第{n}期", **fields},  # type: ignore[arg-type]
        )
        for n in range(count)
    ]


def test_newest_first_and_paged_with_the_total(county: County) -> None:
    _publish_series(county, 5)
    later = T0 + timedelta(hours=1)
    first = service.visible_posts(county.a, page=1, per_page=2, now=later)
    second = service.visible_posts(county.a, page=2, per_page=2, now=later)
    third = service.visible_posts(county.a, page=3, per_page=2, now=later)
    assert (first.total, second.total, third.total) == (5, 5, 5)
    assert titles(first) + titles(second) + titles(third) == [
        "第4期",
        "第3期",
        "第2期",
        "第1期",
        "第0期",
    ]


def test_filter_by_category(county: County) -> None:
    published(
        county.editor_a,
        county.reviewer_a,
        village=county.a,
        title="账目",
        category=Category.FINANCE,
        now=T0,
    )
    published(county.county, county.admin, title="医保政策", category=Category.POLICY, now=T0)
    assert visible(county, category=Category.FINANCE) == ["账目"]
    assert visible(county, category=Category.POLICY) == ["医保政策"]
    assert visible(county, category=Category.PARTY) == []


def test_latest_by_category_for_the_village_home(county: County) -> None:
    _publish_series(county, 4, category=Category.AFFAIRS)
    published(county.county, county.admin, title="县通知", category=Category.NOTICE, now=T0)
    published(
        county.editor_b,
        county.reviewer_town2,
        village=county.b,
        title="B村",
        category=Category.NOTICE,
        now=T0,
    )
    latest = service.latest_by_category(county.a, per_category=3, now=T0 + timedelta(hours=1))
    assert {category: [p.title for p in posts] for category, posts in latest.items()} == {
        Category.AFFAIRS: ["第3期", "第2期", "第1期"],
        Category.NOTICE: ["县通知"],
    }
