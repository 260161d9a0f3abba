"""A bounded fuzz of the web server over raw sockets: bad request lines and headers, garbage,
pipelining, requests cut short, slow and idle connections. Seeded, so a failure can be replayed;
it ends with the site still answering, and nothing in the log but one line per kind."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re

import pytest

from bot.web import ConnectionLimits
from bot.web.guard import SECURITY_HEADERS
from tests.web.conftest import open_site

SEED = 9
CASES = 400
LIMITS = ConnectionLimits(header_timeout=0.5, idle_timeout=0.5, max_per_client=16)
STATUS = re.compile(rb"HTTP/1\.[01] (\d{3}) ")
PATHS = [
    "/",
    "/feeds/agenda.ics",
    "/feeds/body/ptc.ics",
    "/meetings/ptc-211-212",
    "/topics/3d-printing",
    "/static/site.css",
    "/feeds/me/AAAAAAAAAAAAAAAA.ics",
    "/nowhere",
]
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "CONNECT", "PRI", "G\x00T"]


def request_line(rng: random.Random) -> bytes:
    method = rng.choice([*METHODS, "get", "X" * rng.randint(1, 300), ""])
    path = rng.choice(
        [
            *PATHS,
            "/" + "a" * rng.randint(1000, 9000),
            "/%" + rng.choice(["", "zz", "00", "c0%af"]),
            "/../../etc/passwd",
            "*",
            "http://evil.example/",
            "/\u00e9\u2603".encode().decode("latin-1"),
            "/" + "".join(chr(rng.randint(0, 255)) for _ in range(rng.randint(1, 40))),
        ]
    )
    version = rng.choice(["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1.1x", "HTTP/", "", "http/1.1"])
    return f"{method} {path} {version}".encode("latin-1")


def header_lines(rng: random.Random) -> list[bytes]:
    lines = [b"Host: agenda.example"] if rng.random() < 0.8 else []
    for _ in range(rng.randint(0, 6)):
        lines.append(
            rng.choice(
                [
                    b"Host: second.example",
                    b"Content-Length: " + rng.choice([b"0", b"5", b"-1", b"99999999999", b"x"]),
                    b"Transfer-Encoding: " + rng.choice([b"chunked", b"gzip", b"chunked, chunked"]),
                    b"Expect: " + rng.choice([b"100-continue", b"teapot"]),
                    b"Connection: " + rng.choice([b"close", b"keep-alive", b"upgrade"]),
                    b"Upgrade: websocket",
                    b"If-None-Match: " + rng.choice([b"*", b'"x"', b"W/"]),
                    b"If-Modified-Since: " + rng.choice([b"yesterday", b"Thu, 01 Jan 1970"]),
                    b"X-Forwarded-For: " + rng.choice([b"1.2.3.4", b"::1", b"garbage"]),
                    b"X-Long: " + b"v" * rng.randint(3000, 9000),
                    b"No colon here",
                    b" folded: continuation",
                    b"Bad\x00Name: x",
                    b"Good: bad\x01value",
                    b": no name",
                    bytes(rng.randint(0, 255) for _ in range(rng.randint(1, 60))),
                ]
            )
        )
    if rng.random() < 0.05:
        lines += [b"X-Many: %d" % n for n in range(200)]
    return lines


def request(rng: random.Random) -> bytes:
    kind = rng.random()
    if kind < 0.1:
        return bytes(rng.randint(0, 255) for _ in range(rng.randint(1, 2000)))
    if kind < 0.2:  # pipelined, well-formed
        return b"".join(
            f"GET {rng.choice(PATHS)} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
            for _ in range(rng.randint(2, 5))
        )
    head = b"\r\n".join([request_line(rng), *header_lines(rng)])
    ending = rng.choice([b"\r\n\r\n", b"\n\n", b"\r\n", b"", b"\r\n\r\n" + b"body" * 3])
    return head + ending


async def exchange(port: int, source: str, payload: bytes, rng: random.Random) -> bytes:
    """Send `payload` (in pieces, or only part of it, or nothing: idle) and read until the
    server closes the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    try:
        style = rng.random()
        if style < 0.1:
            payload = b""  # idle: sends nothing at all
        elif style < 0.2:
            payload = payload[: rng.randint(0, len(payload))]  # slow: stops half-way
        pieces = [payload] if rng.random() < 0.5 else _split(payload, rng)
        with contextlib.suppress(ConnectionError):
            for piece in pieces:
                writer.write(piece)
                await writer.drain()
        with contextlib.suppress(ConnectionError):
            return await asyncio.wait_for(reader.read(), 10)
        return b""
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


def _split(payload: bytes, rng: random.Random) -> list[bytes]:
    cuts = sorted(rng.sample(range(len(payload) + 1), min(len(payload), rng.randint(1, 8))))
    return [payload[a:b] for a, b in zip([0, *cuts], [*cuts, len(payload)], strict=True)]


@pytest.fixture
async def fuzzed_site(wco, tmp_path):
    opened = await open_site(wco, tmp_path, connections=LIMITS)
    yield opened
    await opened.http.close()
    await opened.runtime.stop()


async def test_fuzzed_requests_get_clean_answers_and_the_site_keeps_answering(fuzzed_site, caplog):
    caplog.set_level(logging.INFO)
    rng = random.Random(SEED)
    port = fuzzed_site.server.port
    cases = [
        (f"127.0.2.{n % 250 + 1}", request(rng), random.Random(rng.random())) for n in range(CASES)
    ]
    at_once = asyncio.Semaphore(64)

    async def one(source: str, payload: bytes, case_rng: random.Random) -> bytes:
        async with at_once:
            return await exchange(port, source, payload, case_rng)

    async with asyncio.timeout(25):
        answers = await asyncio.gather(*(one(*case) for case in cases))
    statuses = [int(code) for answer in answers for code in STATUS.findall(answer)]
    assert statuses, "nothing was answered"
    assert set(statuses) <= {200, 304, 400, 404, 405, 413, 417, 429, 503}, sorted(set(statuses))
    for answer in answers:
        for head in re.findall(rb"HTTP/1\.[01] (?!304)\d{3} .*?\r\n\r\n", answer, re.S):
            assert b"X-Content-Type-Options: nosniff" in head, head[:200]
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info]
    kinds = {
        r.getMessage().split(")")[0] for r in caplog.records if "bad request" in r.getMessage()
    }
    assert len([r for r in caplog.records if "bad request" in r.getMessage()]) == len(kinds)
    # Still answering, and no connection left counted against a client that used the most.
    busiest = f"127.0.2.{1}"
    opened = [
        await asyncio.open_connection("127.0.0.1", port, local_addr=(busiest, 0))
        for _ in range(LIMITS.max_per_client)
    ]
    try:
        for _, writer in opened:
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answers = [await asyncio.wait_for(reader.read(), 5) for reader, _ in opened]
    finally:
        for _, writer in opened:
            writer.close()
    assert all(a.startswith(b"HTTP/1.1 200 ") for a in answers)
    for name in SECURITY_HEADERS:
        assert name.encode() in answers[0]
