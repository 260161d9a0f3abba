"""After a restart or a takeover: finish the deliveries a crash cut short, and send what fell due
while no process was firing (the latest reminder per meeting and destination, once, marked late,
if the meeting has not started; the rest recorded as skipped). Never a flood, never silence."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from .ledger import Claim, Ledger, State
from .plan import FirePoint, Target, plan
from .source import Attempt, Destination, Late, Outcome, Source

log = logging.getLogger(__name__)
DeliverOnce = Callable[[FirePoint, Destination, Late | None], Awaitable[Outcome | None]]


async def resume_interrupted(
    ledger: Ledger, source: Source, deliver_once: DeliverOnce, now: datetime
) -> None:
    """Deliveries a crash cut between claim and record are finished now, with their nonce;
    late, if they were due before now. (Destinations a cut fan-out had not reached yet are
    found by the recovery that follows: LAST_ALIVE stayed before the point.)"""
    for point_id, destination_key in await ledger.interrupted():
        point = FirePoint.from_id(point_id)
        if point is None:
            await _redeliver(ledger, source, point_id, destination_key)
            continue
        late = Late.DOWN if point.at < now else None
        for destination in await source.destinations(point, missed=True):
            if destination.key == destination_key:
                await deliver_once(point, destination, late)
                break
        else:
            await ledger.finish(
                point_id, destination_key, State.SKIPPED, "the destination no longer subscribes"
            )


async def _redeliver(ledger: Ledger, source: Source, key: str, destination_key: str) -> None:
    claimed = await ledger.claim(key, destination_key)
    if claimed.claim is Claim.DONE:
        return
    attempt = Attempt(claimed.nonce, resumed=True)
    try:
        outcome = await source.redeliver(key, destination_key, attempt)
    except Exception as problem:
        log.exception("redelivery of %s to %s failed", key, destination_key)
        outcome = Outcome(State.FAILED, f"internal error: {type(problem).__name__}")
    if outcome is None:
        outcome = Outcome(State.SKIPPED, "no longer needed")
    await ledger.finish(key, destination_key, outcome.state, outcome.reason, outcome.message_id)


async def recover_missed(
    ledger: Ledger,
    source: Source,
    deliver_once: DeliverOnce,
    targets: list[Target],
    last_alive: datetime | None,
    now: datetime,
) -> None:
    """Fire points that fell due while the bot was down: the latest one per meeting and
    destination is sent once, marked late, if the meeting has not started; the rest are
    recorded as skipped. Never a flood, never silence."""
    if last_alive is None or last_alive >= now:
        return
    by_key = {t.key: t for t in targets}
    missed = [p for p in plan(targets, source.leads, last_alive) if p.at <= now]
    if not missed:
        return
    known = await ledger.known([p.id for p in missed])
    latest: dict[tuple[str, str], tuple[FirePoint, Destination]] = {}
    for point in missed:  # chronological: later points replace earlier ones
        for destination in await source.destinations(point, missed=True):
            if (point.id, destination.key) in known:
                continue
            pair = (point.key, destination.key)
            if pair in latest:
                earlier = latest[pair][0]
                await ledger.skip(
                    earlier.id,
                    destination.key,
                    "missed while offline; a later reminder replaced it",
                )
            latest[pair] = (point, destination)
    for (key, _), (point, destination) in latest.items():
        useful_until = by_key[key].last_useful
        if useful_until is not None and useful_until > now:
            await deliver_once(point, destination, Late.DOWN)
        else:
            await ledger.skip(
                point.id,
                destination.key,
                "missed while offline; the meeting had already started",
            )
