"""One-off reminders: /remind, /remind cancel, the caller's list and their autocomplete."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core import Meeting, Reply, Status, TimeStyle, clean_input
from bot.core import reminding as words
from bot.storage import ReminderRow
from schedules import ReminderEngine, fire_instant

from .caller import Caller
from .reminder_words import ReminderWords
from .reminders import Reminders

# A reminder at a time of its own, for a meeting without a known end, is accepted this far ahead.
FURTHEST_AHEAD = timedelta(days=5 * 366)
_NUMBER = re.compile(r"^(?:reminder\s*)?#?\s*([0-9]{1,12})$", re.IGNORECASE)


class PersonalReminders:
    """The caller's own reminders about one meeting: before it (a lead) or at a time."""

    def __init__(
        self,
        reminders: Reminders,
        engine: ReminderEngine,
        words: ReminderWords,
        zone_of: Callable[[Caller], Awaitable[ZoneInfo]],
    ) -> None:
        self.reminders = reminders
        self.engine = engine
        self.words = words
        self.zone_of = zone_of

    async def remind(
        self, caller: Caller, meeting: str, when: str, times: TimeStyle | None = None
    ) -> Reply:
        agenda = self.reminders.agenda
        now = agenda.clock.now()
        text = clean_input(meeting, 200)
        resolution = agenda.index.find_meeting(text, now) if text else None
        if resolution is None or resolution.found is None:
            return agenda.meeting(text or " ")
        found = agenda.agenda.meetings[resolution.found]
        zone = await self.zone_of(caller)
        try:
            asked = words.parse_remind_when(clean_input(when, 100), zone)
        except ValueError as problem:
            return words.cannot_remind(str(problem))
        style = times or agenda.times
        if found.status is Status.CANCELLED:
            return words.cancelled_meeting(found)
        how = "here" if caller.in_console else "by direct message"
        if asked.lead is not None:
            start = self.reminders.start_of(found)
            if start is None:
                row = await self._keep(caller, found, asked.lead, None, now)
                return words.reminder_waiting_reply(found, asked.lead, how, row.id, style)
            due = fire_instant(start, asked.lead, found.when.zone)
        else:
            assert asked.at is not None
            due = asked.at
        if due <= now:
            return words.time_passed(style.moment(due, None, zone), style.moment(now, None, zone))
        refused = self._out_of_bounds(found, due, now, zone, style)
        if refused is not None:
            return refused
        row = await self._keep(caller, found, asked.lead, asked.at, now)
        return words.reminder_set_reply(found, due, now, zone, how, row.id, style)

    def _out_of_bounds(
        self, meeting: Meeting, due: datetime, now: datetime, zone: ZoneInfo, style: TimeStyle
    ) -> Reply | None:
        """A reminder at a time of its own is kept only while its meeting is not over: every
        time stored can be planned and shown."""
        end = meeting.when.end_utc
        if end is not None and due >= end:
            return words.after_the_end(meeting, style.moment(end, None, zone))
        if end is None and due > now + FURTHEST_AHEAD:
            return words.too_far_ahead(meeting)
        return None

    async def _keep(
        self,
        caller: Caller,
        meeting: Meeting,
        lead: timedelta | None,
        at: datetime | None,
        now: datetime,
    ) -> ReminderRow:
        minutes = int(lead.total_seconds() // 60) if lead is not None else None
        row = await self.reminders.store.add_reminder(caller.owner, meeting.id, minutes, at, now)
        self.reminders.audience.add_reminder(row)
        self.engine.replan_if_firing()
        return row

    # -- /remind cancel --------------------------------------------------------------------------

    async def cancel(self, caller: Caller, reminder: str) -> Reply:
        match = _NUMBER.match(clean_input(reminder, 40).strip())
        row = self.reminders.audience.reminder(int(match[1])) if match else None
        if row is None or row.owner != caller.owner:
            return words.no_such_reminder(clean_input(reminder, 40))
        await self.reminders.store.remove_reminder(row.id, caller.owner)
        self.reminders.audience.remove_reminder(row.id)
        self.engine.replan_if_firing()
        return words.reminder_cancelled_reply(self._what(row), row.id)

    def complete(self, caller: Caller, typed: str, limit: int = 25) -> list[tuple[str, str]]:
        """The caller's own reminders (never anyone else's), as (label, number)."""
        words = clean_input(typed, 100).casefold().lstrip("#").split()
        choices = []
        for row in self.mine(caller):
            label = f"{row.id}: {self._what(row)}"
            if all(word in label.casefold() for word in words):
                choices.append((label[:100], str(row.id)))
        return choices[:limit]

    # -- the caller's list -----------------------------------------------------------------------

    def mine(self, caller: Caller) -> list[ReminderRow]:
        rows = [r for r in self.reminders.audience.reminders() if r.owner == caller.owner]
        return sorted(rows, key=lambda r: r.id)

    def lines(self, caller: Caller, now: datetime, style: TimeStyle, zone: ZoneInfo) -> list[str]:
        """Each reminder still to come, with its number: when it is due, or that it waits for
        its meeting's day."""
        meetings = self.reminders.agenda.agenda.meetings
        lines = []
        for row in self.mine(caller):
            meeting = meetings.get(row.meeting_id)
            if meeting is None or meeting.status is Status.CANCELLED:
                continue
            due = self.words.reminder_due(row.lead_minutes, row.at, meeting)
            what = self._what(row)
            if due is None:
                lines.append(f"Waiting for a date: {what} (reminder {row.id})")
            elif due > now:
                lines.append(f"{_moment(style, due, zone)}: {what} (reminder {row.id})")
        return lines

    def _what(self, row: ReminderRow) -> str:
        meeting = self.reminders.agenda.agenda.meetings.get(row.meeting_id)
        title = meeting.title if meeting is not None else row.meeting_id
        lead = timedelta(minutes=row.lead_minutes) if row.lead_minutes is not None else None
        if lead is None and row.at is not None:
            return f"{title}, at {row.at:%Y-%m-%d %H:%M} UTC"
        return words.personal_reminder_text(title, lead)


def _moment(style: TimeStyle, due: datetime, zone: ZoneInfo) -> str:
    """A stored time that cannot be shown (kept before times were bounded) is said so, not a
    failure of the whole list."""
    try:
        return style.moment(due, None, zone)
    except (OverflowError, ValueError):
        return f"{due:%Y-%m-%d %H:%M} UTC"
