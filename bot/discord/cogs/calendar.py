"""/calendar file, /calendar link and /calendar revoke."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord import autocomplete
from bot.discord.bot import AgendaBot, caller_of, description, spec_options
from bot.discord.responses import answer, answer_after


class Calendar(commands.GroupCog, group_name="calendar", group_description=description("calendar")):
    def __init__(self, bot: AgendaBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="file", description=description("calendar file"))
    @app_commands.describe(**spec_options("calendar file"))
    @app_commands.autocomplete(body=autocomplete.bodies, topic=autocomplete.topics)
    async def file(
        self,
        interaction: discord.Interaction,
        body: str | None = None,
        topic: str | None = None,
        alarms: bool = False,
    ) -> None:
        options = {"body": body, "topic": topic, "alarms": alarms}
        reply = await self.bot.runner.run("calendar file", options, caller_of(interaction))
        await answer(interaction, reply)

    @app_commands.command(name="link", description=description("calendar link"))
    @app_commands.describe(**spec_options("calendar link"))
    @app_commands.autocomplete(scope=autocomplete.scopes)
    async def link(self, interaction: discord.Interaction, scope: str | None = None) -> None:
        run = self.bot.runner.run("calendar link", {"scope": scope}, caller_of(interaction))
        await answer_after(interaction, run)

    @app_commands.command(name="revoke", description=description("calendar revoke"))
    async def revoke(self, interaction: discord.Interaction) -> None:
        await answer_after(
            interaction, self.bot.runner.run("calendar revoke", {}, caller_of(interaction))
        )


async def setup(bot: AgendaBot) -> None:
    await bot.add_cog(Calendar(bot))
