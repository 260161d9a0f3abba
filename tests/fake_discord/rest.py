"""REST routes for the bot token: identity, gateway discovery, commands, channels, messages, DMs.

Limit breaches raise ``limits.InvalidBody``, which the server turns into Discord's 400 answer.
Called by discord.py at login (``Client.login``): ``GET /users/@me`` (``HTTPClient.static_login``;
a 401 becomes ``LoginFailure``) and ``GET /oauth2/applications/@me`` (``Client.application_info``).
``CommandTree.sync`` uses the ``PUT .../commands`` routes; ``Messageable.send`` the channel
message route (with ``nonce`` + ``enforce_nonce`` when a nonce is given, which Discord uses to
answer a repeated send with the message it already created); ``User.create_dm`` posts
``/users/@me/channels``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from .payloads import (
    Perm,
    application_payload,
    channel_payload,
    guild_payload,
    member_payload,
    role_payload,
    user_payload,
)
from .routing import ApiRequest, Router, error_response, json_response, no_content

if TYPE_CHECKING:
    from .server import FakeDiscord
    from .world import FakeChannel, StoredMessage

NONCE_WINDOW = 300.0  # seconds; Discord says "a few minutes"


class RestApi:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.world = fake.world

    def register(self, router: Router) -> None:
        add = router.add
        add("GET", "/users/@me", self.me)
        add("GET", "/users/{user_id}", self.get_user)
        add("POST", "/users/@me/channels", self.create_dm)
        add("GET", "/oauth2/applications/@me", self.application)
        add("GET", "/applications/@me", self.application)
        add("GET", "/gateway", self.gateway)
        add("GET", "/gateway/bot", self.gateway)
        for prefix in (
            "/applications/{application_id}",
            "/applications/{application_id}/guilds/{guild_id}",
        ):
            add("GET", f"{prefix}/commands", self.list_commands)
            add("PUT", f"{prefix}/commands", self.overwrite_commands)
            add("POST", f"{prefix}/commands", self.upsert_command)
            add("GET", f"{prefix}/commands/{{command_id}}", self.get_command)
            add("DELETE", f"{prefix}/commands/{{command_id}}", self.delete_command)
        add("GET", "/guilds/{guild_id}", self.get_guild)
        add("GET", "/guilds/{guild_id}/channels", self.guild_channels)
        add("GET", "/guilds/{guild_id}/roles", self.guild_roles)
        add("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member)
        add("GET", "/channels/{channel_id}", self.get_channel)
        add("POST", "/channels/{channel_id}/typing", self.typing)
        add("GET", "/channels/{channel_id}/messages", self.history)
        add("POST", "/channels/{channel_id}/messages", self.send_message)
        add("GET", "/channels/{channel_id}/messages/{message_id}", self.get_message)
        add("PATCH", "/channels/{channel_id}/messages/{message_id}", self.edit_message)
        add("DELETE", "/channels/{channel_id}/messages/{message_id}", self.delete_message)

    # -- identity ------------------------------------------------------------------------

    async def me(self, req: ApiRequest) -> web.Response:
        bot = self.world.bot
        return json_response({**user_payload(bot), "verified": True, "mfa_enabled": False})

    async def get_user(self, req: ApiRequest) -> web.Response:
        user = self.world.users.get(req.int("user_id"))
        if user is None:
            return error_response(404, 10013, "Unknown User")
        return json_response(user_payload(user))

    async def application(self, req: ApiRequest) -> web.Response:
        return json_response(application_payload(self.world))

    async def gateway(self, req: ApiRequest) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return json_response(
            {"url": self.fake.gateway_url, "shards": 1, "session_start_limit": limit}
        )

    async def create_dm(self, req: ApiRequest) -> web.Response:
        user = self.world.users.get(int(req.body.get("recipient_id") or 0))
        if user is None or user.bot:
            return error_response(400, 50033, "Invalid Recipient(s)")
        channel = self.world.dm_channel(user)
        self.fake.recorder.record("dm_channel", user_id=user.id, channel_id=channel.id)
        return json_response(channel_payload(self.world, channel))

    # -- application commands ---------------------------------------------------------------

    def _scope(self, req: ApiRequest) -> tuple[int | None, web.Response | None]:
        if req.int("application_id") != self.world.application_id:
            return None, error_response(403, 50001, "Missing Access")
        if "guild_id" not in req.params:
            return None, None
        if req.int("guild_id") != self.world.guild.id:
            return None, error_response(403, 50001, "Missing Access")
        return self.world.guild.id, None

    async def list_commands(self, req: ApiRequest) -> web.Response:
        scope, refused = self._scope(req)
        return refused or json_response(self.fake.command_store.commands(scope))

    async def overwrite_commands(self, req: ApiRequest) -> web.Response:
        scope, refused = self._scope(req)
        if refused:
            return refused
        stored = self.fake.command_store.overwrite(scope, list(req.json or []))
        names = [c["name"] for c in stored]
        self.fake.recorder.record("commands_synced", guild_id=scope, names=names)
        return json_response(stored)

    async def upsert_command(self, req: ApiRequest) -> web.Response:
        scope, refused = self._scope(req)
        if refused:
            return refused
        stored = self.fake.command_store.upsert(scope, req.body)
        self.fake.recorder.record("commands_synced", guild_id=scope, names=[stored["name"]])
        return json_response(stored, 201)

    async def get_command(self, req: ApiRequest) -> web.Response:
        scope, refused = self._scope(req)
        if refused:
            return refused
        for command in self.fake.command_store.commands(scope):
            if command["id"] == req.params["command_id"]:
                return json_response(command)
        return error_response(404, 10063, "Unknown application command")

    async def delete_command(self, req: ApiRequest) -> web.Response:
        scope, refused = self._scope(req)
        if refused:
            return refused
        if self.fake.command_store.delete(scope, req.params["command_id"]):
            return no_content()
        return error_response(404, 10063, "Unknown application command")

    # -- guild -------------------------------------------------------------------------------

    def _guild(self, req: ApiRequest) -> web.Response | None:
        if req.int("guild_id") != self.world.guild.id:
            return error_response(404, 10004, "Unknown Guild")
        return None

    async def get_guild(self, req: ApiRequest) -> web.Response:
        return self._guild(req) or json_response(guild_payload(self.world, for_gateway=False))

    async def guild_channels(self, req: ApiRequest) -> web.Response:
        channels = [channel_payload(self.world, c) for c in self.world.guild_channels()]
        return self._guild(req) or json_response(channels)

    async def guild_roles(self, req: ApiRequest) -> web.Response:
        roles = [role_payload(r) for r in self.world.guild.roles.values()]
        return self._guild(req) or json_response(roles)

    async def get_member(self, req: ApiRequest) -> web.Response:
        user = self.world.users.get(req.int("user_id"))
        if user is None or not self.world.is_member(user):
            return self._guild(req) or error_response(404, 10007, "Unknown Member")
        return self._guild(req) or json_response(member_payload(self.world, user))

    # -- channels and messages -----------------------------------------------------------------

    def _channel(
        self, req: ApiRequest, need: int = Perm.VIEW_CHANNEL
    ) -> FakeChannel | web.Response:
        """The channel, if the bot may do ``need`` there; else Discord's error answer."""
        world = self.world
        channel = world.channels.get(req.int("channel_id"))
        if channel is None:
            return error_response(404, 10003, "Unknown Channel")
        if channel.guild_id is None:
            recipient = world.users[channel.recipient_id or 0]
            if need & Perm.SEND_MESSAGES and (not recipient.dms_open or recipient.bot):
                return error_response(403, 50007, "Cannot send messages to this user")
            return channel
        perms = world.permissions_in(world.bot, channel)
        if not perms & Perm.VIEW_CHANNEL:
            return error_response(403, 50001, "Missing Access")
        if perms & need != need:
            return error_response(403, 50013, "Missing Permissions")
        return channel

    def _message(self, req: ApiRequest) -> StoredMessage | web.Response:
        channel = self._channel(req)
        if isinstance(channel, web.Response):
            return channel
        stored = self.fake.messages.find(req.int("message_id"))
        if stored is None or stored.channel_id != channel.id or stored.visible_to is not None:
            return error_response(404, 10008, "Unknown Message")
        return stored

    async def get_channel(self, req: ApiRequest) -> web.Response:
        channel = self._channel(req)
        if isinstance(channel, web.Response):
            return channel
        perms = None
        if channel.guild_id is not None:
            perms = self.world.permissions_in(self.world.bot, channel)
        return json_response(channel_payload(self.world, channel, permissions=perms))

    async def typing(self, req: ApiRequest) -> web.Response:
        channel = self._channel(req, Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES)
        return channel if isinstance(channel, web.Response) else no_content()

    async def history(self, req: ApiRequest) -> web.Response:
        channel = self._channel(req, Perm.VIEW_CHANNEL | Perm.READ_MESSAGE_HISTORY)
        if isinstance(channel, web.Response):
            return channel
        limit = int(req.query.get("limit", 50))
        found = [m.payload for m in self.world.messages_in(channel.id) if m.visible_to is None]
        return json_response(list(reversed(found))[:limit])

    async def send_message(self, req: ApiRequest) -> web.Response:
        need = Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES | (Perm.ATTACH_FILES if req.files else 0)
        channel = self._channel(req, need)
        if isinstance(channel, web.Response):
            return channel
        data: dict[str, Any] = req.body
        now = req.record.time
        nonce = data.get("nonce")
        if nonce is not None and data.get("enforce_nonce"):
            for earlier in self.world.messages_in(channel.id, include_deleted=True):
                if earlier.nonce == str(nonce) and now - earlier.created <= NONCE_WINDOW:
                    self.fake.recorder.record(
                        "nonce_deduplicated",
                        channel_id=channel.id,
                        nonce=nonce,
                        message_id=earlier.id,
                    )
                    return json_response(earlier.payload)
        stored = self.fake.messages.create(
            channel, data, req.files, now=now, nonce=None if nonce is None else str(nonce)
        )
        if data.get("message_reference"):
            stored.payload["message_reference"] = data["message_reference"]
            stored.payload["type"] = 19
        self.fake.recorder.record(
            "message_create", channel_id=channel.id, message=stored.payload, files=req.files
        )
        return json_response(stored.payload)

    async def get_message(self, req: ApiRequest) -> web.Response:
        stored = self._message(req)
        return stored if isinstance(stored, web.Response) else json_response(stored.payload)

    async def edit_message(self, req: ApiRequest) -> web.Response:
        stored = self._message(req)
        if isinstance(stored, web.Response):
            return stored
        if int(stored.payload["author"]["id"]) != self.world.bot.id:
            return error_response(403, 50005, "Cannot edit a message authored by another user")
        self.fake.messages.edit(stored, req.body, req.files)
        self.fake.recorder.record(
            "message_update", channel_id=stored.channel_id, message=stored.payload, files=req.files
        )
        return json_response(stored.payload)

    async def delete_message(self, req: ApiRequest) -> web.Response:
        stored = self._message(req)
        if isinstance(stored, web.Response):
            return stored
        if int(stored.payload["author"]["id"]) != self.world.bot.id:
            channel = self.world.channels[stored.channel_id]
            if not self.world.permissions_in(self.world.bot, channel) & Perm.MANAGE_MESSAGES:
                return error_response(403, 50013, "Missing Permissions")
        stored.deleted = True
        self.fake.recorder.record(
            "message_delete", channel_id=stored.channel_id, message_id=stored.id
        )
        return no_content()
