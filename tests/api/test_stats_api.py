"""``GET /api/v1/stats``: the generated county's figures (tests/stats/conftest.py), equal to the
tallies they come from, for any area and period; every response checked against the document."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from stats import conftest as generated
from stats.conftest import County

from doorplate.db import db, utcnow
from doorplate.i18n import county_zone
from doorplate.publications.models import Category
from doorplate.staff.service import Scope
from doorplate.stats.tallies import Period, tally

TOWN_A, TOWN_B = "330327100", "330327101"
VILLAGE_A1, VILLAGE_B1 = "330327100201", "330327101201"

# The statistics' generated county, under a name of its own: here ``county`` is the API tests'.
stats_county = generated.county


def expected(period: Period, area: Scope | None = None) -> dict[str, Any]:
    """The figures the API should give, read from the tallies, not from the API's code."""
    figures = tally(period, area or Scope())
    db.session.commit()  # end the read: the API's request must not queue behind it on SQLite
    median = figures.median_handling
    return {
        "households_registered": figures.households_registered,
        "households_covered": figures.households_covered,
        "visits": figures.visits,
        "unique_visitors": figures.unique_visitors,
        "published": {
            **{category.value: figures.published.of(category) for category in Category},
            "three_affairs": figures.published.three_affairs,
            "total": figures.published.total,
        },
        "bookings_received": figures.bookings_received,
        "requests_received": figures.requests_received,
        "completed": figures.completed,
        "cancelled": figures.cancelled,
        "no_show": figures.no_show,
        "median_handling_seconds": median.total_seconds() if median else None,
    }


def figures_of(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key not in {"from", "to", "area"}}


def test_a_year_of_the_county_equals_its_tally(api: FlaskClient, stats_county: County) -> None:
    want = expected(Period.year(2021))
    response = api.get("/api/v1/stats?from=2021-01-01&to=2022-01-01")
    assert response.status_code == 200
    body = response.json
    assert figures_of(body) == want
    # The fixture's known figures, so that equal-to-the-tally is not equal-to-nothing.
    assert (body["visits"], body["completed"], body["published"]["three_affairs"]) == (13, 4, 6)
    assert body["median_handling_seconds"] == 91_800  # 25.5 h
    assert (body["from"], body["to"]) == ("2021-01-01", "2022-01-01")
    assert body["area"] == {"level": "county", "county": "苍南县", "town": None, "village": None}
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_a_town_and_a_village(api: FlaskClient, stats_county: County) -> None:
    year = Period.year(2021)
    town = api.get(f"/api/v1/stats?from=2021-01-01&to=2022-01-01&town={TOWN_A}").json
    assert figures_of(town) == expected(year, Scope(town_id=stats_county.town_a))
    assert town["area"]["town"] == {"code": TOWN_A, "name": "灵溪镇"}
    assert town["visits"] == 9
    village = api.get(
        f"/api/v1/stats?from=2021-01-01&to=2022-01-01&town={TOWN_B}&village={VILLAGE_B1}"
    ).json
    assert figures_of(village) == expected(year, Scope(village_id=stats_county.village_b1))
    assert village["area"] == {
        "level": "village",
        "county": "苍南县",
        "town": {"code": TOWN_B, "name": "钱库镇"},
        "village": {"code": VILLAGE_B1, "name": "项东村"},
    }
    alone = api.get(f"/api/v1/stats?from=2021-01-01&to=2022-01-01&village={VILLAGE_B1}").json
    assert alone == village  # the town is optional with a village


def test_without_from_it_is_since_launch_and_without_to_up_to_today(
    api: FlaskClient, stats_county: County
) -> None:
    tomorrow = utcnow().astimezone(county_zone()).date() + timedelta(days=1)
    body = api.get("/api/v1/stats").json
    assert (body["from"], body["to"]) == (None, tomorrow.isoformat())
    assert figures_of(body) == expected(Period.until(tomorrow))
    assert body["visits"] == 15  # 2020, 2021 and 2022 alike
    cumulative = api.get("/api/v1/stats?to=2022-01-01").json
    assert figures_of(cumulative) == expected(Period.until(date(2022, 1, 1)))
    assert cumulative["visits"] == 14


def test_to_is_exclusive(api: FlaskClient, stats_county: County) -> None:
    # One visit at 23:50 on 31 December 2020 and one at 00:10 on 1 January 2021, county time.
    assert api.get("/api/v1/stats?from=2020-12-31&to=2021-01-01").json["visits"] == 1
    assert api.get("/api/v1/stats?from=2020-12-31&to=2021-01-02").json["visits"] == 2
    assert api.get("/api/v1/stats?from=2021-01-01&to=2021-01-02").json["visits"] == 1


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("from=2021-13-01", "from"),
        ("from=2021-02-30", "from"),
        ("from=20210101", "from"),
        ("to=2021-1-1", "to"),
        ("to=１９９９-01-01", "to"),
        ("from=1999-12-31", "from"),
        ("to=3000-01-01", "to"),
        ("from=2021-01-01&to=2021-01-01", "from"),  # empty: from must come before to
        ("from=2022-01-01&to=2021-01-01", "from"),
        ("from=2000-01-01&to=2011-01-10", "from"),  # longer than ten years
    ],
)
def test_bad_periods_are_400_naming_the_parameter(
    api: FlaskClient, stats_county: County, query: str, parameter: str
) -> None:
    response = api.get(f"/api/v1/stats?{query}")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_parameter"
    assert response.json["error"]["parameter"] == parameter
    assert parameter in response.json["error"]["message"]


def test_ten_years_is_allowed(api: FlaskClient, stats_county: County) -> None:
    assert api.get("/api/v1/stats?from=2012-01-01&to=2022-01-01").status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "town=330327999",
        "village=330327100299",
        f"town={TOWN_B}&village={VILLAGE_A1}",  # a real village, in another town
    ],
)
def test_unknown_places_are_404(api: FlaskClient, stats_county: County, query: str) -> None:
    response = api.get(f"/api/v1/stats?{query}")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_messages_follow_the_language(api: FlaskClient, stats_county: County) -> None:
    english = api.get("/api/v1/stats?town=330327999&lang=en").json["error"]["message"]
    assert english == "There is no town with this code."


def test_aggregates_only(api: FlaskClient, stats_county: County) -> None:
    """Nothing about one household: no address, plate code or reference in the answer."""
    text = api.get("/api/v1/stats?town=" + TOWN_A).get_data(as_text=True)
    for personal in ("号", "T000000000000001", "R00001", "社保卡"):
        assert personal not in text
