"""Images in a post show only the post's own files: every reader's browser fetches an image
without a click, in the reader's name, so ``![a](/staff/plates/town/…/pdf)`` made a reviewer run
an export. Each way of writing another address, in Markdown and in raw HTML, loads nothing."""

from __future__ import annotations

import html
from html.parser import HTMLParser

import pytest
from conftest import signed_in_client
from flask import Flask

from doorplate.db import db
from doorplate.publications import attachments, service
from doorplate.publications.markdown import render, sanitise

from .conftest import County, draft
from .test_attachments import png

POST = 12  # the post being written
FILE = 3  # one of its files
OWN = f"/posts/{POST}/files/{FILE}"

FOREIGN = [
    # staff and other state-changing or personal URLs of this site
    "/staff/plates/town/330327100/pdf",
    "/staff/plates/village/330327100201/csv",
    "/staff/posts/12/attachments/3",  # the post's own file, but the staff-only address
    "/P/ABCDEFGHJKMNPQRS",  # a plate page: a scan would be counted as a visit
    "/lang/en",
    "/api/v1/plates/ABCDEFGHJKMNPQRS",
    "/static/a.png",
    # absolute, protocol-relative and other schemes
    "https://dp.example.gov.cn/posts/12/files/3",
    "http://dp.example.gov.cn/posts/12/files/3",
    "https://evil.example/a.png",
    "https://evil.example/posts/12/files/3",
    "//evil.example/posts/12/files/3",
    "///evil.example/posts/12/files/3",
    "\\\\evil.example\\posts\\12\\files\\3",
    "/\\evil.example/posts/12/files/3",
    "data:image/png;base64,iVBORw0KGgo=",
    "DATA:image/svg+xml,<svg/>",
    "javascript:alert(1)",
    "blob:https://dp.example.gov.cn/1",
    "file:///etc/passwd",
    # another post's files
    "/posts/7/files/3",
    "/posts/1/files/3",
    "/posts/120/files/3",
    "/posts/2/files/3",
    "/posts/-12/files/3",
    # case, encoding and spelling tricks on the own address
    "/POSTS/12/files/3",
    "/posts/12/FILES/3",
    "/Posts/12/Files/3",
    "/posts/012/files/3",
    "/posts/12/files/03",
    "/posts/12/files/0",
    "/posts/12/files/3?x=1",
    "/posts/12/files/3#x",
    "/posts/12/files/3/",
    "/posts/12/files/3.png",
    "/posts/12/files/3;x",
    "/posts/12/files/+3",
    "/posts/12//files/3",
    "//posts/12/files/3",
    "/./posts/12/files/3",
    "/posts/12/files/3/../../../staff/plates/town/330327100/pdf",
    "/posts/12/files/../../../staff/plates/town/330327100/pdf",
    "/posts/%31%32/files/3",
    "/posts/12/files/%33",
    "/posts/12%2Ffiles/3",
    "/posts/12/files/3%00",
    "/posts/12/files/3%0A",
    "/posts/12/files/3%2F..%2F..%2F..%2Fstaff",
    "/posts/１２/files/3",  # full-width digits
    "/posts/12/files/٣",  # Arabic-Indic three
    "/posts/12/files/𝟑",  # mathematical bold three
    "/posts/12/files/99999999999",  # longer than any id
    "posts/12/files/3",  # relative to the page it is on
    "./12/files/3",
    "../posts/12/files/3",
]


class _Images(HTMLParser):
    """Every image element's source as a browser would see it."""

    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag in ("img", "image", "source", "video", "audio", "picture") or (
            tag == "input" and named.get("type") == "image"
        ):
            self.sources.append(named.get("src") or named.get("srcset") or named.get("poster"))


def image_sources(markup: str) -> list[str | None]:
    parser = _Images()
    parser.feed(markup)
    return parser.sources


def _entities(url: str) -> str:
    return "".join(f"&#x{ord(ch):x};" for ch in url)


def _writings(url: str) -> dict[str, str]:
    """The ways an editor can write an image with address ``url`` (raw HTML is allowed)."""
    quoted = html.escape(url, quote=True)
    return {
        "markdown": f"看图 ![公示栏]({url.replace(' ', '%20')})",
        "markdown-title": f'![公示栏](<{url}> "t")',
        "reference": f"![公示栏][p]\n\n[p]: <{url}>",
        "html": f'<p><img src="{quoted}" alt="公示栏"></p>',
        "html-unquoted-upper": f"<IMG SRC={quoted} ALT=公示栏>",
        "html-entities": f'<img src="{_entities(url)}" alt="公示栏">',
        "html-in-link": f'<a href="https://www.cncn.gov.cn"><img src="{quoted}" alt="公示栏"></a>',
        "html-srcset": f'<img srcset="{quoted} 2x" alt="公示栏">',
        "html-picture": f'<picture><source srcset="{quoted}"><img alt="公示栏"></picture>',
    }


def test_the_corpus_is_large_enough() -> None:
    assert len(set(FOREIGN)) >= 50


def test_the_post_shows_its_own_file_written_any_way() -> None:
    """The positive control: the own address passes in every writing that can carry it."""
    for how, text in _writings(OWN).items():
        if how in ("html-srcset", "html-picture"):
            continue  # srcset is not allowed for anything
        assert image_sources(render(text, POST)) == [OWN], how
        assert image_sources(sanitise(text, POST)) in ([OWN], []), how


def test_a_checker_would_see_an_image() -> None:
    """A negative control for the checker: unsanitised writings do load their address."""
    for url in ("/staff/plates/town/330327100/pdf", "//evil.example/x"):
        assert any(image_sources(text) for text in _writings(url).values())


@pytest.mark.parametrize("url", FOREIGN)
def test_no_other_image_loads(url: str) -> None:
    for how, text in _writings(url).items():
        for shown in (render(text, POST), sanitise(text, POST)):
            assert [src for src in image_sources(shown) if src] == [], f"{how}: {shown}"


@pytest.mark.parametrize("url", FOREIGN[:10])
def test_a_markdown_image_elsewhere_becomes_its_alt_text(url: str) -> None:
    assert render(f"看图 ![公示栏]({url})", POST) == "<p>看图 公示栏</p>\n"


def test_a_new_post_has_no_images_at_all() -> None:
    """Before it is saved a post has no id and no files: no address is its own."""
    for how, text in _writings(OWN).items():
        assert [src for src in image_sources(render(text)) if src] == [], how


def test_residents_see_the_posts_own_image_and_reviewers_see_it_before_publishing(
    app: Flask, county: County
) -> None:
    post = draft(county.editor_a, village=county.a)
    file = attachments.add_attachment(county.editor_a, post, "公示栏.png", png())
    db.session.commit()
    own = f"/posts/{post.id}/files/{file.id}"
    service.update_post(
        county.editor_a,
        post,
        category=post.category,
        title=post.title,
        body=f"![公示栏]({own})\n\n![导出](/staff/plates/town/{county.town1.code}/pdf)",
    )
    db.session.commit()
    assert image_sources(post.body_html) == [own]
    # The reviewer, before it is live, sees the file through the staff download.
    page = signed_in_client(app, county.reviewer_a.username).get(f"/staff/posts/{post.id}")
    staff_url = f"/staff/posts/{post.id}/attachments/{file.id}"
    assert image_sources(page.get_data(as_text=True)) == [staff_url]
    assert signed_in_client(app, county.reviewer_a.username).get(staff_url).status_code == 200
    # Residents, once it is live, through the public one.
    service.submit(county.editor_a, post)
    service.approve(county.reviewer_a, post)
    db.session.commit()
    resident = app.test_client().get(f"/v/{county.a.code}/posts/{post.id}")
    assert image_sources(resident.get_data(as_text=True)) == [f"{own}/phone"]  # phone-sized
    assert app.test_client().get(own).status_code == 200
    assert app.test_client().get(f"{own}/phone").status_code == 200


def test_another_posts_file_is_not_shown(app: Flask, county: County) -> None:
    first = draft(county.editor_a, village=county.a)
    file = attachments.add_attachment(county.editor_a, first, "a.png", png())
    second = draft(county.editor_a, village=county.a)
    theirs = f"/posts/{first.id}/files/{file.id}"
    for post in (first, second):
        service.update_post(
            county.editor_a, post, category=post.category, title="t", body=f"![x]({theirs})"
        )
    db.session.commit()
    assert image_sources(first.body_html) == [theirs]  # the control: its own file
    assert image_sources(second.body_html) == []
