"""Forms of the plates console: revoking and reissuing a household's plate.

Both take a reason (kept with the old plate, so the county can tell lost plates from damaged ones)
and an explicit confirmation, since the plate on the door stops working the moment it is sent.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from doorplate.plates.models import RevokeReason

REASON_LABELS = {
    RevokeReason.LOST: _l("Lost"),
    RevokeReason.DAMAGED: _l("Damaged or unreadable"),
    RevokeReason.MOVED: _l("Household moved or address changed"),
    RevokeReason.OTHER: _l("Other"),
}
_CONFIRM_MISSING = _l("Tick the box to confirm.")


class RevokeForm(FlaskForm):
    reason = SelectField(
        _l("Reason"), choices=[SelectChoice(r.value, label) for r, label in REASON_LABELS.items()]
    )
    confirm = BooleanField(
        _l("I understand that the plate on the door stops working at once."),
        validators=[DataRequired(message=_CONFIRM_MISSING)],
    )


class ReissueForm(FlaskForm):
    reason = SelectField(
        _l("Reason"), choices=[SelectChoice(r.value, label) for r, label in REASON_LABELS.items()]
    )
    confirm = BooleanField(
        _l(
            "I understand that the current plate stops working at once and the new one must be "
            "printed and installed."
        ),
        validators=[DataRequired(message=_CONFIRM_MISSING)],
    )
