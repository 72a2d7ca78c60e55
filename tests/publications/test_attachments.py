"""Attachments: the upload corpus (what is refused, and what is accepted and how it is stored),
file names, who may attach and remove, the audit trail, and the publish gate reading PDFs.

The files are made here with Pillow, reportlab and by hand (PDF syntax is plain text), so every
case says exactly what it contains.
"""

from __future__ import annotations

import hashlib
import io
import random
import zipfile
import zlib
from datetime import UTC, datetime

import pytest
from flask import Flask
from PIL import ExifTags, Image, ImageCms, PngImagePlugin
from reportlab.lib import pdfencrypt
from reportlab.pdfgen import canvas
from sqlalchemy import select

from doorplate.db import db
from doorplate.publications import attachments, privacy, service
from doorplate.publications.attachments import AttachmentRefused
from doorplate.publications.models import Attachment, Post, PostStatus
from doorplate.staff.models import AuditEvent

from .conftest import County, draft, submitted

MONDAY = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # 10:00 in China
SCRIPT = b"<script>alert(document.cookie)</script>"
GPS_LATITUDE = (27.0, 31.0, 44.0)  # 苍南 (27°31'44"N)


# --- making files ---------------------------------------------------------------------------


def png(size: tuple[int, int] = (40, 30), mode: str = "RGBA", **save: object) -> bytes:
    image = Image.new(mode, size)
    if mode == "RGBA":
        for x in range(size[0]):
            image.putpixel((x, 0), (255, 0, 0, x * 255 // size[0]))  # a row of graded alpha
    out = io.BytesIO()
    image.save(out, "PNG", **save)
    return out.getvalue()


def noise(fmt: str, size: tuple[int, int] = (100, 100)) -> bytes:
    """A photo-like image that does not compress to nothing, so half of it is really half."""
    image = Image.frombytes("RGB", size, random.Random(4).randbytes(size[0] * size[1] * 3))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (8, 8)).save(out, "GIF")
    return out.getvalue()


def jpeg(size: tuple[int, int] = (40, 20), **save: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "JPEG", **save)
    return out.getvalue()


def gps_exif(orientation: int = 1) -> Image.Exif:
    """A phone photo's EXIF: camera, orientation and where it was taken."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Phone X1"
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: GPS_LATITUDE,
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (120.0, 25.0, 30.0),
    }
    return exif


def zip_archive(member: str = "payload/Evil.class", content: bytes = b"PAYLOAD-BYTES") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(member, content)
    return out.getvalue()


def pdf(*pages: str) -> bytes:
    """A real PDF from reportlab, one text line per page."""
    out = io.BytesIO()
    document = canvas.Canvas(out)
    for text in pages:
        document.drawString(72, 720, text)
        document.showPage()
    document.save()
    return out.getvalue()


def encrypted_pdf(user_password: str = "") -> bytes:
    out = io.BytesIO()
    encryption = pdfencrypt.StandardEncryption(user_password, ownerPassword="owner", canPrint=1)
    document = canvas.Canvas(out, encrypt=encryption)
    document.drawString(72, 720, "Secret 13800138000")
    document.showPage()
    document.save()
    return out.getvalue()


def valid_id_number(first17: str = "33032719900101123") -> str:
    total = sum(int(d) * w for d, w in zip(first17, privacy._ID_WEIGHTS, strict=True))
    return first17 + privacy._ID_CHECK[total % 11]


# --- helpers --------------------------------------------------------------------------------


@pytest.fixture
def post(county: County) -> Post:
    return draft(county.editor_a, village=county.a)


def attach(county: County, post: Post, name: str, data: bytes) -> Attachment:
    attachment = attachments.add_attachment(county.editor_a, post, name, data)
    db.session.commit()
    return attachment


def stored(attachment: Attachment) -> bytes:
    return attachments.content_of(attachment)


def refusal(county: County, post: Post, name: str, data: bytes) -> str:
    """The message refusing the file; nothing is stored."""
    before = db.session.scalars(select(Attachment.id)).all()
    with pytest.raises(AttachmentRefused) as refused:
        attachments.add_attachment(county.editor_a, post, name, data)
    db.session.rollback()
    assert db.session.scalars(select(Attachment.id)).all() == before
    return str(refused.value)


# --- the upload corpus: refused -------------------------------------------------------------

NOT_ALLOWED = "only JPEG and PNG images and PDF documents can be attached"
UNREADABLE_IMAGE = "the image cannot be read: it is damaged, incomplete or not an image"
ENCRYPTED_PDF = "the PDF is encrypted or password-protected"

REFUSED = {
    "html-with-png-magic": (
        "photo.png",
        b"\x89PNG\r\n\x1a\n<html><body>" + SCRIPT + b"</body></html>",
        UNREADABLE_IMAGE,
    ),
    "html-with-jpeg-magic": (
        "photo.jpg",
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00<html>" + SCRIPT + b"</html>",
        UNREADABLE_IMAGE,
    ),
    "html": ("notice.html", b"<!doctype html><html>" + SCRIPT + b"</html>", NOT_ALLOWED),
    "html-named-pdf": ("notice.pdf", b"<html>" + SCRIPT + b"</html>", NOT_ALLOWED),
    "svg-with-script": (
        "logo.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">' + SCRIPT + b"</svg>",
        NOT_ALLOWED,
    ),
    "svg-named-png": (
        "logo.png",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">' + SCRIPT + b"</svg>",
        NOT_ALLOWED,
    ),
    "gif": ("animation.gif", gif(), NOT_ALLOWED),
    "gifar": ("photo.gif", gif() + zip_archive(), NOT_ALLOWED),
    "zip": ("photos.zip", zip_archive(), NOT_ALLOWED),
    "zip-named-jpg": ("photo.jpg", zip_archive(), NOT_ALLOWED),
    "bmp": ("scan.bmp", b"BM" + bytes(60), NOT_ALLOWED),
    "exe": ("setup.exe", b"MZ\x90\x00" + bytes(60), NOT_ALLOWED),
    "pdf-magic-late": ("notice.pdf", b" %PDF-1.7\n" + pdf("x")[9:], NOT_ALLOWED),
    "pdf-html-polyglot": (
        "notice.pdf",
        b"%PDF-1.4\n<html><body>" + SCRIPT + b"</body></html>",
        "the PDF also contains web page code",
    ),
    "pdf-magic-then-junk": (
        "notice.pdf",
        b"%PDF-1.7\n" + b"nothing of a PDF here " * 20,
        "the PDF is damaged or not a PDF",
    ),
    "valid-pdf-with-html-appended": (
        "notice.pdf",
        pdf("Notice") + b"<html>" + SCRIPT + b"</html>",
        "the PDF also contains web page code",
    ),
    "pdf-encrypted-owner-password": ("notice.pdf", encrypted_pdf(), ENCRYPTED_PDF),
    "pdf-encrypted-user-password": ("notice.pdf", encrypted_pdf("secret"), ENCRYPTED_PDF),
    "truncated-png": ("photo.png", noise("PNG")[: len(noise("PNG")) // 2], UNREADABLE_IMAGE),
    "truncated-jpeg": ("photo.jpg", noise("JPEG")[: len(noise("JPEG")) // 2], UNREADABLE_IMAGE),
    "png-header-only": ("photo.png", b"\x89PNG\r\n\x1a\n", UNREADABLE_IMAGE),
    "empty": ("empty.pdf", b"", "the file is empty"),
}


def _bomb_header() -> bytes:
    """A real PNG's header rewritten to claim 100,000 × 100,000 pixels (with a valid CRC)."""
    data = bytearray(png((1, 1), "L"))
    ihdr = 8 + 8  # signature, chunk length and type
    data[ihdr : ihdr + 8] = (100_000).to_bytes(4, "big") * 2
    crc = zlib.crc32(bytes(data[12 : ihdr + 13]))
    data[ihdr + 13 : ihdr + 17] = crc.to_bytes(4, "big")
    return bytes(data)


REFUSED["decompression-bomb"] = (
    "bomb.png",
    _bomb_header(),
    "the image has too many pixels (at most 12.6 million)",  # Pillow's own bomb check
)


@pytest.mark.parametrize(("name", "data", "reason"), REFUSED.values(), ids=REFUSED.keys())
def test_the_upload_corpus_is_refused(
    county: County, post: Post, name: str, data: bytes, reason: str
) -> None:
    assert refusal(county, post, name, data) == f"{name} was not attached: {reason}."


def test_the_corpus_files_are_what_they_claim(app: Flask) -> None:
    """Controls: the refused files are made right, so each refusal is for the stated reason."""
    assert Image.open(io.BytesIO(gif())).format == "GIF"
    assert zipfile.ZipFile(io.BytesIO(gif() + zip_archive())).namelist() == ["payload/Evil.class"]
    with pytest.raises(Image.DecompressionBombError, match="10000000000 pixels"):
        Image.open(io.BytesIO(_bomb_header()))
    for fmt in ("PNG", "JPEG"):  # whole, they are fine
        Image.open(io.BytesIO(noise(fmt))).load()


def test_an_image_with_more_pixels_than_allowed_is_refused_before_decoding(
    app: Flask, county: County, post: Post
) -> None:
    app.config["ATTACHMENT_MAX_PIXELS"] = 1_000_000
    message = refusal(county, post, "big.png", png((1000, 1001), "L"))
    assert message == (
        "big.png was not attached: the image has 1,000 × 1,001 pixels, too many "
        "(at most 1 million)."
    )
    assert attach(county, post, "big.png", png((1000, 1000), "L")).size > 0


def test_a_file_over_the_size_limit_is_refused_naming_the_limit(
    app: Flask, county: County, post: Post
) -> None:
    data = pdf("Notice")
    app.config["ATTACHMENT_MAX_BYTES"] = len(data) - 1
    message = refusal(county, post, "notice.pdf", data)
    assert message == f"notice.pdf was not attached: it is larger than {len(data) // 1024} KB."
    app.config["ATTACHMENT_MAX_BYTES"] = 10 * 1024 * 1024
    assert refusal(county, post, "big.pdf", data + bytes(10 * 1024 * 1024)) == (
        "big.pdf was not attached: it is larger than 10 MB."
    )
    app.config["ATTACHMENT_MAX_BYTES"] = len(data)
    assert attach(county, post, "notice.pdf", data).size == len(data)


def test_a_post_has_at_most_the_configured_number_of_files(
    app: Flask, county: County, post: Post
) -> None:
    app.config["ATTACHMENTS_PER_POST"] = 2
    attach(county, post, "a.png", png())
    attach(county, post, "b.png", png())
    assert refusal(county, post, "c.png", png()) == (
        "c.png was not attached: a post can have at most 2 attachments."
    )


def test_a_refusal_names_the_file_safely(county: County, post: Post) -> None:
    message = refusal(county, post, "../../x\u202egnp.exe\x00<b>", b"MZ")
    assert message == "xgnp.exe_b_ was not attached: " + NOT_ALLOWED + "."


# --- the upload corpus: accepted, and how it is stored ----------------------------------------


def test_a_photo_is_stored_upright_without_exif_or_gps(county: County, post: Post) -> None:
    original = jpeg((40, 20), exif=gps_exif(orientation=6))  # shot holding the phone upright
    with Image.open(io.BytesIO(original)) as control:
        assert control.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitude]
    attachment = attach(county, post, "村口新路.jpg", original)
    data = stored(attachment)
    assert (attachment.media_type, attachment.filename) == ("image/jpeg", "村口新路.jpg")
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert image.size == (20, 40)  # turned by the EXIF orientation before it was dropped
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info
    assert b"Exif" not in data and b"PhoneMaker" not in data
    assert attachment.size == len(data)
    assert attachment.text is None


def test_a_colour_profile_is_applied_and_dropped(county: County, post: Post) -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    original = jpeg(icc_profile=srgb)
    assert Image.open(io.BytesIO(original)).info["icc_profile"] == srgb
    data = stored(attach(county, post, "p.jpg", original))
    with Image.open(io.BytesIO(data)) as image:
        assert "icc_profile" not in image.info
        assert image.getpixel((5, 5)) == pytest.approx((200, 30, 30), abs=6)


def test_a_png_keeps_its_transparency_and_loses_its_text_chunks(county: County, post: Post) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "联系人 13800138000")
    info.add_text("XML:com.adobe.xmp", "<x:xmpmeta>GPS</x:xmpmeta>")
    original = png((40, 30), "RGBA", pnginfo=info, exif=gps_exif())
    attachment = attach(county, post, "map.png", original)
    data = stored(attachment)
    with Image.open(io.BytesIO(data)) as image, Image.open(io.BytesIO(original)) as before:
        assert image.mode == "RGBA"
        assert image.tobytes() == before.tobytes()
        assert image.text == {}
        assert dict(image.getexif()) == {}
    for trace in (b"13800138000", b"xmpmeta", b"tEXt", b"iTXt", b"eXIf", b"Exif"):
        assert trace not in data


def test_a_palette_png_keeps_its_transparent_colour(county: County, post: Post) -> None:
    image = Image.new("P", (4, 4), 1)
    image.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    out = io.BytesIO()
    image.save(out, "PNG", transparency=1)
    with Image.open(io.BytesIO(stored(attach(county, post, "p.png", out.getvalue())))) as result:
        assert (result.mode, result.info.get("transparency")) == ("P", 1)


def test_a_jpeg_zip_polyglot_is_defused_by_re_encoding(county: County, post: Post) -> None:
    polyglot = jpeg() + zip_archive()
    assert zipfile.ZipFile(io.BytesIO(polyglot)).read("payload/Evil.class") == b"PAYLOAD-BYTES"
    data = stored(attach(county, post, "photo.jpg", polyglot))
    assert not zipfile.is_zipfile(io.BytesIO(data))
    for trace in (b"PK\x03\x04", b"PK\x05\x06", b"Evil.class", b"PAYLOAD-BYTES"):
        assert trace not in data


def test_a_png_with_a_script_appended_is_stored_without_it(county: County, post: Post) -> None:
    original = png() + b"<html>" + SCRIPT
    data = stored(attach(county, post, "photo.png", original))
    assert b"<script" not in data and b"<html" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"


def test_a_pdf_is_stored_as_uploaded_with_its_text_for_the_gate(county: County, post: Post) -> None:
    original = pdf("Notice of the village meeting", "Page two: 13800138000")
    attachment = attach(county, post, "会议通知.pdf", original)
    assert stored(attachment) == original
    assert (attachment.media_type, attachment.filename) == ("application/pdf", "会议通知.pdf")
    assert attachment.text == "Notice of the village meeting\fPage two: 13800138000"
    assert attachment.sha256 == hashlib.sha256(original).hexdigest()
    assert attachment.uploaded_by_id == county.editor_a.id


@pytest.mark.parametrize(
    ("name", "data", "stored_name", "media_type"),
    [
        ("evil.png", pdf("x"), "evil.pdf", "application/pdf"),
        ("scan.pdf", png(), "scan.png", "image/png"),
        ("photo.JPEG", jpeg(), "photo.jpg", "image/jpeg"),
        ("photo", jpeg(), "photo.jpg", "image/jpeg"),
    ],
)
def test_the_content_decides_the_type_and_the_extension(
    county: County, post: Post, name: str, data: bytes, stored_name: str, media_type: str
) -> None:
    attachment = attach(county, post, name, data)
    assert (attachment.filename, attachment.media_type) == (stored_name, media_type)


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("..\\..\\windows\\win.ini.png", "win.ini.png"),
        ("C:\\Users\\张三\\Desktop\\村务公开.png", "村务公开.png"),
        ("C:evil.png", "evil.png"),
        ("/", "attachment.png"),
        ("..", "attachment.png"),
        ("", "attachment.png"),
        ("\u202e\u200b\x00\x1f.png", "attachment.png"),
        ("invoice\u202egnp.exe.png", "invoicegnp.exe.png"),
        ("a\tb\n c .png", "a b c.png"),
        ("  .hidden.png", "hidden.png"),
        ('q<u>o"t:e|s?*.png', "q_u_o_t_e_s__.png"),
        ("CON.png", "_CON.png"),
        ("nul.tar.png", "_nul.tar.png"),
        ("2026.10 村务.png", "2026.10 村务.png"),
        ("cafe\u0301.png", "café.png"),  # NFC
        ("长" * 300 + ".png", "长" * 65 + ".png"),  # 200 UTF-8 bytes at most
        ("x" * 300 + ".png", "x" * 96 + ".png"),  # 100 characters at most
    ],
)
def test_names_are_sanitised(app: Flask, sent: str, expected: str) -> None:
    assert attachments.stored_name(attachments.clean_basename(sent), "image/png") == expected


def test_a_sanitised_name_is_what_is_stored(county: County, post: Post) -> None:
    assert attach(county, post, "../../etc/passwd.png", png()).filename == "passwd.png"


# --- who may attach and remove --------------------------------------------------------------


def test_only_the_author_attaches_and_removes(county: County, post: Post) -> None:
    for other in (county.editor_a2, county.reviewer_a, county.reviewer_town1, county.admin):
        with pytest.raises(service.NotAllowed):
            attachments.add_attachment(other, post, "a.png", png())
        db.session.rollback()
    attachment = attach(county, post, "a.png", png())
    for other in (county.reviewer_a, county.county):
        with pytest.raises(service.NotAllowed):
            attachments.remove_attachment(other, attachment)
        db.session.rollback()
    assert db.session.get(Attachment, attachment.id) is not None


def test_files_change_only_while_the_post_is_a_draft_or_rejected(county: County) -> None:
    post = submitted(county.editor_a, village=county.a)
    with pytest.raises(service.WrongStatus, match="this one is awaiting review"):
        attachments.add_attachment(county.editor_a, post, "a.png", png())
    db.session.rollback()
    service.reject(county.reviewer_a, post, "请附上会议照片")
    db.session.commit()
    attachment = attach(county, post, "会议照片.png", png())  # corrected after rejection
    service.submit(county.editor_a, post)
    db.session.commit()
    with pytest.raises(service.WrongStatus):
        attachments.remove_attachment(county.editor_a, attachment)
    db.session.rollback()
    assert [a.filename for a in db.session.get(Post, post.id).attachments] == ["会议照片.png"]  # type: ignore[union-attr]


def test_upload_and_removal_are_audited(county: County, post: Post) -> None:
    attachment = attach(county, post, "a.png", png())
    attachment_id, sha256, size = attachment.id, attachment.sha256, attachment.size
    attachments.remove_attachment(county.editor_a, attachment)
    db.session.commit()
    assert db.session.scalars(select(Attachment)).all() == []
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("attachment.%")).order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.actor_id, e.object_type, e.object_id) for e in events] == [
        ("attachment.upload", county.editor_a.id, "post", str(post.id)),
        ("attachment.remove", county.editor_a.id, "post", str(post.id)),
    ]
    assert events[0].detail == {
        "attachment": attachment_id,
        "filename": "a.png",
        "media_type": "image/png",
        "size": size,
        "sha256": sha256,
    }
    assert events[1].detail == {"attachment": attachment_id, "filename": "a.png"}


def test_a_refused_upload_leaves_no_trace(county: County, post: Post) -> None:
    refusal(county, post, "x.gif", gif())
    assert (
        db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("attach%"))).all() == []
    )


def test_deleting_a_post_deletes_its_files(county: County, post: Post) -> None:
    attach(county, post, "a.png", png())
    db.session.delete(db.session.get(Post, post.id))
    db.session.commit()
    assert db.session.scalars(select(Attachment)).all() == []


# --- the publish gate reads attached PDFs ---------------------------------------------------


def _submitted_with(county: County, *files: tuple[str, bytes]) -> Post:
    post = draft(county.editor_a, village=county.a)
    for name, data in files:
        attach(county, post, name, data)
    service.submit(county.editor_a, post)
    db.session.commit()
    return post


def test_an_unmasked_id_or_mobile_number_in_a_pdf_blocks_approval(county: County) -> None:
    id_number = valid_id_number()
    assert privacy.is_resident_id(id_number)
    post = _submitted_with(
        county,
        ("照片.png", png()),
        ("补助名单.pdf", pdf("Subsidy list", f"1  {id_number}  1,200.00", "Tel 13800138000")),
    )
    with pytest.raises(service.PersonalDataFound) as refused:
        service.approve(county.reviewer_a, post, now=MONDAY)
    masked_id = privacy.mask_number(privacy.Kind.ID_NUMBER, id_number)
    assert str(refused.value) == (
        "Mask the personal data before publishing: "
        f"attachment 补助名单.pdf, page 2, line 1: a resident ID number ({masked_id}); "
        "attachment 补助名单.pdf, page 3, line 1: a mobile phone number (138****8000)."
    )
    db.session.rollback()
    assert db.session.get(Post, post.id).status is PostStatus.SUBMITTED  # type: ignore[union-attr]


def test_the_same_post_without_the_pdf_is_approved(county: County) -> None:
    """The control: it is the attachment that blocked the approval above."""
    post = _submitted_with(county, ("照片.png", png()), ("名单.pdf", pdf("Subsidy list")))
    service.approve(county.reviewer_a, post, now=MONDAY)
    db.session.commit()
    published = db.session.get(Post, post.id)
    assert published is not None
    assert (published.status, published.expires_at, published.has_personal_data) == (
        PostStatus.PUBLISHED,
        None,
        False,
    )


def test_a_pdf_with_masked_personal_data_makes_the_post_expire(county: County) -> None:
    post = _submitted_with(county, ("名单.pdf", pdf("1  330327********1234  138****8000")))
    service.approve(county.reviewer_a, post, now=MONDAY)
    db.session.commit()
    published = db.session.get(Post, post.id)
    assert published is not None
    assert published.has_personal_data
    assert published.expires_at == service.default_expiry(MONDAY)


def test_the_gate_locates_findings_by_file_page_and_line() -> None:
    findings = privacy.scan(
        "t", "", None, [("a.pdf", "x\nTel 13800138000\fclean"), ("b.pdf", "\f\f\n13900139000")]
    )
    assert [(f.where.file, f.where.page, f.where.line, f.masked) for f in findings] == [
        ("a.pdf", 1, 2, "138****8000"),
        ("b.pdf", 3, 2, "139****9000"),
    ]


def test_attachment_queries(county: County, post: Post) -> None:
    attachment = attach(county, post, "a.png", png())
    other = draft(county.editor_a, village=county.a)
    assert attachments.attachment_of(post, attachment.id) == attachment
    assert attachments.attachment_of(other, attachment.id) is None
    assert attachments.public_attachment(post.id, attachment.id) is None  # a draft
