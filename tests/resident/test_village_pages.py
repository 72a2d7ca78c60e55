"""The village's pages as a resident sees them: the plate landing page, the village home, category
lists, search and a post, with their 404s and headers."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from publications.conftest import County, draft, published
from sqlalchemy import func, select

from doorplate.db import db, utcnow
from doorplate.publications import service
from doorplate.publications.models import Attachment, Category, Table
from doorplate.visits.models import Visit

from .conftest import T0, headings, links, page, post_in

CATEGORY_HEADINGS = [
    "Village affairs",
    "Party affairs",
    "Finance",
    "Policies explained",
    "Public notices",
    "Notices",
]


def _titles(html: str) -> list[str]:
    """The titles of the listed posts, in page order."""
    return re.findall(r'<li><a href="/v/\d+/posts/\d+"[^>]*>([^<]*)</a>', html)


def test_landing_page_shows_the_address_then_the_village_home(
    client: FlaskClient, county: County, plate_of: Callable[..., str]
) -> None:
    token = plate_of(county.a, address="灵溪镇渡龙村上垟路12号")
    for day in range(4):
        post_in(county, "a", f"村务第{day}期", day=day)
    post_in(county, "county", "全县医保政策解读", category=Category.POLICY)
    post_in(county, "town1", "灵溪镇防汛通知", category=Category.NOTICE, day=1)
    post_in(county, "a2", "坑垟村的事", day=9)  # another village
    post_in(county, "town2", "矾山镇的事", category=Category.NOTICE, day=9)  # another town
    draft(county.editor_a, village=county.a, title="草稿")

    html = page(client, f"/P/{token}")
    assert re.search(r"<h1[^>]*>灵溪镇渡龙村上垟路12号</h1>", html)
    assert "渡龙村" in html and county.town1.name in html
    assert headings(html)[:6] == CATEGORY_HEADINGS
    # The newest three of each category; the fourth is behind "more".
    assert _titles(html) == [
        "村务第3期",
        "村务第2期",
        "村务第1期",
        "全县医保政策解读",
        "灵溪镇防汛通知",
    ]
    found = links(html)
    assert found["村务第3期"] == f"/v/{county.a.code}/posts/4"
    assert found["More in Village affairs"] == f"/v/{county.a.code}/c/affairs"
    assert "More in Notices" not in found  # one notice: nothing more to see
    # Where each post comes from: the county's and the town's are tagged.
    assert '<span class="tag">County</span><time datetime="2026-11-01">Nov 1, 2026</time>' in html
    assert '<span class="tag">Town</span><time datetime="2026-11-02">Nov 2, 2026</time>' in html
    assert '<p class="meta"><time datetime="2026-11-04">Nov 4, 2026</time>' in html
    assert "Nothing published yet." in html  # party affairs, finance, public notices
    # The search box is a plain form for the village.
    assert f'action="/v/{county.a.code}/search"' in html and 'name="q"' in html


def test_dates_and_numbers_follow_the_language_i18n(
    client: FlaskClient, county: County, plate_of: Callable[..., str]
) -> None:
    token = plate_of(county.a)
    post_in(county, "a", "十一月村务", day=26)
    for n in range(21):
        post_in(county, "a", f"村务{n}", day=n)
    chinese = {"Accept-Language": "zh-CN,zh;q=0.9", "User-Agent": "Mozilla/5.0"}
    english = {"Accept-Language": "en-US,en;q=0.9", "User-Agent": "Mozilla/5.0"}
    zh = page(client, f"/P/{token}", headers=chinese)
    en = page(client, f"/P/{token}", headers=english)
    assert '<time datetime="2026-11-27">2026年11月27日</time>' in zh
    assert '<time datetime="2026-11-27">Nov 27, 2026</time>' in en
    assert '<h2 id="c-affairs">村务</h2>' in zh
    listing = f"/v/{county.a.code}/c/affairs?page=2"
    assert "第 2 页，共 2 页" in page(client, listing, headers=chinese)
    assert "Page 2 of 2" in page(client, listing, headers=english)
    search = f"/v/{county.a.code}/search?q=村务"
    assert "找到 22 条信息。" in page(client, search, headers=chinese)
    assert "22 posts found." in page(client, search, headers=english)


def test_services_and_the_village_office_contact(
    client: FlaskClient, county: County, plate_of: Callable[..., str]
) -> None:
    token = plate_of(county.a)
    html = page(client, f"/P/{token}")
    assert "Services" in headings(html) and "booked in person at the village office" in html
    assert "Village office" not in headings(html)  # nothing set: no empty contact box
    county.a.office_phone = "0577-6871 0001"
    county.a.office_address = "渡龙村文化礼堂一楼"
    county.a.office_hours = "工作日 8:30-17:00"
    db.session.commit()
    html = page(client, f"/P/{token}")
    assert headings(html)[-2:] == ["Services", "Village office"]
    assert links(html)["0577-6871 0001"] == "tel:057768710001"
    assert (
        "渡龙村文化礼堂一楼" in html and '工作日 <span class="nowrap">8:30-17:00</span>' in html
    )  # one line
    county.a.office_phone = county.a.office_address = None
    db.session.commit()
    html = page(client, f"/P/{token}")
    assert "Village office" in headings(html) and "tel:" not in html  # hours alone still shown


def _visits() -> int:
    return db.session.scalar(select(func.count()).select_from(Visit)) or 0


def test_village_home_is_the_landing_page_without_the_address_or_a_visit(
    client: FlaskClient, county: County, plate_of: Callable[..., str]
) -> None:
    token = plate_of(county.a, address="灵溪镇渡龙村上垟路12号")
    post_in(county, "a", "村务一")
    post_in(county, "county", "全县通知", category=Category.NOTICE)
    landing = page(client, f"/P/{token}")
    assert _visits() == 1
    home = page(client, f"/v/{county.a.code}/")
    assert _visits() == 1  # only plate scans are visits
    assert "上垟路12号" not in home
    assert re.search(r'<h1 lang="zh-CN">渡龙村</h1>', home)  # Chinese on the English page
    assert _titles(home) == _titles(landing) == ["村务一", "全县通知"]
    assert headings(home) == headings(landing)
    assert page(client, f"/v/{county.b.code}/").count("全县通知") == 1
    assert "村务一" not in page(client, f"/v/{county.b.code}/")


@pytest.mark.parametrize(
    "path",
    [
        "/v/330327999999/",
        "/v/330327999999/c/affairs",
        "/v/330327999999/search?q=x",
        "/v/330327999999/posts/1",
        "/v/330327100201/c/gossip",
        "/v/330327100201/posts/999999",
        "/v/330327100201/c/affairs?page=0",
        "/v/330327100201/c/affairs?page=2",
    ],
)
def test_unknown_villages_categories_posts_and_pages_are_404(
    client: FlaskClient, county: County, path: str
) -> None:
    html = page(client, path, status=404)
    assert "<h1>Page not found</h1>" in html
    assert client.get(path).headers["X-Robots-Tag"] == "noindex, nofollow"


def test_category_list_pages_through_twenty_at_a_time(client: FlaskClient, county: County) -> None:
    for day in range(45):
        post_in(county, "a", f"财务{day:02d}", category=Category.FINANCE, day=day % 20)
    post_in(county, "a", "别的类别")
    base = f"/v/{county.a.code}/c/finance"
    first, second, third = (page(client, f"{base}?page={n}") for n in (1, 2, 3))
    titles = _titles(first) + _titles(second) + _titles(third)
    assert [len(_titles(p)) for p in (first, second, third)] == [20, 20, 5]
    assert sorted(titles) == sorted(f"财务{day:02d}" for day in range(45))
    assert "别的类别" not in titles
    assert "<h1 data-read>Finance</h1>" in first and "Page 1 of 3" in first
    assert links(first)["Next page"] == f"{base}?page=2" and "Previous page" not in links(first)
    assert links(second)["Previous page"] == f"{base}?page=1"
    assert links(second)["Next page"] == f"{base}?page=3"
    assert "Next page" not in links(third) and "Page 3 of 3" in third
    assert _titles(page(client, base)) == _titles(first)  # no page number: the first
    page(client, f"{base}?page=4", status=404)
    assert links(first)[f"Back to {county.a.name}"] == f"/v/{county.a.code}/"


def test_an_empty_category_says_so(client: FlaskClient, county: County) -> None:
    html = page(client, f"/v/{county.a.code}/c/party")
    assert "Nothing published yet." in html and "Page 1" not in html


def test_search_finds_titles_and_text_the_village_sees(client: FlaskClient, county: County) -> None:
    post_in(county, "a", "低保名单公示", category=Category.DISCLOSURE)
    post_in(county, "a", "村道修缮", body="修缮完成后将公示低保相关事项。", day=1)
    post_in(county, "county", "全县低保标准调整", category=Category.POLICY, day=2)
    post_in(county, "b", "南岙村低保", day=3)  # another village
    post_in(county, "a", "100%_完成")
    base = f"/v/{county.a.code}/search"
    html = page(client, f"{base}?q=低保")
    # Title matches first (newer first among them), then the one that says it in its text.
    assert _titles(html) == ["全县低保标准调整", "低保名单公示", "村道修缮"]
    assert "3 posts found." in html and 'value="低保"' in html
    assert "Policies explained · " in html  # results say which category they are in
    assert _titles(page(client, f"{base}?q=%25_")) == []  # no wildcards: no words at all
    assert "0 posts found." in page(client, f"{base}?q=没有这个词")
    empty = page(client, base)
    assert "found." not in empty and 'name="q"' in empty
    assert 'value="' + "长" * 100 + '"' in page(client, f"{base}?q=" + "长" * 300)


def test_search_pages_keep_the_words(client: FlaskClient, county: County) -> None:
    for day in range(21):
        post_in(county, "a", f"通知{day}", category=Category.NOTICE, day=day)
    first = page(client, f"/v/{county.a.code}/search?q=通知")
    assert "21 posts found." in first and len(_titles(first)) == 20
    second_url = links(first)["Next page"]
    assert second_url.startswith(f"/v/{county.a.code}/search?") and "q=%E9%80%9A%E7%9F%A5" in (
        second_url
    )
    assert _titles(page(client, second_url)) == ["通知0"]


FINANCE = Table(
    header=("项目", "收入（元）", "支出（元）", "备注"),
    rows=(
        ("村集体资产租赁", "120,000.00", "", "厂房出租"),
        ("道路维修", "", "35,800.50", ""),
        ("合计", "120,000.00", "35,800.50", ""),
    ),
)


def test_post_page_shows_the_post_with_an_accessible_table(
    client: FlaskClient, county: County
) -> None:
    post = post_in(
        county,
        "a",
        "2026年第三季度财务公开",
        category=Category.FINANCE,
        body="本季度收支如下。\n\n**请村民监督。**",
        table=FINANCE,
        expires_at=T0 + timedelta(days=400),
    )
    html = page(client, f"/v/{county.a.code}/posts/{post.id}")
    assert '<h1 data-read lang="zh-CN">2026年第三季度财务公开</h1>' in html
    assert links(html)["Finance"] == f"/v/{county.a.code}/c/finance"
    assert '· <span lang="zh-CN">渡龙村</span></p>' in html  # published by the village itself
    assert 'Published <time datetime="2026-11-01">Nov 1, 2026</time>' in html
    # Expires at 10:00 on 6 December 2027, county time: that is the last day it can be read.
    assert 'Valid until <time datetime="2027-12-06">Dec 6, 2027</time>' in html
    assert "<strong>请村民监督。</strong>" in html  # the sanitised HTML, not escaped
    region = re.search(
        r'<div class="table-scroll" data-read role="region" aria-label="([^"]+)" tabindex="0">\n'
        r'<p class="swipe-hint">([^<]+)</p>',
        html,
    )
    assert region is not None and region.group(1) == "Table: 2026年第三季度财务公开"
    assert region.group(2) == "Swipe sideways to see more"
    assert "<caption>2026年第三季度财务公开</caption>" in html
    assert re.findall(r'<th scope="col"( class="num")?>([^<]+)</th>', html) == [
        ("", "项目"),
        (' class="num"', "收入（元）"),
        (' class="num"', "支出（元）"),
        ("", "备注"),
    ]
    assert '<td class="num">35,800.50</td>' in html and "<td>道路维修</td>" in html


def test_post_dates_in_chinese_i18n(client: FlaskClient, county: County) -> None:
    post = post_in(county, "a", "停水通知", category=Category.NOTICE)
    html = page(
        client,
        f"/v/{county.a.code}/posts/{post.id}",
        headers={"Accept-Language": "zh-CN", "User-Agent": "Mozilla/5.0"},
    )
    assert '发布日期 <time datetime="2026-11-01">2026年11月1日</time>' in html
    assert "有效期至" not in html  # no expiry: nothing to say


def test_county_and_town_posts_open_from_the_villages_they_apply_to(
    client: FlaskClient, county: County
) -> None:
    county_post = post_in(county, "county", "全县政策", category=Category.POLICY)
    town_post = post_in(county, "town1", "一镇通知", category=Category.NOTICE)
    for code in (county.a.code, county.a2.code, county.b.code):
        assert '· <span lang="zh-CN">苍南县</span></p>' in page(
            client, f"/v/{code}/posts/{county_post.id}"
        )
    assert f'· <span lang="zh-CN">{county.town1.name}</span></p>' in page(
        client, f"/v/{county.a2.code}/posts/{town_post.id}"
    )
    page(client, f"/v/{county.b.code}/posts/{town_post.id}", status=404)


def test_posts_a_resident_may_not_see_are_404_like_unknown_ids(
    client: FlaskClient, county: County
) -> None:
    unknown = page(client, f"/v/{county.a.code}/posts/999999", status=404)
    hidden = [
        draft(county.editor_a, village=county.a, title="草稿"),
        published(
            county.editor_a,
            county.reviewer_a,
            village=county.a,
            title="已过期",
            expires_at=T0 + timedelta(days=1),
            now=T0,
        ),
        published(
            county.editor_a,
            county.reviewer_a,
            village=county.a,
            title="定时发布",
            publish_at=utcnow() + timedelta(days=30),
        ),
        post_in(county, "a2", "坑垟村的事"),
    ]
    withdrawn = post_in(county, "a", "已撤回")
    service.withdraw(county.reviewer_a, withdrawn)
    db.session.commit()
    for post in [*hidden, withdrawn]:
        html = page(client, f"/v/{county.a.code}/posts/{post.id}", status=404)
        assert _anonymous(html) == _anonymous(unknown)
        assert post.title not in html


def _anonymous(html: str) -> str:
    """A page with its post id and CSP nonce written out of it."""
    return re.sub(r'/posts/\d+|nonce="[^"]+"', "", html)


def test_read_aloud_is_a_hidden_button_and_a_deferred_script(
    client: FlaskClient, county: County
) -> None:
    post = post_in(county, "a", "停水通知", category=Category.NOTICE)
    response = client.get(f"/v/{county.a.code}/posts/{post.id}")
    html = response.get_data(as_text=True)
    button = re.search(r"<button [^>]*id=\"read-aloud\"[^>]*>([^<]*)</button>", html)
    assert button is not None and button.group(1) == "Read aloud"
    assert " hidden " in button.group(0) and 'data-stop="Stop reading"' in button.group(0)
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
    assert nonce is not None
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts == [f'<script src="/static/js/resident.js" nonce="{nonce.group(1)}" defer>']
    script = client.get("/static/js/resident.js")
    assert script.status_code == 200 and b"synth.speak(" in script.data
    script.close()
    # The village's home reads aloud too, with the same script.
    assert 'id="read-aloud"' in page(client, f"/v/{county.a.code}/")


def test_attachments_link_to_their_download(
    app: Flask, client: FlaskClient, county: County
) -> None:
    post = post_in(county, "a", "低保公示", category=Category.DISCLOSURE)
    db.session.add(
        Attachment(
            post_id=post.id,
            filename="名单.pdf",
            media_type="application/pdf",
            size=150_000,
            sha256="0" * 64,
            content=b"%PDF-1.7",
            uploaded_by_id=county.editor_a.id,
        )
    )
    db.session.commit()
    html = page(client, f"/v/{county.a.code}/posts/{post.id}")
    attachment = db.session.scalar(select(Attachment))
    assert attachment is not None
    assert "Attachments" in headings(html)
    with app.test_request_context():
        download = url_for("files.download", post_id=post.id, attachment_id=attachment.id)
    assert links(html)["名单.pdf"] == download
    assert "PDF, 147 KB" in html


@pytest.mark.parametrize("kind", ["plate", "home", "category", "search", "post"])
def test_resident_pages_send_no_referrer_and_are_not_indexed(
    client: FlaskClient, county: County, plate_of: Callable[..., str], kind: str
) -> None:
    post = post_in(county, "a", "村务")
    path = {
        "plate": f"/P/{plate_of(county.a)}",
        "home": f"/v/{county.a.code}/",
        "category": f"/v/{county.a.code}/c/affairs",
        "search": f"/v/{county.a.code}/search?q=村",
        "post": f"/v/{county.a.code}/posts/{post.id}",
    }[kind]
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert "object-src 'none'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert ' style="' not in response.get_data(as_text=True)
