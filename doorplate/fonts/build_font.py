"""Rebuild the vendored label font from Noto Sans Mono CJK SC Bold (see README.md).

Not part of the installed package: run it by hand when the font needs rebuilding, e.g.

    python doorplate/fonts/build_font.py /usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc

It takes the Simplified Chinese monospaced face out of the Debian collection, keeps every character
the face maps except Hangul (the plates are Chinese; Hangul is a third of the glyphs), drops the
layout, vertical and hinting tables the renderers never use, and converts the CFF outlines to
TrueType quadratics, which reportlab needs to embed the font in a PDF.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

SOURCE_FACE = "Noto Sans Mono CJK SC Bold"
FAMILY = "Doorplate Sans Mono SC"
STYLE = "Bold"
OUTPUT = Path(__file__).with_name("DoorplateSansMonoSC-Bold.ttf")
HANGUL = [(0x1100, 0x11FF), (0x3130, 0x318F), (0xA960, 0xA97F), (0xAC00, 0xD7FF)]
MAX_ERR = 1.0  # font units of a 1000-unit em: invisible at any print size


def extract_face(collection: Path) -> TTFont:
    for font in TTCollection(str(collection)).fonts:
        if font["name"].getDebugName(4) == SOURCE_FACE:
            return font
    raise SystemExit(f"{SOURCE_FACE!r} is not in {collection}")


def subset_face(font: TTFont) -> None:
    keep = [cp for cp in font.getBestCmap() if not any(lo <= cp <= hi for lo, hi in HANGUL)]
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.glyph_names = False
    options.notdef_outline = True
    options.name_IDs = ["*"]  # keep the copyright, licence (13, 14) and credits records
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "VORG", "vhea", "vmtx", "DSIG"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=keep)
    subsetter.subset(font)


def cff_to_glyf(font: TTFont) -> None:
    """The fontTools otf2ttf recipe: cubic CFF outlines to quadratic TrueType contours."""
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, MAX_ERR, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf
    del font["CFF "]
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for field in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, field, 1 if field == "maxZones" else 0)
    post = font["post"]
    post.formatType = 3.0
    font.sfntVersion = "\x00\x01\x00\x00"


def rename(font: TTFont) -> None:
    """A modified font gets its own name so nobody mistakes it for the upstream release."""
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (1, 2, 3, 4, 6, 16, 17):
            names.removeNames(nameID=record.nameID)
    full = f"{FAMILY} {STYLE}"
    for name_id, value in (
        (1, FAMILY),
        (2, STYLE),
        (3, f"{full}; derived from {SOURCE_FACE} 2.004"),
        (4, full),
        (6, full.replace(" ", "").replace(STYLE, f"-{STYLE}")),
    ):
        names.setName(value, name_id, 3, 1, 0x409)
        names.setName(value, name_id, 1, 0, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("collection", type=Path, help="NotoSansCJK-Bold.ttc")
    args = parser.parse_args()
    font = extract_face(args.collection)
    subset_face(font)
    cff_to_glyf(font)
    rename(font)
    font.recalcTimestamp = False  # keep upstream's date: the same input gives the same bytes
    font.save(OUTPUT)
    print(f"{OUTPUT} ({OUTPUT.stat().st_size / 1e6:.1f} MB, {len(font.getGlyphOrder())} glyphs)")


if __name__ == "__main__":
    main()
