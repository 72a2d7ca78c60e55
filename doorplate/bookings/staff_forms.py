"""Forms of the bookings console: the list filters and the two actions that take text.

Labels are lazy (``_l``) because the classes are built at import time. The filters are GET forms
(no CSRF token: filtering changes nothing and can be bookmarked). Confirm and no-show post nothing
but the CSRF token, which ``CSRFProtect`` checks before any view runs, so they need no form class.
The forms catch only what is plainly missing or too long; the use cases in
:mod:`doorplate.bookings.service` decide everything else and their messages are shown as they come.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload
from wtforms import DateField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from doorplate.bookings.models import (
    STATUS_LABELS,
    BookingStatus,
    Service,
    ServiceKind,
    ServiceScope,
)
from doorplate.bookings.service import TEXT_MAX_LENGTH
from doorplate.bounds import DayInRange
from doorplate.db import db
from doorplate.places.models import Town, Village
from doorplate.staff.service import Scope


def service_choices(scope: Scope, kind: ServiceKind) -> list[tuple[str, str]]:
    """The services of ``kind`` whose bookings the list can show: the county's and those of the
    towns and villages ``scope`` covers, inactive ones too (their bookings remain)."""
    offered = or_(
        Service.scope == ServiceScope.COUNTY,
        Service.town_id.in_(select(Town.id).where(scope.towns())),
        Service.village_id.in_(select(Village.id).where(scope.villages())),
    )
    services = db.session.scalars(
        select(Service)
        .where(offered, Service.kind == kind)
        .options(joinedload(Service.town), joinedload(Service.village))
        .order_by(Service.scope, Service.name, Service.id)
    )
    return [(str(s.id), _service_label(s)) for s in services]


def _service_label(service: Service) -> str:
    """The name, and the place for a town's or village's own service (names repeat)."""
    place = service.village or service.town
    return f"{service.name} · {place.name}" if place else service.name


def status_choices() -> list[SelectChoice]:
    """ "All statuses" and then each status, in the lifecycle's order."""
    return [
        SelectChoice("", _l("All statuses")),  # type: ignore[arg-type]  (lazy strings render as text)
        *(SelectChoice(s.value, STATUS_LABELS[s]) for s in BookingStatus),  # type: ignore[arg-type]
    ]


class RequestFilterForm(FlaskForm):
    """The requests queue's filter: one status, or all of them."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=status_choices(), default="")


class BookingFilterForm(RequestFilterForm):
    """The bookings list's filter; ``service`` offers the services in the user's scope."""

    service = SelectField(_l("Service"), default="")
    day = DateField(
        _l("Day"),
        description=_l("Leave empty for today and the days ahead."),
        validators=[Optional(), DayInRange()],
    )


class CompleteForm(FlaskForm):
    note = TextAreaField(
        _l("Note (optional)"),
        description=_l("What was done, for the record. Visible to staff only."),
        validators=[Optional(), Length(max=TEXT_MAX_LENGTH)],
        render_kw={"rows": 2, "maxlength": TEXT_MAX_LENGTH},
    )


class RejectForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"),
        description=_l("The resident sees it when they look up their booking."),
        validators=[
            DataRequired(message=_l("Give the reason: the resident sees it.")),
            Length(max=TEXT_MAX_LENGTH),
        ],
        render_kw={"rows": 2, "maxlength": TEXT_MAX_LENGTH},
    )
