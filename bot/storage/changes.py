"""The log of changed subscriptions (migration 0011), read in the transaction of a start-up's
read: which rows changed since an index of them was saved, and the rows they are now.

Triggers log, in the transaction of every change of a row, its id (an UPDATE: the old id and
the new) and the table's key drawn for the change. An index saved at the log's entry `seq`
under the key K is patched from the rows the log names after `seq` only if the log still holds
`seq` with K: keys are random, so a restored backup or another database has another key there,
and a log pruned past `seq` no longer says what changed since.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .columns import COLUMNS, SubscriptionColumns, parse_columns

log = logging.getLogger(__name__)
_NAMED = "SELECT subscription_id FROM subscription_changes WHERE seq > ?"
_ROWS = COLUMNS.format(f"id IN ({_NAMED})")
_OTHERS = (
    f"SELECT id, owner FROM subscriptions WHERE id IN ({_NAMED}) "  # noqa: S608 (constants)
    "AND (owner < 'discord:' OR owner >= 'discord;') ORDER BY id"
)
_OWNERS = (
    f"SELECT id, owner FROM subscriptions WHERE id IN ({_NAMED}) "  # noqa: S608 (constants)
    "AND id >= ? AND id <= ? ORDER BY id"
)


@dataclass(frozen=True, slots=True)
class Changes:
    """The ids the log names after a point (ascending, each once), the rows that hold one
    of them now (those removed are absent), and how many rows the table holds now."""

    ids: npt.NDArray[np.int64]
    rows: SubscriptionColumns
    # A row deleted to make room for another (INSERT or UPDATE OR REPLACE on a unique
    # constraint) fires no DELETE trigger, so the log never names it: a patch that would hold
    # more rows than the table is not used.
    count: int


class ChangeLog:
    """The log as a read transaction sees it; `crc` is the part of the table's key that is the
    schema's revision and version (a log entry's key xored with it is the table's key it stood
    for)."""

    def __init__(self, connection: sqlite3.Connection, crc: int) -> None:
        self._connection = connection
        self._crc = crc

    def position(self, key: int) -> int | None:
        """The log's last entry, if it carries `key` (the table's key now): what an index of the
        rows read in this transaction covers. None if it does not, or there is no log."""
        try:
            found = self._connection.execute(
                "SELECT seq, key FROM subscription_changes ORDER BY seq DESC LIMIT 1"
            ).fetchone()
        except sqlite3.OperationalError:  # a schema before the log
            return None
        if found is None or int(found[1]) ^ self._crc != key:
            return None
        return int(found[0])

    def since(self, seq: int, key: int, limit: int) -> Changes | None:
        """What changed after the entry `seq`, if the log holds it with `key` (the table's key
        an index was saved under); None if not, if more than `limit` entries follow it, or if
        the rows cannot be read as columns (the caller reads every row)."""
        connection = self._connection
        try:
            found = connection.execute(
                "SELECT key FROM subscription_changes WHERE seq = ?", (seq,)
            ).fetchone()
            if found is None or int(found[0]) ^ self._crc != key:
                return None
            (count,) = connection.execute(
                "SELECT count(*) FROM subscription_changes WHERE seq > ?", (seq,)
            ).fetchone()
            if int(count) > limit:
                return None
            named = {
                int(i)
                for (i,) in connection.execute(_NAMED, (seq,))
                if i is not None  # the entry migration 0011 began the log with
            }
            others = [(int(i), str(o)) for i, o in connection.execute(_OTHERS, (seq,))]
            row = list(connection.execute(_ROWS, (seq,)).fetchone())
            (total,) = connection.execute("SELECT count(*) FROM subscriptions").fetchone()
        except sqlite3.OperationalError:  # a schema before the log
            return None

        def owners(first: int, last: int) -> list[tuple[int, str]]:
            return [(int(i), str(o)) for i, o in connection.execute(_OWNERS, (seq, first, last))]

        rows = parse_columns(row, others, [i for i, _ in others], owners)
        # group_concat follows the order SQLite reads the rows in: checked, not assumed.
        if rows is None or not bool(np.all(rows.ids[1:] > rows.ids[:-1])):
            return None
        ids = np.array(sorted(named), dtype=np.int64)
        if not bool(np.all(np.isin(rows.ids, ids))):
            return None
        return Changes(ids, rows, int(total))


def prune(database: Path, seq: int) -> None:
    """Drop the log's entries before `seq`, which an index saved at `seq` does not need (an
    older index, another process's, is then read from the rows). In a short transaction of its
    own; a database busy or gone is left as it is (the triggers bound the log anyway)."""
    try:
        connection = sqlite3.connect(database, isolation_level=None, timeout=1.0)
    except sqlite3.Error as problem:
        log.debug("the log of changed subscriptions was not pruned: %r", problem)
        return
    try:
        connection.execute("DELETE FROM subscription_changes WHERE seq < ?", (seq,))
    except sqlite3.Error as problem:
        log.debug("the log of changed subscriptions was not pruned: %r", problem)
    finally:
        connection.close()
