"""The Discord adapter: slash commands in cogs over the same service as the console."""

from .bot import EXTENSIONS, AgendaBot, AgendaTree, command_shapes
from .embeds import Message, to_message
from .responses import Pager, answer, answer_paged
from .run import build_bot, check_bot, point_at, run_discord, serve
from .times import DISCORD_TIMES, DiscordTimes

__all__ = [
    "DISCORD_TIMES",
    "EXTENSIONS",
    "AgendaBot",
    "AgendaTree",
    "DiscordTimes",
    "Message",
    "Pager",
    "answer",
    "answer_paged",
    "build_bot",
    "check_bot",
    "command_shapes",
    "point_at",
    "run_discord",
    "serve",
    "to_message",
]
