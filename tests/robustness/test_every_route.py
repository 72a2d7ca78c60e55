"""No input makes a 500: every rule of ``app.url_map``, with every method it takes (GET and
POST), is driven with hostile values of each class, anonymously and signed in as an
administrator, and no answer may be a 5xx. Built from the url_map, so a new route is walked
without anyone remembering to add it.

For each route the walk first sends a request with real values (the demo county's plate,
village, post, booking...), noting which query parameters and form fields the view reads; then:

- each URL argument replaced by hostile values: ids of 2^31, 2^63, 10^20, -1, 0 and 5,000
  digits; a NUL, 2^63 and 10^20 in a code or token;
- each parameter or field the view read, alone, set to the numbers above, the first and last
  days a date can have, and JSON-like text nested 100,000 deep (as the person the route is
  for: the console's routes signed in, the others anonymously);
- a NUL in a query value, a query name and a form field; ``q=%00``; a page of 2^63;
- for a POST, bodies of JSON nested 100,000 deep, closed and unclosed.

A route with a URL argument this module has no real value for fails until it is taught one
(``Known`` in conftest.py, or ``PER_ENDPOINT``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import pytest
from flask import Flask, Request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from .conftest import ADMIN, ADMIN_PASSWORD, Known

IGNORED_METHODS = {"HEAD", "OPTIONS"}
# Values an endpoint needs that differ from the argument's usual meaning.
PER_ENDPOINT = {"i18n.switch": {"code": "en"}}
# A download route is walked in its cheapest format: the walk is about input, not rendering.
CHEAPEST_FORMATS = ("csv", "txt", "html", "svg", "png", "xlsx", "pdf")

NUL = "A\0B"
NUMBERS = ["-1", str(2**31), str(2**63)]  # an OFFSET, an INTEGER and a BIGINT out of range
IDS = [*NUMBERS, "9" * 20, "1" + "0" * 5000]
CODES = [NUL, str(2**63)]
DAYS = ["0001-01-01", "9999-12-31"]
NESTED = "[" * 100_000
FIELD_VALUES = [*NUMBERS, *DAYS, NESTED]
JSON_BODIES = [NESTED, "[" * 50_000 + "]" * 50_000]
ALWAYS = [{"q": "\0"}, {NUL: "1"}, {"page": str(2**63)}]

_ARGUMENT = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")
_read: set[str] = set()


class _Noting(ImmutableMultiDict[str, Any]):
    """The query, form and files of a request, noting each name a view looks up."""

    def __contains__(self, key: object) -> bool:
        _read.add(str(key))
        return super().__contains__(key)

    def __getitem__(self, key: str) -> Any:
        _read.add(key)
        return super().__getitem__(key)

    def get(self, key: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        _read.add(key)
        return super().get(key, *args, **kwargs)

    def getlist(self, key: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        _read.add(key)
        return super().getlist(key, *args, **kwargs)


class NotingRequest(Request):
    parameter_storage_class = _Noting


class Walk:
    """One identity's walk over the app; ``failures`` lists every 5xx."""

    def __init__(self, app: Flask, known: Known, signed_in: bool) -> None:
        self.app = app
        self.known = known
        self.signed_in = signed_in
        self.client = app.test_client()
        self.failures: list[str] = []
        self.sent = 0
        if signed_in:
            self._sign_in()

    def _sign_in(self) -> None:
        """Sign in, leaving the names the route walked so far noted as they were."""
        noted = set(_read)
        response = self.client.post(
            "/staff/login", data={"username": ADMIN, "password": ADMIN_PASSWORD}
        )
        assert response.status_code == 302, "the administrator could not sign in"
        _read.clear()
        _read.update(noted)

    def send(self, method: str, path: str, **kwargs: Any) -> TestResponse:
        """One request; a 5xx is noted. Signed out by the request (its route signs out, or
        ends the sessions), the walk signs in again and sends it once more."""
        response = self._send(method, path, **kwargs)
        if self.signed_in and _sends_to_sign_in(response):
            self._sign_in()
            response = self._send(method, path, **kwargs)
        return response

    def _send(self, method: str, path: str, **kwargs: Any) -> TestResponse:
        self.sent += 1
        response = self.client.open(path, method=method, **kwargs)
        response.close()  # a file's answer holds it open until read or closed
        if response.status_code >= 500:
            shown = path if len(path) < 120 else path[:100] + "…"
            body = {k: (v if len(str(v)) < 40 else "…") for k, v in kwargs.items()}
            self.failures.append(f"{method} {shown!r} {body} -> {response.status_code}")
        return response

    def route(self, rule: Rule, method: str) -> None:
        values = self._real_values(rule)
        path = _path(rule, values)
        _read.clear()
        self.send(method, path, **({"data": {"walked": "1"}} if method == "POST" else {}))
        # Parameters are walked as the person the route is for: the console's signed in.
        ours = rule.endpoint.startswith("staff.") == self.signed_in
        read = sorted(_read - {"walked"}) if ours else []
        for name, value in _hostile_arguments(rule, values):
            self.send(method, _path(rule, {**values, name: value}))
        for name in read:
            for value in FIELD_VALUES:
                self._with(method, path, {name: value})
        for extra in ALWAYS:
            if not extra.keys() & set(read):
                self._with(method, path, extra)
        if method == "POST":
            for body in JSON_BODIES:
                self.send(method, path, data=body, content_type="application/json")

    def _with(self, method: str, path: str, params: dict[str, str]) -> None:
        if method == "GET":
            self.send(method, f"{path}?{urlencode(params)}")
        else:
            self.send(method, path, data=params)

    def _real_values(self, rule: Rule) -> dict[str, str]:
        values = {**self.known.values, **PER_ENDPOINT.get(rule.endpoint, {})}
        for converter, options, name in _ARGUMENT.findall(rule.rule):
            if converter == "any":
                offered = [o.strip() for o in options.split(",")]
                values[name] = next(f for f in CHEAPEST_FORMATS if f in offered)
            elif name not in values:
                pytest.fail(
                    f"{rule.rule} takes {name!r}: give the walk a real value for it "
                    "(Known in tests/robustness/conftest.py)"
                )
        return values


def _sends_to_sign_in(response: TestResponse) -> bool:
    return (
        response.status_code in (302, 303)
        and urlsplit(response.headers.get("Location", "")).path == "/staff/login"
    )


def _path(rule: Rule, values: dict[str, str]) -> str:
    return _ARGUMENT.sub(lambda m: quote(values[m[3]], safe=""), rule.rule)


def _hostile_arguments(rule: Rule, values: dict[str, str]) -> Iterator[tuple[str, str]]:
    for converter, _options, name in _ARGUMENT.findall(rule.rule):
        if converter == "int":
            yield from ((name, value) for value in IDS)
        elif converter != "any":
            yield from ((name, value) for value in CODES)


def _routes(app: Flask) -> list[tuple[Rule, str]]:
    """Every (rule, method), the GETs first: a POST may change what a GET would find."""
    return sorted(
        (
            (rule, method)
            for rule in app.url_map.iter_rules()
            for method in (rule.methods or set()) - IGNORED_METHODS
        ),
        key=lambda pair: (pair[1] != "GET", pair[0].rule, pair[1]),
    )


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "administrator"])
def test_no_input_makes_a_server_error(walk_app: Flask, known: Known, signed_in: bool) -> None:
    walk_app.request_class = NotingRequest
    walk = Walk(walk_app, known, signed_in)
    routes = _routes(walk_app)
    assert {method for _rule, method in routes} <= {"GET", "POST"}, "walk the new method too"
    for rule, method in routes:
        walk.route(rule, method)
    assert not walk.failures, f"{len(walk.failures)} of {walk.sent} requests failed:\n" + "\n".join(
        walk.failures
    )
