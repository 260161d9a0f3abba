"""Regressions of issue 8 ("Reminders keep their word"), through the service on a real SQLite
file: no invented days, subscription edits from another process, extreme times, /remind cancel."""

import asyncio
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.core import FixedClock, Tone, When
from bot.service import CONSOLE_CALLER, Caller
from bot.storage import Delivery, ScopeKind, Store
from tests.conftest import revised
from tests.service.test_reminders import (
    MEMBER,
    NEWS_DAY,
    RecordingSender,
    commands,
    open_runtime,
)

ROOT = Path(__file__).resolve().parents[2]
OTHER = Caller("discord:43", guild_id="1", channel_id="10")


@pytest.fixture
async def runtime(wco, database):
    runtime = await open_runtime(wco, FixedClock(NEWS_DAY), database)
    yield runtime
    await runtime.stop()


def dated(agenda, meeting_id, first, last):
    zone = agenda.meetings[meeting_id].when.zone
    return revised(agenda, meeting_id, when=When.days(first, last, zone))


# -- 1. no invented days ------------------------------------------------------------------------


async def test_remind_before_a_meeting_known_only_by_its_year_invents_no_day(wco, database):
    # Regression: "/remind PC 75 when:1d before" answered "I will remind you here Wed 30 Dec
    # 2015, 23:00 UTC" for a meeting known only as "2016". On 23 October 2015 the 3rd Global
    # AEO Conference was known so: "in 2016".
    sender = RecordingSender()
    runtime = await open_runtime(wco, FixedClock(NEWS_DAY), database, sender)
    try:
        reply = await commands(runtime).personal.remind(CONSOLE_CALLER, "aeo-global-3", "1d before")
        assert reply.tone is Tone.INFO
        assert reply.title == "Reminder kept: waiting for a date"
        assert reply.body == (
            "**3rd WCO Global AEO Conference** has no day yet: 2016 (month and day not yet "
            "known). I will remind you here 1d before it as soon as its day is announced, and "
            "tell you when it is."
        )
        assert "Dec 2015" not in reply.body
        assert not [p for p in runtime.engine.points if p.key == "aeo-global-3"]
        listed = await commands(runtime).overview(CONSOLE_CALLER)
        assert listed.fields[-1].value == (
            "Waiting for a date: 1d before 3rd WCO Global AEO Conference (reminder 1)"
        )
        # The day is announced: the reminder is planned and its owner is told.
        await runtime.replace_agenda(
            dated(wco, "aeo-global-3", date(2016, 6, 20), date(2016, 6, 22))
        )
        leads = {p.lead for p in runtime.engine.points if p.key == "aeo-global-3"}
        assert timedelta(days=1) in leads  # the reminder's, beside the ladder's
        assert [m.reply.title for _, m, _ in sender.sent] == [
            "Date set: 3rd WCO Global AEO Conference"
        ]
        listed = await commands(runtime).overview(CONSOLE_CALLER)
        assert listed.fields[-1].value == (
            "Sun 19 Jun 2016, 05:00 UTC: 1d before 3rd WCO Global AEO Conference (reminder 1)"
        )
    finally:
        await runtime.stop()


async def test_reminders_list_no_fire_time_for_a_meeting_known_only_by_its_year(runtime):
    # Regression: "/subscribe Policy Commission lead:3d" then "/reminders" listed "Mon 28 Dec
    # 2015 ... 3d before Policy Commission, 75th Session", which never fires. On 23 October 2015
    # the agenda knew the Global AEO Conference by its year.
    subscribed = await commands(runtime).subscribe(CONSOLE_CALLER, "Global AEO Conference", "3d")
    assert subscribed.fields[-1].value == (
        "Waiting for a date: 3rd WCO Global AEO Conference (2016, month and day not yet known)."
    )
    listed = await commands(runtime).overview(CONSOLE_CALLER)
    value = listed.fields[0].value
    assert "3d before 3rd WCO Global AEO Conference" not in value
    assert "Waiting for a date: 3rd WCO Global AEO Conference" in value


async def test_remind_refuses_a_cancelled_meeting_and_keeps_a_postponed_one(mini, database):
    from bot.core import Status

    runtime = await open_runtime(mini, FixedClock(datetime(2016, 2, 1, tzinfo=UTC)), database)
    try:
        refused = await commands(runtime).personal.remind(CONSOLE_CALLER, "cancelled-1", "1d")
        assert refused.is_error and refused.title == "Cancelled seminar is cancelled"
        await runtime.replace_agenda(
            revised(mini, "tc-7", datetime(2016, 2, 1, tzinfo=UTC), status=Status.POSTPONED)
        )
        kept = await commands(runtime).personal.remind(CONSOLE_CALLER, "tc-7", "1d before")
        assert kept.title == "Reminder kept: waiting for a date"
        assert "is postponed; no new date is known yet" in kept.body
    finally:
        await runtime.stop()


# -- 5. subscription edits from another process ------------------------------------------------


async def test_a_subscription_edited_by_another_process_reaches_the_running_bot(wco, database):
    # Regression: `ask "/subscribe PTC lead:2h"` changed an existing subscription; the running
    # bot compared (row count, highest id), which an update leaves alone, and kept 7d.
    runtime = await open_runtime(wco, FixedClock(NEWS_DAY), database)
    try:
        await commands(runtime).subscribe(CONSOLE_CALLER, "PTC", "7d")
        assert await runtime.reload_subscriptions_if_changed() is False  # our own write
        other = await Store.open(database)  # what `ask` does, in its own process
        _, created = await other.subscribe(
            "console", Delivery.DM, ScopeKind.BODY, "ptc", [120], NEWS_DAY
        )
        assert not created
        await other.close()
        assert await runtime.reload_subscriptions_if_changed() is True
        leads = {p.lead for p in runtime.engine.points if p.key == "ptc-211-212"}
        assert timedelta(hours=2) in leads
        assert [r.leads for r in runtime.reminders.audience.subscriptions()] == [(120,)]
    finally:
        await runtime.stop()


async def test_a_subscription_replaced_under_the_same_id_by_another_process_is_seen(wco, database):
    # Regression: SQLite reuses the highest id after a delete and an insert, so (count, max id)
    # did not move when another process unsubscribed and subscribed to something else.
    runtime = await open_runtime(wco, FixedClock(NEWS_DAY), database)
    try:
        await commands(runtime).subscribe(CONSOLE_CALLER, "PTC")
        other = await Store.open(database)
        await other.unsubscribe(Delivery.DM, None, None, "console")
        row, _ = await other.subscribe(
            "console", Delivery.DM, ScopeKind.MEETING, "pc-74", [], NEWS_DAY
        )
        await other.close()
        assert row.id == 1  # the same id again
        assert await runtime.reload_subscriptions_if_changed() is True
        assert [r.scope_id for r in runtime.reminders.audience.subscriptions()] == ["pc-74"]
    finally:
        await runtime.stop()


# -- 6. first starts racing on migrations ------------------------------------------------------

OPEN_WHEN_TOLD = """
import asyncio, sys
from bot.storage import Store, StorageError

async def main():
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        store = await Store.open(sys.argv[1])
    except StorageError as problem:
        print(problem, flush=True)
        sys.exit(1)
    await store.close()
    print("opened", flush=True)

asyncio.run(main())
"""


async def test_first_starts_at_once_on_a_new_database_do_not_race_on_migrations(tmp_path):
    # Regression: two `python -m bot ask ...` at once on a new SQLite file: one answered
    # "Cannot start: ... table guild_settings already exists".
    url = f"sqlite+aiosqlite:///{tmp_path / 'new.sqlite3'}"
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            OPEN_WHEN_TOLD,
            url,
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(10)
    ]
    for process in processes:  # every one has imported everything and waits at the line
        assert await asyncio.wait_for(process.stdout.readline(), timeout=60) == b"ready\n"
    for process in processes:
        process.stdin.write(b"go\n")
    await asyncio.gather(*(p.stdin.drain() for p in processes))
    results = [await asyncio.wait_for(p.communicate(), timeout=60) for p in processes]
    outputs = [out.decode() + err.decode() for out, err in results]
    assert [p.returncode for p in processes] == [0] * 10, outputs


# -- 7. extreme times --------------------------------------------------------------------------


async def test_a_reminder_at_year_9999_is_refused_and_the_list_shows_in_every_zone(runtime):
    # Regression: after /timezone America/New_York, "/remind PTC 211 when:9999-12-31 23:59"
    # raised OverflowError; after it, /timezone Asia/Tokyo made every /reminders fail.
    await commands(runtime).timezone(MEMBER, "America/New_York")
    refused = await commands(runtime).personal.remind(MEMBER, "PTC 211", "9999-12-31 23:59")
    assert refused.is_error and refused.title == "When should I remind you?"
    assert "outside the years 1900 to 2200" in refused.body
    too_far = await commands(runtime).personal.remind(MEMBER, "IMSC next", "2199-12-31 23:59")
    assert too_far.title == "That is too far ahead"
    after = await commands(runtime).personal.remind(MEMBER, "PTC 211", "2016-03-05 09:00")
    assert after.title.startswith("That is after Permanent Technical Committee")
    await commands(runtime).timezone(MEMBER, "Asia/Tokyo")
    kept = await commands(runtime).personal.remind(MEMBER, "PTC 211", "2016-03-03 09:00")
    assert kept.title == "Reminder set"
    listed = await commands(runtime).overview(MEMBER)
    assert listed.tone is Tone.INFO


async def test_a_stored_time_that_cannot_be_shown_does_not_break_the_list(runtime):
    # A row kept before times were bounded (year 9999) is listed as stored, not a failure.
    row = await runtime.store.add_reminder(
        MEMBER.owner, "ptc-211-212", None, datetime(9999, 12, 31, 23, 59, tzinfo=UTC), NEWS_DAY
    )
    runtime.reminders.audience.add_reminder(row)
    await commands(runtime).timezone(MEMBER, "Asia/Tokyo")
    listed = await commands(runtime).overview(MEMBER)
    assert "9999-12-31 23:59 UTC" in listed.fields[-1].value


# -- /remind cancel ----------------------------------------------------------------------------


async def test_remind_cancel_takes_back_ones_own_reminder_by_its_number(runtime):
    personal = commands(runtime).personal
    first = await personal.remind(MEMBER, "PTC 211", "2d before")
    assert first.footer == "reminder 1 · `/remind cancel 1` takes it back"
    await personal.remind(OTHER, "PTC 211", "1d before")
    listed = await commands(runtime).overview(MEMBER)
    assert listed.fields[-1].value == (
        "Sun 28 Feb 2016, 23:00 UTC: 2d before Permanent Technical Committee, 211th/212th "
        "Sessions (reminder 1)"
    )
    assert [label for label, _ in personal.complete(MEMBER, "")] == [
        "1: 2d before Permanent Technical Committee, 211th/212th Sessions"
    ]
    assert personal.complete(MEMBER, "council") == []
    someone_elses = await personal.cancel(MEMBER, "2")
    assert someone_elses.tone is Tone.NOT_FOUND
    assert someone_elses.title == "You have no reminder '2'"
    points = len(runtime.engine.points)
    done = await personal.cancel(MEMBER, "reminder 1")
    assert done.title == "Reminder cancelled"
    assert done.body == (
        "No more reminder 2d before Permanent Technical Committee, 211th/212th Sessions "
        "(reminder 1)."
    )
    assert len(runtime.engine.points) == points - 1  # the 2d point was only this reminder's
    assert (await personal.cancel(MEMBER, "1")).tone is Tone.NOT_FOUND
    assert (await personal.cancel(MEMBER, "²")).tone is Tone.NOT_FOUND


async def test_remind_cancel_in_the_console(runtime):
    run = runtime.runner.run
    await run("remind me", {"meeting": "PTC 211", "when": "2d before"})
    reply = await run("remind cancel", {"reminder": "1"})
    assert reply.title == "Reminder cancelled"
