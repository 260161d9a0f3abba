"""Running the plan: APScheduler 3.11 holds one job per fire point; the ledger makes each
delivery happen once; fire points missed while the bot was down are sent once, late, or skipped.

APScheduler facts that shape this (docs/architecture.md, "Reminders"): the default misfire grace
of 1 s drops late jobs with only a log line, and persistent job stores block the loop and drop
bursts. So jobs live in the memory store as a derived index, rebuilt from the database at start,
and every job runs however late it is (`misfire_grace_time=None`).

One process fires a database's reminders (the Lease); others stand by and take over when it
dies, recovering what fell due meanwhile as after a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from .lease import LEASE, Lease
from .ledger import Claim, Ledger, State
from .plan import FirePoint, Target, plan
from .recovery import recover_missed, resume_interrupted
from .source import Attempt, Clock, Destination, EngineBusy, Late, Outcome, Source

log = logging.getLogger(__name__)
LAST_ALIVE = "last_alive"  # every fire point due before it has been fired
HORIZON = timedelta(hours=6)  # real time; jobs exist for fire points due within it
RETRY = timedelta(seconds=60)  # real time; a fan-out that failed is tried again after it
RETRY_FIRST = 5.0  # seconds before a delivery that failed for a passing reason is tried again
RETRY_LONGEST = 600.0  # the wait doubles with each attempt, up to this
RETRY_ATTEMPTS = 30  # for a message without a deadline (a notice): about four hours of trying
JOB_DEFAULTS = {"misfire_grace_time": None, "coalesce": False, "max_instances": 1}


@dataclass
class Stats:
    fired: int = 0
    delivered: int = 0
    failed: int = 0
    retried: int = 0
    # seconds (real time) between when a fire point was due and when it fired; the latest ones
    lateness: deque[float] = field(default_factory=lambda: deque(maxlen=10_000))


@dataclass(frozen=True, slots=True)
class _Message:
    """One message to one destination, as `send_once` was given it: enough to try it again."""

    key: str
    destination: Destination
    send: Callable[[Attempt], Awaitable[Outcome]]
    late: Late | None
    due: datetime | None
    until: datetime | None


class ReminderEngine:
    """Plans fire points from a Source, fires each when due (APScheduler), delivers it once per
    destination (the ledger), retries passing failures, and recovers what a restart missed."""

    def __init__(
        self,
        source: Source,
        ledger: Ledger,
        clock: Clock,
        *,
        concurrency: int = 16,
        lease: timedelta = LEASE,
        horizon: timedelta = HORIZON,
        retry_first: float = RETRY_FIRST,
    ) -> None:
        self.source = source
        self.ledger = ledger
        self.clock = clock
        self.stats = Stats()
        self._recorded = asyncio.Condition()  # notified once a delivery's outcome is in the ledger
        self._concurrency = concurrency
        self._retry_first = retry_first
        self._scheduler = AsyncIOScheduler(timezone=UTC, job_defaults=JOB_DEFAULTS)
        self._points: dict[str, FirePoint] = {}
        self._order: list[FirePoint] = []  # self._points, by due instant
        self._scheduled: set[str] = set()  # fire points that have an APScheduler job
        self._deadlines: dict[str, datetime | None] = {}  # target key -> last useful instant
        self._horizon = horizon
        # Agenda time at which this process began standing by (None while it never has).
        self._watching_since: datetime | None = None
        self._fired: set[str] = set()
        self._in_progress: dict[str, FirePoint] = {}
        self._running: set[asyncio.Task[None]] = set()
        self._lease = Lease(ledger, lease)
        self.on_fired: Callable[[FirePoint], Awaitable[None]] | None = None
        # Told when this process takes over the reminders from a standby, and when it loses them.
        self.on_lead: Callable[[], Awaitable[None]] | None = None
        self.on_standby: Callable[[], Awaitable[None]] | None = None

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    @property
    def leading(self) -> bool:
        """This process fires the reminders of the database."""
        return self._lease.held

    @property
    def heartbeat_seconds(self) -> float:
        """How often the lease is renewed, and how often a standby tries to take it."""
        return self._lease.every

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
        if not await self._lease.take():
            raise EngineBusy("another process fires the reminders of this database")
        await self._begin()

    async def start_or_stand_by(self) -> bool:
        """Start firing (True), or, while another live process fires this database's reminders,
        stand by (False): try to take over every heartbeat, and when the holder's lease runs out
        (at once if it died on this machine) recover what fell due and fire from then on."""
        try:
            await self.start()
        except EngineBusy:
            self._watching_since = self.clock.now()
            self._lease.wait_for(self._take_over)
            return False
        return True

    async def _begin(self) -> None:
        self._scheduler = AsyncIOScheduler(timezone=UTC, job_defaults=JOB_DEFAULTS)
        now = self.clock.now()
        # A sender that died before its first heartbeat left no mark: what fell due while this
        # process watched it was sent by no one, so recovery covers it.
        last_alive = await self._last_alive() or self._watching_since
        targets = self._remember_deadlines()
        await resume_interrupted(self.ledger, self.source, self.deliver_once, now)
        await recover_missed(self.ledger, self.source, self.deliver_once, targets, last_alive, now)
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
        self._lease.keep(self._mark_alive, self._step_down)

    async def _take_over(self) -> None:
        log.warning("the process that sent reminders is gone; this one takes over")
        try:
            await self._begin()
        except BaseException:
            if self._scheduler.running:
                self._scheduler.shutdown(wait=False)
            raise
        if self.on_lead is not None:
            try:
                await self.on_lead()
            except Exception:
                log.exception("after taking over the reminders")

    async def _step_down(self) -> None:
        """Another process holds the lease now (ours ran out while we could not renew it): stop
        firing, forget the plan, and stand by."""
        log.error("another process took over the reminders; this one stands by")
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self._points.clear()
        self._order.clear()
        self._scheduled.clear()
        self._fired.clear()
        self._lease.wait_for(self._take_over)
        if self.on_standby is not None:
            await self.on_standby()

    async def stop(self) -> None:
        """Stop planning; let deliveries under way finish; remember how far we got."""
        await self._lease.stop_renewing()
        if self._scheduler.running:
            # No new job starts; those under way finish (shutting down would cancel them).
            self._scheduler.pause()
            if self._running:
                await asyncio.gather(*self._running, return_exceptions=True)
            self._scheduler.shutdown(wait=False)
        if self._lease.held:
            await self._mark_alive()
            await self._lease.give_up()

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
        targets = self._remember_deadlines()
        candidates = plan(targets, self.source.leads, floor - _TICK)
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

    def replan_if_firing(self) -> None:
        """After the source changed: re-plan, if this process fires (a standby plans when it
        takes over)."""
        if self.running:
            added, removed = self.replan()
            log.info("re-planned: %d fire points added, %d removed", added, removed)

    def _remember_deadlines(self) -> list[Target]:
        """The source's targets, noting until when each one's reminders are worth sending."""
        targets = list(self.source.targets())
        self._deadlines = {target.key: target.last_useful for target in targets}
        return targets

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

    async def _fan_out_or_retry(self, point: FirePoint) -> None:
        with self._under_way():
            await self._fan_out_once(point)

    async def _fan_out_once(self, point: FirePoint) -> None:
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
            until=self._deadlines.get(point.key),
        )

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
        return await self._send(_Message(key, destination, send, late, due, until))

    async def _send(self, message: _Message) -> Outcome | None:
        key, destination = message.key, message.destination
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
        await self.ledger.finish(
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

    def _retry_later(self, message: _Message, outcome: Outcome, attempts: int) -> Outcome:
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

    async def _retry(self, message: _Message) -> None:
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


_TICK = timedelta(microseconds=1)


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"
