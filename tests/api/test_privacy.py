"""Nothing personal in any API response: no names, phones or household counts; two households of
one village get the same answers apart from their address and their own plate link."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from flask.testing import FlaskClient
from publications.conftest import County, published

from doorplate.db import db
from doorplate.places.models import Household
from doorplate.plates import service as plates
from doorplate.plates.models import RevokeReason

from .conftest import Door

SECRETS = ["王小明", "李秀英", "张伟", "13812345678", "13987654321", "15000001111"]
INTEGER_FIELDS = {"id", "page", "per_page", "total", "size"}  # every number the API may give


def _walk(data: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    yield key, data
    if isinstance(data, dict):
        for name, value in data.items():
            yield from _walk(value, name)
    elif isinstance(data, list):
        for value in data:
            yield from _walk(value, key)


def test_personal_data_never_appears_in_any_response(
    api: FlaskClient, county: County, make_door: Callable[..., Door]
) -> None:
    first = make_door(county.a, head_name="王小明", phone="13812345678")
    second = make_door(county.a, head_name="李秀英", phone="13987654321")
    revoked = make_door(county.a, head_name="张伟", phone="15000001111")
    make_door(county.b, head_name="张伟", phone="15000001111")
    household = db.session.get(Household, revoked.household_id)
    assert household is not None
    plates.revoke("test", household, RevokeReason.MOVED)
    db.session.commit()
    post = published(county.editor_a, county.reviewer_a, village=county.a)
    expected = {
        f"/api/v1/plates/{first.token}": 200,
        f"/api/v1/plates/{second.token.lower()}": 200,
        f"/api/v1/plates/{revoked.token}": 410,
        "/api/v1/plates/ZZZZZZZZZZZZZZZZ": 404,
        "/api/v1/villages/330327100201/posts": 200,
        "/api/v1/villages/330327101201/posts": 200,
        "/api/v1/villages/330327100201/posts?category=affairs&q=村道": 200,
        "/api/v1/villages/330327100201/posts?page=x": 400,
        f"/api/v1/posts/{post.id}": 200,
        "/api/v1/openapi.json": 200,
        "/api/v1/households": 404,
    }
    for path, status in expected.items():
        response = api.get(path)
        assert response.status_code == status, path
        text = response.get_data(as_text=True)
        for secret in SECRETS:
            assert secret not in text, (path, secret)
        if path.endswith("openapi.json"):
            continue
        for key, value in _walk(response.json):
            assert "household" not in key and not key.endswith("count"), (path, key)
            if isinstance(value, int) and not isinstance(value, bool):
                assert key in INTEGER_FIELDS, (path, key)


def test_two_households_of_a_village_differ_only_in_address_and_plate_link(
    api: FlaskClient, county: County, make_door: Callable[..., Door]
) -> None:
    doors = [
        make_door(county.a, head_name="王小明", phone="13812345678"),
        make_door(county.a, head_name="李秀英", phone="13987654321"),
    ]
    answers = [api.get(f"/api/v1/plates/{door.token}").json for door in doors]
    for door, answer in zip(doors, answers, strict=True):
        assert answer.pop("address") == door.address
        assert answer["links"].pop("plate_page").endswith(f"/P/{door.token}")
    assert json.dumps(answers[0], sort_keys=True) == json.dumps(answers[1], sort_keys=True)
    assert doors[0].address != doors[1].address
