"""``doorplate search reindex``: rebuild the search index from the published posts.

Approval and withdrawal keep the index current; a rebuild is for after an upgrade that changes
how text is segmented (the segmenter's dictionary, the stop words).
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from doorplate.db import db
from doorplate.search import index

search = AppGroup(
    "search",
    help="The resident search's index.\n\nRun `doorplate search COMMAND --help` for each command.",
)


@search.command("reindex")
def reindex_command() -> None:
    """Rebuild the index of every published post's words (safe while the service runs)."""
    count = index.reindex()
    db.session.commit()
    click.echo(f"Indexed {count} published posts.")


COMMANDS = (search,)
