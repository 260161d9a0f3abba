"""A fresh process that starts the bot's runtime on a data set and a database, and reports.

python -m bench.startup_probe --prepare DATA_DIR DATABASE_URL [N]  (adds N subscriptions, 1M)
python -m bench.startup_probe DATA_DIR DATABASE_URL               (time to ready, memory)
python -m bench.startup_probe --floor SQLITE_FILE                 (stdlib sqlite3 fetchall of
                                                                   the same rows: the floor)

The last line printed is JSON ({"seconds": ..., "peak_mb": ...}) for the bench to read.
"""

from __future__ import annotations

import asyncio
import sys
import time

STARTED = time.perf_counter()

import json  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

# The columns start-up reads, in the order Store.subscriptions reads them.
COLUMNS = "id, owner, delivery, guild_id, channel_id, scope_kind, scope_id, leads, created"


def memory_mb(field: str = "VmHWM") -> float:
    """VmHWM: the peak resident set of this process so far; VmRSS: the current one."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def subscription_rows(agenda_ids: tuple[list[str], list[str], list[str]], count: int):
    """`count` subscriptions spread over every kind of scope, delivery and 500 channels."""
    bodies, topics, meetings = agenda_ids
    created = int(datetime(2015, 1, 1, tzinfo=UTC).timestamp())
    for i in range(count):
        kind = ("all", "body", "topic", "meeting")[i % 4]
        scope = {
            "all": "",
            "body": bodies[i % len(bodies)],
            "topic": topics[i % len(topics)],
            "meeting": meetings[i % len(meetings)],
        }[kind]
        delivery = ("me", "here", "channel")[i % 3]
        yield {
            "owner": f"discord:{10**17 + i}",
            "delivery": delivery,
            "guild_id": "1100000000000000001",
            "channel_id": "" if delivery == "me" else str(10**17 + i % 500),
            "scope_kind": kind,
            "scope_id": scope,
            "leads": "2880" if i % 10 == 0 else None,
            "created": created,
        }


async def prepare(data: Path, database: str, count: int) -> None:
    """The schema by the bot's own migrations, then the rows through stdlib sqlite3's
    executemany in one transaction, with the audience counter raised as the bot does."""
    import sqlite3

    from bot.service import load_agenda
    from bot.storage import Store

    agenda = load_agenda(data)
    ids = (list(agenda.bodies), list(agenda.topics), list(agenda.meetings))
    store = await Store.open(database)
    await store.close()
    columns = COLUMNS.removeprefix("id, ").split(", ")
    connection = sqlite3.connect(database.partition(":///")[2])
    with connection:
        connection.executemany(
            f"INSERT INTO subscriptions ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})",
            (tuple(row[c] for c in columns) for row in subscription_rows(ids, count)),
        )
        connection.execute("UPDATE counters SET value = value + 1 WHERE name = 'audience'")
    connection.close()


def floor(database_file: Path) -> None:
    """What the machine can do: the same rows, read by the stdlib driver into a list."""
    import sqlite3

    connection = sqlite3.connect(database_file)
    rows = connection.execute(f"SELECT {COLUMNS} FROM subscriptions").fetchall()
    seconds = time.perf_counter() - STARTED
    cpu = time.process_time()
    print(
        f"floor: {len(rows):,} rows fetched in {seconds:.2f} s ({cpu:.2f} s CPU); "
        f"{memory_mb():.0f} MB peak"
    )
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mb": memory_mb(), "rows": len(rows)}))
    connection.close()


async def start(data: Path, database: str) -> None:
    import os

    from bot.core import LivingClock, PlainTimes
    from bot.service import AgendaService, EarlySubscriptions, Runtime, load_library
    from schedules import Outcome, State

    class NullSender:
        times = PlainTimes()

        async def send(self, destination, message, attempt):
            return Outcome(State.SENT)

    cache = os.environ.get("AGENDA_CACHE_DIR")
    # As the bot starts (bot/cli.py): the subscriptions are read while the agenda loads.
    early = EarlySubscriptions.begin(database)
    agenda = load_library(data, Path(cache) if cache else None)
    loaded = time.perf_counter() - STARTED
    service = AgendaService(agenda, LivingClock(datetime(2025, 6, 1, tzinfo=UTC)))
    indexed = time.perf_counter() - STARTED
    runtime = await Runtime.open(
        service, NullSender(), database_url=database, default_zone=ZoneInfo("UTC"), early=early
    )
    await runtime.start()
    ready = time.perf_counter() - STARTED
    cpu = time.process_time()
    print(
        f"ready in {ready:.2f} s, {cpu:.2f} s CPU (imports and agenda {loaded:.2f} s, indexes "
        f"{indexed - loaded:.2f} s, "
        f"subscriptions and engine {ready - indexed:.2f} s); "
        f"{len(runtime.reminders.audience):,} subscriptions, {runtime.engine.job_count:,} jobs, "
        f"{len(runtime.engine.points):,} fire points planned; {memory_mb('VmRSS'):.0f} MB "
        f"resident, {memory_mb():.0f} MB peak"
    )
    print(
        json.dumps(
            {
                "seconds": ready,
                "cpu": cpu,
                "peak_mb": memory_mb(),
                "rows": len(runtime.reminders.audience),
            }
        )
    )
    await runtime.stop()


if __name__ == "__main__":
    if sys.argv[1] == "--prepare":
        count = int(sys.argv[4]) if len(sys.argv) > 4 else 1_000_000
        asyncio.run(prepare(Path(sys.argv[2]), sys.argv[3], count))
    elif sys.argv[1] == "--floor":
        floor(Path(sys.argv[2]))
    else:
        asyncio.run(start(Path(sys.argv[1]), sys.argv[2]))
