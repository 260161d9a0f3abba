"""Reminder benchmarks: planning, fan-out against the fake Discord, firing lateness, start-up.

    python -m bench.reminders_bench [--part plan|fanout|lateness|startup|all]
        [--subscriptions N] [--rounds N]

- planning 10,000 meetings x 4 lead times (goal: under 0.5 s);
- fan-out of one fire point to 10,000 subscriptions in 500 channels, through the real sender and
  discord.py against the fake Discord with Discord-like limits (50 requests/s globally, 5
  messages per 5 s per channel): the number of messages (goal: 500, not 10,000) and the time,
  next to the time those limits allow (goal: within 10% of it);
- lateness of 1,000 fire points due at the same instant, each followed in a channel of its own
  (issue 16 goal: p99 <= 10 ms, all 1,000 fired), next to the floor: 1,000 asyncio `call_at`
  callbacks due at one instant; medians of alternating rounds in one process;
- start with 1,000,000 subscriptions (--subscriptions) and 10,000 meetings: time to ready and
  peak memory in a fresh process, next to the floor (stdlib sqlite3 fetchall of the same rows in
  a fresh process), medians of --rounds alternating rounds (goals: 3 s, 300 MB); twice: with the
  subscriptions unchanged since the last start (the index saved then is read back) and with one
  changed since (the rows are read).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

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
    """Sends nothing; notes how late (real seconds after `due`) each message was handed to it."""

    times = PlainTimes()

    def __init__(self) -> None:
        self.due: datetime | None = None
        self.lateness: list[float] = []

    async def send(self, destination, message, attempt):
        if self.due is not None:
            self.lateness.append((datetime.now(UTC) - self.due).total_seconds())
        return Outcome(State.SENT, message_id="x")


MEETINGS = 1_000
ROUNDS = 3


def p99(samples: list[float]) -> float:
    """In milliseconds, as bench.figures states it."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


async def prepare_lateness(due: datetime) -> tuple[object, Path]:
    """1,000 meetings whose 1-day reminders all fall due at `due`, each followed in a channel
    of its own (1,000 ledger rows to claim), in a database to copy for each round."""
    from dataclasses import replace

    from bot.core import When
    from bot.storage import Store

    folder = Path(tempfile.mkdtemp())
    generate(folder / "data", MEETINGS, 10)
    agenda = load_agenda(folder / "data")
    zone = ZoneInfo("UTC")
    meetings = {
        m.id: replace(
            m,
            when=When.exact((due + timedelta(days=1)).replace(tzinfo=None), None, zone),
            status=m.status.__class__("confirmed"),
        )
        for m in agenda.meetings.values()
    }
    template = folder / "template.sqlite3"
    store = await Store.open(f"sqlite+aiosqlite:///{template}")
    await store.add_subscriptions(
        dict(
            owner=f"discord:{10**17 + i}",
            delivery="here",
            guild_id="1",
            channel_id=str(10**17 + i),
            scope_kind="meeting",
            scope_id=meeting_id,
            leads=None,
            created=int((due - timedelta(days=60)).timestamp()),
        )
        for i, meeting_id in enumerate(meetings)
    )
    await store.close()
    return replace(agenda, meetings=meetings), template


async def lateness_round(agenda, template: Path, due: datetime, margin: float) -> dict | None:
    """One round of ours: start a bot `margin` seconds before the instant, wait until every
    point fired and was sent. None if start-up was not over well before the instant (its work
    would be measured too): the caller tries again with a longer margin."""
    database = template.with_name(f"round-{time.monotonic_ns()}.sqlite3")
    shutil.copyfile(template, database)
    clock = LivingClock(due - timedelta(seconds=margin))
    sender = NullSender()
    runtime = await Runtime.open(
        AgendaService(agenda, clock),
        sender,
        database_url=f"sqlite+aiosqlite:///{database}",
        default_zone=ZoneInfo("UTC"),
    )
    runtime.reminders.leads = lambda target: [timedelta(days=1)]  # one point per meeting
    engine = runtime.engine
    sender.due = clock.to_real(due)
    fired, done = [0], asyncio.Event()

    async def on_fired(_point):
        fired[0] += 1
        if fired[0] == MEETINGS:
            done.set()

    engine.on_fired = on_fired
    claimed: list[float] = []
    if hasattr(engine.ledger, "claim_batch"):  # the code before this change claimed row by row
        claim_batch = engine.ledger.claim_batch

        async def timed(pairs, late=False):
            rows = await claim_batch(pairs, late)
            claimed.extend([(datetime.now(UTC) - sender.due).total_seconds()] * len(rows))
            return rows

        engine.ledger.claim_batch = timed
    try:
        await runtime.start()
        ahead = (sender.due - datetime.now(UTC)).total_seconds()
        if engine.stats.fired or len(engine.points) != MEETINGS or ahead < 0.5:
            return None
        await asyncio.wait_for(done.wait(), timeout=120)
        await engine.recorded(lambda stats: stats.delivered >= MEETINGS)
    finally:
        await runtime.stop()
        database.unlink(missing_ok=True)
    jobs = getattr(engine, "instant_jobs", None)
    return {
        "fired": p99(list(engine.stats.lateness)),
        "claimed": p99(claimed) if claimed else None,
        "sent": p99(sender.lateness),
        "count": len(engine.stats.lateness),
        "delivered": engine.stats.delivered,
        "jobs": "one job" if jobs is not None else "one job per point",
    }


async def floor_round() -> float:
    """The floor: 1,000 loop.call_at callbacks due at one instant, each noting its lateness as
    ours are noted (real time after the instant)."""
    loop = asyncio.get_running_loop()
    delay = 0.5
    due_loop = loop.time() + delay
    due_real = datetime.now(UTC) + timedelta(seconds=delay)
    lateness: list[float] = []
    done = asyncio.Event()

    def fire() -> None:
        lateness.append((datetime.now(UTC) - due_real).total_seconds())
        if len(lateness) == MEETINGS:
            done.set()

    for _ in range(MEETINGS):
        loop.call_at(due_loop, fire)
    await asyncio.wait_for(done.wait(), timeout=30)
    return p99(lateness)


def _ms(values) -> str:
    return ", ".join(f"{value:.1f}" for value in values)


async def bench_lateness() -> None:
    """Medians of alternating rounds, ours and the floor, in this one process."""
    due = datetime(2030, 1, 1, tzinfo=UTC)
    agenda, template = await prepare_lateness(due)
    try:
        await _bench_lateness(due, agenda, template)
    finally:
        shutil.rmtree(template.parent, ignore_errors=True)


async def _bench_lateness(due: datetime, agenda: object, template: Path) -> None:
    margin = 3.0
    ours: list[dict] = []
    floors: list[float] = []
    while len(ours) < ROUNDS:
        floors.append(await floor_round())
        started = time.perf_counter()
        result = await lateness_round(agenda, template, due, margin)
        if result is None:  # start-up ran into the instant: not what is measured here
            margin = max(margin * 2, (time.perf_counter() - started) * 2)
            print(f"lateness: start-up took too long; round again {margin:.0f} s ahead")
            continue
        ours.append(result)
    floors.append(await floor_round())
    median = statistics.median
    fired, floor = median(r["fired"] for r in ours), median(floors)
    claimed = [r["claimed"] for r in ours if r["claimed"] is not None]
    counts = {(r["count"], r["delivered"]) for r in ours}
    print(
        f"lateness: {MEETINGS} fire points due at one instant ({ours[0]['jobs']}), "
        f"each followed in one channel; fired and delivered per round: {sorted(counts)}"
    )
    print(
        f"lateness p99, medians of {len(ours)} rounds (floor: {len(floors)}), alternating: "
        f"ours fired {fired:.1f} ms (rounds {_ms(r['fired'] for r in ours)}); "
        f"floor (asyncio call_at) {floor:.1f} ms (rounds {_ms(floors)}); "
        f"ratio {fired / floor:.2f}x"
    )
    print(
        f"lateness p99, the rest of the way: ledger rows claimed "
        f"{f'{median(claimed):.1f} ms' if claimed else 'n/a (row by row)'}, "
        f"handed to the sender {median(r['sent'] for r in ours):.1f} ms "
        f"({median(r['sent'] for r in ours) / floor:.2f}x the floor)"
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
    (time to ready, peak resident memory) with its saved index current, after one change, and
    without it, and the floor, stdlib sqlite3 reading the same rows with fetchall. Medians of
    `rounds` rounds: the machine is shared and figures are noisy."""
    with tempfile.TemporaryDirectory() as name:  # a million rows: not left behind in /tmp
        _bench_startup(Path(name), subscriptions, rounds)


def _bench_startup(folder: Path, subscriptions: int, rounds: int) -> None:
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
    # As on a machine the bot runs on: Python keeps its modules' bytecode from the first start
    # (an environment that forbids writing it compiles every module at every start, ~0.5 s).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    report, _ = _probe(str(agenda_dir()), database, env=env)
    print(f"startup, first start (no agenda cache nor bytecode, not counted): {report}")
    runs: dict[str, list[dict[str, float]]] = {
        "saved": [],
        "changed": [],
        "no file": [],
        "floor": [],
    }
    for number in range(1, rounds + 1):
        # Unchanged since the last start: the index saved then is read back.
        report, figures = _probe(str(agenda_dir()), database, env=env)
        runs["saved"].append(figures)
        print(f"startup, round {number}, ours, subscriptions unchanged: {report}")
        # A subscription changed since: the saved index is patched with the rows the log of
        # changes names (and saved again).
        _touch_a_subscription(folder / "bot.sqlite3")
        report, figures = _probe(str(agenda_dir()), database, env=env)
        runs["changed"].append(figures)
        print(f"startup, round {number}, ours, a subscription changed: {report}")
        # No saved index (a first start, or one after it was lost): every row is read.
        (folder / "bot.sqlite3.subscribers").unlink()
        report, figures = _probe(str(agenda_dir()), database, env=env)
        runs["no file"].append(figures)
        print(f"startup, round {number}, ours, no saved index: {report}")
        report, figures = _probe("--floor", str(folder / "bot.sqlite3"), env=env)
        runs["floor"].append(figures)
        print(f"startup, round {number}, {report}")

    def median(runs: list[dict[str, float]], key: str) -> float:
        return statistics.median(run[key] for run in runs)

    floor = runs["floor"]
    floor_seconds, floor_cpu = median(floor, "seconds"), median(floor, "cpu")
    print(
        f"startup, {subscriptions:,} subscriptions, medians of {rounds} alternating rounds; "
        f"floor (sqlite3 fetchall) {floor_seconds:.2f} s ({floor_cpu:.2f} s CPU), "
        f"{median(floor, 'peak_mb'):.0f} MB peak"
    )
    for name, label in (
        ("saved", "unchanged"),
        ("changed", "a subscription changed"),
        ("no file", "no saved index"),
    ):
        seconds, cpu = median(runs[name], "seconds"), median(runs[name], "cpu")
        peak = median(runs[name], "peak_mb")
        print(
            f"  ours, {label}: {seconds:.2f} s ({cpu:.2f} s CPU), {peak:.0f} MB peak; "
            f"ratio {seconds / floor_seconds:.2f}x time ({cpu / floor_cpu:.2f}x CPU), "
            f"{peak / median(floor, 'peak_mb'):.2f}x memory"
        )


def _touch_a_subscription(database: Path) -> None:
    """Change one row as any writer would (its key changes with it, by trigger)."""
    import sqlite3

    connection = sqlite3.connect(database)
    with connection:
        connection.execute(
            "UPDATE subscriptions SET created = created + 1 "
            "WHERE id = (SELECT min(id) FROM subscriptions)"
        )
    connection.close()


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
