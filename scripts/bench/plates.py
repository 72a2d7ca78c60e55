"""Benchmark: print-ready plate artefacts (issue 3).

Measures, each as the median of ``--runs`` runs:
- per-process one-offs (loading the font for Pillow, reportlab and fontTools; QR layout tables),
  each in a fresh process;
- QR encoding: ours against plain ``qrcode`` (``make()`` with its own mask search);
- one label as PNG (ours against the baseline: ``qrcode`` ``make()`` + ``make_image()`` pasted into
  the same Pillow label with the same text) and as SVG;
- the PDF sheet of a 1,000-household village on one core, against a baseline sheet drawn the
  usual way (``qrcode`` ``make()``, one reportlab ``rect`` per dark run);
- the whole county (420,000 households in 504 villages) as village PDF sheets, PNG ZIPs and SVG
  ZIPs through a pool of ``--workers`` processes. ``--county sample`` renders the first 24
  villages (~20,000 plates) and extrapolates to 420,000; ``--county full`` renders them all.

Labels are synthetic (realistic addresses with rare characters, fresh random tokens), generated
in memory inside each worker; the outputs are kept in memory and only their sizes recorded.

    python scripts/bench/plates.py [--runs 5] [--county sample|full|none] [--county-runs 3]
        [--workers 2] [--formats pdf,png,svg]
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from importlib import metadata

import qrcode
import reportlab
from benchlib import cpu_model
from PIL import Image, ImageDraw
from PIL import __version__ as pillow_version
from reportlab.pdfgen.canvas import Canvas

from doorplate.plates.render import Label
from doorplate.plates.render.exports import zip_of_images
from doorplate.plates.render.fonts import pdf_font_name, pil_font, plate_font
from doorplate.plates.render.label import MM_PER_INCH, label_png, label_svg
from doorplate.plates.render.layout import DEFAULT_SIZE, LabelLayout, layout
from doorplate.plates.render.qr import QUIET_ZONE, encode
from doorplate.plates.render.sheet import PT_PER_MM, sheet_pdf
from doorplate.plates.tokens import new_tokens, plate_url

HOUSEHOLDS = 420_000
TOWNS = ["灵溪镇", "宜山镇", "钱库镇", "金乡镇", "炎亭镇", "大渔镇", "赤溪镇", "马站镇", "矾山镇"]
TOWNS += ["南宋镇", "桥墩镇", "莒溪镇", "藻溪镇", "望里镇", "沿浦镇", "霞关镇", "凤阳畲族乡"]
TOWNS += ["岱岭畲族乡"]
VILLAGES_PER_TOWN = 28  # 18 * 28 = 504 villages
VILLAGES = len(TOWNS) * VILLAGES_PER_TOWN
SAMPLE_VILLAGES = 24  # ~20,000 plates
VILLAGE_FIRST = "上下东西南北前后新大小中"
VILLAGE_SECOND = ["垟", "岙", "埭", "鳌", "溪", "山", "河", "桥", "湾", "头", "坑", "塘"]
STREETS = ["上垟路", "岙底街", "埭头巷", "鳌山路", "文化路", "中心街", "新兴路", "河滨路", "学前巷"]
BASE_URL = "https://dp.cncn.gov.cn"
DPI = 300


def village_labels(index: int, count: int) -> list[Label]:
    """A village's labels, sorted by address as the caller would pass them."""
    rng = random.Random(index)
    town = TOWNS[index // VILLAGES_PER_TOWN]
    village = rng.choice(VILLAGE_FIRST) + rng.choice(VILLAGE_SECOND) + "村"
    labels = []
    for i, token in enumerate(new_tokens(count)):
        street = rng.choice(STREETS)
        number = f"{rng.randint(1, 400)}号" if rng.random() < 0.8 else f"{rng.randint(1, 99)}-{i}号"
        address = f"{town}{village}{street}{number}"
        labels.append(Label(plate_url(BASE_URL, token), token, address, village, town, f"#{i}"))
    return sorted(labels, key=lambda label: label.address)


def median_time(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# --- baselines: what the code would do without this package's work --------------------------


def baseline_png(label: Label, lay: LabelLayout) -> bytes:
    """qrcode's make() and make_image(), pasted into the same label with the same text."""
    scale = DPI / MM_PER_INCH
    module_px = max(1, int(lay.module * scale))
    qr = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_H, box_size=module_px, border=QUIET_ZONE
    )
    qr.add_data(label.url)
    qr.make()
    symbol = qr.make_image().get_image()
    size = (round(DEFAULT_SIZE.width_mm * scale), round(DEFAULT_SIZE.height_mm * scale))
    image = Image.new("1", size, 1)
    image.paste(symbol, (round(lay.qr_x * scale), round(lay.qr_y * scale)))
    draw = ImageDraw.Draw(image)
    for line in lay.lines:
        at = (line.center * scale, line.baseline * scale)
        font = pil_font(round(line.size * scale))
        draw.text(at, line.text, font=font, fill=0, anchor="ms")
    out = io.BytesIO()
    image.save(out, "PNG", dpi=(DPI, DPI))
    return out.getvalue()


def baseline_sheet(labels: list[Label], layouts: list[LabelLayout]) -> bytes:
    """A 3x3 A4 sheet the usual way: qrcode's make(), one reportlab rect per dark run."""
    out = io.BytesIO()
    canvas = Canvas(
        out, pagesize=(210 * PT_PER_MM, 297 * PT_PER_MM), initialFontName=pdf_font_name()
    )
    page_height = 297 * PT_PER_MM
    for i, (label, lay) in enumerate(zip(labels, layouts, strict=True)):
        if i and i % 9 == 0:
            canvas.showPage()
        row, column = divmod(i % 9, 3)
        left, top = 15 + column * 60, 36 + row * 80
        qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_H, border=0)
        qr.add_data(label.url)
        qr.make()
        module = lay.module * PT_PER_MM
        x0 = (left + lay.qr_x + QUIET_ZONE * lay.module) * PT_PER_MM
        y0 = page_height - (top + lay.qr_y + QUIET_ZONE * lay.module) * PT_PER_MM
        for r, cells in enumerate(qr.modules):
            c = 0
            while c < len(cells):
                if cells[c]:
                    end = c
                    while end < len(cells) and cells[end]:
                        end += 1
                    y = y0 - (r + 1) * module
                    canvas.rect(x0 + c * module, y, (end - c) * module, module, stroke=0, fill=1)
                    c = end
                c += 1
        for line in lay.lines:
            canvas.setFont(pdf_font_name(), line.size * PT_PER_MM)
            x, y = (left + line.center) * PT_PER_MM, page_height - (top + line.baseline) * PT_PER_MM
            canvas.drawCentredString(x, y, line.text)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


# --- one-offs, measured in a fresh process each ---------------------------------------------


def one_offs() -> dict[str, float]:
    timings = {}
    for name, fn in (
        ("font metrics and cmap (fontTools)", plate_font),
        ("reportlab font registration", pdf_font_name),
        ("Pillow font (FreeType)", lambda: pil_font(59)),
        ("QR layout tables, version 4", lambda: encode(plate_url(BASE_URL, "0" * 16))),
    ):
        start = time.perf_counter()
        fn()
        timings[name] = time.perf_counter() - start
    return timings


# --- the county through a process pool -------------------------------------------------------


def village_file(task: tuple[int, int, str]) -> tuple[int, int]:
    index, count, fmt = task
    labels = village_labels(index, count)
    if fmt == "pdf":
        data = sheet_pdf(labels, labels[0].village)
    else:
        data = zip_of_images(labels, "png" if fmt == "png" else "svg")
    return len(labels), len(data)


def county(fmt: str, villages: int, workers: int) -> tuple[float, int, int]:
    """Seconds, plates and bytes for the first ``villages`` villages of the county."""
    per_village, extra = divmod(HOUSEHOLDS, VILLAGES)
    tasks = [(i, per_village + (i < extra), fmt) for i in range(villages)]
    start = time.perf_counter()
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        results = list(pool.map(village_file, tasks))
    return time.perf_counter() - start, sum(r[0] for r in results), sum(r[1] for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--county", choices=["sample", "full", "none"], default="sample")
    parser.add_argument("--county-runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--formats", default="pdf,png,svg", help="county outputs to time")
    args = parser.parse_args()
    runs = args.runs
    print(f"# {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu_model()}")
    versions = f"qrcode {metadata.version('qrcode')}, Pillow {pillow_version}"
    print(f"# Python {platform.python_version()}, {versions}, reportlab {reportlab.Version}")

    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=spawn, max_tasks_per_child=1) as pool:
        fresh = [pool.submit(one_offs).result() for _ in range(runs)]
    print("\n## One-offs per process (fresh process each run), median ms")
    for name in fresh[0]:
        print(f"- {name}: {statistics.median(run[name] for run in fresh) * 1000:.0f}")

    one_offs()  # warm this process
    labels = village_labels(0, 1000)
    layouts = [layout(label) for label in labels]

    print("\n## Per code / per label, one core, median of runs")
    urls = [label.url for label in labels]
    ours = median_time(lambda: [encode(url) for url in urls], runs) / len(urls)

    def plain_qrcode(url: str) -> None:
        qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_H)
        qr.add_data(url)
        qr.make()

    base = median_time(lambda: [plain_qrcode(url) for url in urls[:200]], runs) / 200
    print(
        f"- QR encode: ours {1 / ours:,.0f}/s, qrcode make() {1 / base:,.0f}/s ({base / ours:.1f}x)"
    )
    sample = labels[:300]
    png = median_time(lambda: [label_png(label) for label in sample], runs) / len(sample)
    base_png = median_time(
        lambda: [baseline_png(lb, ly) for lb, ly in zip(sample, layouts, strict=False)], runs
    ) / len(sample)
    svg = median_time(lambda: [label_svg(label) for label in sample], runs) / len(sample)
    print(
        f"- label PNG 60x80 mm at {DPI} dpi: ours {png * 1000:.2f} ms ({1 / png:,.0f}/s), "
        f"baseline {base_png * 1000:.2f} ms ({1 / base_png:,.0f}/s) ({base_png / png:.1f}x)"
    )
    print(f"- label SVG: ours {svg * 1000:.2f} ms ({1 / svg:,.0f}/s)")

    print("\n## A 1,000-household village's PDF sheet (3x3 per A4 page, 112 pages), one core")
    sheet = median_time(lambda: sheet_pdf(labels, "渡龙村"), runs)
    base_sheet = median_time(lambda: baseline_sheet(labels, layouts), max(1, runs // 2))
    print(f"- ours {sheet:.2f} s ({len(sheet_pdf(labels, '渡龙村')) / 1e6:.2f} MB)")
    print(f"- baseline {base_sheet:.2f} s ({base_sheet / sheet:.1f}x)")

    if args.county == "none":
        return
    villages = VILLAGES if args.county == "full" else SAMPLE_VILLAGES
    county_runs = 1 if args.county == "full" else args.county_runs
    print(f"\n## County: {villages} villages, {args.workers} processes, median of {county_runs}")
    for fmt in args.formats.split(","):
        timings = []
        for _ in range(county_runs):
            seconds, plates, size = county(fmt, villages, args.workers)
            timings.append(seconds)
        seconds = statistics.median(timings)
        whole = seconds * HOUSEHOLDS / plates
        runs_text = ", ".join(f"{t:.1f}" for t in timings)
        print(
            f"- {fmt}: {plates:,} plates in {seconds:.1f} s ({plates / seconds:,.0f}/s; runs "
            f"{runs_text}; {size / 1e6:,.0f} MB) -> 420,000 in {whole:.0f} s ({whole / 60:.1f} min)"
        )


if __name__ == "__main__":
    sys.exit(main())
