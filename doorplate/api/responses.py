"""JSON responses with the headers every API answer carries, errors included.

Bodies are UTF-8 JSON with Chinese written as itself (``ensure_ascii=False``): half the size of
``\\u`` escapes on a weak rural connection, and readable in a log. The app-wide JSON provider is
left alone, so this choice stays the API's.

``Access-Control-Allow-Origin: *`` lets a web client on any origin read the API: the content is
public and the API reads no cookie that matters to it, and with ``*`` browsers never send
credentials. Messages and category labels follow the language (``?lang=``, the ``lang`` cookie,
Accept-Language), hence the ``Vary``.
"""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Response

# Posts change when a reviewer acts; a minute's staleness is nothing, and lets a CDN or the
# mini-program's cache absorb a county-wide burst.
PUBLIC_CACHE = "public, max-age=60"
# A plate lookup carries a household's address: kept out of every shared and back-button cache.
NO_STORE = "no-store"
DOCUMENT_CACHE = "public, max-age=3600"


def json_response(
    data: Any, status: int = 200, *, cache: str, headers: dict[str, str] | None = None
) -> Response:
    """``data`` as an ``application/json`` response with the API's headers."""
    response = Response(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")),
        status=status,
        mimetype="application/json",
    )
    response.headers.update(headers or {})
    response.headers["Cache-Control"] = cache
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response
