"""/topics, /topic and /search."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord import autocomplete
from bot.discord.bot import AgendaBot, description, spec_options
from bot.discord.responses import answer, answer_paged
from bot.discord.times import DISCORD_TIMES


class Topics(commands.Cog):
    def __init__(self, bot: AgendaBot) -> None:
        self.bot = bot

    @app_commands.command(name="topics", description=description("topics"))
    async def topics(self, interaction: discord.Interaction) -> None:
        await answer_paged(interaction, self.bot.service.topics)

    @app_commands.command(name="topic", description=description("topic"))
    @app_commands.describe(**spec_options("topic"))
    @app_commands.autocomplete(topic=autocomplete.topics)
    async def topic(self, interaction: discord.Interaction, topic: str) -> None:
        await answer(interaction, self.bot.service.topic(topic, DISCORD_TIMES))

    @app_commands.command(name="search", description=description("search"))
    @app_commands.describe(**spec_options("search"))
    async def search(
        self, interaction: discord.Interaction, query: app_commands.Range[str, 1, 200]
    ) -> None:
        service = self.bot.service
        await answer_paged(interaction, lambda page: service.search(query, page, DISCORD_TIMES))


async def setup(bot: AgendaBot) -> None:
    await bot.add_cog(Topics(bot))
