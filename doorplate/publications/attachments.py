"""Files attached to a post: JPEG and PNG images and PDF documents, judged by their content.

An attachment goes out to every household that scans a plate, from a staff account that may one
day be phished, so nothing about an upload is taken on trust:

- **The type comes from the bytes**, never from the name or the browser's media type: a JPEG, PNG
  or PDF signature at the very start, confirmed by decoding the whole file. Anything else (HTML,
  SVG, GIF, ZIP, an HTML page behind PNG magic bytes) is refused. A file named ``.png`` that is
  really a PDF is judged and stored as the PDF it is, under a ``.pdf`` name.
- **Images are rebuilt from their pixels** within a decoding budget and shrunk to what a phone
  shows (:mod:`images`).
- **PDFs are stored exactly as uploaded**, so they must be harmless as they are: judged by qpdf,
  walking every object, and by a byte scan; their text is extracted by PDFium for the publish
  gate (:mod:`pdfs`).
- **Names are only for display and download**: the last path segment, without control, bidi or
  zero-width characters, NFC, shortened, with the extension of the detected type.

Only the author of a draft or rejected post adds or removes its files (the rule for editing), and
every change is audited.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from doorplate.db import db, utcnow
from doorplate.publications import images, pdfs, service
from doorplate.publications.models import Attachment, Post
from doorplate.publications.refusal import Refused
from doorplate.staff import audit
from doorplate.staff.models import StaffUser

JPEG = images.JPEG
PNG = images.PNG
PDF = "application/pdf"
EXTENSIONS = {JPEG: ".jpg", PNG: ".png", PDF: ".pdf"}
KIND_LABELS = {JPEG: _l("JPEG image"), PNG: _l("PNG image"), PDF: _l("PDF document")}
ACCEPT = ".jpg,.jpeg,.png,.pdf"  # the upload form's hint to the browser; the bytes decide
NAME_MAX_LENGTH = 100  # characters, extension included
NAME_MAX_BYTES = 200  # UTF-8: a downloaded name must fit a 255-byte file system name

_SIGNATURES = ((b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG), (b"%PDF-", PDF))

_WINDOWS_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL", *(f"{port}{n}" for port in ("COM", "LPT") for n in range(1, 10))}
)
_UNSAFE_IN_NAME = re.compile(r'[<>:"|?*]')
_DRIVE = re.compile(r"^[A-Za-z]:")
_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,4}$")


class AttachmentRefused(service.PublicationError):
    """A file was not attached; the message names it and says why."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(_("%(file)s was not attached: %(reason)s.", file=name, reason=reason))


# --- use cases ------------------------------------------------------------------------------


def add_attachment(actor: StaffUser, post: Post, filename: str, data: bytes) -> Attachment:
    """Attach ``data``, uploaded as ``filename``, to a draft or rejected post of ``actor``'s.

    Refused (:class:`AttachmentRefused`, naming the file) when the post has its limit of files,
    the file is empty, too big, or not a readable and harmless JPEG, PNG or PDF. Images are stored
    re-encoded, PDFs as uploaded with their text kept for the publish gate.
    """
    service.begin_edit(actor, post)
    config = current_app.config
    shown = clean_basename(filename)[:NAME_MAX_LENGTH] or _("the file")
    count = db.session.scalar(
        select(func.count(Attachment.id)).where(Attachment.post_id == post.id)
    )
    if (count or 0) >= config["ATTACHMENTS_PER_POST"]:
        raise AttachmentRefused(
            shown,
            _("a post can have at most %(n)d attachments", n=config["ATTACHMENTS_PER_POST"]),
        )
    try:
        media_type, content, text = checked_file(data, config)
    except Refused as refusal:
        raise AttachmentRefused(shown, str(refusal)) from None
    phone = images.phone_copy(content, media_type) if media_type in IMAGE_TYPES else None
    attachment = Attachment(
        post_id=post.id,
        filename=stored_name(clean_basename(filename), media_type),
        media_type=media_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        text=text,
        phone=phone.content if phone else None,
        phone_width=phone.width if phone else None,
        phone_height=phone.height if phone else None,
        uploaded_by=actor,
    )
    db.session.add(attachment)
    db.session.flush()
    audit.record(
        actor,
        "attachment.upload",
        "post",
        post.id,
        attachment=attachment.id,
        filename=attachment.filename,
        media_type=media_type,
        size=attachment.size,
        sha256=attachment.sha256,
    )
    return attachment


def remove_attachment(actor: StaffUser, attachment: Attachment) -> None:
    """Remove a file from a draft or rejected post of ``actor``'s."""
    post = attachment.post
    service.begin_edit(actor, post)
    attachment_id, name = attachment.id, attachment.filename
    db.session.delete(attachment)
    db.session.flush()
    audit.record(
        actor, "attachment.remove", "post", post.id, attachment=attachment_id, filename=name
    )


# --- queries --------------------------------------------------------------------------------


def attachment_of(post: Post, attachment_id: int) -> Attachment | None:
    """One of ``post``'s attachments; None for another post's, as for an unknown id."""
    return db.session.scalar(
        select(Attachment).where(Attachment.id == attachment_id, Attachment.post_id == post.id)
    )


def public_attachment(
    post_id: int, attachment_id: int, now: datetime | None = None
) -> Attachment | None:
    """An attachment of a post that is live now (None otherwise, as for an unknown id), without
    its bytes: a conditional request is answered from the checksum alone."""
    return db.session.scalar(
        select(Attachment)
        .join(Attachment.post)
        .where(
            Attachment.id == attachment_id,
            Attachment.post_id == post_id,
            *service.live(now or utcnow()),
        )
    )


def content_of(attachment: Attachment) -> bytes:
    """The stored bytes (deferred on the model, so listings never load them)."""
    content: bytes = db.session.scalar(
        select(Attachment.content).where(Attachment.id == attachment.id)
    )
    return content


# --- names and sizes ------------------------------------------------------------------------


def clean_basename(filename: str) -> str:
    """The last path segment of an uploaded name, fit to show; may be empty.

    Whatever a browser or a script sends: ``../../etc/passwd``, ``C:\\Users\\..``, control and
    bidi override characters (``invoice\\u202egnp.exe``), zero-width spaces, runs of white space.
    """
    name = re.sub(r"\s+", " ", unicodedata.normalize("NFC", filename))
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    return _UNSAFE_IN_NAME.sub("_", _DRIVE.sub("", name)).strip()


def stored_name(basename: str, media_type: str) -> str:
    """``basename`` with the extension of the detected type, no leading dot (a hidden file) and
    within the length limits; a neutral name if nothing is left. Windows device names (``CON``,
    ``NUL``...) get a ``_``."""
    extension = EXTENSIONS[media_type]
    stem = _EXTENSION.sub("", basename).strip(" .")[:NAME_MAX_LENGTH]
    if stem.split(".")[0].upper() in _WINDOWS_DEVICES:
        stem = "_" + stem
    while stem and (
        len(stem) + len(extension) > NAME_MAX_LENGTH
        or len((stem + extension).encode()) > NAME_MAX_BYTES
    ):
        stem = stem[:-1].rstrip(" .")
    return (stem or _("attachment")) + extension


def content_disposition(filename: str, fallback: str | None = None) -> str:
    """``attachment`` with the UTF-8 name (RFC 6266/5987) and an ASCII one for old clients:
    ``fallback``, or what is left of ``filename`` in ASCII."""
    if fallback is None:
        stem, dot, extension = filename.rpartition(".")
        ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
        ascii_stem = re.sub(r"[^A-Za-z0-9._() -]", "", ascii_stem).strip(" .") or "attachment"
        fallback = ascii_stem + dot + extension
    filename = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", filename)  # no path or reserved characters
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def filesize(size: int) -> str:
    """``850 B``, ``12 KB``, ``3.4 MB``, with the locale's digits and separators."""
    if size < 1024:
        return _("%(n)s B", n=format_decimal(size))
    if size < 1024 * 1024:
        return _("%(n)s KB", n=format_decimal(round(size / 1024), format="#,##0"))
    return _("%(n)s MB", n=format_decimal(size / (1024 * 1024), format="#,##0.#"))


def kind_label(media_type: str) -> str:
    """What a file is, in words: "PDF document"."""
    return str(KIND_LABELS.get(media_type, media_type))


# --- checking the content -------------------------------------------------------------------


def detect(data: bytes) -> str | None:
    """The media type a file's first bytes claim (to be confirmed by decoding), or None."""
    return next((kind for magic, kind in _SIGNATURES if data.startswith(magic)), None)


def checked_image(data: bytes, config: Mapping[str, Any]) -> tuple[str, bytes]:
    """(media type, re-encoded bytes) of an acceptable JPEG or PNG photo from the public, within
    the request photo's lower limits, or :class:`Refused`: for uploads where a PDF makes no
    sense, such as a resident's photo of a broken street lamp."""
    media_type = _sized(data, config)
    if media_type not in {JPEG, PNG}:
        raise Refused(_("only JPEG and PNG images can be used here"))
    return media_type, images.rebuilt(data, media_type, images.Limits.of_request_photos(config))


def checked_file(data: bytes, config: Mapping[str, Any]) -> tuple[str, bytes, str | None]:
    """(media type, bytes to store, text for the gate) of a post's attachment, or
    :class:`Refused`."""
    media_type = _sized(data, config)
    if media_type is None:
        raise Refused(_("only JPEG and PNG images and PDF documents can be attached"))
    if media_type == PDF:
        return PDF, data, pdfs.checked_pdf(data)
    return media_type, images.rebuilt(data, media_type, images.Limits.of_attachments(config)), None


def _sized(data: bytes, config: Mapping[str, Any]) -> str | None:
    """The claimed media type of a file that is neither empty nor too big."""
    if not data:
        raise Refused(_("the file is empty"))
    limit = config["ATTACHMENT_MAX_BYTES"]
    if len(data) > limit:
        raise Refused(_("it is larger than %(limit)s", limit=filesize(limit)))
    return detect(data)


# --- pictures shown in the post ------------------------------------------------------------

IMAGE_TYPES = frozenset({images.JPEG, images.PNG})


def phone_sizes(files: list[Attachment]) -> dict[int, tuple[int, int]]:
    """Width and height of the phone copy of each image among ``files``, by attachment id, so a
    post page shows them inline with their size set (no jump while they load)."""
    return {
        file.id: (file.phone_width, file.phone_height)
        for file in files
        if file.phone_width is not None and file.phone_height is not None
    }


def phone_copy_of(attachment: Attachment) -> bytes | None:
    """The stored phone-sized copy (deferred on the model, like the file itself)."""
    copy: bytes | None = db.session.scalar(
        select(Attachment.phone).where(Attachment.id == attachment.id)
    )
    return copy
