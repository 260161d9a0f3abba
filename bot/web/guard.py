"""The site's door: how many connections, from whom, for how long, and what the log says.

aiohttp's server reads request heads without a deadline and keeps a silent connection for an
hour (its keep-alive timer), takes every connection the kernel hands it until the process runs out
of file descriptors, and logs a full traceback for every malformed request. Here:

- a connection must deliver a complete request head within `header_timeout` of being opened (or,
  on a kept-alive connection, of the first byte of the next request), and may sit idle between
  requests for `idle_timeout` (aiohttp's keep-alive timer);
- connections are counted per client (an address; IPv6 by its /64) and overall, and the overall
  cap stays below the process's open-file limit, so that accept() never fails for want of one;
- what a client did wrong is logged as one line per kind, at most once a minute.

`GuardedHandler` is aiohttp's own request handler with those checks added; `GuardedSite` listens
with it instead of aiohttp's `TCPSite`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import logging
import resource
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.streams import EMPTY_PAYLOAD
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

if TYPE_CHECKING:
    from .express import ExpressLane

log = logging.getLogger("bot.web")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # personal feed addresses carry a secret
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
}
BACKLOG = 128  # connections the kernel queues; asyncio accepts up to this many at once
SPARE_FILES = 64  # for the database, Discord, data files and logs while the site is full
_BUSY = b"Too many connections; try again shortly.\n"
_REFUSED = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Retry-After: 10\r\n"
    b"Connection: close\r\n"
    + b"".join(f"{name}: {value}\r\n".encode() for name, value in SECURITY_HEADERS.items())
    + b"Content-Length: %d\r\n\r\n%s" % (len(_BUSY), _BUSY)
)


@functools.lru_cache(maxsize=4096)
def address_key(address: str) -> str:
    """Who a client is, for limits: its address, IPv6 addresses grouped by their /64."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


class QuietLog:
    """One line per kind of event at most every `every` seconds; the next line of that kind
    says how many were left out meanwhile. Kinds must come from a small fixed set."""

    def __init__(
        self,
        logger: logging.Logger,
        every: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.every = every
        self.clock = clock
        self._seen: dict[str, tuple[float, int]] = {}

    def note(self, level: int, kind: str, message: str, *args: object) -> bool:
        """Log `message` unless a line of this kind was logged less than `every` ago."""
        now = self.clock()
        seen = self._seen.get(kind)
        if seen is not None:
            last, left_out = seen
            if now - last < self.every:
                self._seen[kind] = (last, left_out + 1)
                return False
            if left_out:
                message += f" ({left_out} more like this in the last {now - last:.0f} s)"
        self.logger.log(level, message, *args)
        self._seen[kind] = (now, 0)
        return True


@dataclass(frozen=True)
class ConnectionLimits:
    header_timeout: float = 10.0  # seconds to deliver a request head
    idle_timeout: float = 30.0  # seconds a kept-alive connection may wait for the next request
    max_connections: int = 512  # open at once, overall (lowered to fit the open-file limit)
    max_per_client: int = 32  # open at once from one address (IPv6: one /64)
    behind_proxy: bool = False  # every connection comes from the proxy: no per-client cap


def open_file_ceiling(wanted: int, backlog: int = BACKLOG) -> int:
    """`wanted`, or fewer so that connections, the accept backlog, the files already open and
    a spare stay under the process's soft RLIMIT_NOFILE (`ulimit -n`)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, soft - _files_open() - backlog - SPARE_FILES))


def _files_open() -> int:
    try:
        return sum(1 for _ in Path("/proc/self/fd").iterdir())
    except OSError:
        return 16


class ConnectionGuard:
    """Counts open connections per client and overall; refuses those over a cap."""

    def __init__(self, limits: ConnectionLimits, quiet: QuietLog | None = None) -> None:
        self.limits = limits
        self.quiet = quiet or QuietLog(log)
        self.ceiling = open_file_ceiling(limits.max_connections)
        if self.ceiling < limits.max_connections:
            soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
            log.warning(
                "the site takes at most %d connections at once, not WEB_MAX_CONNECTIONS=%d: "
                "the process may open only %d files (ulimit -n)",
                self.ceiling,
                limits.max_connections,
                soft,
            )
        self.per_client = 0 if limits.behind_proxy else limits.max_per_client
        self.total = 0
        self._open: dict[str, int] = {}

    def admit(self, client: str) -> bool:
        if self.total >= self.ceiling:
            self.quiet.note(
                logging.WARNING,
                "full",
                "the site has %d connections open, its limit: refusing new ones until some "
                "close (WEB_MAX_CONNECTIONS, ulimit -n)",
                self.total,
            )
            return False
        count = self._open.get(client, 0)
        if self.per_client and count >= self.per_client:
            self.quiet.note(
                logging.WARNING,
                "client",
                "%s has %d connections open, the limit per client: refusing more "
                "(WEB_MAX_CONNECTIONS_PER_CLIENT)",
                client,
                count,
            )
            return False
        self._open[client] = count + 1
        self.total += 1
        return True

    def release(self, client: str) -> None:
        count = self._open.pop(client, 0) - 1
        if count > 0:
            self._open[client] = count
        self.total -= 1


class GuardedHandler(RequestHandler):
    """aiohttp's request handler, with the caps, the header deadline and quiet client errors,
    and the express lane (`express.py`) in front of aiohttp's parser when the site has one."""

    def __init__(
        self,
        manager: web.Server,
        guard: ConnectionGuard,
        lane: ExpressLane | None = None,
        **options: Any,
    ) -> None:
        super().__init__(manager, keepalive_timeout=guard.limits.idle_timeout, **options)
        self.guard = guard
        self.lane = lane
        # Whether aiohttp's parser holds no part of a request (the lane may take the next bytes):
        # it read only whole heads of requests without a body (see `data_received`).
        self.clean = True
        self.client: str | None = None
        self.refused = False
        self.header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        client = address_key(str(peer[0]) if isinstance(peer, tuple) and peer else "?")
        if not self.guard.admit(client):
            self.refused = True
            assert isinstance(transport, asyncio.WriteTransport)
            with contextlib.suppress(OSError, RuntimeError):
                transport.write(_REFUSED)
            transport.close()
            return
        self.client = client
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: BaseException | None) -> None:
        if self.refused:
            return
        self._disarm()
        if self.client is not None:
            self.guard.release(self.client)
            self.client = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.refused:
            return
        lane = self.lane
        if lane is not None and self.clean and lane.take(self, data):
            timer = self.header_timer  # a whole request head arrived, and is answered
            if timer is not None:
                timer.cancel()
                self.header_timer = None
            return
        before = self._request_count
        RequestHandler.data_received(self, data)  # not super(): an object fewer per request
        count = self._request_count
        if count != before:
            # A whole request head arrived (inline `_disarm`: this runs for every request).
            timer = self.header_timer
            if timer is not None:
                timer.cancel()
                self.header_timer = None
            if lane is not None:
                self.clean = data[-4:] == b"\r\n\r\n" and _bodiless(self, count - before)
        elif data:
            self.clean = False  # part of a request head, or of a body
            if self.header_timer is None:
                self._arm()  # the first bytes of the next request on a kept-alive connection

    def _arm(self) -> None:
        self.header_timer = self._loop.call_later(
            self.guard.limits.header_timeout, self._header_deadline
        )

    def _disarm(self) -> None:
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None

    def _header_deadline(self) -> None:
        self.header_timer = None
        waiting = self._waiter is not None and not self._waiter.done()
        if self.transport is None or self._force_close or not waiting:
            return
        self.guard.quiet.note(
            logging.INFO,
            "slow",
            "closed a connection from %s that sent no complete request within %.0f s "
            "(WEB_HEADER_TIMEOUT_SECONDS)",
            self.client,
            self.guard.limits.header_timeout,
        )
        self.force_close()

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """A request aiohttp could not read (400) is the client's problem: one quiet line, no
        traceback. A server error keeps aiohttp's log. Both answers carry the security headers."""
        if status >= 500 or not isinstance(exc, HttpProcessingError):
            response = super().handle_error(request, status, exc, message)
        else:
            kind = type(exc).__name__
            reason = " ".join(str(exc.message).split())[:160]
            self.guard.quiet.note(
                logging.WARNING, kind, "bad request (%s) from %s: %s", kind, self.client, reason
            )
            if request.writer.output_size > 0:
                raise ConnectionError("a response was already sent")
            try:
                phrase = HTTPStatus(status).phrase
            except ValueError:
                phrase = "Error"
            response = web.Response(
                status=status,
                text=f"{status} {phrase}: the request could not be read.\n",
            )
            response.force_close()
        response.headers.update(SECURITY_HEADERS)
        return response


def _bodiless(handler: RequestHandler, new: int) -> bool:
    """Whether the `new` requests just read (the last queued) have no body: the parser, having
    read bytes that end with a whole head, then holds nothing."""
    queued = handler._messages
    return len(queued) >= new and all(
        queued[-number][1] is EMPTY_PAYLOAD for number in range(1, new + 1)
    )


class GuardedSite(web.BaseSite):
    """Listens like aiohttp's TCPSite (a host and port) or SockSite (a socket opened before),
    with `GuardedHandler` connections."""

    def __init__(
        self,
        runner: web.AppRunner,
        host: str | None,
        port: int,
        guard: ConnectionGuard,
        options: dict[str, Any],
        sock: socket.socket | None = None,
        lane: ExpressLane | None = None,
    ) -> None:
        super().__init__(runner, backlog=BACKLOG)
        self.host = host
        self.port = port
        self.sock = sock
        self.guard = guard
        self.options = options
        self.lane = lane

    @property
    def name(self) -> str:
        if self.sock is not None:
            host, port = self.sock.getsockname()[:2]
            return f"http://{host}:{port}"
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        await super().start()
        loop = asyncio.get_running_loop()
        server = self._runner.server
        assert server is not None
        guard, options, lane = self.guard, self.options, self.lane

        def connection() -> GuardedHandler:
            return GuardedHandler(server, guard, lane, loop=loop, **options)

        if self.sock is not None:
            self._server = await loop.create_server(connection, sock=self.sock, backlog=BACKLOG)
        else:
            self._server = await loop.create_server(
                connection, self.host, self.port, backlog=BACKLOG
            )
