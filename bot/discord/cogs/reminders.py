"""/subscribe, /unsubscribe, /remind me, /remind cancel, /reminders and /timezone. Answers are
private, and sent after the database work (the interaction is acknowledged first)."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord import autocomplete
from bot.discord.bot import AgendaBot, description, run_after, spec_choices, spec_options

TARGET_CHOICES = spec_choices("subscribe", "target")
SHOW_CHOICES = spec_choices("reminders", "show")
WHERE_CHOICES = spec_choices("timezone", "where")


class Reminders(commands.Cog):
    def __init__(self, bot: AgendaBot) -> None:
        self.bot = bot

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
        await run_after(interaction, "subscribe", dict(scope=scope, lead=lead, target=target))

    @app_commands.command(name="unsubscribe", description=description("unsubscribe"))
    @app_commands.describe(**spec_options("unsubscribe"))
    @app_commands.choices(target=TARGET_CHOICES)
    @app_commands.autocomplete(scope=autocomplete.scopes)
    async def unsubscribe(
        self, interaction: discord.Interaction, scope: str | None = None, target: str | None = None
    ) -> None:
        await run_after(interaction, "unsubscribe", dict(scope=scope, target=target))

    remind = app_commands.Group(name="remind", description=description("remind"))

    @remind.command(name="me", description=description("remind me"))
    @app_commands.describe(**spec_options("remind me"))
    @app_commands.autocomplete(meeting=autocomplete.meetings)
    async def remind_me(self, interaction: discord.Interaction, meeting: str, when: str) -> None:
        await run_after(interaction, "remind me", dict(meeting=meeting, when=when))

    @remind.command(name="cancel", description=description("remind cancel"))
    @app_commands.describe(**spec_options("remind cancel"))
    @app_commands.autocomplete(reminder=autocomplete.reminders)
    async def remind_cancel(self, interaction: discord.Interaction, reminder: str) -> None:
        await run_after(interaction, "remind cancel", dict(reminder=reminder))

    @app_commands.command(name="reminders", description=description("reminders"))
    @app_commands.describe(**spec_options("reminders"))
    @app_commands.choices(show=SHOW_CHOICES)
    async def reminders(self, interaction: discord.Interaction, show: str | None = None) -> None:
        await run_after(interaction, "reminders", dict(show=show))

    @app_commands.command(name="timezone", description=description("timezone"))
    @app_commands.describe(**spec_options("timezone"))
    @app_commands.choices(where=WHERE_CHOICES)
    @app_commands.autocomplete(zone=autocomplete.zones)
    async def timezone(
        self, interaction: discord.Interaction, zone: str, where: str | None = None
    ) -> None:
        await run_after(interaction, "timezone", dict(zone=zone, where=where))


async def setup(bot: AgendaBot) -> None:
    await bot.add_cog(Reminders(bot))
