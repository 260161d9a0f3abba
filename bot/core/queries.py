"""Questions about the agenda, answered from indexes built once per data set.

Every query takes `now` as an argument: the core never reads a clock itself.
"""

from __future__ import annotations

import operator
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from math import ceil
from typing import Generic, TypeVar

from .lookup import CONFIDENT, NameIndex, Resolution, decide
from .model import Agenda, Kind, Meeting, Status, Topic
from .text import DIGITS, normalize, whole_number
from .when import Precision

T = TypeVar("T")
PAGE_SIZE = 10
_NUMBER = re.compile(rf"\b{DIGITS}{{1,4}}\b")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    number: int
    pages: int
    total: int

    @classmethod
    def of(cls, items: Sequence[T], number: int, size: int = PAGE_SIZE) -> Page[T]:
        pages = max(1, ceil(len(items) / size))
        number = min(max(1, number), pages)
        start = (number - 1) * size
        return cls(tuple(items[start : start + size]), number, pages, len(items))


@dataclass(frozen=True, slots=True)
class AgendaFilter:
    body: str | None = None
    kind: Kind | None = None
    topic: str | None = None
    status: Status | None = None


@dataclass(frozen=True, slots=True)
class NextMeetings:
    """The meeting under way or coming next, what follows it in order (meetings known only by
    their month or year among them, at their place), and such meetings that may come before it
    (their month or year starts earlier)."""

    ongoing: tuple[Meeting, ...]
    upcoming: tuple[Meeting, ...]
    undated_before: tuple[Meeting, ...]

    @property
    def first(self) -> Meeting | None:
        return (self.ongoing or self.upcoming or (None,))[0]


ROUGH_SHOWN = 3  # month- or year-known meetings listed as "may come earlier", at most


class _Timeline:
    """Meetings with a known day, by start, answering "what is on now and next" in O(log n);
    beside them, those known only by their month or year, by the start of that span."""

    def __init__(self, meetings: Iterable[Meeting]) -> None:
        chosen = list(meetings)
        self._dated = [m for m in chosen if m.when.precision.has_day]
        # A meeting with a day has a start and an end (When's constructors derive them): read
        # as they are, each When once (building the indexes of a large agenda).
        whens = [m.when for m in self._dated]
        self._starts: list[datetime] = [w.start_utc for w in whens]  # type: ignore[misc]
        ends: list[datetime] = [w.end_utc for w in whens]  # type: ignore[misc]
        self._longest = max(map(operator.sub, ends, self._starts), default=timedelta(0))
        rough = (Precision.MONTH, Precision.YEAR)
        self._rough = [m for m in chosen if m.when.precision in rough]
        self._rough_starts = [_start(m) for m in self._rough]
        self._changes: list[datetime] | None = None  # made at the first question
        self._last: tuple[datetime, datetime | None, int, NextMeetings] | None = None

    def around(self, now: datetime, count: int) -> NextMeetings:
        """What `_around` finds, the same from one start or end of a meeting to the next: what
        it finds is told by which meetings have started and which have ended. Kept for that
        span, /next (the same question every time, its answer unchanged for hours or days) asks
        a bisection rather than walking the meetings around now."""
        last = self._last
        if last is not None and last[2] == count and last[0] <= now:
            until = last[1]
            if until is None or now < until:
                return last[3]
        changes = self._changes
        if changes is None:
            changes = self._changes = self._instants()
        place = bisect_right(changes, now)
        since = changes[place - 1] if place else _BEFORE_ALL
        until = changes[place] if place < len(changes) else None
        found = self._around(now, count)
        self._last = (since, until, count, found)
        return found

    def _instants(self) -> list[datetime]:
        """Every instant at which a meeting starts or ends, in order (some more than once: a
        bisection finds the same span). Sorted as runs already in order, mostly (the starts,
        then the ends), without a set of them: 3 ms at the first /next on 10,000 meetings."""
        rough = [m.when for m in self._rough]
        instants = [*self._starts, *self._rough_starts]
        instants += [w.end_utc for w in (m.when for m in self._dated)]  # type: ignore[misc]
        instants += [w.end_utc for w in rough if w.end_utc is not None]
        instants.sort()
        return instants

    def _around(self, now: datetime, count: int) -> NextMeetings:
        position = bisect_right(self._starts, now)
        ongoing = []
        back = position - 1
        while back >= 0 and self._starts[back] > now - self._longest:
            meeting = self._dated[back]
            if meeting.is_live and not meeting.when.has_ended(now):
                ongoing.append(meeting)
            back -= 1
        ongoing.reverse()
        dated: list[Meeting] = []
        forward = position
        while forward < len(self._dated) and len(dated) + len(ongoing) < count:
            if self._dated[forward].is_live:
                dated.append(self._dated[forward])
            forward += 1
        rough = self._rough_from(now, count + ROUGH_SHOWN)
        first = ongoing[0] if ongoing else (dated[0] if dated else None)
        if first is None:  # nothing has a day: the next known by its month or year leads
            return NextMeetings((), tuple(rough[:count]), ())
        horizon = _start(first)
        before = [m for m in rough if _start(m) < horizon]
        after = sorted(
            [*dated[0 if ongoing else 1 :], *(m for m in rough if _start(m) >= horizon)],
            key=lambda m: m.when.sort_key(),
        )
        following = after[: max(0, count - len(ongoing) - (0 if ongoing else 1))]
        upcoming = following if ongoing else [first, *following]
        return NextMeetings(tuple(ongoing), tuple(upcoming), tuple(before[:ROUGH_SHOWN]))

    def _rough_from(self, now: datetime, count: int) -> list[Meeting]:
        """The first `count` live month- or year-known meetings not over at `now`, in order."""
        index = bisect_left(self._rough_starts, now - _LONGEST_ROUGH_SPAN)
        found: list[Meeting] = []
        while index < len(self._rough) and len(found) < count:
            meeting = self._rough[index]
            if meeting.is_live and not meeting.when.has_ended(now):
                found.append(meeting)
            index += 1
        return found


_LONGEST_ROUGH_SPAN = timedelta(days=367)
_BEFORE_ALL = datetime.min.replace(tzinfo=UTC)


def _start(meeting: Meeting) -> datetime:
    assert meeting.when.start_utc is not None, "only dated meetings are on a timeline"
    return meeting.when.start_utc


def _find(index: NameIndex, query: str) -> Resolution:
    """An id or a name only one item has is that item (a dict hit, as autocomplete sends ids);
    anything else is ranked."""
    exact = index.exact(query)
    if len(exact) == 1:
        return Resolution(query, exact[0])
    return decide(query, index.rank(query))


def _end(meeting: Meeting) -> datetime:
    assert meeting.when.end_utc is not None, "only dated meetings are on a timeline"
    return meeting.when.end_utc


class AgendaIndex:
    """The indexes of one Agenda; rebuild it when the agenda changes."""

    def __init__(self, agenda: Agenda) -> None:
        self.agenda = agenda
        self._chronological: tuple[Meeting, ...] = tuple(agenda.meetings.values())
        self.bodies = NameIndex(
            (body.id, name) for body in agenda.bodies.values() for name in (body.id, *body.names)
        )
        self.meetings = NameIndex(
            (m.id, name) for m in self._chronological for name in (m.id, *m.names)
        )
        self.topics = NameIndex(
            (t.id, name) for t in agenda.topics.values() for name in (t.id, *t.names, *t.keywords)
        )
        self.people = NameIndex(
            (p.id, name) for p in agenda.people.values() for name in (p.id, *p.names)
        )
        self._countries = NameIndex((p.id, p.country) for p in agenda.people.values())
        # Each body's session numbers: a dict per body, and a tuple per number (a key and a
        # list for each of a large agenda's meetings cost twice as much).
        sessions: dict[str, dict[int, list[str]]] = {}
        by_body: dict[str, list[Meeting]] = {body_id: [] for body_id in agenda.bodies}
        for meeting in self._chronological:
            for body_id in meeting.bodies:
                by_body.setdefault(body_id, []).append(meeting)
                if meeting.sessions:
                    numbered = sessions.setdefault(body_id, {})
                    for number in meeting.sessions:
                        numbered.setdefault(number, []).append(meeting.id)
        self._sessions = {
            body_id: {number: tuple(ids) for number, ids in numbered.items()}
            for body_id, numbered in sessions.items()
        }
        self._by_body = by_body
        self._timeline = _Timeline(self._chronological)
        self._body_timelines = {body_id: _Timeline(ms) for body_id, ms in by_body.items()}
        topics_of: dict[str, list[str]] = {}
        for topic in agenda.topics.values():
            for meeting_id in topic.meetings:
                topics_of.setdefault(meeting_id, []).append(topic.id)
        # A meeting is on a topic when the topic is among its own: no set of every topic's
        # meetings besides (each meeting's topics are a few; a large agenda's sets were not).
        self._topics_of = {key: tuple(value) for key, value in topics_of.items()}

    def topics_of(self, meeting_id: str) -> tuple[str, ...]:
        """Every topic a meeting is related to (its own and those that name it)."""
        return self._topics_of.get(meeting_id, ())

    # -- lists -----------------------------------------------------------------------------------

    def upcoming(
        self,
        now: datetime,
        where: AgendaFilter = AgendaFilter(),
        page: int = 1,
        size: int = PAGE_SIZE,
    ) -> Page[Meeting]:
        """Meetings not yet ended (under way, dated, then undated), chronologically."""
        matches = self._matching(where, now)
        return Page.of([m for m in matches if not m.when.has_ended(now)], page, size)

    def past(
        self,
        now: datetime,
        where: AgendaFilter = AgendaFilter(),
        page: int = 1,
        size: int = PAGE_SIZE,
    ) -> Page[Meeting]:
        """Meetings that have ended, most recent first."""
        matches = self._matching(where, now)
        ended = [m for m in matches if m.when.has_ended(now)]
        ended.sort(key=_end, reverse=True)
        return Page.of(ended, page, size)

    def next(self, now: datetime, body: str | None = None, count: int = 3) -> NextMeetings:
        timeline = self._timeline if body is None else self._body_timelines.get(body)
        if timeline is None:
            return NextMeetings((), (), ())
        return timeline.around(now, count)

    def scoped(self, body: str | None = None, topic: str | None = None) -> list[Meeting]:
        """Every meeting of a body and/or on a topic (every meeting without either), in order:
        what a calendar limited to them holds."""
        source: Sequence[Meeting] = self._chronological
        if body is not None:
            source = self._by_body.get(body, [])
        if topic is None:
            return list(source)
        topics_of = self._topics_of
        return [m for m in source if topic in topics_of.get(m.id, ())]

    def topics_page(self, page: int = 1, size: int = PAGE_SIZE) -> Page[Topic]:
        return Page.of(list(self.agenda.topics.values()), page, size)

    def _matching(self, where: AgendaFilter, now: datetime) -> list[Meeting]:
        source: Sequence[Meeting] = self._chronological
        if where.body is not None:
            source = self._by_body.get(where.body, [])
        tests: list[Callable[[Meeting], bool]] = []
        if where.kind is not None:
            kind = where.kind
            tests.append(lambda m: m.kind is kind)
        if where.topic is not None:
            topic, topics_of = where.topic, self._topics_of
            tests.append(lambda m: topic in topics_of.get(m.id, ()))
        if where.status is not None:
            status = where.status
            tests.append(lambda m: m.status_at(now) is status)
        return [m for m in source if all(test(m) for test in tests)]

    # -- one thing by name -----------------------------------------------------------------------

    def find_body(self, query: str) -> Resolution:
        return _find(self.bodies, query)

    def find_topic(self, query: str) -> Resolution:
        return _find(self.topics, query)

    def find_person(self, query: str) -> Resolution:
        """By name or spelling; else by country ("Netherlands"): a name wins over a country
        ("Morocco" is Morocco's delegation, not the Moroccan who chaired the Council)."""
        found = _find(self.people, query)
        if found.found is None:
            by_country = _find(self._countries, query)
            if by_country.found is not None:
                return by_country
        return found

    def find_meeting(self, query: str, now: datetime) -> Resolution:
        """A meeting by id, title, alias, "<body> <session>" or body name (its next meeting).

        When several meetings match equally well ("AEO conference"), the user means the next one
        (or, if none is coming, the latest).
        """
        key = normalize(query)
        if not key:
            return Resolution(query, None)
        by_session = self._by_session(key)
        if by_session is not None:
            return by_session
        exact_body = self.bodies.exact(key)
        if len(exact_body) == 1:
            return self._of_body(query, exact_body[0], now)
        ranked = self.meetings.rank(query, limit=12)
        if ranked and ranked[0].score >= CONFIDENT:
            tied = [r.id for r in ranked if r.score >= ranked[0].score - 3]
            chosen = self._soonest([self.agenda.meetings[i] for i in tied], now)
            others = tuple(r.id for r in ranked if r.id != chosen.id)[:4]
            return Resolution(query, chosen.id, others)
        body = self.find_body(query)
        if body.found is not None:
            return self._of_body(query, body.found, now)
        return decide(query, ranked)

    def find_scope(self, query: str) -> tuple[str, Resolution]:
        """A body, a topic or a meeting, whichever the words name best: ("body", resolution)...

        Exact names win in that order (a body's name means the body, not its next meeting);
        otherwise the best fuzzy match of the three, if it is clear.
        """
        key = normalize(query)
        for kind, index in (("body", self.bodies), ("topic", self.topics)):
            exact = index.exact(key)
            if len(exact) == 1:
                return kind, Resolution(query, exact[0])
        by_session = self._by_session(key) if key else None
        if by_session is not None:
            return "meeting", by_session
        exact_meeting = self.meetings.exact(key)
        if len(exact_meeting) == 1:
            return "meeting", Resolution(query, exact_meeting[0])
        ranked = [
            (r.score, kind, r.id)
            for kind, index in (
                ("body", self.bodies),
                ("topic", self.topics),
                ("meeting", self.meetings),
            )
            for r in index.rank(query, limit=3)
        ]
        ranked.sort(key=lambda item: -item[0])
        if (
            ranked
            and ranked[0][0] >= CONFIDENT
            and (
                len(ranked) == 1
                or ranked[0][0] - ranked[1][0] >= 4
                or ranked[1][1:] == ranked[0][1:]
            )
        ):
            return ranked[0][1], Resolution(query, ranked[0][2])
        suggestions = tuple(f"{kind}:{item}" for _, kind, item in ranked[:5])
        return "", Resolution(query, None, suggestions)

    def _by_session(self, key: str) -> Resolution | None:
        numbers = _NUMBER.findall(key)
        session = whole_number(numbers[0]) if len(numbers) == 1 else None
        if session is None:
            return None
        rest = " ".join(_NUMBER.sub(" ", key).split())
        for body_id in self.bodies.exact(rest) if rest else ():
            found = self._sessions.get(body_id, {}).get(session)
            if found:
                return Resolution(key, found[0], tuple(found[1:]))
        return None

    def _of_body(self, query: str, body_id: str, now: datetime) -> Resolution:
        meetings = self._by_body.get(body_id, [])
        if not meetings:
            return Resolution(query, None)
        chosen = self._soonest(meetings, now)
        others = tuple(m.id for m in meetings if m.id != chosen.id)
        return Resolution(query, chosen.id, others[-4:])

    @staticmethod
    def _soonest(meetings: Sequence[Meeting], now: datetime) -> Meeting:
        ordered = sorted(meetings, key=lambda m: m.when.sort_key())
        coming = [m for m in ordered if not m.when.has_ended(now) and m.is_live]
        if coming:
            dated = [m for m in coming if m.when.precision.has_day]
            return (dated or coming)[0]
        ended = [m for m in ordered if m.when.has_ended(now)]
        return (ended or ordered)[-1]
