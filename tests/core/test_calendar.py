"""The calendar read back with independent parsers (icalendar, recurring-ical-events) and checked
against the model."""

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from bot.core import Precision, Status, write_calendar
from bot.core.calendar import fold
from tests.conftest import MINI_DATA

GOLDEN = Path(__file__).parent / "golden"


def parse(content: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(content)


def events_by_uid(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_golden_file_is_byte_identical(mini):
    content = write_calendar(
        mini, mini.meetings.values(), name=mini.dataset.name, alarms=True
    ).content
    golden = GOLDEN / "mini-alarms.ics"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_bytes(content)
    assert content == golden.read_bytes()


def test_output_does_not_depend_on_hash_seeds(tmp_path):
    """ics keeps events and categories in sets: the order must not follow Python's hash seed."""
    outputs = []
    for seed in ("1", "2", "3"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        run = subprocess.run(
            [sys.executable, "-m", "bot", "export", "--data", str(MINI_DATA), "--alarms"],
            capture_output=True,
            env=env,
            check=True,
            timeout=60,
        )
        outputs.append(run.stdout)
    assert outputs[0] == outputs[1] == outputs[2]


@pytest.mark.parametrize("agenda_name", ["wco", "mini"])
def test_every_dated_meeting_is_in_the_calendar_as_the_model_says(request, agenda_name):
    agenda = request.getfixturevalue(agenda_name)
    written = write_calendar(agenda, agenda.meetings.values(), name="x")
    events = events_by_uid(parse(written.content))
    dated = [m for m in agenda.meetings.values() if m.when.precision.has_day]
    assert len(events) == len(dated) == len(written.included)
    assert {m.id for m in written.left_out} == {
        m.id for m in agenda.meetings.values() if not m.when.precision.has_day
    }
    for meeting in dated:
        event = events[f"{meeting.id}@{agenda.dataset.uid_domain}"]
        assert str(event["SUMMARY"]).endswith(meeting.title)
        assert int(event["SEQUENCE"]) == meeting.revision
        assert event["LAST-MODIFIED"].dt == meeting.updated
        assert event["DTSTAMP"].dt == meeting.updated
        expected_status = {
            Status.CANCELLED: "CANCELLED",
            Status.HELD: "CONFIRMED",
            Status.CONFIRMED: "CONFIRMED",
        }.get(meeting.status, "TENTATIVE")
        assert str(event["STATUS"]) == expected_status
        categories = [str(c) for c in event["CATEGORIES"].cats]
        assert meeting.kind.label in categories
        assert agenda.body_label(meeting.bodies[0]) in categories
        if meeting.venue:
            assert str(event["LOCATION"]) == meeting.venue
        if meeting.sources:
            assert str(event["URL"]) == meeting.sources[0].url
            for source in meeting.sources:
                assert source.url in str(event["DESCRIPTION"])
        start, end = event["DTSTART"].dt, event["DTEND"].dt
        if meeting.when.precision is Precision.DAY:
            # All-day: plain dates, the venue's own days, exclusive end.
            assert type(start) is date and type(end) is date
            assert start == meeting.when.first_day
            assert end == meeting.when.last_day + timedelta(days=1)
        else:
            # Timed: the venue's wall time with its zone, the same instant.
            assert start == meeting.when.start_utc
            assert str(start.tzinfo) == meeting.when.zone.key


@pytest.mark.parametrize(
    ("meeting_id", "first", "last"),
    [
        ("tc-7", date(2016, 3, 2), date(2016, 3, 3)),  # Nairobi, UTC+3
        ("workshop-west", date(2016, 2, 29), date(2016, 3, 1)),  # Cancún, UTC-5
        ("cancelled-1", date(2016, 3, 3), date(2016, 3, 3)),  # Punta Cana, UTC-4
        ("tc-joint", date(2016, 3, 5), date(2016, 3, 5)),  # Auckland, UTC+13
        ("deadline", date(2016, 3, 31), date(2016, 3, 31)),  # Zurich
    ],
)
def test_all_day_meetings_fall_on_the_venue_days_east_and_west_of_utc(
    mini, meeting_id, first, last
):
    calendar = parse(write_calendar(mini, mini.meetings.values(), name="x").content)
    uid = f"{meeting_id}@{mini.dataset.uid_domain}"

    def on(day):
        return uid in {str(e["UID"]) for e in recurring_ical_events.of(calendar).at(day)}

    day = first
    while day <= last:
        assert on(day)
        day += timedelta(days=1)
    assert not on(first - timedelta(days=1))
    assert not on(last + timedelta(days=1))


@pytest.mark.parametrize(
    ("meeting_id", "first", "last"),
    [
        ("ptc-209-210", date(2015, 10, 14), date(2015, 10, 16)),  # Brussels, CEST
        ("ptc-211-212", date(2016, 3, 2), date(2016, 3, 3)),  # Brussels, CET
        ("aeo-global-3", date(2016, 5, 11), date(2016, 5, 13)),  # Cancún
        ("wto-mc10", date(2015, 12, 15), date(2015, 12, 19)),  # Nairobi
        ("rtfw-wca-2015", date(2015, 11, 17), date(2015, 11, 19)),  # Lomé
        ("pc-74", date(2015, 12, 8), date(2015, 12, 10)),  # Punta Cana
    ],
)
def test_bundled_meetings_keep_their_venue_days(wco, meeting_id, first, last):
    calendar = parse(write_calendar(wco, wco.meetings.values(), name="x").content)
    found = recurring_ical_events.of(calendar).between(
        first - timedelta(days=3), last + timedelta(days=4)
    )
    days = [e["DTSTART"].dt for e in found if str(e["UID"]).startswith(meeting_id + "@")]
    assert days == [first]
    event = events_by_uid(calendar)[f"{meeting_id}@{wco.dataset.uid_domain}"]
    assert event["DTEND"].dt == last + timedelta(days=1)


def test_lines_are_folded_at_75_octets_with_crlf(mini):
    content = write_calendar(mini, mini.meetings.values(), name="x").content
    assert content.endswith(b"END:VCALENDAR\r\n")
    lines = content.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)
    assert b"\n" not in content.replace(b"\r\n", b"")
    assert any(line.startswith(b" ") for line in lines)
    content.decode("utf-8")  # no character was split


def test_urls_are_not_escaped(mini):
    content = write_calendar(mini, mini.meetings.values(), name="x").content
    unfolded = content.replace(b"\r\n ", b"")
    assert b"URL:https://example.org/board?year=2016,2017;x=1\r\n" in unfolded


def test_alarms_follow_the_ladder_and_skip_cancelled_meetings(mini):
    calendar = parse(write_calendar(mini, mini.meetings.values(), name="x", alarms=True).content)
    events = events_by_uid(calendar)
    triggers = sorted(a["TRIGGER"].dt for a in events["board-12@test-forum.invalid"].walk("VALARM"))
    assert triggers == [-timedelta(days=7), -timedelta(days=1)]
    assert not events["cancelled-1@test-forum.invalid"].walk("VALARM")
    without = parse(write_calendar(mini, mini.meetings.values(), name="x").content)
    assert not any(e.walk("VALARM") for e in without.walk("VEVENT"))


def test_calendar_header(mini):
    calendar = parse(write_calendar(mini, [], name="Test, calendar").content)
    assert str(calendar["X-WR-CALNAME"]) == "Test, calendar"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]).startswith("-//agenda-bot//")


@pytest.mark.parametrize(
    "line",
    ["", "short", "x" * 75, "x" * 76, "é" * 40, "x" * 74 + "é" + "y" * 200, "😀" * 50],
)
def test_fold_never_splits_a_character_and_unfolds_back(line):
    folded = fold(line)
    parts = folded.split("\r\n")
    assert all(len(part.encode("utf-8")) <= 75 for part in parts)
    assert folded.replace("\r\n ", "") == line


def test_a_timed_meeting_without_an_end_lasts_the_data_sets_duration_for_its_kind(mini):
    # Regression (issue 15): no DTEND and no DURATION, so khal showed an hour and ical.js and
    # calcurse nothing; the length is now the data set's ([durations], 1 hour by default).
    from dataclasses import replace
    from zoneinfo import ZoneInfo

    from bot.core import Kind, When

    meeting = mini.meetings["board-12"]
    instant = When.exact(datetime(2016, 3, 4, 14), None, ZoneInfo("Europe/Brussels"))
    changed = replace(meeting, when=instant)
    event = parse(write_calendar(mini, [changed], name="x").content).walk("VEVENT")[0]
    assert "DTEND" not in event
    assert event["DURATION"].dt == timedelta(hours=1)
    ladders = replace(mini.ladders, lengths={Kind.SESSION: timedelta(hours=3)})
    longer = replace(mini, ladders=ladders)
    event = parse(write_calendar(longer, [changed], name="x").content).walk("VEVENT")[0]
    assert event["DURATION"].dt == timedelta(hours=3)


def test_timed_meetings_are_in_their_venues_zone_with_its_vtimezone(mini):
    calendar = parse(write_calendar(mini, mini.meetings.values(), name="x").content)
    assert calendar["METHOD"] == "PUBLISH"
    zones = [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")]
    assert zones == ["Europe/Brussels"]  # the zones of timed meetings only, once each
    board = events_by_uid(calendar)["board-12@test-forum.invalid"]
    start = board["DTSTART"]
    assert start.params["TZID"] == "Europe/Brussels"
    assert start.dt == datetime(2016, 3, 4, 14, tzinfo=ZoneInfo("Europe/Brussels"))
    assert start.dt.astimezone(UTC) == datetime(2016, 3, 4, 13, tzinfo=UTC)
    workshop = events_by_uid(calendar)["workshop-west@test-forum.invalid"]
    assert workshop["DTSTART"].params["VALUE"] == "DATE"  # all-day stays dates


def test_a_time_that_happens_twice_is_written_as_the_instant_it_is(mini):
    # Regression (review): 01:30 on 1 November 2015 in New York happens twice; written as a
    # local time with TZID it means the first, an hour early for the second.
    from dataclasses import replace

    from bot.core import When

    second = datetime(2015, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 EST, after clocks went back
    meeting = replace(
        mini.meetings["board-12"],
        when=When.at(second, second + timedelta(hours=1), ZoneInfo("America/New_York")),
    )
    event = parse(write_calendar(mini, [meeting], name="x").content).walk("VEVENT")[0]
    assert event["DTSTART"].dt == second  # in UTC, the one form that cannot be misread
    assert "TZID" not in event["DTSTART"].params
    assert event["DTEND"].params["TZID"] == "America/New_York"  # 02:30 happens once
    assert event["DTEND"].dt.astimezone(UTC) == second + timedelta(hours=1)
