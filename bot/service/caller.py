"""Who runs a command, and where."""

from __future__ import annotations

from dataclasses import dataclass

CONSOLE = "console"


@dataclass(frozen=True, slots=True)
class Caller:
    """Who runs a command, and where: the console user, or a Discord user in a channel."""

    owner: str  # "discord:<user id>" or "console"
    guild_id: str | None = None
    channel_id: str | None = None
    can_manage: bool = False  # Manage Server in this guild

    @property
    def in_console(self) -> bool:
        return self.owner == CONSOLE


CONSOLE_CALLER = Caller(CONSOLE, can_manage=True)
