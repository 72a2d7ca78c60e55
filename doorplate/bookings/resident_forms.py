"""The resident's booking forms: a slot booking, a request, "my booking" and its cancel steps.

The forms catch only what is plainly missing; the use cases in :mod:`doorplate.bookings.service`
decide the rest (a valid phone, a purpose from the service's list, a slot still open) and their
field-by-field messages are put next to the fields they name. The slot and purpose choices are
therefore not checked against the choices shown: a slot that filled up since the page was drawn
must reach the use case, which answers with the next free ones.

Each render of a booking or request form carries a fresh idempotency key in a hidden field, so a
reload that posts the form again (or a double tap) makes the one booking, not two. Control
characters in a description are refused here, as the API refuses them: PostgreSQL cannot store a
NUL, and the use case checks them only in the name.

Each form names its fields in the order the page shows them (``SHOWN``), so the error summary
at the top lists them as the reader meets them below, not in the order the classes declare them.
"""

from __future__ import annotations

import secrets
import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import Field, Form, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, ValidationError

from doorplate.bookings.models import Service
from doorplate.bounds import MAX_ID

NAME_MAX = 20
DESCRIPTION_MAX = 500
KEY_MAX = 64
REFERENCE_MAX = 20  # eight characters, with room for hyphens and spaces people type
_CHOOSE = _l("Choose…")
_EXPIRED = _l("The form has expired: please reload the page and try again.")
_KEPT_CONTROLS = frozenset("\n\r\t")  # a description may have lines
_REFERENCE_INPUT = {"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}


def _no_control_characters(_form: Form, field: Field) -> None:
    if any(unicodedata.category(c) == "Cc" and c not in _KEPT_CONTROLS for c in field.data or ""):
        raise ValidationError(_l("This may not contain control characters."))


def new_idempotency_key() -> str:
    """A key no other render of any form shares (128 bits, URL-safe)."""
    return secrets.token_urlsafe(16)


class _Ordered(FlaskForm):
    """A form that knows the order its page shows its fields in."""

    SHOWN: tuple[str, ...] = ()

    def in_order(self) -> list[Field]:
        return [self[name] for name in self.SHOWN]


class _Contact(_Ordered):
    """What every booking and request asks: who to contact, and the key that makes it once."""

    contact_name = StringField(
        _l("Your name (a surname is enough)"),
        validators=[InputRequired(_l("Please give a name.")), Length(max=NAME_MAX)],
        render_kw={"autocomplete": "name", "maxlength": NAME_MAX},
    )
    phone = StringField(
        _l("Mobile number"),
        validators=[InputRequired(_l("Please give a mobile number."))],
        render_kw={"autocomplete": "tel", "inputmode": "tel", "type": "tel", "maxlength": 20},
    )
    idempotency_key = HiddenField(
        validators=[InputRequired(_EXPIRED), Length(max=KEY_MAX, message=_EXPIRED)],
        default=new_idempotency_key,
    )


def _purpose_choices(service: Service) -> list[tuple[str, str]]:
    return [("", str(_CHOOSE)), *((p, p) for p in service.purposes)]


class BookingForm(_Contact):
    """Book one slot of a slot service for a purpose from its list."""

    SHOWN = ("slot_id", "purpose", "contact_name", "phone")

    slot_id = RadioField(
        _l("Day and time"),
        coerce=int,
        validate_choice=False,
        validators=[
            InputRequired(_l("Please choose a time.")),
            # a number past the INTEGER column is no slot (PostgreSQL refuses to compare it)
            NumberRange(1, MAX_ID, _l("Please choose a time.")),
        ],
    )
    purpose = SelectField(
        _l("Purpose"),
        validate_choice=False,
        validators=[InputRequired(_l("Please choose a purpose."))],
    )

    @classmethod
    def for_service(cls, service: Service) -> BookingForm:
        """The form for ``service``; its times are the day picker's, drawn by the page."""
        form = cls()
        form.purpose.choices = _purpose_choices(service)
        form.slot_id.choices = []
        return form


class RequestForm(_Contact):
    """Submit a request (报事报修, 办事申请): a category from the list, a short description and
    an optional photo."""

    SHOWN = ("purpose", "description", "photo", "contact_name", "phone")

    purpose = SelectField(
        _l("Category"),
        validate_choice=False,
        validators=[InputRequired(_l("Please choose a category."))],
    )
    description = TextAreaField(
        _l("What is it about?"),
        validators=[
            InputRequired(_l("Please describe it in a few words.")),
            Length(max=DESCRIPTION_MAX),
            _no_control_characters,
        ],
        render_kw={"maxlength": DESCRIPTION_MAX, "rows": 4},
    )
    photo = FileField(
        _l("Photo (optional, JPEG or PNG)"), render_kw={"accept": "image/jpeg,image/png"}
    )

    @classmethod
    def for_service(cls, service: Service) -> RequestForm:
        form = cls()
        form.purpose.choices = _purpose_choices(service)
        return form


class LookupForm(_Ordered):
    """Find one's booking: its number and the last four digits of the phone given."""

    SHOWN = ("reference", "phone_last4")

    reference = StringField(
        _l("Booking number"),
        validators=[
            InputRequired(_l("Please give the booking number.")),
            Length(max=REFERENCE_MAX),
        ],
        render_kw=_REFERENCE_INPUT,
    )
    phone_last4 = StringField(
        _l("Last four digits of the mobile number"),
        validators=[InputRequired(_l("Please give the last four digits."))],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 4},
    )


class RequestLookupForm(LookupForm):
    """The same lookup for a request (报事报修), in its own words: a request has a 受理号."""

    reference = StringField(
        _l("Request number"),
        validators=[
            InputRequired(_l("Please give the request number.")),
            Length(max=REFERENCE_MAX),
        ],
        render_kw=_REFERENCE_INPUT,
    )


class CancelForm(FlaskForm):
    """The cancel steps of the status page: it posts back what found the booking, and
    ``confirmed`` only from the page that asked "are you sure?"."""

    reference = HiddenField(validators=[InputRequired(), Length(max=REFERENCE_MAX)])
    phone_last4 = HiddenField(validators=[InputRequired(), Length(max=4)])
    confirmed = HiddenField()
