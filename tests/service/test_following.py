"""Followed calendars (issue 12) against a local HTTP server that publishes a changing calendar:
the agenda, /history, notices, reminders and our own feeds follow; failures are recorded and
the last good reading kept; a 304 costs nothing."""

import json
from datetime import UTC, date, datetime

import pytest

from bot.core import FixedClock, Status
from bot.core.importing import meeting_id
from tests.conftest import MINI_DAY
from tests.service.calendar_server import CalendarServer
from tests.service.test_editing import EDITOR, sequence_of
from tests.service.test_reminders import MEMBER, RecordingSender, open_runtime


@pytest.fixture
async def server():
    published = await CalendarServer().start()
    published.publish("first.ics")
    yield published
    await published.stop()


@pytest.fixture
async def followed(mini, database, server):
    sender = RecordingSender()
    runtime = await open_runtime(mini, FixedClock(MINI_DAY), database, sender)
    reply = await runtime.runner.run("follow", {"url": server.url, "topics": "open data"}, EDITOR)
    assert reply.title == "Following a calendar", reply
    yield runtime, sender, reply
    await runtime.stop()


def ids(server, *keys):
    return [meeting_id(server.url, key) for key in keys]


async def read_again(runtime):
    (row,) = [row for row in await runtime.follower.feeds.all() if row.active]
    return await runtime.follower.read(row)


def titles(sender):
    return [message.reply.title for _, message, _ in sender.sent]


async def test_a_followed_calendar_brings_its_events_quietly_in_their_zones(followed, server):
    runtime, sender, reply = followed
    assert reply.body.startswith(f"Following Test Org Meetings ({server.url}). 7 events read: ")
    assert "7 added, 0 changed, 0 removed." in reply.body
    meetings = runtime.agenda.agenda.meetings
    retreat, forum, island = ids(
        server, "retreat@test.example", "forum@test.example", "island@test.example"
    )
    assert meetings[retreat].when.start_utc == datetime(2016, 4, 10, 8, tzinfo=UTC)
    assert meetings[retreat].venue == "Ghent" and meetings[retreat].status is Status.CONFIRMED
    assert meetings[retreat].topics == ("open-data",)
    # An all-day event east of UTC keeps its days, in the calendar's zone.
    assert (meetings[forum].when.first_day, meetings[forum].when.last_day) == (
        date(2016, 3, 15),
        date(2016, 3, 16),
    )
    assert meetings[forum].when.zone.key == "Pacific/Auckland"
    # 01:30 happens twice on Lord Howe Island that night: the first one, as the calendar says.
    assert meetings[island].when.start_utc == datetime(2016, 4, 2, 14, 30, tzinfo=UTC)
    assert meetings[island].when.zone.key == "Australia/Lord_Howe"
    weekly = [m for m in meetings.values() if m.title == "Weekly call"]
    assert [m.when.first_day.day for m in weekly] == [7, 14, 21]
    body = runtime.agenda.agenda.bodies[meetings[retreat].bodies[0]]
    assert (body.name, body.external) == ("Test Org Meetings", True)
    assert sender.sent == []  # the first reading brings them without a notice each


async def test_each_change_between_two_readings_is_a_revision_told_once(followed, server):
    runtime, sender, _ = followed
    await runtime.runner.run("subscribe", {"scope": "Test Org Meetings"})
    retreat, forum, seminar = ids(
        server, "retreat@test.example", "forum@test.example", "seminar@test.example"
    )
    before = sequence_of(runtime.feeds.public("meeting", retreat))
    server.publish("second.ics")
    reading = await read_again(runtime)
    assert (reading.added, reading.changed, reading.removed) == (0, 3, 1)
    meetings = runtime.agenda.agenda.meetings
    assert meetings[retreat].when.first_day == date(2016, 4, 17)
    assert meetings[seminar].status is Status.CANCELLED
    assert meetings[forum].status is Status.CANCELLED  # gone from the calendar: marked, kept
    assert sorted(titles(sender)) == [
        "Cancelled: Pacific forum",
        "Cancelled: Seminar",
        "New date: Board retreat",
        "New date: Weekly call",
    ]
    assert sequence_of(runtime.feeds.public("meeting", retreat)) == before + 1
    history = await runtime.runner.run("history", {"meeting": retreat})
    newest = history.fields[0].value
    assert "changed in Test Org Meetings" in newest and server.url in newest
    removed = (await runtime.runner.run("history", {"meeting": forum})).fields[0].value
    assert "no longer in Test Org Meetings" in removed
    await read_again(runtime)  # the same calendar again: a 304, nothing new
    assert server.requests[-1].get("If-None-Match")
    assert len(titles(sender)) == 4


async def test_an_editors_change_stands_until_the_calendar_changes_that_field(followed, server):
    runtime, _, _ = followed
    (retreat,) = ids(server, "retreat@test.example")
    change = {"meeting": retreat, "venue": "Bruges", "source": "https://x.example/", "reason": "r"}
    await runtime.runner.run("manage change", change, EDITOR)
    server.publish("second.ics")
    await read_again(runtime)
    meeting = runtime.agenda.agenda.meetings[retreat]
    assert (meeting.venue, meeting.when.first_day) == ("Bruges", date(2016, 4, 17))


@pytest.mark.parametrize(
    ("content", "status", "problem"),
    [
        (b"this is not a calendar", 200, "not an iCalendar file"),
        (b"", 200, "not an iCalendar file"),
        (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:2016X\r\n", 200, "not an iCalendar file"),
        (None, 503, "the server answered 503"),
    ],
)
async def test_a_calendar_that_fails_keeps_its_last_good_reading(
    followed, server, content, status, problem
):
    runtime, sender, _ = followed
    before = dict(runtime.agenda.agenda.meetings)
    if content is not None:
        server.content = content
    server.status = status
    said = await read_again(runtime)
    assert isinstance(said, str) and problem in said
    assert runtime.agenda.agenda.meetings == before and sender.sent == []
    listed = await runtime.runner.run("following", {})
    text = listed.fields[0].value
    assert f"Last error: {problem}" in text and "the last good reading is kept" in text
    (row,) = await runtime.follower.feeds.all()
    assert row.failures == 1 and row.next_fetch > row.fetched  # tried again later


async def test_too_large_a_calendar_is_refused(followed, server):
    runtime, _, _ = followed
    runtime.follower.settings = type(runtime.follower.settings)(max_bytes=1000)
    server.publish("second.ics")
    assert "it is larger than 1,000 bytes" in await read_again(runtime)


async def test_following_needs_the_right_and_a_web_address(followed, server):
    runtime, _, _ = followed
    refused = await runtime.runner.run("follow", {"url": server.url}, MEMBER)
    assert refused.title == "Only editors change the agenda"
    again = await runtime.runner.run("follow", {"url": server.url}, EDITOR)
    assert again.title == "Already following that calendar"
    for bad in ("ftp://x.example/a.ics", "calendar.ics", "https://", "https://x.example/a b"):
        reply = await runtime.runner.run("follow", {"url": bad}, EDITOR)
        assert reply.title == "That calendar address does not work", bad


async def test_unfollowing_keeps_the_meetings_and_stops_reading(followed, server):
    runtime, _, _ = followed
    reply = await runtime.runner.run("unfollow", {"url": server.url}, EDITOR)
    assert reply.title == "No longer following" and "Its 7 meetings stay" in reply.body
    assert len(runtime.agenda.agenda.meetings) == 9 + 7
    assert await runtime.runner.run("following", {}) == (await runtime.runner.run("following", {}))
    assert (await runtime.runner.run("following", {})).title == "No calendar is followed"
    count = len(server.requests)
    assert await runtime.follower.read_due() > 0
    assert len(server.requests) == count


async def test_webcal_is_read_over_https(mini, database):
    runtime = await open_runtime(mini, FixedClock(MINI_DAY), database)
    try:
        reply = await runtime.runner.run("follow", {"url": "webcal://127.0.0.1:9/x.ics"}, EDITOR)
        assert "https://127.0.0.1:9/x.ics" in reply.body and "could not be read yet" in reply.body
    finally:
        await runtime.stop()


async def test_followed_meetings_survive_a_restart_and_export_as_data_that_check_accepts(
    followed, server, database, mini, tmp_path
):
    from tests.console.test_console import run_bot

    runtime, _, _ = followed
    before = runtime.agenda.everything.meetings
    await runtime.stop()
    again = await open_runtime(mini, FixedClock(MINI_DAY), database)
    try:
        assert again.agenda.everything.meetings.keys() == before.keys()
        (island,) = ids(server, "island@test.example")
        assert again.agenda.agenda.meetings[island].when == before[island].when
    finally:
        await again.stop()
    exported = tmp_path / "exported"
    from tests.conftest import MINI_DATA

    env = {"DATABASE_URL": database, "AGENDA_DATA_DIR": str(MINI_DATA)}
    result = run_bot("export-data", str(exported), env=env)
    assert result.returncode == 0, result.stderr
    checked = run_bot("check", str(exported))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "[[feed]]" in (exported / "feeds.toml").read_text()
    assert json.dumps(server.url)[1:-1] in (exported / "feeds.toml").read_text()


def test_a_one_off_import_previews_then_adds_and_a_second_import_changes(tmp_path):
    from tests.conftest import MINI_DATA
    from tests.console.test_console import run_bot
    from tests.service.calendar_server import CALENDARS

    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
        "AGENDA_DATA_DIR": str(MINI_DATA),
    }
    as_of = ("--as-of", "2016-03-01")
    first = str(CALENDARS / "first.ics")
    preview = run_bot("import", first, "--dry-run", *as_of, env=env)
    assert preview.returncode == 0, preview.stderr
    assert "**Import from Test Org Meetings: a preview**" in preview.stdout
    assert "7 events read: 7 added, 0 changed, 0 removed. Nothing was saved" in preview.stdout
    assert "• added: Board retreat (`" in preview.stdout
    done = run_bot("import", first, *as_of, env=env)
    assert done.returncode == 0 and "**Imported from Test Org Meetings**" in done.stdout
    asked = run_bot("ask", "/meeting Board retreat", *as_of, env=env)
    assert "Sun 10 Apr 2016, 10:00" in asked.stdout and "Test Org Meetings" in asked.stdout
    second = tmp_path / "second.ics"
    second.write_bytes((CALENDARS / "second.ics").read_bytes())
    again = run_bot("import", str(second), "--body", "board", *as_of, env=env)
    # Another file is another source: its events are new meetings, nothing is taken away.
    assert "6 events read: 6 added, 0 changed, 0 removed." in again.stdout
    unknown = run_bot("import", str(second), "--body", "nobody", *as_of, env=env)
    assert unknown.returncode != 0 and "No body is called 'nobody'" in unknown.stdout
    missing = run_bot("import", str(tmp_path / "none.ics"), *as_of, env=env)
    assert missing.returncode != 0 and "Cannot read" in missing.stderr
    checked = run_bot("export-data", str(tmp_path / "out"), *as_of, env=env)
    assert checked.returncode == 0, checked.stderr
    assert run_bot("check", str(tmp_path / "out")).returncode == 0


async def test_calendars_the_data_files_list_are_followed_at_start(mini, database, server):
    from dataclasses import replace

    from bot.core import FeedSpec, Kind

    listed = replace(mini, follows=(FeedSpec(server.url, "board", Kind.WORKSHOP, ()),))
    runtime = await open_runtime(listed, FixedClock(MINI_DAY), database)
    try:
        await runtime.follower.read_due()
        (retreat,) = ids(server, "retreat@test.example")
        meeting = runtime.agenda.agenda.meetings[retreat]
        assert (meeting.bodies, meeting.kind) == (("board",), Kind.WORKSHOP)
        (row,) = await runtime.follower.feeds.all()
        assert row.by == "data" and row.active
    finally:
        await runtime.stop()
