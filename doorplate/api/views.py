"""The ``api`` blueprint (``/api/v1``): plate lookup, a village's posts, one post, the OpenAPI
document.

Each view loads (404 for anything not public), checks its parameters (400 naming the one at fault)
and answers JSON; nothing here writes. The blueprint is exempt from CSRF: the API uses no cookie
for authority, and the POST endpoints still to come (bookings) are called by apps, not forms.
"""

from __future__ import annotations

from flask import Blueprint, current_app, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from doorplate.api import errors, params, queries, serialise
from doorplate.api.errors import ApiError
from doorplate.api.openapi import DOCUMENT
from doorplate.api.responses import DOCUMENT_CACHE, NO_STORE, PUBLIC_CACHE, json_response
from doorplate.db import utcnow
from doorplate.places import registry
from doorplate.plates import service as plates
from doorplate.publications.service import visible_posts
from doorplate.security import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
errors.init_blueprint(bp)


@bp.get("/plates/<path:token>")
def plate(token: str) -> Response:
    """The household's address, its village and links, for a scanned or typed plate code.

    Like the plate page: any case and Crockford look-alikes are accepted, every unknown code gets
    the same 404 body, a revoked one 410. Unlike the page, a lookup is not a visit (访问人次 are
    openings of the plate page by people): an app polling the API cannot inflate the county's
    figures.
    """
    try:
        found = plates.resolve(token)
    except plates.PlateRevoked:
        raise ApiError(
            410,
            "gone",
            _(
                "This doorplate has been replaced. Please contact your village office for the "
                "new one."
            ),
        ) from None
    except plates.PlateNotFound:
        raise ApiError(
            404,
            "not_found",
            _("We could not find this doorplate. Check the code, or contact your village office."),
        ) from None
    return json_response(serialise.plate(found), cache=NO_STORE)


@bp.get("/villages/<code>/posts")
def village_posts(code: str) -> Response:
    """A village's published posts with its town's and the county's, newest first, paged."""
    village = registry.village_by_code(code)
    if village is None:
        raise ApiError(404, "not_found", _("There is no village with this code."))
    query = params.list_query(request.args)
    found = visible_posts(
        village,
        category=query.category,
        query=query.text,
        page=query.page,
        per_page=query.per_page,
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


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 document describing this API, with this instance's address as its server."""
    server = {"url": current_app.config["BASE_URL"].rstrip("/")}
    return json_response({**DOCUMENT, "servers": [server]}, cache=DOCUMENT_CACHE)
