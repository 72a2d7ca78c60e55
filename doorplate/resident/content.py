"""What the resident pages read and how they present it: a village by its public code, paging,
the last day a post is up, which table columns hold numbers, and the office's phone link.

Content is village-level (its own posts, its town's and the county's), so every page below the
plate is addressed by the village's public code, never by a household's plate token: a shared
post link reveals no address. The posts themselves come from
:mod:`doorplate.publications.service`, which owns what "visible" means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from doorplate.publications.models import Post, PostScope, Table

PER_PAGE = 20
LATEST_PER_CATEGORY = 3
QUERY_MAX_LENGTH = 100  # a search is a word or two; longer input is cut, not refused

# The small tag beside a post that came from above the village (县 / 镇).
LEVEL_TAGS = {PostScope.COUNTY: _l("County"), PostScope.TOWN: _l("Town")}

# A cell that is an amount, a count or a percentage: ``1,234.50``, ``-300``, ``12%``,
# ``￥2,000.00``, ``3500元``. Such columns are right-aligned so the digits line up.
_NUMBER = re.compile(r"[-+−]?[¥￥]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?[%元]?")


@dataclass(frozen=True)
class Pager:
    """Where a list page is: page ``page`` of ``pages`` (at least 1), ``total`` matches."""

    page: int
    total: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def numeric_columns(table: Table) -> frozenset[int]:
    """The columns whose every filled cell is a number: they are right-aligned, header too."""
    numeric = set()
    for index in range(len(table.header)):
        cells = [row[index].replace(" ", "") for row in table.rows if row[index].strip()]
        if cells and all(_NUMBER.fullmatch(cell) for cell in cells):
            numeric.add(index)
    return frozenset(numeric)


def last_day(post: Post) -> datetime | None:
    """The last moment the post is up, for "valid until": an expiry at local midnight (as the
    personal-data default is) means the day before is the last day it can be read."""
    return None if post.expires_at is None else post.expires_at - timedelta(seconds=1)


def tel_uri(phone: str) -> str:
    """A ``tel:`` link for an office number as written (``0577-6871 0001``, ``+86 577 6871 0001
    转 8012``): its digits, and an extension after a pause (``,``) that phone diallers honour."""
    number, *extension = re.split(r"转|ext", phone, maxsplit=1, flags=re.IGNORECASE)
    digits = "tel:" + re.sub(r"[^0-9+]", "", number)
    return digits + "," + re.sub(r"[^0-9]", "", extension[0]) if extension else digits


def search_text(raw: str | None) -> str:
    """The search box's text, trimmed and cut to :data:`QUERY_MAX_LENGTH` characters."""
    return (raw or "").strip()[:QUERY_MAX_LENGTH]
