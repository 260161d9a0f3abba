"""A meeting's date as people write it, at any precision, read into a When: from the data files
(TOML values) and from editors (text typed in a command)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from .when import LocalTimeError, When, localize, repeated, year_problem

_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")  # ASCII digits, as int() reads them
_YEAR = re.compile(r"^([0-9]{4})$")
_DAY = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
_TIME = re.compile(
    r"^([0-9]{4})-([0-9]{2})-([0-9]{2})[ T]([0-9]{1,2}):([0-9]{2})(?:([+-])([0-9]{2}):([0-9]{2}))?$"
)
_OFFSET_ONLY_TWICE = (
    "give the venue's local time without an offset (2016-03-02T10:00:00) and the zone in "
    "'timezone'; an offset says which is meant only of a time that happens twice there"
)


class DateFieldError(ValueError):
    """A date that does not work, and the field to blame ('start' or 'end')."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def when_of(start: object, end: object, zone: ZoneInfo) -> When:
    for name, value in (("start", start), ("end", end)):
        if isinstance(value, date) and (problem := year_problem(value)):  # datetimes too
            raise DateFieldError(name, problem)
    if start is None or (isinstance(start, str) and start.strip().upper() == "TBA"):
        if end is not None:
            raise DateFieldError("end", "an end is only allowed with a day or a time in 'start'")
        return When.tba(zone)
    if isinstance(start, datetime):
        if start.tzinfo is not None or (isinstance(end, datetime) and end.tzinfo is not None):
            return _twice(start, end, zone)
        if end is not None and not (isinstance(end, datetime) and end.tzinfo is None):
            raise DateFieldError(
                "end", "with a time in 'start', 'end' must be a local date-time too"
            )
        try:
            return When.exact(start, end if isinstance(end, datetime) else None, zone)
        except LocalTimeError as error:
            raise DateFieldError("start" if _bad_wall(start, zone) else "end", str(error)) from None
        except ValueError as error:
            raise DateFieldError("end", str(error)) from None
    if isinstance(start, date):
        if end is not None and (not isinstance(end, date) or isinstance(end, datetime)):
            raise DateFieldError(
                "end", "with a day in 'start', 'end' must be a date (the last day)"
            )
        try:
            return When.days(start, end, zone)
        except ValueError as error:
            raise DateFieldError("end", str(error)) from None
    if end is not None:
        raise DateFieldError("end", "an end is only allowed with a day or a time in 'start'")
    text = str(start).strip()
    if isinstance(start, int) and not isinstance(start, bool):
        text = str(start)
    match = _YEAR.match(text) or _MONTH.match(text)
    if match and (problem := year_problem(int(match[1]), f"'{start}'")):
        raise DateFieldError("start", problem)
    if match := _YEAR.match(text):
        return When.year(int(match[1]), zone)
    if (match := _MONTH.match(text)) and 1 <= int(match[2]) <= 12:
        return When.month(int(match[1]), int(match[2]), zone)
    raise DateFieldError(
        "start",
        f"'{start}' is not a date; write a date (2016-03-02), a local time (2016-03-02T10:00:00), "
        'a month ("2016-11"), a year ("2016") or "TBA"',
    )


def _twice(start: datetime, end: object, zone: ZoneInfo) -> When:
    """A time with an offset: allowed where the wall time happens twice (clocks go back), to
    say which of the two is meant."""
    if end is not None and not isinstance(end, datetime):
        raise DateFieldError("end", "with a time in 'start', 'end' must be a local date-time too")
    instants = []
    for name, value in (("start", start), ("end", end)):
        if value is None:
            continue
        if value.tzinfo is None:
            try:
                instants.append(localize(value, zone))
            except LocalTimeError as error:
                raise DateFieldError(name, str(error)) from None
        elif repeated(value.astimezone(zone).replace(tzinfo=None), zone):
            instants.append(value)
        else:
            raise DateFieldError(name, _OFFSET_ONLY_TWICE)
    try:
        return When.at(instants[0], instants[1] if len(instants) > 1 else None, zone)
    except ValueError as error:
        raise DateFieldError("end", str(error)) from None


def _bad_wall(wall: datetime, zone: ZoneInfo) -> bool:
    try:
        When.exact(wall, None, zone)
    except LocalTimeError:
        return True
    return False


def typed_value(text: str) -> date | datetime | str | None:
    """What an editor typed for a start or an end, as the data files would hold it: a local
    date-time ("2016-03-09 10:00"), a day ("2016-03-09"), a month ("2016-11"), a year ("2016"),
    or None for "TBA" or nothing. Anything else comes back as text, for `when_of` to explain."""
    value = " ".join(text.split())
    if not value or value.upper() == "TBA":
        return None
    try:
        if match := _TIME.match(value):
            year, month, day, hour, minute = (int(part) for part in match.groups()[:5])
            sign, hours, minutes = match.groups()[5:]
            if sign is None:
                return datetime(year, month, day, hour, minute)
            offset = timedelta(hours=int(hours), minutes=int(minutes))
            zone = timezone(-offset if sign == "-" else offset)
            return datetime(year, month, day, hour, minute, tzinfo=zone)
        if match := _DAY.match(value):
            year, month, day = (int(part) for part in match.groups())
            return date(year, month, day)
    except ValueError:
        return value  # not a real day: when_of says what to write
    return value
