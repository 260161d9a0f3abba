"""The composition root: everything the bot runs on, built once and in order (storage, the
reminder engine, change notices, feeds, commands), then started, watched and stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.core import Agenda, DataSetError, Library
from bot.storage import (
    DatabaseLost,
    StorageError,
    Store,
    async_url,
    ensure_writable,
    watch_file,
)
from schedules import LEASE, RETRY_FIRST, Ledger, ReminderEngine

from .agenda import AgendaService
from .changes import Announcer, ChangeLog
from .datafiles import load_library
from .feeds import Feeds
from .reminders import Reminders, Sender
from .runner import CommandRunner
from .subscriptions import ReminderCommands

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """The bot's service, built once by `open`: the agenda, the database, reminders and their
    engine, change notices, feeds, the command runner, and the watcher of the data files.
    Adapters receive it built; none changes what it holds."""

    agenda: AgendaService
    store: Store
    reminders: Reminders
    engine: ReminderEngine
    announcer: Announcer
    feeds: Feeds
    runner: CommandRunner
    changes: ChangeLog
    data_dir: Path | None = None
    reload_every: float = 0.0
    cache_dir: Path | None = None
    # What adapters started on top of the runtime (the web site), stopped before it.
    on_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # Set when the database can no longer be used (its file deleted or replaced): the adapter
    # stops the bot and says why (`lost`).
    fatal: asyncio.Event = field(default_factory=asyncio.Event)
    lost: DatabaseLost | None = None
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
        site_url: str | None = None,
        feed_refresh: timedelta = timedelta(hours=1),
    ) -> Runtime:
        """Build everything, in order, each part given only what it uses. `site_url` is where
        users reach the web site (None: feeds are not served)."""
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
        changes = ChangeLog()
        announcer = Announcer(agenda, store, reminders, engine, changes)
        feeds = Feeds(agenda, store, reminders.audience, changes, site_url, feed_refresh)
        commands = ReminderCommands(reminders, engine, default_zone)
        runner = CommandRunner(agenda, commands, feeds)
        runtime = cls(
            agenda,
            store,
            reminders,
            engine,
            announcer,
            feeds,
            runner,
            changes,
            data_dir,
            reload_every,
            cache_dir,
        )
        engine.on_lead = announcer.announce
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
        if not await self.engine.start_or_stand_by():
            log.warning(
                "another bot process already sends the reminders of this database "
                "(DATABASE_URL); this one answers commands but sends no reminders until that "
                "process stops, then takes over (within %.0f s)",
                self.engine.heartbeat_seconds * 4,
            )
        await self.announcer.announce()
        if self.data_dir is not None and self.reload_every > 0:
            self._signature = _signature(self.data_dir)
            self._watcher = asyncio.create_task(self._watch())

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
        self.engine.replan_if_firing()
        await self.announcer.announce()

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
        self.engine.replan_if_firing()
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
