"""Fan-out of one fire point to 10,000 subscriptions in 500 channels, through the real sender and
discord.py, against the fake Discord with Discord-like limits."""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core import FixedClock
from bot.discord import build_bot
from bot.discord.run import runtime_factory
from bot.service import BUNDLED_DATA, AgendaService, load_agenda
from bot.settings import Settings
from bot.storage import Store
from schedules import FirePoint
from tests.fake_discord import CLIENT_OPTIONS, FakeDiscord, running_client

CHANNELS, SUBSCRIBERS, GLOBAL_LIMIT = 500, 10_000, 50
MEETING, LEAD = "rtfw-wca-2015", timedelta(days=1)
DUE = datetime(2015, 11, 16, tzinfo=UTC)
# The bot lives a week before the reminder, when the meeting is on the agenda: it was announced
# on 2015-10-23, and the agenda at an earlier date does not hold it.
AS_OF = DUE - timedelta(days=7)


async def bench_fanout() -> None:
    with tempfile.TemporaryDirectory() as name:  # the database is not left behind in /tmp
        await _fan_out_in(Path(name))


async def _fan_out_in(folder: Path) -> None:
    database = f"sqlite+aiosqlite:///{folder / 'bot.sqlite3'}"
    async with FakeDiscord(token="bench", callback_deadline=None) as fake:
        channels = [fake.add_text_channel(f"room-{i}").id for i in range(CHANNELS)]
        # Discord's limits: 50 requests a second for the bot, 5 messages per 5 s per channel.
        fake.set_rate_limit("*", "*", limit=GLOBAL_LIMIT, per=1.0, global_=True)
        fake.set_rate_limit("POST", "/channels/*/messages", limit=5, per=5.0)
        store = await Store.open(database)
        await store.add_subscriptions(
            dict(
                owner=f"discord:{10**17 + i}",
                delivery="here",
                guild_id=str(fake.guild_id),
                channel_id=str(channels[i % CHANNELS]),
                scope_kind="meeting",
                scope_id=MEETING,
                leads=None,
                created=int((AS_OF - timedelta(days=1)).timestamp()),
            )
            for i in range(SUBSCRIBERS)
        )
        await store.close()
        settings = Settings(
            _env_file=None,
            discord_token="bench",
            database_url=database,
            agenda_reload_seconds=0,
            agenda_cache_dir=None,
            web_enabled=False,
        )
        service = AgendaService(load_agenda(BUNDLED_DATA), FixedClock(AS_OF))
        bot = build_bot(
            service, settings, runtime_factory(service, settings, None), **CLIENT_OPTIONS
        )
        async with running_client(fake, bot, token="bench"):
            assert bot.runtime is not None
            # Let the log-in requests leave Discord's global window: reminders fire long after
            # start-up, and the benchmark measures the fan-out, not the log-in.
            await asyncio.sleep(1.5)
            point = FirePoint(DUE, MEETING, LEAD)
            destinations = await bot.runtime.reminders.destinations(point)
            if not destinations:
                raise SystemExit(f"fan-out: no destinations for {MEETING} at {AS_OF:%Y-%m-%d}")
            since = fake.mark()
            started = time.perf_counter()
            await bot.runtime.engine.fan_out(point)
            took = time.perf_counter() - started
            sent = [e for e in fake.events[since:] if e.kind == "message_create"]
            limited = [e for e in fake.events[since:] if e.kind == "rate_limited"]
        allowed = (len(sent) - 1) // GLOBAL_LIMIT  # whole windows of 50 before the last message
        mentions = sum(m["message"]["content"].count("<@") for m in sent)
        print(
            f"fan-out: {SUBSCRIBERS:,} subscriptions in {CHANNELS} channels -> "
            f"{len(destinations)} destinations, {len(sent)} messages ({mentions:,} mentions), "
            f"{len(limited)} answered 429"
        )
        print(
            f"fan-out: {took:.2f} s; the limits allow {allowed:.2f} s at best "
            f"({GLOBAL_LIMIT} requests per second): {took / allowed:.2f}x"
        )
