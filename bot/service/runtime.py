"""Everything the bot runs on, put together once: storage, the engine, commands, the watcher."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.core import Agenda, Change, DataSetError, Library
from bot.storage import (
    DatabaseLost,
    Snapshot,
    StorageError,
    Store,
    async_url,
    ensure_writable,
    watch_file,
)
from schedules import LEASE, RETRY_FIRST, Ledger, ReminderEngine

from .agenda import AgendaService
from .datafiles import load_library
from .reminders import Reminders, Sender, classify, fingerprint
from .runner import CommandRunner
from .subscriptions import ReminderCommands

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Everything the bot runs on: the agenda, the database, reminders and their engine, the
    command runner, and the watcher of the data files."""

    agenda: AgendaService
    store: Store
    reminders: Reminders
    engine: ReminderEngine
    runner: CommandRunner
    data_dir: Path | None = None
    reload_every: float = 0.0
    cache_dir: Path | None = None
    changes: dict[str, Change] = field(default_factory=dict)  # seen by the bot, for feeds
    generation: int = 0  # grows whenever the agenda (or what we know of it) changes
    on_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # Set when the database can no longer be used (its file deleted or replaced): the adapter
    # stops the bot and says why (`lost`).
    fatal: asyncio.Event = field(default_factory=asyncio.Event)
    lost: DatabaseLost | None = None
    after_start: list[Callable[[], Awaitable[object]]] = field(default_factory=list)
    _watcher: asyncio.Task[None] | None = None
    _stop_watching: asyncio.Event = field(default_factory=asyncio.Event)
    _signature: tuple[tuple[str, int, int], ...] = ()

    @classmethod
    async def open(
        cls,
        agenda: AgendaService,
        sender: Sender,
        *,
        database_url: str,
        default_zone: ZoneInfo,
        all_day_start: time = time(0),
        data_dir: Path | None = None,
        reload_every: float = 0.0,
        cache_dir: Path | None = None,
        lease: timedelta = LEASE,
        retry_first: float = RETRY_FIRST,
    ) -> Runtime:
        url = async_url(database_url)
        store = await Store.open(url)
        try:
            await ensure_writable(store)
        except StorageError:
            await store.close()
            raise
        watch = watch_file(store.engine, url)
        ledger = Ledger(store.engine)
        reminders = Reminders(agenda, store, ledger, sender, all_day_start)
        await reminders.load()
        engine = ReminderEngine(
            reminders, ledger, agenda.clock, lease=lease, retry_first=retry_first
        )
        reminders.engine = engine
        runner = CommandRunner(agenda, ReminderCommands(reminders, default_zone))
        runtime = cls(agenda, store, reminders, engine, runner, data_dir, reload_every, cache_dir)
        if watch is not None:
            watch.on_lost.append(runtime._database_lost)
        return runtime

    def _database_lost(self, problem: DatabaseLost) -> None:
        self.lost = problem
        self.fatal.set()

    @property
    def leading(self) -> bool:
        """This process fires the reminders (and tells followers of changes)."""
        return self.engine.leading

    async def start(self) -> None:
        """Recover, plan, tell followers what changed while we were away, watch the data."""
        self.engine.on_lead = self._announce_changes
        if not await self.engine.start_or_stand_by():
            log.warning(
                "another bot process already sends the reminders of this database "
                "(DATABASE_URL); this one answers commands but sends no reminders until that "
                "process stops, then takes over (within %.0f s)",
                self.engine.heartbeat_seconds * 4,
            )
        await self._announce_changes()
        if self.data_dir is not None and self.reload_every > 0:
            self._signature = _signature(self.data_dir)
            self._watcher = asyncio.create_task(self._watch())
        for hook in self.after_start:  # adapters on top of the runtime (the web site)
            await hook()

    async def stop_watching(self) -> None:
        """Stop looking at the data files, after a reload under way has finished."""
        if self._watcher is not None:
            self._stop_watching.set()
            await self._watcher
            self._watcher = None

    async def stop(self) -> None:
        for stop in reversed(self.on_stop):  # what adapters started on top of the runtime
            try:
                await stop()
            except Exception:
                log.exception("stopping %s failed", stop)
        await self.stop_watching()
        with contextlib.suppress(DatabaseLost):  # already said; nothing can be recorded
            await self.engine.stop()
        await self.store.close()

    async def replace_agenda(self, agenda: Agenda | Library) -> None:
        """A new data set: swap it in, re-plan every fire point, tell followers of changes."""
        self.agenda.replace_agenda(agenda)
        self.reminders.replan()
        await self._announce_changes()

    async def _announce_changes(self) -> None:
        """Compare the agenda with what followers were last told: tell them what changed, count
        the change for calendar SEQUENCEs, remember the new state."""
        known = await self.store.snapshots()
        # Calendars want the real moment of a change (LAST-MODIFIED), also when living --as-of.
        clock = self.agenda.clock
        now = int(clock.to_real(clock.now()).timestamp())
        current: dict[str, Snapshot] = {}
        changes = []
        for meeting in self.agenda.agenda.meetings.values():
            before = known.get(meeting.id)
            printed = fingerprint(meeting)
            if before is None or before.fingerprint == printed:
                current[meeting.id] = before or Snapshot(printed)
                if known and before is None:
                    changes.append((meeting, "added", 0))
                continue
            current[meeting.id] = Snapshot(printed, before.changes + 1, now)
            change = classify(before.fingerprint, meeting)
            if change is not None:
                changes.append((meeting, change, before.changes + 1))
        if not self.leading:  # the process that sends reminders tells of changes, once
            current = {key: known.get(key, value) for key, value in current.items()}
        elif changes:
            sent = await self.reminders.notify(changes)
            log.info("%d meetings changed; %d notices sent", len(changes), sent)
        if self.leading and known != current:
            await self.store.save_snapshots(current)
        self.changes = {
            key: Change(value.changes, datetime.fromtimestamp(value.changed, UTC))
            for key, value in current.items()
            if value.changes and value.changed is not None
        }
        self.generation += 1

    async def _watch(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop_watching.wait(), timeout=self.reload_every)
            if self._stop_watching.is_set():
                return
            try:
                await self.reload_if_changed()
                await self.reload_subscriptions_if_changed()
            except Exception:
                log.exception("reloading the data set or the subscriptions failed")

    async def reload_subscriptions_if_changed(self) -> bool:
        """Subscriptions and reminders another process wrote (`python -m bot ask`) are read
        again and planned; True if there were any."""
        if await self.store.revision() == self.store.revision_seen:
            return False
        await self.reminders.load()
        self.reminders.replan()
        log.info("subscriptions changed in the database; reloaded and re-planned")
        return True

    async def reload_if_changed(self) -> str:
        """Load the data directory again if a file changed: "unchanged", "reloaded", or
        "invalid" (the problems are logged and the previous data set stays in use)."""
        assert self.data_dir is not None
        signature = await asyncio.to_thread(_signature, self.data_dir)
        if signature == self._signature:
            return "unchanged"
        self._signature = signature
        try:
            library = await asyncio.to_thread(load_library, self.data_dir, self.cache_dir)
        except DataSetError as problem:
            log.error("the changed data set was not loaded; keeping the previous one:\n%s", problem)
            return "invalid"
        await self.replace_agenda(library)
        return "reloaded"


def _signature(directory: Path) -> tuple[tuple[str, int, int], ...]:
    """What changes when a data file is edited: names, sizes and modification times."""
    try:
        return tuple(
            sorted(
                (p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in directory.glob("*.toml")
            )
        )
    except OSError:
        return ()
