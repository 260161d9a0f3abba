"""INTERACTION_CREATE payloads, as discord.py reads them (``Interaction._from_data``).

Required there: ``id``, ``type``, ``token``, ``version``, ``application_id`` and
``attachment_size_limit`` (read with ``data[...]`` since 2.5). In a guild: ``guild_id`` and
``member`` (a full member with ``flags``; its ``permissions`` string *is*
``interaction.permissions``, discord.py does not compute it), plus ``app_permissions``. In a DM:
no ``guild_id``, a ``user`` instead of ``member``, and a ``channel`` of type 1 with
``recipients``. Component interactions carry the ``message`` the component is on;
``ViewStore.dispatch_view`` finds the view by that message id and ``data.custom_id``.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from .commands import ImpossibleInteraction, OptionBuilder
from .messages import ATTACHMENT_SIZE_LIMIT, EPHEMERAL
from .payloads import Perm, channel_payload, member_payload, user_payload
from .records import walk_components

if TYPE_CHECKING:
    from .commands import CommandStore
    from .messages import CDN
    from .world import FakeChannel, FakeUser, StoredMessage, World

COMMAND, COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5
SELECT_TYPES = (3, 5, 6, 7, 8)


class InteractionFactory:
    def __init__(self, world: World, commands: CommandStore, cdn: CDN) -> None:
        self.world = world
        self.commands = commands
        self.cdn = cdn

    def where(
        self, user: FakeUser, channel: FakeChannel | int | str | None, guild: bool
    ) -> FakeChannel:
        """The channel an interaction comes from, checked for what the user can see."""
        world = self.world
        if not guild:
            dm = world.dm_channel(user)
            if channel is not None and world.channel(channel).id != dm.id:
                raise ImpossibleInteraction(f"{user.name} can only use their own DM with the bot")
            return dm
        place = world.channel(channel if channel is not None else "general")
        if place.guild_id is None:
            raise ImpossibleInteraction("guild=True needs a guild channel, not a DM")
        if not world.is_member(user):
            raise ImpossibleInteraction(f"{user.name} is not a member of the guild")
        if not world.permissions_in(user, place) & Perm.VIEW_CHANNEL:
            raise ImpossibleInteraction(f"{user.name} cannot see #{place.name}")
        return place

    def envelope(
        self, kind: int, data: dict[str, Any], user: FakeUser, channel: FakeChannel
    ) -> dict[str, Any]:
        world = self.world
        in_guild = channel.guild_id is not None
        perms = world.permissions_in(user, channel)
        app_perms = world.permissions_in(world.bot, channel)
        payload: dict[str, Any] = {
            "id": str(world.snowflakes.next()),
            "application_id": str(world.application_id),
            "type": kind,
            "data": data,
            "token": "fake-" + secrets.token_urlsafe(24),
            "version": 1,
            "locale": "en-US",
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "channel_id": str(channel.id),
            "channel": channel_payload(world, channel, permissions=perms if in_guild else None),
            "app_permissions": str(app_perms),
            "context": 0 if in_guild else 1,
        }
        if in_guild:
            payload["guild_id"] = str(world.guild.id)
            payload["guild"] = {"id": str(world.guild.id), "locale": "en-US", "features": []}
            payload["guild_locale"] = "en-US"
            payload["member"] = member_payload(world, user, permissions=perms)
            payload["authorizing_integration_owners"] = {"0": str(world.guild.id)}
        else:
            payload["user"] = user_payload(user)
            payload["authorizing_integration_owners"] = {"0": str(world.guild.id)}
        return payload

    def command(
        self,
        name: str,
        options: dict[str, Any],
        user: FakeUser,
        channel: FakeChannel,
        *,
        subcommand: str | None,
        focused: str | None = None,
        strict: bool = True,
    ) -> dict[str, Any]:
        in_guild = channel.guild_id is not None
        guild_id = self.world.guild.id if in_guild else None
        command = self.commands.find(name, guild_id=guild_id)
        if strict:
            self.commands.check_available(command, user, in_guild=in_guild)
        builder = OptionBuilder(
            self.world, user, in_guild=in_guild, strict=strict, store_attachment=self.cdn.store
        )
        path = subcommand.split() if subcommand else []
        definitions, wrap = builder.subcommand_path(command.get("options") or [], path)
        if focused is not None:
            target = next((d for d in definitions if d["name"] == focused), None)
            if target is None or not target.get("autocomplete"):
                raise ImpossibleInteraction(f"option {focused!r} of /{name} has no autocomplete")
        data: dict[str, Any] = {
            "id": command["id"],
            "name": name,
            "type": 1,
            "options": wrap(builder.build(definitions, options, focused=focused)),
        }
        if builder.resolved:
            data["resolved"] = builder.resolved
        if "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        kind = AUTOCOMPLETE if focused is not None else COMMAND
        return self.envelope(kind, data, user, channel)

    def component(
        self,
        stored: StoredMessage,
        custom_id: str,
        user: FakeUser,
        values: list[str] | None,
    ) -> dict[str, Any]:
        if stored.deleted:
            raise ImpossibleInteraction("the message was deleted")
        if stored.visible_to is not None and stored.visible_to != user.id:
            raise ImpossibleInteraction(f"{user.name} cannot see this ephemeral message")
        found = next(
            (
                c
                for c in walk_components(stored.payload["components"])
                if c.get("custom_id") == custom_id
            ),
            None,
        )
        if found is None:
            present = [
                c["custom_id"]
                for c in walk_components(stored.payload["components"])
                if "custom_id" in c
            ]
            raise ImpossibleInteraction(f"no component {custom_id!r} on the message; has {present}")
        if found.get("disabled"):
            raise ImpossibleInteraction(f"component {custom_id!r} is disabled")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": found["type"]}
        if found["type"] in SELECT_TYPES:
            data["values"] = list(values or [])
            if found["type"] == 3:
                allowed = {o["value"] for o in found.get("options") or []}
                if not set(data["values"]) <= allowed:
                    raise ImpossibleInteraction(f"values {values} are not among {sorted(allowed)}")
        channel = self.world.channels[stored.channel_id]
        payload = self.envelope(COMPONENT, data, user, channel)
        payload["message"] = stored.payload
        return payload

    def modal_submit(
        self,
        modal: dict[str, Any],
        values: dict[str, Any],
        user: FakeUser,
        channel: FakeChannel,
        origin: StoredMessage | None,
    ) -> dict[str, Any]:
        """The submit of a modal the bot opened (callback type 9), with the user's inputs."""
        unknown = set(values) - {
            c["custom_id"] for c in walk_components(modal["components"]) if "custom_id" in c
        }
        if unknown:
            raise ImpossibleInteraction(f"the modal has no inputs {sorted(unknown)}")

        def submitted(component: dict[str, Any]) -> dict[str, Any]:
            kind = component["type"]
            if kind == 1:
                return {"type": 1, "components": [submitted(c) for c in component["components"]]}
            if kind == 18:
                return {"type": 18, "component": submitted(component["component"])}
            custom_id = component.get("custom_id")
            if custom_id is None:
                return {"type": kind}
            if kind == 4:
                value = values.get(custom_id, component.get("value") or "")
                if component.get("required", True) and not value:
                    raise ImpossibleInteraction(f"text input {custom_id!r} is required")
                return {"type": 4, "custom_id": custom_id, "value": str(value)}
            return {"type": kind, "custom_id": custom_id, "values": list(values.get(custom_id, []))}

        data = {
            "custom_id": modal["custom_id"],
            "components": [submitted(c) for c in modal["components"]],
        }
        payload = self.envelope(MODAL_SUBMIT, data, user, channel)
        if origin is not None:
            payload["message"] = origin.payload
        return payload


def is_ephemeral(data: dict[str, Any]) -> bool:
    return bool(int(data.get("flags") or 0) & EPHEMERAL)
