"""The floor of the Discord benchmark: the least a discord.py 2 bot does to answer a command.

    DISCORD_TOKEN=... DISCORD_API_BASE_URL=... DISCORD_GATEWAY_URL=... DISCORD_DEV_GUILD=...
    python -m bench.minimal_bot

It reads the same variables as our bot and points discord.py at them the same way
(`bot/discord/run.py: point_at`), syncs /next, /topic and /search (the options ours has, so the
fake sends the same interactions) to the development guild, and answers each with one constant
string through `interaction.response.send_message`. No database, no agenda, no embeds.
(`bench/shaped_bot.py` is the same bot answering with embeds and buttons of our answers' shape.)
"""

from __future__ import annotations

import os
from typing import Any

import discord
import yarl
from discord import app_commands

ANSWER = "The next meeting is on 1 June 2025."


def point_at_environment() -> discord.Object:
    """Point discord.py at the environment's Discord; the development guild to sync to."""
    base = os.environ.get("DISCORD_API_BASE_URL")
    gateway = os.environ.get("DISCORD_GATEWAY_URL")
    if base:
        discord.http.Route.BASE = base.rstrip("/")
    if gateway:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    return discord.Object(id=int(os.environ["DISCORD_DEV_GUILD"]))


def syncing_client(
    guild: discord.Object, **options: Any
) -> tuple[discord.Client, app_commands.CommandTree[discord.Client]]:
    """A client with only the guilds intent, and a command tree it syncs to `guild` at login."""
    intents = discord.Intents.none()
    intents.guilds = True
    client = discord.Client(intents=intents, **options)
    tree = app_commands.CommandTree(client)

    async def setup_hook() -> None:
        await tree.sync(guild=guild)

    client.setup_hook = setup_hook  # type: ignore[method-assign]
    return client, tree


def main() -> None:
    guild = point_at_environment()
    client, tree = syncing_client(guild)

    @tree.command(name="next", description="The next meeting", guild=guild)
    async def next_meeting(interaction: discord.Interaction, body: str | None = None) -> None:
        await interaction.response.send_message(ANSWER)

    @tree.command(name="topic", description="One topic", guild=guild)
    async def topic(interaction: discord.Interaction, topic: str) -> None:
        await interaction.response.send_message(ANSWER)

    @tree.command(name="search", description="Search", guild=guild)
    async def search(
        interaction: discord.Interaction, query: app_commands.Range[str, 1, 200]
    ) -> None:
        await interaction.response.send_message(ANSWER)

    client.run(os.environ["DISCORD_TOKEN"], log_handler=None)


if __name__ == "__main__":
    main()
