"""Reminder benchmarks: planning, fan-out against the fake Discord, firing lateness, start-up.

    python -m bench.reminders_bench [--part plan|fanout|lateness|startup|all]

- planning 10,000 meetings x 4 lead times (goal: under 0.5 s);
- fan-out of one fire point to 10,000 subscriptions in 500 channels, through the real sender and
  discord.py against the fake Discord with Discord-like limits (50 requests/s globally, 5
  messages per 5 s per channel): the number of messages (goal: 500, not 10,000) and the time,
  next to the time those limits allow (goal: within 10% of it);
- lateness of 1,000 fire points due in the same second (goal: p99 under 50 ms);
- start with 100,000 subscriptions and 10,000 meetings: time to ready and memory, measured in a
  fresh process (goals: 2 s, 200 MB).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.figures import latency
from bench.generate import generate
from bot.core import LivingClock, PlainTimes
from bot.service import AgendaService, Runtime, load_agenda
from schedules import Outcome, Precision, State, Target, plan

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(tempfile.gettempdir()) / "agenda-bench-10k"


def agenda_dir() -> Path:
    if not (DATA / "meetings.toml").exists():
        generate(DATA, 10_000, 1_000)
    return DATA


def bench_plan() -> None:
    agenda = load_agenda(agenda_dir())
    targets = [
        Target(
            m.id,
            m.when.start_utc,
            Precision.DAY
            if m.when.precision.name == "DAY"
            else Precision.EXACT
            if m.when.precision.name == "EXACT"
            else Precision.NONE,
            m.when.zone.key,
        )
        for m in agenda.meetings.values()
    ]
    leads = [timedelta(days=30), timedelta(days=7), timedelta(days=1), timedelta(hours=2)]
    now = datetime(2015, 1, 1, tzinfo=UTC)
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        points = plan(targets, lambda _: leads, now)
        runs.append(time.perf_counter() - started)
    print(
        f"planning: {len(targets)} meetings x {len(leads)} leads -> {len(points)} fire points "
        f"in {min(runs):.3f} s (best of 5; median {statistics.median(runs):.3f} s)"
    )


class NullSender:
    times = PlainTimes()

    async def send(self, destination, message, attempt):
        return Outcome(State.SENT, message_id="x")


async def bench_lateness() -> None:
    """1,000 meetings whose 1-day reminders all fall due in the same second."""
    folder = Path(tempfile.mkdtemp())
    generate(folder / "data", 1_000, 10)
    agenda = load_agenda(folder / "data")
    due = datetime(2030, 1, 1, tzinfo=UTC)
    from dataclasses import replace

    from bot.core import When

    zone = ZoneInfo("UTC")
    meetings = {
        m.id: replace(
            m,
            when=When.exact((due + timedelta(days=1)).replace(tzinfo=None), None, zone),
            status=m.status.__class__("confirmed"),
        )
        for m in agenda.meetings.values()
    }
    agenda = replace(agenda, meetings=meetings)
    clock = LivingClock(due - timedelta(seconds=3))
    service = AgendaService(agenda, clock)
    runtime = await Runtime.open(
        service,
        NullSender(),
        database_url=f"sqlite+aiosqlite:///{folder / 'bot.sqlite3'}",
        default_zone=zone,
    )
    runtime.reminders.leads = lambda target: [timedelta(days=1)]  # one point per meeting
    await runtime.start()
    points = len(runtime.engine.points)
    done = asyncio.Event()

    async def fired(_point):
        if runtime.engine.stats.fired >= points:
            done.set()

    runtime.engine.on_fired = fired
    await asyncio.wait_for(done.wait(), timeout=60)
    lateness = runtime.engine.stats.lateness
    await runtime.stop()
    print(
        f"lateness: {len(lateness)} fire points due in the same second: {latency(list(lateness))}"
    )


def bench_startup() -> None:
    """In a fresh process: agenda, 100,000 subscriptions, the engine planned; time and memory."""
    folder = Path(tempfile.mkdtemp())
    database = f"sqlite+aiosqlite:///{folder / 'bot.sqlite3'}"
    subprocess.run(
        [sys.executable, "-m", "bench.startup_probe", "--prepare", str(agenda_dir()), database],
        check=True,
        cwd=ROOT,
    )
    for label in ("first start (no cache)", "second start"):
        result = subprocess.run(
            [sys.executable, "-m", "bench.startup_probe", str(agenda_dir()), database],
            check=True,
            cwd=ROOT,
            capture_output=True,
            text=True,
            env=dict(os.environ, AGENDA_CACHE_DIR=str(folder / "cache")),
        )
        print(f"startup, {label}: {result.stdout.strip()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--part", default="all", choices=["plan", "fanout", "lateness", "startup", "all"]
    )
    args = parser.parse_args()
    if args.part in ("plan", "all"):
        bench_plan()
    if args.part in ("lateness", "all"):
        asyncio.run(bench_lateness())
    if args.part in ("startup", "all"):
        bench_startup()
    if args.part in ("fanout", "all"):
        from bench.fanout import bench_fanout

        asyncio.run(bench_fanout())


if __name__ == "__main__":
    main()
