"""The subscriptions read from the start of the process, beside the agenda's loading: used only
when the table's key read by the runtime, once the database is open, is the one they were read
under; else the runtime reads them itself (issue 16, start-up)."""

import logging
import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.core import FixedClock
from bot.service import AgendaService, EarlySubscriptions, Runtime
from bot.service.followers import Subscribers
from bot.service.reminders import Reminders
from bot.service.subscribers_file import snapshot_path
from bot.storage import Delivery, ScopeKind, Store
from tests.service.test_subscribers_file import NEWS_DAY, NullSender, _layout, _loaded, _rows


@pytest.fixture
def reads(monkeypatch):
    """Which index each chunk of rows was read into: the early read's, or the runtime's."""
    found: list[int] = []
    extend = Subscribers.extend_columns

    def counted(self, columns):
        found.append(id(self))
        return extend(self, columns)

    monkeypatch.setattr(Subscribers, "extend_columns", counted)
    return found


def _path(database: str) -> Path:
    return Path(database.partition(":///")[2])


def _sorted(reminders: Reminders) -> list[object]:
    return sorted(reminders.audience.subscriptions(), key=lambda row: row.id)


async def test_the_rows_read_early_are_used_when_unchanged(wco, store, database, reads):
    early = EarlySubscriptions.begin(database)
    assert early is not None
    held = await _loaded(wco, store, early)
    assert reads and len(set(reads)) == 1  # read once, early; not again by the runtime
    by_rows = await _loaded(wco, store)  # saved to the file by the first: read back from it
    assert _layout(held.audience._subscribers) == _layout(by_rows.audience._subscribers)
    assert snapshot_path(_path(database)).is_file()


async def test_the_file_read_early_is_used_when_unchanged(wco, store, database, reads):
    by_rows = await _loaded(wco, store)
    reads.clear()
    early = EarlySubscriptions.begin(database)
    assert early is not None
    held = await _loaded(wco, store, early)
    assert reads == []
    assert _layout(held.audience._subscribers) == _layout(by_rows.audience._subscribers)


@pytest.mark.parametrize("through", ["the bot", "the sqlite3 shell"])
async def test_a_change_after_the_early_read_means_the_rows_are_read_again(
    wco, store, database, reads, through
):
    early = EarlySubscriptions.begin(database)
    assert early is not None
    early._thread.join()  # read, then changed: what it read is no longer the table
    if through == "the bot":
        await store.subscribe("discord:8", Delivery.DM, ScopeKind.BODY, "ptc", [60], NEWS_DAY)
    else:
        connection = sqlite3.connect(_path(database))
        with connection:
            connection.execute("DELETE FROM subscriptions WHERE id = 7")
        connection.close()
    held = await _loaded(wco, store, early)
    assert len(set(reads)) == 2  # early, then by the runtime
    assert _sorted(held) == sorted(await store.subscriptions(), key=lambda row: row.id)


async def test_rows_without_a_key_are_not_read_early(wco, store, database, reads):
    connection = sqlite3.connect(_path(database))
    with connection:
        connection.execute("DROP TRIGGER subscriptions_key_on_update")
    connection.close()
    early = EarlySubscriptions.begin(database)
    assert early is not None
    assert await early.taken(_path(database)) is None
    assert reads == []


async def test_no_early_read_of_a_database_not_in_wal_mode(wco, store, database, reads):
    await store.close()
    connection = sqlite3.connect(_path(database))
    connection.execute("PRAGMA journal_mode=DELETE")
    connection.close()
    early = EarlySubscriptions.begin(database)
    assert early is not None
    assert await early.taken(_path(database)) is None
    assert reads == []


async def test_a_read_of_another_database_is_not_used(wco, store, database, tmp_path, reads):
    other = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'other.sqlite3'}")
    try:
        await other.add_subscriptions(_rows(wco, 50))
    finally:
        await other.close()
    early = EarlySubscriptions.begin(f"sqlite+aiosqlite:///{tmp_path / 'other.sqlite3'}")
    assert early is not None
    held = await _loaded(wco, store, early)
    assert _sorted(held) == sorted(await store.subscriptions(), key=lambda row: row.id)


async def test_a_cancelled_read_gives_nothing(store, database, reads):
    early = EarlySubscriptions(_path(database))
    early.cancel()
    early._thread.start()
    assert await early.taken(_path(database)) is None
    assert reads == []


@pytest.mark.parametrize(
    "url",
    [
        "sqlite+aiosqlite://",
        "sqlite+aiosqlite:///:memory:",
        "postgresql+asyncpg://h/db",
        "mysql+pymysql://u@localhost/agenda",  # refused, by Store.open
        "not a URL",
    ],
)
def test_no_early_read_without_a_file(url):
    assert EarlySubscriptions.begin(url) is None


def test_no_file_is_made_for_a_database_not_there_yet(tmp_path):
    path = tmp_path / "new.sqlite3"
    assert EarlySubscriptions.begin(f"sqlite:///{path}") is None
    assert not path.exists()


async def test_the_runtime_uses_it(wco, store, database, reads):
    early = EarlySubscriptions.begin(database)
    runtime = await Runtime.open(
        AgendaService(wco, FixedClock(NEWS_DAY)),
        NullSender(),
        database_url=database,
        default_zone=ZoneInfo("UTC"),
        early=early,
    )
    try:
        assert len(set(reads)) == 1
        assert len(runtime.reminders.audience) == len(await store.subscriptions())
    finally:
        await runtime.stop()


def test_a_sync_sqlite_url_is_said_to_be_opened_with_aiosqlite_once(store, database, caplog):
    # Regression (review): the early read made the URL async too, and the line Store's opening
    # logs at every start (the runtime's) came out twice.
    caplog.set_level(logging.INFO)
    early = EarlySubscriptions.begin(database.replace("sqlite+aiosqlite:", "sqlite:", 1))
    assert early is not None
    early._thread.join()
    assert not [r for r in caplog.records if "async driver" in r.getMessage()]
