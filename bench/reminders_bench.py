"""Reminder benchmarks: planning, fan-out against the fake Discord, firing lateness, start-up.

    python -m bench.reminders_bench [--part plan|fanout|lateness|startup|all]
        [--subscriptions N] [--rounds N]

- planning 10,000 meetings x 4 lead times (goal: under 0.5 s);
- fan-out of one fire point to 10,000 subscriptions in 500 channels, through the real sender and
  discord.py against the fake Discord with Discord-like limits (50 requests/s globally, 5
  messages per 5 s per channel): the number of messages (goal: 500, not 10,000) and the time,
  next to the time those limits allow (goal: within 10% of it);
- lateness of 1,000 fire points due in the same second (goal: p99 under 50 ms);
- start with 1,000,000 subscriptions (--subscriptions) and 10,000 meetings: time to ready and
  peak memory in a fresh process, next to the floor (stdlib sqlite3 fetchall of the same rows in
  a fresh process), medians of --rounds alternating rounds (goals: 3 s, 300 MB).
"""

from __future__ import annotations

import argparse
import asyncio
import json
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


def _probe(*args: str, env: dict[str, str] | None = None) -> tuple[str, dict[str, float]]:
    """Run the start-up probe in a fresh process: (its report, its figures)."""
    result = subprocess.run(
        [sys.executable, "-m", "bench.startup_probe", *args],
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    lines = result.stdout.strip().splitlines()
    return lines[0], json.loads(lines[-1])


def bench_startup(subscriptions: int, rounds: int) -> None:
    """In fresh processes, alternating: the bot started on the agenda and `subscriptions` rows
    (time to ready, peak resident memory), and the floor, stdlib sqlite3 reading the same rows
    with fetchall. Medians of `rounds` rounds: the machine is shared and figures are noisy."""
    folder = Path(tempfile.mkdtemp())
    database = f"sqlite+aiosqlite:///{folder / 'bot.sqlite3'}"
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.startup_probe",
            "--prepare",
            str(agenda_dir()),
            database,
            str(subscriptions),
        ],
        check=True,
        cwd=ROOT,
    )
    prepared = time.perf_counter() - started
    print(f"startup: {subscriptions:,} subscriptions prepared in {prepared:.1f} s")
    env = dict(os.environ, AGENDA_CACHE_DIR=str(folder / "cache"))
    report, _ = _probe(str(agenda_dir()), database, env=env)
    print(f"startup, first start (no agenda cache, not counted): {report}")
    ours: list[dict[str, float]] = []
    floors: list[dict[str, float]] = []
    for number in range(1, rounds + 1):
        report, figures = _probe(str(agenda_dir()), database, env=env)
        ours.append(figures)
        print(f"startup, round {number}, ours: {report}")
        report, figures = _probe("--floor", str(folder / "bot.sqlite3"))
        floors.append(figures)
        print(f"startup, round {number}, {report}")

    def median(runs: list[dict[str, float]], key: str) -> float:
        return statistics.median(run[key] for run in runs)

    seconds, floor_seconds = median(ours, "seconds"), median(floors, "seconds")
    cpu, floor_cpu = median(ours, "cpu"), median(floors, "cpu")
    peak, floor_peak = median(ours, "peak_mb"), median(floors, "peak_mb")
    print(
        f"startup, {subscriptions:,} subscriptions, medians of {rounds} alternating rounds: "
        f"ours {seconds:.2f} s ({cpu:.2f} s CPU), {peak:.0f} MB peak; floor (sqlite3 "
        f"fetchall) {floor_seconds:.2f} s ({floor_cpu:.2f} s CPU), {floor_peak:.0f} MB peak; "
        f"ratio {seconds / floor_seconds:.2f}x time ({cpu / floor_cpu:.2f}x CPU), "
        f"{peak / floor_peak:.2f}x memory"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--part", default="all", choices=["plan", "fanout", "lateness", "startup", "all"]
    )
    parser.add_argument(
        "--subscriptions", type=int, default=1_000_000, help="start-up: rows in the database"
    )
    parser.add_argument("--rounds", type=int, default=3, help="start-up: alternating rounds")
    args = parser.parse_args()
    if args.part in ("plan", "all"):
        bench_plan()
    if args.part in ("lateness", "all"):
        asyncio.run(bench_lateness())
    if args.part in ("startup", "all"):
        bench_startup(args.subscriptions, args.rounds)
    if args.part in ("fanout", "all"):
        from bench.fanout import bench_fanout

        asyncio.run(bench_fanout())


if __name__ == "__main__":
    main()
