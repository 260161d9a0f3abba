"""Web benchmark: a 1,000-meeting feed served by the bot's web server, 50 concurrent clients on
loopback; requests per second and p50/p99 latency for full answers (200) and for 304s.

    python -m bench.web_bench [--meetings 1000] [--clients 50] [--seconds 5]

The server runs in its own process (the bot's runtime and site, as in production); the clients
run here, one aiohttp session each, keep-alive. Goals: p99 under 10 ms (200) and 2 ms (304).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.figures import latency
from bench.generate import generate

ROOT = Path(__file__).resolve().parents[1]

SERVER = """
import asyncio, sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo
from bot.core import LivingClock, PlainTimes
from bot.service import AgendaService, Feeds, Runtime, load_library
from bot.web import ConnectionLimits, Limits, Pages, WebServer, make_app
from schedules import Outcome, State
from gc import freeze

class NullSender:
    times = PlainTimes()
    async def send(self, destination, message, attempt):
        return Outcome(State.SENT)

async def main():
    clock = LivingClock(datetime(2025, 6, 1, tzinfo=UTC))
    service = AgendaService(load_library(Path(sys.argv[1])), clock)
    runtime = await Runtime.open(
        service,
        NullSender(),
        database_url=sys.argv[2],
        default_zone=ZoneInfo("UTC"),
        site_url="http://127.0.0.1",
    )
    await runtime.start()
    feeds = runtime.feeds
    app = make_app(feeds, Pages(service, feeds), Limits(1e9, 10**9))
    server = WebServer(app, ConnectionLimits(max_per_client=10**6))  # every client is 127.0.0.1
    await server.start("127.0.0.1", 0)
    freeze()  # as the bot does once it is up: long-lived objects leave the collector's work
    print(server.port, flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


async def load(url: str, clients: int, seconds: float, headers: dict[str, str]) -> list[float]:
    samples: list[float] = []
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        async with aiohttp.ClientSession() as http:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                async with http.get(url, headers=headers) as response:
                    await response.read()
                samples.append(time.perf_counter() - started)

    await asyncio.gather(*(client() for _ in range(clients)))
    return samples


async def wrk(url: str, clients: int, seconds: float, headers: list[str]) -> str:
    process = await asyncio.create_subprocess_exec(
        "wrk",
        "-t1",
        f"-c{clients}",
        f"-d{seconds:.0f}s",
        "--latency",
        *headers,
        url,
        stdout=asyncio.subprocess.PIPE,
    )
    output = (await process.communicate())[0].decode()
    found = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", output, re.MULTILINE))
    rate = re.search(r"Requests/sec:\s+(\S+)", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return (
        f"{float(rate[1]) if rate else 0:8.0f} requests/s   p50 {found.get('50', '?'):>8}"
        f"   p99 {found.get('99', '?'):>8}" + (f"   {errors[1]} errors" if errors else "")
    )


async def run(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp())
    data = generate(folder / "data", args.meetings, 100)
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SERVER,
        str(data),
        f"sqlite+aiosqlite:///{folder / 'db.sqlite3'}",
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    try:
        assert server.stdout is not None
        port = int((await asyncio.wait_for(server.stdout.readline(), timeout=60)).strip())
        url = f"http://127.0.0.1:{port}/feeds/agenda.ics"
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            body = await response.read()
            etag = response.headers["ETag"]
        events = body.count(b"BEGIN:VEVENT")
        print(
            f"feed of {args.meetings} meetings ({events} dated events, {len(body):,} bytes); "
            f"{args.clients} clients for {args.seconds:.0f} s each way"
        )
        await load(url, args.clients, 1.0, {})  # warm up
        if shutil.which("wrk"):
            print("  load from wrk (one thread, in its own process):")
            for label, headers in (("200", []), ("304", ["-H", f"If-None-Match: {etag}"])):
                print(f"  {label}  {await wrk(url, args.clients, args.seconds, headers)}")
        else:
            print("  load from aiohttp clients in this process (install wrk for a lighter one):")
            full = await load(url, args.clients, args.seconds, {})
            print(f"  200  {len(full) / args.seconds:8.0f} requests/s   {latency(full)}")
            cached = await load(url, args.clients, args.seconds, {"If-None-Match": etag})
            print(f"  304  {len(cached) / args.seconds:8.0f} requests/s   {latency(cached)}")
    finally:
        server.terminate()
        await server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5.0)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
