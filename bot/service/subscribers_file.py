"""The index of subscriptions saved to a file next to the SQLite database, to start from.

Reading a million rows costs seconds of SQLite and of building the index; reading back the
index built from them, a few tenths. The file is used only when it was made under the key
the table holds now (storage/migrations 0010: triggers draw a new random key in the
transaction of every change of a row, whoever makes it), read in the same read transaction
as the rows would be. At start-up, a file made under another key is patched with the rows
changed since (subscribers_patch) when the log of changes vouches for it (storage.changes,
migration 0011), and saved again. Anything else about the file (missing, cut short, damaged,
another format, another key the log cannot vouch for) means reading the rows, as without it.

The file: MAGIC, its format, key and the length of a JSON header, the header (the log's entry
the rows are at, deliveries' names,
the distinct guilds, channels and leads, the owners that are not numbers, each scope with
its size and lead counts), the columns as raw little-endian arrays, and a CRC-32 of all that.
This module knows the layout of followers.Subscribers.
"""

from __future__ import annotations

import asyncio
import glob
import json
import logging
import os
import struct
import zlib
from array import array
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.storage import ScopeKind, changes, columns
from bot.storage.changes import ChangeLog, prune

from .followers import DELIVERIES, ScopeRows, Subscribers

log = logging.getLogger(__name__)


def _code_digest(*sources: Path) -> int | None:
    """A number that changes with the code in `sources`; None if any cannot be read (an
    install without its sources): no file is then read, nor written."""
    digest = zlib.crc32(b"")
    try:
        for source in sources:
            digest = zlib.crc32(source.read_bytes(), digest)
    except OSError:
        return None
    return digest & 0x7FFF_FFFF


MAGIC = b"agenda-bot subscribers\n"
# The key says only that the rows are the same, not that this version would index them the
# same: a file is read only by the code that wrote it (this module, the index's and the
# columns' read), as the agenda's cache is. The first start after such a change reads the rows.
FORMAT = _code_digest(
    Path(__file__),
    Path(__file__).with_name("followers.py"),
    Path(columns.__file__),
    Path(__file__).with_name("subscribers_patch.py"),
    Path(changes.__file__),
)
# After MAGIC: the format, the key, and the length of the JSON header (read first, alone: a
# file made under another key is not read further).
_PREFIX = struct.Struct("<Iq Q")
_CRC = struct.Struct("<I")
# The columns after the header, in order, with their types (positions: every scope's, in the
# header's order of scopes).
_INT64, _UINT32, _UINT8 = np.dtype("<i8"), np.dtype("<u4"), np.dtype("u1")
_COLUMNS: tuple[tuple[str, np.dtype[Any]], ...] = (
    ("ids", _INT64),
    ("owner_codes", _INT64),
    ("deliveries", _UINT8),
    ("guilds", _UINT32),
    ("channels", _UINT32),
    ("leads", _UINT32),
    ("created", _INT64),
)


def snapshot_path(database: Path) -> Path:
    return database.with_name(f"{database.name}.subscribers")


class SavedIndex:
    """One read of the subscriptions with the file: the index restored from it if it was made
    under the table's key, else, once the rows are read, their index made ready to be saved
    (in the reading thread, before anyone holds it) and written off the event loop."""

    def __init__(self, database: Path | None, subscribers: Subscribers, save: bool) -> None:
        self.path = None if database is None or FORMAT is None else snapshot_path(database)
        self.subscribers = subscribers  # filled from the rows when none is restored
        self.save_read = save  # the rows' index, once read, is written to the file
        self.restored: Subscribers | None = None
        self._key: int | None = None
        self._seq: int | None = None  # the log's entry the rows read are at (storage.changes)
        self._pieces: list[bytes | memoryview] | None = None
        self._database = database

    def restore(self, key: int, history: ChangeLog) -> bool:
        """In the read transaction, given the table's key and log: True if the file holds its
        index, or (at start-up) an older one the log says how to bring up to date."""
        self._key = key
        self._seq = history.position(key)
        if self.path is None:
            return False
        found = _read(self.path, key, whole=self.save_read)
        if found is None:
            return False
        content, current = found
        del found
        if current:
            self.restored = _parsed(self.path, content)
            return self.restored is not None
        # Imported here: only a start after a change needs it.
        from .subscribers_patch import patch

        try:
            # Handed over, not kept here: the file's content goes once its columns are merged.
            held = [content]
            del content
            patched = patch(held, key, self._seq, history)
        except Exception as problem:  # whatever is wrong with the file, the rows are read
            log.info("the index of subscriptions in %s is not patched: %r", self.path, problem)
            return False
        if patched is None:
            return False
        self.restored = _parsed(self.path, memoryview(patched))
        if self.restored is None:
            return False
        self._pieces = [patched]  # saved, so that the next start needs no patch
        return True

    def finish(self) -> None:
        """In the reading thread, after the last row."""
        self.subscribers.settle()
        if self.path is not None and self._key is not None and self.save_read:
            self._pieces = dump(self.subscribers, self._key, self._seq)

    @property
    def key(self) -> int | None:
        """The table's key the index was read (or restored) under; None before."""
        return self._key

    @property
    def index(self) -> Subscribers:
        return self.restored if self.restored is not None else self.subscribers

    async def save(self) -> None:
        """Write what `finish` made ready, in a thread; nothing if there is nothing new."""
        pieces, self._pieces = self._pieces, None
        if self.path is not None and pieces is not None:
            await asyncio.to_thread(self._write, self.path, pieces)

    def _write(self, path: Path, pieces: list[bytes | memoryview]) -> None:
        if write(path, pieces) and self._database is not None and self._seq is not None:
            prune(self._database, self._seq)


def dump(
    subscribers: Subscribers, key: int, seq: int | None = None
) -> list[bytes | memoryview] | None:
    """The file's content for an index just read (no holes, settled), in pieces; None for one
    that is not so (it was changed since the read: its key would not say what it holds)."""
    if subscribers._holes or subscribers._unsettled:
        return None
    guilds, guild_codes = _distinct(subscribers.guilds)
    channels, channel_codes = _distinct(subscribers.channels)
    leads, lead_codes = _distinct(subscribers.leads)
    scopes = list(subscribers.scopes.values())
    header = {
        "seq": seq,
        "deliveries": [d.value for d in DELIVERIES],
        "rows": len(subscribers.ids),
        "guilds": guilds,
        "channels": channels,
        "leads": leads,
        "others": subscribers.owners._others,
        "scopes": [
            [held.kind.value, held.scope_id, len(held.positions), list(held.lead_counts.items())]
            for held in scopes
        ],
    }
    columns: dict[str, npt.NDArray[Any]] = {
        "ids": np.frombuffer(subscribers.ids, dtype=np.int64),
        "owner_codes": np.frombuffer(subscribers.owner_codes, dtype=np.int64),
        "deliveries": np.frombuffer(bytes(subscribers.deliveries), dtype=np.uint8),
        "guilds": guild_codes,
        "channels": channel_codes,
        "leads": lead_codes,
        "created": np.frombuffer(subscribers.created, dtype=np.int64),
    }
    positions = [np.frombuffer(held.positions, dtype=np.int64) for held in scopes]
    return pieces_of(header, columns, positions, key)


def pieces_of(
    header: dict[str, Any],
    columns: dict[str, npt.NDArray[Any]],
    positions: list[npt.NDArray[Any]],
    key: int,
    copy: bool = True,
) -> list[bytes | memoryview]:
    """The file's content: the header, the columns and every scope's positions, in order;
    copied out of the arrays unless `copy` is False (arrays no one else holds or changes)."""
    assert FORMAT is not None
    text = json.dumps(header, separators=(",", ":")).encode()
    pieces: list[bytes | memoryview] = [MAGIC, _PREFIX.pack(FORMAT, key, len(text)), text]
    arrays = [columns[name].astype(dtype, copy=False) for name, dtype in _COLUMNS]
    arrays += [held.astype(_INT64, copy=False) for held in positions]
    if copy:
        pieces += [array.tobytes() for array in arrays]
    else:
        pieces += [np.ascontiguousarray(array).data.cast("B") for array in arrays]
    crc = 0
    for piece in pieces:
        crc = zlib.crc32(piece, crc)
    pieces.append(_CRC.pack(crc))
    return pieces


def write(path: Path, pieces: list[bytes | memoryview]) -> bool:
    """Replace the file at once (a reader finds the old one or the new, whole); a failure is
    logged, not raised (False): start-up reads the rows without it."""
    # Named after this process: one killed while writing leaves a file the next save removes.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        _remove_left_behind(path)
        try:
            with open(temporary, "wb", opener=_private) as file:
                file.writelines(pieces)
            temporary.replace(path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    except OSError as problem:
        log.info("the index of subscriptions was not saved to %s: %s", path, problem)
        return False
    return True


def _private(name: str, flags: int) -> int:
    return os.open(name, flags, 0o600)  # the file names who follows what, as the database does


def _remove_left_behind(path: Path) -> None:
    """Temporary files of processes that died while writing (another one alive may be writing
    its own: left alone)."""
    for left in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        pid = left.name.removeprefix(f".{path.name}.").removesuffix(".tmp")
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            left.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # alive, another user's
        return True
    return True


def load(path: Path, key: int) -> Subscribers | None:
    """The index saved in the file under `key`; None (the rows are read instead) if there is
    none, or the file is not whole, not of this format, or made under another key."""
    found = _read(path, key, whole=False)
    return _parsed(path, found[0]) if found is not None and found[1] else None


def _read(path: Path, key: int, whole: bool) -> tuple[memoryview, bool] | None:
    """The file's content and whether it was saved under `key`; a file saved under another key
    is read only if `whole` (to be patched), else None, as for a file missing or not of this
    format."""
    try:
        with path.open("rb") as file:
            start = file.read(len(MAGIC) + _PREFIX.size)
            if start[: len(MAGIC)] != MAGIC or len(start) < len(MAGIC) + _PREFIX.size:
                raise ValueError("not a file of subscribers")
            made, saved_key, _ = _PREFIX.unpack_from(start, len(MAGIC))
            if made != FORMAT:
                raise ValueError(f"format {made}, not {FORMAT}")
            if saved_key != key and not whole:
                return None  # the table changed since: the usual case, said by no log line
            file.seek(0)
            content = file.read()  # in one piece: the columns are read straight from it
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as problem:
        log.info("the index of subscriptions in %s cannot be used: %s", path, problem)
        return None
    return memoryview(content), saved_key == key


def _parsed(path: Path, content: memoryview) -> Subscribers | None:
    try:
        return _parse(content)
    except Exception as problem:  # whatever is wrong with the file, the rows are read instead
        log.info("the index of subscriptions in %s is not used: %r", path, problem)
        return None


def sections(
    content: memoryview,
) -> tuple[dict[str, Any], dict[str, npt.NDArray[Any]], npt.NDArray[np.int64]]:
    """The header, the columns and every scope's positions (one after the other, in the order
    of the header's scopes) of a file of this format, checked whole; seen through, not copied."""
    # The CRC first: nothing of the file is believed (its header's numbers least) before it.
    (crc,) = _CRC.unpack_from(content, len(content) - _CRC.size)
    if zlib.crc32(content[: len(content) - _CRC.size]) != crc:
        raise ValueError("damaged (its CRC does not match)")
    at = len(MAGIC)
    _, _, length = _PREFIX.unpack_from(content, at)
    at += _PREFIX.size
    header = json.loads(bytes(content[at : at + length]))
    at += length
    if header["deliveries"] != [d.value for d in DELIVERIES]:
        raise ValueError("saved with other deliveries")
    rows = _count(header["rows"])
    sizes = [rows * dtype.itemsize for _, dtype in _COLUMNS]
    placed = sum(_count(scope[2]) for scope in header["scopes"])
    total = at + sum(sizes) + placed * _INT64.itemsize + _CRC.size
    if len(content) != total:
        raise ValueError(f"{len(content)} bytes, not {total}")
    columns: dict[str, npt.NDArray[Any]] = {}
    for (name, dtype), size in zip(_COLUMNS, sizes, strict=True):
        columns[name] = np.frombuffer(content, dtype=dtype, count=rows, offset=at)
        at += size
    deliveries = columns["deliveries"]
    if rows and int(deliveries.max()) >= len(DELIVERIES):
        raise ValueError("a delivery out of range")
    if placed != rows:
        raise ValueError(f"{placed} rows in scopes, not {rows}")
    every = np.frombuffer(content, dtype=_INT64, count=placed, offset=at)  # every scope's
    if placed and (int(every.min()) < 0 or int(every.max()) >= rows):
        raise ValueError("a position out of range")
    return header, columns, every


def _parse(content: memoryview) -> Subscribers:
    """The index in a file of this format whose key was found right."""
    header, columns, every = sections(content)
    subscribers = Subscribers()
    subscribers.ids = _int64s(columns["ids"])
    subscribers.owner_codes = _int64s(columns["owner_codes"])
    subscribers.deliveries = bytearray(columns["deliveries"].tobytes())
    guilds = _shared(subscribers, header["guilds"])
    channels = _shared(subscribers, header["channels"])
    leads = [tuple(int(m) for m in lead) for lead in header["leads"]]
    for lead in leads:
        subscribers._leads_of[",".join(map(str, lead)) or None] = lead
    subscribers.guilds = _take(guilds, columns["guilds"])
    subscribers.channels = _take(channels, columns["channels"])
    subscribers.leads = _take(leads, columns["leads"])
    subscribers.created = _int64s(columns["created"])
    for owner in header["others"]:
        subscribers.owners.code(str(owner))
    kinds = {kind.value: kind for kind in ScopeKind}
    start = 0
    for kind, scope_id, size, lead_counts in header["scopes"]:
        held = ScopeRows(kinds[kind], str(scope_id))
        held.positions = _int64s(every[start : start + int(size)])
        start += int(size)
        held.lead_counts = Counter({int(m): int(n) for m, n in lead_counts})
        subscribers.scopes[(held.kind.value, held.scope_id)] = held
    return subscribers


def _count(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{value!r} is not a count")
    return value


def _distinct(values: list[Any]) -> tuple[list[Any], npt.NDArray[np.uint32]]:
    """The distinct values in order of first appearance, and each value's place among them."""
    places = {value: place for place, value in enumerate(dict.fromkeys(values))}
    codes = np.fromiter(map(places.__getitem__, values), dtype=np.uint32, count=len(values))
    return list(places), codes


def _shared(subscribers: Subscribers, values: list[Any]) -> list[Any]:
    """The values as the index shares them (one copy of each, reused by later rows)."""
    return [subscribers._shared[v] for v in values]


def _take(table: list[Any], codes: npt.NDArray[np.uint32]) -> list[Any]:
    if len(codes) and int(codes.max()) >= len(table):
        raise ValueError("a value out of range")
    objects = np.empty(len(table), dtype=object)
    for place, value in enumerate(table):  # one by one: a tuple is a value, not a row
        objects[place] = value
    return list(objects[codes].tolist())


def _int64s(values: npt.NDArray[Any]) -> array[int]:
    held = array("q")
    # Bytes seen through, not copied out first (a copy only if the values are not native).
    held.frombytes(values.astype(np.int64, copy=False).data.cast("B"))
    return held
