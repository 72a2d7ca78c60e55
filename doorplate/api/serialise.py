"""Models as the API's JSON: only fields a resident's page shows, named as the OpenAPI document
(:mod:`doorplate.api.openapi`) describes them.

Nothing here reads a household's head name or phone, a booking's contact name or phone, a staff
member, or any count other than the number of posts in a list and a slot's places. Links are
absolute under ``BASE_URL``, the public address printed on the plates, so they are right
whichever proxy or internal host served the request.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app, url_for

from doorplate.bookings.models import STATUS_LABELS, Booking, Service, Slot
from doorplate.bookings.service import reference_display
from doorplate.places.models import Town, Village
from doorplate.plates.models import Plate
from doorplate.publications.models import CATEGORY_LABELS, Attachment, Post


def link(endpoint: str, **values: Any) -> str:
    """The absolute URL of one of our endpoints; ``values`` beyond the rule's go in the query."""
    return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def instant(moment: datetime | None) -> str | None:
    """RFC 3339 in UTC to the second: ``2026-12-01T02:00:00Z``."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def place(town_or_village: Town | Village | None) -> dict[str, str] | None:
    if town_or_village is None:
        return None
    return {"code": town_or_village.code, "name": town_or_village.name}


def village(found: Village) -> dict[str, Any]:
    return {
        "code": found.code,
        "name": found.name,
        "town": place(found.town),
        "office_phone": found.office_phone,
        "office_address": found.office_address,
        "office_hours": found.office_hours,
    }


def plate(found: Plate) -> dict[str, Any]:
    """What a plate's QR code leads to: the address line and its village, nothing else of the
    household."""
    household = found.household
    return {
        "address": household.address,
        "village": village(household.village),
        "links": {
            "plate_page": link("resident.plate", token=found.token),
            "village_page": link("resident.village_home", code=household.village.code),
            "village_posts": link("api.village_posts", code=household.village.code),
        },
    }


def _heading(post: Post) -> dict[str, Any]:
    return {
        "id": post.id,
        "title": post.title,
        "category": post.category.value,
        "category_label": str(CATEGORY_LABELS[post.category]),
        "level": post.scope.value,
        "publish_at": instant(post.publish_at),
        "expires_at": instant(post.expires_at),
    }


def post_summary(post: Post, village_code: str) -> dict[str, Any]:
    """A list entry, linking to the post's page under the village the list was asked for."""
    return {
        **_heading(post),
        "url": link("resident.post", code=village_code, post_id=post.id),
        "api_url": link("api.post", post_id=post.id),
    }


def post_detail(post: Post) -> dict[str, Any]:
    """A whole post. ``body_html`` was sanitised when the post was saved; the table's cells and
    the attachments' names are plain text."""
    town = post.village.town if post.village is not None else post.town
    table = post.table
    return {
        **_heading(post),
        "county": current_app.config["COUNTY_NAME"],
        "town": place(town),
        "village": place(post.village),
        "body_html": post.body_html,
        "table": None if table is None else table.to_json(),
        "attachments": [attachment(post, a) for a in post.attachments],
        "api_url": link("api.post", post_id=post.id),
    }


def attachment(post: Post, found: Attachment) -> dict[str, Any]:
    return {
        "filename": found.filename,
        "media_type": found.media_type,
        "size": found.size,
        "url": link("files.download", post_id=post.id, attachment_id=found.id),
    }


def open_slot(slot: Slot) -> dict[str, Any]:
    """A slot with a place left: its times, its size and the places still free."""
    return {
        "id": slot.id,
        "starts_at": instant(slot.starts_at),
        "ends_at": instant(slot.ends_at),
        "capacity": slot.capacity,
        "remaining": slot.capacity - slot.booked,
    }


def service(found: Service, slots: list[Slot]) -> dict[str, Any]:
    """A service as the resident's services page shows it, with its next open slots."""
    return {
        "id": found.id,
        "name": found.name,
        "description": found.description,
        "kind": found.kind.value,
        "level": found.scope.value,
        "materials": list(found.materials),
        "location": found.location,
        "duration_minutes": found.duration_minutes,
        "purposes": list(found.purposes),
        "slots": [open_slot(slot) for slot in slots],
    }


def booking(found: Booking) -> dict[str, Any]:
    """A booking or request for whoever made it: what it is, when, where and its status. Never
    the contact name or phone, though the caller gave them: a response can end up in a log."""
    slot = found.slot
    return {
        "reference": found.reference,
        "reference_display": reference_display(found.reference),
        "kind": found.service.kind.value,
        "status": found.status.value,
        "status_label": str(STATUS_LABELS[found.status]),
        "service": {"id": found.service.id, "name": found.service.name},
        "starts_at": instant(slot.starts_at) if slot else None,
        "ends_at": instant(slot.ends_at) if slot else None,
        "location": found.service.location,
        "materials": list(found.service.materials),
        "purpose": found.purpose,
        "description": found.description,
        "reject_reason": found.reject_reason,
    }
