"""PDF attachments with active content, judged by qpdf walking every object and by the byte scan.

Every file is made here: by reportlab and pikepdf (real producers, for the files that must pass
and for realistic attachments), and by hand with correct cross-reference tables or streams for
the tricks (PDF syntax is plain text). Each class of attack has several members and a control:
the same file with the active part made harmless passes, so the refusal is for what is named.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Sequence

import flask_babel
import pikepdf
import pytest
from conftest import signed_in_client
from flask import Flask
from reportlab.pdfgen import canvas
from sqlalchemy import select

from doorplate.db import db
from doorplate.publications import attachments, pdfs
from doorplate.publications.models import Attachment, Post
from doorplate.publications.refusal import Refused

from .conftest import County, draft
from .test_attachments import encrypted_pdf, refusal
from .test_attachments_web import flashes, upload

CONTENT = b"BT /F1 12 Tf 72 720 Td (Hello) Tj ET"
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
JS = b"<< /S /JavaScript /JS (app.alert(1)) >>"
ACTIVE = "the PDF contains scripts, actions or embedded files"


@pytest.fixture
def post(county: County) -> Post:
    return draft(county.editor_a, village=county.a)


# --- making files ---------------------------------------------------------------------------


def written(bodies: Sequence[bytes], root: int = 1) -> bytes:
    """Objects 1..n as given, with a cross-reference table that points at each."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(bodies) + 1,
        root,
        xref,
    )
    return bytes(out)


def stream(data: bytes, extra: bytes = b"", compress: bool = False) -> bytes:
    if compress:
        data, extra = zlib.compress(data), extra + b" /Filter /FlateDecode"
    return b"<< /Length %d%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def page_objects(catalog: bytes = b"", page: bytes = b"") -> list[bytes]:
    """Catalog, pages, one page and its content: objects 1 to 4 (more are numbered from 5)."""
    return [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 " + FONT + b" >> >> " + page + b" >>",
        stream(CONTENT),
    ]


def one_page(catalog: bytes = b"", page: bytes = b"", *extra: bytes) -> bytes:
    return written([*page_objects(catalog, page), *extra])


def packed(
    catalog: bytes = b"", page: bytes = b"", hidden: Sequence[bytes] = (), header: bytes = b""
) -> bytes:
    """A PDF 1.5 file whose objects (:func:`page_objects`, then ``hidden`` numbered from 5) live
    Flate-compressed in one object stream, but for the page's content stream, all indexed by a
    cross-reference stream; the object stream's dictionary gets ``header``."""
    objects = [*page_objects(catalog, page), *hidden]
    packable = [n for n, body in enumerate(objects, start=1) if not body.endswith(b"endstream")]
    index, bodies = [], b""
    for number in packable:
        index.append(b"%d %d" % (number, len(bodies)))
        bodies += objects[number - 1] + b"\n"
    first = b" ".join(index) + b"\n"
    compressed = zlib.compress(first + bodies)
    objstm, xref = len(objects) + 1, len(objects) + 2
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    rows = {0: b"\x00" + bytes(4) + b"\xff\xff"}
    for number, body in enumerate(objects, start=1):
        if number in packable:
            at = packable.index(number).to_bytes(2, "big")
            rows[number] = b"\x02" + objstm.to_bytes(4, "big") + at
        else:
            rows[number] = b"\x01" + len(out).to_bytes(4, "big") + bytes(2)
            out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    rows[objstm] = b"\x01" + len(out).to_bytes(4, "big") + bytes(2)
    out += b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d%s >>\n" % (
        objstm,
        len(packable),
        len(first),
        len(compressed),
        header,
    )
    out += b"stream\n" + compressed + b"\nendstream\nendobj\n"
    rows[xref] = b"\x01" + len(out).to_bytes(4, "big") + bytes(2)
    table = b"".join(rows[n] for n in range(xref + 1))
    xref_at = len(out)
    out += b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\n" % (
        xref,
        xref + 1,
        len(table),
    )
    out += b"stream\n" + table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def link_annotation(action: bytes) -> bytes:
    return b"/Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 100 100] /A " + action + b" >>]"


def uri(target: bytes) -> bytes:
    return b"<< /S /URI /URI (" + target + b") >>"


def reportlab_pdf(
    *, link: str | None = None, pages: int = 2, outline: bool = False, text: str = "Notice"
) -> bytes:
    """What an office produces: text on several pages, a web link, bookmarks."""
    out = io.BytesIO()
    document = canvas.Canvas(out)
    for number in range(1, pages + 1):
        document.drawString(72, 720, f"{text}, page {number}")
        if link:
            document.linkURL(link, (72, 700, 300, 715), relative=0)
        if outline:
            document.bookmarkPage(f"p{number}")
            document.addOutlineEntry(f"Page {number}", f"p{number}")
        document.showPage()
    document.save()
    return out.getvalue()


def pikepdf_pdf(change: str = "") -> bytes:
    """A reportlab file re-saved by qpdf with its objects packed in object streams, after
    ``change``: a realistic attachment, link or script added with pikepdf's own API."""
    with pikepdf.open(io.BytesIO(reportlab_pdf(pages=1))) as document:
        if change == "attachment":
            spec = pikepdf.AttachedFileSpec(document, b"MZ payload", mime_type="application/x")
            document.attachments["setup.exe"] = spec
        elif change == "open-script":
            action = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.x()"))
            document.Root.OpenAction = document.make_indirect(action)
        elif change == "page-aa":
            action = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.x()"))
            document.pages[0].obj.AA = pikepdf.Dictionary(O=action)
        out = io.BytesIO()
        document.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return out.getvalue()


def xfa_pdf(script: bytes = b"<script>app.alert(1)</script>", key: bytes = b"/XFA") -> bytes:
    """An XFA form: its XML (with a script) Flate-compressed in a stream, named by AcroForm."""
    xdp = b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><template><subform>' + script
    xdp += b"</subform></template></xdp:xdp>"
    return one_page(
        b"/AcroForm << /Fields [] " + key + b" 5 0 R >>", b"", stream(xdp, compress=True)
    )


# --- the corpus -----------------------------------------------------------------------------

# name: (file, what the refusal names)
REFUSED: dict[str, tuple[bytes, str]] = {
    # JavaScript, wherever an action can be
    "open-action-js": (one_page(b"/OpenAction " + JS), "/JavaScript"),
    "open-action-js-indirect": (one_page(b"/OpenAction 5 0 R", b"", JS), "/JavaScript"),
    "js-as-stream": (
        one_page(b"/OpenAction << /S /JavaScript /JS 5 0 R >>", b"", stream(b"app.alert(1)")),
        "/JavaScript",
    ),
    "document-js-name-tree": (
        one_page(b"/Names << /JavaScript << /Names [(a) 5 0 R] >> >>", b"", JS),
        "/JavaScript",
    ),
    "js-in-link": (one_page(b"", link_annotation(JS)), "/JavaScript"),
    "js-in-outline": (
        one_page(
            b"/Outlines 5 0 R",
            b"",
            b"<< /Type /Outlines /First 6 0 R /Last 6 0 R /Count 1 >>",
            b"<< /Title (Go) /Parent 5 0 R /A " + JS + b" >>",
        ),
        "/JavaScript",
    ),
    "js-after-a-jump": (
        one_page(b"/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next [" + JS + b"] >>"),
        "/JavaScript",
    ),
    "action-type-indirect": (
        one_page(b"/OpenAction << /S 5 0 R /JS (app.alert(1)) >>", b"", b"/JavaScript"),
        "/JavaScript",
    ),
    "js-from-pikepdf": (pikepdf_pdf("open-script"), "/JavaScript"),
    # Launching programs
    "launch-open-action": (one_page(b"/OpenAction << /S /Launch /F (cmd.exe) >>"), "/Launch"),
    "launch-in-link": (
        one_page(b"", link_annotation(b"<< /S /Launch /Win << /F (calc.exe) >> >>")),
        "/Launch",
    ),
    "launch-after-a-jump": (
        one_page(b"/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next << /S /Launch /F (x) >> >>"),
        "/Launch",
    ),
    # Embedded files
    "embedded-files-tree": (
        one_page(
            b"/Names << /EmbeddedFiles << /Names [(a.exe) 5 0 R] >> >>",
            b"",
            b"<< /Type /Filespec /F (a.exe) /EF << /F 6 0 R >> >>",
            stream(b"MZ payload"),
        ),
        "/EmbeddedFiles",
    ),
    "file-attachment-annotation": (
        one_page(
            b"",
            b"/Annots [<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 9 9] /FS 5 0 R >>]",
            b"<< /Type /Filespec /F (a.exe) >>",
        ),
        "/FileAttachment",
    ),
    "file-spec-without-types": (
        one_page(b"/Extra << /Spec << /F (a.exe) /EF << /F 5 0 R >> >> >>", b"", stream(b"MZ")),
        "/EF",
    ),
    "attachment-from-pikepdf": (pikepdf_pdf("attachment"), "/EmbeddedFiles"),
    # Additional actions, on every kind of object that has them
    "aa-on-page": (one_page(b"", b"/AA << /O " + JS + b" >>"), "/AA"),
    "aa-on-catalog": (one_page(b"/AA << /WC " + JS + b" >>"), "/AA"),
    "aa-on-widget-even-with-a-jump": (
        one_page(
            b"",
            b"/Annots [<< /Type /Annot /Subtype /Widget /Rect [0 0 9 9]"
            b" /AA << /E << /S /GoTo /D [3 0 R /Fit] >> >> >>]",
        ),
        "/AA",
    ),
    "aa-on-page-from-pikepdf": (pikepdf_pdf("page-aa"), "/AA"),
    # Forms that submit, import, run XFA
    "submit-form": (
        one_page(b"", link_annotation(b"<< /S /SubmitForm /F << /FS /URL /F (https://x) >> >>")),
        "/SubmitForm",
    ),
    "import-data": (one_page(b"/OpenAction << /S /ImportData /F (data.fdf) >>"), "/ImportData"),
    "xfa-compressed-with-script": (xfa_pdf(), "/XFA"),
    "xfa-without-script": (xfa_pdf(b""), "/XFA"),
    "xfa-name-escaped": (xfa_pdf(key=b"/X#46A"), "/XFA"),
    # Other files and media
    "goto-remote": (one_page(b"/OpenAction << /S /GoToR /F (other.pdf) /D [0 /Fit] >>"), "/GoToR"),
    "goto-embedded": (
        one_page(b"/OpenAction << /S /GoToE /D [0 /Fit] /T << /R /C /N (a) >> >>"),
        "/GoToE",
    ),
    "rich-media": (
        one_page(b"", b"/Annots [<< /Type /Annot /Subtype /RichMedia /Rect [0 0 9 9] >>]"),
        "/RichMedia",
    ),
    "rendition": (one_page(b"/OpenAction << /S /Rendition /OP 0 >>"), "/Rendition"),
    "sound": (one_page(b"/OpenAction << /S /Sound /Sound 5 0 R >>", b"", stream(b"x")), "/Sound"),
    # Actions that are none of a jump, a page turn or a link
    "hide": (one_page(b"/OpenAction << /S /Hide /T (field) >>"), "/Hide"),
    "reset-form": (one_page(b"", link_annotation(b"<< /S /ResetForm >>")), "/ResetForm"),
    "named-menu-item": (one_page(b"/OpenAction << /S /Named /N /Quit >>"), "/Named Quit"),
    # Names written with #xx escapes
    "javascript-escaped": (
        one_page(b"/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>"),
        "/JavaScript",
    ),
    "javascript-all-escaped": (
        one_page(b"/OpenAction << /S /#4a#61#76#61#53#63#72#69#70#74 /#4A#53 (x) >>"),
        "/JavaScript",
    ),
    "launch-escaped": (one_page(b"/OpenAction << /S /L#61unch /F (cmd.exe) >>"), "/Launch"),
    "embedded-files-escaped": (
        one_page(b"/Names << /E#6dbeddedFiles << /Names [] >> >>"),
        "/EmbeddedFiles",
    ),
    "aa-escaped": (one_page(b"", b"/#41A << /O " + JS + b" >>"), "/AA"),
    # Actions packed in object streams, with a cross-reference stream
    "packed-open-action-js": (packed(b"/OpenAction 5 0 R", b"", [JS]), "/JavaScript"),
    "packed-launch": (packed(b"/OpenAction << /S /Launch /F (cmd.exe) >>"), "/Launch"),
    "packed-aa-on-page": (packed(b"", b"/AA << /O 5 0 R >>", [JS]), "/AA"),
    "packed-embedded-file": (
        packed(b"/Names << /EmbeddedFiles << /Names [(a) 5 0 R] >> >>", b"", [b"<< >>"]),
        "/EmbeddedFiles",
    ),
    "packed-with-a-header-key-ending-in-obj": (
        packed(b"/OpenAction 5 0 R", b"", [JS], header=b" /Xobj 1"),
        "/JavaScript",
    ),
    # A string that looks like the start of a stream, hiding the objects up to the next one
    "string-hides-javascript": (
        written(
            [
                b"<< /Type /Catalog /Pages 2 0 R /Extra 5 0 R /OpenAction 6 0 R >>",
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 7 0 R"
                b" /Resources << /Font << /F1 " + FONT + b" >> >> >>",
                b"<< /Producer (x) >>",
                b"<< /Title (a >> stream\n) >>",
                JS,
                stream(CONTENT),
            ]
        ),
        "/JavaScript",
    ),
    "string-hides-launch": (
        written(
            [
                b"<< /Type /Catalog /Pages 2 0 R /Note (>>stream\r\n) /OpenAction 4 0 R >>",
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 5 0 R >>",
                b"<< /S /Launch /F (cmd.exe) >>",
                stream(CONTENT),
            ]
        ),
        "/Launch",
    ),
}

URI_REFUSED = {
    "javascript": b"javascript:app.alert(1)",
    "javascript-mixed-case": b"JaVaScRiPt:alert(1)",
    "javascript-after-a-space": b" javascript:alert(1)",
    "file": b"file:///C:/Windows/System32/calc.exe",
    "smb": b"\\\\\\\\host\\\\share\\\\x.exe",
    "data": b"data:text/plain,hello",
    "relative": b"evil.exe",
    "https-with-a-tab": b"https://x\\t.example/",
    "scheme-only": b"https://",
}

URI_ACCEPTED = {
    "https": b"https://www.cncn.gov.cn/art/2026/11/30/notice.html",
    "http": b"http://example.org/",
    "upper-case": b"HTTPS://EXAMPLE.ORG/",
    "mailto": b"mailto:cunwu@example.org?subject=notice",
}


@pytest.mark.parametrize(("data", "named"), REFUSED.values(), ids=REFUSED.keys())
def test_active_content_is_refused_naming_it(
    county: County, post: Post, data: bytes, named: str
) -> None:
    assert refusal(county, post, "notice.pdf", data) == (
        f"notice.pdf was not attached: {ACTIVE} ({named})."
    )


@pytest.mark.parametrize("target", URI_REFUSED.values(), ids=URI_REFUSED.keys())
@pytest.mark.parametrize("packing", ["plain", "packed"])
def test_links_other_than_web_and_email_are_refused(
    county: County, post: Post, target: bytes, packing: str
) -> None:
    build = one_page if packing == "plain" else packed
    message = refusal(county, post, "notice.pdf", build(b"", link_annotation(uri(target))))
    assert message.startswith("notice.pdf was not attached: the PDF links to “")
    assert message.endswith("”: only web (http, https) and e-mail (mailto) links are allowed.")


@pytest.mark.parametrize("target", URI_ACCEPTED.values(), ids=URI_ACCEPTED.keys())
@pytest.mark.parametrize("packing", ["plain", "packed"])
def test_web_and_email_links_pass(app: Flask, target: bytes, packing: str) -> None:
    build = one_page if packing == "plain" else packed
    assert pdfs.checked_pdf(build(b"", link_annotation(uri(target)))) == "Hello"


def test_a_link_target_that_is_not_a_string_is_refused(app: Flask) -> None:
    with pytest.raises(Refused, match="the PDF links to “”"):
        pdfs.checked_pdf(one_page(b"", link_annotation(b"<< /S /URI /URI /javascript >>")))


CLEAN = {
    "reportlab-text": reportlab_pdf(pages=3),
    "reportlab-https-link": reportlab_pdf(link="https://www.zjzwfw.gov.cn/"),
    "reportlab-mailto-link": reportlab_pdf(link="mailto:cunwu@example.org"),
    "reportlab-bookmarks": reportlab_pdf(outline=True),
    "reportlab-compressed-by-qpdf": pikepdf_pdf(),
    "handmade": one_page(),
    "open-action-to-a-page": one_page(b"/OpenAction [3 0 R /Fit]"),
    "open-action-goto": one_page(b"/OpenAction << /S /GoTo /D [3 0 R /Fit] >>"),
    "named-page-turn": one_page(b"", link_annotation(b"<< /S /Named /N /NextPage >>")),
    "packed": packed(b"/OpenAction 5 0 R", b"", [b"<< /S /GoTo /D [3 0 R /Fit] >>"]),
    "packed-header-key-ending-in-obj": packed(header=b" /Xobj 1"),
    "names-as-page-text": reportlab_pdf(text="Never run /JavaScript or /Launch from a PDF"),
}


@pytest.mark.parametrize("data", CLEAN.values(), ids=CLEAN.keys())
def test_clean_pdfs_are_attached_as_uploaded(county: County, post: Post, data: bytes) -> None:
    attachment = attachments.add_attachment(county.editor_a, post, "notice.pdf", data)
    db.session.commit()
    assert attachments.content_of(attachment) == data
    assert attachment.text is not None
    assert attachment.text.startswith(("Hello", "Notice, page 1", "Never run /JavaScript"))


def test_the_corpus_hides_what_it_claims_to(app: Flask) -> None:
    """Controls: the tricks defeat the byte scan on its own (so the parser is what refuses),
    the compressed payloads are invisible in the bytes, and the same files without the active
    part pass."""
    for name in ("string-hides-javascript", "string-hides-launch"):
        names = pdfs._scanned_names(REFUSED[name][0])
        assert not names & pdfs.ACTIVE_NAMES, name
    for name in ("packed-open-action-js", "packed-launch", "xfa-compressed-with-script"):
        data = REFUSED[name][0]
        assert b"JavaScript" not in data and b"Launch" not in data and b"script" not in data
    with pikepdf.open(io.BytesIO(REFUSED["packed-open-action-js"][0])) as document:
        table = document.get_xref_table()
        assert {entry.type for entry in table.values()} == {1, 2}  # really packed
        assert str(document.Root.OpenAction.S) == "/JavaScript"
    harmless = {
        "open-action-js": (JS, b"<< /S /GoTo /D [3 0 R /Fit] >>"),
        "launch-open-action": (b"/S /Launch /F (cmd.exe)", b"/S /GoTo /D [3 0 R/Fit]"),
        "aa-on-page": (b"/AA << /O << /S /JavaScript /JS", b"/AB << /O << /S /GoTo /D"),
        "embedded-files-escaped": (b"/E#6dbeddedFiles", b"/E#6dbeddedFilez"),
        "string-hides-javascript": (JS, b"<< /S /GoTo /D [3 0 R /Fit] >>"),
    }
    for name, (active, inert) in harmless.items():
        data = REFUSED[name][0]
        control = data.replace(active, inert.ljust(len(active)))
        assert len(control) == len(data) and control != data  # the offsets still hold
        assert pdfs.checked_pdf(control) == "Hello", name


# --- what the parser cannot read ------------------------------------------------------------

DAMAGED = "the PDF is damaged or not a PDF"
REPAIRED = "the PDF is damaged: save or export it again and upload that"


def _damaged_corpus() -> dict[str, tuple[bytes, str]]:
    whole = reportlab_pdf(pages=2)
    bad_offsets = one_page().replace(b"0000000015 00000 n", b"0000000001 00000 n")
    return {
        "junk-after-the-signature": (b"%PDF-1.7\n" + b"nothing of a PDF here " * 20, DAMAGED),
        "truncated-in-half": (whole[: len(whole) // 2], DAMAGED),
        "truncated-before-the-trailer": (whole[:-60], REPAIRED),
        "wrong-offsets": (bad_offsets, REPAIRED),
        "wrong-stream-length": (one_page().replace(b"/Length 36", b"/Length 90"), REPAIRED),
        "signature-only": (b"%PDF-1.4\n", DAMAGED),
        "no-pages": (
            written(
                [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
            ),
            "the PDF has no pages",
        ),
    }


DAMAGED_CORPUS = _damaged_corpus()


@pytest.mark.parametrize(("data", "reason"), DAMAGED_CORPUS.values(), ids=DAMAGED_CORPUS.keys())
def test_a_pdf_the_parser_cannot_read_cleanly_is_refused(
    county: County, post: Post, data: bytes, reason: str
) -> None:
    assert refusal(county, post, "notice.pdf", data) == f"notice.pdf was not attached: {reason}."


@pytest.mark.parametrize("password", ["", "secret"], ids=["owner-password", "user-password"])
def test_an_encrypted_pdf_is_refused(county: County, post: Post, password: str) -> None:
    assert refusal(county, post, "notice.pdf", encrypted_pdf(password)) == (
        "notice.pdf was not attached: the PDF is encrypted or password-protected."
    )


# --- bounds on the work ---------------------------------------------------------------------


def test_content_that_inflates_past_the_budget_is_refused(app: Flask) -> None:
    bomb = bytes(pdfs.INFLATED_MAX_BYTES + 1)
    assert len(zlib.compress(bomb)) < 100_000
    too_much = "the PDF's content unpacks to more than 64 MB"
    for data in (
        one_page(b"", b"/Thumb 5 0 R", stream(bomb, compress=True)),  # one stream
        one_page(  # two streams, each within the budget
            b"",
            b"/Extra [5 0 R 6 0 R]",
            stream(bomb[: len(bomb) // 2 + 1], compress=True),
            stream(bomb[: len(bomb) // 2 + 1], compress=True),
        ),
    ):
        with pytest.raises(Refused, match=too_much):
            pdfs.checked_pdf(data)
    images_are_not_inflated = one_page(
        b"", b"/Thumb 5 0 R", stream(bomb, b" /Subtype /Image", compress=True)
    )
    assert pdfs.checked_pdf(images_are_not_inflated) == "Hello"


def test_an_object_stream_that_inflates_past_the_budget_is_refused(app: Flask) -> None:
    """qpdf stops at its limit while unpacking the catalog, and finds no document."""
    data = packed(b"/Extra 5 0 R", b"", [b"(" + bytes(pdfs.INFLATED_MAX_BYTES) + b")"])
    assert len(data) < 200_000
    with pytest.raises(Refused, match="the PDF is damaged or not a PDF"):
        pdfs.checked_pdf(data)


def test_lzw_which_cannot_be_capped_is_refused(app: Flask) -> None:
    for extra in (b" /Filter /LZWDecode", b" /Filter [/LZW]", b" /Filter /LZW#44ecode"):
        data = one_page(
            b"", b"/Thumb 5 0 R", stream(b"\x80\x0b\x60\x50\x22\x0c\x0c\x85\x01", extra)
        )
        with pytest.raises(Refused, match="LZW compression"):
            pdfs.checked_pdf(data)


def test_pages_and_objects_are_bounded(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdfs, "MAX_PAGES", 3)
    assert pdfs.checked_pdf(reportlab_pdf(pages=3)).count("\f") == 2
    with pytest.raises(Refused, match="the PDF has more than 3 pages"):
        pdfs.checked_pdf(reportlab_pdf(pages=4))
    monkeypatch.setattr(pdfs, "MAX_OBJECTS", 4)
    assert pdfs.checked_pdf(one_page()) == "Hello"
    with pytest.raises(Refused, match="the PDF has more than 4 objects"):
        pdfs.checked_pdf(one_page(b"", b"", b"<< >>"))


# --- through the web ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["packed-open-action-js", "string-hides-javascript", "xfa-compressed-with-script"]
)
def test_the_console_explains_a_refused_pdf_and_keeps_nothing(
    app: Flask, county: County, name: str
) -> None:
    post = draft(county.editor_a, village=county.a)
    client = signed_in_client(app, county.editor_a.username)
    data, named = REFUSED[name]
    response = upload(client, post.id, "村务公开.pdf", data)
    assert response.status_code == 302
    assert flashes(client) == [("error", f"村务公开.pdf was not attached: {ACTIVE} ({named}).")]
    assert db.session.scalars(select(Attachment)).all() == []
    upload(client, post.id, "村务公开.pdf", CLEAN["reportlab-https-link"])
    assert flashes(client) == [("success", "村务公开.pdf is attached.")]


def test_the_console_explains_in_chinese(app: Flask, county: County) -> None:
    post = draft(county.editor_a, village=county.a)
    client = signed_in_client(app, county.editor_a.username)
    client.set_cookie("lang", "zh")
    flask_babel.refresh()  # the request chooses its language, as in production
    upload(client, post.id, "通知.pdf", one_page(b"", link_annotation(uri(b"file:///etc"))))
    [(category, message)] = flashes(client)
    assert category == "error" and message.startswith("通知.pdf")
    assert message == (
        "通知.pdf 未添加：PDF 含有指向“file:///etc”的链接：只允许网页（http、https）和电子邮件"
        "（mailto）链接。"
    )
