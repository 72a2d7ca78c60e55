"""The baselines for ``scan.py``, served by the same gunicorn settings as the plate page.

``app`` is the smallest Flask app. ``naive`` is the straightforward way to build the plate page,
for scale: a ~5 KB template rendered per request and a visit row inserted through the ORM and
committed, on the database named by ``DATABASE_URL``.
"""

import os
from datetime import UTC, datetime

from flask import Flask, render_template_string, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import Mapped, mapped_column

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"


naive = Flask("naive")
naive.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get(
    "DATABASE_URL", "sqlite:///naive.sqlite3"
).replace("postgresql://", "postgresql+psycopg://", 1)
database = SQLAlchemy(naive)

PAGE = (
    "<!doctype html><html lang=zh-CN><head><meta charset=utf-8><title>{{ title }}</title>"
    "</head><body><h1>{{ address }}</h1>"
    + "".join(
        f"<h2>分类{n}</h2><ul>{{% for item in items %}}<li>{{{{ item }}}}</li>{{% endfor %}}</ul>"
        for n in range(6)
    )
    + "</body></html>"
)
ITEMS = [f"村务公开：2026年第{n}季度财务收支情况公示（第{n}期）" for n in range(12)]


class NaiveVisit(database.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str]
    user_agent: Mapped[str]
    occurred_at: Mapped[datetime]


with naive.app_context():
    database.create_all()


@naive.get("/P/<token>")
def naive_plate(token: str) -> str:
    page = render_template_string(PAGE, title=token, address=token, items=ITEMS)
    database.session.add(
        NaiveVisit(
            token=token,
            user_agent=request.headers.get("User-Agent", ""),
            occurred_at=datetime.now(UTC),
        )
    )
    database.session.commit()
    return page
