"""Sending one message once: claim its ledger row, send, record the outcome, and try a passing
failure again with a growing wait. The engine fires fire points through it; the bot sends its
notices of change through it too."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from asyncio import Future
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from .ledger import Claim, Claimed, Ledger, State
from .source import Attempt, Clock, Destination, Late, Outcome

log = logging.getLogger(__name__)
RETRY_FIRST = 5.0  # seconds before a delivery that failed for a passing reason is tried again
RETRY_LONGEST = 600.0  # the wait doubles with each attempt, up to this
RETRY_ATTEMPTS = 30  # for a message without a deadline (a notice): about four hours of trying


@dataclass
class Stats:
    fired: int = 0
    delivered: int = 0
    failed: int = 0
    retried: int = 0
    # seconds (real time) between when a fire point was due and when it fired; the latest ones
    lateness: deque[float] = field(default_factory=lambda: deque(maxlen=10_000))


@dataclass(frozen=True, slots=True)
class Message:
    """One message to one destination, as `send_once` was given it: enough to try it again."""

    key: str
    destination: Destination
    send: Callable[[Attempt], Awaitable[Outcome]]
    late: Late | None
    due: datetime | None
    until: datetime | None


Row = tuple[str, str, State, str | None, str | None]  # as `Ledger.finish` takes them
Record = Callable[[str, str, State, str | None, str | None], Awaitable[None]]


class Outcomes:
    """Group commit of a batch's outcomes: each write takes every outcome that came in while
    the last one was written. SQLite has one writer: a thousand single-row transactions at
    once waited in its busy handler for seconds, and some ran out of its timeout."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._waiting: list[tuple[Row, Future[None]]] = []
        self._writing: asyncio.Task[None] | None = None

    async def finish(
        self, key: str, destination: str, state: State, reason: str | None, message_id: str | None
    ) -> None:
        """Returns once the outcome is written; raises what writing it raised."""
        done: Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(((key, destination, state, reason, message_id), done))
        if self._writing is None:
            self._writing = asyncio.create_task(self._write())
        await done

    async def _write(self) -> None:
        batch: list[tuple[Row, Future[None]]] = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    await self._ledger.finish_many([row for row, _ in batch])
                except Exception as problem:
                    _settle(batch, problem)
                else:
                    _settle(batch, None)
        except BaseException:
            # Cancelled (the engine stepping down): nobody may wait for a write that will not
            # come, and the next outcome must start a writer of its own.
            for _, done in batch + self._waiting:
                done.cancel()
            self._waiting = []
            raise
        finally:
            self._writing = None


def _settle(batch: list[tuple[Row, Future[None]]], problem: Exception | None) -> None:
    """Answer each waiter still waiting: one whose caller was cancelled is already done, and
    answering it again would raise and leave the rest waiting for ever."""
    for _, done in batch:
        if done.done():
            continue
        if problem is None:
            done.set_result(None)
        else:
            done.set_exception(problem)


class Delivering:
    """The engine's sending half. It needs the ledger, the clock, the stats and the scheduler
    (for retries) of the engine it is part of."""

    ledger: Ledger
    clock: Clock
    stats: Stats
    _scheduler: AsyncIOScheduler
    _retry_first: float
    _recorded: asyncio.Condition
    _running: set[asyncio.Task[None]]

    async def send_once(
        self,
        key: str,
        destination: Destination,
        send: Callable[[Attempt], Awaitable[Outcome]],
        late: Late | None = None,
        due: datetime | None = None,
        until: datetime | None = None,
    ) -> Outcome | None:
        """Claim (key, destination) in the ledger, send, record the outcome; None if it was
        already done. Also for messages that are not fire points (notices of changes).

        A passing failure is recorded as retrying and tried again with a growing wait (what
        Discord asks for at least) until `until` (agenda time: a reminder is worth sending until
        its meeting starts), or RETRY_ATTEMPTS times without one; then it fails for good."""
        return await self._send(Message(key, destination, send, late, due, until))

    async def _send(
        self, message: Message, claimed: Claimed | None = None, record: Record | None = None
    ) -> Outcome | None:
        """`claimed`: the row was claimed already (in a batch); else it is claimed here.
        `record`: how the outcome is written (in a batch, with the others'); else on its own."""
        key, destination = message.key, message.destination
        if claimed is None:
            claimed = await self.ledger.claim(key, destination.key, late=message.late is not None)
        if claimed.claim is Claim.DONE:
            return None
        attempt = Attempt(claimed.nonce, claimed.claim is Claim.RESUME, message.late, message.due)
        try:
            outcome = await message.send(attempt)
        except Exception as problem:  # a delivery bug must not stop the other destinations
            log.exception("delivery of %s to %s failed", key, destination.key)
            outcome = Outcome(State.FAILED, f"internal error: {type(problem).__name__}")
        if outcome.state is State.RETRYING:
            outcome = self._retry_later(message, outcome, claimed.attempts)
        await (record or self.ledger.finish)(
            key, destination.key, outcome.state, outcome.reason, outcome.message_id
        )
        if outcome.state is State.SENT:
            self.stats.delivered += 1
        elif outcome.state is State.FAILED:
            self.stats.failed += 1
        async with self._recorded:
            self._recorded.notify_all()
        return outcome

    async def recorded(self, until: Callable[[Stats], bool]) -> None:
        """Returns once the outcomes recorded in the ledger make `until(stats)` true (what a
        caller who saw a message arrive, or fail, waits on before reading the ledger)."""
        async with self._recorded:
            await self._recorded.wait_for(lambda: until(self.stats))

    @contextlib.contextmanager
    def _under_way(self) -> Iterator[None]:
        """Marks the job running now as a delivery that `stop` lets finish."""
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._running.discard(task)

    def _retry_later(self, message: Message, outcome: Outcome, attempts: int) -> Outcome:
        """Plan the next attempt of a delivery that failed for a passing reason; or give up."""
        reason = outcome.reason or "a passing failure"
        if (message.until is not None and message.until <= self.clock.now()) or (
            message.until is None and attempts >= RETRY_ATTEMPTS
        ):
            return Outcome(State.FAILED, f"gave up after {_times(attempts)}: {reason}")
        wait = min(RETRY_LONGEST, self._retry_first * 2 ** (attempts - 1))
        wait = max(wait, outcome.retry_after or 0.0)
        self.stats.retried += 1
        where = f"{message.key} to {message.destination.key}"
        if self._scheduler.running:  # else the next start finds the row and tries it again
            self._scheduler.add_job(
                self._retry,
                DateTrigger(datetime.now(UTC) + timedelta(seconds=wait)),
                args=[message],
                id=f"retry|{message.key}|{message.destination.key}",
                name=f"retry {where}",
                replace_existing=True,
            )
        log.info("%s: %s; attempt %d, next in %.1f s", where, reason, attempts, wait)
        return Outcome(
            State.RETRYING, f"{reason}; tried {_times(attempts)}, trying again", outcome.message_id
        )

    async def _retry(self, message: Message) -> None:
        with self._under_way():
            if message.until is not None and message.until <= self.clock.now():
                await self.ledger.finish(
                    message.key,
                    message.destination.key,
                    State.FAILED,
                    "gave up: the meeting had started before it could be delivered",
                )
                self.stats.failed += 1
                return
            await self._send(message)


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"
