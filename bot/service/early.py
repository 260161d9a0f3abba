"""The subscriptions read in a thread of their own from the very start of the process, while
the agenda loads (and, in Discord, while the bot logs in), rather than after it.

Most of reading a million rows is SQLite's work, without the GIL: begun first, it goes on
beside the agenda's loading instead of after it. What it read is used only under the same
condition as the file of subscribers (subscribers_file): the table's key, read by the runtime
in its own read transaction once the database is open (and migrated), is the one read with
the rows. Anything else (another key, no key, no file, another database) and the runtime reads
the rows itself, as without it.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.storage import SubscriptionColumns
from bot.storage.changes import ChangeLog
from bot.storage.columns import read_columns
from bot.storage.migrate import sqlite_file

from .followers import Subscribers
from .subscribers_file import SavedIndex

log = logging.getLogger(__name__)


class EarlySubscriptions:
    """One read of a SQLite file's subscriptions, begun by `begin`, taken once by `taken`."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self._read: SavedIndex | None = None
        self._cancelled = threading.Event()
        # Not a daemon: a process that exits meanwhile waits for the chunk being read (a
        # fraction of a second once cancelled) rather than killing SQLite mid-call.
        self._thread = threading.Thread(target=self._run, name="early-subscriptions")

    @classmethod
    def begin(cls, database_url: str) -> EarlySubscriptions | None:
        """Start reading the subscriptions of the SQLite file `database_url` names; None for
        another database, one in memory or a file not there yet (nothing is created)."""
        try:
            # The URL as given: its driver does not change the file (the runtime's Store.open
            # says which driver it uses).
            database = sqlite_file(make_url(database_url))
            # A path that cannot be looked at (a name too long, a folder this user may not
            # enter) raises rather than being "not a file": Store.open says what is wrong.
            if database is None or not database.is_file():
                return None
        except Exception:  # an unusable URL or path: Store.open says what is wrong with it
            return None
        early = cls(database)
        early._thread.start()
        return early

    def _run(self) -> None:
        subscribers = Subscribers()
        saved = SavedIndex(self.database, subscribers, save=True)
        keyed = False

        def restore(key: int, history: ChangeLog) -> bool:
            nonlocal keyed
            keyed = True
            return saved.restore(key, history)

        def consume(chunk: SubscriptionColumns) -> bool:
            # Rows read without a key could never be told current: not read at all.
            if not keyed or self._cancelled.is_set():
                return False
            return subscribers.extend_columns(chunk)

        try:
            if _in_wal_mode(self.database) and read_columns(
                self.database, consume, saved.finish, restore
            ):
                self._read = saved
        except Exception as problem:  # a schema not migrated yet, a locked file...: read later
            log.debug("the subscriptions were not read early: %r", problem)

    def cancel(self) -> None:
        """Not needed after all (the runtime was not opened): stop at the next chunk."""
        self._cancelled.set()

    async def taken(self, database: Path | None) -> SavedIndex | None:
        """What was read (once the read is over), with the key it was read under; None if it
        was not read, or read from another file than `database`."""
        same = await asyncio.to_thread(self._finished_on, database)
        read, self._read = self._read, None
        return read if same else None

    def _finished_on(self, database: Path | None) -> bool:
        self._thread.join()
        return database is not None and database.resolve() == self.database.resolve()


def _in_wal_mode(database: Path) -> bool:
    """Only in WAL mode do readers never hold up a writer: in another mode, the early read's
    transaction of seconds would make Store.open's migrations and checks wait, or time out."""
    connection = sqlite3.connect(database)
    try:
        found = connection.execute("PRAGMA journal_mode").fetchone()
    finally:
        connection.close()
    return found is not None and str(found[0]).lower() == "wal"
