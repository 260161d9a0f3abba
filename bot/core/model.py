"""The domain: bodies, meetings and topics of one organisation's agenda."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING

from .pickling import quick_unpickling
from .when import When

if TYPE_CHECKING:
    from .revisions import MeetingRecord


class Kind(StrEnum):
    SESSION = "session"
    JOINT_SESSION = "joint-session"
    CONFERENCE = "conference"
    WORKSHOP = "workshop"
    MILESTONE = "milestone"

    @property
    def label(self) -> str:
        return self.value.replace("-", " ")


class Status(StrEnum):
    PLANNED = "planned"
    TENTATIVE = "tentative"
    CONFIRMED = "confirmed"
    POSTPONED = "postponed"
    CANCELLED = "cancelled"
    HELD = "held"

    @property
    def is_live(self) -> bool:
        """Going ahead as far as anyone knows: not cancelled, not postponed."""
        return self not in (Status.CANCELLED, Status.POSTPONED)

    def may_become(self, other: Status) -> bool:
        """The lifecycle: planned -> tentative | confirmed -> held; postponed and cancelled from
        any open state; a postponed meeting can be planned again; held and cancelled are final."""
        return other is self or other in _NEXT_STATUSES[self]


_NEXT_STATUSES: dict[Status, frozenset[Status]] = {
    Status.PLANNED: frozenset(
        {Status.TENTATIVE, Status.CONFIRMED, Status.POSTPONED, Status.CANCELLED, Status.HELD}
    ),
    Status.TENTATIVE: frozenset({Status.CONFIRMED, Status.POSTPONED, Status.CANCELLED}),
    Status.CONFIRMED: frozenset(
        {Status.TENTATIVE, Status.POSTPONED, Status.CANCELLED, Status.HELD}
    ),
    Status.POSTPONED: frozenset(
        {Status.PLANNED, Status.TENTATIVE, Status.CONFIRMED, Status.CANCELLED}
    ),
    Status.CANCELLED: frozenset(),
    Status.HELD: frozenset(),
}


@quick_unpickling
@dataclass(frozen=True, slots=True)
class Source:
    title: str
    url: str
    verified: date | None = None


class Origin(StrEnum):
    """Where a revision comes from."""

    DATA = "data"  # the data files (read-only to the bot)
    EDITOR = "editor"  # /manage, in Discord or the console
    FEED = "feed"  # a followed calendar


# What a revision may set; the first revision of a meeting sets at least REQUIRED.
REVISED = (
    "title",
    "bodies",
    "kind",
    "sessions",
    "when",
    "venue",
    "status",
    "topics",
    "aliases",
    "summary",
    "confidence",
    "outcome",
)
REQUIRED = ("title", "bodies", "kind", "when", "status")


@quick_unpickling
@dataclass(frozen=True, slots=True)
class Revision:
    """What became known about a meeting at one instant: the fields it set (names of REVISED,
    values as Meeting holds them), its sources, and for an edit who made it and why."""

    known: datetime  # aware
    sets: Mapping[str, object]
    sources: tuple[Source, ...] = ()
    by: str = ""  # "discord:<id>", "console", "" for the data files
    why: str = ""
    origin: Origin = Origin.DATA
    ident: str = ""  # stable: "<meeting>#<n>" in the data files, "db:<id>" in the database


@quick_unpickling
@dataclass(frozen=True, slots=True)
class Body:
    id: str
    name: str
    acronym: str | None = None
    aliases: tuple[str, ...] = ()
    parent: str | None = None
    external: bool = False
    summary: str = ""
    sources: tuple[Source, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        extra = (self.acronym,) if self.acronym else ()
        return (self.name, *extra, *self.aliases)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.acronym})" if self.acronym else self.name


@quick_unpickling
@dataclass(frozen=True, slots=True)
class Meeting:
    """One meeting as the agenda knows it: when (at its precision), where, its status, bodies,
    topics and sources."""

    id: str
    title: str
    bodies: tuple[str, ...]
    kind: Kind
    when: When
    status: Status
    venue: str = ""
    sessions: tuple[int, ...] = ()
    topics: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    summary: str = ""
    confidence: str = ""
    # How often it changed (the calendar SEQUENCE) and when the latest change became known.
    revision: int = 0
    updated: datetime | None = None
    sources: tuple[Source, ...] = ()
    outcome: str = ""  # what was reported after it: shown once it has ended
    known: datetime | None = None  # when it was first announced
    history: tuple[Revision, ...] = ()  # every revision known, oldest first

    @property
    def names(self) -> tuple[str, ...]:
        return (self.title, *self.aliases)

    def outcome_at(self, now: datetime) -> str:
        """The outcome, once the meeting has ended (reported after it, never before)."""
        return self.outcome if self.when.has_ended(now) else ""

    @property
    def is_live(self) -> bool:
        return self.status.is_live

    def status_at(self, now: datetime) -> Status:
        """The status as known at `now`: a meeting held later was, until it ended, confirmed."""
        if self.status is Status.HELD and not self.when.has_ended(now):
            return Status.CONFIRMED
        return self.status


@quick_unpickling
@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    name: str
    summary: str
    aliases: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    involved: tuple[str, ...] = ()
    bodies: tuple[str, ...] = ()
    meetings: tuple[str, ...] = ()  # every related meeting, chronological (derived at load)
    confidence: str = ""
    listed: tuple[str, ...] = ()  # the meetings the topic itself names
    updated: datetime | None = None
    sources: tuple[Source, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@quick_unpickling
@dataclass(frozen=True, slots=True)
class Role:
    """What someone did at a meeting ("chaired", "presented"), known from `known` on, or, if the
    data files do not say, from the end of the meeting as known then (a chair is reported after
    the session, and a meeting may move)."""

    did: str  # a verb phrase that reads before the meeting's title: "chaired", "opened"
    meeting: str
    known: datetime | None = None  # aware
    topic: str | None = None
    what: str = ""  # what it was about: "the virtual working group's review of C21"
    position: str = ""  # the title held then: "WCO Director of Compliance and Facilitation"
    confidence: str = ""
    sources: tuple[Source, ...] = ()


@quick_unpickling
@dataclass(frozen=True, slots=True)
class Person:
    """Someone the agenda's meetings name, or a delegation speaking for its country, with what
    they did at which meeting."""

    id: str
    name: str
    roles: tuple[Role, ...]
    aliases: tuple[str, ...] = ()  # other spellings: "Zhangzhu Gao" for "Gaozhang Zhu"
    country: str = ""
    delegation: bool = False  # a country's or organisation's delegation, not one person
    summary: str = ""
    sources: tuple[Source, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    @property
    def label(self) -> str:
        shown = self.country and not self.delegation
        return f"{self.name} ({self.country})" if shown else self.name


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str
    organisation: str
    updated: datetime
    uid_domain: str
    description: str = ""
    as_of: date | None = None


DEFAULT_LENGTH = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Ladders:
    """Reminder lead times per kind of meeting, longest first; and how long a meeting known by
    its start time only is taken to last, in calendars (`[durations]`)."""

    default: tuple[timedelta, ...]
    by_kind: Mapping[Kind, tuple[timedelta, ...]] = field(default_factory=dict)
    length: timedelta = DEFAULT_LENGTH
    lengths: Mapping[Kind, timedelta] = field(default_factory=dict)

    def for_kind(self, kind: Kind) -> tuple[timedelta, ...]:
        return self.by_kind.get(kind, self.default)

    def length_of(self, kind: Kind) -> timedelta:
        return self.lengths.get(kind, self.length)


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """A calendar the data files say to follow: its address (http or https, as fetched), and
    what its meetings get (a body of the data set, else one named after the calendar)."""

    url: str
    body: str | None = None
    kind: Kind = Kind.SESSION
    topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class Agenda:
    """A validated data set as known at one instant (`known_at`; None: everything known).
    Meetings are kept in chronological order (TBA last); `records` holds every meeting's
    revisions, from which the agenda at any instant is folded (`revisions.view_at`)."""

    dataset: Dataset
    bodies: Mapping[str, Body]
    meetings: Mapping[str, Meeting]
    topics: Mapping[str, Topic]
    ladders: Ladders
    records: Mapping[str, MeetingRecord] = field(default_factory=dict)
    known_at: datetime | None = None
    follows: tuple[FeedSpec, ...] = ()  # calendars the data files say to follow
    people: Mapping[str, Person] = field(default_factory=dict)  # with the roles known

    def body_label(self, body_id: str) -> str:
        body = self.bodies.get(body_id)
        return body.acronym or body.name if body else body_id

    # Who did what on a topic or at a meeting, asked by every /topic and /meeting: built at the
    # first question instead of scanning every person's roles each time. An agenda is never
    # changed in place (a new one is built), so what is built here never goes stale.

    @cached_property
    def roles_by_topic(self) -> Mapping[str, tuple[tuple[Person, Role], ...]]:
        """Each topic's (person, role) pairs, in the order of the people and of their roles."""
        return _roles_by(self.people, lambda role: role.topic)

    @cached_property
    def roles_by_meeting(self) -> Mapping[str, tuple[tuple[Person, Role], ...]]:
        """Each meeting's (person, role) pairs, in the order of the people and of their roles."""
        return _roles_by(self.people, lambda role: role.meeting)

    @cached_property
    def renderings(self) -> dict[Hashable, object]:
        """Answers rendered from this agenda, kept by whoever renders them (`render.Renderer`)
        under keys that hold everything else the answer depends on."""
        return {}


def _roles_by(
    people: Mapping[str, Person], key: Callable[[Role], str | None]
) -> dict[str, tuple[tuple[Person, Role], ...]]:
    found: dict[str, list[tuple[Person, Role]]] = {}
    for person in people.values():
        for role in person.roles:
            value = key(role)
            if value is not None:
                found.setdefault(value, []).append((person, role))
    return {value: tuple(pairs) for value, pairs in found.items()}
