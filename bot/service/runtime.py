"""The composition root: everything the bot runs on, built once and in order (storage, the
reminder engine, change notices, feeds, commands), then started, watched and stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.core import Agenda, DataSetError, Library
from bot.storage import (
    DatabaseLost,
    Edits,
    FileWatch,
    FollowedFeeds,
    ServerEvents,
    StorageError,
    Store,
    async_url,
    ensure_writable,
    watch_file,
)
from schedules import LEASE, RETRY_FIRST, Ledger, ReminderEngine

from .agenda import AgendaService
from .attendance import Attendance
from .board import EventBoard
from .changes import Announcer, ChangeLog
from .collector import collection_paused
from .datafiles import files_signature, load_library
from .early import EarlySubscriptions
from .editing import AgendaEditor
from .feeds import Feeds
from .following import Follower, FollowSettings
from .mirror_commands import MirrorCommands
from .mirroring import Mirror
from .reminders import Reminders, Sender
from .runner import CommandRunner
from .subscriptions import ReminderCommands
from .waiting import any_set

log = logging.getLogger(__name__)
LOOK_AGAIN = 86_400.0  # seconds


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
    editor: AgendaEditor
    follower: Follower
    mirror: Mirror
    attendance: Attendance
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
    _follower: asyncio.Task[None] | None = None
    _reader: asyncio.Task[None] | None = None
    _mirroring: asyncio.Task[None] | None = None
    _stop_watching: asyncio.Event = field(default_factory=asyncio.Event)
    _agenda_changed: asyncio.Event = field(default_factory=asyncio.Event)
    _signature: tuple[tuple[str, int, int], ...] = ()
    _stopped: bool = False

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
        follow: FollowSettings | None = None,
        board: EventBoard | None = None,
        early: EarlySubscriptions | None = None,
    ) -> Runtime:
        """Build everything, in order, each part given only what it uses. `site_url` is where
        users reach the web site (None: feeds are not served); `board`, servers' scheduled
        events (None: not mirrored); `early`, the subscriptions of `database_url` being read
        since before the agenda loaded (used if still current)."""
        # Building makes what lives as long as the process (the agenda's revisions, the index of
        # subscriptions) and no garbage: the cycle collector's full scans of the heap found
        # nothing, and held the GIL from the thread reading the subscriptions (the bot freezes
        # it all once started).
        with collection_paused():
            url = async_url(database_url)
            try:
                store = await Store.open(url)
                try:
                    await ensure_writable(store)
                except StorageError:
                    await store.close()
                    raise
            except BaseException:
                if early is not None:
                    early.cancel()  # read for no one: it stops at its next chunk
                raise
            watch = watch_file(store.engine, url)
            ledger = Ledger(store.engine)
            reminders = Reminders(agenda, store, ledger, sender, all_day_start, early)
            # Most of reading the subscriptions is SQLite's work in a worker thread, without the
            # GIL: the rest of the building (the agenda's revisions above all) goes on meanwhile,
            # and nothing built reads them before `open` returns.
            loading = asyncio.create_task(reminders.load())
            try:
                try:
                    runtime = await cls._build(
                        agenda,
                        store,
                        ledger,
                        reminders,
                        watch,
                        default_zone,
                        data_dir,
                        reload_every,
                        cache_dir,
                        lease,
                        retry_first,
                        site_url,
                        feed_refresh,
                        follow,
                        board,
                    )
                finally:
                    await loading  # its failure, if any, is raised here
            except BaseException:
                await reminders.saved()  # the index read may be being saved to its file
                await store.close()  # a start that failed leaves no database connection open
                raise
            return runtime

    @classmethod
    async def _build(
        cls,
        agenda: AgendaService,
        store: Store,
        ledger: Ledger,
        reminders: Reminders,
        watch: FileWatch | None,
        default_zone: ZoneInfo,
        data_dir: Path | None,
        reload_every: float,
        cache_dir: Path | None,
        lease: timedelta,
        retry_first: float,
        site_url: str | None,
        feed_refresh: timedelta,
        follow: FollowSettings | None,
        board: EventBoard | None,
    ) -> Runtime:
        """The parts after the store and the reminders, in order (see `open`)."""
        engine = ReminderEngine(
            reminders, ledger, agenda.clock, lease=lease, retry_first=retry_first
        )
        changes = ChangeLog()
        announcer = Announcer(agenda, store, reminders, engine, changes)
        commands = ReminderCommands(reminders, engine, default_zone)
        events = ServerEvents(store.engine)
        mirror = Mirror(agenda, events, commands, board, lambda: engine.leading)

        async def applied(quiet: Collection[str] = ()) -> None:
            """New revisions: re-plan, tell followers (but of `quiet` meetings), bump feeds,
            bring servers' events in line."""
            engine.replan_if_firing()
            await announcer.announce(quiet)
            mirror.poke()

        editor = AgendaEditor(agenda, Edits(store.engine), applied)
        follower = Follower(
            agenda,
            FollowedFeeds(store.engine),
            editor.store,
            applied,
            lambda: engine.leading,
            default_zone,
            follow,
        )
        await follower.load()
        await editor.load()
        attendance = Attendance(agenda, events, mirror)
        feeds = Feeds(agenda, store, reminders.audience, changes, site_url, feed_refresh)
        await feeds.load()
        runner = CommandRunner(
            agenda, commands, feeds, editor, follower, MirrorCommands(mirror), attendance
        )
        runtime = cls(
            agenda,
            store,
            reminders,
            engine,
            announcer,
            feeds,
            runner,
            changes,
            editor,
            follower,
            mirror,
            attendance,
            data_dir,
            reload_every,
            cache_dir,
        )

        async def took_the_lead() -> None:
            """A standby became the sender: tell what it missed, put servers' events in step."""
            await announcer.announce()
            mirror.poke()

        engine.on_lead = took_the_lead
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
        """Recover, plan, tell followers what changed while we were away, watch the data. A
        start that fails is stopped: the lease to send reminders is given back at once (a
        process standing by need not wait for it to run out) and the database is closed."""
        async with self.abandoned_on_failure():
            await self._start()

    @contextlib.asynccontextmanager
    async def abandoned_on_failure(self) -> AsyncIterator[None]:
        """Around starting the runtime, and what an adapter starts on top of it (the site): if
        any of it fails, the runtime is stopped, and the failure raised (not one in stopping:
        that is logged)."""
        try:
            yield
        except BaseException:
            try:
                await self.stop()
            except Exception:
                log.exception("stopping after a failed start failed")
            raise

    async def _start(self) -> None:
        # Not with the collector paused, as in `open`: recovery and the announcement send over
        # the network, for minutes at 2 messages a second, and the garbage they make would be
        # frozen for ever by the adapters' gc.freeze() once started.
        if not await self.engine.start_or_stand_by():
            log.warning(
                "another bot process already sends the reminders of this database "
                "(DATABASE_URL); this one answers commands but sends no reminders until "
                "that process stops, then takes over (within %.0f s)",
                self.engine.heartbeat_seconds * 4,
            )
        await self.announcer.announce()
        if self.reload_every > 0:
            if self.data_dir is not None:
                self._signature = files_signature(self.data_dir)
            self._watcher = asyncio.create_task(self._watch())
        self._follower = asyncio.create_task(self._follow_revisions())
        await self.follower.follow_listed(self.agenda.everything.follows)
        self._reader = asyncio.create_task(self.follower.run())
        self._mirroring = asyncio.create_task(self.mirror.run())

    async def stop_watching(self) -> None:
        """Stop looking at the data files and the clock, after a reload under way finished."""
        self._stop_watching.set()
        self.follower.stop()
        self.mirror.stop()
        for task in (self._watcher, self._follower, self._reader, self._mirroring):
            if task is not None:
                await task
        self._watcher = self._follower = self._reader = self._mirroring = None
        await self.follower.close()

    async def _follow_revisions(self) -> None:
        """When the clock reaches the instant at which something becomes known (living --as-of
        a past date), the agenda changes as if it had been edited: re-plan, tell followers."""
        clock = self.agenda.clock
        while not self._stop_watching.is_set():
            upcoming = self.agenda.next_change(clock.now())
            wait = LOOK_AGAIN  # the clock may be set anew; look at least daily
            if upcoming is not None:
                due = clock.to_real(upcoming) - clock.to_real(clock.now())
                wait = min(wait, max(0.0, due.total_seconds()))
            self._agenda_changed.clear()
            await any_set(self._stop_watching, self._agenda_changed, seconds=wait)
            if self._stop_watching.is_set() or self._agenda_changed.is_set():
                continue  # stopping, or new revisions: look again
            if upcoming is None or clock.now() < upcoming:
                continue
            try:
                self.engine.replan_if_firing()
                await self.announcer.announce()
                self.mirror.poke()
            except Exception:
                log.exception("following the agenda's revisions failed")

    async def stop(self) -> None:
        """Stop what adapters started on top, then the watchers, the reminders and the store.
        Once: a start that failed stops the runtime, and its caller may stop it again."""
        if self._stopped:
            return
        self._stopped = True
        for stop in reversed(self.on_stop):  # what adapters started on top of the runtime
            try:
                await stop()
            except Exception:
                log.exception("stopping %s failed", stop)
        # Each step whatever the one before did: the lease is given back and the database
        # closed even when a watcher ended with an error.
        try:
            await self.stop_watching()
        finally:
            try:
                with contextlib.suppress(DatabaseLost):  # already said; nothing recorded
                    await self.engine.stop()
            finally:
                try:
                    await self.reminders.saved()
                finally:
                    await self.store.close()

    async def replace_agenda(self, agenda: Agenda | Library) -> None:
        """A new data set: swap it in, re-plan every fire point, tell followers of changes."""
        self.agenda.replace_agenda(agenda)
        await self.revisions_applied()

    async def revisions_applied(self) -> None:
        """The agenda has new revisions: re-plan, tell followers once, bump the feeds."""
        self._agenda_changed.set()
        self.engine.replan_if_firing()
        await self.announcer.announce()
        self.mirror.poke()

    async def _watch(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop_watching.wait(), timeout=self.reload_every)
            if self._stop_watching.is_set():
                return
            try:
                if self.data_dir is not None:
                    await self.reload_if_changed()
                await self.reload_subscriptions_if_changed()
                await self.reload_edits_if_changed()
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

    async def reload_edits_if_changed(self) -> bool:
        """Revisions another process stored (an editor on the other bot, `ask`): read again
        and applied; True if there were any."""
        if not await self.editor.edits.changed_elsewhere():
            return False
        await self.follower.load()  # a calendar read there may have brought a body
        await self.editor.load()
        await self.revisions_applied()
        return True

    async def reload_if_changed(self) -> str:
        """Load the data directory again if a file changed: "unchanged", "reloaded", or
        "invalid" (the problems are logged and the previous data set stays in use)."""
        assert self.data_dir is not None
        signature = await asyncio.to_thread(files_signature, self.data_dir)
        if signature == self._signature:
            return "unchanged"
        self._signature = signature
        try:
            library = await asyncio.to_thread(load_library, self.data_dir, self.cache_dir)
        except DataSetError as problem:
            log.error("the changed data set was not loaded; keeping the previous one:\n%s", problem)
            return "invalid"
        await self.replace_agenda(library)
        await self.follower.follow_listed(library.agenda.follows)
        return "reloaded"
