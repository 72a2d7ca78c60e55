"""The app as wsgi.py builds it, plus one route that fails, for the served (gunicorn) tests."""

from __future__ import annotations

from doorplate import create_app

app = create_app()


@app.get("/boom/<path:token>")
def boom(token: str) -> str:
    raise RuntimeError("boom")
