"""The ``api`` blueprint (``/api/v1``): plate lookup, a village's posts, one post, a plate's
services, bookings and requests, the county's statistics, the OpenAPI document.

Each view loads (404 for anything not public), checks its parameters (400 naming the one at fault)
or its JSON body (422 naming each field at fault) and answers JSON. Only the booking endpoints
write, through the booking use cases, and commit once at the end. The blueprint is exempt from
CSRF: the API uses no cookie for authority (it never reads or sets the session), and its POSTs
are made by apps, not forms.
"""

from __future__ import annotations

from flask import Blueprint, current_app, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from doorplate import ratelimit
from doorplate.api import errors, params, queries, serialise
from doorplate.api.errors import ApiError, invalid_input
from doorplate.api.openapi import DOCUMENT
from doorplate.api.responses import DOCUMENT_CACHE, NO_STORE, PUBLIC_CACHE, json_response
from doorplate.bookings import catalogue
from doorplate.bookings import service as bookings
from doorplate.bookings.models import Booking, ServiceKind
from doorplate.db import db, utcnow
from doorplate.i18n import county_zone
from doorplate.places import registry
from doorplate.places.models import Town, Village
from doorplate.plates import service as plates
from doorplate.plates.models import Plate
from doorplate.publications.models import Category
from doorplate.publications.service import visible_posts
from doorplate.search.service import find_posts as search_posts
from doorplate.security import csrf
from doorplate.stats.tallies import Period, Tally, tally

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
errors.init_blueprint(bp)

# Aggregates over months and years: five minutes' staleness is nothing to anyone reading them.
STATS_CACHE = "public, max-age=300"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


@bp.before_request
def _json_bodies_only() -> None:
    """415 for a body that is not ``application/json``, before anything is read or counted.

    The API takes JSON only; a form or plain-text body is a client's mistake (said plainly,
    not as a 422 about its fields), and a cross-site HTML form cannot send this type at all.
    """
    if request.method in BODY_METHODS and request.mimetype != "application/json":
        raise ApiError(
            415,
            "unsupported_media_type",
            _("Send the body as JSON, with the header Content-Type: application/json."),
        )


@bp.get("/plates/<path:token>")
def plate(token: str) -> Response:
    """The household's address, its village and links, for a scanned or typed plate code.

    Like the plate page: any case and Crockford look-alikes are accepted, every unknown code gets
    the same 404 body, a revoked one 410. Unlike the page, a lookup is not a visit (访问人次 are
    openings of the plate page by people): an app polling the API cannot inflate the county's
    figures.
    """
    found = _plate(token)
    return json_response(serialise.plate(found), cache=NO_STORE)


def _plate(token: str) -> Plate:
    """The current plate for a code; 410 for a revoked one, the same 404 for anything else."""
    try:
        return plates.resolve(token)
    except plates.PlateRevoked:
        ratelimit.check(ratelimit.PLATE_LOOKUPS)
        raise ApiError(
            410,
            "gone",
            _(
                "This doorplate has been replaced. Please contact your village office for the "
                "new one."
            ),
        ) from None
    except plates.PlateNotFound:
        ratelimit.check(ratelimit.PLATE_LOOKUPS)
        raise ApiError(
            404,
            "not_found",
            _("We could not find this doorplate. Check the code, or contact your village office."),
        ) from None


@bp.get("/plates/<path:token>/services")
def plate_services(token: str) -> Response:
    """What the plate's household may book or ask for: the same for its whole village."""
    village = _plate(token).household.village
    now = utcnow()
    offered = [
        serialise.service(
            found,
            catalogue.open_slots(found, now, limit=params.SLOTS_LISTED)
            if found.kind is ServiceKind.SLOT
            else [],
        )
        for found in catalogue.services_for_village(village)
    ]
    return json_response({"village": serialise.place(village), "services": offered}, cache=NO_STORE)


@bp.post("/bookings")
@ratelimit.limited(ratelimit.BOOKINGS_SENT)
def create_booking() -> Response:
    """Book a slot for the plate's household: 201, or 200 with the same booking for a replayed
    idempotency key; 409 with the next free slots when it is full; 422 field by field."""
    body = params.json_body(request.get_data(), params.BOOKING_FIELDS)
    household = _plate(body["plate"]).household
    data = bookings.BookingInput(
        slot_id=body["slot_id"],
        contact_name=body["contact_name"],
        phone=body["phone"],
        purpose=body["purpose"],
        idempotency_key=body["idempotency_key"],
    )
    try:
        booking, created = bookings.book(household, data)
    except bookings.InvalidBooking as error:
        db.session.rollback()
        raise invalid_input(error.errors) from None
    except bookings.SlotFull as error:
        next_slots = [serialise.open_slot(slot) for slot in error.next_slots]
        db.session.rollback()
        raise ApiError(409, "slot_full", str(error), extra={"next_slots": next_slots}) from None
    return _made(booking, created)


@bp.post("/requests")
@ratelimit.limited(ratelimit.BOOKINGS_SENT)
def create_request() -> Response:
    """Send a request (报事报修, 办事申请) for the plate's household; idempotent like a booking.
    A photo can only be added on the resident's page (an upload, not JSON)."""
    body = params.json_body(request.get_data(), params.REQUEST_FIELDS)
    household = _plate(body["plate"]).household
    data = bookings.RequestInput(
        service_id=body["service_id"],
        purpose=body["purpose"],
        description=body["description"],
        contact_name=body["contact_name"],
        phone=body["phone"],
        idempotency_key=body["idempotency_key"],
    )
    try:
        booking, created = bookings.submit_request(household, data)
    except bookings.InvalidBooking as error:
        db.session.rollback()
        raise invalid_input(error.errors) from None
    return _made(booking, created)


def _made(booking: Booking, created: bool) -> Response:
    db.session.commit()
    return json_response(serialise.booking(booking), 201 if created else 200, cache=NO_STORE)


@bp.get("/bookings/<reference>")
@ratelimit.limited(ratelimit.REFERENCE_LOOKUPS)
def booking(reference: str) -> Response:
    """A booking by its reference and the phone's last four digits; one 404 for both wrong."""
    found = _found(reference, params.phone_last4(request.args))
    return json_response(serialise.booking(found), cache=NO_STORE)


@bp.post("/bookings/<reference>/cancel")
@ratelimit.limited(ratelimit.REFERENCE_LOOKUPS)
def cancel_booking(reference: str) -> Response:
    """Cancel a booking (before its time) or a request (before it is confirmed)."""
    last4 = params.cancel_body(request.get_data())
    try:
        cancelled = bookings.cancel(reference, last4)
    except bookings.BookingNotFound as error:
        raise ApiError(404, "not_found", str(error)) from None
    except bookings.WrongStatus as error:
        db.session.rollback()
        raise ApiError(409, "wrong_status", str(error)) from None
    db.session.commit()
    return json_response(serialise.booking(cancelled), cache=NO_STORE)


def _found(reference: str, phone_last4: str) -> Booking:
    try:
        return bookings.find_booking(reference, phone_last4)
    except bookings.BookingNotFound as error:
        raise ApiError(404, "not_found", str(error)) from None


@bp.get("/villages/<code>/posts")
def village_posts(code: str) -> Response:
    """A village's published posts with its town's and the county's, newest first, paged; with
    ``q``, those matching its words, best first, as the resident search page finds them."""
    village = registry.village_by_code(code)
    if village is None:
        raise ApiError(404, "not_found", _("There is no village with this code."))
    query = params.list_query(request.args)
    paging = {"category": query.category, "page": query.page, "per_page": query.per_page}
    found = (
        search_posts(village, query.text, **paging)
        if query.text
        else visible_posts(village, **paging)
    )
    more = query.page * query.per_page < found.total
    following = {
        "page": query.page + 1,
        "per_page": query.per_page,
        "category": query.category.value if query.category else None,
        "q": query.text or None,
    }
    return json_response(
        {
            "items": [serialise.post_summary(item, village.code) for item in found.posts],
            "page": query.page,
            "per_page": query.per_page,
            "total": found.total,
            "next": serialise.link("api.village_posts", code=village.code, **following)
            if more
            else None,
        },
        cache=PUBLIC_CACHE,
    )


@bp.get("/posts/<int:post_id>")
def post(post_id: int) -> Response:
    """One live post of any village, town or the county; anything else is the same 404."""
    found = queries.live_post(post_id, utcnow())
    if found is None:
        raise ApiError(404, "not_found", _("There is no published post with this number."))
    return json_response(serialise.post_detail(found), cache=PUBLIC_CACHE)


@bp.get("/stats")
def stats() -> Response:
    """The county's, a town's or a village's figures for a period of county dates [from, to):
    aggregates only, nothing about any one household or person."""
    today = utcnow().astimezone(county_zone()).date()
    query = params.stats_query(request.args, today)
    try:
        area = queries.stats_area(query.town, query.village)
    except queries.UnknownPlace as error:
        raise ApiError(404, "not_found", str(error)) from None
    figures = tally(Period(query.start, query.end), area.scope)
    return json_response(
        {
            "from": query.start.isoformat() if query.start else None,
            "to": query.end.isoformat(),
            "area": {
                "level": "village" if area.village else "town" if area.town else "county",
                "county": current_app.config["COUNTY_NAME"],
                "town": _place(area.town),
                "village": _place(area.village),
            },
            **_figures(figures),
        },
        cache=STATS_CACHE,
    )


def _place(place: Town | Village | None) -> dict[str, str] | None:
    return None if place is None else {"code": place.code, "name": place.name}


def _figures(figures: Tally) -> dict[str, object]:
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
        "median_handling_seconds": None if median is None else median.total_seconds(),
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 document describing this API, with this instance's address as its server."""
    server = {"url": current_app.config["BASE_URL"].rstrip("/")}
    return json_response({**DOCUMENT, "servers": [server]}, cache=DOCUMENT_CACHE)
