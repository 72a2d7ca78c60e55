"""The county's synonym list: phrases that mean the same to someone searching (医保 = 医疗保险).

County staff keep it as text, one group a line (``医保=医疗保险``), in the console; a query that
names any phrase of a line also finds posts that use another (both ways). The list starts from
:data:`DEFAULT_GROUPS`, the policy words residents type for what posts spell out, seeded by the
migration and the demo. A save replaces the whole list, refused if someone saved it since the
editor read it (``version``); it is audited with the lines added and removed.
"""

from __future__ import annotations

import hashlib

from flask_babel import gettext as _
from sqlalchemy import delete, exists, insert, select

from doorplate.db import db
from doorplate.search.models import PHRASE_MAX_LENGTH, Synonym
from doorplate.search.terms import normalise, words
from doorplate.staff import audit
from doorplate.staff.models import Role, StaffUser

EDITORS = frozenset({Role.COUNTY, Role.ADMIN})
MAX_LINES = 500
SEPARATOR = "="

DEFAULT_GROUPS: tuple[tuple[str, ...], ...] = (
    ("医保", "医疗保险"),
    ("低保", "最低生活保障"),
    ("养老金", "养老保险金"),
    ("社保", "社会保险"),
    ("新农合", "城乡居民医疗保险", "新型农村合作医疗"),
    ("公积金", "住房公积金"),
    ("残疾证", "残疾人证"),
    ("五保", "五保户", "特困人员供养"),
    ("社保卡", "社会保障卡"),
    ("大病医保", "大病保险"),
    ("高龄补贴", "高龄津贴"),
    ("户口本", "户口簿"),
    ("身份证", "居民身份证"),
    ("村委会", "村民委员会"),
    ("计生", "计划生育"),
    ("危房改造", "危旧房改造"),
    ("退伍军人", "退役军人"),
    ("临时救济", "临时救助"),
)


class SynonymError(Exception):
    """The list was not saved; the message (one line per problem) is translated."""


def groups() -> list[tuple[str, ...]]:
    """The list, line by line."""
    rows = db.session.execute(select(Synonym.line, Synonym.phrase).order_by(Synonym.id))
    lines: dict[int, list[str]] = {}
    for line, phrase in rows:
        lines.setdefault(line, []).append(phrase)
    return [tuple(lines[line]) for line in sorted(lines)]


def as_text(lines: list[tuple[str, ...]]) -> str:
    """The list as the console edits it."""
    return "\n".join(SEPARATOR.join(group) for group in lines)


def version(lines: list[tuple[str, ...]]) -> str:
    """A short fingerprint of the list, to notice a save made since it was read."""
    return hashlib.sha256(as_text(lines).encode()).hexdigest()[:16]


def parse(text: str) -> list[tuple[str, ...]]:
    """The groups a text gives, or :class:`SynonymError` naming every line that is wrong."""
    problems: list[str] = []
    seen: dict[str, int] = {}
    result: list[tuple[str, ...]] = []
    numbered = [(n, normalise(line)) for n, line in enumerate(text.splitlines(), start=1)]
    filled = [(n, line) for n, line in numbered if line.strip()]
    if len(filled) > MAX_LINES:
        raise SynonymError(_("The list may have at most %(n)d lines.", n=MAX_LINES))
    for number, line in filled:
        phrases = tuple(dict.fromkeys(p.strip() for p in line.split(SEPARATOR) if p.strip()))
        problems += _line_problems(number, phrases, seen)
        result.append(phrases)
    if problems:
        raise SynonymError("\n".join(problems))
    return result


def _line_problems(number: int, phrases: tuple[str, ...], seen: dict[str, int]) -> list[str]:
    """What is wrong with one line; its phrases are remembered in ``seen``."""
    if len(phrases) < 2:
        return [_("Line %(line)d: write two or more phrases separated by =.", line=number)]
    problems = []
    for phrase in phrases:
        if not 2 <= len(phrase) <= PHRASE_MAX_LENGTH:
            problems.append(
                _(
                    "Line %(line)d: “%(phrase)s” must be 2 to %(n)d characters long.",
                    line=number,
                    phrase=phrase,
                    n=PHRASE_MAX_LENGTH,
                )
            )
        elif not words(phrase):
            problems.append(
                _(
                    "Line %(line)d: “%(phrase)s” has no word to search for.",
                    line=number,
                    phrase=phrase,
                )
            )
        elif phrase in seen:
            problems.append(
                _(
                    "Line %(line)d: “%(phrase)s” is already on line %(first)d.",
                    line=number,
                    phrase=phrase,
                    first=seen[phrase],
                )
            )
        seen.setdefault(phrase, number)
    return problems


def save(actor: StaffUser, text: str, read_version: str) -> list[tuple[str, ...]]:
    """Replace the list with ``text`` (county staff only); audited with the lines that changed."""
    if actor.role not in EDITORS:
        raise SynonymError(_("Only county staff may change the synonym list."))
    new = parse(text)
    old = groups()
    if version(old) != read_version:
        raise SynonymError(
            _("Someone saved the list while you were editing it: here it is now, edit it again.")
        )
    _replace(new)
    audit.record(
        actor,
        "search.synonyms",
        "search_synonym",
        added=[SEPARATOR.join(g) for g in new if g not in old],
        removed=[SEPARATOR.join(g) for g in old if g not in new],
    )
    return new


def seed_defaults() -> bool:
    """Start an empty list with :data:`DEFAULT_GROUPS`; whether it was empty."""
    if db.session.scalar(select(exists().where(Synonym.id.is_not(None)))):
        return False
    _replace(list(DEFAULT_GROUPS))
    return True


def _replace(lines: list[tuple[str, ...]]) -> None:
    db.session.execute(delete(Synonym))
    rows = [{"line": n, "phrase": p} for n, group in enumerate(lines, start=1) for p in group]
    if rows:
        db.session.execute(insert(Synonym), rows)
