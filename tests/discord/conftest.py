"""The real bot, built by the project's own factory, logged in to the in-process fake Discord."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest

from bot.core import FixedClock
from bot.discord import build_bot
from bot.discord.run import runtime_factory
from bot.service import AgendaService
from bot.settings import Settings
from tests.fake_discord import CLIENT_OPTIONS, FakeDiscord, running_client

NEWS_DAY = datetime(2015, 10, 23, 12, tzinfo=UTC)


def settings(tmp_path, **values) -> Settings:
    return Settings(
        _env_file=None,
        discord_token="fake-token",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
        agenda_reload_seconds=0,
        agenda_cache_dir=None,
        web_port=0,
        **values,
    )


@contextlib.asynccontextmanager
async def bot_at(fake, agenda, clock, tmp_path, *, reminders=True, **values):
    """The production bot (factory, cogs, sync, runtime) against the fake; closed on exit."""
    configured = settings(tmp_path, **values)
    service = AgendaService(agenda, clock)
    opener = runtime_factory(service, configured, None) if reminders else None
    bot = build_bot(service, configured, opener, **CLIENT_OPTIONS)
    async with running_client(fake, bot, token="fake-token"):
        yield bot
    fake.assert_no_unknown_routes()


@pytest.fixture
async def fake():
    async with FakeDiscord(token="fake-token") as server:
        yield server


@pytest.fixture
async def bot(fake, wco, tmp_path):
    async with bot_at(fake, wco, FixedClock(NEWS_DAY), tmp_path) as running:
        yield running
