"""Running the plan: APScheduler 3.11 holds one job per instant at which fire points fall due;
the ledger makes each delivery happen once (the rows of the points due at one instant are
claimed in one transaction per batch); fire points missed while the bot was down are sent once,
late, or skipped.

APScheduler facts that shape this (docs/architecture.md, "Reminders"): the default misfire grace
of 1 s drops late jobs with only a log line, and persistent job stores block the loop and drop
bursts. So jobs live in the memory store as a derived index, rebuilt from the database at start,
and every job runs however late it is (`misfire_grace_time=None`).

One process fires a database's reminders (the Lease); others stand by and take over when it
dies, recovering what fell due meanwhile as after a restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from .delivery import RETRY_FIRST, Stats
from .firing import Firing
from .instants import InstantJobs
from .lease import LEASE, Lease
from .ledger import Ledger
from .plan import FirePoint, Target, in_order, plan
from .recovery import recover_missed, resume_interrupted
from .source import Clock, EngineBusy, Source

log = logging.getLogger(__name__)
LAST_ALIVE = "last_alive"  # every fire point due before it has been fired
HORIZON = timedelta(hours=6)  # real time; jobs exist for fire points due within it
JOB_DEFAULTS = {"misfire_grace_time": None, "coalesce": False, "max_instances": 1}

__all__ = ["JOB_DEFAULTS", "RETRY_FIRST", "ReminderEngine", "Stats"]


class ReminderEngine(Firing):
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
        self._jobs = InstantJobs(self._fire_instant, clock.to_real)  # those due within the horizon
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
        return self._jobs.points

    @property
    def instant_jobs(self) -> int:
        """Scheduler jobs for fire points: one per instant at which some fall due."""
        return self._jobs.jobs

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
        self._jobs.clear()  # the jobs of an earlier run went with its scheduler
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
        self._jobs.clear()
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
            self._order = sorted(self._points.values(), key=in_order)
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
        """One APScheduler job per instant at which fire points are due within the horizon."""
        if not self._scheduler.running:
            return
        limit = datetime.now(UTC) + self._horizon
        due: dict[datetime, set[str]] = {}
        for point in self._order:
            if self.clock.to_real(point.at) > limit:
                break
            if point.id in self._points:  # fired points stay in the order until a re-plan
                due.setdefault(point.at, set()).add(point.id)
        self._jobs.sync(self._scheduler, due)

    def _earliest_unfired(self) -> datetime | None:
        return next((p.at for p in self._order if p.id in self._points), None)

    async def _fire_instant(self, at: datetime) -> None:
        """The job of an instant: fire every point due at it (as planned when it runs)."""
        ids = self._jobs.take(at)
        points = [p for i in sorted(ids) if (p := self._points.pop(i, None)) is not None]
        await self._fire_points(points)

    async def _fire(self, point_id: str) -> None:
        """Fire one point now, without its instant's job (which keeps the others)."""
        point = self._points.pop(point_id, None)
        if point is None:
            return
        self._jobs.discard(self._scheduler, point)
        await self._fire_points([point])

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
