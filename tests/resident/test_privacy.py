"""A stranger at the door learns nothing personal: every household of a village gets the same page
but for its own address, and no page shows a household's head, phone or the number of households."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient
from publications.conftest import County

from doorplate.db import db
from doorplate.places.models import Household, Village
from doorplate.publications.models import Category

from .conftest import page, post_in

HEADS = {"王镕基": "13800138000", "林秀英": "13957712345"}


def _normalised(html: str, token: str, address: str) -> str:
    """The page without what legitimately differs: the CSP nonce, and the household's own
    address and plate code (the language and text-size links return to the plate page)."""
    html = re.sub(r'nonce="[^"]+"', 'nonce="N"', html)
    return html.replace(token, "TOKEN").replace(address, "ADDRESS")


def _households(county: County, plate_of: Callable[..., str]) -> list[tuple[str, str]]:
    """Two households of village A with their heads' names and phones: (token, address)."""
    made = []
    for n, (head, phone) in enumerate(HEADS.items(), start=1):
        address = f"灵溪镇渡龙村上垟路{n * 2}号"
        made.append((plate_of(county.a, address=address, head_name=head, phone=phone), address))
    return made


def _seed(county: County) -> None:
    post_in(county, "a", "村务公开", body="修缮村道一条。")
    post_in(county, "town1", "灵溪镇通知", category=Category.NOTICE)
    post_in(county, "county", "全县政策", category=Category.POLICY)
    county.a.office_phone = "0577-68710001"
    db.session.commit()


def test_two_households_of_a_village_see_the_same_page_but_for_the_address(
    client: FlaskClient, county: County, plate_of: Callable[..., str]
) -> None:
    _seed(county)
    (token1, address1), (token2, address2) = _households(county, plate_of)
    first = page(client, f"/P/{token1}")
    second = page(client, f"/P/{token2}")
    assert address1 in first and address2 not in first
    assert address2 in second and address1 not in second
    assert _normalised(first, token1, address1) == _normalised(second, token2, address2)
    # The address appears once, as the page's heading.
    assert first.count(address1) == 1 and f">{address1}</h1>" in first
    # The plate code appears only where the text-size and language switches return to the page
    # and in the household's own booking links; every link to the village's content is by
    # village code, so a shared link has no address.
    with_token = [href for href in re.findall(r'href="([^"]+)"', first) if token1 in href]
    assert [href.split("?")[0] for href in with_token] == [
        "/text/large",
        "/lang/zh",
        f"/P/{token1}/services",
        f"/P/{token1}/services#requests",
    ]


def test_no_page_shows_names_phones_or_household_counts(
    client: FlaskClient, county: County, plate_of: Callable[..., str]
) -> None:
    _seed(county)
    households = _households(county, plate_of)
    post = post_in(county, "a", "财务公开", category=Category.FINANCE)
    pages = [page(client, f"/P/{token}") for token, _address in households]
    for path in (
        "/v/{code}/",
        "/v/{code}/c/affairs",
        "/v/{code}/c/finance",
        "/v/{code}/search?q=村",
        f"/v/{{code}}/posts/{post.id}",
    ):
        pages.append(page(client, path.format(code=county.a.code)))
    total = db.session.query(Household).count()
    in_village = db.session.query(Household).filter(Household.village_id == county.a.id).count()
    assert total == in_village == 2  # so a count would show as a bare "2" beside 户/households
    for html in pages:
        for head, phone in HEADS.items():
            assert head not in html and phone not in html
        assert not re.search(r"\b2\s*(户|households?)", html)
        assert "户主" not in html and "Head of household" not in html
    # Only the village's own office line is shown, and only on the village home pages.
    assert all("0577-68710001" in html for html in pages[:3])


def test_the_village_pages_never_name_a_household(
    client: FlaskClient, county: County, plate_of: Callable[..., str]
) -> None:
    """Even a village's page reached by code: no address of any of its households."""
    _seed(county)
    households = _households(county, plate_of)
    other: Village = county.a2
    plate_of(other, address="灵溪镇坑垟村岙底街1号")
    html = page(client, f"/v/{county.a.code}/")
    for _token, address in [*households, ("", "灵溪镇坑垟村岙底街1号")]:
        assert address not in html
