"""/topic's and /next's answers are kept with the agenda they were rendered from: asked again,
the same answer, and never one that something since has changed."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core import Agenda, AgendaIndex, PlainTimes, Precision, Renderer, Reply, TimeStyle, Topic
from bot.discord.times import DISCORD_TIMES
from tests.conftest import MINI_DAY, revised


def fresh(agenda: Agenda, topic: str, now: datetime, times: TimeStyle = DISCORD_TIMES) -> Reply:
    """The answer rendered from nothing kept: from a copy of the agenda."""
    copy = Agenda(**{name: getattr(agenda, name) for name in agenda.__dataclass_fields__})
    return Renderer(copy, times).topic(copy.topics[topic], now)


def test_a_topic_asked_again_is_answered_with_the_answer_kept(mini):
    first = Renderer(mini, DISCORD_TIMES).topic(mini.topics["drones"], MINI_DAY)
    again = Renderer(mini, DISCORD_TIMES).topic(mini.topics["drones"], MINI_DAY)
    assert again is first
    assert first == fresh(mini, "drones", MINI_DAY)


def test_a_topic_answer_changes_when_one_of_its_meetings_ends(mini):
    before = Renderer(mini, DISCORD_TIMES).topic(mini.topics["drones"], MINI_DAY)
    later = datetime(2016, 3, 2, 6, tzinfo=UTC)  # workshop-west has ended
    after = Renderer(mini, DISCORD_TIMES).topic(mini.topics["drones"], later)
    assert after != before
    assert after == fresh(mini, "drones", later)
    assert "workshop-west" in dict((f.name, f.value) for f in after.fields)["Discussed at"]
    # Back to the first instant (a clock set back): the first answer again.
    assert Renderer(mini, DISCORD_TIMES).topic(mini.topics["drones"], MINI_DAY) == before


def test_a_topic_answer_is_kept_apart_for_each_way_of_showing_times(mini):
    discord = Renderer(mini, DISCORD_TIMES).topic(mini.topics["drones"], MINI_DAY)
    plain = PlainTimes()
    console = Renderer(mini, plain).topic(mini.topics["drones"], MINI_DAY)
    assert console != discord
    assert console == fresh(mini, "drones", MINI_DAY, plain)


def test_a_revised_agenda_answers_with_the_revision(mini):
    Renderer(mini, DISCORD_TIMES).topic(mini.topics["drones"], MINI_DAY)
    title = "Technical Committee 7 (moved)"
    moved = revised(mini, "tc-7", MINI_DAY - timedelta(days=1), title=title)
    answer = Renderer(moved, DISCORD_TIMES).topic(moved.topics["drones"], MINI_DAY)
    assert any(title in field.value for field in answer.fields)
    assert answer == fresh(moved, "drones", MINI_DAY)


def next_answer(agenda: Agenda, now: datetime, times: TimeStyle = DISCORD_TIMES) -> Reply:
    return Renderer(agenda, times).next_meeting(index_of(agenda).next(now), None, now)


def fresh_next(agenda: Agenda, now: datetime, times: TimeStyle = DISCORD_TIMES) -> Reply:
    copy = Agenda(**{name: getattr(agenda, name) for name in agenda.__dataclass_fields__})
    return Renderer(copy, times).next_meeting(AgendaIndex(copy).next(now), None, now)


_INDEXES: dict[int, tuple[Agenda, AgendaIndex]] = {}


def index_of(agenda: Agenda) -> AgendaIndex:
    """One index per agenda, as a library holds it (what it finds is kept in it)."""
    kept = _INDEXES.get(id(agenda))
    if kept is None or kept[0] is not agenda:
        kept = _INDEXES[id(agenda)] = (agenda, AgendaIndex(agenda))
    return kept[1]


def test_next_asked_again_is_answered_with_the_answer_kept(mini):
    first = next_answer(mini, MINI_DAY)
    assert next_answer(mini, MINI_DAY + timedelta(minutes=5)) is first
    assert first == fresh_next(mini, MINI_DAY)


@pytest.mark.parametrize(
    ("first", "then"),
    [
        # workshop-west, under way, ends: tc-7 is next
        (MINI_DAY, datetime(2016, 3, 2, 6, tzinfo=UTC)),
        # the same meetings found, another day (the footer's date)
        (datetime(2016, 3, 1, 21, 30, tzinfo=UTC), datetime(2016, 3, 2, 0, 30, tzinfo=UTC)),
        # the same meetings found, on the same day: day 1, then day 2 of 3 in Cancun
        (datetime(2016, 3, 1, 4, tzinfo=UTC), datetime(2016, 3, 1, 6, tzinfo=UTC)),
    ],
)
def test_next_is_written_again_when_what_it_says_changes(mini, first, then):
    before = next_answer(mini, first)
    after = next_answer(mini, then)
    assert after != before
    assert after == fresh_next(mini, then)
    assert next_answer(mini, first) == before


def test_next_in_plain_times_follows_the_minutes(mini):
    plain = PlainTimes()
    for minutes in (0, 1, 2, 61):
        now = MINI_DAY + timedelta(minutes=minutes)
        assert next_answer(mini, now, plain) == fresh_next(mini, now, plain)


def test_a_reader_zone_changed_in_place_is_not_answered_with_the_old_zones_times(mini):
    # Regression: answers were kept under the TimeStyle object; the console changes its
    # reader's zone in place (/timezone), and got the times of the zone it had before.
    times = PlainTimes(ZoneInfo("UTC"))
    now = datetime(2016, 3, 4, 12, tzinfo=UTC)  # board-12 (13:00 in Brussels) to come
    topic, upcoming = (
        Renderer(mini, times).topic(mini.topics["drones"], now),
        next_answer(mini, now, times),
    )
    times.reader_zone = ZoneInfo("Asia/Tokyo")
    assert Renderer(mini, times).topic(mini.topics["drones"], now) != topic
    assert Renderer(mini, times).topic(mini.topics["drones"], now) == fresh(
        mini, "drones", now, times
    )
    assert next_answer(mini, now, times) != upcoming
    assert next_answer(mini, now, times) == fresh_next(mini, now, times)


def test_plain_times_alike_share_the_answers_kept(mini):
    # The web makes plain times for each page: alike, they find the answer kept.
    drones = mini.topics["drones"]
    first = Renderer(mini, PlainTimes(ZoneInfo("Asia/Tokyo"))).topic(drones, MINI_DAY)
    again = Renderer(mini, PlainTimes(ZoneInfo("Asia/Tokyo"))).topic(drones, MINI_DAY)
    assert again is first


def every_precision(agenda: Agenda) -> Agenda:
    """`agenda` with one more topic, on every meeting: exact times, days, a month, a year, and
    one without a date (the small agenda's topics have only times and days)."""
    everything = Topic(
        id="everything", name="Everything", summary="All.", meetings=(*agenda.meetings,)
    )
    fields = {name: getattr(agenda, name) for name in agenda.__dataclass_fields__}
    return Agenda(**{**fields, "topics": {**agenda.topics, "everything": everything}})


def test_a_kept_topic_answer_holds_to_the_instant_a_meeting_ends_and_not_past_it(mini):
    agenda = every_precision(mini)
    topic = agenda.topics["everything"]
    ends = sorted({m.when.end_utc for m in agenda.meetings.values() if m.when.end_utc is not None})
    assert {m.when.precision for m in agenda.meetings.values()} == set(Precision)
    tick = timedelta(microseconds=1)
    around = [at + step for at in ends for step in (-tick, timedelta(0), tick)]
    # Forwards, backwards (a clock set back), and back and forth across each end.
    back_and_forth = [at for pair in zip(around, reversed(around), strict=True) for at in pair]
    for now in [*around, *reversed(around), *back_and_forth]:
        answer = Renderer(agenda, DISCORD_TIMES).topic(topic, now)
        assert answer == fresh(agenda, "everything", now), now
    # Within the span of two ends, the answer kept; at the next end, a new one.
    for start, end in itertools.pairwise(ends):
        kept = Renderer(agenda, DISCORD_TIMES).topic(topic, start)
        assert Renderer(agenda, DISCORD_TIMES).topic(topic, end - tick) is kept
        assert Renderer(agenda, DISCORD_TIMES).topic(topic, end) is not kept
