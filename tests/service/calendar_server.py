"""A local HTTP server that publishes a calendar which the tests change, with ETags (a 304 for
an unchanged one), failures on demand, a calendar that never ends, and a record of what each
request asked and how it was answered."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

CALENDARS = Path(__file__).resolve().parents[1] / "fixtures" / "calendars"


@dataclass
class CalendarServer:
    content: bytes = b""
    status: int = 200
    requests: list[dict[str, str]] = field(default_factory=list)
    answered: list[int] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None

    def publish(self, name: str) -> None:
        self.content = (CALENDARS / name).read_bytes()
        self.status = 200

    async def _serve(self, request: web.Request) -> web.Response:
        self.requests.append(dict(request.headers))
        response = self._answer(request)
        self.answered.append(response.status)
        return response

    def _answer(self, request: web.Request) -> web.Response:
        if self.status != 200:
            return web.Response(status=self.status, text="unavailable")
        etag = '"' + hashlib.sha256(self.content).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=self.content, content_type="text/calendar", headers={"ETag": etag})

    async def _endless(self, request: web.Request) -> web.StreamResponse:
        """Chunks without a length, for as long as the reader reads."""
        response = web.StreamResponse(headers={"Content-Type": "text/calendar"})
        await response.prepare(request)
        await response.write(b"BEGIN:VCALENDAR\r\n")
        try:
            while True:
                await response.write(b"X-FILLER:" + b"x" * 500 + b"\r\n")
        except ConnectionResetError:  # the reader gave up, as it should
            return response

    async def start(self) -> CalendarServer:
        app = web.Application()
        app.router.add_get("/org.ics", self._serve)
        app.router.add_get("/endless.ics", self._endless)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/org.ics"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
