"""The index of subscriptions saved next to the SQLite file: read back only when it was made
under the table's key, and any change of the rows, whoever makes it, or anything wrong with
the file, means the rows are read (issue 16, start-up)."""

import json
import logging
import os
import shutil
import sqlite3
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core import FixedClock, PlainTimes
from bot.service import AgendaService, followers, subscribers_patch
from bot.service import subscribers_file as saved_file
from bot.service.followers import Subscribers
from bot.service.reminders import Reminders
from bot.service.subscribers_file import dump, snapshot_path
from bot.storage import Delivery, ScopeKind, Store, changes, columns
from schedules import Ledger, Outcome, State, plan
from tests.service.varied_subscriptions import varied_subscriptions

NEWS_DAY = datetime(2015, 10, 23, 12, tzinfo=UTC)


class NullSender:
    times = PlainTimes()

    async def send(self, destination, message, attempt):
        return Outcome(State.SENT)


def _rows(wco, count=400):
    return varied_subscriptions(wco, NEWS_DAY, count)


def _file(database: str) -> Path:
    return snapshot_path(Path(database.partition(":///")[2]))


@pytest.fixture
def rows_read(monkeypatch):
    """How many times the rows were read (a chunk of columns handed to an index)."""
    reads = []
    extend = Subscribers.extend_columns

    def counted(self, columns):
        reads.append(len(columns))
        return extend(self, columns)

    monkeypatch.setattr(Subscribers, "extend_columns", counted)
    return reads


async def _loaded(wco, store, early=None) -> Reminders:
    reminders = Reminders(
        AgendaService(wco, FixedClock(NEWS_DAY)),
        store,
        Ledger(store.engine),
        NullSender(),
        early=early,
    )
    await reminders.load()
    await reminders.saved()
    return reminders


def _layout(subscribers: Subscribers) -> tuple[object, ...]:
    """Everything the index holds, in its order."""
    return (
        list(subscribers.ids),
        list(subscribers.owner_codes),
        bytes(subscribers.deliveries),
        subscribers.guilds,
        subscribers.channels,
        subscribers.leads,
        list(subscribers.created),
        [
            (key, held.kind, held.scope_id, list(held.positions), list(held.lead_counts.items()))
            for key, held in subscribers.scopes.items()
        ],
        [subscribers.owners.owner(code) for code in subscribers.owner_codes],
        len(subscribers),
    )


async def _routes(reminders: Reminders) -> list[object]:
    points = plan(list(reminders.targets()), reminders.leads, NEWS_DAY)
    return [
        (point.id, missed, await reminders.destinations(point, missed))
        for point in points
        for missed in (False, True)
    ]


async def test_the_index_read_back_is_the_one_read_from_the_rows(wco, store, database, rows_read):
    by_rows = await _loaded(wco, store)
    assert rows_read and _file(database).is_file()
    rows_read.clear()
    restored = await _loaded(wco, store)
    assert rows_read == []  # from the file
    assert _layout(restored.audience._subscribers) == _layout(by_rows.audience._subscribers)
    routes = await _routes(restored)
    assert routes == await _routes(by_rows)
    assert sum(len(d) for _, _, d in routes) > 200  # the comparison compared much
    # What is held afterwards changes as in an index read from the rows.
    (row, _) = await store.subscribe(
        "discord:8", Delivery.DM, ScopeKind.BODY, "ptc", [60], NEWS_DAY
    )
    for reminders in (restored, by_rows):
        reminders.audience.add_subscription(row)
        reminders.audience.remove_subscription(reminders.audience.subscriptions()[0])
    assert _layout(restored.audience._subscribers) == _layout(by_rows.audience._subscribers)


async def _changed_then_loaded(wco, store, database, rows_read, change) -> None:
    """`change` made after the file was saved: the file is patched with the rows the log of
    changes names (storage.changes), not every row read, and holds the change."""
    await _loaded(wco, store)
    await change()
    rows_read.clear()
    again = await _loaded(wco, store)
    assert rows_read == []  # the file and the rows changed, not every row
    expected = sorted(await store.subscriptions(), key=lambda r: r.id)
    assert sorted(again.audience.subscriptions(), key=lambda r: r.id) == expected
    rows_read.clear()  # saved again, under the new key: the next start reads the file
    assert sorted((await _loaded(wco, store)).audience.subscriptions(), key=lambda r: r.id) == (
        expected
    )
    assert rows_read == []


async def test_a_subscription_added_since_the_file_was_saved_is_read(
    wco, store, database, rows_read
):
    async def subscribe():
        await store.subscribe("discord:8", Delivery.DM, ScopeKind.BODY, "ptc", [60], NEWS_DAY)

    await _changed_then_loaded(wco, store, database, rows_read, subscribe)


async def test_a_subscription_removed_since_the_file_was_saved_is_gone(
    wco, store, database, rows_read
):
    async def unsubscribe():
        assert await store.unsubscribe(Delivery.DM, None, None, owner="console")

    await _changed_then_loaded(wco, store, database, rows_read, unsubscribe)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE subscriptions SET channel_id = '99' WHERE id = 5",
        "DELETE FROM subscriptions WHERE id = 7",
        "INSERT INTO subscriptions (owner, delivery, guild_id, channel_id, scope_kind, scope_id, "
        "leads, created) VALUES ('discord:4', 'channel', '9', '12', 'all', '', NULL, 0)",
    ],
)
async def test_a_hand_edit_with_the_sqlite3_shell_since_the_file_was_saved_is_read(
    wco, store, database, rows_read, statement
):
    async def by_hand():  # not through the bot: nothing but the database's triggers knows
        connection = sqlite3.connect(database.partition(":///")[2])
        with connection:
            assert connection.execute(statement).rowcount == 1
        connection.close()

    await _changed_then_loaded(wco, store, database, rows_read, by_hand)


async def test_a_file_from_another_database_is_not_used(wco, store, database, tmp_path, rows_read):
    other = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'other.sqlite3'}")
    try:
        await other.add_subscriptions(_rows(wco, 50))
        await _loaded(wco, other)
        shutil.copy(snapshot_path(other.database_file), _file(database))
    finally:
        await other.close()
    rows_read.clear()
    held = await _loaded(wco, store)
    assert rows_read
    assert len(held.audience) == len(await store.subscriptions())


async def test_a_restored_backup_does_not_use_the_file_saved_since(
    wco, store, database, tmp_path, rows_read
):
    await saved_after_a_change_then_restored(wco, store, database, tmp_path / "backup.sqlite3")
    store = await Store.open(database)
    try:
        rows_read.clear()
        held = await _loaded(wco, store)
        assert rows_read
        assert len(held.audience) == len(await store.subscriptions()) == len(_rows(wco))
    finally:
        await store.close()


async def saved_after_a_change_then_restored(wco, store, database, backup: Path) -> Path:
    """The database saved (with its index) to `backup`, changed and its index saved again,
    then the backup copied back over it; `store` is closed. The database's path."""
    path = Path(database.partition(":///")[2])
    await _loaded(wco, store)
    await store.close()
    shutil.copy(path, backup)
    store = await Store.open(database)
    try:
        await store.unsubscribe(Delivery.DM, None, None, owner="console")
        await _loaded(wco, store)  # saved under the key after the change
    finally:
        await store.close()
    shutil.copy(backup, path)
    return path


def _cut(content: bytes) -> bytes:
    return content[: len(content) // 2]


def _damaged(content: bytes) -> bytes:
    middle = len(content) // 2
    return content[:middle] + bytes([content[middle] ^ 1]) + content[middle + 1 :]


def _other_format(content: bytes) -> bytes:
    at = len(saved_file.MAGIC)
    return content[:at] + (saved_file.FORMAT + 1).to_bytes(4, "little") + content[at + 4 :]


def _other_key(content: bytes) -> bytes:
    at = len(saved_file.MAGIC) + 4
    key = int.from_bytes(content[at : at + 8], "little", signed=True)
    return content[:at] + (key ^ 1).to_bytes(8, "little", signed=True) + content[at + 8 :]


def _header(text: bytes):
    """The file with its JSON header replaced by `text`, its length and CRC made right: a file
    written so on purpose, which only its content can tell apart."""

    def spoil(content: bytes) -> bytes:
        at = len(saved_file.MAGIC)
        made, key, length = saved_file._PREFIX.unpack_from(content, at)
        start = at + saved_file._PREFIX.size
        rest = content[start + length : -saved_file._CRC.size]
        body = content[:at] + saved_file._PREFIX.pack(made, key, len(text)) + text + rest
        return body + saved_file._CRC.pack(zlib.crc32(body))

    return spoil


def _header_with(**changes):
    def spoil(content: bytes) -> bytes:
        at = len(saved_file.MAGIC)
        _, _, length = saved_file._PREFIX.unpack_from(content, at)
        start = at + saved_file._PREFIX.size
        header = json.loads(content[start : start + length])
        header.update(changes)
        return _header(json.dumps(header).encode())(content)

    return spoil


@pytest.mark.parametrize(
    "spoil",
    [
        # Regression (review): header numbers were believed before the CRC, and an infinite
        # count raised OverflowError through start-up, which then failed: the bot did not start.
        _header(b'{"rows": 1e999}'),
        _header_with(rows=1e999),
        _header(b"[" * 100_000 + b"]" * 100_000),
        _header_with(rows=-1),
        _header_with(rows="400"),
        _header_with(rows=True),
        _header_with(scopes=[["all", "", -5, []]]),
        _header_with(deliveries=None),
        _cut,
        _damaged,
        _other_format,
        _other_key,
        lambda _: b"",
        lambda c: c[:-1],
        lambda c: b"x" + c,
    ],
)
async def test_a_file_not_whole_or_not_of_this_format_is_not_used(
    wco, store, database, rows_read, spoil
):
    expected = await _loaded(wco, store)
    path = _file(database)
    path.write_bytes(spoil(path.read_bytes()))
    rows_read.clear()
    held = await _loaded(wco, store)
    assert rows_read
    assert _layout(held.audience._subscribers) == _layout(expected.audience._subscribers)


def _indexing_code() -> list[Path]:
    return [
        Path(saved_file.__file__),
        Path(followers.__file__),
        Path(columns.__file__),
        Path(subscribers_patch.__file__),
        Path(changes.__file__),
    ]


def test_a_file_is_of_this_format_only_if_saved_by_the_same_indexing_code():
    # Regression (review): the format was a number to raise by hand whenever how rows become a
    # file changed; forgotten, a file saved by other code would have been read as this code's.
    assert saved_file._code_digest(*_indexing_code()) == saved_file.FORMAT


@pytest.mark.parametrize("changed", range(5))
def test_a_change_to_the_code_that_reads_indexes_or_saves_the_rows_changes_the_format(
    tmp_path, changed
):
    copies = []
    for number, source in enumerate(_indexing_code()):
        copy = tmp_path / f"{number}-{source.name}"
        copy.write_bytes(source.read_bytes() + (b"# changed\n" if number == changed else b""))
        copies.append(copy)
    assert 0 <= saved_file._code_digest(*copies) < 2**31
    assert saved_file._code_digest(*copies) != saved_file.FORMAT


def test_code_that_cannot_be_read_has_no_format(tmp_path):
    assert saved_file._code_digest(*_indexing_code(), tmp_path / "gone.py") is None


async def test_without_a_format_no_file_is_written_nor_read(
    wco, store, database, rows_read, monkeypatch
):
    # Review: code whose sources cannot be read had a random format, so every start wrote a
    # file (45 MB at a million) that no start could read.
    expected = await _loaded(wco, store)
    path = _file(database)
    saved = path.read_bytes()
    monkeypatch.setattr(saved_file, "FORMAT", None)
    path.unlink()
    rows_read.clear()
    held = await _loaded(wco, store)
    assert rows_read
    assert not path.exists()
    path.write_bytes(saved)
    rows_read.clear()
    await _loaded(wco, store)
    assert rows_read
    assert _layout(held.audience._subscribers) == _layout(expected.audience._subscribers)


async def test_a_file_that_cannot_be_written_is_only_logged(
    wco, store, database, rows_read, monkeypatch, caplog
):
    def refused(*_, **__):
        raise PermissionError("read-only folder")

    caplog.set_level(logging.INFO)
    monkeypatch.setattr(saved_file, "_private", refused)
    held = await _loaded(wco, store)
    assert len(held.audience) == len(_rows(wco))
    assert not _file(database).exists()
    assert "was not saved" in caplog.text


def test_an_index_changed_since_its_read_is_not_saved():
    subscribers = Subscribers()
    assert dump(subscribers, 1) is not None
    subscribers._holes = 1  # a row removed: the table's key no longer says what it holds
    assert dump(subscribers, 1) is None


async def test_a_file_left_by_a_process_killed_while_writing_is_removed_at_the_next_save(
    wco, store, database
):
    folder = _file(database).parent
    name = _file(database).name
    dead = folder / f".{name}.{2**22 + 1}.tmp"  # above Linux's largest process id: none has it
    alive = folder / f".{name}.{os.getppid()}.tmp"  # another process's, perhaps writing now
    dead.write_bytes(b"half")
    alive.write_bytes(b"half")
    await _loaded(wco, store)
    assert _file(database).is_file()
    assert not dead.exists() and alive.exists()


async def test_a_reload_reads_the_rows_and_leaves_the_file_saved_at_start_up(
    wco, store, database, rows_read
):
    # A reload follows a change: writing the whole index again at each one would cost tens of
    # MB at a million subscriptions for a restart that may come after the next change anyway.
    reminders = await _loaded(wco, store)
    saved = _file(database).read_bytes()
    await store.subscribe("discord:8", Delivery.DM, ScopeKind.BODY, "ptc", [60], NEWS_DAY)
    rows_read.clear()
    await reminders.load()
    await reminders.saved()
    assert rows_read and len(reminders.audience) == len(_rows(wco)) + 1
    assert _file(database).read_bytes() == saved
