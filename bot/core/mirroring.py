"""The agenda as a Discord server's scheduled events: what each event says, which meetings a
server's mirror holds, and the steps that bring the server's events in line with the agenda.

Pure: the service lists the server's events, asks `plan` what to do, and does it."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from .model import DEFAULT_LENGTH, Meeting, Status

NAME_LIMIT = 100  # Discord: a scheduled event's name is 1-100 characters
DESCRIPTION_LIMIT = 1000
LOCATION_LIMIT = 100
GUILD_EVENT_CAP = 100  # scheduled or active events a server may have at once
DEFAULT_COUNT = 20
HINT = "More: /meeting "  # the description's last line; names the meeting the event mirrors
NO_VENUE = "Venue to be announced"


class EventStatus(StrEnum):
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELED = "canceled"

    @property
    def is_final(self) -> bool:
        return self in (EventStatus.COMPLETED, EventStatus.CANCELED)


@dataclass(frozen=True, slots=True)
class EventShape:
    """What a meeting's event should be, as Discord takes it (instants in UTC)."""

    meeting_id: str
    name: str
    description: str
    location: str
    start: datetime
    end: datetime
    status: EventStatus

    def differs(self, event: RemoteEvent) -> bool:
        """Whether the server's event says something else (its status aside)."""
        return (self.name, self.description, self.location, self.start, self.end) != (
            event.name,
            event.description,
            event.location,
            event.start,
            event.end,
        )


@dataclass(frozen=True, slots=True)
class RemoteEvent:
    """A scheduled event as the server lists it; `ours` when this bot created it."""

    id: str
    name: str
    description: str
    location: str
    start: datetime
    end: datetime | None
    status: EventStatus
    ours: bool

    @property
    def meeting_id(self) -> str | None:
        """The meeting an event of ours mirrors, read from its description's last line."""
        last = self.description.rsplit("\n", 1)[-1]
        return last.removeprefix(HINT).strip() or None if last.startswith(HINT) else None


@dataclass(frozen=True, slots=True)
class Link:
    """A meeting's event as the database remembers it. `dismissed`: a moderator deleted it;
    it is not made again until the mirror is turned on again."""

    event_id: str
    dismissed: bool = False


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def event_status(meeting: Meeting, now: datetime) -> EventStatus:
    when = meeting.when
    if meeting.status_at(now) is Status.CANCELLED:
        return EventStatus.CANCELED
    if when.has_ended(now):
        return EventStatus.COMPLETED
    if when.has_started(now):
        return EventStatus.ACTIVE
    return EventStatus.SCHEDULED


def event_shape(
    meeting: Meeting,
    now: datetime,
    body_names: Sequence[str] = (),
    length: timedelta = DEFAULT_LENGTH,
) -> EventShape:
    """The event of a meeting known to the day or the minute: all-day meetings run from the
    venue's midnight to the midnight after their last day; one known by its start only lasts
    `length` (the data set's `[durations]`: an external event needs an end)."""
    when = meeting.when
    assert when.start_utc is not None and when.end_utc is not None and when.precision.has_day
    end = when.end_utc if when.end_utc > when.start_utc else when.start_utc + length
    status = meeting.status_at(now)
    facts = [f"Status: {status.value}."]
    if body_names:
        facts.append(f"Body: {', '.join(body_names)}.")
    outcome = meeting.outcome_at(now)
    if outcome:
        facts.append(f"Outcome: {outcome}")
    sources = [f"Source: {s.title} <{s.url}>" for s in meeting.sources[:3]]
    tail = "\n".join([*facts, *sources, f"{HINT}{meeting.id}"])
    room = DESCRIPTION_LIMIT - len(tail) - 2
    if room < 40:  # long sources: the hint and the facts matter more
        tail = "\n".join([*facts, f"{HINT}{meeting.id}"])
        tail = tail[-(DESCRIPTION_LIMIT - 2) :]
        room = DESCRIPTION_LIMIT - len(tail) - 2
    summary = _cut(meeting.summary, room) if room > 0 else ""
    description = f"{summary}\n\n{tail}" if summary else tail
    return EventShape(
        meeting.id,
        _cut(meeting.title, NAME_LIMIT) or meeting.id[:NAME_LIMIT],
        description,
        _cut(meeting.venue, LOCATION_LIMIT) or NO_VENUE,
        when.start_utc,
        end,
        event_status(meeting, now),
    )


def mirrorable(meeting: Meeting, now: datetime) -> bool:
    """A meeting a server's events can show: its day known, going ahead, not over."""
    return (
        meeting.when.precision.has_day
        and meeting.status_at(now).is_live
        and not meeting.when.has_ended(now)
    )


def window(
    meetings: Iterable[Meeting], now: datetime, count: int, bodies: Collection[str] = ()
) -> list[Meeting]:
    """The next `count` meetings a mirror holds (those under way first), of `bodies` if any."""
    chosen = [
        m
        for m in meetings
        if mirrorable(m, now) and (not bodies or any(b in bodies for b in m.bodies))
    ]
    chosen.sort(key=lambda m: (m.when.sort_key(), m.id))
    return chosen[:count]


# -- the steps that bring a server's events in line ------------------------------------------------


@dataclass(frozen=True, slots=True)
class Create:
    shape: EventShape


@dataclass(frozen=True, slots=True)
class Edit:
    """Change what the event says (and its status, to ACTIVE once the meeting started)."""

    event_id: str
    shape: EventShape
    status: EventStatus | None = None


@dataclass(frozen=True, slots=True)
class Close:
    """Take the event to a final status, through ACTIVE where Discord requires it."""

    meeting_id: str
    event_id: str
    statuses: tuple[EventStatus, ...]


@dataclass(frozen=True, slots=True)
class Delete:
    """Delete an event of ours: its meeting left the mirror, or it is a second copy."""

    event_id: str
    meeting_id: str | None = None


@dataclass(frozen=True, slots=True)
class Adopt:
    """An event of ours the database does not know (made just before a crash): keep it."""

    meeting_id: str
    event_id: str


@dataclass(frozen=True, slots=True)
class Dismiss:
    """A moderator deleted the event: remember it and leave the meeting out."""

    meeting_id: str


@dataclass(frozen=True, slots=True)
class Forget:
    """The event is over on the server's side (completed or cancelled): no link to keep."""

    meeting_id: str


Step = Create | Edit | Close | Delete | Adopt | Dismiss | Forget


@dataclass(frozen=True, slots=True)
class Plan:
    steps: tuple[Step, ...]
    left_out: int = 0  # meetings of the window without room under the server's cap

    @property
    def creates(self) -> int:
        return sum(isinstance(step, Create) for step in self.steps)


def plan(
    wanted: Sequence[EventShape],
    shape_of: Callable[[str], EventShape | None],
    links: Mapping[str, Link],
    listed: Mapping[str, RemoteEvent],
    cap: int = GUILD_EVENT_CAP,
) -> Plan:
    """The steps that make the server's events (`listed`) show the `wanted` shapes (the
    window, in order), given the `links` the database keeps. `shape_of` gives the event a
    meeting outside the window should now be (None: it no longer can be one)."""
    steps: list[Step] = []
    linked = {link.event_id for link in links.values()}
    current = {m: link.event_id for m, link in links.items() if not link.dismissed}
    for event in sorted(listed.values(), key=lambda e: e.id):
        if not event.ours or event.id in linked or event.status.is_final:
            continue
        meeting_id = event.meeting_id
        if meeting_id is not None and meeting_id not in links and meeting_id not in current:
            steps.append(Adopt(meeting_id, event.id))
            current[meeting_id] = event.id
        else:
            steps.append(Delete(event.id))
    in_window = {shape.meeting_id: shape for shape in wanted}
    for meeting_id, event_id in sorted(current.items()):
        found = listed.get(event_id)
        if found is None:
            steps.append(Dismiss(meeting_id))
            continue
        event = found
        if event.status.is_final:
            steps.append(Forget(meeting_id))
            continue
        shape = in_window.get(meeting_id) or shape_of(meeting_id)
        if shape is None:
            steps.append(Delete(event.id, meeting_id))
        elif shape.status.is_final:
            steps.append(Close(meeting_id, event.id, _path(event.status, shape.status)))
        elif meeting_id not in in_window:
            steps.append(Delete(event.id, meeting_id))
        else:
            # Discord has no way back from ACTIVE: a meeting moved later keeps its event going,
            # and an event under way keeps its start.
            moved = shape.status is not event.status and event.status is EventStatus.SCHEDULED
            status = shape.status if moved else None
            if event.status is EventStatus.ACTIVE:
                shape = replace(shape, start=event.start)
            if status is not None or shape.differs(event):
                steps.append(Edit(event.id, shape, status))
    again = {s.meeting_id for s in steps if isinstance(s, Forget)}  # e.g. a cancel undone
    busy = sum(1 for e in listed.values() if not e.status.is_final)
    busy -= sum(1 for s in steps if isinstance(s, Delete | Close))
    room = max(0, cap - busy)
    left_out = 0
    for shape in wanted:
        meeting_id = shape.meeting_id
        if meeting_id in links and links[meeting_id].dismissed:
            continue
        if meeting_id in current and meeting_id not in again:
            continue
        if room == 0:
            left_out += 1
            continue
        steps.append(Create(shape))
        room -= 1
    return Plan(tuple(steps), left_out)


def _path(now: EventStatus, to: EventStatus) -> tuple[EventStatus, ...]:
    """Discord's transitions: scheduled -> active -> completed, scheduled -> canceled."""
    if now is EventStatus.ACTIVE:
        return (EventStatus.COMPLETED,)  # an event under way cannot be cancelled, only ended
    if to is EventStatus.COMPLETED:
        return (EventStatus.ACTIVE, EventStatus.COMPLETED)
    return (to,)
