"""Fetching a followed calendar over HTTP: conditional requests (ETag, Last-Modified), a size
limit enforced while reading, one time-out for the whole fetch, and every failure as a
FetchError whose text says what happened."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp

from bot.core import clean_input

USER_AGENT = "agenda-bot (calendar follower)"
REDIRECTS = 5


class FetchError(Exception):
    """The calendar could not be fetched; the message says why, in words for /following."""


class Stopping(Exception):
    """The bot is stopping: the fetch was not made."""


@dataclass(frozen=True, slots=True)
class Fetched:
    content: bytes
    etag: str
    last_modified: str


class CalendarFetcher:
    def __init__(self, timeout: float, max_bytes: int) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._session: aiohttp.ClientSession | None = None
        self._stopping = False

    async def fetch(self, url: str, etag: str, last_modified: str) -> Fetched | None:
        """The calendar's bytes with its ETag and Last-Modified, or None for a 304."""
        headers = {"User-Agent": USER_AGENT, "Accept": "text/calendar, */*;q=0.5"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            async with asyncio.timeout(self.timeout):
                session = self._client()
                async with session.get(url, headers=headers, max_redirects=REDIRECTS) as response:
                    if response.status == 304:
                        return None
                    if response.status != 200:
                        raise FetchError(f"the server answered {response.status}")
                    content = bytearray()
                    async for chunk in response.content.iter_chunked(65536):
                        content += chunk
                        if len(content) > self.max_bytes:
                            raise FetchError(f"it is larger than {self.max_bytes:,} bytes")
                    return Fetched(
                        bytes(content),
                        response.headers.get("ETag", "")[:500],
                        response.headers.get("Last-Modified", "")[:100],
                    )
        except TimeoutError:
            raise FetchError(f"no answer within {self.timeout:.0f} s") from None
        # aiohttp's own errors; ValueError for a host IDNA cannot encode; OSError for sockets.
        except (aiohttp.ClientError, ValueError, OSError) as problem:
            said = clean_input(str(problem), 200) or type(problem).__name__
            raise FetchError(f"it could not be reached ({said})") from None

    def _client(self) -> aiohttp.ClientSession:
        if self._stopping:
            raise Stopping
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    def stop(self) -> None:
        self._stopping = True

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
