"""A standby covers what fell due while it watched a sender that died without a heartbeat."""

import asyncio
from datetime import UTC, datetime, timedelta

from bot.core import FixedClock
from schedules import Late, Precision, Target
from tests.schedules.conftest import RecordingSource, a_sender_on_this_machine, standby_for

AS_OF = datetime(2016, 2, 25, 9, 0, tzinfo=UTC)


async def test_a_reminder_due_before_a_takeover_is_not_dropped_when_the_dead_sender_left_no_heartbeat(  # noqa: E501
    ledger,
):
    # Regression: a standby taking over from a sender that died before its first heartbeat
    # (no last_alive) recovered nothing, and planned only what fell due after the takeover:
    # a reminder due in between was never sent (seen as a flaky takeover test on a busy machine).
    clock = FixedClock(AS_OF)
    target = Target("a", AS_OF + timedelta(days=1, hours=1), Precision.EXACT, "UTC")
    source = RecordingSource([target], audience={"a": ["dm:1"]})
    async with a_sender_on_this_machine(ledger) as sender:
        standby, took_over = standby_for(source, ledger, clock)
        try:
            assert await standby.start_or_stand_by() is False
            clock.advance(timedelta(hours=2))  # the reminder falls due while the sender is dying
            sender.kill()
            await sender.wait()
            await asyncio.wait_for(took_over.wait(), timeout=10)
        finally:
            await standby.stop()
    assert [(to, attempt.late) for _, to, attempt in source.sent] == [("dm:1", Late.DOWN)]
