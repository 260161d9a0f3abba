"""The site on a real socket: the runtime, feeds and pages, served by aiohttp on a free port."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from bot.core import FixedClock, PlainTimes
from bot.service import AgendaService, Feeds, Runtime
from bot.settings import Settings
from bot.web import ConnectionLimits, Limits, Pages, WebServer, listen, make_app
from schedules import Outcome, State
from tests.conftest import NEWS_DAY


class NullSender:
    times = PlainTimes()

    async def send(self, destination, message, attempt):
        return Outcome(State.SENT)


@dataclass
class Site:
    runtime: Runtime
    feeds: Feeds
    server: WebServer
    http: aiohttp.ClientSession

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    async def get(self, path: str, headers=None, **kwargs):
        """Uncompressed unless the test asks (aiohttp's client offers gzip by itself)."""
        headers = {"Accept-Encoding": "identity", **(headers or {})}
        async with self.http.get(self.base + path, headers=headers, **kwargs) as response:
            return response.status, response.headers, await response.read()


GENEROUS = Limits(1000, 1000)


async def open_site(
    agenda, tmp_path, clock=None, limits=GENEROUS, connections: ConnectionLimits | None = None
):
    service = AgendaService(agenda, clock or FixedClock(NEWS_DAY))
    listener = listen(Settings(_env_file=None, web_port=0))
    runtime = await Runtime.open(
        service,
        NullSender(),
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}",
        default_zone=ZoneInfo("UTC"),
        site_url=listener.url,
    )
    await runtime.start()
    feeds = runtime.feeds
    pages = Pages(service, feeds, runtime.attendance.going)
    server = WebServer(make_app(feeds, pages, limits), connections)
    await server.start(sock=listener.sock)
    runtime.on_stop.append(server.stop)
    return Site(runtime, feeds, server, aiohttp.ClientSession())


@pytest.fixture
async def site(wco, tmp_path):
    opened = await open_site(wco, tmp_path)
    yield opened
    await opened.http.close()
    await opened.runtime.stop()


@pytest.fixture
async def mini_site(mini, tmp_path):
    """The small test data set (a timed meeting in Brussels among them), as of its own day."""
    from bot.core import FixedClock
    from tests.conftest import MINI_DAY

    opened = await open_site(mini, tmp_path, FixedClock(MINI_DAY))
    yield opened
    await opened.http.close()
    await opened.runtime.stop()
