"""/manage add, change, cancel, postpone, confirm and undo: editors change the agenda. Only in the
guilds of EDITOR_GUILDS, shown to members with Manage Server; each edit is previewed to its
editor, privately, and saved when they press Confirm."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord
from discord import app_commands

from bot.core import Reply, Tone
from bot.discord import autocomplete
from bot.discord.bot import AgendaBot, caller_of, description, spec_choices, spec_options
from bot.discord.responses import send_private
from bot.discord.times import DISCORD_TIMES

KIND_CHOICES = spec_choices("manage add", "kind")
STATUS_CHOICES = spec_choices("manage add", "status")
CONFIRM_TIMEOUT = 300.0


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Manage(app_commands.Group):
    def __init__(self, bot: AgendaBot) -> None:
        super().__init__(name="manage", description=description("manage"))
        self.bot = bot

    async def _edit(self, interaction: discord.Interaction, path: str, **options: object) -> None:
        who, runner = caller_of(interaction), self.bot.runner

        await interaction.response.defer(ephemeral=True, thinking=True)
        shown = await runner.run(path, options, who, DISCORD_TIMES, preview=True)

        async def save() -> Reply:  # what was shown, or nothing if the meeting changed since
            return await runner.run(path, options, who, DISCORD_TIMES, expect=shown.stamp)

        view = Confirm(interaction.user.id, save) if shown.tone is Tone.PREVIEW else None
        await send_private(interaction, shown, view)

    @app_commands.command(name="add", description=description("manage add"))
    @app_commands.describe(**spec_options("manage add"))
    @app_commands.choices(kind=KIND_CHOICES, status=STATUS_CHOICES)
    @app_commands.autocomplete(body=autocomplete.bodies, timezone=autocomplete.zones)
    async def add(
        self,
        interaction: discord.Interaction,
        title: str,
        body: str,
        kind: str,
        start: str,
        source: str,
        end: str | None = None,
        venue: str | None = None,
        timezone: str | None = None,
        topics: str | None = None,
        status: str | None = None,
        reason: str | None = None,
    ) -> None:
        await self._edit(
            interaction,
            "manage add",
            title=title,
            body=body,
            kind=kind,
            start=start,
            source=source,
            end=end,
            venue=venue,
            timezone=timezone,
            topics=topics,
            status=status,
            reason=reason,
        )

    @app_commands.command(name="change", description=description("manage change"))
    @app_commands.describe(**spec_options("manage change"))
    @app_commands.choices(status=STATUS_CHOICES)
    @app_commands.autocomplete(meeting=autocomplete.meetings, timezone=autocomplete.zones)
    async def change(
        self,
        interaction: discord.Interaction,
        meeting: str,
        source: str,
        reason: str,
        start: str | None = None,
        end: str | None = None,
        venue: str | None = None,
        timezone: str | None = None,
        status: str | None = None,
        title: str | None = None,
        topics: str | None = None,
    ) -> None:
        await self._edit(
            interaction,
            "manage change",
            meeting=meeting,
            source=source,
            reason=reason,
            start=start,
            end=end,
            venue=venue,
            timezone=timezone,
            status=status,
            title=title,
            topics=topics,
        )

    @app_commands.command(name="cancel", description=description("manage cancel"))
    @app_commands.describe(**spec_options("manage cancel"))
    @app_commands.autocomplete(meeting=autocomplete.meetings)
    async def cancel(
        self, interaction: discord.Interaction, meeting: str, reason: str, source: str | None = None
    ) -> None:
        await self._edit(
            interaction, "manage cancel", meeting=meeting, reason=reason, source=source
        )

    @app_commands.command(name="postpone", description=description("manage postpone"))
    @app_commands.describe(**spec_options("manage postpone"))
    @app_commands.autocomplete(meeting=autocomplete.meetings)
    async def postpone(
        self, interaction: discord.Interaction, meeting: str, reason: str, source: str | None = None
    ) -> None:
        await self._edit(
            interaction, "manage postpone", meeting=meeting, reason=reason, source=source
        )

    @app_commands.command(name="confirm", description=description("manage confirm"))
    @app_commands.describe(**spec_options("manage confirm"))
    @app_commands.autocomplete(meeting=autocomplete.meetings)
    async def confirm(
        self,
        interaction: discord.Interaction,
        meeting: str,
        reason: str | None = None,
        source: str | None = None,
    ) -> None:
        await self._edit(
            interaction, "manage confirm", meeting=meeting, reason=reason, source=source
        )

    @app_commands.command(name="undo", description=description("manage undo"))
    @app_commands.describe(**spec_options("manage undo"))
    @app_commands.autocomplete(meeting=autocomplete.meetings)
    async def undo(self, interaction: discord.Interaction, meeting: str) -> None:
        await self._edit(interaction, "manage undo", meeting=meeting)


class Confirm(discord.ui.View):
    """Saves a previewed edit when its editor presses Confirm (nobody else can)."""

    def __init__(self, owner_id: int, save: Callable[[], Awaitable[Reply]]) -> None:
        super().__init__(timeout=CONFIRM_TIMEOUT)
        self.owner_id = owner_id
        self.save = save

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return interaction.user.id == self.owner_id

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.success, custom_id="confirm")
    async def confirm(
        self, interaction: discord.Interaction, _: discord.ui.Button[Confirm]
    ) -> None:
        self.stop()
        await interaction.response.defer()
        reply = await self.save()
        await send_private(interaction, reply, None, edit=True)


async def setup(bot: AgendaBot) -> None:
    """/manage exists only in the editor guilds (none: the agenda is edited from the console)."""
    if bot.editor_guilds:
        guilds = [discord.Object(id=guild) for guild in sorted(bot.editor_guilds)]
        bot.tree.add_command(Manage(bot), guilds=guilds)
