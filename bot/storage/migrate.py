"""Schema migrations (Alembic), applied at start and before anything touches the tables.

To write a new migration after changing a model:
    python -m bot.storage.migrate revision "what changed"
which compares the models with a scratch database at head and writes the difference as a new
file in bot/storage/migrations/versions/ for you to review.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import re
import sys
import tempfile
from ast import literal_eval
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, create_engine, inspect, text
from sqlalchemy.engine import URL

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# pg_advisory_xact_lock key of the schema upgrade (any constant shared by every process).
POSTGRES_MIGRATION_LOCK = 0x616765_6E6461


# A migration file's own lines naming it and the one before it.
_NAMES = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(connection: Connection) -> None:
    """Bring the database to the newest schema (run with AsyncConnection.run_sync). On
    PostgreSQL an advisory lock, held until the transaction ends, makes processes that start
    together take turns: the second finds the schema at head and does nothing."""
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": POSTGRES_MIGRATION_LOCK}
        )
    head = head_on_file()
    if head is not None and _at(connection) == head:
        return  # the usual start: Alembic (with Mako and Pygments) is not even imported
    from alembic import command
    from alembic.script.revision import ResolutionError
    from alembic.util import CommandError

    try:
        command.upgrade(_config(connection), "head")
    except CommandError as problem:
        # The database is at a revision none of our files names: a newer version of the bot
        # migrated it. Anything else wrong with the migrations is ours, and raised as it is.
        if isinstance(problem.__cause__, ResolutionError):
            raise UnknownSchema(str(problem)) from problem
        raise


class UnknownSchema(Exception):
    """The database is at a migration this version of the bot does not have."""


def head_on_file() -> str | None:
    """The newest migration, read from the files' own `revision` and `down_revision` lines;
    None unless they make one line of revisions (Alembic then decides)."""
    revisions: set[object] = set()
    before: set[object] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        names = dict(_NAMES.findall(path.read_text(encoding="utf-8")))
        try:
            revisions.add(literal_eval(names["revision"]))
            before.add(literal_eval(names["down_revision"]))
        except (KeyError, ValueError, SyntaxError, TypeError):
            return None
    heads = revisions - before
    if len(heads) != 1 or len(before - revisions) != 1:  # one head, one first (None)
        return None
    head = heads.pop()
    return head if isinstance(head, str) else None


def _at(connection: Connection) -> str | None:
    """The revision the database is at, if it has exactly one (a new database has none)."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    return str(rows[0][0]) if len(rows) == 1 else None


def sqlite_file(url: URL) -> Path | None:
    """The file a SQLite URL names, a URI filename (`file:/path?mode=ro`) included; None for
    another database or an in-memory one."""
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    if database.startswith("file:"):
        # SQLAlchemy takes a URI's parameters into url.query; a name may keep its own.
        database, _, parameters = database.removeprefix("file:").partition("?")
        if "mode=memory" in parameters or url.query.get("mode") == "memory":
            return None
        if database in ("", ":memory:"):
            return None
    return Path(database)


@contextlib.asynccontextmanager
async def migration_lock(url: URL) -> AsyncIterator[None]:
    """On a SQLite file, an exclusive lock on `<file>.lock` around the upgrade: SQLite runs the
    schema changes outside one transaction, so two first starts would both create the tables.
    (PostgreSQL locks inside `upgrade`; an in-memory database has no other process.)"""
    database = sqlite_file(url)
    if database is None:
        yield
        return
    try:
        descriptor = os.open(f"{database}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:  # a folder this user cannot write to: no other process migrates there
        yield
        return
    try:
        await asyncio.to_thread(fcntl.flock, descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # which releases the lock


def current_heads() -> tuple[str, ...]:
    from alembic.script import ScriptDirectory

    return tuple(ScriptDirectory.from_config(_config()).get_heads())


def _revision(message: str) -> None:
    from alembic import command

    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite:///{folder}/scratch.db")
        with engine.begin() as connection:
            command.upgrade(_config(connection), "head")
            command.revision(_config(connection), message=message, autogenerate=True)
        engine.dispose()


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "revision":
        sys.exit('usage: python -m bot.storage.migrate revision "what changed"')
    _revision(sys.argv[2])
