"""The port through which the service reaches a server's scheduled events (Discord's, over
REST, in the Discord adapter), and what its refusals mean."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Protocol

from bot.core.mirroring import EventShape, EventStatus, RemoteEvent


class BoardError(Exception):
    """Discord refused or could not be reached. `permission`: the bot lacks Manage Events (the
    mirror stops until an admin turns it on again); `gone`: the event no longer exists;
    `refused`: Discord will not take what was sent (retrying it the same is pointless)."""

    def __init__(
        self, message: str, *, permission: bool = False, gone: bool = False, refused: bool = False
    ) -> None:
        super().__init__(message)
        self.permission = permission
        self.gone = gone
        self.refused = refused


class EventBoard(Protocol):
    """A server's scheduled events."""

    async def listed(self, guild_id: str) -> list[RemoteEvent]: ...

    async def create(self, guild_id: str, shape: EventShape) -> str: ...

    async def edit(
        self,
        guild_id: str,
        event_id: str,
        shape: EventShape | None = None,
        status: EventStatus | None = None,
    ) -> None: ...

    async def delete(self, guild_id: str, event_id: str) -> None: ...

    async def interested(self, guild_id: str, event_id: str) -> list[str]: ...

    async def tell(self, channel_id: str, text: str) -> None: ...


class Gone(Exception):
    """The event asked for no longer exists."""


async def unless_gone(call: Awaitable[None]) -> None:
    """Await a board call; an event that no longer exists raises `Gone`."""
    try:
        await call
    except BoardError as problem:
        if problem.gone:
            raise Gone from problem
        raise
