"""A database this version of the bot cannot read (a newer version wrote it) stops the start
with a StorageError that says so, and leaves no connection open behind it; a saved time zone
this machine does not know gives way to the next one."""

import re
import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.core import FixedClock
from bot.service import AgendaService, Caller, Runtime
from bot.storage import StorageError, Store
from tests.service.test_reminders import NEWS_DAY, RecordingSender


async def _opened_and_stopped(service: AgendaService, url: str) -> None:
    runtime = await Runtime.open(service, RecordingSender(), database_url=url, default_zone=UTC)
    await runtime.start()
    await runtime.stop()


def _wal_left(database: Path) -> bool:
    """SQLite's write-ahead log is there while a connection is open; the last one removes it."""
    return database.with_name(f"{database.name}-wal").exists()


UTC = ZoneInfo("UTC")
UNKNOWN_SCOPE = (
    "INSERT INTO subscriptions (owner, delivery, guild_id, channel_id, scope_kind, scope_id, "
    "leads, created) VALUES ('console', 'channel', '', '', 'planet', 'x', NULL, 0)"
)


@pytest.fixture
def written(tmp_path):
    """A database the bot made, then changed by hand with `statement`: its file and URL."""

    async def write(service: AgendaService, statement: str) -> tuple[Path, str]:
        database = tmp_path / "bot.sqlite3"
        url = f"sqlite+aiosqlite:///{database}"
        await _opened_and_stopped(service, url)
        with sqlite3.connect(database) as connection:
            connection.execute(statement)
        connection.close()
        return database, url

    return write


async def test_a_failed_start_leaves_no_connection_open(wco, written):
    # Regression: Runtime.open did not close the store when the subscriptions could not be
    # read, so its connections (and SQLite's -wal file) outlived the failed start.
    service = AgendaService(wco, FixedClock(NEWS_DAY))
    database, url = await written(service, UNKNOWN_SCOPE)
    with pytest.raises(StorageError) as raised:
        await Runtime.open(service, RecordingSender(), database_url=url, default_zone=UTC)
    assert str(raised.value) == (
        "the subscriptions in the database cannot be read ('planet' is not a valid ScopeKind); "
        "a newer version of the bot probably wrote them: run that version"
    )
    assert not _wal_left(database)


PIGEON = UNKNOWN_SCOPE.replace("'channel', '', '', 'planet', 'x'", "'pigeon', '', '', 'all', ''")
NOT_A_LEAD = UNKNOWN_SCOPE.replace("'planet', 'x', NULL", "'all', '', 'soon'")


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        (PIGEON, "unknown value 'pigeon'"),
        (NOT_A_LEAD, "invalid literal for int() with base 10: 'soon'"),
    ],
    ids=["delivery", "lead"],
)
async def test_a_subscription_this_version_cannot_read_is_named(wco, written, statement, reason):
    # Regression: an unknown delivery ended the start with "KeyError: 'pigeon'".
    service = AgendaService(wco, FixedClock(NEWS_DAY))
    _, url = await written(service, statement)
    with pytest.raises(StorageError, match=re.escape(f"cannot be read ({reason}); a newer")):
        await Runtime.open(service, RecordingSender(), database_url=url, default_zone=UTC)


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        (UNKNOWN_SCOPE, "'planet' is not a valid ScopeKind"),
        (PIGEON, "unknown value 'pigeon'"),
        (NOT_A_LEAD, "invalid literal for int() with base 10: 'soon'"),
    ],
    ids=["kind", "delivery", "lead"],
)
async def test_read_by_rows_a_subscription_this_version_cannot_read_is_named(
    wco, written, monkeypatch, statement, reason
):
    # Regression (review): by rows (PostgreSQL), a scope was first read when the plan asked,
    # in Runtime.start, and "ValueError: 'planet' is not a valid ScopeKind" came from there.
    async def no_columns(*_):
        return False

    service = AgendaService(wco, FixedClock(NEWS_DAY))
    database, url = await written(service, statement)
    monkeypatch.setattr(Store, "read_subscription_columns", no_columns)
    with pytest.raises(StorageError, match=re.escape(f"cannot be read ({reason}); a newer")):
        await Runtime.open(service, RecordingSender(), database_url=url, default_zone=UTC)
    assert not _wal_left(database)


async def test_a_subscription_of_an_unknown_kind_is_kept_in_the_database(wco, written):
    service = AgendaService(wco, FixedClock(NEWS_DAY))
    database, url = await written(service, UNKNOWN_SCOPE)
    with pytest.raises(StorageError):
        await Runtime.open(service, RecordingSender(), database_url=url, default_zone=UTC)
    with sqlite3.connect(database) as connection:
        kinds = connection.execute("SELECT scope_kind FROM subscriptions").fetchall()
    connection.close()
    assert kinds == [("planet",)]


async def _opened_with_an_unknown_zone(wco, written) -> Runtime:
    """A runtime on a database where discord:42 saved a zone this machine does not know."""
    service = AgendaService(wco, FixedClock(NEWS_DAY))
    _, url = await written(
        service,
        "INSERT INTO user_settings (owner, timezone) VALUES ('discord:42', 'Mars/Olympus')",
    )
    return await Runtime.open(service, RecordingSender(), database_url=url, default_zone=UTC)


async def test_a_saved_zone_this_machine_lacks_gives_way_to_the_next_one(wco, written, caplog):
    # Regression: ZoneInfoNotFoundError from every /remind of that user (a database moved from
    # a machine with a newer time zone database).
    runtime = await _opened_with_an_unknown_zone(wco, written)
    try:
        member = Caller("discord:42", guild_id="1", channel_id="10")
        commands = runtime.runner.reminders
        assert await commands.zone_of(member) == UTC
        await runtime.store.set_guild_timezone("1", "America/Cancun")
        assert await commands.zone_of(member) == ZoneInfo("America/Cancun")
        reply = await commands.personal.remind(member, "PTC 211", "1d before")
        assert not reply.is_error, reply
    finally:
        await runtime.stop()
    assert "the time zone saved for discord:42, 'Mars/Olympus', is not in" in caplog.text


async def test_an_unknown_saved_zone_is_logged_once_not_at_every_command(wco, written, caplog):
    # Regression: the warning was logged again at every command of that user.
    runtime = await _opened_with_an_unknown_zone(wco, written)
    try:
        member = Caller("discord:42", guild_id="1", channel_id="10")
        for _ in range(3):
            assert await runtime.runner.reminders.zone_of(member) == UTC
        other = Caller("discord:43", guild_id="1", channel_id="10")
        await runtime.store.set_user_timezone("discord:43", "Mars/Olympus")
        assert await runtime.runner.reminders.zone_of(other) == UTC
    finally:
        await runtime.stop()
    said = [r.getMessage() for r in caplog.records if "is not in this machine's" in r.getMessage()]
    assert said == [
        "the time zone saved for discord:42, 'Mars/Olympus', is not in this machine's time zone "
        "database (update the tzdata package); using the next one known",
        "the time zone saved for discord:43, 'Mars/Olympus', is not in this machine's time zone "
        "database (update the tzdata package); using the next one known",
    ]


REVISION = (
    "INSERT INTO meeting_revisions (meeting_id, known, sets, sources, by, why, origin) "
    "VALUES ('ptc-209-210', 0, '{sets}', '[]', 'console', '', '{origin}')"
)


NEWER = "; a newer version of the bot probably wrote it: run that version"
OUTSIDE = "; the database was changed outside the bot: restore it from a backup"


@pytest.mark.parametrize(
    ("sets", "sources", "origin", "reason", "advice"),
    [
        ('{"status": "exploded"}', "[]", "editor", "'exploded' is not a valid Status", NEWER),
        ("{}", "[]", "martian", "'martian' is not a valid Origin", NEWER),
        ("not json", "[]", "editor", "Expecting value: line 1 column 1 (char 0)", NEWER),
        ("[1]", "[]", "editor", "its sets are not a JSON object", OUTSIDE),
        ('"text"', "[]", "editor", "its sets are not a JSON object", OUTSIDE),
        ("{}", "{}", "editor", "its sources are not a list of objects of texts", OUTSIDE),
        ("{}", "[1]", "editor", "its sources are not a list of objects of texts", OUTSIDE),
        (
            "{}",
            '[{"title": 1, "url": ""}]',
            "editor",
            "its sources are not a list of objects of texts",
            OUTSIDE,
        ),
        (
            '{"when": 5}',
            "[]",
            "editor",
            "'when' is not an object of texts with a time zone",
            OUTSIDE,
        ),
        (
            '{"when": {"start": [1], "timezone": "UTC"}}',
            "[]",
            "editor",
            "'when' is not an object of texts with a time zone",
            OUTSIDE,
        ),
        ('{"bodies": 5}', "[]", "editor", "'bodies' is not a list of texts", OUTSIDE),
        ('{"bodies": "ab"}', "[]", "editor", "'bodies' is not a list of texts", OUTSIDE),
        ('{"sessions": ["1"]}', "[]", "editor", "'sessions' is not a list of numbers", OUTSIDE),
        ('{"title": null}', "[]", "editor", "'title' is not a text", OUTSIDE),
        ('{"status": 1}', "[]", "editor", "'status' is not a text", OUTSIDE),
    ],
)
async def test_a_revision_this_version_cannot_read_is_named(
    wco, written, sets, sources, origin, reason, advice
):
    # Regression: "ValueError: 'exploded' is not a valid Status", "AttributeError: 'list'
    # object has no attribute 'items'" (or 'int' object has no attribute 'get', ...), with a
    # traceback, or a title of 'None' taken silently. What a newer version may have written is
    # told apart from what no version writes.
    service = AgendaService(wco, FixedClock(NEWS_DAY))
    statement = REVISION.format(sets=sets, origin=origin).replace("'[]'", f"'{sources}'")
    database, url = await written(service, statement)
    with pytest.raises(StorageError) as raised:
        await Runtime.open(service, RecordingSender(), database_url=url, default_zone=UTC)
    assert str(raised.value) == (
        f"revision 1 of the agenda in the database cannot be read ({reason}){advice}"
    )
    assert not _wal_left(database)
