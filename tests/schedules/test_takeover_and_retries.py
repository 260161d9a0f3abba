"""A standby takes over when the sender dies; passing failures are tried again, refusals not."""

import asyncio
from datetime import UTC, datetime, timedelta

from schedules import Outcome, Precision, ReminderEngine, State, Target
from schedules.ledger import LEADER
from tests.schedules.conftest import (
    LEASE,
    RecordingSource,
    TestClock,
    a_sender_on_this_machine,
    standby_for,
)

AS_OF = datetime(2016, 2, 25, 9, 0, tzinfo=UTC)


def soon(key, seconds, clock):
    """A target whose 1-day reminder is due `seconds` from now (agenda and real time alike)."""
    return Target(key, clock.now() + timedelta(days=1, seconds=seconds), Precision.EXACT, "UTC")


async def test_a_standby_takes_over_when_the_sender_on_this_machine_dies(ledger):
    # Regression (issue 8): the lease was tried only at start; a second bot never took over.
    clock = TestClock(AS_OF)
    source = RecordingSource([soon("a", 0.3, clock)], audience={"a": ["dm:1"]})
    async with a_sender_on_this_machine(ledger) as sender:
        standby, took_over = standby_for(source, ledger, clock)
        try:
            assert await standby.start_or_stand_by() is False  # the sender is alive
            sender.kill()
            await sender.wait()
            await asyncio.wait_for(took_over.wait(), timeout=10)  # long before its lease ends
            assert standby.leading
            await asyncio.wait_for(source.delivered.wait(), timeout=10)
        finally:
            await standby.stop()
    assert [to for _, to, _ in source.sent] == ["dm:1"]


async def test_a_standby_takes_over_when_the_senders_lease_runs_out(ledger):
    # A sender on another machine cannot be seen dying: its lease must run out first.
    clock = TestClock(AS_OF)
    source = RecordingSource([soon("a", 5.0, clock)], audience={"a": ["dm:1"]})
    until = datetime.now(UTC) + LEASE
    await ledger.set_state(LEADER, f"elsewhere:1:x|{until.isoformat()}")
    standby, took_over = standby_for(source, ledger, clock)
    try:
        assert await standby.start_or_stand_by() is False
        assert not standby.leading and not standby.running
        await asyncio.wait_for(took_over.wait(), timeout=10)
        assert datetime.now(UTC) >= until
        assert standby.leading and standby.running
        assert [p.key for p in standby.points] == ["a"]
    finally:
        await standby.stop()


async def test_reminders_due_while_no_one_sent_are_recovered_by_the_standby(ledger):
    clock = TestClock(AS_OF)
    source = RecordingSource(
        [soon("missed", -30, clock), soon("later", 3, clock)],
        audience={"missed": ["dm:1"], "later": ["dm:2"]},
    )
    first = ReminderEngine(source, ledger, clock, lease=LEASE)
    await first.start()
    await first._mark_alive()
    last_alive = datetime.fromisoformat(await ledger.get_state("last_alive"))
    # The sender dies without a word: its heartbeat stops, its lease is left to run out.
    await first._lease.stop_renewing()
    first._scheduler.shutdown(wait=False)
    await ledger.set_state("last_alive", (last_alive - timedelta(minutes=5)).isoformat())
    second = ReminderEngine(source, ledger, clock, lease=LEASE)
    both = asyncio.Event()
    second.on_fired = lambda point: _set(both)  # "later" fired: recovery came before it
    try:
        await second.start_or_stand_by()
        await asyncio.wait_for(both.wait(), timeout=10)
    finally:
        await second.stop()
        first._lease.held = False  # it died: nothing of it may run again
        await first.stop()
    sent = {to: attempt for _, to, attempt in source.sent}
    assert sent["dm:1"].late and not sent["dm:2"].late


async def test_a_sender_that_lost_its_lease_stands_by_instead_of_stopping_for_good(ledger):
    clock = TestClock(AS_OF)
    engine = ReminderEngine(RecordingSource(), ledger, clock, lease=LEASE)
    stood_by, led_again = asyncio.Event(), asyncio.Event()
    engine.on_standby = lambda: _set(stood_by)
    engine.on_lead = lambda: _set(led_again)
    await engine.start()
    try:
        # Another process took the lease while this one could not renew it.
        until = datetime.now(UTC) + LEASE
        await ledger.set_state(LEADER, f"elsewhere:1:y|{until.isoformat()}")
        await asyncio.wait_for(stood_by.wait(), timeout=10)
        assert not engine.leading and not engine.running
        # That process dies in turn: this one takes the reminders back.
        await asyncio.wait_for(led_again.wait(), timeout=10)
        assert engine.leading and engine.running
    finally:
        await engine.stop()


class Flaky(RecordingSource):
    """Fails for a passing reason `times` times, then delivers."""

    def __init__(self, times, outcome, **kwargs):
        super().__init__(**kwargs)
        self.failures = times
        self.outcome = outcome

    async def deliver(self, point, to, attempt):
        if self.failures > 0:
            self.failures -= 1
            self.sent.append((point.id, to.key, attempt))
            return self.outcome
        return await super().deliver(point, to, attempt)


async def test_a_rate_limited_delivery_is_tried_again_until_it_is_sent(ledger):
    # Regression (issue 8): a burst of 429s recorded a reminder as failed, never to be retried.
    clock = TestClock(AS_OF)
    limited = Outcome(State.RETRYING, "Discord was rate limited (429)", retry_after=0.05)
    source = Flaky(3, limited, targets_=[soon("a", 0.2, clock)], audience={"a": ["channel:1"]})
    engine = ReminderEngine(source, ledger, clock, retry_first=0.05)
    sent = recorded(ledger, State.SENT)
    await engine.start()
    try:
        await asyncio.wait_for(sent.wait(), timeout=10)
    finally:
        await engine.stop()
    nonces = {attempt.nonce for _, _, attempt in source.sent}
    assert len(source.sent) == 4 and len(nonces) == 1  # one message, one nonce, four attempts
    assert [a.resumed for _, _, a in source.sent] == [False, True, True, True]
    (record,) = await ledger.records(["channel:1"])
    assert record.state is State.SENT and record.attempts == 4


async def test_a_refusal_fails_at_once_and_is_not_tried_again(ledger):
    clock = TestClock(AS_OF)
    refused = Outcome(State.FAILED, "the bot cannot see this channel (missing access)")
    source = Flaky(1, refused, targets_=[soon("a", 0.2, clock)], audience={"a": ["channel:1"]})
    engine = ReminderEngine(source, ledger, clock, retry_first=0.05)
    fired = asyncio.Event()

    async def done(point):
        fired.set()

    engine.on_fired = done
    await engine.start()
    try:
        await asyncio.wait_for(fired.wait(), timeout=10)
    finally:
        await engine.stop()
    (record,) = await ledger.records(["channel:1"])
    assert record.state is State.FAILED and record.attempts == 1
    assert len(source.sent) == 1


async def test_retrying_stops_when_the_meeting_starts(ledger):
    clock = TestClock(AS_OF)
    down = Outcome(State.RETRYING, "Discord was unavailable (502)")
    start = clock.now() + timedelta(seconds=0.6)
    target = Target("a", start, Precision.EXACT, "UTC")
    source = Flaky(1000, down, targets_=[target], audience={"a": ["channel:1"]})
    source.lead_list = [timedelta(seconds=0.5)]
    engine = ReminderEngine(source, ledger, clock, retry_first=0.05)
    failed = recorded(ledger, State.FAILED)
    await engine.start()
    try:
        await asyncio.wait_for(failed.wait(), timeout=10)
    finally:
        await engine.stop()
    (record,) = await ledger.records(["channel:1"])
    assert record.reason.startswith("gave up")
    assert clock.now() >= start


async def test_a_delivery_waiting_for_its_retry_is_finished_after_a_restart(ledger):
    clock = TestClock(AS_OF)
    source = RecordingSource([soon("a", 3600, clock)], audience={"a": ["channel:1"]})
    engine = ReminderEngine(source, ledger, clock)
    await engine.start()
    point = engine.points[0]
    await engine.stop()
    await ledger.claim(point.id, "channel:1")
    await ledger.finish(point.id, "channel:1", State.RETRYING, "Discord was rate limited (429)")
    again = ReminderEngine(source, ledger, clock)
    await again.start()  # finds the row and tries it now
    await again.stop()
    assert [(p, to, a.resumed) for p, to, a in source.sent] == [(point.id, "channel:1", True)]


async def _set(event):
    event.set()


def recorded(ledger, wanted):
    """An event set when the ledger records a delivery in state `wanted`."""
    event = asyncio.Event()
    finish = ledger.finish

    async def watched(key, destination, state, reason=None, message_id=None):
        await finish(key, destination, state, reason, message_id)
        if state is wanted:
            event.set()

    ledger.finish = watched
    return event
