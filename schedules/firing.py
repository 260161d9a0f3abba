"""Firing fire points: those due at one instant together, their ledger rows claimed a batch per
transaction (one round trip, not one per row), each batch sent while the next is claimed; and
the fan-out of a single point, which a failed fan-out is retried with."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.date import DateTrigger

from .delivery import Delivering, Message, Outcomes
from .ledger import Claim, Claimed, nonce_for
from .plan import FirePoint
from .source import Attempt, Destination, Late, Outcome, Source

log = logging.getLogger(__name__)
RETRY = timedelta(seconds=60)  # real time; a fan-out that failed is tried again after it
# Ledger rows claimed per transaction when many points fall due at once: one round trip for a
# typical instant, while a huge one starts sending before all of its rows are claimed.
CLAIM_BATCH = 2000


class Firing(Delivering):
    """The engine's firing half: it needs the engine's source, deadlines and bookkeeping of
    points under way."""

    source: Source
    on_fired: Callable[[FirePoint], Awaitable[None]] | None
    _concurrency: int
    _deadlines: dict[str, datetime | None]
    _fired: set[str]
    _in_progress: dict[str, FirePoint]

    async def _fire_points(self, points: list[FirePoint]) -> None:
        real: dict[datetime, datetime] = {}  # points fired together mostly share one instant
        for point in points:
            due = real.get(point.at)
            if due is None:
                due = real[point.at] = self.clock.to_real(point.at)
            self.stats.lateness.append((datetime.now(UTC) - due).total_seconds())
            self._fired.add(point.id)
            # Until its fan-out ends, the point holds back LAST_ALIVE: a crash now leaves it
            # inside the window the next start recovers, where the ledger tells what was sent.
            self._in_progress[point.id] = point
            self.stats.fired += 1
        if points:
            with self._under_way():
                await self._fan_out_batch(points)

    async def _fan_out_batch(self, points: list[FirePoint]) -> None:
        """Fan out points due together: their rows claimed a batch per transaction, each batch
        sent while the next is claimed. A point that cannot be fanned out (its destinations or
        its batch's claim failed) is tried again on its own, like any failed fan-out."""
        batch: list[tuple[FirePoint, Sequence[Destination]]] = []
        rows = 0
        sending: list[asyncio.Task[None]] = []
        for point in points:
            try:
                destinations = await self.source.destinations(point)
            except Exception:
                self._fan_out_failed(point)
                continue
            batch.append((point, destinations))
            rows += len(destinations)
            if rows >= CLAIM_BATCH:
                sending += await self._claim_and_send(batch)
                batch, rows = [], 0
        if batch:
            sending += await self._claim_and_send(batch)
        await asyncio.gather(*sending)

    async def _claim_and_send(
        self, batch: list[tuple[FirePoint, Sequence[Destination]]]
    ) -> list[asyncio.Task[None]]:
        claimed = await self._claim(batch)
        if claimed is None:
            return []
        return [asyncio.create_task(self._send_batch(batch, claimed))]

    async def _claim(
        self, batch: list[tuple[FirePoint, Sequence[Destination]]]
    ) -> set[tuple[str, str]] | None:
        """The rows of `batch` this process claimed (in one transaction); None if that failed."""
        pairs = [(point.id, d.key) for point, destinations in batch for d in destinations]
        try:
            return await self.ledger.claim_batch(pairs)
        except Exception:
            # Rolled back, or committed with no word back: the retries' own claims tell which,
            # and resume a committed row with its nonce.
            for point, _ in batch:
                self._fan_out_failed(point)
            return None

    async def _send_batch(
        self, batch: list[tuple[FirePoint, Sequence[Destination]]], claimed: set[tuple[str, str]]
    ) -> None:
        gate = asyncio.Semaphore(self._concurrency)
        outcomes = Outcomes(self.ledger)

        async def one(point: FirePoint, destination: Destination) -> None:
            new = Claimed(Claim.NEW, nonce_for(point.id, destination.key))
            await self._send(self._message(point, destination, None, gate), new, outcomes.finish)

        async def found(point: FirePoint, destination: Destination) -> None:
            # A row that was there before this batch: sent already (nothing to do), or left
            # open by a process that lost the lease mid-fan-out and may never finish it. It is
            # claimed on its own, which resumes an open row with its nonce: Discord drops the
            # copy if the other process did send it, and nothing is lost if it did not.
            await self._send(self._message(point, destination, None, gate))

        async def whole(point: FirePoint, destinations: Sequence[Destination]) -> None:
            sends = [
                one(point, d) if (point.id, d.key) in claimed else found(point, d)
                for d in destinations
            ]
            try:
                await asyncio.gather(*sends)
            except Exception:
                self._fan_out_failed(point)
                return
            try:
                await self._fanned_out(point)
            except Exception:
                log.exception("after firing %s", point.id)

        await asyncio.gather(*(whole(point, destinations) for point, destinations in batch))

    def _fan_out_failed(self, point: FirePoint) -> None:
        """In an `except` block: try the fan-out of `point` again in a minute (deliveries made
        are in the ledger), holding LAST_ALIVE back meanwhile."""
        log.exception("fan-out of %s failed; retrying in %s", point.id, RETRY)
        self._scheduler.add_job(
            self._fan_out_or_retry,
            DateTrigger(datetime.now(UTC) + RETRY),
            args=[point],
            id=f"{point.id}#retry",
            replace_existing=True,
        )

    async def _fan_out_or_retry(self, point: FirePoint) -> None:
        with self._under_way():
            await self._fan_out_once(point)

    async def _fan_out_once(self, point: FirePoint) -> None:
        try:
            await self.fan_out(point)
        except Exception:
            self._fan_out_failed(point)
            return
        await self._fanned_out(point)

    async def _fanned_out(self, point: FirePoint) -> None:
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
        return await self._send(self._message(point, destination, late))

    def _message(
        self,
        point: FirePoint,
        destination: Destination,
        late: Late | None,
        gate: asyncio.Semaphore | None = None,
    ) -> Message:
        """`gate` bounds the sends under way, not the outcomes waiting to be written with
        others: held while writing, it would let through only that many outcomes a write."""

        async def send(attempt: Attempt) -> Outcome:
            if gate is None:
                return await self.source.deliver(point, destination, attempt)
            async with gate:
                return await self.source.deliver(point, destination, attempt)

        return Message(point.id, destination, send, late, point.at, self._deadlines.get(point.key))
