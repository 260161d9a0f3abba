"""Fire points due at the same instant: one scheduler job for the instant, their ledger rows
claimed a batch per transaction, each delivery still made exactly once."""

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

import schedules.firing
from bot.core import FixedClock
from schedules import Ledger, Precision, ReminderEngine, State, Target, metadata
from tests.schedules.conftest import RecordingSource, TestClock, created, opened_engine
from tests.storage.conftest import database_url, postgres_server  # noqa: F401 (fixtures)

AS_OF = datetime(2016, 2, 25, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def shared(count, start, prefix="m"):
    """`count` targets starting together: their 1-day reminders fall due at one instant."""
    targets = [Target(f"{prefix}{i}", start, Precision.EXACT, "UTC") for i in range(count)]
    audience = {t.key: [f"channel:{t.key}"] for t in targets}
    return targets, audience


async def test_a_thousand_points_due_at_one_instant_fire_once_each_through_one_job(ledger):
    clock = TestClock(AS_OF)
    # Due a second from now: after start-up, even on a loaded machine.
    targets, audience = shared(1000, clock.now() + DAY + timedelta(seconds=1))
    source = RecordingSource(targets, audience=audience)
    engine = ReminderEngine(source, ledger, clock)
    claims = []
    claim_batch = ledger.claim_batch

    async def counted(pairs, late=False):
        claims.append(len(pairs))
        return await claim_batch(pairs, late)

    ledger.claim_batch = counted
    all_fired = asyncio.Event()

    async def fired(point):
        if engine.stats.fired == 1000 and not engine._in_progress:
            all_fired.set()

    engine.on_fired = fired
    await engine.start()
    try:
        assert engine.job_count == 1000 and engine.instant_jobs == 1
        await asyncio.wait_for(all_fired.wait(), timeout=30)
        assert engine.job_count == 0 and engine.instant_jobs == 0
    finally:
        await engine.stop()
    assert Counter((p, to) for p, to, _ in source.sent) == {
        (f"m{i}|1440m|{_stamp(targets[0].start - DAY)}", f"channel:m{i}"): 1 for i in range(1000)
    }
    assert claims == [1000]  # one transaction for the whole instant
    records = await ledger.records([f"channel:m{i}" for i in range(1000)], limit=2000)
    assert len(records) == 1000 and {r.state for r in records} == {State.SENT}
    assert all(not attempt.resumed for _, _, attempt in source.sent)


def _stamp(instant):
    return f"{instant.astimezone(UTC):%Y%m%dT%H%M%SZ}"


async def test_one_point_of_a_shared_instant_removed_or_moved_leaves_the_others(ledger):
    clock = FixedClock(AS_OF)
    start = AS_OF + DAY + timedelta(hours=1)
    targets, audience = shared(4, start)
    source = RecordingSource(list(targets), audience=audience)
    engine = ReminderEngine(source, ledger, clock)
    await engine.start()
    try:
        due = engine.points[0].at
        assert engine.job_count == 4 and engine.instant_jobs == 1
        job = _due_jobs(engine)
        source.targets_ = [targets[0], targets[2], targets[3]]  # m1 cancelled
        assert engine.replan() == (0, 1)
        source.targets_[1] = Target("m2", start + timedelta(hours=1), Precision.EXACT, "UTC")
        assert engine.replan() == (1, 1)  # m2 moved an hour later
        added = Target("m4", start, Precision.EXACT, "UTC")  # a new one at the shared instant
        source.targets_.append(added)
        source.audience["m4"] = ["channel:m4"]
        assert engine.replan() == (1, 0)
        assert engine.job_count == 4 and engine.instant_jobs == 2
        assert _due_jobs(engine)[0] == job[0]  # the shared instant kept its job
        await engine._fire_instant(due)  # what that job does when it comes due
        assert sorted(to for _, to, _ in source.sent) == ["channel:m0", "channel:m3", "channel:m4"]
        assert [p.key for p in engine.points] == ["m2"]
        assert engine.job_count == 1 and engine.instant_jobs == 1
    finally:
        await engine.stop()


def _due_jobs(engine):
    return sorted(job.id for job in engine._scheduler.get_jobs() if job.id.startswith("due|"))


async def test_a_point_fired_alone_leaves_the_others_of_its_instant_to_their_job(ledger):
    clock = FixedClock(AS_OF)
    targets, audience = shared(3, AS_OF + DAY + timedelta(hours=1))
    source = RecordingSource(targets, audience=audience)
    engine = ReminderEngine(source, ledger, clock)
    await engine.start()
    try:
        first = engine.points[0]
        await engine._fire(first.id)
        assert engine.job_count == 2 and engine.instant_jobs == 1
        await engine._fire_instant(first.at)
        assert sorted(to for _, to, _ in source.sent) == ["channel:m0", "channel:m1", "channel:m2"]
    finally:
        await engine.stop()


async def test_a_batch_claim_racing_another_process_sends_each_point_with_one_nonce(
    database_url,  # noqa: F811 (the fixture imported above)
    monkeypatch,
):
    # Two processes on one database (a sender that lost its lease mid-fan-out, and the one
    # that took over) fire the same instant at once, in opposite orders and small batches, so
    # that their claims meet in the middle. A row the other process holds open is resumed (it
    # may never finish it), so a message may go twice, always with its one nonce, which
    # Discord keeps once.
    monkeypatch.setattr(schedules.firing, "CLAIM_BATCH", 50)
    engines = [opened_engine(database_url) for _ in range(2)]
    try:
        async with engines[0].begin() as connection:
            await connection.run_sync(metadata.create_all)
        clock = FixedClock(AS_OF)
        targets, audience = shared(600, AS_OF + DAY + timedelta(hours=1))
        sources = [RecordingSource(targets, audience=audience) for _ in engines]
        ledgers = [Ledger(engine) for engine in engines]
        _claims_wait_for_each_other(ledgers)
        firing = [
            ReminderEngine(source, ledger, clock)
            for source, ledger in zip(sources, ledgers, strict=True)
        ]
        points = _plan(sources[0], clock)
        await asyncio.gather(firing[0]._fire_points(points), firing[1]._fire_points(points[::-1]))
        nonces: dict[tuple[str, str], set[str]] = {}
        for source in sources:
            for point_id, to, attempt in source.sent:
                nonces.setdefault((point_id, to), set()).add(attempt.nonce)
        assert len(nonces) == 600 and all(len(n) == 1 for n in nonces.values())
        assert all(source.sent for source in sources)  # both claimed some: they did race
        destinations = [f"channel:{t.key}" for t in targets]
        records = await Ledger(engines[0]).records(destinations, limit=1000)
        assert len(records) == 600 and {r.state for r in records} == {State.SENT}
    finally:
        for engine in engines:
            await engine.dispose()


def _claims_wait_for_each_other(ledgers):
    """Each ledger's claims go on only once every ledger has claimed a batch, so that both
    processes claim some rows however the event loop orders them (an engine could otherwise
    claim every batch before the other's first claim)."""
    claimed = [asyncio.Event() for _ in ledgers]
    for ledger, mine in zip(ledgers, claimed, strict=True):
        claim = ledger.claim_batch

        async def claim_batch(pairs, *args, claim=claim, mine=mine, **kwargs):
            rows = await claim(pairs, *args, **kwargs)
            mine.set()
            await asyncio.wait_for(asyncio.gather(*(e.wait() for e in claimed)), timeout=30)
            return rows

        ledger.claim_batch = claim_batch


def _plan(source, clock):
    from schedules import plan

    return plan(source.targets(), source.leads, clock.now())


async def test_a_batch_killed_between_claim_and_send_is_finished_once_after_a_restart(ledger):
    clock = FixedClock(AS_OF)
    targets, audience = shared(5, AS_OF + DAY - timedelta(hours=1))
    source = RecordingSource(targets, audience=audience)
    points = _plan(source, FixedClock(AS_OF - DAY))
    # The crashed run claimed the whole instant in one transaction, then died before sending
    # (its heartbeat held before the instant while the fan-out was under way).
    claimed = await ledger.claim_batch([(p.id, f"channel:{p.key}") for p in points])
    assert len(claimed) == 5
    await ledger.set_state("last_alive", (points[0].at - timedelta(microseconds=1)).isoformat())
    engine = ReminderEngine(source, ledger, clock)
    await engine.start()
    await engine.stop()
    assert sorted(to for _, to, _ in source.sent) == [f"channel:m{i}" for i in range(5)]
    assert all(attempt.resumed for _, _, attempt in source.sent)  # with the claimed nonces
    await ReminderEngine(source, ledger, clock).start()  # and never again
    assert len(source.sent) == 5
    assert await ledger.interrupted() == []


async def test_a_batch_whose_claim_fails_is_retried_and_none_is_dropped(ledger, caplog):
    clock = FixedClock(AS_OF)
    targets, audience = shared(3, AS_OF + DAY + timedelta(hours=1))
    source = RecordingSource(targets, audience=audience)
    engine = ReminderEngine(source, ledger, clock)
    claim_batch = ledger.claim_batch

    async def down(pairs, late=False):
        raise OSError("database gone")

    ledger.claim_batch = down
    await engine.start()
    try:
        points = engine.points
        await engine._fire_instant(points[0].at)
        assert source.sent == []
        assert caplog.text.count("retrying in") == 3
        await engine._mark_alive()  # the heartbeat stays before the instant meanwhile
        assert datetime.fromisoformat(await ledger.get_state("last_alive")) < points[0].at
        ledger.claim_batch = claim_batch
        for point in points:
            await engine._fan_out_or_retry(point)  # what each retry job does
    finally:
        await engine.stop()
    assert sorted(to for _, to, _ in source.sent) == ["channel:m0", "channel:m1", "channel:m2"]


async def test_a_sender_that_failed_for_a_passing_reason_in_a_batch_is_retried_with_its_nonce(
    ledger,
):
    from schedules import Outcome

    clock = FixedClock(AS_OF)
    targets, audience = shared(2, AS_OF + DAY + timedelta(hours=1))
    source = RecordingSource(targets, audience=audience)
    engine = ReminderEngine(source, ledger, clock, retry_first=0.01)
    deliver = source.deliver
    limited = {"channel:m1"}
    sent_again = asyncio.Event()

    async def flaky(point, to, attempt):
        if to.key in limited:
            limited.discard(to.key)
            return Outcome(State.RETRYING, "Discord was rate limited (429)", retry_after=0.01)
        outcome = await deliver(point, to, attempt)
        if to.key == "channel:m1":
            sent_again.set()
        return outcome

    source.deliver = flaky
    await engine.start()
    try:
        await engine._fire_instant(engine.points[0].at)
        await asyncio.wait_for(sent_again.wait(), timeout=10)
        await engine.recorded(lambda stats: stats.delivered == 2)
    finally:
        await engine.stop()
    assert {to: a.resumed for _, to, a in source.sent} == {"channel:m0": False, "channel:m1": True}


async def test_the_outcomes_of_a_batch_are_written_a_few_transactions_at_a_time(tmp_path):
    # Regression (seen in bench/reminders_bench.py): each delivery of a batch wrote its outcome
    # in a transaction of its own; a thousand at once on SQLite waited seconds in its busy
    # handler, some failed with "database is locked" and their fan-outs were retried.
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'plain.db'}")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        ledger = Ledger(engine)
        writes = []
        finish_many = ledger.finish_many

        async def counted(outcomes):
            writes.append(len(outcomes))
            await finish_many(outcomes)

        ledger.finish_many = counted
        clock = FixedClock(AS_OF)
        targets, audience = shared(1000, AS_OF + DAY + timedelta(hours=1))
        source = RecordingSource(targets, audience=audience)
        firing = ReminderEngine(source, ledger, clock)
        await firing._fire_points(_plan(source, clock))
        assert firing.stats.delivered == 1000 and firing.stats.failed == 0
        assert sum(writes) == 1000 and len(writes) < 1000
        assert not firing._in_progress  # no fan-out left to retry
        records = await ledger.records([f"channel:{t.key}" for t in targets], limit=2000)
        assert {r.state for r in records} == {State.SENT} and len(records) == 1000
    finally:
        await engine.dispose()


async def test_an_engine_started_again_after_stopping_has_a_job_for_each_instant(ledger):
    # Regression: the index of instants outlived the scheduler of the run before, so a second
    # start found every instant "scheduled" and added no job: nothing would have fired.
    clock = FixedClock(AS_OF)
    targets, audience = shared(2, AS_OF + DAY + timedelta(hours=1))
    engine = ReminderEngine(RecordingSource(targets, audience=audience), ledger, clock)
    await engine.start()
    await engine.stop()
    await engine.start()
    try:
        assert engine.job_count == 2 and len(_due_jobs(engine)) == 1
    finally:
        await engine.stop()


async def test_rows_left_open_by_a_sender_that_lost_its_lease_are_sent_by_the_next(ledger):
    # Regression (review of issue 16): the batch claim skipped rows that existed already, even
    # open ones. A sender that lost its lease after claiming an instant's rows, and stepped
    # down before sending them, left them open; the one that took over fired the instant,
    # found the rows, sent nothing and called the points done: reminders dropped.
    clock = FixedClock(AS_OF)
    targets, audience = shared(4, AS_OF + DAY + timedelta(hours=1))
    source = RecordingSource(targets, audience=audience)
    points = _plan(source, clock)
    pairs = [(p.id, f"channel:{p.key}") for p in points]
    assert len(await ledger.claim_batch(pairs)) == 4  # the old sender's claim, never finished
    taking_over = ReminderEngine(source, ledger, clock)
    await taking_over._fire_points(points)
    assert sorted(to for _, to, _ in source.sent) == sorted(to for _, to in pairs)
    assert all(attempt.resumed for _, _, attempt in source.sent)  # with the claimed nonces
    assert await ledger.interrupted() == []


class _HeldLedger(Ledger):
    """A ledger whose group writes wait until the test lets them through."""

    def __init__(self, engine):
        super().__init__(engine)
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def finish_many(self, outcomes):
        self.entered.set()
        await self.release.wait()
        await super().finish_many(outcomes)


async def test_a_cancelled_waiter_does_not_wedge_the_group_write(tmp_path):
    """Review of issue 16: answering a waiter whose caller had been cancelled raised, left the
    other waiters of its group waiting for ever, and kept every later outcome from being
    written."""
    from schedules.delivery import Outcomes

    engine = await created(opened_engine(f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}"))
    ledger = _HeldLedger(engine)
    await ledger.claim_batch([("p", "a"), ("p", "b"), ("p", "c"), ("p", "d")])
    outcomes = Outcomes(ledger)
    first = asyncio.create_task(outcomes.finish("p", "a", State.SENT, None, "1"))
    await asyncio.wait_for(ledger.entered.wait(), 5)
    cancelled = asyncio.create_task(outcomes.finish("p", "b", State.SENT, None, "2"))
    kept = asyncio.create_task(outcomes.finish("p", "c", State.SENT, None, "3"))
    await asyncio.sleep(0)  # one turn of the loop: both tasks reach their wait, in the next group
    cancelled.cancel()
    ledger.release.set()
    await asyncio.wait_for(asyncio.gather(first, kept), 5)
    await asyncio.wait_for(outcomes.finish("p", "d", State.SENT, None, "4"), 5)
    records = {(r.destination, r.state) for r in await ledger.records(["a", "c", "d"])}
    assert records == {("a", State.SENT), ("c", State.SENT), ("d", State.SENT)}
    await engine.dispose()


async def test_a_cancelled_group_write_lets_the_next_outcome_start_one(tmp_path):
    """A writer cancelled mid-write (the engine stepping down) must neither leave its waiters
    waiting for ever nor stop the next outcome from being written."""
    from schedules.delivery import Outcomes

    engine = await created(opened_engine(f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}"))
    ledger = _HeldLedger(engine)
    await ledger.claim_batch([("p", "a"), ("p", "b")])
    outcomes = Outcomes(ledger)
    waiting = asyncio.create_task(outcomes.finish("p", "a", State.SENT, None, "1"))
    await asyncio.wait_for(ledger.entered.wait(), 5)
    assert outcomes._writing is not None
    outcomes._writing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(waiting, 5)
    ledger.release.set()
    await asyncio.wait_for(outcomes.finish("p", "b", State.SENT, None, "2"), 5)
    assert [(r.destination, r.state) for r in await ledger.records(["b"])] == [("b", State.SENT)]
    await engine.dispose()
