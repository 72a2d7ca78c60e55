"""Attachments on the web: upload, remove and open them in the console; download them publicly.

Two blueprints. ``console`` is nested in the staff blueprint by :mod:`doorplate.console`
(endpoints ``staff.attachments.*``): each view loads the post through the scope-filtered query
(out of scope is a 404, the same as unknown), lets the use case check the rest, commits once and
goes back to the post's page. ``public`` (``files.download``) serves the files of live posts to
residents.

A file is always sent as a download (``Content-Disposition: attachment``) with its stored media
type, ``nosniff`` and a sandboxing Content-Security-Policy: even a file that slipped past the
checks is never rendered as a page of this site.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from doorplate.db import db
from doorplate.publications import attachments, service
from doorplate.publications.models import Attachment, Post
from doorplate.staff.access import current_scope, current_staff, staff_required

console = Blueprint("attachments", __name__, url_prefix="/posts")
public = Blueprint("files", __name__)

console.add_app_template_filter(attachments.filesize, "filesize")
console.add_app_template_filter(attachments.kind_label, "attachment_kind")

FILE_CSP = "default-src 'none'; sandbox"
# Residents' caches may keep a file but must ask again each time (a 304 from the checksum), so a
# withdrawn or expired post's files stop being served at once.
PUBLIC_CACHE = "public, no-cache"


@console.post("/<int:post_id>/attachments")
@staff_required()
def upload(post_id: int) -> ResponseReturnValue:
    """Attach the uploaded file (form field ``file``) to the post."""
    post = _post_or_404(post_id)
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        flash(_("Choose a file to attach."), "error")
        return _back(post_id)
    # One byte over the limit is enough for the use case to refuse it, naming the limit.
    data = sent.stream.read(current_app.config["ATTACHMENT_MAX_BYTES"] + 1)
    try:
        attachment = attachments.add_attachment(current_staff(), post, sent.filename, data)
    except service.PublicationError as refused:
        db.session.rollback()
        flash(str(refused), "error")
    else:
        db.session.commit()
        flash(_("%(file)s is attached.", file=attachment.filename), "success")
    return _back(post_id)


@console.post("/<int:post_id>/attachments/<int:attachment_id>/remove")
@staff_required()
def remove(post_id: int, attachment_id: int) -> ResponseReturnValue:
    post = _post_or_404(post_id)
    attachment = _attachment_or_404(post, attachment_id)
    name = attachment.filename
    try:
        attachments.remove_attachment(current_staff(), attachment)
    except service.PublicationError as refused:
        db.session.rollback()
        flash(str(refused), "error")
    else:
        db.session.commit()
        flash(_("%(file)s was removed.", file=name), "success")
    return _back(post_id)


@console.get("/<int:post_id>/attachments/<int:attachment_id>")
@staff_required()
def download(post_id: int, attachment_id: int) -> ResponseReturnValue:
    """A post's file for staff in its scope, whatever the post's status (reviewers read the files
    of a post before approving it). The staff blueprint marks the response ``no-store``."""
    attachment = _attachment_or_404(_post_or_404(post_id), attachment_id)
    return _file(attachment, attachments.content_of(attachment))


@console.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> ResponseReturnValue:
    """A request over ``MAX_CONTENT_LENGTH`` is refused before it is read: say so on the post's
    page rather than with a bare 413."""
    limit = attachments.filesize(current_app.config["ATTACHMENT_MAX_BYTES"])
    flash(_("The file was not attached: it is larger than %(limit)s.", limit=limit), "error")
    return _back((request.view_args or {})["post_id"])


@public.get("/posts/<int:post_id>/files/<int:attachment_id>", endpoint="download")
def public_download(post_id: int, attachment_id: int) -> ResponseReturnValue:
    """A file of a post that is live now; 404 for anything else (unknown, draft, awaiting review,
    scheduled, expired, withdrawn). Revalidation is answered from the checksum alone."""
    attachment = attachments.public_attachment(post_id, attachment_id)
    if attachment is None:
        abort(404)
    if request.if_none_match.contains_weak(attachment.sha256):
        response = Response(status=304)
    else:
        response = _file(attachment, attachments.content_of(attachment))
    response.set_etag(attachment.sha256)
    response.headers["Cache-Control"] = PUBLIC_CACHE
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@public.get("/posts/<int:post_id>/files/<int:attachment_id>/phone", endpoint="phone")
def public_phone_copy(post_id: int, attachment_id: int) -> ResponseReturnValue:
    """The phone-sized copy of an image of a live post, which its page shows inline; 404 as for
    the file itself, and for a file that is not an image."""
    attachment = attachments.public_attachment(post_id, attachment_id)
    if attachment is None or attachment.phone_width is None:
        abort(404)
    etag = f"{attachment.sha256}-phone"
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        response = Response(attachments.phone_copy_of(attachment), mimetype=attachment.media_type)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = FILE_CSP
    response.set_etag(etag)
    response.headers["Cache-Control"] = PUBLIC_CACHE
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _file(attachment: Attachment, content: bytes) -> Response:
    response = Response(content, mimetype=attachment.media_type)
    response.headers["Content-Disposition"] = attachments.content_disposition(attachment.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = FILE_CSP
    return response


def _post_or_404(post_id: int) -> Post:
    post = service.post_in_scope(current_scope(), post_id)
    if post is None:
        abort(404)
    return post


def _attachment_or_404(post: Post, attachment_id: int) -> Attachment:
    attachment = attachments.attachment_of(post, attachment_id)
    if attachment is None:
        abort(404)
    return attachment


def _back(post_id: int) -> ResponseReturnValue:
    return redirect(url_for("staff.posts.detail", post_id=post_id))
