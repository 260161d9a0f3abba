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
    can_edit: bool = False  # may change the agenda (/manage): the operator gives the right

    @property
    def in_console(self) -> bool:
        return self.owner == CONSOLE


CONSOLE_CALLER = Caller(CONSOLE, can_manage=True, can_edit=True)  # the operator
