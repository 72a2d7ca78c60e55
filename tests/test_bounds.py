"""The bounds every request is held to (doorplate/bounds.py), each class with its own corpus:
JSON nesting measured without recursion, ids in URLs, whole numbers and pages."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound

from doorplate import create_app
from doorplate.bounds import (
    JSON_DEPTH_MAX,
    MAX_ID,
    PAGE_MAX,
    BadInput,
    JsonTooDeep,
    json_loads,
    page_number,
    whole_number,
)

LIMIT = JSON_DEPTH_MAX
URL_MAP = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"}).url_map


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


def _nested(depth: int, kind: str = "[]") -> str:
    """``depth`` levels of arrays (``[]``), objects (``{}``) or both in turn (``mix``)."""
    text = "1"
    for level in range(depth):
        array = kind == "[]" or (kind == "mix" and level % 2 == 0)
        text = f"[{text}]" if array else f'{{"k": {text}}}'
    return text


ACCEPTED = [
    "{}",
    "[]",
    '"]]]]"',
    _nested(LIMIT),
    _nested(LIMIT, "{}"),
    _nested(LIMIT, "mix"),
    "[" + ",".join([_nested(LIMIT - 1)] * 50) + "]",  # wide, each branch at the limit
    '["[[[[", "\\"[", "\\\\", "\\\\\\"[{"]',  # brackets and escapes inside strings
    '{"a": "\\u005b\\u005b", "b": [1, 2.5e3, true, false, null]}',
    " \t\n[ 1 ]\r\n",
    '["渡龙村", {"上垟路": ["2号"]}]',
]
TOO_DEEP = [
    _nested(LIMIT + 1),
    _nested(LIMIT + 1, "{}"),
    _nested(LIMIT + 1, "mix"),
    "[" * 50_000 + "]" * 50_000,
    '["' + "]" * 40 + '", ' + _nested(LIMIT + 1) + "]",  # closers in a string close nothing
    '[1, {"a": [2, ' + _nested(LIMIT - 1) + "]}]",  # deep only in one branch
    "[" * (LIMIT + 1) + "[]" * 10 + "]" * (LIMIT + 1),
    "[" * 100_000,  # the body: never closed, and too deep long before that matters
]
NOT_JSON = [
    "[" * LIMIT,  # never closed
    "]",
    "[1,2",
    "[}",
    '["not closed]',
    "\u00a0[]",  # JSON's white space is ASCII
    "[1] x",
    "",
]


@pytest.mark.parametrize("text", ACCEPTED)
def test_shallow_json_reads_as_json_loads_reads_it(text: str) -> None:
    assert json_loads(text) == json.loads(text)
    assert json_loads(text.encode()) == json.loads(text)


@pytest.mark.parametrize("text", TOO_DEEP, ids=range(len(TOO_DEEP)))
def test_deeper_than_the_limit_is_refused(text: str) -> None:
    with pytest.raises(JsonTooDeep):
        json_loads(text)


@pytest.mark.parametrize("text", NOT_JSON, ids=range(len(NOT_JSON)))
def test_what_is_not_json_is_a_value_error_not_a_recursion(text: str) -> None:
    with pytest.raises(ValueError) as refused:
        json_loads(text)
    assert not isinstance(refused.value, JsonTooDeep)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-be", "utf-32"])
def test_bytes_are_decoded_as_json_loads_decodes_them(encoding: str) -> None:
    text = '{"村": ["⟦[", "]]"]}'  # U+27E6 is 0x27 0xE6 in UTF-16: no byte taken for a bracket
    assert json_loads(text.encode(encoding)) == json.loads(text)
    with pytest.raises(JsonTooDeep):
        json_loads(_nested(LIMIT + 1).encode(encoding))


def test_the_measure_agrees_with_the_real_depth_on_a_random_corpus() -> None:
    """Negative control for the measure itself: on bodies of every depth around the limit,
    built at random, refused exactly when deeper than the limit."""
    rng = random.Random(16)
    strings = ['"a"', '"]"', '"[{"', '"\\\\"', '"\\"]"', "1", "null"]

    def build(depth: int) -> str:
        if depth == 0:
            return rng.choice(strings)
        inner = [build(depth - 1), *(build(rng.randint(0, min(depth - 1, 2))) for _ in range(2))]
        rng.shuffle(inner)
        if rng.random() < 0.5:
            return "[" + ", ".join(inner) + "]"
        return "{" + ", ".join(f'"k{i}": {v}' for i, v in enumerate(inner)) + "}"

    for depth in [*range(LIMIT - 3, LIMIT + 4)] * 4:
        text = build(depth)
        assert _depth(json.loads(text)) == depth
        if depth <= LIMIT:
            assert json_loads(text) == json.loads(text)
        else:
            with pytest.raises(JsonTooDeep):
                json_loads(text)


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("1", 1),
        ("20", 20),
        (str(PAGE_MAX), PAGE_MAX),
        ("0", None),
        ("-1", None),
        ("+1", None),
        ("1_0", None),
        ("1.0", None),
        ("１２", None),  # full-width
        ("١٢", None),  # Arabic-Indic
        (str(PAGE_MAX + 1), None),
        (str(2**63), None),
        ("9" * 5000, None),  # int() refuses 4,300+ digits with an error of its own
        ("", None),
    ],
)
def test_whole_numbers(value: str, number: int | None) -> None:
    assert whole_number(value, PAGE_MAX) == number


def test_the_page_is_one_when_absent_and_refused_when_no_page() -> None:
    assert page_number(MultiDict()) == 1
    assert page_number(MultiDict({"page": " "})) == 1
    assert page_number(MultiDict({"page": "7"})) == 7
    for wrong in ("0", "abc", str(2**63), "-3"):
        with pytest.raises(BadInput) as refused:
            page_number(MultiDict({"page": wrong}))
        assert refused.value.parameter == "page"
        assert f"from 1 to {PAGE_MAX}" in str(refused.value.description)


@pytest.mark.parametrize(
    ("number", "routed"),
    [
        ("1", True),
        (str(MAX_ID), True),
        ("0007", True),
        (str(MAX_ID + 1), False),
        (str(2**63), False),
        ("9" * 20, False),
        ("0", False),
        ("-1", False),
        ("١٢", False),
        ("１２", False),
    ],
)
def test_an_int_in_a_url_is_an_id_that_fits_an_integer_column(number: str, routed: bool) -> None:
    adapter = URL_MAP.bind("localhost")
    if routed:
        endpoint, values = adapter.match(f"/staff/households/{number}")
        assert endpoint == "staff.household" and values["household_id"] == int(number)
    else:
        with pytest.raises(NotFound):
            adapter.match(f"/staff/households/{number}")
