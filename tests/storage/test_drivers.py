"""The storage interface and the delivery ledger, against each driver (SQLite, PostgreSQL)."""

import subprocess
import sys
from datetime import UTC, datetime, timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.storage import (
    Delivery,
    Edits,
    FollowedFeeds,
    LinkRow,
    ScopeKind,
    ServerEvents,
    Snapshot,
    Store,
)
from bot.storage.migrate import current_heads, head_on_file
from bot.storage.models import metadata as bot_metadata
from schedules import Claim, Ledger, State
from schedules import metadata as ledger_metadata

NOW = datetime(2016, 2, 1, 12, tzinfo=UTC)


async def test_migrations_create_exactly_the_models(database_url):
    store = await Store.open(database_url)
    try:

        def compare(connection):
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return context.get_current_revision(), compare_metadata(
                context, [bot_metadata, ledger_metadata]
            )

        async with store.engine.connect() as connection:
            revision, differences = await connection.run_sync(compare)
        assert revision in current_heads()
        assert differences == []
    finally:
        await store.close()
    again = await Store.open(database_url)  # a second start migrates nothing and fails nothing
    await again.close()


def test_the_head_read_from_the_migration_files_is_alembics():
    # Start-up compares the database with the newest migration without importing Alembic
    # (issue 16: with Mako and Pygments, most of a second at every start).
    assert head_on_file() is not None
    assert (head_on_file(),) == current_heads()


def test_a_start_at_the_newest_schema_does_not_import_alembic(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    program = (
        "import asyncio, sys\n"
        "from bot.storage import Store\n"
        "async def main():\n"
        f"    store = await Store.open({url!r})\n"
        "    await store.close()\n"
        "asyncio.run(main())\n"
        "print('alembic' in sys.modules)\n"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", program], capture_output=True, text=True, check=True
        ).stdout.strip()
        for _ in range(2)
    ]
    assert runs == ["True", "False"]  # the first start migrates a new file; the next does not


async def test_subscriptions(database_url):
    store = await Store.open(database_url)
    try:
        row, created = await store.subscribe(
            "discord:1", Delivery.HERE, ScopeKind.BODY, "ptc", [10080, 1440], NOW, "9", "10"
        )
        assert created and row.leads == (10080, 1440) and row.created == int(NOW.timestamp())
        same, created = await store.subscribe(
            "discord:1", Delivery.HERE, ScopeKind.BODY, "ptc", [60], NOW, "9", "10"
        )
        assert not created and same.id == row.id and same.leads == (60,)
        await store.subscribe("discord:2", Delivery.CHANNEL, ScopeKind.ALL, "", [], NOW, "9", "10")
        await store.add_subscriptions(
            dict(
                owner=f"discord:{n}",
                delivery="me",
                guild_id=None,
                channel_id="",
                scope_kind="topic",
                scope_id="tfa",
                leads=None,
                created=n,
            )
            for n in range(100, 110)
        )
        rows = await store.subscriptions()
        assert len(rows) == 12
        assert {r.scope_kind for r in rows} == {ScopeKind.BODY, ScopeKind.ALL, ScopeKind.TOPIC}
        removed = await store.unsubscribe(Delivery.CHANNEL, None, None, None, "10")
        assert [r.owner for r in removed] == ["discord:2"]
        removed = await store.unsubscribe(Delivery.HERE, ScopeKind.BODY, "ptc", "discord:1", "10")
        assert len(removed) == 1
        assert len(await store.subscriptions()) == 10
    finally:
        await store.close()


async def test_reminders_settings_snapshots_and_feed_tokens(database_url):
    store = await Store.open(database_url)
    try:
        reminder = await store.add_reminder("console", "pc-74", None, NOW + timedelta(days=3), NOW)
        assert (await store.reminders())[0].at == NOW + timedelta(days=3)
        assert await store.remove_reminder(reminder.id, "someone else") is False
        assert await store.remove_reminder(reminder.id, "console") is True
        await store.set_user_timezone("console", "Europe/Brussels")
        await store.set_user_timezone("console", "America/Cancun")
        assert await store.user_timezone("console") == "America/Cancun"
        await store.set_guild_timezone("9", "Africa/Lome")
        assert await store.guild_timezone("9") == "Africa/Lome"
        snapshots = {"a": Snapshot("x"), "b": Snapshot("y", 2, 1_450_000_000)}
        await store.save_snapshots(snapshots)
        assert await store.snapshots() == snapshots
        token = await store.new_feed_token("discord:1", NOW)
        assert await store.feed_owner(token) == "discord:1"
        assert await store.feed_owner(token + "x") is None
        assert await store.revoke_feed_tokens("discord:1", NOW) == 1
        assert await store.feed_owner(token) is None
        record = store.record_feed_state
        assert await record("all:", '"e1"', 1_450_000_000) == ('"e1"', 1_450_000_000)
        # The same bytes keep their first date; another process's later date does not stick.
        assert await record("all:", '"e1"', 1_450_000_500) == ('"e1"', 1_450_000_000)
        assert await record("all:", '"e2"', 1_450_000_900) == ('"e2"', 1_450_000_900)
        # New bytes with an earlier date (a process that had not seen e2): still later.
        assert await record("all:", '"e3"', 1_450_000_000) == ('"e3"', 1_450_000_901)
        assert await store.feed_states() == {"all:": ('"e3"', 1_450_000_901)}
    finally:
        await store.close()


async def test_revisions_and_followed_calendars(database_url):
    store = await Store.open(database_url)
    try:
        edits = Edits(store.engine)
        many = [
            (f"m-{n}", 1_450_000_000 + n, "{}", "[]", "feed:1", "why", "feed") for n in range(300)
        ]
        stored = await edits.add_all(many)
        assert [(r.meeting_id, r.known) for r in stored] == [(m[0], m[1]) for m in many]
        assert [r.id for r in await edits.all()] == [r.id for r in stored]
        assert await edits.changed_elsewhere() is False
        feeds = FollowedFeeds(store.engine)
        row, new = await feeds.follow("https://x.example/a.ics", "", "session", "[]", "me", 5)
        assert new and row.active and row.next_fetch == 5
        await feeds.record(row.id, made_id="x-example", made_name="X", etag='"e"')
        assert (await feeds.unfollow(row.url)).active is False
        again, new = await feeds.follow(row.url, "", "session", "[]", "data", 9, again=False)
        assert not new and not again.active  # an unfollowed calendar stays so for the data files
        again, new = await feeds.follow(row.url, "board", "session", "[]", "me", 9)
        assert new and (again.body_id, again.made_id, again.etag) == ("board", "x-example", "")
        await feeds.keep_import("import:Cal", "cal", "Cal", 9)
        kept = await feeds.find("import:Cal")
        assert kept is not None and (kept.made_id, kept.active) == ("cal", False)
    finally:
        await store.close()


async def test_servers_events_interest_and_attendance(database_url):
    store = await Store.open(database_url)
    try:
        events = ServerEvents(store.engine)
        assert (await events.settings("g1")).mirror is False  # never set: the defaults
        row = await events.save_settings("g1", mirror=True, count=5, bodies="ptc,council")
        assert (row.mirror, row.count, row.body_ids) == (True, 5, ("ptc", "council"))
        await events.save_settings("g2", going_count=True)
        assert [r.guild_id for r in await events.mirroring()] == ["g1"]
        assert await events.counting() == ["g2"]
        await events.link("g1", "ptc-211", "900")
        await events.link("g1", "pc-74", "901")
        await events.link("g1", "ptc-211", "902")  # made again: the new event
        await events.dismiss("g1", "pc-74")
        assert await events.links("g1") == {
            "pc-74": LinkRow("901", True),
            "ptc-211": LinkRow("902", False),
        }
        assert await events.meeting_of("g1", "902") == "ptc-211"
        await events.clear_dismissed("g1")
        assert list(await events.links("g1")) == ["ptc-211"]
        await events.unlink("g1")
        assert await events.links("g1") == {}
        assert await events.changed_elsewhere()  # settings saved since they were last read
        await events.mirroring()
        assert not await events.changed_elsewhere()
        await events.add_interest("g1", "ptc-211", "900", "7", True)
        await events.add_interest("g1", "ptc-211", "900", "7", True)  # the same press twice
        await events.add_interest("g1", "ptc-211", "900", "8", False)
        assert await events.interested("g1", "ptc-211", "900") == {"7": True, "8": False}
        # Pressed again on the meeting's next event: the subscription stays the press's own.
        await events.add_interest("g1", "ptc-211", "902", "7", False)
        assert await events.interested("g1", "ptc-211", "900") == {"8": False}
        assert await events.interested("g1", "ptc-211", "902") == {"7": True}
        assert await events.interested_anywhere("ptc-211", "7")
        await events.hand_over("ptc-211", "8")
        assert await events.interested("g1", "ptc-211", "900") == {"8": True}
        assert await events.remove_interest("g1", "ptc-211", "7") is True
        assert await events.remove_interest("g1", "ptc-211", "7") is None
        assert not await events.interested_anywhere("ptc-211", "7")
        await events.attend("g2", "ptc-211", "discord:1", "yes", 10)
        await events.attend("g2", "ptc-211", "discord:2", "maybe", 11)
        await events.attend("g2", "ptc-211", "discord:1", "no", 12)  # changed their mind
        await events.attend("g2", "ptc-211", "discord:3", "yes", 13)
        assert await events.attendance("g2", "ptc-211") == [
            ("discord:2", "maybe"),
            ("discord:1", "no"),
            ("discord:3", "yes"),
        ]
        assert await events.going(["g2", "g1"]) == {("g2", "ptc-211"): 1}
    finally:
        await store.close()


async def test_the_ledger_claims_once(database_url):
    store = await Store.open(database_url)
    try:
        ledger = Ledger(store.engine)
        first = await ledger.claim("m|1440m|20160301T000000Z", "channel:1")
        assert first.claim is Claim.NEW and len(first.nonce) == 25
        again = await ledger.claim("m|1440m|20160301T000000Z", "channel:1", late=True)
        assert (again.claim, again.nonce) == (Claim.RESUME, first.nonce)
        assert await ledger.interrupted() == [("m|1440m|20160301T000000Z", "channel:1")]
        await ledger.finish("m|1440m|20160301T000000Z", "channel:1", State.SENT, None, "42")
        done = await ledger.claim("m|1440m|20160301T000000Z", "channel:1")
        assert done.claim is Claim.DONE
        assert await ledger.skip("m|10080m|20160223T000000Z", "channel:1", "why") is True
        assert await ledger.skip("m|10080m|20160223T000000Z", "channel:1", "why") is False
        records = await ledger.records(["channel:1"])
        assert [(r.state, r.late) for r in records] == [(State.SKIPPED, False), (State.SENT, True)]
        assert await ledger.known(["m|1440m|20160301T000000Z", "other"]) == {
            ("m|1440m|20160301T000000Z", "channel:1")
        }
        await ledger.set_state("last_alive", "2016-02-01T00:00:00+00:00")
        await ledger.set_state("last_alive", "2016-02-02T00:00:00+00:00")
        assert await ledger.get_state("last_alive") == "2016-02-02T00:00:00+00:00"
    finally:
        await store.close()


async def test_first_starts_at_once_both_open_a_new_database(database_url):
    # Regression (issue 8): two first starts raced on the migrations ("table ... already
    # exists"); they now take turns (a lock file on SQLite, an advisory lock on PostgreSQL).
    import asyncio

    stores = await asyncio.gather(*(Store.open(database_url) for _ in range(4)))
    for store in stores:
        assert await store.revision() == 0
        await store.close()


async def test_instants_stored_as_datetimes_are_converted_to_epoch_seconds(database_url):
    # Issue 10: one form for every instant; rows written before the change keep their times.
    import sqlalchemy as sa
    from alembic import command
    from sqlalchemy.ext.asyncio import create_async_engine

    from bot.storage.migrate import _config

    at, finished = datetime(2016, 3, 1, 9, tzinfo=UTC), datetime(2016, 2, 3, 4, 5, 6, tzinfo=UTC)
    reminders = sa.table(
        "personal_reminders",
        sa.column("owner"),
        sa.column("meeting_id"),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    deliveries = sa.table(
        "deliveries",
        sa.column("fire_point"),
        sa.column("destination"),
        sa.column("state"),
        sa.column("nonce"),
        sa.column("late"),
        sa.column("attempts"),
        sa.column("claimed_at", sa.DateTime(timezone=True)),
        sa.column("finished_at", sa.DateTime(timezone=True)),
    )
    engine = create_async_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(lambda sync: command.upgrade(_config(sync), "0003"))
        await connection.execute(
            sa.insert(reminders).values(owner="console", meeting_id="pc-74", at=at, created_at=NOW)
        )
        await connection.execute(
            sa.insert(deliveries).values(
                fire_point="pc-74|1440m|20151207T000000Z",
                destination="console",
                state="sent",
                nonce="n",
                late=False,
                attempts=1,
                claimed_at=finished,
                finished_at=finished,
            )
        )
    await engine.dispose()
    store = await Store.open(database_url)
    try:
        (row,) = await store.reminders()
        assert (row.at, row.created_at) == (at, NOW)
        (record,) = await Ledger(store.engine).records(["console"])
        assert record.finished_at == finished
    finally:
        await store.close()


async def test_a_database_of_the_last_release_upgrades_and_keeps_what_followers_were_told(
    database_url,
):
    # The last release's schema is 0002: its snapshots keep their counts, and the counters
    # that tell other processes of new subscriptions and edits start from nothing.
    import sqlalchemy as sa
    from alembic import command
    from sqlalchemy.ext.asyncio import create_async_engine

    from bot.storage.migrate import _config

    snapshots = sa.table(
        "meeting_snapshots",
        sa.column("meeting_id"),
        sa.column("fingerprint"),
        sa.column("changes"),
        sa.column("changed"),
    )
    engine = create_async_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(lambda sync: command.upgrade(_config(sync), "0002"))
        await connection.execute(
            sa.insert(snapshots).values(
                meeting_id="pc-74", fingerprint="planned|tba", changes=2, changed=1_450_000_000
            )
        )
    await engine.dispose()
    store = await Store.open(database_url)
    try:
        assert await store.snapshots() == {"pc-74": Snapshot("planned|tba", 2, 1_450_000_000, 0)}
        assert await store.revision() == 0
        await store.subscribe("console", Delivery.DM, ScopeKind.ALL, None, [60], NOW)
        assert await store.revision() == 1
    finally:
        await store.close()
