"""A feed's answer to one request, decided from the request's three headers that matter: which
representation (gzip or not, each with its own ETag), and whether the client's copy is current
(304). Shared by the aiohttp route and the express lane (`express.py`), so that both decide
alike; the headers are built once per feed version."""

from __future__ import annotations

import functools
import gzip
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime

from multidict import CIMultiDict, CIMultiDictProxy

from bot.service import Feed

ICS = "text/calendar; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Answers:
    """A representation's headers, for a 304 and for the whole answer. Read-only: each response
    copies them (from a multidict, the cheapest copy aiohttp makes: a quarter of a dict's)."""

    etag: str  # of this representation (gzip or not)
    not_modified: CIMultiDictProxy[str]
    full: CIMultiDictProxy[str]


def decide(
    feed: Feed,
    encodings: str,
    tags: str | None,
    since: str | None,
    private: bool,
    download: bool,
    filename: str,
) -> tuple[Answers, bool, bool]:
    """The representation's headers, whether it is gzipped, and whether the client's copy is
    current, from Accept-Encoding, If-None-Match and If-Modified-Since (heeded only without
    If-None-Match)."""
    zipped = accepts_gzip(encodings)
    answers = _answers(feed.etag, feed.http_date, zipped, private, download, filename)
    if tags is not None:
        offered = _offered(tags)
        current = "*" in offered or answers.etag in offered
    else:
        current = bool(since) and _unmodified_since(since or "", feed)
    return answers, zipped, current


@functools.lru_cache(maxsize=1024)
def _answers(
    etag: str, http_date: str, zipped: bool, private: bool, download: bool, filename: str
) -> Answers:
    """A feed's caching headers, the same for every request of one version: built once."""
    if zipped:
        etag = etag[:-1] + '-gzip"'
    caching: CIMultiDict[str] = CIMultiDict(
        {
            "ETag": etag,
            "Last-Modified": http_date,
            "Cache-Control": f"{'private' if private else 'public'}, max-age=300",
            "Content-Disposition": (
                f'{"attachment" if download else "inline"}; filename="{filename}"'
            ),
            "Vary": "Accept-Encoding",
        }
    )
    full = caching.copy()
    if zipped:
        full["Content-Encoding"] = "gzip"
    full["Content-Type"] = ICS
    return Answers(etag, CIMultiDictProxy(caching), CIMultiDictProxy(full))


@functools.lru_cache(maxsize=256)
def accepts_gzip(header: str) -> bool:
    """Whether an Accept-Encoding header takes gzip: named (`gzip;q=0` refuses it), else by
    `*`."""
    qualities: dict[str, float] = {}
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        quality = params.strip().lower().removeprefix("q=")
        qualities[name.strip().lower()] = _quality(quality) if params.strip() else 1.0
    for name in ("gzip", "x-gzip", "*"):
        if name in qualities:
            return qualities[name] > 0
    return False


def _quality(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 1.0


@functools.lru_cache(maxsize=32)
def gzipped(content: bytes) -> bytes:
    """The same bytes give the same compressed bytes (mtime 0), built once per feed version."""
    return gzip.compress(content, compresslevel=6, mtime=0)


@functools.lru_cache(maxsize=1024)
def _offered(tags: str) -> frozenset[str]:
    """The entity tags of an If-None-Match header: a feed's clients send the same few again."""
    return frozenset(tag.strip().removeprefix("W/") for tag in tags.split(","))


def _unmodified_since(since: str, feed: Feed) -> bool:
    """Whether an If-Modified-Since date is no earlier than the feed's Last-Modified (not when
    it is no date: a number too large for one, too)."""
    try:
        moment = parsedate_to_datetime(since)
    except (TypeError, ValueError, IndexError, OverflowError):
        return False
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return feed.last_modified.replace(microsecond=0) <= moment
