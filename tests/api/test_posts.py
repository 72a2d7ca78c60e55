"""``GET /api/v1/villages/{code}/posts`` and ``GET /api/v1/posts/{id}``: what a village's residents
see, paged, filtered and searched; one live post with its table and attachments."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from publications.conftest import County, draft, published, submitted

from doorplate.db import db, utcnow
from doorplate.publications import service
from doorplate.publications.models import Attachment, Category, Post, Table

BASE = "https://dp.example.gov.cn"
A = "/api/v1/villages/330327100201/posts"


def titles(response: Any) -> list[str]:
    return [item["title"] for item in response.json["items"]]


def test_a_village_sees_its_own_its_towns_and_the_countys_posts(
    api: FlaskClient, county: County
) -> None:
    published(county.editor_a, county.reviewer_a, village=county.a, title="A村")
    published(county.editor_a2, county.reviewer_a2, village=county.a2, title="A2村")
    published(county.editor_b, county.reviewer_town2, village=county.b, title="B村")
    published(county.reviewer_town1, county.county, town=county.town1, title="一镇")
    published(county.reviewer_town2, county.county, town=county.town2, title="二镇")
    published(county.county, county.admin, title="全县")
    response = api.get(A)
    assert response.status_code == 200
    assert titles(response) == ["全县", "一镇", "A村"]  # newest first
    assert [item["level"] for item in response.json["items"]] == ["county", "town", "village"]
    assert sorted(titles(api.get("/api/v1/villages/330327101201/posts"))) == sorted(
        ["B村", "二镇", "全县"]
    )
    assert response.headers["Cache-Control"] == "public, max-age=60"


def test_a_list_entry_links_to_the_page_and_the_post(api: FlaskClient, county: County) -> None:
    post = published(
        county.editor_a,
        county.reviewer_a,
        village=county.a,
        title="2026年第三季度财务公开",
        category=Category.FINANCE,
        expires_at=utcnow() + timedelta(days=30),
    )
    item = api.get(A).json["items"][0]
    assert item == {
        "id": post.id,
        "title": "2026年第三季度财务公开",
        "category": "finance",
        "category_label": "Finance",
        "level": "village",
        "publish_at": post.publish_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "expires_at": post.expires_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "url": f"{BASE}/v/330327100201/posts/{post.id}",
        "api_url": f"{BASE}/api/v1/posts/{post.id}",
    }
    assert api.get(item["api_url"].removeprefix(BASE)).json["id"] == post.id
    page = api.get(item["url"].removeprefix(BASE))
    assert page.status_code == 200 and "2026年第三季度财务公开" in page.get_data(as_text=True)


def test_a_county_post_links_to_its_page_under_the_village_asked_for(
    api: FlaskClient, county: County
) -> None:
    post = published(county.county, county.admin, title="全县")
    item = api.get("/api/v1/villages/330327101201/posts").json["items"][0]
    assert item["url"] == f"{BASE}/v/330327101201/posts/{post.id}"
    assert api.get(item["url"].removeprefix(BASE)).status_code == 200


def test_only_live_posts_are_listed(api: FlaskClient, county: County) -> None:
    past = utcnow() - timedelta(days=10)
    draft(county.editor_a, village=county.a, title="草稿")
    submitted(county.editor_a, village=county.a, title="待审")
    published(
        county.editor_a,
        county.reviewer_a,
        village=county.a,
        title="过期",
        now=past,
        expires_at=past + timedelta(days=1),
    )
    published(
        county.editor_a,
        county.reviewer_a,
        village=county.a,
        title="预定",
        publish_at=utcnow() + timedelta(days=1),
    )
    withdrawn = published(county.editor_a, county.reviewer_a, village=county.a, title="撤回")
    service.withdraw(county.reviewer_a, withdrawn)
    db.session.commit()
    published(county.editor_a, county.reviewer_a, village=county.a, title="已发布")
    response = api.get(A)
    assert titles(response) == ["已发布"]
    assert response.json["total"] == 1


def test_a_category_filter_and_a_search(api: FlaskClient, county: County) -> None:
    published(
        county.editor_a,
        county.reviewer_a,
        village=county.a,
        title="修路通知",
        category=Category.NOTICE,
    )
    published(
        county.editor_a,
        county.reviewer_a,
        village=county.a,
        title="季度财务",
        category=Category.FINANCE,
        body="修缮村道支出 12,000 元。",
    )
    published(
        county.county,
        county.admin,
        title="医保政策解读",
        category=Category.POLICY,
        body="医保报销比例提高。",
    )
    assert titles(api.get(A, query_string={"category": "finance"})) == ["季度财务"]
    assert titles(api.get(A, query_string={"category": "policy"})) == ["医保政策解读"]
    # Words in the title or the text, the title first: the resident search page's search.
    assert titles(api.get(A, query_string={"q": "修路 村道"})) == ["修路通知", "季度财务"]
    assert titles(api.get(A, query_string={"q": "修路 村道", "category": "finance"})) == [
        "季度财务"
    ]
    assert titles(api.get(A, query_string={"q": "100%_"})) == []  # wildcards are literal
    assert len(titles(api.get(A, query_string={"category": "", "q": " "}))) == 3  # empty = absent


def test_paging_with_next_links(api: FlaskClient, county: County) -> None:
    for n in range(1, 6):
        published(
            county.editor_a,
            county.reviewer_a,
            village=county.a,
            title=f"通知{n}",
            category=Category.NOTICE,
        )
    published(
        county.editor_a,
        county.reviewer_a,
        village=county.a,
        title="财务",
        category=Category.FINANCE,
    )
    seen: list[str] = []
    path: str | None = f"{A}?category=notice&q=%E9%80%9A%E7%9F%A5&per_page=2"
    pages = 0
    while path is not None:
        body = api.get(path).json
        pages += 1
        assert body["per_page"] == 2 and body["total"] == 5 and body["page"] == pages
        seen += [item["title"] for item in body["items"]]
        path = body["next"] and body["next"].removeprefix(BASE)
        if path:
            assert "category=notice" in path and "q=%E9%80%9A%E7%9F%A5" in path
    assert pages == 3
    assert seen == [f"通知{n}" for n in range(5, 0, -1)]
    beyond = api.get(A, query_string={"page": 9, "per_page": 2}).json
    assert beyond["items"] == [] and beyond["total"] == 6 and beyond["next"] is None
    assert api.get(A).json["per_page"] == 20


@pytest.mark.parametrize(
    ("query", "parameter", "words"),
    [
        ({"category": "finances"}, "category", ["affairs, party, finance, policy"]),
        ({"category": "财务"}, "category", ["disclosure, notice"]),
        ({"page": "0"}, "page", ["page", "1 to 10000"]),
        ({"page": "-1"}, "page", ["page"]),
        ({"page": "two"}, "page", ["page"]),
        ({"page": "１２"}, "page", ["page"]),  # full-width digits
        ({"page": "9" * 5000}, "page", ["page"]),
        ({"page": "10001"}, "page", ["page"]),
        ({"per_page": "101"}, "per_page", ["per_page", "1 to 100"]),
        ({"per_page": "1.5"}, "per_page", ["per_page"]),
        ({"q": "长" * 101}, "q", ["q", "100"]),
    ],
)
def test_a_bad_parameter_is_named_with_what_it_may_be(
    api: FlaskClient, county: County, query: dict[str, str], parameter: str, words: list[str]
) -> None:
    response = api.get(A, query_string=query)
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == "invalid_parameter"
    assert error["parameter"] == parameter
    for word in words:
        assert word in error["message"]


def test_an_unknown_village_is_not_found(api: FlaskClient, county: County) -> None:
    for code in ["330327999999", "x" * 300, "渡龙村"]:
        response = api.get(f"/api/v1/villages/{code}/posts")
        assert response.status_code == 404
        assert response.json["error"] == {
            "code": "not_found",
            "message": "There is no village with this code.",
        }


def test_a_post_in_full(api: FlaskClient, county: County) -> None:
    table = Table(header=("项目", "收入(元)", "支出(元)"), rows=(("村道修缮", "", "12,000.00"),))
    post = published(
        county.editor_a,
        county.reviewer_a,
        village=county.a,
        title="2026年第三季度财务公开",
        body="本季度**修缮村道**一条。<script>alert(1)</script>",
        category=Category.FINANCE,
        table=table,
    )
    response = api.get(f"/api/v1/posts/{post.id}")
    assert response.status_code == 200
    body = response.json
    assert body["title"] == "2026年第三季度财务公开"
    assert body["category"] == "finance" and body["level"] == "village"
    assert body["county"] == "苍南县"
    assert body["town"] == {"code": county.town1.code, "name": county.town1.name}
    assert body["village"] == {"code": "330327100201", "name": "渡龙村"}
    assert body["body_html"] == post.body_html
    assert "<strong>修缮村道</strong>" in body["body_html"] and "<script" not in body["body_html"]
    assert body["table"] == {
        "header": ["项目", "收入(元)", "支出(元)"],
        "rows": [["村道修缮", "", "12,000.00"]],
    }
    assert body["attachments"] == []
    assert body["expires_at"] is None
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert "2026年第三季度财务公开" in response.get_data(as_text=True)  # UTF-8, not \u escapes


def test_town_and_county_posts_name_their_places(api: FlaskClient, county: County) -> None:
    town = published(county.reviewer_town1, county.county, town=county.town1, title="一镇")
    whole = published(county.county, county.admin, title="全县")
    town_body = api.get(f"/api/v1/posts/{town.id}").json
    assert town_body["level"] == "town" and town_body["village"] is None
    assert town_body["town"] == {"code": county.town1.code, "name": county.town1.name}
    county_body = api.get(f"/api/v1/posts/{whole.id}").json
    assert county_body["level"] == "county"
    assert county_body["town"] is None and county_body["village"] is None
    assert county_body["table"] is None


def test_attachments_are_listed_with_their_download_links(
    app: Flask, api: FlaskClient, county: County
) -> None:
    post = published(county.editor_a, county.reviewer_a, village=county.a, title="附件")
    for name, media_type in [("预算.pdf", "application/pdf"), ("现场.jpg", "image/jpeg")]:
        db.session.add(
            Attachment(
                post_id=post.id,
                filename=name,
                media_type=media_type,
                size=2048,
                sha256="0" * 64,
                content=b"\0" * 2048,
                uploaded_by_id=county.editor_a.id,
            )
        )
    db.session.commit()
    ids = [a.id for a in db.session.get_one(Post, post.id).attachments]
    body = api.get(f"/api/v1/posts/{post.id}").json
    with app.test_request_context():
        urls = [BASE + url_for("files.download", post_id=post.id, attachment_id=i) for i in ids]
    assert body["attachments"] == [
        {"filename": "预算.pdf", "media_type": "application/pdf", "size": 2048, "url": urls[0]},
        {"filename": "现场.jpg", "media_type": "image/jpeg", "size": 2048, "url": urls[1]},
    ]
    download = api.get(urls[0].removeprefix(BASE))
    assert download.status_code == 200 and download.get_data() == b"\0" * 2048


def test_posts_that_are_not_live_are_the_same_404(api: FlaskClient, county: County) -> None:
    past = utcnow() - timedelta(days=10)
    hidden = [
        draft(county.editor_a, village=county.a),
        submitted(county.editor_a, village=county.a),
        published(
            county.editor_a,
            county.reviewer_a,
            village=county.a,
            now=past,
            expires_at=past + timedelta(days=1),
        ),
        published(
            county.editor_a,
            county.reviewer_a,
            village=county.a,
            publish_at=utcnow() + timedelta(days=1),
        ),
    ]
    withdrawn = published(county.editor_a, county.reviewer_a, village=county.a)
    service.withdraw(county.reviewer_a, withdrawn)
    db.session.commit()
    ids = [post.id for post in [*hidden, withdrawn]] + [999_999, 2**31 - 1]
    answers = {(r.status_code, r.get_data()) for r in (api.get(f"/api/v1/posts/{i}") for i in ids)}
    assert answers == {
        (
            404,
            b'{"error":{"code":"not_found","message":"There is no published post with this '
            b'number."}}',
        )
    }
    # A number no id can be is no address of the API at all (doorplate.bounds.IdConverter).
    for beyond in (2**31, 10**30):
        response = api.get(f"/api/v1/posts/{beyond}")
        assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
