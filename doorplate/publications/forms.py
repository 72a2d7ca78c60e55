"""Forms of the publications console: writing a post, reviewing it, masking it, and the list filter.

Labels are lazy (``_l``) because the classes are built at import time. The forms catch only what
is plainly missing or malformed; the use cases in :mod:`doorplate.publications.service` decide
everything else and their messages are shown as they come. Times are typed in the county's own
time zone (``BABEL_DEFAULT_TIMEZONE``), as the clerk's and the reviewer's clocks show it, and come
out of the form as aware datetimes.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from doorplate.db import db
from doorplate.i18n import county_zone
from doorplate.places import registry
from doorplate.places.models import Town
from doorplate.publications.models import CATEGORY_LABELS, STATE_LABELS, PostState, PostStatus
from doorplate.publications.service import (
    BODY_MAX_LENGTH,
    REASON_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    may_write_for,
)
from doorplate.staff.service import Scope

COUNTY = "county"  # the place value of a county-wide post; towns and villages are "town:<code>"
MINE = "mine"  # list filter: the signed-in user's drafts and rejected posts
ALL = "all"
_CHOOSE = _l("Choose…")


def place_choices(scope: Scope) -> list[tuple[str, str]]:
    """The places staff with ``scope`` write for: the county, whole towns, villages, in code
    order. An editor gets their village only; a town's reviewer the town and its villages."""
    choices: list[tuple[str, str]] = []
    if scope.is_county:
        county = current_app.config["COUNTY_NAME"]
        choices.append((COUNTY, _("Whole county (%(county)s)", county=county)))
    towns = db.session.scalars(select(Town).where(scope.towns()).order_by(Town.code))
    choices += [
        (f"town:{town.code}", _("%(town)s (whole town)", town=town.name))
        for town in towns
        if may_write_for(scope, town, None)
    ]
    choices += [(f"village:{code}", label) for code, label in registry.village_choices(scope)]
    return choices


def _category_choices(first: object) -> list[SelectChoice]:
    return [
        SelectChoice("", first),  # type: ignore[arg-type]  (lazy strings render as text)
        *(SelectChoice(c.value, label) for c, label in CATEGORY_LABELS.items()),  # type: ignore[arg-type]
    ]


class PostForm(FlaskForm):
    """A post's content. Two buttons: preview (nothing is saved) and save as a draft.

    ``table_json`` carries a table uploaded with an earlier preview, since a browser never fills a
    file input in again: saving after a preview keeps the table that was previewed.
    """

    category = SelectField(
        _l("Category"),
        choices=_category_choices(_CHOOSE),
        validators=[DataRequired(message=_l("Choose a category."))],
    )
    title = StringField(
        _l("Title"),
        validators=[DataRequired(message=_l("A post needs a title."))],
        render_kw={"maxlength": TITLE_MAX_LENGTH},
    )
    body = TextAreaField(
        _l("Text"),
        description=_l(
            "Markdown: a blank line starts a paragraph, ## a heading, - a list item, "
            "**bold**, [link](https://...). Scripts, styles and frames are removed."
        ),
        validators=[Length(max=BODY_MAX_LENGTH)],
        render_kw={"rows": 14},
    )
    personal_data = BooleanField(
        _l("This post shows personal data, e.g. a list of names (it will then expire)")
    )
    table_file = FileField(
        _l("Table from a spreadsheet"),
        description=_l(
            "An .xlsx or .csv file whose first row holds the column headings. "
            "A new file replaces the current table."
        ),
        render_kw={"accept": ".xlsx,.csv"},
    )
    table_json = HiddenField()
    remove_table = BooleanField(_l("Remove the table"))
    preview = SubmitField(_l("Preview"))
    save = SubmitField(_l("Save draft"))


class NewPostForm(PostForm):
    place = SelectField(
        _l("Published for"), validators=[DataRequired(message=_l("Choose where it is published."))]
    )


class ApproveForm(FlaskForm):
    """``submitted_at`` is the submission the reviewer read: if the post was sent back and
    submitted again meanwhile, the approval does not apply to what they have not seen."""

    submitted_at = HiddenField()
    publish_at = DateTimeLocalField(
        _l("Publish from"),
        description=_l("Leave empty to publish now."),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        tz=county_zone,
        invalid_value_message=_l("Enter a date and a time."),
        validators=[Optional()],
    )
    expires_at = DateTimeLocalField(
        _l("Take down at"),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        tz=county_zone,
        invalid_value_message=_l("Enter a date and a time."),
        validators=[Optional()],
    )


class RejectForm(FlaskForm):
    submitted_at = HiddenField()
    reason = TextAreaField(
        _l("Reason, for the author"),
        validators=[
            DataRequired(message=_l("Say why the post is rejected, so the author can correct it.")),
            Length(max=REASON_MAX_LENGTH),
        ],
        render_kw={"rows": 3, "maxlength": REASON_MAX_LENGTH},
    )


class MaskForm(FlaskForm):
    """One-click masking: numbers everywhere, names in the ticked table columns."""

    name_columns = SelectMultipleField(
        _l("Columns with names"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        description=_l("张三 becomes 张*, 张三明 becomes 张*明. Guessed from the headings."),
    )

    def set_columns(self, header: tuple[str, ...]) -> None:
        self.name_columns.choices = [(index, title) for index, title in enumerate(header)]


STATE_FILTERS: dict[str, object] = {
    MINE: _l("My drafts and rejected posts"),
    PostStatus.SUBMITTED.value: STATE_LABELS[PostState.SUBMITTED],
    PostStatus.DRAFT.value: STATE_LABELS[PostState.DRAFT],
    PostStatus.REJECTED.value: STATE_LABELS[PostState.REJECTED],
    PostStatus.PUBLISHED.value: _l("published, scheduled or expired"),
    PostStatus.WITHDRAWN.value: STATE_LABELS[PostState.WITHDRAWN],
    ALL: _l("all"),
}


class PostFilterForm(FlaskForm):
    """A GET form: filtering changes nothing, so it carries no CSRF token and can be bookmarked."""

    class Meta:
        csrf = False

    state = SelectField(
        _l("State"),
        choices=[SelectChoice(value, label) for value, label in STATE_FILTERS.items()],  # type: ignore[arg-type]
    )
    place = SelectField(_l("Published for"), default="")  # choices: the places in scope
    category = SelectField(
        _l("Category"), choices=_category_choices(_l("All categories")), default=""
    )
