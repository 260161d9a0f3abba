"""Dates and times as people read them, respecting each meeting's precision."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

from .when import Precision, When


class TimeStyle(Protocol):
    """How an adapter shows exact instants (the console: venue and reader zones; Discord: its
    timestamp markup, which every reader sees in their own zone)."""

    def moment(self, start: datetime, end: datetime | None, zone: ZoneInfo) -> str:
        """A start instant, and an end instant if there is one, for a meeting in `zone`."""
        ...

    def relative(self, instant: datetime, now: datetime) -> str: ...


class PlainTimes:
    """Venue wall time, with the reader's own time beside it when their zone differs."""

    def __init__(
        self, reader_zone: ZoneInfo | None = None, reader_label: str = "your time"
    ) -> None:
        """`reader_label` follows the reader's time: "your time" when the zone is theirs, ""
        when it is only UTC (a web page cannot know whose it is)."""
        self.reader_zone = reader_zone or ZoneInfo("UTC")
        self.reader_label = reader_label

    def moment(self, start: datetime, end: datetime | None, zone: ZoneInfo) -> str:
        if zone.key == self.reader_zone.key:
            return _clock_range(start, end, zone)
        text = f"{_clock_range(start, end, zone)} ({place(zone)} time)"
        if _same_offsets(start, end, zone, self.reader_zone):
            return text
        label = f" {self.reader_label}" if self.reader_label else ""
        return f"{text}; {_clock_range(start, end, self.reader_zone)}{label}"

    def relative(self, instant: datetime, now: datetime) -> str:
        return humanize(instant - now)


def _clock_range(start: datetime, end: datetime | None, zone: ZoneInfo) -> str:
    first = start.astimezone(zone)
    text = f"{day_text(first.date())}, {first:%H:%M}"
    if end is not None and end > start:
        last = end.astimezone(zone)
        if last.date() == first.date():
            text += f"–{last:%H:%M}"
        else:
            text += f" {first.tzname()} – {day_text(last.date())}, {last:%H:%M}"
        return f"{text} {last.tzname()}"
    return f"{text} {first.tzname()}"


def _same_offsets(start: datetime, end: datetime | None, one: ZoneInfo, other: ZoneInfo) -> bool:
    instants = [start] if end is None else [start, end]
    return all(i.astimezone(one).utcoffset() == i.astimezone(other).utcoffset() for i in instants)


def place(zone: ZoneInfo) -> str:
    """'Europe/Brussels' -> 'Brussels'."""
    return zone.key.rsplit("/", 1)[-1].replace("_", " ")


# Names as strftime's %a, %b and %B write them in the C locale, which Python keeps for dates
# (the bot never sets LC_TIME): looked up rather than formatted, as each strftime costs more
# than the rest of a meeting's line (a tenth of a /topic rendered anew, its dates not cached).
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@lru_cache(maxsize=8192)  # pure, and a long list asks for the same days again
def day_text(day: date) -> str:
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"


@lru_cache(maxsize=8192)
def span_text(first: date, last: date) -> str:
    if first == last:
        return day_text(first)
    if first.year != last.year:
        return f"{day_text(first)} – {day_text(last)}"
    start = f"{WEEKDAYS[first.weekday()]} {first.day}"
    if first.month != last.month:
        start += f" {MONTHS[first.month - 1]}"
    return f"{start} – {day_text(last)}"


def when_text(when: When, times: TimeStyle, now: datetime | None = None) -> str:
    """The date of a meeting at its own precision; never a day that is not known. Given `now`,
    a month or year that is over is just that ("May 2015"): its days will never be known."""
    precision, first, last = when.precision, when.first_day, when.last_day
    if first is None or last is None or precision is Precision.TBA:
        return "date TBA"
    if precision is Precision.DAY:  # most meetings: asked first (a list writes dozens)
        return span_text(first, last)
    over = now is not None and when.has_ended(now)
    if precision is Precision.YEAR:
        return str(first.year) if over else f"{first.year} (month and day not yet known)"
    if precision is Precision.MONTH:
        month = f"{MONTH_NAMES[first.month - 1]} {first.year}"
        return month if over else f"{month} (days not yet known)"
    assert when.start_utc is not None
    end = when.end_utc if when.end_time is not None else None
    return times.moment(when.start_utc, end, when.zone)


def relative_text(when: When, now: datetime, times: TimeStyle) -> str:
    """'in 12 days', 'tomorrow', 'under way, day 2 of 3', 'ended 4 days ago', or ''."""
    if not when.precision.has_day or when.first_day is None or when.last_day is None:
        return ""
    assert when.start_utc is not None and when.end_utc is not None
    if when.precision is Precision.EXACT:
        if when.start_utc <= now < when.end_utc:
            return "under way"
        if now < when.start_utc:
            return times.relative(when.start_utc, now)
        return "ended " + times.relative(when.end_utc, now) if when.end_utc < now else "now"
    today = now.astimezone(when.zone).date()
    if today < when.first_day:
        days = (when.first_day - today).days
        return "tomorrow" if days == 1 else f"in {days} days"
    if today > when.last_day:
        days = (today - when.last_day).days
        return "ended yesterday" if days == 1 else f"ended {days} days ago"
    length = (when.last_day - when.first_day).days + 1
    if length == 1:
        return "today"
    return f"under way, day {(today - when.first_day).days + 1} of {length}"


def humanize(delta: timedelta) -> str:
    """'in 3 days', 'in 5 hours', '2 minutes ago'."""
    future = delta.total_seconds() >= 0  # before rounding: 20 s ago is "just now"
    seconds = round(delta.total_seconds() / 60) * 60  # to the nearest minute
    seconds = abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            amount = seconds // size
            label = f"{amount} {unit}{'s' if amount != 1 else ''}"
            return f"in {label}" if future else f"{label} ago"
    return "in less than a minute" if future else "just now"


def date_long(day: date) -> str:
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"
