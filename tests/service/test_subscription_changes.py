"""A start after a change reads the saved index of subscriptions and only the rows the log of
changes names since it was saved (migration 0011), and holds exactly what a read of every row
holds; anything the log cannot vouch for means reading every row (issue 16, start-up)."""

import asyncio
import shutil
import sqlite3
import tempfile
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.service import EarlySubscriptions
from bot.service import subscribers_file as saved_file
from bot.service import subscribers_patch as patching
from bot.service.followers import Subscribers
from bot.service.subscribers_file import snapshot_path
from bot.storage import Delivery, ScopeKind, StorageError, Store
from bot.storage.columns import read_columns
from tests.service.test_subscribers_file import (
    NEWS_DAY,
    _loaded,
    saved_after_a_change_then_restored,
)
from tests.storage.test_subscription_columns import _answers


def _path(database: str) -> Path:
    return Path(database.partition(":///")[2])


def _by_rows(path: Path) -> Subscribers:
    held = Subscribers()
    assert read_columns(path, held.extend_columns, held.settle)  # no restore: every row
    return held


def _same_as_the_rows(reminders, path: Path) -> None:
    held = reminders.audience._subscribers
    fresh = _by_rows(path)
    assert _answers(held) == _answers(fresh)
    # The scopes that hold a row, in the order a read of the rows makes them.
    assert [k for k, s in held.scopes.items() if len(s)] == list(fresh.scopes)


@pytest.fixture
def patches(monkeypatch):
    """What each patch of the file gave: pieces of a file, or None (the rows were read)."""
    given: list[object] = []
    patch = patching.patch

    def counted(*arguments):
        found = patch(*arguments)
        given.append(found)
        return found

    monkeypatch.setattr(patching, "patch", counted)
    return given


def _sql(path: Path, statement: str, *parameters: object) -> None:
    connection = sqlite3.connect(path)
    with connection:
        connection.execute(statement, parameters)
    connection.close()


async def test_a_start_after_a_change_by_hand_patches_the_file_and_saves_it_again(
    wco, store, database, patches
):
    path = _path(database)
    await _loaded(wco, store)
    _sql(path, "UPDATE subscriptions SET scope_kind = 'all', scope_id = '' WHERE id = 3")
    _sql(path, "UPDATE subscriptions SET id = 100000 WHERE id = 4")
    _sql(path, "DELETE FROM subscriptions WHERE id = 5")
    held = await _loaded(wco, store)
    assert len(patches) == 1 and patches[0] is not None
    _same_as_the_rows(held, path)
    patches.clear()
    again = await _loaded(wco, store)  # saved at the log's end: read as it is
    assert patches == []
    _same_as_the_rows(again, path)


async def test_the_log_keeps_only_what_the_file_saved_last_needs(wco, store, database):
    path = _path(database)
    await _loaded(wco, store)
    for number in range(5):
        _sql(path, "UPDATE subscriptions SET leads = ? WHERE id = 3", str(60 + number))
    await _loaded(wco, store)
    connection = sqlite3.connect(path)
    (entries,) = connection.execute("SELECT count(*) FROM subscription_changes").fetchone()
    connection.close()
    assert entries == 1  # the entry the saved file is at


async def test_a_restored_backup_is_read_from_the_rows_not_patched(
    wco, store, database, tmp_path, patches
):
    backup = tmp_path / "backup.sqlite3"
    path = await saved_after_a_change_then_restored(wco, store, database, backup)
    _sql(path, "DELETE FROM subscriptions WHERE id = 9")  # a change after the backup, too
    store = await Store.open(database)
    try:
        patches.clear()
        held = await _loaded(wco, store)
        assert patches == [None]  # the log at the file's place has another key
        _same_as_the_rows(held, path)
    finally:
        await store.close()


async def test_a_log_pruned_past_the_file_means_reading_the_rows(wco, store, database, patches):
    path = _path(database)
    await _loaded(wco, store)
    _sql(path, "DELETE FROM subscriptions WHERE id = 9")
    _sql(path, "DELETE FROM subscription_changes")
    held = await _loaded(wco, store)
    assert patches == [None]
    _same_as_the_rows(held, path)


async def test_a_log_without_its_newest_entries_means_reading_the_rows(
    wco, store, database, patches
):
    # The log's last entry must carry the table's key: else some change since is not in it.
    path = _path(database)
    await _loaded(wco, store)
    _sql(path, "UPDATE subscriptions SET leads = '5' WHERE id = 9")
    _sql(
        path,
        "DELETE FROM subscription_changes WHERE seq = (SELECT max(seq) FROM subscription_changes)",
    )
    held = await _loaded(wco, store)
    assert patches == [None]
    _same_as_the_rows(held, path)


async def test_more_changes_than_a_patch_is_worth_means_reading_the_rows(
    wco, store, database, patches, monkeypatch
):
    path = _path(database)
    await _loaded(wco, store)
    monkeypatch.setattr(patching, "AT_LEAST", 3)
    monkeypatch.setattr(patching, "SHARE", 1000)  # at most 3 entries for these 170 rows
    _sql(path, "UPDATE subscriptions SET leads = '5' WHERE id <= 4")  # 4 entries
    held = await _loaded(wco, store)
    assert patches == [None]
    _same_as_the_rows(held, path)


async def test_a_change_with_a_kind_this_version_lacks_is_said_as_after_a_read_of_the_rows(
    wco, store, database
):
    await _loaded(wco, store)
    _sql(_path(database), "UPDATE subscriptions SET scope_kind = 'later' WHERE id = 3")
    with pytest.raises(StorageError, match="cannot be read"):
        await _loaded(wco, store)


async def test_the_early_read_patches_the_file_and_the_runtime_takes_it(
    wco, store, database, patches
):
    path = _path(database)
    await _loaded(wco, store)
    await store.subscribe("discord:8", Delivery.DM, ScopeKind.BODY, "ptc", [60], NEWS_DAY)
    _sql(path, "UPDATE subscriptions SET channel_id = '77' WHERE id = 6")
    early = EarlySubscriptions.begin(database)
    assert early is not None
    held = await _loaded(wco, store, early)
    assert len(patches) == 1 and patches[0] is not None  # once, early; the runtime took it
    _same_as_the_rows(held, path)
    patches.clear()
    await _loaded(wco, store)
    assert patches == []  # saved by the runtime after the early patch


async def test_a_file_saved_before_the_log_means_reading_the_rows(wco, store, database, patches):
    # A file without a place in the log (as one saved by code before it) is never patched.
    path = _path(database)
    await _loaded(wco, store)
    content = snapshot_path(path).read_bytes()
    at = len(saved_file.MAGIC)
    made, key, length = saved_file._PREFIX.unpack_from(content, at)
    start = at + saved_file._PREFIX.size
    text = content[start : start + length].replace(b'"seq":', b'"was":', 1)
    body = content[:at] + saved_file._PREFIX.pack(made, key, len(text)) + text
    body += content[start + length : -saved_file._CRC.size]
    snapshot_path(path).write_bytes(body + saved_file._CRC.pack(zlib.crc32(body)))
    _sql(path, "DELETE FROM subscriptions WHERE id = 9")
    held = await _loaded(wco, store)
    assert patches == [None]
    _same_as_the_rows(held, path)


_WHAT = "owner, delivery, guild_id, channel_id, scope_kind, scope_id"


@pytest.mark.parametrize(
    "statement",
    [
        # A new row with the same owner, delivery, channel and scope: SQLite deletes the old
        # one to make room, and no DELETE trigger fires for it (unless recursive_triggers).
        f"INSERT OR REPLACE INTO subscriptions ({_WHAT}, leads, created) "
        f"SELECT {_WHAT}, '5', 1 FROM subscriptions WHERE id = 7",
        # Another row made the same as row 7: the same, through an UPDATE.
        f"UPDATE OR REPLACE subscriptions SET ({_WHAT}) = "
        f"(SELECT {_WHAT} FROM subscriptions WHERE id = 7) WHERE id = 8",
    ],
)
async def test_a_row_deleted_by_a_replace_is_not_kept_by_the_patch(
    wco, store, database, patches, statement
):
    path = _path(database)
    await _loaded(wco, store)
    _sql(path, statement)
    held = await _loaded(wco, store)
    _same_as_the_rows(held, path)
    _same_as_the_rows(await _loaded(wco, store), path)


@pytest.mark.parametrize("logged_after", [False, True])
@pytest.mark.parametrize(
    ("event", "change"),
    [
        ("delete", "DELETE FROM subscriptions WHERE id = 9"),
        ("update", "UPDATE subscriptions SET leads = '5' WHERE id = 9"),
        (
            "insert",
            f"INSERT INTO subscriptions ({_WHAT}, leads, created) "
            "VALUES ('discord:5', 'me', NULL, '', 'all', '', '5', 1)",
        ),
    ],
    ids=["delete", "update", "insert"],
)
async def test_a_change_made_while_a_trigger_was_dropped_is_not_missed(
    wco, store, database, event, change, logged_after
):
    # Someone drops a trigger (to import faster, say), changes rows, and creates it again as
    # it was: the change drew no key and logged nothing.
    path = _path(database)
    await _loaded(wco, store)
    connection = sqlite3.connect(path, isolation_level=None)
    (trigger,) = connection.execute(
        "SELECT sql FROM sqlite_master WHERE name = ?", (f"subscriptions_key_on_{event}",)
    ).fetchone()
    connection.execute(f"DROP TRIGGER subscriptions_key_on_{event}")
    connection.execute(change)
    connection.execute(trigger)
    if logged_after:  # a change the log names: the file would be patched
        connection.execute("DELETE FROM subscriptions WHERE id = 10")
    connection.close()
    _same_as_the_rows(await _loaded(wco, store), path)
    _same_as_the_rows(await _loaded(wco, store), path)


# -- any sequence of changes, by the bot and by hand, across restarts -----------------------

OWNERS = ["console", "discord:7", "discord:01", "discord:100000000000000003", "discord:9"]
DELIVERIES = ["me", "here", "channel"]
SCOPES = [("all", ""), ("body", "ptc"), ("body", "council"), ("topic", "hs"), ("meeting", "m1")]
LEADS = [None, "2880", "10080,60", "60"]

_rows = st.tuples(
    st.sampled_from(OWNERS),
    st.sampled_from(DELIVERIES),
    st.sampled_from(SCOPES),
    st.sampled_from(LEADS),
    st.sampled_from(["", "10", "11"]),
)
_steps = st.lists(
    st.one_of(
        st.tuples(st.just("subscribe"), _rows),
        st.tuples(st.just("leads"), st.integers(0, 40), st.sampled_from(LEADS)),
        st.tuples(st.just("unsubscribe"), st.sampled_from(OWNERS), st.sampled_from(DELIVERIES)),
        st.tuples(st.just("insert"), _rows),
        st.tuples(st.just("replace"), _rows),
        st.tuples(st.just("untriggered"), st.sampled_from(["insert", "update", "delete"])),
        st.tuples(st.just("update"), st.integers(0, 40), st.sampled_from(["leads", "scope", "id"])),
        st.tuples(st.just("delete"), st.integers(0, 40)),
        st.tuples(st.just("restart"), st.booleans()),
    ),
    max_size=25,
)


@pytest.fixture(scope="module")
def template(tmp_path_factory, wco) -> Path:
    """A database of varied subscriptions at the newest schema, made once."""
    from tests.service.varied_subscriptions import varied_subscriptions

    path = tmp_path_factory.mktemp("changes") / "template.sqlite3"

    async def make() -> None:
        store = await Store.open(f"sqlite+aiosqlite:///{path}")
        await store.add_subscriptions(varied_subscriptions(wco, NEWS_DAY, 40))
        await store.close()

    asyncio.run(make())
    return path


async def _step(store: Store, path: Path, step: tuple) -> None:
    connection = sqlite3.connect(path)
    ids = [i for (i,) in connection.execute("SELECT id FROM subscriptions ORDER BY id")]
    connection.close()

    def nth(n: int) -> int | None:
        return ids[n % len(ids)] if ids else None

    match step:
        case ("subscribe", (owner, delivery, (kind, scope), leads, channel)):
            minutes = [int(m) for m in leads.split(",")] if leads else []
            await store.subscribe(
                owner, Delivery(delivery), ScopeKind(kind), scope, minutes, NEWS_DAY, None, channel
            )
        case ("leads", n, leads):
            if nth(n) is not None:
                _sql(path, "UPDATE subscriptions SET leads = ? WHERE id = ?", leads, nth(n))
        case ("unsubscribe", owner, delivery):
            await store.unsubscribe(Delivery(delivery), None, None, owner=owner)
        case (("insert" | "replace") as how, (owner, delivery, (kind, scope), leads, channel)):
            # REPLACE deletes a row of the same owner, delivery, channel and scope, and no
            # trigger fires for that deletion.
            _sql(
                path,
                f"INSERT OR {how.upper() if how == 'replace' else 'IGNORE'} INTO subscriptions "
                "(owner, delivery, guild_id, channel_id, scope_kind, scope_id, leads, created) "
                "VALUES (?, ?, '9', ?, ?, ?, ?, ?)",
                owner,
                delivery,
                channel,
                kind,
                scope,
                leads,
                1 if how == "insert" else 2,
            )
        case ("untriggered", event) if ids:
            # A change while its trigger is dropped by hand, the trigger created again after.
            change = {
                "insert": f"INSERT INTO subscriptions ({_WHAT}, leads, created) "
                "VALUES ('discord:5', 'me', NULL, '', 'topic', 'x' || random(), NULL, 3)",
                "update": f"UPDATE subscriptions SET leads = '15' WHERE id = {ids[0]}",
                "delete": f"DELETE FROM subscriptions WHERE id = {ids[-1]}",
            }[event]
            connection = sqlite3.connect(path, isolation_level=None)
            name = f"subscriptions_key_on_{event}"
            (trigger,) = connection.execute(
                "SELECT sql FROM sqlite_master WHERE name = ?", (name,)
            ).fetchone()
            connection.execute(f"DROP TRIGGER {name}")
            connection.execute(change)
            connection.execute(trigger)
            connection.close()
        case ("update", n, what) if nth(n) is not None:
            statement = {
                "leads": "UPDATE OR IGNORE subscriptions SET leads = '120' WHERE id = ?",
                "scope": "UPDATE OR IGNORE subscriptions SET scope_kind = 'topic', "
                "scope_id = 'new' WHERE id = ?",
                "id": "UPDATE OR IGNORE subscriptions SET id = "
                "(SELECT max(id) + 7 FROM subscriptions) WHERE id = ?",
            }[what]
            _sql(path, statement, nth(n))
        case ("delete", n) if nth(n) is not None:
            _sql(path, "DELETE FROM subscriptions WHERE id = ?", nth(n))


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    max_examples=40,
    deadline=None,
)
@given(steps=_steps)
def test_every_start_after_any_changes_holds_what_the_rows_hold(wco, template, steps):
    async def run(folder: Path) -> None:
        path = folder / "bot.sqlite3"
        shutil.copyfile(template, path)
        database = f"sqlite+aiosqlite:///{path}"
        store = await Store.open(database)
        try:
            _same_as_the_rows(await _loaded(wco, store), path)
            for step in [*steps, ("restart", False)]:
                if step[0] == "restart":
                    early = EarlySubscriptions.begin(database) if step[1] else None
                    _same_as_the_rows(await _loaded(wco, store, early), path)
                else:
                    await _step(store, path, step)
        finally:
            await store.close()

    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(Path(folder)))
