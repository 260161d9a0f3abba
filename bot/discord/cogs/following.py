"""/follow and /unfollow (editors: only in the guilds of EDITOR_GUILDS, shown to members with
Manage Server) and /following (everyone). Reading a calendar takes a moment, so the
interaction is acknowledged first."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord import autocomplete
from bot.discord.bot import AgendaBot, description, run_after, spec_choices, spec_options

KIND_CHOICES = spec_choices("follow", "kind")


@app_commands.command(name="follow", description=description("follow"))
@app_commands.describe(**spec_options("follow"))
@app_commands.choices(kind=KIND_CHOICES)
@app_commands.autocomplete(body=autocomplete.bodies)
@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
async def follow(
    interaction: discord.Interaction[AgendaBot],
    url: str,
    body: str | None = None,
    kind: str | None = None,
    topics: str | None = None,
) -> None:
    await run_after(
        interaction, "follow", {"url": url, "body": body, "kind": kind, "topics": topics}
    )


@app_commands.command(name="unfollow", description=description("unfollow"))
@app_commands.describe(**spec_options("unfollow"))
@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
async def unfollow(interaction: discord.Interaction[AgendaBot], url: str) -> None:
    await run_after(interaction, "unfollow", {"url": url})


class Following(commands.Cog):
    def __init__(self, bot: AgendaBot) -> None:
        self.bot = bot

    @app_commands.command(name="following", description=description("following"))
    async def following(self, interaction: discord.Interaction) -> None:
        await run_after(interaction, "following", {}, private=False)


async def setup(bot: AgendaBot) -> None:
    await bot.add_cog(Following(bot))
    if bot.editor_guilds:  # none: calendars are followed from the console or the data files
        guilds = [discord.Object(id=guild) for guild in sorted(bot.editor_guilds)]
        bot.tree.add_command(follow, guilds=guilds)
        bot.tree.add_command(unfollow, guilds=guilds)
