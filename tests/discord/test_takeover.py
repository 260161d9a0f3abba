"""Two bots on one database, as real processes against the fake Discord: the one that sends the
reminders is killed with SIGKILL mid-series; the other takes over, and every reminder, due
before, during and after the kill, arrives once."""

import asyncio
import signal
import time
from datetime import timedelta

import pytest

from tests.discord.test_process import start_bot
from tests.discord.test_restart import DUE, reminders_in, stop, subscribe_channels

pytestmark = pytest.mark.asyncio
REMINDERS = 14
# Channel n asks for the Lomé workshop's reminder n minutes after the 1-day one (DUE), so that
# one falls due each minute.
SPEED = 60  # an agenda minute each real second
LEAD_IN = timedelta(minutes=4)  # agenda time from start to the first reminder
ENV = {"REMINDER_LEASE_SECONDS": "1.5", "AGENDA_SPEED": str(SPEED)}


async def test_the_standby_takes_over_when_the_sender_is_killed(fake, tmp_path):
    # Regression (issue 8): SIGKILL the bot holding the reminder lease: the other one sent
    # nothing in 100 s while 14 reminders fell due.
    channels = await subscribe_channels(fake, tmp_path, REMINDERS, lambda n: 24 * 60 - n)
    began = time.monotonic()
    as_of = DUE - LEAD_IN

    def living_now() -> str:
        """--as-of for a process started now, so that both live on the same agenda clock."""
        return (as_of + (time.monotonic() - began) * SPEED * timedelta(seconds=1)).isoformat()

    def sent() -> int:
        return sum(len(reminders_in(fake, c)) for c in channels)

    sender = await start_bot(fake, tmp_path, "--as-of", living_now(), **ENV)
    standby = None
    try:
        await fake.wait_for(lambda e: e.kind == "identify", timeout=60)
        standby = await start_bot(fake, tmp_path, "--as-of", living_now(), **ENV)
        await fake.wait_for(lambda e: fake.identifies >= 2, timeout=60)
        await fake.wait_for(lambda e: sent() >= 3, timeout=60)
        sender.send_signal(signal.SIGKILL)
        await asyncio.wait_for(sender.wait(), timeout=30)
        killed_after = sent()
        assert killed_after < REMINDERS
        await fake.wait_for(lambda e: all(reminders_in(fake, c) for c in channels), timeout=60)
    finally:
        await stop(sender, signal.SIGKILL)
        if standby is not None:
            await stop(standby)
    assert [len(reminders_in(fake, c)) for c in channels] == [1] * REMINDERS
    stderr = (await standby.stderr.read()).decode()
    assert "this one takes over" in stderr
    assert "Traceback" not in stderr
    fake.assert_no_unknown_routes()
