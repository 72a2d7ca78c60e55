"""Images rebuilt from their pixels, at what a phone photo costs to handle.

An uploaded JPEG or PNG is decoded and saved afresh, so nothing but its pixels survives: no EXIF
(GPS position, camera, time), XMP, colour profile, text chunks, and nothing appended after the
image, which is how a JPEG+ZIP or PNG+script polyglot is defused rather than refused.

Decoding is the expensive step, and a file's size says nothing of it: a 116 KB PNG may declare
6300 × 6300 pixels (160 MB once decoded as RGBA, a second of CPU), and a PNG of 16 bits per
channel doubles the data to inflate. So the cost is bounded from the header, before any pixel is
decoded, with :class:`Limits` given per call (staff attachments and the public request photo have
their own; Pillow's process-wide ``MAX_IMAGE_PIXELS`` stays as it is):

- **Pixels decoded**: a JPEG is decoded already reduced (libjpeg's 1/2, 1/4 and 1/8 scaling,
  Pillow's ``draft``) to no less than the size that will be stored, so a 48-megapixel phone photo
  decodes at 12; a PNG is decoded in full. A pixel counts twice with 16 bits per channel (twice
  the data to inflate) or with transparency (Pillow shrinks a premultiplied copy, and a palette
  is first expanded to RGBA). More than ``Limits.pixels`` is refused, naming size and limit.
- **What a JPEG declares**: a progressive JPEG keeps every coefficient in memory whatever the
  scaling, so its declared pixels are what count; and no JPEG may declare more than
  :data:`JPEG_DECLARED_MAX_PIXELS`, which is under Pillow's own decompression-bomb warning.
- **One frame**: only the first frame of an animated PNG or a multi-picture JPEG (MPO, as phones
  write for depth or HDR) is decoded, and a still is stored.
- **Shrunk first**: the decoded image is brought down to ``Limits.side`` on its longest side
  (an integer box reduction, then Lanczos), and only then turned upright, converted to sRGB and
  re-encoded, so every copy after the decode is small.

``scripts/bench/upload_memory.py`` measures the peak memory of an upload against a phone photo's
(figures in BENCHMARKS.md).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _
from PIL import Image, ImageCms, ImageOps

from doorplate.publications.refusal import Refused

JPEG = "image/jpeg"
PNG = "image/png"
JPEG_QUALITY = 90
# The copy a post page shows inline: 720 px fills a 360 px-wide phone screen at twice its density
# (most phones' 2x), and at JPEG quality 80 weighs about a tenth of the stored 2048 px photo on
# a village's weak 4G; the stored file stays the download.
PHONE_SIDE = 720
PHONE_JPEG_QUALITY = 80
JPEG_DECLARED_MAX_PIXELS = 64_000_000  # a 50-megapixel phone photo; Pillow warns from 89.5 M
_PILLOW_FORMAT = {JPEG: "JPEG", PNG: "PNG"}
_SRGB = ImageCms.createProfile("sRGB")
_PNG_BIT_DEPTH = 24  # the IHDR chunk comes first: signature 8, length 4, type 4, width, height


@dataclass(frozen=True)
class Limits:
    """What one upload may cost: ``pixels`` decoded (some counting twice, see above) and the
    longest ``side`` stored."""

    pixels: int
    side: int

    @classmethod
    def of_attachments(cls, config: Mapping[str, Any]) -> Limits:
        """A post's images, uploaded by staff."""
        return cls(config["ATTACHMENT_MAX_PIXELS"], config["ATTACHMENT_MAX_SIDE"])

    @classmethod
    def of_request_photos(cls, config: Mapping[str, Any]) -> Limits:
        """The photo of a 报事报修 request, which anyone with a plate can send."""
        return cls(config["REQUEST_PHOTO_MAX_PIXELS"], config["REQUEST_PHOTO_MAX_SIDE"])


def rebuilt(data: bytes, media_type: str, limits: Limits) -> bytes:
    """The image decoded within ``limits``, shrunk to fit them and saved afresh from its pixels
    alone; :class:`Refused` if it is too big to decode or cannot be read."""
    damaged = Refused(_("the image cannot be read: it is damaged, incomplete or not an image"))
    try:
        image = Image.open(io.BytesIO(data), formats=[_PILLOW_FORMAT[media_type]])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(limits, None) from None
    except Exception:  # Pillow reports a malformed file with a dozen exception types
        raise damaged from None
    with image:
        _reduce_decoding(image, data, media_type, limits)
        try:
            image.load()
            small = _shrunk(image, limits.side)
            if small is not image:
                image.close()  # frees the full-size pixels before any further copy
            clean = _stripped(small, media_type)
            out = io.BytesIO()
            if media_type == JPEG:
                clean.save(out, "JPEG", quality=JPEG_QUALITY)
            else:
                clean.save(out, "PNG")
        except Exception:
            raise damaged from None
    return out.getvalue()


@dataclass(frozen=True)
class PhoneCopy:
    """A stored image made small for a post page (:data:`PHONE_SIDE`), and its size."""

    content: bytes
    width: int
    height: int


def phone_copy(stored: bytes, media_type: str) -> PhoneCopy:
    """The phone-sized copy of an image already :func:`rebuilt` (so small and clean enough to
    decode whole): JPEG stays JPEG at :data:`PHONE_JPEG_QUALITY`, PNG (drawings, screenshots)
    stays PNG."""
    with Image.open(io.BytesIO(stored), formats=[_PILLOW_FORMAT[media_type]]) as image:
        image.load()
        small = _shrunk(image, PHONE_SIDE)
        out = io.BytesIO()
        if media_type == JPEG:
            small.save(out, "JPEG", quality=PHONE_JPEG_QUALITY)
        else:
            small.save(out, "PNG", optimize=True)
        return PhoneCopy(out.getvalue(), *small.size)


def _reduce_decoding(image: Image.Image, data: bytes, media_type: str, limits: Limits) -> None:
    """Have a JPEG decoded at the smallest scale that still covers ``limits.side``, and refuse
    an image whose decoding would cost more than ``limits`` allow (all from the header)."""
    declared = image.width * image.height
    if media_type == JPEG:
        progressive = bool(image.info.get("progressive") or image.info.get("progression"))
        if declared > (limits.pixels if progressive else JPEG_DECLARED_MAX_PIXELS):
            raise _too_many_pixels(limits, image.size)
        image.draft(image.mode, _fitted(image.size, limits.side))
        decoded, heavy = image.width * image.height, False
    else:
        decoded, heavy = declared, data[_PNG_BIT_DEPTH] == 16 or _transparent(image)
    if decoded * (2 if heavy else 1) > limits.pixels:
        raise _too_many_pixels(limits, image.size, heavy)


def _transparent(image: Image.Image) -> bool:
    """Whether shrinking will work on a premultiplied copy of the pixels (alpha channel)."""
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )


def _too_many_pixels(limits: Limits, size: tuple[int, int] | None, heavy: bool = False) -> Refused:
    most = format_decimal(limits.pixels / 1_000_000, format="#,##0.#")
    if size is None:
        return Refused(_("the image has too many pixels (at most %(n)s million)", n=most))
    shown = f"{format_decimal(size[0])} × {format_decimal(size[1])}"
    if heavy:
        return Refused(
            _(
                "the image has %(size)s pixels, too many for a 16-bit or transparent image "
                "(at most %(n)s million, counted twice)",
                size=shown,
                n=most,
            )
        )
    return Refused(
        _("the image has %(size)s pixels, too many (at most %(n)s million)", size=shown, n=most)
    )


def _fitted(size: tuple[int, int], side: int) -> tuple[int, int]:
    """``size`` scaled down (never up) so that its longer side is at most ``side``."""
    scale = min(1.0, side / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _shrunk(image: Image.Image, side: int) -> Image.Image:
    """The decoded image brought within ``side``: first by an integer box reduction (cheap, and
    no full-size copy for resampling), then Lanczos to the exact size. Palette and bilevel
    images are turned into grey or colour first, since they resample only by nearest pixel."""
    target = _fitted(image.size, side)
    if target == image.size:
        return image
    grey_16_bits = image.mode.startswith("I;16")  # resampled as 32-bit integers, saved as was
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif image.mode == "PA":
        image = image.convert("RGBA")
    elif image.mode == "1":
        image = image.convert("L")
    elif grey_16_bits:
        image = image.convert("I")
    factor = max(image.size) // max(target)
    if factor >= 2:
        image = image.reduce(factor)
    resized = image if image.size == target else image.resize(target, Image.Resampling.LANCZOS)
    return resized.convert("I;16") if grey_16_bits else resized


def _stripped(image: Image.Image, media_type: str) -> Image.Image:
    """Upright, in sRGB, and with no metadata but PNG transparency."""
    transparency = image.info.get("transparency")
    icc_profile = image.info.get("icc_profile")
    ImageOps.exif_transpose(image, in_place=True)  # no copy of an image already upright
    upright = image
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
