"""The XSS corpus through the console: as table cells imported from CSV and from a real .xlsx, as
the Markdown text and the title, on the preview, the post's page, the edit form and the list, and
on the resident's page once published. Whole responses are parsed; pages that hold forms of their
own are compared with the same page showing harmless content, so only what the payloads add
counts.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Callable

import openpyxl
import pytest
from conftest import signed_in_client
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from xss import XSS_CORPUS, new_problems, problems

from doorplate.db import db
from doorplate.publications import service
from doorplate.publications.models import Post, Table
from doorplate.staff.models import StaffUser

from .conftest import County

Upload = Callable[[list[list[str]]], tuple[io.BytesIO, str]]
CHUNK = 20  # the most columns a table may have: payloads also go into headings, 20 at a time


def as_csv(rows: list[list[str]]) -> tuple[io.BytesIO, str]:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return io.BytesIO(out.getvalue().encode("utf-8-sig")), "名单.csv"


def as_xlsx(rows: list[list[str]]) -> tuple[io.BytesIO, str]:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return out, "名单.xlsx"


def corpus_tables() -> list[list[list[str]]]:
    """Every payload once as a cell (next to its number) and once as a column heading."""
    cells = [["序号", "内容"], *([str(n), payload] for n, payload in enumerate(XSS_CORPUS, 1))]
    headings = [
        [XSS_CORPUS[i : i + CHUNK], ["x"] * len(XSS_CORPUS[i : i + CHUNK])]
        for i in range(0, len(XSS_CORPUS), CHUNK)
    ]
    return [cells, *([list(h), list(r)] for h, r in headings)]


def harmless(rows: list[list[str]]) -> list[list[str]]:
    """The same shape with plain text: the baseline page."""
    return [[f"单元{r}-{c}" for c in range(len(row))] for r, row in enumerate(rows)]


def sign_in(app: Flask, user: StaffUser) -> FlaskClient:
    return signed_in_client(app, user.username)


def text_of(response: object) -> str:
    assert response.status_code == 200, response.status_code  # type: ignore[attr-defined]
    return str(response.get_data(as_text=True))  # type: ignore[attr-defined]


def new_post(client: FlaskClient, county: County, **fields: object) -> Post:
    response = client.post(
        "/staff/posts/new",
        data={
            "place": f"village:{county.a.code}",
            "category": "disclosure",
            "title": "资金发放公示",
            "body": "名单如下。",
            "save": "1",
            **fields,
        },
    )
    assert response.status_code == 302, text_of(response)
    post_id = int(response.headers["Location"].rsplit("/", 1)[1])
    db.session.expire_all()
    post = db.session.get(Post, post_id)
    assert post is not None
    return post


def test_the_page_comparison_catches_what_a_payload_adds() -> None:
    """The control: an unescaped payload added to a page with forms of its own is caught."""
    page = '<form method="post"><input name="a"><button>go</button></form><p>x</p>'
    assert new_problems(page, page) == []
    assert new_problems(page.replace("<p>x</p>", XSS_CORPUS[0]), page) == ["element script"]
    assert new_problems(page + '<p onclick="x">', page) == ["attribute onclick on p"]
    assert problems(page) == ["element form", "element input", "element button"]


@pytest.mark.parametrize("upload", [as_csv, as_xlsx], ids=["csv", "xlsx"])
def test_table_cells_and_headings_stay_text(app: Flask, county: County, upload: Upload) -> None:
    client = sign_in(app, county.editor_a)
    for rows in corpus_tables():
        baseline_post = new_post(client, county, table_file=upload(harmless(rows)))
        post = new_post(client, county, table_file=upload(rows))
        assert post.table is not None
        assert [list(post.table.header), *map(list, post.table.rows)] == rows  # stored as typed
        pages = {
            "post": (f"/staff/posts/{post.id}", f"/staff/posts/{baseline_post.id}"),
            "edit": (f"/staff/posts/{post.id}/edit", f"/staff/posts/{baseline_post.id}/edit"),
        }
        for name, (url, baseline_url) in pages.items():
            shown, baseline = text_of(client.get(url)), text_of(client.get(baseline_url))
            assert new_problems(shown, baseline) == [], name
        shown = text_of(client.get(f"/staff/posts/{post.id}"))
        for cell in rows[-1]:  # the payloads are on the page, as text
            assert html.escape(cell, quote=False) in shown.replace("&#34;", '"').replace(
                "&#39;", "'"
            )
        preview = text_of(
            client.post(
                "/staff/posts/new",
                data={
                    "place": f"village:{county.a.code}",
                    "category": "disclosure",
                    "title": "预览",
                    "table_file": upload(rows),
                    "preview": "1",
                },
            )
        )
        preview_baseline = text_of(
            client.post(
                "/staff/posts/new",
                data={
                    "place": f"village:{county.a.code}",
                    "category": "disclosure",
                    "title": "预览",
                    "table_file": upload(harmless(rows)),
                    "preview": "1",
                },
            )
        )
        assert new_problems(preview, preview_baseline) == []


def test_markdown_and_titles_through_the_console_stay_inert(app: Flask, county: County) -> None:
    app.config["STAFF_PAGE_SIZE"] = 100  # the whole corpus on one page of the list
    client = sign_in(app, county.editor_a)
    baseline = new_post(client, county, body="一段普通的文字。", title="普通标题")
    reference = {
        "post": text_of(client.get(f"/staff/posts/{baseline.id}")),
        "edit": text_of(client.get(f"/staff/posts/{baseline.id}/edit")),
    }
    failures = []
    for payload in XSS_CORPUS:
        post = new_post(client, county, body=payload, title=payload)
        assert post.body == payload.strip()
        for name in ("post", "edit"):
            url = f"/staff/posts/{post.id}" + ("/edit" if name == "edit" else "")
            found = new_problems(text_of(client.get(url)), reference[name])
            if found:
                failures.append((name, payload, found))
        preview = text_of(
            client.post(
                f"/staff/posts/{post.id}/edit",
                data={"category": "disclosure", "title": payload, "body": payload, "preview": "1"},
            )
        )
        found = new_problems(preview, reference["edit"])
        if found:
            failures.append(("preview", payload, found))
    listing = text_of(client.get("/staff/posts?state=all"))
    assert listing.count('<th scope="row">') == len(XSS_CORPUS) + 1
    assert new_problems(listing, text_of(client.get("/staff/posts?state=submitted"))) == []
    assert failures == []


def test_a_published_corpus_table_is_inert_on_the_residents_page(
    app: Flask, county: County
) -> None:
    author = sign_in(app, county.editor_a)
    rows = corpus_tables()[0]
    post = new_post(author, county, table_file=as_csv(rows), body="\n\n".join(XSS_CORPUS[:10]))
    baseline = new_post(author, county, table_file=as_csv(harmless(rows)))
    for made in (post, baseline):
        service.submit(county.editor_a, made)
        service.approve(county.reviewer_a, made)
    db.session.commit()
    resident = app.test_client()
    url = f"/v/{county.a.code}/posts/{{}}"
    shown = text_of(resident.get(url.format(post.id)))
    reference = text_of(resident.get(url.format(baseline.id)))
    assert "alert(1)" in shown  # the cells are there, as text
    assert new_problems(shown, reference) == []
    stored = db.session.scalar(select(Post.table_data).where(Post.id == post.id))
    assert Table.from_json(stored).rows[0] == ("1", XSS_CORPUS[0])  # type: ignore[arg-type]


def test_the_corpus_is_imported_whole(app: Flask) -> None:
    """Each payload fits a cell, so none is refused (and so untested) by the length limit."""
    assert all(len(p) <= service.CELL_MAX_LENGTH for p in XSS_CORPUS)
    assert len(set(XSS_CORPUS)) >= 50
    assert re.search(r"<script", "".join(XSS_CORPUS))
