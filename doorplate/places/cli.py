"""Registry commands: ``import-households`` and ``import-template``.

These are the edge of the import: they read the file, run the use case, and commit or roll back.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from doorplate.db import db
from doorplate.places import importer, service
from doorplate.places.template import write_template
from doorplate.staff.audit import cli_actor


@click.command("import-households")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--dry-run", is_flag=True, help="Check FILE and report what would change; write nothing."
)
@with_appcontext
def import_households_command(file: Path, dry_run: bool) -> None:
    """Import the county's household register from FILE (.xlsx, first sheet, or .csv).

    \b
    The first row is the header; Chinese or English names, in any order:
      乡镇代码  town_code     9 digits, or 12 ending in 000
      乡镇      town
      村社代码  village_code  12 digits, beginning with its town's first 9
      村社      village
      地址      address
      门牌号    house_no      optional
      户主      head_name     optional
      电话      phone         optional: a mobile, or a landline with area code
    CSV may be UTF-8 (with or without BOM) or GB18030/GBK.

    The whole file is checked first: if any row is invalid, every problem is listed with its row
    and column and nothing is written. Households are matched on village code + address, so
    importing the same file again changes nothing. A changed file adds new households, updates the
    house number, head and phone of existing ones (a blank cell keeps the stored value) and renames
    towns and villages whose names changed. Households missing from the file are left alone: the
    import never deletes. `import-template` writes an example file.
    """
    actor = cli_actor()
    try:
        rows = importer.read_household_file(file)
        click.echo(_("Read %(n)d households from %(file)s.", n=len(rows), file=file.name))
        if dry_run:
            summary = service.import_households(rows, actor, dry_run=True)
        else:
            with click.progressbar(
                length=len(rows),
                label=_("Writing households"),
                file=sys.stderr,
            ) as bar:
                summary = service.import_households(rows, actor, progress=bar.update)
    except importer.ImportRejected as rejected:
        db.session.rollback()
        for error in rejected.errors:
            click.echo(str(error), err=True)
        click.echo(_("The import was rejected: nothing was written."), err=True)
        raise click.exceptions.Exit(1) from None
    if dry_run:
        db.session.rollback()
        click.echo(_("Dry run: nothing was written. The import would make these changes:"))
    else:
        db.session.commit()
        click.echo(_("Import complete:"))
    click.echo(describe(summary))


def describe(summary: service.ImportSummary) -> str:
    """The summary as a few lines for the terminal."""
    lines = [
        _(
            "  towns: %(created)d created, %(renamed)d renamed",
            created=summary.towns_created,
            renamed=summary.towns_renamed,
        ),
        _(
            "  villages: %(created)d created, %(renamed)d renamed",
            created=summary.villages_created,
            renamed=summary.villages_renamed,
        ),
        _(
            "  households: %(created)d created, %(updated)d updated, %(unchanged)d unchanged",
            created=summary.households_created,
            updated=summary.households_updated,
            unchanged=summary.households_unchanged,
        ),
    ]
    return "\n".join(lines)


@click.command("import-template")
@click.argument(
    "output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default="households-template.xlsx",
)
@click.option("--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
@with_appcontext
def import_template_command(output: Path, force: bool) -> None:
    """Write an example household workbook to OUTPUT (default households-template.xlsx).

    It has the canonical Chinese headers, two example rows to replace, code and phone columns
    formatted as text (so Excel keeps 330327100201 as typed) and a sheet of notes.
    """
    if output.suffix.lower() != ".xlsx":
        raise click.BadParameter(_("the file name must end in .xlsx"), param_hint="OUTPUT")
    if output.exists() and not force:
        raise click.ClickException(
            _("%(path)s already exists; use --force to overwrite it.", path=output)
        )
    write_template(output, current_app.config["COUNTY_CODE"])
    click.echo(_("Wrote %(path)s.", path=output))


COMMANDS = (import_households_command, import_template_command)
