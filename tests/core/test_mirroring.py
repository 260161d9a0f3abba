"""What a meeting's scheduled event says, which meetings a mirror holds, and the steps that bring
a server's events in line (bot.core.mirroring)."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core import Kind, Meeting, Source, Status, When
from bot.core.mirroring import (
    DESCRIPTION_LIMIT,
    LOCATION_LIMIT,
    NAME_LIMIT,
    Adopt,
    Close,
    Create,
    Delete,
    Dismiss,
    Edit,
    EventStatus,
    Forget,
    Link,
    RemoteEvent,
    event_shape,
    plan,
    window,
)

NOW = datetime(2016, 1, 10, 12, tzinfo=UTC)
BRUSSELS = ZoneInfo("Europe/Brussels")


def meeting(ident="ptc", first=date(2016, 3, 2), last=date(2016, 3, 4), **fields) -> Meeting:
    values = {
        "title": "PTC 211/212",
        "bodies": ("ptc",),
        "kind": Kind.SESSION,
        "when": When.days(first, last, BRUSSELS),
        "status": Status.CONFIRMED,
        "venue": "Brussels",
        "summary": "Spring sessions.",
        **fields,
    }
    return Meeting(ident, **values)


def remote(shape, event_id="e1", *, ours=True, status=None, **changes):
    event = RemoteEvent(
        event_id,
        shape.name,
        shape.description,
        shape.location,
        shape.start,
        shape.end,
        status or shape.status,
        ours,
    )
    return replace(event, **changes)


def test_an_all_day_meeting_runs_from_the_venues_midnight_to_the_midnight_after():
    shape = event_shape(meeting(), NOW, ["Permanent Technical Committee (PTC)"])
    assert shape.start == datetime(2016, 3, 1, 23, tzinfo=UTC)
    assert shape.end == datetime(2016, 3, 4, 23, tzinfo=UTC)
    assert shape.description == (
        "Spring sessions.\n\nStatus: confirmed.\nBody: Permanent Technical Committee (PTC).\n"
        "More: /meeting ptc"
    )
    assert remote(shape).meeting_id == "ptc"


def test_a_deadline_without_an_end_gets_an_hour_and_no_venue_says_so():
    deadline = When.exact(datetime(2016, 3, 2, 17), None, BRUSSELS)
    shape = event_shape(meeting(when=deadline, venue=""), NOW)
    assert shape.end - shape.start == timedelta(hours=1)
    assert shape.location == "Venue to be announced"


@pytest.mark.parametrize(
    ("now", "status", "expected"),
    [
        (NOW, Status.CONFIRMED, EventStatus.SCHEDULED),
        (datetime(2016, 3, 2, 9, tzinfo=UTC), Status.CONFIRMED, EventStatus.ACTIVE),
        (datetime(2016, 3, 5, tzinfo=UTC), Status.HELD, EventStatus.COMPLETED),
        (NOW, Status.CANCELLED, EventStatus.CANCELED),
    ],
)
def test_the_events_status_follows_the_meeting(now, status, expected):
    assert event_shape(meeting(status=status), now).status is expected


def test_the_window_holds_the_next_dated_meetings_going_ahead_of_the_bodies_asked():
    meetings = [
        meeting("later", date(2016, 5, 1), date(2016, 5, 1)),
        meeting("first", date(2016, 2, 1), date(2016, 2, 1)),
        meeting("over", date(2016, 1, 1), date(2016, 1, 2)),
        meeting("month", when=When.month(2016, 4, BRUSSELS)),
        meeting("off", status=Status.CANCELLED),
        meeting("council", date(2016, 2, 2), date(2016, 2, 2), bodies=("council",)),
    ]
    assert [m.id for m in window(meetings, NOW, 20)] == ["first", "council", "later"]
    assert [m.id for m in window(meetings, NOW, 2)] == ["first", "council"]
    assert [m.id for m in window(meetings, NOW, 20, {"ptc"})] == ["first", "later"]


@given(
    title=st.text(max_size=300),
    summary=st.text(max_size=3000),
    venue=st.text(max_size=300),
    source_title=st.text(max_size=900),
)
def test_every_event_fits_discords_limits_and_names_its_meeting(
    title, summary, venue, source_title
):
    found = meeting(
        title=title,
        summary=summary,
        venue=venue,
        sources=(Source(source_title, "https://example.org/" + "x" * 200),),
    )
    shape = event_shape(found, NOW, ["A body " * 30])
    assert 1 <= len(shape.name) <= NAME_LIMIT
    assert len(shape.description) <= DESCRIPTION_LIMIT
    assert 1 <= len(shape.location) <= LOCATION_LIMIT
    assert remote(shape).meeting_id == "ptc"


# -- plan ---------------------------------------------------------------------------------------


def shapes(*meetings):
    return [event_shape(m, NOW) for m in meetings]


def test_new_meetings_are_created_in_order_and_unchanged_ones_left_alone():
    a, b = shapes(meeting("a"), meeting("b", date(2016, 4, 1), date(2016, 4, 1)))
    assert plan([a, b], lambda m: None, {}, {}).steps == (Create(a), Create(b))
    links = {"a": Link("e1"), "b": Link("e2")}
    listed = {"e1": remote(a, "e1"), "e2": remote(b, "e2")}
    assert plan([a, b], lambda m: None, links, listed).steps == ()


def test_a_moved_meeting_edits_its_event_and_a_started_one_goes_active():
    (a,) = shapes(meeting("a"))
    moved = replace(a, start=a.start + timedelta(days=7), end=a.end + timedelta(days=7))
    listed = {"e1": remote(a, "e1")}
    assert plan([moved], lambda m: None, {"a": Link("e1")}, listed).steps == (
        Edit("e1", moved, None),
    )
    started = replace(a, status=EventStatus.ACTIVE)
    assert plan([started], lambda m: None, {"a": Link("e1")}, listed).steps == (
        Edit("e1", started, EventStatus.ACTIVE),
    )


def test_cancelled_and_ended_meetings_close_their_events_the_way_discord_allows():
    (a,) = shapes(meeting("a"))
    listed = {"e1": remote(a, "e1")}
    cancelled = replace(a, status=EventStatus.CANCELED)
    assert plan([], lambda m: cancelled, {"a": Link("e1")}, listed).steps == (
        Close("a", "e1", (EventStatus.CANCELED,)),
    )
    ended = replace(a, status=EventStatus.COMPLETED)
    assert plan([], lambda m: ended, {"a": Link("e1")}, listed).steps == (
        Close("a", "e1", (EventStatus.ACTIVE, EventStatus.COMPLETED)),
    )
    under_way = {"e1": remote(a, "e1", status=EventStatus.ACTIVE)}
    assert plan([], lambda m: cancelled, {"a": Link("e1")}, under_way).steps == (
        Close("a", "e1", (EventStatus.COMPLETED,)),
    )


def test_a_meeting_that_left_the_window_or_the_agenda_loses_its_event():
    (a,) = shapes(meeting("a"))
    listed = {"e1": remote(a, "e1")}
    assert plan([], lambda m: a, {"a": Link("e1")}, listed).steps == (Delete("e1", "a"),)
    assert plan([], lambda m: None, {"a": Link("e1")}, listed).steps == (Delete("e1", "a"),)


def test_an_event_deleted_by_hand_is_dismissed_and_not_made_again():
    (a,) = shapes(meeting("a"))
    assert plan([a], lambda m: None, {"a": Link("e1")}, {}).steps == (Dismiss("a"),)
    assert plan([a], lambda m: None, {"a": Link("e1", dismissed=True)}, {}).steps == ()


def test_an_orphan_of_ours_is_adopted_and_a_second_copy_deleted():
    (a,) = shapes(meeting("a"))
    listed = {"e1": remote(a, "e1"), "e2": remote(a, "e2")}
    assert plan([a], lambda m: None, {}, listed).steps == (Adopt("a", "e1"), Delete("e2"))
    theirs = {"e9": remote(a, "e9", ours=False)}
    assert plan([a], lambda m: None, {}, theirs).steps == (Create(a),)


def test_an_event_over_on_discords_side_is_forgotten_and_made_again_if_wanted():
    (a,) = shapes(meeting("a"))
    listed = {"e1": remote(a, "e1", status=EventStatus.CANCELED)}
    assert plan([a], lambda m: None, {"a": Link("e1")}, listed).steps == (Forget("a"), Create(a))


def test_the_servers_cap_leaves_meetings_out_and_says_how_many():
    wanted = shapes(
        *(meeting(f"m{i}", date(2016, 2, 1 + i), date(2016, 2, 1 + i)) for i in range(3))
    )
    (other,) = shapes(meeting("theirs"))
    listed = {f"x{i}": remote(other, f"x{i}", ours=False) for i in range(98)}
    planned = plan(wanted, lambda m: None, {}, listed)
    assert planned.creates == 2 and planned.left_out == 1


def test_an_event_under_way_keeps_its_start():
    (a,) = shapes(meeting("a"))
    started = replace(a, status=EventStatus.ACTIVE)
    early = remote(started, "e1", start=a.start + timedelta(hours=5))  # made late, started
    assert plan([started], lambda m: None, {"a": Link("e1")}, {"e1": early}).steps == ()
    renamed = replace(started, name="Renamed")
    assert plan([renamed], lambda m: None, {"a": Link("e1")}, {"e1": early}).steps == (
        Edit("e1", replace(renamed, start=early.start), None),
    )
