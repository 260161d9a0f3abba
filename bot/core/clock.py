"""The one source of "now". Code asks a clock; tests pass a fixed one."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from .when import FIRST_YEAR, LAST_YEAR

MAX_SPEED = 1_000_000  # --speed: a million times real time is twelve days a second


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, aware, in UTC."""
        ...

    def to_real(self, instant: datetime) -> datetime:
        """The real instant at which this clock will read `instant` (schedulers run on real
        time: with --as-of and --speed the two differ)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def to_real(self, instant: datetime) -> datetime:
        """The real instant at which this clock reads `instant`: the same one."""
        return instant


class FixedClock:
    """A clock that only moves when told to."""

    def __init__(self, instant: datetime) -> None:
        self.set(instant)

    def now(self) -> datetime:
        return self._instant

    def set(self, instant: datetime) -> None:
        self._instant = _require_aware(instant)
        self._real = datetime.now(UTC)

    def advance(self, delta: timedelta) -> None:
        self.set(self._instant + delta)

    def to_real(self, instant: datetime) -> datetime:
        """Schedulers run on real time: an instant `d` after the fixed one is due `d` after the
        clock was last set (the clock itself stays put)."""
        return self._real + (instant - self._instant)


class LivingClock:
    """Lives as if it were `as_of` when it was created; time then runs on, `speed` times faster.

    `--as-of 2015-10-23` shows the bundled agenda as it was; `--speed 3600` makes an hour pass each
    second, for demos.
    """

    def __init__(self, as_of: datetime, speed: float = 1.0, base: Clock | None = None) -> None:
        if not speed > 0:
            raise ValueError("speed must be a positive number")
        if not speed <= MAX_SPEED:  # faster, and a few seconds overflow the date arithmetic
            raise ValueError(f"speed must be at most {MAX_SPEED:,}")
        self._base: Clock = base if base is not None else SystemClock()
        self._origin = self._base.now()
        self._as_of = _require_aware(as_of)
        self._speed = speed

    @property
    def as_of(self) -> datetime:
        return self._as_of

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> datetime:
        return self._as_of + (self._base.now() - self._origin) * self._speed

    def to_real(self, instant: datetime) -> datetime:
        """The real instant at which this clock will read `instant` (for schedulers)."""
        return self._origin + (_require_aware(instant) - self._as_of) / self._speed


def parse_as_of(text: str) -> datetime:
    """Parse `--as-of`: a date (its midnight, UTC) or an ISO date-time (UTC when no offset).

    Raises ValueError with a message that says what to type instead.
    """
    value = text.strip()
    try:
        if len(value) == 10:
            parsed = datetime.combine(date.fromisoformat(value), time(0), tzinfo=UTC)
        else:
            parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"'{text}' is not a date; use YYYY-MM-DD (2015-10-23) or an ISO date-time "
            "(2015-10-23T09:00+02:00)"
        ) from None
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise ValueError(
            f"'{text}' is outside the years {FIRST_YEAR} to {LAST_YEAR}; give a date within them"
        )
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _require_aware(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("clock instants must be timezone-aware")
    return instant.astimezone(UTC)
