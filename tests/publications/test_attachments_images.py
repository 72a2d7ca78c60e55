"""Images cost what a phone photo costs: decompression bombs are refused from their header, big
photos are decoded reduced and stored at the size a phone shows, and the public request photo
has lower limits than staff attachments.

The bombs are written here, most by hand (a PNG is a few checksummed chunks, and rows of zeros
compress to almost nothing), so a file of some kilobytes declares tens of megapixels. What is
asserted is behaviour (refused, or the stored size); memory is measured by
scripts/bench/upload_memory.py, not here.
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from flask import Flask
from PIL import ExifTags, Image

from doorplate.publications import attachments, images
from doorplate.publications.models import Post
from doorplate.publications.refusal import Refused

from .conftest import County, draft
from .test_attachments import attach, refusal, stored

CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # PNG colour type: grey, RGB, palette, grey+alpha, RGBA


@pytest.fixture
def post(county: County) -> Post:
    return draft(county.editor_a, village=county.a)


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def zero_png(width: int, height: int, depth: int = 8, colour: int = 0, extra: bytes = b"") -> bytes:
    """A PNG of ``width`` × ``height`` pixels, all zero: tiny, whatever it declares."""
    row = bytes(1 + (width * CHANNELS[colour] * depth + 7) // 8)
    deflate = zlib.compressobj(9)
    pixels = b"".join(deflate.compress(row) for _ in range(height)) + deflate.flush()
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    palette = chunk(b"PLTE", bytes(range(256)) * 3) if colour == 3 else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + palette
        + extra
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


def saved(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def jpeg_declaring(width: int, height: int) -> bytes:
    """A real 16 × 16 JPEG whose frame header is rewritten to declare ``width`` × ``height``."""
    data = bytearray(saved(Image.new("RGB", (16, 16), "red"), "JPEG"))
    frame = data.index(b"\xff\xc0")  # baseline start of frame: length, precision, height, width
    data[frame + 5 : frame + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def stored_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


# --- the bomb corpus ------------------------------------------------------------------------

TOO_MANY = "the image has {size} pixels, too many (at most {n} million)"
HEAVY = (
    "the image has {size} pixels, too many for a 16-bit or transparent image "
    "(at most {n} million, counted twice)"
)
PILLOWS_OWN = "the image has too many pixels (at most 12.6 million)"  # over 179 megapixels

BOMBS = {
    # name: (file, message with the staff limit)
    "grey-6300x6300": (zero_png(6300, 6300), TOO_MANY.format(size="6,300 × 6,300", n="12.6")),
    "palette-6300x6300": (
        zero_png(6300, 6300, colour=3),
        TOO_MANY.format(size="6,300 × 6,300", n="12.6"),
    ),
    "bilevel-20000x10000": (
        zero_png(20000, 10000, depth=1),
        PILLOWS_OWN,
    ),
    "rgba-16-bit-6000x6000": (
        zero_png(6000, 6000, depth=16, colour=6),
        HEAVY.format(size="6,000 × 6,000", n="12.6"),
    ),
    "grey-16-bit-3000x2500": (
        zero_png(3000, 2500, depth=16),  # 7.5 megapixels: fine at 8 bits, not at 16
        HEAVY.format(size="3,000 × 2,500", n="12.6"),
    ),
    "rgba-3000x2800": (  # 8.4 megapixels: fine without transparency, not with it
        zero_png(3000, 2800, colour=6),
        HEAVY.format(size="3,000 × 2,800", n="12.6"),
    ),
    "palette-with-transparency-3000x2800": (
        zero_png(3000, 2800, colour=3, extra=chunk(b"tRNS", b"\x00")),
        HEAVY.format(size="3,000 × 2,800", n="12.6"),
    ),
    "very-wide": (zero_png(65535, 200), TOO_MANY.format(size="65,535 × 200", n="12.6")),
    "jpeg-declaring-65000x65000": (
        jpeg_declaring(65000, 65000),
        PILLOWS_OWN,
    ),
    "jpeg-declaring-10000x8000": (
        jpeg_declaring(10000, 8000),  # 80 megapixels: more than a phone takes
        TOO_MANY.format(size="10,000 × 8,000", n="12.6"),
    ),
    "progressive-jpeg-4000x3200": (
        saved(Image.new("RGB", (4000, 3200)), "JPEG", progressive=True),
        TOO_MANY.format(size="4,000 × 3,200", n="12.6"),
    ),
}


@pytest.mark.parametrize(("data", "reason"), BOMBS.values(), ids=BOMBS.keys())
def test_decompression_bombs_are_refused_from_their_header(
    county: County, post: Post, data: bytes, reason: str
) -> None:
    assert len(data) < 2_000_000
    assert refusal(county, post, "photo.png", data) == f"photo.png was not attached: {reason}."


def test_the_bombs_are_what_they_claim(app: Flask) -> None:
    """Controls: Pillow reads each header as declared (so the refusal is ours, before decoding),
    and a 16-bit image under half the limit, or an 8-bit one of the same size, passes."""
    for name, (data, reason) in BOMBS.items():
        if reason == PILLOWS_OWN:
            with pytest.raises(Image.DecompressionBombError):
                Image.open(io.BytesIO(data))
            continue
        with Image.open(io.BytesIO(data)) as image:
            assert image.width * image.height >= 7_500_000, name
    assert len(BOMBS["grey-6300x6300"][0]) < 120_000  # the "116 KB PNG of 6300 × 6300"
    staff = images.Limits.of_attachments(app.config)
    assert images.rebuilt(zero_png(3000, 2500), images.PNG, staff)  # the same size at 8 bits
    assert images.rebuilt(zero_png(2000, 1500, depth=16), images.PNG, staff)
    assert images.rebuilt(zero_png(3000, 2800, colour=2), images.PNG, staff)  # RGB, opaque
    assert images.rebuilt(zero_png(3000, 2800, colour=3), images.PNG, staff)  # no tRNS


def test_a_big_baseline_jpeg_is_decoded_reduced_and_stored_at_phone_size(
    app: Flask, county: County, post: Post
) -> None:
    """A 17-megapixel photo is over the pixel limit at full size, not once decoded at 1/2."""
    photo = saved(Image.new("RGB", (4800, 3600), (30, 120, 200)), "JPEG")
    assert stored_size(stored(attach(county, post, "photo.jpg", photo))) == (2048, 1536)
    _type, public = attachments.checked_image(photo, app.config)
    assert stored_size(public) == (1600, 1200)


def test_a_photo_is_turned_upright_after_shrinking(county: County, post: Post) -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # held upright
    photo = saved(Image.new("RGB", (4032, 3024), "grey"), "JPEG", exif=exif)
    assert stored_size(stored(attach(county, post, "photo.jpg", photo))) == (1536, 2048)


@pytest.mark.parametrize(
    ("mode", "size", "stored_mode"),
    [
        ("RGBA", (3000, 2000), "RGBA"),
        ("L", (4000, 3000), "L"),
        ("1", (3000, 3000), "L"),
        ("I;16", (2400, 1200), "I"),
    ],
)
def test_a_big_png_is_shrunk_keeping_its_kind(
    county: County, post: Post, mode: str, size: tuple[int, int], stored_mode: str
) -> None:
    data = stored(attach(county, post, "plan.png", saved(Image.new(mode, size), "PNG")))
    with Image.open(io.BytesIO(data)) as image:
        assert max(image.size) == 2048 and image.mode.startswith(stored_mode)
        assert image.size[0] / image.size[1] == pytest.approx(size[0] / size[1], rel=0.01)


def test_a_palette_png_with_transparency_is_shrunk_in_colour(county: County, post: Post) -> None:
    image = Image.new("P", (3000, 2000), 1)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    data = stored(attach(county, post, "map.png", saved(image, "PNG", transparency=0)))
    with Image.open(io.BytesIO(data)) as result:
        assert (result.size, result.mode) == ((2048, 1365), "RGBA")
        assert result.getpixel((10, 10)) == (255, 0, 0, 255)


def test_an_animated_png_is_stored_as_its_first_frame(county: County, post: Post) -> None:
    frames = [Image.new("RGB", (64, 48), (i, 0, 0)) for i in range(200)]
    data = saved(frames[0], "PNG", save_all=True, append_images=frames[1:])
    with Image.open(io.BytesIO(data)) as control:
        assert control.n_frames == 200
    with Image.open(io.BytesIO(stored(attach(county, post, "a.png", data)))) as result:
        assert (getattr(result, "n_frames", 1), result.size) == (1, (64, 48))
        assert result.getpixel((0, 0)) == (0, 0, 0)


def test_a_multi_picture_jpeg_is_stored_as_its_first_picture(county: County, post: Post) -> None:
    first = Image.new("RGB", (3200, 2400), (200, 30, 30))
    data = saved(first, "MPO", save_all=True, append_images=[Image.new("RGB", (3200, 2400))] * 3)
    with Image.open(io.BytesIO(data)) as control:
        assert (control.format, control.n_frames) == ("MPO", 4)
    with Image.open(io.BytesIO(stored(attach(county, post, "p.jpg", data)))) as result:
        assert (result.format, getattr(result, "n_frames", 1), result.size) == (
            "JPEG",
            1,
            (2048, 1536),
        )
        assert result.getpixel((5, 5)) == pytest.approx((200, 30, 30), abs=6)


# --- the public request photo has lower limits ----------------------------------------------


def test_the_request_photo_has_a_lower_pixel_limit_than_attachments(app: Flask) -> None:
    png = zero_png(3000, 2800)  # 8.4 megapixels
    with pytest.raises(Refused, match=r"3,000 × 2,800 pixels, too many \(at most 8 million\)"):
        attachments.checked_image(png, app.config)
    _type, staff, _text = attachments.checked_file(png, app.config)
    assert stored_size(staff) == (2048, 1911)
    _type, public = attachments.checked_image(zero_png(3000, 2600), app.config)
    assert stored_size(public) == (1600, 1387)


def test_a_small_image_is_not_resized(app: Flask) -> None:
    for check in (attachments.checked_image, attachments.checked_file):
        assert stored_size(check(zero_png(1600, 900), app.config)[1]) == (1600, 900)
