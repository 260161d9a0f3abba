"""/calendar file, /calendar link and /calendar revoke."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import Reply
from bot.core.reply import error
from bot.discord import autocomplete
from bot.discord.bot import AgendaBot, caller_of, description, spec_options
from bot.discord.responses import answer, answer_after
from bot.service import Feeds

NO_FEEDS = error(
    "Calendar feeds are not served here",
    "The bot's web server is off; `/calendar file` gives a file instead.",
)


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
        await answer(interaction, self.bot.service.calendar(body, topic, alarms))

    def _feeds(self) -> Feeds | None:
        return self.bot.runtime.runner.feeds if self.bot.runtime else None

    @app_commands.command(name="link", description=description("calendar link"))
    @app_commands.describe(**spec_options("calendar link"))
    @app_commands.autocomplete(scope=autocomplete.scopes)
    async def link(self, interaction: discord.Interaction, scope: str | None = None) -> None:
        async def work() -> Reply:
            feeds = self._feeds()
            return NO_FEEDS if feeds is None else await feeds.link(caller_of(interaction), scope)

        await answer_after(interaction, work())

    @app_commands.command(name="revoke", description=description("calendar revoke"))
    async def revoke(self, interaction: discord.Interaction) -> None:
        async def work() -> Reply:
            feeds = self._feeds()
            return NO_FEEDS if feeds is None else await feeds.revoke(caller_of(interaction))

        await answer_after(interaction, work())


async def setup(bot: AgendaBot) -> None:
    await bot.add_cog(Calendar(bot))
