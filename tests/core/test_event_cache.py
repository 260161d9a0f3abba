"""Rendered events reused across exports: the same bytes as a fresh render whatever changed in
between, re-rendered only when something the event is made from changed, and within a bound."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

import bot.core.calendar as calendar_module
from bot.core import Agenda, EventCache, Kind, Source, write_calendar
from bot.core.calendar import Change


def export(agenda: Agenda, cache: EventCache, **options) -> bytes:
    return write_calendar(
        agenda, agenda.meetings.values(), name=agenda.dataset.name, cache=cache, **options
    ).content


@pytest.fixture
def rendered(monkeypatch):
    """The meetings rendered (not taken from a cache), in order."""
    seen: list[str] = []
    event = calendar_module._event

    def counting(agenda, meeting, leads, change):
        seen.append(meeting.id)
        return event(agenda, meeting, leads, change)

    monkeypatch.setattr(calendar_module, "_event", counting)
    return seen


def test_a_repeated_export_renders_nothing_and_gives_the_same_bytes(mini, rendered):
    cache = EventCache()
    first = export(mini, cache, alarms=True)
    count = len(rendered)
    assert count == 6  # the meetings with a day
    assert export(mini, cache, alarms=True) == first
    assert len(rendered) == count
    assert export(mini, EventCache(), alarms=True) == first


def test_a_refolded_agenda_reuses_equal_meetings(mini, rendered):
    cache = EventCache()
    export(mini, cache)
    copies = {key: replace(meeting) for key, meeting in mini.meetings.items()}
    rendered.clear()
    assert export(replace(mini, meetings=copies), cache) == export(mini, EventCache())
    assert len(rendered) == 6  # only the fresh cache rendered


def _edit_meeting(agenda: Agenda) -> Agenda:
    meeting = agenda.meetings["tc-7"]
    edited = replace(meeting, title="Technical Committee, 7th Session (moved)", revision=2)
    return replace(agenda, meetings={**agenda.meetings, "tc-7": edited})


def _rename_topic(agenda: Agenda) -> Agenda:
    topic = replace(agenda.topics["drones"], name="Unmanned aircraft")
    return replace(agenda, topics={**agenda.topics, "drones": topic})


def _rename_body(agenda: Agenda) -> Agenda:
    body = replace(agenda.bodies["tech"], acronym="TECH")
    return replace(agenda, bodies={**agenda.bodies, "tech": body})


def _new_uid_domain(agenda: Agenda) -> Agenda:
    return replace(agenda, dataset=replace(agenda.dataset, uid_domain="elsewhere.invalid"))


def _dataset_updated(agenda: Agenda) -> Agenda:
    updated = datetime(2016, 2, 1, tzinfo=UTC)
    return replace(agenda, dataset=replace(agenda.dataset, updated=updated))


def _new_source(agenda: Agenda) -> Agenda:
    meeting = agenda.meetings["board-12"]
    edited = replace(meeting, sources=(Source("Minutes", "https://example.invalid/m"),))
    return replace(agenda, meetings={**agenda.meetings, "board-12": edited})


def _open_ended_with_new_length(agenda: Agenda) -> Agenda:
    meeting = agenda.meetings["board-12"]
    open_ended = replace(meeting, when=replace(meeting.when, end_utc=None))
    ladders = replace(agenda.ladders, lengths={meeting.kind: timedelta(hours=3)})
    meetings = {**agenda.meetings, "board-12": open_ended}
    return replace(agenda, meetings=meetings, ladders=ladders)


def _new_ladder(agenda: Agenda) -> Agenda:
    by_kind = {**agenda.ladders.by_kind, Kind.SESSION: (timedelta(days=2),)}
    return replace(agenda, ladders=replace(agenda.ladders, by_kind=by_kind))


@pytest.mark.parametrize(
    ("change", "options"),
    [
        (_edit_meeting, {}),
        (_rename_topic, {}),
        (_rename_body, {}),
        (_new_uid_domain, {}),
        (_dataset_updated, {}),
        (_new_source, {}),
        (_open_ended_with_new_length, {}),
        (_new_ladder, {"alarms": True}),
    ],
)
def test_no_event_is_reused_once_what_it_is_made_from_changed(mini, change, options):
    # A meeting never updated is stamped with the data set's date.
    never_updated = replace(mini.meetings["tc-7"], updated=None)
    start = replace(mini, meetings={**mini.meetings, "tc-7": never_updated})
    cache = EventCache()
    before = export(start, cache, **options)
    changed = change(start)
    after = export(changed, cache, **options)
    assert after != before
    assert after == export(changed, EventCache(), **options)
    assert export(start, cache, **options) == before  # and back


def test_alarms_observed_changes_and_own_leads_are_never_mixed_up(mini):
    cache = EventCache()
    changes = {"tc-7": Change(3, datetime(2016, 2, 20, tzinfo=UTC))}
    own = lambda meeting: [timedelta(hours=len(meeting.id))]  # noqa: E731
    variants = [{}, {"alarms": True}, {"changes": changes}, {"alarm_leads": own}]
    fresh = [export(mini, EventCache(), **options) for options in variants]
    assert len(set(fresh)) == len(variants)
    for _ in range(2):
        assert [export(mini, cache, **options) for options in variants] == fresh


def test_an_agenda_edited_again_and_again_keeps_one_entry_per_meeting(mini):
    cache = EventCache()
    agenda = mini
    for round_ in range(20):
        meeting = replace(agenda.meetings["tc-7"], title=f"Edited {round_}")
        agenda = replace(agenda, meetings={**agenda.meetings, "tc-7": meeting})
        export(agenda, cache)
    assert len(cache) == 6


def test_the_cache_stays_within_its_bytes_and_still_gives_the_same_calendar(mini):
    whole = export(mini, EventCache(), alarms=True)
    small = EventCache(max_bytes=3 * EventCache.HELD)
    for _ in range(2):
        assert export(mini, small, alarms=True) == whole
        assert 0 < small.size <= 3 * EventCache.HELD
        assert 0 < len(small) < 3
