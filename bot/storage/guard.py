"""Checks around the database that `Store` itself does not make: the URL's driver, whether the
database can be written at all, and whether the SQLite file is still the one that was opened.

Kept apart from `store.py` and hooked in by `Runtime.open`: each is a precondition of running the
bot, not part of storing anything.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import event, false, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from .models import UserSetting
from .store import StorageError, Store

log = logging.getLogger(__name__)
SYNC_SQLITE = {"pysqlite", "sqlite"}  # the standard library's sqlite3 module


class DatabaseLost(StorageError):
    """The SQLite file was deleted or replaced under the running bot: what it writes now would
    be lost, so nothing more is written and the bot stops."""


def async_url(url: str) -> str:
    """The URL with an async driver. `sqlite://` and `sqlite+pysqlite://` name the standard
    library's synchronous driver: the same file is opened with aiosqlite instead. Any other
    synchronous driver is refused with what to write instead."""
    try:
        parsed = make_url(url)
        dialect = parsed.get_dialect(True)
    except (ArgumentError, NoSuchModuleError, ImportError):
        return url  # Store.open explains what is wrong with it
    if getattr(dialect, "is_async", False):
        return url
    if parsed.get_backend_name() == "sqlite" and parsed.get_driver_name() in SYNC_SQLITE:
        switched = parsed.set(drivername="sqlite+aiosqlite")
        log.info("DATABASE_URL: opening the SQLite file with the async driver (aiosqlite)")
        return switched.render_as_string(hide_password=False)
    raise StorageError(
        f"DATABASE_URL names {parsed.get_backend_name()}'s synchronous driver "
        f"'{parsed.get_driver_name()}'; the bot needs an async one, e.g. "
        "sqlite+aiosqlite:///var/agenda-bot.sqlite3 or postgresql+asyncpg://user@host/database"
    )


async def ensure_writable(store: Store) -> None:
    """Write nothing, in a way that needs write access: a read-only database (a file, or a
    folder, this user may not write to; a read-only replica) is found at start, not by the
    reminder engine's first write."""
    try:
        async with store.engine.begin() as connection:
            await connection.execute(
                update(UserSetting).where(false()).values(owner=UserSetting.owner)
            )
    except SQLAlchemyError as problem:
        reason = getattr(problem, "orig", None) or problem
        raise StorageError(
            f"the database at DATABASE_URL cannot be written ({reason}); let this user write "
            "the database file and its folder, or point DATABASE_URL at another database"
        ) from problem


class FileWatch:
    """The SQLite file that was opened, checked before every statement: once it has been
    deleted or replaced, every statement fails with DatabaseLost and `on_lost` is called
    (once), instead of writes that no file keeps."""

    def __init__(self, path: Path) -> None:
        self.path = path
        status = path.stat()
        self.identity = (status.st_dev, status.st_ino)
        self.lost: str | None = None
        self.on_lost: list[Callable[[DatabaseLost], None]] = []

    def check(self) -> None:
        if self.lost is None:
            try:
                status = self.path.stat()
                same = (status.st_dev, status.st_ino) == self.identity
            except OSError:
                same = False
            if same:
                return
            self.lost = (
                f"the database file {self.path} was deleted or replaced while the bot was "
                "running; nothing more is written to it. Put the file back (or keep the new "
                "one) and start the bot again"
            )
            log.critical("%s", self.lost)
            for listener in self.on_lost:
                listener(DatabaseLost(self.lost))
        raise DatabaseLost(self.lost)


def watch_file(engine: AsyncEngine, url: str) -> FileWatch | None:
    """Watch the SQLite file behind `engine` (None for another database, or an in-memory one)."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    if database.startswith("file:"):  # a URI filename (uri=true)
        database = database.removeprefix("file:").partition("?")[0]
    path = Path(database).resolve()
    if not path.is_file():
        return None
    watch = FileWatch(path)

    def before_statement(*_: object) -> None:
        watch.check()

    event.listen(engine.sync_engine, "before_cursor_execute", before_statement)
    return watch
