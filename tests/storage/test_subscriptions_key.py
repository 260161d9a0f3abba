"""The subscriptions table's key (migration 0010): drawn anew, by the database itself, in the
transaction of every change of a row, so that a saved index of them is never used after one."""

import sqlite3
from datetime import UTC, datetime

from bot.storage import Delivery, ScopeKind, Store
from bot.storage.columns import read_columns, table_key

NOW = datetime(2016, 2, 1, 12, tzinfo=UTC)


def _key(path) -> int | None:
    connection = sqlite3.connect(path)
    try:
        return table_key(connection)
    finally:
        connection.close()


async def test_every_change_of_a_row_draws_a_new_key_and_nothing_else_does(tmp_path):
    path = tmp_path / "db.sqlite3"
    store = await Store.open(f"sqlite+aiosqlite:///{path}")
    try:
        keys = [_key(path)]
        await store.subscribe("discord:1", Delivery.DM, ScopeKind.ALL, "", [60], NOW)
        keys.append(_key(path))
        await store.subscribe("discord:1", Delivery.DM, ScopeKind.ALL, "", [120], NOW)  # leads
        keys.append(_key(path))
        await store.set_user_timezone("discord:1", "Europe/Brussels")  # not a subscription
        assert _key(path) == keys[-1]
        assert await store.unsubscribe(Delivery.DM, None, None, owner="discord:1")
        keys.append(_key(path))
    finally:
        await store.close()
    connection = sqlite3.connect(path)
    with connection:  # by hand, through the stdlib driver: drawn all the same
        connection.execute(
            "INSERT INTO subscriptions (owner, delivery, guild_id, channel_id, scope_kind, "
            "scope_id, leads, created) VALUES ('console', 'me', NULL, '', 'all', '', NULL, 0)"
        )
    keys.append(_key(path))
    with connection:
        connection.execute("UPDATE subscriptions SET leads = '60'")
    keys.append(_key(path))
    connection.close()
    assert None not in keys
    assert len(set(keys)) == len(keys)


async def test_the_key_is_read_in_the_transaction_of_the_rows(tmp_path):
    path = tmp_path / "db.sqlite3"
    store = await Store.open(f"sqlite+aiosqlite:///{path}")
    await store.subscribe("discord:1", Delivery.DM, ScopeKind.ALL, "", [60], NOW)
    given: list[int] = []

    def restore(key: int, log) -> bool:
        given.append(key)
        return False

    try:
        assert read_columns(path, lambda chunk: True, lambda: None, restore)
        assert given == [_key(path)]
        assert read_columns(path, lambda chunk: _no_row(), lambda: None, lambda key, log: True)
    finally:
        await store.close()


def _no_row() -> bool:
    raise AssertionError("restored: no row is read")


async def test_a_database_downgraded_below_the_key_has_none(tmp_path):
    from alembic import command
    from sqlalchemy import create_engine

    from bot.storage.migrate import _config

    path = tmp_path / "db.sqlite3"
    store = await Store.open(f"sqlite+aiosqlite:///{path}")
    await store.close()
    assert _key(path) is not None
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        command.downgrade(_config(connection), "0009")
    engine.dispose()
    assert _key(path) is None
    connection = sqlite3.connect(path)
    with connection:  # no trigger is left to fail on a missing row
        connection.execute(
            "INSERT INTO subscriptions (owner, delivery, guild_id, channel_id, scope_kind, "
            "scope_id, leads, created) VALUES ('console', 'me', NULL, '', 'all', '', NULL, 0)"
        )
    connection.close()
    store = await Store.open(f"sqlite+aiosqlite:///{path}")  # upgraded again: a new key
    await store.close()
    assert _key(path) is not None


async def test_the_newest_schema_has_every_trigger_of_the_key(tmp_path):
    # A later migration that rebuilds the subscriptions table must draw its triggers again.
    from bot.storage.columns import KEY_TRIGGERS

    path = tmp_path / "db.sqlite3"
    store = await Store.open(f"sqlite+aiosqlite:///{path}")
    await store.close()
    connection = sqlite3.connect(path)
    found = {
        name
        for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'subscriptions'"
        )
    }
    connection.close()
    assert set(KEY_TRIGGERS) <= found


async def test_a_table_rebuilt_without_its_triggers_has_no_key(tmp_path):
    # Regression (review): SQLite drops a table's triggers with it, so a migration that
    # rebuilds the table (Alembic's batch mode: copy, drop, rename) left the key as it was,
    # and no later change moved it: a saved index of the rows would have been read forever.
    path = tmp_path / "db.sqlite3"
    store = await Store.open(f"sqlite+aiosqlite:///{path}")
    await store.subscribe("discord:1", Delivery.DM, ScopeKind.ALL, "", [60], NOW)
    await store.close()
    assert _key(path) is not None
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("CREATE TABLE rebuilt AS SELECT * FROM subscriptions")
        connection.execute("DROP TABLE subscriptions")
        connection.execute("ALTER TABLE rebuilt RENAME TO subscriptions")
    connection.close()
    assert _key(path) is None
    given: list[int] = []
    assert read_columns(path, lambda chunk: True, lambda: None, lambda key, log: given.append(key))
    assert given == []  # nothing restored: the rows are read


async def test_a_migration_that_rebuilds_the_table_with_its_triggers_moves_the_key(tmp_path):
    # Regression: a migration may rebuild the table (copy, drop, rename), change what its rows
    # hold on the way and draw the triggers again, with no change of a row the triggers see:
    # the key stayed, and the index saved under it would have been read for the new rows.
    path = tmp_path / "db.sqlite3"
    store = await Store.open(f"sqlite+aiosqlite:///{path}")
    await store.subscribe("discord:1", Delivery.DM, ScopeKind.ALL, "", [60], NOW)
    await store.close()
    before = _key(path)
    connection = sqlite3.connect(path)
    with connection:
        triggers = [
            sql
            for (sql,) in connection.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'subscriptions'"
            )
        ]
        connection.execute("CREATE TABLE rebuilt AS SELECT * FROM subscriptions")
        connection.execute("UPDATE rebuilt SET leads = '120'")  # no trigger on this one
        connection.execute("DROP TABLE subscriptions")
        connection.execute("ALTER TABLE rebuilt RENAME TO subscriptions")
        for sql in triggers:
            connection.execute(sql)
        connection.execute("UPDATE alembic_version SET version_num = 'rebuilt'")
    connection.close()
    assert _key(path) is not None
    assert _key(path) != before


async def test_a_database_without_a_schema_revision_has_no_key(tmp_path):
    path = tmp_path / "db.sqlite3"
    store = await Store.open(f"sqlite+aiosqlite:///{path}")
    await store.close()
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("DELETE FROM alembic_version")
    connection.close()
    assert _key(path) is None
