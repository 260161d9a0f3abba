"""/topics, /topic, /who and /search."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord import autocomplete
from bot.discord.bot import AgendaBot, caller_of, description, spec_options
from bot.discord.responses import answer, answer_paged
from bot.discord.times import DISCORD_TIMES


class Topics(commands.Cog):
    def __init__(self, bot: AgendaBot) -> None:
        self.bot = bot

    @app_commands.command(name="topics", description=description("topics"))
    async def topics(self, interaction: discord.Interaction) -> None:
        who, run = caller_of(interaction), self.bot.runner.run
        await answer_paged(interaction, lambda page: run("topics", {"page": page}, who))

    @app_commands.command(name="topic", description=description("topic"))
    @app_commands.describe(**spec_options("topic"))
    @app_commands.autocomplete(topic=autocomplete.topics)
    async def topic(self, interaction: discord.Interaction, topic: str) -> None:
        reply = await self.bot.runner.run(
            "topic", {"topic": topic}, caller_of(interaction), DISCORD_TIMES
        )
        await answer(interaction, reply)

    @app_commands.command(name="who", description=description("who"))
    @app_commands.describe(**spec_options("who"))
    @app_commands.autocomplete(person=autocomplete.people)
    async def who(self, interaction: discord.Interaction, person: str) -> None:
        reply = await self.bot.runner.run(
            "who", {"person": person}, caller_of(interaction), DISCORD_TIMES
        )
        await answer(interaction, reply)

    @app_commands.command(name="search", description=description("search"))
    @app_commands.describe(**spec_options("search"))
    async def search(
        self, interaction: discord.Interaction, query: app_commands.Range[str, 1, 200]
    ) -> None:
        who, run = caller_of(interaction), self.bot.runner.run
        await answer_paged(
            interaction,
            lambda page: run("search", {"query": query, "page": page}, who, DISCORD_TIMES),
        )


async def setup(bot: AgendaBot) -> None:
    await bot.add_cog(Topics(bot))
