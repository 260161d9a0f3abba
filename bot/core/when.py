"""When a meeting happens, with the precision the facts allow.

A meeting is stored as local wall time (or local days) plus the venue's IANA zone; instants are
derived in UTC. A month, a year or "TBA" are valid answers, and nothing downstream invents a day.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from rapidfuzz import fuzz, process

from .pickling import quick_unpickling


class Precision(Enum):
    EXACT = "exact time"
    DAY = "day"
    MONTH = "month"
    YEAR = "year"
    TBA = "date TBA"

    # Plain attributes, set below: every sort and filter of the agenda reads them of every
    # meeting, and a property (with an Enum's hash, written in Python) costs several times more.
    rank: int  # finer precisions sort first among meetings that start together
    has_day: bool


for _rank, _precision in enumerate(Precision):
    _precision.rank = _rank
    _precision.has_day = _precision in (Precision.EXACT, Precision.DAY)


FIRST_YEAR, LAST_YEAR = 1900, 2200  # an agenda's dates; beyond them the time code overflows


def year_problem(value: date | int, shown: str = "") -> str | None:
    """Why a date, a date-time or a year (`shown` as written) cannot be on an agenda, or None
    when it can."""
    year = value if isinstance(value, int) else value.year
    if FIRST_YEAR <= year <= LAST_YEAR:
        return None
    shown = shown or (str(value) if isinstance(value, int) else value.isoformat())
    return f"{shown} is outside the years {FIRST_YEAR} to {LAST_YEAR}; give a date within them"


class LocalTimeError(ValueError):
    """A wall time that does not exist, or exists twice, in a zone."""


class UnknownZoneError(ValueError):
    def __init__(self, name: str, suggestions: list[str]) -> None:
        hint = (
            f" (did you mean {' or '.join(repr(s) for s in suggestions)}?)" if suggestions else ""
        )
        super().__init__(f"unknown time zone {name!r}{hint}")
        self.name = name
        self.suggestions = suggestions


@cache
def _zone_names() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


@cache
def _zone_set() -> frozenset[str]:
    return frozenset(_zone_names())


def suggest_zones(name: str, limit: int = 3) -> list[str]:
    matches = process.extract(name, _zone_names(), scorer=fuzz.WRatio, limit=limit, score_cutoff=70)
    return [match[0] for match in matches]


def resolve_zone(name: str) -> ZoneInfo:
    """The zone called `name` (IANA), or UnknownZoneError with the closest names."""
    cleaned = name.strip()
    if cleaned and cleaned in _zone_set():  # a set: every meeting of a large agenda asks
        try:
            return ZoneInfo(cleaned)
        except (ZoneInfoNotFoundError, ValueError):  # pragma: no cover - listed but unreadable
            pass
    raise UnknownZoneError(name, suggest_zones(cleaned) if cleaned else [])


def saved_zone(name: str | None) -> ZoneInfo | None:
    """A zone the bot saved by its IANA name, or None: nothing saved, or a name this machine's
    time zone database lacks (the database came from a machine with a newer one)."""
    if not name or name not in _zone_set():
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):  # pragma: no cover - listed but unreadable
        return None


def localize(wall: datetime, zone: ZoneInfo) -> datetime:
    """Attach `zone` to a naive wall time; refuse times that DST skips or repeats."""
    if wall.tzinfo is not None:
        raise LocalTimeError("give a local wall time without an offset, with the venue's zone")
    first = wall.replace(tzinfo=zone, fold=0)
    second = wall.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        round_trip = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        if round_trip != wall:
            raise LocalTimeError(
                f"{wall:%Y-%m-%d %H:%M} does not exist in {zone.key} (clocks skip it for daylight "
                "saving); give a time outside the gap"
            )
        offsets = " or ".join(_offset(moment) for moment in (first, second))
        raise LocalTimeError(
            f"{wall:%Y-%m-%d %H:%M} happens twice in {zone.key} (clocks go back); say which "
            f"with its offset ({wall:%Y-%m-%d %H:%M}{offsets}), or give another time"
        )
    return first


def _offset(moment: datetime) -> str:
    text = moment.strftime("%z")
    return f"{text[:3]}:{text[3:]}"


def repeated(wall: datetime, zone: ZoneInfo) -> bool:
    """The wall time happens twice in `zone` (clocks go back over it)."""
    first = wall.replace(tzinfo=zone, fold=0)
    if first.utcoffset() == wall.replace(tzinfo=zone, fold=1).utcoffset():
        return False
    return first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall


_MIDNIGHT, _MIDNIGHT_LATER = time(0), time(0, fold=1)


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of `day` in `zone`, in UTC (a day may start at 01:00 where DST begins)."""
    # Made by combine, each fold at once: replace() with keywords cost more than the rest
    # (every dated meeting of a large agenda asks twice).
    offset = datetime.combine(day, _MIDNIGHT, zone).utcoffset()
    if offset is not None and offset == datetime.combine(day, _MIDNIGHT_LATER, zone).utcoffset():
        return datetime.combine(day, _MIDNIGHT, UTC) - offset  # as astimezone(UTC), most days
    wall = datetime.combine(day, time(0))
    try:
        return localize(wall, zone).astimezone(UTC)
    except LocalTimeError:
        # Midnight falls in a DST gap in a few zones; the day then starts when the gap ends,
        # which is where the offset from before the change (fold=0) maps the missing midnight.
        return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


@quick_unpickling
@dataclass(frozen=True, slots=True)
class When:
    """Use the constructors (`exact`, `days`, `month`, `year`, `tba`); they derive the instants."""

    precision: Precision
    zone: ZoneInfo
    first_day: date | None = None
    last_day: date | None = None
    start_time: time | None = None
    end_time: time | None = None
    start_utc: datetime | None = None
    end_utc: datetime | None = None  # exclusive: after the last day, or the end time

    @classmethod
    def exact(cls, start: datetime, end: datetime | None, zone: ZoneInfo) -> When:
        start_utc = localize(start, zone).astimezone(UTC)
        end_utc = start_utc  # a timed meeting without an end time is an instant
        if end is not None:
            end_utc = localize(end, zone).astimezone(UTC)
            if end_utc < start_utc:
                raise ValueError("the end is before the start")
        return cls(
            Precision.EXACT,
            zone,
            start.date(),
            (end or start).date(),
            start.time(),
            end.time() if end is not None else None,
            start_utc,
            end_utc,
        )

    @classmethod
    def at(cls, start: datetime, end: datetime | None, zone: ZoneInfo) -> When:
        """From aware instants (a calendar feed's), shown in `zone`: no wall time to read, so
        a time that happens twice there is the one meant."""
        start_utc = start.astimezone(UTC)
        end_utc = end.astimezone(UTC) if end is not None else start_utc
        if end_utc < start_utc:
            raise ValueError("the end is before the start")
        local_start, local_end = start_utc.astimezone(zone), end_utc.astimezone(zone)
        return cls(
            Precision.EXACT,
            zone,
            local_start.date(),
            local_end.date(),
            local_start.time(),
            local_end.time() if end is not None else None,
            start_utc,
            end_utc,
        )

    @classmethod
    def days(cls, first: date, last: date | None, zone: ZoneInfo) -> When:
        last = last or first
        if last < first:
            raise ValueError("the last day is before the first")
        return cls._span(Precision.DAY, zone, first, last)

    @classmethod
    def month(cls, year: int, month: int, zone: ZoneInfo) -> When:
        last = calendar.monthrange(year, month)[1]
        return cls._span(Precision.MONTH, zone, date(year, month, 1), date(year, month, last))

    @classmethod
    def year(cls, year: int, zone: ZoneInfo) -> When:
        return cls._span(Precision.YEAR, zone, date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def tba(cls, zone: ZoneInfo) -> When:
        return cls(Precision.TBA, zone)

    @classmethod
    def _span(cls, precision: Precision, zone: ZoneInfo, first: date, last: date) -> When:
        return cls(
            precision,
            zone,
            first,
            last,
            start_utc=day_start(first, zone),
            end_utc=day_start(last + timedelta(days=1), zone),
        )

    @property
    def is_dated(self) -> bool:
        return self.precision is not Precision.TBA

    @property
    def start_local(self) -> datetime | None:
        """Venue wall time of the start (midnight of the first day when only days are known)."""
        if self.start_utc is None:
            return None
        return self.start_utc.astimezone(self.zone)

    def sort_key(self) -> tuple[int, datetime, int]:
        if self.start_utc is None:
            return (1, _FAR_FUTURE, self.precision.rank)
        return (0, self.start_utc, self.precision.rank)

    def has_ended(self, now: datetime) -> bool:
        return self.end_utc is not None and self.end_utc <= now

    def has_started(self, now: datetime) -> bool:
        return self.start_utc is not None and self.start_utc <= now


_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)

_LEAD = re.compile(r"([0-9]{1,4})\s*([wdhm])")  # ASCII digits: see text.whole_number
_LEAD_UNITS = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1)}
_LEAD_UNITS["m"] = timedelta(minutes=1)
MAX_LEAD = timedelta(days=366)


def parse_lead(text: str) -> timedelta:
    """Parse a lead time such as '7d', '2h', '1d12h' or '90m' (at most a year)."""
    compact = text.strip().lower().replace(" ", "")
    parts = _LEAD.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise ValueError(
            f"'{text}' is not a lead time; write a number and a unit: 30d, 7d, 2h, 90m or 1d12h"
        )
    total = sum((int(n) * _LEAD_UNITS[u] for n, u in parts), timedelta())
    if total <= timedelta(0):
        raise ValueError(f"'{text}' is not a lead time; it must be more than zero")
    if total > MAX_LEAD:
        raise ValueError(f"'{text}' is too far ahead; a lead time can be at most 366d")
    return total


def format_lead(lead: timedelta) -> str:
    """'7d', '2h', '1d12h': the inverse of parse_lead for whole minutes."""
    minutes = int(lead.total_seconds() // 60)
    parts = []
    for unit, size in (("d", 1440), ("h", 60), ("m", 1)):
        amount, minutes = divmod(minutes, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts) or "0m"
