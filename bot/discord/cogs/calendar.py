"""/calendar: the agenda as an .ics attachment."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord import autocomplete
from bot.discord.bot import AgendaBot, description, spec_options
from bot.discord.responses import answer


class Calendar(commands.Cog):
    def __init__(self, bot: AgendaBot) -> None:
        self.bot = bot

    @app_commands.command(name="calendar", description=description("calendar"))
    @app_commands.describe(**spec_options("calendar"))
    @app_commands.autocomplete(body=autocomplete.bodies, topic=autocomplete.topics)
    async def calendar(
        self,
        interaction: discord.Interaction,
        body: str | None = None,
        topic: str | None = None,
        alarms: bool = False,
    ) -> None:
        await answer(interaction, self.bot.service.calendar(body, topic, alarms))


async def setup(bot: AgendaBot) -> None:
    await bot.add_cog(Calendar(bot))
