"""The log of changed subscriptions (migration 0011): the triggers that draw the table's key
log, in the same transaction, the ids each change touched and the key drawn for it; the log
stays bounded whoever writes."""

import sqlite3
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import create_engine

from bot.storage import Delivery, ScopeKind, Store
from bot.storage.changes import ChangeLog, prune
from bot.storage.columns import _key_parts
from bot.storage.migrate import _config
from tests.storage.test_subscriptions_key import _key

NOW = datetime(2016, 2, 1, 12, tzinfo=UTC)
_INSERT = (
    "INSERT INTO subscriptions (owner, delivery, guild_id, channel_id, scope_kind, scope_id, "
    "leads, created) VALUES ('console', 'me', NULL, '', 'all', '', NULL, 0)"
)


def _log(path) -> list[tuple[int, int | None, int]]:
    connection = sqlite3.connect(path)
    try:
        return list(connection.execute("SELECT * FROM subscription_changes ORDER BY seq"))
    finally:
        connection.close()


def _sql(path, statement: str) -> None:
    connection = sqlite3.connect(path)
    with connection:
        connection.execute(statement)
    connection.close()


async def test_each_change_logs_the_ids_it_touched_with_the_key_drawn_for_it(tmp_path):
    path = tmp_path / "db.sqlite3"
    store = await Store.open(f"sqlite+aiosqlite:///{path}")
    try:
        (row, _) = await store.subscribe("discord:1", Delivery.DM, ScopeKind.ALL, "", [60], NOW)
    finally:
        await store.close()
    _sql(path, _INSERT)
    _sql(path, f"UPDATE subscriptions SET leads = '5' WHERE id = {row.id}")
    _sql(path, f"UPDATE subscriptions SET id = 50 WHERE id = {row.id}")
    _sql(path, "DELETE FROM subscriptions WHERE id = 50")
    logged = _log(path)
    assert [i for _, i, _ in logged] == [None, row.id, row.id + 1, row.id, row.id, 50, 50]
    seqs = [seq for seq, _, _ in logged]
    assert seqs == sorted(set(seqs))
    connection = sqlite3.connect(path)
    raw, crc = _key_parts(connection)
    connection.close()
    assert logged[-1][2] == raw  # the last entry carries the table's key now
    assert logged[-1][2] ^ crc == _key(path)
    assert logged[-2][2] == logged[-3][2]  # the two ids of one UPDATE: one key
    assert len({key for _, _, key in logged}) == len(logged) - 1


async def test_the_log_says_what_changed_only_after_an_entry_it_holds_with_its_key(tmp_path):
    path = tmp_path / "db.sqlite3"
    store = await Store.open(f"sqlite+aiosqlite:///{path}")
    await store.close()
    _sql(path, _INSERT)
    saved_key = _key(path)
    connection = sqlite3.connect(path)
    _, crc = _key_parts(connection)
    at = ChangeLog(connection, crc).position(saved_key)
    connection.close()
    assert at is not None
    _sql(path, _INSERT.replace("'console'", "'discord:2'"))
    _sql(path, "DELETE FROM subscriptions WHERE id = 1")
    connection = sqlite3.connect(path)
    try:
        log = ChangeLog(connection, crc)
        changes = log.since(at, saved_key, 10)
        assert changes is not None
        assert changes.ids.tolist() == [1, 2]
        assert changes.rows.ids.tolist() == [2]  # the row removed is not there
        assert log.since(at, saved_key ^ 1, 10) is None  # another database's history
        assert log.since(at, saved_key, 1) is None  # more changes than asked for
        assert log.since(at + 100, saved_key, 10) is None  # an entry it does not hold
    finally:
        connection.close()
    prune(path, at + 1)
    connection = sqlite3.connect(path)
    try:
        assert ChangeLog(connection, crc).since(at, saved_key, 10) is None  # pruned past it
    finally:
        connection.close()


async def test_the_triggers_keep_the_log_bounded(tmp_path):
    from importlib import import_module

    keep = import_module("bot.storage.migrations.versions.0011_subscription_changes").KEEP
    path = tmp_path / "db.sqlite3"
    store = await Store.open(f"sqlite+aiosqlite:///{path}")
    await store.close()
    _sql(path, _INSERT)
    _sql(path, "UPDATE subscriptions SET created = created + 1")
    connection = sqlite3.connect(path)
    with connection:  # keep + 5 changes
        connection.executemany(
            "UPDATE subscriptions SET created = ?", ((n,) for n in range(keep + 5))
        )
    (entries, last) = connection.execute(
        "SELECT count(*), max(seq) FROM subscription_changes"
    ).fetchone()
    connection.close()
    assert entries == keep
    assert last > keep + 5


async def test_migration_0011_up_and_down(tmp_path):
    path = tmp_path / "db.sqlite3"
    store = await Store.open(f"sqlite+aiosqlite:///{path}")
    await store.close()
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        command.downgrade(_config(connection), "0010")
    connection = sqlite3.connect(path)
    tables = {n for (n,) in connection.execute("SELECT name FROM sqlite_master")}
    connection.close()
    assert "subscription_changes" not in tables
    before = _key(path)
    _sql(path, _INSERT)  # 0010's triggers: a key drawn, nothing logged, nothing fails
    assert _key(path) not in (None, before)
    with engine.begin() as connection:
        command.upgrade(_config(connection), "head")
    engine.dispose()
    _sql(path, "DELETE FROM subscriptions")
    logged = _log(path)
    assert [i for _, i, _ in logged] == [None, 1]
