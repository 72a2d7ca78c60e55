"""``doorplate plates ...``: export print files, mark plates installed, revoke, reissue, status.

The commands are the edge: they resolve codes and ids, call the use cases, and commit (or roll back
and exit non-zero with a message). ``export`` for more than one village renders whole villages in a
pool of processes, one per core, which is what makes ``--all`` for 420,000 plates practical.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from doorplate.db import db
from doorplate.places.models import Household, Town, Village
from doorplate.plates import printing, service, tokens
from doorplate.plates.labels import labels_for
from doorplate.plates.models import Plate, RevokeReason
from doorplate.plates.render import RenderError
from doorplate.staff.audit import cli_actor

plates = AppGroup(
    "plates",
    help="Print, install, revoke and reissue doorplates.\n\n"
    "Run `doorplate plates COMMAND --help` for each command.",
)

REASON = click.option(
    "--reason",
    type=click.Choice([r.value for r in RevokeReason]),
    required=True,
    help="Why: lost, damaged, moved (household moved or address changed) or other.",
)
HOUSEHOLD = click.option("--household", "household_id", type=int, help="The household's id.")
TOKEN = click.option("--token", help="The plate's code as printed (any case, hyphens allowed).")


@plates.command("export")
@click.option("--village", "village_code", metavar="CODE", help="One village, by its code.")
@click.option("--town", "town_code", metavar="CODE", help="Every village of a town.")
@click.option("--all", "everything", is_flag=True, help="Every village of the county.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in printing.Format]),
    required=True,
    help="pdf: A4 label sheets with cut marks; png/svg: a ZIP of one image per plate; "
    "csv/xlsx: address, code and URL for sign makers.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="With --village: the file to write. With --town or --all: a directory (created if "
    "needed) that gets one file per village.",
)
@click.option(
    "--columns",
    type=click.IntRange(min=1),
    help="Labels across an A4 page (default: PLATE_SHEET_COLUMNS, 3).",
)
@click.option(
    "--rows",
    type=click.IntRange(min=1),
    help="Labels down an A4 page (default: PLATE_SHEET_ROWS, 3).",
)
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    help="Processes rendering villages in parallel for --town/--all (default: one per core).",
)
def export_command(
    village_code: str | None,
    town_code: str | None,
    everything: bool,
    fmt: str,
    output: Path,
    columns: int | None,
    rows: int | None,
    force: bool,
    jobs: int | None,
) -> None:
    """Write print-ready plates for a village, a town or the whole county.

    \b
    --village CODE      writes one file, OUTPUT.
    --town CODE, --all  write one file per village into the directory OUTPUT:
                        OUTPUT/<town code>-<town>/<village code>-<village>.<ext>
                        rendered by a pool of processes, with a progress bar.

    Every household in the selection that has no plate yet is issued one first. Labels are in
    address order (上垟路2号 before 上垟路10号); each export is recorded in the audit trail.
    """
    if sum([bool(village_code), bool(town_code), everything]) != 1:
        raise click.UsageError(_("Give exactly one of --village, --town or --all."))
    actor = cli_actor()
    form = printing.Format(fmt)
    options = printing.RenderOptions.from_config(columns, rows)
    try:
        if village_code:
            village = _village(village_code)
            if output.is_dir():
                raise click.UsageError(_("With --village, -o names a file, not a directory."))
            _refuse_existing([output], force)
            made = printing.export_village(actor, village, form, options)
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_bytes(made.data)
            db.session.commit()
            click.echo(_("Wrote %(count)d plates to %(path)s.", count=made.count, path=output))
            return
        if output.exists() and not output.is_dir():
            raise click.UsageError(_("With --town or --all, -o names a directory."))
        town = _town(town_code) if town_code else None
        villages = _villages(town)
        targets = [output / printing.village_path(village, form) for village in villages]
        _refuse_existing(targets, force)
        with printing.VillageRenderer(form, options, jobs or _cores()) as renderer:
            count, written = _export_villages(renderer, villages, targets)
        printing.record_export(
            actor,
            "town" if town else "county",
            town.code if town else None,
            form,
            count,
            villages=written,
        )
    except (service.PlateError, RenderError) as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(
        _(
            "Wrote %(count)d plates of %(villages)d villages under %(path)s.",
            count=count,
            villages=written,
            path=output,
        )
    )
    if written < len(villages):
        click.echo(
            ngettext(
                "%(num)d village without households was skipped.",
                "%(num)d villages without households were skipped.",
                len(villages) - written,
            )
        )


def _export_villages(
    renderer: printing.VillageRenderer, villages: list[Village], targets: list[Path]
) -> tuple[int, int]:
    """Queue each village's file with the renderer; return (plates, villages) written.

    Each village's plates are issued and committed as it is queued: that releases SQLite's write
    lock between villages, so the web app keeps working through a county-wide export (and an
    issued plate is final anyway, whether or not this export finishes).
    """
    plate_count = written = 0
    with click.progressbar(
        length=len(villages), label=_("Rendering villages"), file=sys.stderr
    ) as bar:
        for village, target in zip(villages, targets, strict=True):
            labels = labels_for([village.id])
            db.session.commit()
            if not labels:
                bar.update(1)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            bar.update(renderer.submit((printing.village_title(village), labels), target))
            plate_count += len(labels)
            written += 1
        bar.update(renderer.finish())
    return plate_count, written


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _refuse_existing(paths: list[Path], force: bool) -> None:
    existing = [p for p in paths if p.exists()]
    if existing and not force:
        raise click.ClickException(
            _("%(path)s already exists; use --force to overwrite.", path=existing[0])
        )


def _village(code: str) -> Village:
    village = db.session.scalar(
        select(Village).where(Village.code == code.strip()).options(joinedload(Village.town))
    )
    if village is None:
        raise click.ClickException(_("There is no village with code %(code)s.", code=code))
    return village


def _town(code: str) -> Town:
    town = db.session.scalar(select(Town).where(Town.code == code.strip()))
    if town is None:
        raise click.ClickException(_("There is no town with code %(code)s.", code=code))
    return town


def _villages(town: Town | None) -> list[Village]:
    """The town's villages, or the county's, in town and village code order."""
    query = select(Village).join(Village.town).options(joinedload(Village.town))
    if town is not None:
        query = query.where(Village.town_id == town.id)
    villages = list(db.session.scalars(query.order_by(Town.code, Village.code)))
    if not villages:
        raise click.ClickException(_("There are no villages to export."))
    return villages


@plates.command("install")
@click.option("--village", "village_code", metavar="CODE", required=True, help="The village code.")
def install_command(village_code: str) -> None:
    """Mark every active plate of a village as installed on its door.

    Use it after a village-wide fitting round; plates already marked keep their date. Coverage
    (what the county reports) counts households whose active plate is installed.
    """
    village = _village(village_code)
    count = service.install_village(cli_actor(), village)
    db.session.commit()
    click.echo(
        ngettext(
            "%(village)s: %(num)d plate marked as installed.",
            "%(village)s: %(num)d plates marked as installed.",
            count,
            village=village.name,
        )
    )


@plates.command("revoke")
@HOUSEHOLD
@TOKEN
@REASON
def revoke_command(household_id: int | None, token: str | None, reason: str) -> None:
    """Withdraw a household's plate without a replacement (e.g. the household moved away).

    Scans of the plate then show "this code is no longer valid". Name the household by --household
    ID or by the plate's --token. Use `reissue` to replace a plate instead.
    """
    household = _household(household_id, token)
    try:
        plate = service.revoke(cli_actor(), household, RevokeReason(reason))
    except service.PlateError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(
        _(
            "Revoked plate %(token)s (generation %(generation)d) of %(address)s.",
            token=tokens.grouped(plate.token),
            generation=plate.generation,
            address=household.address,
        )
    )


@plates.command("reissue")
@HOUSEHOLD
@TOKEN
@REASON
def reissue_command(household_id: int | None, token: str | None, reason: str) -> None:
    """Replace a household's plate: the current one stops working, a new code is issued.

    Name the household by --household ID or by the current plate's --token. Prints the new code
    and URL; print the new plate (e.g. `plates export --village CODE`) and install it.
    """
    household = _household(household_id, token)
    try:
        plate = service.reissue(cli_actor(), household, RevokeReason(reason))
    except service.PlateError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(
        _(
            "Issued plate generation %(generation)d for %(address)s.",
            generation=plate.generation,
            address=household.address,
        )
    )
    click.echo(_("Code: %(token)s", token=tokens.grouped(plate.token)))
    click.echo(_("URL: %(url)s", url=printing.plate_url(plate.token)))


def _household(household_id: int | None, token: str | None) -> Household:
    """The household named by exactly one of an id or a plate token (active or revoked)."""
    if (household_id is None) == (token is None):
        raise click.UsageError(_("Give exactly one of --household or --token."))
    if household_id is not None:
        household = db.session.get(Household, household_id)
        if household is None:
            raise click.ClickException(_("There is no household with id %(id)d.", id=household_id))
        return household
    assert token is not None
    canonical = tokens.normalise(token)
    found = db.session.scalar(select(Plate).where(Plate.token == canonical)) if canonical else None
    if found is None:
        raise click.ClickException(_("No plate has the code %(token)s.", token=token))
    return found.household


@plates.command("status")
@click.option("--village", "village_code", metavar="CODE", required=True, help="The village code.")
def status_command(village_code: str) -> None:
    """Show a village's plate coverage: households, active plates, installed plates."""
    village = _village(village_code)
    coverage = service.coverage([village.id])
    percent = 100 * coverage.installed / coverage.households if coverage.households else 0.0
    click.echo(f"{village.town.name} {village.name} ({village.code})")
    click.echo(_("  households:     %(n)d", n=coverage.households))
    click.echo(_("  active plates:  %(n)d", n=coverage.active))
    click.echo(_("  installed:      %(n)d", n=coverage.installed))
    click.echo(_("  coverage:       %(percent).1f%%", percent=percent))


COMMANDS = (plates,)
