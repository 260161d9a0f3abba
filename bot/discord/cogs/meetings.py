"""/agenda, /next, /meeting, and what changed: /history and /changes."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord import autocomplete
from bot.discord.bot import AgendaBot, caller_of, description, spec_choices, spec_options
from bot.discord.responses import answer, answer_paged
from bot.discord.times import DISCORD_TIMES

KIND_CHOICES = spec_choices("agenda", "kind")
STATUS_CHOICES = spec_choices("agenda", "status")


class Meetings(commands.Cog):
    def __init__(self, bot: AgendaBot) -> None:
        self.bot = bot

    @app_commands.command(name="agenda", description=description("agenda"))
    @app_commands.describe(**spec_options("agenda"))
    @app_commands.choices(kind=KIND_CHOICES, status=STATUS_CHOICES)
    @app_commands.autocomplete(body=autocomplete.bodies, topic=autocomplete.topics)
    async def agenda(
        self,
        interaction: discord.Interaction,
        body: str | None = None,
        kind: str | None = None,
        topic: str | None = None,
        status: str | None = None,
        past: bool = False,
    ) -> None:
        options = {"body": body, "kind": kind, "topic": topic, "status": status, "past": past}
        who, run = caller_of(interaction), self.bot.runner.run
        await answer_paged(
            interaction,
            lambda page: run("agenda", {**options, "page": page}, who, DISCORD_TIMES),
        )

    @app_commands.command(name="next", description=description("next"))
    @app_commands.describe(**spec_options("next"))
    @app_commands.autocomplete(body=autocomplete.bodies)
    async def next_meeting(self, interaction: discord.Interaction, body: str | None = None) -> None:
        reply = await self.bot.runner.run(
            "next", {"body": body}, caller_of(interaction), DISCORD_TIMES
        )
        await answer(interaction, reply)

    @app_commands.command(name="meeting", description=description("meeting"))
    @app_commands.describe(**spec_options("meeting"))
    @app_commands.autocomplete(meeting=autocomplete.meetings)
    async def meeting(self, interaction: discord.Interaction, meeting: str) -> None:
        reply = await self.bot.runner.run(
            "meeting", {"meeting": meeting}, caller_of(interaction), DISCORD_TIMES
        )
        await answer(interaction, reply)

    @app_commands.command(name="history", description=description("history"))
    @app_commands.describe(**spec_options("history"))
    @app_commands.autocomplete(meeting=autocomplete.meetings)
    async def history(self, interaction: discord.Interaction, meeting: str) -> None:
        who, run = caller_of(interaction), self.bot.runner.run
        await answer_paged(
            interaction,
            lambda page: run("history", {"meeting": meeting, "page": page}, who, DISCORD_TIMES),
        )

    @app_commands.command(name="changes", description=description("changes"))
    @app_commands.describe(**spec_options("changes"))
    async def changes(self, interaction: discord.Interaction, since: str | None = None) -> None:
        who, run = caller_of(interaction), self.bot.runner.run
        await answer_paged(
            interaction,
            lambda page: run("changes", {"since": since, "page": page}, who, DISCORD_TIMES),
        )


async def setup(bot: AgendaBot) -> None:
    await bot.add_cog(Meetings(bot))
