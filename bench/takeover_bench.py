"""How long reminders go unsent when the process that sends them dies, with the default lease.

    python -m bench.takeover_bench [--rounds 3] [--lease 30]

- same machine: two real bots (`python -m bot`, console mode) on one SQLite database; the one
  holding the lease is killed with SIGKILL; the time until the other says it takes over. A dead
  holder on the same machine is seen at the standby's next try (every lease / 3).
- another machine: a holder whose process cannot be seen (another host name) stops renewing
  its lease; the time until a standby takes over (the lease must run out first).

Goal (issue 8): under the lease plus one renewal interval (30 s + 10 s by default).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import create_async_engine

from schedules import Ledger, ReminderEngine, metadata
from schedules.ledger import LEADER

ROOT = Path(__file__).resolve().parents[1]


async def _bot(database: str, lease: float, log_level: str) -> asyncio.subprocess.Process:
    environment = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        DISCORD_TOKEN="",
        DATABASE_URL=database,
        REMINDER_LEASE_SECONDS=str(lease),
        AGENDA_RELOAD_SECONDS="0",
        WEB_ENABLED="false",
        LOG_LEVEL=log_level,
    )
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--as-of",
        "2015-10-23",
        env=environment,
        stdin=asyncio.subprocess.PIPE,  # kept open: the console waits for commands
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def _line(process: asyncio.subprocess.Process, words: str, within: float) -> None:
    assert process.stderr is not None
    while True:
        line = await asyncio.wait_for(process.stderr.readline(), within)
        if not line:
            raise RuntimeError(f"the bot stopped before saying {words!r}")
        if words.encode() in line:
            return


async def same_machine(lease: float) -> float:
    with tempfile.TemporaryDirectory() as folder:
        database = f"sqlite+aiosqlite:///{folder}/bot.sqlite3"
        sender = await _bot(database, lease, "INFO")
        try:
            await _line(sender, "Scheduler started", 60)  # it holds the lease and fires
            standby = await _bot(database, lease, "WARNING")
            try:
                await _line(standby, "sends no reminders until that process stops", 60)
                sender.send_signal(signal.SIGKILL)
                await sender.wait()
                killed = time.monotonic()
                await _line(standby, "this one takes over", 4 * lease)
                return time.monotonic() - killed
            finally:
                standby.send_signal(signal.SIGTERM)
                await standby.wait()
        finally:
            if sender.returncode is None:
                sender.kill()
                await sender.wait()


class _Nothing:
    def targets(self):
        return []

    def leads(self, target):
        return []


class _Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def to_real(self, instant: datetime) -> datetime:
        return instant


async def other_machine(lease: float) -> float:
    with tempfile.TemporaryDirectory() as folder:
        engine = create_async_engine(f"sqlite+aiosqlite:///{folder}/ledger.sqlite3")
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        ledger = Ledger(engine)
        # The holder renewed its lease just now, on a machine this one cannot look into, and died.
        died = time.monotonic()
        until = datetime.now(UTC) + timedelta(seconds=lease)
        await ledger.set_state(LEADER, f"elsewhere:1:x|{until.isoformat()}")
        standby = ReminderEngine(_Nothing(), ledger, _Clock(), lease=timedelta(seconds=lease))  # type: ignore[arg-type]
        took_over = asyncio.Event()

        async def lead() -> None:
            took_over.set()

        standby.on_lead = lead
        await standby.start_or_stand_by()
        await asyncio.wait_for(took_over.wait(), 4 * lease)
        elapsed = time.monotonic() - died
        await standby.stop()
        await engine.dispose()
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--lease", type=float, default=30.0, help="REMINDER_LEASE_SECONDS")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    lease = args.lease
    goal = lease + lease / 3
    print(
        f"lease {lease:.0f} s, renewed every {lease / 3:.0f} s; goal: takeover under {goal:.0f} s"
    )
    for name, measure in (
        ("same machine, SIGKILL", same_machine),
        ("another machine", other_machine),
    ):
        times = [asyncio.run(measure(lease)) for _ in range(args.rounds)]
        listed = ", ".join(f"{t:.1f}" for t in times)
        print(
            f"{name}: takeover after {statistics.median(times):.1f} s median, "
            f"{max(times):.1f} s worst ({listed}); {'met' if max(times) < goal else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
