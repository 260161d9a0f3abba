"""What users do in the fake Discord: slash commands, autocomplete, buttons, selects, modals.

Each action builds the INTERACTION_CREATE a real Discord client would cause, refuses what a real
client could not send (:class:`~.commands.ImpossibleInteraction`), dispatches it on the gateway
and returns an :class:`~.records.InteractionRecord` to await the bot's answer on.
Users and channels may be given as objects, ids or names ("asker", "general").
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from .commands import ImpossibleInteraction
from .payloads import iso_now, user_payload
from .records import InteractionRecord, Reply
from .world import StoredMessage

if TYPE_CHECKING:
    from .commands import CommandStore
    from .gateway import Gateway
    from .interactions import InteractionFactory
    from .messages import Messages
    from .records import Recorder
    from .world import FakeChannel, FakeUser, World

UserRef = Any  # FakeUser | int | str
ChannelRef = Any  # FakeChannel | int | str
MessageRef = Any  # int | dict | InteractionRecord | Reply | StoredMessage


class Actions:
    if TYPE_CHECKING:
        world: World
        recorder: Recorder
        factory: InteractionFactory
        messages: Messages
        gateway: Gateway
        command_store: CommandStore
        interactions: dict[int, InteractionRecord]
        interactions_by_token: dict[str, InteractionRecord]

    # -- the cast ------------------------------------------------------------------------

    @property
    def application_id(self) -> int:
        return self.world.application_id

    @property
    def bot_user_id(self) -> int:
        return self.world.bot.id

    @property
    def guild_id(self) -> int:
        return self.world.guild.id

    def user(self, ref: UserRef) -> FakeUser:
        return self.world.user(ref)

    def channel(self, ref: ChannelRef) -> FakeChannel:
        return self.world.channel(ref)

    def channel_id(self, ref: ChannelRef) -> int:
        return self.world.channel(ref).id

    def dm_channel_id(self, user: UserRef) -> int:
        return self.world.dm_channel(self.world.user(user)).id

    def add_user(
        self, name: str, *, roles: list[int] | None = None, in_guild: bool = True
    ) -> FakeUser:
        """Add a user before the client connects (GUILD_CREATE carries the members)."""
        return self.world.add_user(name, roles=roles, in_guild=in_guild)

    def add_text_channel(self, name: str, **kwargs: Any) -> FakeChannel:
        """Add a text channel before the client connects."""
        return self.world.add_text_channel(name, **kwargs)

    # -- messages ----------------------------------------------------------------------------

    def messages_in(self, channel: ChannelRef, *, include_ephemeral: bool = True) -> list[dict]:
        """Current payloads of the messages in a channel, oldest first (deleted ones left out)."""
        found = self.world.messages_in(self.world.channel(channel).id)
        return [m.payload for m in found if include_ephemeral or m.visible_to is None]

    def message(self, message_id: int) -> dict[str, Any] | None:
        stored = self.messages.find(message_id)
        return None if stored is None else stored.payload

    def stored_message(self, ref: MessageRef) -> StoredMessage:
        if isinstance(ref, InteractionRecord):
            ref = ref.original_message_id
        elif isinstance(ref, Reply):
            ref = (ref.message or {}).get("id")
        elif isinstance(ref, dict):
            ref = ref.get("id")
        elif isinstance(ref, StoredMessage):
            return ref
        stored = self.world.messages.get(int(ref or 0))
        if stored is None:
            raise ImpossibleInteraction(f"no message {ref!r} in the fake Discord")
        return stored

    async def send_message_as(self, user: UserRef, channel: ChannelRef, content: str) -> dict:
        """A user posts a message: stored, and dispatched as MESSAGE_CREATE."""
        author, place = self.world.user(user), self.world.channel(channel)
        payload: dict[str, Any] = {
            "id": str(self.world.snowflakes.next()),
            "type": 0,
            "channel_id": str(place.id),
            "author": user_payload(author),
            "content": content,
            "timestamp": iso_now(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "components": [],
            "pinned": False,
            "flags": 0,
        }
        if place.guild_id is not None:
            payload["guild_id"] = str(place.guild_id)
        now = asyncio.get_running_loop().time()
        self.world.messages[int(payload["id"])] = StoredMessage(payload, place.id, now)
        await self.gateway.dispatch("MESSAGE_CREATE", payload)
        return payload

    # -- interactions --------------------------------------------------------------------------

    async def _send(self, payload: dict[str, Any]) -> InteractionRecord:
        channel_id = int(payload["channel_id"])
        user = payload.get("member", {}).get("user") or payload["user"]
        record = InteractionRecord(
            id=int(payload["id"]),
            token=payload["token"],
            type=payload["type"],
            payload=payload,
            user_id=int(user["id"]),
            channel_id=channel_id,
            guild_id=int(payload["guild_id"]) if "guild_id" in payload else None,
            created=asyncio.get_running_loop().time(),
            recorder=self.recorder,
            since=self.recorder.mark(),
            message_lookup=self.message,
        )
        self.interactions[record.id] = record
        self.interactions_by_token[record.token] = record
        self.recorder.record("interaction", interaction_id=record.id, type=record.type)
        await self.gateway.dispatch("INTERACTION_CREATE", payload)
        return record

    def _place(self, user: UserRef, channel: ChannelRef | None, guild: bool | None):
        who = self.world.user(user)
        if guild is None:
            guild = channel is None or self.world.channel(channel).guild_id is not None
        return who, self.factory.where(who, channel, guild)

    async def send_command(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        user: UserRef = "asker",
        channel: ChannelRef | None = None,
        guild: bool | None = None,
        subcommand: str | None = None,
        strict: bool = True,
    ) -> InteractionRecord:
        """A user runs ``/name`` (``subcommand="sub"`` or ``"group sub"``) with ``options``.

        Option values are converted to the synced option types; users, channels and roles may be
        names or ids and get ``resolved`` data; choice options accept a choice's name or value;
        attachment options take ``(filename, bytes[, content_type])``. ``guild=False`` (or a DM
        channel) sends it from the user's DM with the bot. ``strict=False`` skips the checks a
        Discord client makes (required options, choices, bounds, command visibility).
        """
        who, place = self._place(user, channel, guild)
        payload = self.factory.command(
            name, dict(options or {}), who, place, subcommand=subcommand, strict=strict
        )
        return await self._send(payload)

    async def send_autocomplete(
        self,
        name: str,
        focused: str,
        value: Any,
        options: dict[str, Any] | None = None,
        *,
        user: UserRef = "asker",
        channel: ChannelRef | None = None,
        guild: bool | None = None,
        subcommand: str | None = None,
    ) -> InteractionRecord:
        """The user has typed ``value`` into option ``focused``; ``options`` are the others."""
        who, place = self._place(user, channel, guild)
        values = {**(options or {}), focused: value}
        payload = self.factory.command(
            name, values, who, place, subcommand=subcommand, focused=focused, strict=False
        )
        return await self._send(payload)

    async def press_button(
        self, message: MessageRef, custom_id: str, *, user: UserRef = "asker"
    ) -> InteractionRecord:
        """Click the button ``custom_id`` on a message the bot sent (a message id or payload,
        an :class:`InteractionRecord` for its original response, or a :class:`Reply`)."""
        stored = self.stored_message(message)
        payload = self.factory.component(stored, custom_id, self.world.user(user), None)
        return await self._send(payload)

    async def choose(
        self, message: MessageRef, custom_id: str, values: list[str], *, user: UserRef = "asker"
    ) -> InteractionRecord:
        """Pick ``values`` in the select menu ``custom_id``."""
        stored = self.stored_message(message)
        payload = self.factory.component(stored, custom_id, self.world.user(user), values)
        return await self._send(payload)

    async def submit_modal(
        self, opened_by: InteractionRecord, values: dict[str, Any], *, user: UserRef | None = None
    ) -> InteractionRecord:
        """Fill in and submit the modal the bot answered ``opened_by`` with (callback type 9)."""
        modal = next((r for r in opened_by.callbacks if r.type == 9 and not r.rejected), None)
        if modal is None:
            raise ImpossibleInteraction("the bot did not open a modal for this interaction")
        who = self.world.user(user if user is not None else opened_by.user_id)
        channel = self.world.channels[opened_by.channel_id]
        origin = None
        if "message" in opened_by.payload:
            origin = self.messages.find(int(opened_by.payload["message"]["id"]))
        payload = self.factory.modal_submit(modal.data, values, who, channel, origin)
        return await self._send(payload)
