"""Forms of the staff console.

Labels are lazy (``_l``) because the classes are built at import time, before any request says
which language to use. The password rules themselves live in the service; the forms only catch
what is plainly missing.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SearchField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from doorplate.staff.service import MIN_PASSWORD_LENGTH

SEARCH_MAX_LENGTH = 100


class LoginForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(), Length(max=64)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )


class PasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                message=_l(
                    "The password must be at least %(n)d characters long.", n=MIN_PASSWORD_LENGTH
                ),
            ),
        ],
        description=_l("At least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
        render_kw={"autocomplete": "new-password", "minlength": MIN_PASSWORD_LENGTH},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The two new passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class HouseholdSearchForm(FlaskForm):
    """A GET form: searching changes nothing, so it carries no CSRF token and can be bookmarked."""

    class Meta:
        csrf = False

    q = SearchField(
        _l("Address, house number, name or phone"), validators=[Length(max=SEARCH_MAX_LENGTH)]
    )
    village = SelectField(_l("Village"), validate_choice=False)


class VillageContactForm(FlaskForm):
    """The village office's public contact; the use case validates the values themselves."""

    office_phone = StringField(
        _l("Office telephone"),
        description=_l(
            "The office line residents may call, e.g. 0577-68712345. Not a private number."
        ),
        render_kw={"autocomplete": "off", "inputmode": "tel"},
    )
    office_address = StringField(_l("Office address"))
    office_hours = StringField(
        _l("Opening hours"), description=_l("For example: weekdays 8:30–11:30, 14:00–17:00")
    )
