"""Issue 16, the cold load: the shortcuts taken while building an agenda and its indexes give
what the plain ways gave (kept here as the reference)."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.generate import generate
from bot.core import build_agenda
from bot.core.model import Revision, Topic
from bot.core.postings import WEIGHTS
from bot.core.queries import AgendaFilter, AgendaIndex
from bot.core.revisions import MeetingRecord, apply, topics_of
from bot.core.search import _meeting_fields, _meeting_texts
from bot.service import BUNDLED_DATA, load_agenda
from bot.service.datafiles import _loads


def test_a_meeting_s_texts_are_its_fields_joined_by_weight(tmp_path):
    agenda = load_agenda(generate(tmp_path / "data", 400, 40, revisions=2, people=20))
    bundled = load_agenda(BUNDLED_DATA)
    for each in (agenda, bundled):
        named = {body_id: " ".join(body.names) for body_id, body in each.bodies.items()}
        for meeting in each.meetings.values():
            fields = _meeting_fields(each, meeting)
            expected = tuple(
                " ".join(text for text, weight in fields if weight == wanted) for wanted in WEIGHTS
            )
            assert _meeting_texts(each, meeting, named) == expected


def test_a_meeting_s_texts_leave_out_a_body_or_topic_the_agenda_lacks():
    agenda = load_agenda(BUNDLED_DATA)
    meeting = next(iter(agenda.meetings.values()))
    odd = replace(meeting, bodies=("no-such-body", *meeting.bodies), topics=("no-such-topic",))
    named = {body_id: " ".join(body.names) for body_id, body in agenda.bodies.items()}
    fields = _meeting_fields(agenda, odd)
    expected = tuple(
        " ".join(text for text, weight in fields if weight == wanted) for wanted in WEIGHTS
    )
    assert _meeting_texts(agenda, odd, named) == expected


def former_topics_of(topics, meetings):
    """revisions.topics_of before issue 16's cold-load work: sets, sorted by position."""
    order = {meeting.id: index for index, meeting in enumerate(meetings)}
    naming: dict[str, set[str]] = {}
    for meeting in meetings:
        for topic_id in meeting.topics:
            naming.setdefault(topic_id, set()).add(meeting.id)
    return {
        topic.id: replace(
            topic,
            meetings=tuple(
                sorted(
                    naming.get(topic.id, set()) | {m for m in topic.listed if m in order},
                    key=order.__getitem__,
                )
            ),
        )
        for topic in topics
    }


topic_ids = st.sampled_from(["t1", "t2", "t3"])
meeting_ids = st.sampled_from([f"m{i}" for i in range(8)] + ["gone"])


@given(
    st.lists(st.lists(topic_ids, max_size=4), max_size=8),
    st.lists(st.lists(meeting_ids, max_size=4), min_size=3, max_size=3),
)
def test_each_topic_has_the_meetings_it_had(named, listed):
    """A meeting may name a topic twice; a topic may list a meeting that names it, one that
    does not, or one that is not on the agenda."""
    agenda = load_agenda(BUNDLED_DATA)
    model = next(iter(agenda.meetings.values()))
    meetings = [
        replace(model, id=f"m{index}", topics=tuple(names)) for index, names in enumerate(named)
    ]
    topics = [
        Topic(id=f"t{number}", name=f"Topic {number}", summary="s", listed=tuple(ids))
        for number, ids in enumerate(listed, start=1)
    ]
    assert topics_of(topics, meetings) == former_topics_of(topics, meetings)


def test_the_agenda_s_topics_have_the_meetings_they_had(tmp_path):
    for agenda in (
        load_agenda(BUNDLED_DATA),
        load_agenda(generate(tmp_path / "data", 400, 40, revisions=3, people=20)),
    ):
        meetings = list(agenda.meetings.values())
        assert agenda.topics == former_topics_of(agenda.topics.values(), meetings)


def test_a_first_revision_that_misses_a_field_names_every_one_it_misses():
    known = datetime(2020, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match=r"must set bodies, kind, when$"):
        apply("m", None, Revision(known, {"title": "T", "status": "planned"}))


def test_revisions_given_in_any_order_are_folded_by_when_they_became_known():
    agenda = load_agenda(BUNDLED_DATA)
    record = next(r for r in agenda.records.values() if len(r.revisions) > 1)
    later = [
        replace(revision, known=revision.known + timedelta(days=1)) for revision in record.revisions
    ]
    for revisions in (record.revisions, record.revisions[::-1], later[1:] + later[:1]):
        folded = MeetingRecord.of(record.id, revisions, record.base)
        assert folded.revisions == tuple(sorted(revisions, key=lambda r: r.known))
    single = MeetingRecord.of(record.id, record.revisions[:1], record.base)
    assert single.revisions == record.revisions[:1]
    assert single.versions == record.versions[:1]


def test_entries_given_as_other_mappings_make_the_same_agenda():
    """An entry that is a dict is validated as it is; any other mapping as a dict copy."""
    documents = {
        path.name: _loads(path.read_text(encoding="utf-8")) for path in BUNDLED_DATA.glob("*.toml")
    }
    proxied = {
        name: {
            key: [MappingProxyType(item) for item in value]
            if isinstance(value, list) and all(isinstance(item, dict) for item in value)
            else value
            for key, value in document.items()
        }
        for name, document in documents.items()
    }
    assert build_agenda(proxied) == build_agenda(documents)


def test_each_version_has_the_history_of_the_revisions_folded_into_it(tmp_path):
    for agenda in (
        load_agenda(BUNDLED_DATA),
        load_agenda(generate(tmp_path / "data", 200, 20, revisions=3, people=10)),
    ):
        for record in agenda.records.values():
            for count, version in enumerate(record.versions, start=1):
                assert version.history == record.revisions[:count]
            # The latest version's history is the record's revisions, held once.
            assert record.latest.history is record.revisions


def test_meetings_on_a_topic_and_by_session_are_those_found_before(tmp_path):
    """AgendaIndex before issue 16's memory work: a set of each topic's meetings, and a list
    for each (body, session number)."""
    data = generate(tmp_path / "data", 300, 30, revisions=2, people=10)
    now = datetime(2024, 1, 1, tzinfo=UTC)
    for agenda in (load_agenda(BUNDLED_DATA), load_agenda(data)):
        index = AgendaIndex(agenda)
        meetings = list(agenda.meetings.values())
        sessions: dict[tuple[str, int], list[str]] = {}
        for meeting in meetings:
            for body_id in meeting.bodies:
                for number in meeting.sessions:
                    sessions.setdefault((body_id, number), []).append(meeting.id)
        found = {
            (body_id, number): list(ids)
            for body_id, numbered in index._sessions.items()
            for number, ids in numbered.items()
        }
        assert found == sessions
        for topic in [*agenda.topics.values(), replace(next(iter(agenda.topics.values())), id="x")]:
            members = frozenset(agenda.topics[topic.id].meetings if topic.id != "x" else ())
            for body_id in (None, *agenda.bodies):
                source = [m for m in meetings if body_id is None or body_id in m.bodies]
                expected = [m for m in source if m.id in members]
                assert index.scoped(body_id, topic.id) == expected
                where = AgendaFilter(body=body_id, topic=topic.id)
                assert index.upcoming(now, where, size=10**6).items == tuple(
                    m for m in expected if not m.when.has_ended(now)
                )
