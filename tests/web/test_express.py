"""The express lane (bot/web/express.py) answers byte for byte what aiohttp answers: the same raw
requests go to the site with the lane and to the same site with it off (`express=False`), and
the answers are compared whole, the Date line aside; which requests the lane took is checked too,
so that a shape it should leave to aiohttp is not answered by it, and one it takes is."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.web import ConnectionLimits, Limits, Pages, WebServer, make_app
from bot.web import express as express_module
from bot.web.guard import GuardedHandler
from tests.web.conftest import GENEROUS, open_site


async def read_answer(reader: asyncio.StreamReader, head_only: bool) -> bytes:
    """One answer off a kept-alive connection: the head, then Content-Length bytes of body."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    lines = head.split(b"\r\n")
    status = lines[0].split(b" ")[1]
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    body = b""
    if not head_only and status not in (b"304", b"204"):
        body = await asyncio.wait_for(reader.readexactly(length), 10)
    return head + body


def undated(answer: bytes) -> bytes:
    head, _, body = answer.partition(b"\r\n\r\n")
    kept = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"date:")]
    return b"\r\n".join(kept) + b"\r\n\r\n" + body


async def exchange(port: int, chunks: list[bytes], heads: list[bool]) -> list[bytes]:
    """Send `chunks` (each its own write, the next once the server has read the one before is
    not waited for), read one answer per entry of `heads` (True: to a HEAD)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for chunk in chunks:
            writer.write(chunk)
            await writer.drain()
        return [undated(await read_answer(reader, head)) for head in heads]
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


class Pair:
    """The site with its lane, and a server of the same feeds with none."""

    def __init__(self, site, plain: WebServer) -> None:
        self.site = site
        self.plain = plain
        lane = site.server.lane
        assert lane is not None
        self.lane = lane

    async def both(self, chunks: list[bytes], heads: list[bool]) -> tuple[list[bytes], int]:
        """Each server's answers (must be the same), and how many the lane took."""
        before = self.lane.taken
        fast = await exchange(self.site.server.port, chunks, heads)
        taken = self.lane.taken - before
        slow = await exchange(self.plain.port, chunks, heads)
        assert fast == slow, chunks
        return fast, taken


async def paired(site) -> Pair:
    runtime = site.runtime
    pages = Pages(runtime.agenda, site.feeds, runtime.attendance.going)
    plain = WebServer(make_app(site.feeds, pages, GENEROUS), express=False)
    await plain.start("127.0.0.1", 0)
    for path in ("/feeds/agenda.ics", "/feeds/body/ptc.ics", "/feeds/topic/3d-printing.ics"):
        await site.get(path)  # built and agreed: ready for the lane
    return Pair(site, plain)


@pytest.fixture
async def pair(site):
    made = await paired(site)
    yield made
    await made.plain.stop()


async def tags(site) -> tuple[str, str, str]:
    _, plain, _ = await site.get("/feeds/agenda.ics")
    return plain["ETag"], plain["ETag"][:-1] + '-gzip"', plain["Last-Modified"]


def request(
    *fields: str, line: bytes = b"GET /feeds/agenda.ics HTTP/1.1", body: bytes = b""
) -> bytes:
    return line + b"\r\n" + b"".join(f"{f}\r\n".encode() for f in fields) + b"\r\n" + body


async def test_the_lane_answers_what_aiohttp_answers_for_every_shape_of_request(site, pair):
    tag, zipped, date = await tags(site)
    taken = [
        request("Host: x"),
        request("Host: x", "Accept-Encoding: gzip"),
        request("Host: x", "Accept-Encoding: identity"),
        request("Host: x", "Accept-Encoding: gzip;q=0"),
        request("Host: x", "Accept-Encoding: gzip;q=0, identity"),
        request("Host: x", "Accept-Encoding: *"),
        request("Host: x", "Accept-Encoding: *;q=0"),
        request("Host: x", "Accept-Encoding: x-gzip"),
        request("Host: x", "Accept-Encoding: GZIP"),
        request("Host: x", "Accept-Encoding: br, gzip;q=0.5"),
        request("Host: x", "Accept-Encoding: gzip;q=abc"),
        request("Host: x", "Accept-Encoding:"),
        request("Host: x", "Accept-Encoding: gzip", f"If-None-Match: {zipped}"),
        request("Host: x", "Accept-Encoding: gzip", f"If-None-Match: {tag}"),
        request("Host: x", f"If-None-Match: {tag}"),
        request("Host: x", "If-None-Match: *"),
        request("Host: x", f"If-None-Match: W/{tag}"),
        request("Host: x", f'If-None-Match: "other", {tag}'),
        request("Host: x", "If-None-Match:"),
        request("Host: x", 'If-None-Match: not a tag, ",,'),
        request("Host: x", f"If-Modified-Since: {date}"),
        request("Host: x", "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT"),
        request("Host: x", "If-Modified-Since: not a date"),
        request("Host: x", "If-None-Match: *", "If-Modified-Since: not a date"),
        request("Host: x", "Connection: keep-alive"),
        request("Host: x", "Connection: Keep-Alive"),
        request("host: x", "accept-encoding: gzip", f"if-none-match: {zipped}"),
        request("Host: x", "Accept-Encoding:   gzip  "),
        request("Host: x", "Accept-Encoding:\tgzip"),
        request("Host: x", "User-Agent: Calendar/1.0", "Accept: */*", "Accept-Language: fr"),
        request("Host: x", "Cache-Control: no-cache", "Pragma: no-cache"),
        request("Host: x", line=b"GET /feeds/body/ptc.ics HTTP/1.1"),
        request(
            "Host: x", "Accept-Encoding: gzip", line=b"GET /feeds/topic/3d-printing.ics HTTP/1.1"
        ),
    ]
    heads = [
        request("Host: x", line=b"HEAD /feeds/agenda.ics HTTP/1.1"),
        request("Host: x", "Accept-Encoding: gzip", line=b"HEAD /feeds/agenda.ics HTTP/1.1"),
        request("Host: x", f"If-None-Match: {tag}", line=b"HEAD /feeds/agenda.ics HTTP/1.1"),
    ]
    left = [
        request("Host: x", "Connection: close"),
        request("Host: x", "Connection: upgrade", "Upgrade: websocket"),
        request("Host: x", line=b"GET /feeds/agenda.ics HTTP/1.0"),
        request("Host: x", "Connection: keep-alive", line=b"GET /feeds/agenda.ics HTTP/1.0"),
        request("Host: x", "Range: bytes=0-10"),
        request("Host: x", "Expect: 100-continue"),
        request("Host: x", "Content-Length: 0"),
        request("Host: x", "Content-Length: 3", body=b"abc"),
        request("Host: x", "Transfer-Encoding: chunked", body=b"0\r\n\r\n"),
        request("Host: x", "Accept-Encoding: gzip", "Accept-Encoding: identity"),
        request("Host: x", "Host: y"),
        request(),  # no Host: aiohttp refuses it (a regression: the lane answered it)
        request("Host:"),
        request("Host: a b"),
        request("Host: x", "X-Forwarded-For: 10.0.0.1"),
        request("Host: x", "Accept-Encoding : gzip"),
        request("Host: x", "User-Agent: caf\u00e9"),
        request("Host: x", "User-Agent: a", " folded"),
        request("Host: x", line=b"GET /feeds/agenda.ics?x=1 HTTP/1.1"),
        request("Host: x", line=b"GET /feeds/AGENDA.ics HTTP/1.1"),
        request("Host: x", line=b"GET /feeds//agenda.ics HTTP/1.1"),
        request("Host: x", line=b"GET /feeds/%61genda.ics HTTP/1.1"),
        request("Host: x", line=b"GET /feeds/body/nobody.ics HTTP/1.1"),
        request("Host: x", line=b"GET /meetings/ptc-211-212.ics HTTP/1.1"),
        request("Host: x", line=b"GET /feeds/me/AAAAAAAAAAAAAAAA.ics HTTP/1.1"),
        request("Host: x", line=b"GET / HTTP/1.1"),
        request("Host: x", line=b"POST /feeds/agenda.ics HTTP/1.1"),
        request("Host: x", line=b"get /feeds/agenda.ics HTTP/1.1"),
    ]
    start = pair.lane.taken
    for raw in taken:
        answers, count = await pair.both([raw], [False])
        assert count == 1, raw
        assert answers[0].startswith((b"HTTP/1.1 200 OK\r\n", b"HTTP/1.1 304 Not Modified\r\n"))
    for raw in heads:
        assert (await pair.both([raw], [True]))[1] == 1, raw
    closing = [r for r in left if b"close" in r or (b"HTTP/1.0" in r and b"keep-alive" not in r)]
    for raw in left:
        if raw not in closing and b"Upgrade" not in raw:
            assert (await pair.both([raw], [False]))[1] == 0, raw
    for raw in closing:  # answered, then closed: read to the end
        assert await until_closed(site.server.port, raw) == await until_closed(pair.plain.port, raw)
    assert pair.lane.taken - start == len(taken) + len(heads)


async def until_closed(port: int, raw: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(raw)
        return undated(await asyncio.wait_for(reader.read(), 10))
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


NAMES = ["Host", "Accept-Encoding", "If-None-Match", "If-Modified-Since", "Connection", "Accept"]
VALUES = st.sampled_from(
    [
        "x",
        "gzip",
        "identity",
        "gzip;q=0",
        "*",
        "*;q=0, identity",
        "x-gzip;q=0.5",
        "keep-alive",
        "close",
        "*/*",
        "W/TAG",
        "TAG",
        "ZTAG",
        '"other", TAG',
        "DATE",
        "Thu, 01 Jan 1970 00:00:00 GMT",
        "",
        " gzip ",
        "\tgzip",
    ]
)
FIELDS_DRAWN = st.lists(st.tuples(st.sampled_from(NAMES), st.booleans(), VALUES), max_size=5)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    head=st.booleans(),
    path=st.sampled_from(["/feeds/agenda.ics", "/feeds/body/ptc.ics"]),
    fields=FIELDS_DRAWN,
)
async def test_any_combination_of_headers_gets_the_same_answer_from_both_paths(
    site, pair, head, path, fields
):
    # One site for every example: what they share (the feeds, the buckets) is not what differs.
    tag, zipped, date = await tags(site)
    lines = []
    for name, lower, value in fields:
        value = value.replace("ZTAG", zipped).replace("TAG", tag).replace("DATE", date)
        lines.append(f"{name.lower() if lower else name}: {value}")
    method = b"HEAD" if head else b"GET"
    raw = request(*lines, line=method + b" " + path.encode() + b" HTTP/1.1")
    closes = any(name == "Connection" and value == "close" for name, _, value in fields)
    if closes:
        assert await until_closed(site.server.port, raw) == await until_closed(pair.plain.port, raw)
    else:
        await pair.both([raw], [head])


class Watched:
    """Each read of the lane's server (`GuardedHandler.data_received`): whether the lane
    answered it, and an event once it is done, to send the next piece after it."""

    def __init__(self, lane) -> None:
        self.lane = lane
        self.results: list[bool] = []
        self.clean: list[bool] = []  # whether the lane may take the next bytes, after each read
        self.handlers: list[GuardedHandler] = []
        self.asked = asyncio.Event()

    def wrap(self, real):
        def data_received(handler, data: bytes) -> None:
            before = self.lane.taken
            real(handler, data)
            if handler.lane is self.lane and data:
                self.results.append(self.lane.taken != before)
                self.clean.append(handler.clean)
                self.handlers.append(handler)
                self.asked.set()

        return data_received

    async def next_call(self) -> None:
        await asyncio.wait_for(self.asked.wait(), 10)
        self.asked.clear()


def watch(pair: Pair, monkeypatch) -> Watched:
    watched = Watched(pair.lane)
    monkeypatch.setattr(GuardedHandler, "data_received", watched.wrap(GuardedHandler.data_received))
    return watched


async def one_by_one(port: int, raws: list[bytes]) -> list[bytes]:
    """Each request on one kept-alive connection, sent once the answer before it is read."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        answers = []
        for raw in raws:
            writer.write(raw)
            answers.append(undated(await read_answer(reader, False)))
        return answers
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def test_pipelined_requests_are_left_to_aiohttp_and_answered_in_order(pair):
    feed = request("Host: x", "Accept-Encoding: gzip")
    page = request("Host: x", line=b"GET /nowhere HTTP/1.1")
    answers, taken = await pair.both([feed + page + feed], [False, False, False])
    assert taken == 0
    assert [answer.split(b" ")[1] for answer in answers] == [b"200", b"404", b"200"]


async def test_a_request_sent_while_another_is_in_flight_is_answered_after_it(
    site, pair, monkeypatch
):
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow(token: str):
        entered.set()
        await release.wait()
        return None  # no such personal feed: 404

    monkeypatch.setattr(site.feeds, "personal", slow)
    watched = watch(pair, monkeypatch)
    reader, writer = await asyncio.open_connection("127.0.0.1", site.server.port)
    try:
        writer.write(request("Host: x", line=b"GET /feeds/me/AAAAAAAAAAAAAAAA.ics HTTP/1.1"))
        await asyncio.wait_for(entered.wait(), 10)
        await watched.next_call()  # the personal feed's request, not the lane's
        writer.write(request("Host: x"))
        await watched.next_call()
        assert watched.results == [False, False]  # aiohttp has a request in flight
        release.set()
        first = await read_answer(reader, False)
        second = await read_answer(reader, False)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    assert first.startswith(b"HTTP/1.1 404 ") and second.startswith(b"HTTP/1.1 200 OK\r\n")


async def split(
    pair: Pair, watched: Watched, chunks: list[bytes], heads: list[bool]
) -> list[bytes]:
    """`chunks` to the lane's server, each read by it before the next is sent; answers the
    same as those of the server without the lane."""
    reader, writer = await asyncio.open_connection("127.0.0.1", pair.site.server.port)
    try:
        for chunk in chunks:
            writer.write(chunk)
            await watched.next_call()
        fast = [undated(await read_answer(reader, head)) for head in heads]
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    assert fast == await exchange(pair.plain.port, chunks, heads)
    return fast


async def test_a_request_in_pieces_is_answered_by_aiohttp(pair, monkeypatch):
    watched = watch(pair, monkeypatch)
    whole = request("Host: x", "Accept-Encoding: gzip")
    answers = await split(pair, watched, [whole[:20], whole[20:]], [False])
    assert answers[0].startswith(b"HTTP/1.1 200 OK\r\n") and watched.results == [False, False]


async def test_the_tail_of_a_request_in_pieces_is_not_taken_for_a_request_of_its_own(
    pair, monkeypatch
):
    # Regression: the lane looked only at the bytes just received, and answered a feed for the
    # last piece of a request whose head aiohttp's parser held (here, /nowhere's).
    watched = watch(pair, monkeypatch)
    tail = request("Host: x")
    answers = await split(pair, watched, [b"GET /nowhere HTTP/1.1\r\nX-A: ", tail], [False])
    assert answers[0].startswith(b"HTTP/1.1 404 ") and watched.results == [False, False]


async def test_a_body_that_looks_like_a_request_is_not_taken_for_one(pair, monkeypatch):
    watched = watch(pair, monkeypatch)
    body = request("Host: x")
    head = b"GET /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body)
    answers, taken = await pair.both([head + body], [False])
    assert answers[0].startswith(b"HTTP/1.1 413 ") and taken == 0
    _, writer = await asyncio.open_connection("127.0.0.1", pair.site.server.port)
    try:
        writer.write(head)  # its body to come: the lane must not take it for a request
        await watched.next_call()
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    assert watched.clean[-1] is False


async def test_the_lane_takes_the_next_whole_request_after_aiohttp_answered_one(pair, monkeypatch):
    page, feed = request("Host: x", line=b"GET /nowhere HTTP/1.1"), request("Host: x")
    expected = (await pair.both([feed], [False]))[0][0]
    watched = watch(pair, monkeypatch)
    reader, writer = await asyncio.open_connection("127.0.0.1", pair.site.server.port)
    try:
        for chunk in (page[:10], page[10:]):
            writer.write(chunk)
            await watched.next_call()
        assert (await read_answer(reader, False)).split(b" ")[1] == b"404"
        writer.write(feed)
        await watched.next_call()
        assert undated(await read_answer(reader, False)) == expected
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    assert watched.results == [False, False, True]  # two pieces to aiohttp, then the lane's


@pytest.mark.parametrize("sent", [1000, 0, None], ids=["part", "none", "full socket"])
async def test_an_answer_the_socket_takes_in_part_arrives_whole(pair, monkeypatch, sent):
    real = os.sendfile

    def sendfile(out: int, source: int, offset: int, count: int) -> int:
        if sent is None:
            raise BlockingIOError
        return real(out, source, offset, min(count, sent)) if sent else 0

    monkeypatch.setattr(os, "sendfile", sendfile)
    answers, taken = await pair.both([request("Host: x")], [False])
    assert taken == 1 and len(answers[0]) > express_module.SENDFILE_OVER


async def test_the_lane_is_rate_limited_like_aiohttp(wco, tmp_path):
    limited = await open_site(wco, tmp_path, limits=Limits(per_second=0.01, burst=4))
    try:
        await limited.get("/feeds/agenda.ics")  # built and agreed; the first token
        lane = limited.server.lane
        assert lane is not None
        raw = request("Host: x")
        answers = await one_by_one(limited.server.port, [raw] * 4)
        statuses = [answer.split(b" ")[1] for answer in answers]
        assert statuses == [b"200", b"200", b"200", b"429"] and lane.taken == 3
        assert b"Retry-After: " in answers[3] and b"nosniff" in answers[3]
    finally:
        await limited.http.close()
        await limited.runtime.stop()


async def test_a_connection_answered_by_the_lane_is_closed_when_idle(wco, tmp_path):
    quick = ConnectionLimits(header_timeout=0.5, idle_timeout=0.5)
    opened = await open_site(wco, tmp_path, connections=quick)
    try:
        await opened.get("/feeds/agenda.ics")
        lane = opened.server.lane
        assert lane is not None
        reader, writer = await asyncio.open_connection("127.0.0.1", opened.server.port)
        try:
            writer.write(request("Host: x"))
            answer = await read_answer(reader, False)
            assert await asyncio.wait_for(reader.read(), 10) == b""  # closed, not left open
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and lane.taken == 1
    finally:
        await opened.http.close()
        await opened.runtime.stop()


async def test_the_site_without_the_lane_answers_everything_through_aiohttp(site):
    assert site.server.lane is not None  # on this aiohttp, the site has one
    behind = make_app(site.feeds, Pages(site.runtime.agenda, site.feeds), Limits(behind_proxy=True))
    assert express_module.ExpressLane not in {type(v) for v in behind.values()}


async def test_a_lane_answer_restarts_the_idle_timer_as_an_answer_from_aiohttp_does(
    pair, monkeypatch
):
    # Regression: the lane left aiohttp's keep-alive deadline where the connection's start set
    # it, so a connection in use, answered only by the lane, was closed as idle that long after
    # it was opened. (The deadline is read rather than waited for.)
    watched = watch(pair, monkeypatch)
    loop = asyncio.get_running_loop()
    reader, writer = await asyncio.open_connection("127.0.0.1", pair.site.server.port)
    try:
        writer.write(request("Host: x"))
        await read_answer(reader, False)
        answered = loop.time()
        writer.write(request("Host: x"))
        await read_answer(reader, False)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    handler = watched.handlers[-1]
    assert watched.results == [True, True]
    assert handler._next_keepalive_close_time >= answered + handler.keepalive_timeout


async def test_a_new_date_for_the_same_bytes_is_answered_within_the_same_second(
    site, pair, monkeypatch
):
    # Regression: an answer made this second was kept while the feed's bytes were the same
    # object, but the feeds give a new version a new date with the same bytes (`_agreed`): the
    # lane answered the old Last-Modified until the second was over, and kept the old memory
    # file open.
    monkeypatch.setattr(express_module, "rfc822_formatted_time", lambda: "one second")
    raw = request("Host: x")
    _, taken = await pair.both([raw], [False])
    assert taken == 1
    old = next(made for made in pair.lane._made.values() if made.file >= 0)
    feed = site.feeds.ready("all")
    moved = dataclasses.replace(feed, http_date="Fri, 01 Jan 2100 00:00:00 GMT")
    real = site.feeds.ready
    monkeypatch.setattr(site.feeds, "ready", lambda k, i="": moved if k == "all" else real(k, i))
    second, taken = await pair.both([raw], [False])
    assert taken == 1 and b"Last-Modified: Fri, 01 Jan 2100 00:00:00 GMT" in second[0]
    assert old.file == express_module.UNFILED


async def test_an_answer_is_written_when_no_memory_file_can_be_made(pair, monkeypatch):
    # Regression: memfd_create failing (the process out of files) raised out of data_received,
    # and asyncio closed the connection unanswered.
    def out_of_files(name: str, flags: int = 0) -> int:
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(os, "memfd_create", out_of_files)
    pair.lane.close()
    answers, taken = await pair.both([request("Host: x")], [False])
    assert taken == 1 and answers[0].startswith(b"HTTP/1.1 200 OK\r\n")


async def test_an_if_modified_since_with_a_number_too_large_is_no_date_on_either_path(pair):
    # Regression: parsedate_to_datetime raises OverflowError for a field too large for the C
    # integer it is made of; the check caught only ValueError and its kin. Through aiohttp, the
    # feed was a 500 (and a traceback logged); through the lane, the error left data_received,
    # and asyncio dropped the connection unanswered.
    for since in (
        "Thu, 01 Jan 1970 99999999999999999999:00:00 GMT",
        "Thu, 01 Jan 99999999999999999999 00:00:00 GMT",
        "Thu, 01 Jan 1970 00:00:00 +99999999999999999999",
    ):
        answers, taken = await pair.both(
            [request("Host: x", f"If-Modified-Since: {since}")], [False]
        )
        assert taken == 1 and answers[0].startswith(b"HTTP/1.1 200 OK\r\n"), since


FDS = Path("/proc/self/fd")


def memory_files_open() -> int:
    count = 0
    for fd in FDS.iterdir():
        with contextlib.suppress(OSError):  # the listing's own descriptor, closed since
            count += str(fd.readlink()).startswith("/memfd:feed")
    return count


@pytest.mark.skipif(not FDS.is_dir(), reason="counts files in /proc")
async def test_the_memory_files_open_at_once_are_capped(site, pair, monkeypatch):
    # Regression: each answer sent by sendfile kept a memory file open for its second, one per
    # feed and representation, none counted by the connection cap (`open_file_ceiling`): a
    # client asking for every feed in one second took as many file descriptors as there are
    # feeds, twice. Answers beyond the cap are written.
    monkeypatch.setattr(express_module, "rfc822_formatted_time", lambda: "one second")
    monkeypatch.setattr(express_module, "SENDFILE_OVER", 0)
    monkeypatch.setattr(express_module, "MEMORY_FILES", 2, raising=False)
    pair.lane.close()
    before = memory_files_open()
    paths = ["/feeds/agenda.ics", "/feeds/body/ptc.ics", "/feeds/topic/3d-printing.ics"]
    for path in paths:
        for fields in (["Host: x"], ["Host: x", "Accept-Encoding: gzip"]):
            line = f"GET {path} HTTP/1.1".encode()
            answers, taken = await pair.both([request(*fields, line=line)], [False])
            assert taken == 1 and answers[0].startswith(b"HTTP/1.1 200 OK\r\n"), path
    assert memory_files_open() - before == 2
    pair.lane.close()
    assert memory_files_open() == before


def test_only_the_heads_the_lane_takes_are_kept():
    """Every request head of up to 2 kB was kept, a personal feed's token with it, and pages
    asked for pushed the feeds' polls out of the kept heads."""

    class NotConnected:  # the lane looks no further than the connection
        transport = None
        _waiter = None

    lane = express_module.ExpressLane(None, lambda client: 0.0)  # type: ignore[arg-type]
    personal = b"GET /feeds/me/secret-token.ics HTTP/1.1\r\nHost: x\r\n\r\n"
    page = b"GET /meetings HTTP/1.1\r\nHost: x\r\n\r\n"
    feed = b"GET /feeds/agenda.ics HTTP/1.1\r\nHost: x\r\n\r\n"
    for data in (personal, page, feed):
        lane.take(NotConnected(), data)  # type: ignore[arg-type]
    assert list(lane._heads) == [feed]
