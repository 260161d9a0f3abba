"""A source of targets and destinations that records deliveries, and a ledger on SQLite."""

from __future__ import annotations

import asyncio
import socket
import sys
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import create_async_engine

from bot.storage.store import _sqlite_pragmas
from schedules import (
    Attempt,
    Destination,
    FirePoint,
    Ledger,
    Outcome,
    ReminderEngine,
    State,
    Target,
    metadata,
)
from schedules.ledger import LEADER


class TestClock:
    """Agenda time = real time shifted to `as_of`; `to_real` maps back (speed 1)."""

    __test__ = False

    def __init__(self, as_of: datetime) -> None:
        self.shift = as_of - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.shift

    def to_real(self, instant: datetime) -> datetime:
        return instant - self.shift


@dataclass
class RecordingSource:
    targets_: list[Target] = field(default_factory=list)
    lead_list: list[timedelta] = field(default_factory=lambda: [timedelta(days=1)])
    audience: dict[str, list[str]] = field(default_factory=dict)  # target key -> destination keys
    sent: list[tuple[str, str, Attempt]] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)
    crash_on: set[str] = field(default_factory=set)
    delivered: asyncio.Event = field(default_factory=asyncio.Event)

    def targets(self):
        return list(self.targets_)

    def leads(self, target):
        return list(self.lead_list)

    async def destinations(self, point: FirePoint, missed=False):
        return [Destination(key) for key in self.audience.get(point.key, [])]

    async def redeliver(self, key, to, attempt):
        self.sent.append((key, to, attempt))
        return Outcome(State.SENT, message_id="redelivered")

    async def deliver(self, point, to, attempt):
        if to.key in self.crash_on:
            raise RuntimeError("boom")
        self.sent.append((point.id, to.key, attempt))
        self.delivered.set()
        if to.key in self.failing:
            return Outcome(State.FAILED, "cannot send messages to this user")
        return Outcome(State.SENT, message_id=str(len(self.sent)))


def opened_engine(url):
    """An engine opened as the bot opens its database: on SQLite, WAL and a busy timeout. In the
    default rollback journal, a thousand deliveries recording their outcomes at once, or a
    sender and its standby writing together on a busy machine, met 'database is locked'."""
    engine = create_async_engine(url)
    if url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


async def created(engine):
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    return engine


@pytest.fixture
async def ledger(tmp_path):
    engine = await created(opened_engine(f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}"))
    yield Ledger(engine)
    await engine.dispose()


LEASE = timedelta(seconds=0.6)


@asynccontextmanager
async def a_sender_on_this_machine(ledger):
    """A live process recorded as the leading sender, its lease far from running out; killed on
    the way out if the test has not killed it."""
    sender = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import sys; sys.stdin.read()", stdin=asyncio.subprocess.PIPE
    )
    far = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    await ledger.set_state(LEADER, f"{socket.gethostname()}:{sender.pid}:x|{far}")
    try:
        yield sender
    finally:
        if sender.returncode is None:
            sender.kill()
            await sender.wait()


def standby_for(source, ledger, clock):
    """An engine standing by with a short lease, and the event set when it takes the lead."""
    standby = ReminderEngine(source, ledger, clock, lease=LEASE)
    took_over = asyncio.Event()

    async def lead():
        took_over.set()

    standby.on_lead = lead
    return standby, took_over
