"""Reminders in words: reading "when" for /remind, and the text of reminders and notices."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .formatting import TimeStyle, date_long, relative_text, when_text
from .model import Meeting, Status
from .reply import Field, Reply, error, not_found
from .when import LocalTimeError, Precision, format_lead, localize, parse_lead, year_problem

_BEFORE = re.compile(r"^(?P<lead>.+?)\s*(?:before|ahead|earlier)?$", re.IGNORECASE)
_ABSOLUTE = re.compile(
    r"^(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})(?:[ T](?P<time>[0-9]{1,2}:[0-9]{2}))?$"
)
DEFAULT_TIME = time(9, 0)


@dataclass(frozen=True, slots=True)
class When:
    """What /remind was told: a lead before the meeting, or an instant."""

    lead: timedelta | None = None
    at: datetime | None = None  # aware UTC


def parse_remind_when(text: str, zone: ZoneInfo) -> When:
    """'2d before', '3h', '2016-03-01 09:00' (in `zone`), '2016-03-01' (09:00 in `zone`).

    Raises ValueError with what to write instead.
    """
    cleaned = " ".join(text.split())
    absolute = _ABSOLUTE.match(cleaned)
    if absolute:
        try:
            day = datetime.strptime(absolute["date"], "%Y-%m-%d").date()
            clock = (
                datetime.strptime(absolute["time"], "%H:%M").time()
                if absolute["time"]
                else DEFAULT_TIME
            )
        except ValueError:
            raise ValueError(
                f"'{cleaned}' is not a real date or time; write 2016-03-01 09:00"
            ) from None
        if problem := year_problem(day):
            raise ValueError(problem)
        try:
            local = localize(datetime.combine(day, clock), zone)
        except LocalTimeError as problem:
            raise ValueError(str(problem)) from None
        return When(at=local.astimezone(UTC))
    relative = _BEFORE.match(cleaned)
    if relative:
        try:
            return When(lead=parse_lead(relative["lead"]))
        except ValueError:
            pass
    raise ValueError(
        f"'{cleaned}' is not a time for a reminder; write a lead such as `2d before` or `3h`, "
        "or a date and time such as `2016-03-01 09:00` (in your time zone, see `/timezone`)"
    )


def lead_phrase(lead: timedelta) -> str:
    return f"{format_lead(lead)} before"


def reminder_reply(
    meeting: Meeting,
    lead: timedelta | None,
    now: datetime,
    times: TimeStyle,
    late: str | None = None,
    due: datetime | None = None,
) -> Reply:
    """The reminder itself: the meeting, when (local date or time, and how far), where, details."""
    when = meeting.when
    coming = relative_text(when, now, times)
    if when.start_utc is not None and when.precision is Precision.DAY:
        coming = f"{coming} ({times.relative(when.start_utc, now)})" if coming else ""
    lines = [f"**{when_text(when, times)}**" + (f", {coming}" if coming else "")]
    if when.precision is Precision.DAY:
        lines.append(f"Dates are local to the venue ({when.zone.key}).")
    if meeting.venue:
        lines.append(meeting.venue)
    if late and due is not None:
        lines.append(f"⏰ Late: this reminder was due {times.moment(due, None, UTC_ZONE)}; {late}.")
    fields = [Field("Details", f"`/meeting {meeting.id}`")]
    if meeting.status is not Status.CONFIRMED and meeting.status_at(now) is not Status.CONFIRMED:
        fields.insert(0, Field("Status", meeting.status_at(now).value))
    heading = "Reminder" if lead is None else f"Reminder ({lead_phrase(lead)})"
    return Reply(title=f"{heading}: {meeting.title}", body="\n".join(lines), fields=tuple(fields))


def change_reply(meeting: Meeting, change: str, now: datetime, times: TimeStyle) -> Reply:
    """A notice that a meeting someone follows changed: cancelled, moved, dated, added."""
    titles = {
        "cancelled": f"Cancelled: {meeting.title}",
        "postponed": f"Postponed: {meeting.title}",
        "moved": f"New date: {meeting.title}",
        "dated": f"Date set: {meeting.title}",
        "venue": f"New venue: {meeting.title}",
        "added": f"New on the agenda: {meeting.title}",
        "reinstated": f"Back on the agenda: {meeting.title}",
        "status": f"Status now {meeting.status_at(now).value}: {meeting.title}",
    }
    body = f"**{when_text(meeting.when, times)}**"
    if meeting.venue:
        body += f"\n{meeting.venue}"
    if change == "cancelled":
        body += "\nIts reminders are cancelled too."
    elif change in ("moved", "dated"):
        body += "\nIts reminders now follow the new date."
    elif change == "reinstated":
        body += "\nIts reminders are back too."
    return Reply(
        title=titles.get(change, titles["status"]),
        body=body,
        fields=(Field("Details", f"`/meeting {meeting.id}`"),),
        footer=f"As of {date_long(now.date())}",
    )


UTC_ZONE = ZoneInfo("UTC")


# -- replies of /remind and /remind cancel ---------------------------------------------------------


def reminder_set_reply(
    meeting: Meeting,
    due: datetime,
    now: datetime,
    zone: ZoneInfo,
    how: str,
    number: int,
    times: TimeStyle,
) -> Reply:
    """/remind answered: when it will come (in the asker's zone), and how to take it back."""
    return Reply(
        "Reminder set",
        f"I will remind you {how} {times.moment(due, None, zone)} "
        f"({times.relative(due, now)}) about **{meeting.title}**.",
        footer=f"reminder {number} · `/remind cancel {number}` takes it back",
    )


def reminder_waiting_reply(
    meeting: Meeting, lead: timedelta, how: str, number: int, times: TimeStyle
) -> Reply:
    """/remind before a meeting whose day is not known yet: kept, planned once it is."""
    if meeting.status is Status.POSTPONED:
        known = "is postponed; no new date is known yet"
    else:
        known = f"has no day yet: {when_text(meeting.when, times)}"
    return Reply(
        "Reminder kept: waiting for a date",
        f"**{meeting.title}** {known}. I will remind you {how} {lead_phrase(lead)} it as soon "
        "as its day is announced, and tell you when it is.",
        footer=f"reminder {number} · `/remind cancel {number}` takes it back",
    )


def cannot_remind(problem: str) -> Reply:
    return error("When should I remind you?", problem)


def cancelled_meeting(meeting: Meeting) -> Reply:
    return error(
        f"{meeting.title} is cancelled",
        "There is nothing to remind you of; `/agenda` lists what is coming.",
    )


def time_passed(due: str, now: str) -> Reply:
    return error("That time has passed", f"It was {due}; it is now {now}. Pick a later time.")


def after_the_end(meeting: Meeting, end: str) -> Reply:
    return error(
        f"That is after {meeting.title} ends",
        f"It ends {end}; pick an earlier time, or a lead such as `2d before`.",
    )


def too_far_ahead(meeting: Meeting) -> Reply:
    return error(
        "That is too far ahead",
        f"{meeting.title} has no date yet; pick a time within five years, or a lead such as "
        "`2d before` (planned once its day is announced).",
    )


def no_such_reminder(text: str) -> Reply:
    return not_found(
        f"You have no reminder '{text}'",
        "`/reminders` lists yours, each with its number: `/remind cancel 3`.",
    )


def reminder_cancelled_reply(what: str, number: int) -> Reply:
    return Reply("Reminder cancelled", f"No more reminder {what} (reminder {number}).")


def personal_reminder_text(title: str, lead: timedelta | None) -> str:
    """'2d before PTC 211' or 'PTC 211' (a reminder at a time of its own)."""
    return f"{lead_phrase(lead)} {title}" if lead is not None else title
