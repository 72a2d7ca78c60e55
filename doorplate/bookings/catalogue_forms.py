"""Forms of the service catalogue console: a service, its weekly hours, a calendar override.

The forms only parse (numbers, times, dates, one entry per line); the use cases in
:mod:`doorplate.bookings.catalogue` decide what is valid, and their messages name the field.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Optional

from doorplate.bookings.catalogue import (
    DESCRIPTION_MAX_LENGTH,
    LOCATION_MAX_LENGTH,
    NAME_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    HoursInput,
)
from doorplate.bookings.models import ServiceKind

KIND_LABELS = {
    ServiceKind.SLOT: _l("booked by time slot (预约办理)"),
    ServiceKind.REQUEST: _l("request without a slot (报事报修, 办事申请)"),
}
WEEKDAY_LABELS = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)
BLANK_HOURS_ROWS = 3  # empty rows offered below the existing periods
OPEN, CLOSED = "open", "closed"


def lines(text: str | None) -> list[str]:
    """A textarea's entries, one per line."""
    return (text or "").splitlines()


class ServiceForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(message=_l("Name: give the service a name."))],
        render_kw={"maxlength": NAME_MAX_LENGTH},
    )
    description = TextAreaField(
        _l("What it is for"),
        render_kw={"rows": 3, "maxlength": DESCRIPTION_MAX_LENGTH},
    )
    materials = TextAreaField(
        _l("Materials to bring (所需材料)"),
        description=_l("One per line, e.g. 身份证原件."),
        render_kw={"rows": 4},
    )
    location = StringField(
        _l("Where"),
        description=_l("e.g. 灵溪镇便民服务中心2号窗口, or the village office."),
        validators=[DataRequired(message=_l("Location: say where residents go."))],
        render_kw={"maxlength": LOCATION_MAX_LENGTH},
    )
    duration_minutes = IntegerField(
        _l("Duration in minutes"),
        validators=[InputRequired(message=_l("Duration: give a number of minutes."))],
    )
    purposes = TextAreaField(
        _l("Purposes residents choose from"),
        description=_l(
            "One per line, at most 20, e.g. 新办, 补办. A fixed list, so nobody is asked to type "
            "health or welfare details."
        ),
        render_kw={"rows": 4},
    )


class NewServiceForm(ServiceForm):
    # Not checked against the choices here: a place outside the scope is a 404 in the view.
    place = SelectField(
        _l("Offered by"),
        validators=[DataRequired(message=_l("Offered by: choose a place."))],
        validate_choice=False,
    )
    kind = SelectField(
        _l("Kind"),
        default=ServiceKind.SLOT.value,
        choices=[SelectChoice(k.value, label) for k, label in KIND_LABELS.items()],  # type: ignore[arg-type]
    )


class HoursRowForm(Form):
    """One weekly period; a row without a day is left out."""

    weekday = SelectField(
        _l("Weekday"),
        choices=[
            SelectChoice("", _l("(none)")),  # type: ignore[arg-type]
            *(SelectChoice(str(n), label) for n, label in enumerate(WEEKDAY_LABELS)),  # type: ignore[arg-type]
        ],
        default="",
    )
    opens = TimeField(_l("Opens"), validators=[Optional()])
    closes = TimeField(_l("Closes"), validators=[Optional()])
    slot_minutes = IntegerField(_l("Minutes per slot"), validators=[Optional()])
    capacity = IntegerField(_l("People per slot"), validators=[Optional()])

    def period(self) -> HoursInput | None:
        """The row as a period; None for a blank row. Raises ValueError when half filled."""
        if not self.weekday.data:
            return None
        values = (self.opens.data, self.closes.data, self.slot_minutes.data, self.capacity.data)
        if any(value is None for value in values):
            raise ValueError
        return HoursInput(
            weekday=int(self.weekday.data),
            opens=self.opens.data,  # type: ignore[arg-type]
            closes=self.closes.data,  # type: ignore[arg-type]
            slot_minutes=self.slot_minutes.data,  # type: ignore[arg-type]
            capacity=self.capacity.data,  # type: ignore[arg-type]
        )


class HoursForm(FlaskForm):
    hours = FieldList(FormField(HoursRowForm))


class OverrideForm(FlaskForm):
    day = DateField(_l("Date"), validators=[InputRequired(message=_l("Date: choose a day."))])
    state = SelectField(
        _l("On that day"),
        choices=[
            SelectChoice(CLOSED, _l("closed (no slots)")),  # type: ignore[arg-type]
            SelectChoice(OPEN, _l("open with the usual hours")),  # type: ignore[arg-type]
        ],
    )
    note = StringField(
        _l("Note"),
        description=_l("e.g. 台风停止办公, 年底集中办理."),
        render_kw={"maxlength": NOTE_MAX_LENGTH},
    )


class RemoveOverrideForm(FlaskForm):
    day = HiddenField(validators=[DataRequired()])


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""
