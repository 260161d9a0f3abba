"""Discord JSON shapes, built the way discord.py 2.7 parses them.

Every builder here returns a plain dict in the wire format of the Discord API v10. The fields are
the ones discord.py reads with ``data[...]`` (a missing one is a ``KeyError`` inside the client):

- user (``user.py`` ``BaseUser._update``): ``id``, ``username``, ``discriminator``, ``avatar``.
- member (``member.py`` ``Member.__init__``): ``user``, ``roles``, ``flags`` (required since 2.2),
  ``joined_at``; ``permissions`` is what ``Interaction.permissions`` reads.
- role (``role.py`` ``Role._update``): ``id``, ``name``; ``permissions`` is a decimal string.
- text channel (``channel.py`` ``TextChannel._update``): ``name``, ``position``, ``type``.
- message (``message.py`` ``Message.__init__``): ``id``, ``type``, ``content``, ``channel_id``;
  ``author`` is needed by nearly everything that touches a message.
- attachment (``message.py`` ``Attachment``): ``id``, ``size``, ``filename``, ``url``,
  ``proxy_url``.
- application (``appinfo.py`` ``AppInfo.__init__``, fetched at login by ``Client.login``):
  ``id``, ``name``, ``description``, ``icon``, ``bot_public``, ``bot_require_code_grant``,
  ``owner``, ``verify_key``.
"""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .world import FakeChannel, FakeRole, FakeUser, World

DISCORD_EPOCH_MS = 1420070400000
JSON = "application/json"


class Perm:
    """Permission bits (https://discord.com/developers/docs/topics/permissions)."""

    CREATE_INSTANT_INVITE = 1 << 0
    ADMINISTRATOR = 1 << 3
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    CHANGE_NICKNAME = 1 << 26
    USE_APPLICATION_COMMANDS = 1 << 31
    MANAGE_EVENTS = 1 << 33
    CREATE_PUBLIC_THREADS = 1 << 35
    SEND_MESSAGES_IN_THREADS = 1 << 38
    USE_EXTERNAL_APPS = 1 << 50
    ALL = (1 << 53) - 1  # discord.Permissions.all() in 2.7

    #: What @everyone may do in the default guild.
    EVERYONE = (
        CREATE_INSTANT_INVITE
        | ADD_REACTIONS
        | VIEW_CHANNEL
        | SEND_MESSAGES
        | EMBED_LINKS
        | ATTACH_FILES
        | READ_MESSAGE_HISTORY
        | USE_EXTERNAL_EMOJIS
        | CHANGE_NICKNAME
        | USE_APPLICATION_COMMANDS
        | CREATE_PUBLIC_THREADS
        | SEND_MESSAGES_IN_THREADS
        | USE_EXTERNAL_APPS
    )
    #: What a bot may do in a DM (Discord sends these as ``app_permissions`` there).
    DM = (
        ADD_REACTIONS
        | VIEW_CHANNEL
        | SEND_MESSAGES
        | EMBED_LINKS
        | ATTACH_FILES
        | READ_MESSAGE_HISTORY
        | USE_EXTERNAL_EMOJIS
        | USE_APPLICATION_COMMANDS
    )


class Snowflakes:
    """Real-looking, strictly increasing snowflakes (discord.py derives ``created_at`` from them,
    and ``HTTPClient.delete_message`` compares a message id's age with the clock)."""

    def __init__(self) -> None:
        self._last = 0
        self._counter = itertools.count()

    def next(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        value = (ms << 22) | (1 << 17) | (next(self._counter) & 0xFFF)
        self._last = value = max(value, self._last + 1)
        return value


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


def user_payload(user: FakeUser) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "username": user.name,
        "global_name": user.global_name,
        "discriminator": "0",
        "avatar": None,
        "bot": user.bot,
        "system": False,
        "public_flags": 0,
        "flags": 0,
    }


def role_payload(role: FakeRole) -> dict[str, Any]:
    return {
        "id": str(role.id),
        "name": role.name,
        "permissions": str(role.permissions),
        "position": role.position,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "managed": role.managed,
        "mentionable": False,
        "icon": None,
        "unicode_emoji": None,
        "flags": 0,
        **({"tags": {"bot_id": str(role.bot_id)}} if role.bot_id else {}),
    }


def member_payload(
    world: World, user: FakeUser, *, permissions: int | None = None, with_user: bool = True
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "roles": [str(role_id) for role_id in user.role_ids],
        "nick": None,
        "avatar": None,
        "banner": None,
        "joined_at": user.joined_at,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,  # discord.py: Member.__init__ reads data['flags'] unconditionally
        "communication_disabled_until": None,
    }
    if with_user:
        data["user"] = user_payload(user)
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def channel_payload(
    world: World, channel: FakeChannel, *, permissions: int | None = None
) -> dict[str, Any]:
    if channel.guild_id is None:  # a DM channel (type 1)
        recipient = world.users[channel.recipient_id or 0]
        data: dict[str, Any] = {
            "id": str(channel.id),
            "type": 1,
            "last_message_id": None,
            "flags": 0,
            "recipients": [user_payload(recipient)],
        }
    else:
        data = {
            "id": str(channel.id),
            "type": channel.type,
            "guild_id": str(channel.guild_id),
            "name": channel.name,
            "position": channel.position,
            "parent_id": None,
            "topic": channel.topic,
            "nsfw": False,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
            "permission_overwrites": [dict(o) for o in channel.overwrites],
        }
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def guild_payload(world: World, *, for_gateway: bool = True) -> dict[str, Any]:
    guild = world.guild
    data: dict[str, Any] = {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "owner_id": str(guild.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": [role_payload(role) for role in guild.roles.values()],
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "vanity_url_code": None,
        "description": None,
        "banner": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
    }
    if for_gateway:  # the GUILD_CREATE extras
        data.update(
            joined_at=world.bot.joined_at,
            large=False,
            unavailable=False,
            member_count=len(guild.member_ids),
            voice_states=[],
            members=[member_payload(world, world.users[uid]) for uid in guild.member_ids],
            channels=[channel_payload(world, ch) for ch in world.guild_channels()],
            threads=[],
            presences=[],
            stage_instances=[],
            guild_scheduled_events=[
                e.payload() for e in world.scheduled_events.values() if e.status in (1, 2)
            ],
            soundboard_sounds=[],
        )
    return data


def application_payload(world: World) -> dict[str, Any]:
    """``GET /oauth2/applications/@me``: ``Client.login`` builds an ``AppInfo`` from it."""
    return {
        "id": str(world.application_id),
        "name": world.bot.name,
        "icon": None,
        "description": "An application served by the fake Discord.",
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "owner": user_payload(world.users[world.guild.owner_id]),
        "team": None,
        "flags": world.application_flags,
        "summary": "",
        "interactions_endpoint_url": None,  # not None would make discord.py warn at login
        "redirect_uris": [],
        "tags": [],
        "approximate_guild_count": 1,
        "bot": user_payload(world.bot),
        "integration_types_config": {"0": {}, "1": {}},
    }


def attachment_payload(
    attachment_id: int, filename: str, size: int, content_type: str, url: str, **extra: Any
) -> dict[str, Any]:
    return {
        "id": str(attachment_id),
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url,
        "content_type": content_type,
        **extra,
    }
