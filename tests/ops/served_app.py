"""The app as wsgi.py builds it, plus routes that fail, for the served (gunicorn) tests."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Response

from doorplate import create_app

app = create_app()


@app.get("/boom/<path:token>")
def boom(token: str) -> str:
    raise RuntimeError("boom")


@app.get("/escape")
def escape() -> Response:
    """A streamed answer that fails when the server reads it: the exception escapes Flask."""

    def body() -> Iterator[bytes]:
        raise RuntimeError("escaped")
        yield b"never"

    return Response(body(), headers={"X-Leak": "the failed answer's own header"})
