"""The search as residents meet it: the page (with a way on when nothing is found, in Chinese
and English) and the API's ``q``, which finds the same posts in the same order."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from publications.conftest import County
from resident.conftest import links, page

from doorplate.db import db
from doorplate.publications.models import Category
from doorplate.search import service

from .conftest import post_in

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9", "User-Agent": "Mozilla/5.0"}
ENGLISH = {"Accept-Language": "en-US,en;q=0.9", "User-Agent": "Mozilla/5.0"}


def _with_phone(county: County) -> None:
    county.a.office_phone = "0577-6871 0001"
    db.session.commit()


def test_the_page_lists_the_posts_best_first(
    client: FlaskClient, county: County, synonyms: object
) -> None:
    post_in(county, "a", "12月3日上垟路段停水通知", category=Category.NOTICE, body="上垟路停水。")
    post_in(county, "county", "医疗保险参保缴费政策", category=Category.POLICY, day=1)
    html = page(client, f"/v/{county.a.code}/search?q=医保", headers=ENGLISH)
    assert "1 post found." in html and "医疗保险参保缴费政策" in html
    assert "Nothing found" not in html


def test_nothing_found_offers_the_categories_and_the_office_phone(
    client: FlaskClient, county: County, synonyms: object
) -> None:
    _with_phone(county)
    post_in(county, "a", "村务公开", category=Category.AFFAIRS)
    post_in(county, "county", "全县通知", category=Category.NOTICE)
    post_in(county, "b", "南岙村财务", category=Category.FINANCE)  # not this village's
    base = f"/v/{county.a.code}/search?q=公积金提取"
    en = page(client, base, headers=ENGLISH)
    assert "0 posts found." in en and "Nothing found: other ways to find it" in en
    offered = links(en)
    assert offered["Village affairs"] == f"/v/{county.a.code}/c/affairs"
    assert offered["Notices"] == f"/v/{county.a.code}/c/notice"
    assert "Finance" not in offered  # the village has no finance posts to look through
    assert offered["Call 渡龙村 office: 0577-6871 0001"] == "tel:057768710001"
    zh = page(client, base, headers=CHINESE)
    assert "没有找到，可以试试这些办法" in zh and "或者按类别查看：" in zh
    assert links(zh)["拨打渡龙村村委会电话：0577-6871 0001"] == "tel:057768710001"


def test_without_a_phone_the_page_offers_what_it_has(
    client: FlaskClient, county: County, synonyms: object
) -> None:
    html = page(client, f"/v/{county.a.code}/search?q=公积金提取", headers=ENGLISH)
    assert "Nothing found" in html and "tel:" not in html and "Or look through" not in html


def test_the_api_finds_the_same_posts_in_the_same_order(
    app: Flask, county: County, synonyms: object
) -> None:
    post_in(county, "a", "停水通知", day=1)
    post_in(county, "a", "管网改造", body="改造期间停水。", day=3)
    post_in(county, "county", "全县停水安排", day=2)
    post_in(county, "b", "南岙村停水", day=4)
    expected = [p.title for p in service.find_posts(county.a, "停水").posts]
    assert expected == ["全县停水安排", "停水通知", "管网改造"]
    api = app.test_client()
    body = api.get(f"/api/v1/villages/{county.a.code}/posts", query_string={"q": "停水"}).json
    assert [item["title"] for item in body["items"]] == expected and body["total"] == 3
    synonym = api.get(f"/api/v1/villages/{county.a.code}/posts", query_string={"q": "低保"}).json
    assert synonym["items"] == [] and synonym["total"] == 0
