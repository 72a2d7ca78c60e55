"""The synonym list's form: the whole list as text, and the version it was read at."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length

from doorplate.search.models import PHRASE_MAX_LENGTH
from doorplate.search.synonyms import MAX_LINES


class SynonymsForm(FlaskForm):
    text = TextAreaField(
        _l("Synonyms"),
        description=_l(
            "One line per meaning, its phrases separated by =, e.g. 医保=医疗保险. A search for "
            "any phrase of a line also finds posts that use another."
        ),
        validators=[Length(max=MAX_LINES * 5 * (PHRASE_MAX_LENGTH + 1))],
        render_kw={"rows": 20, "spellcheck": "false"},
    )
    version = HiddenField()
