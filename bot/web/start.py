"""Starting the site on top of a running runtime, from settings."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.service import Feeds, Runtime
from bot.settings import Settings

from .app import Limits, WebServer, make_app
from .guard import ConnectionLimits
from .pages import Pages

log = logging.getLogger(__name__)


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


def feeds_from_settings(runtime: Runtime, settings: Settings) -> Feeds:
    """The feeds of the site the settings describe; `/calendar link` answers with their
    addresses whether or not this process serves them (`python -m bot ask`)."""
    base = site_address(settings) or f"http://{settings.web_host}:{settings.web_port}"
    return Feeds(runtime, base, timedelta(minutes=settings.feed_refresh_minutes))


async def start_web(runtime: Runtime, settings: Settings) -> WebServer | None:
    """Serve feeds and the agenda page; the runtime stops the server when it stops. A port that
    cannot be opened is reported and the bot goes on without the site."""
    if not settings.web_enabled:
        return None
    feeds = feeds_from_settings(runtime, settings)
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
    server = WebServer(make_app(feeds, Pages(runtime.agenda, feeds), limits), connections)
    try:
        await server.start(settings.web_host, settings.web_port)
    except OSError as problem:
        log.error(
            "the web server could not listen on %s:%s (%s); set WEB_HOST/WEB_PORT, or "
            "WEB_ENABLED=false; going on without calendar feeds",
            settings.web_host,
            settings.web_port,
            problem.strerror,
        )
        return None
    if settings.public_base_url is None and settings.web_port == 0:
        feeds.base_url = f"http://{settings.web_host}:{server.port}"
    runtime.runner.feeds = feeds
    runtime.on_stop.append(server.stop)
    return server
