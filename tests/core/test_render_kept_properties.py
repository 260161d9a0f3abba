"""/topic's and /next's kept answers against answers written afresh, as the clock moves back
and forth over every start and end of a meeting and every midnight around them, as the
reader's zone is changed in place, and across ways of showing times and revisions."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import Agenda, AgendaIndex, PlainTimes, Renderer, Reply, TimeStyle
from bot.discord.times import DISCORD_TIMES
from tests.conftest import MINI_DAY, revised

ZONES = ("UTC", "Asia/Tokyo", "America/Cancun", "Europe/Brussels", "Pacific/Kiritimati")
SECOND, MINUTE = timedelta(seconds=1), timedelta(minutes=1)


def instants(agenda: Agenda) -> list[datetime]:
    """Every start and end of a meeting, each midnight (UTC's, and the meeting's own: "in 2
    days", "day 2 of 3") near them, and moments around each."""
    found: set[datetime] = set()
    for meeting in agenda.meetings.values():
        start, end = meeting.when.start_utc, meeting.when.end_utc
        if start is None or end is None:
            continue
        for at in (start, end):
            midnight = at.replace(hour=0, minute=0, second=0, microsecond=0)
            found.update({at, midnight, midnight + timedelta(days=1)})
        days = min((end - start).days, 40)
        found.update(start + timedelta(days=n) for n in range(-2, days + 2))
    return sorted(
        at + step
        for at in found
        for step in (-MINUTE, -SECOND, timedelta(0), SECOND, 29 * SECOND, 31 * SECOND, MINUTE)
    )


def fresh_topic(agenda: Agenda, topic: str, now: datetime, times: TimeStyle) -> Reply:
    """The answer written from nothing kept."""
    meetings = [agenda.meetings[m] for m in agenda.topics[topic].meetings]
    coming = [m for m in meetings if not m.when.has_ended(now)]
    held = [m for m in meetings if m.when.has_ended(now)]
    return Renderer(agenda, times)._topic(agenda.topics[topic], coming, held)


def fresh_next(agenda: Agenda, body: str | None, now: datetime, times: TimeStyle) -> Reply:
    index = AgendaIndex(agenda)
    timeline = index._timeline if body is None else index._body_timelines[body]
    return Renderer(agenda, times)._next_meeting(timeline._around(now, 3), body, now)


SECONDS = (-86400, -3600, -120, -61, -60, -31, -1, 0, 1, 29, 31, 60, 3600, 86400)
OFFSETS = [timedelta(seconds=s) for s in SECONDS]


def steps(agenda: Agenda) -> st.SearchStrategy[list[tuple[datetime, int, str | None, str]]]:
    """Questions in any order, near an instant or anywhere: when, how times are shown
    (Discord's, or plain times in a zone), the body (/next) or topic (/topic) asked about."""
    bodies = [None, *agenda.bodies]
    anywhere = st.sampled_from(instants(agenda))
    return anywhere.flatmap(
        lambda center: st.lists(
            st.tuples(
                st.one_of(st.sampled_from(OFFSETS).map(center.__add__), anywhere),
                st.one_of(st.integers(0, 2), st.integers(0, len(ZONES))),
                st.sampled_from(bodies),
                st.sampled_from(sorted(agenda.topics)),
            ),
            min_size=1,
            max_size=25,
        )
    )


def check_kept_against_fresh(agenda: Agenda, asked: list, index: AgendaIndex) -> None:
    plain = PlainTimes()  # one object, its zone changed in place (the console's /timezone)
    for now, style, body, topic in asked:
        times: TimeStyle = DISCORD_TIMES
        if style:
            plain.reader_zone = ZoneInfo(ZONES[style - 1])
            times = plain
        kept = Renderer(agenda, times).topic(agenda.topics[topic], now)
        assert kept == fresh_topic(agenda, topic, now, times), (now, style, topic)
        found = index.next(now, body)
        kept = Renderer(agenda, times).next_meeting(found, body, now)
        assert kept == fresh_next(agenda, body, now, times), (now, style, body)


@pytest.fixture(scope="module")
def mini_moved(mini: Agenda) -> Agenda:
    """The small agenda with a meeting moved and renamed: another revision of it."""
    return revised(
        mini,
        "board-12",
        MINI_DAY - timedelta(days=1),
        title="Board 12 (moved)",
    )


@settings(max_examples=60)
@given(data=st.data())
def test_kept_topic_and_next_answers_are_the_fresh_ones_as_the_clock_moves(mini, data):
    agenda = Agenda(**{name: getattr(mini, name) for name in mini.__dataclass_fields__})
    index = AgendaIndex(agenda)  # what /next finds is kept in it, as a library keeps it
    check_kept_against_fresh(agenda, data.draw(steps(agenda)), index)


@settings(max_examples=30)
@given(data=st.data())
def test_kept_answers_of_one_revision_are_not_those_of_another(mini, mini_moved, data):
    # Each revision is a new agenda: asked in turn, each gives its own answers.
    index, moved_index = AgendaIndex(mini), AgendaIndex(mini_moved)
    for agenda, kept_index in ((mini, index), (mini_moved, moved_index), (mini, index)):
        check_kept_against_fresh(agenda, data.draw(steps(agenda)), kept_index)


@settings(max_examples=10)
@given(data=st.data())
def test_kept_answers_on_the_bundled_agenda_are_the_fresh_ones(wco, data):
    index = AgendaIndex(wco)
    asked = data.draw(steps(wco).map(lambda found: found[:8]))
    check_kept_against_fresh(wco, asked, index)
