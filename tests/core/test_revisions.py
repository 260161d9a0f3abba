"""A meeting is what became known about it, and when: the data format, the fold, the views."""

from datetime import UTC, date, datetime

import pytest

from bot.core import DataSetError, Status, build_agenda
from bot.core.revisions import epochs, view_at

DATASET = {
    "dataset": {
        "name": "Forum",
        "organisation": "Forum",
        "updated": datetime(2016, 1, 1, tzinfo=UTC),
        "uid_domain": "forum.invalid",
    }
}
BODIES = {"body": [{"id": "board", "name": "Board"}]}
TOPICS = {"topic": [{"id": "data", "name": "Open data", "summary": "Data."}]}


def meeting(**fields):
    entry = {
        "id": "board-12",
        "title": "Board, 12th Meeting",
        "bodies": ["board"],
        "kind": "session",
        "start": "2016-03",
        "timezone": "Europe/Brussels",
        "status": "planned",
        "announced": date(2015, 10, 23),
        "summary": "Announced for March.",
    }
    entry.update(fields)
    return entry


def agenda(*meetings):
    return build_agenda(
        {
            "agenda.toml": DATASET,
            "b.toml": BODIES,
            "t.toml": TOPICS,
            "m.toml": {"meeting": list(meetings)},
        }
    )


def at(value, day):
    return view_at(value, datetime.combine(day, datetime.min.time(), tzinfo=UTC))


HISTORY = [
    {
        "known": date(2016, 2, 1),
        "start": date(2016, 3, 2),
        "end": date(2016, 3, 3),
        "venue": "Brussels",
        "status": "confirmed",
        "note": "days announced",
        "sources": [{"title": "Calendar", "url": "https://forum.invalid/cal"}],
    },
    {
        "known": datetime(2016, 3, 7, 12, tzinfo=UTC),
        "status": "held",
        "outcome": "Adopted the open data plan.",
        "topics": ["data"],
    },
]


def test_each_instant_shows_only_what_was_known_then():
    full = agenda(meeting(history=HISTORY))
    assert at(full, date(2015, 10, 22)).meetings == {}  # not announced yet
    october = at(full, date(2015, 10, 23)).meetings["board-12"]
    assert october.when.precision.name == "MONTH" and october.venue == ""
    assert (october.status, october.revision, october.outcome) == (Status.PLANNED, 0, "")
    february = at(full, date(2016, 2, 1)).meetings["board-12"]
    assert (february.when.first_day, february.when.last_day) == (date(2016, 3, 2), date(2016, 3, 3))
    assert february.venue == "Brussels" and february.revision == 1
    assert [s.url for s in february.sources] == ["https://forum.invalid/cal"]
    latest = full.meetings["board-12"]
    assert latest.status is Status.HELD and latest.outcome.startswith("Adopted")
    assert latest.updated == datetime(2016, 3, 7, 12, tzinfo=UTC)
    assert [r.why for r in latest.history] == ["", "days announced", ""]
    assert full.topics["data"].meetings == ("board-12",)
    assert at(full, date(2016, 2, 1)).topics["data"].meetings == ()  # topic added later
    assert epochs(full)[0] == datetime(2015, 10, 23, tzinfo=UTC)


def test_an_outcome_is_shown_only_once_the_meeting_has_ended():
    held = agenda(meeting(history=HISTORY)).meetings["board-12"]
    assert held.outcome_at(datetime(2016, 3, 3, tzinfo=UTC)) == ""  # the last day, under way
    assert held.outcome_at(datetime(2016, 3, 4, tzinfo=UTC)).startswith("Adopted")


def test_a_meeting_as_written_today_is_one_revision_known_at_the_data_sets_date():
    plain = meeting()
    del plain["announced"]
    only = agenda(plain).meetings["board-12"]
    assert only.known == datetime(2016, 1, 1, tzinfo=UTC) and len(only.history) == 1


@pytest.mark.parametrize(
    ("history", "field", "message"),
    [
        ([{"known": date(2015, 1, 1), "status": "confirmed"}], "history[1].known", "announced"),
        ([{"known": date(2016, 2, 1), "end": date(2016, 3, 3)}], "history[1].end", "end"),
        ([{"known": date(2016, 2, 1), "timezone": "Europe/Brusels"}], "history[1].timezone", ""),
        ([{"known": date(2016, 2, 1), "topics": ["dta"]}], "history[1].topics", "unknown topic"),
        ([{"known": date(2016, 2, 1), "stauts": "held"}], "history[1].stauts", "unknown field"),
        (
            [{"known": date(2016, 2, 1), "start": "TBA", "status": "held"}],
            "history[1].status",
            "held",
        ),
    ],
)
def test_a_broken_history_is_a_listed_problem(history, field, message):
    with pytest.raises(DataSetError) as raised:
        agenda(meeting(history=history))
    problems = [(p.field, p.message) for p in raised.value.problems]
    assert any(f == field and message in m for f, m in problems), problems


def test_a_later_start_replaces_the_span_and_a_zone_alone_keeps_the_dates():
    history = [
        {"known": date(2016, 2, 1), "start": date(2016, 3, 2), "end": date(2016, 3, 4)},
        {"known": date(2016, 2, 2), "timezone": "Pacific/Auckland"},
        {"known": date(2016, 2, 3), "start": date(2016, 3, 9)},
    ]
    full = agenda(meeting(history=history))
    moved_zone = at(full, date(2016, 2, 2)).meetings["board-12"].when
    assert moved_zone.zone.key == "Pacific/Auckland" and moved_zone.last_day == date(2016, 3, 4)
    last = full.meetings["board-12"].when
    assert (last.first_day, last.last_day) == (date(2016, 3, 9), date(2016, 3, 9))
