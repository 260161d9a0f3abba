"""The facts behind the reminder commands' words: what a subscription covers, its next fire
times, when a personal reminder is due, and what a ledger entry was about."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core import Meeting, Status, TimeStyle
from bot.core.subscribing import (
    NEXT_SHOWN,
    FireTime,
    fire_times_text,
    lead_text,
    leads_text,
    notice_text,
    personal_text,
    scope_text,
    waiting_text,
)
from bot.storage import ScopeKind, SubscriptionRow
from schedules import FirePoint, fire_instant

from .agenda import AgendaService
from .audience import covers
from .reminders import NOTICE_PREFIX, REMINDER_PREFIX, Reminders


class ReminderWords:
    """Finds what the reminder commands say about subscriptions and deliveries."""

    def __init__(self, reminders: Reminders, default_zone: ZoneInfo) -> None:
        self.reminders = reminders
        self.default_zone = default_zone

    @property
    def _agenda(self) -> AgendaService:
        return self.reminders.agenda

    def scope_text(self, kind: ScopeKind, scope_id: str) -> str:
        return scope_text(self._agenda.agenda, kind.value, scope_id)

    def leads_text(self, row: SubscriptionRow) -> str:
        leads = [timedelta(minutes=m) for m in row.leads]
        kinds = [] if leads else [m.kind for m in self.covered(row)]
        return leads_text(self._agenda.agenda, leads, kinds)

    def covered(self, row: SubscriptionRow) -> list[Meeting]:
        agenda = self._agenda
        return [m for m in agenda.agenda.meetings.values() if covers(row, m, agenda.index)]

    def next_times(
        self, row: SubscriptionRow, now: datetime, times: TimeStyle | None
    ) -> tuple[str, str]:
        """The next few fire times of one subscription, and the meetings it covers that wait
        for a day to be set (they get reminders once it is)."""
        agenda = self._agenda
        upcoming = agenda.index.upcoming(now, size=len(agenda.agenda.meetings) or 1).items
        found: list[FireTime] = []
        waiting: list[Meeting] = []
        for meeting in (m for m in upcoming if covers(row, m, agenda.index)):
            if meeting.status is Status.CANCELLED or meeting.when.has_ended(now):
                continue
            start = self.reminders.start_of(meeting)
            if start is None:
                waiting.append(meeting)
                continue
            leads = [timedelta(minutes=m) for m in row.leads] or agenda.agenda.ladders.for_kind(
                meeting.kind
            )
            for lead in leads:
                due = fire_instant(start, lead, meeting.when.zone)
                if due > now:
                    found.append(FireTime(due, meeting, lead))
            if len(found) >= NEXT_SHOWN * 3:
                break
        found.sort(key=lambda item: item.due)
        lines = fire_times_text(found, times or agenda.times, self.default_zone)
        return lines, waiting_text(waiting)

    def reminder_due(
        self, lead_minutes: int | None, at: datetime | None, meeting: Meeting | None
    ) -> datetime | None:
        """When a personal reminder is due; None while its meeting waits for a day."""
        if at is not None:
            return at
        if meeting is None or lead_minutes is None:
            return None
        start = self.reminders.start_of(meeting)
        if start is None:
            return None
        return fire_instant(start, timedelta(minutes=lead_minutes), meeting.when.zone)

    def describe(self, key: str) -> str:
        """What a ledger entry was about: a notice, a personal reminder, or a reminder."""
        meetings = self._agenda.agenda.meetings
        if key.startswith(NOTICE_PREFIX):
            meeting_id, change = key.removeprefix(NOTICE_PREFIX).split(":")[:2]
            title = meetings[meeting_id].title if meeting_id in meetings else meeting_id
            return notice_text(change, title)
        point = FirePoint.from_id(key)
        subject = point.key if point is not None else key
        if subject.startswith(REMINDER_PREFIX):
            reminder = self.reminders.audience.reminder(int(subject.removeprefix(REMINDER_PREFIX)))
            title = (
                meetings[reminder.meeting_id].title
                if reminder and (reminder.meeting_id in meetings)
                else subject
            )
            return personal_text(title)
        title = meetings[subject].title if subject in meetings else subject
        return lead_text(point.lead if point is not None else None, title)
