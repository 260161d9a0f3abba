"""Autocomplete for meeting, body, topic, person and command options, from the service's
tolerant lookup."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.core import Completion

from .bot import caller_of

if TYPE_CHECKING:
    from .bot import AgendaBot


async def _choices(
    interaction: discord.Interaction, typed: str, what: Completion
) -> list[app_commands.Choice[str]]:
    bot: AgendaBot = interaction.client  # type: ignore[assignment]
    return [
        app_commands.Choice(name=label, value=value)
        for label, value in bot.service.complete(what, typed)
    ]


async def meetings(interaction: discord.Interaction, typed: str) -> list[app_commands.Choice[str]]:
    return await _choices(interaction, typed, Completion.MEETING)


async def bodies(interaction: discord.Interaction, typed: str) -> list[app_commands.Choice[str]]:
    return await _choices(interaction, typed, Completion.BODY)


async def topics(interaction: discord.Interaction, typed: str) -> list[app_commands.Choice[str]]:
    return await _choices(interaction, typed, Completion.TOPIC)


async def people(interaction: discord.Interaction, typed: str) -> list[app_commands.Choice[str]]:
    return await _choices(interaction, typed, Completion.PERSON)


async def commands(interaction: discord.Interaction, typed: str) -> list[app_commands.Choice[str]]:
    return await _choices(interaction, typed, Completion.COMMAND)


async def scopes(interaction: discord.Interaction, typed: str) -> list[app_commands.Choice[str]]:
    return await _choices(interaction, typed, Completion.SCOPE)


async def zones(interaction: discord.Interaction, typed: str) -> list[app_commands.Choice[str]]:
    return await _choices(interaction, typed, Completion.ZONE)


async def reminders(interaction: discord.Interaction, typed: str) -> list[app_commands.Choice[str]]:
    """The asker's own reminders, never anyone else's."""
    bot: AgendaBot = interaction.client  # type: ignore[assignment]
    commands = bot.reminders
    if commands is None:
        return []
    return [
        app_commands.Choice(name=label, value=value)
        for label, value in commands.personal.complete(caller_of(interaction), typed)
    ]
