"""Writing the agenda as iCalendar with the `ics` package (0.7.3).

ics 0.7.3 has defects; each is worked around once, here, and named after its upstream issue:
- ics-py #200: no DTSTAMP unless `created` is set (`created` is written as DTSTAMP).
- ics-py #173: all-day dates shift a day early east of UTC when given aware datetimes.
- URL values are escaped like text (`,` -> `\\,`), which corrupts addresses; URIs take no escaping.
- ics-py #215: no line folding at 75 octets.
- Events live in a set, so their order (and that of CATEGORIES) is random.
- A one-day all-day event is written without DTEND; we always write the exclusive end.
- Aware times are written in UTC; a timed meeting's are rewritten in its venue's zone (TZID),
  with that zone's VTIMEZONE (made by icalendar from the IANA data, for the years used), so that
  calendar applications show the venue's time and follow its daylight-saving changes.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import icalendar

if TYPE_CHECKING:
    import ics

from .event_cache import EventCache
from .formatting import day_text
from .histories import latest_change_text
from .model import Agenda, Meeting, Status
from .when import Precision, format_lead, repeated

PRODID = "-//agenda-bot//agenda-bot 0.1//EN"
MEDIA_TYPE = "text/calendar; charset=utf-8"
# The process's rendered events, shared by exports and every feed (see event_cache).
_EVENTS = EventCache()
_ICS_STATUS = {
    Status.PLANNED: "TENTATIVE",
    Status.TENTATIVE: "TENTATIVE",
    Status.POSTPONED: "TENTATIVE",
    Status.CONFIRMED: "CONFIRMED",
    Status.HELD: "CONFIRMED",
    Status.CANCELLED: "CANCELLED",
}


@dataclass(frozen=True, slots=True)
class Change:
    """What the bot has seen happen to a meeting beyond its revisions: how many changes, the last
    when. SEQUENCE counts the revisions that changed the event; a data maintainer who edits a
    meeting in place adds none, and calendar applications only update an event whose SEQUENCE
    grew, so these changes count too."""

    count: int
    at: datetime


@dataclass(frozen=True, slots=True)
class CalendarFile:
    content: bytes
    included: tuple[Meeting, ...]
    left_out: tuple[Meeting, ...]  # no day known yet (a month, a year or TBA)


def write_calendar(
    agenda: Agenda,
    meetings: Iterable[Meeting],
    *,
    name: str,
    alarms: bool = False,
    alarm_leads: Callable[[Meeting], Sequence[timedelta]] | None = None,
    changes: Mapping[str, Change] | None = None,
    refresh: timedelta | None = None,
    cache: EventCache | None = None,
) -> CalendarFile:
    """An iCalendar file of `meetings`; those without a known day are left out and reported.

    The output depends only on its inputs: DTSTAMP is each meeting's last change, when this
    instance of it was made, so the same agenda gives the same bytes (and the same ETag).
    `alarms` adds the ladder's VALARMs, or `alarm_leads`' (a subscriber's own); `changes` raises
    SEQUENCE and LAST-MODIFIED for changes the bot observed; `refresh` tells calendar
    applications how often to fetch a subscribed feed again. Events are reused from `cache`
    (the process's own if None) while nothing they are made from changed.
    """
    included: list[Meeting] = []
    left_out: list[Meeting] = []
    for meeting in meetings:
        (included if meeting.when.precision.has_day else left_out).append(meeting)
    included.sort(key=_order)
    # Imported where a calendar is written, not with the core: ics and arrow cost about 0.1 s
    # of every start, and most starts write no calendar before their first export.
    import ics
    from ics.grammar.parse import ContentLine

    calendar = ics.Calendar(creator=PRODID)
    calendar.extra.append(ContentLine("CALSCALE", value="GREGORIAN"))
    calendar.extra.append(ContentLine("METHOD", value="PUBLISH"))
    # Readers show X-WR-CALNAME raw (icalendar does not unescape it): write it plain, one line.
    calendar.extra.append(ContentLine("X-WR-CALNAME", value=" ".join(name.split())))
    if refresh is not None:
        period = _duration(refresh)
        calendar.extra.append(ContentLine("REFRESH-INTERVAL", {"VALUE": ["DURATION"]}, period))
        calendar.extra.append(ContentLine("X-PUBLISHED-TTL", value=period))
    head = _serialize(calendar).rsplit("END:VCALENDAR", 1)[0]
    leads: Callable[[Meeting], Sequence[timedelta]] | None = alarm_leads
    if leads is None and alarms:
        leads = lambda meeting: agenda.ladders.for_kind(meeting.kind)  # noqa: E731
    events = _EVENTS if cache is None else cache
    bodies, years = _events(agenda, included, leads, changes or {}, events)
    # Folding works line by line and every part ends a line, so the parts are folded apart.
    parts = [fold(head + _timezones(years)).encode("utf-8"), *bodies, b"END:VCALENDAR\r\n"]
    return CalendarFile(b"".join(parts), tuple(included), tuple(left_out))


def _events(
    agenda: Agenda,
    included: Sequence[Meeting],
    leads: Callable[[Meeting], Sequence[timedelta]] | None,
    seen: Mapping[str, Change],
    events: EventCache,
) -> tuple[list[bytes], dict[str, list[int]]]:
    """Each meeting's VEVENT, folded and encoded, from `events` or rendered into it; and the
    years of the timed meetings by zone (for their VTIMEZONEs, gathered in the same pass: with
    every event cached, visiting each meeting is most of the cost)."""
    setting = events.setting(agenda)
    bodies: list[bytes] = []
    years: dict[str, list[int]] = {}
    for meeting in included:
        when = meeting.when
        if when.precision is Precision.EXACT and when.first_day and when.last_day:
            years.setdefault(when.zone.key, []).extend((when.first_day.year, when.last_day.year))
        lead = None
        if leads is not None and meeting.status is not Status.CANCELLED:
            lead = tuple(leads(meeting))
        change = seen.get(meeting.id)
        content = events.get(setting, meeting, lead, change)
        if content is None:
            event = _serialize(_event(agenda, meeting, lead, change))
            content = fold(_in_venue_time(meeting, event) + "\r\n").encode("utf-8")
            events.put(setting, meeting, lead, change, content)
        bodies.append(content)
    return bodies, years


def _order(meeting: Meeting) -> tuple[tuple[int, datetime, int], str]:
    return meeting.when.sort_key(), meeting.id


def _event(
    agenda: Agenda,
    meeting: Meeting,
    leads: Sequence[timedelta] | None,
    change: Change | None,
) -> ics.Event:
    when = meeting.when
    stamp = meeting.updated or agenda.dataset.updated
    sequence = meeting.revision
    if change is not None:
        sequence += change.count
        stamp = max(stamp, change.at)
    import ics  # see write_calendar
    from ics.alarm import DisplayAlarm
    from ics.grammar.parse import ContentLine

    event = ics.Event(
        name=_summary(meeting),
        uid=f"{meeting.id}@{agenda.dataset.uid_domain}",
        description=_description(agenda, meeting),
        location=meeting.venue or None,
        status=_ICS_STATUS[meeting.status],
        created=stamp,  # ics-py #200: the only way to get DTSTAMP
        last_modified=stamp,
    )
    if when.precision is Precision.DAY:
        assert when.first_day is not None and when.last_day is not None
        # ics-py #173: give plain dates, never aware datetimes, or the day shifts east of UTC.
        event.begin = when.first_day
        event.make_all_day()
        # Set after make_all_day: the exclusive end, also for one-day meetings (ics omits it).
        event.end = when.last_day + timedelta(days=1)
    else:
        event.begin = when.start_utc
        if when.end_utc is not None and when.end_utc > event.begin:
            event.end = when.end_utc
        else:  # known by its start only: clients guess (0 or 1 hour); the data set says
            event.duration = agenda.ladders.length_of(meeting.kind)
    event.extra.append(ContentLine("SEQUENCE", value=str(sequence)))
    categories = _categories(agenda, meeting)
    if categories:
        event.extra.append(
            ContentLine("CATEGORIES", value=",".join(_escape(c) for c in categories))
        )
    if meeting.sources:
        # The URL property is a URI: written raw, since ics escapes it like text.
        event.extra.append(ContentLine("URL", value=meeting.sources[0].url))
    if leads is not None and meeting.status is not Status.CANCELLED:
        for lead in leads:
            event.alarms.append(
                DisplayAlarm(trigger=-lead, display_text=f"{meeting.title} ({_in(lead)})")
            )
    return event


def _in_venue_time(meeting: Meeting, text: str) -> str:
    """A timed meeting's DTSTART and DTEND in its venue's zone (TZID) rather than UTC."""
    when = meeting.when
    if when.precision is not Precision.EXACT:
        return text
    for name, instant in (("DTSTART", when.start_utc), ("DTEND", when.end_utc)):
        if instant is None:
            continue
        wall = instant.astimezone(when.zone).replace(tzinfo=None)
        if repeated(wall, when.zone):
            continue  # a wall time that happens twice means its first: the second stays in UTC
        utc = f"{name}:{instant:%Y%m%dT%H%M%S}Z"
        text = text.replace(utc, f"{name};TZID={when.zone.key}:{wall:%Y%m%dT%H%M%S}", 1)
    return text


def _timezones(years: Mapping[str, Sequence[int]]) -> str:
    """A VTIMEZONE for each zone a timed meeting is in, covering the years of its meetings."""
    return "".join(_vtimezone(key, min(years[key]), max(years[key])) for key in sorted(years))


@functools.lru_cache(maxsize=256)
def _vtimezone(key: str, first: int, last: int) -> str:
    """A zone's VTIMEZONE for the years `first` to `last` (pure; built once per feed build
    otherwise, at about 15 ms a zone)."""
    zone = icalendar.Timezone.from_tzid(
        key, first_date=date(first, 1, 1), last_date=date(last + 1, 1, 1)
    )
    return str(zone.to_ical().decode("utf-8"))


def _summary(meeting: Meeting) -> str:
    if meeting.status is Status.POSTPONED:
        return f"[Postponed] {meeting.title}"
    return meeting.title


def _description(agenda: Agenda, meeting: Meeting) -> str:
    parts = []
    if meeting.summary:
        parts.append(meeting.summary)
    bodies = ", ".join(agenda.bodies[b].label for b in meeting.bodies if b in agenda.bodies)
    parts.append(f"{bodies}. Status: {meeting.status.value}.")
    if meeting.when.precision is Precision.DAY and meeting.when.first_day is not None:
        parts.append(
            f"Dates are local to the venue ({meeting.when.zone.key}); first day "
            f"{day_text(meeting.when.first_day)}."
        )
    if meeting.outcome:  # in the agenda as known at an instant only once it was reported
        parts.append(f"Outcome: {meeting.outcome}")
    changed = latest_change_text(agenda, meeting)
    if changed:
        parts.append(changed)
    if meeting.confidence:
        parts.append(f"How sure we are: {meeting.confidence}")
    if meeting.sources:
        lines = ["Sources:"]
        for source in meeting.sources:
            verified = f" (verified {source.verified.isoformat()})" if source.verified else ""
            lines.append(f"- {source.title}: {source.url}{verified}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def _categories(agenda: Agenda, meeting: Meeting) -> list[str]:
    names = [agenda.body_label(b) for b in meeting.bodies]
    names.append(meeting.kind.label)
    names += [agenda.topics[t].name for t in meeting.topics if t in agenda.topics]
    return list(dict.fromkeys(names))


def _duration(period: timedelta) -> str:
    """An RFC 5545 duration: PT1H, PT30M, P1D, P1DT12H."""
    days, rest = divmod(int(period.total_seconds()), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    text = "P" + (f"{days}D" if days else "")
    if hours or minutes or not days:
        text += (
            "T" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes or not hours else "")
        )
    return text


def _in(lead: timedelta) -> str:
    return f"starts in {format_lead(lead)}"


def _escape(text: str) -> str:
    """TEXT escaping of RFC 5545 section 3.3.11, for values we write ourselves."""
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _serialize(component: ics.Calendar | ics.Event) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return str(component.serialize())


def fold(text: str) -> str:
    """ics-py #215: fold content lines longer than 75 octets (RFC 5545 section 3.1), never inside
    a UTF-8 character, with CRLF line ends. Cut by slicing (octets are characters in ASCII, else
    the cut backs off continuation bytes): a loop over characters took a fifth of an export."""
    out: list[str] = []
    for line in text.split("\r\n"):
        if len(line) <= 18:  # 18 characters are at most 72 octets
            out.append(line)
        elif line.isascii():
            out.append(line[:75])
            out.extend(" " + line[i : i + 74] for i in range(75, len(line), 74))
        else:
            _fold_octets(line.encode("utf-8"), out)
    return "\r\n".join(out)


def _fold_octets(line: bytes, out: list[str]) -> None:
    start, limit = 0, 75
    while len(line) - start > limit:
        end = start + limit
        while line[end] & 0xC0 == 0x80:  # a continuation byte: the cut would split a character
            end -= 1
        out.append(("" if start == 0 else " ") + line[start:end].decode("utf-8"))
        start, limit = end, 74
    out.append(("" if start == 0 else " ") + line[start:].decode("utf-8"))


def scope_labels(agenda: Agenda, body: str | None = None, topic: str | None = None) -> list[str]:
    """How a calendar limited to a body and/or a topic names them (ids known to the agenda)."""
    labels = []
    if body is not None:
        labels.append(agenda.bodies[body].acronym or agenda.bodies[body].name)
    if topic is not None:
        labels.append(agenda.topics[topic].name)
    return labels


def calendar_name(agenda: Agenda, scope: Sequence[str]) -> str:
    name = agenda.dataset.name
    return f"{name}: {', '.join(scope)}" if scope else name


__all__ = [
    "MEDIA_TYPE",
    "CalendarFile",
    "Change",
    "EventCache",
    "calendar_name",
    "fold",
    "scope_labels",
    "write_calendar",
]
