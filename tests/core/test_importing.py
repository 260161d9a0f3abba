"""Reading another organisation's calendar (bot.core.importing): what each event means here."""

import contextlib
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core import Status
from bot.core.following import feed_address
from bot.core.importing import CalendarError, Window, meeting_id, read_calendar

NOW = datetime(2016, 3, 1, 12, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")


def calendar(*events: str, head: str = "") -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//t//t//EN", *head.split("\n")]
    for event in events:
        lines += ["BEGIN:VEVENT", "DTSTAMP:20160101T000000Z", *event.strip().split("\n")]
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "\r\n".join(line for line in lines if line).encode()


def one(*lines: str, head: str = ""):
    (event,) = read_calendar(calendar("\n".join(lines), head=head), NOW, UTC_ZONE).events
    return event


@pytest.mark.parametrize(
    ("lines", "head", "zone", "start_utc"),
    [
        # A Windows zone name, without its VTIMEZONE: mapped to the IANA zone.
        (
            ["DTSTART;TZID=W. Europe Standard Time:20160310T100000"],
            "",
            "Europe/Berlin",
            datetime(2016, 3, 10, 9, tzinfo=UTC),
        ),
        # A floating time: the calendar's own zone.
        (
            ["DTSTART:20160310T100000"],
            "X-WR-TIMEZONE:America/Cancun",
            "America/Cancun",
            datetime(2016, 3, 10, 15, tzinfo=UTC),
        ),
        # UTC: the instant kept, shown in the calendar's zone.
        (
            ["DTSTART:20160310T100000Z"],
            "X-WR-TIMEZONE:Asia/Tokyo",
            "Asia/Tokyo",
            datetime(2016, 3, 10, 10, tzinfo=UTC),
        ),
        # Neither: the bot's own zone (the operator's).
        (["DTSTART:20160310T100000Z"], "", "UTC", datetime(2016, 3, 10, 10, tzinfo=UTC)),
        # An unknown TZID: the instant from its VTIMEZONE's offsets would be lost without the
        # calendar's zone, so the calendar's zone shows it.
        (
            ["DTSTART;TZID=Nowhere/Special:20160310T100000"],
            "X-WR-TIMEZONE:Europe/Brussels",
            "Europe/Brussels",
            datetime(2016, 3, 10, 9, tzinfo=UTC),
        ),
    ],
)
def test_timed_events_keep_their_zone(lines, head, zone, start_utc):
    event = one("UID:a", *lines, "SUMMARY:x", head=head)
    assert (event.when.zone.key, event.when.start_utc) == (zone, start_utc)


def test_a_duration_gives_the_end_and_seconds_are_dropped():
    event = one("UID:a", "DTSTART:20160310T100030Z", "DURATION:PT1H30M", "SUMMARY:x")
    assert (event.when.start_time, event.when.end_time) == (time(10, 0), time(11, 30))


@pytest.mark.parametrize(
    ("lines", "first", "last"),
    [
        (["DTSTART;VALUE=DATE:20160315"], date(2016, 3, 15), date(2016, 3, 15)),
        (
            ["DTSTART;VALUE=DATE:20160315", "DTEND;VALUE=DATE:20160318"],
            date(2016, 3, 15),
            date(2016, 3, 17),
        ),
        (
            ["DTSTART;VALUE=DATE:20160315", "DTEND;VALUE=DATE:20160315"],
            date(2016, 3, 15),
            date(2016, 3, 15),
        ),
    ],
)
def test_whole_days_keep_their_dates_and_the_end_is_exclusive(lines, first, last):
    event = one("UID:a", *lines, "SUMMARY:x", head="X-WR-TIMEZONE:Pacific/Kiritimati")
    assert (event.when.first_day, event.when.last_day) == (first, last)
    assert event.when.zone.key == "Pacific/Kiritimati"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("CONFIRMED", Status.CONFIRMED),
        ("TENTATIVE", Status.TENTATIVE),
        ("CANCELLED", Status.CANCELLED),
        ("cancelled", Status.CANCELLED),
        ("SOMETHING", Status.PLANNED),
    ],
)
def test_status(status, expected):
    assert one("UID:a", "DTSTART:20160310T100000Z", f"STATUS:{status}").status is expected


def test_what_cannot_be_read_is_counted_and_the_rest_kept():
    read = read_calendar(
        calendar("UID:a\nSUMMARY:no start", "UID:b\nDTSTART:20160310T100000Z\nSUMMARY:ok"),
        NOW,
        UTC_ZONE,
    )
    assert [e.title for e in read.events] == ["ok"] and read.unreadable == 1


@pytest.mark.parametrize(
    "broken",
    [
        "DTSTART:2016X",
        "DTSTART:20160310T100000Z\nDTEND:garbage",
        "DTSTART:20160310T100000Z\nDURATION:nonsense",
        "DTSTART;TZID=Europe/Brussels:99991231T100000",
    ],
)
def test_an_event_with_a_broken_property_is_left_out_and_counted(broken):
    read = read_calendar(
        calendar(f"UID:a\n{broken}", "UID:b\nDTSTART:20160310T100000Z\nSUMMARY:ok"),
        NOW,
        UTC_ZONE,
    )
    assert [e.title for e in read.events] == ["ok"] and read.unreadable == 1


def test_texts_are_cleaned_and_cut():
    event = one(
        "UID:a",
        "DTSTART:20160310T100000Z",
        "SUMMARY:" + "t" * 500,
        "DESCRIPTION:" + "d\\n" * 2000,
        "LOCATION:Room\\n1",
    )
    assert len(event.title) == 200 and len(event.summary) <= 1000 and event.venue == "Room 1"


def test_an_end_before_the_start_is_read_without_an_error():
    event = one("UID:a", "DTSTART:20160310T100000Z", "DTEND:20160310T090000Z")
    assert event.when.start_utc <= event.when.end_utc


def test_recurrences_are_read_within_the_window_only():
    read = read_calendar(
        calendar("UID:r\nDTSTART:20160307T090000Z\nRRULE:FREQ=DAILY\nSUMMARY:daily"),
        NOW,
        UTC_ZONE,
    )
    days = sorted(e.when.first_day for e in read.events)
    assert days[0] == date(2016, 3, 7) and days[-1] == (NOW + timedelta(days=400)).date()
    assert len({e.key for e in read.events}) == len(read.events)


def test_a_rule_that_repeats_every_minute_is_refused_not_read_forever():
    flood = calendar("UID:m\nDTSTART:20160301T000000Z\nRRULE:FREQ=MINUTELY\nSUMMARY:flood")
    with pytest.raises(CalendarError, match="more than 10,000 events within the window read"):
        read_calendar(flood, NOW, UTC_ZONE)


def test_a_calendar_drops_only_what_it_no_longer_lists_from_now_to_the_end_of_its_window():
    """What has happened, or lies beyond the window read, is not taken as cancelled."""
    from bot.core.importing import first_sets, plan
    from bot.core.model import Kind

    url = "https://cal.example.org/a.ics"
    events = [
        f"UID:{name}\nDTSTART;VALUE=DATE:{day}\nSUMMARY:{name}"
        for name, day in (("past", "20160220"), ("soon", "20160320"), ("far", "20170320"))
    ]
    window = (NOW, NOW + timedelta(days=400))
    first = first_sets("b", Kind.SESSION, ())
    wide = Window(timedelta(days=1000), timedelta(days=1000))
    read = read_calendar(calendar(*events), NOW, UTC_ZONE, wide)
    meetings = agenda_of(plan({}, read, url, "feed:1", first, window))
    gone = read_calendar(calendar(), NOW, UTC_ZONE)
    removed = plan(meetings, gone, url, "feed:1", first, (NOW, NOW + timedelta(days=100)))
    assert [p.title for p in removed] == ["soon"]


def agenda_of(planned):
    """The meetings the planned revisions would make (as the editor folds them)."""
    from bot.core.model import Origin, Revision
    from bot.core.revisions import MeetingRecord

    known = NOW - timedelta(days=1)
    return {
        item.meeting_id: MeetingRecord.of(
            item.meeting_id, [Revision(known, item.sets, (), "feed:1", item.why, Origin.FEED)]
        ).latest
        for item in planned
    }


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not a calendar",
        b"BEGIN:VEVENT\r\nEND:VEVENT\r\n",
        calendar("UID:r\nDTSTART:20160307T090000Z\nRRULE:FREQ=SOMETIMES\nSUMMARY:x"),
    ],
)
def test_what_is_not_a_calendar_says_so(content):
    with pytest.raises(CalendarError):
        read_calendar(content, NOW, UTC_ZONE)


def test_meeting_ids_are_stable_slugs_and_differ_between_calendars():
    first = meeting_id("https://cal.example.org/a.ics", "uid-1")
    assert first == meeting_id("https://cal.example.org/a.ics", "uid-1")
    assert first.startswith("cal-example-org-") and len(first) <= 80
    assert first != meeting_id("https://cal.example.org/b.ics", "uid-1")


@given(st.binary(max_size=400))
def test_any_bytes_are_a_calendar_or_a_calendar_error(content):
    with contextlib.suppress(CalendarError):
        read_calendar(content, NOW, UTC_ZONE)


ADDRESS_PARTS = st.sampled_from(
    [
        "http://",
        "https://",
        "webcal://",
        "[",
        "]",
        "::1",
        ":",
        "@",
        "..",
        "x.example",
        "/a.ics",
        "99999",
        "é",
        " ",
        "?q",
        "#f",
    ]
)


@given(st.text(max_size=300) | st.lists(ADDRESS_PARTS, max_size=8).map("".join))
def test_any_address_is_refused_or_fetchable(text):
    """Including those urlsplit itself refuses ("http://[::1") and hosts no request can use."""
    address = feed_address(text)
    assert address is None or (address.startswith(("http://", "https://")) and len(address) <= 2000)
