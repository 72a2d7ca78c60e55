"""The OpenAPI 3.1 document of the public API, kept as data beside the code it describes.

Limits and enums are read from the code (:mod:`doorplate.api.params`, :class:`Category`), so the
document cannot drift from what the views accept. The tests check it against the OpenAPI schema,
validate every response they receive against it, and compare its paths with ``app.url_map``. It
is reference for developers, so it is in English only; the API's messages follow the language.
"""

from __future__ import annotations

from typing import Any

from doorplate.api import params
from doorplate.bookings.models import BookingStatus, ServiceKind, ServiceScope
from doorplate.bounds import MAX_ID
from doorplate.publications.models import Category, PostScope

DESCRIPTION = """\
The public content of a county's digital doorplates (智慧门牌): what every household sees when it
scans the QR code on its door, for a WeChat mini-program, the province's app or anyone else.

## Privacy
- **Only public content.** Posts are village-level: a village's own, its town's and the county's
  published posts (三务公开, policies, notices), the same for every household of the village. The
  one household-specific item is the address line a plate lookup returns, which is written on the
  plate itself.
- **Nothing personal, ever.** No response contains a resident's name or phone number, a count of
  households (but for the statistics' area totals), anyone else's booking or anything about staff.
  Posts showing personal data are masked before publishing (`138****8000`) and expire.
- **A guessed code learns nothing.** Every unknown code, whatever its form, gets the same 404
  body; a revoked plate gets 410. Plate lookups are sent with `Cache-Control: no-store`.
- **A lookup is not a visit.** The county's visit figures (访问人次) count openings of the plate
  *page* by people; calls to this API are not counted, so no client can inflate them.
- **No cookies, no accounts.** The API sets no cookie and needs none; any origin may call it
  (`Access-Control-Allow-Origin: *`, never with credentials).
- **A booking is shown only to whoever made it.** Booking a service (预约办理) or sending a
  request (报事报修) takes a contact name and a mobile number, which no response ever returns.
  A booking is found again only with its reference *and* the last four digits of that number; a
  wrong number and an unknown reference get the same 404 body, and these lookups are rate
  limited (429). Booking answers are sent with `Cache-Control: no-store`.

## Booking
- `GET /api/v1/plates/{token}/services` lists what the household may book or ask for, with the
  open slots; `POST /api/v1/bookings` books a slot, `POST /api/v1/requests` sends a request.
- **Idempotency.** Every booking and request carries an `idempotency_key` the client makes (a
  random string, at most 64 characters, new for each booking the person means to make). Sending
  the same key again for the same plate makes nothing new: the answer is `200` with the booking
  the key first made, even if its slot has filled since. So a client may safely retry after a
  timeout or a double tap.
- A full slot answers `409` with `next_slots`, the next free ones; a body that is not valid
  answers `422` with `fields`, each field at fault with a translated message; one not sent as
  `Content-Type: application/json` answers `415`.

## Statistics
- `GET /api/v1/stats` gives the figures the county reports (DESIGN §8): for the county, a town or
  a village, over a period of county dates (Asia/Shanghai). Aggregates only: totals of an area,
  never a row about one household, person or booking.
- The period is `[from, to)`: `from` included, `to` **excluded**, both `YYYY-MM-DD`. Without
  `from` the figures are since launch (累计); without `to` they run to the end of today (`to` is
  tomorrow). So a calendar year is `from=2021-01-01&to=2022-01-01`.
- Households registered and covered are stocks at the period's end; everything else counts the
  events in the period. Cached for five minutes (`Cache-Control: public, max-age=300`).

## Conventions
- JSON in UTF-8, Chinese written as itself. Times are RFC 3339 in UTC (`2026-12-01T02:00:00Z`).
- Links are absolute URLs: `url` fields open the resident's page, `api_url` fields this API.
- Messages and category labels are Simplified Chinese by default, English on request: `?lang=en`
  (or `zh`), else the `lang` cookie, else `Accept-Language`.
- Posts lists and posts may be cached for 60 seconds (`Cache-Control: public, max-age=60`).
- Every error, on any path under `/api/` including unknown paths and methods, is
  `{"error": {"code": "...", "message": "..."}}` with a stable `code` and a translated
  `message`; a bad query parameter is also named in `parameter`. Beside `error`, a refused
  body (422) has `fields` and a full slot (409) `next_slots`.
- `/api/v1` changes only by adding fields and endpoints.
"""

JSON = "application/json"


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _json(schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}, **extra}


def _cache_header(value: str) -> dict[str, Any]:
    return {
        "Cache-Control": {"description": f"Always `{value}`.", "schema": {"const": value}},
    }


def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    """A closed object whose every property is always present (possibly null)."""
    schema: dict[str, Any] = {
        "type": "object",
        "required": list(properties),
        "additionalProperties": False,
        "properties": properties,
    }
    if description:
        schema["description"] = description
    return schema


STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
URL = {"type": "string", "format": "uri", "pattern": "^https?://"}
INSTANT = {"type": "string", "format": "date-time"}
NULLABLE_INSTANT = {"type": ["string", "null"], "format": "date-time"}
POSITIVE = {"type": "integer", "minimum": 1}

SCHEMAS: dict[str, Any] = {
    "Error": _object(
        {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "additionalProperties": False,
                "properties": {
                    "code": {
                        "type": "string",
                        "pattern": "^[a-z_]+$",
                        "description": "Stable and machine-readable: `not_found`, `gone`, "
                        "`invalid_parameter`, `invalid_input`, `slot_full`, `wrong_status`, "
                        "`too_many_requests`, `method_not_allowed`, `internal_error`, ...",
                    },
                    "message": {
                        "type": "string",
                        "description": "Translated, fit to show to a person.",
                    },
                    "parameter": {
                        "type": "string",
                        "description": "The query parameter at fault, for `invalid_parameter`.",
                    },
                    "request_id": {
                        "type": "string",
                        "description": "On a 5xx error: the request's id (also in the "
                        "`X-Request-Id` header), to quote when reporting the fault.",
                    },
                },
            }
        },
        "What every error response under `/api/` carries.",
    ),
    "Place": _object({"code": STRING, "name": STRING}, "A town or village: code and name."),
    "Village": _object(
        {
            "code": {**STRING, "description": "The statistical division code."},
            "name": STRING,
            "town": _ref("schemas", "Place"),
            "office_phone": {
                **NULLABLE_STRING,
                "description": "The village office's public line (never a person's own).",
            },
            "office_address": NULLABLE_STRING,
            "office_hours": NULLABLE_STRING,
        },
        "A village, its town and its office's public contact.",
    ),
    "PlateLookup": _object(
        {
            "address": {**STRING, "description": "The address written on the plate."},
            "village": _ref("schemas", "Village"),
            "links": _object(
                {
                    "plate_page": {**URL, "description": "The page the plate's QR code opens."},
                    "village_page": {**URL, "description": "The village's home page."},
                    "village_posts": {**URL, "description": "The village's posts in this API."},
                }
            ),
        },
        "What a plate leads to.",
    ),
    "Category": {
        "type": "string",
        "enum": [c.value for c in Category],
        "description": "affairs 村务, party 党务, finance 财务, policy 政策/解读, "
        "disclosure 公示, notice 通知.",
    },
    "Level": {
        "type": "string",
        "enum": [s.value for s in PostScope],
        "description": "Whose post it is: the whole county's, a town's or one village's.",
    },
    "PostSummary": _object(
        {
            "id": POSITIVE,
            "title": STRING,
            "category": _ref("schemas", "Category"),
            "category_label": {**STRING, "description": "The category's name, translated."},
            "level": _ref("schemas", "Level"),
            "publish_at": {**INSTANT, "description": "Published (visible) from."},
            "expires_at": {**NULLABLE_INSTANT, "description": "Visible until, if it expires."},
            "url": {**URL, "description": "The post's page under the village asked for."},
            "api_url": {**URL, "description": "The whole post in this API."},
        },
        "A post in a list.",
    ),
    "PostPage": _object(
        {
            "items": {"type": "array", "items": _ref("schemas", "PostSummary")},
            "page": POSITIVE,
            "per_page": {**POSITIVE, "maximum": params.PER_PAGE_MAX},
            "total": {"type": "integer", "minimum": 0, "description": "Matching posts."},
            "next": {
                "type": ["string", "null"],
                "format": "uri",
                "pattern": "^https?://",
                "description": "The next page, or null on the last.",
            },
        },
        "One page of a village's posts, newest first.",
    ),
    "Table": _object(
        {
            "header": {"type": "array", "minItems": 1, "items": STRING},
            "rows": {"type": "array", "items": {"type": "array", "items": STRING}},
        },
        "A finance or disbursement table: text cells, every row as wide as the header.",
    ),
    "Attachment": _object(
        {
            "filename": STRING,
            "media_type": {"enum": ["image/jpeg", "image/png", "application/pdf"]},
            "size": {**POSITIVE, "description": "Bytes."},
            "url": {**URL, "description": "Downloads the file."},
        }
    ),
    "Post": _object(
        {
            "id": POSITIVE,
            "title": STRING,
            "category": _ref("schemas", "Category"),
            "category_label": STRING,
            "level": _ref("schemas", "Level"),
            "publish_at": INSTANT,
            "expires_at": NULLABLE_INSTANT,
            "county": {**STRING, "description": "The county's name."},
            "town": {
                "oneOf": [_ref("schemas", "Place"), {"type": "null"}],
                "description": "The town of a town's or village's post.",
            },
            "village": {
                "oneOf": [_ref("schemas", "Place"), {"type": "null"}],
                "description": "The village of a village's post.",
            },
            "body_html": {
                "type": "string",
                "description": "The text as HTML, sanitised when the post was saved: no script, "
                "style, event handler, frame or `javascript:` URL.",
            },
            "table": {"oneOf": [_ref("schemas", "Table"), {"type": "null"}]},
            "attachments": {"type": "array", "items": _ref("schemas", "Attachment")},
            "api_url": URL,
        },
        "A whole post.",
    ),
}

_ERROR_BODY = SCHEMAS["Error"]["properties"]["error"]
WHOLE_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
TEXT_FIELD = {"type": "string", "minLength": 1}
IDEMPOTENCY_KEY = {
    "type": "string",
    "minLength": 1,
    "maxLength": params.KEY_MAX_LENGTH,
    "description": "Made by the client, new for each booking meant: a retry with the same key "
    "makes nothing new (see Idempotency above).",
}
PHONE_LAST4 = {"type": "string", "pattern": "^[0-9]{4}$"}

SCHEMAS.update(
    {
        "OpenSlot": _object(
            {
                "id": POSITIVE,
                "starts_at": INSTANT,
                "ends_at": INSTANT,
                "capacity": {**POSITIVE, "description": "People the slot takes."},
                "remaining": {**POSITIVE, "description": "Places still free."},
            },
            "A slot with at least one free place.",
        ),
        "ServiceKind": {
            "enum": [k.value for k in ServiceKind],
            "description": "`slot`: booked for a time (`POST /api/v1/bookings`); `request`: sent "
            "without a time (`POST /api/v1/requests`).",
        },
        "Service": _object(
            {
                "id": POSITIVE,
                "name": STRING,
                "description": {**STRING, "description": "What it is for."},
                "kind": _ref("schemas", "ServiceKind"),
                "level": {
                    "enum": [s.value for s in ServiceScope],
                    "description": "Whose service it is: the county's, a town's or a village's.",
                },
                "materials": {
                    "type": "array",
                    "items": STRING,
                    "description": "What to bring (所需材料).",
                },
                "location": {**STRING, "description": "Where it is done."},
                "duration_minutes": POSITIVE,
                "purposes": {
                    "type": "array",
                    "items": STRING,
                    "description": "The `purpose` values a booking or request may give (for a "
                    "request, its category).",
                },
                "slots": {
                    "type": "array",
                    "items": _ref("schemas", "OpenSlot"),
                    "maxItems": params.SLOTS_LISTED,
                    "description": f"The next open slots, soonest first, at most "
                    f"{params.SLOTS_LISTED}; empty for a request service.",
                },
            }
        ),
        "ServiceList": _object(
            {
                "village": _ref("schemas", "Place"),
                "services": {"type": "array", "items": _ref("schemas", "Service")},
            },
            "The services offered to a plate's village: the village's own, its town's and the "
            "county's. The same for every household of the village.",
        ),
        "BookingStatus": {
            "enum": [s.value for s in BookingStatus],
            "description": "submitted → confirmed → completed (办结) or no_show; or cancelled by "
            "the resident, or rejected by staff.",
        },
        "Booking": _object(
            {
                "reference": {
                    "type": "string",
                    "pattern": "^[0-9A-HJKMNP-TV-Z]{8}$",
                    "description": "Eight Crockford base32 characters; with the last four digits "
                    "of the phone it finds the booking again.",
                },
                "reference_display": {
                    **STRING,
                    "description": "The reference as people write it: `K7M2-9QXD`.",
                },
                "kind": _ref("schemas", "ServiceKind"),
                "status": _ref("schemas", "BookingStatus"),
                "status_label": {**STRING, "description": "The status, translated."},
                "service": _object({"id": POSITIVE, "name": STRING}),
                "starts_at": {**NULLABLE_INSTANT, "description": "The slot; null for a request."},
                "ends_at": NULLABLE_INSTANT,
                "location": STRING,
                "materials": {"type": "array", "items": STRING},
                "purpose": STRING,
                "description": {**NULLABLE_STRING, "description": "A request's description."},
                "reject_reason": {**NULLABLE_STRING, "description": "Why staff rejected it."},
            },
            "A booking or request as its maker sees it: never the contact name or phone.",
        ),
        "NewBooking": {
            "type": "object",
            "required": [
                "plate",
                "slot_id",
                "contact_name",
                "phone",
                "purpose",
                "idempotency_key",
            ],
            "additionalProperties": False,
            "properties": {
                "plate": {**STRING, "description": "The plate's code: whose household books."},
                "slot_id": WHOLE_ID,
                "contact_name": {
                    **TEXT_FIELD,
                    "maxLength": 20,
                    "description": "Whom the office asks for; a surname is enough. No digits.",
                },
                "phone": {
                    **STRING,
                    "description": "A mainland mobile number, 11 digits (spaces and hyphens are "
                    "ignored).",
                },
                "purpose": {**STRING, "description": "One of the service's `purposes`."},
                "idempotency_key": IDEMPOTENCY_KEY,
            },
        },
        "NewRequest": {
            "type": "object",
            "required": [
                "plate",
                "service_id",
                "purpose",
                "description",
                "contact_name",
                "phone",
                "idempotency_key",
            ],
            "additionalProperties": False,
            "properties": {
                "plate": STRING,
                "service_id": WHOLE_ID,
                "purpose": {**STRING, "description": "One of the service's `purposes`."},
                "description": {**TEXT_FIELD, "maxLength": 500},
                "contact_name": {**TEXT_FIELD, "maxLength": 20},
                "phone": STRING,
                "idempotency_key": IDEMPOTENCY_KEY,
            },
        },
        "Cancellation": {
            "type": "object",
            "required": ["phone_last4"],
            "additionalProperties": False,
            "properties": {"phone_last4": PHONE_LAST4},
        },
        "InvalidInput": _object(
            {
                "error": _ERROR_BODY,
                "fields": {
                    "type": "object",
                    "additionalProperties": STRING,
                    "description": "Each field at fault and why, translated. Empty when the "
                    "body is not a JSON object at all.",
                },
            },
            "`invalid_input`: the body is not valid; `fields` says where.",
        ),
        "SlotFull": _object(
            {
                "error": _ERROR_BODY,
                "next_slots": {
                    "type": "array",
                    "items": _ref("schemas", "OpenSlot"),
                    "description": "The service's next free slots, soonest first (may be empty).",
                },
            },
            "`slot_full`: the slot was fully booked; choose one of `next_slots`.",
        ),
    }
)


COUNT = {"type": "integer", "minimum": 0}
DAY = {"type": "string", "format": "date"}

SCHEMAS.update(
    {
        "StatsArea": _object(
            {
                "level": {"enum": ["county", "town", "village"]},
                "county": {**STRING, "description": "The county's name."},
                "town": {
                    "oneOf": [_ref("schemas", "Place"), {"type": "null"}],
                    "description": "The town asked for, or the village's town; null for the "
                    "county.",
                },
                "village": {"oneOf": [_ref("schemas", "Place"), {"type": "null"}]},
            },
            "The area counted.",
        ),
        "Stats": _object(
            {
                "from": {
                    "type": ["string", "null"],
                    "format": "date",
                    "description": "The first county day counted; null: since launch (累计).",
                },
                "to": {**DAY, "description": "The day after the last one counted (exclusive)."},
                "area": _ref("schemas", "StatsArea"),
                "households_registered": {
                    **COUNT,
                    "description": "Active households registered before `to`.",
                },
                "households_covered": {
                    **COUNT,
                    "description": "Registered households with a plate installed before `to` "
                    "and not revoked by then.",
                },
                "visits": {
                    **COUNT,
                    "description": "Openings of plate pages (访问人次): repeats by one visitor "
                    "within 30 minutes count once, link-preview bots not at all.",
                },
                "unique_visitors": {
                    **COUNT,
                    "description": "Distinct visitors per county day, summed over the days.",
                },
                "published": _object(
                    {
                        **{category.value: COUNT for category in Category},
                        "three_affairs": {
                            **COUNT,
                            "description": "affairs + party + finance (三务).",
                        },
                        "total": {**COUNT, "description": "Every category."},
                    },
                    "Items that went live in the period, by category. A town's figure counts "
                    "the town's posts and its villages'; the county's also its own.",
                ),
                "bookings_received": {**COUNT, "description": "Bookings (with a slot) made."},
                "requests_received": {**COUNT, "description": "Requests (no slot) sent."},
                "completed": {**COUNT, "description": "Bookings and requests completed (办结)."},
                "cancelled": COUNT,
                "no_show": COUNT,
                "median_handling_seconds": {
                    "type": ["number", "null"],
                    "minimum": 0,
                    "description": "Median time from received to completed of those completed "
                    "in the period, in seconds (a half when the middle two differ by an odd "
                    "number); null when none was completed.",
                },
            },
            "An area's figures for a period: aggregates only.",
        ),
    }
)


PARAMETERS: dict[str, Any] = {
    "lang": {
        "name": "lang",
        "in": "query",
        "description": "The language of messages and labels; else the `lang` cookie, else "
        "Accept-Language, else Chinese.",
        "schema": {"enum": ["zh", "en"]},
    },
    "Accept-Language": {
        "name": "Accept-Language",
        "in": "header",
        "description": "`zh` (the default) or `en`.",
        "schema": STRING,
    },
}

_LANGUAGE = [_ref("parameters", "lang"), _ref("parameters", "Accept-Language")]

RESPONSES: dict[str, Any] = {
    "Error": _json(
        _ref("schemas", "Error"),
        "Any other error, e.g. `method_not_allowed` (405) or `internal_error` (500).",
    ),
    "BadParameter": _json(
        _ref("schemas", "Error"),
        "`invalid_parameter`: the `parameter` named is not valid (in any parameter, a NUL "
        "character is refused).",
    ),
    "InvalidInput": _json(
        _ref("schemas", "InvalidInput"),
        "`invalid_input`: the body is not valid JSON of the documented shape, or a field's value "
        "is refused; `fields` says which and why.",
    ),
    "UnsupportedMediaType": _json(
        _ref("schemas", "Error"),
        "`unsupported_media_type`: the body was not sent as `Content-Type: application/json`.",
    ),
    "TooManyRequests": _json(
        _ref("schemas", "Error"),
        "`too_many_requests`: too many attempts from this address; try again after "
        "`Retry-After` seconds. Each limit is shared with the resident's pages: booking lookups "
        "and cancellations count together, as do bookings and requests sent, and unknown or "
        "revoked plate codes (a current plate is never counted).",
        headers={
            "Retry-After": {
                "description": "Seconds to wait before trying again.",
                "required": True,
                "schema": {"type": "string", "pattern": "^[0-9]+$"},
            }
        },
    ),
    "PlateGone": _json(
        _ref("schemas", "Error"),
        "`gone`: the plate was replaced or withdrawn; the household should ask its village "
        "office for the new one.",
    ),
    "Booking": _json(
        _ref("schemas", "Booking"), "The booking or request.", headers=_cache_header("no-store")
    ),
}


def _not_found(description: str) -> dict[str, Any]:
    return _json(_ref("schemas", "Error"), description)


PATHS: dict[str, Any] = {
    "/api/v1/plates/{token}": {
        "get": {
            "operationId": "getPlate",
            "summary": "What a doorplate leads to",
            "description": "The household's address, its village (with the office's public "
            "contact) and links, for a code scanned from a plate or typed from it. Any case is "
            "accepted, as are the look-alikes O for 0 and I or L for 1, and the hyphens of the "
            "printed form (`7KQ2-M9XW-4T1H-VB3R`). Not counted as a visit.",
            "parameters": [
                {
                    "name": "token",
                    "in": "path",
                    "required": True,
                    "description": "The plate's code (16 characters, Crockford base32).",
                    "schema": STRING,
                },
                *_LANGUAGE,
            ],
            "responses": {
                "200": _json(
                    _ref("schemas", "PlateLookup"),
                    "The plate is current.",
                    headers=_cache_header("no-store"),
                ),
                "404": _not_found(
                    "`not_found`: no such plate. The body is the same whatever code was sent."
                ),
                "410": _json(
                    _ref("schemas", "Error"),
                    "`gone`: the plate was replaced or withdrawn; the household should ask its "
                    "village office for the new one.",
                ),
                "429": _ref("responses", "TooManyRequests"),
                "default": _ref("responses", "Error"),
            },
        }
    },
    "/api/v1/villages/{code}/posts": {
        "get": {
            "operationId": "listVillagePosts",
            "summary": "A village's posts",
            "description": "The posts a household of the village sees: the village's own, its "
            "town's and the county's, published and not expired, newest first.",
            "parameters": [
                {
                    "name": "code",
                    "in": "path",
                    "required": True,
                    "description": "The village's code (from a plate lookup).",
                    "schema": STRING,
                },
                {
                    "name": "category",
                    "in": "query",
                    "description": "Only posts of this category.",
                    "schema": _ref("schemas", "Category"),
                },
                {
                    "name": "q",
                    "in": "query",
                    "description": "Only posts matching these words (segmented as Chinese "
                    "words, expanded through the county's synonym list, particles ignored), "
                    "best first: more words in the title, then more words, then newer.",
                    "schema": {"type": "string", "maxLength": params.QUERY_MAX_LENGTH},
                },
                {
                    "name": "page",
                    "in": "query",
                    "schema": {**POSITIVE, "maximum": params.PAGE_MAX, "default": 1},
                },
                {
                    "name": "per_page",
                    "in": "query",
                    "schema": {
                        **POSITIVE,
                        "maximum": params.PER_PAGE_MAX,
                        "default": params.PER_PAGE,
                    },
                },
                *_LANGUAGE,
            ],
            "responses": {
                "200": _json(
                    _ref("schemas", "PostPage"),
                    "One page of posts (empty past the last page).",
                    headers=_cache_header("public, max-age=60"),
                ),
                "400": _ref("responses", "BadParameter"),
                "404": _not_found("`not_found`: no village has this code."),
                "default": _ref("responses", "Error"),
            },
        }
    },
    "/api/v1/posts/{post_id}": {
        "get": {
            "operationId": "getPost",
            "summary": "A post",
            "description": "A published post of any village, town or the county, while it is "
            "published: not before its publishing time, not after its expiry or withdrawal.",
            "parameters": [
                {"name": "post_id", "in": "path", "required": True, "schema": POSITIVE},
                *_LANGUAGE,
            ],
            "responses": {
                "200": _json(
                    _ref("schemas", "Post"),
                    "The post.",
                    headers=_cache_header("public, max-age=60"),
                ),
                "404": _not_found(
                    "`not_found`: no published post has this number (drafts, posts under "
                    "review, scheduled, expired and withdrawn posts alike)."
                ),
                "default": _ref("responses", "Error"),
            },
        }
    },
    "/api/v1/plates/{token}/services": {
        "get": {
            "operationId": "listPlateServices",
            "summary": "What a household may book or ask for",
            "description": "The active services of the plate's village, its town and the county, "
            "each with its next open slots (a request service has none). The same for every "
            "household of the village; slots change as people book, hence no caching.",
            "parameters": [
                {"name": "token", "in": "path", "required": True, "schema": STRING},
                *_LANGUAGE,
            ],
            "responses": {
                "200": _json(
                    _ref("schemas", "ServiceList"),
                    "The services.",
                    headers=_cache_header("no-store"),
                ),
                "404": _not_found("`not_found`: no such plate (the same body for any code)."),
                "410": _ref("responses", "PlateGone"),
                "429": _ref("responses", "TooManyRequests"),
                "default": _ref("responses", "Error"),
            },
        }
    },
    "/api/v1/bookings": {
        "post": {
            "operationId": "createBooking",
            "summary": "Book a slot",
            "description": "Books one place in a slot of a service offered to the plate's "
            "household. Never overbooks: when the slot is full the answer is 409 with the next "
            "free slots. One household holds at most one active booking per slot. Idempotent by "
            "`idempotency_key` (see the description above).",
            "parameters": _LANGUAGE,
            "requestBody": {
                "required": True,
                "content": {JSON: {"schema": _ref("schemas", "NewBooking")}},
            },
            "responses": {
                "201": _ref("responses", "Booking"),
                "200": _json(
                    _ref("schemas", "Booking"),
                    "A replay: this plate already used this `idempotency_key`; the booking it "
                    "made, unchanged (even if its slot has filled since).",
                    headers=_cache_header("no-store"),
                ),
                "404": _not_found("`not_found`: no such plate."),
                "409": _json(_ref("schemas", "SlotFull"), "`slot_full`: the slot is full."),
                "410": _ref("responses", "PlateGone"),
                "415": _ref("responses", "UnsupportedMediaType"),
                "422": _ref("responses", "InvalidInput"),
                "429": _ref("responses", "TooManyRequests"),
                "default": _ref("responses", "Error"),
            },
        }
    },
    "/api/v1/requests": {
        "post": {
            "operationId": "createRequest",
            "summary": "Send a request (报事报修, 办事申请)",
            "description": "Sends a request to a request service offered to the plate's "
            "household: a category from the service's `purposes` and a short description (a "
            "photo can be added on the resident's page only). Idempotent like a booking.",
            "parameters": _LANGUAGE,
            "requestBody": {
                "required": True,
                "content": {JSON: {"schema": _ref("schemas", "NewRequest")}},
            },
            "responses": {
                "201": _ref("responses", "Booking"),
                "200": _json(
                    _ref("schemas", "Booking"),
                    "A replay of an `idempotency_key`: the request it made.",
                    headers=_cache_header("no-store"),
                ),
                "404": _not_found("`not_found`: no such plate."),
                "410": _ref("responses", "PlateGone"),
                "415": _ref("responses", "UnsupportedMediaType"),
                "422": _ref("responses", "InvalidInput"),
                "429": _ref("responses", "TooManyRequests"),
                "default": _ref("responses", "Error"),
            },
        }
    },
    "/api/v1/bookings/{reference}": {
        "get": {
            "operationId": "getBooking",
            "summary": "A booking's status",
            "description": "A booking or request, found by its reference and the last four "
            "digits of the phone it was made with. Rate limited per client address.",
            "parameters": [
                {
                    "name": "reference",
                    "in": "path",
                    "required": True,
                    "description": "Any case; hyphens, spaces and look-alikes (O for 0, I or L "
                    "for 1) are accepted.",
                    "schema": STRING,
                },
                {
                    "name": "phone_last4",
                    "in": "query",
                    "required": True,
                    "schema": PHONE_LAST4,
                },
                *_LANGUAGE,
            ],
            "responses": {
                "200": _ref("responses", "Booking"),
                "400": _ref("responses", "BadParameter"),
                "404": _not_found(
                    "`not_found`: no booking has this reference with these digits. The same "
                    "body whether the reference is unknown or the digits are wrong."
                ),
                "429": _ref("responses", "TooManyRequests"),
                "default": _ref("responses", "Error"),
            },
        }
    },
    "/api/v1/bookings/{reference}/cancel": {
        "post": {
            "operationId": "cancelBooking",
            "summary": "Cancel a booking",
            "description": "Cancels a booking before its slot starts (a request while it has "
            "not been confirmed), freeing its place. Rate limited like the lookup.",
            "parameters": [
                {"name": "reference", "in": "path", "required": True, "schema": STRING},
                *_LANGUAGE,
            ],
            "requestBody": {
                "required": True,
                "content": {JSON: {"schema": _ref("schemas", "Cancellation")}},
            },
            "responses": {
                "200": _ref("responses", "Booking"),
                "404": _not_found("`not_found`: as for the lookup."),
                "409": _json(
                    _ref("schemas", "Error"),
                    "`wrong_status`: it can no longer be cancelled (already started, handled, "
                    "or cancelled).",
                ),
                "415": _ref("responses", "UnsupportedMediaType"),
                "422": _ref("responses", "InvalidInput"),
                "429": _ref("responses", "TooManyRequests"),
                "default": _ref("responses", "Error"),
            },
        }
    },
    "/api/v1/openapi.json": {
        "get": {
            "operationId": "getOpenApiDocument",
            "summary": "This document",
            "responses": {
                "200": _json(
                    {"type": "object", "required": ["openapi", "info", "paths"]},
                    "The OpenAPI 3.1 document, with this instance as its server.",
                ),
                "default": _ref("responses", "Error"),
            },
        }
    },
}

PATHS["/api/v1/stats"] = {
    "get": {
        "operationId": "getStats",
        "summary": "The county's figures",
        "description": "The figures of the county, a town or a village for the county days "
        "`[from, to)` (see Statistics above): `to` is exclusive. Aggregates only.",
        "parameters": [
            {
                "name": "from",
                "in": "query",
                "description": "The first day counted (included). Absent: since launch. "
                f"Days from {params.STATS_FIRST_DAY} to {params.STATS_LAST_DAY}.",
                "schema": DAY,
            },
            {
                "name": "to",
                "in": "query",
                "description": "The day after the last one counted (excluded). Absent: "
                "tomorrow, so today is counted. At most "
                f"{params.STATS_MAX_DAYS} days after `from`, and after it.",
                "schema": DAY,
            },
            {
                "name": "town",
                "in": "query",
                "description": "A town's code: only its figures.",
                "schema": STRING,
            },
            {
                "name": "village",
                "in": "query",
                "description": "A village's code: only its figures. With `town`, the village "
                "must be in that town.",
                "schema": STRING,
            },
            *_LANGUAGE,
        ],
        "responses": {
            "200": _json(
                _ref("schemas", "Stats"),
                "The figures.",
                headers=_cache_header("public, max-age=300"),
            ),
            "400": _ref("responses", "BadParameter"),
            "404": _not_found(
                "`not_found`: no town or village has the code given, or the village is not in "
                "the town given."
            ),
            "default": _ref("responses", "Error"),
        },
    }
}

# A NUL in any parameter is refused before any view (doorplate.bounds): every operation may
# answer 400. Responses in order of status, "default" last.
for _operations in PATHS.values():
    for _operation in _operations.values():
        _operation["responses"] = dict(
            sorted({"400": _ref("responses", "BadParameter"), **_operation["responses"]}.items())
        )


DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Doorplate (智慧门牌) public API",
        "version": "1.0.0",
        "description": DESCRIPTION,
        "license": {"name": "MIT", "identifier": "MIT"},
    },
    "paths": PATHS,
    "components": {"schemas": SCHEMAS, "parameters": PARAMETERS, "responses": RESPONSES},
}
