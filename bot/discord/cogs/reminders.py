"""/subscribe, /unsubscribe, /remind me, /remind cancel, /reminders and /timezone. Answers are
private, and sent after the database work (the interaction is acknowledged first)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import Reply
from bot.core.reply import error
from bot.discord import autocomplete
from bot.discord.bot import AgendaBot, caller_of, description, spec_choices, spec_options
from bot.discord.responses import answer_after
from bot.discord.times import DISCORD_TIMES
from bot.service import Caller, ReminderCommands

TARGET_CHOICES = spec_choices("subscribe", "target")
SHOW_CHOICES = spec_choices("reminders", "show")
WHERE_CHOICES = spec_choices("timezone", "where")
NOT_RUNNING = error(
    "Reminders are not running",
    "Try again in a minute; if it lasts, tell the server's managers that the bot's reminders "
    "are down.",
)


class Reminders(commands.Cog):
    def __init__(self, bot: AgendaBot) -> None:
        self.bot = bot

    async def _run(
        self,
        interaction: discord.Interaction,
        command: Callable[[ReminderCommands, Caller], Awaitable[Reply]],
    ) -> None:
        async def work() -> Reply:
            found = self.bot.reminders
            return NOT_RUNNING if found is None else await command(found, caller_of(interaction))

        await answer_after(interaction, work())

    @app_commands.command(name="subscribe", description=description("subscribe"))
    @app_commands.describe(**spec_options("subscribe"))
    @app_commands.choices(target=TARGET_CHOICES)
    @app_commands.autocomplete(scope=autocomplete.scopes)
    async def subscribe(
        self,
        interaction: discord.Interaction,
        scope: str | None = None,
        lead: str | None = None,
        target: str | None = None,
    ) -> None:
        await self._run(
            interaction, lambda c, who: c.subscribe(who, scope, lead, target, DISCORD_TIMES)
        )

    @app_commands.command(name="unsubscribe", description=description("unsubscribe"))
    @app_commands.describe(**spec_options("unsubscribe"))
    @app_commands.choices(target=TARGET_CHOICES)
    @app_commands.autocomplete(scope=autocomplete.scopes)
    async def unsubscribe(
        self, interaction: discord.Interaction, scope: str | None = None, target: str | None = None
    ) -> None:
        await self._run(interaction, lambda c, who: c.unsubscribe(who, scope, target))

    remind = app_commands.Group(name="remind", description=description("remind"))

    @remind.command(name="me", description=description("remind me"))
    @app_commands.describe(**spec_options("remind me"))
    @app_commands.autocomplete(meeting=autocomplete.meetings)
    async def remind_me(self, interaction: discord.Interaction, meeting: str, when: str) -> None:
        await self._run(
            interaction, lambda c, who: c.personal.remind(who, meeting, when, DISCORD_TIMES)
        )

    @remind.command(name="cancel", description=description("remind cancel"))
    @app_commands.describe(**spec_options("remind cancel"))
    @app_commands.autocomplete(reminder=autocomplete.reminders)
    async def remind_cancel(self, interaction: discord.Interaction, reminder: str) -> None:
        await self._run(interaction, lambda c, who: c.personal.cancel(who, reminder))

    @app_commands.command(name="reminders", description=description("reminders"))
    @app_commands.describe(**spec_options("reminders"))
    @app_commands.choices(show=SHOW_CHOICES)
    async def reminders(self, interaction: discord.Interaction, show: str | None = None) -> None:
        await self._run(interaction, lambda c, who: c.overview(who, show, DISCORD_TIMES))

    @app_commands.command(name="timezone", description=description("timezone"))
    @app_commands.describe(**spec_options("timezone"))
    @app_commands.choices(where=WHERE_CHOICES)
    @app_commands.autocomplete(zone=autocomplete.zones)
    async def timezone(
        self, interaction: discord.Interaction, zone: str, where: str | None = None
    ) -> None:
        await self._run(interaction, lambda c, who: c.timezone(who, zone, where))


async def setup(bot: AgendaBot) -> None:
    await bot.add_cog(Reminders(bot))
