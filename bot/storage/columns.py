"""Every subscription as columns, from a SQLite file: the fast path of start-up.

Fetching a million rows makes a million tuples and nine million values, which is what stdlib
sqlite3's own fetchall costs (the floor of issue 16), before any of them is used. Here SQLite
itself joins each column of a chunk of rows into one text (group_concat, in C and without the
GIL), and the numbers are read back by numpy: ids, owners' snowflakes, deliveries and creation
times never become Python objects; the texts (guilds, channels, scopes, leads) become one
string per row only for as long as the consumer takes to map them to values it shares. Chunks
of CHUNK rows keep those texts small; every chunk is read in the same read transaction, so
from one snapshot of the table.

A value holding the separator cannot be told apart from two: the columns then come out longer
than the rows and the read gives up, for the caller to read rows in batches instead.
"""

from __future__ import annotations

import ctypes
import functools
import sqlite3
import zlib
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
import numpy.typing as npt

from .models import Delivery

if TYPE_CHECKING:
    from .changes import ChangeLog

SEPARATOR = "\x1f"  # ASCII unit separator (a value holding it is caught: see above)
SCOPE_SEPARATOR = "\x1e"  # between a scope's kind and its id in `scopes`
DISCORD = "discord:"
# Owners outside this range do not start with "discord:"; the index on owner finds them (the
# columns hold a placeholder in their place, any plain snowflake).
_DISCORD_RANGE = "owner >= 'discord:' AND owner < 'discord;'"
CHUNK = 20_000
# A delivery as one digit, its place in Delivery: no string per row. One this version does not
# know is NULL, which group_concat leaves out: the column comes out shorter than the rows and
# the read gives up, for the rows to say what it is.
_DELIVERY_CODES = " ".join(f"WHEN '{d.value}' THEN '{n}'" for n, d in enumerate(Delivery))
TRIM_EVERY = 5  # chunks
_HIGHEST = 2**63 - 1
# A chunk's rows are counted first, by the id of its last row (ids may be sparse or crowded
# anywhere: counted by rows, a chunk never holds more than CHUNK); then each column of the rows
# up to it is joined in id order, straight from the table: a subquery (ORDER BY ... LIMIT)
# copied every value of every row once more, a third of SQLite's time.
_FIRST_LAST = "SELECT id FROM subscriptions ORDER BY id LIMIT 1 OFFSET ?"
_NEXT_LAST = "SELECT id FROM subscriptions WHERE id > ? ORDER BY id LIMIT 1 OFFSET ?"
# The separators are written into the statement as they are: char(31) is a function SQLite
# calls again for every row, a fifth of its time here.
_COLUMNS = f"""
SELECT count(*),
       group_concat(id),
       group_concat(CASE WHEN {_DISCORD_RANGE} THEN owner ELSE 'discord:1' END),
       group_concat(CASE delivery {_DELIVERY_CODES} END, ''),
       group_concat(CASE WHEN guild_id IS NULL THEN '' ELSE 'g' || guild_id END, '{SEPARATOR}'),
       group_concat(coalesce(channel_id, ''), '{SEPARATOR}'),
       group_concat(scope_kind || '{SCOPE_SEPARATOR}' || coalesce(scope_id, ''), '{SEPARATOR}'),
       group_concat(coalesce(leads, ''), '{SEPARATOR}'),
       group_concat(created)
FROM subscriptions WHERE {{}}
"""  # noqa: S608 (made of constants)
COLUMNS = _COLUMNS  # with the condition of the rows to read in place of {}
_FIRST_COLUMNS = _COLUMNS.format("id <= ?")
_NEXT_COLUMNS = _COLUMNS.format("id > ? AND id <= ?")  # a range of the rowid: no row before is read
_OTHER_OWNERS = (
    "SELECT id, owner FROM subscriptions WHERE owner < 'discord:' OR owner >= 'discord;' "
    "ORDER BY id"
)
# The triggers that draw the subscriptions table's key (migration 0010) and log the ids each
# change touched (0011). A key, and the log with it, counts only while all three are there:
# SQLite drops a table's triggers with the table, and a migration that rebuilds it (Alembic's
# batch mode: copy, drop, rename) would leave a key no change moves.
KEY_TRIGGERS = tuple(f"subscriptions_key_on_{event}" for event in ("insert", "update", "delete"))
# The schema's revision is part of the key: a migration may rebuild the table, change what
# its rows hold and draw the triggers again, all without a change that draws a new key. So is
# SQLite's count of changes to the schema (PRAGMA schema_version): a trigger dropped by hand,
# rows changed meanwhile (no key drawn, nothing logged) and the trigger created again as it
# was would otherwise leave the key, and the log, as if nothing had changed.
_KEY = (
    "SELECT value, (SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
    "AND tbl_name = 'subscriptions' AND name IN (?, ?, ?)), "
    "(SELECT group_concat(version_num) FROM alembic_version) "
    "FROM counters WHERE name = 'subscriptions_key'"
)
_OWNERS = "SELECT id, owner FROM subscriptions WHERE id >= ? AND id <= ? ORDER BY id"


@dataclass(frozen=True, slots=True)
class SubscriptionColumns:
    """Every subscription, in the order of their ids, one entry per row in each column."""

    ids: npt.NDArray[np.int64]
    # n for an owner written "discord:<n>" exactly (as the number is written); -1 for the
    # others, found in `other_owners`.
    owner_numbers: npt.NDArray[np.int64]
    other_owners: list[tuple[int, str]]  # (id, owner), in id order
    deliveries: bytes  # one code a row, the place of its Delivery in the enum
    guilds: list[str | None]
    channels: list[str]
    scopes: list[str]  # kind, SCOPE_SEPARATOR, scope id
    leads: list[str]  # "" for none
    created: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.ids)


_NONE = np.zeros(0, dtype=np.int64)
_EMPTY = SubscriptionColumns(_NONE, _NONE, [], b"", [], [], [], [], _NONE)


class _Guilds(dict[str, str | None]):
    """The guild of a guild text: "" for none, "g" and its id for one; each read once."""

    def __missing__(self, key: str) -> str | None:
        value = key[1:] if key else None
        self[key] = value
        return value


def read_columns(
    database: Path,
    consume: Callable[[SubscriptionColumns], bool],
    finish: Callable[[], None],
    restore: Callable[[int, ChangeLog], bool] | None = None,
) -> bool:
    """Hand every subscription in `database` to `consume`, a chunk at a time in id order, all
    read in one snapshot, then call `finish`; False at once if a chunk cannot be read so or
    `consume` refuses it (the caller drops what it was given). `restore` is first given the
    table's key (`table_key`), if it has one, and its log of changes (usable only during the
    call: it reads in the same transaction), and may take what the rows hold from elsewhere
    (True: no row is read, `finish` is not called). Blocking: for a worker thread."""
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        connection.execute("PRAGMA busy_timeout=5000")
        connection.execute("BEGIN")
        try:
            # The first read of the transaction: the rows read after it are those it names.
            parts = _key_parts(connection)
            if parts is not None and restore is not None:
                from .changes import ChangeLog  # here: that module reads with this one

                log = ChangeLog(connection, parts[1])
                if restore(parts[0] ^ parts[1], log):
                    return True
            others = [(int(i), str(o)) for i, o in connection.execute(_OTHER_OWNERS)]
            other_ids = [i for i, _ in others]
            after: int | None = None  # the last id read; None before the first chunk
            chunks = 0
            while True:
                chunk = _chunk(connection, after, others, other_ids)
                if chunk is None or not consume(chunk):
                    return False
                if len(chunk) < CHUNK:
                    break
                after = int(chunk.ids[-1])
                chunks += 1
                if chunks % TRIM_EVERY == 0:
                    del chunk
                    return_freed_memory()
        finally:
            connection.execute("COMMIT")
    finally:
        connection.close()
    finish()
    return_freed_memory()
    return True


def table_key(connection: sqlite3.Connection) -> int | None:
    """The subscriptions table's key, drawn anew at every change of its rows by triggers
    (migration 0010), and different under another revision of the schema or after any change
    of it; None in a database without it, without every one of its triggers, or without a
    revision."""
    parts = _key_parts(connection)
    return None if parts is None else parts[0] ^ parts[1]


def _key_parts(connection: sqlite3.Connection) -> tuple[int, int] | None:
    """The key the triggers drew last, and the CRC of the schema's revision and version (the
    table's key is the two xored); None as for `table_key`."""
    try:
        found = connection.execute(_KEY, KEY_TRIGGERS).fetchone()
    except sqlite3.OperationalError:  # no counters or revision table: not a database of ours yet
        return None
    if found is None or found[1] != len(KEY_TRIGGERS) or found[2] is None:
        return None
    (schema,) = connection.execute("PRAGMA schema_version").fetchone()
    return int(found[0]), zlib.crc32(f"{found[2]} {schema}".encode())


def return_freed_memory() -> None:
    """A chunk's texts are freed into the worker thread's own malloc arena, which glibc hands
    back to the system only when asked: without asking now and then, some 40 MB at a million
    rows stay taken (elsewhere than glibc, nothing is done)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:  # the process's own symbols, glibc's among them: no library is searched for
        return cast(Callable[[int], int], ctypes.CDLL(None).malloc_trim)
    except (OSError, AttributeError):
        return None


def _chunk(
    connection: sqlite3.Connection,
    after: int | None,
    every_other: list[tuple[int, str]],
    other_ids: list[int],
) -> SubscriptionColumns | None:
    """The next CHUNK rows after the id `after` (from the first if None); `every_other`, the
    owners of the table that do not start with "discord:", with their ids `other_ids`."""
    before = () if after is None else (after,)
    bound = connection.execute(_FIRST_LAST if after is None else _NEXT_LAST, (*before, CHUNK - 1))
    found = bound.fetchone()
    upto = _HIGHEST if found is None else int(found[0])  # fewer rows left: all of them
    columns = _FIRST_COLUMNS if after is None else _NEXT_COLUMNS
    row = list(connection.execute(columns, (*before, upto)).fetchone())

    def owners(first: int, last: int) -> list[tuple[int, str]]:
        return [(int(i), str(o)) for i, o in connection.execute(_OWNERS, (first, last))]

    return parse_columns(row, every_other, other_ids, owners)


def parse_columns(
    row: list[object],
    every_other: list[tuple[int, str]],
    other_ids: list[int],
    owners_between: Callable[[int, int], list[tuple[int, str]]],
) -> SubscriptionColumns | None:
    """The columns in `row`, a row of COLUMNS (its texts are let go as they are read), whose
    owners that do not start with "discord:" are among `every_other` (ids `other_ids`), or
    else are all given by `owners_between` (first and last id); None if they are not so."""
    count = int(cast(int, row[0]))
    if count == 0:
        return _EMPTY
    texts: list[str | None] = [None if t is None else str(t) for t in row]
    row.clear()
    ids, created = _numbers(texts[1], count), _numbers(texts[8], count)
    owners = _owner_numbers(texts[2], count)
    texts[1] = texts[2] = texts[8] = None  # the texts go as soon as they are read
    if ids is None or created is None:
        return None
    first, last = int(ids[0]), int(ids[-1])
    others = every_other[bisect_left(other_ids, first) : bisect_right(other_ids, last)]
    if owners is None:  # an owner not written plainly as a Discord snowflake: read them all
        others = owners_between(first, last)
        owners = np.full(count, -1, dtype=np.int64)
    positions = np.searchsorted(ids, np.array([i for i, _ in others], dtype=np.int64))
    if len(positions) and not bool(
        np.array_equal(ids[np.minimum(positions, count - 1)], [i for i, _ in others])
    ):
        return None
    owners[positions] = -1
    deliveries = _codes(texts[3], count)
    texts[3] = None
    if deliveries is None:
        return None
    split: list[list[str]] = []
    for at in range(4, 8):
        values = _texts(texts[at], count)
        texts[at] = None
        if values is None:
            return None
        split.append(values)
    guilds, channels, scopes, leads = split
    return SubscriptionColumns(
        ids=ids,
        owner_numbers=owners,
        other_owners=others,
        deliveries=deliveries,
        guilds=list(map(_Guilds().__getitem__, guilds)),
        channels=channels,
        scopes=scopes,
        leads=leads,
        created=created,
    )


def _owner_numbers(text: str | None, count: int) -> npt.NDArray[np.int64] | None:
    """The numbers of owners that are all "discord:" and a number written as it is written
    (no sign, no leading zero, within 64 bits); None if one is not."""
    if text is None or not text.startswith(DISCORD) or text.count(DISCORD) != count:
        return None
    if text.count("," + DISCORD) != count - 1:  # each owner starts with it, and only once
        return None
    digits = text.replace(DISCORD, "")
    if ",0" in digits or digits.startswith("0"):
        return None
    return _numbers(digits, count, longest=19, signed=False)


def _numbers(
    text: str | None, count: int, longest: int = 19, signed: bool = True
) -> npt.NDArray[np.int64] | None:
    """`count` integers written by SQLite, separated by commas: parsed in C when they are all
    plain digits, at most `longest` each (checked first: numpy's parser stops quietly at what
    it cannot read). Unsigned (`signed=False`, owners' snowflakes): plain digits or None."""
    if text is None:
        return None
    if _plain_digits(text, count, longest):
        # 19 digits may pass 2**63 - 1 (an int64 would wrap): read unsigned, then check.
        unsigned = np.fromstring(text, dtype=np.uint64, sep=",")
        if len(unsigned) != count or (len(unsigned) and int(unsigned.max()) > _HIGHEST):
            return None
        return unsigned.astype(np.int64)
    if not signed:
        return None
    try:  # a negative creation time, or a value SQLite did not store as an integer
        values = np.array(text.split(","), dtype=np.int64)
    except (ValueError, OverflowError):
        return None
    return values if len(values) == count else None


def _plain_digits(text: str, count: int, longest: int) -> bool:
    """Whether `text` is `count` runs of 1 to `longest` ASCII digits joined by commas."""
    try:
        codes = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    except UnicodeEncodeError:
        return False
    commas = np.flatnonzero(codes == ord(","))
    if len(commas) != count - 1:
        return False
    if not bool(np.all(((codes >= ord("0")) & (codes <= ord("9"))) | (codes == ord(",")))):
        return False
    lengths = np.diff(np.concatenate(([-1], commas, [len(codes)]))) - 1
    return bool(lengths.min() >= 1 and lengths.max() <= longest)


def _texts(text: str | None, count: int) -> list[str] | None:
    if text is None:
        return None
    values = text.split(SEPARATOR)
    return values if len(values) == count else None


def _codes(text: str | None, count: int) -> bytes | None:
    """`count` codes of one digit each, as bytes of their values."""
    if text is None or len(text) != count or not (text.isascii() and text.isdigit()):
        return None
    return text.encode("ascii").translate(_DIGIT_VALUES)


_DIGIT_VALUES = bytes.maketrans(b"0123456789", bytes(range(10)))
