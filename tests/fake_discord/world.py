"""The fake Discord's state: one application, one guild, its roles, channels, members, DMs and
the messages the bot has sent.

The default world (ids are fixed so failures are readable):

============  ============================================================================
bot           the application's bot user, member of the guild with the "Agenda Bot" role
owner         owns the guild (so has every permission, like on Discord)
manager       has the "Managers" role, which grants Manage Server
asker         a plain member (no Manage Server)
stranger      another plain member, for "only the asker may press this" tests
#general      text channel everyone (and the bot) can read and write
#agenda       second text channel, same permissions
#staff        hidden from @everyone, visible to "Managers"; the bot cannot see it
============  ============================================================================

Permissions are computed the way Discord does (base from roles, Administrator and ownership
grant all, then @everyone / role / member overwrites), because discord.py does not compute
``interaction.permissions`` itself: it reads ``member.permissions`` from the interaction payload.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .payloads import Perm, Snowflakes, iso_now

GUILD_ID = 1_100_000_000_000_000_001
APPLICATION_ID = 1_100_000_000_000_000_100
USER_IDS = {
    "bot": APPLICATION_ID,  # like on Discord, the bot user id equals the application id
    "owner": 1_100_000_000_000_000_201,
    "manager": 1_100_000_000_000_000_202,
    "asker": 1_100_000_000_000_000_203,
    "stranger": 1_100_000_000_000_000_204,
}
MANAGERS_ROLE_ID = 1_100_000_000_000_000_301
BOT_ROLE_ID = 1_100_000_000_000_000_302
CHANNEL_IDS = {
    "general": 1_100_000_000_000_000_401,
    "agenda": 1_100_000_000_000_000_402,
    "staff": 1_100_000_000_000_000_403,
}
BOT_PERMISSIONS = (
    Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.READ_MESSAGE_HISTORY
    | Perm.ADD_REACTIONS
    | Perm.USE_EXTERNAL_EMOJIS
    | Perm.USE_APPLICATION_COMMANDS
    | Perm.SEND_MESSAGES_IN_THREADS
)


@dataclass
class FakeUser:
    id: int
    name: str
    bot: bool = False
    global_name: str | None = None
    role_ids: list[int] = field(default_factory=list)
    dms_open: bool = True  # False: sending a DM answers 403 code 50007, as on Discord
    joined_at: str = field(default_factory=iso_now)


@dataclass
class FakeRole:
    id: int
    name: str
    permissions: int
    position: int = 0
    managed: bool = False
    bot_id: int | None = None


@dataclass
class FakeChannel:
    id: int
    name: str
    type: int = 0  # 0 guild text, 1 DM
    guild_id: int | None = GUILD_ID
    position: int = 0
    topic: str | None = None
    overwrites: list[dict[str, Any]] = field(default_factory=list)
    recipient_id: int | None = None  # DMs only


@dataclass
class FakeGuild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, FakeRole] = field(default_factory=dict)
    member_ids: list[int] = field(default_factory=list)


@dataclass
class StoredMessage:
    """A message in the fake: its current payload plus what Discord knows about it."""

    payload: dict[str, Any]
    channel_id: int
    created: float  # loop time
    interaction_id: int | None = None
    visible_to: int | None = None  # ephemeral messages: the one user who sees them
    nonce: str | None = None
    deleted: bool = False
    history: list[dict[str, Any]] = field(default_factory=list)  # earlier versions

    @property
    def id(self) -> int:
        return int(self.payload["id"])


class World:
    """All the state; REST and gateway handlers read and change it."""

    def __init__(self, token: str, snowflakes: Snowflakes) -> None:
        self.token = token
        self.snowflakes = snowflakes
        self.application_id = APPLICATION_ID
        self.application_flags = 0
        self.users: dict[int, FakeUser] = {}
        self.channels: dict[int, FakeChannel] = {}
        self.messages: dict[int, StoredMessage] = {}
        self.scheduled_events: dict[int, Any] = {}  # id -> FakeScheduledEvent
        # What Discord takes for now (events may not start in the past); tests living at another
        # date set it to their clock.
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.guild = FakeGuild(GUILD_ID, "Fake Agenda Guild", owner_id=USER_IDS["owner"])
        roles = [
            FakeRole(GUILD_ID, "@everyone", Perm.EVERYONE),
            FakeRole(MANAGERS_ROLE_ID, "Managers", Perm.EVERYONE | Perm.MANAGE_GUILD, 1),
            FakeRole(BOT_ROLE_ID, "Agenda Bot", BOT_PERMISSIONS, 2, True, APPLICATION_ID),
        ]
        self.guild.roles = {role.id: role for role in roles}
        self.add_user("bot", bot=True, roles=[BOT_ROLE_ID], global_name="Agenda Bot")
        self.add_user("owner")
        self.add_user("manager", roles=[MANAGERS_ROLE_ID])
        self.add_user("asker")
        self.add_user("stranger")
        self.add_text_channel("general")
        self.add_text_channel("agenda")
        hidden = [
            {"id": str(GUILD_ID), "type": 0, "allow": "0", "deny": str(Perm.VIEW_CHANNEL)},
            {"id": str(MANAGERS_ROLE_ID), "type": 0, "allow": str(Perm.VIEW_CHANNEL), "deny": "0"},
        ]
        self.add_text_channel("staff", overwrites=hidden)

    # -- building -----------------------------------------------------------------------

    def add_user(
        self,
        name: str,
        *,
        bot: bool = False,
        roles: list[int] | None = None,
        in_guild: bool = True,
        global_name: str | None = None,
    ) -> FakeUser:
        user_id = USER_IDS.get(name) or self.snowflakes.next()
        user = FakeUser(user_id, name, bot=bot, role_ids=list(roles or []), global_name=global_name)
        self.users[user.id] = user
        if in_guild:
            self.guild.member_ids.append(user.id)
        return user

    def add_text_channel(
        self, name: str, *, overwrites: list[dict[str, Any]] | None = None, topic: str | None = None
    ) -> FakeChannel:
        channel_id = CHANNEL_IDS.get(name) or self.snowflakes.next()
        position = len(self.guild_channels())
        channel = FakeChannel(channel_id, name, position=position, topic=topic)
        channel.overwrites = list(overwrites or [])
        self.channels[channel.id] = channel
        return channel

    def dm_channel(self, user: FakeUser) -> FakeChannel:
        """The DM channel between the bot and ``user``, created on first use (like Discord)."""
        for channel in self.channels.values():
            if channel.guild_id is None and channel.recipient_id == user.id:
                return channel
        channel = FakeChannel(self.snowflakes.next(), "", 1, None, recipient_id=user.id)
        self.channels[channel.id] = channel
        return channel

    # -- lookups ------------------------------------------------------------------------

    @property
    def bot(self) -> FakeUser:
        return self.users[USER_IDS["bot"]]

    def user(self, ref: FakeUser | int | str) -> FakeUser:
        """A user by object, id or name ("asker")."""
        if isinstance(ref, FakeUser):
            return ref
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            return self.users[int(ref)]
        for user in self.users.values():
            if user.name == ref:
                return user
        raise KeyError(f"no user {ref!r} in the fake Discord")

    def channel(self, ref: FakeChannel | int | str) -> FakeChannel:
        """A channel by object, id or name ("general", "#general")."""
        if isinstance(ref, FakeChannel):
            return ref
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            return self.channels[int(ref)]
        for channel in self.channels.values():
            if channel.guild_id is not None and channel.name == ref.lstrip("#"):
                return channel
        raise KeyError(f"no channel {ref!r} in the fake Discord")

    def guild_channels(self) -> list[FakeChannel]:
        return [ch for ch in self.channels.values() if ch.guild_id is not None]

    def is_member(self, user: FakeUser) -> bool:
        return user.id in self.guild.member_ids

    # -- permissions --------------------------------------------------------------------

    def base_permissions(self, user: FakeUser) -> int:
        if user.id == self.guild.owner_id:
            return Perm.ALL
        perms = self.guild.roles[self.guild.id].permissions
        for role_id in user.role_ids:
            perms |= self.guild.roles[role_id].permissions
        return Perm.ALL if perms & Perm.ADMINISTRATOR else perms

    def permissions_in(self, user: FakeUser, channel: FakeChannel) -> int:
        """Discord's algorithm: base permissions, then @everyone, role and member overwrites."""
        if channel.guild_id is None:
            return Perm.DM
        perms = self.base_permissions(user)
        if perms & Perm.ADMINISTRATOR or user.id == self.guild.owner_id:
            return Perm.ALL
        overwrites = {(o["type"], int(o["id"])): o for o in channel.overwrites}
        everyone = overwrites.get((0, self.guild.id))
        if everyone:
            perms = (perms & ~int(everyone["deny"])) | int(everyone["allow"])
        allow = deny = 0
        for role_id in user.role_ids:
            role_overwrite = overwrites.get((0, role_id))
            if role_overwrite:
                allow |= int(role_overwrite["allow"])
                deny |= int(role_overwrite["deny"])
        perms = (perms & ~deny) | allow
        member = overwrites.get((1, user.id))
        if member:
            perms = (perms & ~int(member["deny"])) | int(member["allow"])
        return perms if perms & Perm.VIEW_CHANNEL else 0

    # -- messages -----------------------------------------------------------------------

    def messages_in(self, channel_id: int, *, include_deleted: bool = False) -> list[StoredMessage]:
        return [
            m
            for m in self.messages.values()
            if m.channel_id == channel_id and (include_deleted or not m.deleted)
        ]
