"""``FakeDiscord``: an aiohttp server with the REST API under ``/api/v10`` and the gateway.

Pointing discord.py at it takes two class attributes (see :meth:`point_discord_py_here`):
``discord.http.Route.BASE`` (a ``str``; every ``Route`` builds its URL from it, the webhook and
interaction routes included) and ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` (a
``yarl.URL``: ``from_client`` calls ``.with_query`` on it). Both are read when used, so they must
stay set for as long as the client runs.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import yarl
from aiohttp import web

from .actions import Actions
from .commands import CommandStore
from .faults import Faults, Injection, RateLimitRule, path_matches
from .gateway import Gateway
from .interactions import InteractionFactory
from .limits import InvalidBody
from .messages import CDN, Messages
from .payloads import Snowflakes
from .records import Event, InteractionRecord, Recorder, RequestRecord
from .rest import RestApi
from .routing import ApiRequest, Router, error_response, json_response, parse_body
from .scheduled_events import ScheduledEventsApi
from .webhooks import WebhookApi
from .world import World

API_PREFIX = "/api/v10"
OPEN_ROUTES = ("/interactions/", "/webhooks/{application_id}/{token}")  # no bot token sent


class FakeDiscord(Actions):
    """An in-process Discord for end-to-end tests of a real discord.py client.

    ``callback_deadline``: seconds within which an interaction must get its callback (Discord: 3;
    ``None`` to disable). ``privileged_intents``: whether IDENTIFY may ask for members, presences
    and message content. ``heartbeat_interval_ms``: sent in HELLO.
    """

    def __init__(
        self,
        *,
        token: str = "fake-bot-token",
        callback_deadline: float | None = 3.0,
        privileged_intents: bool = True,
        heartbeat_interval_ms: int = 41250,
    ) -> None:
        self.token = token
        self.callback_deadline = callback_deadline
        self.world = World(token, Snowflakes())
        self.recorder = Recorder()
        self.requests: list[RequestRecord] = []
        self.unknown_routes: list[RequestRecord] = []
        self.faults = Faults()
        self.cdn = CDN(self.world)
        self.messages = Messages(self.world, self.cdn)
        self.command_store = CommandStore(self.world)
        self.factory = InteractionFactory(self.world, self.command_store, self.cdn)
        self.interactions: dict[int, InteractionRecord] = {}
        self.interactions_by_token: dict[str, InteractionRecord] = {}
        self.gateway = Gateway(
            self.world,
            self.recorder,
            heartbeat_interval_ms=heartbeat_interval_ms,
            privileged_intents=privileged_intents,
        )
        self.router = Router()
        RestApi(self).register(self.router)
        WebhookApi(self).register(self.router)
        self.scheduled_events = ScheduledEventsApi(self)
        self.scheduled_events.register(self.router)
        self.base_url = ""
        self._runner: web.AppRunner | None = None
        self._restore: list[Callable[[], None]] = []

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> FakeDiscord:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/resume-gateway", self.gateway.handle)
        app.router.add_get("/attachments/{attachment_id}/{filename}", self._attachment)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._api)
        app.router.add_route("*", "/{tail:.*}", self._stray)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        self.cdn.base = self.base_url
        self.gateway.resume_url = f"ws://127.0.0.1:{port}/resume-gateway"
        return self

    async def close(self) -> None:
        while self._restore:
            self._restore.pop()()
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def api_base(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        return self.base_url.replace("http://", "ws://") + "/gateway"

    @property
    def resume_gateway_url(self) -> str:
        return self.gateway.resume_url

    @contextmanager
    def point_discord_py_here(self) -> Iterator[FakeDiscord]:
        """Set ``Route.BASE`` and ``DiscordWebSocket.DEFAULT_GATEWAY`` to this fake, and restore
        them on exit (or at :meth:`close`)."""
        from discord.gateway import DiscordWebSocket
        from discord.http import Route

        old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY

        def restore() -> None:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway

        Route.BASE = self.api_base
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        self._restore.append(restore)
        try:
            yield self
        finally:
            if restore in self._restore:
                self._restore.remove(restore)
                restore()

    # -- HTTP entry points ---------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        path = request.path[len(API_PREFIX) :] or "/"
        body, files = await parse_body(request)
        now = asyncio.get_running_loop().time()
        headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        record = RequestRecord(request.method, path, dict(request.query), body, files, headers, now)
        self.requests.append(record)
        response = await self._handle(request, record)
        record.status = response.status
        self.recorder.record(
            "request", request=record, method=record.method, path=path, status=response.status
        )
        return response

    async def _handle(self, request: web.Request, record: RequestRecord) -> web.StreamResponse:
        found = self.router.match(record.method, record.path)
        if found is None:
            self.unknown_routes.append(record)
            self.recorder.record("unknown_route", method=record.method, path=record.path)
            return error_response(404, 0, "404: Not Found")
        template, handler, params = found
        record.route = f"{record.method} {template}"
        authorized = request.headers.get("Authorization") == f"Bot {self.token}"
        if not authorized and not template.startswith(OPEN_ROUTES):
            return error_response(401, 0, "401: Unauthorized")
        injection = self.faults.take_injection(record.method, record.path, template, record.time)
        if injection is not None:
            status, body, headers = injection.answer()
            self.recorder.record("injected", method=record.method, path=record.path, status=status)
            return json_response(body, status, headers)
        limit_headers: dict[str, str] = {}
        rules = self.faults.rate_limits(record.method, record.path, template)
        refused = next((r for r in rules if not r.check(record.path, record.time)[0]), None)
        if refused is not None:
            _, limit_headers, reset_after = refused.take(record.path, record.time)
            refused.limited.append(record.time)
            self.recorder.record(
                "rate_limited", path=record.path, retry_after=reset_after, global_=refused.global_
            )
            body = {"message": "You are being rate limited.", "retry_after": reset_after}
            scope = "global" if refused.global_ else "user"
            extra = {"Via": "1.1 google", "X-RateLimit-Scope": scope}
            extra["Retry-After"] = str(max(1, round(reset_after)))
            return json_response(
                {**body, "global": refused.global_}, 429, {**limit_headers, **extra}
            )
        for rule in rules:
            _, headers, _ = rule.take(record.path, record.time)
            if not rule.global_:
                limit_headers = headers
        try:
            response = await handler(ApiRequest(request, record, params))
        except InvalidBody as exc:
            self.recorder.record("rejected", request=record, error=exc.body)
            response = json_response(exc.body, exc.status)
        response.headers.update(limit_headers)
        return response

    async def _stray(self, request: web.Request) -> web.StreamResponse:
        now = asyncio.get_running_loop().time()
        record = RequestRecord(request.method, request.path, dict(request.query), None, [], {}, now)
        record.status = 404
        self.unknown_routes.append(record)
        self.recorder.record("unknown_route", method=request.method, path=request.path)
        return error_response(404, 0, "404: Not Found")

    async def _attachment(self, request: web.Request) -> web.StreamResponse:
        found = self.cdn.files.get(int(request.match_info["attachment_id"]))
        if found is None:
            return web.Response(status=404, text="Not Found")
        _, data, content_type = found
        return web.Response(body=data, headers={"Content-Type": content_type})

    # -- recording and waiting -------------------------------------------------------------

    @property
    def events(self) -> list[Event]:
        return self.recorder.events

    def mark(self) -> int:
        """The current end of the event log, to wait only for what happens afterwards."""
        return self.recorder.mark()

    async def wait_for(
        self,
        predicate: Callable[[Event], bool] | str,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
        since: int = 0,
    ) -> Event:
        """The first recorded event matching ``predicate`` (or of that kind, given a string)."""
        if isinstance(predicate, str):
            kind = predicate
            return await self.recorder.wait_for(
                lambda e: e.kind == kind, timeout=timeout, since=since
            )
        return await self.recorder.wait_for(predicate, timeout=timeout, since=since)

    def events_of(self, kind: str) -> list[Event]:
        return [e for e in self.recorder.events if e.kind == kind]

    def requests_to(self, method: str, pattern: str | re.Pattern[str]) -> list[RequestRecord]:
        """Recorded requests with this method and a path matching (as for :meth:`fail_next`)."""
        return [
            r
            for r in self.requests
            if method in ("*", r.method)
            and path_matches(pattern, r.path, r.route.partition(" ")[2])
        ]

    @property
    def rejections(self) -> list[Event]:
        """Bot requests the fake refused for breaking a Discord rule (limits, double answers)."""
        return self.events_of("rejected")

    def assert_no_unknown_routes(self) -> None:
        routes = [f"{r.method} {r.path}" for r in self.unknown_routes]
        assert not routes, f"the client called routes the fake does not know: {routes}"

    def assert_no_rejections(self) -> None:
        errors = [(e["request"].method, e["request"].path, e["error"]) for e in self.rejections]
        assert not errors, f"the fake refused requests: {errors}"

    # -- failures and rate limits -----------------------------------------------------------

    def fail_next(
        self,
        method: str,
        path_pattern: str | re.Pattern[str],
        status: int = 429,
        retry_after: float = 0.05,
        global_: bool = False,
        *,
        code: int | None = None,
        message: str | None = None,
        times: int = 1,
        via: bool = True,
    ) -> Injection:
        """Answer the next ``times`` matching requests with ``status``.

        429 answers carry ``{"message", "retry_after", "global"}`` and a ``Via`` header (without
        ``via`` discord.py takes it for a Cloudflare ban and raises); others carry
        ``{"code", "message"}``. ``path_pattern`` is a glob over the path below ``/api/v10``
        or the route template ("/interactions/*/callback"), or a compiled regex.
        """
        injection = Injection(
            method.upper(), path_pattern, status, times, retry_after, global_, code, message, via
        )
        return self.faults.inject(injection)

    def set_rate_limit(
        self,
        method: str,
        path_pattern: str | re.Pattern[str],
        *,
        limit: int,
        per: float,
        bucket: str | None = None,
        global_: bool = False,
    ) -> RateLimitRule:
        """Emulate a Discord bucket: ``limit`` requests per ``per`` s per channel/guild/webhook,
        announced with ``X-RateLimit-*`` headers, then 429 until the window resets. With
        ``global_`` the window is shared by every matching request (the global limit)."""
        name = bucket or f"fake-{len(self.faults.rules)}"
        rule = RateLimitRule(method.upper(), path_pattern, limit, per, name, global_)
        self.faults.rules.append(rule)
        return rule

    # -- state at a glance -------------------------------------------------------------------

    def grant_bot(self, permissions: int) -> None:
        """Give the bot's role more permissions (Manage Events is not in a default invite)."""
        bot_role = next(r for r in self.world.guild.roles.values() if r.bot_id == self.world.bot.id)
        bot_role.permissions |= permissions

    def revoke_bot(self, permissions: int) -> None:
        for role in self.world.guild.roles.values():
            role.permissions &= ~permissions

    def commands(self, guild: bool = False) -> list[dict[str, Any]]:
        return self.command_store.commands(self.world.guild.id if guild else None)

    def sync_calls(self, guild: bool = False) -> int:
        return self.command_store.sync_calls[self.world.guild.id if guild else None]

    @property
    def resumes(self) -> int:
        return self.gateway.resumes

    @property
    def identifies(self) -> int:
        return self.gateway.identifies

    async def drop_gateway(self, *, code: int = 4000, reset: bool = False) -> None:
        """Close the gateway connection abnormally (close code, or a TCP reset with ``reset``)."""
        await self.gateway.drop(code=code, reset=reset)

    async def invalidate_session(self, *, resumable: bool = False) -> None:
        await self.gateway.invalidate_session(resumable=resumable)

    async def request_reconnect(self) -> None:
        await self.gateway.request_reconnect()

    async def dispatch(self, event: str, data: dict[str, Any]) -> int:
        """Send any gateway DISPATCH; returns its sequence number."""
        return await self.gateway.dispatch(event, data)
