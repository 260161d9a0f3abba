"""Application commands: what the bot synced, and the options a user's invocation carries.

discord.py side (``app_commands/tree.py``): ``CommandTree.sync`` does ``PUT
/applications/{app}/commands`` (or ``.../guilds/{guild}/commands``) with every command's
``to_dict`` and builds ``AppCommand`` objects from the answer, which therefore needs ``id``,
``application_id``, ``name``, ``description`` (``app_commands/models.py``). On an interaction,
``CommandTree._get_app_command_options`` finds the command by ``data["name"]`` in the guild
commands of ``data["guild_id"]`` (so the fake sends ``guild_id`` inside ``data`` for guild
commands, as Discord does) or else the global ones; subcommands and groups are options of type 1
and 2; ``Namespace`` reads ``value`` for types 3, 4, 5, 10 and looks up ``resolved`` for users,
channels, roles, mentionables and attachments.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .limits import check_commands
from .payloads import Perm, channel_payload, member_payload, role_payload, user_payload

if TYPE_CHECKING:
    from .world import FakeUser, World

GUILD_CONTEXT, BOT_DM_CONTEXT = 0, 1


class ImpossibleInteraction(AssertionError):
    """A real Discord client could not send this (unknown command or option, a required option
    left out, a value outside the choices or bounds, a command hidden from this user)."""


class CommandStore:
    """Synced commands per scope: ``None`` for global, else a guild id."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.scopes: dict[int | None, list[dict[str, Any]]] = {}
        self.sync_calls: Counter[int | None] = Counter()

    def commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        return list(self.scopes.get(guild_id, []))

    def _stored(self, command: dict[str, Any], scope: int | None, old: dict | None) -> dict:
        world = self.world
        perms = command.get("default_member_permissions")
        stored = {
            "type": 1,
            "options": [],
            "nsfw": False,
            "dm_permission": True,
            "contexts": None,
            "integration_types": [0],
            **command,
            "id": old["id"] if old else str(world.snowflakes.next()),
            "application_id": str(world.application_id),
            "version": str(world.snowflakes.next()),
            "default_member_permissions": None if perms is None else str(perms),
        }
        if scope is not None:
            stored["guild_id"] = str(scope)
        return stored

    def overwrite(self, scope: int | None, commands: list[dict[str, Any]]) -> list[dict]:
        """Bulk overwrite, keeping ids of commands that keep their name and type."""
        check_commands(commands)
        self.sync_calls[scope] += 1
        old = {(c["name"], c["type"]): c for c in self.scopes.get(scope, [])}
        self.scopes[scope] = [
            self._stored(c, scope, old.get((c["name"], int(c.get("type") or 1)))) for c in commands
        ]
        return self.scopes[scope]

    def upsert(self, scope: int | None, command: dict[str, Any]) -> dict[str, Any]:
        check_commands([command])
        current = self.scopes.setdefault(scope, [])
        key = (command["name"], int(command.get("type") or 1))
        old = next((c for c in current if (c["name"], c["type"]) == key), None)
        stored = self._stored(command, scope, old)
        if old:
            current[current.index(old)] = stored
        else:
            current.append(stored)
        return stored

    def delete(self, scope: int | None, command_id: str) -> bool:
        current = self.scopes.get(scope, [])
        kept = [c for c in current if c["id"] != command_id]
        self.scopes[scope] = kept
        return len(kept) != len(current)

    def find(self, name: str, *, guild_id: int | None, kind: int = 1) -> dict[str, Any]:
        """The command a user would pick: the guild's own first, then the global one."""
        scopes: list[int | None] = [guild_id, None] if guild_id is not None else [None]
        for scope in scopes:
            for command in self.scopes.get(scope, []):
                if command["name"] == name and int(command["type"]) == kind:
                    return command
        known = sorted({c["name"] for s in scopes for c in self.scopes.get(s, [])})
        where = "in the guild" if guild_id else "in DMs (only global commands are)"
        raise ImpossibleInteraction(f"no synced command /{name} {where}; synced: {known}")

    def check_available(self, command: dict[str, Any], user: FakeUser, *, in_guild: bool) -> None:
        """Discord only shows a command where its contexts and default permissions allow."""
        contexts = command.get("contexts")
        context = GUILD_CONTEXT if in_guild else BOT_DM_CONTEXT
        if contexts is not None and context not in contexts:
            raise ImpossibleInteraction(f"/{command['name']} is not offered in context {context}")
        if not in_guild and contexts is None and command.get("dm_permission") is False:
            raise ImpossibleInteraction(f"/{command['name']} is guild-only (dm_permission false)")
        required = command.get("default_member_permissions")
        if in_guild and required is not None:
            perms = self.world.base_permissions(user)
            if not perms & Perm.ADMINISTRATOR and perms & int(required) != int(required):
                raise ImpossibleInteraction(
                    f"/{command['name']} is hidden from {user.name}: needs permissions {required}"
                )


class OptionBuilder:
    """Turns ``{"name": value}`` into typed interaction options plus ``resolved`` data."""

    def __init__(
        self,
        world: World,
        user: FakeUser,
        *,
        in_guild: bool,
        strict: bool,
        store_attachment: Callable[[str, bytes, str], dict[str, Any]],
    ) -> None:
        self.world = world
        self.user = user
        self.in_guild = in_guild
        self.strict = strict
        self.store_attachment = store_attachment
        self.resolved: dict[str, dict[str, Any]] = {}

    def subcommand_path(
        self, definitions: list[dict[str, Any]], path: list[str]
    ) -> tuple[list[dict[str, Any]], Callable[[list[dict[str, Any]]], list[dict[str, Any]]]]:
        """Descend "group sub" into nested definitions; return them and a wrapper for options."""
        wrappers: list[dict[str, Any]] = []
        for name in path:
            found = next(
                (d for d in definitions if d["name"] == name and d["type"] in (1, 2)), None
            )
            if found is None:
                raise ImpossibleInteraction(f"no subcommand (group) {name!r}")
            wrappers.append({"type": found["type"], "name": name})
            definitions = found.get("options") or []
        if any(d.get("type") in (1, 2) for d in definitions):
            raise ImpossibleInteraction("a command with subcommands needs subcommand=")

        def wrap(options: list[dict[str, Any]]) -> list[dict[str, Any]]:
            for wrapper in reversed(wrappers):
                options = [{**wrapper, "options": options}]
            return options

        return definitions, wrap

    def build(
        self,
        definitions: list[dict[str, Any]],
        values: dict[str, Any],
        *,
        focused: str | None = None,
    ) -> list[dict[str, Any]]:
        by_name = {d["name"]: d for d in definitions}
        unknown = set(values) - set(by_name)
        if unknown:
            raise ImpossibleInteraction(f"unknown options {sorted(unknown)}; has {sorted(by_name)}")
        options = []
        for definition in definitions:
            name, kind = definition["name"], definition["type"]
            if name not in values:
                if definition.get("required") and self.strict and focused is None:
                    raise ImpossibleInteraction(f"required option {name!r} is missing")
                continue
            if name == focused:
                options.append(
                    {"name": name, "type": kind, "value": str(values[name]), "focused": True}
                )
            else:
                options.append(
                    {"name": name, "type": kind, "value": self.value(definition, values[name])}
                )
        return options

    def value(self, definition: dict[str, Any], raw: Any) -> Any:
        kind, name = definition["type"], definition["name"]
        choices = definition.get("choices") or []
        if choices:
            by_name = {c["name"]: c["value"] for c in choices}
            raw = by_name.get(raw, raw) if raw not in by_name.values() else raw
            if self.strict and raw not in by_name.values():
                raise ImpossibleInteraction(f"{name}={raw!r} is not one of the choices {choices}")
        if kind == 3:
            value = str(raw)
            lo, hi = definition.get("min_length") or 0, definition.get("max_length") or 6000
            if self.strict and not lo <= len(value) <= hi:
                raise ImpossibleInteraction(f"{name}: length must be {lo}..{hi}")
            return value
        if kind in (4, 10):
            value = int(raw) if kind == 4 else float(raw)
            lo, hi = definition.get("min_value"), definition.get("max_value")
            if self.strict and ((lo is not None and value < lo) or (hi is not None and value > hi)):
                raise ImpossibleInteraction(f"{name}={value} is outside {lo}..{hi}")
            return value
        if kind == 5:
            return bool(raw)
        if kind == 11:
            filename, data, content_type = (
                raw if len(raw) == 3 else (*raw, "application/octet-stream")
            )
            attachment = self.store_attachment(filename, data, content_type)
            self.resolved.setdefault("attachments", {})[attachment["id"]] = attachment
            return attachment["id"]
        return self.snowflake(kind, raw)

    def snowflake(self, kind: int, raw: Any) -> str:
        world = self.world
        if kind == 7:
            channel = world.channel(raw)
            perms = world.permissions_in(self.user, channel)
            data = channel_payload(world, channel, permissions=perms)
            self.resolved.setdefault("channels", {})[str(channel.id)] = data
            return str(channel.id)
        role = None
        if kind in (8, 9):
            role = next(
                (r for r in world.guild.roles.values() if raw in (r.id, str(r.id), r.name)), None
            )
        if role is not None:
            self.resolved.setdefault("roles", {})[str(role.id)] = role_payload(role)
            return str(role.id)
        user = world.user(raw)
        self.resolved.setdefault("users", {})[str(user.id)] = user_payload(user)
        if self.in_guild and world.is_member(user):
            member = member_payload(world, user, with_user=False)
            member["permissions"] = str(world.base_permissions(user))
            self.resolved.setdefault("members", {})[str(user.id)] = member
        return str(user.id)
