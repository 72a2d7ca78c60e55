"""The resident pages' fixtures: the publication tests' small county (villages A and A2 in town 1,
B in town 2, staff of every scope), households with plates, and posts published through the real
workflow at a fixed time in the past so their dates are known."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import flask_babel
import pytest
from flask.testing import FlaskClient
from publications.conftest import County, county, published  # noqa: F401 (county: a fixture)

from doorplate.db import db
from doorplate.places.models import Household, Village
from doorplate.plates import service as plates
from doorplate.publications.models import Category, Post

# Approvals happen at T0, 10:00 on 1 November 2026 in the county; the dates shown follow from it.
T0 = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
PHONE_UA = "Mozilla/5.0 (Linux; Android 12) AppleWebKit/537.36 Chrome/107.0 Mobile Safari/537.36"


@pytest.fixture
def plate_of(make_household: Callable[..., Household]) -> Callable[..., str]:
    """``plate_of(village, **household fields)``: a new household's active plate token."""

    def make(village: Village, **fields: Any) -> str:
        household = make_household(village, **fields)
        plates.issue_missing()
        db.session.commit()
        plate = plates.active_plate(household)
        assert plate is not None
        return plate.token

    return make


def post_in(
    county: County,  # noqa: F811 (the fixture's value, passed on)
    place: str,
    title: str,
    *,
    category: Category = Category.AFFAIRS,
    day: int = 0,
    **fields: Any,
) -> Post:
    """A post published at T0 + ``day`` days by the right author and reviewer for ``place``:
    ``"a"``, ``"a2"``, ``"b"`` (villages), ``"town1"``, ``"town2"`` or ``"county"``."""
    author, reviewer, where = {
        "a": (county.editor_a, county.reviewer_a, {"village": county.a}),
        "a2": (county.editor_a2, county.reviewer_a2, {"village": county.a2}),
        "b": (county.editor_b, county.reviewer_town2, {"village": county.b}),
        "town1": (county.reviewer_town1, county.county, {"town": county.town1}),
        "town2": (county.reviewer_town2, county.county, {"town": county.town2}),
        "county": (county.county, county.admin, {}),
    }[place]
    return published(
        author,
        reviewer,
        title=title,
        category=category,
        publish_at=T0 + timedelta(days=day),
        now=T0,
        **where,
        **fields,
    )


def page(client: FlaskClient, path: str, status: int = 200, **kwargs: Any) -> str:
    """The page at ``path`` as text, after checking its status."""
    kwargs.setdefault("headers", {"User-Agent": PHONE_UA})
    # The test's app context (and its ``g``) is shared by the requests it makes, and flask-babel
    # keeps the locale in ``g``: forget it, so each request chooses its language as in production.
    flask_babel.refresh()
    response = client.get(path, **kwargs)
    assert response.status_code == status, (path, response.status_code)
    return response.get_data(as_text=True)


def links(html: str) -> dict[str, str]:
    """Each link's text (tags stripped) and its target."""
    found = re.findall(r'<a [^>]*href="([^"]*)"[^>]*>(.*?)</a>', html, re.S)
    return {unescape(re.sub(r"<[^>]+>", "", text)).strip(): unescape(href) for href, text in found}


def headings(html: str, level: int = 2) -> list[str]:
    return [
        unescape(re.sub(r"<[^>]+>", "", h)).strip()
        for h in re.findall(rf"<h{level}[^>]*>(.*?)</h{level}>", html, re.S)
    ]
