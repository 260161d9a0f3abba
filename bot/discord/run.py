"""Starting, checking and stopping the Discord bot."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import discord
import yarl

from bot.service import AgendaService, EarlySubscriptions, Runtime
from bot.settings import Settings
from bot.storage import StorageError
from bot.web import listen, start_web

from .bot import AgendaBot
from .delivery import DiscordSender
from .scheduled_events import DiscordEventBoard

log = logging.getLogger(__name__)


def point_at(api_base_url: str | None, gateway_url: str | None) -> None:
    """Send REST calls and the gateway to a proxy or a local Discord-compatible server.

    discord.py reads these two class attributes; they are process-wide by its design.
    """
    if api_base_url:
        discord.http.Route.BASE = api_base_url.rstrip("/")
    if gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def build_bot(
    service: AgendaService,
    settings: Settings,
    open_runtime: Callable[[AgendaBot], Awaitable[Runtime]] | None = None,
    **options: object,
) -> AgendaBot:
    """The bot as it runs in production; tests pass client options (e.g. guild_ready_timeout)."""
    point_at(settings.discord_api_base_url, settings.discord_gateway_url)
    return AgendaBot(
        service,
        open_runtime=open_runtime,
        dev_guild=settings.discord_dev_guild,
        editor_guilds=settings.editor_guilds,
        editor_roles=settings.editor_roles,
        **options,  # type: ignore[arg-type]
    )


def runtime_factory(
    service: AgendaService,
    settings: Settings,
    data_dir: Path | None,
    early: EarlySubscriptions | None = None,
) -> Callable[[AgendaBot], Awaitable[Runtime]]:
    """Builds and starts the service in setup_hook, once the bot is logged in: reminders go
    out over its REST client. Then the web site."""

    async def open_runtime(bot: AgendaBot) -> Runtime:
        sender = DiscordSender(bot, settings.reminder_dm_per_second)
        listener = listen(settings)
        try:
            runtime = await Runtime.open(
                service,
                sender,
                data_dir=data_dir,
                site_url=listener.url if listener is not None else None,
                board=DiscordEventBoard(bot),
                early=early,
                **settings.runtime_options(),
            )
            async with runtime.abandoned_on_failure():  # nothing left running
                await runtime.start()
                if listener is not None:
                    await start_web(runtime, settings, listener)
        except BaseException:
            if listener is not None:
                listener.close()
            raise
        watcher = asyncio.create_task(_close_when_lost(bot, runtime))

        async def stop_watching() -> None:
            if watcher is not asyncio.current_task():
                watcher.cancel()

        runtime.on_stop.append(stop_watching)
        return runtime

    return open_runtime


async def _close_when_lost(bot: AgendaBot, runtime: Runtime) -> None:
    """The database cannot be used any more (its file was deleted): close the bot, which ends
    `serve`; `run_discord` then says why."""
    await runtime.fatal.wait()
    bot.lost = runtime.lost
    await bot.close()


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


def run_discord(
    service: AgendaService,
    settings: Settings,
    data_dir: Path | None = None,
    early: EarlySubscriptions | None = None,
) -> int:
    """`early`: the subscriptions being read since before the agenda loaded (bot.cli)."""
    assert settings.discord_token is not None
    bot = build_bot(
        service,
        settings,
        runtime_factory(service, settings, data_dir, early),
        freeze_after_start=True,
    )
    try:
        asyncio.run(serve(bot, settings.discord_token.get_secret_value()))
    except StorageError as problem:
        return cannot_start(f"{problem}. Check DATABASE_URL")
    except discord.LoginFailure:
        return cannot_start(REFUSED_LOGIN)
    except discord.PrivilegedIntentsRequired:
        return cannot_start(
            "Discord refused the intents the bot asked for (gateway close 4014); "
            "turn them on in the Developer Portal (Bot > Privileged Gateway Intents)"
        )
    except discord.ConnectionClosed as problem:
        if problem.code == 4004:
            return cannot_start(f"{REFUSED_LOGIN} (the gateway closed with 4004)")
        return cannot_start(
            f"the Discord gateway closed the connection with code {problem.code} "
            f"({problem.reason or 'no reason given'}); check DISCORD_TOKEN and "
            "DISCORD_GATEWAY_URL, then start again"
        )
    except discord.HTTPException as problem:
        return cannot_start(f"Discord answered {problem.status}: {problem.text}")
    if bot.lost is not None:
        print(f"Stopped: {bot.lost}.", file=sys.stderr)
        return 1
    log.info("stopped")
    return 0


REFUSED_LOGIN = (
    "Discord refused the token: check DISCORD_TOKEN (Developer Portal > Bot > Reset Token), "
    "or leave it empty to use the console"
)


def cannot_start(reason: str) -> int:
    print(f"Cannot start: {reason}.", file=sys.stderr)
    return 1
