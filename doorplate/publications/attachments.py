"""Files attached to a post: JPEG and PNG images and PDF documents, judged by their content.

An attachment goes out to every household that scans a plate, from a staff account that may one
day be phished, so nothing about an upload is taken on trust:

- **The type comes from the bytes**, never from the name or the browser's media type: a JPEG, PNG
  or PDF signature at the very start, confirmed by decoding the whole file. Anything else (HTML,
  SVG, GIF, ZIP, an HTML page behind PNG magic bytes) is refused. A file named ``.png`` that is
  really a PDF is judged and stored as the PDF it is, under a ``.pdf`` name.
- **Images are rebuilt from their pixels**: decoded in full under a pixel limit (a decompression
  bomb is refused before its pixels are allocated), turned upright by their EXIF orientation,
  converted to sRGB, and saved afresh. Nothing else survives: no EXIF (GPS position, camera,
  time), XMP, colour profile, text chunks, and nothing appended after the image, which is how a
  JPEG+ZIP or PNG+script polyglot is defused rather than refused.
- **PDFs are stored exactly as uploaded** (re-writing a document could change what the village
  published), so they must be harmless as they are: opened by PDFium, not encrypted (the gate
  could not read it), with pages, and without active content. Active content is looked for by
  the names of the objects that carry it (``/JavaScript``, ``/JS``, ``/Launch``, embedded files,
  rich media, form submission), ``#xx`` escapes decoded, in every object outside stream data and
  inside compressed object streams, and confirmed with PDFium's own count of document scripts
  and attachments. ``/OpenAction`` on its own is allowed: ordinary files use it to open at a
  page, and a scripted one names ``/JS`` and is refused for that. Byte scanning is a heuristic
  next to a real parser; downloads are therefore also served as attachments in a CSP sandbox.
  A PDF's text is extracted for the publish gate (:mod:`privacy`), page by page.
- **Names are only for display and download**: the last path segment, without control, bidi or
  zero-width characters, NFC, shortened, with the extension of the detected type.

Only the author of a draft or rejected post adds or removes its files (the rule for editing), and
every change is audited.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
import unicodedata
import zlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageCms, ImageOps
from sqlalchemy import func, select

from doorplate.db import db, utcnow
from doorplate.publications import privacy, service
from doorplate.publications.models import Attachment, Post
from doorplate.staff import audit
from doorplate.staff.models import StaffUser

JPEG = "image/jpeg"
PNG = "image/png"
PDF = "application/pdf"
EXTENSIONS = {JPEG: ".jpg", PNG: ".png", PDF: ".pdf"}
KIND_LABELS = {JPEG: _l("JPEG image"), PNG: _l("PNG image"), PDF: _l("PDF document")}
ACCEPT = ".jpg,.jpeg,.png,.pdf"  # the upload form's hint to the browser; the bytes decide
NAME_MAX_LENGTH = 100  # characters, extension included
NAME_MAX_BYTES = 200  # UTF-8: a downloaded name must fit a 255-byte file system name
JPEG_QUALITY = 90
# Names of PDF objects that run code, start programs, carry other files or send data away.
ACTIVE_PDF_NAMES = frozenset(
    {
        "JavaScript",
        "JS",
        "Launch",
        "EmbeddedFile",
        "EmbeddedFiles",
        "GoToE",
        "RichMedia",
        "SubmitForm",
        "ImportData",
    }
)
OBJECT_STREAMS_MAX_BYTES = 64 * 1024 * 1024  # inflated, all object streams of one PDF together
# Stream filters (and their abbreviations); an object stream may use Flate alone.
PDF_FILTERS = frozenset(
    {
        *("ASCIIHexDecode", "ASCII85Decode", "LZWDecode", "FlateDecode", "RunLengthDecode"),
        *("CCITTFaxDecode", "JBIG2Decode", "DCTDecode", "JPXDecode", "Crypt"),
        *("AHx", "A85", "LZW", "Fl", "RL", "CCF", "DCT"),
    }
)

_SIGNATURES = ((b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG), (b"%PDF-", PDF))
_PILLOW_FORMAT = {JPEG: "JPEG", PNG: "PNG"}
_SRGB = ImageCms.createProfile("sRGB")
_PDFIUM = threading.Lock()  # PDFium is not thread-safe, and threaded workers share a process

# PDF syntax: a name runs to the next white-space or delimiter character; a stream's data follows
# its dictionary's ">>" and the keyword "stream" and its end of line.
_PDF_NAME = re.compile(rb"/([^\x00\t\n\x0c\r /<>\[\](){}%]*)")
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_PDF_STREAM = re.compile(rb">>[\x00\t\n\x0c\r ]*stream(?:\r\n|\n|\r)")
_WEB_PAGE = re.compile(rb"<(?:script|html|iframe|!doctype)", re.IGNORECASE)

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


class Refused(Exception):
    """A file refused by the checks below, with the reason (a phrase to put after the file's
    name or a field's label)."""


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
    attachment = Attachment(
        post_id=post.id,
        filename=stored_name(clean_basename(filename), media_type),
        media_type=media_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        text=text,
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
    """(media type, re-encoded bytes) of an acceptable JPEG or PNG photo, or :class:`Refused`:
    for uploads where a PDF makes no sense, such as a resident's photo of a broken street lamp."""
    if detect(data) not in {JPEG, PNG}:
        raise Refused(_("only JPEG and PNG images can be used here"))
    media_type, content, _text = checked_file(data, config)
    return media_type, content


def checked_file(data: bytes, config: Mapping[str, Any]) -> tuple[str, bytes, str | None]:
    """(media type, bytes to store, text for the gate), or :class:`Refused`."""
    if not data:
        raise Refused(_("the file is empty"))
    limit = config["ATTACHMENT_MAX_BYTES"]
    if len(data) > limit:
        raise Refused(_("it is larger than %(limit)s", limit=filesize(limit)))
    media_type = detect(data)
    if media_type is None:
        raise Refused(_("only JPEG and PNG images and PDF documents can be attached"))
    if media_type == PDF:
        return PDF, data, _checked_pdf(data)
    return media_type, _reencoded(data, media_type, config["ATTACHMENT_MAX_PIXELS"]), None


def _reencoded(data: bytes, media_type: str, max_pixels: int) -> bytes:
    """The image decoded in full and saved afresh from its pixels alone."""
    too_big = Refused(
        _("the image has too many pixels (at most %(n)s)", n=format_decimal(max_pixels))
    )
    damaged = Refused(_("the image cannot be read: it is damaged, incomplete or not an image"))
    try:
        image = Image.open(io.BytesIO(data), formats=[_PILLOW_FORMAT[media_type]])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_big from None
    except Exception:  # Pillow reports a malformed file with a dozen exception types
        raise damaged from None
    with image:
        if image.width * image.height > max_pixels:
            raise too_big
        try:
            image.load()
            clean = _stripped(image, media_type)
            out = io.BytesIO()
            if media_type == JPEG:
                clean.save(out, "JPEG", quality=JPEG_QUALITY)
            else:
                clean.save(out, "PNG")
        except Exception:
            raise damaged from None
    return out.getvalue()


def _stripped(image: Image.Image, media_type: str) -> Image.Image:
    """Upright, in sRGB, and with no metadata but PNG transparency."""
    transparency = image.info.get("transparency")
    icc_profile = image.info.get("icc_profile")
    upright = ImageOps.exif_transpose(image)
    if icc_profile and upright.mode in ("RGB", "RGBA", "CMYK"):
        upright = _in_srgb(upright, icc_profile)
    if media_type == JPEG and upright.mode not in ("L", "RGB"):
        upright = upright.convert("RGB")
    elif media_type == PNG and upright.mode == "PA":
        upright = upright.convert("RGBA")
    upright.info = {} if transparency is None else {"transparency": transparency}
    return upright


def _in_srgb(image: Image.Image, icc_profile: bytes) -> Image.Image:
    """Colours converted from the embedded profile, so dropping it keeps a photo's look; an
    unreadable profile is just dropped."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image
    assert converted is not None  # profileToProfile returns None only with inPlace=True
    return converted


def _checked_pdf(data: bytes) -> str:
    """The PDF's text, pages separated by ``privacy.PAGE_BREAK``, if it is harmless."""
    if _WEB_PAGE.search(data):
        raise Refused(_("the PDF also contains web page code"))
    names = _pdf_names(data)
    if "Encrypt" in names:
        raise Refused(_("the PDF is encrypted or password-protected"))
    if names & ACTIVE_PDF_NAMES:
        raise Refused(_("the PDF contains scripts, actions or embedded files"))
    return _pdf_text(data)


def _pdf_names(data: bytes) -> set[str]:
    """Every name in the PDF's objects: outside stream data, and in object streams.

    Other streams (page content, fonts, images) hold no objects, and scanning their binary data
    would find names by chance.
    """
    names: set[str] = set()
    budget = OBJECT_STREAMS_MAX_BYTES
    position = 0
    while (found := _PDF_STREAM.search(data, position)) is not None:
        end = data.find(b"endstream", found.end())
        end = len(data) if end < 0 else end
        before = data[position : found.end()]
        names |= _names_in(before)
        dictionary = _names_in(before[max(before.rfind(b"obj"), 0) :])
        if "ObjStm" in dictionary:
            inflated = _object_stream(data[found.end() : end], dictionary, budget)
            budget -= len(inflated)
            names |= _names_in(inflated)
        position = end
    return names | _names_in(data[position:])


def _names_in(chunk: bytes) -> set[str]:
    return {
        _PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw).decode("latin-1")
        for raw in _PDF_NAME.findall(chunk)
    }


def _object_stream(body: bytes, dictionary: set[str], budget: int) -> bytes:
    """An object stream's objects, inflated if Flate-compressed; other filters and predictors are
    refused, since what they hide cannot be checked here."""
    filters = dictionary & PDF_FILTERS
    if not filters and "Filter" not in dictionary:
        return body
    if len(filters) != 1 or not filters <= {"FlateDecode", "Fl"} or "DecodeParms" in dictionary:
        raise Refused(_("the PDF is built in a way that cannot be checked"))
    inflater = zlib.decompressobj()
    try:
        inflated = inflater.decompress(body, budget)
    except zlib.error:
        raise Refused(_("the PDF is damaged or not a PDF")) from None
    if inflater.unconsumed_tail:
        raise Refused(_("the PDF is built in a way that cannot be checked"))
    return inflated


def _pdf_text(data: bytes) -> str:
    """Opened by PDFium, which also counts document scripts and embedded files; the text of all
    pages."""
    with _PDFIUM:
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as error:
            if error.err_code == pdfium_c.FPDF_ERR_PASSWORD:
                raise Refused(_("the PDF is encrypted or password-protected")) from None
            raise Refused(_("the PDF is damaged or not a PDF")) from None
        try:
            if pdfium_c.FPDF_GetSecurityHandlerRevision(document.raw) != -1:
                raise Refused(_("the PDF is encrypted or password-protected"))
            if (
                pdfium_c.FPDFDoc_GetJavaScriptActionCount(document.raw) > 0
                or document.count_attachments() > 0
            ):
                raise Refused(_("the PDF contains scripts, actions or embedded files"))
            if len(document) == 0:
                raise Refused(_("the PDF has no pages"))
            return privacy.PAGE_BREAK.join(_page_text(document, i) for i in range(len(document)))
        except pdfium.PdfiumError:
            raise Refused(_("the PDF is damaged or not a PDF")) from None
        finally:
            document.close()


def _page_text(document: pdfium.PdfDocument, index: int) -> str:
    """One page's text with plain line ends, and without page breaks and NULs (which
    PostgreSQL's text type cannot hold)."""
    page = document[index]
    text_page = page.get_textpage()
    try:
        text = text_page.get_text_range()
    finally:
        text_page.close()
        page.close()
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text.replace(privacy.PAGE_BREAK, "\n").replace("\0", ""))
