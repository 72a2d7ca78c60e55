"""``doorplate report``: the annual report of a year's doorplate figures, as text, HTML, XLSX
or PDF.

Text and HTML may be printed; the two binary formats are written to a file (``-o``) only, since
a workbook or a PDF on a terminal is noise.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _

from doorplate.db import reading
from doorplate.i18n import LOCALES
from doorplate.stats import report as annual
from doorplate.stats.report_pdf import render_pdf

FORMATS: dict[str, Callable[[annual.AnnualReport, str], str | bytes]] = {
    "text": annual.render_text,
    "html": annual.render_html,
    "xlsx": annual.render_xlsx,
    "pdf": render_pdf,
}
BINARY_FORMATS = frozenset({"xlsx", "pdf"})


@click.command("report")
@click.option("--year", type=click.IntRange(2000, 2999), required=True, help="The year, e.g. 2021.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(sorted(FORMATS)),
    default="text",
    show_default=True,
    help="Output format; xlsx and pdf need -o.",
)
@click.option(
    "--cumulative/--in-year",
    default=annual.DEFAULT_BASIS is annual.Basis.CUMULATIVE,
    show_default=True,
    help="State figures since launch (累计, as the county's report does) or of the year only in "
    "the paragraph; the table of exact figures shows both.",
)
@click.option(
    "--lang",
    type=click.Choice(sorted(LOCALES)),
    help="Language of the report (default: the service's default language).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the report to this file (text and HTML in UTF-8) instead of printing it.",
)
@with_appcontext
def report_command(
    year: int, output_format: str, cumulative: bool, lang: str | None, output: Path | None
) -> None:
    """Print the annual report for YEAR: the doorplate paragraph in the report's own style,
    the exact figures beside it, a table per town and the monthly trend.

    XLSX and PDF are written to a file only: give -o FILE.
    """
    if output_format in BINARY_FORMATS and output is None:
        raise click.UsageError(
            _(
                "The %(format)s format is a binary file: give -o FILE to write it to.",
                format=output_format,
            )
        )
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    lang = lang or next(code for code, locale in LOCALES.items() if locale == default)
    basis = annual.Basis.CUMULATIVE if cumulative else annual.Basis.IN_YEAR
    with force_locale(LOCALES[lang]), reading():
        content = FORMATS[output_format](annual.annual_report(year, basis), lang)
        if output is None:  # text or HTML: the binary formats were refused above
            click.echo(content, nl=False)
            return
        if isinstance(content, bytes):
            output.write_bytes(content)
        else:
            output.write_text(content, encoding="utf-8")
        click.echo(_("Wrote the report to %(path)s.", path=output))


COMMANDS = (report_command,)
