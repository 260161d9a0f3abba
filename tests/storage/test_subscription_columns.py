"""SQLite's fast path of start-up (storage.columns): every subscription read as columns gives
the very index that reading rows gives, whatever the values; a value it cannot carry makes it
give up, never guess."""

import asyncio
import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.service.followers import Subscribers
from bot.storage import Store, columns
from bot.storage.columns import read_columns

ROWS = "id, owner, delivery, guild_id, channel_id, scope_kind, scope_id, leads, created"
# Owners the columns number at once, and every kind they must hand over as text instead.
OWNERS = [
    "discord:1",
    "discord:100000000000000002",
    "discord:0",
    "discord:999999999999999999",
    "discord:9223372036854775806",
    "discord:9223372036854775807",
    "discord:9223372036854775808",
    "discord:01",
    "discord:+3",
    "discord:-4",
    "discord: 5",
    "discord:",
    "discord",
    "discord:1,2",
    "discorc:7",
    "discord;7",
    "console",
    "",
]
SEPARATORS = ["\x1f", "\x1e", ","]


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """An empty database at the newest schema, made by the bot's own migrations once."""
    path = tmp_path_factory.mktemp("columns") / "template.sqlite3"

    async def make() -> None:
        store = await Store.open(f"sqlite+aiosqlite:///{path}")
        await store.close()

    asyncio.run(make())
    return path


def _database(template: Path, folder: Path, rows: list[tuple[object, ...]]) -> Path:
    path = folder / "db.sqlite3"
    path.unlink(missing_ok=True)
    shutil.copyfile(template, path)
    with sqlite3.connect(path) as connection:
        connection.executemany(
            f"INSERT INTO subscriptions ({ROWS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
        )
    connection.close()
    return path


def _by_rows(path: Path) -> Subscribers:
    """The index as the other drivers build it: rows in batches (Store.read_subscriptions)."""
    held = Subscribers()
    with sqlite3.connect(path) as connection:
        cursor = connection.execute(f"SELECT {ROWS} FROM subscriptions ORDER BY id")
        while batch := cursor.fetchmany(4):
            held.extend(batch)
    connection.close()
    return held


def _by_columns(path: Path) -> Subscribers | None:
    held = Subscribers()
    return held if read_columns(path, held.extend_columns, held.settle) else None


def _answers(held: Subscribers) -> tuple[object, ...]:
    """Everything the index answers: its rows, each scope's leads, and per owner and channel."""
    rows = sorted(held.every_row(), key=lambda r: r.id)
    owners = {r.owner for r in rows} | {"discord:1", "nobody"}
    scopes = {(r.scope_kind.value, r.scope_id) for r in rows}
    return (
        rows,
        len(held),
        {scope: dict(+held.scopes[scope].lead_counts) for scope in scopes},
        {
            (owner, channel): sorted(held.of(owner, channel), key=lambda r: r.id)
            for owner in owners
            for channel in ("", "10")
        },
        {(owner, scope): held.has_dm(owner, scope) for owner in owners for scope in scopes},
        {
            scope: [
                (held.owners.owner(code), delivery, channel, leads, created)
                for code, delivery, channel, leads, created in held.deliveries_of(
                    held.scopes[scope]
                )
            ]
            for scope in scopes
        },
    )


row = st.tuples(
    st.sampled_from(OWNERS),
    st.sampled_from(["me", "here", "channel"]),
    st.sampled_from([None, "", "9", "1100000000000000001"]),
    st.sampled_from(["", "10", "100000000000000499"]),
    st.sampled_from(["all", "body", "topic", "meeting"]),
    st.sampled_from(["", "ptc", "ptc-211-212", "t:1", "é"]),
    st.sampled_from([None, "", "60", "10080,1440"]),
    st.integers(-(2**40), 2**40),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(row, max_size=40, unique_by=lambda r: (r[0], r[1], r[3], r[4], r[5])),
    st.lists(st.integers(1, 2**63 - 1), min_size=40, max_size=40, unique=True),
    st.integers(1, 5),
)
def test_the_columns_give_the_index_that_rows_give(template, tmp_path, made, ids, chunk):
    # Ids sparse and up to the largest SQLite has, chunks of a few rows: each chunk's bounds
    # are crossed.
    rows = [(ids[n], *values) for n, values in enumerate(made)]
    path = _database(template, tmp_path, rows)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(columns, "CHUNK", chunk)
        fast = _by_columns(path)
    assert fast is not None
    assert _answers(fast) == _answers(_by_rows(path))


@pytest.mark.parametrize("separator", SEPARATORS)
@pytest.mark.parametrize("column", ["owner", "guild_id", "channel_id", "scope_id"])
def test_a_value_holding_a_separator_gives_the_same_index_or_none(
    template, tmp_path, column, separator
):
    plain = {"owner": "discord:5", "guild_id": "9", "channel_id": "10", "scope_id": "ptc"}
    odd = {**plain, "owner": "discord:6", column: f"a{separator}b"}
    rows = [
        (n, v["owner"], "here", v["guild_id"], v["channel_id"], "body", v["scope_id"], "60", n)
        for n, v in [(1, plain), (2, odd), (3, dict(plain, owner="discord:7"))]
    ]
    path = _database(template, tmp_path, rows)
    fast = _by_columns(path)
    # An owner not "discord:..." is read on its own; a text column holding the separator
    # between rows cannot be split: the caller reads rows instead.
    assert (fast is None) == (separator == "\x1f" and column != "owner")
    if fast is not None:
        assert _answers(fast) == _answers(_by_rows(path))


@pytest.mark.parametrize("delivery", ["pigeon", "", "Me", "me "])
def test_a_delivery_this_version_does_not_know_gives_none(template, tmp_path, delivery):
    # Deliveries come as one digit a row: an unknown one must not be taken for another (nor
    # shift the rest); the caller reads rows instead, which name it.
    rows = [
        (n, f"discord:{n}", value, None, "", "all", "", None, n)
        for n, value in enumerate(["me", delivery, "channel"], 1)
    ]
    assert _by_columns(_database(template, tmp_path, rows)) is None


def test_an_empty_table_gives_an_empty_index(template, tmp_path):
    fast = _by_columns(_database(template, tmp_path, []))
    assert fast is not None and len(fast) == 0 and list(fast.every_row()) == []


def test_a_million_rows_never_sit_in_one_text(template, tmp_path):
    # The texts of a chunk, not of the table: at most CHUNK rows are handed over at once.
    rows = [(n, f"discord:{n}", "me", None, "", "all", "", None, n) for n in range(1, 2_501)]
    sizes, held = _chunk_sizes(_database(template, tmp_path, rows), 1_000)
    assert sizes == [1_000, 1_000, 500]
    assert len(held) == 2_500


def _chunk_sizes(path, chunk):
    sizes: list[int] = []
    held = Subscribers()

    def consume(columns_read):
        sizes.append(len(columns_read))
        return held.extend_columns(columns_read)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(columns, "CHUNK", chunk)
        assert read_columns(path, consume, held.settle)
    return sizes, held


def test_a_chunk_holds_at_most_chunk_rows_where_ids_crowd_after_a_gap(template, tmp_path):
    # Regression (review of issue 16): chunks spanned ranges of ids, widened where ids were
    # sparse; one row, then a dense block, put the whole block in one text.
    ids = [1, *range(5_000, 7_500)]
    rows = [(n, f"discord:{n}", "me", None, "", "all", "", None, n) for n in ids]
    sizes, held = _chunk_sizes(_database(template, tmp_path, rows), 1_000)
    assert max(sizes) <= 1_000 and sum(sizes) == len(held) == 2_501


def test_nineteen_digit_snowflakes_are_numbered_at_once(template, tmp_path):
    # Regression (review of issue 16): Discord's ids since 2022 have 19 digits; the columns
    # took at most 18, and every chunk holding one read its owners row by row.
    owners = ["discord:1234567890123456789", "discord:9223372036854775807", "discord:5"]
    rows = [(n, owner, "me", None, "", "all", "", None, n) for n, owner in enumerate(owners, 1)]
    path = _database(template, tmp_path, rows)
    read = []
    with pytest.MonkeyPatch.context() as patch:
        original = columns._owner_numbers

        def watched(text, count):
            found = original(text, count)
            read.append(found is not None)
            return found

        patch.setattr(columns, "_owner_numbers", watched)
        fast = _by_columns(path)
    assert read == [True]
    assert fast is not None and _answers(fast) == _answers(_by_rows(path))


async def test_a_shared_in_memory_database_starts(tmp_path, monkeypatch):
    # Regression (review of issue 16): SQLAlchemy keeps a URI's mode=memory in url.query, so
    # the columns path opened a file of that name, empty, and start-up failed. Also: no
    # SQLAlchemy warning about guessing the pool (the tests turn warnings into errors).
    from bot.service.reminders import Reminders

    monkeypatch.chdir(tmp_path)
    url = "sqlite+aiosqlite:///file:named?mode=memory&cache=shared&uri=true"
    store = await Store.open(url)
    try:
        assert await store.read_subscription_columns(lambda chunk: True, lambda: None) is False
        await Reminders(None, store, None, None).load()  # type: ignore[arg-type]
    finally:
        await store.close()
    assert list(tmp_path.iterdir()) == []  # no file made for it (nor a lock beside one)
