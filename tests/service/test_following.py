"""Followed calendars (issue 12) against a local HTTP server that publishes a changing calendar:
the agenda, /history, notices, reminders and our own feeds follow; failures are recorded and
the last good reading kept; a 304 costs nothing."""

import json
import time
from dataclasses import replace
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
    assert server.requests[-1].get("If-None-Match") and server.answered[-1] == 304
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
    assert row.failures == 1


async def test_each_failure_in_a_row_doubles_the_wait(followed, server):
    runtime, _, _ = followed
    runtime.follower.settings = replace(runtime.follower.settings, jitter=0.0)
    server.status = 503
    waits = []
    for _ in range(3):
        await read_again(runtime)
        (row,) = await runtime.follower.feeds.all()
        waits.append(row.next_fetch - int(time.time()))
    hour = 3600
    assert [round(wait / hour) for wait in waits] == [2, 4, 8], waits
    server.status = 200
    await read_again(runtime)
    (row,) = await runtime.follower.feeds.all()
    assert (row.failures, round((row.next_fetch - int(time.time())) / hour)) == (0, 1)


async def test_too_large_a_calendar_is_refused_while_it_is_read(followed, server):
    """The limit holds for a calendar sent in chunks without a length, which never ends."""
    runtime, _, _ = followed
    runtime.follower.fetcher.max_bytes = 100_000
    reply = await runtime.runner.run(
        "follow", {"url": server.url.replace("org", "endless")}, EDITOR
    )
    assert "it is larger than 100,000 bytes" in reply.body


async def test_a_calendar_that_fails_in_an_unforeseen_way_does_not_stop_the_others(
    followed, server, monkeypatch
):
    runtime, _, _ = followed
    follower = runtime.follower
    await runtime.runner.run("follow", {"url": server.url + "?second"}, EDITOR)
    server.publish("second.ics")
    fetch = follower.fetcher.fetch

    async def surprising(url, etag, modified):
        if url.endswith("?second"):
            raise RuntimeError("a surprise")
        return await fetch(url, etag, modified)

    monkeypatch.setattr(follower.fetcher, "fetch", surprising)
    rows = [row for row in await follower.feeds.all() if row.active]
    first, second = await follower.read_many(rows)
    assert first.changed == 3 and second == "it could not be read (see the log)"
    assert [row.failures for row in await follower.feeds.all()] == [0, 1]


async def test_a_stopping_bot_reads_no_more_and_records_no_failure(followed, server):
    runtime, _, _ = followed
    runtime.follower.stop()
    server.publish("second.ics")
    count = len(server.requests)
    assert await read_again(runtime) is None
    (row,) = await runtime.follower.feeds.all()
    assert (row.failures, row.error, len(server.requests)) == (0, "", count)


async def test_following_needs_the_right_and_a_web_address(followed, server):
    runtime, _, _ = followed
    refused = await runtime.runner.run("follow", {"url": server.url}, MEMBER)
    assert refused.title == "Only editors change the agenda"
    again = await runtime.runner.run("follow", {"url": server.url}, EDITOR)
    assert again.title == "Already following that calendar"
    for bad in (
        "ftp://x.example/a.ics",
        "calendar.ics",
        "https://",
        "https://x.example/a b",
        "http://[::1",
        "http://[x]/",
        "https://exa..mple/a.ics",
        "https://x.example:99999/a.ics",
        "https://user:secret@x.example/a.ics",
    ):
        reply = await runtime.runner.run("follow", {"url": bad}, EDITOR)
        assert reply.title == "That calendar address does not work", bad


async def test_unfollowing_keeps_the_meetings_and_stops_reading(followed, server):
    runtime, _, _ = followed
    reply = await runtime.runner.run("unfollow", {"url": server.url}, EDITOR)
    assert reply.title == "No longer following" and "Its 7 meetings stay" in reply.body
    assert len(runtime.agenda.agenda.meetings) == 9 + 7
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
    # The same calendar (by its name) from another file: its meetings change, none is removed.
    assert "6 events read: 0 added, 3 changed, 0 removed." in again.stdout, again.stdout
    assert "No calendar is followed" in run_bot("ask", "/following", *as_of, env=env).stdout
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


async def test_a_calendar_named_like_one_of_our_bodies_gets_its_own(mini, database, server):
    """A calendar called "Board" does not file its meetings under our own Board."""
    server.content = server.content.replace(
        b"X-WR-CALNAME:Test Org Meetings", b"X-WR-CALNAME:Board"
    )
    runtime = await open_runtime(mini, FixedClock(MINI_DAY), database)
    try:
        await runtime.runner.run("follow", {"url": server.url}, EDITOR)
        (retreat,) = ids(server, "retreat@test.example")
        meeting = runtime.agenda.agenda.meetings[retreat]
        assert meeting.bodies == ("board-2",)
        bodies = runtime.agenda.agenda.bodies
        assert (bodies["board-2"].name, bodies["board-2"].external) == ("Board", True)
        assert bodies["board"].name == "Board of Directors" and not bodies["board"].external
    finally:
        await runtime.stop()


async def test_following_again_with_a_body_keeps_the_body_made_before(
    followed, server, database, mini
):
    runtime, _, _ = followed
    (retreat,) = ids(server, "retreat@test.example")
    made = runtime.agenda.agenda.meetings[retreat].bodies[0]
    await runtime.runner.run("unfollow", {"url": server.url}, EDITOR)
    await runtime.runner.run("follow", {"url": server.url, "body": "board"}, EDITOR)
    await runtime.stop()
    again = await open_runtime(mini, FixedClock(MINI_DAY), database)
    try:
        assert made in again.agenda.everything.bodies  # its meetings still name it
        assert again.agenda.agenda.meetings[retreat].bodies == (made,)
        (listed,) = (await again.runner.run("following", {})).fields
        assert listed.name == "Test Org Meetings · BoD"  # the body given now
        assert "Last read just now; 7 events." in listed.value
    finally:
        await again.stop()


async def test_a_past_event_that_leaves_the_calendar_is_not_cancelled(followed, server):
    """Many calendars list only what is coming: what has happened drops off, and is no
    cancellation (nor is what lies beyond the window read)."""
    runtime, sender, _ = followed
    (forum,) = ids(server, "forum@test.example")
    runtime.agenda.clock.set(datetime(2016, 3, 20, tzinfo=UTC))  # the forum has been held
    server.publish("second.ics")
    reading = await read_again(runtime)
    assert reading.removed == 0
    assert runtime.agenda.everything.meetings[forum].status is not Status.CANCELLED
    assert "Cancelled: Pacific forum" not in titles(sender)


async def test_unfollowing_a_calendar_the_data_files_list_stands(mini, database, server):
    from bot.core import FeedSpec, Kind

    listed = replace(mini, follows=(FeedSpec(server.url, "board", Kind.WORKSHOP, ()),))
    runtime = await open_runtime(listed, FixedClock(MINI_DAY), database)
    try:
        await runtime.runner.run("unfollow", {"url": server.url}, EDITOR)
        await runtime.follower.follow_listed(listed.follows)  # a reload of the data files
    finally:
        await runtime.stop()
    again = await open_runtime(listed, FixedClock(MINI_DAY), database)
    try:
        (row,) = await again.follower.feeds.all()
        assert not row.active
    finally:
        await again.stop()


async def test_export_data_leaves_out_a_listed_calendar_an_editor_unfollowed(
    database, server, tmp_path
):
    import shutil

    from bot.service import load_agenda
    from tests.conftest import MINI_DATA
    from tests.console.test_console import run_bot

    data = tmp_path / "data"
    shutil.copytree(MINI_DATA, data)
    (data / "feeds.toml").write_text(f'[[feed]]\nurl = "{server.url}"\nbody = "board"\n')
    runtime = await open_runtime(load_agenda(data), FixedClock(MINI_DAY), database)
    try:
        await runtime.runner.run("unfollow", {"url": server.url}, EDITOR)
    finally:
        await runtime.stop()
    env = {"DATABASE_URL": database, "AGENDA_DATA_DIR": str(data)}
    result = run_bot("export-data", str(tmp_path / "out"), env=env)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "out" / "feeds.toml").exists()
