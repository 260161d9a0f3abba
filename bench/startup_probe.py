"""A fresh process that starts the bot's runtime on a data set and a database, and reports.

python -m bench.startup_probe --prepare DATA_DIR DATABASE_URL   (adds 100,000 subscriptions)
python -m bench.startup_probe DATA_DIR DATABASE_URL             (prints time to ready, memory)
"""

from __future__ import annotations

import asyncio
import sys
import time

STARTED = time.perf_counter()

from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def prepare(data: Path, database: str) -> None:
    from bot.service import load_agenda
    from bot.storage import Store

    agenda = load_agenda(data)
    bodies, topics, meetings = list(agenda.bodies), list(agenda.topics), list(agenda.meetings)
    store = await Store.open(database)
    created = datetime(2015, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(100_000):
        kind = ("all", "body", "topic", "meeting")[i % 4]
        scope = {
            "all": "",
            "body": bodies[i % len(bodies)],
            "topic": topics[i % len(topics)],
            "meeting": meetings[i % len(meetings)],
        }[kind]
        delivery = ("me", "here", "channel")[i % 3]
        rows.append(
            dict(
                owner=f"discord:{10**17 + i}",
                delivery=delivery,
                guild_id="1100000000000000001",
                channel_id="" if delivery == "me" else str(10**17 + i % 500),
                scope_kind=kind,
                scope_id=scope,
                leads="2880" if i % 10 == 0 else None,
                created=int(created.timestamp()),
            )
        )
    await store.add_subscriptions(rows)
    await store.close()


async def start(data: Path, database: str) -> None:
    import os

    from bot.core import LivingClock, PlainTimes
    from bot.service import AgendaService, Runtime, load_library
    from schedules import Outcome, State

    class NullSender:
        times = PlainTimes()

        async def send(self, destination, message, attempt):
            return Outcome(State.SENT)

    cache = os.environ.get("AGENDA_CACHE_DIR")
    agenda = load_library(data, Path(cache) if cache else None)
    loaded = time.perf_counter() - STARTED
    service = AgendaService(agenda, LivingClock(datetime(2025, 6, 1, tzinfo=UTC)))
    indexed = time.perf_counter() - STARTED
    runtime = await Runtime.open(
        service, NullSender(), database_url=database, default_zone=ZoneInfo("UTC")
    )
    await runtime.start()
    ready = time.perf_counter() - STARTED
    print(
        f"ready in {ready:.2f} s (imports and agenda {loaded:.2f} s, indexes "
        f"{indexed - loaded:.2f} s, "
        f"subscriptions and engine {ready - indexed:.2f} s); "
        f"{len(runtime.reminders.audience):,} subscriptions, {runtime.engine.job_count:,} jobs, "
        f"{len(runtime.engine.points):,} fire points planned; {rss_mb():.0f} MB resident"
    )
    await runtime.stop()


if __name__ == "__main__":
    if sys.argv[1] == "--prepare":
        asyncio.run(prepare(Path(sys.argv[2]), sys.argv[3]))
    else:
        asyncio.run(start(Path(sys.argv[1]), sys.argv[2]))
