"""Staff console: the county's synonym list, at ``/staff/search/synonyms``.

Nested in the staff blueprint (``staff.search.*``). Every role may read the list, which explains
what residents' searches find; only county staff change it, since it applies to every village.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from doorplate.db import db
from doorplate.search import synonyms
from doorplate.search.forms import SynonymsForm
from doorplate.staff.access import current_staff, staff_required

console = Blueprint("search", __name__, url_prefix="/search")


@console.get("/synonyms")
@staff_required()
def synonyms_page() -> ResponseReturnValue:
    """The list, editable for county staff."""
    lines = synonyms.groups()
    form = SynonymsForm(text=synonyms.as_text(lines), version=synonyms.version(lines))
    return _page(form, lines)


@console.post("/synonyms")
@staff_required(*synonyms.EDITORS)
def save_synonyms() -> ResponseReturnValue:
    """Replace the list; on a mistake, the text as typed with every problem named."""
    form = SynonymsForm()
    if not form.validate_on_submit():
        return _page(form, synonyms.groups()), 400
    try:
        synonyms.save(current_staff(), form.text.data or "", form.version.data or "")
    except synonyms.SynonymError as refused:
        db.session.rollback()
        lines = synonyms.groups()
        form.version.data = synonyms.version(lines)
        return _page(form, lines, str(refused)), 400
    db.session.commit()
    flash(_("The synonym list is saved."), "success")
    return redirect(url_for(".synonyms_page"))


def _page(form: SynonymsForm, lines: list[tuple[str, ...]], error: str = "") -> str:
    return render_template(
        "search/synonyms.html",
        form=form,
        lines=lines,
        error=error,
        may_edit=current_staff().role in synonyms.EDITORS,
    )
