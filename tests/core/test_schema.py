"""Loading validates everything and reports every problem at once, with file, entry and field."""

from datetime import date

import pytest

from bot.core import DataSetError, Precision, build_agenda
from bot.core.schema import Problem

DATASET = {
    "name": "X",
    "organisation": "X org",
    "updated": "2016-01-01T00:00:00Z",
    "uid_domain": "x.invalid",
}
BODY = {"id": "ptc", "name": "Permanent Technical Committee", "acronym": "PTC"}
TOPIC = {"id": "tfa", "name": "TFA", "summary": "The agreement."}


def meeting(**changes):
    entry = {
        "id": "ptc-1",
        "title": "PTC 1",
        "bodies": ["ptc"],
        "kind": "session",
        "start": date(2016, 3, 2),
        "timezone": "Europe/Brussels",
        "status": "confirmed",
    }
    entry.update(changes)
    return {key: value for key, value in entry.items() if value is not None}


def documents(*meetings, topics=(TOPIC,), bodies=(BODY,), dataset=DATASET, extra=None):
    docs = {
        "agenda.toml": {"dataset": dataset},
        "bodies.toml": {"body": list(bodies)},
        "topics.toml": {"topic": list(topics)},
        "meetings.toml": {"meeting": list(meetings)},
    }
    docs.update(extra or {})
    return docs


def problems_of(docs) -> list[str]:
    with pytest.raises(DataSetError) as raised:
        build_agenda(docs)
    return [str(problem) for problem in raised.value.problems]


def test_an_unknown_field_named_with_a_superscript_digit_is_explained():
    # Regression (issue 9): the field path was read with isdigit() and int(): a key "²" in a
    # source made `check` fail with ValueError.
    source = {"title": "t", "url": "https://x.org", "²": 1}
    problems = problems_of(documents(meeting(sources=[source])))
    assert problems == ["meetings.toml: meeting 'ptc-1', field 'sources[1].²': unknown field"]


def test_a_valid_data_set_loads():
    agenda = build_agenda(documents(meeting(topics=["tfa"])))
    assert list(agenda.meetings) == ["ptc-1"]
    assert agenda.topics["tfa"].meetings == ("ptc-1",)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"venu": "x"},
            "meetings.toml: meeting 'ptc-1', field 'venu': unknown field (did you mean 'venue'?)",
        ),
        (
            {"title": None},
            "meetings.toml: meeting 'ptc-1', field 'title': missing; this field is required",
        ),
        ({"id": "PTC 1"}, "meetings.toml: meeting 'PTC 1', field 'id': must be a slug"),
        (
            {"kind": "seminar"},
            "field 'kind': must be one of 'session', 'joint-session', "
            "'conference', 'workshop' or 'milestone'",
        ),
        ({"status": "done"}, "field 'status': must be one of"),
        ({"bodies": ["ptcc"]}, "field 'bodies': unknown body 'ptcc' (did you mean 'ptc'?)"),
        ({"bodies": []}, "field 'bodies': list should have at least 1 item"),
        ({"topics": ["tfaa"]}, "field 'topics': unknown topic 'tfaa' (did you mean 'tfa'?)"),
        (
            {"timezone": "Europe/Brusels"},
            "field 'timezone': unknown time zone 'Europe/Brusels' (did you mean 'Europe/Brussels'",
        ),
        (
            {"start": "2016-03-02T10:00:00+01:00"},
            "field 'start': '2016-03-02T10:00:00+01:00' is not a date",
        ),
        ({"start": "next spring"}, "field 'start': 'next spring' is not a date; write a date"),
        ({"start": "2016-13"}, "field 'start': '2016-13' is not a date"),
        (
            {"start": "2016-11", "end": date(2016, 11, 3)},
            "field 'end': an end is only allowed with a day or a time",
        ),
        ({"start": None, "end": date(2016, 11, 3)}, "field 'end': an end is only allowed"),
        ({"end": date(2016, 3, 1)}, "field 'end': the last day is before the first"),
        (
            {"status": "held", "start": None},
            "field 'status': a held meeting happened: give at least its year",
        ),
        ({"sessions": [0]}, "field 'sessions[1]': input should be greater than 0"),
        ({"revision": -1}, "field 'revision': input should be greater than or equal to 0"),
        ({"updated": "2016-01-01T00:00:00"}, "field 'updated': needs an offset"),
        (
            {"sources": [{"title": "t", "url": "javascript:alert(1)"}]},
            "field 'sources[1].url': must be an http(s) address",
        ),
        (
            {"sources": [{"title": "t", "url": "https://x.org", "checked": "x"}]},
            "field 'sources[1].checked': unknown field",
        ),
        ({"title": 5}, "field 'title': input should be a valid string"),
    ],
)
def test_each_broken_meeting_field_is_reported_with_file_entry_and_field(changes, expected):
    problems = problems_of(documents(meeting(**changes)))
    assert any(expected in problem for problem in problems), problems


def test_offset_datetimes_are_refused_in_favour_of_wall_time():
    from datetime import UTC, datetime

    problems = problems_of(documents(meeting(start=datetime(2016, 3, 2, 9, tzinfo=UTC))))
    assert "give the venue's local time without an offset" in problems[0]


@pytest.mark.parametrize("offset_hours", [2, 1])
def test_an_offset_says_which_of_a_time_that_happens_twice_is_meant(offset_hours):
    """30 October 2016, 02:30 happens twice in Brussels: an offset picks one (as a followed
    calendar's event gives it), and export-data writes it so."""
    from datetime import UTC, datetime, timedelta, timezone

    start = datetime(2016, 10, 30, 2, 30, tzinfo=timezone(timedelta(hours=offset_hours)))
    agenda = build_agenda(documents(meeting(start=start)))
    when = agenda.meetings["ptc-1"].when
    assert when.start_utc == start.astimezone(UTC) and when.zone.key == "Europe/Brussels"


def test_an_offset_on_a_time_that_happens_once_is_refused():
    from datetime import datetime, timedelta, timezone

    start = datetime(2016, 10, 29, 2, 30, tzinfo=timezone(timedelta(hours=2)))
    problems = problems_of(documents(meeting(start=start)))
    assert "an offset says which is meant only of a time that happens twice" in problems[0]


def test_nonexistent_local_time_is_refused():
    from datetime import datetime

    problems = problems_of(documents(meeting(start=datetime(2016, 3, 27, 2, 30))))
    assert "field 'start': 2016-03-27 02:30 does not exist in Europe/Brussels" in problems[0]


def test_ambiguous_end_time_is_refused():
    from datetime import datetime

    problems = problems_of(
        documents(meeting(start=datetime(2016, 10, 30, 1, 0), end=datetime(2016, 10, 30, 2, 30)))
    )
    assert "field 'end': 2016-10-30 02:30 happens twice in Europe/Brussels" in problems[0]


def test_every_problem_is_reported_at_once():
    docs = documents(
        meeting(venu="x"),
        meeting(id="ptc-2", timezone="Mars/Olympus"),
        meeting(id="ptc-1"),
        topics=({"id": "tfa", "name": "TFA"},),
        bodies=({"id": "ptc", "name": "PTC", "parent": "council"},),
    )
    problems = problems_of(docs)
    assert problems == [
        "bodies.toml: body 'ptc', field 'parent': unknown body 'council'",
        "meetings.toml: meeting 'ptc-1', field 'venu': unknown field (did you mean 'venue'?)",
        "meetings.toml: meeting 'ptc-1', field 'id': duplicate meeting id 'ptc-1'",
        "meetings.toml: meeting 'ptc-2', field 'timezone': unknown time zone 'Mars/Olympus'",
        "topics.toml: topic 'tfa', field 'summary': missing; this field is required",
    ]


def test_entries_without_an_id_are_named_by_position():
    problems = problems_of(documents(meeting(id=None)))
    assert "meetings.toml: meeting #1, field 'id': missing" in problems[0]


@pytest.mark.parametrize(
    ("docs_change", "expected"),
    [
        ({"agenda.toml": {}}, "(data directory): no [dataset] table in any file; add one"),
        ({"extra.toml": {"dataset": DATASET}}, "extra.toml: [dataset]: a second [dataset]"),
        (
            {"extra.toml": {"meetings": []}},
            "extra.toml: unknown table 'meetings' (did you mean 'meeting'?)",
        ),
        (
            {"extra.toml": {"meeting": {"id": "x"}}},
            "extra.toml: [[meeting]]: must be an array of tables",
        ),
        ({"extra.toml": {"dataset": "x"}}, "extra.toml: [dataset]: must be a table"),
        ({"extra.toml": {"ladders": ["7d"]}}, "extra.toml: [ladders]: must be a table"),
    ],
)
def test_structural_problems(docs_change, expected):
    docs = documents(meeting())
    docs.update(docs_change)
    problems = problems_of(docs)
    assert any(problem.startswith(expected) for problem in problems), problems


@pytest.mark.parametrize(
    ("ladders", "expected"),
    [
        ({"seminar": ["1d"]}, "field 'seminar': unknown kind of meeting"),
        ({"session": "7d"}, "field 'session': must be a list of lead times"),
        ({"session": []}, "field 'session': must be a list of lead times"),
        ({"session": ["7 days"]}, "field 'session': '7 days' is not a lead time"),
        ({"session": ["1d", "24h"]}, "field 'session': the same lead time is listed twice"),
    ],
)
def test_ladder_problems(ladders, expected):
    problems = problems_of(documents(meeting(), extra={"ladders.toml": {"ladders": ladders}}))
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("durations", "expected"),
    [
        ({"seminar": "1h"}, "field 'seminar': unknown kind of meeting"),
        ({"session": 3}, "field 'session': must be a length such as"),
        ({"session": "0m"}, "field 'session': "),
        ({"session": "three hours"}, "field 'session': 'three hours' is not a lead time"),
    ],
)
def test_duration_problems(durations, expected):
    extra = {"ladders.toml": {"durations": durations}}
    problems = problems_of(documents(meeting(), extra=extra))
    assert any(expected in problem for problem in problems), problems


def test_durations_default_to_an_hour_and_may_be_set_per_kind():
    from datetime import timedelta

    from bot.core import Kind

    agenda = build_agenda(
        documents(meeting(), extra={"ladders.toml": {"durations": {"session": "2h30m"}}})
    )
    assert agenda.ladders.length_of(Kind.SESSION) == timedelta(hours=2, minutes=30)
    assert agenda.ladders.length_of(Kind.WORKSHOP) == timedelta(hours=1)


def test_ladders_are_sorted_longest_first_and_default_applies_to_missing_kinds():
    from datetime import timedelta

    from bot.core import Kind

    agenda = build_agenda(
        documents(meeting(), extra={"ladders.toml": {"ladders": {"session": ["1d", "7d"]}}})
    )
    assert agenda.ladders.for_kind(Kind.SESSION) == (timedelta(days=7), timedelta(days=1))
    assert agenda.ladders.for_kind(Kind.WORKSHOP) == (timedelta(days=1),)


def test_circular_parents_are_refused():
    bodies = (
        {"id": "a", "name": "A", "parent": "b"},
        {"id": "b", "name": "B", "parent": "a"},
        BODY,
    )
    problems = problems_of(documents(meeting(), bodies=bodies))
    assert any("report to each other in a circle" in p for p in problems)


@pytest.mark.parametrize(
    ("start", "precision"),
    [
        (date(2016, 3, 2), Precision.DAY),
        ("2016-11", Precision.MONTH),
        ("2016", Precision.YEAR),
        (2016, Precision.YEAR),
        ("TBA", Precision.TBA),
        ("tba", Precision.TBA),
        (None, Precision.TBA),
    ],
)
def test_the_form_of_start_gives_the_precision(start, precision):
    agenda = build_agenda(documents(meeting(start=start)))
    assert agenda.meetings["ptc-1"].when.precision is precision


def test_defaults_come_from_the_dataset():
    from datetime import UTC, datetime

    agenda = build_agenda(
        documents(
            meeting(
                sources=[
                    {"title": "t", "url": "https://x.org/a"},
                    {"title": "u", "url": "https://x.org/b", "verified": date(2026, 11, 26)},
                ]
            )
        )
    )
    found = agenda.meetings["ptc-1"]
    assert found.updated == datetime(2016, 1, 1, tzinfo=UTC)
    # Verified only where the source says when someone checked it (issue 14).
    assert [s.verified for s in found.sources] == [None, date(2026, 11, 26)]


def test_a_data_set_cannot_stamp_every_source_verified():
    # Regression (issue 14): `sources_verified` marked every source verified, checked or not.
    dataset = dict(DATASET, sources_verified=date(2026, 11, 26))
    assert problems_of(documents(meeting(), dataset=dataset)) == [
        "agenda.toml: [dataset], field 'sources_verified': a data set no longer stamps every "
        "source as verified; remove it, and give `verified = <date>` on each source someone has "
        "checked"
    ]


def person(**changes):
    entry = {
        "id": "ann-chair",
        "name": "Ann Chair",
        "aliases": ["A. Chair"],
        "country": "Belgium",
        "roles": [{"did": "chaired", "meeting": "ptc-1", "topic": "tfa"}],
    }
    entry.update(changes)
    return entry


def test_a_person_loads_with_roles_known_from_the_meeting_s_end():
    from datetime import UTC, datetime, timedelta

    from bot.core.revisions import epochs, view_at

    agenda = build_agenda(documents(meeting(), extra={"people.toml": {"person": [person()]}}))
    found = agenda.people["ann-chair"]
    assert found.names == ("Ann Chair", "A. Chair") and found.label == "Ann Chair (Belgium)"
    (role,) = found.roles
    assert role.known is None  # the files do not say: the meeting's end, as known then
    assert (role.did, role.meeting, role.topic) == ("chaired", "ptc-1", "tfa")
    # The meeting is all-day on 2 March 2016 in Brussels: known from midnight after it.
    ended = datetime(2016, 3, 2, 23, 0, tzinfo=UTC)
    assert view_at(agenda, ended - timedelta(seconds=1)).people == {}
    assert view_at(agenda, ended).people["ann-chair"].roles == (role,)
    assert ended in epochs(agenda)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"roles": [{"did": "chaired", "meeting": "ptc-2"}]},
            "people.toml: person 'ann-chair', field 'roles[1].meeting': unknown meeting 'ptc-2' "
            "(did you mean 'ptc-1'?)",
        ),
        (
            {"roles": [{"did": "chaired", "meeting": "ptc-1", "topic": "tfaa"}]},
            "people.toml: person 'ann-chair', field 'roles[1].topic': unknown topic 'tfaa' "
            "(did you mean 'tfa'?)",
        ),
        (
            {"roles": []},
            "people.toml: person 'ann-chair', field 'roles': list should have at least 1 item "
            "after validation, not 0",
        ),
        (
            {"roles": [{"did": "chaired", "meeting": "ptc-1", "chair": True}]},
            "people.toml: person 'ann-chair', field 'roles[1].chair': unknown field",
        ),
        (
            {"roles": [{"did": "opened", "meeting": "tba-1"}]},
            "people.toml: person 'ann-chair', field 'roles[1].known': meeting 'tba-1' has no "
            "known end; say when this became known (known = 2015-10-23)",
        ),
    ],
)
def test_a_person_s_problems_are_explained(changes, expected):
    docs = documents(
        meeting(),
        meeting(id="tba-1", start=None),
        extra={"people.toml": {"person": [person(**changes)]}},
    )
    assert problems_of(docs) == [expected]


def test_a_person_id_is_unique():
    docs = documents(meeting(), extra={"people.toml": {"person": [person(), person()]}})
    assert problems_of(docs) == [
        "people.toml: person 'ann-chair', field 'id': duplicate person id 'ann-chair'"
    ]


def test_meetings_are_chronological_with_undated_last():
    agenda = build_agenda(
        documents(
            meeting(id="later", start=date(2016, 5, 1)),
            meeting(id="tba", start=None),
            meeting(id="earlier", start=date(2016, 1, 1)),
        )
    )
    assert list(agenda.meetings) == ["earlier", "later", "tba"]


def test_problem_text_without_entry_or_field():
    assert str(Problem("a.toml", "", "", "is not valid TOML")) == "a.toml: is not valid TOML"


def test_feeds_to_follow_are_read_and_checked():
    feeds = {
        "feed": [
            {"url": "webcal://cal.example.org/a.ics", "body": "ptc", "topics": ["tfa"]},
            {"url": "ftp://cal.example.org/b.ics"},
            {"url": "https://cal.example.org/c.ics", "body": "nobody"},
            {"url": "https://cal.example.org/a.ics"},
        ]
    }
    problems = problems_of(documents(meeting(), extra={"feeds.toml": feeds}))
    assert problems == [
        "feeds.toml: feed #2, field 'url': must be an https://, http:// or webcal:// address",
        "feeds.toml: feed #3, field 'body': unknown body 'nobody'",
        "feeds.toml: feed #4, field 'url': this calendar is listed twice",
    ]
    del feeds["feed"][1:]
    agenda = build_agenda(documents(meeting(), extra={"feeds.toml": feeds}))
    (spec,) = agenda.follows
    assert (spec.url, spec.body, spec.topics) == (
        "https://cal.example.org/a.ics",
        "ptc",
        ("tfa",),
    )


def test_a_feed_address_urlsplit_refuses_is_a_listed_problem():
    feeds = {"feed": [{"url": "http://[::1"}]}
    problems = problems_of(documents(meeting(), extra={"feeds.toml": feeds}))
    assert problems == [
        "feeds.toml: feed #1, field 'url': must be an https://, http:// or webcal:// address"
    ]
