"""``GET /api/v1/plates/{token}``: the address, the village and links; 404 and 410 like the page."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from publications.conftest import County
from sqlalchemy import func, select, update

from doorplate.db import db
from doorplate.places.models import Household, Village
from doorplate.plates import service, tokens
from doorplate.plates.models import Plate, RevokeReason
from doorplate.visits.models import Visit

from .conftest import Door

BASE = "https://dp.example.gov.cn"
PHONE_BROWSER = "Mozilla/5.0 (Linux; Android 12) AppleWebKit/537.36 Chrome/107.0 Mobile Safari"


def _with_office(village: Village) -> Village:
    village.office_phone = "0577-68888888"
    village.office_address = "渡龙村村委会一楼"
    village.office_hours = "工作日 8:30–17:00"
    db.session.commit()
    return village


def test_a_plate_gives_its_address_village_and_links(
    api: FlaskClient, county: County, make_door: Callable[..., Door]
) -> None:
    village = _with_office(county.a)
    door = make_door(village)
    response = api.get(f"/api/v1/plates/{door.token}")
    assert response.status_code == 200
    assert response.json == {
        "address": door.address,
        "village": {
            "code": "330327100201",
            "name": "渡龙村",
            "town": {"code": county.town1.code, "name": county.town1.name},
            "office_phone": "0577-68888888",
            "office_address": "渡龙村村委会一楼",
            "office_hours": "工作日 8:30–17:00",
        },
        "links": {
            "plate_page": f"{BASE}/P/{door.token}",
            "village_page": f"{BASE}/v/330327100201/",
            "village_posts": f"{BASE}/api/v1/villages/330327100201/posts",
        },
    }
    assert response.headers["Cache-Control"] == "no-store"  # it carries an address


def test_every_link_leads_to_its_page(
    api: FlaskClient, county: County, make_door: Callable[..., Door]
) -> None:
    door = make_door(county.a)
    links = api.get(f"/api/v1/plates/{door.token}").json["links"]
    plate_page = api.get(links["plate_page"].removeprefix(BASE))
    assert plate_page.status_code == 200 and door.address in plate_page.get_data(as_text=True)
    village_page = api.get(links["village_page"].removeprefix(BASE))
    assert village_page.status_code == 200 and "渡龙村" in village_page.get_data(as_text=True)
    assert api.get(links["village_posts"].removeprefix(BASE)).status_code == 200


def test_an_office_without_contact_details_gives_nulls(
    api: FlaskClient, county: County, make_door: Callable[..., Door]
) -> None:
    door = make_door(county.b)
    village = api.get(f"/api/v1/plates/{door.token}").json["village"]
    assert village["office_phone"] is village["office_address"] is village["office_hours"] is None


def test_any_case_lookalikes_and_the_printed_grouping_are_accepted(
    api: FlaskClient, county: County, make_door: Callable[..., Door]
) -> None:
    door = make_door(county.a)
    token = "0" * 8 + "1" * 8  # a token with every look-alike digit
    db.session.execute(update(Plate).where(Plate.token == door.token).values(token=token))
    db.session.commit()
    for typed in [token, token.lower(), "O" * 8 + "I" * 4 + "l" * 4, tokens.grouped(token)]:
        response = api.get(f"/api/v1/plates/{typed}")
        assert response.status_code == 200, typed
        assert response.json["address"] == door.address


def test_unknown_codes_all_get_the_same_bytes(
    api: FlaskClient, county: County, make_door: Callable[..., Door]
) -> None:
    door = make_door(county.a)
    almost = door.token[:-1] + ("0" if door.token[-1] != "0" else "1")
    guesses = [
        almost,  # one character off a real code
        "ZZZZZZZZZZZZZZZZ",
        "short",
        "U" * 16,  # not in the alphabet
        "x" * 500,
        "渡龙村上垟路1号",
        "../../etc/passwd",
        "a/b/c",
        "1' OR '1'='1",
    ]
    answers = {
        (r.status_code, r.get_data()) for r in (api.get(f"/api/v1/plates/{g}") for g in guesses)
    }
    assert len(answers) == 1
    status, body = answers.pop()
    assert status == 404
    assert b'"code":"not_found"' in body
    for guess in guesses:
        assert guess.encode() not in body
    # A NUL is refused before any plate is looked up: the same 400 beside a real code or not.
    refused = {api.get(f"/api/v1/plates/{g}%00").get_data() for g in (door.token, almost, "%00")}
    assert len(refused) == 1 and b'"code":"invalid_parameter"' in refused.pop()


def test_a_revoked_plate_is_gone_and_its_replacement_works(
    api: FlaskClient, county: County, make_door: Callable[..., Door]
) -> None:
    door = make_door(county.a)
    household = db.session.get(Household, door.household_id)
    assert household is not None
    new = service.reissue("test", household, RevokeReason.DAMAGED)
    new_token = new.token
    db.session.commit()
    gone = api.get(f"/api/v1/plates/{door.token.lower()}")
    assert gone.status_code == 410
    assert gone.json["error"]["code"] == "gone"
    assert door.address not in gone.get_data(as_text=True)
    assert gone.headers["Cache-Control"] == "no-store"
    assert api.get(f"/api/v1/plates/{new_token}").json["address"] == door.address


def test_a_lookup_is_not_a_visit_but_the_page_is(
    api: FlaskClient, county: County, make_door: Callable[..., Door]
) -> None:
    door = make_door(county.a)
    headers = {"User-Agent": PHONE_BROWSER}
    for _ in range(3):
        assert api.get(f"/api/v1/plates/{door.token}", headers=headers).status_code == 200
    assert db.session.scalar(select(func.count(Visit.id))) == 0
    # The negative control: the same browser opening the page is counted.
    assert api.get(f"/P/{door.token}", headers=headers).status_code == 200
    assert db.session.scalar(select(func.count(Visit.id))) == 1


def test_messages_follow_the_language_chinese_by_default(
    county: County, make_door: Callable[..., Door], make_api: Callable[..., FlaskClient]
) -> None:
    make_door(county.a)
    client = make_api(BABEL_DEFAULT_LOCALE="zh_Hans_CN")
    path = "/api/v1/plates/ZZZZZZZZZZZZZZZZ"
    chinese = "没有找到这块门牌。请核对二维码，或联系村委会。"
    english = "We could not find this doorplate. Check the code, or contact your village office."
    assert client.get(path).json["error"]["message"] == chinese
    assert client.get(path).get_data(as_text=True).count(chinese) == 1  # UTF-8, not \u escapes
    assert client.get(path, headers={"Accept-Language": "zh-CN"}).json["error"]["message"] == (
        chinese
    )
    for english_request in [
        {"headers": {"Accept-Language": "en-US,en;q=0.9"}},
        {"query_string": {"lang": "en"}},
    ]:
        assert client.get(path, **english_request).json["error"]["message"] == english
    assert client.get(path).headers["Vary"] == "Accept-Language, Cookie"
