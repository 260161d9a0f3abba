"""Reminders in words for the commands: what a scope covers, its leads, its next fire times,
and what a ledger entry was about."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core import AgendaFilter, Meeting, PlainTimes, Status, TimeStyle, format_lead, when_text
from bot.storage import ScopeKind, SubscriptionRow
from schedules import FirePoint, fire_instant

from .agenda import AgendaService
from .reminders import NOTICE_PREFIX, REMINDER_PREFIX, Reminders

NEXT_SHOWN = 3


class ReminderWords:
    def __init__(self, reminders: Reminders, default_zone: ZoneInfo) -> None:
        self.reminders = reminders
        self.default_zone = default_zone

    @property
    def _agenda(self) -> AgendaService:
        return self.reminders.agenda

    def scope_text(self, kind: ScopeKind, scope_id: str) -> str:
        agenda = self._agenda.agenda
        if kind is ScopeKind.BODY and scope_id in agenda.bodies:
            return f"every meeting of the {agenda.bodies[scope_id].label}"
        if kind is ScopeKind.TOPIC and scope_id in agenda.topics:
            return f"meetings on {agenda.topics[scope_id].name}"
        if kind is ScopeKind.MEETING and scope_id in agenda.meetings:
            return agenda.meetings[scope_id].title
        if kind is ScopeKind.ALL:
            return "every meeting"
        return f"{kind.value} {scope_id} (no longer on the agenda)"

    def leads_text(self, row: SubscriptionRow) -> str:
        if row.leads:
            return " and ".join(format_lead(timedelta(minutes=m)) for m in row.leads) + " before"
        agenda = self._agenda.agenda
        kinds = sorted({m.kind for m in self.covered(row)}, key=lambda kind: kind.value)
        ladder = "; ".join(
            f"{kind.label}s {', '.join(format_lead(x) for x in agenda.ladders.for_kind(kind))}"
            for kind in kinds
        )
        return f"as the reminder ladder says ({ladder})" if ladder else "as the ladder says"

    def covered(self, row: SubscriptionRow) -> list[Meeting]:
        agenda = self._agenda.agenda
        if row.scope_kind is ScopeKind.ALL:
            return list(agenda.meetings.values())
        if row.scope_kind is ScopeKind.MEETING:
            return [agenda.meetings[row.scope_id]] if row.scope_id in agenda.meetings else []
        if row.scope_kind is ScopeKind.BODY:
            return [m for m in agenda.meetings.values() if row.scope_id in m.bodies]
        topic = agenda.topics.get(row.scope_id)
        return [agenda.meetings[m] for m in topic.meetings] if topic else []

    def next_times(
        self, row: SubscriptionRow, now: datetime, times: TimeStyle | None
    ) -> tuple[str, str]:
        """The next few fire times of one subscription, and the meetings it covers that wait
        for a day to be set (they get reminders once it is)."""
        agenda = self._agenda
        where = AgendaFilter()
        if row.scope_kind is ScopeKind.BODY:
            where = AgendaFilter(body=row.scope_id)
        elif row.scope_kind is ScopeKind.TOPIC:
            where = AgendaFilter(topic=row.scope_id)
        if row.scope_kind is ScopeKind.MEETING:
            meetings = (
                [agenda.agenda.meetings[row.scope_id]]
                if (row.scope_id in agenda.agenda.meetings)
                else []
            )
        else:
            meetings = list(agenda.index.upcoming(now, where, size=40).items)
        style = times or agenda.times
        found: list[tuple[datetime, Meeting, timedelta]] = []
        waiting: list[Meeting] = []
        for meeting in meetings:
            if meeting.status is Status.CANCELLED or meeting.when.has_ended(now):
                continue
            start = self.reminders.start_of(meeting)
            if start is None or meeting.status is Status.POSTPONED:
                waiting.append(meeting)
                continue
            leads = [timedelta(minutes=m) for m in row.leads] or agenda.agenda.ladders.for_kind(
                meeting.kind
            )
            for lead in leads:
                due = fire_instant(start, lead, meeting.when.zone)
                if due > now:
                    found.append((due, meeting, lead))
            if len(found) >= NEXT_SHOWN * 3:
                break
        found.sort(key=lambda item: item[0])
        lines = "\n".join(
            f"{style.moment(due, None, self.default_zone)}: {format_lead(lead)} "
            f"before {meeting.title}"
            for due, meeting, lead in found[:NEXT_SHOWN]
        )
        return lines, waiting_text(waiting)

    def reminder_due(
        self, lead_minutes: int | None, at: datetime | None, meeting: Meeting | None
    ) -> datetime | None:
        """When a personal reminder is due; None while its meeting waits for a day."""
        if at is not None:
            return at
        if meeting is None or lead_minutes is None or meeting.status is Status.POSTPONED:
            return None
        start = self.reminders.start_of(meeting)
        if start is None:
            return None
        return fire_instant(start, timedelta(minutes=lead_minutes), meeting.when.zone)

    def describe(self, key: str) -> str:
        meetings = self._agenda.agenda.meetings
        if key.startswith(NOTICE_PREFIX):
            meeting_id, change = key.removeprefix(NOTICE_PREFIX).split(":")[:2]
            title = meetings[meeting_id].title if meeting_id in meetings else meeting_id
            return f"notice ({change}): {title}"
        point = FirePoint.from_id(key)
        subject = point.key if point is not None else key
        if subject.startswith(REMINDER_PREFIX):
            reminder = self.reminders.audience.reminder(int(subject.removeprefix(REMINDER_PREFIX)))
            title = (
                meetings[reminder.meeting_id].title
                if reminder and (reminder.meeting_id in meetings)
                else subject
            )
            return f"personal reminder: {title}"
        title = meetings[subject].title if subject in meetings else subject
        lead = format_lead(point.lead) if point is not None else "?"
        return f"{lead} before {title}"


def waiting_text(meetings: list[Meeting], shown: int = NEXT_SHOWN) -> str:
    """'Waiting for a date: A (2016), B (date TBA) and 2 more'; '' for none."""
    if not meetings:
        return ""
    names = [f"{m.title} ({_rough_when(m)})" for m in meetings[:shown]]
    more = len(meetings) - shown
    text = ", ".join(names) + (f" and {more} more" if more > 0 else "")
    return f"Waiting for a date: {text}."


def _rough_when(meeting: Meeting) -> str:
    if meeting.status is Status.POSTPONED:
        return "postponed"
    return when_text(meeting.when, PlainTimes()).replace(" (", ", ").rstrip(")")
