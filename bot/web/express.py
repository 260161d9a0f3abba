"""The express lane: a public feed's answer written straight from the connection, for a request
the lane understands whole, without a request object, a task or aiohttp's response machinery.

Why: a calendar application polling a feed is the site's load, and aiohttp's per-request work
(parser, request, task, response, writer) cost ~50 us of CPU per 200, four to five times nginx
serving the same bytes, and its p99 (50 clients) four times nginx's. Here, a request is answered
by one write() of bytes made once a second (a 304, a HEAD, a large 200) or one sendfile() from a
memory file holding them (a 200 of a few hundred kB: the kernel takes the memory file's pages as
nginx's sendfile takes the page cache's, where a write() copies them out of the process; see
SENDFILE_UNDER): ~15 us for the gzipped feed of 1,000 meetings.

The lane answers byte for byte what the aiohttp route answers (the same `decide`, headers in
aiohttp's order, aiohttp's own Date and Server, the security headers), and takes a request only
when all of this holds; anything else goes to aiohttp unchanged:

- the bytes of one read are exactly one whole request head (no partial request, no pipelining),
  and aiohttp's parser holds no part of an earlier one (`GuardedHandler.clean`);
- GET or HEAD of /feeds/agenda.ics or /feeds/{body|topic}/{ident}.ics, HTTP/1.1, no query;
- only headers that it treats as aiohttp does (`FIELDS`), each once, printable ASCII; none that
  asks for something else (Range, Expect, a body, Connection: close, Upgrade...); a plain Host
  (aiohttp refuses a request without one);
- the connection has nothing in flight: aiohttp waits for a request, none is queued, and the
  transport has sent everything (so answers keep their order, and a client that does not read
  meets aiohttp's flow control);
- the feed is ready without a coroutine (`Feeds.ready`), and the client is within its rate (a
  request over it goes to aiohttp, which answers 429; a refused request takes no token, so asking
  the bucket again counts nothing twice).

It then does aiohttp's bookkeeping for an answered request: the keep-alive timer and the server's
request count. Not behind a proxy (whose X-Forwarded-For it would have to read) nor over TLS.
"""

from __future__ import annotations

import contextlib
import os
import re
from asyncio import Transport
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp.helpers import rfc822_formatted_time
from aiohttp.http import SERVER_SOFTWARE
from aiohttp.web_protocol import RequestHandler

from bot.service import Feed, Feeds

from .answers import Answers, decide, gzipped
from .guard import SECURITY_HEADERS

if TYPE_CHECKING:
    from .guard import GuardedHandler

REQUEST = re.compile(rb"(GET|HEAD) /feeds/(?:agenda|(body|topic)/([a-z0-9-]+))\.ics HTTP/1\.1")
# Headers whose every value the lane treats as aiohttp does: ignored by the feed routes, or read
# through `decide`. Connection only as keep-alive (HTTP/1.1's default).
FIELDS = frozenset(
    {
        b"host",
        b"user-agent",
        b"accept",
        b"accept-language",
        b"accept-encoding",
        b"if-none-match",
        b"if-modified-since",
        b"connection",
        b"cache-control",
        b"pragma",
    }
)
VALUE = re.compile(rb"[\x20-\x7e\t]*")
HOST = re.compile(r"[A-Za-z0-9.:\[\]-]+")  # a name or address, and port: aiohttp needs one
LONGEST = 2048  # bytes of a request head it takes: far under aiohttp's line and field limits
# Answers sent by sendfile() from a memory file; others by one write(). Measured (1,000
# meetings, 50 clients): the 143 kB gzipped feed costs 16.6 us of CPU per answer by sendfile,
# 21.3 us by write(); the 809 kB plain feed ~250 us by sendfile, ~140 us by write(): the socket
# takes only part of it, and the rest goes through the transport's buffer anyway. The bound
# between is a guess; small answers (a 304, a HEAD) are not worth a system call more.
SENDFILE_OVER = 16 * 1024
SENDFILE_UNDER = 256 * 1024
UNFILED = -2
# Memory files open at once (one per answer sent by one, kept for its second): each is a file
# descriptor the connection cap (`open_file_ceiling`) does not count, so a client asking for
# every feed in one second must not take them all. Answers beyond are written.
MEMORY_FILES = 16
HEADS_KEPT = 1024  # request heads read (at most LONGEST bytes each), forgotten all at once
_HANDLER_PARTS = (
    "_messages",
    "_waiter",
    "_force_close",
    "_close",
    "_upgraded",
    "_payload_parser",
    "_keepalive",
    "_keepalive_handle",
    "_keepalive_timeout",
    "_next_keepalive_close_time",
    "_manager",
)


def lane_fits() -> bool:
    """Whether this aiohttp's request handler has the parts the lane reads and keeps (its
    insides, which another version may change: without them, aiohttp answers everything)."""
    slots = {slot for kind in RequestHandler.__mro__ for slot in getattr(kind, "__slots__", ())}
    return all(part in slots for part in _HANDLER_PARTS) and hasattr(
        RequestHandler, "_process_keepalive"
    )


@dataclass(slots=True)
class _Made:
    """One answer's bytes for one second (its Date), and its memory file once sent by one."""

    feed: Feed  # the version it was made from (a new one may keep the bytes, with a new date)
    whole: bytes
    file: int = -1  # none made yet; UNFILED: none could be

    def forget(self) -> int:
        """Close its memory file: how many it closed (0 or 1)."""
        closed = 0
        if self.file >= 0:
            closed = 1
            with contextlib.suppress(OSError):
                os.close(self.file)
        self.file = UNFILED
        return closed


class ExpressLane:
    def __init__(self, feeds: Feeds, allow: Callable[[str], float]) -> None:
        self.feeds = feeds
        self.allow = allow
        self.taken = 0  # requests answered here (for tests and a curious operator)
        self.memory_files = hasattr(os, "memfd_create") and hasattr(os, "sendfile")
        self._date = ""
        self._files = 0  # memory files open (at most MEMORY_FILES)
        self._made: dict[tuple[str, str, bool, bool, bool], _Made] = {}
        self._heads: dict[bytes, _Head] = {}

    def take(self, handler: GuardedHandler, data: bytes) -> bool:
        """Answer `data` if it is a request the lane takes (see the module); False: it has done
        nothing, and aiohttp is to read `data`."""
        if len(data) > LONGEST or data[-4:] != b"\r\n\r\n":
            return False
        heads = self._heads
        head = heads.get(data)  # a client asks in the same bytes each time: read them once
        if head is None:
            head = _read(data)
            if head is None:  # not kept: no page request or personal feed's token held here
                return False
            if len(heads) >= HEADS_KEPT:
                heads.clear()
            heads[data] = head
        transport = handler.transport
        waiter = handler._waiter
        if (
            transport is None
            or waiter is None
            or waiter.done()
            or handler._messages
            or handler._force_close
            or handler._close
            or handler._upgraded
            or handler._payload_parser is not None
            or transport.is_closing()
            or transport.get_write_buffer_size()
        ):
            return False
        feed = self.feeds.ready(head.kind, head.ident)
        client = handler.client
        if feed is None or client is None or self.allow(client):
            return False
        answers, zipped, current = decide(
            feed, head.encodings, head.tags, head.since, False, False, head.filename
        )
        made = self._answer(feed, answers, head.filename, zipped, current, head.head_only)
        self._send(transport, made)
        self.taken += 1
        _answered(handler)
        return True

    def _answer(
        self, feed: Feed, answers: Answers, filename: str, zipped: bool, current: bool, head: bool
    ) -> _Made:
        date = rfc822_formatted_time()  # aiohttp's own, cached by the second as it is there
        if date != self._date:
            self.close()
            self._date = date
        key = (answers.etag, filename, zipped, current, head)
        made = self._made.get(key)
        if made is None or made.feed is not feed:
            if made is not None:
                self._files -= made.forget()
            made = _Made(feed, _serialized(feed, answers, zipped, current, head, date))
            self._made[key] = made
        return made

    def _send(self, transport: Transport, made: _Made) -> None:
        whole = made.whole
        sent = 0
        if self.memory_files and SENDFILE_OVER < len(whole) <= SENDFILE_UNDER:
            if made.file == -1 and self._files < MEMORY_FILES:
                made.file = _memory_file(whole)
                self._files += made.file >= 0
            if made.file >= 0:
                socket = transport.get_extra_info("socket")
                try:
                    sent = os.sendfile(socket.fileno(), made.file, 0, len(whole))
                except OSError:
                    sent = 0  # full, or the client left: the transport sees to it as to a write
        if sent < len(whole):
            transport.write(memoryview(whole)[sent:])

    def close(self) -> None:
        """Forget the answers made (and close their memory files): a new second, or the end."""
        for made in self._made.values():
            made.forget()
        self._made = {}
        self._files = 0


def _memory_file(data: bytes) -> int:
    """A memory file holding `data`, or UNFILED when none can be made (no file left: the
    answer is written instead)."""
    try:
        file = os.memfd_create("feed")
    except OSError:
        return UNFILED
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(file, view) :]
    except OSError:
        os.close(file)
        return UNFILED
    return file


@dataclass(frozen=True, slots=True)
class _Head:
    """What the lane reads of a request it takes: the feed, and the three headers that matter."""

    kind: str
    ident: str
    filename: str
    head_only: bool
    encodings: str
    tags: str | None
    since: str | None


def _read(data: bytes) -> _Head | None:
    """The request in `data` (one whole head), if the lane takes its kind (see the module)."""
    head = data[:-4]
    if b"\r\n\r\n" in head:
        return None
    line, _, rest = head.partition(b"\r\n")
    found = REQUEST.fullmatch(line)
    if found is None:
        return None
    fields: dict[bytes, str] = {}
    if rest:
        for field in rest.split(b"\r\n"):
            name, colon, value = field.partition(b":")
            name = name.lower()
            if not colon or name not in FIELDS or name in fields:
                return None
            value = value.strip(b" \t")
            if VALUE.fullmatch(value) is None:
                return None
            fields[name] = value.decode()
    host = fields.get(b"host")
    if host is None or HOST.fullmatch(host) is None:
        return None
    connection = fields.get(b"connection")
    if connection is not None and connection.lower() != "keep-alive":
        return None
    kind, ident = found[2], found[3]
    scope, name_ = ("all", "") if kind is None else (kind.decode(), ident.decode())
    return _Head(
        scope,
        name_,
        "agenda.ics" if kind is None else f"{scope}-{name_}.ics",
        found[1] == b"HEAD",
        fields.get(b"accept-encoding", ""),
        fields.get(b"if-none-match"),
        fields.get(b"if-modified-since"),
    )


def _serialized(
    feed: Feed, answers: Answers, zipped: bool, current: bool, head: bool, date: str
) -> bytes:
    """The answer as aiohttp writes it: the route's headers, then those aiohttp adds (length,
    date, server), then the security headers (added as the answer is sent, but not to a 304)."""
    if current:
        lines = ["HTTP/1.1 304 Not Modified", *_lines(answers.not_modified.items())]
        lines += [f"Date: {date}", f"Server: {SERVER_SOFTWARE}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()
    body = gzipped(feed.content) if zipped else feed.content
    lines = ["HTTP/1.1 200 OK", *_lines(answers.full.items()), f"Content-Length: {len(body)}"]
    lines += [f"Date: {date}", f"Server: {SERVER_SOFTWARE}", *_lines(SECURITY_HEADERS.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (b"" if head else body)


def _lines(headers: Iterable[tuple[str, str]]) -> list[str]:
    return [f"{name}: {value}" for name, value in headers]


def _answered(handler: RequestHandler) -> None:
    """What aiohttp's request loop does after a kept-alive answer: count it, and (re)start the
    keep-alive timer, so that the connection is closed when idle, not while it is used."""
    handler._manager.requests_count += 1  # type: ignore[union-attr]
    handler._keepalive = True
    loop = handler._loop
    close_time = loop.time() + handler._keepalive_timeout
    handler._next_keepalive_close_time = close_time
    if handler._keepalive_handle is None:
        handler._keepalive_handle = loop.call_at(close_time, handler._process_keepalive)
