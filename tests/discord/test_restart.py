"""Exactly once across crashes: the bot is a real process on a SQLite file, killed with SIGKILL
in the middle of a fan-out to many channels, then restarted; every channel gets its reminder
once, counted at the fake Discord. What fell due while it was down arrives once, marked late."""

import asyncio
import signal
from datetime import UTC, datetime, timedelta

import pytest

from bot.storage import Store
from tests.discord.test_process import start_bot

pytestmark = pytest.mark.asyncio
CHANNELS = 60
# The 1-day reminder of the Lomé workshop (17 November 2015, UTC+0) is due at this instant.
DUE = datetime(2015, 11, 16, tzinfo=UTC)


async def subscribe_channels(fake, tmp_path, count=CHANNELS, lead=lambda n: 24 * 60):
    """`count` channels subscribed to the Lomé workshop, the n-th `lead(n)` minutes before."""
    channels = [fake.add_text_channel(f"room-{i}").id for i in range(count)]
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}")
    await store.add_subscriptions(
        dict(
            owner=f"discord:{fake.user('manager').id}",
            delivery="channel",
            guild_id=str(fake.guild_id),
            channel_id=str(channel),
            scope_kind="meeting",
            scope_id="rtfw-wca-2015",
            leads=str(lead(n)),
            created=int((DUE - timedelta(days=30)).timestamp()),
        )
        for n, channel in enumerate(channels)
    )
    await store.close()
    return channels


def reminders_in(fake, channel):
    return [m for m in fake.messages_in(channel) if m["type"] == 0]


async def stop(process, signum=signal.SIGTERM):
    if process.returncode is None:
        process.send_signal(signum)
        await asyncio.wait_for(process.wait(), timeout=30)


@pytest.mark.parametrize("kill_after", [1, CHANNELS // 2, CHANNELS - 1])
async def test_a_crash_mid_fan_out_neither_loses_nor_repeats_a_reminder(fake, tmp_path, kill_after):
    channels = await subscribe_channels(fake, tmp_path)

    def created(event):
        return event.kind == "message_create" and event["message"]["type"] == 0

    first = await start_bot(fake, tmp_path, "--as-of", (DUE - timedelta(seconds=4)).isoformat())
    try:
        await fake.wait_for(
            lambda e: len(fake.events_of("message_create")) >= kill_after and created(e), timeout=60
        )
        first.send_signal(signal.SIGKILL)
        await asyncio.wait_for(first.wait(), timeout=30)
    finally:
        await stop(first, signal.SIGKILL)
    delivered_before = sum(len(reminders_in(fake, c)) for c in channels)
    assert kill_after <= delivered_before <= CHANNELS
    identified = len(fake.events_of("identify"))

    second = await start_bot(fake, tmp_path, "--as-of", (DUE + timedelta(seconds=30)).isoformat())
    try:
        # Recovery runs before the gateway connects: once the second process identifies, it is
        # done; wait for that, then for every channel to hold its reminder.
        await fake.wait_for(lambda e: len(fake.events_of("identify")) > identified, timeout=60)
        await fake.wait_for(lambda e: all(reminders_in(fake, c) for c in channels), timeout=60)
    finally:
        await stop(second)
    counts = [len(reminders_in(fake, c)) for c in channels]
    assert counts == [1] * CHANNELS
    late = [
        c
        for c in channels
        if "⏰ Late" in reminders_in(fake, c)[0]["embeds"][0].get("description", "")
    ]
    assert len(late) == CHANNELS - delivered_before  # what the crash kept back came late, once
    fake.assert_no_unknown_routes()


async def test_a_reminder_missed_while_down_for_a_meeting_already_started_is_skipped(
    fake, tmp_path
):
    channels = await subscribe_channels(fake, tmp_path)
    first = await start_bot(fake, tmp_path, "--as-of", (DUE - timedelta(days=2)).isoformat())
    await fake.wait_for(lambda e: e.kind == "identify", timeout=60)
    await stop(first)
    # Back after the workshop began: the 1-day reminder is recorded as skipped, not sent.
    second = await start_bot(
        fake, tmp_path, "--as-of", (DUE + timedelta(days=1, hours=2)).isoformat()
    )
    await fake.wait_for(lambda e: len(fake.events_of("identify")) == 2, timeout=60)
    await stop(second)
    assert all(reminders_in(fake, c) == [] for c in channels)
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}")
    from schedules import Ledger, State

    records = await Ledger(store.engine).records([f"channel:{c}" for c in channels], limit=500)
    await store.close()
    assert len(records) == CHANNELS
    assert {r.state for r in records} == {State.SKIPPED}
    assert "already started" in records[0].reason
