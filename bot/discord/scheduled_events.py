"""A server's scheduled events over REST (the mirror's board), and the Interested presses from
the gateway.

discord.py drops GUILD_SCHEDULED_EVENT_USER_ADD/REMOVE when the user is not in its cache, which
without the privileged members intent is nearly always; `watch_interest` reads those two events
before its parsers do."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import aiohttp
import discord

from bot.core.mirroring import EventShape, EventStatus, RemoteEvent
from bot.service import BoardError

if TYPE_CHECKING:
    from .bot import AgendaBot

log = logging.getLogger(__name__)
STATUS_CODES = {
    EventStatus.SCHEDULED: 1,
    EventStatus.ACTIVE: 2,
    EventStatus.COMPLETED: 3,
    EventStatus.CANCELED: 4,
}
STATUSES = {code: status for status, code in STATUS_CODES.items()}
EXTERNAL = 3
GUILD_ONLY = 2
USERS_PER_PAGE = 100
REASON = "the agenda's mirror (/events)"
MISSING_PERMISSION_CODES = (50001, 50013)  # Missing Access, Missing Permissions
UNKNOWN_EVENT = 10070


class DiscordEventBoard:
    """The mirror's board on Discord: discord.py's REST client, which waits out rate limits."""

    def __init__(self, bot: AgendaBot) -> None:
        self.bot = bot

    @property
    def _me(self) -> int | None:
        return self.bot.user.id if self.bot.user is not None else self.bot.application_id

    async def listed(self, guild_id: str) -> list[RemoteEvent]:
        found = await _call(self.bot.http.get_scheduled_events(int(guild_id), False))
        me = self._me
        return [_remote(data, me) for data in found]

    async def create(self, guild_id: str, shape: EventShape) -> str:
        created = await _call(
            self.bot.http.create_guild_scheduled_event(
                int(guild_id), reason=REASON, **_payload(shape), privacy_level=GUILD_ONLY
            )
        )
        return str(created["id"])

    async def edit(
        self,
        guild_id: str,
        event_id: str,
        shape: EventShape | None = None,
        status: EventStatus | None = None,
    ) -> None:
        payload: dict[str, Any] = _payload(shape) if shape is not None else {}
        if status is not None:
            payload["status"] = STATUS_CODES[status]
        await _call(
            self.bot.http.edit_scheduled_event(
                int(guild_id), int(event_id), reason=REASON, **payload
            )
        )

    async def delete(self, guild_id: str, event_id: str) -> None:
        await _call(
            self.bot.http.delete_scheduled_event(int(guild_id), int(event_id), reason=REASON)
        )

    async def interested(self, guild_id: str, event_id: str) -> list[str]:
        users: list[str] = []
        after: int | None = None
        while True:
            page = await _call(
                self.bot.http.get_scheduled_event_users(
                    int(guild_id), int(event_id), USERS_PER_PAGE, False, after=after
                )
            )
            ids = [int(entry["user"]["id"]) for entry in page]
            users += [str(user) for user in ids]
            if len(ids) < USERS_PER_PAGE:
                return users
            after = max(ids)

    async def tell(self, channel_id: str, text: str) -> None:
        channel = self.bot.get_partial_messageable(int(channel_id))
        await _call(channel.send(text, allowed_mentions=discord.AllowedMentions.none()))


async def _call(request: Awaitable[Any]) -> Any:
    """A REST call; Discord's refusals as the mirror understands them."""
    try:
        return await request
    except discord.Forbidden as problem:
        raise BoardError(problem.text, permission=problem.code in MISSING_PERMISSION_CODES) from (
            problem
        )
    except discord.NotFound as problem:
        raise BoardError(problem.text, gone=problem.code == UNKNOWN_EVENT) from problem
    except discord.DiscordServerError as problem:
        raise BoardError(f"Discord answered {problem.status}") from problem
    except discord.HTTPException as problem:
        raise BoardError(problem.text or str(problem), refused=problem.status == 400) from problem
    except (aiohttp.ClientError, TimeoutError) as problem:
        raise BoardError(f"Discord could not be reached: {problem}") from problem


def _payload(shape: EventShape) -> dict[str, Any]:
    return {
        "name": shape.name,
        "description": shape.description,
        "entity_type": EXTERNAL,
        "entity_metadata": {"location": shape.location},
        "scheduled_start_time": shape.start.isoformat(),
        "scheduled_end_time": shape.end.isoformat(),
    }


def _remote(data: dict[str, Any], me: int | None) -> RemoteEvent:
    end = data.get("scheduled_end_time")
    return RemoteEvent(
        str(data["id"]),
        data.get("name") or "",
        data.get("description") or "",
        (data.get("entity_metadata") or {}).get("location") or "",
        datetime.fromisoformat(data["scheduled_start_time"]),
        datetime.fromisoformat(end) if end else None,
        STATUSES.get(int(data.get("status", 1)), EventStatus.SCHEDULED),
        me is not None and str(data.get("creator_id")) == str(me),
    )


def watch_interest(bot: discord.Client, handle: Callable[[dict[str, Any], bool], None]) -> None:
    """Call `handle(data, added)` with every Interested press, before discord.py's parser
    (which drops presses by users it has not cached)."""
    parsers: dict[str, Callable[[dict[str, Any]], None]] = bot._connection.parsers
    for event, added in (
        ("GUILD_SCHEDULED_EVENT_USER_ADD", True),
        ("GUILD_SCHEDULED_EVENT_USER_REMOVE", False),
    ):
        original = parsers[event]

        def parse(
            data: dict[str, Any],
            original: Callable[[dict[str, Any]], None] = original,
            added: bool = added,
        ) -> None:
            handle(data, added)
            original(data)

        parsers[event] = parse
