"""A meeting of the data files read into its revisions: the entry itself is what was announced
(known at `announced`, else its `updated`, else the data set's), each `[[meeting.history]]`
entry a later revision setting only what changed. Every step is checked as the meeting it makes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from sys import intern
from typing import Any
from zoneinfo import ZoneInfo

from .entries import HistoryEntry, MeetingEntry, PersonEntry, SourceEntry
from .model import Kind, Meeting, Person, Revision, Role, Source, Status
from .revisions import MeetingRecord
from .spans import DateFieldError, when_of
from .when import LocalTimeError, Precision, UnknownZoneError, When, resolve_zone

Report = Callable[[str, str], None]  # (field, message)
# Fields a history entry sets as they are written (the dates are read together, below).
_PLAIN = ("title", "kind", "venue", "status", "summary", "confidence", "outcome")
_LISTS = ("sessions", "topics", "aliases")


def known_instant(value: date | datetime) -> datetime:
    """When something became known: a day means from its start (UTC), so that `--as-of` that
    day sees it."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.combine(value, time(0), tzinfo=UTC)


@dataclass
class _Dates:
    """A meeting's dates as written, so that a later revision may change one part of them."""

    start: object
    end: object
    zone: ZoneInfo


def read_meeting(
    entry: MeetingEntry,
    default_known: datetime | None,
    report: Report,
) -> MeetingRecord | None:
    """The entry's revisions, or None after reporting every problem found."""
    try:
        zone = resolve_zone(entry.timezone)
    except UnknownZoneError as problem:
        report("timezone", str(problem))
        return None
    dates = _Dates(entry.start, entry.end, zone)
    when = _when(dates, report, "")
    if when is None:
        return None
    announced = (
        known_instant(entry.announced)
        if entry.announced is not None
        else (entry.updated or default_known)
    )
    if announced is None:  # no data set to take it from: reported as such elsewhere
        return None
    first = Revision(
        known=announced.astimezone(UTC),
        # Given in order, not by name: twelve keywords cost twice the call (issue 16).
        sets=vars(
            _OwnSets(
                entry.title,
                # Ids and venues named by meeting after meeting: one string each, not one per
                # meeting (100,000 meetings held a copy of each id they named).
                tuple(map(intern, entry.bodies)),
                entry.kind,
                tuple(entry.sessions),
                when,
                intern(entry.venue) if entry.venue else "",
                entry.status,
                tuple(map(intern, entry.topics)),
                tuple(entry.aliases),
                entry.summary,
                entry.confidence,
                entry.outcome,
            )
        ),
        sources=sources_of(entry.sources),
        by=entry.by,
        why=entry.note,
        origin=entry.origin,
        ident=f"{entry.id}#0",
    )
    revisions = [first]
    ok = _check(when, entry.status, report, "")
    for number, later in enumerate(entry.history, start=1):
        where = f"history[{number}]."
        revision = _revision(entry.id, number, later, dates, report, where)
        if revision is None:
            ok = False
            continue
        if revision.known < first.known:
            report(
                f"{where}known",
                "a change cannot be known before the meeting was announced "
                f"({first.known:%Y-%m-%d}); move 'announced' earlier",
            )
            ok = False
        revisions.append(revision)
    if not ok:
        return None
    record = MeetingRecord.of(entry.id, revisions, entry.revision)
    for number, version in enumerate(record.versions[1:], start=1):
        ok = _check(version.when, version.status, report, f"history[{number}].") and ok
    pairs = zip(record.revisions, record.versions, strict=True)
    for number, (revision, version) in enumerate(pairs):
        if version.outcome and not version.when.has_ended(revision.known):
            where = f"history[{number}]." if number else ""
            report(
                f"{where}outcome",
                f"an outcome is what was reported after the meeting, and this is known from "
                f"{revision.known:%Y-%m-%d}, before it ended: give it in a [[meeting.history]] "
                "entry known after the meeting",
            )
            ok = False
    return record if ok else None


@dataclass(frozen=True, slots=True)
class ReadMeeting:
    """A meeting entry read into its record (None if it has problems), with what checking its
    references needs (they may name bodies and topics of files read later) and the problems
    reading it found, told when the meetings are built. Read as soon as it is validated where
    the data set is known, so that the entry is let go at once: 100,000 of them, all kept until
    the meetings were built, were the peak of a large agenda's load (issue 16)."""

    id: str
    record: MeetingRecord | None
    bodies: tuple[str, ...]
    topics: tuple[str, ...]
    later_topics: tuple[tuple[int, list[str]], ...]  # (number, topics) of the history entries
    problems: tuple[tuple[str, str], ...]  # (field, message)


def read_meeting_now(entry: MeetingEntry, default_known: datetime | None) -> ReadMeeting:
    """read_meeting, the problems kept to be told later."""
    problems: list[tuple[str, str]] = []
    record = read_meeting(entry, default_known, lambda *found: problems.append(found))
    if record is not None:  # the ids as the record holds them: no tuples of their own
        sets: Mapping[str, Any] = record.revisions[0].sets
        bodies, topics = sets["bodies"], sets["topics"]
    else:
        bodies, topics = tuple(entry.bodies), tuple(entry.topics)
    later = tuple((n, h.topics) for n, h in enumerate(entry.history, start=1) if h.topics)
    return ReadMeeting(entry.id, record, bodies, topics, later, tuple(problems))


class _OwnSets:
    """What a meeting entry's own revision sets, as the attributes of an object, for its
    `__dict__`: a dict like any other (equal, shown, copied and pickled the same) whose keys,
    set always in the order of REVISED, CPython keeps once for all of them (a key-sharing dict,
    PEP 412), and only the values with each. A dict of its own for each of 100,000 meetings
    cost 65 MB, a tenth of loading a large agenda (issue 16); these cost a third of that. Set
    one by one, not in a loop: as fast as a dict's literal, a loop took three times as long."""

    def __init__(
        self,
        title: str,
        bodies: tuple[str, ...],
        kind: Kind,
        sessions: tuple[int, ...],
        when: When,
        venue: str,
        status: Status,
        topics: tuple[str, ...],
        aliases: tuple[str, ...],
        summary: str,
        confidence: str,
        outcome: str,
    ) -> None:
        self.title = title
        self.bodies = bodies
        self.kind = kind
        self.sessions = sessions
        self.when = when
        self.venue = venue
        self.status = status
        self.topics = topics
        self.aliases = aliases
        self.summary = summary
        self.confidence = confidence
        self.outcome = outcome


def _revision(
    meeting_id: str,
    number: int,
    later: HistoryEntry,
    dates: _Dates,
    report: Report,
    where: str,
) -> Revision | None:
    given = later.model_fields_set
    sets: dict[str, Any] = {name: getattr(later, name) for name in _PLAIN if name in given}
    sets.update({name: tuple(getattr(later, name) or ()) for name in _LISTS if name in given})
    if "venue" in sets:
        sets["venue"] = sets["venue"] or ""
    if given & {"start", "end", "timezone"}:
        if "timezone" in given:
            try:
                dates.zone = resolve_zone(later.timezone or "")
            except UnknownZoneError as problem:
                report(f"{where}timezone", str(problem))
                return None
        if "start" in given:  # a new start replaces the whole span
            dates.start, dates.end = later.start, later.end
        elif "end" in given:
            dates.end = later.end
        when = _when(dates, report, where)
        if when is None:
            return None
        sets["when"] = when
    return Revision(
        known=known_instant(later.known),
        sets=sets,
        sources=sources_of(later.sources),
        by=later.by,
        why=later.note,
        origin=later.origin,
        ident=f"{meeting_id}#{number}",
    )


def _when(dates: _Dates, report: Report, where: str) -> When | None:
    try:
        return when_of(dates.start, dates.end, dates.zone)
    except DateFieldError as problem:
        report(f"{where}{problem.field}", str(problem))
    except LocalTimeError as problem:
        report(f"{where}start", str(problem))
    return None


def state_problem(when: When, status: Status) -> str | None:
    """Why a meeting cannot be in this state (the data files' rule, and editors'), or None."""
    if status is Status.HELD and when.precision is Precision.TBA:
        return "a held meeting happened: give at least its year in 'start'"
    return None


def _check(when: When, status: Status, report: Report, where: str) -> bool:
    problem = state_problem(when, status)
    if problem is not None:
        report(f"{where}status", problem)
        return False
    return True


def read_person(entry: PersonEntry, meetings: Mapping[str, Meeting], report: Report) -> Person:
    """The entry as a Person. A role at an unknown meeting is left out (the caller reports it);
    one without `known` at a meeting with no end is reported: it could never be shown."""
    roles = []
    for number, role in enumerate(entry.roles, start=1):
        meeting = meetings.get(role.meeting)
        if meeting is None:
            continue
        if role.known is None and meeting.when.end_utc is None:
            report(
                f"roles[{number}].known",
                f"meeting '{meeting.id}' has no known end; say when this became known "
                "(known = 2015-10-23)",
            )
            continue
        roles.append(
            Role(
                did=role.did,
                meeting=role.meeting,
                known=known_instant(role.known) if role.known is not None else None,
                topic=role.topic,
                what=role.what,
                position=role.position or "",
                confidence=role.confidence,
                sources=sources_of(role.sources),
            )
        )
    return Person(
        id=entry.id,
        name=entry.name,
        roles=tuple(roles),
        aliases=tuple(entry.aliases),
        country=entry.country or "",
        delegation=entry.delegation,
        summary=entry.summary,
        sources=sources_of(entry.sources),
    )


def sources_of(entries: list[SourceEntry]) -> tuple[Source, ...]:
    """A source is marked verified only where its entry says when someone checked it."""
    return tuple(Source(s.title, s.url, s.verified) for s in entries)
