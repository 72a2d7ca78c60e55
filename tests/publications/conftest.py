"""A small county for the publication tests: town 1 with villages A and A2, town 2 with village B,
and staff of every role and scope, plus helpers that walk a post through the workflow."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pytest
from flask import Flask

from doorplate.db import db
from doorplate.places.models import Town, Village
from doorplate.publications import service
from doorplate.publications.models import Category, Post
from doorplate.staff.models import Role, StaffUser


@dataclass(frozen=True)
class County:
    town1: Town
    town2: Town
    a: Village
    a2: Village
    b: Village
    editor_a: StaffUser
    editor_a2: StaffUser
    editor_b: StaffUser
    reviewer_town1: StaffUser
    reviewer_town2: StaffUser
    reviewer_a: StaffUser  # a village's supervisory committee (村务监督委员会)
    reviewer_a2: StaffUser
    county: StaffUser
    admin: StaffUser


@pytest.fixture
def county(
    app: Flask, make_village: Callable[..., Village], make_staff: Callable[..., StaffUser]
) -> County:
    a = make_village("330327100201", "渡龙村")
    a2 = make_village("330327100202", "坑垟村")
    b = make_village("330327101201", "南岙村")
    return County(
        town1=a.town,
        town2=b.town,
        a=a,
        a2=a2,
        b=b,
        editor_a=make_staff(Role.EDITOR, username="editor-a", village=a),
        editor_a2=make_staff(Role.EDITOR, username="editor-a2", village=a2),
        editor_b=make_staff(Role.EDITOR, username="editor-b", village=b),
        reviewer_town1=make_staff(Role.REVIEWER, username="reviewer-t1", town=a.town),
        reviewer_town2=make_staff(Role.REVIEWER, username="reviewer-t2", town=b.town),
        reviewer_a=make_staff(Role.REVIEWER, username="reviewer-a", village=a),
        reviewer_a2=make_staff(Role.REVIEWER, username="reviewer-a2", village=a2),
        county=make_staff(Role.COUNTY, username="county"),
        admin=make_staff(Role.ADMIN, username="admin"),
    )


def draft(
    author: StaffUser,
    *,
    village: Village | None = None,
    town: Town | None = None,
    title: str = "2026年第三季度村务公开",
    body: str = "本季度修缮村道一条。",
    category: Category = Category.AFFAIRS,
    **fields: object,
) -> Post:
    post = service.create_post(
        author, category=category, title=title, body=body, village=village, town=town, **fields
    )
    db.session.commit()
    return post


def submitted(author: StaffUser, **fields: object) -> Post:
    post = draft(author, **fields)
    service.submit(author, post)
    db.session.commit()
    return post


def published(
    author: StaffUser,
    reviewer: StaffUser,
    *,
    publish_at: datetime | None = None,
    expires_at: datetime | None = None,
    now: datetime | None = None,
    **fields: object,
) -> Post:
    post = submitted(author, **fields)
    service.approve(reviewer, post, publish_at=publish_at, expires_at=expires_at, now=now)
    db.session.commit()
    return post
