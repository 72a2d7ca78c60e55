"""Language selection and the completeness of both message catalogues."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import get_locale

from doorplate.config import DEFAULTS
from doorplate.i18n import _best_match

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "doorplate" / "translations"
LOCALES = ["zh_Hans_CN", "en"]


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "expected"),
    [
        ("", None, None, "zh_Hans_CN"),
        ("", None, "en-US,en;q=0.9", "en"),
        ("", None, "zh-CN,zh;q=0.9,en;q=0.8", "zh_Hans_CN"),
        ("", None, "fr-FR", "zh_Hans_CN"),
        ("", "en", "zh-CN", "en"),
        ("", "zh", "en-US", "zh_Hans_CN"),
        ("?lang=en", "zh", "zh-CN", "en"),
        ("?lang=zh", "en", "en-US", "zh_Hans_CN"),
        ("?lang=xx", "en", None, "en"),
    ],
)
def test_locale_is_explicit_then_cookie_then_accept_language(
    zh_app: Flask, query: str, cookie: str | None, accept: str | None, expected: str
) -> None:
    headers = {"Accept-Language": accept} if accept else {}
    if cookie:
        headers["Cookie"] = f"lang={cookie}"
    with zh_app.test_request_context("/" + query, headers=headers):
        assert str(get_locale()) == expected


def test_language_switch_sets_cookie_and_returns_to_a_safe_page(client: FlaskClient) -> None:
    response = client.get("/lang/en?next=/staff/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/login"
    assert "lang=en" in response.headers["Set-Cookie"]
    for evil in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = client.get("/lang/zh", query_string={"next": evil})
        assert response.headers["Location"] == "/"


def _source_messages() -> set[str]:
    method_map = [("doorplate/**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    ids: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, keywords=keywords
    ):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


@pytest.mark.parametrize("locale", LOCALES)
def test_every_source_string_is_translated(locale: str) -> None:
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    untranslated = sorted(
        m
        for m in _source_messages()
        if m not in catalog
        or not catalog[m].string
        or "fuzzy" in catalog[m].flags
        or (isinstance(catalog[m].string, tuple) and not all(catalog[m].string))
    )
    assert untranslated == [], f"run scripts/i18n.py and translate: {untranslated[:20]}"


def _plain(string: str | list[str] | tuple[str, ...]) -> str | tuple[str, ...]:
    return string if isinstance(string, str) else tuple(string)


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalogue_matches_source(locale: str) -> None:
    folder = TRANSLATIONS / locale / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as f:
        po = {_plain(m.id): _plain(m.string) for m in read_po(f) if m.id and m.string}
    with (folder / "messages.mo").open("rb") as f:
        mo = {_plain(m.id): _plain(m.string) for m in read_mo(f) if m.id}
    assert mo == po, "run scripts/i18n.py to recompile the catalogues"


def test_chinese_is_the_default_language(make_app: Callable[..., Flask]) -> None:
    # Requests outside any pushed app context: flask-babel caches the locale on ``g``.
    client = make_app(BABEL_DEFAULT_LOCALE=DEFAULTS["BABEL_DEFAULT_LOCALE"]).test_client()
    page = client.get("/").get_data(as_text=True)
    assert 'lang="zh-CN"' in page
    assert "智慧门牌" in page and "Digital Doorplate" not in page
    english = client.get("/?lang=en").get_data(as_text=True)
    assert 'lang="en"' in english
    assert "Digital Doorplate" in english and "智慧门牌" not in english


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("zh-CN,zh;q=0.9", "zh"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("zh-TW,zh;q=0.9,en;q=0.5", "zh"),
        ("fr-FR,fr;q=0.9", None),
        ("", None),
        ("en;q=0.1,zh;q=0.2", "zh"),
    ],
)
def test_accept_language_is_parsed_once_per_distinct_header(header: str, lang: str | None) -> None:
    _best_match.cache_clear()
    assert _best_match(header) == lang
    assert _best_match(header) == lang
    assert _best_match.cache_info().hits == 1
