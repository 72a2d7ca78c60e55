"""Benchmark: the peak memory and CPU of checking one upload, against a phone photo's.

Each file is checked in a fresh Python process (so nothing another file left behind counts) by
the function the upload uses: ``attachments.checked_file`` for a staff attachment,
``attachments.checked_image`` for the public request photo. The process first imports the app
and checks a tiny image and PDF (so codecs and libraries are loaded), then resets the kernel's
peak-RSS mark (``/proc/self/clear_refs``), checks the file once, and reports its peak RSS over
the RSS before the check, and the CPU the check took. Figures are process memory as the kernel
counts it, Pillow's and qpdf's C allocations included (which tracemalloc does not see).

The files are made here: phone photos (12 and 50 megapixels, a screenshot), the largest images
the limits accept, the decompression bombs of issue 16 and PDFs, written to a temporary folder.

    python scripts/bench/upload_memory.py [--only NAME ...]

Target (issue 16): no upload's peak above 100 MB more than before it.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

from benchlib import machine
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
TARGET_MB = 100
MB = 1024 * 1024


# --- the files ------------------------------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def zero_png(width: int, height: int, depth: int = 8, colour: int = 0) -> bytes:
    """A PNG of zeros: some kilobytes, whatever size it declares (colour 0 grey, 2 RGB, 3 palette
    with a transparent entry, 6 RGBA)."""
    channels = {0: 1, 2: 3, 3: 1, 6: 4}[colour]
    row = bytes(1 + (width * channels * depth + 7) // 8)
    deflate = zlib.compressobj(9)
    pixels = b"".join(deflate.compress(row) for _ in range(height)) + deflate.flush()
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    palette = (
        _chunk(b"PLTE", bytes(range(256)) * 3) + _chunk(b"tRNS", b"\x00") if colour == 3 else b""
    )
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + palette
        + _chunk(b"IDAT", pixels)
        + _chunk(b"IEND", b"")
    )


def photo(width: int, height: int, quality: int, **options: object) -> bytes:
    """A photo-like JPEG: smooth colour with grain, so it compresses as a photo does."""
    grain = Image.effect_noise((width // 4, height // 4), 40).resize((width, height))
    red = Image.linear_gradient("L").resize((width, height))
    blue = red.transpose(Image.Transpose.ROTATE_90).resize((width, height))
    image = Image.merge("RGB", (red, grain, blue))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, **options)
    return out.getvalue()


def screenshot() -> bytes:
    image = Image.linear_gradient("L").resize((1170, 2532)).convert("RGB")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def declared_jpeg(width: int, height: int) -> bytes:
    data = bytearray(photo(16, 16, 90))
    frame = data.index(b"\xff\xc0")
    data[frame + 5 : frame + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def pdf_text(pages: int) -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    document = canvas.Canvas(out)
    for number in range(pages):
        for line in range(40):
            document.drawString(72, 760 - line * 18, f"第{number}页 Notice line {line} " * 3)
        document.showPage()
    document.save()
    return out.getvalue()


def pdf_flate_bomb() -> bytes:
    """One page, and a thumbnail stream that inflates to 64 MB + 1 (the budget, plus one)."""
    bomb = zlib.compress(bytes(64 * MB + 1))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Thumb 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(bomb) + bomb + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 5\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


# name: (maker, "staff" or "public")
CORPUS = {
    "phone photo 12 MP (baseline)": (lambda: photo(4032, 3024, 85), "staff"),
    "phone photo 12 MP, request photo": (lambda: photo(4032, 3024, 85), "public"),
    "phone photo 12 MP, progressive": (lambda: photo(4032, 3024, 85, progressive=True), "staff"),
    "phone photo 50 MP": (lambda: photo(8160, 6120, 60), "staff"),
    "phone photo 50 MP, request photo": (lambda: photo(8160, 6120, 60), "public"),
    "phone screenshot PNG 1170x2532": (screenshot, "public"),
    "largest PNG accepted: grey 4096x3072": (lambda: zero_png(4096, 3072), "staff"),
    "largest PNG accepted: RGB 4096x3072": (lambda: zero_png(4096, 3072, colour=2), "staff"),
    "largest PNG accepted: RGBA 3072x2048": (lambda: zero_png(3072, 2048, colour=6), "staff"),
    "largest PNG accepted: palette+alpha 3072x2048": (
        lambda: zero_png(3072, 2048, colour=3),
        "staff",
    ),
    "largest PNG accepted: 16-bit grey 2500x2500": (lambda: zero_png(2500, 2500, 16), "staff"),
    "largest PNG accepted, request photo: RGBA 2304x1728": (
        lambda: zero_png(2304, 1728, colour=6),
        "public",
    ),
    "bomb: PNG 6300x6300": (lambda: zero_png(6300, 6300), "public"),
    "bomb: PNG 16-bit RGBA 6000x6000": (lambda: zero_png(6000, 6000, 16, 6), "public"),
    "bomb: PNG RGBA 4096x3072": (lambda: zero_png(4096, 3072, colour=6), "staff"),
    "bomb: JPEG declaring 60000x1000": (lambda: declared_jpeg(60000, 1000), "public"),
    "bomb: progressive JPEG 4000x3200": (
        lambda: photo(4000, 3200, 80, progressive=True),
        "staff",
    ),
    "PDF: 50 pages of text": (lambda: pdf_text(50), "staff"),
    "PDF: Flate bomb 64 MB": (pdf_flate_bomb, "staff"),
}


# --- one check, in a fresh process ----------------------------------------------------------


def _status(field: str) -> int:
    """A /proc/self/status figure, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise LookupError(field)


def child(path: Path, origin: str) -> None:
    """Check ``path`` once, after warming up, and print the figures as JSON."""
    from doorplate import create_app
    from doorplate.publications import attachments
    from doorplate.publications.refusal import Refused

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x" * 32,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "BABEL_DEFAULT_LOCALE": "en",
        }
    )
    check = attachments.checked_file if origin == "staff" else attachments.checked_image
    data = path.read_bytes()
    with app.test_request_context():
        for warm in (zero_png(16, 16, colour=6), photo(16, 16, 90), pdf_text(1)):
            if origin == "staff" or not warm.startswith(b"%PDF"):
                check(warm, app.config)
        Path("/proc/self/clear_refs").write_text("5")  # the peak RSS starts again from here
        before, cpu = _status("VmRSS"), resource.getrusage(resource.RUSAGE_SELF)
        try:
            stored = check(data, app.config)[1]
            with Image.open(io.BytesIO(stored)) as image:
                outcome = "stored {}x{}".format(*image.size)
        except Refused as refusal:
            outcome = f"refused: {refusal}"
        except Image.UnidentifiedImageError:
            outcome = "stored as uploaded"
        after = resource.getrusage(resource.RUSAGE_SELF)
        peak = _status("VmHWM")
    print(
        json.dumps(
            {
                "before": before,
                "peak": peak,
                "cpu": after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime,
                "outcome": outcome,
            }
        )
    )


def measure(path: Path, origin: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, __file__, "--child", str(path), origin],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", help="names (or parts of names) to run")
    parser.add_argument("--child", nargs=2, metavar=("PATH", "ORIGIN"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), args.child[1])
        return
    print(f"Machine: {machine()}")
    print(
        f"Peak RSS of one check over the RSS before it, fresh process each; target {TARGET_MB} MB"
    )
    print(
        f"{'file':54} {'origin':6} {'size':>8} {'peak +MB':>9} {'vs photo':>9} {'CPU s':>6}"
        "  outcome"
    )
    baseline = None
    worst = 0.0
    with tempfile.TemporaryDirectory() as folder:
        for name, (make, origin) in CORPUS.items():
            if args.only and not any(part in name for part in args.only):
                continue
            path = Path(folder) / "upload"
            path.write_bytes(make())
            figures = measure(path, origin)
            grown = (int(figures["peak"]) - int(figures["before"])) / MB  # type: ignore[call-overload]
            baseline = grown if baseline is None else baseline
            worst = max(worst, grown)
            size = os.path.getsize(path) / 1024
            print(
                f"{name:54} {origin:6} {size:>6.0f}KB {grown:>9.1f} {grown - baseline:>+9.1f} "
                f"{figures['cpu']:>6.2f}  {figures['outcome']}"
            )
    verdict = "met" if worst <= TARGET_MB else "MISSED"
    print(f"worst peak over the RSS before: {worst:.1f} MB; target {verdict}")


if __name__ == "__main__":
    main()
