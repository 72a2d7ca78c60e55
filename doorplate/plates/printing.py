"""Print-ready plate files for villages and towns: the use cases behind console downloads and
``doorplate plates export``.

The rendering itself is :mod:`doorplate.plates.render` (pure, no database); this module gathers the
labels (issuing missing plates first), picks the renderer for a format, names the file and audits
the export. :class:`VillageRenderer` runs the renderer in worker processes for multi-village
exports; workers get plain data only (labels and render options read from the config here).
"""

from __future__ import annotations

import enum
import io
import multiprocessing
import re
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import cast

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from doorplate.places.models import Household, Town, Village
from doorplate.plates import tokens
from doorplate.plates.labels import labels_by_village, labels_for
from doorplate.plates.render import Label, RenderError, exports, sheet
from doorplate.plates.render.label import label_png, label_svg
from doorplate.plates.render.layout import LabelSize
from doorplate.plates.render.qr import LEVELS, Ecc
from doorplate.plates.render.sheet import Section
from doorplate.plates.service import PlateError, active_plate, issue_missing
from doorplate.staff import audit


class Format(enum.StrEnum):
    PDF = "pdf"
    PNG = "png"
    SVG = "svg"
    CSV = "csv"
    XLSX = "xlsx"


FORMAT_LABELS = {
    Format.PDF: _l("PDF sheets"),
    Format.PNG: _l("PNG images (ZIP)"),
    Format.SVG: _l("SVG images (ZIP)"),
    Format.CSV: _l("CSV list"),
    Format.XLSX: _l("Excel list"),
}
# (file extension, media type) of what each format produces for a set of labels
_FILES = {
    Format.PDF: ("pdf", "application/pdf"),
    Format.PNG: ("zip", "application/zip"),
    Format.SVG: ("zip", "application/zip"),
    Format.CSV: ("csv", "text/csv"),  # send_file adds "; charset=utf-8", once
    Format.XLSX: ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
# One household's plate: the image itself rather than a ZIP of one
SINGLE_FORMATS = (Format.PDF, Format.PNG, Format.SVG)
_SINGLE_FILES = {**_FILES, Format.PNG: ("png", "image/png"), Format.SVG: ("svg", "image/svg+xml")}
_UNSAFE_IN_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


@dataclass(frozen=True)
class Export:
    """A rendered file to hand out, and how many plates are in it."""

    data: bytes
    filename: str
    mimetype: str
    count: int

    def stream(self) -> io.BytesIO:
        return io.BytesIO(self.data)


@dataclass(frozen=True)
class RenderOptions:
    """The sheet and label geometry from the configuration, as plain data a worker can receive."""

    columns: int
    rows: int
    size: LabelSize
    dpi: int
    ecc: Ecc

    @classmethod
    def from_config(cls, columns: int | None = None, rows: int | None = None) -> RenderOptions:
        """``PLATE_SHEET_COLUMNS`` × ``PLATE_SHEET_ROWS`` labels of ``PLATE_LABEL_*_MM``, images at
        ``PLATE_DPI``, QR error correction ``PLATE_ECC``."""
        config = current_app.config
        ecc = str(config["PLATE_ECC"]).upper()
        if ecc not in LEVELS:
            raise RenderError(_("PLATE_ECC must be one of L, M, Q or H, not %(value)s.", value=ecc))
        return cls(
            columns=columns or int(config["PLATE_SHEET_COLUMNS"]),
            rows=rows or int(config["PLATE_SHEET_ROWS"]),
            size=LabelSize(
                float(config["PLATE_LABEL_WIDTH_MM"]), float(config["PLATE_LABEL_HEIGHT_MM"])
            ),
            dpi=int(config["PLATE_DPI"]),
            ecc=cast(Ecc, ecc),
        )


def render(sections: Sequence[Section], form: Format, options: RenderOptions) -> bytes:
    """The file for titled runs of labels (a village each) in ``form``; pure, for workers too.

    A PDF starts each section on a new page under its own title and page numbers; the other
    formats simply run the sections together, which keep their order.
    """
    if form is Format.PDF:
        return sheet.sections_pdf(
            sections,
            columns=options.columns,
            rows=options.rows,
            size=options.size,
            ecc=options.ecc,
        )
    labels = [label for _title, run in sections for label in run]
    if form is Format.PNG:
        return exports.zip_of_images(
            labels, "png", size=options.size, dpi=options.dpi, ecc=options.ecc
        )
    if form is Format.SVG:
        return exports.zip_of_images(labels, "svg", size=options.size, ecc=options.ecc)
    if form is Format.CSV:
        return exports.csv_listing(labels)
    return exports.xlsx_listing(labels)


def export_village(
    actor: audit.Actor, village: Village, form: Format, options: RenderOptions | None = None
) -> Export:
    """A village's plates in ``form``; issues missing plates first and audits the export."""
    labels = labels_for([village.id])
    if not labels:
        raise nothing_to_print(village.name)
    data = render([(village_title(village), labels)], form, options or RenderOptions.from_config())
    record_export(actor, "village", village.code, form, len(labels))
    return _export(data, f"doorplates-{village.code}-{village.name}", form, len(labels))


def export_town(actor: audit.Actor, town: Town, form: Format) -> Export:
    """A whole town's plates in one file, a section per village, in address order."""
    villages = {village.code: village for village in town.villages}
    by_village = labels_by_village([village.id for village in villages.values()])
    count = sum(len(run) for run in by_village.values())
    if not count:
        raise nothing_to_print(town.name)
    sections = [(village_title(villages[code]), run) for code, run in by_village.items()]
    data = render(sections, form, RenderOptions.from_config())
    record_export(actor, "town", town.code, form, count)
    return _export(data, f"doorplates-{town.code}-{town.name}", form, count)


def export_household(actor: audit.Actor, household: Household, form: Format) -> Export:
    """One household's plate: a PNG or SVG image, or a one-label sheet, to replace a lost plate."""
    issue_missing(household_ids=[household.id])
    plate = active_plate(household)
    if plate is None:
        raise PlateError(_("This household has no active plate to print."))
    village = household.village
    label = Label(
        url=plate_url(plate.token),
        token=plate.token,
        address=household.address,
        village=village.name,
        town=village.town.name,
        ref=f"{village.code} {household.address}",
    )
    options = RenderOptions.from_config()
    if form is Format.PNG:
        data = label_png(label, size=options.size, dpi=options.dpi, ecc=options.ecc)
    elif form is Format.SVG:
        data = label_svg(label, size=options.size, ecc=options.ecc)
    else:
        data = render([(village_title(village), [label])], form, options)
    record_export(actor, "household", household.id, form, 1)
    stem = f"doorplate-{village.code}-{household.address}-{plate.token}"
    return _export(data, stem, form, 1, _SINGLE_FILES)


def village_title(village: Village) -> str:
    """A sheet's header: which village these plates are for."""
    return f"{village.town.name} {village.name} {village.code}"


def nothing_to_print(place: str) -> PlateError:
    return PlateError(_("%(place)s has no households to print plates for.", place=place))


def record_export(
    actor: audit.Actor,
    object_type: str,
    object_id: str | None,
    form: Format,
    count: int,
    **detail: object,
) -> None:
    """Audit who exported which plates: a print file is how a plate reaches a door."""
    audit.record(
        actor, "plates.export", object_type, object_id, format=form.value, count=count, **detail
    )


def plate_url(token: str) -> str:
    return tokens.plate_url(current_app.config["BASE_URL"], token)


def safe_name(text: str) -> str:
    """``text`` usable as a file name on any system the files may be copied to."""
    return _UNSAFE_IN_NAMES.sub("_", text).strip(" .") or "_"


def village_path(village: Village, form: Format) -> Path:
    """Where a village's file goes in a multi-village export: ``<town>/<village>.<ext>``."""
    extension = _FILES[form][0]
    return Path(safe_name(f"{village.town.code}-{village.town.name}")) / (
        f"{safe_name(f'{village.code}-{village.name}')}.{extension}"
    )


def _export(
    data: bytes,
    stem: str,
    form: Format,
    count: int,
    files: dict[Format, tuple[str, str]] = _FILES,
) -> Export:
    extension, mimetype = files[form]
    return Export(data, f"{safe_name(stem)}.{extension}", mimetype, count)


def _render_to_file(section: Section, form: Format, options: RenderOptions, path: str) -> None:
    """A worker's job: one village's file, written by the worker (no bytes sent back)."""
    Path(path).write_bytes(render([section], form, options))


class VillageRenderer:
    """Renders villages' files in a process pool, keeping a bounded number of villages queued.

    Workers are spawned, not forked: a fork would copy the parent's database connections and
    locks. They receive plain data only (labels and the options read from the config here). A
    worker's exception is raised again here, from the call that collects it.
    """

    def __init__(self, form: Format, options: RenderOptions, jobs: int) -> None:
        self.form = form
        self.options = options
        self.jobs = jobs
        self._pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"))
        self._pending: set[Future[None]] = set()

    def __enter__(self) -> VillageRenderer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._pool.shutdown(wait=True, cancel_futures=exc is not None)

    def submit(self, section: Section, path: Path) -> int:
        """Queue one village; return how many villages finished meanwhile (for a progress bar).

        Waits while twice as many villages as workers are queued, which bounds memory: a
        county's labels never sit in memory all at once.
        """
        job = self._pool.submit(_render_to_file, section, self.form, self.options, str(path))
        self._pending.add(job)
        done = 0
        while len(self._pending) >= 2 * self.jobs:
            done += self._collect(wait(self._pending, return_when=FIRST_COMPLETED).done)
        return done

    def finish(self) -> int:
        """Wait for every queued village; return how many finished."""
        return self._collect(wait(self._pending).done)

    def _collect(self, finished: set[Future[None]]) -> int:
        for future in finished:
            self._pending.discard(future)
            future.result()
        return len(finished)
