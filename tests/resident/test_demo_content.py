"""`serve --demo` shows a populated village page: posts at every level and in every category,
published through the review workflow, a finance table, a masked disbursement list that expires,
and each village office's contact."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select

from doorplate import demo
from doorplate.db import db
from doorplate.places.models import Household, Village
from doorplate.plates.models import Plate
from doorplate.publications.models import Category, Post, PostScope, PostStatus
from doorplate.staff.models import StaffUser

from .conftest import headings, links, page


def _username(user_id: int | None) -> str:
    user = db.session.get(StaffUser, user_id)
    assert user is not None
    return user.username


def test_demo_posts_go_through_review_by_the_right_people(app: object) -> None:
    assert demo.seed_if_empty()
    posts = db.session.scalars(select(Post)).all()
    assert len(posts) == len(demo.DEMO_POSTS)
    assert {p.status for p in posts} == {PostStatus.PUBLISHED}
    by_title = {p.title: p for p in posts}
    for spec in demo.DEMO_POSTS:
        post = by_title[spec.title]
        assert (_username(post.author_id), _username(post.reviewer_id)) == (
            spec.author,
            spec.reviewer,
        )
    county_policy = next(p for p in posts if p.scope is PostScope.COUNTY)
    assert _username(county_policy.author_id) == "county"
    assert _username(county_policy.publisher_id) == "admin"
    disbursement = next(p for p in posts if p.category is Category.DISCLOSURE)
    assert disbursement.table is not None
    assert [row[1] for row in disbursement.table.rows] == ["张*明", "陈*娟", "林*强", "欧**英"]
    assert disbursement.has_personal_data and disbursement.expires_at is not None
    phones = db.session.scalars(select(Village.office_phone).order_by(Village.code)).all()
    assert all(re.fullmatch(r"0577-6871\d{4}", phone or "") for phone in phones)
    assert len(set(phones)) == len(phones)


def test_demo_plate_page_is_populated(client: FlaskClient) -> None:
    demo.seed_if_empty()
    token, village_code = db.session.execute(
        select(Plate.token, Village.code)
        .join(Plate.household)
        .join(Household.village)
        .where(Village.code == "330327100201")
        .limit(1)
    ).one()
    html = page(client, f"/P/{token}")
    assert "Nothing published yet." not in html  # every category has something
    assert ">County</span>" in html and ">Town</span>" in html
    assert "Village office" in headings(html) and "tel:0577" in html
    finance = links(html)["渡龙村2026年10月财务收支公开"]
    post = page(client, finance)
    assert "<caption>渡龙村2026年10月财务收支公开</caption>" in post
    assert '<td class="num">114,812.50</td>' in post
    disbursement = page(client, links(html)["2026年度困难群众临时救助资金发放公示"])
    assert "<td>张*明</td>" in disbursement and "Valid until" in disbursement
    for head_name, phone in db.session.execute(select(Household.head_name, Household.phone)):
        assert head_name not in html and phone not in html
    assert finance.startswith(f"/v/{village_code}/posts/")
