"""What the bot gives the engine (a Source of targets and destinations, a Clock) and what they
pass to each other (destinations, attempts, outcomes)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from .ledger import State
from .plan import FirePoint, Target


class EngineBusy(Exception):
    """Another process fires the reminders of this database."""


class Clock(Protocol):
    """The bot's clock: agenda time, and the real instant at which it will read a given time."""

    def now(self) -> datetime: ...

    def to_real(self, instant: datetime) -> datetime: ...


@dataclass(frozen=True, slots=True)
class Destination:
    """Where one message goes (a channel, a DM, the console); `key` names it in the ledger."""

    key: str
    payload: Any = None


class Late(StrEnum):
    DOWN = "the bot was offline when it was due"


@dataclass(frozen=True, slots=True)
class Attempt:
    nonce: str
    resumed: bool  # an earlier attempt was interrupted; the message may already exist
    late: Late | None = None
    due: datetime | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """SENT, FAILED for good (missing access, unknown channel), or RETRYING: a passing failure
    (rate limit, outage, time-out) that the engine tries again, after `retry_after` at least."""

    state: State
    reason: str | None = None
    message_id: str | None = None
    retry_after: float | None = None


class Source(Protocol):
    """What the bot provides: the targets, their leads, who gets a fire point, how to send."""

    def targets(self) -> Iterable[Target]: ...

    def leads(self, target: Target) -> Iterable[timedelta]: ...

    async def destinations(self, point: FirePoint, missed: bool = False) -> Sequence[Destination]:
        """Who gets `point`; when `missed` (sent late after a restart), only those who had
        subscribed before it was due."""
        ...

    async def deliver(self, point: FirePoint, to: Destination, attempt: Attempt) -> Outcome: ...

    async def redeliver(self, key: str, to: str, attempt: Attempt) -> Outcome | None:
        """Finish an interrupted message that is not a fire point (a notice); None: drop it."""
        ...
