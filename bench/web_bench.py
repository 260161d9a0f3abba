"""Web benchmark: a 1,000-meeting feed served by the bot's web server, beside the floor (a bare
aiohttp handler answering the same bytes and headers) and nginx (the same file, ETags, and the
same gzip bytes made once: gzip_static), 50 concurrent clients on loopback, in one run.

    python -m bench.web_bench [--meetings 1000] [--clients 50] [--seconds 4] [--rounds 3]
                              [--kinds '304,200 gzip,200 plain'] [--without-lane]

Each server runs in its own process; the load comes from wrk (one thread), or, without wrk,
from aiohttp clients in this process. For each server and each kind of answer (304 to a client
holding the ETag; 200 with gzip; 200 without) it prints requests per second, p50/p99 latency and
the server's CPU time per request (from /proc), as medians over `--rounds` alternating rounds
(each round starting with the next server), then our ratios to the floor and to nginx, and the
CPU ratio round by round. `--without-lane` adds ours with the express lane off ("aiohttp":
every answer through aiohttp, as before the lane), in the same rounds. Goals (issue 16): a 304
costs <= 1.2x the CPU of the bare aiohttp handler; a 200's p99 at parity with nginx, gzip on.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench.generate import generate

ROOT = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")

OURS = """
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
    # every client is 127.0.0.1; "aiohttp": without the express lane, every answer by aiohttp
    express = sys.argv[3:] != ["aiohttp"]
    server = WebServer(app, ConnectionLimits(max_per_client=10**6), express=express)
    await server.start("127.0.0.1", 0)
    freeze()  # as the bot does once it is up: long-lived objects leave the collector's work
    print(server.port, flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""

# The floor: the least an aiohttp server does for these answers. The bytes, their gzip and the
# headers are made once; each request checks If-None-Match and Accept-Encoding, nothing else.
FLOOR = """
import asyncio, gzip, sys
from aiohttp import web
from bot.web.app import HANDLER_OPTIONS

body = open(sys.argv[1], "rb").read()
zipped = gzip.compress(body, 6, mtime=0)
etag, zipped_tag = '"floor"', '"floor-gzip"'
headers = {"Cache-Control": "public, max-age=300", "Vary": "Accept-Encoding",
           "Last-Modified": "Sun, 01 Jun 2025 00:00:00 GMT",
           "Content-Disposition": 'inline; filename="agenda.ics"'}

async def feed(request):
    gz = "gzip" in request.headers.get("Accept-Encoding", "")
    tag = zipped_tag if gz else etag
    if request.headers.get("If-None-Match") == tag:
        return web.Response(status=304, headers={**headers, "ETag": tag})
    extra = {"ETag": tag, "Content-Type": "text/calendar; charset=utf-8"}
    if gz:
        extra["Content-Encoding"] = "gzip"
    return web.Response(body=zipped if gz else body, headers={**headers, **extra})

async def main():
    app = web.Application()
    app.router.add_get("/feeds/agenda.ics", feed)
    runner = web.AppRunner(app, **HANDLER_OPTIONS)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(site._server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""

NGINX = """
worker_processes 1;
{user}
error_log {folder}/error.log;
pid {folder}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path {folder}/tmp;
    types {{ text/calendar ics; }}
    gzip_static on;  # the same bytes compressed once, as ours are: agenda.ics.gz beside it
    etag on;
    server {{
        listen 127.0.0.1:{port};
        root {folder}/www;
        location /feeds/ {{ add_header Cache-Control "public, max-age=300"; }}
    }}
}}
"""


@dataclass
class Server:
    name: str
    pids: list[int]
    url: str
    process: asyncio.subprocess.Process

    def cpu(self) -> float:
        """CPU seconds used so far by the server's processes."""
        total = 0
        for pid in self.pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / TICK


async def start_python(name: str, script: str, *args: str) -> Server:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        *args,
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert process.stdout is not None
    port = int((await asyncio.wait_for(process.stdout.readline(), timeout=120)).strip())
    return Server(name, [process.pid], f"http://127.0.0.1:{port}/feeds/agenda.ics", process)


async def start_nginx(folder: Path, body: bytes) -> Server | None:
    nginx = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin")
    if not nginx:
        return None
    port = 18000 + os.getpid() % 1000
    _nginx_folder(folder, body, port)
    process = await asyncio.create_subprocess_exec(
        nginx, "-c", str(folder / "nginx.conf"), "-p", str(folder), "-g", "daemon off;"
    )
    url = f"http://127.0.0.1:{port}/feeds/agenda.ics"
    for _ in range(100):
        await asyncio.sleep(0.05)  # a bench, not a test: nginx says nothing when it is up
        if _children(process.pid):
            try:
                async with aiohttp.ClientSession() as http, http.get(url) as response:
                    if response.status == 200:
                        workers = _children(process.pid)
                        return Server("nginx", [process.pid, *workers], url, process)
            except aiohttp.ClientError:
                continue
    process.terminate()
    return None


def _nginx_folder(folder: Path, body: bytes, port: int) -> None:
    (folder / "www" / "feeds").mkdir(parents=True)
    (folder / "tmp").mkdir()
    (folder / "www" / "feeds" / "agenda.ics").write_bytes(body)
    (folder / "www" / "feeds" / "agenda.ics.gz").write_bytes(gzip.compress(body, 6, mtime=0))
    # Run as root (in a container), nginx's workers would become "nobody", who cannot read a
    # private temporary folder.
    user = "user root;" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(NGINX.format(folder=folder, port=port, user=user))


def _children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in children.read_text().split()] if children.exists() else []


@dataclass
class Figures:
    rate: float
    p50: float  # ms
    p99: float
    cpu_us: float  # server CPU per request


async def load(server: Server, args: argparse.Namespace, headers: dict[str, str]) -> Figures:
    before = server.cpu()
    if shutil.which("wrk"):
        count, p50, p99 = await _wrk(server.url, args, headers)
    else:
        count, p50, p99 = await _aiohttp_load(server.url, args, headers)
    used = server.cpu() - before
    return Figures(count / args.seconds, p50, p99, used / max(1, count) * 1e6)


async def _wrk(url: str, args: argparse.Namespace, headers: dict[str, str]):
    flags = [part for k, v in headers.items() for part in ("-H", f"{k}: {v}")]
    process = await asyncio.create_subprocess_exec(
        "wrk",
        "-t1",
        f"-c{args.clients}",
        f"-d{args.seconds:.0f}s",
        "--latency",
        *flags,
        url,
        stdout=asyncio.subprocess.PIPE,
    )
    output = (await process.communicate())[0].decode()
    found = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", output, re.MULTILINE))
    count = re.search(r"(\d+) requests in", output)
    return int(count[1]) if count else 0, _ms(found.get("50", "0ms")), _ms(found.get("99", "0ms"))


def _ms(text: str) -> float:
    value = float(re.sub(r"[a-z]+$", "", text))
    unit = re.search(r"[a-z]+$", text)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}.get(unit[0] if unit else "ms", 1.0)


async def _aiohttp_load(url: str, args: argparse.Namespace, headers: dict[str, str]):
    samples: list[float] = []
    deadline = time.perf_counter() + args.seconds

    async def client() -> None:
        async with aiohttp.ClientSession(auto_decompress=False) as http:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                async with http.get(url, headers=headers) as response:
                    await response.read()
                samples.append(time.perf_counter() - started)

    await asyncio.gather(*(client() for _ in range(args.clients)))
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return len(samples), statistics.median(ordered) * 1000, p99 * 1000


async def etag_of(server: Server, gzip: bool) -> str:
    headers = {"Accept-Encoding": "gzip" if gzip else "identity"}
    async with (
        aiohttp.ClientSession(auto_decompress=False) as http,
        http.get(server.url, headers=headers) as response,
    ):
        await response.read()
        return response.headers["ETag"]


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as name:  # the agenda, database and feed: not left in /tmp
        await _run_in(Path(name), args)


async def _run_in(folder: Path, args: argparse.Namespace) -> None:
    data = generate(folder / "data", args.meetings, 100)
    ours = await start_python(
        "ours", OURS, str(data), f"sqlite+aiosqlite:///{folder / 'db.sqlite3'}"
    )
    servers = [ours]
    try:
        async with aiohttp.ClientSession() as http, http.get(ours.url) as response:
            body = await response.read()
        (folder / "agenda.ics").write_bytes(body)
        if args.without_lane:
            database = f"sqlite+aiosqlite:///{folder / 'aiohttp.sqlite3'}"  # its own
            servers.append(await start_python("aiohttp", OURS, str(data), database, "aiohttp"))
        servers.append(await start_python("floor", FLOOR, str(folder / "agenda.ics")))
        nginx = await start_nginx(folder / "nginx", body)
        if nginx is not None:
            servers.append(nginx)
        tool = "wrk, one thread" if shutil.which("wrk") else "aiohttp clients in this process"
        print(
            f"feed of {args.meetings} meetings ({body.count(b'BEGIN:VEVENT')} events, "
            f"{len(body):,} bytes); {args.clients} clients, {args.seconds:.0f} s per measure, "
            f"{args.rounds} alternating rounds ({tool}); servers: "
            + ", ".join(s.name for s in servers)
        )
        kinds = {
            "304": lambda tag: {"If-None-Match": tag, "Accept-Encoding": "gzip"},
            "200 gzip": lambda tag: {"Accept-Encoding": "gzip"},
            "200 plain": lambda tag: {"Accept-Encoding": "identity"},
        }
        wanted = [kind.strip() for kind in args.kinds.split(",")]
        kinds = {kind: headers for kind, headers in kinds.items() if kind in wanted}
        tags = {s.name: await etag_of(s, gzip=True) for s in servers}
        for server in servers:  # warm up
            await load(server, argparse.Namespace(**{**vars(args), "seconds": 1}), {})
        results: dict[tuple[str, str], list[Figures]] = {}
        for number in range(args.rounds):
            # Each round starts with another server: the first of a round was always ours, and
            # a server's CPU per request depends on what ran just before it.
            turn = number % len(servers)
            for kind, headers in kinds.items():
                for server in servers[turn:] + servers[:turn]:
                    figures = await load(server, args, headers(tags[server.name]))
                    results.setdefault((kind, server.name), []).append(figures)
        medians = {key: _median(values) for key, values in results.items()}
        for kind in kinds:
            print(f"\n{kind}:")
            for server in servers:
                m = medians[(kind, server.name)]
                print(
                    f"  {server.name:6} {m.rate:8.0f} requests/s   p50 {m.p50:7.3f} ms   "
                    f"p99 {m.p99:7.3f} ms   CPU {m.cpu_us:6.1f} us/request"
                )
            for other in servers[1:]:
                m, o = medians[(kind, "ours")], medians[(kind, other.name)]
                if not (o.cpu_us and o.p99):
                    print(f"  ours / {other.name}: no figures from {other.name}")
                    continue
                rounds = list(
                    zip(results[(kind, "ours")], results[(kind, other.name)], strict=True)
                )
                paired = [a.cpu_us / b.cpu_us for a, b in rounds if b.cpu_us]
                # p99 as well: on a shared machine, a round's neighbours in time share its noise
                tails = [a.p99 / b.p99 for a, b in rounds if b.p99]
                print(
                    f"  ours / {other.name}: CPU {m.cpu_us / o.cpu_us:.2f}x   "
                    f"p99 {m.p99 / o.p99:.2f}x   (CPU round by round: "
                    + ", ".join(f"{r:.2f}" for r in paired)
                    + f"; median {statistics.median(paired):.2f}x; p99 round by round: "
                    + ", ".join(f"{r:.2f}" for r in tails)
                    + f"; median {statistics.median(tails):.2f}x)"
                )
    finally:
        for server in servers:
            server.process.terminate()
            await server.process.wait()


def _median(values: list[Figures]) -> Figures:
    return Figures(
        statistics.median(v.rate for v in values),
        statistics.median(v.p50 for v in values),
        statistics.median(v.p99 for v in values),
        statistics.median(v.cpu_us for v in values),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--kinds", default="304,200 gzip,200 plain", help="which answers, comma-separated"
    )
    parser.add_argument(
        "--without-lane", action="store_true", help="also ours with the express lane off"
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
