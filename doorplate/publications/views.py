"""The publications console (``/staff/posts/...``): write, preview, submit, review, withdraw.

Nested in the staff blueprint by :mod:`doorplate.console`, so every endpoint is ``staff.posts.*``.
Each view loads the post through the scope-filtered query (out of scope is a 404, the same as an
unknown id), lets the use case in :mod:`doorplate.publications.service` check and act, and commits
once; a refusal rolls back and is shown with the message the use case gave. Everything works as
plain forms without JavaScript: preview is a second submit button that re-renders the form. Every
post form carries the CSRF token, which ``CSRFProtect`` checks before any view runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from werkzeug.exceptions import RequestEntityTooLarge

from doorplate.bounds import json_loads, page_number
from doorplate.db import db, utcnow
from doorplate.places import registry
from doorplate.places.models import Town, Village
from doorplate.publications import markdown, privacy, service, tables
from doorplate.publications.forms import (
    ALL,
    COUNTY,
    MINE,
    ApproveForm,
    MaskForm,
    NewPostForm,
    PostFilterForm,
    PostForm,
    RejectForm,
    place_choices,
)
from doorplate.publications.models import (
    CATEGORY_LABELS,
    STATE_LABELS,
    Category,
    Post,
    PostStatus,
    Table,
)
from doorplate.resident import post_html
from doorplate.staff import audit
from doorplate.staff.access import current_scope, current_staff, staff_required
from doorplate.staff.models import Role
from doorplate.staff.service import Scope

console = Blueprint("posts", __name__, url_prefix="/posts")

REVIEWERS = (Role.ADMIN, Role.COUNTY, Role.REVIEWER)
# Publish "now" typed to the minute is a few seconds in the past by the time it arrives.
PUBLISH_NOW_SLACK = timedelta(minutes=1)
ACTION_LABELS = {
    "post.create": _l("created the draft"),
    "post.update": _l("changed the content"),
    "post.mask": _l("masked personal data"),
    "post.submit": _l("submitted it for review"),
    "post.approve": _l("approved and published it"),
    "post.reject": _l("sent it back"),
    "post.withdraw": _l("withdrew it"),
    "attachment.upload": _l("added an attachment"),
    "attachment.remove": _l("removed an attachment"),
}


@dataclass(frozen=True)
class Preview:
    """What a post will look like, rendered from the form without saving anything."""

    title: str
    body_html: str
    table: Table | None
    findings: list[privacy.Finding]

    @property
    def on_a_phone(self) -> Markup:
        """The text as residents' phones show it (tables in their scroll regions, numbers
        linked), for the preview's phone-width view."""
        return post_html.for_phone(self.body_html, post_html.labels_for(self.title))


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    actor: str
    action: str
    reason: str | None = None
    publish_at: datetime | None = None
    expires_at: datetime | None = None


@console.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> ResponseReturnValue:
    """A request over ``MAX_CONTENT_LENGTH`` is refused before it is read: say so on the page it
    came from rather than with a bare 413 (what was typed is lost: it was never read)."""
    limit = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
    flash(_("Nothing was saved: the upload is larger than %(n)d MB.", n=limit), "error")
    if request.endpoint in ("staff.posts.new", "staff.posts.edit"):
        return redirect(request.path)
    return redirect(url_for(".detail", post_id=(request.view_args or {})["post_id"]))


# --- the list --------------------------------------------------------------------------------


@console.get("")
@staff_required()
def index() -> ResponseReturnValue:
    """The posts in scope, by state, place and category; reviewers start with what awaits them,
    editors with their own drafts."""
    actor, scope = current_staff(), current_scope()
    form = PostFilterForm(formdata=request.args)
    places = place_choices(scope)
    form.place.choices = [("", _("All places")), *places]
    if not request.args.get("state"):
        form.state.data = MINE if actor.role is Role.EDITOR else PostStatus.SUBMITTED.value
    place = form.place.data or ""
    if place and place not in dict(places):
        abort(404)  # another village's code: as unknown as a code that does not exist
    valid = form.validate()
    page = page_number(request.args)
    per_page = current_app.config["STAFF_PAGE_SIZE"]
    found = (
        _listing(scope, actor.id, form.state.data, place, form.category.data, page, per_page)
        if valid
        else service.PostPage([], 0)
    )
    return render_template(
        "staff/posts/index.html",
        form=form,
        posts=found.posts,
        total=found.total,
        page=page,
        per_page=per_page,
        filter_args={
            "state": form.state.data,
            **{k: v for k, v in (("place", place), ("category", form.category.data)) if v},
        },
        show_place_filter=len(places) > 1,
        state_labels=STATE_LABELS,
        category_labels=CATEGORY_LABELS,
        now=utcnow(),
    )


def _listing(
    scope: Scope,
    actor_id: int,
    state: str | None,
    place: str,
    category: str | None,
    page: int,
    per_page: int,
) -> service.PostPage:
    """One page of the posts in scope matching the list's filter form."""
    kind, _sep, code = place.partition(":")
    wanted = service.PostFilter(
        statuses=(
            service.EDITABLE
            if state == MINE
            else ()
            if not state or state == ALL
            else {PostStatus(state)}
        ),
        author_id=actor_id if state == MINE else None,
        county_only=place == COUNTY,
        town_code=code if kind == "town" else None,
        village_code=code if kind == "village" else None,
        category=Category(category) if category else None,
    )
    return service.posts_in_scope(scope, wanted, page=page, per_page=per_page)


# --- writing ---------------------------------------------------------------------------------


@console.route("/new", methods=["GET", "POST"])
@staff_required()
def new() -> ResponseReturnValue:
    """A new draft for one of the places the user writes for."""
    form = NewPostForm()
    places = place_choices(current_scope())
    form.place.choices = places if len(places) == 1 else [("", _("Choose…")), *places]
    if request.method == "GET":
        return _form_page(form, None, None)
    return _write(form, None)


@console.route("/<int:post_id>/edit", methods=["GET", "POST"])
@staff_required()
def edit(post_id: int) -> ResponseReturnValue:
    """Change a draft or a rejected post; only its author can, and the place stays as it is."""
    post = _post_or_404(post_id)
    if not _may_edit(post):
        flash(_("Only the author can change a post, and only while it is a draft or rejected."))
        return redirect(url_for(".detail", post_id=post.id))
    if request.method == "GET":
        form = PostForm(
            data={
                "category": post.category.value,
                "title": post.title,
                "body": post.body,
                "personal_data": post.has_personal_data,
            }
        )
        return _form_page(form, post, post.table)
    return _write(PostForm(), post)


def _write(form: PostForm, post: Post | None) -> ResponseReturnValue:
    """Preview or save the posted form; any problem re-renders it with what was typed."""
    problems: list[str] = []
    try:
        current = _current_table(form, post)
    except tables.TableFileError as refused:
        problems = refused.problems
    except service.PublicationError as refused:
        problems = [str(refused)]
    if problems:  # nothing is saved; show the table the form still carries, if any
        form.table_file.data = None
        try:
            current = _current_table(form, post)
        except service.PublicationError:
            current = None
        return _form_page(form, post, current, table_problems=problems)
    table = None if form.remove_table.data else current
    title, body = form.title.data or "", form.body.data or ""
    if form.preview.data:
        preview = Preview(
            title=title,
            body_html=(
                markdown.for_console(markdown.render(body, post.id), post.id)
                if post
                else markdown.render(body)
            ),
            table=table,
            findings=privacy.scan(title, body, table),
        )
        return _form_page(form, post, current, preview=preview)
    if not form.validate():
        return _form_page(form, post, current)
    content: dict[str, Any] = {
        "category": Category(form.category.data),
        "title": title,
        "body": body,
        "table": table,
        "personal_data": bool(form.personal_data.data),
    }
    try:
        if post is None:
            place = _place(form.place.data) if isinstance(form, NewPostForm) else {}
            post = service.create_post(current_staff(), **content, **place)
        else:
            service.update_post(current_staff(), post, **content)
    except service.PublicationError as refused:
        db.session.rollback()
        return _form_page(form, post, current, error=str(refused))
    db.session.commit()
    flash(_("The draft has been saved."), "success")
    return redirect(url_for(".detail", post_id=post.id))


def _current_table(form: PostForm, post: Post | None) -> Table | None:
    """The table the form works on, before "remove" applies: a file just uploaded, else one
    uploaded with an earlier preview, else the post's own. The one from a preview comes back from
    the browser, so it is validated again like any table."""
    upload = form.table_file.data
    if upload and upload.filename:
        table = tables.read_table(upload.filename, upload.read())
        form.table_json.data = json.dumps(table.to_json(), ensure_ascii=False)
        return table
    if form.table_json.data:
        try:
            data = json_loads(form.table_json.data)
        except ValueError:  # not JSON, or nested deeper than any table
            data = None
        if not isinstance(data, dict):
            form.table_json.data = ""
            raise service.PublicationError(_("The table was lost: choose the file again."))
        return service.validate_table(data)
    return None if post is None else post.table


def _place(value: str | None) -> dict[str, Town | Village | None]:
    """The town or village a place value names, if the user's scope covers it (404 otherwise:
    the form only offers places in scope, so anything else is a forged value)."""
    if value == COUNTY:
        return {}
    kind, _sep, code = (value or "").partition(":")
    scope = current_scope()
    found: Town | Village | None = None
    if kind == "town":
        found = registry.whole_town_in_scope(scope, code)
    elif kind == "village":
        found = registry.village_in_scope(scope, code)
    if found is None:
        abort(404)
    return {kind: found}


def _form_page(
    form: PostForm,
    post: Post | None,
    current: Table | None,
    *,
    preview: Preview | None = None,
    table_problems: list[str] | None = None,
    error: str | None = None,
) -> str:
    """The form; ``current`` is the table it carries (shown with a "remove" box)."""
    return render_template(
        "staff/posts/form.html",
        form=form,
        post=post,
        current_table=current,
        preview=preview,
        table_problems=table_problems or [],
        error=error,
    )


# --- one post --------------------------------------------------------------------------------


@console.get("/<int:post_id>")
@staff_required()
def detail(post_id: int) -> ResponseReturnValue:
    """The post as residents will see it, its state, who did what, and the actions allowed."""
    return _detail_page(_post_or_404(post_id))


@console.post("/<int:post_id>/submit")
@staff_required()
def submit(post_id: int) -> ResponseReturnValue:
    post = _post_or_404(post_id)
    return _act(post, lambda: service.submit(current_staff(), post), _("Submitted for review."))


@console.post("/<int:post_id>/withdraw")
@staff_required(*REVIEWERS)
def withdraw(post_id: int) -> ResponseReturnValue:
    post = _post_or_404(post_id)
    return _act(
        post,
        lambda: service.withdraw(current_staff(), post),
        _("The post has been withdrawn: residents no longer see it."),
    )


@console.post("/<int:post_id>/mask")
@staff_required()
def mask(post_id: int) -> ResponseReturnValue:
    """Mask every number the gate finds, and names in the ticked table columns."""
    post = _post_or_404(post_id)
    form = _mask_form(post)
    if not form.validate_on_submit():
        return _detail_page(post, mask_form=form)
    columns = form.name_columns.data or []
    return _act(
        post,
        lambda: service.mask_personal_data(current_staff(), post, columns),
        _("Personal data masked. The post will be taken down after its expiry."),
    )


@console.post("/<int:post_id>/approve")
@staff_required(*REVIEWERS)
def approve(post_id: int) -> ResponseReturnValue:
    """Approve and publish, now or at a set time, until an expiry (defaulted for personal data).

    Blocked by unmasked personal data: the page then lists every occurrence.
    """
    post = _post_or_404(post_id)
    form = ApproveForm()
    if not form.validate_on_submit():
        return _detail_page(post, approve_form=form)
    if form.submitted_at.data != _submission(post):
        return _resubmitted(post)
    now = utcnow()
    publish_at = _utc(form.publish_at.data)
    if publish_at is not None and now - PUBLISH_NOW_SLACK < publish_at <= now:
        publish_at = now
    try:
        service.approve(
            current_staff(),
            post,
            publish_at=publish_at,
            expires_at=_utc(form.expires_at.data),
            now=now,
        )
    except service.PersonalDataFound as blocked:
        db.session.rollback()
        return _detail_page(post, approve_form=form, blocked=blocked.findings)
    except (service.NotAllowed, service.WrongStatus) as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(url_for(".detail", post_id=post.id))
    except service.PublicationError as refused:
        db.session.rollback()
        return _detail_page(post, approve_form=form, approve_error=str(refused))
    db.session.commit()
    flash(_("The post has been approved."), "success")
    return redirect(url_for(".detail", post_id=post.id))


@console.post("/<int:post_id>/reject")
@staff_required(*REVIEWERS)
def reject(post_id: int) -> ResponseReturnValue:
    """Send the post back to its author with a reason."""
    post = _post_or_404(post_id)
    form = RejectForm()
    if not form.validate_on_submit():
        return _detail_page(post, reject_form=form)
    if form.submitted_at.data != _submission(post):
        return _resubmitted(post)
    return _act(
        post,
        lambda: service.reject(current_staff(), post, form.reason.data or ""),
        _("The post has been sent back to its author."),
    )


def _act(post: Post, action: Callable[[], object], done: str) -> ResponseReturnValue:
    """Run a use case, commit, and go back to the post saying what happened or why not."""
    try:
        action()
    except service.PublicationError as refused:
        db.session.rollback()
        flash(str(refused), "error")
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(url_for(".detail", post_id=post.id))


def _resubmitted(post: Post) -> ResponseReturnValue:
    flash(
        _("The post has changed since you opened it. Read it again before reviewing it."),
        "error",
    )
    return redirect(url_for(".detail", post_id=post.id))


def _detail_page(
    post: Post,
    *,
    approve_form: ApproveForm | None = None,
    reject_form: RejectForm | None = None,
    mask_form: MaskForm | None = None,
    blocked: list[privacy.Finding] | None = None,
    approve_error: str | None = None,
) -> str:
    actor = current_staff()
    now = utcnow()
    submission = _submission(post)
    # What the gate will find, shown before anyone submits: the post's own numbers (one click
    # masks them) and those in its PDFs' text (which must be fixed in the file).
    own = privacy.scan(post.title, post.body, post.table)
    files = [(a.filename, a.text) for a in post.attachments if a.text]
    approve_form = approve_form or ApproveForm(formdata=None, submitted_at=submission)
    approve_form.expires_at.description = (
        _(
            "Leave empty: a post with personal data is taken down after %(n)d working days, "
            "on %(date)s if it is published now.",
            n=privacy.PERSONAL_DATA_WORKING_DAYS,
            date=format_datetime(service.default_expiry(now), "short"),
        )
        if service.shows_personal_data(post, files)
        else _("Leave empty to keep it up until it is withdrawn.")
    )
    return render_template(
        "staff/posts/detail.html",
        post=post,
        body_html=markdown.for_console(post.body_html, post.id),
        state=post.state_at(now),
        state_labels=STATE_LABELS,
        category_labels=CATEGORY_LABELS,
        findings=own + privacy.scan("", "", None, files),
        maskable=bool(own) or post.table is not None,
        may_edit=_may_edit(post),
        may_review=post.status is PostStatus.SUBMITTED and service.may_review(actor, post),
        may_withdraw=post.status is PostStatus.PUBLISHED and actor.role in REVIEWERS,
        # Forms other than the one posted start afresh, not from the posted fields.
        mask_form=mask_form or _mask_form(post, fresh=True),
        approve_form=approve_form,
        reject_form=reject_form or RejectForm(formdata=None, submitted_at=submission),
        blocked=blocked,
        approve_error=approve_error,
        history=_history(post),
    )


def _mask_form(post: Post, *, fresh: bool = False) -> MaskForm:
    """The masking form; a fresh one has the columns ticked whose headings name a person."""
    header = post.table.header if post.table else ()
    form = (
        MaskForm(formdata=None, name_columns=privacy.guess_name_columns(header))
        if fresh
        else MaskForm()
    )
    form.set_columns(header)
    return form


def _history(post: Post) -> list[HistoryEntry]:
    """The audit events of this post, oldest first: who did what, when."""
    return [
        HistoryEntry(
            at=event.at,
            actor=event.actor_name,
            action=str(ACTION_LABELS.get(event.action, event.action)),
            reason=event.detail.get("reason") if event.action == "post.reject" else None,
            publish_at=_parse(event.detail.get("publish_at")),
            expires_at=_parse(event.detail.get("expires_at")),
        )
        for event in audit.events_for("post", post.id)
    ]


def _parse(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _post_or_404(post_id: int) -> Post:
    post = service.post_in_scope(current_scope(), post_id)
    if post is None:
        abort(404)
    return post


def _may_edit(post: Post) -> bool:
    return post.author_id == current_staff().id and post.status in service.EDITABLE


def _submission(post: Post) -> str:
    return post.submitted_at.isoformat() if post.submitted_at else ""


def _utc(local: datetime | None) -> datetime | None:
    """A time typed in the county's zone (the form attaches it) as UTC."""
    return None if local is None else local.astimezone(UTC)
