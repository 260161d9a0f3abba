"""Running the plan: APScheduler 3.11 holds one job per fire point; the ledger makes each
delivery happen once; fire points missed while the bot was down are sent once, late, or skipped.

APScheduler facts that shape this (DESIGN.md section 4): the default misfire grace of 1 s drops
late jobs with only a log line, and persistent job stores block the loop and drop bursts. So jobs
live in the memory store as a derived index, rebuilt from the database at start, and every job
runs however late it is (`misfire_grace_time=None`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from .ledger import Claim, Ledger, State
from .plan import FirePoint, Target, plan

log = logging.getLogger(__name__)
LAST_ALIVE = "last_alive"  # every fire point due before it has been fired
HORIZON = timedelta(hours=6)  # real time; jobs exist for fire points due within it
RETRY = timedelta(seconds=60)  # real time; a fan-out that failed is tried again after it
LEASE = timedelta(seconds=90)  # real time; the heartbeat renews it three times per lease
JOB_DEFAULTS = {"misfire_grace_time": None, "coalesce": False, "max_instances": 1}


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
    state: State  # SENT or FAILED
    reason: str | None = None
    message_id: str | None = None


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


@dataclass
class Stats:
    fired: int = 0
    delivered: int = 0
    failed: int = 0
    # seconds (real time) between when a fire point was due and when it fired; the latest ones
    lateness: deque[float] = field(default_factory=lambda: deque(maxlen=10_000))


class ReminderEngine:
    def __init__(
        self,
        source: Source,
        ledger: Ledger,
        clock: Clock,
        *,
        concurrency: int = 16,
        heartbeat: float = 30.0,
        horizon: timedelta = HORIZON,
    ) -> None:
        self.source = source
        self.ledger = ledger
        self.clock = clock
        self.stats = Stats()
        self._concurrency = concurrency
        self._heartbeat_every = heartbeat
        self._scheduler = AsyncIOScheduler(timezone=UTC, job_defaults=JOB_DEFAULTS)
        self._points: dict[str, FirePoint] = {}
        self._order: list[FirePoint] = []  # self._points, by due instant
        self._scheduled: set[str] = set()  # fire points that have an APScheduler job
        self._horizon = horizon
        self._fired: set[str] = set()
        self._in_progress: dict[str, FirePoint] = {}
        self._running: set[asyncio.Task[None]] = set()
        self._heartbeat: asyncio.Task[None] | None = None
        self._owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.on_fired: Callable[[FirePoint], Awaitable[None]] | None = None

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    @property
    def job_count(self) -> int:
        """Fire points that have a job now (those due within the horizon)."""
        return len(self._scheduled)

    @property
    def points(self) -> list[FirePoint]:
        """Every fire point planned and not yet fired, due or not within the horizon."""
        return [p for p in self._order if p.id in self._points]

    async def start(self) -> None:
        """Recover what was missed or interrupted, plan, and start firing (inside the loop).
        Raises EngineBusy when another live process already fires this database's reminders:
        two would deliver each other's reminders twice."""
        if not await self.ledger.take_lead(self._owner, datetime.now(UTC), LEASE, _gone):
            raise EngineBusy("another process fires the reminders of this database")
        now = self.clock.now()
        last_alive = await self._last_alive()
        await self._resume_interrupted(now)
        await self._recover(last_alive, now)
        self._scheduler.start()
        # From `now` read above: what fell due while recovery ran is planned (and fires at once).
        self.replan(since=now)
        # Jobs exist only for fire points due within the horizon: start-up stays fast with tens
        # of thousands of fire points, and this job brings the next ones in as time passes.
        self._scheduler.add_job(
            self._refill,
            "interval",
            seconds=self._horizon.total_seconds() / 2,
            id="refill",
            name="refill",
            replace_existing=True,
        )
        await self._mark_alive()
        self._heartbeat = asyncio.create_task(self._beat())

    async def stop(self) -> None:
        """Stop planning; let deliveries under way finish; remember how far we got."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
        if self._scheduler.running or self._heartbeat is not None:
            await self._mark_alive()
            await self.ledger.give_up_lead(self._owner)

    def replan(self, since: datetime | None = None) -> tuple[int, int]:
        """Bring the plan in line with the source: (added, removed) fire points. Ids are fire
        point ids, so an unchanged fire point keeps its job and a moved meeting's old ones go.

        A planned point that is due but whose job has not run yet is kept (if still wanted);
        a new point is added only if it falls due after `since` (default: now).
        """
        now = self.clock.now()
        newer_than = since if since is not None else now
        pending = self._earliest_unfired()
        floor = min(newer_than, pending) if pending is not None else newer_than
        candidates = plan(self.source.targets(), self.source.leads, floor - _TICK)
        wanted = {p.id: p for p in candidates if p.at > newer_than or p.id in self._points}
        removed = [i for i in self._points if i not in wanted]
        for point_id in removed:
            del self._points[point_id]
        self._fired &= wanted.keys()  # only a point fired a hair before "now" can be wanted again
        added = [p for i, p in wanted.items() if i not in self._points and i not in self._fired]
        for point in added:
            self._points[point.id] = point
        if added or removed or len(self._order) != len(self._points):
            self._order = sorted(self._points.values())
        self._sync_jobs()
        return len(added), len(removed)

    async def _refill(self) -> None:
        """The interval job: a coroutine, so that APScheduler runs it on the loop, not in a
        thread beside the loop's own changes to the plan."""
        self._sync_jobs()

    def _sync_jobs(self) -> None:
        """One APScheduler job per fire point due within the horizon, and no other."""
        if not self._scheduler.running:
            return
        limit = datetime.now(UTC) + self._horizon
        due: set[str] = set()
        for point in self._order:
            if self.clock.to_real(point.at) > limit:
                break
            if point.id in self._points:  # fired points stay in the order until a re-plan
                due.add(point.id)
        for point_id in self._scheduled - due:
            if self._scheduler.get_job(point_id) is not None:
                self._scheduler.remove_job(point_id)
        for point_id in due - self._scheduled:
            point = self._points[point_id]
            self._scheduler.add_job(
                self._fire,
                DateTrigger(self.clock.to_real(point.at)),
                args=[point.id],
                id=point.id,
                name=point.id,
                replace_existing=True,
            )
        self._scheduled = due

    def _earliest_unfired(self) -> datetime | None:
        return next((p.at for p in self._order if p.id in self._points), None)

    async def _fire(self, point_id: str) -> None:
        point = self._points.pop(point_id, None)
        self._scheduled.discard(point_id)
        if point is None:
            return
        self._fired.add(point_id)
        # Until its fan-out ends, the point holds back LAST_ALIVE: a crash now leaves it inside
        # the window the next start recovers, where the ledger tells what was already sent.
        self._in_progress[point_id] = point
        self.stats.lateness.append(
            (datetime.now(UTC) - self.clock.to_real(point.at)).total_seconds()
        )
        self.stats.fired += 1
        await self._fan_out_or_retry(point)

    async def _fan_out_or_retry(self, point: FirePoint) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            await self.fan_out(point)
        except Exception:
            # The database or the source failed mid-way: try again in a minute (deliveries
            # already made are in the ledger), and keep holding LAST_ALIVE back meanwhile.
            log.exception("fan-out of %s failed; retrying in %s", point.id, RETRY)
            self._scheduler.add_job(
                self._fan_out_or_retry,
                DateTrigger(datetime.now(UTC) + RETRY),
                args=[point],
                id=f"{point.id}#retry",
                replace_existing=True,
            )
            return
        finally:
            if task is not None:
                self._running.discard(task)
        self._in_progress.pop(point.id, None)
        if self.on_fired is not None:
            await self.on_fired(point)

    async def fan_out(self, point: FirePoint, late: Late | None = None) -> None:
        """Deliver `point` to each of its destinations once, a bounded number at a time."""
        destinations = await self.source.destinations(point, missed=late is not None)
        gate = asyncio.Semaphore(self._concurrency)

        async def one(destination: Destination) -> None:
            async with gate:
                await self.deliver_once(point, destination, late)

        await asyncio.gather(*(one(d) for d in destinations))

    async def deliver_once(
        self, point: FirePoint, destination: Destination, late: Late | None = None
    ) -> Outcome | None:
        return await self.send_once(
            point.id,
            destination,
            lambda attempt: self.source.deliver(point, destination, attempt),
            late,
            point.at,
        )

    async def send_once(
        self,
        key: str,
        destination: Destination,
        send: Callable[[Attempt], Awaitable[Outcome]],
        late: Late | None = None,
        due: datetime | None = None,
    ) -> Outcome | None:
        """Claim (key, destination) in the ledger, send, record the outcome; None if it was
        already done. Also for messages that are not fire points (notices of changes)."""
        claimed = await self.ledger.claim(key, destination.key, late=late is not None)
        if claimed.claim is Claim.DONE:
            return None
        attempt = Attempt(claimed.nonce, claimed.claim is Claim.RESUME, late, due)
        try:
            outcome = await send(attempt)
        except Exception as problem:  # a delivery bug must not stop the other destinations
            log.exception("delivery of %s to %s failed", key, destination.key)
            outcome = Outcome(State.FAILED, f"internal error: {type(problem).__name__}")
        await self.ledger.finish(
            key, destination.key, outcome.state, outcome.reason, outcome.message_id
        )
        if outcome.state is State.SENT:
            self.stats.delivered += 1
        else:
            self.stats.failed += 1
        return outcome

    async def _resume_interrupted(self, now: datetime) -> None:
        """Deliveries a crash cut between claim and record are finished now, with their nonce;
        late, if they were due before now. (Destinations a cut fan-out had not reached yet are
        found by the recovery that follows: LAST_ALIVE stayed before the point.)"""
        for point_id, destination_key in await self.ledger.interrupted():
            point = _parse_point(point_id)
            if point is None:
                await self._redeliver(point_id, destination_key)
                continue
            late = Late.DOWN if point.at < now else None
            for destination in await self.source.destinations(point, missed=True):
                if destination.key == destination_key:
                    await self.deliver_once(point, destination, late)
                    break
            else:
                await self.ledger.finish(
                    point_id, destination_key, State.SKIPPED, "the destination no longer subscribes"
                )

    async def _redeliver(self, key: str, destination_key: str) -> None:
        claimed = await self.ledger.claim(key, destination_key)
        if claimed.claim is Claim.DONE:
            return
        attempt = Attempt(claimed.nonce, resumed=True)
        try:
            outcome = await self.source.redeliver(key, destination_key, attempt)
        except Exception as problem:
            log.exception("redelivery of %s to %s failed", key, destination_key)
            outcome = Outcome(State.FAILED, f"internal error: {type(problem).__name__}")
        if outcome is None:
            outcome = Outcome(State.SKIPPED, "no longer needed")
        await self.ledger.finish(
            key, destination_key, outcome.state, outcome.reason, outcome.message_id
        )

    async def _recover(self, last_alive: datetime | None, now: datetime) -> None:
        """Fire points that fell due while the bot was down: the latest one per meeting and
        destination is sent once, marked late, if the meeting has not started; the rest are
        recorded as skipped. Never a flood, never silence."""
        if last_alive is None or last_alive >= now:
            return
        targets = {t.key: t for t in self.source.targets()}
        missed = [p for p in plan(targets.values(), self.source.leads, last_alive) if p.at <= now]
        if not missed:
            return
        known = await self.ledger.known([p.id for p in missed])
        latest: dict[tuple[str, str], tuple[FirePoint, Destination]] = {}
        for point in missed:  # chronological: later points replace earlier ones
            for destination in await self.source.destinations(point, missed=True):
                if (point.id, destination.key) in known:
                    continue
                pair = (point.key, destination.key)
                if pair in latest:
                    earlier = latest[pair][0]
                    await self.ledger.skip(
                        earlier.id,
                        destination.key,
                        "missed while offline; a later reminder replaced it",
                    )
                latest[pair] = (point, destination)
        for (key, _), (point, destination) in latest.items():
            useful_until = targets[key].last_useful
            if useful_until is not None and useful_until > now:
                await self.deliver_once(point, destination, Late.DOWN)
            else:
                await self.ledger.skip(
                    point.id,
                    destination.key,
                    "missed while offline; the meeting had already started",
                )

    async def _last_alive(self) -> datetime | None:
        value = await self.ledger.get_state(LAST_ALIVE)
        return datetime.fromisoformat(value) if value else None

    async def _mark_alive(self) -> None:
        """Record how far firing got: now, or just before the earliest point that is due but has
        not fired, or whose fan-out is under way; a restart recovers everything after it."""
        mark = self.clock.now()
        holding = [p.at for p in self._in_progress.values()]
        pending = self._earliest_unfired()
        if pending is not None:
            holding.append(pending)
        earliest = min(holding, default=None)
        if earliest is not None and earliest <= mark:
            mark = earliest - _TICK
        await self.ledger.set_state(LAST_ALIVE, mark.isoformat())

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat_every)
            try:
                if not await self.ledger.take_lead(self._owner, datetime.now(UTC), LEASE, _gone):
                    log.error("another process took over the reminders; stopping ours")
                    self._scheduler.shutdown(wait=False)
                    return
                await self._mark_alive()
            except Exception:
                log.exception("could not record the heartbeat")


_TICK = timedelta(microseconds=1)


def _gone(holder: str) -> bool:
    """A lead holder on this machine whose process no longer exists (killed, crashed) is gone
    at once; elsewhere, its lease must run out."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _parse_point(point_id: str) -> FirePoint | None:
    """A FirePoint back from its id ('key|1440m|20160301T080000Z')."""
    try:
        key, minutes, at = point_id.rsplit("|", 2)
        instant = datetime.strptime(at, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        return FirePoint(instant, key, timedelta(minutes=int(minutes.rstrip("m"))))
    except ValueError:
        return None
