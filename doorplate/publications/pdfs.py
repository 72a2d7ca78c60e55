"""PDF documents: harmless as they are, judged by a real parser, and read for the publish gate.

PDFs are stored exactly as uploaded (re-writing a document could change what the village
published), so they must be harmless as they are. Two opinions are asked, and both must pass:

1. **qpdf parses the file** (through pikepdf). Every object of its cross-reference table, those
   packed in object streams included, is walked to the bottom of its dictionaries and arrays,
   with names as the parser decoded them (``/J#61vaScript`` is ``/JavaScript``). Refused: any
   name of active content (:data:`ACTIVE_NAMES`: scripts, launching programs, embedded or
   remote files, rich media, XFA forms, form submission, additional actions), an action that
   is not a plain jump (:data:`ACTIONS`), a link whose target is not ``http(s):`` or
   ``mailto:``, encryption (the gate could not read the text), and a file that qpdf could read
   only by repairing it: readers repair a damaged file each in their own way, so what was
   checked need not be what a viewer shows and runs. ``/OpenAction`` that jumps to a page is
   allowed: ordinary files use it to open at a page.
2. **The byte scan**, a second opinion that knows no PDF syntax: names outside stream data and
   in the object streams it can inflate, and web page code anywhere (a PDF/HTML polyglot). A
   parser reads the objects the cross-reference table points at; the scan also sees objects
   nothing points at, which a lenient viewer rebuilding the table might run.

The work is bounded before it is done, since a 10 MB file can inflate to gigabytes: at most
:data:`MAX_OBJECTS` objects and :data:`MAX_PAGES` pages, LZW (whose output qpdf cannot cap)
refused, and every stream but images (the content, fonts and object streams that qpdf and PDFium
inflate) inflated one at a time, at most :data:`INFLATED_MAX_BYTES` in all; qpdf's own limits
(set once for the process, since qpdf keeps them globally) stop a single stream at that size.

Then PDFium (the reader of Chromium and so of most residents' phones) extracts the text for the
gate (:mod:`privacy`), page by page. Downloads are also served as attachments in a CSP sandbox.
"""

from __future__ import annotations

import io
import re
import threading
import unicodedata
import zlib

import pikepdf
import pypdfium2 as pdfium
from flask_babel import format_decimal
from flask_babel import gettext as _
from pikepdf._core import QpdfRuntimeError
from pikepdf.settings import set_qpdf_limits

from doorplate.publications import privacy
from doorplate.publications.refusal import Refused

# Names of PDF objects that run code, start programs, carry or fetch other files, play media,
# hold XFA forms (which carry their own scripts), send data away or act on events.
ACTIVE_NAMES = frozenset(
    {
        *("JavaScript", "JS", "Launch", "SubmitForm", "ImportData", "AA", "XFA"),
        *("EmbeddedFile", "EmbeddedFiles", "EF", "RF", "FileAttachment", "GoToR", "GoToE"),
        *("RichMedia", "Rendition", "Movie", "Sound", "3D"),
    }
)
# Actions (the /S of what /A, /OpenAction and /Next hold) that only move within the document or
# open a web or e-mail link; anything else (Hide, ResetForm, Thread, a viewer's menu item...)
# is refused. Named actions are the four the standard defines.
ACTIONS = frozenset({"GoTo", "URI", "Named"})
NAMED_ACTIONS = frozenset({"NextPage", "PrevPage", "FirstPage", "LastPage"})
_ACTION_KEYS = frozenset({"/A", "/OpenAction", "/Next"})
LINK_SCHEMES = re.compile(r"(?:https?://|mailto:)[^\x00-\x20\x7f]", re.IGNORECASE)
MAX_PAGES = 500  # a village's notice is a few pages, a regulation with annexes a hundred or two
MAX_OBJECTS = 100_000  # a 500-page office document has some tens of thousands
INFLATED_MAX_BYTES = 64 * 1024 * 1024  # streams other than images, inflated, all together
SHOWN_LINK_LENGTH = 60

set_qpdf_limits(
    flate_max_memory=INFLATED_MAX_BYTES,
    png_max_memory=INFLATED_MAX_BYTES,
    tiff_max_memory=INFLATED_MAX_BYTES,
    run_length_max_memory=INFLATED_MAX_BYTES,
)

_PDFIUM = threading.Lock()  # PDFium is not thread-safe, and threaded workers share a process

# PDF syntax for the byte scan: a name runs to the next white-space or delimiter character; a
# stream's data follows its dictionary's ">>" and the keyword "stream" and its end of line; an
# object starts with its number, generation and "obj".
_PDF_NAME = re.compile(rb"/([^\x00\t\n\x0c\r /<>\[\](){}%]*)")
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_PDF_STREAM = re.compile(rb">>[\x00\t\n\x0c\r ]*stream(?:\r\n|\n|\r)")
_PDF_OBJECT = re.compile(rb"\d+[\x00\t\n\x0c\r ]+\d+[\x00\t\n\x0c\r ]+obj\b")
_WEB_PAGE = re.compile(rb"<(?:script|html|iframe|!doctype)", re.IGNORECASE)
_UNBOUNDED_FILTERS = frozenset({"LZWDecode", "LZW"})


def checked_pdf(data: bytes) -> str:
    """The PDF's text, pages separated by ``privacy.PAGE_BREAK``, if it is harmless; otherwise
    :class:`Refused`, saying why."""
    if _WEB_PAGE.search(data):
        raise Refused(_("the PDF also contains web page code"))
    if _names_in(data) & _UNBOUNDED_FILTERS:
        raise Refused(_("the PDF uses LZW compression, which cannot be checked safely"))
    _check_structure(data)
    found = _scanned_names(data) & ACTIVE_NAMES
    if found:
        raise _active(min(found))
    return _pdf_text(data)


# --- the parser's opinion -------------------------------------------------------------------


def _check_structure(data: bytes) -> None:
    """Every object qpdf reads, within the bounds; :class:`Refused` at the first problem."""
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if pdf.is_encrypted:
                raise Refused(_("the PDF is encrypted or password-protected"))
            table = pdf.get_xref_table()
            if len(table) > MAX_OBJECTS:
                raise Refused(
                    _("the PDF has more than %(n)s objects", n=format_decimal(MAX_OBJECTS))
                )
            budget = _Inflated()
            object_streams = {e.obj_stream_number for e in table.values() if e.type == 2}
            for number in sorted(object_streams):  # counted before qpdf unpacks them
                budget.add(pdf.get_object((number, 0)))
            pages = len(pdf.pages)
            if pages > MAX_PAGES:
                raise Refused(_("the PDF has more than %(n)d pages", n=MAX_PAGES))
            for obj in pdf.objects:
                _check_object(obj)
                if isinstance(obj, pikepdf.Stream) and obj.objgen[0] not in object_streams:
                    budget.add(obj)
            if pdf.get_warnings():
                raise Refused(_("the PDF is damaged: save or export it again and upload that"))
    except Refused:
        raise
    except pikepdf.PasswordError:
        raise Refused(_("the PDF is encrypted or password-protected")) from None
    except (pikepdf.PdfError, QpdfRuntimeError) as error:
        if "memory limit" in str(error):  # one of the qpdf limits set above
            raise _too_much_content() from None
        raise Refused(_("the PDF is damaged or not a PDF")) from None
    except Exception:  # qpdf and pikepdf report a malformed file in more ways than one
        raise Refused(_("the PDF is damaged or not a PDF")) from None
    if pages == 0:
        raise Refused(_("the PDF has no pages"))


class _Inflated:
    """The bytes inflated so far: streams but images, one at a time, within the budget."""

    def __init__(self) -> None:
        self.total = 0

    def add(self, stream: pikepdf.Object) -> None:
        if not isinstance(stream, pikepdf.Stream) or stream.get("/Subtype") == "/Image":
            return
        filters = stream.get("/Filter")
        names = [filters] if isinstance(filters, pikepdf.Name) else list(filters or ())
        if {str(name)[1:] for name in names} & _UNBOUNDED_FILTERS:
            raise Refused(_("the PDF uses LZW compression, which cannot be checked safely"))
        level = pikepdf.StreamDecodeLevel.generalized
        self.total += len(stream.read_bytes(decode_level=level))
        if self.total > INFLATED_MAX_BYTES:
            raise _too_much_content()


def _too_much_content() -> Refused:
    return Refused(
        _(
            "the PDF's content unpacks to more than %(size)s",
            size=_("%(n)s MB", n=format_decimal(INFLATED_MAX_BYTES // (1024 * 1024))),
        )
    )


def _check_object(top: pikepdf.Object) -> None:
    """``top`` and everything directly inside it; objects it refers to are walked on their own,
    as every object of the file is."""
    pending: list[object] = [top]
    while pending:
        obj = pending.pop()
        if isinstance(obj, pikepdf.Name):
            if str(obj)[1:] in ACTIVE_NAMES:
                raise _active(str(obj)[1:])
        elif isinstance(obj, pikepdf.Array):
            pending.extend(item for item in obj if not _indirect(item))
        elif isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
            entries = obj.stream_dict if isinstance(obj, pikepdf.Stream) else obj
            for key, value in entries.items():
                if key[1:] in ACTIVE_NAMES:
                    raise _active(key[1:])
                if key in _ACTION_KEYS:
                    _check_actions(value)
                if not _indirect(value):
                    pending.append(value)


def _check_actions(value: pikepdf.Object) -> None:
    """The action (or, for /Next, the array of actions) in ``value``: a jump, a named page turn
    or a web or e-mail link. A destination (an array or a name) is no action and passes."""
    actions = list(value) if isinstance(value, pikepdf.Array) else [value]
    for action in actions:
        if not isinstance(action, pikepdf.Dictionary) or "/S" not in action:
            continue
        kind = str(action.S)[1:]
        if kind not in ACTIONS:
            raise _active(kind)
        if kind == "Named" and str(action.get("/N", ""))[1:] not in NAMED_ACTIONS:
            raise _active(f"Named {str(action.get('/N', ''))[1:]}".strip())
        if kind == "URI":
            target = action.get("/URI")
            link = bytes(target).decode("latin-1") if isinstance(target, pikepdf.String) else ""
            if not LINK_SCHEMES.match(link) or re.search(r"[\x00-\x1f\x7f]", link):
                raise Refused(
                    _(
                        "the PDF links to “%(target)s”: only web (http, https) and e-mail "
                        "(mailto) links are allowed",
                        target=_shown_link(link),
                    )
                )


def _indirect(value: object) -> bool:
    return isinstance(value, pikepdf.Object) and value.is_indirect


def _active(name: str) -> Refused:
    return Refused(_("the PDF contains scripts, actions or embedded files (/%(name)s)", name=name))


def _shown_link(link: str) -> str:
    shown = "".join(ch if ch.isprintable() else "?" for ch in link)
    return shown if len(shown) <= SHOWN_LINK_LENGTH else shown[: SHOWN_LINK_LENGTH - 1] + "…"


# --- the byte scan's opinion ----------------------------------------------------------------


def _scanned_names(data: bytes) -> set[str]:
    """Every name in the PDF's objects, found in the bytes: outside stream data, and in the
    object streams the scan can inflate (those it cannot, qpdf has read).

    Other streams (page content, fonts, images) hold no objects, and scanning their binary data
    would find names by chance.
    """
    names: set[str] = set()
    budget = INFLATED_MAX_BYTES
    position = 0
    while (found := _PDF_STREAM.search(data, position)) is not None:
        end = data.find(b"endstream", found.end())
        end = len(data) if end < 0 else end
        before = data[position : found.end()]
        names |= _names_in(before)
        headers = list(_PDF_OBJECT.finditer(before))
        dictionary = _names_in(before[headers[-1].end() :] if headers else before)
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
    """An object stream's objects: as they are, or inflated if compressed with Flate alone;
    nothing for other filters (qpdf has read them)."""
    if "Filter" not in dictionary:
        return body
    if not dictionary & {"FlateDecode", "Fl"} or "DecodeParms" in dictionary or budget <= 0:
        return b""
    inflater = zlib.decompressobj()
    try:
        return inflater.decompress(body, budget)
    except zlib.error:
        return b""


# --- the text, for the gate -----------------------------------------------------------------


def _pdf_text(data: bytes) -> str:
    """The text of all pages, as PDFium reads it."""
    with _PDFIUM:
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError:
            raise Refused(_("the PDF is damaged or not a PDF")) from None
        try:
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
