"""Write a file so that it is either complete or absent, never half-written.

A failed or interrupted backup or restore must not leave a truncated backup, nor a half-copied
database where the service expects its data: the file is written beside its destination under a
temporary name, flushed to disk, and renamed (or linked) into place in one step.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from flask_babel import gettext as _

from doorplate.backup.formats import BackupError


@contextlib.contextmanager
def atomic_file(target: Path, *, replace: bool) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it becomes ``target`` in one step."""
    if target.exists() and not replace:
        raise BackupError(_("%(path)s already exists; use --force to overwrite it.", path=target))
    if not target.parent.is_dir():
        raise BackupError(_("The folder %(path)s does not exist.", path=target.parent))
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(handle)
    part = Path(name)
    try:
        yield part
        with part.open("rb+") as file:
            os.fsync(file.fileno())
        if replace:
            os.replace(part, target)
        else:
            try:
                os.link(part, target)  # fails if someone created target meanwhile
            except FileExistsError as error:
                raise BackupError(
                    _("%(path)s already exists; use --force to overwrite it.", path=target)
                ) from error
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    finally:
        part.unlink(missing_ok=True)
