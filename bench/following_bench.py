"""Followed calendars: 100 calendars of 1,000 events each, served by a local HTTP server with
ETags. Prints, for the first reading (every event new), a cycle in which one event of each
calendar moved, and a cycle in which nothing changed (every answer a 304): wall time, CPU time
and the process's memory, from the same run.

    python -m bench.following_bench [--feeds 100] [--events 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.core import FixedClock
from bot.service import BUNDLED_DATA, AgendaService, Runtime, load_agenda

START = datetime(2016, 3, 1, 12, tzinfo=UTC)


def calendar(number: int, events: int, moved: bool) -> bytes:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//bench//bench//EN",
        f"X-WR-CALNAME:Organisation {number}",
    ]
    first = datetime(2016, 3, 2, 9)
    for index in range(events):
        start = first + timedelta(hours=7 * index + (24 if moved and index == 0 else 0))
        lines += [
            "BEGIN:VEVENT",
            f"UID:event-{index}@org-{number}.example",
            "DTSTAMP:20160101T000000Z",
            f"DTSTART;TZID=Europe/Brussels:{start:%Y%m%dT%H%M%S}",
            f"DTEND;TZID=Europe/Brussels:{start + timedelta(hours=2):%Y%m%dT%H%M%S}",
            f"SUMMARY:Meeting {index} of organisation {number}",
            "LOCATION:Room 1",
            "STATUS:CONFIRMED",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines).encode()


class Publisher:
    def __init__(self, feeds: int, events: int) -> None:
        self.events = events
        self.contents = [calendar(n, events, moved=False) for n in range(feeds)]
        self.requests = 0

    def move_one_event_in_each(self) -> None:
        self.contents = [calendar(n, self.events, moved=True) for n in range(len(self.contents))]

    async def serve(self, request: web.Request) -> web.Response:
        self.requests += 1
        content = self.contents[int(request.match_info["number"])]
        etag = '"' + hashlib.sha256(content).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=content, content_type="text/calendar", headers={"ETag": etag})


class NoSender:
    async def send(self, destination: object, message: object, attempt: int) -> object:
        raise AssertionError("nobody follows these meetings")


def rss_mb() -> float:
    with Path("/proc/self/statm").open() as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 1e6


async def cycle(runtime: Runtime, label: str) -> None:
    feeds = runtime.follower.feeds
    for row in await feeds.all():
        await feeds.record(row.id, next_fetch=0)
    wall, cpu = time.perf_counter(), time.process_time()
    await runtime.follower.read_due()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    meetings = len(runtime.agenda.everything.meetings)
    print(
        f"{label:<34} wall {wall:7.2f} s  CPU {cpu:7.2f} s  memory {rss_mb():6.0f} MB "
        f"(peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6:.0f} MB)  "
        f"{meetings:,} meetings"
    )


async def measure(feeds: int, events: int) -> None:
    publisher = Publisher(feeds, events)
    app = web.Application()
    app.router.add_get("/cal/{number}.ics", publisher.serve)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    with tempfile.TemporaryDirectory() as folder:
        service = AgendaService(load_agenda(BUNDLED_DATA), FixedClock(START))
        runtime = await Runtime.open(
            service,
            NoSender(),
            database_url=f"sqlite+aiosqlite:///{folder}/bench.sqlite3",
            default_zone=ZoneInfo("UTC"),
        )
        print(f"{feeds} calendars of {events:,} events; memory before: {rss_mb():.0f} MB")
        for number in range(feeds):
            url = f"http://127.0.0.1:{port}/cal/{number}.ics"
            await runtime.follower.feeds.follow(url, "", "session", "[]", "bench", 0)
        await cycle(runtime, "first reading (every event new)")
        publisher.move_one_event_in_each()
        await cycle(runtime, "one event moved in each calendar")
        await cycle(runtime, "nothing changed (all 304)")
        print(f"requests served: {publisher.requests:,}")
        await runtime.stop()
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=100)
    parser.add_argument("--events", type=int, default=1000)
    args = parser.parse_args()
    asyncio.run(measure(args.feeds, args.events))


if __name__ == "__main__":
    main()
