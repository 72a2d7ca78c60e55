"""Backups of the whole database and restores from them (``doorplate backup`` / ``restore``).

A backup is one file: a SQLite database made with SQLite's online backup API, or a PostgreSQL
``pg_dump`` custom-format archive. Both are taken while the service runs and hold exactly the
records committed when the backup began.
"""
