"""The bot's side of the reminder engine: targets from the agenda, leads from ladders and
subscriptions, destinations from the audience, and delivery through the adapter's sender."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Protocol

from bot.core import Meeting, Precision, Reply, TimeStyle
from bot.core.reminding import change_reply, reminder_reply
from bot.storage import Delivery, StorageError, Store
from bot.storage.changes import ChangeLog
from schedules import (
    Attempt,
    Destination,
    FirePoint,
    Ledger,
    Outcome,
    State,
    Target,
)
from schedules import Precision as TargetPrecision

from .agenda import AgendaService
from .audience import Audience, route_of
from .collector import collection_paused
from .early import EarlySubscriptions
from .followers import Subscribers
from .subscribers_file import SavedIndex

log = logging.getLogger(__name__)
REMINDER_PREFIX = "reminder:"
_FOREVER = datetime.max.replace(tzinfo=UTC)
NOTICE_PREFIX = "notice:"


@dataclass(frozen=True, slots=True)
class Message:
    """A reminder or a notice as the adapter sends it: the reply, who to mention, a reference."""

    reply: Reply
    mentions: tuple[str, ...]
    ref: str  # also written into the message, to find it again after a crash


class Sender(Protocol):
    """The adapter's way to deliver: Discord over REST, the console by printing."""

    times: TimeStyle

    async def send(self, destination: str, message: Message, attempt: Attempt) -> Outcome: ...


class Reminders:
    """The agenda as the reminder engine sees it (schedules.Source): targets, leads, who gets
    each fire point (the audience index of subscriptions), and delivery through the sender."""

    def __init__(
        self,
        agenda: AgendaService,
        store: Store,
        ledger: Ledger,
        sender: Sender,
        all_day_start: time = time(0),
        early: EarlySubscriptions | None = None,
    ) -> None:
        self.agenda = agenda
        self.store = store
        self.ledger = ledger
        self.sender = sender
        self.audience = Audience()
        self.all_day_start = all_day_start
        self._saving: set[asyncio.Task[None]] = set()  # the index being saved to its file
        self._loaded = False  # once: the index read at start-up is saved, not those of reloads
        self._early = early  # taken by the first load

    async def saved(self) -> None:
        """Once the index read last is in its file (or the write failed, logged)."""
        if self._saving:
            await asyncio.gather(*self._saving)

    async def load(self) -> None:
        """Read every subscription and personal reminder; what changes after the revision read
        first is found by the next look (Runtime.reload_subscriptions_if_changed)."""
        self.store.revision_seen = await self.store.revision()
        with self.audience.changes_meanwhile() as meanwhile:
            try:
                audience = await self._read()
            except (ValueError, KeyError) as problem:  # a kind or delivery this version lacks
                reason = f"unknown value {problem}" if isinstance(problem, KeyError) else problem
                raise StorageError(
                    f"the subscriptions in the database cannot be read ({reason}); a newer "
                    "version of the bot probably wrote them: run that version"
                ) from problem
            audience.replay(meanwhile)
        self.audience.take(audience)

    async def _read(self) -> Audience:
        """Into a new index, swapped in whole: fan-out during the reload sees the old one."""
        audience = Audience()
        audience.clear(await self.store.reminders())
        early, self._early = self._early, None
        read_early = await early.taken(self.store.database_file) if early is not None else None
        with collection_paused():
            # SQLite: read and indexed in a worker thread, in one go (or the index read from
            # the file it was saved to, if saved under the table's key); else in batches of rows.
            subscribers = Subscribers()
            # Saved at start-up only: a reload follows a change, and writing the whole index
            # at each one (tens of MB at a million) would serve only a restart before the next.
            saved = SavedIndex(self.store.database_file, subscribers, save=not self._loaded)
            self._loaded = True

            def restore(key: int, history: ChangeLog) -> bool:
                """In the read transaction: what was read early, if read under this key."""
                nonlocal saved, read_early
                if read_early is not None and read_early.key == key:
                    saved = read_early
                    return True
                read_early = None  # not current: not held beside the index read instead
                return saved.restore(key, history)

            if await self.store.read_subscription_columns(
                subscribers.extend_columns, saved.finish, restore
            ):
                audience.hold(saved.index)
                self._saving.add(task := asyncio.create_task(saved.save()))
                task.add_done_callback(self._saving.discard)
            else:
                await self.store.read_subscriptions(audience.extend)
                audience.settle()
        return audience

    # -- schedules.Source ------------------------------------------------------------------------

    def targets(self) -> Iterable[Target]:
        for meeting in self.agenda.agenda.meetings.values():
            if not meeting.is_live:
                continue
            yield Target(
                meeting.id, self.start_of(meeting), _precision(meeting), meeting.when.zone.key
            )
        meetings = self.agenda.agenda.meetings
        for reminder in self.audience.reminders():
            if reminder.at is not None:
                subject = meetings.get(reminder.meeting_id)
                # A one-off reminder at a time of its own is worth sending (late, or after a
                # passing failure) until its meeting ends, or always without a known end.
                deadline = subject.when.end_utc if subject is not None else None
                yield Target(
                    f"{REMINDER_PREFIX}{reminder.id}",
                    reminder.at,
                    TargetPrecision.EXACT,
                    "UTC",
                    deadline or _FOREVER,
                )

    def start_of(self, meeting: Meeting) -> datetime | None:
        """When reminders count from: the start, or for an all-day meeting its opening time;
        None while the day is not known (a month, a year, TBA: nothing is invented) or while
        the meeting is not going ahead (cancelled, postponed)."""
        when = meeting.when
        if not meeting.is_live:
            return None
        if when.precision is Precision.DAY and when.first_day is not None:
            wall = datetime.combine(when.first_day, self.all_day_start)
            return wall.replace(tzinfo=when.zone, fold=0).astimezone(UTC)
        if when.precision is Precision.EXACT:
            return when.start_utc
        return None

    def leads(self, target: Target) -> Iterable[timedelta]:
        if target.key.startswith(REMINDER_PREFIX):
            return (timedelta(0),)
        # The agenda as known now, asked once: planning asks this of every meeting, and each
        # ask reads the clock and looks up the view of the instant.
        known = self.agenda.library()
        meeting = known.agenda.meetings[target.key]
        ladder = set(known.agenda.ladders.for_kind(meeting.kind))
        return ladder | self.audience.override_leads(meeting, known.index)

    async def destinations(self, point: FirePoint, missed: bool = False) -> Sequence[Destination]:
        if point.key.startswith(REMINDER_PREFIX):
            reminder = self.audience.reminder(int(point.key.removeprefix(REMINDER_PREFIX)))
            if reminder is None:
                return []
            return [Destination(route_of(reminder.owner, Delivery.DM, "").key, ())]
        meeting = self.agenda.agenda.meetings.get(point.key)
        if meeting is None:
            return []
        ladder = self.agenda.agenda.ladders.for_kind(meeting.kind)
        # Sent late, a reminder goes only to those who had subscribed before it was due; on
        # time, to every subscriber (creation times are in agenda time, which --as-of moves).
        due = point.at if missed else None
        routes = self.audience.routes(meeting, self.agenda.index, point.lead, ladder, due)
        return [Destination(key, tuple(sorted(m))) for key, m in sorted(routes.items())]

    async def deliver(self, point: FirePoint, to: Destination, attempt: Attempt) -> Outcome:
        meeting, lead = self._subject(point)
        if meeting is None:
            return Outcome(State.SKIPPED, "the meeting is no longer on the agenda")
        now = self.agenda.clock.now()
        reply = reminder_reply(
            meeting,
            lead,
            now,
            self.sender.times,
            attempt.late.value if attempt.late else None,
            attempt.due,
        )
        message = Message(reply, tuple(to.payload or ()), attempt.nonce)
        return await self.sender.send(to.key, message, attempt)

    async def redeliver(self, key: str, to: str, attempt: Attempt) -> Outcome | None:
        if not key.startswith(NOTICE_PREFIX):
            return None
        meeting_id, change = key.removeprefix(NOTICE_PREFIX).split(":")[:2]
        meeting = self.agenda.agenda.meetings.get(meeting_id)
        if meeting is None:
            return None
        return await self.send_notice(meeting, change, to, (), attempt)

    def _subject(self, point: FirePoint) -> tuple[Meeting | None, timedelta | None]:
        meetings = self.agenda.agenda.meetings
        if point.key.startswith(REMINDER_PREFIX):
            reminder = self.audience.reminder(int(point.key.removeprefix(REMINDER_PREFIX)))
            return (meetings.get(reminder.meeting_id) if reminder else None), None
        return meetings.get(point.key), point.lead

    # -- notices of change -----------------------------------------------------------------------

    async def send_notice(
        self, meeting: Meeting, change: str, to: str, mentions: tuple[str, ...], attempt: Attempt
    ) -> Outcome:
        reply = change_reply(meeting, change, self.agenda.clock.now(), self.sender.times)
        return await self.sender.send(to, Message(reply, mentions, attempt.nonce), attempt)


def _precision(meeting: Meeting) -> TargetPrecision:
    precision = meeting.when.precision
    if precision is Precision.EXACT:
        return TargetPrecision.EXACT
    if precision is Precision.DAY:
        return TargetPrecision.DAY
    if precision is Precision.TBA:
        return TargetPrecision.NONE
    return TargetPrecision.ROUGH
