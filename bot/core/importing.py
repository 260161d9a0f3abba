"""Another organisation's calendar (iCalendar, RFC 5545) in the agenda's terms: each event, and
each occurrence of a recurring one within a window, read as the fields of a meeting; and what
changed since the calendar was last read, as the sets of new revisions.

Parsing is icalendar's and recurrence recurring-ical-events'; this module only decides what an
event means here: its day or time in which zone, its status, its id."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from .model import Kind, Meeting, Origin, Status
from .text import clean_input, slug
from .when import LocalTimeError, UnknownZoneError, When, localize, resolve_zone, year_problem

TITLE_LIMIT = 200  # as the data files allow
SUMMARY_LIMIT = 1000
# Events read from one calendar at most: a few bytes of RRULE:FREQ=MINUTELY would otherwise
# bring hundreds of thousands of meetings.
MAX_EVENTS = 10_000
# What a followed calendar says of a meeting: compared from one reading to the next.
FOLLOWED = ("title", "when", "venue", "status", "summary")
_STATUS = {
    "TENTATIVE": Status.TENTATIVE,
    "CONFIRMED": Status.CONFIRMED,
    "CANCELLED": Status.CANCELLED,
}


class CalendarError(ValueError):
    """Content that is not a calendar this bot can read; the message says why."""


@dataclass(frozen=True, slots=True)
class Window:
    """Which occurrences of recurring events are read: from `behind` before now to `ahead`
    after it. Events outside it are neither added nor taken as removed."""

    behind: timedelta = timedelta(days=30)
    ahead: timedelta = timedelta(days=400)

    def around(self, now: datetime) -> tuple[datetime, datetime]:
        return now - self.behind, now + self.ahead


@dataclass(frozen=True, slots=True)
class ImportedEvent:
    key: str  # the UID, and for an occurrence of a recurring event its RECURRENCE-ID
    title: str
    when: When
    venue: str
    status: Status
    summary: str
    url: str  # the event's own page, or ""

    def fields(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "when": self.when,
            "venue": self.venue,
            "status": self.status,
            "summary": self.summary,
        }


@dataclass(frozen=True, slots=True)
class ImportedCalendar:
    name: str  # X-WR-CALNAME, or ""
    events: tuple[ImportedEvent, ...]
    unreadable: int  # events left out: no start, or a date the agenda cannot hold


def read_calendar(
    content: bytes, now: datetime, zone: ZoneInfo, window: Window | None = None
) -> ImportedCalendar:
    """The events of an iCalendar file within `window` of `now`. Days and floating times are
    read in the calendar's zone (X-WR-TIMEZONE), else `zone`; timed events keep their own.
    Raises CalendarError for anything that is not a readable calendar."""
    try:
        calendar = icalendar.Calendar.from_ical(content)
    except Exception as problem:  # icalendar raises ValueError, and others on odd input
        raise CalendarError(f"not an iCalendar file ({_said(problem)})") from None
    if not isinstance(calendar, icalendar.Calendar) or calendar.name != "VCALENDAR":
        raise CalendarError("not an iCalendar file (no VCALENDAR)")
    home = _zone_named(str(calendar.get("X-WR-TIMEZONE", ""))) or zone
    unreadable = _without_a_start(calendar)
    recurring = _recurring_uids(calendar)
    start, end = (window or Window()).around(now)
    events: dict[str, ImportedEvent] = {}
    # Single events are read directly (most of a calendar: recurrence expansion costs as much
    # as the parsing); only the recurring ones go through recurring-ical-events.
    for component in calendar.walk("VEVENT"):
        if _uid(component) in recurring:
            continue
        event = _event(component, recurring, home)
        if event is None:
            unreadable += 1
        elif _overlaps(event.when, start, end):
            events.setdefault(event.key, event)
            _within_limit(len(events))
    if recurring:
        for component in _occurrences(calendar, recurring, start, end):
            event = _event(component, recurring, home)
            if event is None:
                unreadable += 1
            else:
                events.setdefault(event.key, event)
                _within_limit(len(events))
    name = clean_input(str(calendar.get("X-WR-CALNAME", "")), TITLE_LIMIT)
    return ImportedCalendar(name, tuple(events.values()), unreadable)


def _occurrences(
    calendar: icalendar.Calendar, recurring: set[str], start: datetime, end: datetime
) -> Iterator[Any]:
    """The occurrences of the recurring events between `start` and `end`, one at a time (in
    the order they start), so that a rule repeating every minute stops at MAX_EVENTS."""
    series = icalendar.Calendar()
    series.subcomponents = [
        c for c in calendar.subcomponents if c.name != "VEVENT" or _uid(c) in recurring
    ]
    try:
        for occurrence in recurring_ical_events.of(series).after(start):
            if _starts(occurrence) >= end:
                return
            yield occurrence
    except Exception as problem:  # a broken RRULE, an end before its start, ...
        raise CalendarError(f"its events cannot be read ({_said(problem)})") from None


def _starts(occurrence: Any) -> datetime:
    value = occurrence["DTSTART"].dt
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _within_limit(events: int) -> None:
    if events > MAX_EVENTS:
        raise CalendarError(f"it holds more than {MAX_EVENTS:,} events within the window read")


def _overlaps(when: When, start: datetime, end: datetime) -> bool:
    assert when.start_utc is not None and when.end_utc is not None
    return when.start_utc < end and (when.end_utc > start or when.start_utc >= start)


def _uid(component: Any) -> str:
    return str(component.get("UID", "")).strip()


def meeting_id(feed_url: str, key: str) -> str:
    """A stable meeting id for an event of a followed calendar: its host, and a digest of the
    calendar's address and the event's key (two calendars never share one)."""
    digest = hashlib.sha256(f"{feed_url}\n{key}".encode()).hexdigest()[:12]
    return f"{slug(calendar_host(feed_url), 40) or 'calendar'}-{digest}"


def calendar_host(address: str) -> str:
    """The host a calendar is read from (what names it when it does not name itself)."""
    try:
        return urlsplit(address).hostname or address[:80]
    except ValueError:
        return address[:80]


def first_sets(body: str, kind: Kind, topics: tuple[str, ...]) -> dict[str, Any]:
    """What a new meeting (a calendar's, an editor's) gets besides its title, date, venue,
    status and summary, in its first revision: all a data file's meeting entry sets, so that
    export-data writes it back the same."""
    return {
        "bodies": (body,),
        "kind": kind,
        "topics": topics,
        "sessions": (),
        "aliases": (),
        "confidence": "",
        "outcome": "",
    }


def last_said(meeting: Meeting, by: str) -> dict[str, Any]:
    """What the calendar `by` said of the meeting when it was last read: its own revisions
    folded (editors' changes in between are not the calendar's)."""
    said: dict[str, Any] = {}
    for revision in meeting.history:
        if revision.origin is Origin.FEED and revision.by == by:
            said.update({k: v for k, v in revision.sets.items() if k in FOLLOWED})
    return said


def changed_fields(meeting: Meeting, by: str, event: ImportedEvent) -> dict[str, Any]:
    """What differs between this reading of the calendar and the last one: only that becomes
    a revision, so an editor's change stands until the calendar itself changes the field."""
    said = last_said(meeting, by)
    return {name: value for name, value in event.fields().items() if said.get(name) != value}


def owned_by(meetings: Iterable[Meeting], by: str) -> dict[str, Meeting]:
    """The meetings a followed calendar brought (its first revision is the calendar's)."""
    return {
        m.id: m
        for m in meetings
        if m.history and m.history[0].origin is Origin.FEED and m.history[0].by == by
    }


def vanished(
    owned: Mapping[str, Meeting], present: set[str], within: tuple[datetime, datetime], by: str
) -> list[Meeting]:
    """Meetings the calendar brought that it no longer lists, starting `within` (from now to
    the end of the window read: a calendar that lists only what is coming drops what has
    happened, which is not a cancellation) and not already marked removed."""
    start, end = within
    return [
        meeting
        for meeting_id, meeting in owned.items()
        if meeting_id not in present
        and meeting.when.start_utc is not None
        and start < meeting.when.start_utc < end
        and last_said(meeting, by).get("status") is not Status.CANCELLED
    ]


# -- one event ---------------------------------------------------------------------------------


def _event(component: Any, recurring: set[str], home: ZoneInfo) -> ImportedEvent | None:
    """The event, or None if it cannot be read: icalendar parses properties when they are
    first used, so a broken one (DTSTART:2016X) raises here, for this event only."""
    try:
        return _read_event(component, recurring, home)
    except Exception:
        return None


def _read_event(component: Any, recurring: set[str], home: ZoneInfo) -> ImportedEvent | None:
    uid = _uid(component)
    start_value = component.get("DTSTART")
    if start_value is None:
        return None
    start = start_value.dt
    end = component.get("DTEND").dt if component.get("DTEND") is not None else None
    if end is None and component.get("DURATION") is not None:
        end = start + component.get("DURATION").dt
    when = _when(start, end, start_value.params.get("TZID"), home)
    if when is None:
        return None
    title = clean_input(str(component.get("SUMMARY", "")), TITLE_LIMIT) or "(untitled event)"
    key = uid or f"{title}|{when.start_utc}"
    if uid in recurring and component.get("RECURRENCE-ID") is not None:
        key = f"{uid}#{_instant_text(component.get('RECURRENCE-ID').dt)}"
    status = _STATUS.get(str(component.get("STATUS", "")).upper(), Status.PLANNED)
    return ImportedEvent(
        key=key,
        title=title,
        when=when,
        venue=clean_input(str(component.get("LOCATION", "")), TITLE_LIMIT),
        status=status,
        summary=_summary(str(component.get("DESCRIPTION", ""))),
        url=str(component.get("URL", "")).strip(),
    )


def _when(start: Any, end: Any, tzid: str | None, home: ZoneInfo) -> When | None:
    if not isinstance(start, datetime):  # VALUE=DATE: whole days, in the calendar's zone
        if not isinstance(start, date) or year_problem(start):
            return None
        last = end - timedelta(days=1) if isinstance(end, date) and end > start else start
        return When.days(start, last, home)
    zone = _zone_of(start.tzinfo, tzid) or home
    instants = [_instant(value, home) for value in (start, end) if isinstance(value, datetime)]
    if any(year_problem(instant) for instant in instants):
        return None
    # Whole minutes: the agenda keeps times to the minute, so a second read compares equal.
    first, *rest = (instant.replace(second=0, microsecond=0) for instant in instants)
    return When.at(first, max(rest[0], first) if rest else None, zone)


def _instant(value: datetime, home: ZoneInfo) -> datetime:
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    try:  # a floating time: the calendar's own zone
        return localize(value, home).astimezone(UTC)
    except LocalTimeError:  # in a DST gap or fold: the earlier reading
        return value.replace(tzinfo=home, fold=0).astimezone(UTC)


def _zone_of(zone: tzinfo | None, tzid: str | None) -> ZoneInfo | None:
    """An IANA zone for an event's time: its own, or its TZID's (Windows names mapped); None
    for UTC and for zones known only by offsets (then the calendar's zone shows it)."""
    if isinstance(zone, ZoneInfo) and zone.key not in ("UTC", "Etc/UTC"):
        return _zone_named(zone.key)
    if tzid:
        return _zone_named(WINDOWS_TO_OLSON.get(tzid.strip(), tzid))
    return None


def _zone_named(name: str) -> ZoneInfo | None:
    try:
        return resolve_zone(name) if name.strip() else None
    except UnknownZoneError:
        return None


def _without_a_start(calendar: icalendar.Calendar) -> int:
    """Take out the events without a DTSTART (recurrence cannot read them); how many."""
    kept = [c for c in calendar.subcomponents if c.name != "VEVENT" or "DTSTART" in c]
    taken = len(calendar.subcomponents) - len(kept)
    calendar.subcomponents[:] = kept
    return taken


def _recurring_uids(calendar: icalendar.Calendar) -> set[str]:
    """UIDs whose events repeat (RRULE, RDATE) or have moved occurrences (RECURRENCE-ID):
    their occurrences are told apart by RECURRENCE-ID."""
    return {
        _uid(event)
        for event in calendar.walk("VEVENT")
        if any(event.get(name) is not None for name in ("RRULE", "RDATE", "RECURRENCE-ID"))
    }


def _instant_text(value: Any) -> str:
    if isinstance(value, datetime):
        instant = value.astimezone(UTC) if value.tzinfo is not None else value
        return instant.strftime("%Y%m%dT%H%M%S") + ("Z" if value.tzinfo is not None else "")
    return value.strftime("%Y%m%d") if isinstance(value, date) else str(value)


def _summary(description: str) -> str:
    text = clean_input(description, SUMMARY_LIMIT + 1)
    return text if len(text) <= SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 1].rstrip() + "…"


def _said(problem: Exception) -> str:
    return clean_input(str(problem), 120) or type(problem).__name__


# -- what a reading changes --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Planned:
    """One revision a reading of a calendar makes: a meeting added, changed or removed."""

    meeting_id: str
    title: str
    change: str  # "added", "changed" or "removed"
    sets: dict[str, Any]
    why: str
    url: str  # the event's own page, or ""


def plan(
    meetings: Mapping[str, Meeting],
    calendar: ImportedCalendar,
    feed_url: str,
    by: str,
    first: Mapping[str, Any],
    removed_within: tuple[datetime, datetime] | None,
) -> list[Planned]:
    """The revisions that bring `meetings` (every revision known: the agenda's `everything`)
    in line with `calendar` as read from `feed_url` by `by`. `first` gives what a new meeting
    gets besides the event's fields (bodies, kind, topics: `first_sets`'s). Meetings the
    calendar brought and no longer lists, starting `removed_within`, are marked cancelled;
    None (a one-off import) removes nothing."""
    name = calendar.name or calendar_host(feed_url)
    planned: list[Planned] = []
    present: set[str] = set()
    for event in calendar.events:
        found = meeting_id(feed_url, event.key)
        present.add(found)
        meeting = meetings.get(found)
        if meeting is None:
            sets = {**event.fields(), **first}
            planned.append(Planned(found, event.title, "added", sets, f"in {name}", event.url))
            continue
        sets = changed_fields(meeting, by, event)
        if sets:
            why = f"changed in {name}"
            planned.append(Planned(found, event.title, "changed", sets, why, event.url))
    if removed_within is not None:
        for meeting in vanished(owned_by(meetings.values(), by), present, removed_within, by):
            sets = {"status": Status.CANCELLED}
            why = f"no longer in {name}"
            planned.append(Planned(meeting.id, meeting.title, "removed", sets, why, ""))
    return planned
