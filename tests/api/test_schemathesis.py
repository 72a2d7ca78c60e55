"""Schema fuzzing: schemathesis against ``/api/v1/openapi.json`` of the app served by gunicorn on
the test database, seeded with the demo county (plates, villages, posts, services, slots) and a
booking and a request, finds no 5xx and no answer the document does not describe.

``st run`` is a subprocess with every phase (examples, coverage, fuzzing, stateful), the five
checks below, a fixed seed and a bounded number of examples, so a run is repeatable and takes
well under a minute. Its hooks (``schemathesis_hooks.py``) mix the county's real identifiers into
the generated ones so the fuzzer reaches the 200/201 answers too. The rate limits are raised far
above what the run sends: a 429 is documented (and checked by the contract tests), but a fuzzer
that only gets 429s tests nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from served import ROOT, gunicorn
from sqlalchemy import select
from waits import HUNG_SECONDS

from doorplate.bookings.models import Service, ServiceKind, Slot
from doorplate.db import db
from doorplate.demo import seed_if_empty
from doorplate.places.models import Village
from doorplate.plates import service as plates
from doorplate.plates.models import Plate, PlateStatus, RevokeReason
from doorplate.publications.models import Post

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
]
SEED = 20261127
MAX_EXAMPLES = 25
# Every limit the API applies, far above the few thousand requests of a run.
LIMITS = ["BOOKING_LOOKUP_LIMIT", "BOOKING_CREATE_LIMIT", "PLATE_LOOKUP_LIMIT"]
PHONE = "13800138000"


def _booked(api: FlaskClient, token: str, path: str, body: dict[str, Any]) -> str:
    response = api.post(path, json={"plate": token, "contact_name": "王", "phone": PHONE, **body})
    assert response.status_code == 201, response.get_json()
    reference: str = response.get_json()["reference"]
    return reference


def fuzz_data(app: Flask) -> dict[str, list[Any]]:
    """Seed the demo county with a booking, a request and a revoked plate; its identifiers."""
    assert seed_if_empty()
    db.session.commit()
    first = db.session.get(Plate, 1)
    assert first is not None
    revoked = plates.revoke("test", first.household, RevokeReason.LOST)
    db.session.commit()
    tokens = db.session.scalars(
        select(Plate.token).where(Plate.status == PlateStatus.ACTIVE).order_by(Plate.id).limit(3)
    ).all()
    services = db.session.scalars(select(Service).order_by(Service.id)).all()
    slot_ids = db.session.scalars(select(Slot.id).order_by(Slot.id).limit(5)).all()
    data = {
        "token": [*tokens, revoked.token],
        "code": db.session.scalars(select(Village.code).order_by(Village.code).limit(3)).all(),
        "post_id": db.session.scalars(select(Post.id).order_by(Post.id).limit(5)).all(),
        "slot_id": list(slot_ids),
        "service_id": [s.id for s in services],
        "phone_last4": [PHONE[-4:]],
    }
    slot_service = next(s for s in services if s.kind is ServiceKind.SLOT)
    request_service = next(s for s in services if s.kind is ServiceKind.REQUEST)
    slot_id = db.session.scalar(select(Slot.id).where(Slot.service_id == slot_service.id))
    purposes = (slot_service.purposes[0], request_service.purposes[0])
    request_service_id = request_service.id
    db.session.commit()  # end the read: on SQLite it holds the lock the served app waits for
    api = app.test_client()
    data["reference"] = [
        _booked(
            api,
            tokens[0],
            "/api/v1/bookings",
            {"slot_id": slot_id, "purpose": purposes[0], "idempotency_key": "fuzz-1"},
        ),
        _booked(
            api,
            tokens[0],
            "/api/v1/requests",
            {
                "service_id": request_service_id,
                "purpose": purposes[1],
                "description": "路灯坏了",
                "idempotency_key": "fuzz-2",
            },
        ),
    ]
    db.session.commit()  # the requests ran in this app context: end what they left open
    return data


@pytest.mark.slow
def test_the_fuzzer_finds_no_server_error_and_nothing_off_the_document(
    app: Flask, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = fuzz_data(app)
    for name in LIMITS:
        monkeypatch.setenv(f"DOORPLATE_{name}", "100000 per minute")
    monkeypatch.setenv("DOORPLATE_RATELIMIT_STORAGE_URI", "memory://")
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "api.schemathesis_hooks",
        "PYTHONPATH": str(ROOT / "tests"),
        "DOORPLATE_FUZZ_DATA": json.dumps(data),
    }
    with gunicorn("wsgi:app", database_url, workers=2) as port:
        origin = f"http://127.0.0.1:{port}"
        run = subprocess.run(
            [
                str(Path(sys.executable).with_name("st")),
                "run",
                f"{origin}/api/v1/openapi.json",
                "--url",
                origin,
                "--checks",
                ",".join(CHECKS),
                "--max-examples",
                str(MAX_EXAMPLES),
                "--seed",
                str(SEED),
                "--generation-database",
                "none",
                "--workers",
                "1",
                "--max-failures",
                "20",
                "--no-color",
                "--report",
                "junit",
                "--report-dir",
                str(tmp_path),
            ],  # fmt: skip
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=HUNG_SECONDS,
        )
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
    assert "Tested: 9" in run.stdout, run.stdout[-5000:]


def test_every_rate_limited_operation_documents_its_429(
    make_api: Callable[..., FlaskClient],
) -> None:
    """What the fuzzer cannot see with its limits raised: each limited operation's 429 is in the
    document, with its ``Retry-After`` (the contract client checks every answer against it)."""
    api = make_api(**dict.fromkeys(LIMITS, "1 per minute"))
    plate = "/api/v1/plates/0000000000000000"
    booking = "/api/v1/bookings/K7M2-9QXD"
    attempts = [
        (api.get(plate), 404),
        (api.get(plate), 429),
        (api.get(f"{plate}/services"), 429),  # unknown codes count together
        (api.post("/api/v1/bookings", json={}), 422),
        (api.post("/api/v1/bookings", json={}), 429),
        (api.post("/api/v1/requests", json={}), 429),  # bookings and requests count together
        (api.get(f"{booking}?phone_last4=1234"), 404),
        (api.get(f"{booking}?phone_last4=1234"), 429),
        (api.post(f"{booking}/cancel", json={"phone_last4": "1234"}), 429),
    ]
    assert [response.status_code for response, _status in attempts] == [s for _r, s in attempts]
    for response, status in attempts:
        if status == 429:
            assert response.headers["Retry-After"].isdigit()
            assert response.get_json()["error"]["code"] == "too_many_requests"
