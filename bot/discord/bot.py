"""The Discord bot: a commands.Bot whose cogs call the one service and show its replies."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import COMMANDS_BY_NAME, CommandSpec
from bot.core.reply import error
from bot.service import (
    AgendaService,
    Caller,
    CommandRunner,
    ReminderCommands,
    Runtime,
)
from bot.storage import StorageError

from .responses import RESTARTED, answer, answer_after, made_before_this_run
from .times import DISCORD_TIMES

log = logging.getLogger(__name__)
EXTENSIONS = (
    "bot.discord.cogs.meetings",
    "bot.discord.cogs.topics",
    "bot.discord.cogs.calendar",
    "bot.discord.cogs.reminders",
    "bot.discord.cogs.manage",
    "bot.discord.cogs.following",
    "bot.discord.cogs.events",
    "bot.discord.cogs.help",
)


class AgendaTree(app_commands.CommandTree["AgendaBot"]):
    async def on_error(
        self, interaction: discord.Interaction[AgendaBot], problem: app_commands.AppCommandError
    ) -> None:
        """Every failure gets an answer: what to do instead, or a short apology."""
        if isinstance(problem, app_commands.NoPrivateMessage):
            reply = error(
                "This command works in a server only",
                "Run it in a channel of the server it is about.",
            )
        elif isinstance(problem, app_commands.CheckFailure):
            reply = error("You cannot do that here", str(problem) or "You lack a permission.")
        else:
            command = interaction.command.qualified_name if interaction.command else "?"
            log.error(
                "command /%s failed (user %s, guild %s, channel %s, options %s)",
                command,
                interaction.user.id,
                interaction.guild_id,
                interaction.channel_id,
                interaction.namespace,
                exc_info=problem,
            )
            reply = error(
                "Sorry, that went wrong on my side",
                "The problem has been logged. Try again, or `/help`.",
            )
        try:
            if interaction.response.is_done():
                await interaction.followup.send(
                    content=f"**{reply.title}**\n{reply.body}", ephemeral=True
                )
            else:
                await answer(interaction, reply)
        except discord.HTTPException:
            log.exception("could not tell the user about the failure")


# The bot has no voice features: do not warn at every start that voice libraries are missing.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False


class AgendaBot(commands.Bot):
    """The Discord adapter: cogs over the service. `open_runtime` builds and starts the service
    once the bot is logged in (reminders go out over its REST client); without it (checks,
    tests) the agenda's commands answer and the others say they are not running."""

    def __init__(
        self,
        service: AgendaService,
        *,
        open_runtime: Callable[[AgendaBot], Awaitable[Runtime]] | None = None,
        dev_guild: int | None = None,
        editor_guilds: Sequence[int] = (),
        editor_roles: Sequence[int] = (),
        sync_commands: bool = True,
        freeze_after_start: bool = False,
        **options: Any,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True  # slash commands need no message content
        intents.guild_scheduled_events = True  # Interested presses, events deleted by hand
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=AgendaTree,
            **options,
        )
        self.service = service
        self.dev_guild = dev_guild
        self.editor_guilds = frozenset(editor_guilds)  # where /manage is, for Manage Server
        self.editor_roles = frozenset(editor_roles)  # or for these roles there
        self.sync_commands = sync_commands
        self.command_ids: dict[str, int] = {}
        self.runtime: Runtime | None = None
        self._open_runtime = open_runtime
        self._agenda_only = CommandRunner(service)
        self.ready_event = asyncio.Event()
        self.freeze_after_start = freeze_after_start
        self.lost: StorageError | None = None  # why the bot stopped on its own, if it did
        self._first_interaction: int | None = None

    @property
    def runner(self) -> CommandRunner:
        """Runs every command; before the runtime is open, the agenda's commands only."""
        return self.runtime.runner if self.runtime is not None else self._agenda_only

    @property
    def reminders(self) -> ReminderCommands | None:
        return self.runner.reminders

    async def on_ready(self) -> None:
        self.ready_event.set()

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        # Every interaction is looked at here, as it arrives, rather than by an `on_interaction`
        # listener: discord.py starts a task for each call of a listener, one per command
        # (2% of the CPU time of a /search), where only a press on an earlier run's button
        # needs one.
        if event_name == "interaction":
            try:
                self._notice(args[0])
            except Exception:
                # Called by the gateway's parser: a failure here must not reach it (the
                # listener's task logged it and the bot carried on), nor keep the event from
                # the tree, the views and the listeners.
                log.exception("could not look at an interaction as it arrived")
        super().dispatch(event_name, *args, **kwargs)

    def _notice(self, interaction: discord.Interaction) -> None:
        """Buttons left by an earlier run get an answer rather than "This interaction failed"."""
        if self._first_interaction is None:
            self._first_interaction = interaction.id
        if made_before_this_run(interaction, self._first_interaction):
            task = asyncio.get_running_loop().create_task(_say_restarted(interaction))
            _ANSWERING.add(task)  # the loop keeps a weak reference only
            task.add_done_callback(_ANSWERING.discard)

    async def load_cogs(self) -> None:
        for extension in EXTENSIONS:
            await self.load_extension(extension)

    async def setup_hook(self) -> None:
        """After login, before the gateway: cogs, commands, then reminders (sent over REST)."""
        await self.load_cogs()
        if self.sync_commands:
            await self.sync_tree()
        if self._open_runtime is not None:
            self.runtime = await self._open_runtime(self)
        if self.freeze_after_start:
            # What start-up built lives as long as the process: keep it out of the collector's
            # scans, which otherwise stretch the slowest answers (feeds: p99 2.7 -> 1.7 ms).
            gc.freeze()

    async def close(self) -> None:
        """Stop planning and let deliveries under way finish, then close the gateway."""
        if self.runtime is not None:
            runtime, self.runtime = self.runtime, None
            await runtime.stop()
        await super().close()

    async def sync_tree(self) -> str:
        """Commands to the development guild at every start; globally only when they changed
        (global syncs are rate limited and take time to reach every client)."""
        for editors in sorted(self.editor_guilds - {self.dev_guild}):  # /manage lives there
            self._remember(await self.tree.sync(guild=discord.Object(id=editors)))
        if self.dev_guild is not None:
            guild = discord.Object(id=self.dev_guild)
            self.tree.copy_global_to(guild=guild)
            self._remember(await self.tree.sync(guild=guild))
            log.info("commands synced to development guild %s", self.dev_guild)
            return "guild"
        remote = await self.tree.fetch_commands()
        local: list[dict[str, Any]] = [
            dict(command.to_dict(self.tree)) for command in self.tree.get_commands()
        ]
        if command_shapes(local) == command_shapes([dict(c.to_dict()) for c in remote]):
            self._remember(remote)
            log.info("global commands unchanged; not syncing")
            return "unchanged"
        self._remember(await self.tree.sync())
        log.info("global commands synced")
        return "global"

    def _remember(self, synced: list[app_commands.AppCommand]) -> None:
        # A new dict, not this one changed: embeds made with the ids are kept while it is the
        # same one (`responses._message`).
        self.command_ids = {**self.command_ids, **{command.name: command.id for command in synced}}


_ANSWERING: set[asyncio.Task[None]] = set()


async def _say_restarted(interaction: discord.Interaction) -> None:
    try:
        await interaction.response.send_message(RESTARTED, ephemeral=True)
    except Exception:
        # Any failure (an HTTP error, the interaction already answered, a dropped connection),
        # as discord.py's listeners did: logged, the bot carries on. Left to the task, it was
        # "Task exception was never retrieved" from asyncio, outside the bot's log.
        log.exception("could not tell the user the buttons are from an earlier run")


def caller_of(interaction: discord.Interaction) -> Caller:
    """Who runs a command, and where, as the service knows callers. Editing is a right of the
    deployment: Manage Server, or an editor role, in a guild listed in EDITOR_GUILDS."""
    in_guild = interaction.guild_id is not None
    manager = in_guild and interaction.permissions.manage_guild
    bot = interaction.client
    editor = False
    if isinstance(bot, AgendaBot) and interaction.guild_id in bot.editor_guilds:
        roles = {role.id for role in getattr(interaction.user, "roles", ())}
        editor = manager or bool(roles & bot.editor_roles)
    return Caller(
        owner=f"discord:{interaction.user.id}",
        guild_id=str(interaction.guild_id) if in_guild else None,
        channel_id=str(interaction.channel_id) if interaction.channel_id else None,
        can_manage=manager,
        can_edit=editor,
    )


async def run_after(
    interaction: discord.Interaction, path: str, options: Mapping[str, object], private: bool = True
) -> None:
    """A command that writes to the database, for the caller: acknowledged at once (Discord
    allows three seconds), answered once it is done."""
    bot = interaction.client
    assert isinstance(bot, AgendaBot)
    run = bot.runner.run(path, options, caller_of(interaction), DISCORD_TIMES)
    await answer_after(interaction, run, private)


def command_shapes(payloads: list[dict[str, Any]]) -> list[Any]:
    """What makes two command lists the same for users: names, descriptions, options, choices."""

    def shape(item: dict[str, Any]) -> tuple[Any, ...]:
        return (
            item.get("name"),
            item.get("description"),
            int(item.get("type", 1)),
            bool(item.get("required", False)),
            bool(item.get("autocomplete", False)),
            tuple(sorted((c["name"], str(c["value"])) for c in item.get("choices") or [])),
            tuple(shape(option) for option in item.get("options") or []),
        )

    return sorted(shape(payload) for payload in payloads)


def spec(path: str) -> CommandSpec:
    """A command ("next") or subcommand ("calendar link") of the one command table."""
    name, _, sub = path.partition(" ")
    command = COMMANDS_BY_NAME[name]
    return command.subcommand(sub) or command if sub else command


def spec_options(path: str) -> dict[str, str]:
    """Option descriptions of a command, from the one command table (`bot.core.COMMANDS`)."""
    return {o.name: o.description for o in spec(path).options if o.name != "page"}


def spec_choices(path: str, option: str) -> list[app_commands.Choice[str]]:
    """The choices of an option, from the command table."""
    found = spec(path).option(option)
    assert found is not None, f"/{path} has no option {option}"
    return [app_commands.Choice(name=c.replace("-", " "), value=c) for c in found.choices]


def description(path: str) -> str:
    return spec(path).description
