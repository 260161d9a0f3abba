"""/help."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord import autocomplete
from bot.discord.bot import AgendaBot, caller_of, description, spec_options
from bot.discord.responses import answer


class Help(commands.Cog):
    def __init__(self, bot: AgendaBot) -> None:
        self.bot = bot

    @app_commands.command(name="help", description=description("help"))
    @app_commands.describe(**spec_options("help"))
    @app_commands.autocomplete(command=autocomplete.commands)
    async def help(self, interaction: discord.Interaction, command: str | None = None) -> None:
        reply = await self.bot.runner.run("help", {"command": command}, caller_of(interaction))
        await answer(interaction, reply)


async def setup(bot: AgendaBot) -> None:
    await bot.add_cog(Help(bot))
