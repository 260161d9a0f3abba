"""Editors change the agenda (/manage): each edit a revision, stored, applied at once, told to
followers once, counted by calendars, listed by /history, undone, exported back to data files."""

import asyncio
from datetime import UTC, datetime

import pytest

from bot.core import FixedClock, Tone
from bot.service import CONSOLE_CALLER, Caller, load_agenda
from tests.conftest import MINI_DATA, MINI_DAY
from tests.console.test_console import run_bot
from tests.service.test_reminders import MEMBER, RecordingSender, open_runtime

SOURCE = "https://example.org/board-calendar"
MOVE = {
    "meeting": "board-12",
    "start": "2016-03-11 14:00",
    "end": "2016-03-11 17:30",
    "source": SOURCE,
    "reason": "moved a week",
}
EDITOR = Caller("discord:5", guild_id="1", channel_id="10", can_manage=True, can_edit=True)


@pytest.fixture
async def edited(mini, database):
    sender = RecordingSender()
    runtime = await open_runtime(mini, FixedClock(MINI_DAY), database, sender)
    await runtime.runner.run("subscribe", {"scope": "board-12"})
    yield runtime, sender
    await runtime.stop()


def titles(sender):
    return [message.reply.title for _, message, _ in sender.sent]


def sequence_of(feed):
    """The SEQUENCE of the one event of a meeting's feed."""
    text = feed.content.decode()
    return int(text.split("SEQUENCE:", 1)[1].split("\r\n", 1)[0])


async def test_an_editor_moves_a_meeting_and_followers_are_told_once(edited):
    runtime, sender = edited
    before = sequence_of(runtime.feeds.public("meeting", "board-12"))
    points = {p.id for p in runtime.engine.points if p.key == "board-12"}
    reply = await runtime.runner.run("manage change", MOVE, EDITOR)
    assert reply.title == "Changed: Board of Directors, 12th Meeting"
    assert [f.name for f in reply.fields] == ["When"]
    assert titles(sender) == ["New date: Board of Directors, 12th Meeting"]
    moved = runtime.agenda.agenda.meetings["board-12"]
    assert moved.when.first_day.isoformat() == "2016-03-11"
    assert not points & {p.id for p in runtime.engine.points if p.key == "board-12"}
    assert sequence_of(runtime.feeds.public("meeting", "board-12")) > before
    history = await runtime.runner.run("history", {"meeting": "board 12"})
    newest = history.fields[0].value
    assert newest.startswith("• date: Fri 4 Mar 2016, 14:00–17:30 CET")
    assert "→ Fri 11 Mar 2016, 14:00–17:30 CET" in newest
    assert "Why: moved a week" in newest and SOURCE in newest and "Edited by <@5>" in newest
    changes = await runtime.runner.run("changes", {})
    assert changes.fields[0].name.startswith("Board of Directors, 12th Meeting · ")
    assert len(titles(sender)) == 1  # nothing told twice


async def test_a_preview_saves_nothing(edited):
    runtime, sender = edited
    preview = await runtime.runner.run("manage change", MOVE, EDITOR, preview=True)
    assert preview.tone is Tone.PREVIEW and preview.title.startswith("Preview: ")
    assert runtime.agenda.agenda.meetings["board-12"].when.first_day.isoformat() == "2016-03-04"
    assert sender.sent == []


async def test_undo_reverts_the_latest_edit_by_a_new_revision(edited):
    runtime, sender = edited
    await runtime.runner.run("manage change", MOVE, EDITOR)
    undone = await runtime.runner.run("manage undo", {"meeting": "board-12"}, EDITOR)
    assert undone.title == "Changed: Board of Directors, 12th Meeting"
    meeting = runtime.agenda.agenda.meetings["board-12"]
    assert meeting.when.first_day.isoformat() == "2016-03-04"
    assert [r.why for r in meeting.history][-1] == "undo: moved a week"
    assert titles(sender) == ["New date: Board of Directors, 12th Meeting"] * 2
    nothing = await runtime.runner.run("manage undo", {"meeting": "tc-7"}, EDITOR)
    assert nothing.title == "Nothing to undo"


async def test_status_edits_follow_the_lifecycle(edited):
    runtime, sender = edited
    postponed = await runtime.runner.run(
        "manage postpone", {"meeting": "board-12", "reason": "no quorum"}, EDITOR
    )
    assert postponed.title.startswith("Changed")
    assert titles(sender) == ["Postponed: Board of Directors, 12th Meeting"]
    assert not [p for p in runtime.engine.points if p.key == "board-12"]
    back = await runtime.runner.run("manage confirm", {"meeting": "board-12"}, EDITOR)
    assert back.title.startswith("Changed") and titles(sender)[-1].startswith("Back on the agenda")
    await runtime.runner.run("manage cancel", {"meeting": "board-12", "reason": "off"}, EDITOR)
    refused = await runtime.runner.run("manage confirm", {"meeting": "board-12"}, EDITOR)
    assert refused.is_error and refused.title == (
        "Board of Directors, 12th Meeting cannot become confirmed"
    )


async def test_an_editor_adds_a_meeting(edited):
    runtime, sender = edited
    await runtime.runner.run("subscribe", {"scope": "board"})
    added = await runtime.runner.run(
        "manage add",
        {
            "title": "Board of Directors, 13th Meeting",
            "body": "the board",
            "kind": "session",
            "start": "2016-06",
            "source": SOURCE,
            "topics": "open data",
        },
        EDITOR,
    )
    assert added.title == "Added: Board of Directors, 13th Meeting"
    assert "`board-of-directors-13-meeting`" in added.body
    found = await runtime.runner.run("meeting", {"meeting": "board-of-directors-13-meeting"})
    assert found.title == "Board of Directors, 13th Meeting"
    assert found.fields[0].value.startswith("June 2016 (days not yet known)")
    assert titles(sender) == ["New on the agenda: Board of Directors, 13th Meeting"]


@pytest.mark.parametrize(
    ("options", "title"),
    [
        ({**MOVE, "start": "2016-02-30"}, "That date does not work"),
        ({**MOVE, "source": "example.org"}, "That source does not work"),
        ({**MOVE, "start": None, "end": None, "venue": ""}, "Nothing to change"),
        (
            {**MOVE, "status": "planned", "start": None, "end": None},
            "Board of Directors, 12th Meeting cannot",
        ),
        ({**MOVE, "meeting": "qqqq"}, "No meeting matches 'qqqq'"),
        ({**MOVE, "timezone": "Europe/Brusels"}, "That time zone does not work"),
        ({**MOVE, "meeting": "tc-7", "start": "TBA", "end": None}, "That change does not work"),
    ],
)
async def test_edits_that_cannot_work_say_what_to_write(edited, options, title):
    runtime, sender = edited
    reply = await runtime.runner.run("manage change", options, EDITOR)
    assert reply.is_error and reply.title.startswith(title), reply
    assert sender.sent == []


async def test_only_editors_change_the_agenda(edited):
    runtime, _ = edited
    refused = await runtime.runner.run("manage change", MOVE, MEMBER)
    assert refused.title == "Only editors change the agenda"
    assert runtime.agenda.agenda.meetings["board-12"].when.first_day.isoformat() == "2016-03-04"


async def test_edits_survive_a_restart_and_reach_another_process(mini, database):
    first = await open_runtime(mini, FixedClock(MINI_DAY), database)
    second = await open_runtime(mini, FixedClock(MINI_DAY), database)
    try:
        await first.runner.run("manage change", MOVE, CONSOLE_CALLER)
        assert await second.reload_edits_if_changed() is True
        assert second.agenda.agenda.meetings["board-12"].when.first_day.isoformat() == "2016-03-11"
        assert await first.reload_edits_if_changed() is False  # its own edit
    finally:
        await second.stop()
        await first.stop()
    again = await open_runtime(mini, FixedClock(MINI_DAY), database)
    try:
        assert again.agenda.agenda.meetings["board-12"].when.first_day.isoformat() == "2016-03-11"
    finally:
        await again.stop()


def test_export_data_writes_what_check_accepts_and_loads_the_same_agenda(mini, database, tmp_path):
    async def edit():
        runtime = await open_runtime(mini, FixedClock(MINI_DAY), database)
        try:
            await runtime.runner.run("manage change", MOVE, CONSOLE_CALLER)
            await runtime.runner.run(
                "manage cancel", {"meeting": "tc-joint", "reason": "storm"}, CONSOLE_CALLER
            )
            return runtime.agenda.everything
        finally:
            await runtime.stop()

    expected = asyncio.run(edit())
    out = tmp_path / "exported"
    done = run_bot(
        "export-data", str(out), "--data", str(MINI_DATA), env={"DATABASE_URL": database}
    )
    assert done.returncode == 0, done.stderr
    assert "9 meetings, 11 revisions (2 from the database)" in done.stderr
    checked = run_bot("check", str(out))
    assert checked.returncode == 0, checked.stderr
    assert same_agenda(load_agenda(out), expected)


def same_agenda(one, other):
    """Every meeting the same, with the same revisions known at the same instants."""
    assert one.meetings.keys() == other.meetings.keys()
    for meeting_id, meeting in one.meetings.items():
        theirs = other.meetings[meeting_id]
        for name in ("title", "when", "venue", "status", "topics", "outcome", "revision"):
            assert getattr(meeting, name) == getattr(theirs, name), (meeting_id, name)
        assert [r.known for r in meeting.history] == [r.known for r in theirs.history]
        assert [r.why for r in meeting.history] == [r.why for r in theirs.history]
        assert [r.by for r in meeting.history] == [r.by for r in theirs.history]
        assert [r.origin for r in meeting.history] == [r.origin for r in theirs.history]
        assert [r.sets for r in meeting.history] == [r.sets for r in theirs.history]
    return True


LATER = """
[[meeting]]
id = "extra"
title = "Extra Session"
bodies = ["board"]
kind = "session"
start = 2016-06-01
timezone = "Europe/Brussels"
status = "planned"
announced = 2016-01-01

[[meeting.history]]
known = 2016-03-01T12:00:01Z
start = 2016-07-01
note = "moved to July"
"""


async def test_a_revision_that_becomes_known_as_time_runs_on_is_told_and_planned(
    data_dir, database
):
    from bot.core import LivingClock

    agenda = load_agenda(data_dir(later=LATER))
    sender = RecordingSender()
    clock = LivingClock(datetime(2016, 3, 1, 12, tzinfo=UTC))  # the move becomes known in 1 s
    runtime = await open_runtime(agenda, clock, database, sender)
    try:
        await runtime.runner.run("subscribe", {"scope": "extra"})
        assert runtime.agenda.agenda.meetings["extra"].when.first_day.isoformat() == "2016-06-01"
        await asyncio.wait_for(sender.arrived.wait(), timeout=10)
        assert titles(sender) == ["New date: Extra Session"]
        assert runtime.agenda.agenda.meetings["extra"].when.first_day.isoformat() == "2016-07-01"
        assert {p.at.date().isoformat() for p in runtime.engine.points if p.key == "extra"} == {
            "2016-06-23",
            "2016-06-29",
        }
    finally:
        await runtime.stop()


# -- regressions (review of issue 11) ------------------------------------------------------------


def new_board_meeting(venue):
    return {
        "title": "Board Retreat",
        "body": "board",
        "kind": "session",
        "start": "2016-06",
        "venue": venue,
        "source": SOURCE,
    }


async def test_two_additions_at_once_get_two_meetings(edited):
    # Regression: both got the id board-retreat; the second became a revision of the first.
    runtime, _ = edited
    one, two = await asyncio.gather(
        runtime.runner.run("manage add", new_board_meeting("Ghent"), EDITOR),
        runtime.runner.run("manage add", new_board_meeting("Bruges"), EDITOR),
    )
    assert one.title == two.title == "Added: Board Retreat"
    added = {m.id: m.venue for m in runtime.agenda.agenda.meetings.values() if "retreat" in m.id}
    assert added == {"board-retreat": "Ghent", "board-retreat-2": "Bruges"}


async def test_a_process_that_has_not_reloaded_yet_keeps_cancelled_final(mini, database):
    # Regression: a second process confirmed a meeting the first had just cancelled.
    first = await open_runtime(mini, FixedClock(MINI_DAY), database)
    second = await open_runtime(mini, FixedClock(MINI_DAY), database)
    try:
        await first.runner.run("manage cancel", {"meeting": "tc-joint", "reason": "off"}, EDITOR)
        refused = await second.runner.run("manage confirm", {"meeting": "tc-joint"}, EDITOR)
        assert refused.is_error and refused.title.endswith("cannot become confirmed")
        assert second.agenda.agenda.meetings["tc-joint"].status.value == "cancelled"
    finally:
        await second.stop()
        await first.stop()


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"start": "0001-01-01"}, "0001-01-01 is outside the years 1900 to 2200"),
        ({"start": "9999-12-31 23:59"}, "9999-12-31T23:59:00 is outside the years 1900 to 2200"),
        ({"end": "2300-01-01"}, "2300-01-01 is outside the years 1900 to 2200"),
        ({"source": "https://example.org/" + "x" * 2000}, "is not a web address of at most"),
        ({"source": "https://" + "h" * 300 + ".org/"}, None),  # titled by its host, cut to 200
    ],
)
async def test_editors_dates_and_sources_follow_the_data_files_rules(edited, options, expected):
    # Regression: 0001-01-01 was "Sorry, that went wrong" (OverflowError); 9999 and a 2,000+
    # character source were saved, and export-data then wrote files that `check` refused.
    runtime, _ = edited
    reply = await runtime.runner.run("manage change", {**MOVE, **options}, EDITOR)
    if expected is None:
        assert reply.title.startswith("Changed"), reply
        source = runtime.agenda.agenda.meetings["board-12"].sources[-1]
        assert len(source.title) == 200
    else:
        assert reply.is_error and expected in reply.body, reply


async def test_confirming_what_is_already_confirmed_says_so(edited):
    runtime, _ = edited
    reply = await runtime.runner.run("manage confirm", {"meeting": "deadline"}, EDITOR)
    title = runtime.agenda.agenda.meetings["deadline"].title
    assert (reply.title, reply.body) == (f"{title} is already confirmed", "Nothing was changed.")


async def test_a_confirmed_preview_saves_only_what_it_showed(edited):
    # Regression: Discord's Confirm ran the command again, so an undo previewed before someone
    # else's edit reverted that other edit.
    runtime, _ = edited
    await runtime.runner.run("manage change", MOVE, EDITOR)
    shown = await runtime.runner.run("manage undo", {"meeting": "board-12"}, EDITOR, preview=True)
    venue = {**MOVE, "start": None, "end": None, "venue": "Ghent", "reason": "new venue"}
    await runtime.runner.run("manage change", venue, EDITOR)
    refused = await runtime.runner.run(
        "manage undo", {"meeting": "board-12"}, EDITOR, expect=shown.stamp
    )
    assert refused.is_error and refused.title.endswith("changed since your preview")
    meeting = runtime.agenda.agenda.meetings["board-12"]
    assert (meeting.venue, meeting.when.first_day.isoformat()) == ("Ghent", "2016-03-11")
    again = await runtime.runner.run("manage undo", {"meeting": "board-12"}, EDITOR, preview=True)
    saved = await runtime.runner.run(
        "manage undo", {"meeting": "board-12"}, EDITOR, expect=again.stamp
    )
    assert saved.title.startswith("Changed")


async def test_an_editor_says_which_of_a_time_that_happens_twice_is_meant(edited):
    runtime, _ = edited
    twice = {**MOVE, "start": "2016-10-30 02:30", "end": None}
    refused = await runtime.runner.run("manage change", twice, EDITOR)
    assert refused.is_error and "happens twice in Europe/Brussels" in refused.body
    saved = await runtime.runner.run(
        "manage change", {**twice, "start": "2016-10-30 02:30+01:00"}, EDITOR
    )
    assert saved.title.startswith("Changed"), saved
    when = runtime.agenda.agenda.meetings["board-12"].when
    assert when.start_utc == datetime(2016, 10, 30, 1, 30, tzinfo=UTC)
