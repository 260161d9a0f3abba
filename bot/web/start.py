"""Starting the site from the settings: its socket is opened first, so that the service is built
knowing the site's address (feeds and /calendar link give it), then served once all is running."""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass

from bot.service import Runtime
from bot.settings import Settings

from .app import Limits, WebServer, make_app
from .guard import BACKLOG, ConnectionLimits
from .pages import Pages

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Listener:
    """The web server's socket, open before the service is built, and the site's address."""

    sock: socket.socket
    url: str  # as users reach it: PUBLIC_BASE_URL, or the address listened on

    def close(self) -> None:
        """For a start that failed before the site was served."""
        self.sock.close()


def site_address(settings: Settings) -> str | None:
    """The site's address as users reach it, from the settings alone (None when the web server
    is off, or listens on any free port and no PUBLIC_BASE_URL says where it is)."""
    if not settings.web_enabled:
        return None
    if settings.public_base_url:
        return settings.public_base_url
    if settings.web_port == 0:
        return None
    return f"http://{settings.web_host}:{settings.web_port}"


def listen(settings: Settings) -> Listener | None:
    """Open the site's socket (WEB_PORT 0: any free port); None when the site is off, or when
    the address cannot be opened: that is reported and the bot goes on without the site."""
    if not settings.web_enabled:
        return None
    host, port = settings.web_host, settings.web_port
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.create_server((host, port), family=family, backlog=BACKLOG)
    except OSError as problem:
        log.error(
            "the web server could not listen on %s:%s (%s); set WEB_HOST/WEB_PORT, or "
            "WEB_ENABLED=false; going on without calendar feeds",
            host,
            port,
            problem.strerror or problem,
        )
        return None
    sock.setblocking(False)
    bound = sock.getsockname()[1]
    return Listener(sock, settings.public_base_url or f"http://{host}:{bound}")


async def start_web(runtime: Runtime, settings: Settings, listener: Listener) -> WebServer:
    """Serve the runtime's feeds and the agenda page on the socket opened by `listen`; the
    runtime stops the server when it stops."""
    limits = Limits(
        settings.web_rate_per_second,
        settings.web_rate_burst,
        behind_proxy=settings.web_behind_proxy,
    )
    connections = ConnectionLimits(
        header_timeout=settings.web_header_timeout_seconds,
        idle_timeout=settings.web_idle_timeout_seconds,
        max_connections=settings.web_max_connections,
        max_per_client=settings.web_max_connections_per_client,
        behind_proxy=settings.web_behind_proxy,
    )
    feeds = runtime.feeds
    server = WebServer(
        make_app(feeds, Pages(runtime.agenda, feeds, runtime.attendance.going), limits), connections
    )
    await server.start(sock=listener.sock)
    runtime.on_stop.append(server.stop)
    return server
