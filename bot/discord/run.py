"""Starting, checking and stopping the Discord bot."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path

import discord
import yarl

from bot.service import AgendaService, Runtime
from bot.settings import Settings
from bot.storage import StorageError
from bot.web import start_web

from .bot import AgendaBot
from .delivery import DiscordSender

log = logging.getLogger(__name__)


def point_at(api_base_url: str | None, gateway_url: str | None) -> None:
    """Send REST calls and the gateway to a proxy or a local Discord-compatible server.

    discord.py reads these two class attributes; they are process-wide by its design.
    """
    if api_base_url:
        discord.http.Route.BASE = api_base_url.rstrip("/")
    if gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def build_bot(service: AgendaService, settings: Settings, **options: object) -> AgendaBot:
    """The bot as it runs in production; tests pass client options (e.g. guild_ready_timeout)."""
    point_at(settings.discord_api_base_url, settings.discord_gateway_url)
    return AgendaBot(service, dev_guild=settings.discord_dev_guild, **options)  # type: ignore[arg-type]


def runtime_factory(
    service: AgendaService, settings: Settings, data_dir: Path | None
) -> Callable[[AgendaBot], Awaitable[Runtime]]:
    """Opened in setup_hook, once the bot is logged in: reminders go out over REST."""

    async def open_runtime(bot: AgendaBot) -> Runtime:
        sender = DiscordSender(bot, settings.reminder_dm_per_second)
        runtime = await Runtime.open(
            service, sender, data_dir=data_dir, **settings.runtime_options()
        )
        runtime.after_start.append(lambda: start_web(runtime, settings))
        return runtime

    return open_runtime


async def check_bot(service: AgendaService, settings: Settings) -> list[str]:
    """Build the bot and load every cog and the command tree, without connecting."""
    bot = build_bot(service, settings, sync_commands=False)
    try:
        await bot.load_cogs()
        for command in bot.tree.get_commands():
            command.to_dict(bot.tree)  # builds the payload Discord would get: catches bad options
        return sorted(command.name for command in bot.tree.get_commands())
    finally:
        await bot.close()


async def serve(bot: AgendaBot, token: str) -> None:
    """Run until the bot stops or SIGINT/SIGTERM arrives; then close the gateway cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    async with bot:
        running = asyncio.create_task(bot.start(token))
        stopping = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if stopping in done:
            log.info("signal received: closing the gateway")
            await bot.close()
        else:
            stopping.cancel()
        await running  # re-raises a login failure


def run_discord(service: AgendaService, settings: Settings, data_dir: Path | None = None) -> int:
    assert settings.discord_token is not None
    bot = build_bot(service, settings)
    bot.runtime_factory = runtime_factory(service, settings, data_dir)
    bot.freeze_after_start = True
    try:
        asyncio.run(serve(bot, settings.discord_token.get_secret_value()))
    except StorageError as problem:
        log.error("cannot start: %s; check DATABASE_URL", problem)
        return 1
    except discord.LoginFailure:
        log.error("Discord refused the token: check DISCORD_TOKEN (Developer Portal > Bot)")
        return 1
    except discord.HTTPException as problem:
        log.error("Discord answered %s: %s", problem.status, problem.text)
        return 1
    log.info("stopped")
    return 0
