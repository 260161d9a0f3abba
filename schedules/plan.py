"""Planning fire points: when each reminder of each target is due. Pure and deterministic.

A lead of whole days counts calendar days in the venue's zone ("1d" before a Brussels meeting is
the same wall time on Brussels' previous day, 23 or 25 hours before across a DST change); the rest
of a lead (hours, minutes) is an exact duration.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from operator import attrgetter
from zoneinfo import ZoneInfo


class Precision(StrEnum):
    """How precisely a target's start is known; only a known day gets reminders."""

    EXACT = "exact"
    DAY = "day"
    ROUGH = "rough"  # a month or a year
    NONE = "none"  # to be announced

    @property
    def schedulable(self) -> bool:
        return self in (Precision.EXACT, Precision.DAY)


@dataclass(frozen=True, slots=True)
class Target:
    """Something to be reminded of, opaque to the engine: a key, when it starts, how precisely."""

    key: str
    start: datetime | None  # aware; for a DAY target, the start of its first day in `zone`
    precision: Precision
    zone: str  # IANA zone of the venue
    # After this instant a reminder missed while the bot was down is no longer worth sending
    # (default: the start; a one-off reminder at a time of its own uses its meeting's start).
    deadline: datetime | None = None

    @property
    def last_useful(self) -> datetime | None:
        return self.deadline or self.start


@dataclass(frozen=True, slots=True, order=True)
class FirePoint:
    """One reminder of one target: `lead` before it, due `at`; the same for every subscriber."""

    at: datetime  # aware UTC: when the reminder is due
    key: str
    lead: timedelta
    # The id, made on first use: formatting the instant costs microseconds, and firing 1,000
    # points due together asks for each id several times.
    _id: str | None = field(default=None, init=False, compare=False, repr=False)

    @property
    def id(self) -> str:
        """Stable across restarts; a moved target gets new ids (its reminders are new ones)."""
        if self._id is None:
            minutes = int(self.lead.total_seconds() // 60)
            made = f"{self.key}|{minutes}m|{self.at.astimezone(UTC):%Y%m%dT%H%M%SZ}"
            object.__setattr__(self, "_id", made)  # frozen: only this cache is ever set
            return made
        return self._id

    @classmethod
    def from_id(cls, point_id: str) -> FirePoint | None:
        """The fire point an id names ('ptc-211-212|1440m|20160301T000000Z'); None for a key
        that is not a fire point (a notice of change)."""
        parts = point_id.rsplit("|", 2)
        if len(parts) != 3 or not parts[1].endswith("m"):
            return None
        key, minutes, at = parts
        try:
            instant = datetime.strptime(at, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            return cls(instant, key, timedelta(minutes=int(minutes[:-1])))
        except ValueError:
            return None


# The order of FirePoint (order=True compares these fields, in this order), read in C: the
# comparisons the dataclass generates are Python calls, a fifth of planning at 20,000 points.
in_order = attrgetter("at", "key", "lead")


def fire_instant(start: datetime, lead: timedelta, zone: ZoneInfo) -> datetime:
    """The instant `lead` before `start`: whole days on the venue's calendar, the rest exactly."""
    days = timedelta(days=lead.days)
    rest = lead - days
    local = start.astimezone(zone).replace(tzinfo=None) - days
    # fold=0: a wall time skipped by DST moves forward by the change (02:30 becomes 03:30 on
    # the day clocks go forward); a wall time that happens twice takes its first pass.
    shifted = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    return shifted - rest


def plan(
    targets: Iterable[Target],
    leads: Callable[[Target], Iterable[timedelta]],
    now: datetime,
) -> list[FirePoint]:
    """Every fire point after `now`, in order; none for a target without a known day."""
    points = set()
    for target in targets:
        if not target.precision.schedulable or target.start is None:
            continue
        zone = ZoneInfo(target.zone)
        for lead in leads(target):
            if lead < timedelta(0):  # zero is "at the start" (a one-off reminder at its time)
                continue
            at = fire_instant(target.start, lead, zone)
            if at > now:
                points.add(FirePoint(at, target.key, lead))
    return sorted(points, key=in_order)
