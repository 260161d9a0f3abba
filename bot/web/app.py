"""The web adapter: calendar feeds and the public agenda page, in the bot's own event loop."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import __version__ as aiohttp_version
from aiohttp import hdrs, web

from bot.service import Feed, Feeds

from .answers import decide, gzipped
from .express import ExpressLane, lane_fits
from .guard import (
    ConnectionGuard,
    ConnectionLimits,
    GuardedSite,
    address_key,
)
from .pages import Pages
from .secured import requests_can_be_secured, secure, secured_factory

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
EXPRESS = web.AppKey("express", ExpressLane)  # the site's express lane, when it can have one
HANDLER_OPTIONS: dict[str, object] = {
    "access_log": None,
    "max_line_size": 4096,
    "max_field_size": 4096,
    "lingering_time": 0,  # nothing here reads a body: do not wait for one after the answer
}


@dataclass(frozen=True)
class Limits:
    per_second: float = 10.0  # requests a client may make, on average
    burst: int = 40  # and at once
    max_request: int = 1024  # bytes of body: nothing here takes a body
    behind_proxy: bool = False  # trust X-Forwarded-For from the proxy in front


def client_key(request: web.Request, behind_proxy: bool) -> str:
    """Who is asking, for rate limits: the address (behind a trusted proxy, the one the proxy
    saw, the last in X-Forwarded-For), IPv6 addresses grouped by their /64 as one client."""
    if not behind_proxy:
        known = getattr(request.protocol, "client", None)
        if isinstance(known, str):
            return known  # keyed once per connection when it was accepted (GuardedHandler)
    address = request.remote or "?"
    if behind_proxy:
        forwarded = request.headers.get("X-Forwarded-For", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        address = hops[-1] if hops else address
    return address_key(address)


class ClientBuckets:
    """A token bucket per client address, forgetting the least recently seen beyond `size`.

    A plain dict keeps insertion order: a client is popped and put back at the end when seen,
    so the first key is the least recently seen (cheaper than an OrderedDict on the hot path).
    """

    def __init__(
        self, limits: Limits, size: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits
        self.size = size
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, client: str) -> float:
        """0 if the request may go on, else the seconds until it could."""
        now = self.clock()
        buckets = self._buckets
        burst, rate = self.limits.burst, self.limits.per_second
        seen = buckets.pop(client, None)
        if seen is None:
            tokens = float(burst)
        else:
            tokens = seen[0] + (now - seen[1]) * rate
            if tokens > burst:  # min() is a call more per request
                tokens = burst
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / rate
        buckets[client] = (tokens, now)
        if len(buckets) > self.size:
            del buckets[next(iter(buckets))]
        return wait


def make_app(feeds: Feeds, pages: Pages, limits: Limits = Limits()) -> web.Application:
    """Every route first passes the guard (`refused`: the rate limit, then no body), called by
    the route itself rather than by a middleware: the 304 answer to a calendar application that
    holds the current feed is the site's hot path, and each layer of coroutine costs more there
    than the answer itself. Methods other than GET and HEAD get the router's own 405 (with
    Allow). The server (`WebServer`) adds the security headers to every answer but a 304."""
    allow = ClientBuckets(limits).allow
    behind_proxy = limits.behind_proxy

    def refused(request: web.Request) -> web.StreamResponse | None:
        """429 over the client's rate, 413 for a request with a body (nothing here takes one),
        None to go on."""
        wait = allow(client_key(request, behind_proxy))
        if wait:
            return web.Response(
                status=429,
                text="Too many requests; slow down.\n",
                headers={"Retry-After": str(max(1, round(wait)))},
            )
        headers = request.headers
        length = headers.get(hdrs.CONTENT_LENGTH)  # read as request.content_length reads it
        if (length is not None and int(length)) or headers.get(hdrs.TRANSFER_ENCODING):
            return web.Response(status=413, text="Requests here carry no body.\n")
        return None

    def guarded(handler: Handler) -> Handler:
        async def guard(request: web.Request) -> web.StreamResponse:
            response = refused(request)
            if response is None:
                try:
                    response = await handler(request)
                except web.HTTPNotFound:
                    response = pages.not_found()
            return response

        return guard

    app = web.Application(client_max_size=limits.max_request)
    if not behind_proxy:  # the lane does not read X-Forwarded-For: aiohttp answers all then
        app[EXPRESS] = ExpressLane(feeds, allow)

    # The feeds' routes guard themselves, and take a feed that is built and agreed without a
    # coroutine (`Feeds.ready`); an unknown feed gets the same "not found" page as any address.
    def answered(
        request: web.Request,
        feed: Feed | None,
        filename: str,
        private: bool = False,
        download: bool = False,
    ) -> web.StreamResponse:
        """The feed (compressed when the client takes gzip: each representation has its own
        ETag), or 304 when the client's copy is current."""
        if feed is None:
            return pages.not_found()
        headers = request.headers
        answers, zipped, current = decide(
            feed,
            headers.get(hdrs.ACCEPT_ENCODING, ""),
            headers.get(hdrs.IF_NONE_MATCH),
            headers.get(hdrs.IF_MODIFIED_SINCE),
            private,
            download,
            filename,
        )
        if current:
            return web.Response(status=304, headers=answers.not_modified)
        body = gzipped(feed.content) if zipped else feed.content
        return web.Response(body=body, headers=answers.full)

    async def agenda_feed(request: web.Request) -> web.StreamResponse:
        response = refused(request)
        if response is None:
            feed = feeds.ready("all") or await feeds.served("all")
            response = answered(request, feed, "agenda.ics")
        return response

    async def scoped_feed(request: web.Request) -> web.StreamResponse:
        response = refused(request)
        if response is None:
            kind, ident = request.match_info["kind"], request.match_info["ident"]
            feed = feeds.ready(kind, ident) or await feeds.served(kind, ident)
            response = answered(request, feed, f"{kind}-{ident}.ics")
        return response

    async def meeting_file(request: web.Request) -> web.StreamResponse:
        response = refused(request)
        if response is None:
            ident = request.match_info["ident"]
            response = pages.undated(ident)
            if response is None:
                feed = feeds.ready("meeting", ident) or await feeds.served("meeting", ident)
                response = answered(request, feed, f"{ident}.ics", download=True)
        return response

    async def personal_feed(request: web.Request) -> web.StreamResponse:
        response = refused(request)
        if response is None:
            feed = await feeds.personal(request.match_info["token"])
            response = answered(request, feed, "my-agenda.ics", private=True)
        return response

    async def nowhere(request: web.Request) -> web.StreamResponse:
        raise web.HTTPNotFound()

    feed_routes: list[tuple[str, Handler]] = [
        ("/feeds/agenda.ics", agenda_feed),
        (r"/feeds/{kind:body|topic}/{ident:[a-z0-9-]+}.ics", scoped_feed),
        (r"/feeds/me/{token:[A-Za-z0-9_-]{8,100}}.ics", personal_feed),
        (r"/meetings/{ident:[a-z0-9-]+}.ics", meeting_file),
    ]
    page_routes: list[tuple[str, Handler]] = [
        ("/", pages.index),
        (r"/meetings/{ident:[a-z0-9-]+}", pages.meeting),
        (r"/topics/{ident:[a-z0-9-]+}", pages.topic),
        (r"/bodies/{ident:[a-z0-9-]+}", pages.body),
        ("/static/site.css", pages.stylesheet),
        ("/static/favicon.svg", pages.icon),
        ("/favicon.ico", pages.icon),
        ("/{anything:.*}", nowhere),  # the same "not found" page for every unknown address
    ]
    for path, handler in feed_routes:
        app.router.add_get(path, handler)
    for path, handler in page_routes:
        app.router.add_get(path, guarded(handler))
    return app


class WebServer:
    """Starts and stops the site on a host and port (0: any free port, for tests). Its requests
    are `SecuredRequest`s (on an aiohttp without what they rely on, a signal sends the same
    headers). The app's express lane answers the requests it takes (`express`: False, aiohttp
    answers all; so it does on an aiohttp whose insides the lane does not know)."""

    def __init__(
        self,
        app: web.Application,
        connections: ConnectionLimits | None = None,
        express: bool = True,
    ) -> None:
        self.app = app
        self.connections = connections or ConnectionLimits()
        self.express = express
        self.lane: ExpressLane | None = None
        self.guard: ConnectionGuard | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(
        self, host: str | None = None, port: int = 0, *, sock: socket.socket | None = None
    ) -> None:
        """Listen on `host` and `port`, or on a socket opened before (`listen`)."""
        if self.app.on_response_prepare:
            raise ValueError("the site's requests do not send on_response_prepare")
        secured = requests_can_be_secured(self.app)
        if not secured:
            # An aiohttp whose insides differ from those SecuredRequest knows: the signal
            # (slower) sends the same headers rather than none.
            log.warning("aiohttp %s: the security headers are added by a signal", aiohttp_version)
            self.app.on_response_prepare.append(secure)
        runner = web.AppRunner(self.app, **HANDLER_OPTIONS)  # type: ignore[arg-type]
        await runner.setup()
        assert runner.server is not None
        if secured:
            runner.server.request_factory = secured_factory(self.app)
        self.guard = ConnectionGuard(self.connections)
        if self.express and secured and lane_fits():
            self.lane = self.app.get(EXPRESS)
        site = GuardedSite(runner, host, port, self.guard, HANDLER_OPTIONS, sock, self.lane)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()  # a port that cannot be opened leaves nothing behind
            raise
        self._runner = runner
        self.port = runner.addresses[0][1] if runner.addresses else port
        log.info("agenda site and feeds on %s/", site.name)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.lane is not None:
            self.lane.close()
