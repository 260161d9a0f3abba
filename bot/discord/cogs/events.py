"""/events (Manage Server): the agenda as the server's scheduled events; /attending and
/attendees. Interested presses and events deleted by hand reach the mirror from the gateway."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord import autocomplete
from bot.discord.bot import AgendaBot, description, run_after, spec_choices, spec_options
from bot.discord.scheduled_events import watch_interest

log = logging.getLogger(__name__)
STATE_CHOICES = spec_choices("events mirror", "state")
ANSWER_CHOICES = spec_choices("attending", "answer")


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Events(commands.GroupCog, group_name="events", group_description=description("events")):
    def __init__(self, bot: AgendaBot) -> None:
        self.bot = bot
        self._pending: set[asyncio.Task[None]] = set()
        self.presses = 0
        self._handled = asyncio.Event()  # set each time a press has been handled
        super().__init__()

    async def cog_load(self) -> None:
        watch_interest(self.bot, self._pressed)

    @app_commands.command(name="status", description=description("events status"))
    async def status(self, interaction: discord.Interaction) -> None:
        await run_after(interaction, "events status", {})

    @app_commands.command(name="mirror", description=description("events mirror"))
    @app_commands.describe(**spec_options("events mirror"))
    @app_commands.choices(state=STATE_CHOICES)
    async def mirror(
        self,
        interaction: discord.Interaction,
        state: str,
        count: str | None = None,
        bodies: str | None = None,
    ) -> None:
        await run_after(interaction, "events mirror", dict(state=state, count=count, bodies=bodies))

    @app_commands.command(
        name="interested-subscribes", description=description("events interested-subscribes")
    )
    @app_commands.describe(**spec_options("events interested-subscribes"))
    @app_commands.choices(state=STATE_CHOICES)
    async def interested_subscribes(self, interaction: discord.Interaction, state: str) -> None:
        await run_after(interaction, "events interested-subscribes", dict(state=state))

    @app_commands.command(name="going-count", description=description("events going-count"))
    @app_commands.describe(**spec_options("events going-count"))
    @app_commands.choices(state=STATE_CHOICES)
    async def going_count(self, interaction: discord.Interaction, state: str) -> None:
        await run_after(interaction, "events going-count", dict(state=state))

    # -- from the gateway --------------------------------------------------------------------

    def _pressed(self, data: dict[str, Any], added: bool) -> None:
        runtime = self.bot.runtime
        if runtime is None:
            return
        press = runtime.mirror.interest(
            str(data["guild_id"]),
            str(data["guild_scheduled_event_id"]),
            str(data["user_id"]),
            added,
        )
        task = asyncio.get_running_loop().create_task(press)
        self._pending.add(task)
        task.add_done_callback(self._done)

    async def handled(self, presses: int) -> None:
        """Returns once this many Interested presses have been handled (tests wait on it)."""
        while self.presses < presses:
            self._handled.clear()
            await self._handled.wait()

    def _done(self, task: asyncio.Task[None]) -> None:
        self._pending.discard(task)
        self.presses += 1
        self._handled.set()
        if not task.cancelled() and task.exception() is not None:
            log.error("an Interested press was not handled", exc_info=task.exception())

    @commands.Cog.listener()
    async def on_scheduled_event_delete(self, event: discord.ScheduledEvent) -> None:
        if self.bot.runtime is not None:
            self.bot.runtime.mirror.poke()  # deleted by hand, or by us: the mirror looks


class Attending(commands.Cog):
    def __init__(self, bot: AgendaBot) -> None:
        self.bot = bot

    @app_commands.command(name="attending", description=description("attending"))
    @app_commands.describe(**spec_options("attending"))
    @app_commands.choices(answer=ANSWER_CHOICES)
    @app_commands.autocomplete(meeting=autocomplete.meetings)
    @app_commands.guild_only()
    async def attending(
        self, interaction: discord.Interaction, meeting: str, answer: str | None = None
    ) -> None:
        await run_after(interaction, "attending", {"meeting": meeting, "answer": answer})

    @app_commands.command(name="attendees", description=description("attendees"))
    @app_commands.describe(**spec_options("attendees"))
    @app_commands.autocomplete(meeting=autocomplete.meetings)
    @app_commands.guild_only()
    async def attendees(self, interaction: discord.Interaction, meeting: str) -> None:
        await run_after(interaction, "attendees", {"meeting": meeting})


async def setup(bot: AgendaBot) -> None:
    await bot.add_cog(Events(bot))
    await bot.add_cog(Attending(bot))
